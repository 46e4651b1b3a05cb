// File: ledger/coupons/coupon_rules.h
//
// What the coupon commands share: loading a coupon with its template's
// counts through the batch, and the refusals they answer with.
#ifndef LOYALTY_LEDGER_COUPONS_COUPON_RULES_H_
#define LOYALTY_LEDGER_COUPONS_COUPON_RULES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

// NOT_FOUND COUPON_NOT_FOUND: one message for every code that is not the
// caller's to use, so it tells nothing about which codes exist.
absl::Status CouponNotFound();
// FAILED_PRECONDITION with `reason`.
absl::Status CouponRefused(loyalty::v1::ErrorReason reason,
                           absl::string_view message);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_COUPON_RULES_H_
