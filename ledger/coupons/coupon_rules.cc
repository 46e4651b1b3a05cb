#include "ledger/coupons/coupon_rules.h"

#include "ledger/common/status_util.h"

namespace loyalty {

absl::Status CouponNotFound() {
  return WithReason(absl::NotFoundError("code: no such coupon"),
                    loyalty::v1::ERROR_REASON_COUPON_NOT_FOUND);
}

absl::Status CouponRefused(loyalty::v1::ErrorReason reason,
                           absl::string_view message) {
  return WithReason(absl::FailedPreconditionError(message), reason);
}

}  // namespace loyalty
