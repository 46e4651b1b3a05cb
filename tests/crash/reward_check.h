// File: tests/crash/reward_check.h
//
// What the crash tests check about the rewards catalog after loyaltyd
// restarts, with every answer of the run definite (after SettleInDoubt):
// members race for the last coupons in stock and cancels race each other
// across kill -9, and
//   - every reward an OK RedeemReward acknowledged exists (GetCoupon or
//     GetVoucher) with its item and owner: no half exchange (VerifyLedger
//     also checks that every REWARD_REDEEM is followed by its issue);
//   - it is cancelled exactly when an OK CancelReward acknowledged it, and
//     a REWARD_NOT_CANCELLABLE answer names a reward some OK cancel
//     cancelled (the test's rewards are never used, so nothing else makes
//     one uncancellable);
//   - each item's stock left (ListRewards) is its stock less the OK
//     redemptions not cancelled: none lost, none applied that no answer
//     acknowledged, never past the stock;
//   - no code is the answer of two redemptions.
//
//   RewardCheck rewards;
//   ... after SettleInDoubt: rewards.Learn(requests, &failures);
//   rewards.Check(client, &failures);
#ifndef LOYALTY_TESTS_CRASH_REWARD_CHECK_H_
#define LOYALTY_TESTS_CRASH_REWARD_CHECK_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/crash/ledger_client.h"
#include "tests/crash/recheck.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {

struct RewardCounts {
  uint64_t redeemed = 0;         // OK RedeemReward answers.
  uint64_t cancelled = 0;        // OK CancelReward answers.
  uint64_t out_of_stock = 0;     // REWARD_OUT_OF_STOCK answers.
  uint64_t not_cancellable = 0;  // REWARD_NOT_CANCELLABLE answers.
};

class RewardCheck {
 public:
  // Takes in every reward request of `requests` (each with a definite
  // answer), across cycles.
  void Learn(const std::vector<SentRequest>& requests, Failures* failures);
  // Reads every known reward and the catalog and compares them with the
  // answers.
  void Check(LedgerClient& client, Failures* failures);
  const RewardCounts& counts() const { return counts_; }

 private:
  struct Known {
    std::string name;  // The request that bought it, for messages.
    std::string printed_code;
    std::string item_id;
    std::string member_id;  // As issued.
    bool voucher = false;
    bool cancelled = false;  // By an OK CancelReward.
  };
  std::map<std::string, Known> rewards_;  // By canonical code.
  // Codes REWARD_NOT_CANCELLABLE answers named (canonical), by request.
  std::map<std::string, std::string> refused_cancels_;
  std::map<std::string, int64_t> held_;  // Item id -> OK redeems - cancels.
  RewardCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_REWARD_CHECK_H_
