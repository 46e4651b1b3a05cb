// File: ledger/rewards/catalog.h
//
// The program's rewards catalog (ProgramConfig.reward_items): validation at
// start with field-named errors, lookup, and the rules that decide whether
// a member may redeem an item now (shared by RedeemReward and ListRewards,
// so the catalog never offers what the command would refuse).
#ifndef LOYALTY_LEDGER_REWARDS_CATALOG_H_
#define LOYALTY_LEDGER_REWARDS_CATALOG_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

inline constexpr int64_t kRewardPointsPriceMax = 1'000'000'000;
inline constexpr int64_t kRewardStockMax = 1'000'000'000;
inline constexpr int32_t kRewardPerMemberLimitMax = 1000;

// Every item of `program` (reward_items[i].field: problem). Templates,
// products and tiers the items name must exist.
absl::Status ValidateRewardItems(const loyalty::v1::ProgramConfig& program);

// The item with `item_id`, or null.
const loyalty::v1::RewardItem* FindRewardItem(
    const loyalty::v1::ProgramConfig& program, absl::string_view item_id);

// Rewards of a count redeemed and not cancelled.
int64_t RewardsHeld(const loyalty::storage::v1::RewardCount& count);

// Stock left of `item` given every member's count; -1 = no limit.
int64_t RewardStockLeft(const loyalty::v1::RewardItem& item,
                        const loyalty::storage::v1::RewardCount& item_count);

// Whether a member in tier `tier_id` holding `member_held` of `item` may
// redeem it now on `channel` (CHANNEL_UNSPECIFIED: any) with `item_count`
// redeemed by everyone: FAILED_PRECONDITION with REWARD_WRONG_CHANNEL,
// REWARD_TIER_TOO_LOW, REWARD_OUT_OF_STOCK or REWARD_LIMIT_REACHED, in that
// order. Points are the caller's to check.
absl::Status CheckRewardOffered(
    const loyalty::v1::ProgramConfig& program,
    const loyalty::v1::RewardItem& item, loyalty::v1::Channel channel,
    absl::string_view tier_id,
    const loyalty::storage::v1::RewardCount& item_count, int64_t member_held);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_REWARDS_CATALOG_H_
