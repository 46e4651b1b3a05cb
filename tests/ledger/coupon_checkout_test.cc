// Coupons at checkout (ledger/coupons/checkout.h): codes on an Earn are
// checked against the order, their discounts computed per line, points
// earned on what was paid, and the EARN and every COUPON_REDEEM written
// together or not at all. QuoteEarn and ValidateCoupon with a basket give
// Earn's answer without writing.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "catch2/catch.hpp"
#include "coupon_test_util.h"
#include "ledger/common/program.h"

namespace loyalty {
namespace {

using testing::CallLedger;
using testing::CodeOf;
using testing::EarnWithLines;
using testing::IssueOk;
using testing::kPos;
using testing::Line;
using testing::NothingChanged;
using testing::PercentTemplate;
using testing::ReasonOfResult;
using testing::RedeemAtTill;
using testing::TestLedger;
using v1::CouponTemplate;

v1::MinorAmount Eur(int64_t amount_minor) {
  v1::MinorAmount amount;
  amount.set_amount_minor(amount_minor);
  amount.set_currency("EUR");
  return amount;
}

// 1 pt per 1.00 EUR (and USD); categories shoes and food.
v1::ProgramConfig CheckoutProgram() {
  v1::ProgramConfig program = testing::TestProgram();
  program.add_categories("shoes");
  program.add_categories("food");
  CouponTemplate pct = PercentTemplate("pct-20", 20);
  pct.set_combinable(true);
  *program.add_coupon_templates() = pct;
  CouponTemplate ten_off = PercentTemplate("ten-off", 0);
  ten_off.mutable_amount_off()->set_amount_minor(1000);
  ten_off.mutable_amount_off()->set_currency("EUR");
  *ten_off.mutable_min_spend() = Eur(3000);
  *ten_off.mutable_discount_budget() = Eur(1500);
  ten_off.set_combinable(true);
  *program.add_coupon_templates() = ten_off;
  CouponTemplate coffee = PercentTemplate("free-coffee", 0);
  coffee.set_free_item_sku("COFFEE");
  *program.add_coupon_templates() = coffee;
  CouponTemplate shoes = PercentTemplate("shoes-half", 50);
  shoes.add_eligible_categories("shoes");
  *program.add_coupon_templates() = shoes;
  CouponTemplate doubled = PercentTemplate("double-points", 0);
  doubled.set_points_multiplier_percent(200);
  doubled.set_combinable(true);
  *program.add_coupon_templates() = doubled;
  CouponTemplate bonus = PercentTemplate("bonus-50", 0);
  bonus.set_bonus_points(50);
  bonus.set_combinable(true);
  *program.add_coupon_templates() = bonus;
  CouponTemplate usd = PercentTemplate("usd-5", 0);
  usd.mutable_amount_off()->set_amount_minor(500);
  usd.mutable_amount_off()->set_currency("USD");
  *program.add_coupon_templates() = usd;
  return program;
}

v1::BasketLine CategoryLine(std::string sku, std::string category,
                            int64_t quantity, int64_t unit_price_minor) {
  v1::BasketLine line = Line(std::move(sku), quantity, unit_price_minor);
  line.set_category(std::move(category));
  return line;
}

v1::EarnRequest Order(const std::string& request_id,
                      const std::string& member_id, const std::string& order_id,
                      const std::vector<v1::BasketLine>& lines,
                      const std::vector<std::string>& codes) {
  v1::EarnRequest request =
      EarnWithLines(request_id, member_id, order_id, "EUR", lines);
  for (const std::string& code : codes) request.add_coupon_codes(code);
  return request;
}

absl::StatusOr<v1::EarnResponse> EarnAtTill(TestLedger& t,
                                            v1::EarnRequest request) {
  return CallLedger<EarnCommand>(t.ledger(), kPos, std::move(request));
}

int32_t UsesOf(TestLedger& t, const std::string& code) {
  auto coupon = t.ledger().GetCoupon(code);
  REQUIRE_OK(coupon);
  return coupon->uses();
}

std::vector<v1::LedgerEntry> EntriesOf(TestLedger& t,
                                       const std::string& member_id) {
  std::vector<v1::LedgerEntry> entries =
      testing::ListAll(t.ledger(), member_id, 100);
  std::reverse(entries.begin(), entries.end());  // Oldest first.
  return entries;
}

TEST_CASE(
    "a percent coupon on an Earn takes its share off every line, and "
    "points are earned on what was paid",
    "[coupons][checkout]") {
  TestLedger t(CheckoutProgram());
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "pct-20");
  auto earned = EarnAtTill(
      t, Order("e1", "alice", "o1",
               {Line("SHIRT", 1, 1000), Line("SOCKS", 2, 750)}, {code}));
  REQUIRE_OK(earned);
  // 20% of 10.00 and of 15.00; 20.00 paid earns 20 points.
  CHECK(earned->discount_minor() == 500);
  REQUIRE(earned->coupons_size() == 1);
  const v1::AppliedCoupon& applied = earned->coupons(0);
  CHECK(applied.code() == code);
  CHECK(applied.template_id() == "pct-20");
  CHECK(applied.discount_minor() == 500);
  REQUIRE(applied.lines_size() == 2);
  CHECK(applied.lines(0).line_index() == 0);
  CHECK(applied.lines(0).discount_minor() == 200);
  CHECK(applied.lines(1).line_index() == 1);
  CHECK(applied.lines(1).discount_minor() == 300);
  CHECK(earned->points_earned() == 20);
  CHECK(earned->entry().spend_minor() == 2500);
  CHECK(earned->entry().coupon_discount_minor() == 500);
  CHECK(earned->entry().eligible_spend_minor() == 2000);
  CHECK(earned->entry().earned_lines(1).discount_minor() == 300);

