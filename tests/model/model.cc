// The reference model's rules (see model.h). Plain integer arithmetic with
// explicit overflow checks in Int128, so the model cannot wrap where the
// ledger must refuse.
#include "model.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace loyalty::model {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

bool FitsInt64(Int128 value) {
  return value >= kInt64Min && value <= kInt64Max;
}

Expected Rejected(absl::StatusCode code, v1::ErrorReason reason) {
  Expected expected;
  expected.code = code;
  expected.reason = reason;
  return expected;
}

Expected MemberNotFound() {
  return Rejected(absl::StatusCode::kNotFound,
                  v1::ERROR_REASON_MEMBER_NOT_FOUND);
}
Expected InsufficientPoints() {
  return Rejected(absl::StatusCode::kFailedPrecondition,
                  v1::ERROR_REASON_INSUFFICIENT_POINTS);
}
Expected BalanceOverflow() {
  return Rejected(absl::StatusCode::kFailedPrecondition,
                  v1::ERROR_REASON_BALANCE_OVERFLOW);
}
Expected InvalidArgument() {
  return Rejected(absl::StatusCode::kInvalidArgument,
                  v1::ERROR_REASON_INVALID_FIELD);
}

std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}
template <v1::EntryKind kKind>
std::string DeterministicBytes(const SettleHold<kKind>& request) {
  return DeterministicBytes(request.message);
}

std::string HoldId(uint64_t sequence) { return absl::StrCat("H", sequence); }

// "H" and a sequence without leading zeros that fits uint64, or nullopt.
std::optional<uint64_t> ParseHoldId(const std::string& hold_id) {
  if (hold_id.size() < 2 || hold_id[0] != 'H' || hold_id[1] == '0') {
    return std::nullopt;
  }
  Int128 sequence = 0;
  for (size_t i = 1; i < hold_id.size(); ++i) {
    if (hold_id[i] < '0' || hold_id[i] > '9') return std::nullopt;
    sequence = sequence * 10 + (hold_id[i] - '0');
    if (sequence > std::numeric_limits<uint64_t>::max()) return std::nullopt;
  }
  return static_cast<uint64_t>(sequence);
}

// ---------------------------------------------------------------------------
// Lots. Available lots are one per expiry date, soonest first, never (0)
// last; spending takes them in that order.

bool ExpiresBefore(int64_t a_ms, int64_t b_ms) {
  if (a_ms == 0) return false;
  return b_ms == 0 || a_ms < b_ms;
}

void AddToLot(std::vector<Lot>& lots, uint64_t sequence, int64_t points,
              int64_t expires_at_ms) {
  auto at = lots.begin();
  while (at != lots.end() && ExpiresBefore(at->expires_at_ms, expires_at_ms)) {
    ++at;
  }
  if (at != lots.end() && at->expires_at_ms == expires_at_ms) {
    at->points += points;  // Merged: keeps the sequence that opened it.
    return;
  }
  lots.insert(at, Lot{sequence, points, expires_at_ms, 0});
}

// Grants `points` into the available lots after paying off debt first.
void Credit(PointsState& p, uint64_t sequence, int64_t points,
            int64_t expires_at_ms) {
  const int64_t repaid = std::min(points, p.totals.debt);
  p.totals.debt -= repaid;
  if (points > repaid) {
    AddToLot(p.lots, sequence, points - repaid, expires_at_ms);
  }
}

// Takes `points` (at most what the lots hold), soonest expiry first.
std::vector<Lot> TakeFromLots(std::vector<Lot>& lots, int64_t points) {
  std::vector<Lot> taken;
  auto lot = lots.begin();
  while (points > 0) {
    const int64_t take = std::min(points, lot->points);
    taken.push_back(Lot{lot->sequence, take, lot->expires_at_ms, 0});
    lot->points -= take;
    points -= take;
    lot = lot->points == 0 ? lots.erase(lot) : lot + 1;
  }
  return taken;
}

// The qualifying amount of the window of `rules` that contains `month`:
// that month and the window_months - 1 before it.
int64_t WindowAmountOf(const TierProgram& rules, const TierState& tier,
                       int64_t month) {
  Int128 sum = 0;
  for (const auto& [bucket, amount] : tier.months) {
    if (bucket > month - rules.window_months && bucket <= month) sum += amount;
  }
  return FitsInt64(sum) ? static_cast<int64_t>(sum) : kInt64Max;
}

// The highest tier whose threshold `qualifying` reaches.
int SupportedOf(const TierProgram& rules, int64_t qualifying) {
  int supported = 0;
  for (size_t i = 0; i < rules.tiers.size(); ++i) {
    if (qualifying >= rules.tiers[i].threshold) supported = static_cast<int>(i);
  }
  return supported;
}

// A TIER entry (principal "system") moving `tier` to `to` at `when_ms`,
// decided on `qualifying`; applies it to `tier` (since moves to `when_ms`,
// only when the tier changes). The lowest tier is never evaluated.
ExpectedEntry TierMove(const TierProgram& rules, TierState& tier, int to,
                       int64_t qualifying, int64_t when_ms) {
  ExpectedEntry entry;
  entry.kind = v1::ENTRY_KIND_TIER;
  entry.principal = "system";
  entry.bucket = v1::BUCKET_UNSPECIFIED;  // Moves no points.
  entry.occurred_at_ms = when_ms;
  entry.tier_from = rules.tiers[tier.tier].tier_id;
  entry.tier_to = rules.tiers[to].tier_id;
  entry.qualifying_amount = qualifying;
  entry.tier_evaluation_ms =
      to == 0 ? 0
              : ModelAddCalendarMs(when_ms, rules.window_months,
                                   rules.grace_days);
  if (to != tier.tier) tier.since_ms = when_ms;
  tier.tier = to;
  tier.evaluation_ms = entry.tier_evaluation_ms;
  return entry;
}

