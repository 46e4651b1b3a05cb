#include "ledger/coupons/coupons_verify.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/coupons/generate_fold.h"
#include "ledger/rewards/rewards_fold.h"

namespace loyalty {

using loyalty::storage::v1::CouponBatchRecord;
using loyalty::storage::v1::CouponBearerUses;
using loyalty::storage::v1::CouponCount;
using loyalty::storage::v1::CouponRecord;
using loyalty::v1::LedgerEntry;

void CouponsVerifyPart::AfterFold(
    const LedgerEntry& entry,
    const loyalty::storage::v1::EntryStorageFields& storage,
    Problems& problems) {
  if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_ISSUE &&
      !entry.coupon_issued().rule_id().empty()) {
    CheckRuleCouponFollows(entry, problems);
  }
  Remember(entry);
  if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_GENERATE) {
    AfterGenerate(entry, problems);
    return;
  }
  // Rewards catalog: a cancelled reward coupon is never usable again.
  if (entry.kind() == loyalty::v1::ENTRY_KIND_REWARD_CANCEL &&
      !entry.reward_cancelled().voucher()) {
    const std::string cancelled_key =
        CouponKey(entry.reward_cancelled().code());
    CouponRecord cancelled_coupon = coupons_[cancelled_key];
    absl::Status voided =
        fold::FoldRewardCancelOnCoupon(entry, &cancelled_coupon);
    if (!voided.ok()) {
      problems.Add(std::string(voided.message()));
      return;
    }
    coupons_[cancelled_key] = std::move(cancelled_coupon);
    return;
  }
  if (!fold::IsCouponEntry(entry.kind())) return;
  const bool issue = entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_ISSUE;
  const std::string& code = fold::CouponCodeOf(entry);
  CouponRecord next = coupons_[CouponKey(code)];
  CouponCount template_count;
  CouponCount member_count;
  std::string template_key;
  std::string member_key;
  if (issue) {
    template_key = CouponTemplateCountKey(entry.coupon_issued().template_id());
    member_key = CouponMemberCountKey(entry.coupon_issued().template_id(),
                                      entry.member_id());
    template_count = counts_[template_key];
    member_count = counts_[member_key];
  } else if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_REDEEM &&
             entry.coupon_redeemed().discount_minor() > 0) {
    template_key =
        CouponTemplateCountKey(entry.coupon_redeemed().template_id());
    template_count = counts_[template_key];
  }
  // Bulk coupon codes: a use of a bearer coupon counts for its member.
  if (fold::CountsAsBearerUse(entry, next)) {
    CouponBearerUses& uses = bearer_uses_[CouponBearerUsesKey(
        entry.coupon_redeemed().template_id(), entry.member_id())];
    absl::Status counted = fold::FoldBearerUse(entry, &uses);
    if (!counted.ok()) problems.Add(std::string(counted.message()));
  }
  absl::Status folded =
      fold::FoldCouponEntry(entry, &next, &template_count, &member_count);
  if (!folded.ok()) {
    problems.Add(std::string(folded.message()));
    return;
  }
  coupons_[CouponKey(code)] = std::move(next);
  if (!template_key.empty()) counts_[template_key] = template_count;
  if (!member_key.empty()) counts_[member_key] = member_count;
}

void CouponsVerifyPart::CheckRuleCouponFollows(const LedgerEntry& entry,
                                               Problems& problems) const {
  const loyalty::v1::CouponIssued& issued = entry.coupon_issued();
  bool follows = previous_.member_id == entry.member_id();
  if (issued.rule_kind() == loyalty::v1::RULE_KIND_SPEND_BONUS) {
    follows =
        follows && previous_.request_id == entry.request_id() &&
        previous_.principal == entry.principal() &&
        (previous_.kind == loyalty::v1::ENTRY_KIND_EARN ||
         previous_.coupon_rule_kind == loyalty::v1::RULE_KIND_SPEND_BONUS);
  } else {
    follows = follows && previous_.kind == loyalty::v1::ENTRY_KIND_TIER &&
              previous_.tier_to == issued.rule_id() &&
              previous_.tier_from != previous_.tier_to;
  }
  if (!follows) {
    problems.Add(
        absl::StrCat("entry ", entry.sequence(), ": a coupon issued by rule \"",
                     issued.rule_id(), "\" does not follow the ",
                     issued.rule_kind() == loyalty::v1::RULE_KIND_SPEND_BONUS
                         ? "EARN of its request"
                         : "TIER entry that raised the member to that tier"));
  }
}

void CouponsVerifyPart::Remember(const LedgerEntry& entry) {
  previous_.kind = entry.kind();
  previous_.member_id = entry.member_id();
  previous_.request_id = entry.request_id();
  previous_.principal = entry.principal();
  previous_.tier_from = entry.tier_from();
  previous_.tier_to = entry.tier_to();
  previous_.coupon_rule_kind =
      entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_ISSUE
          ? entry.coupon_issued().rule_kind()
          : loyalty::v1::RULE_KIND_UNSPECIFIED;
}

void CouponsVerifyPart::AfterGenerate(const LedgerEntry& entry,
                                      Problems& problems) {
  const loyalty::v1::CouponsGenerated& generated = entry.coupons_generated();
  const std::string batch_key = CouponBatchKey(generated.batch_id());
  const std::string template_key =
      CouponTemplateCountKey(generated.template_id());
  CouponBatchRecord batch = batches_[batch_key];
  CouponCount template_count = counts_[template_key];
  // A refused entry may leave some of its codes' records set: the problem
  // is reported, and Finish then reports those records too.
  absl::Status folded = fold::FoldCouponsGenerated(
      entry, &batch, &template_count,
      [this](const std::string& code) { return &coupons_[CouponKey(code)]; });
  if (!folded.ok()) {
    problems.Add(std::string(folded.message()));
    return;
  }
  batches_[batch_key] = std::move(batch);
  counts_[template_key] = template_count;
}

absl::Status CouponsVerifyPart::Finish(const StoreReader& store,
                                       const ReplayedMembers& members,
                                       Problems& problems) {
  absl::flat_hash_map<std::string, std::string> coupons;
  for (const auto& [key, record] : coupons_) {
    // A code only redeemed (never issued) was reported by the fold.
    if (!record.code().empty()) coupons[key] = record.SerializeAsString();
  }
  LEDGER_RETURN_IF_ERROR(
      CheckFamilyMatches(store, Family::kCoupons, coupons, "coupon", problems));
  absl::flat_hash_map<std::string, std::string> counts;
  for (const auto& [key, count] : counts_) {
    counts[key] = count.SerializeAsString();
  }
  LEDGER_RETURN_IF_ERROR(CheckFamilyMatches(store, Family::kCouponCounts,
                                            counts, "coupon count", problems));
  absl::flat_hash_map<std::string, std::string> batches;
  for (const auto& [key, batch] : batches_) {
    if (!batch.batch_id().empty()) batches[key] = batch.SerializeAsString();
  }
  LEDGER_RETURN_IF_ERROR(CheckFamilyMatches(store, Family::kCouponBatches,
                                            batches, "coupon batch", problems));
  absl::flat_hash_map<std::string, std::string> bearer_uses;
  for (const auto& [key, uses] : bearer_uses_) {
    bearer_uses[key] = uses.SerializeAsString();
  }
  return CheckFamilyMatches(store, Family::kCouponBearerUses, bearer_uses,
                            "coupon bearer uses", problems);
}

}  // namespace loyalty
