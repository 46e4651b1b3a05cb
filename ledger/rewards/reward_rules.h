// File: ledger/rewards/reward_rules.h
//
// What the reward commands share: the counts a redemption is checked
// against.
#ifndef LOYALTY_LEDGER_REWARDS_REWARD_RULES_H_
#define LOYALTY_LEDGER_REWARDS_REWARD_RULES_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/engine/batch.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty {

// Rewards of `item_id` that `member` holds: its own count's and those of
// the members merged into it (a merge moves no counts; a cancel counts
// under the member that cancels).
absl::StatusOr<int64_t> MemberRewardsHeld(
    absl::string_view item_id, const loyalty::storage::v1::MemberRecord& member,
    Batch& batch);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_REWARDS_REWARD_RULES_H_
