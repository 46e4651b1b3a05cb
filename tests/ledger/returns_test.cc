// Returns (ledger/points/orders.h): points of the returned part of an order taken
// back pro rata, pending first, then available under each return policy;
// partial returns that add up; points redeemed on the order given back in
// proportion; across channels; idempotent; replayed by VerifyLedger.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using testing::kAdmin;
using testing::kApp;
using testing::kPos;
using testing::kStartMs;
using testing::Line;
using testing::NothingChanged;
using testing::TestLedger;
using v1::ProgramConfig;
using v1::ReturnRequest;
using v1::ReturnResponse;

constexpr int64_t kDayMs = 24ll * 3600 * 1000;

// 1 pt per EUR; gift cards earn nothing; a 14-day return window.
ProgramConfig ReturnsProgram(v1::ReturnPolicy policy,
                             int64_t floor_points = 0) {
  ProgramConfig program = testing::TestProgram();
  program.add_categories("grocery");
  program.add_categories("gift-cards");
  program.add_excluded_categories("gift-cards");
  program.set_return_window_days(14);
  program.set_return_policy(policy);
  program.set_negative_balance_floor_points(floor_points);
  return program;
}

v1::BasketLine CategoryLine(std::string sku, std::string category,
                            int64_t quantity, int64_t unit_price_minor) {
  v1::BasketLine line = Line(std::move(sku), quantity, unit_price_minor);
  line.set_category(std::move(category));
  return line;
}

// Order "o1": 2 x A at 10.00, 1 x B at 50.00 (groceries), 1 x G at 50.00 (a
// gift card). Total 120.00, eligible 70.00: 70 points.
v1::EarnResponse EarnOrder(TestLedger& t, const std::string& member_id,
                           const std::string& order_id = "o1") {
  auto earned = testing::Earn(
      t.ledger(), kPos,
      testing::EarnWithLines("earn-" + order_id, member_id, order_id, "EUR",
                             {CategoryLine("A", "grocery", 2, 1000),
                              CategoryLine("B", "grocery", 1, 5000),
                              CategoryLine("G", "gift-cards", 1, 5000)}));
  REQUIRE_OK(earned);
  REQUIRE(earned->points_earned() == 70);
  return *earned;
}

ReturnRequest ReturnLines(const std::string& request_id,
                          const std::string& member_id,
                          const std::string& order_id,
                          std::vector<std::pair<std::string, int64_t>> lines) {
  ReturnRequest request;
  *request.mutable_context() = testing::PosContext(request_id);
  request.set_member_id(member_id);
  request.set_order_id(order_id);
  for (const auto& [sku, quantity] : lines) {
    v1::ReturnLine* line = request.add_lines();
    line->set_sku(sku);
    line->set_quantity(quantity);
  }
  return request;
}

ReturnRequest ReturnAmount(const std::string& request_id,
                           const std::string& member_id,
                           const std::string& order_id, int64_t amount_minor) {
  ReturnRequest request = ReturnLines(request_id, member_id, order_id, {});
  request.set_amount_minor(amount_minor);
  return request;
}

absl::StatusOr<ReturnResponse> Return(TestLedger& t, ReturnRequest request,
                                      const Caller& caller = kPos) {
  auto pending = testing::MakePending<ReturnResponse>();
  t.ledger().Submit<ReturnCommand>(caller, std::move(request), std::move(pending.done));
  return pending.result.get();
}

v1::Balance BalanceOf(TestLedger& t, const std::string& member_id) {
  return testing::ValueOrFail(t.ledger().GetBalance(member_id));
}

TEST_CASE("a return inside the return window takes the points back from "
          "pending",
          "[returns]") {
  TestLedger t(ReturnsProgram(v1::RETURN_POLICY_FORGIVE_SHORTFALL));
  t.EnrollOk("ann");
  v1::EarnResponse earned = EarnOrder(t, "ann");
  auto returned = Return(t, ReturnLines("ret-1", "ann", "o1", {{"A", 1}}));
  REQUIRE_OK(returned);
  // 10.00 of 70.00 eligible came back: 10 of 70 points.
  CHECK(returned->points_reversed() == 10);
  CHECK(returned->points_forgiven() == 0);
  REQUIRE(returned->entries_size() == 1);
  const v1::LedgerEntry& entry = returned->entries(0);
  CHECK(entry.kind() == v1::ENTRY_KIND_RETURN);
  CHECK(entry.pending_reversed_points() == 10);
  CHECK(entry.points_delta() == 0);
  CHECK(entry.lot_sequence() == earned.entry().sequence());
  CHECK(entry.returned_value_minor() == 1000);
  CHECK(entry.returned_eligible_minor() == 1000);
  CHECK(entry.store_id() == "store-042");
  CHECK(returned->balance().pending_points() == 60);
  CHECK(returned->balance().earned_points_total() == 60);
  // The rest matures when the window ends.
  t.clock().AdvanceMs(14 * kDayMs);
  CHECK(BalanceOf(t, "ann").available_points() == 60);
  t.RequireVerifyOk();
}

