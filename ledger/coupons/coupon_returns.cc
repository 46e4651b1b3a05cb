#include "ledger/coupons/coupon_returns.h"

#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/coupons/templates.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/rule_support.h"

namespace loyalty {

using loyalty::storage::v1::CouponRecord;
using loyalty::v1::LedgerEntry;

namespace {

// Whether `coupon`, used on a wholly returned order, gets its use back now.
bool GivesUseBack(const CouponRecord& coupon,
                  const loyalty::v1::CouponTemplate* coupon_template,
                  int64_t now_ms) {
  if (coupon_template == nullptr) return false;
  switch (coupon_template->return_policy()) {
    case loyalty::v1::COUPON_RETURN_POLICY_RESTORE:
      return true;
    case loyalty::v1::COUPON_RETURN_POLICY_RESTORE_IF_VALID:
      return now_ms >= coupon.valid_from_ms() &&
             now_ms < coupon.valid_until_ms();
    default:  // KEEP_USED, and unset.
      return false;
  }
}

}  // namespace

absl::StatusOr<std::vector<LedgerEntry>> RestoreCouponsOfOrder(
    const Rules& rules, const loyalty::v1::RequestContext& context,
    const std::string& principal, const std::string& order_id,
    const loyalty::storage::v1::OrderRecord& order,
    loyalty::storage::v1::MemberRecord* member, Batch& batch) {
  std::vector<LedgerEntry> restored;
  for (const std::string& code : order.coupon_codes()) {
    LEDGER_ASSIGN_OR_RETURN(
        CouponRecord * coupon,
        batch.LoadRecord<CouponRecord>(Family::kCoupons, CouponKey(code)));
    // Invariant: an order names only coupons its EARN used, which exist and
    // have that use (a whole return happens once per order).
    LEDGER_CHECK(!coupon->code().empty() && coupon->uses() >= 1);
    if (!GivesUseBack(*coupon,
                      FindCouponTemplate(rules.program, coupon->template_id()),
                      batch.now_ms())) {
      continue;
    }
    LedgerEntry entry = EntryFor(context, principal,
                                 loyalty::v1::ENTRY_KIND_COUPON_RESTORE,
                                 member->member_id());
    entry.set_order_id(order_id);
    loyalty::v1::CouponRestored* details = entry.mutable_coupon_restored();
    details->set_code(code);
    details->set_template_id(coupon->template_id());
    details->set_uses_after(coupon->uses() - 1);
    LedgerEntry appended = batch.Append(std::move(entry), member);
    LEDGER_CHECK(
        fold::FoldCouponEntry(appended, coupon, nullptr, nullptr).ok());
    batch.StageRecord(Family::kCoupons, CouponKey(code));
    restored.push_back(std::move(appended));
  }
  return restored;
}

}  // namespace loyalty
