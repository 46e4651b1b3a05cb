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

absl::StatusOr<CouponIssuePlan> PlanCouponIssue(
    const loyalty::v1::CouponTemplate& coupon_template,
    const std::string& member_id, Batch& batch) {
  CouponIssuePlan plan;
  plan.coupon_template = &coupon_template;
  const std::string& template_id = coupon_template.template_id();
  plan.template_key = CouponTemplateCountKey(template_id);
  plan.member_key = CouponMemberCountKey(template_id, member_id);
  LEDGER_ASSIGN_OR_RETURN(plan.template_count,
                          batch.LoadRecord<CouponCount>(Family::kCouponCounts,
                                                        plan.template_key));
  LEDGER_ASSIGN_OR_RETURN(plan.member_count,
                          batch.LoadRecord<CouponCount>(Family::kCouponCounts,
                                                        plan.member_key));
  if (coupon_template.issuance_budget() != 0 &&
      plan.template_count->issued() >= coupon_template.issuance_budget()) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_BUDGET_SPENT,
        absl::StrCat("template \"", template_id, "\" has issued its budget of ",
                     coupon_template.issuance_budget(), " coupons"));
  }
  if (coupon_template.per_member_limit() != 0 &&
      plan.member_count->issued() >= coupon_template.per_member_limit()) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_LIMIT_REACHED,
        absl::StrCat("member \"", member_id, "\" has ",
                     plan.member_count->issued(), " coupons of template \"",
                     template_id, "\", its limit"));
  }
  // 80 random bits collide with one of a billion codes about once in 10^15
  // draws; drawing again makes the code unique for certain.
  do {
    plan.code = NewCouponCode(batch.random());
    LEDGER_ASSIGN_OR_RETURN(plan.coupon,
                            batch.LoadRecord<CouponRecord>(
                                Family::kCoupons, CouponKey(plan.code)));
  } while (!plan.coupon->code().empty());
  return plan;
}

IssuedCoupon AppendCouponIssue(const Rules& rules, const CouponIssuePlan& plan,
                               LedgerEntry entry,
                               loyalty::storage::v1::MemberRecord* member,
                               Batch& batch) {
  // Invariant: the entry is the member's COUPON_ISSUE.
  LEDGER_CHECK(entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_ISSUE);
  LEDGER_CHECK(entry.member_id() == member->member_id());
  const loyalty::v1::CouponTemplate& coupon_template = *plan.coupon_template;
  const CouponWindow window =
      CouponWindowFor(coupon_template, rules.time_zone, batch.now_ms());
  loyalty::v1::CouponIssued* issued = entry.mutable_coupon_issued();
  issued->set_code(plan.code);
  issued->set_template_id(coupon_template.template_id());
  issued->set_valid_from_ms(window.valid_from_ms);
  issued->set_valid_until_ms(window.valid_until_ms);
  issued->set_uses_allowed(CouponUsesAllowed(coupon_template));
  LedgerEntry appended = batch.Append(std::move(entry), member);
  // Invariant: the plan's checks are the fold's.
  LEDGER_CHECK(fold::FoldCouponEntry(appended, plan.coupon,
                                     plan.template_count, plan.member_count)
                   .ok());
  batch.StageRecord(Family::kCoupons, CouponKey(plan.code));
  batch.StageRecord(Family::kCouponCounts, plan.template_key);
  batch.StageRecord(Family::kCouponCounts, plan.member_key);
  return IssuedCoupon{std::move(appended), plan.coupon};
}

absl::StatusOr<IssuedCoupon> IssueCouponTo(
    const Rules& rules, const loyalty::v1::CouponTemplate& coupon_template,
    LedgerEntry entry, loyalty::storage::v1::MemberRecord* member,
    Batch& batch) {
  LEDGER_ASSIGN_OR_RETURN(
      CouponIssuePlan plan,
      PlanCouponIssue(coupon_template, entry.member_id(), batch));
  return AppendCouponIssue(rules, plan, std::move(entry), member, batch);
}

bool IsIssuanceLimitReached(const absl::Status& status) {
  const loyalty::v1::ErrorReason reason = ReasonOf(status);
  return absl::IsFailedPrecondition(status) &&
         (reason == loyalty::v1::ERROR_REASON_COUPON_BUDGET_SPENT ||
          reason == loyalty::v1::ERROR_REASON_COUPON_LIMIT_REACHED);
}

}  // namespace loyalty