  // The EARN, then the coupon's use on the same order, in one batch.
  const std::vector<v1::LedgerEntry> entries = EntriesOf(t, "alice");
  REQUIRE(entries.size() == 4);  // ENROLL, COUPON_ISSUE, EARN, COUPON_REDEEM
  CHECK(entries[2].kind() == v1::ENTRY_KIND_EARN);
  CHECK(entries[3].kind() == v1::ENTRY_KIND_COUPON_REDEEM);
  CHECK(entries[3].order_id() == "o1");
  CHECK(entries[3].coupon_redeemed().discount_minor() == 500);
  CHECK(entries[3].coupon_redeemed().currency() == "EUR");
  CHECK(entries[3].request_id() == entries[2].request_id());
  CHECK(UsesOf(t, code) == 1);
  t.Reopen();
  CHECK(UsesOf(t, code) == 1);
  CHECK(t.ledger().GetCoupon(code)->state() == v1::COUPON_STATE_USED_UP);
  t.RequireVerifyOk();
}

TEST_CASE(
    "an amount coupon is shared pro rata, the odd units going to the "
    "first lines, and never takes more than the lines cost",
    "[coupons][checkout]") {
  TestLedger t(CheckoutProgram());
  t.EnrollOk("alice");
  const std::string first = IssueOk(t, "i1", "alice", "ten-off");
  auto earned = EarnAtTill(
      t, Order("e1", "alice", "o1",
               {Line("A", 1, 1000), Line("B", 1, 1000), Line("C", 1, 1000)},
               {first}));
  REQUIRE_OK(earned);
  REQUIRE(earned->coupons(0).lines_size() == 3);
  CHECK(earned->coupons(0).lines(0).discount_minor() == 334);
  CHECK(earned->coupons(0).lines(1).discount_minor() == 333);
  CHECK(earned->coupons(0).lines(2).discount_minor() == 333);
  CHECK(earned->discount_minor() == 1000);
  CHECK(earned->points_earned() == 20);

  // After a 50% coupon on 30.00, 15.00 is left: ten-off takes 10.00 of it,
  // and its minimum spend counts the lines before any discount.
  CouponTemplate half = PercentTemplate("half", 50);
  half.set_combinable(true);
  v1::ProgramConfig program = CheckoutProgram();
  *program.add_coupon_templates() = half;
  TestLedger u(program);
  u.EnrollOk("bob");
  const std::string half_code = IssueOk(u, "i1", "bob", "half");
  const std::string ten_code = IssueOk(u, "i2", "bob", "ten-off");
  auto stacked = EarnAtTill(
      u, Order("e1", "bob", "o1", {Line("A", 1, 1500), Line("B", 1, 1500)},
               {half_code, ten_code}));
  REQUIRE_OK(stacked);
  CHECK(stacked->coupons(0).discount_minor() == 1500);
  CHECK(stacked->coupons(1).discount_minor() == 1000);
  CHECK(stacked->discount_minor() == 2500);
  CHECK(stacked->points_earned() == 5);
  u.RequireVerifyOk();
}

TEST_CASE(
    "a free-item coupon takes one unit of its SKU off the first line "
    "that has it",
    "[coupons][checkout]") {
  TestLedger t(CheckoutProgram());
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "free-coffee");
  auto earned = EarnAtTill(
      t, Order("e1", "alice", "o1",
               {Line("CAKE", 1, 450), Line("COFFEE", 3, 320)}, {code}));
  REQUIRE_OK(earned);
  REQUIRE(earned->coupons(0).lines_size() == 1);
  CHECK(earned->coupons(0).lines(0).line_index() == 1);
  CHECK(earned->coupons(0).discount_minor() == 320);
  CHECK(earned->points_earned() == 10);  // 14.10 - 3.20 = 10.90 paid.
}

