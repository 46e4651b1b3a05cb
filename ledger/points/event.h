// File: ledger/points/event.h
//
// Engagement events (a survey, a review, a birthday) that grant points.
#ifndef LOYALTY_LEDGER_POINTS_EVENT_H_
#define LOYALTY_LEDGER_POINTS_EVENT_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// RecordEvent: points for an engagement event of the program.
// INVALID_ARGUMENT for an event the program lacks or a channel it does not
// allow; FAILED_PRECONDITION (remembered) outside its window
// (EVENT_NOT_ACTIVE) or past a per-member limit (EVENT_LIMIT_REACHED).
struct RecordEventCommand {
  static constexpr CommandInfo kInfo{.name = "RecordEvent",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::RecordEventRequest;
  using Response = loyalty::v1::RecordEventResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<RecordEventCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_EVENT_H_
