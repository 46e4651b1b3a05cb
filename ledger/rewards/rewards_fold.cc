#include "ledger/rewards/rewards_fold.h"

#include "ledger/common/status_util.h"
#include "ledger/engine/fold_support.h"
#include "ledger/points/points_fold.h"
#include "ledger/vouchers/vouchers_fold.h"

namespace loyalty::fold {

using loyalty::storage::v1::CouponRecord;
using loyalty::storage::v1::RewardCount;
using loyalty::storage::v1::VoucherRecord;
using loyalty::v1::LedgerEntry;

bool IsRewardEntry(loyalty::v1::EntryKind kind) {
  return kind == loyalty::v1::ENTRY_KIND_REWARD_REDEEM ||
         kind == loyalty::v1::ENTRY_KIND_REWARD_CANCEL;
}

absl::Status CheckRewardEntryShape(const LedgerEntry& entry) {
  const bool redeem = entry.kind() == loyalty::v1::ENTRY_KIND_REWARD_REDEEM;
  if (entry.details_case() !=
      (redeem ? LedgerEntry::kRewardRedeemed : LedgerEntry::kRewardCancelled)) {
    return Broken(entry, "the entry's details are not of its kind");
  }
  const std::string& item_id = redeem ? entry.reward_redeemed().item_id()
                                      : entry.reward_cancelled().item_id();
  const std::string& code =
      redeem ? entry.reward_redeemed().code() : entry.reward_cancelled().code();
  const int64_t points = redeem ? entry.reward_redeemed().points()
                                : entry.reward_cancelled().points();
  if (item_id.empty() || code.empty() || points <= 0) {
    return Broken(entry, "a reward entry without an item, code or points");
  }
  if (entry.bucket() != loyalty::v1::BUCKET_AVAILABLE ||
      entry.points_delta() != (redeem ? -points : points)) {
    return Broken(entry, "a reward entry moves other points than its price");
  }
  return absl::OkStatus();
}

absl::Status FoldRewardCounts(const LedgerEntry& entry, RewardCount* item_count,
                              RewardCount* member_count) {
  LEDGER_RETURN_IF_ERROR(CheckRewardEntryShape(entry));
  if (entry.kind() == loyalty::v1::ENTRY_KIND_REWARD_REDEEM) {
    item_count->set_redeemed(item_count->redeemed() + 1);
    member_count->set_redeemed(member_count->redeemed() + 1);
    return absl::OkStatus();
  }
  if (item_count->cancelled() >= item_count->redeemed()) {
    return Broken(entry, "a reward cancelled more often than redeemed");
  }
  item_count->set_cancelled(item_count->cancelled() + 1);
  // A member merged since may cancel what its source redeemed: only the
  // item's count balances; a member's held sums over its merged members.
  member_count->set_cancelled(member_count->cancelled() + 1);
  return absl::OkStatus();
}

absl::Status FoldRewardEntryOnMember(
    const LedgerEntry& entry, loyalty::storage::v1::MemberRecord* member) {
  LEDGER_RETURN_IF_ERROR(CheckRewardEntryShape(entry));
  LEDGER_RETURN_IF_ERROR(FoldPointsEntry(entry, member));
  if (entry.kind() == loyalty::v1::ENTRY_KIND_REWARD_CANCEL &&
      entry.reward_cancelled().voucher()) {
    return FoldVoucherDues(entry, member);
  }
  return absl::OkStatus();
}

bool CouponRewardCancellable(const CouponRecord& coupon, int64_t at_ms) {
  return !coupon.reward_item_id().empty() && coupon.reward_cancellable() &&
         !coupon.cancelled() && coupon.uses() == 0 &&
         coupon.reservations_size() == 0 && at_ms < coupon.valid_until_ms();
}

bool VoucherRewardCancellable(const VoucherRecord& voucher, int64_t at_ms) {
  return !voucher.reward_item_id().empty() && voucher.reward_cancellable() &&
         voucher.units_cancelled() == 0 &&
         voucher.units_left() == voucher.units_bought() &&
         voucher.units_left() > 0 && at_ms < voucher.expires_at_ms();
}

absl::Status FoldRewardCancelOnCoupon(const LedgerEntry& entry,
                                      CouponRecord* coupon) {
  LEDGER_RETURN_IF_ERROR(CheckRewardEntryShape(entry));
  const loyalty::v1::RewardCancelled& cancelled = entry.reward_cancelled();
  if (entry.kind() != loyalty::v1::ENTRY_KIND_REWARD_CANCEL ||
      cancelled.voucher() || coupon->code() != cancelled.code() ||
      coupon->reward_item_id() != cancelled.item_id() ||
      coupon->reward_points() != cancelled.points()) {
    return Broken(entry, "a REWARD_CANCEL of another coupon or price");
  }
  if (!CouponRewardCancellable(*coupon, entry.recorded_at_ms())) {
    return Broken(entry,
                  "a reward coupon cancelled that was used, expired, "
                  "not cancellable or cancelled");
  }
  coupon->set_cancelled(true);
  return absl::OkStatus();
}

absl::Status FoldRewardCancelOnVoucher(const LedgerEntry& entry,
                                       VoucherRecord* voucher) {
  LEDGER_RETURN_IF_ERROR(CheckRewardEntryShape(entry));
  const loyalty::v1::RewardCancelled& cancelled = entry.reward_cancelled();
  if (entry.kind() != loyalty::v1::ENTRY_KIND_REWARD_CANCEL ||
      !cancelled.voucher() || voucher->code() != cancelled.code() ||
      voucher->reward_item_id() != cancelled.item_id() ||
      voucher->reward_points() != cancelled.points()) {
    return Broken(entry, "a REWARD_CANCEL of another voucher or price");
  }
  if (!VoucherRewardCancellable(*voucher, entry.recorded_at_ms()) ||
      cancelled.voucher_units() != voucher->units_left()) {
    return Broken(entry,
                  "a reward voucher cancelled that was used, expired, "
                  "not cancellable or cancelled");
  }
  voucher->set_units_cancelled(voucher->units_left());
  voucher->set_units_left(0);
  // Invariant: moving units between two terms keeps them conserved.
  LEDGER_CHECK(VoucherUnitsConserved(*voucher));
  return absl::OkStatus();
}

}  // namespace loyalty::fold