TEST_CASE(
    "a coupon the basket does not qualify for refuses the order, and "
    "nothing but the answer is written",
    "[coupons][checkout]") {
  TestLedger t(CheckoutProgram());
  t.EnrollOk("alice");
  const std::string ten = IssueOk(t, "i1", "alice", "ten-off");
  const std::string shoes = IssueOk(t, "i2", "alice", "shoes-half");
  const std::string usd = IssueOk(t, "i3", "alice", "usd-5");
  const std::string coffee = IssueOk(t, "i4", "alice", "free-coffee");
  const std::string pct = IssueOk(t, "i5", "alice", "pct-20");
  struct Case {
    std::vector<v1::BasketLine> lines;
    std::vector<std::string> codes;
    v1::ErrorReason reason;
  };
  const std::vector<Case> cases = {
      // 29.99 of eligible spend, 30.00 needed.
      {{Line("A", 1, 2999)}, {ten}, v1::ERROR_REASON_COUPON_BASKET_TOO_SMALL},
      {{CategoryLine("BREAD", "food", 1, 5000)},
       {shoes},
       v1::ERROR_REASON_COUPON_NO_ELIGIBLE_LINES},
      {{Line("COFFEE-BEANS", 1, 900)},
       {coffee},
       v1::ERROR_REASON_COUPON_NO_ELIGIBLE_LINES},
      {{Line("A", 1, 5000)}, {usd}, v1::ERROR_REASON_COUPON_WRONG_CURRENCY},
      // free-coffee is not combinable.
      {{Line("COFFEE", 1, 300)},
       {pct, coffee},
       v1::ERROR_REASON_COUPON_NOT_COMBINABLE},
      // A line of 0.00 leaves nothing to take off.
      {{Line("FREEBIE", 1, 0)},
       {pct},
       v1::ERROR_REASON_COUPON_NO_ELIGIBLE_LINES},
  };
  int n = 0;
  for (const Case& c : cases) {
    INFO("case " << n);
    NothingChanged unchanged(t.store());
    auto refused = EarnAtTill(t, Order(absl::StrCat("refused-", n), "alice",
                                       absl::StrCat("o", n), c.lines, c.codes));
    CHECK(CodeOf(refused) == absl::StatusCode::kFailedPrecondition);
    CHECK(ReasonOfResult(refused) == c.reason);
    unchanged.CheckOnlyRequestRemembered();
    ++n;
  }
  for (const std::string& code : {ten, shoes, usd, coffee, pct}) {
    CHECK(UsesOf(t, code) == 0);
  }
  // The order itself may still earn, without the coupon.
  REQUIRE_OK(
      EarnAtTill(t, Order("plain", "alice", "o0", {Line("A", 1, 2999)}, {})));
  t.RequireVerifyOk();
}