// Applies the earliest change due by `now_ms` to `p` (a hold's timeout, a
// pending lot's maturity, the soonest lot's expiry, a tier evaluation; ties
// in that order) and returns its entry without sequence, member or time of
// recording; nullopt when nothing is due.
std::optional<ExpectedEntry> ApplyNextDue(PointsState& p, int64_t now_ms,
                                          const TierProgram& rules) {
  constexpr int64_t kNever = kInt64Max;
  auto release = p.holds.end();
  for (auto hold = p.holds.begin(); hold != p.holds.end(); ++hold) {
    if (hold->expires_at_ms <= now_ms &&
        (release == p.holds.end() ||
         hold->expires_at_ms < release->expires_at_ms)) {
      release = hold;
    }
  }
  auto mature = p.pending.end();
  for (auto lot = p.pending.begin(); lot != p.pending.end(); ++lot) {
    if (lot->matures_at_ms <= now_ms &&
        (mature == p.pending.end() ||
         lot->matures_at_ms < mature->matures_at_ms)) {
      mature = lot;
    }
  }
  const bool expire = !p.lots.empty() && p.lots.front().expires_at_ms != 0 &&
                      p.lots.front().expires_at_ms <= now_ms;
  const int64_t release_ms =
      release != p.holds.end() ? release->expires_at_ms : kNever;
  const int64_t mature_ms =
      mature != p.pending.end() ? mature->matures_at_ms : kNever;
  const int64_t expire_ms = expire ? p.lots.front().expires_at_ms : kNever;
  const int64_t evaluate_ms =
      p.tier.evaluation_ms != 0 && p.tier.evaluation_ms <= now_ms
          ? p.tier.evaluation_ms
          : kNever;

  ExpectedEntry entry;
  entry.principal = "system";
  entry.bucket = v1::BUCKET_AVAILABLE;
  Totals& t = p.totals;
  if (release != p.holds.end() && release_ms <= mature_ms &&
      release_ms <= expire_ms && release_ms <= evaluate_ms) {
    entry.kind = v1::ENTRY_KIND_RELEASE;
    entry.occurred_at_ms = release_ms;
    entry.points_delta = release->points;
    entry.hold_id = HoldId(release->sequence);
    entry.order_id = release->order_id;
    entry.hold_timed_out = true;
    t.held -= release->points;
    t.available += release->points;
    for (const Lot& piece : release->taken) {
      Credit(p, piece.sequence, piece.points, piece.expires_at_ms);
    }
    p.holds.erase(release);
    return entry;
  }
  if (mature != p.pending.end() && mature_ms <= expire_ms &&
      mature_ms <= evaluate_ms) {
    entry.kind = v1::ENTRY_KIND_MATURE;
    entry.occurred_at_ms = mature_ms;
    entry.points_delta = mature->points;
    entry.lot_sequence = mature->sequence;
    entry.lot_expires_at_ms = mature->expires_at_ms;
    t.pending -= mature->points;
    t.available += mature->points;
    Credit(p, mature->sequence, mature->points, mature->expires_at_ms);
    p.pending.erase(mature);
    return entry;
  }
  if (expire && expire_ms <= evaluate_ms) {
    const Lot lot = p.lots.front();
    entry.kind = v1::ENTRY_KIND_EXPIRE;
    entry.occurred_at_ms = expire_ms;
    entry.points_delta = -lot.points;
    entry.lot_sequence = lot.sequence;
    entry.lot_expires_at_ms = lot.expires_at_ms;
    t.available -= lot.points;
    // A lifetime figure nothing can refuse (expiry is not a request): it
    // stops at INT64_MAX.
    t.expired_total = FitsInt64(static_cast<Int128>(t.expired_total) + lot.points)
                          ? t.expired_total + lot.points
                          : kInt64Max;
    p.lots.erase(p.lots.begin());
    return entry;
  }
  if (evaluate_ms != kNever) {
    // Decided on the window at the due time (a late settlement decides as
    // a timely one would); keep or move down, never up; the next
    // evaluation is dated from the due time.
    const int64_t qualifying =
        WindowAmountOf(rules, p.tier, ModelMonthIndex(evaluate_ms));
    const int to = std::min(p.tier.tier, SupportedOf(rules, qualifying));
    return TierMove(rules, p.tier, to, qualifying, evaluate_ms);
  }
  return std::nullopt;
}

// OK when a grant of `points` keeps everything the member owns (available,
// pending and held) and the lifetime `total` it adds to within int64.
bool GrantFits(const Totals& t, int64_t total, int64_t points) {
  return FitsInt64(static_cast<Int128>(t.available) + t.pending + t.held +
                   points) &&
         FitsInt64(static_cast<Int128>(total) + points);
}

}  // namespace

int64_t ModelLotExpiresAtMs(int64_t granted_at_ms) {
  // The calendar in UTC+8: shift the instant, read the civil day in UTC,
  // and shift midnight back.
  const absl::CivilDay granted =
      absl::ToCivilDay(absl::FromUnixMillis(granted_at_ms + kModelUtcOffsetMs),
                       absl::UTCTimeZone());
  const absl::CivilDay expires(absl::CivilMonth(granted) + kModelExpiryMonths +
                               1);
  return absl::ToUnixMillis(absl::FromCivil(expires, absl::UTCTimeZone())) -
         kModelUtcOffsetMs;
}

int64_t ModelDayStartMs(absl::string_view date) {
  absl::CivilDay day;
  // The generator sends only dates it formatted itself on valid rows.
  if (!absl::ParseCivilTime(date, &day)) return kInt64Min;
  return absl::ToUnixMillis(absl::FromCivil(day, absl::UTCTimeZone())) -
         kModelUtcOffsetMs;
}

std::string ModelDateBefore(int64_t time_ms, int days) {
  const absl::CivilDay today = absl::ToCivilDay(
      absl::FromUnixMillis(time_ms + kModelUtcOffsetMs), absl::UTCTimeZone());
  return absl::FormatCivilTime(today - days);
}

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

int64_t ModelMonthIndex(int64_t time_ms) {
  return absl::CivilMonth(absl::ToCivilSecond(
             absl::FromUnixMillis(time_ms + kModelUtcOffsetMs),
             absl::UTCTimeZone())) -
         absl::CivilMonth(1970, 1);
}

int64_t ModelAddCalendarMs(int64_t time_ms, int months, int days) {
  const absl::CivilSecond at = absl::ToCivilSecond(
      absl::FromUnixMillis(time_ms + kModelUtcOffsetMs), absl::UTCTimeZone());
  const absl::CivilSecond moved(at.year(), at.month() + months,
                                at.day() + days, at.hour(), at.minute(),
                                at.second());
  return absl::ToUnixMillis(absl::FromCivil(moved, absl::UTCTimeZone())) -
         kModelUtcOffsetMs + (time_ms % 1000);
}

