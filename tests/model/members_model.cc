// The reference model's member rules (see model.h): identifiers (the phone
// table, canonical and stored forms), and the commands enroll, link,
// unlink, transfer, import (and its dry run), close and merge. The shared
// pipeline is in model.cc.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "model.h"
#include "model_rules.h"

namespace loyalty::model {

// ---------------------------------------------------------------------------
// Identifiers.

const std::vector<ModelPhone>& ModelPhoneTable() {
  // Mobiles 09xx xxx xxx and Taipei lines 02 xxxx xxxx, numbers spread over
  // their ranges by a fixed step, each in the notations below.
  static const std::vector<ModelPhone>* const kTable = [] {
    auto* table = new std::vector<ModelPhone>;
    for (int i = 0; i < 40; ++i) {
      const std::string n = absl::StrFormat(
          "9%08d", (12'345'678 + i * int64_t{3'141'593}) % 100'000'000);
      const std::string a = n.substr(0, 3), b = n.substr(3, 3),
                        c = n.substr(6, 3);
      table->push_back(
          ModelPhone{"+886" + n,
                     {absl::StrCat("0", a, "-", b, "-", c),
                      absl::StrCat("+886 ", a, " ", b, " ", c),
                      absl::StrCat("+886-", a, "-", b, "-", c),
                      absl::StrCat("(0", a, ") ", b, " ", c),
                      absl::StrCat("+886", n), absl::StrCat("0", n),
                      absl::StrCat("+886 (0) ", a, " ", b, " ", c)}});
    }
    for (int i = 0; i < 8; ++i) {
      const std::string n = absl::StrFormat(
          "2%08d", (23'456'789 + i * int64_t{2'718'281}) % 100'000'000);
      const std::string b = n.substr(1, 4), c = n.substr(5, 4);
      table->push_back(ModelPhone{
          "+886" + n,
          {absl::StrCat("02-", b, "-", c), absl::StrCat("(02) ", b, " ", c),
           absl::StrCat("+886 2 ", b, " ", c),
           absl::StrCat("+886-2-", b, "-", c), absl::StrCat("0", n),
           absl::StrCat("+886.2.", b, ".", c)}});
    }
    return table;
  }();
  return *kTable;
}

std::optional<std::string> ModelCanonical(v1::IdentifierKind kind,
                                          absl::string_view value) {
  switch (kind) {
    case v1::IDENTIFIER_KIND_CARD_NUMBER:
    case v1::IDENTIFIER_KIND_APP_USER_ID:
    case v1::IDENTIFIER_KIND_PARTNER_ACCOUNT:
      return std::string(value);
    case v1::IDENTIFIER_KIND_EMAIL:
      return absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
    case v1::IDENTIFIER_KIND_PHONE: {
      static const auto* const kByNotation = [] {
        auto* by_notation = new std::unordered_map<std::string, std::string>;
        for (const ModelPhone& phone : ModelPhoneTable()) {
          for (const std::string& notation : phone.notations) {
            (*by_notation)[notation] = phone.canonical;
          }
        }
        return by_notation;
      }();
      auto found = kByNotation->find(std::string(value));
      if (found == kByNotation->end()) return std::nullopt;
      return found->second;
    }
    default:
      return std::nullopt;
  }
}

std::string ModelStoredValue(v1::IdentifierKind kind,
                             const std::string& canonical) {
  if (kind != v1::IDENTIFIER_KIND_PHONE && kind != v1::IDENTIFIER_KIND_EMAIL) {
    return canonical;
  }
  const std::string message = absl::StrCat(
      kind == v1::IDENTIFIER_KIND_PHONE ? "PHONE:" : "EMAIL:", canonical);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const std::string key = kModelIdentifierKey;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
       digest, &length);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    absl::StrAppend(&hex, absl::Hex(digest[i], absl::kZeroPad2));
  }
  return hex;
}

