#include "ledger/coupons/coupon_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/coupons/templates.h"

namespace loyalty {

absl::Status CouponNotFound() {
  return WithReason(absl::NotFoundError("code: no such coupon"),
                    loyalty::v1::ERROR_REASON_COUPON_NOT_FOUND);
}

absl::Status CouponRefused(loyalty::v1::ErrorReason reason,
                           absl::string_view message) {
  return WithReason(absl::FailedPreconditionError(message), reason);
}

absl::Status CheckCouponUsable(
    const loyalty::storage::v1::CouponRecord& coupon,
    const loyalty::v1::CouponTemplate* coupon_template, int64_t now_ms,
    const loyalty::v1::RequestContext& context) {
  if (coupon.cancelled()) {
    return CouponRefused(loyalty::v1::ERROR_REASON_COUPON_USED_UP,
                         "the coupon was a reward cancelled for its points");
  }
  if (coupon.uses() >= coupon.uses_allowed()) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_USED_UP,
        absl::StrCat("the coupon has been used ", coupon.uses(), " of ",
                     coupon.uses_allowed(), " times"));
  }
  // Reserved uses are taken for everyone until committed or released.
  const int32_t reserved = fold::ActiveReservations(coupon, now_ms);
  if (coupon.uses() + reserved >= coupon.uses_allowed()) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_USED_UP,
        absl::StrCat("the coupon has been used ", coupon.uses(), " of ",
                     coupon.uses_allowed(), " times and ", reserved,
                     reserved == 1 ? " use is" : " uses are",
                     " reserved by an order waiting for payment"));
  }
  if (now_ms < coupon.valid_from_ms() || now_ms >= coupon.valid_until_ms()) {
    return CouponRefused(loyalty::v1::ERROR_REASON_COUPON_NOT_VALID_NOW,
                         now_ms < coupon.valid_from_ms()
                             ? "the coupon is not valid yet"
                             : "the coupon has expired");
  }
  if (coupon_template == nullptr) return absl::OkStatus();
  const auto& channels = coupon_template->channels();
  if (!channels.empty() && std::find(channels.begin(), channels.end(),
                                     context.channel()) == channels.end()) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_WRONG_CHANNEL,
        absl::StrCat("the coupon cannot be used on ",
                     loyalty::v1::Channel_Name(context.channel())));
  }
  const auto& stores = coupon_template->store_ids();
  if (!stores.empty() && std::find(stores.begin(), stores.end(),
                                   context.store_id()) == stores.end()) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_WRONG_STORE,
        context.store_id().empty()
            ? "the coupon can only be used in some stores: name the store"
            : absl::StrCat("the coupon cannot be used in store \"",
                           context.store_id(), "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckCouponRedeemable(
    const loyalty::storage::v1::CouponRecord& coupon,
    const loyalty::v1::CouponTemplate* coupon_template, int64_t now_ms,
    const loyalty::v1::RequestContext& context) {
  LEDGER_RETURN_IF_ERROR(
      CheckCouponUsable(coupon, coupon_template, now_ms, context));
  if (coupon_template != nullptr && CouponNeedsBasket(*coupon_template)) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_NEEDS_BASKET,
        "the coupon has rules only a basket can check (a minimum spend, a "
        "discount budget or points): send its code on the order's Earn");
  }
  return absl::OkStatus();
}

}  // namespace loyalty
