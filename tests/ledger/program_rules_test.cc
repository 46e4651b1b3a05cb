// The program's earn rules beyond the base rate (ledger/points/earn_rules.h):
// excluded categories, product rules, campaigns, spend bonuses; QuoteEarn
// agreeing with Earn; and the validation of each rule in the program.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "ledger/points/earn_rules.h"
#include "ledger/common/keys.h"
#include "ledger/common/program.h"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using testing::EarnWithLines;
using testing::kApp;
using testing::kPos;
using testing::kStartMs;
using testing::TestLedger;
using testing::TestProgram;
using v1::BasketLine;
using v1::EarnRequest;
using v1::ProgramConfig;

constexpr int64_t kDayMs = 24ll * 3600 * 1000;
// The weekend campaign's window: [kStartMs + 1 day, kStartMs + 3 days).
constexpr int64_t kWeekendStartMs = kStartMs + kDayMs;
constexpr int64_t kWeekendEndMs = kStartMs + 3 * kDayMs;

BasketLine CategoryLine(std::string sku, std::string category,
                        int64_t quantity, int64_t unit_price_minor) {
  BasketLine line = testing::Line(std::move(sku), quantity, unit_price_minor);
  line.set_category(std::move(category));
  return line;
}

// 1 pt per 1.00 EUR, with one rule of every kind:
//   gift-cards excluded; snacks x2; SKU "espresso" +5 per unit (beats the
//   coffee x1.5 category rule); "app-weekend" doubles app orders in the
//   weekend window; "store-9-bonus" +100 for orders at store-9; "spend-100"
//   +50 from 100.00 EUR of eligible spend.
ProgramConfig RulesProgram() {
  ProgramConfig program = TestProgram();
  for (const char* category : {"snacks", "coffee", "gift-cards", "tobacco"}) {
    program.add_categories(category);
  }
  program.add_excluded_categories("gift-cards");
  program.add_excluded_categories("tobacco");
  auto* snacks = program.add_product_rules();
  snacks->set_rule_id("snacks-x2");
  snacks->set_category("snacks");
  snacks->set_multiplier_percent(200);
  auto* coffee = program.add_product_rules();
  coffee->set_rule_id("coffee-x1.5");
  coffee->set_category("coffee");
  coffee->set_multiplier_percent(150);
  auto* espresso = program.add_product_rules();
  espresso->set_rule_id("espresso-bonus");
  espresso->set_description("Espresso: +5 pt per cup");
  espresso->set_sku("espresso");
  espresso->set_bonus_points_per_unit(5);
  auto* weekend = program.add_campaigns();
  weekend->set_rule_id("app-weekend");
  weekend->set_description("Double Points Weekend (app only)");
  weekend->set_starts_at_ms(kWeekendStartMs);
  weekend->set_ends_at_ms(kWeekendEndMs);
  weekend->add_channels(v1::CHANNEL_APP);
  weekend->set_multiplier_percent(200);
  auto* store = program.add_campaigns();
  store->set_rule_id("store-9-bonus");
  store->set_starts_at_ms(0);
  store->set_ends_at_ms(kStartMs + 365 * kDayMs);
  store->add_store_ids("store-9");
  store->add_categories("coffee");
  store->set_bonus_points(100);
  auto* spend = program.add_spend_bonuses();
  spend->set_rule_id("spend-100");
  spend->set_currency("EUR");
  spend->set_min_spend_minor(100'00);
  spend->set_bonus_points(50);
  return program;
}

EarnRequest Basket(const std::vector<BasketLine>& lines) {
  return EarnWithLines("r", "m", "o", "EUR", lines);
}

EarnComputation ComputeOk(const ProgramConfig& program,
                          const EarnRequest& request, int64_t order_time_ms) {
  auto earn = ComputeEarn(program, request, order_time_ms);
  INFO(earn.status().ToString());
  REQUIRE(earn.ok());
  int64_t sum = 0;
  for (const auto& line : earn->breakdown) sum += line.points();
  REQUIRE(sum == earn->points);  // The breakdown always adds up.
  return *earn;
}

// Points of the rule `rule_id` in the breakdown; -1 when it is absent.
int64_t RulePoints(const EarnComputation& earn, const std::string& rule_id) {
  for (const auto& line : earn.breakdown) {
    if (line.rule_id() == rule_id) return line.points();
  }
  return -1;
}

TEST_CASE("lines in excluded categories earn nothing and count for no "
          "threshold",
          "[earn_rules][program_rules]") {
  auto earn = ComputeOk(RulesProgram(),
                        Basket({testing::Line("bread", 1, 20'00),
                                CategoryLine("card", "gift-cards", 1, 100'00)}),
                        kStartMs);
  CHECK(earn.spend_minor == 120'00);
  CHECK(earn.eligible_spend_minor == 20'00);
  CHECK(earn.points == 20);
  CHECK(RulePoints(earn, "spend-100") == -1);
  // A basket of only excluded lines earns zero.
  CHECK(ComputeOk(RulesProgram(),
                  Basket({CategoryLine("cigs", "tobacco", 3, 9'99)}), kStartMs)
            .points == 0);
}

TEST_CASE("a category multiplier adds the extra above base on its lines",
          "[earn_rules][program_rules]") {
  auto earn = ComputeOk(RulesProgram(),
                        Basket({CategoryLine("chips", "snacks", 2, 5'00),
                                testing::Line("bread", 1, 3'00)}),
                        kStartMs);
  CHECK(RulePoints(earn, "base-eur") == 13);
  CHECK(RulePoints(earn, "snacks-x2") == 10);
  CHECK(earn.points == 23);
  // A described rule shows its description; an undescribed one a summary.
  CHECK(earn.breakdown[1].description() == "category snacks x2");
}

TEST_CASE("a multiplier is floored once per order, after summing its lines",
          "[earn_rules][program_rules]") {
  // Two lines of 0.50 coffee at x1.5: extra = floor(1.00 x 0.5) = 0 points;
  // four lines: floor(2.00 x 0.5) = 1, where flooring each line gives 0.
  auto two = ComputeOk(RulesProgram(),
                       Basket({CategoryLine("a", "coffee", 1, 50),
                               CategoryLine("b", "coffee", 1, 50)}),
                       kStartMs);
  CHECK(RulePoints(two, "coffee-x1.5") == -1);  // 0 points: not listed.
  CHECK(two.points == 1);
  auto four = ComputeOk(RulesProgram(),
                        Basket({CategoryLine("a", "coffee", 4, 50)}), kStartMs);
  CHECK(RulePoints(four, "coffee-x1.5") == 1);
  CHECK(four.points == 3);
}

TEST_CASE("a SKU rule beats the category rule of the same line",
          "[earn_rules][program_rules]") {
  auto earn = ComputeOk(RulesProgram(),
                        Basket({CategoryLine("espresso", "coffee", 3, 2'00),
                                CategoryLine("latte", "coffee", 2, 3'00)}),
                        kStartMs);
  // Espresso: +5 per unit, no x1.5; latte: x1.5 on 6.00 = +3.
  CHECK(RulePoints(earn, "espresso-bonus") == 15);
  CHECK(RulePoints(earn, "coffee-x1.5") == 3);
  CHECK(RulePoints(earn, "base-eur") == 12);
  CHECK(earn.points == 30);
}

TEST_CASE("a campaign applies from its start, inclusive, to its end, "
          "exclusive",
          "[earn_rules][program_rules]") {
  EarnRequest request = Basket({testing::Line("bread", 1, 40'00)});
  *request.mutable_context() = testing::AppContext("r");
  auto at = [&](int64_t time_ms) {
    return RulePoints(ComputeOk(RulesProgram(), request, time_ms),
                      "app-weekend");
  };
  CHECK(at(kWeekendStartMs - 1) == -1);
  CHECK(at(kWeekendStartMs) == 40);
  CHECK(at(kWeekendEndMs - 1) == 40);
  CHECK(at(kWeekendEndMs) == -1);
}

TEST_CASE("the same basket earns the same in every channel unless a "
          "channel campaign applies, and the breakdown names it",
          "[earn_rules][program_rules]") {
  std::vector<BasketLine> lines = {CategoryLine("chips", "snacks", 1, 7'50),
                                   testing::Line("milk", 2, 1'25)};
  EarnRequest pos = Basket(lines);
  EarnRequest app = Basket(lines);
  *app.mutable_context() = testing::AppContext("r");
  // Outside the window: identical.
  auto pos_before = ComputeOk(RulesProgram(), pos, kStartMs);
  auto app_before = ComputeOk(RulesProgram(), app, kStartMs);
  CHECK(pos_before.points == app_before.points);
  // In the window: the app earns more, by exactly the campaign's line.
  auto pos_weekend = ComputeOk(RulesProgram(), pos, kWeekendStartMs);
  auto app_weekend = ComputeOk(RulesProgram(), app, kWeekendStartMs);
  CHECK(pos_weekend.points == pos_before.points);
  CHECK(RulePoints(pos_weekend, "app-weekend") == -1);
  CHECK(app_weekend.points ==
        pos_weekend.points + RulePoints(app_weekend, "app-weekend"));
  CHECK(RulePoints(app_weekend, "app-weekend") == 10);
  CHECK(app_weekend.breakdown.back().description() ==
        "Double Points Weekend (app only)");
}

TEST_CASE("a campaign filtered by store and category gives its bonus once "
          "per order",
          "[earn_rules][program_rules]") {
  auto at_store = [](std::string store_id, std::vector<BasketLine> lines) {
    EarnRequest request = Basket(lines);
    request.mutable_context()->set_store_id(std::move(store_id));
    return RulePoints(ComputeOk(RulesProgram(), request, kStartMs),
                      "store-9-bonus");
  };
  CHECK(at_store("store-9", {CategoryLine("latte", "coffee", 3, 3'00),
                             CategoryLine("mocha", "coffee", 1, 4'00)}) == 100);
  CHECK(at_store("store-8", {CategoryLine("latte", "coffee", 1, 3'00)}) == -1);
  // No coffee line: no bonus.
  CHECK(at_store("store-9", {testing::Line("bread", 1, 3'00)}) == -1);
}

TEST_CASE("a spend bonus needs the threshold reached exactly",
          "[earn_rules][program_rules]") {
  auto bonus_at = [](int64_t spend_minor) {
    return RulePoints(ComputeOk(RulesProgram(),
                                Basket({testing::Line("tv", 1, spend_minor)}),
                                kStartMs),
                      "spend-100");
  };
  CHECK(bonus_at(99'99) == -1);
  CHECK(bonus_at(100'00) == 50);
  CHECK(bonus_at(1'000'00) == 50);  // Once per order, not per threshold.
  // Another currency's basket never reaches an EUR threshold.
  EarnRequest usd = EarnWithLines("r", "m", "o", "USD",
                                  {testing::Line("tv", 1, 500'00)});
  CHECK(RulePoints(ComputeOk(RulesProgram(), usd, kStartMs), "spend-100") ==
        -1);
}

TEST_CASE("a multiplier whose points overflow int64 is an invalid argument",
          "[earn_rules][program_rules]") {
  ProgramConfig program = testing::MegaProgram();
  program.add_categories("gold");
  auto* rule = program.add_product_rules();
  rule->set_rule_id("gold-x100");
  rule->set_category("gold");
  rule->set_multiplier_percent(10'000);
  REQUIRE(ValidateProgram(program).ok());
  // 10^6 points per cent: 10^12 cents of gold earn 10^18 base, x100 overflows.
  auto earn = ComputeEarn(
      program, Basket({CategoryLine("bar", "gold", 1, 1'000'000'000'000)}), 0);
  CHECK(earn.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(earn.status().message(), "overflow"));
}

// ---------------------------------------------------------------------------
// Through the ledger: QuoteEarn and Earn.

std::vector<BasketLine> RandomBasket(std::mt19937_64& random) {
  static const std::vector<std::string> kCategories = {
      "", "snacks", "coffee", "gift-cards", "tobacco", "unknown"};
  static const std::vector<std::string> kSkus = {"espresso", "latte", "bread",
                                                 "chips", "tv"};
  std::vector<BasketLine> lines;
  int count = 1 + static_cast<int>(random() % 5);
  for (int i = 0; i < count; ++i) {
    lines.push_back(CategoryLine(kSkus[random() % kSkus.size()],
                                 kCategories[random() % kCategories.size()],
                                 1 + static_cast<int64_t>(random() % 4),
                                 static_cast<int64_t>(random() % 60'00)));
  }
  return lines;
}

TEST_CASE("for any basket, QuoteEarn then Earn agree, and the quote writes "
          "nothing",
          "[ledger][program_rules]") {
  TestLedger ledger(RulesProgram());
  ledger.EnrollOk("ann");
  uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 random(seed);
  for (int i = 0; i < 200; ++i) {
    // Orders before, inside and after the weekend window, from both channels.
    ledger.clock().SetMs(kStartMs + static_cast<int64_t>(random() % 4) * kDayMs);
    EarnRequest request = EarnWithLines(absl::StrCat("earn-", i), "ann",
                                        absl::StrCat("order-", i), "EUR",
                                        RandomBasket(random));
    if (random() % 2 == 0) {
      *request.mutable_context() = testing::AppContext(absl::StrCat("earn-", i));
    } else if (random() % 2 == 0) {
      request.mutable_context()->set_store_id("store-9");
    }
    auto before = testing::DumpStore(ledger.store());
    auto quote = ledger.ledger().QuoteEarn(request);
    REQUIRE_OK(quote);
    REQUIRE(testing::DumpStore(ledger.store()) == before);
    auto earned = testing::Earn(ledger.ledger(), kPos, request);
    REQUIRE_OK(earned);
    INFO(request.ShortDebugString());
    CHECK(earned->points_earned() == quote->points());
    REQUIRE(earned->breakdown_size() == quote->breakdown_size());
    for (int b = 0; b < quote->breakdown_size(); ++b) {
      CHECK(earned->breakdown(b).SerializeAsString() ==
            quote->breakdown(b).SerializeAsString());
    }
    CHECK(earned->entry().spend_minor() == quote->spend_minor());
  }
  ledger.RequireVerifyOk();
}

TEST_CASE("a quote needs no request id or order id, but a known member",
          "[ledger][program_rules]") {
  TestLedger ledger(RulesProgram());
  ledger.EnrollOk("ann");
  EarnRequest request = Basket({CategoryLine("chips", "snacks", 1, 10'00)});
  request.set_member_id("ann");
  request.mutable_context()->clear_request_id();
  request.clear_order_id();
  auto quote = ledger.ledger().QuoteEarn(request);
  REQUIRE_OK(quote);
  CHECK(quote->points() == 20);
  CHECK(quote->order_time_ms() == kStartMs);
  CHECK(quote->eligible_spend_minor() == 10'00);

  request.set_member_id("nobody");
  CHECK(absl::IsNotFound(ledger.ledger().QuoteEarn(request).status()));
  request.set_member_id("ann");
  request.mutable_lines(0)->set_quantity(0);
  auto bad = ledger.ledger().QuoteEarn(request);
  CHECK(absl::IsInvalidArgument(bad.status()));
  CHECK(absl::StrContains(bad.status().message(), "lines[0].quantity"));
}

TEST_CASE("an entry keeps the points and rules it was granted when the "
          "program changes",
          "[ledger][program_rules]") {
  MemoryStore store;
  ManualClock clock(kStartMs);
  EarnRequest request = EarnWithLines(
      "earn-1", "ann", "order-1", "EUR",
      {CategoryLine("chips", "snacks", 1, 10'00)});
  {
    auto ledger = Ledger::Open(&store, RulesProgram(), &clock, {});
    REQUIRE_OK(ledger);
    REQUIRE_OK(testing::Enroll(**ledger, kApp,
                               testing::EnrollRequest("enroll-ann", "ann")));
    auto earned = testing::Earn(**ledger, kPos, request);
    REQUIRE_OK(earned);
    CHECK(earned->points_earned() == 20);
  }
  // The snacks rule is gone: new earns get base only; the old entry stands.
  auto ledger = Ledger::Open(&store, TestProgram(), &clock, {});
  REQUIRE_OK(ledger);
  auto entries = (*ledger)->ListEntries([] {
    v1::ListEntriesRequest list;
    list.set_member_id("ann");
    return list;
  }());
  REQUIRE_OK(entries);
  REQUIRE(entries->entries_size() == 2);
  const v1::LedgerEntry& earn = entries->entries(0);
  CHECK(earn.points_delta() == 20);
  REQUIRE(earn.breakdown_size() == 2);
  CHECK(earn.breakdown(1).rule_id() == "snacks-x2");
  auto quote = (*ledger)->QuoteEarn(request);
  REQUIRE_OK(quote);
  CHECK(quote->points() == 10);
  auto verified = (*ledger)->Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
}

// ---------------------------------------------------------------------------
// Campaign caps and budgets: state the writer keeps.

// RulesProgram() plus "welcome": +100 on every order, with `cap` points per
// member and `budget` points in all (0 = no limit).
ProgramConfig WelcomeProgram(int64_t cap, int64_t budget) {
  ProgramConfig program = RulesProgram();
  auto* welcome = program.add_campaigns();
  welcome->set_rule_id("welcome");
  welcome->set_description("Welcome bonus");
  welcome->set_starts_at_ms(0);
  welcome->set_ends_at_ms(kStartMs + 365 * kDayMs);
  welcome->set_bonus_points(100);
  welcome->set_member_cap_points(cap);
  welcome->set_budget_points(budget);
  return program;
}

// The "welcome" line of an earn of 1.00 EUR (base 1 point); -1 when absent.
int64_t WelcomeEarned(TestLedger& ledger, const std::string& member_id,
                      int order) {
  std::string key = absl::StrCat(member_id, "-", order);
  auto earned = testing::Earn(
      ledger.ledger(), kPos,
      EarnWithLines("earn-" + key, member_id, "order-" + key, "EUR",
                    {testing::Line("bread", 1, 1'00)}));
  REQUIRE_OK(earned);
  int64_t welcome = -1;
  for (const auto& line : earned->breakdown()) {
    if (line.rule_id() == "welcome") {
      welcome = line.points();
      CHECK(line.kind() == v1::RULE_KIND_CAMPAIGN);
      CHECK(absl::StrContains(line.description(), "(capped)") ==
            (welcome < 100));
    }
  }
  CHECK(earned->points_earned() == 1 + std::max<int64_t>(welcome, 0));
  return welcome;
}

TEST_CASE("a campaign's member cap lowers the order that reaches it and "
          "skips later ones, per member",
          "[ledger][program_rules]") {
  TestLedger ledger(WelcomeProgram(/*cap=*/250, /*budget=*/0));
  ledger.EnrollOk("ann");
  ledger.EnrollOk("bob");
  CHECK(WelcomeEarned(ledger, "ann", 1) == 100);
  CHECK(WelcomeEarned(ledger, "ann", 2) == 100);
  CHECK(WelcomeEarned(ledger, "ann", 3) == 50);
  CHECK(WelcomeEarned(ledger, "ann", 4) == -1);
  CHECK(WelcomeEarned(ledger, "bob", 1) == 100);
  ledger.RequireVerifyOk();
}

TEST_CASE("a campaign budget is shared by every member and holds across a "
          "restart",
          "[ledger][program_rules]") {
  TestLedger ledger(WelcomeProgram(/*cap=*/0, /*budget=*/150));
  for (const char* member : {"ann", "bob", "cat", "dan"}) {
    ledger.EnrollOk(member);
  }
  CHECK(WelcomeEarned(ledger, "ann", 1) == 100);
  CHECK(WelcomeEarned(ledger, "bob", 1) == 50);
  CHECK(WelcomeEarned(ledger, "cat", 1) == -1);
  ledger.Reopen();
  CHECK(WelcomeEarned(ledger, "dan", 1) == -1);
  ledger.RequireVerifyOk();
}

TEST_CASE("a quote applies the campaign limits the ledger has reached",
          "[ledger][program_rules]") {
  TestLedger ledger(WelcomeProgram(/*cap=*/150, /*budget=*/0));
  ledger.EnrollOk("ann");
  EarnRequest request = EarnWithLines("q", "ann", "", "EUR",
                                      {testing::Line("bread", 1, 1'00)});
  auto quote = [&] {
    auto quoted = ledger.ledger().QuoteEarn(request);
    REQUIRE_OK(quoted);
    return quoted->points();
  };
  CHECK(quote() == 101);
  CHECK(WelcomeEarned(ledger, "ann", 1) == 100);
  CHECK(quote() == 51);
  CHECK(WelcomeEarned(ledger, "ann", 2) == 50);
  CHECK(quote() == 1);
}

TEST_CASE("Verify finds campaign totals that differ from the entries",
          "[ledger][program_rules][verify]") {
  TestLedger ledger(WelcomeProgram(/*cap=*/0, /*budget=*/1000));
  ledger.EnrollOk("ann");
  CHECK(WelcomeEarned(ledger, "ann", 1) == 100);
  ledger.RequireVerifyOk();

  auto head_bytes = ledger.store().Get(Family::kMeta, std::string(kHeadKey));
  REQUIRE_OK(head_bytes);
  storage::v1::LedgerHead head;
  REQUIRE(head.ParseFromString(*head_bytes));
  REQUIRE(head.campaign_points_size() == 1);
  CHECK(head.campaign_points(0).rule_id() == "welcome");
  CHECK(head.campaign_points(0).points() == 100);
  // A head that "forgets" budget use would let the budget be spent twice.
  head.mutable_campaign_points(0)->set_points(0);
  ledger.store().PutRaw(Family::kMeta, std::string(kHeadKey),
                        head.SerializeAsString());
  auto verified = ledger.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK_FALSE(verified->ok());
  REQUIRE(verified->problems_size() >= 1);
  CHECK(absl::StrContains(verified->problems(0), "campaign totals"));
}

TEST_CASE("Verify finds a member whose campaign count differs from its "
          "entries",
          "[ledger][program_rules][verify]") {
  TestLedger ledger(WelcomeProgram(/*cap=*/300, /*budget=*/0));
  ledger.EnrollOk("ann");
  CHECK(WelcomeEarned(ledger, "ann", 1) == 100);
  auto bytes = ledger.store().Get(Family::kMembers, MemberKey("ann"));
  REQUIRE_OK(bytes);
  storage::v1::MemberRecord member;
  REQUIRE(member.ParseFromString(*bytes));
  REQUIRE(member.campaign_points_size() == 1);
  member.clear_campaign_points();  // The cap would restart from zero.
  ledger.store().PutRaw(Family::kMembers, MemberKey("ann"),
                        member.SerializeAsString());
  auto verified = ledger.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK_FALSE(verified->ok());
}

TEST_CASE("every breakdown line names the kind of its rule",
          "[earn_rules][program_rules]") {
  auto earn = ComputeOk(WelcomeProgram(0, 0),
                        Basket({CategoryLine("chips", "snacks", 1, 120'00)}),
                        kStartMs);
  std::vector<std::pair<std::string, v1::RuleKind>> kinds;
  for (const auto& line : earn.breakdown) {
    kinds.emplace_back(line.rule_id(), line.kind());
  }
  CHECK(kinds == std::vector<std::pair<std::string, v1::RuleKind>>{
                     {"base-eur", v1::RULE_KIND_BASE},
                     {"snacks-x2", v1::RULE_KIND_PRODUCT},
                     {"welcome", v1::RULE_KIND_CAMPAIGN},
                     {"spend-100", v1::RULE_KIND_SPEND_BONUS}});
}

// ---------------------------------------------------------------------------
// Validation of the rules.

std::string RejectionOf(const ProgramConfig& program) {
  absl::Status status = ValidateProgram(program);
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  return std::string(status.message());
}

// The rejection of RulesProgram() after `edit`.
template <typename Edit>
std::string RejectionAfter(Edit edit) {
  ProgramConfig program = RulesProgram();
  edit(program);
  return RejectionOf(program);
}

TEST_CASE("the rules program is valid", "[program][program_rules]") {
  absl::Status status = ValidateProgram(RulesProgram());
  INFO(status.ToString());
  CHECK(status.ok());
}

TEST_CASE("a rule naming an unknown category is rejected with its path",
          "[program][program_rules]") {
  std::string message = RejectionAfter([](ProgramConfig& p) {
    p.mutable_campaigns(1)->set_categories(0, "cofee");
  });
  CHECK(absl::StrContains(message, "campaigns[1].categories[0]"));
  CHECK(absl::StrContains(message, "unknown category \"cofee\""));
  CHECK(absl::StrContains(RejectionAfter([](ProgramConfig& p) {
                            p.mutable_product_rules(0)->set_category("snack");
                          }),
                          "product_rules[0].category"));
  CHECK(absl::StrContains(RejectionAfter([](ProgramConfig& p) {
                            p.add_excluded_categories("alcohol");
                          }),
                          "excluded_categories[2]"));
}

TEST_CASE("rule ids are unique across every kind of rule",
          "[program][program_rules]") {
  std::string message = RejectionAfter([](ProgramConfig& p) {
    p.mutable_campaigns(0)->set_rule_id("base-eur");
  });
  CHECK(absl::StrContains(message, "campaigns[0].rule_id"));
  CHECK(absl::StrContains(message, "used by an earlier rule"));
  CHECK(absl::StrContains(RejectionAfter([](ProgramConfig& p) {
                            p.mutable_spend_bonuses(0)->set_rule_id("snacks-x2");
                          }),
                          "spend_bonuses[0].rule_id"));
}

TEST_CASE("a product rule sets exactly one target and one effect",
          "[program][program_rules]") {
  struct Case {
    const char* what;
    void (*edit)(ProgramConfig&);
    const char* expected;
  };
  const Case cases[] = {
      {"both targets",
       [](ProgramConfig& p) { p.mutable_product_rules(0)->set_sku("chips"); },
       "product_rules[0]: set exactly one of category"},
      {"both effects",
       [](ProgramConfig& p) {
         p.mutable_product_rules(0)->set_bonus_points_per_unit(1);
       },
       "exactly one of multiplier_percent"},
      {"no effect",
       [](ProgramConfig& p) {
         p.mutable_product_rules(0)->clear_multiplier_percent();
       },
       "product_rules[0]"},
      {"a category twice",
       [](ProgramConfig& p) {
         p.mutable_product_rules(1)->set_category("snacks");
       },
       "already covers category:snacks"},
      {"an excluded category",
       [](ProgramConfig& p) {
         p.mutable_product_rules(0)->set_category("tobacco");
       },
       "excluded from earning"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    CHECK(absl::StrContains(RejectionAfter(c.edit), c.expected));
  }
}

TEST_CASE("multipliers and bonuses out of range are rejected",
          "[program][program_rules]") {
  for (int32_t percent : {100, 50, -200, 10'001}) {
    INFO(percent);
    CHECK(absl::StrContains(RejectionAfter([percent](ProgramConfig& p) {
                              p.mutable_product_rules(0)
                                  ->set_multiplier_percent(percent);
                            }),
                            "product_rules[0].multiplier_percent"));
  }
  CHECK(absl::StrContains(RejectionAfter([](ProgramConfig& p) {
                            p.mutable_campaigns(1)->set_bonus_points(-5);
                          }),
                          "campaigns[1].bonus_points"));
  CHECK(absl::StrContains(RejectionAfter([](ProgramConfig& p) {
                            p.mutable_spend_bonuses(0)->set_bonus_points(
                                1'000'000'001);
                          }),
                          "spend_bonuses[0].bonus_points"));
}

TEST_CASE("campaign caps and budgets are 0 (none) or positive",
          "[program][program_rules]") {
  CHECK(absl::StrContains(RejectionAfter([](ProgramConfig& p) {
                            p.mutable_campaigns(0)->set_member_cap_points(-1);
                          }),
                          "campaigns[0].member_cap_points"));
  CHECK(absl::StrContains(RejectionAfter([](ProgramConfig& p) {
                            p.mutable_campaigns(1)->set_budget_points(-100);
                          }),
                          "campaigns[1].budget_points"));
}

TEST_CASE("a campaign window must end after it starts",
          "[program][program_rules]") {
  CHECK(absl::StrContains(RejectionAfter([](ProgramConfig& p) {
                            p.mutable_campaigns(0)->set_ends_at_ms(
                                kWeekendStartMs);
                          }),
                          "campaigns[0].ends_at_ms: must be after"));
  CHECK(absl::StrContains(RejectionAfter([](ProgramConfig& p) {
                            p.mutable_campaigns(0)->add_channels(
                                v1::CHANNEL_UNSPECIFIED);
                          }),
                          "campaigns[0].channels[1]"));
}

TEST_CASE("a spend bonus needs a program currency and a positive threshold",
          "[program][program_rules]") {
  CHECK(absl::StrContains(
      RejectionAfter([](ProgramConfig& p) {
        p.mutable_spend_bonuses(0)->set_currency("JPY");
      }),
      "spend_bonuses[0].currency: \"JPY\" has no earn rate"));
  CHECK(absl::StrContains(RejectionAfter([](ProgramConfig& p) {
                            p.mutable_spend_bonuses(0)->set_min_spend_minor(0);
                          }),
                          "spend_bonuses[0].min_spend_minor"));
}

// Coupons issued by program rules: a spend bonus gives points, a coupon of
// one of the program's templates, or both.
TEST_CASE("a spend bonus gives points, a known coupon template or both",
          "[program][program_rules][rule_coupons]") {
  auto with_template = [](ProgramConfig& p) {
    v1::CouponTemplate* coupon = p.add_coupon_templates();
    coupon->set_template_id("thank-you");
    coupon->set_percent_off(10);
    coupon->set_valid_days_after_issue(30);
  };
  CHECK(absl::StrContains(
      RejectionAfter([](ProgramConfig& p) {
        p.mutable_spend_bonuses(0)->set_coupon_template_id("thank-yuo");
      }),
      "spend_bonuses[0].coupon_template_id: \"thank-yuo\" is not one of "
      "the program's coupon_templates"));
  CHECK(absl::StrContains(RejectionAfter([](ProgramConfig& p) {
                            p.mutable_spend_bonuses(0)->set_bonus_points(0);
                          }),
                          "spend_bonuses[0].bonus_points: give bonus points "
                          "or a coupon_template_id"));
  CHECK(absl::StrContains(RejectionAfter([&](ProgramConfig& p) {
                            with_template(p);
                            p.mutable_spend_bonuses(0)->set_coupon_template_id(
                                "thank-you");
                            p.mutable_spend_bonuses(0)->set_bonus_points(-1);
                          }),
                          "spend_bonuses[0].bonus_points"));
  for (int64_t bonus_points : {0, 50}) {
    INFO(bonus_points);
    ProgramConfig program = RulesProgram();
    with_template(program);
    program.mutable_spend_bonuses(0)->set_coupon_template_id("thank-you");
    program.mutable_spend_bonuses(0)->set_bonus_points(bonus_points);
    absl::Status valid = ValidateProgram(program);
    INFO(valid.ToString());
    CHECK(valid.ok());
  }
}

}  // namespace
}  // namespace loyalty
