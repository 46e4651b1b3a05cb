// File: ledger/points/adjust.h
//
// Operators' adjustments of a member's points.
#ifndef LOYALTY_LEDGER_POINTS_ADJUST_H_
#define LOYALTY_LEDGER_POINTS_ADJUST_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Adjust: an operator's correction, credit or debit, with operator, reason
// and note on the entry (promise 8). A debit past the available points is
// FAILED_PRECONDITION (INSUFFICIENT_POINTS).
struct AdjustCommand {
  static constexpr CommandInfo kInfo{
      .name = "Adjust", .service = Service::kAdmin, .roles = roles::kAdminOnly};
  using Request = loyalty::v1::AdjustRequest;
  using Response = loyalty::v1::AdjustResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<AdjustCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_ADJUST_H_
