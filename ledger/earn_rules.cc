#include "ledger/earn_rules.h"

#include "absl/strings/str_cat.h"
#include "ledger/currency.h"
#include "ledger/program.h"
#include "ledger/status_util.h"

namespace loyalty {
namespace {

absl::StatusOr<int64_t> BasketTotalMinor(
    const loyalty::v1::EarnRequest& request) {
  int64_t total = 0;
  for (int i = 0; i < request.lines_size(); ++i) {
    const loyalty::v1::BasketLine& line = request.lines(i);
    int64_t line_total = 0;
    if (__builtin_mul_overflow(line.quantity(), line.unit_price_minor(),
                               &line_total)) {
      return InvalidField(absl::StrCat("lines[", i, "]"),
                          "quantity x unit_price_minor overflows int64");
    }
    if (__builtin_add_overflow(total, line_total, &total)) {
      return InvalidField("lines", "the basket total overflows int64");
    }
  }
  return total;
}

}  // namespace

absl::StatusOr<EarnComputation> ComputeEarn(
    const loyalty::v1::ProgramConfig& program,
    const loyalty::v1::EarnRequest& request) {
  const loyalty::v1::EarnRate* rate = FindEarnRate(program, request.currency());
  if (rate == nullptr) {
    return InvalidField("currency",
                        absl::StrCat(request.currency(),
                                     " is not a currency of this program"));
  }
  EarnComputation result;
  LEDGER_ASSIGN_OR_RETURN(result.spend_minor, BasketTotalMinor(request));
  // Invariant: validation keeps every price non-negative, and the program's
  // step positive.
  LEDGER_CHECK(result.spend_minor >= 0);
  LEDGER_CHECK(rate->spend_minor_per_step() > 0);
  int64_t steps = result.spend_minor / rate->spend_minor_per_step();
  int64_t base_points = 0;
  if (__builtin_mul_overflow(steps, rate->points_per_step(), &base_points)) {
    return InvalidField("lines", "the points for this basket overflow int64");
  }
  loyalty::v1::EarnBreakdownLine line;
  line.set_rule_id(rate->rule_id());
  line.set_description(absl::StrCat(
      "base ", rate->points_per_step(), " pt per ",
      FormatMinorAmount(rate->spend_minor_per_step(), rate->currency())));
  line.set_points(base_points);
  result.breakdown.push_back(std::move(line));
  result.points = base_points;
  return result;
}

}  // namespace loyalty