MemberState& Model::NewMember(const std::string& member_id) {
  MemberState& member = members_[member_id];
  member.member_id = member_id;
  order_.push_back(member_id);
  member.enrolled_at_ms = now_ms_;
  // Everyone starts in the lowest tier, which is never evaluated.
  if (!tiers_.tiers.empty()) member.points.tier.since_ms = now_ms_;
  return member;
}

void Model::AddIdentifier(MemberState& member, v1::IdentifierKind kind,
                          const std::string& canonical) {
  member.identifiers.push_back(
      ModelIdentifier{kind, canonical, ModelStoredValue(kind, canonical)});
  identifiers_[{static_cast<int>(kind), canonical}] = member.member_id;
}

Expected Model::ApplyRules(const v1::EnrollMemberRequest& request,
                           const std::string& assigned_member_id) {
  if (!request.member_id().empty() && members_.count(request.member_id())) {
    return Rejected(absl::StatusCode::kAlreadyExists,
                    v1::ERROR_REASON_MEMBER_EXISTS);
  }
  // Apply let only readable identifiers through (the rest are malformed).
  std::vector<std::pair<v1::IdentifierKind, std::string>> canonical;
  for (const v1::MemberIdentifier& identifier : request.identifiers()) {
    canonical.emplace_back(
        identifier.kind(),
        *ModelCanonical(identifier.kind(), identifier.value()));
    if (IdentifierOwner(canonical.back().first, canonical.back().second)) {
      return Rejected(absl::StatusCode::kAlreadyExists,
                      v1::ERROR_REASON_IDENTIFIER_TAKEN);
    }
  }
  const std::string member_id =
      request.member_id().empty() ? assigned_member_id : request.member_id();
  MemberState& member = NewMember(member_id);
  for (const auto& [kind, value] : canonical) {
    AddIdentifier(member, kind, value);
  }
  ExpectedEntry entry =
      CommandEntry(member, v1::ENTRY_KIND_ENROLL, request.context());
  for (const ModelIdentifier& identifier : member.identifiers) {
    entry.identifiers.emplace_back(identifier.kind, identifier.stored);
  }
  if (!tiers_.tiers.empty()) entry.tier_to = tiers_.tiers[0].tier_id;
  Append(member, std::move(entry));
  Expected ok = Ok(member);
  ok.identifiers_added = request.identifiers_size();
  ok.enrolled_member_id = member_id;
  return ok;
}

// ---------------------------------------------------------------------------
// Identifiers, transfers, imports.

Expected Model::ApplyRules(const v1::LinkIdentifierRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  const v1::IdentifierKind kind = request.identifier().kind();
  const std::string canonical =
      *ModelCanonical(kind, request.identifier().value());
  // Taken by anyone, this member included, before the member's room.
  if (IdentifierOwner(kind, canonical) != nullptr) {
    return Rejected(absl::StatusCode::kAlreadyExists,
                    v1::ERROR_REASON_IDENTIFIER_TAKEN);
  }
  if (member->identifiers.size() >= static_cast<size_t>(kModelIdentifiersMax)) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_TOO_MANY_IDENTIFIERS);
  }
  AddIdentifier(*member, kind, canonical);
  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_LINK, request.context());
  entry.identifiers.emplace_back(kind, member->identifiers.back().stored);
  Append(*member, std::move(entry));
  Expected ok = Ok(*member);
  ok.identifiers_added = 1;
  return ok;
}

Expected Model::ApplyRules(const v1::UnlinkIdentifierRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  const v1::IdentifierKind kind = request.identifier().kind();
  const std::string canonical =
      *ModelCanonical(kind, request.identifier().value());
  auto own = std::find_if(
      member->identifiers.begin(), member->identifiers.end(),
      [&](const ModelIdentifier& identifier) {
        return identifier.kind == kind && identifier.canonical == canonical;
      });
  if (own == member->identifiers.end()) {
    return Rejected(absl::StatusCode::kNotFound,
                    v1::ERROR_REASON_IDENTIFIER_NOT_FOUND);
  }
  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_UNLINK, request.context());
  entry.identifiers.emplace_back(kind, own->stored);
  member->identifiers.erase(own);  // The others keep their order.
  identifiers_.erase({static_cast<int>(kind), canonical});
  unlinked_.emplace_back(static_cast<int>(kind), canonical);
  Append(*member, std::move(entry));
  Expected ok = Ok(*member);
  ok.identifiers_removed = 1;
  return ok;
}

