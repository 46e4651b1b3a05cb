#include "ledger/rewards/reward_rules.h"

#include <string>

#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/rewards/catalog.h"

namespace loyalty {

using loyalty::storage::v1::RewardCount;

absl::StatusOr<int64_t> MemberRewardsHeld(
    absl::string_view item_id, const loyalty::storage::v1::MemberRecord& member,
    Batch& batch) {
  int64_t held = 0;
  auto add = [&](const std::string& member_id) -> absl::Status {
    LEDGER_ASSIGN_OR_RETURN(
        RewardCount * count,
        batch.LoadRecord<RewardCount>(
            Family::kRewardCounts, RewardMemberCountKey(item_id, member_id)));
    held += RewardsHeld(*count);
    return absl::OkStatus();
  };
  LEDGER_RETURN_IF_ERROR(add(member.member_id()));
  for (const std::string& merged : member.merged_member_ids()) {
    LEDGER_RETURN_IF_ERROR(add(merged));
  }
  return held;
}

}  // namespace loyalty
