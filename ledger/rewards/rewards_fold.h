// File: ledger/rewards/rewards_fold.h
//
// The rewards catalog's folds. A REWARD_REDEEM is a member's entry that
// takes the item's points (folded like a REDEEM) and is followed in its
// batch by the COUPON_ISSUE or VOUCHER_ISSUE of what it bought, which
// carries reward_item_id, reward_points and reward_cancellable (so the
// coupon's or voucher's record knows it is a reward: coupons/ and
// vouchers/ fold that). A REWARD_CANCEL gives the points back (folded like
// a RESTORE) and voids the coupon or the voucher's units.
//
// The writer and VerifyLedger call the same functions, so they cannot
// disagree.
#ifndef LOYALTY_LEDGER_REWARDS_REWARDS_FOLD_H_
#define LOYALTY_LEDGER_REWARDS_REWARDS_FOLD_H_

#include "absl/status/status.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::fold {

bool IsRewardEntry(loyalty::v1::EntryKind kind);

// What a reward entry must be: its own details, an item, a code, and
// points_delta -points (REDEEM) or +points (CANCEL) in the available
// bucket.
absl::Status CheckRewardEntryShape(const loyalty::v1::LedgerEntry& entry);

// Counts a reward entry in its item's count and in the entry's member's
// count (a REDEEM adds to redeemed, a CANCEL to cancelled). Refused
// (Internal): an item count whose cancels pass its redemptions.
absl::Status FoldRewardCounts(const loyalty::v1::LedgerEntry& entry,
                              loyalty::storage::v1::RewardCount* item_count,
                              loyalty::storage::v1::RewardCount* member_count);

// The member's side: the points (points/points_fold.h) and, for a
// cancelled voucher, its expiry is no longer due.
absl::Status FoldRewardEntryOnMember(
    const loyalty::v1::LedgerEntry& entry,
    loyalty::storage::v1::MemberRecord* member);

// Whether `coupon` may be cancelled at `at_ms`: a cancellable reward, not
// cancelled, never used, nothing reserved, not expired.
bool CouponRewardCancellable(const loyalty::storage::v1::CouponRecord& coupon,
                             int64_t at_ms);
// Whether `voucher` may be cancelled at `at_ms`: a cancellable reward with
// every unit it was issued with (none picked up, given, refunded or
// expired), not expired.
bool VoucherRewardCancellable(
    const loyalty::storage::v1::VoucherRecord& voucher, int64_t at_ms);

// A REWARD_CANCEL of a coupon: the coupon is cancelled. Refused (Internal)
// unless CouponRewardCancellable at the entry's time and the entry names
// the coupon's item and points.
absl::Status FoldRewardCancelOnCoupon(
    const loyalty::v1::LedgerEntry& entry,
    loyalty::storage::v1::CouponRecord* coupon);
// A REWARD_CANCEL of a voucher: its units left become units_cancelled.
// Refused likewise.
absl::Status FoldRewardCancelOnVoucher(
    const loyalty::v1::LedgerEntry& entry,
    loyalty::storage::v1::VoucherRecord* voucher);

}  // namespace loyalty::fold

#endif  // LOYALTY_LEDGER_REWARDS_REWARDS_FOLD_H_
