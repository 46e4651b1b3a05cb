// Random commands: the retry mix and the kind table (see generator.h). The
// kinds' builders are per domain: points_generator.cc (earn, redeem,
// adjust, event, hold, capture, release, return) and members_generator.cc
// (enroll, link, unlink, transfer, import, close, merge); what they share
// is in generator_kinds.h.
//
// The limits below are the contract's (loyalty_service.proto, common.proto),
// restated here rather than taken from ledger/common/limits.h, so the test
// checks the ledger against the contract.
#include "generator.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "generator_kinds.h"

namespace loyalty::model {
namespace {

constexpr int kRequestIdLengthMax = 128;
constexpr int64_t kDayMs = 24ll * 3600 * 1000;

using v1::EnrollMemberRequest;
using v1::MemberIdentifier;
using v1::RequestContext;

// A valid request id carries printable ASCII without spaces.
bool IsValidToken(const std::string& value, size_t length_max) {
  if (value.empty() || value.size() > length_max) return false;
  for (char c : value) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// A past command's label for a retry's label, kept short: retries of
// retries would otherwise grow it without end.
std::string Origin(const Command& past) {
  constexpr size_t kLabelMax = 160;
  if (past.label.size() <= kLabelMax) return past.label;
  return past.label.substr(0, kLabelMax) + "...";
}

}  // namespace

// What the member can spend now: the balance a read shows, with what fell
// due since its last write (matured, expired, released) counted; 0 for a
// member in debt (a negative balance after a return).
int64_t Available(Generator& g, const std::string& member_id) {
  std::optional<PointsState> points =
      g.model().Projected(g.model().Resolve(member_id));
  return points.has_value() ? std::max<int64_t>(points->totals.available, 0)
                            : 0;
}

// ---------------------------------------------------------------------------
// Context malformations shared by every kind. Returns what was broken.

std::string MalformContext(Generator& g, RequestContext* context, bool admin) {
  switch (g.Uniform(0, 9)) {
    case 0:
      context->clear_request_id();
      return "context.request_id empty";
    case 1:
      context->set_request_id("rq " + context->request_id());
      return "context.request_id with a space";
    case 2:
      context->set_request_id(std::string(kRequestIdLengthMax + 1, 'r'));
      return "context.request_id 129 characters";
    case 3:
      context->set_request_id(context->request_id() + "\xc3\xa9");
      return "context.request_id not ASCII";
    case 4:
      context->set_store_id(std::string(kIdLengthMax + 1, 's'));
      return "context.store_id 65 characters";
    case 5:
      context->set_terminal_id("till 3");
      return "context.terminal_id with a space";
    case 6:
      context->set_occurred_at_ms(-1);
      return "context.occurred_at_ms negative";
    case 7:
      // A century ahead: stays invalid however far the test clock moves.
      context->set_occurred_at_ms(g.now_ms() + 36'500 * kDayMs);
      return "context.occurred_at_ms far in the future";
    case 8:
      if (admin) {
        context->set_channel(v1::CHANNEL_APP);
        return "context.channel not ADMIN on an admin request";
      }
      context->set_channel(g.Chance(0.5) ? v1::CHANNEL_UNSPECIFIED
                                         : v1::CHANNEL_ADMIN);
      return "context.channel unspecified or ADMIN on a channel request";
    default:
      if (admin) {
        context->set_channel(v1::CHANNEL_POS);
        context->set_store_id("store-001");
        return "context.channel POS on an admin request";
      }
      context->set_channel(v1::CHANNEL_POS);
      context->clear_store_id();
      return "context.store_id missing for CHANNEL_POS";
  }
}

// Changes the context's content and keeps it valid.
void MutateContext(Generator& g, RequestContext* context) {
  if (g.Chance(0.5)) {
    context->set_terminal_id(context->terminal_id() + "x");
  } else {
    context->set_occurred_at_ms(context->occurred_at_ms() == 0
                                    ? std::max<int64_t>(1, g.now_ms() - 1000)
                                    : 0);
  }
}

namespace {

// Every identifier of `request` in another random notation: the same
// content.
void Renotate(Generator& g, Request* request) {
  std::visit(
      [&](auto& r) {
        using Type = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<Type, EnrollMemberRequest>) {
          for (MemberIdentifier& identifier : *r.mutable_identifiers()) {
            identifier = g.Renotated(identifier);
          }
        } else if constexpr (std::is_same_v<Type, v1::LinkIdentifierRequest> ||
                             std::is_same_v<Type,
                                            v1::UnlinkIdentifierRequest>) {
          *r.mutable_identifier() = g.Renotated(r.identifier());
        } else if constexpr (std::is_same_v<Type, ImportRequest>) {
          if (!r.message.phone().empty()) {
            MemberIdentifier phone;
            phone.set_kind(v1::IDENTIFIER_KIND_PHONE);
            phone.set_value(r.message.phone());
            r.message.set_phone(g.Renotated(phone).value());
          }
        }
      },
      *request);
}

bool HasIdentifiers(const Request& request) {
  return request.index() == kEnrollKind || request.index() == kLinkKind ||
         request.index() == kUnlinkKind || request.index() == kImportKind;
}

// The kind table: one row per Request alternative, in variant order (each
// row is defined with its builders, in its domain's file).

constexpr const KindSpec* kKinds[] = {
    &kEnrollSpec,          &kEarnSpec,
    &kRedeemSpec,          &kAdjustSpec,
    &kEventSpec,           &kHoldSpec,
    &kCaptureSpec,         &kReleaseSpec,
    &kReturnSpec,          &kLinkSpec,
    &kUnlinkSpec,          &kTransferSpec,
    &kImportSpec,          &kCloseSpec,
    &kMergeSpec,           &kIssueCouponSpec,
    &kRedeemCouponSpec,    &kReserveCouponSpec,
    &kCommitCouponSpec,    &kReleaseCouponSpec,
    &kIssueVoucherSpec,    &kRedeemVoucherSpec,
    &kTransferVoucherSpec, &kGiftVoucherSpec,
    &kClaimGiftSpec,       &kRefundVoucherSpec,
    &kGenerateCouponSpec,  &kRedeemRewardSpec,
    &kCancelRewardSpec,
};
static_assert(std::size(kKinds) == kKindCount,
              "every Request alternative needs a row in kKinds");

}  // namespace

// ---------------------------------------------------------------------------

Generator::Generator(uint64_t seed, const Model* model, bool near_limits)
    : rng_(seed),
      codes_(seed ^ 0x636f646573ULL),  // "codes": a stream apart from rng_.
      model_(model),
      near_limits_(near_limits) {}

int64_t Generator::Uniform(int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
}

bool Generator::Chance(double p) {
  return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
}

std::string Generator::NewRequestId() {
  ++request_counter_;
  int64_t roll = Uniform(0, 99);
  if (roll < 3) return absl::StrCat("rq/~#!", request_counter_);
  if (roll < 4) {
    std::string id = absl::StrCat("rq-", request_counter_, "-");
    id.resize(kRequestIdLengthMax, 'x');
    return id;
  }
  return absl::StrCat("rq-", request_counter_);
}

std::string Generator::NewOrderId() {
  return absl::StrCat("o-", ++order_counter_);
}

std::string Generator::NewMemberId() {
  ++member_counter_;
  return Chance(0.1) ? absl::StrCat("M.x:y_z-", member_counter_)
                     : absl::StrCat("m-", member_counter_);
}

std::string Generator::PickMember() {
  const auto& members = model_->member_order();
  int64_t roll = Uniform(0, 99);
  if (members.empty() || roll < 3) {
    return absl::StrCat("ghost-", Uniform(1, 20));  // Never enrolled.
  }
  if (roll < 6) {
    // An id the generator may enroll soon: an earlier NOT_FOUND must replay
    // as NOT_FOUND even once the member exists.
    return absl::StrCat("m-", member_counter_ + Uniform(1, 3));
  }
  const auto& aliases = model_->aliases();
  if (roll < 12 && !aliases.empty()) {
    // A merged member's old id (a recent one mostly): it stands for the
    // member it was merged into.
    const int64_t count = static_cast<int64_t>(aliases.size());
    return aliases[Chance(0.7)
                       ? Uniform(std::max<int64_t>(0, count - 8), count - 1)
                       : Uniform(0, count - 1)];
  }
  int64_t size = static_cast<int64_t>(members.size());
  std::string picked =
      roll < 55 ? members[Uniform(std::max<int64_t>(0, size - 8), size - 1)]
                : members[Uniform(0, size - 1)];
  // Closed members pile up over a long run: most picks of one go to
  // another member instead, so MEMBER_CLOSED stays a small share.
  if (model_->FindMember(picked)->status == v1::MEMBER_STATUS_CLOSED &&
      Chance(0.7)) {
    picked = members[Uniform(0, size - 1)];
  }
  return picked;
}

std::string Generator::PickRich() {
  const auto& members = model_->member_order();
  if (members.empty()) return PickMember();
  std::string richest = members.back();
  auto available = [&](const std::string& id) {
    std::optional<PointsState> points = model_->Projected(id);
    return points.has_value() ? points->totals.available : -1;
  };
  for (size_t i = members.size() > 16 ? members.size() - 16 : 0;
       i < members.size(); ++i) {
    if (available(members[i]) > available(richest)) richest = members[i];
  }
  // The last rich member stays in the running as the enrollments go on.
  if (!rich_.empty() && available(rich_) > available(richest)) richest = rich_;
  rich_ = richest;
  return richest;
}

std::string Generator::NewCardNumber() {
  ++identifier_counter_;
  static const std::vector<int> kLengths = {4, 8, 16, 19, 32};
  const int length = PickFrom(*this, kLengths);
  const std::string digits = absl::StrCat(identifier_counter_);
  std::string value;
  while (static_cast<int>(value.size() + digits.size()) < length) {
    value.push_back(static_cast<char>('0' + Uniform(0, 9)));
  }
  value += digits;
  return value.substr(value.size() - length);
}

MemberIdentifier Generator::Renotated(const MemberIdentifier& identifier) {
  std::optional<std::string> canonical =
      ModelCanonical(identifier.kind(), identifier.value());
  if (!canonical.has_value()) return identifier;
  MemberIdentifier renotated = identifier;
  renotated.set_value(RenderIdentifier(identifier.kind(), *canonical, rng_));
  return renotated;
}

MemberIdentifier Generator::PickIdentifier() {
  if (!identifiers_sent_.empty() && Chance(0.15)) {
    // Maybe taken already.
    return Renotated(PickFrom(*this, identifiers_sent_));
  }
  MemberIdentifier identifier;
  const int64_t roll = Uniform(0, 99);
  if (roll < 35) {
    identifier.set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
    identifier.set_value(NewCardNumber());
  } else if (roll < 50) {
    identifier.set_kind(v1::IDENTIFIER_KIND_APP_USER_ID);
    identifier.set_value(absl::StrCat("app-user-", ++identifier_counter_));
  } else if (roll < 60) {
    identifier.set_kind(v1::IDENTIFIER_KIND_PARTNER_ACCOUNT);
    std::string account = absl::StrCat("airline:AB", ++identifier_counter_);
    if (Chance(0.2)) account.resize(kIdLengthMax, '9');  // At the limit.
    identifier.set_value(account);
  } else if (roll < 80) {
    identifier.set_kind(v1::IDENTIFIER_KIND_PHONE);
    identifier.set_value(
        PickFrom(*this, PickFrom(*this, ModelPhoneTable()).notations));
  } else {
    identifier.set_kind(v1::IDENTIFIER_KIND_EMAIL);
    identifier.set_value(RenderIdentifier(v1::IDENTIFIER_KIND_EMAIL,
                                          PickFrom(*this, EmailPool()), rng_));
  }
  identifiers_sent_.push_back(identifier);
  if (identifiers_sent_.size() > 2000) {
    identifiers_sent_[Uniform(0, 1999)] = identifiers_sent_.back();
    identifiers_sent_.pop_back();
  }
  return identifier;
}

std::string Generator::PickFullest() {
  const auto& members = model_->member_order();
  if (members.empty()) return PickMember();
  std::string fullest = members.back();
  size_t most = 0;
  for (size_t i = members.size() > 16 ? members.size() - 16 : 0;
       i < members.size(); ++i) {
    // A closed member keeps its identifiers unless erased, but links to
    // it are refused before its count matters.
    const MemberState* member = model_->FindMember(members[i]);
    if (member->status != v1::MEMBER_STATUS_ACTIVE) continue;
    const size_t count = member->identifiers.size();
    if (count > most) {
      most = count;
      fullest = members[i];
    }
  }
  // The last fullest member stays in the running as enrolments go on.
  if (!fullest_.empty() &&
      model_->FindMember(fullest_)->status == v1::MEMBER_STATUS_ACTIVE &&
      model_->FindMember(fullest_)->identifiers.size() > most) {
    fullest = fullest_;
  }
  fullest_ = fullest;
  return fullest;
}

std::string Generator::PickInDebt() {
  // In debt as of its last write: points that matured or came back from a
  // hold since may have paid it off, which only makes the choice less apt.
  const auto& members = model_->member_order();
  for (int attempt = 0; attempt < 64 && !members.empty(); ++attempt) {
    const std::string& member_id = PickFrom(*this, members);
    if (model_->FindMember(member_id)->totals().debt > 0) return member_id;
  }
  return PickMember();
}

std::string Generator::PickSender() {
  std::optional<PointsState> points;
  if (!sender_.empty()) points = model_->Projected(sender_);
  if (sender_.empty() || (!in_burst(kTransferKind) &&
                          (Chance(0.08) || (points.has_value() &&
                                            points->totals.available <= 0)))) {
    // The richest recent member (its day fills up before its points run
    // out), or a recent member with points, else anyone.
    if (Chance(0.4)) {
      sender_ = PickRich();
      return sender_;
    }
    const auto& members = model_->member_order();
    sender_ = PickMember();
    for (int attempt = 0; attempt < 8 && !members.empty(); ++attempt) {
      const std::string& candidate = members[Uniform(
          std::max<int64_t>(0, static_cast<int64_t>(members.size()) - 16),
          static_cast<int64_t>(members.size()) - 1)];
      if (model_->Projected(candidate)->totals.available > 0) {
        sender_ = candidate;
        break;
      }
    }
  }
  return sender_;
}

std::string Generator::PickOwnedCard() {
  const auto& members = model_->member_order();
  for (int attempt = 0; attempt < 4 && !members.empty(); ++attempt) {
    const int64_t size = static_cast<int64_t>(members.size());
    const std::string& member_id =
        Chance(0.5) ? members[Uniform(std::max<int64_t>(0, size - 8), size - 1)]
                    : members[Uniform(0, size - 1)];
    for (const ModelIdentifier& own :
         model_->FindMember(member_id)->identifiers) {
      if (own.kind == v1::IDENTIFIER_KIND_CARD_NUMBER) return own.canonical;
    }
  }
  return "";
}

int64_t Generator::OccurredAt() {
  int64_t roll = Uniform(0, 99);
  if (roll < 65) return 0;  // "Now".
  if (roll < 68) {
    // Exactly one return window ago, or a millisecond either side: the
    // order's points are available at once from the window's end on.
    return std::max<int64_t>(
        1, now_ms_ - kModelReturnWindowDays * kDayMs + Uniform(-1, 1));
  }
  if (roll < 90) {
    // Up to the program's age limit (the default: 72 hours), inclusive.
    return std::max<int64_t>(1, now_ms_ - Uniform(0, kModelEventAgeMaxMs));
  }
  if (roll < 92) {
    // Exactly at the age limit, or a millisecond past it (EVENT_TOO_OLD).
    return std::max<int64_t>(1, now_ms_ - kModelEventAgeMaxMs - Uniform(0, 1));
  }
  if (roll < 96) return now_ms_ + Uniform(0, kDayMs - 3'600'000);
  return Uniform(1, 1000);  // Long ago: well-formed, but too old.
}

RequestContext Generator::ChannelContext() {
  RequestContext context;
  context.set_request_id(NewRequestId());
  static const std::vector<v1::Channel> kChannels = {
      v1::CHANNEL_POS, v1::CHANNEL_APP, v1::CHANNEL_WEB, v1::CHANNEL_PARTNER};
  context.set_channel(PickFrom(*this, kChannels));
  if (context.channel() == v1::CHANNEL_POS || Chance(0.1)) {
    context.set_store_id(absl::StrCat("store-", Uniform(1, 40)));
  }
  if (Chance(0.5))
    context.set_terminal_id(absl::StrCat("till-", Uniform(1, 9)));
  context.set_occurred_at_ms(OccurredAt());
  return context;
}

RequestContext Generator::AdminContext() {
  RequestContext context;
  context.set_request_id(NewRequestId());
  if (Chance(0.5)) context.set_channel(v1::CHANNEL_ADMIN);
  if (Chance(0.2)) context.set_store_id("hq");
  if (Chance(0.2)) context.set_terminal_id("console-1");
  context.set_occurred_at_ms(OccurredAt());
  return context;
}

int Generator::PickKind() {
  int total = 0;
  for (const KindSpec* spec : kKinds) total += spec->weight;
  int64_t roll = Uniform(0, total - 1);
  for (int kind = 0; kind < kKindCount; ++kind) {
    if (roll < kKinds[kind]->weight) return kind;
    roll -= kKinds[kind]->weight;
  }
  return 0;
}

Command Generator::Fresh(int kind) {
  Command command;
  command.principal = PickFrom(*this, Principals());
  command.request = kKinds[kind]->fresh(*this);
  command.label = kKinds[kind]->name;
  return command;
}

Command Generator::Boundary(int kind) {
  Command command;
  command.principal = PickFrom(*this, Principals());
  command.request = kKinds[kind]->boundary(*this);
  command.label = absl::StrCat(kKinds[kind]->name, " near a limit");
  return command;
}

Command Generator::Malformed(int kind) {
  Command command = Fresh(kind);
  command.malformed = true;
  command.label = absl::StrCat("malformed ", kKinds[kind]->name, ": ",
                               kKinds[kind]->malform(*this, &command.request));
  return command;
}

const Command* Generator::PickPast(bool recent_bias) {
  if (recent_.empty()) return nullptr;
  if (recent_bias && Chance(0.6)) {
    return &recent_[Uniform(0, static_cast<int64_t>(recent_.size()) - 1)];
  }
  return &sample_[Uniform(0, static_cast<int64_t>(sample_.size()) - 1)];
}

void Generator::Remember(const Command& command) {
  ++sent_;
  recent_.push_back(command);
  if (recent_.size() > 24) recent_.pop_front();
  // A bounded uniform sample of every command sent (reservoir sampling).
  constexpr size_t kSampleMax = 4000;
  if (sample_.size() < kSampleMax) {
    sample_.push_back(command);
  } else {
    int64_t slot = Uniform(0, static_cast<int64_t>(sent_) - 1);
    if (slot < static_cast<int64_t>(kSampleMax)) sample_[slot] = command;
  }
  if (command.malformed && IsValidToken(ContextOf(command.request).request_id(),
                                        kRequestIdLengthMax)) {
    malformed_ids_.emplace_back(command.principal,
                                ContextOf(command.request).request_id());
    if (malformed_ids_.size() > 500)
      malformed_ids_.erase(malformed_ids_.begin());
  }
}

Command Generator::Next(int64_t now_ms, bool grouped) {
  now_ms_ = now_ms;
  Command command;
  int64_t roll = Uniform(0, 99);
  const Command* past = nullptr;
  if (burst_left_ > 0) {
    command = Fresh(static_cast<int>(burst_kind_));
    command.label += " (a burst on one member)";
    --burst_left_;
  } else if (roll < 60) {
    command = Fresh(PickKind());
  } else if (roll < 72 && (past = PickPast(true)) != nullptr) {
    command = *past;
    command.label = "retry (same id, same content) of " + Origin(*past);
    if (!past->malformed && HasIdentifiers(command.request) && Chance(0.3)) {
      Renotate(*this, &command.request);
      command.label = "retry (same id, same content in other notations) of " +
                      Origin(*past);
    }
    if (auto* import = std::get_if<ImportRequest>(&command.request);
        import != nullptr && Chance(0.4)) {
      // A dry run and a real run of one row are the same request.
      import->dry_run = !import->dry_run;
      command.label = absl::StrCat(
          "retry (same id, same content) ",
          import->dry_run ? "as a dry run" : "for real", " of ", Origin(*past));
    }
  } else if (roll < 78 && (past = PickPast(true)) != nullptr) {
    // Same principal and id, other content: the same kind changed a little,
    // or another command altogether. A malformed request is not changed
    // (the change might mend it); its id, if valid, gets a fresh command.
    const std::string& request_id = ContextOf(past->request).request_id();
    if (!past->malformed && Chance(0.6)) {
      command = *past;
      kKinds[command.request.index()]->mutate(*this, &command.request);
    } else if (!past->malformed ||
               IsValidToken(request_id, kRequestIdLengthMax)) {
      command = Fresh(PickKind());
      command.principal = past->principal;
      MutableContextOf(&command.request)->set_request_id(request_id);
    } else {
      command = Fresh(PickKind());
    }
    if (command.principal == past->principal) {
      command.label = "same id, other content than " + Origin(*past);
    }
  } else if (roll < 81 && (past = PickPast(false)) != nullptr) {
    command = *past;
    while (command.principal == past->principal) {
      command.principal = PickFrom(*this, Principals());
    }
    command.label = "same id and content, other principal, as " + Origin(*past);
  } else if (roll < 88) {
    command = Malformed(PickKind());
  } else if (roll < 91 && !malformed_ids_.empty()) {
    const auto& [principal, request_id] = PickFrom(*this, malformed_ids_);
    command = Fresh(PickKind());
    command.principal = principal;
    MutableContextOf(&command.request)->set_request_id(request_id);
    command.label += " under the id of an earlier malformed request";
  } else if (near_limits_) {
    command = Boundary(PickKind());
  } else {
    command = Fresh(PickKind());
  }
  if (auto* import = std::get_if<ImportRequest>(&command.request);
      grouped && import != nullptr && import->dry_run) {
    import->dry_run = false;  // See the file comment.
    command.label += " (for real: in a group)";
  }
  Remember(command);
  return command;
}

const std::vector<std::string>& EmailPool() {
  static const std::vector<std::string>* const kPool = [] {
    static const char* const kNames[] = {"amy",         "bo.chen", "carla_r",
                                         "dev+loyalty", "eun-ji",  "farid"};
    static const char* const kDomains[] = {"example.com", "mail.example.org",
                                           "shop.example.tw"};
    auto* pool = new std::vector<std::string>;
    for (int i = 0; i < 40; ++i) {
      pool->push_back(
          absl::StrCat(kNames[i % 6], ".", i, "@", kDomains[i % 3]));
    }
    return pool;
  }();
  return *kPool;
}

std::string RenderIdentifier(v1::IdentifierKind kind,
                             const std::string& canonical,
                             std::mt19937_64& rng) {
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  if (kind == v1::IDENTIFIER_KIND_PHONE) {
    for (const ModelPhone& phone : ModelPhoneTable()) {
      if (phone.canonical != canonical) continue;
      return phone.notations[uniform(0, phone.notations.size() - 1)];
    }
    return canonical;
  }
  if (kind != v1::IDENTIFIER_KIND_EMAIL) return canonical;
  static const char* const kSpaces[] = {"", "", "", " ", "  ", "\t", " \t"};
  std::string email = kSpaces[uniform(0, std::size(kSpaces) - 1)];
  for (char c : canonical) {
    email.push_back(uniform(0, 2) == 0 ? absl::ascii_toupper(c) : c);
  }
  return email + kSpaces[uniform(0, std::size(kSpaces) - 1)];
}

}  // namespace loyalty::model
