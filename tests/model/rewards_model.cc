// The reference model's rewards catalog: RedeemReward and CancelReward as
// the contract states them (loyalty_service.proto, program.proto), written
// without the ledger's code. A reward's code is the ledger's random draw,
// which the harness hands in.
#include <algorithm>

#include "model.h"
#include "model_rules.h"

namespace loyalty::model {
namespace {

Expected Refused(v1::ErrorReason reason) {
  return Rejected(absl::StatusCode::kFailedPrecondition, reason);
}

// Where `tier_id` is among the program's tiers, lowest first; -1 if none.
int TierRank(const TierProgram& tiers, const std::string& tier_id) {
  for (size_t i = 0; i < tiers.tiers.size(); ++i) {
    if (tiers.tiers[i].tier_id == tier_id) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

const std::vector<RewardRule>& ModelRewardRules() {
  static const std::vector<RewardRule> kRules = [] {
    std::vector<RewardRule> rules;
    // Cheap enough that most members can pay; stock, limits, tiers and
    // channels small enough that a default run meets each refusal.
    RewardRule coupon;
    coupon.item_id = "r-welcome";
    coupon.points_price = 40;
    coupon.coupon_template_id = "welcome";
    coupon.cancellable = true;
    rules.push_back(coupon);
    // "triple" allows one coupon per member: COUPON_LIMIT_REACHED.
    RewardRule scarce;
    scarce.item_id = "r-scarce";
    scarce.points_price = 30;
    scarce.coupon_template_id = "triple";
    scarce.stock = 4;
    scarce.cancellable = true;
    rules.push_back(scarce);
    RewardRule coffee;
    coffee.item_id = "r-coffee";
    coffee.points_price = 60;
    coffee.voucher_product_id = "coffee-6";
    coffee.voucher_units = 3;
    coffee.per_member_limit = 1;
    coffee.cancellable = true;
    rules.push_back(coffee);
    RewardRule silver;
    silver.item_id = "r-silver";
    silver.points_price = 20;
    silver.coupon_template_id = "welcome";
    silver.min_tier_id = "silver";
    silver.only_channel = v1::CHANNEL_APP;
    rules.push_back(silver);
    return rules;
  }();
  return kRules;
}

const RewardRule* FindRewardRule(const std::string& item_id) {
  for (const RewardRule& rule : ModelRewardRules()) {
    if (rule.item_id == item_id) return &rule;
  }
  return nullptr;
}

int64_t Model::RewardsHeld(const std::string& item_id,
                           const MemberState& member) const {
  int64_t held = 0;
  auto add = [&](const std::string& member_id) {
    auto found = reward_counts_.find({item_id, member_id});
    if (found != reward_counts_.end()) {
      held += found->second.redeemed - found->second.cancelled;
    }
  };
  add(member.member_id);
  for (const std::string& merged : member.merged_member_ids) add(merged);
  return held;
}

Expected Model::ApplyRules(const v1::RedeemRewardRequest& request,
                           const std::string& assigned_code) {
  const RewardRule* rule = FindRewardRule(request.item_id());
  if (rule == nullptr) {
    return Rejected(absl::StatusCode::kNotFound,
                    v1::ERROR_REASON_REWARD_ITEM_NOT_FOUND);
  }
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  // The catalog's rules in the contract's order, then the points.
  const RewardCountState item_count = reward_counts_[{rule->item_id, ""}];
  if (rule->only_channel != v1::CHANNEL_UNSPECIFIED &&
      request.context().channel() != rule->only_channel) {
    return Refused(v1::ERROR_REASON_REWARD_WRONG_CHANNEL);
  }
  if (!rule->min_tier_id.empty() &&
      member->points.tier.tier < TierRank(tiers_, rule->min_tier_id)) {
    return Refused(v1::ERROR_REASON_REWARD_TIER_TOO_LOW);
  }
  if (rule->stock != 0 &&
      item_count.redeemed - item_count.cancelled >= rule->stock) {
    return Refused(v1::ERROR_REASON_REWARD_OUT_OF_STOCK);
  }
  if (rule->per_member_limit != 0 &&
      RewardsHeld(rule->item_id, *member) >= rule->per_member_limit) {
    return Refused(v1::ERROR_REASON_REWARD_LIMIT_REACHED);
  }
  Totals& totals = member->points.totals;
  if (rule->points_price > totals.available) return InsufficientPoints();
  if (!FitsInt64(static_cast<Int128>(totals.redeemed_total) +
                 rule->points_price)) {
    return BalanceOverflow();
  }
  const bool voucher = !rule->voucher_product_id.empty();
  const CouponRule* coupon_rule =
      voucher ? nullptr : FindCouponRule(rule->coupon_template_id);
  if (coupon_rule != nullptr) {
    // IssueCoupon's own limits, on the coupons of the template.
    if (coupon_rule->budget != 0 &&
        coupon_counts_[{coupon_rule->template_id, ""}] >= coupon_rule->budget) {
      return Refused(v1::ERROR_REASON_COUPON_BUDGET_SPENT);
    }
    if (coupon_rule->per_member_limit != 0 &&
        coupon_counts_[{coupon_rule->template_id, request.member_id()}] >=
            coupon_rule->per_member_limit) {
      return Refused(v1::ERROR_REASON_COUPON_LIMIT_REACHED);
    }
  }

  totals.redeemed_total += rule->points_price;
  totals.available -= rule->points_price;
  TakeFromLots(member->points.lots, rule->points_price);
  ExpectedEntry redeem =
      CommandEntry(*member, v1::ENTRY_KIND_REWARD_REDEEM, request.context());
  redeem.points_delta = -rule->points_price;
  v1::RewardRedeemed* redeemed =
      redeem.voucher_details.mutable_reward_redeemed();
  redeemed->set_item_id(rule->item_id);
  redeemed->set_points(rule->points_price);
  redeemed->set_code(assigned_code);
  redeemed->set_voucher(voucher);
  Append(*member, std::move(redeem));
  ++reward_counts_[{rule->item_id, ""}].redeemed;
  ++reward_counts_[{rule->item_id, request.member_id()}].redeemed;

  Expected ok;
  if (voucher) {
    const VoucherRule* product = FindVoucherRule(rule->voucher_product_id);
    VoucherState issued_voucher;
    issued_voucher.code = assigned_code;
    issued_voucher.product_id = product->product_id;
    issued_voucher.sku = product->sku;
    issued_voucher.owner = request.member_id();
    issued_voucher.bought = rule->voucher_units;
    issued_voucher.left = rule->voucher_units;
    issued_voucher.expires_at_ms = ModelDayEndMs(now_ms_, product->valid_days);
    issued_voucher.issued_sequence = last_sequence_ + 1;
    issued_voucher.reward_item_id = rule->item_id;
    issued_voucher.reward_points = rule->points_price;
    issued_voucher.reward_cancellable = rule->cancellable;
    ExpectedEntry issue =
        VoucherEntry(*member, v1::ENTRY_KIND_VOUCHER_ISSUE, request.context());
    v1::VoucherIssued* details = issue.voucher_details.mutable_voucher_issued();
    details->set_code(issued_voucher.code);
    details->set_product_id(issued_voucher.product_id);
    details->set_sku(issued_voucher.sku);
    details->set_units(issued_voucher.bought);
    details->set_expires_at_ms(issued_voucher.expires_at_ms);
    details->set_reward_item_id(rule->item_id);
    details->set_reward_points(rule->points_price);
    details->set_reward_cancellable(rule->cancellable);
    Append(*member, std::move(issue));
    member->voucher_dues.insert(
        {issued_voucher.expires_at_ms, 1, issued_voucher.code});
    vouchers_[issued_voucher.code] = issued_voucher;
    NoteVoucherPut(issued_voucher.code, true);
    ++counts_.rewards_redeemed_vouchers;
    ok = Ok(*member);
    ok.voucher = issued_voucher;
  } else {
    ++coupon_counts_[{coupon_rule->template_id, ""}];
    ++coupon_counts_[{coupon_rule->template_id, request.member_id()}];
    CouponState coupon;
    coupon.code = assigned_code;
    coupon.template_id = coupon_rule->template_id;
    coupon.owner = request.member_id();
    coupon.valid_from_ms = now_ms_;
    coupon.valid_until_ms = ModelDayEndMs(now_ms_, coupon_rule->valid_days);
    coupon.uses_allowed = coupon_rule->uses;
    coupon.issued_sequence = last_sequence_ + 1;
    coupon.reward_item_id = rule->item_id;
    coupon.reward_points = rule->points_price;
    coupon.reward_cancellable = rule->cancellable;
    ExpectedEntry issue =
        CommandEntry(*member, v1::ENTRY_KIND_COUPON_ISSUE, request.context());
    issue.coupon_code = coupon.code;
    issue.coupon_template = coupon.template_id;
    issue.coupon_valid_from_ms = coupon.valid_from_ms;
    issue.coupon_valid_until_ms = coupon.valid_until_ms;
    issue.coupon_uses_allowed = coupon.uses_allowed;
    issue.reward_item_id = rule->item_id;
    issue.reward_points = rule->points_price;
    issue.reward_cancellable = rule->cancellable;
    Append(*member, std::move(issue));
    coupons_[coupon.code] = coupon;
    coupons_written_.insert(coupon.code);
    ++counts_.rewards_redeemed_coupons;
    ok = Ok(*member);
    ok.coupon = coupon;
    ok.coupon_count_puts = 2;
    ok.coupon_issued = true;
    ok.coupons_created = 1;
  }
  ok.reward_count_puts = 2;
  return ok;
}

Expected Model::ApplyRules(const v1::CancelRewardRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  const Expected not_found =
      Rejected(absl::StatusCode::kNotFound, v1::ERROR_REASON_REWARD_NOT_FOUND);
  const Expected not_cancellable =
      Refused(v1::ERROR_REASON_REWARD_NOT_CANCELLABLE);
  const std::string code = ModelCanonicalCode(request.code());
  CouponState* coupon = nullptr;
  VoucherState* voucher = nullptr;
  if (auto found = coupons_.find(code);
      found != coupons_.end() && !found->second.reward_item_id.empty()) {
    coupon = &found->second;
  } else if (auto bought = vouchers_.find(code);
             bought != vouchers_.end() &&
             !bought->second.reward_item_id.empty()) {
    voucher = &bought->second;
  } else {
    return not_found;
  }
  const std::string& owner = coupon != nullptr ? coupon->owner : voucher->owner;
  if (Resolve(owner) != request.member_id()) return not_found;
  if (coupon != nullptr) {
    if (!coupon->reward_cancellable || coupon->cancelled || coupon->uses > 0 ||
        !coupon->reservations.empty() || now_ms_ >= coupon->valid_until_ms) {
      return not_cancellable;
    }
  } else if (!voucher->reward_cancellable || voucher->cancelled > 0 ||
             now_ms_ >= voucher->expires_at_ms ||
             voucher->left != voucher->bought) {
    return not_cancellable;
  }
  const std::string& item_id =
      coupon != nullptr ? coupon->reward_item_id : voucher->reward_item_id;
  const int64_t points =
      coupon != nullptr ? coupon->reward_points : voucher->reward_points;
  PointsState& state = member->points;
  Totals& totals = state.totals;
  if (!FitsInt64(static_cast<Int128>(totals.available) + totals.pending +
                 totals.held + points)) {
    return BalanceOverflow();
  }
  totals.redeemed_total -= points;
  totals.available += points;
  ExpectedEntry back =
      CommandEntry(*member, v1::ENTRY_KIND_REWARD_CANCEL, request.context());
  back.points_delta = points;
  back.lot_expires_at_ms = ModelLotExpiresAtMs(now_ms_);
  Credit(state, last_sequence_ + 1, points, back.lot_expires_at_ms);
  v1::RewardCancelled* cancelled =
      back.voucher_details.mutable_reward_cancelled();
  cancelled->set_item_id(item_id);
  cancelled->set_points(points);
  cancelled->set_code(code);
  cancelled->set_voucher(voucher != nullptr);
  Expected ok;
  if (coupon != nullptr) {
    coupon->cancelled = true;
    coupons_written_.insert(code);
    Append(*member, std::move(back));
    ok = Ok(*member);
    ok.coupon = *coupon;
  } else {
    cancelled->set_voucher_units(voucher->left);
    member->voucher_dues.erase({voucher->expires_at_ms, 1, voucher->code});
    voucher->cancelled = voucher->left;
    voucher->left = 0;
    NoteVoucherPut(code, false);
    Append(*member, std::move(back));
    ok = Ok(*member);
    ok.voucher = *voucher;
  }
  ++reward_counts_[{item_id, ""}].cancelled;
  ++reward_counts_[{item_id, request.member_id()}].cancelled;
  ++counts_.rewards_cancelled;
  counts_.rewards_cancelled_after_merge += Resolve(owner) != owner;
  ok.reward_count_puts = 2;
  return ok;
}

}  // namespace loyalty::model