Expected Model::ApplyRules(const v1::TransferPointsRequest& request,
                           const std::string&) {
  // Both members are settled (sender first) before any rule is looked at.
  Expected refused;
  MemberState* from = LoadActive(request.from_member_id(), &refused);
  if (from == nullptr) return refused;
  MemberState* to = LoadActive(request.to_member_id(), &refused);
  if (to == nullptr) return refused;
  const int64_t points = request.points();
  const Expected limit_reached =
      Rejected(absl::StatusCode::kFailedPrecondition,
               v1::ERROR_REASON_TRANSFER_LIMIT_REACHED);
  if (points > kModelTransferMaxPoints) return limit_reached;
  // The harness's clock only moves forward: a later day starts afresh.
  const int64_t today = (now_ms_ + kModelUtcOffsetMs) / kModelDayMs;
  const int64_t given_today =
      today == from->transfer_day ? from->transferred_on_day : 0;
  if (points > kModelTransferDayMaxPoints - given_today) return limit_reached;
  Totals& sender = from->points.totals;
  Totals& receiver = to->points.totals;
  if (points > sender.available) return InsufficientPoints();
  if (!FitsInt64(static_cast<Int128>(sender.transferred_out_total) + points) ||
      !GrantFits(receiver, receiver.transferred_in_total, points)) {
    return BalanceOverflow();
  }

  counts_.transfer_day_rollovers +=
      today != from->transfer_day && from->transferred_on_day > 0;
  from->transferred_on_day = given_today + points;
  from->transfer_day = today;
  sender.available -= points;
  sender.transferred_out_total += points;
  const std::vector<Lot> taken = TakeFromLots(from->points.lots, points);
  ExpectedEntry out =
      CommandEntry(*from, v1::ENTRY_KIND_TRANSFER_OUT, request.context());
  out.points_delta = -points;
  out.counterparty = to->member_id;
  out.note = request.note();
  out.transfer_day = today;
  for (const Lot& piece : taken) {
    out.transferred_lots.emplace_back(piece.points, piece.expires_at_ms);
  }
  ExpectedEntry in =
      CommandEntry(*to, v1::ENTRY_KIND_TRANSFER_IN, request.context());
  in.points_delta = points;
  in.counterparty = from->member_id;
  in.note = request.note();
  in.transferred_lots = out.transferred_lots;
  Append(*from, std::move(out));
  const uint64_t out_sequence = last_sequence_;

  // The lots arrive with their expiry, each paying off debt first, as new
  // lots named by the IN where no lot of that expiry is there yet.
  counts_.transfers_paying_debt += receiver.debt > 0;
  counts_.transfers_of_several_lots += taken.size() > 1;
  receiver.available += points;
  receiver.transferred_in_total += points;
  const uint64_t in_sequence = last_sequence_ + 1;
  for (const Lot& piece : taken) {
    Credit(to->points, in_sequence, piece.points, piece.expires_at_ms);
  }
  transfer_in_sequences_.insert(in_sequence);
  Append(*to, std::move(in));

  Expected ok = Ok(*from);
  ok.points_delta = -points;
  ok.sequence = out_sequence;
  ok.own_entry_from_end = 1;
  ok.response_entries = 2;
  ok.counterparty_id = to->member_id;
  ok.counterparty_totals = Ok(*to).totals;
  return ok;
}