TEST_CASE(
    "a template's discount budget stops its coupons once spent, "
    "across orders and restarts",
    "[coupons][checkout]") {
  TestLedger t(CheckoutProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  const std::string alice_code = IssueOk(t, "i1", "alice", "ten-off");
  const std::string bob_code = IssueOk(t, "i2", "bob", "ten-off");
  REQUIRE_OK(EarnAtTill(
      t, Order("e1", "alice", "o1", {Line("A", 1, 4000)}, {alice_code})));
  t.Reopen();
  // 15.00 budget, 10.00 given: bob's 10.00 does not fit.
  auto refused =
      EarnAtTill(t, Order("e2", "bob", "o1", {Line("A", 1, 4000)}, {bob_code}));
  CHECK(ReasonOfResult(refused) ==
        v1::ERROR_REASON_COUPON_DISCOUNT_BUDGET_SPENT);
  CHECK(UsesOf(t, bob_code) == 0);
  t.RequireVerifyOk();
}

TEST_CASE(
    "points coupons add a coupon line to the order's earn and are "
    "used only on an Earn",
    "[coupons][checkout]") {
  TestLedger t(CheckoutProgram());
  t.EnrollOk("alice");
  const std::string doubled = IssueOk(t, "i1", "alice", "double-points");
  const std::string bonus = IssueOk(t, "i2", "alice", "bonus-50");
  auto till = RedeemAtTill(t.ledger(), "r1", "alice", doubled);
  CHECK(ReasonOfResult(till) == v1::ERROR_REASON_COUPON_NEEDS_BASKET);
  auto earned = EarnAtTill(
      t, Order("e1", "alice", "o1", {Line("A", 1, 3050)}, {doubled, bonus}));
  REQUIRE_OK(earned);
  // 30 base, 30 more for x2, 50 flat.
  CHECK(earned->points_earned() == 110);
  CHECK(earned->discount_minor() == 0);
  CHECK(earned->coupons(0).points() == 30);
  CHECK(earned->coupons(1).points() == 50);
  int coupon_lines = 0;
  for (const auto& line : earned->breakdown()) {
    if (line.kind() == v1::RULE_KIND_COUPON) ++coupon_lines;
  }
  CHECK(coupon_lines == 2);
  CHECK(UsesOf(t, doubled) == 1);
  CHECK(UsesOf(t, bonus) == 1);
  t.RequireVerifyOk();
}

TEST_CASE(
    "a program that earns on gross gives points on the spend before "
    "coupon discounts",
    "[coupons][checkout]") {
  v1::ProgramConfig program = CheckoutProgram();
  program.set_coupon_earn_basis(v1::COUPON_EARN_BASIS_GROSS);
  TestLedger t(program);
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "pct-20");
  auto earned =
      EarnAtTill(t, Order("e1", "alice", "o1", {Line("A", 1, 1000)}, {code}));
  REQUIRE_OK(earned);
  CHECK(earned->discount_minor() == 200);
  CHECK(earned->points_earned() == 10);
  CHECK(earned->entry().earned_on_gross());
  t.RequireVerifyOk();
}

