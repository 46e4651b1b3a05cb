// File: ledger/coupons/coupon_rules.h
//
// What the coupon commands share: loading a coupon with its template's
// counts through the batch, and the refusals they answer with.
#ifndef LOYALTY_LEDGER_COUPONS_COUPON_RULES_H_
#define LOYALTY_LEDGER_COUPONS_COUPON_RULES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

// NOT_FOUND COUPON_NOT_FOUND: one message for every code that is not the
// caller's to use, so it tells nothing about which codes exist.
absl::Status CouponNotFound();
// FAILED_PRECONDITION with `reason`.
absl::Status CouponRefused(loyalty::v1::ErrorReason reason,
                           absl::string_view message);

// Whether `coupon` may be used at `now_ms` from `context`'s channel and
// store (RedeemCoupon and ValidateCoupon, after the owner check): uses
// left, inside its window, a channel and a store its template allows
// (`coupon_template` null: a template the program no longer has, which
// limits neither). The refusal, in that order, otherwise.
absl::Status CheckCouponUsable(
    const loyalty::storage::v1::CouponRecord& coupon,
    const loyalty::v1::CouponTemplate* coupon_template, int64_t now_ms,
    const loyalty::v1::RequestContext& context);

// RedeemCoupon's check (and ValidateCoupon's without a basket):
// CheckCouponUsable, then COUPON_NEEDS_BASKET for a template with rules only
// a basket can check.
absl::Status CheckCouponRedeemable(
    const loyalty::storage::v1::CouponRecord& coupon,
    const loyalty::v1::CouponTemplate* coupon_template, int64_t now_ms,
    const loyalty::v1::RequestContext& context);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_COUPON_RULES_H_
