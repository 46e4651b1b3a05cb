// Promise 6: points are int64 and overflow is an error, never a wrap (and
// never a crash). Balances are driven to INT64_MAX through the public API
// with MegaProgram (10^6 points per EUR cent, 1 point per USD cent), the
// Kvrocks way: reach INT64_MAX - 1, add 1, then add 1 more.
//
// Reachability through Ledger::Earn:
//   - quantity x unit price cannot overflow: validation caps them at 10^6 and
//     10^12, whose product 10^18 fits (earn_rules_test covers ComputeEarn's
//     guard directly).
//   - the basket total and the points can, and do here.
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "ledger/common/limits.h"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using namespace loyalty::testing;  // NOLINT: test helpers.

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// An earn of exactly `points` under MegaProgram: whole millions in EUR cents,
// the rest in USD cents (two requests, two orders).
void EarnExactly(Ledger& ledger, const std::string& member, int64_t points,
                 const std::string& tag) {
  const int64_t eur_cents = points / 1'000'000;
  const int64_t usd_cents = points % 1'000'000;
  if (eur_cents > 0) {
    std::vector<BasketLine> lines;
    int64_t left = eur_cents;
    for (int i = 0; left > 0; ++i) {
      int64_t price = std::min<int64_t>(left, kUnitPriceMinorMax);
      lines.push_back(Line(absl::StrCat("eur-", i), 1, price));
      left -= price;
    }
    auto earned = Earn(ledger, kPos,
                       EarnWithLines(tag + "-eur", member, tag + "-eur",
                                     "EUR", lines));
    REQUIRE_OK(earned);
    REQUIRE(earned->points_earned() == eur_cents * 1'000'000);
  }
  if (usd_cents > 0) {
    auto earned = Earn(ledger, kPos,
                       EarnWithLines(tag + "-usd", member, tag + "-usd",
                                     "USD", {Line("usd", 1, usd_cents)}));
    REQUIRE_OK(earned);
    REQUIRE(earned->points_earned() == usd_cents);
  }
}

TEST_CASE("a basket total that overflows int64 is INVALID_ARGUMENT and "
          "changes nothing",
          "[overflow][earn]") {
  TestLedger t;
  t.EnrollOk("alice");
  std::vector<BasketLine> lines(10,
                                Line("max", kQuantityMax, kUnitPriceMinorMax));
  NothingChanged nothing(t.store());
  auto earned =
      Earn(t.ledger(), kPos, EarnWithLines("r1", "alice", "o1", "EUR", lines));
  INFO(StatusText(earned));
  REQUIRE(CodeOf(earned) == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(MessageOf(earned), "lines: "));
  CHECK(absl::StrContains(MessageOf(earned), "overflow"));
  nothing.Check();
}

TEST_CASE("points that overflow int64 are INVALID_ARGUMENT and change "
          "nothing",
          "[overflow][earn]") {
  TestLedger t(MegaProgram());
  t.EnrollOk("alice");
  // 10^13 cents at 10^6 points per cent is 10^19 points.
  NothingChanged nothing(t.store());
  auto earned = Earn(t.ledger(), kPos,
                     EarnWithLines("r1", "alice", "o1", "EUR",
                                   {Line("a", 10, kUnitPriceMinorMax)}));
  INFO(StatusText(earned));
  REQUIRE(CodeOf(earned) == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(MessageOf(earned), "lines: "));
  nothing.Check();
  // Not remembered: the same id with a smaller basket then works.
  REQUIRE_OK(Earn(t.ledger(), kPos,
                  EarnWithLines("r1", "alice", "o1", "EUR",
                                {Line("a", 1, 1)})));
}

TEST_CASE("a balance reaches INT64_MAX exactly and not one point more",
          "[overflow][adjust][earn]") {
  TestLedger t(MegaProgram());
  t.EnrollOk("alice");
  EarnExactly(t.ledger(), "alice", kMax - 1, "fill");
  REQUIRE(t.Available("alice") == kMax - 1);

  auto to_max = Adjust(t.ledger(), kAdmin, AdjustPoints("a1", "alice", 1));
  REQUIRE_OK(to_max);
  CHECK(to_max->balance().available_points() == kMax);
  CHECK(to_max->entry().available_after_points() == kMax);

  NothingChanged before_adjust(t.store());
  const AdjustRequest past_max = AdjustPoints("a2", "alice", 1);
  auto overflow = Adjust(t.ledger(), kAdmin, past_max);
  INFO(StatusText(overflow));
  REQUIRE(CodeOf(overflow) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOf(overflow.status()) == v1::ERROR_REASON_BALANCE_OVERFLOW);
  CHECK(absl::StrContains(MessageOf(overflow), "overflow"));
  before_adjust.CheckOnlyRequestRemembered();
  CHECK(t.Available("alice") == kMax);

  // An earn of one more point is refused the same way.
  NothingChanged before_earn(t.store());
  auto earn_one = Earn(t.ledger(), kPos,
                       EarnWithLines("e1", "alice", "one-cent", "USD",
                                     {Line("gum", 1, 1)}));
  INFO(StatusText(earn_one));
  REQUIRE(CodeOf(earn_one) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOf(earn_one.status()) == v1::ERROR_REASON_BALANCE_OVERFLOW);
  before_earn.CheckOnlyRequestRemembered();

  // A free item earns nothing, which still fits.
  auto free_item = Earn(t.ledger(), kPos,
                        EarnWithLines("e2", "alice", "free", "USD",
                                      {Line("sample", 1, 0)}));
  REQUIRE_OK(free_item);
  CHECK(free_item->balance().available_points() == kMax);

  // After spending, the rejected adjust's retry is still rejected (it is
  // remembered), while a new request fits.
  REQUIRE_OK(Redeem(t.ledger(), kApp, RedeemPoints("x1", "alice", "o", 1)));
  auto retry = Adjust(t.ledger(), kAdmin, past_max);
  CHECK(CodeOf(retry) == absl::StatusCode::kFailedPrecondition);
  REQUIRE_OK(Adjust(t.ledger(), kAdmin, AdjustPoints("a3", "alice", 1)));
  CHECK(t.Available("alice") == kMax);
  t.RequireVerifyOk();
}

