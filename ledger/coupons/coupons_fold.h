// File: ledger/coupons/coupons_fold.h
//
// The coupons domain's folds. A coupon entry is a member's entry (it is in
// the member's statement and chain) that moves no points; its state is the
// coupon's record and the template's counts, which FoldCouponEntry applies
// it to. The writer (IssueCoupon, RedeemCoupon) and VerifyLedger call the
// same function, so they cannot disagree.
#ifndef LOYALTY_LEDGER_COUPONS_COUPONS_FOLD_H_
#define LOYALTY_LEDGER_COUPONS_COUPONS_FOLD_H_

#include <string>

#include "absl/status/status.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::fold {

bool IsCouponEntry(loyalty::v1::EntryKind kind);

// Bulk coupon codes: the kinds of entry that belong to no member (today
// COUPON_GENERATE). They have no member id, move no points, are in no
// statement and are folded by their domain only (coupons/generate_fold.h).
bool IsMemberlessEntry(loyalty::v1::EntryKind kind);
// What a member-less entry must be: no member id, no points or balances
// after, and the details of its kind.
absl::Status CheckMemberlessEntryShape(const loyalty::v1::LedgerEntry& entry);

// The code a coupon entry names (canonical).
const std::string& CouponCodeOf(const loyalty::v1::LedgerEntry& entry);

// What a coupon entry must be for its member: no points moved, and the
// details of its own kind (and a non-coupon entry carries none).
absl::Status CheckCouponEntryShape(const loyalty::v1::LedgerEntry& entry);

// Uses of `coupon` set aside at `at_ms` by reservations not yet expired.
int32_t ActiveReservations(const loyalty::storage::v1::CouponRecord& coupon,
                           int64_t at_ms);

// Applies a coupon entry to the coupon's record (an empty one for an
// ISSUE). An ISSUE also counts in `template_count` and `member_count`
// (both required then). A REDEEM with a discount adds it to
// `template_count`'s discount_given_minor (required then; otherwise both
// may be null). A RESTORE gives one use back. A REDEEM past the coupon's
// uses, outside its window, of another code or out of count, and a RESTORE
// of a coupon with no use, are refused.
absl::Status FoldCouponEntry(const loyalty::v1::LedgerEntry& entry,
                             loyalty::storage::v1::CouponRecord* coupon,
                             loyalty::storage::v1::CouponCount* template_count,
                             loyalty::storage::v1::CouponCount* member_count);

// The member's side of a coupon entry: a RESERVE lists the reservation on
// the member (its timeout is a due time), a commit or RELEASE takes it off.
// Other coupon entries change nothing here.
absl::Status FoldCouponEntryOnMember(const loyalty::v1::LedgerEntry& entry,
                                     loyalty::storage::v1::MemberRecord* member);

}  // namespace loyalty::fold

#endif  // LOYALTY_LEDGER_COUPONS_COUPONS_FOLD_H_
