#include "ledger/rewards/list_rewards.h"

#include <string>
#include <vector>

#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/rewards/catalog.h"

namespace loyalty {

using loyalty::storage::v1::RewardCount;

namespace {

// The stored count under `key`, or an empty one.
absl::StatusOr<RewardCount> ReadCount(const StoreReader& store,
                                      const std::string& key) {
  RewardCount count;
  absl::StatusOr<std::string> bytes = store.Get(Family::kRewardCounts, key);
  if (absl::IsNotFound(bytes.status())) return count;
  if (!bytes.ok()) return bytes.status();
  if (!count.ParseFromString(*bytes)) {
    return absl::DataLossError("a reward count does not decode");
  }
  return count;
}

}  // namespace

absl::StatusOr<loyalty::v1::ListRewardsResponse> ListRewards(
    const loyalty::v1::ListRewardsRequest& request, const Reader& reader,
    const StoreReader& store, const Rules& rules, int64_t now_ms) {
  if (!loyalty::v1::Channel_IsValid(request.channel())) {
    return InvalidField("channel", "is not a channel");
  }
  const bool for_member = !request.member_id().empty();
  loyalty::v1::Member member;
  if (for_member) {
    LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
    LEDGER_ASSIGN_OR_RETURN(member,
                            reader.GetMember(request.member_id(), now_ms));
  }
  loyalty::v1::ListRewardsResponse response;
  for (const loyalty::v1::RewardItem& item : rules.program.reward_items()) {
    LEDGER_ASSIGN_OR_RETURN(
        const RewardCount item_count,
        ReadCount(store, RewardItemCountKey(item.item_id())));
    loyalty::v1::RewardOffer* offer = response.add_offers();
    *offer->mutable_item() = item;
    offer->set_stock_left(RewardStockLeft(item, item_count));
    if (!for_member) continue;
    // As RedeemRewardCommand counts: the member and its merged members.
    std::vector<std::string> holders = {member.member_id()};
    holders.insert(holders.end(), member.merged_member_ids().begin(),
                   member.merged_member_ids().end());
    int64_t held = 0;
    for (const std::string& holder : holders) {
      LEDGER_ASSIGN_OR_RETURN(
          const RewardCount count,
          ReadCount(store, RewardMemberCountKey(item.item_id(), holder)));
      held += RewardsHeld(count);
    }
    offer->set_member_held(held);
    const absl::Status offered =
        CheckRewardOffered(rules.program, item, request.channel(),
                           member.tier().tier_id(), item_count, held);
    offer->set_refusal(offered.ok() ? loyalty::v1::ERROR_REASON_UNSPECIFIED
                                    : ReasonOf(offered));
  }
  return response;
}

}  // namespace loyalty
