// File: ledger/points/sweep.h
//
// The sweep: time-driven entries for members nobody writes to.
#ifndef LOYALTY_LEDGER_POINTS_SWEEP_H_
#define LOYALTY_LEDGER_POINTS_SWEEP_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// What a sweep is asked to do.
struct SweepRequest {
  int members_max = 0;
};

// What one sweep did.
struct SweepResult {
  uint64_t members_settled = 0;  // Members that had something due.
  uint64_t entries_written = 0;
  // True when it stopped at its limit with more members due: sweep again.
  bool more = false;
};

// The ledger's own command: writes the time-driven entries (hold timeouts,
// maturations, expiries, tier evaluations) of up to `members_max` members
// whose schedule says something is due now. Every write to a member does the
// same for that member first; the sweep reaches members nobody touches.
// loyaltyd runs it periodically (Ledger::SubmitSystem). Not in the command
// table: no RPC, no request id, nothing remembered.
struct SweepCommand {
  static constexpr CommandInfo kInfo{
      .name = "Sweep", .service = Service::kLoyalty, .roles = roles::kNobody};
  using Request = SweepRequest;
  using Response = SweepResult;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<SweepCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_SWEEP_H_
