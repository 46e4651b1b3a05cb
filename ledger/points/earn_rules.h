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
//   4. spend bonuses whose threshold the eligible spend reaches.
// Lines in excluded categories are not eligible for any rule.
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
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/engine/fold.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

struct EarnComputation {
  int64_t spend_minor = 0;           // Basket total, every line.
  int64_t eligible_spend_minor = 0;  // Without excluded categories.
  int64_t order_time_ms = 0;         // The time campaigns were checked at.
  int64_t points = 0;                // Sum of the breakdown.
  // The base line first, then every other rule that granted points.
  std::vector<loyalty::v1::EarnBreakdownLine> breakdown;
  // The basket's lines, each marked excluded or not (for returns).
  std::vector<loyalty::v1::EarnedLine> lines;
};

// Computes the points of a validated earn request placed at `order_time_ms`
// (OccurredAtMs of its context: the time that selects active campaigns).
// InvalidArgument when the currency is not one of the program's or an amount
// overflows int64. `program` must be valid (ValidateProgram).
absl::StatusOr<EarnComputation> ComputeEarn(
    const loyalty::v1::ProgramConfig& program,
    const loyalty::v1::EarnRequest& request, int64_t order_time_ms);

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
