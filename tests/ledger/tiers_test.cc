// Tiers (ledger/points/tiers.h): the lowest tier at enrolment, upgrades at once
// with the multiplier from the next earn, evaluations that keep or move
// down after the grace period, returns reducing the window, spend-based
// tiers, GetMember's progress, and replay.
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "ledger/points/tiers.h"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using testing::kPos;
using testing::kStartMs;
using testing::TestLedger;
using v1::LedgerEntry;
using v1::ProgramConfig;

// kStartMs (2023-11-14T22:13:20Z) + 12 months + 30 days: the evaluation of
// a tier reached at kStartMs.
constexpr int64_t kFirstEvaluationMs = 1'734'214'400'000;  // 2024-12-14.
constexpr int64_t kSecondEvaluationMs = 1'768'342'400'000;  // 2026-01-13.
constexpr int64_t kAugust2024Ms = 1'723'248'000'000;

// 1 pt per EUR; Member (0), Silver (1000, 125%), Gold (5000, 150%) on
// qualifying points over 12 months, with 30 days' grace. UTC.
ProgramConfig TiersProgram(v1::TierBasis basis = v1::TIER_BASIS_QUALIFYING_POINTS) {
  ProgramConfig program = testing::TestProgram();
  v1::TierRules* rules = program.mutable_tier_rules();
  rules->set_basis(basis);
  if (basis == v1::TIER_BASIS_SPEND) rules->set_spend_currency("EUR");
  rules->set_window_months(12);
  rules->set_grace_days(30);
  const int64_t scale = basis == v1::TIER_BASIS_SPEND ? 100 : 1;
  auto add = [&](const char* id, const char* name, int64_t threshold,
                 int percent) {
    v1::Tier* tier = rules->add_tiers();
    tier->set_tier_id(id);
    tier->set_display_name(name);
    tier->set_threshold(threshold * scale);
    tier->set_multiplier_percent(percent);
  };
  add("member", "Member", 0, 100);
  add("silver", "Silver", 1000, 125);
  add("gold", "Gold", 5000, 150);
  return program;
}

absl::StatusOr<v1::EarnResponse> EarnEuros(TestLedger& t,
                                           const std::string& request_id,
                                           int64_t euros,
                                           const std::string& currency = "EUR") {
  return testing::Earn(
      t.ledger(), kPos,
      testing::EarnWithLines(request_id, "ann", "order-" + request_id,
                             currency, {testing::Line("sku", 1, euros * 100)}));
}

v1::TierStatus TierOf(TestLedger& t) {
  v1::Member member = testing::ValueOrFail(t.ledger().GetMember("ann"));
  REQUIRE(member.has_tier());
  return member.tier();
}

std::vector<LedgerEntry> TierEntries(TestLedger& t) {
  std::vector<LedgerEntry> tiers;
  for (const LedgerEntry& entry : testing::ListAll(t.ledger(), "ann", 500)) {
    if (entry.kind() == v1::ENTRY_KIND_TIER) tiers.insert(tiers.begin(), entry);
  }
  return tiers;
}

SweepResult SweepOk(TestLedger& t) {
  auto pending = testing::MakePending<SweepResult>();
  t.ledger().SubmitSystem<SweepCommand>(SweepRequest{100}, std::move(pending.done));
  return testing::ValueOrFail(pending.result.get());
}

TEST_CASE("a member starts in the lowest tier, which is never evaluated",
          "[tiers]") {
  TestLedger t(TiersProgram());
  auto enrolled = t.EnrollOk("ann");
  CHECK(enrolled.entry().tier_to() == "member");
  v1::TierStatus tier = TierOf(t);
  CHECK(tier.tier_id() == "member");
  CHECK(tier.display_name() == "Member");
  CHECK(tier.evaluation_ms() == 0);
  CHECK(tier.next_tier_id() == "silver");
  CHECK(tier.to_next_tier() == 1000);
  // Without tier rules, members have no tier at all.
  TestLedger plain;
  plain.EnrollOk("ann");
  CHECK_FALSE(testing::ValueOrFail(plain.ledger().GetMember("ann")).has_tier());
}