TEST_CASE(
    "a used-up or unknown coupon refuses the whole order, and a retry "
    "of an accepted one replays without a second use",
    "[coupons][checkout]") {
  TestLedger t(CheckoutProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  const std::string code = IssueOk(t, "i1", "alice", "pct-20");
  const std::string bobs = IssueOk(t, "i2", "bob", "pct-20");
  REQUIRE_OK(RedeemAtTill(t.ledger(), "r1", "alice", code));
  auto used_up =
      EarnAtTill(t, Order("e1", "alice", "o1", {Line("A", 1, 1000)}, {code}));
  CHECK(ReasonOfResult(used_up) == v1::ERROR_REASON_COUPON_USED_UP);
  // Which code of the order was refused, and nothing about another's.
  CHECK(absl::StartsWith(used_up.status().message(), "coupon_codes[0]: "));
  auto not_hers =
      EarnAtTill(t, Order("e2", "alice", "o1", {Line("A", 1, 1000)}, {bobs}));
  CHECK(CodeOf(not_hers) == absl::StatusCode::kNotFound);
  CHECK(ReasonOfResult(not_hers) == v1::ERROR_REASON_COUPON_NOT_FOUND);
  CHECK(not_hers.status().message() == "coupon_codes[0]: no such coupon");
  for (const auto& entry : EntriesOf(t, "alice")) {
    CHECK(entry.kind() != v1::ENTRY_KIND_EARN);
  }

  auto first =
      EarnAtTill(t, Order("e3", "bob", "o1", {Line("A", 1, 1000)}, {bobs}));
  REQUIRE_OK(first);
  auto again =
      EarnAtTill(t, Order("e3", "bob", "o1", {Line("A", 1, 1000)}, {bobs}));
  REQUIRE_OK(again);
  CHECK(again->replayed());
  CHECK(again->discount_minor() == first->discount_minor());
  CHECK(UsesOf(t, bobs) == 1);
  t.RequireVerifyOk();
}

TEST_CASE(
    "QuoteEarn and ValidateCoupon with a basket answer what the Earn "
    "then does, and write nothing",
    "[coupons][checkout]") {
  TestLedger t(CheckoutProgram());
  t.EnrollOk("alice");
  const std::string pct = IssueOk(t, "i1", "alice", "pct-20");
  const std::string ten = IssueOk(t, "i2", "alice", "ten-off");
  const v1::EarnRequest order =
      Order("e1", "alice", "o1", {Line("A", 2, 1999), Line("B", 1, 1234)},
            {pct, ten});
  NothingChanged unchanged(t.store());
  auto quote = t.ledger().QuoteEarn(order);
  REQUIRE_OK(quote);
  v1::ValidateCouponRequest validate;
  *validate.mutable_context() = order.context();
  validate.set_member_id("alice");
  validate.set_code(ten);
  validate.set_currency("EUR");
  *validate.mutable_lines() = order.lines();
  auto validated = t.ledger().ValidateCoupon(validate);
  REQUIRE_OK(validated);
  unchanged.Check();

  auto earned = EarnAtTill(t, order);
  REQUIRE_OK(earned);
  CHECK(quote->points() == earned->points_earned());
  CHECK(quote->discount_minor() == earned->discount_minor());
  REQUIRE(quote->coupons_size() == earned->coupons_size());
  for (int i = 0; i < quote->coupons_size(); ++i) {
    CHECK(quote->coupons(i).SerializeAsString() ==
          earned->coupons(i).SerializeAsString());
  }
  // Alone, ten-off gets the whole basket to share 10.00 over.
  CHECK(validated->applied().discount_minor() == 1000);
  CHECK(validated->coupon().uses() == 0);

  // A basket too small: the same refusal from all three.
  v1::EarnRequest small =
      Order("e2", "alice", "o2", {Line("A", 1, 100)}, {ten});
  validate.mutable_lines()->Clear();
  *validate.add_lines() = Line("A", 1, 100);
  // ten-off is used up by now: both say so.
  CHECK(ReasonOfResult(t.ledger().QuoteEarn(small)) ==
        v1::ERROR_REASON_COUPON_USED_UP);
  CHECK(ReasonOfResult(t.ledger().ValidateCoupon(validate)) ==
        v1::ERROR_REASON_COUPON_USED_UP);
  const std::string fresh = IssueOk(t, "i3", "alice", "ten-off");
  small.set_coupon_codes(0, fresh);
  validate.set_code(fresh);
  CHECK(ReasonOfResult(t.ledger().QuoteEarn(small)) ==
        v1::ERROR_REASON_COUPON_BASKET_TOO_SMALL);
  CHECK(ReasonOfResult(t.ledger().ValidateCoupon(validate)) ==
        v1::ERROR_REASON_COUPON_BASKET_TOO_SMALL);
  CHECK(ReasonOfResult(EarnAtTill(t, small)) ==
        v1::ERROR_REASON_COUPON_BASKET_TOO_SMALL);
}

TEST_CASE(
    "a return of a coupon order gives back the points of what was paid "
    "for the returned units, never those of the discount",
    "[coupons][checkout][returns]") {
  TestLedger t(CheckoutProgram());
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "shoes-half");
  auto earned = EarnAtTill(t, Order("e1", "alice", "o1",
                                    {CategoryLine("BOOT", "shoes", 2, 1000),
                                     CategoryLine("BREAD", "food", 1, 1000)},
                                    {code}));
  REQUIRE_OK(earned);
  // Boots 20.00 - 10.00, bread 10.00: 20.00 paid, 20 points.
  CHECK(earned->points_earned() == 20);

  v1::ReturnRequest boot;
  *boot.mutable_context() = testing::PosContext("ret-1");
  boot.set_member_id("alice");
  boot.set_order_id("o1");
  v1::ReturnLine* line = boot.add_lines();
  line->set_sku("BOOT");
  line->set_quantity(1);
  auto returned = CallLedger<ReturnCommand>(t.ledger(), kPos, boot);
  REQUIRE_OK(returned);
  // One boot was paid 5.00 of 20.00: a quarter of the points.
  CHECK(returned->points_reversed() == 5);
  CHECK(returned->entries(0).returned_value_minor() == 500);

  // The order's value left is what was paid less that boot: 15.00.
  v1::ReturnRequest too_much;
  *too_much.mutable_context() = testing::PosContext("ret-2");
  too_much.set_member_id("alice");
  too_much.set_order_id("o1");
  too_much.set_amount_minor(1501);
  CHECK(ReasonOfResult(CallLedger<ReturnCommand>(t.ledger(), kPos, too_much)) ==
        v1::ERROR_REASON_RETURN_EXCEEDS_ORDER);
  too_much.mutable_context()->set_request_id("ret-3");
  too_much.set_amount_minor(1500);
  auto rest = CallLedger<ReturnCommand>(t.ledger(), kPos, too_much);
  REQUIRE_OK(rest);
  CHECK(rest->points_reversed() == 15);
  t.RequireVerifyOk();
}

