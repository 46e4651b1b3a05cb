// File: ledger/points/return.h
//
// Returns of earned orders, in any channel.
#ifndef LOYALTY_LEDGER_POINTS_RETURN_H_
#define LOYALTY_LEDGER_POINTS_RETURN_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Return: part or all of an earned order comes back (orders.h has the
// arithmetic): its points are reversed, pending first, then available as the
// program's return policy allows; points redeemed on it are restored; the
// return that brings back its whole paid value gives coupons used on it
// their use back as their templates say (coupons/coupon_returns.h).
// NOT_FOUND (ORDER_NOT_FOUND) for an order the member never earned on,
// FAILED_PRECONDITION (RETURN_EXCEEDS_ORDER) for more than is left,
// INVALID_ARGUMENT (not remembered) for a line whose SKU the order never had.
struct ReturnCommand {
  static constexpr CommandInfo kInfo{.name = "Return",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::ReturnRequest;
  using Response = loyalty::v1::ReturnResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<ReturnCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_RETURN_H_