TEST_CASE("crossing a threshold upgrades at once, and the tier's multiplier "
          "applies from the next earn",
          "[tiers]") {
  TestLedger t(TiersProgram());
  t.EnrollOk("ann");
  REQUIRE_OK(EarnEuros(t, "e1", 999));
  CHECK(TierOf(t).tier_id() == "member");
  CHECK(TierOf(t).to_next_tier() == 1);
  auto crossing = EarnEuros(t, "e2", 1);
  REQUIRE_OK(crossing);
  CHECK(crossing->points_earned() == 1);  // Still earned as a Member.
  std::vector<LedgerEntry> tiers = TierEntries(t);
  REQUIRE(tiers.size() == 1);
  CHECK(tiers[0].tier_from() == "member");
  CHECK(tiers[0].tier_to() == "silver");
  CHECK(tiers[0].qualifying_amount() == 1000);
  CHECK(tiers[0].sequence() == crossing->entry().sequence() + 1);
  CHECK(tiers[0].tier_evaluation_ms() == kFirstEvaluationMs);
  v1::TierStatus silver = TierOf(t);
  CHECK(silver.tier_id() == "silver");
  CHECK(silver.since_ms() == kStartMs);
  CHECK(silver.evaluation_ms() == kFirstEvaluationMs);
  CHECK(silver.next_tier_id() == "gold");
  CHECK(silver.to_next_tier() == 4000);

  // The next earn gets Silver's 125% of its base, as its own line, and
  // the quote says the same.
  v1::EarnRequest next = testing::EarnWithLines(
      "e3", "ann", "order-e3", "EUR", {testing::Line("sku", 1, 10000)});
  auto quoted = t.ledger().QuoteEarn(next);
  REQUIRE_OK(quoted);
  CHECK(quoted->points() == 125);
  auto earned = testing::Earn(t.ledger(), kPos, next);
  REQUIRE_OK(earned);
  CHECK(earned->points_earned() == 125);
  REQUIRE(earned->breakdown_size() == 2);
  CHECK(earned->breakdown(1).kind() == v1::RULE_KIND_TIER);
  CHECK(earned->breakdown(1).rule_id() == "silver");
  CHECK(earned->breakdown(1).points() == 25);
  // Only the 100 base points qualify, not the tier's own extra.
  CHECK(earned->entry().qualifying_delta() == 100);
  CHECK(TierOf(t).qualifying_amount() == 1100);
  t.RequireVerifyOk();
}

TEST_CASE("one earn can skip a tier", "[tiers]") {
  TestLedger t(TiersProgram());
  t.EnrollOk("ann");
  REQUIRE_OK(EarnEuros(t, "big", 6000));
  std::vector<LedgerEntry> tiers = TierEntries(t);
  REQUIRE(tiers.size() == 1);
  CHECK(tiers[0].tier_to() == "gold");
  CHECK(TierOf(t).to_next_tier() == 0);
  CHECK(TierOf(t).next_tier_id().empty());
}

