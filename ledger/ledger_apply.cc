// The rules of each mutation, run on the writer thread inside a Batch.
//
// Each Apply* checks every rule first and appends entries only after all of
// them pass, so a rejected command stages nothing but its remembered outcome.
// A non-OK return is the command's outcome: NOT_FOUND, FAILED_PRECONDITION
// and ALREADY_EXISTS are remembered under the request id (ledger.cc).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "ledger/apply_common.h"
#include "ledger/batch.h"
#include "ledger/command.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/member_state.h"
#include "ledger/orders.h"
#include "ledger/points.h"
#include "ledger/program.h"
#include "ledger/status_util.h"
#include "ledger/tiers.h"
#include "ledger/validation.h"

namespace loyalty {
namespace {

using loyalty::v1::EventCount;
using loyalty::v1::LedgerEntry;
using loyalty::v1::MemberRecord;

absl::Status EventLimitReached(const loyalty::v1::EngagementEvent& event,
                               absl::string_view limit) {
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "event \"", event.event_id(),
                        "\": this member reached its limit of ", limit)),
                    loyalty::v1::ERROR_REASON_EVENT_LIMIT_REACHED);
}


absl::Status HoldNotActive(absl::string_view hold_id) {
  return WithReason(
      absl::FailedPreconditionError(absl::StrCat(
          "hold_id: hold \"", hold_id,
          "\" is no longer open (captured, released or timed out)")),
      loyalty::v1::ERROR_REASON_HOLD_NOT_ACTIVE);
}

absl::Status HoldNotFound(absl::string_view hold_id) {
  return WithReason(absl::NotFoundError(absl::StrCat(
                        "hold_id: this member has no hold \"", hold_id, "\"")),
                    loyalty::v1::ERROR_REASON_HOLD_NOT_FOUND);
}

}  // namespace

absl::StatusOr<MemberRecord*> Ledger::SettleMember(absl::string_view member_id,
                                                   Batch& batch) {
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member, batch.LoadMember(member_id));
  while (std::optional<LedgerEntry> due =
             NextDueEntry(*member, batch.now_ms(), program_, time_zone_)) {
    batch.Append(std::move(*due), member);
  }
  return member;
}

absl::StatusOr<MemberRecord*> Ledger::LoadSettled(absl::string_view member_id,
                                                  Batch& batch) {
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          SettleMember(member_id, batch));
  if (member->status() == loyalty::v1::MEMBER_STATUS_CLOSED) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
                          "member \"", member_id,
                          "\" is closed; nothing more can be written to it")),
                      loyalty::v1::ERROR_REASON_MEMBER_CLOSED);
  }
  if (member->status() == loyalty::v1::MEMBER_STATUS_MERGED) {
    return MemberMerged(*member);
  }
  return member;
}

