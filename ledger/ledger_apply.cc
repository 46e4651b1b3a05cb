// The rules of each mutation, run on the writer thread inside a Batch.
//
// Each Apply* checks every rule first and appends entries only after all of
// them pass, so a rejected command stages nothing but its remembered outcome.
// A non-OK return is the command's outcome: NOT_FOUND, FAILED_PRECONDITION
// and ALREADY_EXISTS are remembered under the request id (ledger.cc).
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "ledger/batch.h"
#include "ledger/command.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/member_state.h"
#include "ledger/program.h"
#include "ledger/status_util.h"
#include "ledger/validation.h"

namespace loyalty {
namespace {

using loyalty::v1::EventCount;
using loyalty::v1::LedgerEntry;
using loyalty::v1::MemberRecord;
using loyalty::v1::RequestContext;

// The entry's "who did it" fields (promise 8).
LedgerEntry EntryFor(const RequestContext& context,
                     const std::string& principal, loyalty::v1::EntryKind kind,
                     const std::string& member_id) {
  LedgerEntry entry;
  entry.set_member_id(member_id);
  entry.set_kind(kind);
  entry.set_bucket(loyalty::v1::BUCKET_AVAILABLE);
  entry.set_channel(context.channel());
  entry.set_store_id(context.store_id());
  entry.set_terminal_id(context.terminal_id());
  entry.set_principal(principal);
  entry.set_request_id(context.request_id());
  entry.set_occurred_at_ms(context.occurred_at_ms());
  return entry;
}

absl::Status InsufficientPoints(int64_t available, int64_t requested) {
  return WithReason(
      absl::FailedPreconditionError(absl::StrCat(
          "insufficient points: available ", available, ", requested ",
          requested)),
      loyalty::v1::ERROR_REASON_INSUFFICIENT_POINTS);
}

absl::Status BalanceOverflow(int64_t available, int64_t delta) {
  return WithReason(
      absl::FailedPreconditionError(absl::StrCat(
          "the balance would overflow: available ", available, ", adding ",
          delta)),
      loyalty::v1::ERROR_REASON_BALANCE_OVERFLOW);
}

absl::Status EventLimitReached(const loyalty::v1::EngagementEvent& event,
                               absl::string_view limit) {
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "event \"", event.event_id(),
                        "\": this member reached its limit of ", limit)),
                    loyalty::v1::ERROR_REASON_EVENT_LIMIT_REACHED);
}

// OK when `delta` keeps the member's available points in [0, INT64_MAX] and
// the lifetime total that `kind` adds to (earned, redeemed or adjusted)
// within int64. Checked before appending: ApplyEntry refusing an entry
// later would be a broken invariant, which aborts (promise 6).
absl::Status CheckDelta(const MemberRecord& member, loyalty::v1::EntryKind kind,
                        int64_t delta) {
  int64_t after = 0;
  if (__builtin_add_overflow(member.available_points(), delta, &after)) {
    return BalanceOverflow(member.available_points(), delta);
  }
  if (after < 0) return InsufficientPoints(member.available_points(), -delta);
  int64_t total = 0;
  int64_t total_delta = delta;
  switch (kind) {
    case loyalty::v1::ENTRY_KIND_EARN:
    case loyalty::v1::ENTRY_KIND_EVENT:  // Event points count as earned.
      total = member.earned_points_total();
      break;
    case loyalty::v1::ENTRY_KIND_REDEEM:
      total = member.redeemed_points_total();
      total_delta = -delta;  // Redemptions add up as a positive total.
      break;
    case loyalty::v1::ENTRY_KIND_ADJUST:
      total = member.adjusted_points_total();
      break;
    default:
      LEDGER_CHECK(false);  // Only point-moving kinds reach here.
  }
  int64_t total_after = 0;
  if (__builtin_add_overflow(total, total_delta, &total_after)) {
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "a lifetime points total would overflow int64: ", total, " + ",
            total_delta)),
        loyalty::v1::ERROR_REASON_BALANCE_OVERFLOW);
  }
  return absl::OkStatus();
}