int64_t PointsState::NextDueMs() const {
  int64_t due = 0;
  auto consider = [&](int64_t at_ms) {
    if (at_ms != 0 && (due == 0 || at_ms < due)) due = at_ms;
  };
  for (const Hold& hold : holds) consider(hold.expires_at_ms);
  for (const Lot& lot : pending) consider(lot.matures_at_ms);
  for (const Lot& lot : lots) consider(lot.expires_at_ms);
  consider(tier.evaluation_ms);
  return due;
}

const char* KindName(const Request& request) {
  static constexpr const char* kNames[] = {
      "enroll", "earn",     "redeem",  "adjust", "event",
      "hold",   "capture",  "release", "return", "link",
      "unlink", "transfer", "import",  "close",  "merge"};
  static_assert(std::size(kNames) == kKindCount);
  return kNames[request.index()];
}

const v1::RequestContext& ContextOf(const Request& request) {
  return std::visit(
      [](const auto& r) -> const v1::RequestContext& { return r.context(); },
      request);
}

v1::RequestContext* MutableContextOf(Request* request) {
  return std::visit(
      [](auto& r) -> v1::RequestContext* { return r.mutable_context(); },
      *request);
}

const std::string& MemberIdOf(const Request& request) {
  static const std::string kNone;
  return std::visit(
      [](const auto& r) -> const std::string& {
        using Type = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<Type, v1::TransferPointsRequest>) {
          return r.from_member_id();
        } else if constexpr (std::is_same_v<Type, v1::MergeMembersRequest>) {
          return r.source_member_id();
        } else if constexpr (std::is_same_v<Type, ImportRequest>) {
          return kNone;
        } else {
          return r.member_id();
        }
      },
      request);
}

namespace {

// `identifier` with its value in the stored form, when the model can read
// it (malformed ones stay as sent).
void Canonicalize(v1::MemberIdentifier* identifier) {
  std::optional<std::string> canonical =
      ModelCanonical(identifier->kind(), identifier->value());
  if (canonical.has_value()) {
    identifier->set_value(ModelStoredValue(identifier->kind(), *canonical));
  }
}

std::string DeterministicBytes(const ImportRequest& request) {
  return DeterministicBytes(request.message);  // dry_run is not content.
}

}  // namespace

std::string ContentOf(const Request& request) {
  std::string content(1, static_cast<char>('0' + request.index()));
  content.push_back('\0');
  Request canonical = request;
  std::visit(
      [](auto& r) {
        using Type = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<Type, v1::EnrollMemberRequest>) {
          for (auto& identifier : *r.mutable_identifiers()) {
            Canonicalize(&identifier);
          }
        } else if constexpr (std::is_same_v<Type, v1::LinkIdentifierRequest> ||
                             std::is_same_v<Type,
                                            v1::UnlinkIdentifierRequest>) {
          Canonicalize(r.mutable_identifier());
        } else if constexpr (std::is_same_v<Type, ImportRequest>) {
          if (!r.message.phone().empty()) {
            v1::MemberIdentifier phone;
            phone.set_kind(v1::IDENTIFIER_KIND_PHONE);
            phone.set_value(r.message.phone());
            Canonicalize(&phone);
            r.message.set_phone(phone.value());
          }
        }
      },
      canonical);
  std::visit([&](const auto& r) { content += DeterministicBytes(r); },
             canonical);
  return content;
}

std::string Describe(const Request& request) {
  std::string text = KindName(request);
  text += " ";
  std::string body =
      std::visit([](const auto& r) { return r.ShortDebugString(); }, request);
  if (body.size() > 600) body = body.substr(0, 600) + "...";
  return text + body;
}

Model::Model(std::vector<EarnRateRule> rates, CampaignRule campaign,
             std::vector<EventRule> events, TierProgram tiers)
    : rates_(std::move(rates)),
      campaign_(std::move(campaign)),
      events_(std::move(events)),
      tiers_(std::move(tiers)) {}

int64_t Model::WindowAmount(const TierState& tier, int64_t month) const {
  return WindowAmountOf(tiers_, tier, month);
}

int Model::SupportedTier(int64_t qualifying) const {
  return SupportedOf(tiers_, qualifying);
}

int64_t Model::TierExtra(int tier, int64_t base, int64_t granted) const {
  if (tiers_.tiers.empty()) return 0;
  const int32_t percent = tiers_.tiers[tier].multiplier_percent;
  if (percent <= 100) return 0;
  const Int128 extra = static_cast<Int128>(base) * (percent - 100) / 100;
  // Capped so the earn stays within int64 (it is then refused anyway
  // unless the member has nothing).
  return static_cast<int64_t>(
      std::min<Int128>(extra, static_cast<Int128>(kInt64Max) - granted));
}

v1::TierStatus Model::TierStatusOf(const PointsState& points) const {
  v1::TierStatus status;
  if (tiers_.tiers.empty()) return status;
  const TierState& tier = points.tier;
  const int64_t qualifying = WindowAmount(tier, ModelMonthIndex(now_ms_));
  const TierRule& current = tiers_.tiers[tier.tier];
  status.set_tier_id(current.tier_id);
  status.set_display_name(current.display_name);
  status.set_since_ms(tier.since_ms);
  status.set_qualifying_amount(qualifying);
  if (static_cast<size_t>(tier.tier) + 1 < tiers_.tiers.size()) {
    const TierRule& next = tiers_.tiers[tier.tier + 1];
    status.set_next_tier_id(next.tier_id);
    status.set_to_next_tier(std::max<int64_t>(0, next.threshold - qualifying));
  }
  status.set_evaluation_ms(tier.evaluation_ms);
  status.set_supported_tier_id(
      tiers_.tiers[SupportedTier(qualifying)].tier_id);
  return status;
}

void Model::AddQualifying(MemberState& member, int64_t month, int64_t delta) {
  if (delta == 0) return;
  std::map<int64_t, int64_t>& months = member.points.tier.months;
  months[month] += delta;
  const int64_t oldest_kept =
      months.rbegin()->first - (kModelQualifyingMonthsKept - 1);
  months.erase(months.begin(), months.lower_bound(oldest_kept));
}

void Model::MaybeUpgrade(MemberState& member) {
  if (tiers_.tiers.empty()) return;
  TierState& tier = member.points.tier;
  const int64_t qualifying = WindowAmount(tier, ModelMonthIndex(now_ms_));
  const int supported = SupportedTier(qualifying);
  if (supported <= tier.tier) return;
  ExpectedEntry entry =
      TierMove(tiers_, tier, supported, qualifying, now_ms_);
  entry.member_id = member.member_id;
  Append(member, std::move(entry));
}