Expected Model::ApplyRules(const ImportRequest& request,
                           const std::string& assigned_member_id) {
  const v1::ImportMemberRequest& row = request.message;
  const std::string card = row.card_number();
  const bool has_phone = !row.phone().empty();
  const std::string phone =
      has_phone ? *ModelCanonical(v1::IDENTIFIER_KIND_PHONE, row.phone()) : "";
  const std::string* card_owner =
      IdentifierOwner(v1::IDENTIFIER_KIND_CARD_NUMBER, card);
  const std::string* phone_owner =
      has_phone ? IdentifierOwner(v1::IDENTIFIER_KIND_PHONE, phone) : nullptr;
  // Another member's phone is refused before anything is settled.
  if (phone_owner != nullptr &&
      (card_owner == nullptr || *phone_owner != *card_owner)) {
    return Rejected(absl::StatusCode::kAlreadyExists,
                    v1::ERROR_REASON_IDENTIFIER_TAKEN);
  }
  const bool link_phone = has_phone && phone_owner == nullptr;
  const int64_t points = row.opening_points();
  MemberState* member = nullptr;
  if (card_owner != nullptr) {
    // The card's member may be closed (its card kept), never an alias
    // (a merge moves identifiers to the target).
    Expected refused;
    member = LoadActive(*card_owner, &refused);
    if (member == nullptr) return refused;
    if (link_phone && member->identifiers.size() >=
                          static_cast<size_t>(kModelIdentifiersMax)) {
      return Rejected(absl::StatusCode::kFailedPrecondition,
                      v1::ERROR_REASON_TOO_MANY_IDENTIFIERS);
    }
    if (points > 0 &&
        !GrantFits(member->totals(), member->totals().opening_total, points)) {
      return BalanceOverflow();
    }
  }

  Expected ok;
  const size_t own_from = written_.size();
  if (member == nullptr) {
    member = &NewMember(assigned_member_id);
    AddIdentifier(*member, v1::IDENTIFIER_KIND_CARD_NUMBER, card);
    if (link_phone) AddIdentifier(*member, v1::IDENTIFIER_KIND_PHONE, phone);
    ExpectedEntry entry =
        CommandEntry(*member, v1::ENTRY_KIND_ENROLL, row.context());
    entry.channel = v1::CHANNEL_ADMIN;
    for (const ModelIdentifier& identifier : member->identifiers) {
      entry.identifiers.emplace_back(identifier.kind, identifier.stored);
    }
    if (!tiers_.tiers.empty()) entry.tier_to = tiers_.tiers[0].tier_id;
    Append(*member, std::move(entry));
    ok.enrolled = true;
    ok.enrolled_member_id = member->member_id;
    ok.identifiers_added = link_phone ? 2 : 1;
  } else if (link_phone) {
    AddIdentifier(*member, v1::IDENTIFIER_KIND_PHONE, phone);
    ExpectedEntry entry =
        CommandEntry(*member, v1::ENTRY_KIND_LINK, row.context());
    entry.channel = v1::CHANNEL_ADMIN;
    entry.identifiers.emplace_back(v1::IDENTIFIER_KIND_PHONE,
                                   member->identifiers.back().stored);
    Append(*member, std::move(entry));
    ok.identifiers_added = 1;
  }
  if (points > 0) {
    // Dated by the day the points were earned (midnight in the program's
    // time zone), or now; expiring by the program's rule from then.
    const int64_t earned_at_ms =
        row.earned_on().empty() ? now_ms_ : ModelDayStartMs(row.earned_on());
    ExpectedEntry entry =
        CommandEntry(*member, v1::ENTRY_KIND_OPENING, row.context());
    entry.channel = v1::CHANNEL_ADMIN;
    entry.points_delta = points;
    entry.occurred_at_ms = earned_at_ms;
    entry.lot_expires_at_ms = ModelLotExpiresAtMs(earned_at_ms);
    Totals& totals = member->points.totals;
    totals.available += points;
    totals.opening_total += points;
    const uint64_t sequence = last_sequence_ + 1;
    Credit(member->points, sequence, points, entry.lot_expires_at_ms);
    opening_sequences_.insert(sequence);
    ok.lot_expires_at_ms = entry.lot_expires_at_ms;
    Append(*member, std::move(entry));
  }
  const Expected view = Ok(*member);
  ok.member_id = view.member_id;
  ok.totals = view.totals;
  ok.phone_linked = link_phone;
  ok.opening_points = points;
  ok.response_entries = static_cast<int>(written_.size() - own_from);
  return ok;
}

