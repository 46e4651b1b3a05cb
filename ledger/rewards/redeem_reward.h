// File: ledger/rewards/redeem_reward.h
//
// RedeemReward: a member exchanges points for a rewards catalog item.
#ifndef LOYALTY_LEDGER_REWARDS_REDEEM_REWARD_H_
#define LOYALTY_LEDGER_REWARDS_REDEEM_REWARD_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Writes a REWARD_REDEEM taking the item's points_price from available
// points, then the COUPON_ISSUE (a fresh code of the item's template) or
// VOUCHER_ISSUE (the item's units of its product, price 0) of what it
// buys, in one batch: both or neither. The item's stock and the member's
// count go up by one (reward_counts). Refusals, in order: NOT_FOUND
// REWARD_ITEM_NOT_FOUND or for the member; FAILED_PRECONDITION
// REWARD_WRONG_CHANNEL, REWARD_TIER_TOO_LOW, REWARD_OUT_OF_STOCK,
// REWARD_LIMIT_REACHED, INSUFFICIENT_POINTS, then what issuing refuses
// (COUPON_BUDGET_SPENT, COUPON_LIMIT_REACHED, VOUCHER_EXPIRED).
struct RedeemRewardCommand {
  static constexpr CommandInfo kInfo{.name = "RedeemReward",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::RedeemRewardRequest;
  using Response = loyalty::v1::RedeemRewardResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<RedeemRewardCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_REWARDS_REDEEM_REWARD_H_