const EventRule* Model::FindEvent(const std::string& event_id) const {
  for (const EventRule& event : events_) {
    if (event.event_id == event_id) return &event;
  }
  return nullptr;
}

const MemberState* Model::FindMember(const std::string& member_id) const {
  auto it = members_.find(member_id);
  return it == members_.end() ? nullptr : &it->second;
}

std::optional<PointsState> Model::Projected(
    const std::string& member_id) const {
  const MemberState* member = FindMember(member_id);
  if (member == nullptr) return std::nullopt;
  PointsState points = member->points;
  // As if written now.
  while (ApplyNextDue(points, now_ms_, tiers_).has_value()) {
  }
  return points;
}

Totals Model::Snapshot(const PointsState& points) const {
  Totals totals = points.totals;
  totals.next_expiring.clear();
  for (const Lot& lot : points.lots) {
    if (lot.expires_at_ms == 0 ||
        totals.next_expiring.size() >= kModelNextExpiringShown) {
      break;
    }
    totals.next_expiring.emplace_back(lot.expires_at_ms, lot.points);
  }
  totals.as_of_ms = now_ms_;
  return totals;
}

const std::string* Model::IdentifierOwner(v1::IdentifierKind kind,
                                          const std::string& canonical) const {
  auto found = identifiers_.find({static_cast<int>(kind), canonical});
  return found == identifiers_.end() ? nullptr : &found->second;
}

bool Model::RequestRemembered(const std::string& principal,
                              const std::string& request_id) const {
  return requests_.count({principal, request_id}) > 0;
}

std::optional<Model::EarnPoints> Model::ComputeEarn(
    const v1::EarnRequest& request) const {
  const EarnRateRule* rate = nullptr;
  for (const EarnRateRule& candidate : rates_) {
    if (candidate.currency == request.currency()) rate = &candidate;
  }
  if (rate == nullptr) return std::nullopt;  // Not a program currency.
  // Line totals are summed first; any int64 overflow is INVALID_ARGUMENT.
  Int128 total = 0;
  for (const v1::BasketLine& line : request.lines()) {
    Int128 line_total =
        static_cast<Int128>(line.quantity()) * line.unit_price_minor();
    if (!FitsInt64(line_total)) return std::nullopt;
    total += line_total;
    if (!FitsInt64(total)) return std::nullopt;
  }
  Int128 points = (total / rate->spend_minor_per_step) *
                  static_cast<Int128>(rate->points_per_step);
  int64_t campaign_points = 0;
  if (campaign_.bonus_points > 0 &&
      request.context().channel() == campaign_.channel) {
    campaign_points = campaign_.bonus_points;
    points += campaign_points;
  }
  if (!FitsInt64(points)) return std::nullopt;
  return EarnPoints{static_cast<int64_t>(total), static_cast<int64_t>(points),
                    campaign_points};
}

int64_t Model::GrantedPoints(const MemberState& member,
                             const EarnPoints& earn) const {
  int64_t bonus = std::min({earn.campaign_points,
                            campaign_.member_cap_points - member.campaign_points,
                            campaign_.budget_points - campaign_points_total_});
  bonus = std::max<int64_t>(bonus, 0);
  return earn.points - earn.campaign_points + bonus;
}

Expected Model::Apply(const Command& command,
                      const std::string& assigned_member_id) {
  // Malformed requests are refused before anything is looked up.
  if (command.malformed) return InvalidArgument();
  if (const auto* earn = std::get_if<v1::EarnRequest>(&command.request)) {
    if (!ComputeEarn(*earn).has_value()) return InvalidArgument();
  }
  if (const auto* event =
          std::get_if<v1::RecordEventRequest>(&command.request)) {
    // An event the program lacks, or one this channel may not record.
    const EventRule* rule = FindEvent(event->event_id());
    if (rule == nullptr) return InvalidArgument();
    if (rule->only_channel != v1::CHANNEL_UNSPECIFIED &&
        event->context().channel() != rule->only_channel) {
      return InvalidArgument();
    }
  }

  const std::pair<std::string, std::string> key{
      command.principal, ContextOf(command.request).request_id()};
  std::string content = ContentOf(command.request);
  auto earlier = requests_.find(key);
  if (earlier != requests_.end()) {
    if (earlier->second.content != content) {
      return Rejected(absl::StatusCode::kAlreadyExists,
                      v1::ERROR_REASON_REQUEST_ID_REUSED);
    }
    Expected replay = earlier->second.outcome;
    replay.replayed = true;
    replay.effect = Effect::kNothing;
    replay.identifiers_added = 0;
    replay.identifiers_removed = 0;
    replay.identifiers_moved = 0;
    replay.identifiers_changed.clear();
    replay.orders_erased = 0;
    replay.orders_added = 0;
    replay.orders_written = 0;
    replay.enrolled_member_id.clear();
    return replay;
  }

  command_ = &command;
  written_.clear();
  written_members_.clear();
  if (const auto* import = std::get_if<ImportRequest>(&command.request);
      import != nullptr && import->dry_run) {
    // Decided on the state as it is, then forgotten: not remembered, no
    // schedule moved.
    Expected outcome = DryRun(*import, assigned_member_id);
    command_ = nullptr;
    outcome.effect = Effect::kNothing;
    outcome.dry_run = true;
    outcome.entries = std::move(written_);
    return outcome;
  }
  // Ids naming aliases mean the members they resolve to, before anything
  // else is looked at.
  Request resolved = command.request;
  bool renamed = false;
  std::optional<Expected> refused = ResolveAliases(&resolved, &renamed);
  Expected outcome = refused.has_value()
                         ? *refused
                         : std::visit(
                               [&](const auto& r) {
                                 return ApplyRules(r, assigned_member_id);
                               },
                               resolved);
  counts_.alias_commands += renamed && outcome.code == absl::StatusCode::kOk;
  command_ = nullptr;
  outcome.effect = outcome.code == absl::StatusCode::kOk ? Effect::kApplied
                                                         : Effect::kRemembered;
  requests_[key] = Remembered{std::move(content), outcome};
  outcome.entries = std::move(written_);
  for (const std::string& member_id : written_members_) {
    Reschedule(members_.at(member_id), &outcome.schedule_moves);
  }
  return outcome;
}

