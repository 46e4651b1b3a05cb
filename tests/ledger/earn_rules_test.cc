// The earn rules (ledger/points/earn_rules.h): the one place points for a purchase
// are computed, and the written-down rounding rule: line totals are summed
// into the basket total first, then floor(total / step) * points_per_step.
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "ledger/points/earn_rules.h"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using testing::EarnEur;
using testing::EarnWithLines;
using testing::Line;
using testing::MegaProgram;
using testing::TestProgram;

// Orders at time 0: no test program here has campaigns.
absl::StatusOr<EarnComputation> ComputeNow(const v1::ProgramConfig& program,
                                           const v1::EarnRequest& request) {
  return ComputeEarn(program, request, 0);
}

int64_t PointsFor(const v1::ProgramConfig& program, const v1::EarnRequest& r) {
  auto earn = ComputeNow(program, r);
  INFO(earn.status().ToString());
  REQUIRE(earn.ok());
  return earn->points;
}

TEST_CASE("a basket earns the floor of its total per step", "[earn_rules]") {
  // 1 pt per 1.00 EUR.
  auto earn = ComputeNow(TestProgram(), EarnEur("r", "m", "o", {12999}));
  REQUIRE(earn.ok());
  CHECK(earn->spend_minor == 12999);
  CHECK(earn->points == 129);
  REQUIRE(earn->breakdown.size() == 1);
  CHECK(earn->breakdown[0].rule_id() == "base-eur");
  CHECK(earn->breakdown[0].points() == 129);
  CHECK(earn->breakdown[0].description() == "base 1 pt per 1.00 EUR");
}

TEST_CASE("line totals are summed before rounding", "[earn_rules]") {
  // 64.99 + 65.00 = 129.99: 129 points, as for one line of 129.99.
  CHECK(PointsFor(TestProgram(), EarnEur("r", "m", "o", {6499, 6500})) == 129);
  // 0.50 + 0.50 = 1.00: one point, where rounding each line would give 0.
  CHECK(PointsFor(TestProgram(), EarnEur("r", "m", "o", {50, 50})) == 1);
  // 3 x 33.33 = 99.99: 99 points (quantity multiplies before the floor).
  CHECK(PointsFor(TestProgram(), EarnWithLines("r", "m", "o", "EUR",
                                               {Line("a", 3, 3333)})) == 99);
}

TEST_CASE("a basket below one step earns zero points", "[earn_rules]") {
  auto earn = ComputeNow(TestProgram(), EarnEur("r", "m", "o", {99}));
  REQUIRE(earn.ok());
  CHECK(earn->spend_minor == 99);
  CHECK(earn->points == 0);
  CHECK(PointsFor(TestProgram(), EarnEur("r", "m", "o", {0})) == 0);
  CHECK(PointsFor(TestProgram(), EarnEur("r", "m", "o", {100})) == 1);
}

TEST_CASE("points per step multiply whole steps", "[earn_rules]") {
  v1::ProgramConfig program = TestProgram();
  // 5 points per 10.00 EUR: 129.99 is 12 whole steps, 60 points.
  *program.mutable_earn_rates(0) = testing::Rate("ten-eur", "EUR", 1000, 5);
  CHECK(PointsFor(program, EarnEur("r", "m", "o", {12999})) == 60);
}

TEST_CASE("each currency earns at its own rate", "[earn_rules]") {
  v1::ProgramConfig program = TestProgram();
  *program.add_earn_rates() = testing::Rate("base-jpy", "JPY", 100, 1);
  // 12999 JPY (no minor digits) at 1 pt per 100 JPY.
  auto earn = ComputeNow(program, EarnWithLines("r", "m", "o", "JPY",
                                                 {Line("a", 1, 12999)}));
  REQUIRE(earn.ok());
  CHECK(earn->points == 129);
  CHECK(earn->breakdown[0].rule_id() == "base-jpy");
  CHECK(earn->breakdown[0].description() == "base 1 pt per 100 JPY");
}

TEST_CASE("a currency the program lacks is an invalid argument",
          "[earn_rules]") {
  auto earn = ComputeNow(TestProgram(), EarnWithLines("r", "m", "o", "JPY",
                                                       {Line("a", 1, 100)}));
  REQUIRE(earn.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(earn.status().message(), "currency: "));
}

TEST_CASE("a line whose quantity times price overflows is an invalid argument",
          "[earn_rules][overflow]") {
  // Unreachable through Ledger::Earn: validation caps quantity at 10^6 and
  // price at 10^12, whose product (10^18) fits. ComputeEarn guards anyway.
  auto earn = ComputeNow(
      TestProgram(),
      EarnWithLines("r", "m", "o", "EUR",
                    {Line("a", 1, 1), Line("b", 10'000'000, 1'000'000'000'000)}));
  REQUIRE(earn.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(earn.status().message(), "lines[1]: "));
}

TEST_CASE("a basket total that overflows is an invalid argument",
          "[earn_rules][overflow]") {
  // Ten maximal lines: 10 x 10^18 > INT64_MAX.
  std::vector<v1::BasketLine> lines(
      10, Line("max", 1'000'000, 1'000'000'000'000));
  auto earn = ComputeNow(TestProgram(),
                          EarnWithLines("r", "m", "o", "EUR", lines));
  REQUIRE(earn.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(earn.status().message(), "lines: "));
  CHECK(absl::StrContains(earn.status().message(), "overflow"));
}

TEST_CASE("points that overflow are an invalid argument",
          "[earn_rules][overflow]") {
  // 10^13 cents at 10^6 points per cent: 10^19 points > INT64_MAX.
  auto earn = ComputeNow(
      MegaProgram(), EarnWithLines("r", "m", "o", "EUR",
                                   {Line("a", 10, 1'000'000'000'000)}));
  REQUIRE(earn.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(earn.status().message(), "lines: "));

  // One cent less than the overflow point still computes exactly.
  const int64_t max_cents = std::numeric_limits<int64_t>::max() / 1'000'000;
  CHECK(PointsFor(MegaProgram(),
                  EarnWithLines("r", "m", "o", "EUR",
                                {Line("a", 1, max_cents)})) ==
        max_cents * 1'000'000);
}

TEST_CASE("the largest basket validation allows computes without overflow",
          "[earn_rules][overflow]") {
  // Nine maximal lines: 9 x 10^18 fits in int64.
  std::vector<v1::BasketLine> lines(
      9, Line("max", 1'000'000, 1'000'000'000'000));
  auto earn = ComputeNow(TestProgram(),
                          EarnWithLines("r", "m", "o", "EUR", lines));
  REQUIRE(earn.ok());
  CHECK(earn->spend_minor == 9'000'000'000'000'000'000);
  CHECK(earn->points == 90'000'000'000'000'000);
}

}  // namespace
}  // namespace loyalty