TEST_CASE("returning a whole order gives its coupons their use back as their "
          "templates say; a partial return keeps every use",
          "[coupons][checkout][returns]") {
  v1::ProgramConfig program = CheckoutProgram();
  CouponTemplate restore = PercentTemplate("restore-10", 10);
  restore.set_combinable(true);
  restore.set_return_policy(v1::COUPON_RETURN_POLICY_RESTORE);
  *program.add_coupon_templates() = restore;
  CouponTemplate if_valid = PercentTemplate("if-valid-10", 10);
  if_valid.set_combinable(true);
  if_valid.set_valid_days_after_issue(2);
  if_valid.set_return_policy(v1::COUPON_RETURN_POLICY_RESTORE_IF_VALID);
  *program.add_coupon_templates() = if_valid;
  TestLedger t(program);
  for (const std::string member : {"alice", "bob"}) {
    t.EnrollOk(member);
    const std::string keep = IssueOk(t, "k-" + member, member, "pct-20");
    const std::string back = IssueOk(t, "r-" + member, member, "restore-10");
    const std::string valid = IssueOk(t, "v-" + member, member, "if-valid-10");
    REQUIRE_OK(EarnAtTill(t, Order("e-" + member, member, "o1",
                                   {Line("A", 1, 1000), Line("B", 1, 1000)},
                                   {keep, back, valid})));
    auto return_of = [&](std::string request_id, std::string sku) {
      v1::ReturnRequest request;
      *request.mutable_context() = testing::PosContext(std::move(request_id));
      request.set_member_id(member);
      request.set_order_id("o1");
      v1::ReturnLine* line = request.add_lines();
      line->set_sku(std::move(sku));
      line->set_quantity(1);
      return CallLedger<ReturnCommand>(t.ledger(), kPos, request);
    };
    auto partial = return_of("ret-a-" + member, "A");
    REQUIRE_OK(partial);
    CHECK(partial->entries_size() == 1);
    for (const std::string& code : {keep, back, valid}) {
      CHECK(UsesOf(t, code) == 1);
    }
    // bob returns the rest after if-valid-10's window has closed.
    if (member == "bob") t.clock().AdvanceMs(3 * 24 * 3600 * 1000ll);
    auto rest = return_of("ret-b-" + member, "B");
    REQUIRE_OK(rest);
    std::vector<std::string> restored;
    for (const auto& entry : rest->entries()) {
      if (entry.kind() != v1::ENTRY_KIND_COUPON_RESTORE) continue;
      CHECK(entry.order_id() == "o1");
      CHECK(entry.coupon_restored().uses_after() == 0);
      restored.push_back(entry.coupon_restored().template_id());
    }
    if (member == "alice") {
      CHECK(restored == std::vector<std::string>{"restore-10", "if-valid-10"});
      CHECK(UsesOf(t, valid) == 0);
    } else {
      CHECK(restored == std::vector<std::string>{"restore-10"});
      CHECK(UsesOf(t, valid) == 1);
    }
    CHECK(UsesOf(t, keep) == 1);
    CHECK(UsesOf(t, back) == 0);
    // Given back, it is used again like a new one.
    REQUIRE_OK(RedeemAtTill(t.ledger(), "again-" + member, member, back));
  }
  t.Reopen();
  t.RequireVerifyOk();
}

TEST_CASE(
    "concurrent orders presenting one single-use coupon: exactly one "
    "gets it, the others are refused whole",
    "[coupons][checkout][concurrency]") {
  TestLedger t(CheckoutProgram());
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "pct-20");
  const testing::CouponRace race =
      testing::RaceForCoupon(8, 4, [&](const std::string& id) {
        return EarnAtTill(t, Order(id, "alice", "order-" + id,
                                   {Line("A", 1, 1000)}, {code}));
      });
  CHECK(race.succeeded == 1);
  CHECK(race.used_up == 8 * 4 - 1);
  int earns = 0;
  for (const auto& entry : EntriesOf(t, "alice")) {
    if (entry.kind() == v1::ENTRY_KIND_EARN) ++earns;
  }
  CHECK(earns == 1);
  t.RequireVerifyOk();
}