SweepExpected Model::Sweep(int members_max) {
  // The schedule as stored: (due time, member id), soonest first.
  std::vector<std::pair<int64_t, std::string>> due;
  for (const auto& [member_id, member] : members_) {
    if (member.stored_due_ms != 0 && member.stored_due_ms <= now_ms_) {
      due.emplace_back(member.stored_due_ms, member_id);
    }
  }
  std::sort(due.begin(), due.end());
  SweepExpected swept;
  swept.more = due.size() > static_cast<size_t>(members_max);
  if (swept.more) due.resize(members_max);
  written_.clear();
  written_members_.clear();
  for (const auto& [due_ms, member_id] : due) {
    const size_t before = written_.size();
    LoadSettled(member_id);
    swept.members_settled += written_.size() > before;
  }
  swept.entries_written = written_.size();
  swept.entries = std::move(written_);
  for (const std::string& member_id : written_members_) {
    Reschedule(members_.at(member_id), &swept.schedule_moves);
  }
  return swept;
}

void Model::Reschedule(MemberState& member, std::vector<ScheduleMove>* moves) {
  const int64_t due_ms = member.points.NextDueMs();
  if (due_ms == member.stored_due_ms) return;
  moves->push_back(
      ScheduleMove{member.member_id, member.stored_due_ms, due_ms});
  scheduled_ += (due_ms != 0);
  scheduled_ -= (member.stored_due_ms != 0);
  member.stored_due_ms = due_ms;
}

MemberState* Model::LoadSettled(const std::string& member_id) {
  auto it = members_.find(member_id);
  if (it == members_.end()) return nullptr;
  MemberState& member = it->second;
  while (std::optional<ExpectedEntry> due =
             ApplyNextDue(member.points, now_ms_, tiers_)) {
    due->member_id = member_id;
    if (due->kind == v1::ENTRY_KIND_EXPIRE) {
      counts_.transferred_lots_expired +=
          transfer_in_sequences_.count(due->lot_sequence);
      counts_.openings_expired += opening_sequences_.count(due->lot_sequence);
    } else if (due->kind == v1::ENTRY_KIND_MATURE) {
      counts_.merged_pending_matured +=
          merged_pending_sequences_.count(due->lot_sequence);
    } else if (due->kind == v1::ENTRY_KIND_RELEASE) {
      counts_.merged_holds_settled +=
          merged_hold_sequences_.count(ParseHoldId(due->hold_id).value_or(0));
    }
    Append(member, std::move(*due));
  }
  return &member;
}

ExpectedEntry Model::CommandEntry(const MemberState& member, v1::EntryKind kind,
                                  const v1::RequestContext& context) const {
  ExpectedEntry entry;
  entry.member_id = member.member_id;
  entry.kind = kind;
  entry.principal = command_->principal;
  entry.request_id = context.request_id();
  entry.channel = context.channel();
  entry.store_id = context.store_id();
  entry.terminal_id = context.terminal_id();
  entry.occurred_at_ms =
      context.occurred_at_ms() != 0 ? context.occurred_at_ms() : now_ms_;
  return entry;
}

void Model::Append(MemberState& member, ExpectedEntry entry) {
  Totals& totals = member.points.totals;
  entry.sequence = ++last_sequence_;
  entry.recorded_at_ms = now_ms_;
  entry.available_after = totals.available;
  entry.pending_after = totals.pending;
  entry.held_after = totals.held;
  entry.debt_after = totals.debt;
  totals.entry_count += 1;
  totals.last_sequence = entry.sequence;
  if (std::find(written_members_.begin(), written_members_.end(),
                member.member_id) == written_members_.end()) {
    written_members_.push_back(member.member_id);
  }
  written_.push_back(std::move(entry));
}

