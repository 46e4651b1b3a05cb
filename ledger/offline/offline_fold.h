// File: ledger/offline/offline_fold.h
//
// How an offline redemption's entry folds into its member (engine/fold.cc
// calls these; the writer and VerifyLedger share them). An applied one is
// a REDEEM with offline_redemption details: -points_delta comes out of the
// available lots, what they lack becomes debt (outcome DEBT), and the
// redemption's points count against its sale day's allowance. A refused
// one (OFFLINE_REDEEM_REFUSED) moves nothing.
#ifndef LOYALTY_LEDGER_OFFLINE_OFFLINE_FOLD_H_
#define LOYALTY_LEDGER_OFFLINE_OFFLINE_FOLD_H_

#include <cstdint>

#include "absl/status/status.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::fold {

// The days of offline redemptions a member record keeps counts of: the
// newest, by sale day. A redemption dated before all of them (a till
// offline for longer than this, while the member redeemed offline on as
// many later days) is refused: its day's count is no longer known.
inline constexpr int kOfflineRedeemDaysKept = 8;

// Whether `entry` is an offline redemption's: a REDEEM with
// offline_redemption details, or an OFFLINE_REDEEM_REFUSED.
bool IsOfflineRedemptionEntry(const loyalty::v1::LedgerEntry& entry);

// The details fit the kind and outcome, and the points add up.
absl::Status CheckOfflineEntryShape(const loyalty::v1::LedgerEntry& entry);

// Folds an entry IsOfflineRedemptionEntry names.
absl::Status FoldOfflineRedemption(const loyalty::v1::LedgerEntry& entry,
                                   loyalty::storage::v1::MemberRecord* member);

// The points the member redeemed offline on `day` (0 when none), and
// whether that day's count is still kept (false: older than every kept day
// while kOfflineRedeemDaysKept days are kept).
struct OfflineDayCount {
  int64_t points = 0;
  bool known = true;
};
OfflineDayCount OfflineRedeemedOn(
    const loyalty::storage::v1::MemberRecord& member, int64_t day);

}  // namespace loyalty::fold

#endif  // LOYALTY_LEDGER_OFFLINE_OFFLINE_FOLD_H_