Expected Model::DryRun(const ImportRequest& request,
                       const std::string& assigned_member_id) {
  // What an import can change: the card's member (settled, linked,
  // credited) or a new member, the index entries of its card and phone,
  // the sequence and the lot bookkeeping. Kept here, put back below.
  const IdentifierKey card_key{v1::IDENTIFIER_KIND_CARD_NUMBER,
                               request.message.card_number()};
  std::vector<std::pair<IdentifierKey, std::optional<std::string>>> index;
  index.emplace_back(card_key, std::nullopt);
  if (!request.message.phone().empty()) {
    index.emplace_back(IdentifierKey{v1::IDENTIFIER_KIND_PHONE,
                                     *ModelCanonical(v1::IDENTIFIER_KIND_PHONE,
                                                     request.message.phone())},
                       std::nullopt);
  }
  for (auto& [key, owner] : index) {
    auto found = identifiers_.find(key);
    if (found != identifiers_.end()) owner = found->second;
  }
  std::optional<MemberState> card_member;
  if (index[0].second.has_value()) card_member = members_.at(*index[0].second);
  const uint64_t sequence = last_sequence_;
  const size_t members = order_.size();
  const Counts counts = counts_;
  // Settling the card's member may expire its vouchers or return its gifts.
  const auto vouchers = vouchers_;
  const auto voucher_gifts = voucher_gifts_;

  Expected outcome = ApplyRules(request, assigned_member_id);

  vouchers_ = vouchers;
  voucher_gifts_ = voucher_gifts;
  if (card_member.has_value()) {
    members_[card_member->member_id] = std::move(*card_member);
  }
  while (order_.size() > members) {
    members_.erase(order_.back());
    order_.pop_back();
  }
  for (const auto& [key, owner] : index) {
    if (owner.has_value()) {
      identifiers_[key] = *owner;
    } else {
      identifiers_.erase(key);
    }
  }
  last_sequence_ = sequence;
  opening_sequences_.erase(opening_sequences_.upper_bound(sequence),
                           opening_sequences_.end());
  counts_ = counts;
  ++counts_.dry_runs_decided;
  return outcome;
}

// ---------------------------------------------------------------------------
// Closing and merging members.

// Close: settled first; refused while points are pending or holds or
// coupon reservations open;
// the CLOSE entry takes what is available (forfeited) or writes a debt
// off, and an erasing one frees every identifier.
Expected Model::ApplyRules(const v1::CloseMemberRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  PointsState& points = member->points;
  Totals& totals = points.totals;
  // Voucher units left or gifts unclaimed hold a close up too.
  if (totals.pending != 0 || !points.holds.empty() ||
      !points.coupon_reservations.empty() || !member->voucher_dues.empty()) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_MEMBER_NOT_SETTLED);
  }
  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_CLOSE, request.context());
  entry.channel = v1::CHANNEL_ADMIN;
  entry.points_delta = -totals.available;
  entry.operator_id = request.operator_id();
  entry.reason_code = request.reason_code();
  entry.note = request.note();
  entry.personal_data_erased = request.erase_personal_data();
  std::vector<IdentifierKey> freed;
  if (request.erase_personal_data()) {
    for (const ModelIdentifier& identifier : member->identifiers) {
      entry.identifiers.emplace_back(identifier.kind, identifier.stored);
      const IdentifierKey key{identifier.kind, identifier.canonical};
      identifiers_.erase(key);
      unlinked_.push_back(key);
      freed.push_back(key);
    }
    member->identifiers.clear();
  }
  if (totals.available > 0) totals.forfeited_total += totals.available;
  totals.available = 0;
  totals.debt = 0;
  points.lots.clear();
  points.tier.evaluation_ms = 0;  // Nothing is scheduled any more.
  member->status = v1::MEMBER_STATUS_CLOSED;
  closed_.push_back(member->member_id);
  Append(*member, std::move(entry));
  Expected ok = Ok(*member);
  ok.identifiers_removed = static_cast<int>(freed.size());
  ok.identifiers_changed = std::move(freed);
  ok.response_entries = 1;
  return ok;
}