Expected Model::Ok(const MemberState& member) const {
  Expected ok;
  ok.member_id = member.member_id;
  if (!written_.empty()) {
    ok.points_delta = written_.back().points_delta;
    ok.sequence = written_.back().sequence;
  }
  // The response's balance is the member projected as of now: a lot the
  // command created already expired (an old order time), or a hold
  // released into an expired lot, counts as expired.
  PointsState projected = member.points;
  while (ApplyNextDue(projected, now_ms_, tiers_).has_value()) {
  }
  ok.totals = Snapshot(projected);
  return ok;
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

void Model::WriteOrder(MemberState& member, const std::string& order_id,
                       Expected* ok) {
  ok->orders_written = 1;
  if (member.order_records.insert(order_id).second) {
    ok->orders_added = 1;
    ++order_records_total_;
  }
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

Expected Model::ApplyRules(const v1::EarnRequest& request, const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  Totals& totals = member->points.totals;
  if (member->orders.count(request.order_id())) {
    return Rejected(absl::StatusCode::kAlreadyExists,
                    v1::ERROR_REASON_ORDER_ALREADY_EARNED);
  }
  // Apply checked ComputeEarn already.
  const EarnPoints earn = *ComputeEarn(request);
  const int64_t granted = GrantedPoints(*member, earn);
  // What qualifies is counted before the tier's own extra, which is the
  // member's tier (settled at now) applied to the base line.
  const int64_t base = earn.points - earn.campaign_points;
  const int64_t qualifying = tiers_.tiers.empty() ? 0 : granted;
  const int64_t extra = TierExtra(member->points.tier.tier, base, granted);
  const int64_t points = granted + extra;
  if (!GrantFits(totals, totals.earned_total, points)) return BalanceOverflow();
  const int64_t bonus = granted - base;
  member->campaign_points += bonus;
  campaign_points_total_ += bonus;
  totals.earned_total += points;
  member->orders.insert(request.order_id());

  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_EARN, request.context());
  entry.points_delta = points;
  entry.order_id = request.order_id();
  // The lot is dated by the order time; it waits out the return window
  // unless the order is older than that.
  const int64_t order_time_ms = entry.occurred_at_ms;
  entry.lot_expires_at_ms = ModelLotExpiresAtMs(order_time_ms);
  if (!tiers_.tiers.empty()) {
    entry.qualifying_delta = qualifying;
    entry.qualifying_month = ModelMonthIndex(order_time_ms);
    if (extra > 0) {
      entry.tier_line_id = tiers_.tiers[member->points.tier.tier].tier_id;
      entry.tier_line_points = extra;
    }
  }
  const int64_t matures_at_ms =
      order_time_ms + kModelReturnWindowDays * kModelDayMs;
  const uint64_t sequence = last_sequence_ + 1;
  if (matures_at_ms > now_ms_) {
    entry.bucket = v1::BUCKET_PENDING;
    entry.matures_at_ms = matures_at_ms;
    totals.pending += points;
    if (points > 0) {
      member->points.pending.push_back(
          Lot{sequence, points, entry.lot_expires_at_ms, matures_at_ms});
    }
  } else {
    totals.available += points;
    if (points > 0) {
      Credit(member->points, sequence, points, entry.lot_expires_at_ms);
    }
  }
  OrderState& order = member->order_state[request.order_id()];
  order.earn_sequence = sequence;
  order.spend_minor = earn.spend_minor;
  order.points = points;
  order.qualifying = entry.qualifying_delta;
  order.qualifying_month = entry.qualifying_month;
  for (const v1::BasketLine& line : request.lines()) {
    order.lines.push_back(
        OrderLine{line.sku(), line.quantity(), line.unit_price_minor(), 0});
  }
  AddQualifying(*member, entry.qualifying_month, entry.qualifying_delta);
  Append(*member, std::move(entry));
  // An upgrade happens at once, after the EARN; its multiplier applies from
  // the next earn.
  const uint64_t earn_sequence = last_sequence_;
  MaybeUpgrade(*member);
  Expected ok = Ok(*member);
  ok.points_delta = points;
  ok.sequence = earn_sequence;
  ok.own_entry_from_end = last_sequence_ == earn_sequence ? 0 : 1;
  ok.spend_minor = earn.spend_minor;
  WriteOrder(*member, request.order_id(), &ok);
  return ok;
}

Expected Model::ApplyRules(const v1::RecordEventRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  Totals& totals = member->points.totals;
  const EventRule& rule = *FindEvent(request.event_id());  // Apply checked.
  const int64_t at_ms = request.context().occurred_at_ms() != 0
                            ? request.context().occurred_at_ms()
                            : now_ms_;
  if (at_ms < rule.starts_at_ms ||
      (rule.ends_at_ms != 0 && at_ms >= rule.ends_at_ms)) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_EVENT_NOT_ACTIVE);
  }
  // The harness's clock only moves forward, so "today" is simply today.
  const int64_t today = (now_ms_ + kModelUtcOffsetMs) / kModelDayMs;
  const std::pair<std::string, int64_t> day_key{rule.event_id, today};
  if ((rule.max_per_member != 0 &&
       member->event_count[rule.event_id] >= rule.max_per_member) ||
      (rule.max_per_day != 0 &&
       member->event_count_by_day[day_key] >= rule.max_per_day)) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_EVENT_LIMIT_REACHED);
  }
  if (!GrantFits(totals, totals.earned_total, rule.points)) {
    return BalanceOverflow();
  }
  member->event_count[rule.event_id] += 1;
  member->event_count_by_day[day_key] += 1;
  totals.earned_total += rule.points;
  totals.available += rule.points;

  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_EVENT, request.context());
  entry.points_delta = rule.points;
  entry.event_day = today;
  entry.lot_expires_at_ms = ModelLotExpiresAtMs(at_ms);  // The event's time.
  Credit(member->points, last_sequence_ + 1, rule.points,
         entry.lot_expires_at_ms);
  Append(*member, std::move(entry));
  return Ok(*member);
}

Expected Model::ApplyRules(const v1::RedeemRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  Totals& totals = member->points.totals;
  if (request.points() > totals.available) return InsufficientPoints();
  if (!FitsInt64(static_cast<Int128>(totals.redeemed_total) +
                 request.points())) {
    return BalanceOverflow();
  }
  totals.redeemed_total += request.points();
  totals.available -= request.points();
  TakeFromLots(member->points.lots, request.points());
  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_REDEEM, request.context());
  entry.points_delta = -request.points();
  entry.order_id = request.order_id();
  Append(*member, std::move(entry));
  Expected ok = Ok(*member);
  if (!request.order_id().empty()) {
    WriteOrder(*member, request.order_id(), &ok);  // Redeemed on the order.
    member->order_state[request.order_id()].redeemed += request.points();
  }
  return ok;
}

Expected Model::ApplyRules(const v1::AdjustRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  Totals& totals = member->points.totals;
  const int64_t delta = request.points_delta();
  if (delta < 0 && -delta > totals.available) return InsufficientPoints();
  if (delta > 0
          ? !GrantFits(totals, totals.adjusted_total, delta)
          : !FitsInt64(static_cast<Int128>(totals.adjusted_total) + delta)) {
    return BalanceOverflow();
  }
  totals.adjusted_total += delta;
  totals.available += delta;
  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_ADJUST, request.context());
  entry.channel = v1::CHANNEL_ADMIN;
  entry.points_delta = delta;
  entry.note = request.note();
  entry.operator_id = request.operator_id();
  entry.reason_code = request.reason_code();
  if (delta > 0) {
    // A credit is a lot dated by when the operator made it.
    entry.lot_expires_at_ms = ModelLotExpiresAtMs(now_ms_);
    Credit(member->points, last_sequence_ + 1, delta, entry.lot_expires_at_ms);
  } else {
    TakeFromLots(member->points.lots, -delta);
  }
  Append(*member, std::move(entry));
  return Ok(*member);
}

Expected Model::ApplyRules(const v1::HoldPointsRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  PointsState& points = member->points;
  Totals& totals = points.totals;
  if (points.holds.size() >= static_cast<size_t>(kModelHoldsPerMember)) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_TOO_MANY_HOLDS);
  }
  if (request.points() > totals.available) return InsufficientPoints();
  // A hold counts as redeemed once captured: that total must have room.
  if (!FitsInt64(static_cast<Int128>(totals.redeemed_total) +
                 request.points())) {
    return BalanceOverflow();
  }
  const uint64_t sequence = last_sequence_ + 1;
  Hold hold;
  hold.sequence = sequence;
  hold.points = request.points();
  // The server's clock: a client's occurred_at may be old.
  hold.expires_at_ms = now_ms_ + request.timeout_ms();
  hold.order_id = request.order_id();
  hold.taken = TakeFromLots(points.lots, request.points());
  totals.available -= request.points();
  totals.held += request.points();

  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_HOLD, request.context());
  entry.points_delta = -request.points();
  entry.order_id = request.order_id();
  entry.hold_id = HoldId(sequence);
  entry.hold_expires_at_ms = hold.expires_at_ms;
  points.holds.push_back(std::move(hold));
  holds_made_.emplace_back(sequence, member->member_id);
  Append(*member, std::move(entry));
  return Ok(*member);
}

