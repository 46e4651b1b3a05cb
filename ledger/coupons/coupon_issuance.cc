#include "ledger/coupons/coupon_issuance.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/codes.h"
#include "ledger/coupons/coupon_rules.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/coupons/templates.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/command.h"

namespace loyalty {

using loyalty::storage::v1::CouponCount;
using loyalty::storage::v1::CouponRecord;
using loyalty::v1::LedgerEntry;

absl::StatusOr<IssuedCoupon> IssueCouponTo(
    const Rules& rules, const loyalty::v1::CouponTemplate& coupon_template,
    LedgerEntry entry, loyalty::storage::v1::MemberRecord* member,
    Batch& batch) {
  // Invariant: the entry is the member's COUPON_ISSUE.
  LEDGER_CHECK(entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_ISSUE);
  LEDGER_CHECK(entry.member_id() == member->member_id());
  const std::string& template_id = coupon_template.template_id();
  const std::string template_key = CouponTemplateCountKey(template_id);
  const std::string member_key =
      CouponMemberCountKey(template_id, entry.member_id());
  LEDGER_ASSIGN_OR_RETURN(
      CouponCount * template_count,
      batch.LoadRecord<CouponCount>(Family::kCouponCounts, template_key));
  LEDGER_ASSIGN_OR_RETURN(
      CouponCount * member_count,
      batch.LoadRecord<CouponCount>(Family::kCouponCounts, member_key));
  if (coupon_template.issuance_budget() != 0 &&
      template_count->issued() >= coupon_template.issuance_budget()) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_BUDGET_SPENT,
        absl::StrCat("template \"", template_id, "\" has issued its budget of ",
                     coupon_template.issuance_budget(), " coupons"));
  }
  if (coupon_template.per_member_limit() != 0 &&
      member_count->issued() >= coupon_template.per_member_limit()) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_LIMIT_REACHED,
        absl::StrCat("member \"", entry.member_id(), "\" has ",
                     member_count->issued(), " coupons of template \"",
                     template_id, "\", its limit"));
  }

  // 80 random bits collide with one of a billion codes about once in 10^15
  // draws; drawing again makes the code unique for certain.
  std::string code;
  CouponRecord* coupon = nullptr;
  do {
    code = NewCouponCode();
    LEDGER_ASSIGN_OR_RETURN(coupon, batch.LoadRecord<CouponRecord>(
                                        Family::kCoupons, CouponKey(code)));
  } while (!coupon->code().empty());

  const CouponWindow window =
      CouponWindowFor(coupon_template, rules.time_zone, batch.now_ms());
  loyalty::v1::CouponIssued* issued = entry.mutable_coupon_issued();
  issued->set_code(code);
  issued->set_template_id(template_id);
  issued->set_valid_from_ms(window.valid_from_ms);
  issued->set_valid_until_ms(window.valid_until_ms);
  issued->set_uses_allowed(CouponUsesAllowed(coupon_template));
  LedgerEntry appended = batch.Append(std::move(entry), member);
  // Invariant: the checks above are the fold's.
  LEDGER_CHECK(
      fold::FoldCouponEntry(appended, coupon, template_count, member_count)
          .ok());
  batch.StageRecord(Family::kCoupons, CouponKey(code));
  batch.StageRecord(Family::kCouponCounts, template_key);
  batch.StageRecord(Family::kCouponCounts, member_key);
  return IssuedCoupon{std::move(appended), coupon};
}

bool IsIssuanceLimitReached(const absl::Status& status) {
  const loyalty::v1::ErrorReason reason = ReasonOf(status);
  return absl::IsFailedPrecondition(status) &&
         (reason == loyalty::v1::ERROR_REASON_COUPON_BUDGET_SPENT ||
          reason == loyalty::v1::ERROR_REASON_COUPON_LIMIT_REACHED);
}

}  // namespace loyalty
