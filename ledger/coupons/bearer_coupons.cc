#include "ledger/coupons/bearer_coupons.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/coupon_rules.h"
#include "ledger/coupons/generate_fold.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/rule_support.h"

namespace loyalty {

using loyalty::storage::v1::CouponBearerUses;
using loyalty::storage::v1::CouponRecord;

absl::Status CheckPresentedBy(const CouponRecord& coupon,
                              const std::string& member_id, Batch& batch) {
  if (fold::IsBearerCoupon(coupon)) return absl::OkStatus();
  LEDGER_ASSIGN_OR_RETURN(std::string owner,
                          ResolveMemberId(coupon.member_id(), batch));
  if (owner != member_id) return CouponNotFound();
  return absl::OkStatus();
}

absl::StatusOr<int64_t> BearerUsesOf(const CouponRecord& coupon,
                                     const std::string& member_id,
                                     Batch& batch) {
  if (!fold::IsBearerCoupon(coupon)) return 0;
  LEDGER_ASSIGN_OR_RETURN(
      CouponBearerUses * uses,
      batch.LoadRecord<CouponBearerUses>(
          Family::kCouponBearerUses,
          CouponBearerUsesKey(coupon.template_id(), member_id)));
  return uses->uses();
}

absl::Status CheckBearerLimit(
    const CouponRecord& coupon,
    const loyalty::v1::CouponTemplate* coupon_template,
    const std::string& member_id, int64_t uses_before) {
  if (!fold::IsBearerCoupon(coupon) || coupon_template == nullptr ||
      coupon_template->per_member_limit() == 0 ||
      uses_before < coupon_template->per_member_limit()) {
    return absl::OkStatus();
  }
  return CouponRefused(
      loyalty::v1::ERROR_REASON_COUPON_BEARER_LIMIT_REACHED,
      absl::StrCat("member \"", member_id, "\" has made ", uses_before,
                   " uses of template \"", coupon.template_id(),
                   "\"'s bearer codes, its limit"));
}

void RecordBearerUse(const loyalty::v1::LedgerEntry& appended,
                     const CouponRecord& coupon, Batch& batch) {
  if (!fold::CountsAsBearerUse(appended, coupon)) return;
  const std::string key =
      CouponBearerUsesKey(coupon.template_id(), appended.member_id());
  absl::StatusOr<CouponBearerUses*> uses =
      batch.LoadRecord<CouponBearerUses>(Family::kCouponBearerUses, key);
  LEDGER_CHECK(uses.ok());
  // Invariant: the entry is the member's COUPON_REDEEM, as the fold checks.
  LEDGER_CHECK(fold::FoldBearerUse(appended, *uses).ok());
  batch.StageRecord(Family::kCouponBearerUses, key);
}

}  // namespace loyalty