Expected Model::ApplyRules(const CaptureRequest& request, const std::string&) {
  return Settle(request.message, /*capture=*/true);
}

Expected Model::ApplyRules(const ReleaseRequest& request, const std::string&) {
  return Settle(request.message, /*capture=*/false);
}

Expected Model::Settle(const v1::SettleHoldRequest& request, bool capture) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  PointsState& points = member->points;
  Totals& totals = points.totals;
  auto hold = std::find_if(points.holds.begin(), points.holds.end(),
                           [&](const Hold& open) {
                             return HoldId(open.sequence) == request.hold_id();
                           });
  if (hold == points.holds.end()) {
    // A HOLD of this member once (captured, released, timed out), or not.
    std::optional<uint64_t> sequence = ParseHoldId(request.hold_id());
    if (!sequence.has_value()) return InvalidArgument();  // Not generated.
    auto made = std::lower_bound(
        holds_made_.begin(), holds_made_.end(), *sequence,
        [](const auto& item, uint64_t key) { return item.first < key; });
    // A HOLD of this member, or of one merged into it (its holds moved
    // here, open or not).
    if (made != holds_made_.end() && made->first == *sequence &&
        (made->second == member->member_id ||
         std::count(member->merged_member_ids.begin(),
                    member->merged_member_ids.end(), made->second) > 0)) {
      return Rejected(absl::StatusCode::kFailedPrecondition,
                      v1::ERROR_REASON_HOLD_NOT_ACTIVE);
    }
    return Rejected(absl::StatusCode::kNotFound,
                    v1::ERROR_REASON_HOLD_NOT_FOUND);
  }
  ExpectedEntry entry = CommandEntry(
      *member, capture ? v1::ENTRY_KIND_CAPTURE : v1::ENTRY_KIND_RELEASE,
      request.context());
  entry.hold_id = request.hold_id();
  entry.order_id = hold->order_id;
  if (capture) {
    if (!FitsInt64(static_cast<Int128>(totals.redeemed_total) + hold->points)) {
      return BalanceOverflow();
    }
    totals.redeemed_total += hold->points;
    totals.held -= hold->points;
    entry.bucket = v1::BUCKET_HELD;
    entry.points_delta = -hold->points;
  } else {
    // The points go back with the expiry they had.
    totals.held -= hold->points;
    totals.available += hold->points;
    for (const Lot& piece : hold->taken) {
      Credit(points, piece.sequence, piece.points, piece.expires_at_ms);
    }
    entry.points_delta = hold->points;
  }
  const std::string order_id = hold->order_id;
  counts_.merged_holds_settled += merged_hold_sequences_.count(hold->sequence);
  points.holds.erase(hold);
  Append(*member, std::move(entry));
  Expected ok = Ok(*member);
  if (capture && !order_id.empty()) {
    WriteOrder(*member, order_id, &ok);  // Redeemed on the order.
    member->order_state[order_id].redeemed += -ok.points_delta;
  }
  return ok;
}

namespace {
// floor(a x b / c), a, b >= 0, b <= c, c > 0.
int64_t ShareOf(int64_t a, int64_t b, int64_t c) {
  return static_cast<int64_t>(static_cast<Int128>(a) * b / c);
}
}  // namespace

// Return (orders.h in the contract's words): the cumulative share of the
// order's value returned decides the points due back (pending lot of the
// order first, then available down to the floor, the rest forgiven) and
// the points redeemed on the order given back as a RESTORE.
Expected Model::ApplyRules(const v1::ReturnRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  auto found = member->order_state.find(request.order_id());
  if (found == member->order_state.end() || found->second.earn_sequence == 0) {
    return Rejected(absl::StatusCode::kNotFound,
                    v1::ERROR_REASON_ORDER_NOT_FOUND);
  }
  OrderState& order = found->second;
  const Expected exceeds = Rejected(absl::StatusCode::kFailedPrecondition,
                                    v1::ERROR_REASON_RETURN_EXCEEDS_ORDER);
  std::vector<OrderLine> lines = order.lines;
  int64_t value = 0;
  if (request.lines_size() > 0) {
    for (const v1::ReturnLine& returned : request.lines()) {
      int64_t left = returned.quantity();
      bool bought = false;
      for (OrderLine& line : lines) {
        if (line.sku != returned.sku()) continue;
        bought = true;
        const int64_t take =
            std::min(left, line.quantity - line.returned_quantity);
        line.returned_quantity += take;
        left -= take;
        value += take * line.unit_price_minor;
      }
      if (!bought || left > 0) return exceeds;
    }
  } else {
    value = request.amount_minor();
    if (value > order.spend_minor - order.returned_value) return exceeds;
  }
  const int64_t value_cum = order.returned_value + value;
  if (value_cum > order.spend_minor) return exceeds;
  int64_t due = 0;
  if (order.spend_minor > 0) {
    due = std::max<int64_t>(
        0, ShareOf(order.points, value_cum, order.spend_minor) - order.reversed);
  }
  int64_t restore = 0;
  if (order.spend_minor > 0) {
    restore = std::max<int64_t>(
        0, ShareOf(order.redeemed, value_cum, order.spend_minor) -
               order.restored);
  }
  PointsState& points = member->points;
  Totals& totals = points.totals;
  auto pending_lot =
      std::find_if(points.pending.begin(), points.pending.end(),
                   [&](const Lot& lot) { return lot.sequence == order.earn_sequence; });
  const int64_t order_pending =
      pending_lot != points.pending.end() ? pending_lot->points : 0;
  const int64_t from_pending = std::min(due, order_pending);
  const int64_t rest = due - from_pending;
  const int64_t room =
      std::max<int64_t>(0, totals.available - kModelNegativeFloorPoints);
  const int64_t from_available = std::min(rest, room);
  const int64_t forgiven = rest - from_available;

  if (from_pending > 0) {
    pending_lot->points -= from_pending;
    if (pending_lot->points == 0) points.pending.erase(pending_lot);
    totals.pending -= from_pending;
  }
  if (from_available > 0) {
    int64_t in_lots = 0;
    for (const Lot& lot : points.lots) in_lots += lot.points;
    const int64_t from_lots = std::min(from_available, in_lots);
    TakeFromLots(points.lots, from_lots);
    totals.debt += from_available - from_lots;
    totals.available -= from_available;
  }
  totals.earned_total -= from_pending + from_available;
  // The returned share of what the order qualified, from its month, as far
  // as that month's amount goes.
  int64_t qualifying_back = 0;
  if (order.spend_minor > 0 && order.qualifying > 0) {
    const int64_t share =
        ShareOf(order.qualifying, value_cum, order.spend_minor) -
        ShareOf(order.qualifying, order.returned_value, order.spend_minor);
    auto month = points.tier.months.find(order.qualifying_month);
    qualifying_back = std::min(
        share, month == points.tier.months.end() ? 0 : month->second);
  }
  order.lines = std::move(lines);
  order.returned_value = value_cum;
  order.reversed += due;

  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_RETURN, request.context());
  entry.order_id = request.order_id();
  entry.points_delta = -from_available;
  entry.pending_reversed = from_pending;
  entry.forgiven = forgiven;
  entry.lot_sequence = order.earn_sequence;
  if (!tiers_.tiers.empty()) {
    entry.qualifying_month = order.qualifying_month;
    entry.qualifying_delta = -qualifying_back;
    AddQualifying(*member, order.qualifying_month, -qualifying_back);
  }
  Append(*member, std::move(entry));
  const uint64_t return_sequence = last_sequence_;

  int64_t restored = 0;
  if (restore > 0 &&
      FitsInt64(static_cast<Int128>(totals.available) + totals.pending +
                totals.held + restore)) {
    restored = restore;
    order.restored += restore;
    totals.redeemed_total -= restore;
    totals.available += restore;
    ExpectedEntry back =
        CommandEntry(*member, v1::ENTRY_KIND_RESTORE, request.context());
    back.order_id = request.order_id();
    back.points_delta = restore;
    back.lot_expires_at_ms = ModelLotExpiresAtMs(now_ms_);  // Server now.
    Credit(points, last_sequence_ + 1, restore, back.lot_expires_at_ms);
    Append(*member, std::move(back));
  }
  Expected ok = Ok(*member);
  ok.points_delta = -from_available;
  ok.sequence = return_sequence;
  ok.own_entry_from_end = restored > 0 ? 1 : 0;
  ok.points_reversed = from_pending + from_available;
  ok.points_forgiven = forgiven;
  ok.points_restored = restored;
  WriteOrder(*member, request.order_id(), &ok);
  counts_.merged_orders_returned +=
      merged_orders_.count({member->member_id, request.order_id()});
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

  Expected outcome = ApplyRules(request, assigned_member_id);

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
// Closing and merging members; aliases.

