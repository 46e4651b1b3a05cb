// The reference model's shared core (see model.h): the request pipeline
// every command goes through (malformed, replayed, aliases resolved, time
// settled, remembered), the sweep, the calendar and the request helpers.
// Each domain's rules live in their own file: points_model.cc (earn,
// redeem, adjust, events, holds, returns; lots, maturity, expiry, tiers)
// and members_model.cc (enroll, identifiers, transfers, imports, close,
// merge). Plain integer arithmetic with explicit overflow checks in Int128,
// so the model cannot wrap where the ledger must refuse.
#include "model.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "model_rules.h"

namespace loyalty::model {
namespace {

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

template <v1::EntryKind kKind>
std::string DeterministicBytes(const SettleCoupon<kKind>& request) {
  return DeterministicBytes(request.message);
}

}  // namespace

// ---------------------------------------------------------------------------
// The calendar (UTC+8).

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

int64_t ModelMonthIndex(int64_t time_ms) {
  return absl::CivilMonth(absl::ToCivilSecond(
             absl::FromUnixMillis(time_ms + kModelUtcOffsetMs),
             absl::UTCTimeZone())) -
         absl::CivilMonth(1970, 1);
}

int64_t ModelAddCalendarMs(int64_t time_ms, int months, int days) {
  const absl::CivilSecond at = absl::ToCivilSecond(
      absl::FromUnixMillis(time_ms + kModelUtcOffsetMs), absl::UTCTimeZone());
  const absl::CivilSecond moved(at.year(), at.month() + months, at.day() + days,
                                at.hour(), at.minute(), at.second());
  return absl::ToUnixMillis(absl::FromCivil(moved, absl::UTCTimeZone())) -
         kModelUtcOffsetMs + (time_ms % 1000);
}

// ---------------------------------------------------------------------------
// Requests.

const char* KindName(const Request& request) {
  static constexpr const char* kNames[] = {"enroll",
                                           "earn",
                                           "redeem",
                                           "adjust",
                                           "event",
                                           "hold",
                                           "capture",
                                           "release",
                                           "return",
                                           "link",
                                           "unlink",
                                           "transfer",
                                           "import",
                                           "close",
                                           "merge",
                                           "issue_coupon",
                                           "redeem_coupon",
                                           "reserve_coupon",
                                           "commit_coupon",
                                           "release_coupon",
                                           "issue_voucher",
                                           "redeem_voucher",
                                           "transfer_voucher",
                                           "gift_voucher",
                                           "claim_gift",
                                           "refund_voucher",
                                           "generate_coupons",
                                           "redeem_reward",
                                           "cancel_reward"};
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
        } else if constexpr (std::is_same_v<Type, ImportRequest> ||
                             std::is_same_v<Type,
                                            v1::GenerateCouponChunkRequest>) {
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
        } else if constexpr (
            std::is_same_v<Type, v1::RedeemCouponRequest> ||
            std::is_same_v<Type, v1::ReserveCouponRequest> ||
            std::is_same_v<Type, v1::RedeemVoucherUnitsRequest> ||
            std::is_same_v<Type, v1::TransferVoucherUnitsRequest> ||
            std::is_same_v<Type, v1::GiftVoucherUnitsRequest> ||
            std::is_same_v<Type, v1::RefundVoucherUnitsRequest> ||
            std::is_same_v<Type, v1::CancelRewardRequest>) {
          r.set_code(ModelCanonicalCode(r.code()));
        } else if constexpr (std::is_same_v<Type,
                                            v1::ClaimVoucherGiftRequest>) {
          r.set_claim_code(ModelCanonicalCode(r.claim_code()));
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
  std::erase_if(points.coupon_reservations,
                [&](const CouponReservationState& reservation) {
                  return reservation.expires_at_ms <= now_ms_;
                });
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

// ---------------------------------------------------------------------------
// The pipeline: every command, and the sweep.

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
    replay.coupon_puts = 0;
    replay.coupons_created = 0;
    replay.coupon_count_puts = 0;
    replay.voucher_puts.clear();
    replay.gift_puts.clear();
    replay.coupon_batch_puts = 0;
    replay.bearer_use_puts = 0;
    replay.reward_count_puts = 0;
    replay.enrolled_member_id.clear();
    return replay;
  }