TEST_CASE("a single earn of more than the headroom is refused whole",
          "[overflow][earn]") {
  TestLedger t(MegaProgram());
  t.EnrollOk("alice");
  EarnExactly(t.ledger(), "alice", kMax - 5'000'000, "fill");
  NothingChanged nothing(t.store());
  // 6 EUR cents = 6,000,000 points > 5,000,000 headroom.
  auto earned = Earn(t.ledger(), kPos,
                     EarnWithLines("big", "alice", "big", "EUR",
                                   {Line("a", 6, 1)}));
  REQUIRE(CodeOf(earned) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOf(earned.status()) == v1::ERROR_REASON_BALANCE_OVERFLOW);
  nothing.CheckOnlyRequestRemembered();
  CHECK(t.Available("alice") == kMax - 5'000'000);
}

// ---------------------------------------------------------------------------
// Lifetime totals. The available balance is checked before appending, but
// earned/redeemed/adjusted totals only inside the fold, where a failure is a
// LEDGER_CHECK abort. These scenarios run in a child process, so an abort
// fails this test case alone, with the child's stderr in the output.

struct ChildResult {
  bool exited = false;
  int exit_code = -1;
  int signal = 0;
  std::string report;  // What the child wrote to its pipe.
};

// Runs `body` in a forked child (no other thread runs in this process at the
// fork: earlier tests joined their writers). `body` must not use Catch2's
// macros; it returns a report for the parent to check.
ChildResult RunInChild(const std::function<std::string()>& body) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Catch2's fatal-signal handlers belong to the parent's run.
    std::signal(SIGABRT, SIG_DFL);
    std::signal(SIGSEGV, SIG_DFL);
    ::close(fds[0]);
    std::string report = body();
    ssize_t written = ::write(fds[1], report.data(), report.size());
    std::_Exit(written == static_cast<ssize_t>(report.size()) ? 0 : 3);
  }
  ::close(fds[1]);
  ChildResult result;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) {
    result.report.append(buffer, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  result.exited = WIFEXITED(status);
  if (result.exited) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

std::string Describe(const absl::Status& status) {
  return absl::StrCat("code=", absl::StatusCodeToString(status.code()),
                      " reason=", v1::ErrorReason_Name(ReasonOf(status)),
                      " message=", status.message());
}

// The final command's outcome, then whether the ledger still answers and
// verifies, in "key=value" lines.
std::string ReportAfter(Ledger& ledger, MemoryStore& store,
                        const absl::Status& last, uint64_t writes_before,
                        int64_t available_before) {
  std::string report = Describe(last) + "\n";
  absl::StrAppend(&report, "writes=", store.write_count() - writes_before,
                  "\n");
  auto balance = ledger.GetBalance("alice");
  absl::StrAppend(&report, "available_unchanged=",
                  balance.ok() && balance->available_points() ==
                                      available_before,
                  "\n");
  auto verified = ledger.Verify();
  absl::StrAppend(&report, "verify_ok=", verified.ok() && verified->ok(),
                  "\n");
  return report;
}

void RequireRefusedAsOverflow(const ChildResult& child) {
  INFO("child report:\n" << child.report);
  INFO("the ledger process was killed by signal "
       << child.signal
       << " (SIGABRT=6: a LEDGER_CHECK failed instead of a rejection)");
  REQUIRE(child.exited);
  REQUIRE(child.exit_code == 0);
  CHECK(absl::StrContains(child.report, "code=FAILED_PRECONDITION"));
  CHECK(absl::StrContains(child.report, "reason=ERROR_REASON_BALANCE_OVERFLOW"));
  CHECK(absl::StrContains(child.report, "writes=1\n"));  // Only remembered.
  CHECK(absl::StrContains(child.report, "available_unchanged=1"));
  CHECK(absl::StrContains(child.report, "verify_ok=1"));
}

TEST_CASE("an earn that would overflow the lifetime earned total is refused, "
          "not a crash",
          "[overflow][earn][totals]") {
  ChildResult child = RunInChild([]() -> std::string {
    ManualClock clock(kStartMs);
    MemoryStore store;
    auto opened = Ledger::Open(&store, MegaProgram(), &clock, LedgerOptions{});
    if (!opened.ok()) return "open failed";
    Ledger& ledger = **opened;
    if (!Enroll(ledger, kApp, EnrollRequest("e", "alice")).ok()) {
      return "enroll failed";
    }
    // 9 x 10^12 cents: 9 x 10^18 points, earned total the same.
    if (!Earn(ledger, kPos,
              EarnWithLines("r1", "alice", "o1", "EUR",
                            {Line("a", 9, kUnitPriceMinorMax)}))
             .ok()) {
      return "first earn failed";
    }
    if (!Redeem(ledger, kApp, RedeemPoints("x1", "alice", "o2", 1'000'000'000'000'000))
             .ok()) {
      return "redeem failed";
    }
    const uint64_t writes = store.write_count();
    const int64_t available = 9'000'000'000'000'000'000 - 1'000'000'000'000'000;
    // 2.24 x 10^17 more fits the available balance (9.223 x 10^18), but the
    // earned total would be 9.224 x 10^18 > INT64_MAX.
    auto second = Earn(ledger, kPos,
                       EarnWithLines("r2", "alice", "o3", "EUR",
                                     {Line("a", 1, 224'000'000'000)}));
    return ReportAfter(ledger, store, second.status(), writes, available);
  });
  RequireRefusedAsOverflow(child);
}

TEST_CASE("an adjust that would overflow the lifetime adjusted total is "
          "refused, not a crash",
          "[overflow][adjust][totals]") {
  ChildResult child = RunInChild([]() -> std::string {
    ManualClock clock(kStartMs);
    MemoryStore store;
    auto opened = Ledger::Open(&store, TestProgram(), &clock, LedgerOptions{});
    if (!opened.ok()) return "open failed";
    Ledger& ledger = **opened;
    if (!Enroll(ledger, kApp, EnrollRequest("e", "alice")).ok()) {
      return "enroll failed";
    }
    // 9223 credits of 10^15: adjusted total 9.223 x 10^18, just under max.
    constexpr int kCredits = 9223;
    constexpr int64_t kStep = kPointsPerRequestMax;
    std::vector<std::future<absl::StatusOr<AdjustResponse>>> credits;
    for (int i = 0; i < kCredits; ++i) {
      credits.push_back(AdjustAsync(
          ledger, kAdmin, AdjustPoints(absl::StrCat("c", i), "alice", kStep)));
    }
    for (auto& credit : credits) {
      if (!credit.get().ok()) return "a credit failed";
    }
    if (!Redeem(ledger, kApp, RedeemPoints("x1", "alice", "o1", kStep)).ok()) {
      return "redeem failed";
    }
    const uint64_t writes = store.write_count();
    const int64_t available = (kCredits - 1) * kStep;
    // Available would be 9.223 x 10^18 (fits); adjusted total 9.224 x 10^18.
    auto last = Adjust(ledger, kAdmin, AdjustPoints("last", "alice", kStep));
    return ReportAfter(ledger, store, last.status(), writes, available);
  });
  RequireRefusedAsOverflow(child);
}

TEST_CASE("pending and held points count towards INT64_MAX: a grant that "
          "would make a member own more is refused",
          "[overflow][points]") {
  v1::ProgramConfig program = MegaProgram();
  program.set_return_window_days(14);
  TestLedger t(program);
  t.EnrollOk("alice");
  EarnExactly(t.ledger(), "alice", kMax - 10, "fill");  // All pending.
  auto balance = t.ledger().GetBalance("alice");
  REQUIRE_OK(balance);
  REQUIRE(balance->pending_points() == kMax - 10);
  REQUIRE(balance->available_points() == 0);
  REQUIRE_OK(Adjust(t.ledger(), kAdmin, AdjustPoints("a1", "alice", 10)));
  NothingChanged before(t.store());
  auto past = Adjust(t.ledger(), kAdmin, AdjustPoints("a2", "alice", 1));
  CHECK(ReasonOf(past.status()) == v1::ERROR_REASON_BALANCE_OVERFLOW);
  before.CheckOnlyRequestRemembered();
  // Maturing moves the points without ever passing INT64_MAX.
  t.clock().AdvanceMs(14ll * 24 * 3600 * 1000);
  auto matured = t.ledger().GetBalance("alice");
  REQUIRE_OK(matured);
  CHECK(matured->available_points() == kMax);
  CHECK(matured->pending_points() == 0);
  REQUIRE_OK(Redeem(t.ledger(), kApp, RedeemPoints("r1", "alice", "o", 1)));
  t.RequireVerifyOk();
}

}  // namespace
}  // namespace loyalty