absl::Status Ledger::ApplyEnroll(Command& command, Batch& batch) {
  const auto& request =
      std::get<loyalty::v1::EnrollMemberRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(std::string member_id,
                          ChooseMemberId(request.member_id(), batch));
  for (int i = 0; i < request.identifiers_size(); ++i) {
    const auto& identifier = request.identifiers(i);
    LEDGER_ASSIGN_OR_RETURN(
        std::optional<std::string> owner,
        batch.FindIdentifierOwner(
            IdentifierKey(identifier.kind(), identifier.value())));
    if (owner.has_value()) {
      return WithReason(
          absl::AlreadyExistsError(absl::StrCat(
              "identifiers[", i, "]: already belongs to another member")),
          loyalty::v1::ERROR_REASON_IDENTIFIER_TAKEN);
    }
  }

  LedgerEntry entry = EntryFor(request.context(), command.principal,
                               loyalty::v1::ENTRY_KIND_ENROLL, member_id);
  *entry.mutable_identifiers() = request.identifiers();
  if (HasTiers(program_)) {
    // Everyone starts in the lowest tier, which is never evaluated.
    entry.set_tier_to(program_.tier_rules().tiers(0).tier_id());
  }
  MemberRecord* member = batch.NewMember(member_id);
  const LedgerEntry& appended = batch.Append(std::move(entry), member);
  for (const auto& identifier : request.identifiers()) {
    batch.StageIdentifier(IdentifierKey(identifier.kind(), identifier.value()),
                          member_id);
  }

  loyalty::v1::EnrollMemberResponse response;
  *response.mutable_entry() = appended;
  loyalty::v1::Member* view = response.mutable_member();
  view->set_member_id(member_id);
  view->set_status(member->status());
  view->set_enrolled_at_ms(member->enrolled_at_ms());
  *view->mutable_identifiers() = member->identifiers();
  *view->mutable_balance() = BalanceAt(*member, batch.now_ms());
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ApplyEarn(Command& command, Batch& batch) {
  const auto& request = std::get<loyalty::v1::EarnRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), batch));
  LEDGER_ASSIGN_OR_RETURN(
      loyalty::v1::OrderRecord * order,
      batch.LoadOrder(OrderKey(request.member_id(), request.order_id())));
  if (order->earn_sequence() != 0) {
    return WithReason(
        absl::AlreadyExistsError(absl::StrCat(
            "order_id: order \"", request.order_id(),
            "\" already earned points for this member (entry ",
            order->earn_sequence(), ")")),
        loyalty::v1::ERROR_REASON_ORDER_ALREADY_EARNED);
  }
  // The basket's points were computed before queueing; the campaign limits
  // depend on what earlier earns used, which only the writer knows.
  LimitCampaigns(program_, member->campaign_points(),
                 batch.head().campaign_points(), &command.earn);
  // What qualifies for tiers is counted before the tier's own extra.
  const int64_t qualifying = QualifyingAmountOf(
      program_.tier_rules(), command.earn, request.currency());
  AddTierMultiplier(program_, member->tier_id(), &command.earn);
  const EarnComputation& earn = command.earn;
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*member, loyalty::v1::ENTRY_KIND_EARN, earn.points));

  LedgerEntry entry = EntryFor(request.context(), command.principal,
                               loyalty::v1::ENTRY_KIND_EARN, request.member_id());
  entry.set_points_delta(earn.points);
  entry.set_order_id(request.order_id());
  entry.set_currency(request.currency());
  entry.set_spend_minor(earn.spend_minor);
  for (const auto& line : earn.breakdown) *entry.add_breakdown() = line;
  entry.set_eligible_spend_minor(earn.eligible_spend_minor);
  // The lines are needed once more, by the order record (from the entry).
  for (auto& line : command.earn.lines) {
    *entry.add_earned_lines() = std::move(line);
  }
  // The lot's dates follow the order time; an order older than the return
  // window (an offline terminal catching up) is available at once.
  const int64_t order_time_ms =
      OccurredAtMs(request.context(), batch.now_ms());
  entry.set_lot_expires_at_ms(
      LotExpiresAtMs(program_.expiry(), time_zone_, order_time_ms));
  const int64_t matures_at_ms = MaturesAtMs(program_, order_time_ms);
  if (matures_at_ms > batch.now_ms()) {
    entry.set_bucket(loyalty::v1::BUCKET_PENDING);
    entry.set_matures_at_ms(matures_at_ms);
  }
  entry.set_qualifying_delta(qualifying);
  entry.set_qualifying_month(MonthIndex(order_time_ms, time_zone_));
  const LedgerEntry& appended = batch.Append(std::move(entry), member);
  // An upgrade happens at once; its multiplier applies from the next earn.
  LedgerEntry earn_entry = appended;
  if (std::optional<LedgerEntry> upgrade =
          UpgradeEntry(*member, program_, time_zone_, batch.now_ms())) {
    batch.Append(std::move(*upgrade), member);
  }

  loyalty::v1::EarnResponse response;
  response.set_points_earned(earn.points);
  *response.mutable_breakdown() = earn_entry.breakdown();
  *response.mutable_entry() = std::move(earn_entry);
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms());
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ApplyEvent(Command& command, Batch& batch) {
  const auto& request =
      std::get<loyalty::v1::RecordEventRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), batch));
  const loyalty::v1::EngagementEvent* event =
      FindEvent(program_, request.event_id());
  // Invariant: RecordEvent checked the event exists before queueing.
  LEDGER_CHECK(event != nullptr);
  const int64_t event_time_ms =
      OccurredAtMs(request.context(), batch.now_ms());
  if (event_time_ms < event->starts_at_ms() ||
      (event->ends_at_ms() != 0 && event_time_ms >= event->ends_at_ms())) {
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "event \"", event->event_id(), "\" is not active at ",
            absl::FormatTime(absl::FromUnixMillis(event_time_ms),
                             absl::UTCTimeZone()))),
        loyalty::v1::ERROR_REASON_EVENT_NOT_ACTIVE);
  }
  const int64_t today = EventDay(batch.now_ms(), time_zone_);
  const EventCount counted = EventCountOf(*member, event->event_id());
  // A day before the last one (the clock stepped back) counts as the last.
  const int64_t counted_today =
      today <= counted.last_day() ? counted.count_on_last_day() : 0;
  if (event->max_per_member() != 0 &&
      counted.count() >= event->max_per_member()) {
    return EventLimitReached(*event, absl::StrCat(event->max_per_member(),
                                                  " per member"));
  }
  if (event->max_per_day() != 0 && counted_today >= event->max_per_day()) {
    return EventLimitReached(*event,
                             absl::StrCat(event->max_per_day(), " per day"));
  }
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*member, loyalty::v1::ENTRY_KIND_EVENT, event->points()));

  LedgerEntry entry = EntryFor(request.context(), command.principal,
                               loyalty::v1::ENTRY_KIND_EVENT,
                               request.member_id());
  entry.set_points_delta(event->points());
  entry.set_event_id(event->event_id());
  entry.set_event_reference(request.reference());
  entry.set_event_day(today);
  entry.set_lot_expires_at_ms(
      LotExpiresAtMs(program_.expiry(), time_zone_, event_time_ms));
  const LedgerEntry& appended = batch.Append(std::move(entry), member);

  loyalty::v1::RecordEventResponse response;
  *response.mutable_entry() = appended;
  response.set_points_earned(appended.points_delta());
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms());
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ApplyRedeem(Command& command, Batch& batch) {
  const auto& request = std::get<loyalty::v1::RedeemRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), batch));
  // Invariant: validation bounds points to (0, 10^15].
  LEDGER_CHECK(request.points() > 0);
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*member, loyalty::v1::ENTRY_KIND_REDEEM, -request.points()));
  // Points redeemed on an order come back in part if it is returned.
  if (!request.order_id().empty()) {
    LEDGER_RETURN_IF_ERROR(
        batch.LoadOrder(OrderKey(request.member_id(), request.order_id()))
            .status());
  }

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_REDEEM, request.member_id());
  entry.set_points_delta(-request.points());
  entry.set_order_id(request.order_id());
  const LedgerEntry& appended = batch.Append(std::move(entry), member);

  loyalty::v1::RedeemResponse response;
  *response.mutable_entry() = appended;
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms());
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ApplyAdjust(Command& command, Batch& batch) {
  const auto& request = std::get<loyalty::v1::AdjustRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), batch));
  LEDGER_CHECK(request.points_delta() != 0);
  LEDGER_RETURN_IF_ERROR(CheckDelta(*member, loyalty::v1::ENTRY_KIND_ADJUST,
                                    request.points_delta()));

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_ADJUST, request.member_id());
  entry.set_channel(loyalty::v1::CHANNEL_ADMIN);
  entry.set_points_delta(request.points_delta());
  entry.set_operator_id(request.operator_id());
  entry.set_reason_code(request.reason_code());
  entry.set_note(request.note());
  if (request.points_delta() > 0) {
    // A credit is a new lot, dated by when the operator made it.
    entry.set_lot_expires_at_ms(
        LotExpiresAtMs(program_.expiry(), time_zone_, batch.now_ms()));
  }
  const LedgerEntry& appended = batch.Append(std::move(entry), member);

  loyalty::v1::AdjustResponse response;
  *response.mutable_entry() = appended;
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms());
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ApplyHold(Command& command, Batch& batch) {
  const auto& request =
      std::get<loyalty::v1::HoldPointsRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), batch));
  if (member->holds_size() >= HoldsPerMemberMax(program_)) {
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "this member already has ", member->holds_size(),
            " open holds, the program's most; capture or release one")),
        loyalty::v1::ERROR_REASON_TOO_MANY_HOLDS);
  }
  // Invariant: validation bounds points to (0, 10^15].
  LEDGER_CHECK(request.points() > 0);
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*member, loyalty::v1::ENTRY_KIND_HOLD, -request.points()));

  LedgerEntry entry = EntryFor(request.context(), command.principal,
                               loyalty::v1::ENTRY_KIND_HOLD,
                               request.member_id());
  entry.set_points_delta(-request.points());
  entry.set_order_id(request.order_id());
  entry.set_hold_id(HoldIdOf(batch.head().last_sequence() + 1));
  // Timeouts run on the server's clock: a client's occurred_at may be old.
  entry.set_hold_expires_at_ms(batch.now_ms() + request.timeout_ms());
  const LedgerEntry& appended = batch.Append(std::move(entry), member);

  loyalty::v1::HoldPointsResponse response;
  *response.mutable_entry() = appended;
  response.set_hold_id(appended.hold_id());
  response.set_expires_at_ms(appended.hold_expires_at_ms());
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms());
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ApplySettleHold(Command& command, Batch& batch) {
  const auto& request =
      std::get<loyalty::v1::SettleHoldRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), batch));
  const loyalty::v1::Hold* hold = nullptr;
  for (const loyalty::v1::Hold& open : member->holds()) {
    if (open.hold_id() == request.hold_id()) hold = &open;
  }
  if (hold == nullptr) {
    std::optional<uint64_t> sequence = ParseHoldId(request.hold_id());
    // Invariant: validation accepted only well-formed hold ids.
    LEDGER_CHECK(sequence.has_value());
    LEDGER_ASSIGN_OR_RETURN(bool was_hold,
                            batch.IsHoldOf(*member, *sequence));
    return was_hold ? HoldNotActive(request.hold_id())
                    : HoldNotFound(request.hold_id());
  }
  const int64_t points = hold->points();
  LedgerEntry entry = EntryFor(
      request.context(), command.principal,
      command.capture ? loyalty::v1::ENTRY_KIND_CAPTURE
                      : loyalty::v1::ENTRY_KIND_RELEASE,
      request.member_id());
  entry.set_hold_id(hold->hold_id());
  entry.set_order_id(hold->order_id());
  if (command.capture) {
    if (!hold->order_id().empty()) {
      LEDGER_RETURN_IF_ERROR(
          batch.LoadOrder(OrderKey(request.member_id(), hold->order_id()))
              .status());
    }
    int64_t redeemed = 0;
    if (__builtin_add_overflow(member->redeemed_points_total(), points,
                               &redeemed)) {
      return TotalOverflow(member->redeemed_points_total(), points);
    }
    entry.set_bucket(loyalty::v1::BUCKET_HELD);
    entry.set_points_delta(-points);
  } else {
    entry.set_points_delta(points);
  }
  const LedgerEntry& appended = batch.Append(std::move(entry), member);

  loyalty::v1::SettleHoldResponse response;
  *response.mutable_entry() = appended;
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms());
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ApplySweep(Command& command, Batch& batch) {
  const int members_max = std::get<SweepRequest>(command.request).members_max;
  std::vector<std::string> due_members;
  bool more = false;
  LEDGER_RETURN_IF_ERROR(store_->Scan(
      Family::kSchedule, "", ScheduleUpper(batch.now_ms()), false,
      [&](absl::string_view key, absl::string_view) {
        if (static_cast<int>(due_members.size()) == members_max) {
          more = true;
          return false;
        }
        std::optional<ScheduleItem> item = ParseScheduleKey(key);
        if (item.has_value()) due_members.push_back(std::move(item->member_id));
        return true;
      }));
  SweepResult result;
  result.more = more;
  const uint64_t entries_before = batch.entries_appended();
  for (const std::string& member_id : due_members) {
    const uint64_t before = batch.entries_appended();
    // A member settled earlier in this batch has nothing due any more. A
    // schedule key without its member is a broken index that VerifyLedger
    // reports; the sweep goes on with the others.
    absl::Status settled = SettleMember(member_id, batch).status();
    if (!settled.ok() && !absl::IsNotFound(settled)) return settled;
    if (batch.entries_appended() > before) ++result.members_settled;
  }
  result.entries_written = batch.entries_appended() - entries_before;
  command.response = result;
  return absl::OkStatus();
}

