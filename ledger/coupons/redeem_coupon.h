// File: ledger/coupons/redeem_coupon.h
//
// RedeemCoupon: one use of a member's coupon, without an earn.
#ifndef LOYALTY_LEDGER_COUPONS_REDEEM_COUPON_H_
#define LOYALTY_LEDGER_COUPONS_REDEEM_COUPON_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Writes a COUPON_REDEEM on the presenting member. The single writer
// decides redemptions one after another, so of any number of concurrent
// ones exactly as many succeed as the coupon has uses left. Refusals, each
// remembered under the request id, in this order: the member's own
// (MEMBER_NOT_FOUND, MEMBER_CLOSED), then NOT_FOUND COUPON_NOT_FOUND (an unknown
// code, or a coupon of another member: the same answer, so a code's
// existence is not revealed), FAILED_PRECONDITION COUPON_NOT_VALID_NOW,
// COUPON_USED_UP, COUPON_WRONG_CHANNEL, COUPON_WRONG_STORE.
struct RedeemCouponCommand {
  static constexpr CommandInfo kInfo{.name = "RedeemCoupon",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::RedeemCouponRequest;
  using Response = loyalty::v1::RedeemCouponResponse;
  using Prepared = NothingPrepared;

  // Also rewrites `code` to its canonical form, so every spelling of one
  // code is one request.
  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<RedeemCouponCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_REDEEM_COUPON_H_
