#include "ledger/points/event.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/common/keys.h"
#include "ledger/common/program.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/fold.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/settle.h"
#include "ledger/points/time_driven.h"
#include "ledger/read/views.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

namespace {

using loyalty::storage::v1::EventCount;

absl::Status EventLimitReached(const loyalty::v1::EngagementEvent& event,
                               absl::string_view limit) {
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "event \"", event.event_id(),
                        "\": this member reached its limit of ", limit)),
                    loyalty::v1::ERROR_REASON_EVENT_LIMIT_REACHED);
}

}  // namespace

absl::Status RecordEventCommand::Prepare(const Rules& rules, int64_t now_ms,
                                         Request& request, Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateRecordEvent(request, now_ms));
  return CheckEventKnown(rules.program, request);
}

absl::Status RecordEventCommand::Decide(const Rules& rules, Batch& batch,
                                        Queued<RecordEventCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  const loyalty::v1::EngagementEvent* event =
      FindEvent(rules.program, request.event_id());
  // Invariant: RecordEvent checked the event exists before queueing.
  LEDGER_CHECK(event != nullptr);
  const int64_t event_time_ms = OccurredAtMs(request.context(), batch.now_ms());
  if (event_time_ms < event->starts_at_ms() ||
      (event->ends_at_ms() != 0 && event_time_ms >= event->ends_at_ms())) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
                          "event \"", event->event_id(), "\" is not active at ",
                          absl::FormatTime(absl::FromUnixMillis(event_time_ms),
                                           absl::UTCTimeZone()))),
                      loyalty::v1::ERROR_REASON_EVENT_NOT_ACTIVE);
  }
  const int64_t today = EventDay(batch.now_ms(), rules.time_zone);
  const EventCount counted = EventCountOf(*member, event->event_id());
  // A day before the last one (the clock stepped back) counts as the last.
  const int64_t counted_today =
      today <= counted.last_day() ? counted.count_on_last_day() : 0;
  if (event->max_per_member() != 0 &&
      counted.count() >= event->max_per_member()) {
    return EventLimitReached(
        *event, absl::StrCat(event->max_per_member(), " per member"));
  }
  if (event->max_per_day() != 0 && counted_today >= event->max_per_day()) {
    return EventLimitReached(*event,
                             absl::StrCat(event->max_per_day(), " per day"));
  }
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*member, loyalty::v1::ENTRY_KIND_EVENT, event->points()));

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_EVENT, request.member_id());
  entry.set_points_delta(event->points());
  entry.set_event_id(event->event_id());
  entry.set_event_reference(request.reference());
  entry.set_event_day(today);
  entry.set_lot_expires_at_ms(
      LotExpiresAtMs(rules.program.expiry(), rules.time_zone, event_time_ms));
  LedgerEntry appended = batch.Append(std::move(entry), member);

  loyalty::v1::RecordEventResponse response;
  response.set_points_earned(appended.points_delta());
  *response.mutable_entry() = std::move(appended);
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms(), rules);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