bool Model::MergeFits(const MemberState& source,
                      const MemberState& target) const {
  const Totals& s = source.totals();
  const Totals& t = target.totals();
  auto sum_fits = [](int64_t a, int64_t b) {
    return FitsInt64(static_cast<Int128>(a) + b);
  };
  if (!sum_fits(s.available, t.available) || !sum_fits(s.pending, t.pending) ||
      !sum_fits(s.held, t.held) ||
      !FitsInt64(static_cast<Int128>(s.available) + s.pending + s.held +
                 t.available + t.pending + t.held) ||
      !sum_fits(s.earned_total, t.earned_total) ||
      !sum_fits(s.redeemed_total, t.redeemed_total) ||
      !sum_fits(s.adjusted_total, t.adjusted_total) ||
      !sum_fits(s.opening_total, t.opening_total) ||
      !sum_fits(s.transferred_out_total, t.transferred_out_total) ||
      !sum_fits(s.transferred_in_total, t.transferred_in_total) ||
      !sum_fits(source.campaign_points, target.campaign_points) ||
      (source.transfer_day == target.transfer_day &&
       !sum_fits(source.transferred_on_day, target.transferred_on_day))) {
    return false;
  }
  for (const auto& [month, amount] : source.points.tier.months) {
    auto same = target.points.tier.months.find(month);
    if (same != target.points.tier.months.end() &&
        !sum_fits(amount, same->second)) {
      return false;
    }
  }
  return true;  // The expired total stops at INT64_MAX instead.
}

