#include "ledger/coupons/rule_coupons.h"

#include <utility>

#include "ledger/common/status_util.h"
#include "ledger/coupons/coupon_issuance.h"
#include "ledger/coupons/templates.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/command.h"
#include "ledger/points/tiers.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

namespace {

const loyalty::v1::SpendBonus* FindSpendBonus(
    const loyalty::v1::ProgramConfig& program, const std::string& rule_id) {
  for (const loyalty::v1::SpendBonus& bonus : program.spend_bonuses()) {
    if (bonus.rule_id() == rule_id) return &bonus;
  }
  return nullptr;
}

// Issues one rule's coupon of `template_id`; skipped (OK, nothing added)
// when the template's budget or the member's limit is reached.
absl::Status IssueRuleCoupon(
    const Rules& rules, const std::string& template_id,
    loyalty::v1::RuleKind rule_kind, const std::string& rule_id,
    const LedgerEntry& who, MemberRecord* member, Batch& batch,
    google::protobuf::RepeatedPtrField<loyalty::v1::Coupon>* issued,
    google::protobuf::RepeatedPtrField<LedgerEntry>* entries) {
  const loyalty::v1::CouponTemplate* coupon_template =
      FindCouponTemplate(rules.program, template_id);
  // Invariant: ValidateProgram refuses a rule naming an unknown template.
  LEDGER_CHECK(coupon_template != nullptr);
  LedgerEntry entry = who;
  entry.set_kind(loyalty::v1::ENTRY_KIND_COUPON_ISSUE);
  entry.set_member_id(member->member_id());
  entry.mutable_coupon_issued()->set_rule_id(rule_id);
  entry.mutable_coupon_issued()->set_rule_kind(rule_kind);
  absl::StatusOr<IssuedCoupon> coupon =
      IssueCouponTo(rules, *coupon_template, std::move(entry), member, batch);
  if (IsIssuanceLimitReached(coupon.status())) return absl::OkStatus();
  if (!coupon.ok()) return coupon.status();
  *issued->Add() = CouponView(*coupon->coupon, coupon_template, batch.now_ms());
  if (entries != nullptr) *entries->Add() = std::move(coupon->entry);
  return absl::OkStatus();
}

}  // namespace

absl::Status IssueSpendBonusCoupons(
    const Rules& rules, const std::vector<std::string>& bonus_rule_ids,
    const LedgerEntry& who, MemberRecord* member, Batch& batch,
    google::protobuf::RepeatedPtrField<loyalty::v1::Coupon>* issued,
    google::protobuf::RepeatedPtrField<LedgerEntry>* entries) {
  for (const std::string& rule_id : bonus_rule_ids) {
    const loyalty::v1::SpendBonus* bonus =
        FindSpendBonus(rules.program, rule_id);
    // Invariant: ComputeEarn lists bonuses of this program with a coupon.
    LEDGER_CHECK(bonus != nullptr);
    LEDGER_CHECK(!bonus->coupon_template_id().empty());
    LEDGER_RETURN_IF_ERROR(IssueRuleCoupon(
        rules, bonus->coupon_template_id(), loyalty::v1::RULE_KIND_SPEND_BONUS,
        rule_id, who, member, batch, issued, entries));
  }
  return absl::OkStatus();
}

absl::Status IssueTierUpgradeCoupon(
    const Rules& rules, const LedgerEntry& tier_entry, const LedgerEntry& who,
    MemberRecord* member, Batch& batch,
    google::protobuf::RepeatedPtrField<loyalty::v1::Coupon>* issued,
    google::protobuf::RepeatedPtrField<LedgerEntry>* entries) {
  LEDGER_CHECK(tier_entry.kind() == loyalty::v1::ENTRY_KIND_TIER);
  if (!HasTiers(rules.program)) return absl::OkStatus();
  const loyalty::v1::TierRules& tier_rules = rules.program.tier_rules();
  const int to_index = TierIndex(tier_rules, tier_entry.tier_to());
  // A member without a tier yet counts as in the first; the first tier
  // names no coupon (ValidateProgram), so reaching it issues nothing.
  if (to_index <= TierIndex(tier_rules, tier_entry.tier_from())) {
    return absl::OkStatus();
  }
  const loyalty::v1::Tier& tier = tier_rules.tiers(to_index);
  if (tier.tier_id() != tier_entry.tier_to() ||
      tier.upgrade_coupon_template_id().empty()) {
    return absl::OkStatus();
  }
  return IssueRuleCoupon(rules, tier.upgrade_coupon_template_id(),
                         loyalty::v1::RULE_KIND_TIER, tier.tier_id(), who,
                         member, batch, issued, entries);
}

}  // namespace loyalty
