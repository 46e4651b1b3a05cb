// File: ledger/points/earn_rules.h
//
// The one place points for a purchase are computed (promise 1): channels send
// the basket, never the points. Earn and QuoteEarn both call ComputeEarn, so
// a quote and the earn that follows cannot disagree.
//
// Rules, in breakdown order (program.proto documents each):
//   1. base rate of the order's currency, on the eligible spend;
//   2. product rules (SKU rules beat category rules for a line);
//   3. campaigns active at the order's time, for its channel and store,
//      within their per-member caps and budgets (LimitCampaigns);
//   4. spend bonuses whose threshold the eligible spend reaches;
//   5. points coupons used on the order (coupons/checkout.h).
// Lines in excluded categories are not eligible for any rule. Coupon
// discounts lower each line's spend before any rule (unless the program
// earns on gross), so every rule sees what was paid.
//
// Rounding rule: each rule's result is computed exactly on the order's
// matching spend and floored once, per rule and per order; the points
// granted are the sum of the breakdown lines, so the breakdown always adds
// up. The base is floor(eligible spend / spend_minor_per_step) x
// points_per_step, so 1 pt per 1.00 EUR earns 129 points for 129.99 EUR
// whether the basket is one line of 129.99 or two of 64.99 and 65.00. All
// arithmetic is checked; an overflow is INVALID_ARGUMENT, never a wrap.
#ifndef LOYALTY_LEDGER_POINTS_EARN_RULES_H_
#define LOYALTY_LEDGER_POINTS_EARN_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/engine/fold.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

// What the coupons used on an order change about its earn; the coupon
// domain fills it (coupons/checkout.h), after checking every coupon.
struct EarnCouponEffects {
  // One per request line: what the coupons took off it (all its units).
  std::vector<int64_t> line_discount_minor;
  // COUPON_EARN_BASIS_GROSS: rules see the spend before discounts.
  bool earn_on_gross = false;
  struct PointsCoupon {
    std::string template_id;
    std::string description;
    // One per request line: whether the coupon applies to it.
    std::vector<bool> covers_line;
    // Exactly one is set: the extra of a multiplier on the covered lines
    // that earn (as a product rule's), or a flat bonus.
    int32_t multiplier_percent = 0;
    int64_t bonus_points = 0;
  };
  std::vector<PointsCoupon> points_coupons;
};

struct EarnComputation {
  int64_t spend_minor = 0;           // Basket total, every line.
  // Without excluded categories, and after coupon discounts unless
  // earned_on_gross: the spend the rules saw.
  int64_t eligible_spend_minor = 0;
  int64_t coupon_discount_minor = 0;  // Sum of the lines' discounts.
  bool earned_on_gross = false;
  // One per EarnCouponEffects::points_coupons: the points its breakdown
  // line granted (0: no line).
  std::vector<int64_t> coupon_points;
  int64_t order_time_ms = 0;         // The time campaigns were checked at.
  int64_t points = 0;                // Sum of the breakdown.
  // The base line first, then every other rule that granted points.
  std::vector<loyalty::v1::EarnBreakdownLine> breakdown;
  // The basket's lines, each marked excluded or not (for returns).
  std::vector<loyalty::v1::EarnedLine> lines;
  // Coupons issued by program rules: the spend bonuses reached that give a
  // coupon (SpendBonus.coupon_template_id), by rule_id, in program order.
  // The writer issues them (coupons/rule_coupons.h); a quote shows nothing.
  std::vector<std::string> coupon_bonus_rule_ids;
};

// Computes the points of a validated earn request placed at `order_time_ms`
// (OccurredAtMs of its context: the time that selects active campaigns).
// InvalidArgument when the currency is not one of the program's or an amount
// overflows int64. `program` must be valid (ValidateProgram).
// `coupons`: the effects of the order's coupons, or null for none.
absl::StatusOr<EarnComputation> ComputeEarn(
    const loyalty::v1::ProgramConfig& program,
    const loyalty::v1::EarnRequest& request, int64_t order_time_ms,
    const EarnCouponEffects* coupons = nullptr);

// Lowers each campaign line of `earn` to what its campaign's per-member cap
// and budget leave, given the points the campaign already granted this
// member (`member_granted`, from the member record) and everyone
// (`total_granted`, from the ledger head); a line with nothing left is
// dropped, a lowered one says "(capped)". Needs the ledger's state, so the
// writer calls it (and a quote, on the state it reads): ComputeEarn stays a
// pure function of the program and the basket.
void LimitCampaigns(const loyalty::v1::ProgramConfig& program,
                    const RulePointsList& member_granted,
                    const RulePointsList& total_granted,
                    EarnComputation* earn);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_EARN_RULES_H_