std::string Model::Resolve(const std::string& member_id) const {
  std::string resolved = member_id;
  // A merge's target is never an alias, so a chain ends; its length is at
  // most the number of merges.
  for (const MemberState* member = FindMember(resolved);
       member != nullptr && member->status == v1::MEMBER_STATUS_MERGED;
       member = FindMember(resolved)) {
    resolved = member->merged_into;
  }
  return resolved;
}

std::optional<Expected> Model::ResolveAliases(Request* request,
                                              bool* renamed) const {
  *renamed = false;
  auto resolve = [&](std::string* member_id) {
    std::string resolved = Resolve(*member_id);
    if (resolved == *member_id) return;
    *member_id = std::move(resolved);
    *renamed = true;
  };
  const Expected merged = Rejected(absl::StatusCode::kFailedPrecondition,
                                   v1::ERROR_REASON_MEMBER_MERGED);
  std::optional<Expected> refused;
  std::visit(
      [&](auto& r) {
        using Type = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<Type, v1::TransferPointsRequest>) {
          resolve(r.mutable_from_member_id());
          resolve(r.mutable_to_member_id());
          if (r.from_member_id() == r.to_member_id()) refused = merged;
        } else if constexpr (std::is_same_v<Type, v1::MergeMembersRequest>) {
          // The source must be named as itself; the target may be an
          // alias of the member to merge into, but not of the source.
          resolve(r.mutable_target_member_id());
          if (r.target_member_id() == r.source_member_id()) refused = merged;
        } else if constexpr (std::is_same_v<Type, v1::EnrollMemberRequest> ||
                             std::is_same_v<Type, v1::CloseMemberRequest> ||
                             std::is_same_v<Type, ImportRequest>) {
          // A new id; an alias is no member to close; found by card.
        } else if constexpr (std::is_same_v<Type, CaptureRequest> ||
                             std::is_same_v<Type, ReleaseRequest>) {
          resolve(r.message.mutable_member_id());
        } else {
          resolve(r.mutable_member_id());
        }
      },
      *request);
  return refused;
}

MemberState* Model::LoadActive(const std::string& member_id,
                               Expected* refused) {
  MemberState* member = LoadSettled(member_id);
  if (member == nullptr) {
    *refused = MemberNotFound();
  } else if (member->status == v1::MEMBER_STATUS_CLOSED) {
    *refused = Rejected(absl::StatusCode::kFailedPrecondition,
                        v1::ERROR_REASON_MEMBER_CLOSED);
  } else if (member->status == v1::MEMBER_STATUS_MERGED) {
    *refused = Rejected(absl::StatusCode::kFailedPrecondition,
                        v1::ERROR_REASON_MEMBER_MERGED);
  } else {
    return member;
  }
  return nullptr;
}

// Close: settled first; refused while points are pending or holds open;
// the CLOSE entry takes what is available (forfeited) or writes a debt
// off, and an erasing one frees every identifier.
Expected Model::ApplyRules(const v1::CloseMemberRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  PointsState& points = member->points;
  Totals& totals = points.totals;
  if (totals.pending != 0 || !points.holds.empty()) {
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
  if (!tiers_.tiers.empty() && before->points.tier.tier > tier.tier) {
    ExpectedEntry raised =
        TierMove(tiers_, tier, before->points.tier.tier,
                 WindowAmount(tier, ModelMonthIndex(now_ms_)), now_ms_);
    raised.tier_evaluation_ms = before->points.tier.evaluation_ms;
    tier.evaluation_ms = raised.tier_evaluation_ms;
    raised.member_id = target->member_id;
    Append(*target, std::move(raised));
  }
  MaybeUpgrade(*target);

  const Expected view = Ok(*target);
  ok.member_id = view.member_id;
  ok.totals = view.totals;
  ok.points_delta = -moved.available;
  ok.sequence = out_sequence;
  ok.response_entries = static_cast<int>(written_.size() - own_from);
  return ok;
}

}  // namespace loyalty::model