TEST_CASE("a tier the window no longer supports moves down only at "
          "evaluation, after the grace period",
          "[tiers][evaluation]") {
  TestLedger t(TiersProgram());
  t.EnrollOk("ann");
  REQUIRE_OK(EarnEuros(t, "e1", 1000));  // Silver, November 2023.
  // A year on, November 2023 has left the window: the window supports
  // Member, but the tier stays until the evaluation.
  t.clock().SetMs(kFirstEvaluationMs - 1);
  v1::TierStatus before = TierOf(t);
  CHECK(before.tier_id() == "silver");
  CHECK(before.qualifying_amount() == 0);
  CHECK(before.supported_tier_id() == "member");
  t.clock().SetMs(kFirstEvaluationMs);
  CHECK(TierOf(t).tier_id() == "member");  // As of now, unwritten yet.
  CHECK(SweepOk(t).entries_written == 1);
  std::vector<LedgerEntry> tiers = TierEntries(t);
  REQUIRE(tiers.size() == 2);
  CHECK(tiers[1].tier_from() == "silver");
  CHECK(tiers[1].tier_to() == "member");
  CHECK(tiers[1].principal() == "system");
  CHECK(tiers[1].occurred_at_ms() == kFirstEvaluationMs);
  CHECK(tiers[1].tier_evaluation_ms() == 0);
  CHECK(SweepOk(t).entries_written == 0);  // Nothing more is due.
  t.RequireVerifyOk();
}

TEST_CASE("a tier the window still supports is kept at evaluation and "
          "evaluated again a window later",
          "[tiers][evaluation]") {
  TestLedger t(TiersProgram());
  t.EnrollOk("ann");
  REQUIRE_OK(EarnEuros(t, "e1", 1000));
  t.clock().SetMs(kAugust2024Ms);
  REQUIRE_OK(EarnEuros(t, "e2", 1000));  // Inside the next window.
  t.clock().SetMs(kFirstEvaluationMs + 1000);
  SweepOk(t);
  std::vector<LedgerEntry> tiers = TierEntries(t);
  REQUIRE(tiers.size() == 2);
  CHECK(tiers[1].tier_from() == "silver");
  CHECK(tiers[1].tier_to() == "silver");
  CHECK(tiers[1].qualifying_amount() == 1000);
  CHECK(tiers[1].tier_evaluation_ms() == kSecondEvaluationMs);
  v1::TierStatus kept = TierOf(t);
  CHECK(kept.tier_id() == "silver");
  CHECK(kept.since_ms() == kStartMs);  // Kept, not reached again.
  CHECK(kept.evaluation_ms() == kSecondEvaluationMs);
  t.RequireVerifyOk();
}

TEST_CASE("a return reduces the qualifying amount of the order's month",
          "[tiers][returns]") {
  TestLedger t(TiersProgram());
  t.EnrollOk("ann");
  REQUIRE_OK(EarnEuros(t, "e1", 1200));
  CHECK(TierOf(t).tier_id() == "silver");
  v1::ReturnRequest request;
  *request.mutable_context() = testing::PosContext("ret-1");
  request.set_member_id("ann");
  request.set_order_id("order-e1");
  request.set_amount_minor(60000);  // Half of the order.
  auto pending = testing::MakePending<v1::ReturnResponse>();
  t.ledger().Submit<ReturnCommand>(kPos, request, std::move(pending.done));
  auto returned = pending.result.get();
  REQUIRE_OK(returned);
  CHECK(returned->entries(0).qualifying_delta() == -600);
  v1::TierStatus tier = TierOf(t);
  CHECK(tier.qualifying_amount() == 600);
  // No downgrade until the evaluation, which then moves down.
  CHECK(tier.tier_id() == "silver");
  CHECK(tier.supported_tier_id() == "member");
  t.RequireVerifyOk();
}

TEST_CASE("spend-based tiers count the eligible spend in the tier currency "
          "only",
          "[tiers][spend]") {
  TestLedger t(TiersProgram(v1::TIER_BASIS_SPEND));
  t.EnrollOk("ann");
  REQUIRE_OK(EarnEuros(t, "usd", 5000, "USD"));
  CHECK(TierOf(t).qualifying_amount() == 0);
  REQUIRE_OK(EarnEuros(t, "eur", 1000));
  CHECK(TierOf(t).qualifying_amount() == 100000);
  CHECK(TierOf(t).tier_id() == "silver");
}

