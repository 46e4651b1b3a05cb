// File: ledger/earn_rules.h
//
// The one place points for a purchase are computed (promise 1): channels send
// the basket, never the points.
//
// Rounding rule: line totals (quantity x unit price) are summed into the
// basket total first; the base rule then grants
//   floor(basket_total_minor / spend_minor_per_step) * points_per_step.
// So 1 pt per 1.00 EUR earns 129 points for 129.99 EUR, whether the basket is
// one line of 129.99 or two of 64.99 and 65.00. All arithmetic is int64 with
// overflow checks; an overflow is INVALID_ARGUMENT, never a wrap.
#ifndef LOYALTY_LEDGER_EARN_RULES_H_
#define LOYALTY_LEDGER_EARN_RULES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

struct EarnComputation {
  int64_t spend_minor = 0;  // Basket total.
  int64_t points = 0;       // Sum of the breakdown.
  std::vector<loyalty::v1::EarnBreakdownLine> breakdown;
};

// Computes the points of a validated earn request. InvalidArgument when the
// currency is not one of the program's or an amount overflows int64.
absl::StatusOr<EarnComputation> ComputeEarn(
    const loyalty::v1::ProgramConfig& program,
    const loyalty::v1::EarnRequest& request);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_EARN_RULES_H_