TEST_CASE("partial returns add up exactly to the order's points and never "
          "pass them",
          "[returns]") {
  TestLedger t(ReturnsProgram(v1::RETURN_POLICY_FORGIVE_SHORTFALL));
  t.EnrollOk("ann");
  // 3 x 3.33 = 9.99 EUR: 9 points, which 3 returns of one item share 3/3/3
  // (a return of one item alone is floor(9 x 333 / 999) = 3).
  REQUIRE_OK(testing::Earn(
      t.ledger(), kPos,
      testing::EarnWithLines("e", "ann", "o9", "EUR",
                             {CategoryLine("X", "grocery", 3, 333)})));
  int64_t reversed = 0;
  for (int i = 0; i < 3; ++i) {
    auto returned = Return(
        t, ReturnLines("r" + std::to_string(i), "ann", "o9", {{"X", 1}}));
    REQUIRE_OK(returned);
    reversed += returned->points_reversed();
  }
  CHECK(reversed == 9);
  CHECK(BalanceOf(t, "ann").pending_points() == 0);

  // Nothing is left to return, by line or by amount.
  NothingChanged before(t.store());
  auto again = Return(t, ReturnLines("r3", "ann", "o9", {{"X", 1}}));
  CHECK(absl::IsFailedPrecondition(again.status()));
  CHECK(ReasonOf(again.status()) == v1::ERROR_REASON_RETURN_EXCEEDS_ORDER);
  CHECK(absl::StrContains(again.status().message(),
                          "only 0 of 3 bought are left"));
  before.CheckOnlyRequestRemembered();
  auto amount = Return(t, ReturnAmount("r4", "ann", "o9", 1));
  CHECK(ReasonOf(amount.status()) == v1::ERROR_REASON_RETURN_EXCEEDS_ORDER);
  t.RequireVerifyOk();
}

TEST_CASE("returning an amount shares the points by the order's value; an "
          "excluded line returns no points",
          "[returns]") {
  TestLedger t(ReturnsProgram(v1::RETURN_POLICY_FORGIVE_SHORTFALL));
  t.EnrollOk("ann");
  EarnOrder(t, "ann");
  auto gift_card = Return(t, ReturnLines("r1", "ann", "o1", {{"G", 1}}));
  REQUIRE_OK(gift_card);
  CHECK(gift_card->points_reversed() == 0);
  CHECK(gift_card->entries(0).returned_value_minor() == 5000);
  // 35.00 of the 70.00 left, all of it eligible: floor(70 x 3500 / 7000).
  auto half = Return(t, ReturnAmount("r2", "ann", "o1", 3500));
  REQUIRE_OK(half);
  CHECK(half->entries(0).returned_eligible_minor() == 3500);
  CHECK(half->points_reversed() == 35);
  // The rest of the order's value: all its points are back, exactly.
  auto rest = Return(t, ReturnAmount("r3", "ann", "o1", 3500));
  REQUIRE_OK(rest);
  CHECK(rest->points_reversed() == 35);
  CHECK(BalanceOf(t, "ann").earned_points_total() == 0);
  t.RequireVerifyOk();
}

TEST_CASE("the same return retried is a replay; the same lines again under a "
          "new request id are refused",
          "[returns][idempotency]") {
  TestLedger t(ReturnsProgram(v1::RETURN_POLICY_FORGIVE_SHORTFALL));
  t.EnrollOk("ann");
  EarnOrder(t, "ann");
  const ReturnRequest request = ReturnLines("ret-1", "ann", "o1", {{"A", 2}});
  auto first = Return(t, request);
  REQUIRE_OK(first);
  NothingChanged before(t.store());
  auto retried = Return(t, request);
  REQUIRE_OK(retried);
  CHECK(retried->replayed());
  CHECK(retried->points_reversed() == first->points_reversed());
  before.Check();
  auto twice = Return(t, ReturnLines("ret-2", "ann", "o1", {{"A", 1}}));
  CHECK(ReasonOf(twice.status()) == v1::ERROR_REASON_RETURN_EXCEEDS_ORDER);
}

