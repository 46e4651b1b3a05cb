// Random commands of the members domain (see generator.h): enroll, link,
// unlink, transfer, import (applied or as a dry run), close and merge, each
// a fresh / near-a-limit / malformed / changed-content builder and its row
// of the kind table (generator_kinds.h).
#include <algorithm>
#include <optional>
#include <set>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "generator.h"
#include "generator_kinds.h"

namespace loyalty::model {
namespace {

constexpr int kIdentifiersMax = 8;

using v1::AdjustRequest;
using v1::BasketLine;
using v1::EarnRequest;
using v1::EnrollMemberRequest;
using v1::HoldPointsRequest;
using v1::MemberIdentifier;
using v1::RecordEventRequest;
using v1::RedeemRequest;
using v1::RequestContext;

bool IsActive(Generator& g, const std::string& member_id) {
  const MemberState* member = g.model().FindMember(member_id);
  return member != nullptr && member->status == v1::MEMBER_STATUS_ACTIVE;
}

// A recent alias (a merge's source), if any.
std::optional<std::string> PickAlias(Generator& g) {
  const auto& aliases = g.model().aliases();
  if (aliases.empty()) return std::nullopt;
  const int64_t size = static_cast<int64_t>(aliases.size());
  return aliases[g.Uniform(std::max<int64_t>(0, size - 24), size - 1)];
}

std::optional<std::string> PickClosed(Generator& g) {
  const auto& closed = g.model().closed();
  if (closed.empty()) return std::nullopt;
  return PickFrom(g, closed);
}

// ---------------------------------------------------------------------------
// Identifiers: malformed values of each kind (each checked to be refused).

const std::vector<std::string>& BadCards() {
  static const std::vector<std::string> kBad = {
      "12a4", "123", std::string(33, '7'), "", "1234 5678"};
  return kBad;
}
const std::vector<std::string>& BadAccounts() {
  static const std::vector<std::string> kBad = {
      "", "user 1", std::string(kIdLengthMax + 1, 'u'), "caf\xc3\xa9"};
  return kBad;
}
const std::vector<std::string>& BadPhones() {
  static const std::vector<std::string> kBad = {"",
                                                "0912-345",
                                                "+886 12",
                                                "phone",
                                                "+999 912 345 678",
                                                "12345",
                                                "call me",
                                                "0912 345 678 901 234"};
  return kBad;
}
const std::vector<std::string>& BadEmails() {
  static const std::vector<std::string> kBad = {
      "",
      "no-at-sign.example.com",
      "a@b",
      "@example.com",
      "a@@example.com",
      "a b@example.com",
      "a@.com",
      "a@example.",
      std::string(250, 'a') + "@x.com"};  // 256 characters.
  return kBad;
}

// An identifier malformed on purpose; says what is wrong with it.
std::string MalformIdentifier(Generator& g, MemberIdentifier* identifier) {
  switch (g.Uniform(0, 5)) {
    case 0:
      identifier->set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
      identifier->set_value(PickFrom(g, BadCards()));
      return "a malformed card number";
    case 1:
      identifier->set_kind(g.Chance(0.5) ? v1::IDENTIFIER_KIND_APP_USER_ID
                                         : v1::IDENTIFIER_KIND_PARTNER_ACCOUNT);
      identifier->set_value(PickFrom(g, BadAccounts()));
      return "a malformed app user id or partner account";
    case 2:
      identifier->set_kind(v1::IDENTIFIER_KIND_PHONE);
      identifier->set_value(PickFrom(g, BadPhones()));
      return "a malformed phone number";
    case 3:
      identifier->set_kind(v1::IDENTIFIER_KIND_EMAIL);
      identifier->set_value(PickFrom(g, BadEmails()));
      return "a malformed email address";
    case 4:
      identifier->set_kind(v1::IDENTIFIER_KIND_UNSPECIFIED);
      identifier->set_value("12345678");
      return "identifier kind unspecified";
    default:
      identifier->set_kind(static_cast<v1::IdentifierKind>(42));
      identifier->set_value("12345678");
      return "identifier kind unknown";
  }
}

// Whether `list` has `identifier` in some notation.
bool Listed(const google::protobuf::RepeatedPtrField<MemberIdentifier>& list,
            const MemberIdentifier& identifier) {
  const std::optional<std::string> canonical =
      ModelCanonical(identifier.kind(), identifier.value());
  for (const MemberIdentifier& other : list) {
    if (other.kind() == identifier.kind() &&
        ModelCanonical(other.kind(), other.value()) == canonical) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// Enroll.

Request FreshEnroll(Generator& g) {
  EnrollMemberRequest request;
  *request.mutable_context() = g.ChannelContext();
  int64_t roll = g.Uniform(0, 99);
  const auto& members = g.model().member_order();
  if (roll < 35) {
    // Empty: the server assigns an id.
  } else if (roll < 47 && !members.empty()) {
    request.set_member_id(PickFrom(g, members));  // Collides.
  } else if (roll < 50) {
    std::string id = absl::StrCat("long.", g.NewMemberId(), ":");
    id.resize(kIdLengthMax, 'z');
    request.set_member_id(id);
  } else {
    request.set_member_id(g.NewMemberId());
  }
  int64_t count = g.Uniform(0, 9);
  count = count < 5 ? 0 : count < 8 ? 1 : count - 6;  // 0, 1, 2 or 3.
  for (int64_t i = 0; i < count; ++i) {
    MemberIdentifier identifier = g.PickIdentifier();
    if (!Listed(request.identifiers(), identifier)) {
      *request.add_identifiers() = identifier;
    }
  }
  return request;
}

Request BoundaryEnroll(Generator& g) {
  EnrollMemberRequest request;
  *request.mutable_context() = g.ChannelContext();
  if (g.Chance(0.5)) request.set_member_id(g.NewMemberId());
  // The most identifiers a member may have, cards at both length limits.
  for (int i = 0; i < kIdentifiersMax; ++i) {
    MemberIdentifier identifier = g.PickIdentifier();
    if (i == 0) {
      identifier.set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
      identifier.set_value(absl::StrCat(g.Uniform(1000, 9999)));
    } else if (i == 1) {
      identifier.set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
      identifier.set_value(
          absl::StrCat(g.Uniform(1'000'000'000'000'000'000ll, kInt64Max),
                       g.Uniform(1'000'000'000'000ll, 9'999'999'999'999ll)));
    }
    if (!Listed(request.identifiers(), identifier)) {
      *request.add_identifiers() = identifier;
    }
  }
  return request;
}

std::string MalformEnroll(Generator& g, Request* r) {
  auto& request = std::get<EnrollMemberRequest>(*r);
  switch (g.Uniform(0, 11)) {
    case 0:
      request.set_member_id("bad id");
      return "member_id with a space";
    case 1:
      request.set_member_id(std::string(kIdLengthMax + 1, 'm'));
      return "member_id 65 characters";
    case 2:
      request.set_member_id("m\xc3\xbc");
      return "member_id not ASCII";
    case 3: {
      request.clear_identifiers();
      for (int i = 0; i <= kIdentifiersMax; ++i) {
        MemberIdentifier* identifier = request.add_identifiers();
        identifier->set_kind(v1::IDENTIFIER_KIND_APP_USER_ID);
        identifier->set_value(absl::StrCat("too-many-", i));
      }
      return "9 identifiers";
    }
    case 4:
    case 5:
    case 6:
    case 7: {
      if (request.identifiers_size() == kIdentifiersMax) {
        request.mutable_identifiers()->RemoveLast();
      }
      MemberIdentifier* identifier = request.add_identifiers();
      return MalformIdentifier(g, identifier);
    }
    case 8: {
      MemberIdentifier identifier = g.PickIdentifier();
      request.clear_identifiers();
      *request.add_identifiers() = identifier;
      *request.add_identifiers() = identifier;
      return "the same identifier twice";
    }
    case 9: {
      // One phone number or email in two notations: the same after
      // normalising.
      MemberIdentifier identifier;
      identifier.set_kind(g.Chance(0.5) ? v1::IDENTIFIER_KIND_PHONE
                                        : v1::IDENTIFIER_KIND_EMAIL);
      const std::string canonical =
          identifier.kind() == v1::IDENTIFIER_KIND_PHONE
              ? PickFrom(g, ModelPhoneTable()).canonical
              : PickFrom(g, EmailPool());
      identifier.set_value(
          RenderIdentifier(identifier.kind(), canonical, g.rng()));
      request.clear_identifiers();
      *request.add_identifiers() = identifier;
      if (g.Chance(0.5)) *request.add_identifiers() = g.PickIdentifier();
      // Another notation where there is one (a phone's differs for sure).
      if (identifier.kind() == v1::IDENTIFIER_KIND_PHONE) {
        for (const ModelPhone& phone : ModelPhoneTable()) {
          if (phone.canonical != canonical) continue;
          for (const std::string& notation : phone.notations) {
            if (notation != identifier.value()) identifier.set_value(notation);
          }
        }
      } else {
        identifier.set_value(
            absl::StrCat(" ", absl::AsciiStrToUpper(canonical)));
      }
      *request.add_identifiers() = identifier;
      return "one phone or email twice, in two notations";
    }
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateEnroll(Generator& g, Request* r) {
  auto& request = std::get<EnrollMemberRequest>(*r);
  switch (g.Uniform(0, 2)) {
    case 0:
      request.set_member_id(request.member_id().empty() ? g.NewMemberId() : "");
      return;
    case 1:
      if (request.identifiers_size() > 0) {
        request.mutable_identifiers()->RemoveLast();
      } else {
        MemberIdentifier* identifier = request.add_identifiers();
        identifier->set_kind(v1::IDENTIFIER_KIND_APP_USER_ID);
        identifier->set_value(absl::StrCat("mutated-", g.NewOrderId()));
      }
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Link and unlink. Links mostly give a member an identifier of any kind,
// sometimes one it has (taken, by itself), another member's (taken) or one
// unlinked earlier (free again, or taken again since); almost a third go
// to the member with the most identifiers, mostly with a fresh card, so
// the limit of 8 is met. Unlinks mostly name one the member has, in
// another notation.

// One of `member`'s identifiers, in a random notation.
MemberIdentifier OwnIdentifier(Generator& g, const MemberState& member) {
  const ModelIdentifier& own = PickFrom(g, member.identifiers);
  MemberIdentifier identifier;
  identifier.set_kind(own.kind);
  identifier.set_value(RenderIdentifier(own.kind, own.canonical, g.rng()));
  return identifier;
}

// An identifier some enrolled member has (recent members mostly), if any.
std::optional<MemberIdentifier> OwnedIdentifier(Generator& g) {
  const auto& members = g.model().member_order();
  for (int attempt = 0; attempt < 4 && !members.empty(); ++attempt) {
    const MemberState* member = g.model().FindMember(PickFrom(g, members));
    if (!member->identifiers.empty()) return OwnIdentifier(g, *member);
  }
  return std::nullopt;
}

// An identifier unlinked earlier (free again, or linked again since).
std::optional<MemberIdentifier> UnlinkedIdentifier(Generator& g) {
  const auto& unlinked = g.model().unlinked();
  if (unlinked.empty()) return std::nullopt;
  const IdentifierKey& key = unlinked[g.Uniform(
      std::max<int64_t>(0, static_cast<int64_t>(unlinked.size()) - 64),
      static_cast<int64_t>(unlinked.size()) - 1)];
  MemberIdentifier identifier;
  identifier.set_kind(static_cast<v1::IdentifierKind>(key.first));
  identifier.set_value(
      RenderIdentifier(identifier.kind(), key.second, g.rng()));
  return identifier;
}

// `fullest`: the share going to the member with the most identifiers.
template <typename IdentifierRequest>
IdentifierRequest IdentifierBase(Generator& g, double fullest) {
  IdentifierRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_member_id(g.Chance(fullest) ? g.PickFullest() : g.PickMember());
  return request;
}

Request FreshLink(Generator& g) {
  auto request = IdentifierBase<v1::LinkIdentifierRequest>(g, 0.3);
  const MemberState* member =
      g.model().FindMember(g.model().Resolve(request.member_id()));
  const int64_t roll = g.Uniform(0, 99);
  std::optional<MemberIdentifier> identifier;
  if (request.member_id() == g.PickFullest() && g.Chance(0.7)) {
    // A fresh card: it fills the member up to the limit, or goes past it.
    identifier.emplace();
    identifier->set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
    identifier->set_value(g.NewCardNumber());
  } else if (roll < 12 && member != nullptr && !member->identifiers.empty()) {
    identifier = OwnIdentifier(g, *member);
  } else if (roll < 27) {
    identifier = OwnedIdentifier(g);
  } else if (roll < 42) {
    identifier = UnlinkedIdentifier(g);
  }
  *request.mutable_identifier() =
      identifier.has_value() ? *identifier : g.PickIdentifier();
  return request;
}

// The member with the most identifiers gets one more: its 8th, or a 9th.
Request BoundaryLink(Generator& g) {
  auto request = IdentifierBase<v1::LinkIdentifierRequest>(g, 1);
  MemberIdentifier* identifier = request.mutable_identifier();
  identifier->set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
  identifier->set_value(g.NewCardNumber());
  return request;
}

template <typename IdentifierRequest>
std::string MalformIdentifierRequest(Generator& g, Request* r) {
  auto& request = std::get<IdentifierRequest>(*r);
  switch (g.Uniform(0, 9)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_member_id("a b");
      return "member_id with a space";
    case 2:
      request.clear_identifier();
      return "identifier missing";
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
      return MalformIdentifier(g, request.mutable_identifier());
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

// Another identifier (a fresh one: other content for sure), or another
// context.
template <typename IdentifierRequest>
void MutateIdentifierRequest(Generator& g, Request* r) {
  auto& request = std::get<IdentifierRequest>(*r);
  if (g.Chance(0.6)) {
    MemberIdentifier* identifier = request.mutable_identifier();
    identifier->set_kind(v1::IDENTIFIER_KIND_APP_USER_ID);
    identifier->set_value(absl::StrCat("mutated-", g.NewOrderId()));
    return;
  }
  MutateContext(g, request.mutable_context());
}

Request FreshUnlink(Generator& g) {
  auto request = IdentifierBase<v1::UnlinkIdentifierRequest>(g, 0.1);
  const MemberState* member =
      g.model().FindMember(g.model().Resolve(request.member_id()));
  const int64_t roll = g.Uniform(0, 99);
  std::optional<MemberIdentifier> identifier;
  if (roll < 60 && member != nullptr && !member->identifiers.empty()) {
    identifier = OwnIdentifier(g, *member);
  } else if (roll < 75) {
    identifier = OwnedIdentifier(g);  // Mostly another member's.
  } else if (roll < 85) {
    identifier = UnlinkedIdentifier(g);
  }
  *request.mutable_identifier() =
      identifier.has_value() ? *identifier : g.PickIdentifier();
  return request;
}

// The fullest member gives up its first or its last identifier.
Request BoundaryUnlink(Generator& g) {
  auto request = IdentifierBase<v1::UnlinkIdentifierRequest>(g, 1);
  const MemberState* member = g.model().FindMember(request.member_id());
  if (member == nullptr || member->identifiers.empty()) {
    *request.mutable_identifier() = g.PickIdentifier();
    return request;
  }
  const ModelIdentifier& own =
      g.Chance(0.5) ? member->identifiers.front() : member->identifiers.back();
  request.mutable_identifier()->set_kind(own.kind);
  request.mutable_identifier()->set_value(
      RenderIdentifier(own.kind, own.canonical, g.rng()));
  return request;
}

// ---------------------------------------------------------------------------
// Transfers: mostly from one sender kept for a while (its day fills up),
// amounts around the program's limits, what the sender has, or what is left
// of its day; now and then to a member in debt (the points pay it first).

// What `member_id` may still give today (the model's day in UTC+8).
int64_t DayAllowance(Generator& g, const std::string& member_id) {
  const MemberState* member =
      g.model().FindMember(g.model().Resolve(member_id));
  const int64_t today = (g.now_ms() + kModelUtcOffsetMs) / kModelDayMs;
  const int64_t given = member != nullptr && member->transfer_day == today
                            ? member->transferred_on_day
                            : 0;
  return kModelTransferDayMaxPoints - given;
}

v1::TransferPointsRequest TransferBase(Generator& g) {
  v1::TransferPointsRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_from_member_id(g.in_burst(kTransferKind) || g.Chance(0.5)
                                 ? g.PickSender()
                                 : g.PickMember());
  request.set_to_member_id(g.Chance(0.3) ? g.PickInDebt() : g.PickMember());
  for (int attempt = 0;
       attempt < 3 && request.to_member_id() == request.from_member_id();
       ++attempt) {
    request.set_to_member_id(g.PickMember());
  }
  if (request.to_member_id() == request.from_member_id()) {
    request.set_to_member_id(absl::StrCat("ghost-", g.Uniform(1, 20)));
    if (request.to_member_id() == request.from_member_id()) {
      request.set_to_member_id("ghost-21");
    }
  }
  std::optional<std::string> alias;
  if (g.Chance(0.04) && (alias = PickAlias(g)).has_value()) {
    // An alias and the member it resolves to: one member, named twice.
    request.set_from_member_id(*alias);
    request.set_to_member_id(g.model().Resolve(*alias));
    if (g.Chance(0.5))
      request.mutable_from_member_id()->swap(*request.mutable_to_member_id());
  }
  static const std::vector<std::string> kNotes = {
      "",
      "",
      "",
      "for the coffee",
      "Happy birthday, Mei! \xf0\x9f\x8e\x82",
      std::string(500, 'n')};
  request.set_note(PickFrom(g, kNotes));
  return request;
}

Request FreshTransfer(Generator& g) {
  v1::TransferPointsRequest request = TransferBase(g);
  // Now and then the sender goes on giving: a few transfers in a row, in
  // the same day mostly, so its day's limit is met.
  if (!g.in_burst(kTransferKind) && g.Chance(0.2)) {
    g.StartBurst(kTransferKind, 4);
  }
  const int64_t available = Available(g, request.from_member_id());
  const int64_t allowance = DayAllowance(g, request.from_member_id());
  const int64_t roll = g.Uniform(0, 99);
  int64_t points = 0;
  if (roll < 40) {
    points = g.Uniform(
        1, std::clamp<int64_t>(available, 1, kModelTransferMaxPoints));
  } else if (roll < 50) {
    points = kModelTransferMaxPoints + g.Uniform(0, 1);  // At it, or past.
  } else if (roll < 62) {
    // The rest of the day (as much as one transfer may move), or one more.
    points = std::min(allowance, kModelTransferMaxPoints) + g.Uniform(0, 1);
  } else if (roll < 72) {
    points = available + g.Uniform(0, 1);  // All it has, or one more.
  } else if (roll < 85) {
    points = g.Uniform(1, 100);
  } else {
    points = g.Uniform(1, 5000);
  }
  request.set_points(std::clamp<int64_t>(points, 1, kPointsPerRequestMax));
  return request;
}

// The most a request may ask (far past the program's limit), or a transfer
// from a member with points to the richest one, whose balance may not hold
// it.
Request BoundaryTransfer(Generator& g) {
  v1::TransferPointsRequest request = TransferBase(g);
  const int64_t roll = g.Uniform(0, 99);
  if (roll < 25) {
    request.set_points(kPointsPerRequestMax);
    return request;
  }
  if (roll < 60) {
    // A recent member whose soonest lot is small beside the limit.
    const auto& members = g.model().member_order();
    for (int attempt = 0; attempt < 8 && !members.empty(); ++attempt) {
      const std::string& member_id = members[g.Uniform(
          std::max<int64_t>(0, static_cast<int64_t>(members.size()) - 16),
          static_cast<int64_t>(members.size()) - 1)];
      std::optional<PointsState> points = g.model().Projected(member_id);
      if (points->lots.size() >= 2 &&
          points->lots[0].points < kModelTransferMaxPoints &&
          member_id != request.to_member_id()) {
        request.set_from_member_id(member_id);
        break;
      }
    }
  }
  std::optional<PointsState> from =
      g.model().Projected(request.from_member_id());
  if (roll < 60 && from.has_value() && from->lots.size() >= 2) {
    // All of the soonest lot and part of the next: a transfer of two lots
    // with two expiry dates (within the limits, if they leave room).
    request.set_points(std::clamp<int64_t>(
        from->lots[0].points + g.Uniform(1, from->lots[1].points), 1,
        std::max<int64_t>(
            1, std::min(kModelTransferMaxPoints,
                        DayAllowance(g, request.from_member_id())))));
    return request;
  }
  request.set_to_member_id(g.PickRich());
  if (request.to_member_id() == request.from_member_id()) {
    request.set_from_member_id(g.PickMember());
  }
  if (request.to_member_id() == request.from_member_id()) {
    request.set_from_member_id("ghost-1");
  }
  request.set_points(
      std::clamp<int64_t>(std::min(Available(g, request.from_member_id()),
                                   DayAllowance(g, request.from_member_id())),
                          1, kModelTransferMaxPoints));
  return request;
}

std::string MalformTransfer(Generator& g, Request* r) {
  auto& request = std::get<v1::TransferPointsRequest>(*r);
  switch (g.Uniform(0, 9)) {
    case 0:
      request.clear_from_member_id();
      return "from_member_id empty";
    case 1:
      request.set_to_member_id("to whom");
      return "to_member_id with a space";
    case 2:
      request.set_to_member_id(request.from_member_id());
      return "to_member_id is from_member_id";
    case 3:
      request.set_points(g.Chance(0.5) ? 0 : -3);
      return "points not positive";
    case 4:
      request.set_points(g.Chance(0.5) ? kPointsPerRequestMax + 1 : kInt64Max);
      return "points above 10^15";
    case 5:
      request.set_note(std::string(501, 'n'));
      return "note 501 characters";
    case 6:
      request.set_note("line\nbreak");
      return "note with a control character";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateTransfer(Generator& g, Request* r) {
  auto& request = std::get<v1::TransferPointsRequest>(*r);
  switch (g.Uniform(0, 2)) {
    case 0:
      request.set_points(request.points() == kPointsPerRequestMax
                             ? request.points() - 1
                             : request.points() + 1);
      return;
    case 1:
      request.set_note(request.note().size() < 500 ? request.note() + "!" : "");
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Import (one row of ImportMembers): the card of a member, sent before, or
// new; a phone of the table or none; opening points dated by a day of the
// last weeks, of long ago (expired already), or now; a quarter dry runs.

std::string EarnedOn(Generator& g) {
  const int64_t roll = g.Uniform(0, 99);
  if (roll < 35) return "";
  if (roll < 75)
    return ModelDateBefore(g.now_ms(), static_cast<int>(g.Uniform(0, 40)));
  if (roll < 92)
    return ModelDateBefore(g.now_ms(), static_cast<int>(g.Uniform(60, 900)));
  return ModelDateBefore(g.now_ms(), 0);  // Today.
}

ImportRequest ImportBase(Generator& g) {
  ImportRequest request;
  v1::ImportMemberRequest& row = request.message;
  *row.mutable_context() = g.AdminContext();
  const int64_t roll = g.Uniform(0, 99);
  std::string card = roll < 50 ? g.PickOwnedCard() : "";
  if (card.empty() && roll < 60) {
    std::vector<std::string> sent_cards;
    for (const MemberIdentifier& sent : g.identifiers_sent()) {
      if (sent.kind() == v1::IDENTIFIER_KIND_CARD_NUMBER) {
        sent_cards.push_back(sent.value());
      }
    }
    if (!sent_cards.empty()) card = PickFrom(g, sent_cards);
  }
  row.set_card_number(card.empty() ? g.NewCardNumber() : card);
  if (g.Chance(0.6)) {
    row.set_phone(PickFrom(g, PickFrom(g, ModelPhoneTable()).notations));
  }
  const int64_t points_roll = g.Uniform(0, 99);
  row.set_opening_points(points_roll < 15   ? 0
                         : points_roll < 75 ? g.Uniform(1, 3000)
                         : points_roll < 95 ? g.Uniform(1, 1'000'000)
                                            : kModelOpeningPointsMax);
  row.set_earned_on(EarnedOn(g));
  request.dry_run = g.Chance(0.35);
  return request;
}

Request FreshImport(Generator& g) { return ImportBase(g); }

// The richest member's card with the most opening points (its balance may
// not hold them), the fullest member's card with a free phone (its 9th
// identifier), or the earliest day allowed: 1970-01-02, because in the
// program's zone (UTC+8) the first day of 1970 starts before the Unix epoch.
Request BoundaryImport(Generator& g) {
  ImportRequest request = ImportBase(g);
  v1::ImportMemberRequest& row = request.message;
  const int64_t roll = g.Uniform(0, 2);
  const std::string member_id = roll == 0 ? g.PickRich() : g.PickFullest();
  const MemberState* member = g.model().FindMember(member_id);
  if (member != nullptr) {
    for (const ModelIdentifier& own : member->identifiers) {
      if (own.kind == v1::IDENTIFIER_KIND_CARD_NUMBER) {
        row.set_card_number(own.canonical);
      }
    }
  }
  if (roll == 0) {
    row.clear_phone();  // Whose owner would refuse the row first.
    row.set_opening_points(kModelOpeningPointsMax);
  } else if (roll == 1) {
    row.set_phone(PickFrom(g, PickFrom(g, ModelPhoneTable()).notations));
  } else {
    row.clear_phone();
    row.set_earned_on("1970-01-02");
    row.set_opening_points(g.Uniform(1, 100));
  }
  return request;
}

std::string MalformImport(Generator& g, Request* r) {
  v1::ImportMemberRequest& row = std::get<ImportRequest>(*r).message;
  switch (g.Uniform(0, 9)) {
    case 0:
    case 1:
      row.set_card_number(PickFrom(g, BadCards()));
      return "a malformed card number";
    case 2:
    case 3: {
      static const std::vector<std::string> kBadPhones = {
          "0912-345", "+886 12", "phone", "+999 912 345 678", "12345"};
      row.set_phone(PickFrom(g, kBadPhones));
      return "a malformed phone number";
    }
    case 4:
      row.set_opening_points(g.Chance(0.5) ? -1 : kModelOpeningPointsMax + 1);
      return "opening_points outside 0..10^12";
    case 5:
    case 6: {
      // Days that stay in the future however far the clock moves, and
      // shapes that are no date.
      // 1970-01-01 starts before the epoch in UTC+8.
      static const std::vector<std::string> kBadDays = {
          "9999-12-31", "2999-01-01", "1969-12-31",       "2024-1-5",
          "2024-02-30", "yesterday",  "2024-01-01T00:00", "20240101",
          "1970-01-01"};
      row.set_earned_on(PickFrom(g, kBadDays));
      return "earned_on not a past date YYYY-MM-DD";
    }
    default:
      return MalformContext(g, row.mutable_context(), /*admin=*/true);
  }
}

void MutateImport(Generator& g, Request* r) {
  v1::ImportMemberRequest& row = std::get<ImportRequest>(*r).message;
  switch (g.Uniform(0, 4)) {
    case 0:
      row.set_opening_points(row.opening_points() == kModelOpeningPointsMax
                                 ? 0
                                 : row.opening_points() + 1);
      return;
    case 1:
      row.set_earned_on(row.earned_on().empty() ? ModelDateBefore(g.now_ms(), 1)
                                                : "");
      return;
    case 2:
      if (row.phone().empty()) {
        row.set_phone(PickFrom(g, ModelPhoneTable()).notations[0]);
      } else {
        row.clear_phone();
      }
      return;
    case 3:
      row.set_card_number(g.NewCardNumber());
      return;
    default:
      MutateContext(g, row.mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Close and merge (admin). Closes are rare and spare the three oldest
// members (events go to them), so the population lives on; they mostly
// name a member with nothing pending and no open hold, sometimes one with
// either (MEMBER_NOT_SETTLED), an alias (MEMBER_MERGED), a closed member
// (MEMBER_CLOSED) or nobody. Merges mostly join two members; sometimes two
// that have a record of one order id, one with many identifiers, an alias
// as the source or as a target resolving to the source (MEMBER_MERGED), an
// alias of a third member as the target (it resolves), a closed member or
// nobody; near a limit, the two richest.

const std::vector<std::string>& AdminReasons() {
  static const std::vector<std::string> kReasons = {
      "MEMBER_REQUEST", "SAME_PERSON", "FRAUD_2", "X", std::string(32, 'Z')};
  return kReasons;
}
const std::vector<std::string>& AdminOperators() {
  static const std::vector<std::string> kOperators = {"agent.kim", "ops@hq",
                                                      "j_doe-2"};
  return kOperators;
}
const std::vector<std::string>& AdminNotes() {
  static const std::vector<std::string> kNotes = {
      "", "", "asked by phone", "caf\xc3\xa9 account, same person",
      std::string(500, 'n')};
  return kNotes;
}

// The reason code, operator and note fields every admin record shares
// (AdjustRequest, CloseMemberRequest, MergeMembersRequest); what was
// broken, or "" when none of these was.
template <typename AdminRequest>
std::string MalformAdminRecord(Generator& g, AdminRequest* request) {
  switch (g.Uniform(0, 5)) {
    case 0:
      request->clear_reason_code();
      return "reason_code empty";
    case 1:
      request->set_reason_code(g.Chance(0.5) ? "same_person" : "SAME PERSON");
      return "reason_code not [A-Z0-9_]";
    case 2:
      request->set_reason_code(std::string(33, 'R'));
      return "reason_code 33 characters";
    case 3:
      request->clear_operator_id();
      return "operator_id empty";
    case 4:
      request->set_operator_id(g.Chance(0.5) ? "agent kim"
                                             : std::string(65, 'o'));
      return "operator_id with a space or 65 characters";
    default:
      request->set_note(g.Chance(0.5) ? std::string(501, 'n') : "tab\there");
      return "note too long or with a control character";
  }
}

template <typename AdminRequest>
void FillAdminRecord(Generator& g, AdminRequest* request) {
  *request->mutable_context() = g.AdminContext();
  request->set_reason_code(PickFrom(g, AdminReasons()));
  request->set_operator_id(PickFrom(g, AdminOperators()));
  request->set_note(PickFrom(g, AdminNotes()));
}

// An active member past the three oldest with nothing pending and no open
// hold as of now; "" if none of a few looked at is.
std::string PickSettled(Generator& g) {
  const auto& members = g.model().member_order();
  const int64_t size = static_cast<int64_t>(members.size());
  for (int attempt = 0; attempt < 8 && size > 3; ++attempt) {
    const std::string& member_id =
        g.Chance(0.5)
            ? members[g.Uniform(std::max<int64_t>(3, size - 16), size - 1)]
            : members[g.Uniform(3, size - 1)];
    if (!IsActive(g, member_id)) continue;
    std::optional<PointsState> points = g.model().Projected(member_id);
    if (points->totals.pending == 0 && points->holds.empty()) return member_id;
  }
  return "";
}

// Two active members among the recent ones that both have a record of
// one order id, if any (a random such pair).
std::optional<std::pair<std::string, std::string>> PickOrderConflict(
    Generator& g) {
  const auto& members = g.model().member_order();
  std::map<std::string, std::string> first_owner;  // Order id -> member.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = members.size() > 48 ? members.size() - 48 : 0;
       i < members.size(); ++i) {
    if (!IsActive(g, members[i])) continue;
    for (const std::string& order_id :
         g.model().FindMember(members[i])->order_records) {
      auto [owner, inserted] = first_owner.emplace(order_id, members[i]);
      if (!inserted) pairs.emplace_back(owner->second, members[i]);
    }
  }
  if (pairs.empty()) return std::nullopt;
  return PickFrom(g, pairs);
}

// An active recent member with pending points or open holds, if a few
// looked at have.
std::optional<std::string> PickUnsettled(Generator& g) {
  const auto& members = g.model().member_order();
  const int64_t size = static_cast<int64_t>(members.size());
  for (int attempt = 0; attempt < 6 && size > 0; ++attempt) {
    const std::string& member_id =
        members[g.Uniform(std::max<int64_t>(0, size - 8), size - 1)];
    if (!IsActive(g, member_id)) continue;
    std::optional<PointsState> points = g.model().Projected(member_id);
    if (points->totals.pending > 0 || !points->holds.empty()) return member_id;
  }
  return std::nullopt;
}

// A recent active member with at least one identifier other than
// `besides`, if a few looked at have.
std::optional<std::string> PickWithIdentifiers(Generator& g,
                                               const std::string& besides) {
  const auto& members = g.model().member_order();
  const int64_t size = static_cast<int64_t>(members.size());
  for (int attempt = 0; attempt < 8 && size > 0; ++attempt) {
    const std::string& member_id =
        members[g.Uniform(std::max<int64_t>(0, size - 24), size - 1)];
    if (member_id != besides && IsActive(g, member_id) &&
        !g.model().FindMember(member_id)->identifiers.empty()) {
      return member_id;
    }
  }
  return std::nullopt;
}

Request FreshClose(Generator& g) {
  v1::CloseMemberRequest request;
  FillAdminRecord(g, &request);
  request.set_erase_personal_data(g.Chance(0.5));
  const int64_t roll = g.Uniform(0, 99);
  std::optional<std::string> member_id;
  if (roll < 50) {
    member_id = PickSettled(g);
  } else if (roll < 75) {
    member_id = PickUnsettled(g);
  } else if (roll < 83) {
    member_id = PickAlias(g);
  } else if (roll < 90) {
    member_id = PickClosed(g);
  }
  request.set_member_id(member_id.has_value() && !member_id->empty()
                            ? *member_id
                            : g.PickMember());
  return request;
}

// A member in debt (the CLOSE writes it off), or the richest (it forfeits
// the most points there are).
Request BoundaryClose(Generator& g) {
  v1::CloseMemberRequest request;
  FillAdminRecord(g, &request);
  request.set_erase_personal_data(g.Chance(0.5));
  request.set_member_id(g.Chance(0.5) ? g.PickInDebt() : g.PickRich());
  return request;
}

std::string MalformClose(Generator& g, Request* r) {
  auto& request = std::get<v1::CloseMemberRequest>(*r);
  switch (g.Uniform(0, 5)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_member_id(g.Chance(0.5) ? "a b" : std::string(65, 'm'));
      return "member_id with a space or 65 characters";
    case 2:
    case 3:
      return MalformAdminRecord(g, &request);
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/true);
  }
}

void MutateClose(Generator& g, Request* r) {
  auto& request = std::get<v1::CloseMemberRequest>(*r);
  switch (g.Uniform(0, 2)) {
    case 0:
      request.set_erase_personal_data(!request.erase_personal_data());
      return;
    case 1:
      request.set_note(request.note().size() < 500 ? request.note() + "!" : "");
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// An active member, a recent one mostly; PickMember() when a few looked
// at are not.
std::string PickActive(Generator& g) {
  const auto& members = g.model().member_order();
  const int64_t size = static_cast<int64_t>(members.size());
  for (int attempt = 0; attempt < 6 && size > 0; ++attempt) {
    const std::string& member_id =
        g.Chance(0.6)
            ? members[g.Uniform(std::max<int64_t>(0, size - 16), size - 1)]
            : members[g.Uniform(0, size - 1)];
    if (IsActive(g, member_id)) return member_id;
  }
  return g.PickMember();
}

Request FreshMerge(Generator& g) {
  v1::MergeMembersRequest request;
  FillAdminRecord(g, &request);
  request.set_source_member_id(g.PickMember());
  request.set_target_member_id(g.PickMember());
  const int64_t roll = g.Uniform(0, 99);
  auto either_side = [&]() -> std::string* {
    return g.Chance(0.5) ? request.mutable_source_member_id()
                         : request.mutable_target_member_id();
  };
  if (roll < 16) {
    if (auto pair = PickOrderConflict(g)) {
      request.set_source_member_id(pair->first);
      request.set_target_member_id(pair->second);
    }
  } else if (roll < 24) {
    // Many identifiers on one side: together they may pass 8.
    request.set_source_member_id(g.PickFullest());
    if (auto other = PickWithIdentifiers(g, request.source_member_id())) {
      request.set_target_member_id(*other);
    }
    if (g.Chance(0.5))
      request.mutable_source_member_id()->swap(
          *request.mutable_target_member_id());
  } else if (roll < 31) {
    if (auto alias = PickAlias(g)) request.set_source_member_id(*alias);
  } else if (roll < 36) {
    // Into an alias of the source itself.
    for (const std::string& member_id : g.model().member_order()) {
      const MemberState* member = g.model().FindMember(member_id);
      if (member->merged_member_ids.empty() || !g.Chance(0.2)) continue;
      request.set_source_member_id(member_id);
      request.set_target_member_id(PickFrom(g, member->merged_member_ids));
    }
  } else if (roll < 45) {
    // Into an alias of another member: it resolves.
    request.set_source_member_id(PickActive(g));
    if (auto alias = PickAlias(g)) request.set_target_member_id(*alias);
  } else if (roll < 53) {
    if (auto closed = PickClosed(g)) *either_side() = *closed;
  } else if (roll < 58) {
    *either_side() = absl::StrCat("ghost-", g.Uniform(1, 20));  // Nobody.
  } else if (roll < 66) {
    // A member in debt on one side: its debt nets with the other's points.
    request.set_source_member_id(PickActive(g));
    request.set_target_member_id(PickActive(g));
    *either_side() = g.PickInDebt();
  } else if (roll < 82) {
    // A source with pending points or open holds (the busy member's holds)
    // into an active member: they move, and mature or settle there later.
    request.set_source_member_id(g.Chance(0.3) ? g.PickRich() : PickActive(g));
    if (auto unsettled = PickUnsettled(g)) {
      request.set_source_member_id(*unsettled);
    }
    request.set_target_member_id(PickActive(g));
  }
  if (request.source_member_id() == request.target_member_id()) {
    request.set_target_member_id(absl::StrCat("ghost-", g.Uniform(1, 20)));
    if (request.source_member_id() == request.target_member_id()) {
      request.set_target_member_id("ghost-21");
    }
  }
  return request;
}

// The two richest recent members, or the richest and one with pending
// points or open holds: together they may pass INT64_MAX in a bucket or in
// what they own in all.
Request BoundaryMerge(Generator& g) {
  v1::MergeMembersRequest request;
  FillAdminRecord(g, &request);
  request.set_source_member_id(g.PickRich());
  const auto& members = g.model().member_order();
  std::string second;
  int64_t second_available = -1;
  for (size_t i = members.size() > 16 ? members.size() - 16 : 0;
       i < members.size(); ++i) {
    if (members[i] == request.source_member_id()) continue;
    const int64_t available = Available(g, members[i]);
    if (available > second_available) {
      second = members[i];
      second_available = available;
    }
  }
  // Without members yet both sides are ghosts, never the same one (that
  // would be malformed, which this builder does not mean to send).
  const std::string ghost =
      request.source_member_id() == "ghost-1" ? "ghost-2" : "ghost-1";
  request.set_target_member_id(second.empty() ? ghost : second);
  if (auto unsettled = PickUnsettled(g);
      unsettled.has_value() && *unsettled != request.source_member_id() &&
      g.Chance(0.5)) {
    request.set_target_member_id(*unsettled);
  }
  if (g.Chance(0.5)) {
    std::string source = request.source_member_id();
    request.set_source_member_id(request.target_member_id());
    request.set_target_member_id(source);
  }
  return request;
}

std::string MalformMerge(Generator& g, Request* r) {
  auto& request = std::get<v1::MergeMembersRequest>(*r);
  switch (g.Uniform(0, 7)) {
    case 0:
      request.set_target_member_id(request.source_member_id());
      return "target_member_id is source_member_id";
    case 1:
      if (g.Chance(0.5)) {
        request.clear_source_member_id();
        return "source_member_id empty";
      }
      request.clear_target_member_id();
      return "target_member_id empty";
    case 2:
      request.set_source_member_id(g.Chance(0.5) ? "who me" : "m\xc3\xbc");
      return "source_member_id with a space or not ASCII";
    case 3:
      request.set_target_member_id(std::string(65, 't'));
      return "target_member_id 65 characters";
    case 4:
    case 5:
      return MalformAdminRecord(g, &request);
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/true);
  }
}

void MutateMerge(Generator& g, Request* r) {
  auto& request = std::get<v1::MergeMembersRequest>(*r);
  switch (g.Uniform(0, 3)) {
    case 0: {
      std::string source = request.source_member_id();
      request.set_source_member_id(request.target_member_id());
      request.set_target_member_id(source);
      return;
    }
    case 1:
      request.set_reason_code(
          request.reason_code() == "SAME_PERSON" ? "DUPLICATE" : "SAME_PERSON");
      return;
    case 2:
      request.set_note(request.note().size() < 500 ? request.note() + "!" : "");
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

}  // namespace

extern constexpr KindSpec kEnrollSpec = {
    "enroll", 15, FreshEnroll, BoundaryEnroll, MalformEnroll, MutateEnroll};
extern constexpr KindSpec kLinkSpec = {
    "link",
    12,
    FreshLink,
    BoundaryLink,
    MalformIdentifierRequest<v1::LinkIdentifierRequest>,
    MutateIdentifierRequest<v1::LinkIdentifierRequest>};
extern constexpr KindSpec kUnlinkSpec = {
    "unlink",
    9,
    FreshUnlink,
    BoundaryUnlink,
    MalformIdentifierRequest<v1::UnlinkIdentifierRequest>,
    MutateIdentifierRequest<v1::UnlinkIdentifierRequest>};
extern constexpr KindSpec kTransferSpec = {"transfer",      20,
                                           FreshTransfer,   BoundaryTransfer,
                                           MalformTransfer, MutateTransfer};
extern constexpr KindSpec kImportSpec = {
    "import", 14, FreshImport, BoundaryImport, MalformImport, MutateImport};
extern constexpr KindSpec kCloseSpec = {
    "close", 4, FreshClose, BoundaryClose, MalformClose, MutateClose};
extern constexpr KindSpec kMergeSpec = {
    "merge", 9, FreshMerge, BoundaryMerge, MalformMerge, MutateMerge};

}  // namespace loyalty::model
