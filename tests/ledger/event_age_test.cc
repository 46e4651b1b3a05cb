// How old an event may be (program.proto event_age_max_hours): a mutation
// dated further back than the program allows is refused as EVENT_TOO_OLD,
// remembered like any answer, whatever the command; the limit is checked
// after the replay check, so a late retry of an applied event still gets its
// first answer.
#include <string>

#include "catch2/catch.hpp"
#include "ledger/common/program.h"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using testing::kAdmin;
using testing::kPos;
using testing::kStartMs;
using testing::NothingChanged;
using testing::TestLedger;
using v1::ProgramConfig;

constexpr int64_t kHourMs = 3'600'000;

TEST_CASE(
    "an event older than the default 72 hours is refused as "
    "EVENT_TOO_OLD, and its retry gets the same answer",
    "[points][event_age]") {
  TestLedger t;
  t.EnrollOk("ann");
  v1::EarnRequest late = testing::EarnEur("late", "ann", "o-late", {5000});
  late.mutable_context()->set_occurred_at_ms(kStartMs - 72 * kHourMs - 1);
  NothingChanged before(t.store());
  auto refused = testing::Earn(t.ledger(), kPos, late);
  REQUIRE(absl::IsFailedPrecondition(refused.status()));
  CHECK(ReasonOf(refused.status()) == v1::ERROR_REASON_EVENT_TOO_OLD);
  CHECK(refused.status().message() ==
        "context.occurred_at_ms: 2023-11-11T22:13:19Z is 72 hours before the "
        "server's clock; the program accepts events up to 72 hours old "
        "(event_age_max_hours)");
  before.CheckOnlyRequestRemembered();
  CHECK(t.Available("ann") == 0);

  NothingChanged after_refusal(t.store());
  auto retried = testing::Earn(t.ledger(), kPos, late);
  CHECK(ReasonOf(retried.status()) == v1::ERROR_REASON_EVENT_TOO_OLD);
  after_refusal.Check();
  t.RequireVerifyOk();
}

TEST_CASE(
    "an event exactly at the age limit is applied, dated by its "
    "occurred_at",
    "[points][event_age]") {
  TestLedger t;
  t.EnrollOk("ann");
  v1::EarnRequest at_limit =
      testing::EarnEur("at-limit", "ann", "o-limit", {5000});
  at_limit.mutable_context()->set_occurred_at_ms(kStartMs - 72 * kHourMs);
  auto earned = testing::Earn(t.ledger(), kPos, at_limit);
  REQUIRE_OK(earned);
  CHECK(earned->entry().occurred_at_ms() == kStartMs - 72 * kHourMs);
  t.RequireVerifyOk();
}

TEST_CASE(
    "a retry of an event applied while young replays its answer "
    "however late it comes",
    "[points][event_age]") {
  TestLedger t;
  t.EnrollOk("ann");
  v1::EarnRequest sale = testing::EarnEur("sale", "ann", "o-sale", {5000});
  sale.mutable_context()->set_occurred_at_ms(kStartMs - kHourMs);
  auto earned = testing::Earn(t.ledger(), kPos, sale);
  REQUIRE_OK(earned);
  // The answer was lost; the terminal retries a week later.
  t.clock().AdvanceMs(7 * 24 * kHourMs);
  NothingChanged before_retry(t.store());
  auto replayed = testing::Earn(t.ledger(), kPos, sale);
  REQUIRE_OK(replayed);
  CHECK(replayed->replayed());
  CHECK(replayed->entry().sequence() == earned->entry().sequence());
  before_retry.Check();
}

TEST_CASE("the age limit holds for every command, and a program may widen it",
          "[points][event_age]") {
  ProgramConfig program = testing::TestProgram();
  program.set_event_age_max_hours(24 * 10);
  TestLedger t(program);
  t.EnrollOk("ann");
  t.CreditOk("ann", 100);
  v1::EarnRequest nine_days =
      testing::EarnEur("nine-days", "ann", "o-9", {1000});
  nine_days.mutable_context()->set_occurred_at_ms(kStartMs - 9 * 24 * kHourMs);
  REQUIRE_OK(testing::Earn(t.ledger(), kPos, nine_days));

  v1::RedeemRequest old_redeem =
      testing::RedeemPoints("old-redeem", "ann", "o-redeem", 10);
  old_redeem.mutable_context()->set_occurred_at_ms(kStartMs -
                                                   11 * 24 * kHourMs);
  auto refused = testing::Redeem(t.ledger(), kPos, old_redeem);
  CHECK(ReasonOf(refused.status()) == v1::ERROR_REASON_EVENT_TOO_OLD);

  v1::AdjustRequest old_adjust =
      testing::AdjustPoints("old-adjust", "ann", 5, "GOODWILL", "ops.kim");
  old_adjust.mutable_context()->set_occurred_at_ms(kStartMs -
                                                   11 * 24 * kHourMs);
  auto adjusted = testing::Adjust(t.ledger(), kAdmin, old_adjust);
  CHECK(ReasonOf(adjusted.status()) == v1::ERROR_REASON_EVENT_TOO_OLD);
  t.RequireVerifyOk();
}

TEST_CASE(
    "a program's event_age_max_hours outside 0..8760 is refused naming "
    "the field",
    "[program][event_age]") {
  for (int hours : {-1, 8761}) {
    ProgramConfig program = testing::TestProgram();
    program.set_event_age_max_hours(hours);
    absl::Status valid = ValidateProgram(program);
    INFO(valid.ToString());
    REQUIRE(absl::IsInvalidArgument(valid));
    CHECK(valid.message().find("event_age_max_hours") != std::string::npos);
  }
  ProgramConfig year = testing::TestProgram();
  year.set_event_age_max_hours(8760);
  CHECK(ValidateProgram(year).ok());
  CHECK(EventAgeMaxMs(testing::TestProgram()) == 72 * kHourMs);
}

}  // namespace
}  // namespace loyalty
