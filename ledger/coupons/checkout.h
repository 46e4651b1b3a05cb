// File: ledger/coupons/checkout.h
//
// Coupons used at checkout: the codes on an Earn (and QuoteEarn, and
// ValidateCoupon with a basket) are checked against the order and priced
// here, once, for the writer and the readers alike.
//
// Checks, in this order (the first refusal answers):
//   1. each code in the request's order: the member's own coupon or a
//      bearer coupon (else COUPON_NOT_FOUND), usable now from this channel
//      and store (CheckCouponUsable), its template still in the program
//      (COUPON_TEMPLATE_NOT_FOUND), a bearer coupon within its template's
//      per_member_limit counting the order's earlier codes of the template
//      (COUPON_BEARER_LIMIT_REACHED), the template's currency the order's
//      (COUPON_WRONG_CURRENCY);
//   2. several codes: every one combinable (COUPON_NOT_COMBINABLE, naming
//      the first that is not);
//   3. each code in order: a line it applies to (COUPON_NO_ELIGIBLE_LINES),
//      its minimum spend reached by those lines before any discount
//      (COUPON_BASKET_TOO_SMALL), a discount above zero on what the coupons
//      before it left (COUPON_NO_ELIGIBLE_LINES), and room in its template's
//      discount budget, counting the order's earlier coupons of the same
//      template (COUPON_DISCOUNT_BUDGET_SPENT).
//
// Discounts, each on what the coupons before it left of a line:
//   * percent_off P: floor(left x P / 100) on every line it applies to;
//   * amount_off A: min(A, what is left of its lines) shared pro rata to
//     what is left of each, floored, then one more minor unit to each of
//     the first lines (basket order) whose share had a remainder, until the
//     whole amount is placed;
//   * free_item_sku: one unit's price (at most what is left of the line) off
//     the first line it applies to with that SKU and something left.
// Points coupons take nothing off; they add a breakdown line to the earn
// (earn_rules.h, rule 5).
#ifndef LOYALTY_LEDGER_COUPONS_CHECKOUT_H_
#define LOYALTY_LEDGER_COUPONS_CHECKOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/engine/command.h"
#include "ledger/points/earn_rules.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

inline constexpr int kCouponsPerOrderMax = 5;

// Rewrites each of `request`'s coupon codes to its canonical form:
// InvalidArgument naming coupon_codes[i] for a mistyped code, more than
// kCouponsPerOrderMax codes, or one code twice.
absl::Status CanonicalizeCouponCodes(loyalty::v1::EarnRequest& request);

// A coupon as the caller found it for the presenting member.
struct PresentedCoupon {
  loyalty::storage::v1::CouponRecord record;
  // What its template's coupons took off orders so far (its count record).
  int64_t template_discount_given_minor = 0;
  // Bulk coupon codes: for a bearer coupon, the uses the presenting member
  // made of its template's bearer codes so far.
  int64_t member_bearer_uses = 0;
};

// Finds a canonical code's coupon for the member presenting it: NOT_FOUND
// (CouponNotFound) unless it exists and belongs to that member (after
// aliases) or is a bearer coupon (any member's). The writer reads through its
// batch, readers the store.
using CouponLoader =
    absl::FunctionRef<absl::StatusOr<PresentedCoupon>(const std::string& code)>;

struct CouponCheckout {
  // The order's earn with the coupons' discounts and points lines.
  EarnComputation earn;
  // One per code, in the request's order.
  std::vector<loyalty::v1::AppliedCoupon> applied;
  std::vector<loyalty::storage::v1::CouponRecord> coupons;
  int64_t discount_minor = 0;
};

// Checks and prices `request`'s coupons (canonical codes, at least one) at
// `now_ms`, and computes the order's earn with them, campaigns selected at
// `order_time_ms`; `request` passed ValidateEarn and
// CanonicalizeCouponCodes. Campaign limits and the tier's line are the
// caller's, as without coupons.
absl::StatusOr<CouponCheckout> CheckOutCoupons(
    const Rules& rules, const loyalty::v1::EarnRequest& request, int64_t now_ms,
    int64_t order_time_ms, CouponLoader load);

// The writer's CouponLoader: `code`'s coupon through `batch`, for
// `member_id` (already resolved).
absl::StatusOr<PresentedCoupon> LoadPresentedCoupon(
    const std::string& code, const std::string& member_id, Batch& batch);

// Appends one COUPON_REDEEM per coupon of `checkout` for `member` (right
// after the order's EARN, same context and principal) and stages the
// coupons and their templates' discount totals.
void RecordCouponUses(const loyalty::v1::RequestContext& context,
                      const std::string& principal, const std::string& order_id,
                      const std::string& currency,
                      const CouponCheckout& checkout,
                      loyalty::storage::v1::MemberRecord* member, Batch& batch);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_CHECKOUT_H_