void Model::MoveInto(MemberState& source, MemberState& target) {
  // The source's vouchers and gifts are the target's now.
  target.voucher_dues.insert(source.voucher_dues.begin(),
                             source.voucher_dues.end());
  source.voucher_dues.clear();
  PointsState& into = target.points;
  PointsState& from = source.points;
  Totals& t = into.totals;
  const Totals& s = from.totals;
  t.available += s.available;
  t.pending += s.pending;
  t.held += s.held;
  // Available lots keep their expiry, paying the target's debt first; the
  // source's debt takes from the target's lots, the rest stays debt.
  for (const Lot& lot : from.lots) {
    Credit(into, lot.sequence, lot.points, lot.expires_at_ms);
  }
  if (s.debt > 0) {
    int64_t in_lots = 0;
    for (const Lot& lot : into.lots) in_lots += lot.points;
    const int64_t repaid = std::min(s.debt, in_lots);
    TakeFromLots(into.lots, repaid);
    t.debt += s.debt - repaid;
  }
  // Pending lots keep their maturity and EARN sequence, holds their ids.
  for (const Lot& lot : from.pending) {
    into.pending.push_back(lot);
    merged_pending_sequences_.insert(lot.sequence);
  }
  std::sort(into.pending.begin(), into.pending.end(),
            [](const Lot& a, const Lot& b) { return a.sequence < b.sequence; });
  for (const Hold& hold : from.holds) {
    into.holds.push_back(hold);
    merged_hold_sequences_.insert(hold.sequence);
  }
  std::sort(
      into.holds.begin(), into.holds.end(),
      [](const Hold& a, const Hold& b) { return a.sequence < b.sequence; });
  // Coupon reservations too: the target commits or releases them (their
  // coupons list them under their ids still).
  for (const CouponReservationState& reservation : from.coupon_reservations) {
    into.coupon_reservations.push_back(reservation);
    merged_coupon_reservations_.insert(reservation.sequence);
  }
  std::sort(into.coupon_reservations.begin(), into.coupon_reservations.end(),
            [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  t.earned_total += s.earned_total;
  t.redeemed_total += s.redeemed_total;
  t.adjusted_total += s.adjusted_total;
  t.opening_total += s.opening_total;
  t.transferred_out_total += s.transferred_out_total;
  t.transferred_in_total += s.transferred_in_total;
  t.expired_total =
      FitsInt64(static_cast<Int128>(t.expired_total) + s.expired_total)
          ? t.expired_total + s.expired_total
          : kInt64Max;
  // Qualifying amounts summed month by month, the newest months kept.
  std::map<int64_t, int64_t>& months = into.tier.months;
  for (const auto& [month, amount] : from.tier.months) months[month] += amount;
  if (!months.empty()) {
    months.erase(months.begin(),
                 months.lower_bound(months.rbegin()->first -
                                    (kModelQualifyingMonthsKept - 1)));
  }
  // Caps and limits count what the person did under either id.
  target.campaign_points += source.campaign_points;
  for (const auto& [event_id, count] : source.event_count) {
    target.event_count[event_id] += count;
  }
  for (const auto& [day_key, count] : source.event_count_by_day) {
    target.event_count_by_day[day_key] += count;
  }
  if (source.transfer_day > target.transfer_day) {
    target.transfer_day = source.transfer_day;
    target.transferred_on_day = source.transferred_on_day;
  } else if (source.transfer_day == target.transfer_day) {
    target.transferred_on_day += source.transferred_on_day;
  }
  // Offline redemptions per sale day, summed, the newest days kept.
  for (const auto& [day, points] : source.offline_days) {
    target.offline_days[day] += points;
  }
  while (target.offline_days.size() > kModelOfflineDaysKept) {
    target.offline_days.erase(target.offline_days.begin());
  }
  for (const ModelIdentifier& identifier : source.identifiers) {
    target.identifiers.push_back(identifier);
    identifiers_[{identifier.kind, identifier.canonical}] = target.member_id;
  }
  target.merged_member_ids.push_back(source.member_id);
  for (const std::string& alias : source.merged_member_ids) {
    target.merged_member_ids.push_back(alias);
  }
  // Orders move under their ids: returns name them at the target.
  for (const std::string& order_id : source.order_records) {
    merged_orders_.insert({target.member_id, order_id});
  }
  target.orders.insert(source.orders.begin(), source.orders.end());
  target.order_records.insert(source.order_records.begin(),
                              source.order_records.end());
  for (auto& [order_id, order] : source.order_state) {
    target.order_state[order_id] = std::move(order);
  }

  // The source keeps its lifetime totals and tier, as the history of its
  // id; everything that moved is gone from it.
  MemberState emptied;
  emptied.member_id = source.member_id;
  emptied.enrolled_at_ms = source.enrolled_at_ms;
  emptied.points.totals = s;
  emptied.points.totals.available = 0;
  emptied.points.totals.pending = 0;
  emptied.points.totals.held = 0;
  emptied.points.totals.debt = 0;
  emptied.points.tier.tier = from.tier.tier;
  emptied.points.tier.since_ms = from.tier.since_ms;
  emptied.stored_due_ms = source.stored_due_ms;
  emptied.status = v1::MEMBER_STATUS_MERGED;
  emptied.merged_into = target.member_id;
  source = std::move(emptied);
}

// Merge: the target as ResolveAliases left it; the source settled, then
// the target; refusals in the ledger's order; then MERGE_OUT on the source,
// MERGE_IN on the target right after it, and the TIER entries a merge may
// bring (the source's higher tier with its evaluation date, then an upgrade
// the summed window supports).
Expected Model::ApplyRules(const v1::MergeMembersRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* source = LoadActive(request.source_member_id(), &refused);
  if (source == nullptr) return refused;
  MemberState* target = LoadActive(request.target_member_id(), &refused);
  if (target == nullptr) return refused;
  if (source->identifiers.size() + target->identifiers.size() >
      static_cast<size_t>(kModelIdentifiersMax)) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_TOO_MANY_IDENTIFIERS);
  }
  for (const std::string& order_id : source->order_records) {
    if (target->order_records.count(order_id) > 0) {
      return Rejected(absl::StatusCode::kFailedPrecondition,
                      v1::ERROR_REASON_ORDER_ID_CONFLICT);
    }
  }
  if (!MergeFits(*source, *target)) return BalanceOverflow();

  auto before = std::make_shared<const MemberState>(*source);
  const Totals& moved = before->totals();
  ExpectedEntry out =
      CommandEntry(*source, v1::ENTRY_KIND_MERGE_OUT, request.context());
  ExpectedEntry in =
      CommandEntry(*target, v1::ENTRY_KIND_MERGE_IN, request.context());
  for (ExpectedEntry* entry : {&out, &in}) {
    entry->channel = v1::CHANNEL_ADMIN;
    entry->operator_id = request.operator_id();
    entry->reason_code = request.reason_code();
    entry->note = request.note();
    entry->merged_pending = moved.pending;
    entry->merged_held = moved.held;
  }
  out.points_delta = -moved.available;
  out.counterparty = target->member_id;
  in.points_delta = moved.available;
  in.counterparty = source->member_id;
  for (const ModelIdentifier& identifier : source->identifiers) {
    in.identifiers.emplace_back(identifier.kind, identifier.stored);
  }
  in.merged_source = before;

  Expected ok;
  for (const ModelIdentifier& identifier : source->identifiers) {
    ok.identifiers_changed.emplace_back(identifier.kind, identifier.canonical);
  }
  ok.identifiers_moved = static_cast<int>(source->identifiers.size());
  ok.orders_written = ok.orders_added = ok.orders_erased =
      static_cast<int>(source->order_records.size());
  const size_t own_from = written_.size();
  MoveInto(*source, *target);
  aliases_.push_back(source->member_id);
  Append(*source, std::move(out));
  const uint64_t out_sequence = last_sequence_;
  Append(*target, std::move(in));
  TierState& tier = target->points.tier;
  // Coupons issued by program rules: each TIER raising the target is
  // followed by its tier's coupon (admin channel, as the merge's entries).
  std::set<std::pair<std::string, std::string>> count_keys;
  int rule_coupons = 0;
  if (!tiers_.tiers.empty() && before->points.tier.tier > tier.tier) {
    const int from = tier.tier;
    ExpectedEntry raised =
        TierMove(tiers_, tier, before->points.tier.tier,
                 WindowAmount(tier, ModelMonthIndex(now_ms_)), now_ms_);
    raised.tier_evaluation_ms = before->points.tier.evaluation_ms;
    tier.evaluation_ms = raised.tier_evaluation_ms;
    raised.member_id = target->member_id;
    Append(*target, std::move(raised));
    rule_coupons +=
        IssueTierCoupon(*target, request.context(), v1::CHANNEL_ADMIN, from,
                        tier.tier, &count_keys);
  }
  if (const int from = MaybeUpgrade(*target); from >= 0) {
    rule_coupons +=
        IssueTierCoupon(*target, request.context(), v1::CHANNEL_ADMIN, from,
                        tier.tier, &count_keys);
  }
  counts_.rule_coupons_merge += rule_coupons;
  ok.coupons_created = rule_coupons;
  ok.coupon_count_puts = static_cast<int64_t>(count_keys.size());

  const Expected view = Ok(*target);
  ok.member_id = view.member_id;
  ok.totals = view.totals;
  ok.points_delta = -moved.available;
  ok.sequence = out_sequence;
  ok.response_entries = static_cast<int>(written_.size() - own_from);
  return ok;
}

}  // namespace loyalty::model
