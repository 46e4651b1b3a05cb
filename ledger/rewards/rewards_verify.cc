#include "ledger/rewards/rewards_verify.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/rewards/rewards_fold.h"

namespace loyalty {

using loyalty::storage::v1::RewardCount;
using loyalty::v1::LedgerEntry;

namespace {

// Whether `issue` is the issue `redeem` bought.
bool IssuesWhatWasBought(const LedgerEntry& redeem, const LedgerEntry& issue) {
  const loyalty::v1::RewardRedeemed& bought = redeem.reward_redeemed();
  if (issue.member_id() != redeem.member_id() ||
      issue.request_id() != redeem.request_id()) {
    return false;
  }
  if (bought.voucher()) {
    return issue.kind() == loyalty::v1::ENTRY_KIND_VOUCHER_ISSUE &&
           issue.voucher_issued().code() == bought.code() &&
           issue.voucher_issued().reward_item_id() == bought.item_id() &&
           issue.voucher_issued().reward_points() == bought.points();
  }
  return issue.kind() == loyalty::v1::ENTRY_KIND_COUPON_ISSUE &&
         issue.coupon_issued().code() == bought.code() &&
         issue.coupon_issued().reward_item_id() == bought.item_id() &&
         issue.coupon_issued().reward_points() == bought.points();
}

// Whether `entry` issues a coupon or voucher that says it is a reward.
bool IsRewardIssue(const LedgerEntry& entry) {
  return (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_ISSUE &&
          !entry.coupon_issued().reward_item_id().empty()) ||
         (entry.kind() == loyalty::v1::ENTRY_KIND_VOUCHER_ISSUE &&
          !entry.voucher_issued().reward_item_id().empty());
}

}  // namespace

void RewardsVerifyPart::AfterFold(
    const LedgerEntry& entry,
    const loyalty::storage::v1::EntryStorageFields& storage,
    Problems& problems) {
  if (awaiting_issue_.has_value()) {
    if (!IssuesWhatWasBought(*awaiting_issue_, entry)) {
      problems.Add(absl::StrCat("entry ", awaiting_issue_->sequence(),
                                ": a REWARD_REDEEM not followed by the issue "
                                "of what it bought"));
    }
    awaiting_issue_.reset();
  } else if (IsRewardIssue(entry)) {
    problems.Add(absl::StrCat("entry ", entry.sequence(),
                              ": a reward issued without its REWARD_REDEEM"));
  }
  if (!fold::IsRewardEntry(entry.kind())) return;
  const bool redeem = entry.kind() == loyalty::v1::ENTRY_KIND_REWARD_REDEEM;
  const std::string& item_id = redeem ? entry.reward_redeemed().item_id()
                                      : entry.reward_cancelled().item_id();
  const std::string item_key = RewardItemCountKey(item_id);
  const std::string member_key =
      RewardMemberCountKey(item_id, entry.member_id());
  RewardCount item_count = counts_[item_key];
  RewardCount member_count = counts_[member_key];
  absl::Status folded =
      fold::FoldRewardCounts(entry, &item_count, &member_count);
  if (!folded.ok()) {
    problems.Add(std::string(folded.message()));
    return;
  }
  counts_[item_key] = item_count;
  counts_[member_key] = member_count;
  if (redeem) awaiting_issue_ = entry;
}

absl::Status RewardsVerifyPart::Finish(const StoreReader& store,
                                       const ReplayedMembers& members,
                                       Problems& problems) {
  if (awaiting_issue_.has_value()) {
    problems.Add(absl::StrCat("entry ", awaiting_issue_->sequence(),
                              ": a REWARD_REDEEM last in the ledger, without "
                              "the issue of what it bought"));
  }
  absl::flat_hash_map<std::string, std::string> counts;
  for (const auto& [key, count] : counts_) {
    counts[key] = count.SerializeAsString();
  }
  return CheckFamilyMatches(store, Family::kRewardCounts, counts,
                            "reward count", problems);
}

}  // namespace loyalty
