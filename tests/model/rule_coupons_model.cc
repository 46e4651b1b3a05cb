// The model of coupons issued by program rules (README, "Issued by program
// rules"): a spend bonus's coupon right after the EARN of an order that
// paid at least its threshold in its currency, and a tier's upgrade coupon
// right after each TIER entry of an earn or a merge that moves the member
// up to that tier. Each counts against its template's issuance budget and
// per-member limit, as IssueCoupon does; one whose budget or limit is
// reached is skipped and the earn or merge is written all the same. The
// codes are the ledger's draws: the harness hands them over from the
// answer (SetRuleCouponCodes).
#include <utility>

#include "model.h"
#include "model_rules.h"

namespace loyalty::model {

const std::vector<CouponRule>& ModelRuleCouponRules() {
  static const std::vector<CouponRule> kRules = [] {
    std::vector<CouponRule> rules;
    auto add = [&](std::string id, int32_t percent_off, int32_t valid_days) {
      CouponRule rule;
      rule.template_id = std::move(id);
      rule.percent_off = percent_off;
      rule.valid_days = valid_days;
      rules.push_back(rule);
      return &rules.back();
    };
    // Two per member: an order past both EUR bonuses uses up the limit at
    // once, and a member's third one is skipped.
    add("thanks-eur", 10, 30)->per_member_limit = 2;
    // Six in all: a run reaches the budget, after which USD orders past the
    // threshold earn without their coupon.
    add("thanks-usd", 5, 20)->budget = 6;
    add("welcome-silver", 15, 30);
    // Once per member: a member back at gold after a move down, or a
    // merge's target that had it, gets none.
    add("welcome-gold", 25, 14)->per_member_limit = 1;
    return rules;
  }();
  return kRules;
}

const std::vector<SpendBonusRule>& ModelSpendBonuses() {
  static const std::vector<SpendBonusRule> kBonuses = {
      {"spend-eur-200", "EUR", 200'00, "thanks-eur"},
      {"spend-eur-1000", "EUR", 1000'00, "thanks-eur"},
      {"spend-usd-500", "USD", 500'00, "thanks-usd"},
  };
  return kBonuses;
}

void Model::SetRuleCouponCodes(std::vector<std::string> codes) {
  rule_coupon_codes_.assign(codes.begin(), codes.end());
  rule_coupon_codes_missing_ = 0;
}

bool Model::IssueRuleCoupon(
    MemberState& member, const v1::RequestContext& context, v1::Channel channel,
    const std::string& template_id, v1::RuleKind rule_kind,
    const std::string& rule_id,
    std::set<std::pair<std::string, std::string>>* count_keys) {
  const CouponRule* rule = FindCouponRule(template_id);
  int64_t& template_count = coupon_counts_[{template_id, ""}];
  int64_t& member_count = coupon_counts_[{template_id, member.member_id}];
  if (rule->budget != 0 && template_count >= rule->budget) {
    ++counts_.rule_coupons_skipped_budget;
    return false;
  }
  if (rule->per_member_limit != 0 && member_count >= rule->per_member_limit) {
    ++counts_.rule_coupons_skipped_limit;
    return false;
  }
  ++template_count;
  ++member_count;
  count_keys->insert({template_id, ""});
  count_keys->insert({template_id, member.member_id});
  CouponState coupon;
  if (rule_coupon_codes_.empty()) {
    ++rule_coupon_codes_missing_;  // The ledger issued fewer: a failure.
    coupon.code = "(none drawn)";
  } else {
    coupon.code = rule_coupon_codes_.front();
    rule_coupon_codes_.pop_front();
  }
  coupon.template_id = template_id;
  coupon.owner = member.member_id;
  coupon.valid_from_ms = now_ms_;
  coupon.valid_until_ms = ModelDayEndMs(now_ms_, rule->valid_days);
  coupon.uses_allowed = rule->uses;
  coupon.issued_sequence = last_sequence_ + 1;
  coupon.rule_id = rule_id;
  ExpectedEntry entry =
      CommandEntry(member, v1::ENTRY_KIND_COUPON_ISSUE, context);
  if (channel != v1::CHANNEL_UNSPECIFIED) entry.channel = channel;
  entry.coupon_code = coupon.code;
  entry.coupon_template = coupon.template_id;
  entry.coupon_valid_from_ms = coupon.valid_from_ms;
  entry.coupon_valid_until_ms = coupon.valid_until_ms;
  entry.coupon_uses_allowed = coupon.uses_allowed;
  entry.coupon_rule_id = rule_id;
  entry.coupon_rule_kind = rule_kind;
  Append(member, std::move(entry));
  coupons_written_.insert(coupon.code);
  coupons_[coupon.code] = std::move(coupon);
  return true;
}

int Model::IssueSpendBonusCoupons(
    MemberState& member, const v1::RequestContext& context,
    const std::string& currency, int64_t paid_minor,
    std::set<std::pair<std::string, std::string>>* count_keys) {
  int issued = 0;
  for (const SpendBonusRule& bonus : ModelSpendBonuses()) {
    if (bonus.currency != currency || paid_minor < bonus.min_spend_minor) {
      continue;
    }
    if (IssueRuleCoupon(member, context, v1::CHANNEL_UNSPECIFIED,
                        bonus.coupon_template_id, v1::RULE_KIND_SPEND_BONUS,
                        bonus.rule_id, count_keys)) {
      ++issued;
      ++counts_.rule_coupons_spend;
    }
  }
  return issued;
}

int Model::IssueTierCoupon(
    MemberState& member, const v1::RequestContext& context, v1::Channel channel,
    int from, int to,
    std::set<std::pair<std::string, std::string>>* count_keys) {
  if (to <= from) return 0;
  const TierRule& tier = tiers_.tiers[static_cast<size_t>(to)];
  if (tier.upgrade_coupon_template_id.empty()) return 0;
  return IssueRuleCoupon(member, context, channel,
                         tier.upgrade_coupon_template_id, v1::RULE_KIND_TIER,
                         tier.tier_id, count_keys)
             ? 1
             : 0;
}

}  // namespace loyalty::model
