// File: ledger/coupons/coupon_issuance.h
//
// Issuing one coupon of a program template to a member: what IssueCoupon
// does for a caller, and what the program's rules (rule_coupons.h) do for
// an earn or a merge. One function, so both count against the same
// issuance budget and per-member limit and draw codes the same way.
#ifndef LOYALTY_LEDGER_COUPONS_COUPON_ISSUANCE_H_
#define LOYALTY_LEDGER_COUPONS_COUPON_ISSUANCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

class Batch;
struct Rules;

// A COUPON_ISSUE as appended, and the coupon's record as it folded.
struct IssuedCoupon {
  loyalty::v1::LedgerEntry entry;
  const loyalty::storage::v1::CouponRecord* coupon = nullptr;
};

// A coupon issue checked and its code drawn, not yet appended: what a
// command that writes another entry first (a reward's REWARD_REDEEM, which
// names the code) holds until it appends the issue with AppendCouponIssue.
struct CouponIssuePlan {
  const loyalty::v1::CouponTemplate* coupon_template = nullptr;
  std::string code;  // Canonical, unused by any coupon.
  loyalty::storage::v1::CouponRecord* coupon = nullptr;
  loyalty::storage::v1::CouponCount* template_count = nullptr;
  loyalty::storage::v1::CouponCount* member_count = nullptr;
  std::string template_key;
  std::string member_key;
};

// The checks and the draw of IssueCouponTo for `member_id`, appending
// nothing: FAILED_PRECONDITION COUPON_BUDGET_SPENT or COUPON_LIMIT_REACHED
// when the budget or the limit is reached.
absl::StatusOr<CouponIssuePlan> PlanCouponIssue(
    const loyalty::v1::CouponTemplate& coupon_template,
    const std::string& member_id, Batch& batch);

// Appends `entry` (the member's COUPON_ISSUE, who and when set) for
// `plan`, with coupon_issued's code, template, window and uses filled in
// beside whatever the caller set there; folds and stages the coupon and
// both counts.
IssuedCoupon AppendCouponIssue(const Rules& rules, const CouponIssuePlan& plan,
                               loyalty::v1::LedgerEntry entry,
                               loyalty::storage::v1::MemberRecord* member,
                               Batch& batch);

// Issues a coupon of `coupon_template` (one of rules.program's) to
// `member`: checks the template's issuance budget and the member's limit
// (coupon_counts), draws a fresh code (coupons/codes.h) the writer makes
// unused by construction, and appends `entry` with its coupon_issued
// filled in: code, template, window (the template's, in the program's time
// zone, from the batch's time) and uses. The caller sets who and when on
// `entry` (EntryFor) and, for a rule's coupon, coupon_issued's rule_id and
// rule_kind. The coupon and both counts are folded and staged.
//
// FAILED_PRECONDITION COUPON_BUDGET_SPENT or COUPON_LIMIT_REACHED, with
// nothing appended, when the budget or the limit is reached; another error
// only for storage trouble.
absl::StatusOr<IssuedCoupon> IssueCouponTo(
    const Rules& rules, const loyalty::v1::CouponTemplate& coupon_template,
    loyalty::v1::LedgerEntry entry, loyalty::storage::v1::MemberRecord* member,
    Batch& batch);

// Whether `status` is IssueCouponTo's refusal for a budget or limit
// reached (what a rule's coupon skips on).
bool IsIssuanceLimitReached(const absl::Status& status);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_COUPON_ISSUANCE_H_