std::string RandomMemberId() {
  // Opaque ids that reveal nothing about volume or order.
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  return absl::StrFormat("M%016x", generator());
}

absl::StatusOr<std::string> ChooseMemberId(const std::string& requested,
                                           Batch& batch) {
  if (!requested.empty()) {
    LEDGER_ASSIGN_OR_RETURN(bool exists, batch.MemberExists(requested));
    if (exists) {
      return WithReason(absl::AlreadyExistsError(absl::StrCat(
                            "member_id: \"", requested, "\" already exists")),
                        loyalty::v1::ERROR_REASON_MEMBER_EXISTS);
    }
    return requested;
  }
  while (true) {
    std::string candidate = RandomMemberId();
    LEDGER_ASSIGN_OR_RETURN(bool exists, batch.MemberExists(candidate));
    if (!exists) return candidate;
  }
}

}  // namespace

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
  *view->mutable_balance() = BalanceOf(*member);
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ApplyEarn(Command& command, Batch& batch) {
  const auto& request = std::get<loyalty::v1::EarnRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          batch.LoadMember(request.member_id()));
  std::string order_key = OrderKey(request.member_id(), request.order_id());
  LEDGER_ASSIGN_OR_RETURN(std::optional<uint64_t> earned_at,
                          batch.FindOrder(order_key));
  if (earned_at.has_value()) {
    return WithReason(
        absl::AlreadyExistsError(absl::StrCat(
            "order_id: order \"", request.order_id(),
            "\" already earned points for this member (entry ", *earned_at,
            ")")),
        loyalty::v1::ERROR_REASON_ORDER_ALREADY_EARNED);
  }
  // The basket's points were computed before queueing; the campaign limits
  // depend on what earlier earns used, which only the writer knows.
  LimitCampaigns(program_, member->campaign_points(),
                 batch.head().campaign_points(), &command.earn);
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
  const LedgerEntry& appended = batch.Append(std::move(entry), member);
  batch.StageOrder(order_key, appended.sequence());

  loyalty::v1::EarnResponse response;
  *response.mutable_entry() = appended;
  response.set_points_earned(earn.points);
  *response.mutable_breakdown() = appended.breakdown();
  *response.mutable_balance() = BalanceOf(*member);
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ApplyEvent(Command& command, Batch& batch) {
  const auto& request =
      std::get<loyalty::v1::RecordEventRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          batch.LoadMember(request.member_id()));
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
  const LedgerEntry& appended = batch.Append(std::move(entry), member);

  loyalty::v1::RecordEventResponse response;
  *response.mutable_entry() = appended;
  response.set_points_earned(appended.points_delta());
  *response.mutable_balance() = BalanceOf(*member);
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ApplyRedeem(Command& command, Batch& batch) {
  const auto& request = std::get<loyalty::v1::RedeemRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          batch.LoadMember(request.member_id()));
  // Invariant: validation bounds points to (0, 10^15].
  LEDGER_CHECK(request.points() > 0);
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*member, loyalty::v1::ENTRY_KIND_REDEEM, -request.points()));

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_REDEEM, request.member_id());
  entry.set_points_delta(-request.points());
  entry.set_order_id(request.order_id());
  const LedgerEntry& appended = batch.Append(std::move(entry), member);

  loyalty::v1::RedeemResponse response;
  *response.mutable_entry() = appended;
  *response.mutable_balance() = BalanceOf(*member);
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ApplyAdjust(Command& command, Batch& batch) {
  const auto& request = std::get<loyalty::v1::AdjustRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          batch.LoadMember(request.member_id()));
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
  const LedgerEntry& appended = batch.Append(std::move(entry), member);

  loyalty::v1::AdjustResponse response;
  *response.mutable_entry() = appended;
  *response.mutable_balance() = BalanceOf(*member);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