TEST_CASE(
    "a return line naming a SKU its order never had is INVALID_ARGUMENT "
    "naming the line, writes nothing and is not remembered",
    "[returns][validation]") {
  TestLedger t(ReturnsProgram(v1::RETURN_POLICY_FORGIVE_SHORTFALL));
  t.EnrollOk("ann");
  EarnOrder(t, "ann");
  // The order's points mature meanwhile: even that is not written.
  t.clock().AdvanceMs(15 * kDayMs);
  NothingChanged before(t.store());
  auto typo = Return(t, ReturnLines("ret-typo", "ann", "o1", {{"A", 1}, {"BB", 1}}));
  REQUIRE(absl::IsInvalidArgument(typo.status()));
  CHECK(ReasonOf(typo.status()) == v1::ERROR_REASON_INVALID_FIELD);
  CHECK(typo.status().message() ==
        "lines[1].sku: \"BB\" is no line of order \"o1\"");
  before.Check();
  // The corrected return may reuse the request id.
  auto fixed = Return(t, ReturnLines("ret-typo", "ann", "o1", {{"A", 1}, {"B", 1}}));
  REQUIRE_OK(fixed);
  CHECK(fixed->points_reversed() == 60);
  // More of a SKU than was bought is still the business refusal.
  auto too_many = Return(t, ReturnLines("ret-2", "ann", "o1", {{"A", 2}}));
  CHECK(ReasonOf(too_many.status()) == v1::ERROR_REASON_RETURN_EXCEEDS_ORDER);
  t.RequireVerifyOk();
}

TEST_CASE("bought at a till, returned in the app", "[returns][channels]") {
  TestLedger t(ReturnsProgram(v1::RETURN_POLICY_FORGIVE_SHORTFALL));
  t.EnrollOk("ann");
  EarnOrder(t, "ann");
  ReturnRequest request = ReturnLines("app-ret", "ann", "o1", {{"B", 1}});
  *request.mutable_context() = testing::AppContext("app-ret");
  auto returned = Return(t, request, kApp);
  REQUIRE_OK(returned);
  CHECK(returned->points_reversed() == 50);
  CHECK(returned->entries(0).channel() == v1::CHANNEL_APP);
  CHECK(returned->entries(0).principal() == "app-backend");
}

TEST_CASE("after the return window, points come back from available",
          "[returns]") {
  TestLedger t(ReturnsProgram(v1::RETURN_POLICY_FORGIVE_SHORTFALL));
  t.EnrollOk("ann");
  EarnOrder(t, "ann");
  t.clock().AdvanceMs(14 * kDayMs);
  auto returned = Return(t, ReturnLines("ret", "ann", "o1", {{"B", 1}}));
  REQUIRE_OK(returned);
  // The maturation was written first, then the return.
  const v1::LedgerEntry& entry = returned->entries(0);
  CHECK(entry.pending_reversed_points() == 0);
  CHECK(entry.points_delta() == -50);
  CHECK(returned->balance().available_points() == 20);
  t.RequireVerifyOk();
}

// ann earned 70 on o1, the window passed, and she spent 65: 5 are left
// when all of o1 comes back.
ReturnResponse ReturnAfterSpending(TestLedger& t) {
  t.EnrollOk("ann");
  EarnOrder(t, "ann");
  t.clock().AdvanceMs(14 * kDayMs);
  REQUIRE_OK(testing::Redeem(t.ledger(), kApp,
                             testing::RedeemPoints("spend", "ann", "o2", 65)));
  auto returned = Return(
      t, ReturnLines("ret", "ann", "o1", {{"A", 2}, {"B", 1}, {"G", 1}}));
  REQUIRE_OK(returned);
  return *returned;
}

TEST_CASE("return policy: reverse only what is still pending",
          "[returns][policy]") {
  TestLedger t(ReturnsProgram(v1::RETURN_POLICY_REVERSE_PENDING_ONLY));
  ReturnResponse returned = ReturnAfterSpending(t);
  CHECK(returned.points_reversed() == 0);
  CHECK(returned.points_forgiven() == 70);
  CHECK(returned.balance().available_points() == 5);

  // Inside the window the same policy does take pending points back.
  t.EnrollOk("bob");
  EarnOrder(t, "bob", "b1");
  auto pending = Return(t, ReturnLines("bret", "bob", "b1", {{"B", 1}}));
  REQUIRE_OK(pending);
  CHECK(pending->points_reversed() == 50);
  t.RequireVerifyOk();
}

TEST_CASE("return policy: reverse down to zero and forgive the rest",
          "[returns][policy]") {
  TestLedger t(ReturnsProgram(v1::RETURN_POLICY_FORGIVE_SHORTFALL));
  ReturnResponse returned = ReturnAfterSpending(t);
  CHECK(returned.points_reversed() == 5);
  CHECK(returned.points_forgiven() == 65);
  CHECK(returned.balance().available_points() == 0);
  CHECK(returned.balance().debt_points() == 0);
  t.RequireVerifyOk();
}

