// The model test's checks of the rewards catalog (see harness.h): the
// entries, balance and coupon or voucher of RedeemReward's and
// CancelReward's answers, and the reward_counts family, against the model.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/storage/ledger_store.h"
#include "runner.h"

namespace loyalty::model {

std::string Runner::CompareRewardsOk(const Command& command,
                                     const Expected& expected,
                                     const Observed& observed) {
  const size_t own = command.request.index() == kRedeemRewardKind ? 2 : 1;
  if (observed.entries.size() != own) return "the response's entries differ";
  // A replay answers the first response, which Judge compares by hash.
  if (expected.replayed) return "";
  if (expected.entries.size() < own) return "the model wrote no entry";
  for (size_t i = 0; i < own; ++i) {
    const ExpectedEntry& want =
        expected.entries[expected.entries.size() - own + i];
    std::string problem = CompareEntry(want, observed.entries[i]);
    if (!problem.empty()) return "the response's " + problem;
  }
  if (!SameTotals(expected.totals, observed.balance)) {
    return "balance in the response differs";
  }
  const int64_t now_ms = clock_.NowMs();
  const bool voucher = !expected.voucher.code.empty();
  std::string problem =
      voucher ? CompareVoucher(expected.voucher, observed.voucher, now_ms)
              : CompareCoupon(expected.coupon, observed.coupon, now_ms);
  if (!problem.empty()) return "the response's reward differs: " + problem;
  return "";
}

void Runner::CountRewardRejection(v1::ErrorReason reason) {
  switch (reason) {
    case v1::ERROR_REASON_REWARD_ITEM_NOT_FOUND:
      ++report_.reward_refusals_item;
      break;
    case v1::ERROR_REASON_REWARD_OUT_OF_STOCK:
      ++report_.reward_refusals_out_of_stock;
      break;
    case v1::ERROR_REASON_REWARD_LIMIT_REACHED:
      ++report_.reward_refusals_limit;
      break;
    case v1::ERROR_REASON_REWARD_TIER_TOO_LOW:
      ++report_.reward_refusals_tier;
      break;
    case v1::ERROR_REASON_REWARD_WRONG_CHANNEL:
      ++report_.reward_refusals_channel;
      break;
    case v1::ERROR_REASON_REWARD_NOT_FOUND:
      ++report_.reward_refusals_not_found;
      break;
    case v1::ERROR_REASON_REWARD_NOT_CANCELLABLE:
      ++report_.reward_refusals_not_cancellable;
      break;
    default:
      break;
  }
}

bool Runner::CheckRewards() {
  current_ = "the reward_counts family against the model";
  std::map<std::string, std::string> want;
  for (const auto& [key, count] : model_.reward_counts()) {
    if (count.redeemed == 0 && count.cancelled == 0) continue;  // Refused.
    storage::v1::RewardCount record;
    record.set_redeemed(count.redeemed);
    record.set_cancelled(count.cancelled);
    want[key.second.empty() ? RewardItemCountKey(key.first)
                            : RewardMemberCountKey(key.first, key.second)] =
        record.SerializeAsString();
  }
  std::map<std::string, std::string> stored;
  absl::Status scanned =
      memory_.Scan(Family::kRewardCounts, "", "", false,
                   [&](absl::string_view key, absl::string_view value) {
                     stored[std::string(key)] = std::string(value);
                     return true;
                   });
  if (!scanned.ok()) return Fail(scanned.ToString());
  if (stored != want) {
    return Fail(absl::StrCat("the reward_counts family has ", stored.size(),
                             " keys, the model ", want.size(),
                             ", or a value differs"));
  }
  return true;
}

}  // namespace loyalty::model
