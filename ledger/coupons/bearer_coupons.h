// File: ledger/coupons/bearer_coupons.h
//
// Bulk coupon codes: the rules of bearer coupons (generated in a batch, no
// owner), for the writer's coupon commands. Any member may present a bearer
// coupon; an owned coupon only its owner (after merges). A template's
// per_member_limit bounds, for its bearer codes, the uses one member makes
// of them in all: each COUPON_REDEEM of a bearer code counts one in the
// member's CouponBearerUses; a restore gives the use back to the code, not
// to the member (so a return cannot be used to pass the limit).
#ifndef LOYALTY_LEDGER_COUPONS_BEARER_COUPONS_H_
#define LOYALTY_LEDGER_COUPONS_BEARER_COUPONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

class Batch;

// OK when `member_id` (resolved) may present `coupon`: anyone a bearer
// coupon, else its owner, whose id is resolved through the batch (the
// owner may have been merged into the presenting member since). NOT_FOUND
// (CouponNotFound) otherwise, which says nothing about the code.
absl::Status CheckPresentedBy(const loyalty::storage::v1::CouponRecord& coupon,
                              const std::string& member_id, Batch& batch);

// The uses `member_id` made of `coupon`'s template's bearer codes so far
// (0 for an owned coupon, without reading).
absl::StatusOr<int64_t> BearerUsesOf(
    const loyalty::storage::v1::CouponRecord& coupon,
    const std::string& member_id, Batch& batch);

// FAILED_PRECONDITION COUPON_BEARER_LIMIT_REACHED when one more use of the
// bearer `coupon` by `member_id`, who made `uses_before` uses of its
// template's bearer codes (counting earlier codes of the same order), passes
// the template's per_member_limit. OK for an owned coupon, a template
// without a limit, or one the program no longer has (null).
absl::Status CheckBearerLimit(
    const loyalty::storage::v1::CouponRecord& coupon,
    const loyalty::v1::CouponTemplate* coupon_template,
    const std::string& member_id, int64_t uses_before);

// After a COUPON_REDEEM of `coupon` was appended (`appended`): counts it in
// its member's bearer uses when the coupon is a bearer coupon, and stages
// the count. Aborts if the count cannot be read (BearerUsesOf read it in
// this batch before).
void RecordBearerUse(const loyalty::v1::LedgerEntry& appended,
                     const loyalty::storage::v1::CouponRecord& coupon,
                     Batch& batch);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_BEARER_COUPONS_H_
