// File: ledger/rewards/rewards_verify.h
//
// The rewards catalog's part of VerifyLedger (read/verify_part.h): every
// reward count is the fold of the REWARD_REDEEM and REWARD_CANCEL entries,
// both ways, and every REWARD_REDEEM is followed by the issue of the coupon
// or voucher it names, for the same member and item (no half exchange).
// The coupons and vouchers parts fold a REWARD_CANCEL into the coupon's or
// voucher's record.
#ifndef LOYALTY_LEDGER_REWARDS_REWARDS_VERIFY_H_
#define LOYALTY_LEDGER_REWARDS_REWARDS_VERIFY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ledger/read/verify_part.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

class RewardsVerifyPart final : public VerifyPart {
 public:
  void BeforeFold(uint64_t key_sequence, const loyalty::v1::LedgerEntry& entry,
                  const loyalty::storage::v1::MemberRecord& member_before,
                  Problems& problems) override {}
  void AfterFold(const loyalty::v1::LedgerEntry& entry,
                 const loyalty::storage::v1::EntryStorageFields& storage,
                 Problems& problems) override;
  // A REWARD_REDEEM last in the ledger, then the reward_counts family.
  absl::Status Finish(const StoreReader& store, const ReplayedMembers& members,
                      Problems& problems) override;

 private:
  // By RewardItemCountKey / RewardMemberCountKey.
  absl::flat_hash_map<std::string, loyalty::storage::v1::RewardCount> counts_;
  // The REWARD_REDEEM whose issue must be the next entry.
  std::optional<loyalty::v1::LedgerEntry> awaiting_issue_;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_REWARDS_REWARDS_VERIFY_H_
