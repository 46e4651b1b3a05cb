// File: ledger/points/redeem.h
//
// Redeeming points in one phase.
#ifndef LOYALTY_LEDGER_POINTS_REDEEM_H_
#define LOYALTY_LEDGER_POINTS_REDEEM_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Redeem: spends available points at once. FAILED_PRECONDITION
// (INSUFFICIENT_POINTS) when the member has fewer, NOT_FOUND for an unknown
// member. With `offline` set, a till's offline redemption, reconciled by
// the program's rules instead (offline/offline_redemption.h).
struct RedeemCommand {
  static constexpr CommandInfo kInfo{.name = "Redeem",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::RedeemRequest;
  using Response = loyalty::v1::RedeemResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<RedeemCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_REDEEM_H_
