// File: ledger/rewards/list_rewards.h
//
// ListRewards: the catalog as a member would see it now.
#ifndef LOYALTY_LEDGER_REWARDS_LIST_REWARDS_H_
#define LOYALTY_LEDGER_REWARDS_LIST_REWARDS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "ledger/engine/command.h"
#include "ledger/read/reader.h"
#include "ledger/storage/ledger_store.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Every item in the program's order with its stock left; with a member,
// the rewards of it the member holds and the refusal RedeemReward would
// give now other than for points (CheckRewardOffered, the same rule), on
// the request's channel (UNSPECIFIED: any). InvalidArgument for a
// malformed member id or channel; NotFound for an unknown member.
absl::StatusOr<loyalty::v1::ListRewardsResponse> ListRewards(
    const loyalty::v1::ListRewardsRequest& request, const Reader& reader,
    const StoreReader& store, const Rules& rules, int64_t now_ms);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_REWARDS_LIST_REWARDS_H_
