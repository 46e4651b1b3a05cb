// File: ledger/coupons/reserve_coupon.h
//
// Two-phase coupon use, for online orders that wait for payment, shaped
// like point holds (points/holds.h): ReserveCoupon sets one use aside;
// CommitCoupon makes it a use, ReleaseCoupon gives it back, each at most
// once; the ledger releases a reservation nobody settled at its timeout
// (coupon_reservations.h). While open, a reservation counts as a use for
// every other redemption, so exactly as many uses are ever made as the
// coupon allows.
#ifndef LOYALTY_LEDGER_COUPONS_RESERVE_COUPON_H_
#define LOYALTY_LEDGER_COUPONS_RESERVE_COUPON_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Writes a COUPON_RESERVE. The refusals of RedeemCoupon (the member's, then
// COUPON_NOT_FOUND, NOT_VALID_NOW, USED_UP — reserved uses included —,
// WRONG_CHANNEL, WRONG_STORE, NEEDS_BASKET), and TOO_MANY_COUPON_RESERVATIONS
// past the program's holds_per_member_max open reservations.
struct ReserveCouponCommand {
  static constexpr CommandInfo kInfo{.name = "ReserveCoupon",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::ReserveCouponRequest;
  using Response = loyalty::v1::ReserveCouponResponse;
  using Prepared = NothingPrepared;

  // Also rewrites `code` to its canonical form.
  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<ReserveCouponCommand>& command);
};

// Writes the COUPON_REDEEM naming the reservation (on the reserved order).
// The coupon's window and channel were checked when it was reserved: a
// commit before the timeout succeeds even if the window has ended since.
// NOT_FOUND (COUPON_RESERVATION_NOT_FOUND) for an id that is no
// reservation of the member, FAILED_PRECONDITION
// (COUPON_RESERVATION_NOT_ACTIVE) for one committed, released or timed out.
struct CommitCouponCommand {
  static constexpr CommandInfo kInfo{.name = "CommitCoupon",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::SettleCouponReservationRequest;
  using Response = loyalty::v1::SettleCouponReservationResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<CommitCouponCommand>& command);
};

// Writes a COUPON_RELEASE; the refusals of CommitCoupon.
struct ReleaseCouponCommand {
  static constexpr CommandInfo kInfo{.name = "ReleaseCoupon",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::SettleCouponReservationRequest;
  using Response = loyalty::v1::SettleCouponReservationResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<ReleaseCouponCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_RESERVE_COUPON_H_
