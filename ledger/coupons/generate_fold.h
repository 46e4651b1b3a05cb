// File: ledger/coupons/generate_fold.h
//
// Bulk coupon codes: the folds of generated (bearer) coupons. A
// COUPON_GENERATE entry belongs to no member; it creates one coupon record
// per code it lists (member_id empty, batch_id set), extends its batch's
// record (family coupon_batches) and, when it opens the batch, counts the
// whole batch in its template's issued count. A COUPON_REDEEM of a bearer
// coupon also counts in the presenting member's CouponBearerUses (what the
// template's per_member_limit limits for bearer codes).
//
// The writer (GenerateCouponChunk, RedeemCoupon, checkout) and
// VerifyLedger call these same functions, so they cannot disagree.
#ifndef LOYALTY_LEDGER_COUPONS_GENERATE_FOLD_H_
#define LOYALTY_LEDGER_COUPONS_GENERATE_FOLD_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::fold {

// Whether a coupon is a bearer coupon: generated in a batch, no owner, any
// member may use it.
bool IsBearerCoupon(const loyalty::storage::v1::CouponRecord& coupon);

// The record of a canonical code (an empty one when no coupon has it); the
// pointer stays valid while the fold runs.
using CouponRecordOf =
    absl::FunctionRef<loyalty::storage::v1::CouponRecord*(const std::string&)>;

// Applies a COUPON_GENERATE to its batch's record (empty before the batch's
// first entry), the template's count and each code's coupon record.
// Refused (the entry does not follow): details missing or out of range, a
// first entry of a batch that exists, a later entry that does not continue
// its batch where it stopped (index, template, count, window or uses), more
// codes than the batch or a chunk may hold, a code that is not canonical,
// and a code some coupon already has (or the entry lists twice). On a
// refusal the records may be left part-way: the writer aborts and verify
// reports.
absl::Status FoldCouponsGenerated(
    const loyalty::v1::LedgerEntry& entry,
    loyalty::storage::v1::CouponBatchRecord* batch,
    loyalty::storage::v1::CouponCount* template_count,
    CouponRecordOf coupon_of);

// Whether a COUPON_REDEEM of `coupon_before` (the record before the entry's
// own fold) counts as a bearer use of the entry's member.
bool CountsAsBearerUse(const loyalty::v1::LedgerEntry& entry,
                       const loyalty::storage::v1::CouponRecord& coupon_before);
// Adds one bearer use (CountsAsBearerUse) to the member's count.
absl::Status FoldBearerUse(const loyalty::v1::LedgerEntry& entry,
                           loyalty::storage::v1::CouponBearerUses* uses);

}  // namespace loyalty::fold

#endif  // LOYALTY_LEDGER_COUPONS_GENERATE_FOLD_H_