TEST_CASE("tier rules are checked field by field", "[tiers][program]") {
  struct Case {
    std::function<void(ProgramConfig&)> edit;
    const char* field;
  };
  std::vector<Case> cases = {
      {[](ProgramConfig& p) {
         p.mutable_tier_rules()->mutable_tiers(0)->set_threshold(5);
       },
       "tier_rules.tiers[0].threshold"},
      {[](ProgramConfig& p) {
         p.mutable_tier_rules()->mutable_tiers(2)->set_threshold(1000);
       },
       "tier_rules.tiers[2].threshold"},
      {[](ProgramConfig& p) {
         p.mutable_tier_rules()->mutable_tiers(1)->set_multiplier_percent(99);
       },
       "tier_rules.tiers[1].multiplier_percent"},
      {[](ProgramConfig& p) {
         p.mutable_tier_rules()->mutable_tiers(1)->set_tier_id("base-eur");
       },
       "tier_rules.tiers[1].tier_id"},
      {[](ProgramConfig& p) { p.mutable_tier_rules()->set_window_months(0); },
       "tier_rules.window_months"},
      {[](ProgramConfig& p) { p.mutable_tier_rules()->set_window_months(37); },
       "tier_rules.window_months"},
      {[](ProgramConfig& p) { p.mutable_tier_rules()->set_grace_days(-1); },
       "tier_rules.grace_days"},
      {[](ProgramConfig& p) {
         p.mutable_tier_rules()->set_basis(v1::TIER_BASIS_UNSPECIFIED);
       },
       "tier_rules.basis"},
      {[](ProgramConfig& p) {
         p.mutable_tier_rules()->set_basis(v1::TIER_BASIS_SPEND);
         p.mutable_tier_rules()->set_spend_currency("JPY");
       },
       "tier_rules.spend_currency"},
      // Coupons issued by program rules: a known template, never on the
      // first tier (nobody is upgraded to it).
      {[](ProgramConfig& p) {
         p.mutable_tier_rules()
             ->mutable_tiers(1)
             ->set_upgrade_coupon_template_id("no-such-template");
       },
       "tier_rules.tiers[1].upgrade_coupon_template_id"},
      {[](ProgramConfig& p) {
         v1::CouponTemplate* coupon = p.add_coupon_templates();
         coupon->set_template_id("welcome-up");
         coupon->set_percent_off(10);
         coupon->set_valid_days_after_issue(30);
         p.mutable_tier_rules()
             ->mutable_tiers(0)
             ->set_upgrade_coupon_template_id("welcome-up");
       },
       "tier_rules.tiers[0].upgrade_coupon_template_id"},
  };
  for (const Case& c : cases) {
    ProgramConfig program = TiersProgram();
    c.edit(program);
    absl::Status valid = ValidateProgram(program);
    INFO(c.field << ": " << valid.ToString());
    CHECK(absl::IsInvalidArgument(valid));
    CHECK(absl::StartsWith(valid.message(), c.field));
  }
  CHECK(ValidateProgram(TiersProgram()).ok());
  CHECK(ValidateProgram(TiersProgram(v1::TIER_BASIS_SPEND)).ok());
}

TEST_CASE("calendar arithmetic of tier windows", "[tiers]") {
  absl::TimeZone utc = absl::UTCTimeZone();
  CHECK(MonthIndex(0, utc) == 0);
  CHECK(MonthIndex(kStartMs, utc) == (2023 - 1970) * 12 + 10);
  CHECK(AddCalendarMs(kStartMs, 12, 30, utc) == kFirstEvaluationMs);
  absl::TimeZone taipei;
  REQUIRE(absl::LoadTimeZone("Asia/Taipei", &taipei));
  // 2023-11-30T20:00Z is already December in Taipei.
  const int64_t late_november_utc = absl::ToUnixMillis(
      absl::FromCivil(absl::CivilSecond(2023, 11, 30, 20, 0, 0), utc));
  CHECK(MonthIndex(late_november_utc, taipei) ==
        MonthIndex(late_november_utc, utc) + 1);
}

}  // namespace
}  // namespace loyalty