TEST_CASE("return policy: a negative balance down to the floor, paid off by "
          "later points first",
          "[returns][policy]") {
  TestLedger t(
      ReturnsProgram(v1::RETURN_POLICY_ALLOW_NEGATIVE_BALANCE, -50));
  ReturnResponse returned = ReturnAfterSpending(t);
  CHECK(returned.points_reversed() == 55);
  CHECK(returned.points_forgiven() == 15);
  CHECK(returned.balance().available_points() == -50);
  CHECK(returned.balance().debt_points() == 50);
  CHECK(returned.entries(0).debt_after_points() == 50);
  CHECK(returned.entries(0).available_after_points() == -50);

  // Nothing can be spent or held while in debt.
  auto spend = testing::Redeem(t.ledger(), kApp,
                               testing::RedeemPoints("s2", "ann", "o3", 1));
  CHECK(ReasonOf(spend.status()) == v1::ERROR_REASON_INSUFFICIENT_POINTS);
  // New points pay the debt off first: 30 leave -20, 30 more leave 10.
  t.CreditOk("ann", 30);
  CHECK(BalanceOf(t, "ann").available_points() == -20);
  auto credited = t.CreditOk("ann", 30);
  CHECK(credited.balance().available_points() == 10);
  CHECK(credited.balance().debt_points() == 0);
  CHECK(credited.balance().next_expiring_size() == 0);  // No expiry rule.
  t.RequireVerifyOk();
}

TEST_CASE("points redeemed on an order come back in proportion to what is "
          "returned",
          "[returns][restore]") {
  TestLedger t(ReturnsProgram(v1::RETURN_POLICY_FORGIVE_SHORTFALL));
  t.EnrollOk("ann");
  t.CreditOk("ann", 100);
  // At the till: 40 points pay part of the order, then the order earns.
  REQUIRE_OK(testing::Redeem(t.ledger(), kPos,
                             testing::RedeemPoints("pay", "ann", "o1", 40)));
  EarnOrder(t, "ann");
  // Half of the order's 120.00 comes back: 20 of the 40 redeemed points.
  auto half = Return(t, ReturnAmount("r1", "ann", "o1", 6000));
  REQUIRE_OK(half);
  CHECK(half->points_restored() == 20);
  REQUIRE(half->entries_size() == 2);
  const v1::LedgerEntry& restore = half->entries(1);
  CHECK(restore.kind() == v1::ENTRY_KIND_RESTORE);
  CHECK(restore.points_delta() == 20);
  CHECK(half->balance().redeemed_points_total() == 20);
  // The other half restores the other 20, exactly.
  auto rest = Return(t, ReturnAmount("r2", "ann", "o1", 6000));
  REQUIRE_OK(rest);
  CHECK(rest->points_restored() == 20);
  CHECK(rest->balance().available_points() == 100);
  CHECK(rest->balance().redeemed_points_total() == 0);
  t.RequireVerifyOk();
}

TEST_CASE("a return names an order the member earned on, and malformed "
          "returns change nothing",
          "[returns][validation]") {
  TestLedger t(ReturnsProgram(v1::RETURN_POLICY_FORGIVE_SHORTFALL));
  t.EnrollOk("ann");
  t.EnrollOk("bob");
  EarnOrder(t, "ann");
  auto unknown = Return(t, ReturnLines("r1", "ann", "nope", {{"A", 1}}));
  CHECK(absl::IsNotFound(unknown.status()));
  CHECK(ReasonOf(unknown.status()) == v1::ERROR_REASON_ORDER_NOT_FOUND);
  // Orders are the member's own: bob cannot return ann's.
  auto others = Return(t, ReturnLines("r2", "bob", "o1", {{"A", 1}}));
  CHECK(ReasonOf(others.status()) == v1::ERROR_REASON_ORDER_NOT_FOUND);
  auto not_bought = Return(t, ReturnLines("r3", "ann", "o1", {{"Z", 1}}));
  CHECK(absl::IsInvalidArgument(not_bought.status()));
  CHECK(absl::StrContains(not_bought.status().message(), "lines[0].sku"));

  NothingChanged before(t.store());
  struct Case {
    ReturnRequest request;
    const char* field;
  };
  ReturnRequest both = ReturnLines("x", "ann", "o1", {{"A", 1}});
  both.set_amount_minor(100);
  std::vector<Case> cases = {
      {ReturnLines("x", "ann", "o1", {}), "lines"},
      {both, "lines"},
      {ReturnLines("x", "ann", "o1", {{"A", 0}}), "lines[0].quantity"},
      {ReturnLines("x", "ann", "o1", {{"A", 1}, {"A", 1}}), "lines[1].sku"},
      {ReturnLines("x", "ann", "", {{"A", 1}}), "order_id"},
      {ReturnAmount("x", "ann", "o1", -5), "amount_minor"},
  };
  for (const Case& c : cases) {
    auto returned = Return(t, c.request);
    INFO(c.field << ": " << testing::StatusText(returned));
    CHECK(absl::IsInvalidArgument(returned.status()));
    CHECK(absl::StrContains(returned.status().message(), c.field));
  }
  before.Check();
}

}  // namespace
}  // namespace loyalty