absl::Status Ledger::ApplyReturn(Command& command, Batch& batch) {
  const auto& request = std::get<loyalty::v1::ReturnRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), batch));
  LEDGER_ASSIGN_OR_RETURN(
      loyalty::v1::OrderRecord * order,
      batch.LoadOrder(OrderKey(request.member_id(), request.order_id())));
  if (order->earn_sequence() == 0) {
    return WithReason(
        absl::NotFoundError(absl::StrCat("order_id: this member has no order \"",
                                         request.order_id(),
                                         "\" that earned points")),
        loyalty::v1::ERROR_REASON_ORDER_NOT_FOUND);
  }
  LEDGER_ASSIGN_OR_RETURN(ReturnPlan plan, PlanReturn(*order, request));

  // Pending first: what is left of the order's own pending lot.
  int64_t order_pending = 0;
  for (const loyalty::v1::Lot& lot : member->pending_lots()) {
    if (lot.sequence() == order->earn_sequence()) order_pending = lot.points();
  }
  const int64_t from_pending = std::min(plan.points_due, order_pending);
  const int64_t rest = plan.points_due - from_pending;
  // Then available, as far as the return policy allows.
  int64_t from_available = 0;
  const int64_t available = member->available_points();
  switch (program_.return_policy()) {
    case loyalty::v1::RETURN_POLICY_REVERSE_PENDING_ONLY:
      break;
    case loyalty::v1::RETURN_POLICY_ALLOW_NEGATIVE_BALANCE: {
      // The floor is -10^9..-1 (ValidateProgram): no overflow. A member
      // below today's floor (it was lower before) has no room left.
      const int64_t room = std::max<int64_t>(
          0, available - program_.negative_balance_floor_points());
      from_available = std::min(rest, room);
      break;
    }
    default:  // FORGIVE_SHORTFALL, and unset.
      from_available = std::min(rest, std::max<int64_t>(available, 0));
      break;
  }

  LedgerEntry entry = EntryFor(request.context(), command.principal,
                               loyalty::v1::ENTRY_KIND_RETURN,
                               request.member_id());
  entry.set_order_id(request.order_id());
  entry.set_currency(order->currency());
  entry.set_points_delta(-from_available);
  entry.set_pending_reversed_points(from_pending);
  entry.set_lot_sequence(order->earn_sequence());
  entry.set_forgiven_points(rest - from_available);
  *entry.mutable_returned_lines() = request.lines();
  entry.set_returned_value_minor(plan.returned_value_minor);
  entry.set_returned_eligible_minor(plan.returned_eligible_minor);
  // The return's share of what the order qualified, taken from the month it
  // counted in, as far as that month is still kept.
  entry.set_qualifying_month(order->qualifying_month());
  entry.set_qualifying_delta(-std::min(
      plan.qualifying_returned,
      QualifyingOfMonth(*member, order->qualifying_month())));

  loyalty::v1::ReturnResponse response;
  *response.add_entries() = batch.Append(std::move(entry), member);
  response.set_points_reversed(from_pending + from_available);
  response.set_points_forgiven(rest - from_available);
  if (plan.points_restored > 0) {
    // Restored points may not fit beside a member's other points: a return
    // still takes back what it must, and says what it could not restore.
    absl::Status fits = CheckDelta(*member, loyalty::v1::ENTRY_KIND_RESTORE,
                                   plan.points_restored);
    LEDGER_CHECK(fits.ok() ||
                 ReasonOf(fits) == loyalty::v1::ERROR_REASON_BALANCE_OVERFLOW);
    if (fits.ok()) {
      LedgerEntry restore = EntryFor(request.context(), command.principal,
                                     loyalty::v1::ENTRY_KIND_RESTORE,
                                     request.member_id());
      restore.set_order_id(request.order_id());
      restore.set_points_delta(plan.points_restored);
      restore.set_lot_expires_at_ms(
          LotExpiresAtMs(program_.expiry(), time_zone_, batch.now_ms()));
      *response.add_entries() = batch.Append(std::move(restore), member);
      response.set_points_restored(plan.points_restored);
    }
  }
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms());
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
