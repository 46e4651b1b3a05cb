// File: ledger/rewards/cancel_reward.h
//
// CancelReward: an unused reward given back for its points.
#ifndef LOYALTY_LEDGER_REWARDS_CANCEL_REWARD_H_
#define LOYALTY_LEDGER_REWARDS_CANCEL_REWARD_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Writes a REWARD_CANCEL giving back the points the reward cost (as a
// RESTORE does: net redeemed goes down) and voiding its coupon or its
// voucher's units; the item's stock goes back up. The points are the
// ones recorded at redemption, whatever the catalog says now; so is the
// cancel policy. NOT_FOUND REWARD_NOT_FOUND when the code is no reward of
// the member (or its merged members); FAILED_PRECONDITION
// REWARD_NOT_CANCELLABLE when its item did not allow it, or it was used,
// reserved, picked up, given, expired or cancelled.
struct CancelRewardCommand {
  static constexpr CommandInfo kInfo{.name = "CancelReward",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kMemberFacing};
  using Request = loyalty::v1::CancelRewardRequest;
  using Response = loyalty::v1::CancelRewardResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<CancelRewardCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_REWARDS_CANCEL_REWARD_H_