  // After the replay check (a late retry still gets its first answer),
  // before anything else: an event older than the program allows.
  if (EventTooOld(ContextOf(command.request))) {
    Expected too_old = Rejected(absl::StatusCode::kFailedPrecondition,
                                v1::ERROR_REASON_EVENT_TOO_OLD);
    if (const auto* import = std::get_if<ImportRequest>(&command.request);
        import != nullptr && import->dry_run) {
      too_old.effect = Effect::kNothing;
      too_old.dry_run = true;
      return too_old;
    }
    too_old.effect = Effect::kRemembered;
    requests_[key] = Remembered{std::move(content), too_old};
    return too_old;
  }

  command_ = &command;
  written_.clear();
  written_members_.clear();
  coupons_written_.clear();
  voucher_puts_.clear();
  gift_puts_.clear();
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
  if (outcome.code == absl::StatusCode::kInvalidArgument) {
    // Bad input only the state reveals (a return's SKU the order never
    // had): refused before anything is written, and not remembered.
    outcome.effect = Effect::kNothing;
    return outcome;
  }
  outcome.effect = outcome.code == absl::StatusCode::kOk ? Effect::kApplied
                                                         : Effect::kRemembered;
  outcome.coupon_puts = static_cast<int64_t>(coupons_written_.size());
  requests_[key] = Remembered{std::move(content), outcome};
  outcome.entries = std::move(written_);
  outcome.voucher_puts = std::move(voucher_puts_);
  outcome.gift_puts = std::move(gift_puts_);
  for (const std::string& member_id : written_members_) {
    Reschedule(members_.at(member_id), &outcome.schedule_moves);
  }
  return outcome;
}

bool Model::EventTooOld(const v1::RequestContext& context) const {
  return context.occurred_at_ms() != 0 &&
         context.occurred_at_ms() < now_ms_ - kModelEventAgeMaxMs;
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
  coupons_written_.clear();
  voucher_puts_.clear();
  gift_puts_.clear();
  for (const auto& [due_ms, member_id] : due) {
    const size_t before = written_.size();
    LoadSettled(member_id);
    swept.members_settled += written_.size() > before;
  }
  swept.entries_written = written_.size();
  swept.coupon_puts = static_cast<int64_t>(coupons_written_.size());
  swept.entries = std::move(written_);
  swept.voucher_puts = std::move(voucher_puts_);
  swept.gift_puts = std::move(gift_puts_);
  for (const std::string& member_id : written_members_) {
    Reschedule(members_.at(member_id), &swept.schedule_moves);
  }
  return swept;
}

void Model::Reschedule(MemberState& member, std::vector<ScheduleMove>* moves) {
  const int64_t due_ms = member.NextDueMs();
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
  // Coupon reservations first: they move no points.
  ReleaseTimedOutCouponReservations(member);
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
  SettleVoucherDues(member);
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

// ---------------------------------------------------------------------------
// Aliases: the first step of every command.

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
        } else if constexpr (std::is_same_v<Type,
                                            v1::TransferVoucherUnitsRequest>) {
          resolve(r.mutable_member_id());
          resolve(r.mutable_to_member_id());
          if (r.member_id() == r.to_member_id()) refused = merged;
        } else if constexpr (std::is_same_v<Type, v1::MergeMembersRequest>) {
          // The source must be named as itself; the target may be an
          // alias of the member to merge into, but not of the source.
          resolve(r.mutable_target_member_id());
          if (r.target_member_id() == r.source_member_id()) refused = merged;
        } else if constexpr (std::is_same_v<Type, v1::EnrollMemberRequest> ||
                             std::is_same_v<Type, v1::CloseMemberRequest> ||
                             std::is_same_v<Type, ImportRequest> ||
                             std::is_same_v<Type,
                                            v1::GenerateCouponChunkRequest>) {
          // A new id; an alias is no member to close; found by card; a
          // batch of bulk coupon codes names no member.
        } else if constexpr (std::is_same_v<Type, CaptureRequest> ||
                             std::is_same_v<Type, ReleaseRequest> ||
                             std::is_same_v<Type, CommitCouponRequest> ||
                             std::is_same_v<Type, ReleaseCouponRequest>) {
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

}  // namespace loyalty::model