TEST_CASE(
    "malformed coupon codes on an Earn are refused with the field "
    "named, before anything is queued",
    "[coupons][checkout][validation]") {
  TestLedger t(CheckoutProgram());
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "pct-20");
  std::string lower;
  for (char c : code) lower += static_cast<char>(std::tolower(c));
  std::string typo = code;
  typo[0] = typo[0] == 'A' ? 'B' : 'A';
  struct Case {
    std::vector<std::string> codes;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{typo}, "coupon_codes[0]"},
      {{code, lower}, "coupon_codes[1]"},
      {{code, "", code}, "coupon_codes[1]"},
      {std::vector<std::string>(6, code), "coupon_codes"},
  };
  for (const Case& c : cases) {
    NothingChanged unchanged(t.store());
    auto refused = EarnAtTill(
        t, Order("bad", "alice", "o1", {Line("A", 1, 1000)}, c.codes));
    INFO(refused.status().ToString());
    CHECK(CodeOf(refused) == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(refused.status().message(), c.field));
    unchanged.Check();
    auto quoted = t.ledger().QuoteEarn(
        Order("bad", "alice", "o1", {Line("A", 1, 1000)}, c.codes));
    CHECK(CodeOf(quoted) == absl::StatusCode::kInvalidArgument);
  }
  CHECK(UsesOf(t, code) == 0);
}

TEST_CASE(
    "bad checkout fields of a coupon template are refused at start "
    "with the field named",
    "[coupons][checkout][program]") {
  struct Case {
    const char* field;
    std::function<void(CouponTemplate&)> spoil;
  };
  const std::vector<Case> cases = {
      {"coupon_templates[0].min_spend.currency",
       [](CouponTemplate& t) {
         t.mutable_amount_off()->set_amount_minor(500);
         t.mutable_amount_off()->set_currency("EUR");
         t.mutable_min_spend()->set_amount_minor(1000);
         t.mutable_min_spend()->set_currency("USD");
       }},
      {"coupon_templates[0].min_spend.amount_minor",
       [](CouponTemplate& t) { *t.mutable_min_spend() = Eur(0); }},
      {"coupon_templates[0].discount_budget.currency",
       [](CouponTemplate& t) {
         t.mutable_discount_budget()->set_amount_minor(1000);
         t.mutable_discount_budget()->set_currency("JPY");
       }},
      {"coupon_templates[0].discount_budget",
       [](CouponTemplate& t) {
         t.set_bonus_points(10);
         *t.mutable_discount_budget() = Eur(1000);
       }},
      {"coupon_templates[0].points_multiplier_percent",
       [](CouponTemplate& t) { t.set_points_multiplier_percent(100); }},
      {"coupon_templates[0].bonus_points",
       [](CouponTemplate& t) { t.set_bonus_points(0); }},
      {"coupon_templates[0].eligible_categories",
       [](CouponTemplate& t) { t.add_eligible_categories("garden"); }},
      {"coupon_templates[0].eligible_skus",
       [](CouponTemplate& t) { t.add_eligible_skus("has space"); }},
      {"coupon_templates[0].return_policy",
       [](CouponTemplate& t) {
         t.set_return_policy(static_cast<v1::CouponReturnPolicy>(99));
       }},
  };
  for (const Case& c : cases) {
    v1::ProgramConfig program = CheckoutProgram();
    program.clear_coupon_templates();
    CouponTemplate t = PercentTemplate("ok", 10);
    c.spoil(t);
    *program.add_coupon_templates() = t;
    absl::Status valid = ValidateProgram(program);
    INFO(c.field << ": " << valid.ToString());
    REQUIRE(valid.code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(valid.message(), c.field));
  }
  CHECK(ValidateProgram(CheckoutProgram()).ok());
  v1::ProgramConfig unknown_basis = CheckoutProgram();
  unknown_basis.set_coupon_earn_basis(static_cast<v1::CouponEarnBasis>(7));
  CHECK(absl::StartsWith(ValidateProgram(unknown_basis).message(),
                         "coupon_earn_basis"));
}

}  // namespace
}  // namespace loyalty
