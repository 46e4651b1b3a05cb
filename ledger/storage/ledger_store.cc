#include "ledger/storage/ledger_store.h"

namespace loyalty {

absl::StatusOr<std::unique_ptr<StoreReader>> LedgerStore::Checkpoint(
    const std::string& path) const {
  return absl::FailedPreconditionError(
      "this store keeps no files to back up (only a RocksDB data directory "
      "can be backed up); nothing was written to " +
      path);
}

absl::string_view FamilyName(Family family) {
  switch (family) {
    case Family::kEntries:
      return "entries";
    case Family::kMemberEntries:
      return "member_entries";
    case Family::kMembers:
      return "members";
    case Family::kIdentifiers:
      return "identifiers";
    case Family::kRequests:
      return "requests";
    case Family::kOrders:
      return "orders";
    case Family::kMeta:
      return "meta";
    case Family::kSchedule:
      return "schedule";
    case Family::kCoupons:
      return "coupons";
    case Family::kCouponCounts:
      return "coupon_counts";
    case Family::kVouchers:
      return "vouchers";
    case Family::kVoucherGifts:
      return "voucher_gifts";
    case Family::kCouponBatches:
      return "coupon_batches";
    case Family::kCouponBearerUses:
      return "coupon_bearer_uses";
    case Family::kRewardCounts:
      return "reward_counts";
    case Family::kWallet:
      return "wallet";
    case Family::kOfflineReconciliations:
      return "offline_reconciliations";
  }
  return "unknown";
}

}  // namespace loyalty
