// Coupons issued by program rules (ledger/coupons/rule_coupons.h): a spend
// bonus's coupon right after its EARN, a tier's upgrade coupon right after
// the TIER entry of an earn or a merge, both counted against their
// template's budget and per-member limit (skipped, never refusing the
// earn, when reached), replays that issue nothing new, returns that keep
// the coupon, and VerifyLedger re-deriving the coupon's rule.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "coupon_test_util.h"
#include "ledger/coupons/codes.h"
#include "ledger/coupons/coupons_verify.h"
#include "ledger/points/sweep.h"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using testing::kPos;
using testing::TestLedger;
using v1::LedgerEntry;
using v1::ProgramConfig;

// kStartMs + 12 months + 30 days: the evaluation of a tier reached at
// kStartMs (as in tiers_test).
constexpr int64_t kFirstEvaluationMs = 1'734'214'400'000;  // 2024-12-14.

v1::CouponTemplate* AddTemplate(ProgramConfig& program, const char* id) {
  v1::CouponTemplate* coupon = program.add_coupon_templates();
  coupon->set_template_id(id);
  coupon->set_display_name(id);
  coupon->set_percent_off(10);
  coupon->set_valid_days_after_issue(30);
  return coupon;
}

// 1 pt per EUR. Spending 50.00 EUR or more gives a "thank-you" coupon (no
// points); Member (0), Silver (1000 points, coupon "silver-welcome") and
// Gold (5000, coupon "gold-welcome") over 12 months, 30 days' grace.
ProgramConfig RuleCouponProgram() {
  ProgramConfig program = testing::TestProgram();
  AddTemplate(program, "thank-you");
  AddTemplate(program, "silver-welcome");
  AddTemplate(program, "gold-welcome");
  v1::SpendBonus* bonus = program.add_spend_bonuses();
  bonus->set_rule_id("spend-50");
  bonus->set_currency("EUR");
  bonus->set_min_spend_minor(50'00);
  bonus->set_coupon_template_id("thank-you");
  v1::TierRules* rules = program.mutable_tier_rules();
  rules->set_basis(v1::TIER_BASIS_QUALIFYING_POINTS);
  rules->set_window_months(12);
  rules->set_grace_days(30);
  auto add = [&](const char* id, int64_t threshold, const char* coupon) {
    v1::Tier* tier = rules->add_tiers();
    tier->set_tier_id(id);
    tier->set_threshold(threshold);
    tier->set_upgrade_coupon_template_id(coupon);
  };
  add("member", 0, "");
  add("silver", 1000, "silver-welcome");
  add("gold", 5000, "gold-welcome");
  return program;
}

v1::CouponTemplate* TemplateOf(ProgramConfig& program, const char* id) {
  for (v1::CouponTemplate& coupon : *program.mutable_coupon_templates()) {
    if (coupon.template_id() == id) return &coupon;
  }
  FAIL("no template " << id);
  return nullptr;
}

v1::EarnRequest EarnEurosRequest(const std::string& request_id,
                                 const std::string& member_id, int64_t euros) {
  return testing::EarnWithLines(request_id, member_id, "order-" + request_id,
                                "EUR", {testing::Line("sku", 1, euros * 100)});
}

v1::EarnResponse EarnOk(TestLedger& t, const std::string& request_id,
                        const std::string& member_id, int64_t euros) {
  return testing::ValueOrFail(testing::Earn(
      t.ledger(), kPos, EarnEurosRequest(request_id, member_id, euros)));
}

// The member's COUPON_ISSUE entries, oldest first.
std::vector<LedgerEntry> CouponIssues(TestLedger& t,
                                      const std::string& member_id) {
  std::vector<LedgerEntry> issues;
  for (const LedgerEntry& entry :
       testing::ListAll(t.ledger(), member_id, 500)) {
    if (entry.kind() == v1::ENTRY_KIND_COUPON_ISSUE) {
      issues.insert(issues.begin(), entry);
    }
  }
  return issues;
}

std::string CanonicalCode(const std::string& printed) {
  return testing::ValueOrFail(ParseCouponCode(printed, "code"));
}

TEST_CASE(
    "a spend bonus with a coupon issues it right after the EARN, in "
    "the earn's batch, and adds no breakdown line without points",
    "[rule_coupons]") {
  TestLedger t(RuleCouponProgram());
  t.EnrollOk("ann");
  v1::EarnResponse below = EarnOk(t, "e1", "ann", 49);
  CHECK(below.issued_coupons().empty());

  v1::EarnResponse earned = EarnOk(t, "e2", "ann", 60);
  CHECK(earned.points_earned() == 60);
  REQUIRE(earned.breakdown_size() == 1);  // The base line only.
  CHECK(earned.breakdown(0).kind() == v1::RULE_KIND_BASE);
  REQUIRE(earned.issued_coupons_size() == 1);
  const v1::Coupon& coupon = earned.issued_coupons(0);
  CHECK(coupon.template_id() == "thank-you");
  CHECK(coupon.rule_id() == "spend-50");
  CHECK(coupon.member_id() == "ann");
  CHECK(coupon.state() == v1::COUPON_STATE_USABLE);
  CHECK(coupon.issued_sequence() == earned.entry().sequence() + 1);

  std::vector<LedgerEntry> issues = CouponIssues(t, "ann");
  REQUIRE(issues.size() == 1);
  const LedgerEntry& issue = issues[0];
  CHECK(issue.sequence() == earned.entry().sequence() + 1);
  CHECK(issue.request_id() == "e2");
  CHECK(issue.principal() == earned.entry().principal());
  CHECK(issue.coupon_issued().rule_id() == "spend-50");
  CHECK(issue.coupon_issued().rule_kind() == v1::RULE_KIND_SPEND_BONUS);
  CHECK(issue.coupon_issued().code() == CanonicalCode(coupon.code()));
  // 30 days from issue, to the end of that day (UTC).
  CHECK(coupon.valid_from_ms() == testing::kStartMs);
  CHECK(coupon.valid_until_ms() > testing::kStartMs + 30LL * 86'400'000);

  v1::Coupon shown = testing::ValueOrFail(t.ledger().GetCoupon(coupon.code()));
  CHECK(shown.rule_id() == "spend-50");
  t.RequireVerifyOk();
}

TEST_CASE("a spend bonus with points and a coupon grants both",
          "[rule_coupons]") {
  ProgramConfig program = RuleCouponProgram();
  program.mutable_spend_bonuses(0)->set_bonus_points(25);
  TestLedger t(program);
  t.EnrollOk("ann");
  v1::EarnResponse earned = EarnOk(t, "e1", "ann", 60);
  CHECK(earned.points_earned() == 85);
  REQUIRE(earned.breakdown_size() == 2);
  CHECK(earned.breakdown(1).kind() == v1::RULE_KIND_SPEND_BONUS);
  CHECK(earned.breakdown(1).points() == 25);
  CHECK(earned.issued_coupons_size() == 1);
  t.RequireVerifyOk();
}

TEST_CASE("a replayed earn returns the same coupon and issues nothing new",
          "[rule_coupons][idempotency]") {
  TestLedger t(RuleCouponProgram());
  t.EnrollOk("ann");
  v1::EarnResponse first = EarnOk(t, "e1", "ann", 60);
  REQUIRE(first.issued_coupons_size() == 1);
  const uint64_t last_sequence = testing::StoredHead(t.store()).last_sequence();
  v1::EarnResponse again = EarnOk(t, "e1", "ann", 60);
  CHECK(again.replayed());
  REQUIRE(again.issued_coupons_size() == 1);
  CHECK(again.issued_coupons(0).code() == first.issued_coupons(0).code());
  CHECK(testing::StoredHead(t.store()).last_sequence() == last_sequence);
  CHECK(CouponIssues(t, "ann").size() == 1);
  t.RequireVerifyOk();
}

TEST_CASE(
    "when the template's issuance budget is reached the earn is "
    "written without the coupon",
    "[rule_coupons][budget]") {
  ProgramConfig program = RuleCouponProgram();
  TemplateOf(program, "thank-you")->set_issuance_budget(1);
  TestLedger t(program);
  t.EnrollOk("ann");
  t.EnrollOk("bob");
  CHECK(EarnOk(t, "e1", "ann", 60).issued_coupons_size() == 1);
  v1::EarnResponse skipped = EarnOk(t, "e2", "bob", 60);
  CHECK(skipped.points_earned() == 60);
  CHECK(skipped.issued_coupons().empty());
  CHECK(CouponIssues(t, "bob").empty());
  // IssueCoupon meets the same budget.
  auto issued = testing::Issue(t.ledger(),
                               testing::IssueRequest("i1", "bob", "thank-you"));
  CHECK(testing::ReasonOfResult(issued) ==
        v1::ERROR_REASON_COUPON_BUDGET_SPENT);
  t.RequireVerifyOk();
}

TEST_CASE(
    "when the member's limit of the template is reached the earn is "
    "written without the coupon",
    "[rule_coupons][limit]") {
  ProgramConfig program = RuleCouponProgram();
  TemplateOf(program, "thank-you")->set_per_member_limit(1);
  TestLedger t(program);
  t.EnrollOk("ann");
  t.EnrollOk("bob");
  // A coupon IssueCoupon gave counts against the same limit.
  testing::IssueOk(t, "i1", "ann", "thank-you");
  CHECK(EarnOk(t, "e1", "ann", 60).issued_coupons().empty());
  CHECK(EarnOk(t, "e2", "bob", 60).issued_coupons_size() == 1);
  CHECK(EarnOk(t, "e3", "bob", 60).issued_coupons().empty());
  t.RequireVerifyOk();
}

TEST_CASE(
    "a tier upgrade issues the new tier's coupon right after the TIER "
    "entry, after the spend bonus's",
    "[rule_coupons][tiers]") {
  TestLedger t(RuleCouponProgram());
  t.EnrollOk("ann");
  CHECK(EarnOk(t, "e1", "ann", 40).issued_coupons().empty());
  v1::EarnResponse upgraded = EarnOk(t, "e2", "ann", 960);
  REQUIRE(upgraded.issued_coupons_size() == 2);
  CHECK(upgraded.issued_coupons(0).rule_id() == "spend-50");
  CHECK(upgraded.issued_coupons(1).rule_id() == "silver");
  CHECK(upgraded.issued_coupons(1).template_id() == "silver-welcome");
  std::vector<LedgerEntry> entries = testing::ListAll(t.ledger(), "ann", 500);
  // Newest first: the tier's coupon, the TIER, the bonus's coupon, the EARN.
  REQUIRE(entries.size() >= 4);
  CHECK(entries[0].kind() == v1::ENTRY_KIND_COUPON_ISSUE);
  CHECK(entries[0].coupon_issued().rule_kind() == v1::RULE_KIND_TIER);
  CHECK(entries[0].coupon_issued().rule_id() == "silver");
  CHECK(entries[0].request_id() == "e2");
  CHECK(entries[1].kind() == v1::ENTRY_KIND_TIER);
  CHECK(entries[1].tier_to() == "silver");
  CHECK(entries[2].coupon_issued().rule_kind() == v1::RULE_KIND_SPEND_BONUS);
  CHECK(entries[3].kind() == v1::ENTRY_KIND_EARN);
  // Staying in the tier issues nothing more.
  CHECK(EarnOk(t, "e3", "ann", 10).issued_coupons().empty());
  t.RequireVerifyOk();
}

TEST_CASE("an upgrade past a tier issues only the coupon of the tier reached",
          "[rule_coupons][tiers]") {
  TestLedger t(RuleCouponProgram());
  t.EnrollOk("ann");
  v1::EarnResponse upgraded = EarnOk(t, "e1", "ann", 5000);
  REQUIRE(upgraded.issued_coupons_size() == 2);
  CHECK(upgraded.issued_coupons(1).rule_id() == "gold");
  CHECK(upgraded.issued_coupons(1).template_id() == "gold-welcome");
  t.RequireVerifyOk();
}

TEST_CASE("evaluations that keep or lower a tier issue no coupon",
          "[rule_coupons][tiers][evaluation]") {
  TestLedger t(RuleCouponProgram());
  t.EnrollOk("ann");
  t.EnrollOk("bob");
  EarnOk(t, "a1", "ann", 1000);  // Silver; nothing more in its window.
  EarnOk(t, "b1", "bob", 1000);  // Silver, kept by a later earn.
  t.clock().SetMs(kFirstEvaluationMs - 40LL * 86'400'000);
  EarnOk(t, "b2", "bob", 1000);
  const size_t ann_coupons = CouponIssues(t, "ann").size();
  const size_t bob_coupons = CouponIssues(t, "bob").size();
  t.clock().SetMs(kFirstEvaluationMs + 1000);
  auto pending = testing::MakePending<SweepResult>();
  t.ledger().SubmitSystem<SweepCommand>(SweepRequest{100},
                                        std::move(pending.done));
  CHECK(testing::ValueOrFail(pending.result.get()).entries_written >= 2);
  CHECK(testing::ValueOrFail(t.ledger().GetMember("ann")).tier().tier_id() ==
        "member");
  CHECK(testing::ValueOrFail(t.ledger().GetMember("bob")).tier().tier_id() ==
        "silver");
  CHECK(CouponIssues(t, "ann").size() == ann_coupons);
  CHECK(CouponIssues(t, "bob").size() == bob_coupons);
  t.RequireVerifyOk();
}

TEST_CASE(
    "a merge that raises the target's tier issues the tier's coupon "
    "to the target",
    "[rule_coupons][tiers][merge]") {
  TestLedger t(RuleCouponProgram());
  t.EnrollOk("old-card");
  t.EnrollOk("new-app");
  EarnOk(t, "e1", "old-card", 5000);  // Gold, and its coupon.
  auto merged = testing::Merge(
      t.ledger(), testing::MergeRequest("m1", "old-card", "new-app"));
  REQUIRE_OK(merged);
  // MERGE_OUT, MERGE_IN, TIER (to gold), its COUPON_ISSUE.
  REQUIRE(merged->entries_size() == 4);
  CHECK(merged->entries(2).kind() == v1::ENTRY_KIND_TIER);
  const LedgerEntry& issue = merged->entries(3);
  CHECK(issue.kind() == v1::ENTRY_KIND_COUPON_ISSUE);
  CHECK(issue.member_id() == "new-app");
  CHECK(issue.sequence() == merged->entries(2).sequence() + 1);
  CHECK(issue.channel() == v1::CHANNEL_ADMIN);
  CHECK(issue.request_id() == "m1");
  CHECK(issue.coupon_issued().rule_id() == "gold");
  CHECK(issue.coupon_issued().template_id() == "gold-welcome");
  // A merge into a member already at that tier issues nothing.
  t.EnrollOk("third");
  EarnOk(t, "e2", "third", 5000);
  const size_t before = CouponIssues(t, "new-app").size();
  auto again = testing::Merge(t.ledger(),
                              testing::MergeRequest("m2", "third", "new-app"));
  REQUIRE_OK(again);
  CHECK(again->entries_size() == 2);
  CHECK(CouponIssues(t, "new-app").size() == before);
  t.RequireVerifyOk();
}

TEST_CASE("a return keeps the coupon the order's spend bonus issued",
          "[rule_coupons][returns]") {
  TestLedger t(RuleCouponProgram());
  t.EnrollOk("ann");
  v1::EarnResponse earned = EarnOk(t, "e1", "ann", 60);
  REQUIRE(earned.issued_coupons_size() == 1);
  v1::ReturnRequest request;
  *request.mutable_context() = testing::PosContext("ret-1");
  request.set_member_id("ann");
  request.set_order_id("order-e1");
  request.set_amount_minor(60'00);  // The whole order.
  auto pending = testing::MakePending<v1::ReturnResponse>();
  t.ledger().Submit<ReturnCommand>(kPos, request, std::move(pending.done));
  REQUIRE_OK(pending.result.get());
  v1::Coupon kept = testing::ValueOrFail(
      t.ledger().GetCoupon(earned.issued_coupons(0).code()));
  CHECK(kept.state() == v1::COUPON_STATE_USABLE);
  CHECK(kept.rule_id() == "spend-50");
  CHECK(CouponIssues(t, "ann").size() == 1);
  t.RequireVerifyOk();
}

TEST_CASE("Verify finds a coupon record whose rule differs from its entry",
          "[rule_coupons][verify]") {
  TestLedger t(RuleCouponProgram());
  t.EnrollOk("ann");
  v1::EarnResponse earned = EarnOk(t, "e1", "ann", 60);
  REQUIRE(earned.issued_coupons_size() == 1);
  t.RequireVerifyOk();
  const std::string canonical = CanonicalCode(earned.issued_coupons(0).code());
  storage::v1::CouponRecord forged;
  REQUIRE(forged.ParseFromString(*t.store().Get(Family::kCoupons, canonical)));
  CHECK(forged.rule_id() == "spend-50");
  forged.set_rule_id("gold");
  t.store().PutRaw(Family::kCoupons, canonical, forged.SerializeAsString());
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK_FALSE(verified->ok());
  INFO(verified->ShortDebugString());
  bool named = false;
  for (const std::string& problem : verified->problems()) {
    named = named || absl::StrContains(problem, "coupon");
  }
  CHECK(named);
}

// The entries a verifier sees for an earn of `member_id` under
// `request_id`, with their sequences.
LedgerEntry EntryOf(v1::EntryKind kind, const std::string& member_id,
                    const std::string& request_id, uint64_t sequence) {
  LedgerEntry entry;
  entry.set_kind(kind);
  entry.set_member_id(member_id);
  entry.set_request_id(request_id);
  entry.set_principal("pos-17");
  entry.set_sequence(sequence);
  return entry;
}

LedgerEntry RuleIssue(const std::string& member_id,
                      const std::string& request_id, uint64_t sequence,
                      v1::RuleKind rule_kind, const std::string& rule_id) {
  LedgerEntry entry =
      EntryOf(v1::ENTRY_KIND_COUPON_ISSUE, member_id, request_id, sequence);
  v1::CouponIssued* issued = entry.mutable_coupon_issued();
  // A code of its own per sequence (a code issued twice is another problem).
  issued->set_code(std::string(kCouponCodeCharacters - 1, 'A') +
                   static_cast<char>('A' + sequence));
  issued->set_template_id("thank-you");
  issued->set_valid_from_ms(1);
  issued->set_valid_until_ms(2);
  issued->set_uses_allowed(1);
  issued->set_rule_id(rule_id);
  issued->set_rule_kind(rule_kind);
  return entry;
}

// The problems the coupons part of VerifyLedger reports for `entries`.
std::vector<std::string> ProblemsOf(const std::vector<LedgerEntry>& entries) {
  CouponsVerifyPart part;
  Problems problems;
  const storage::v1::EntryStorageFields storage;
  for (const LedgerEntry& entry : entries) {
    part.AfterFold(entry, storage, problems);
  }
  return problems.Report();
}

bool SaysNotFollowing(const std::vector<std::string>& problems) {
  for (const std::string& problem : problems) {
    if (absl::StrContains(problem, "does not follow")) return true;
  }
  return false;
}

TEST_CASE(
    "Verify finds a rule's coupon that does not follow the entry that "
    "met its rule",
    "[rule_coupons][verify]") {
  LedgerEntry earn = EntryOf(v1::ENTRY_KIND_EARN, "ann", "e1", 1);
  LedgerEntry tier = EntryOf(v1::ENTRY_KIND_TIER, "ann", "", 3);
  tier.set_tier_from("member");
  tier.set_tier_to("silver");
  // As the ledger writes them: no problem.
  CHECK(ProblemsOf(
            {earn,
             RuleIssue("ann", "e1", 2, v1::RULE_KIND_SPEND_BONUS, "spend-50"),
             tier, RuleIssue("ann", "e1", 4, v1::RULE_KIND_TIER, "silver")})
            .empty());
  // Another member's, another request's, after no EARN, or naming a tier
  // the TIER did not reach.
  CHECK(SaysNotFollowing(
      ProblemsOf({earn, RuleIssue("bob", "e1", 2, v1::RULE_KIND_SPEND_BONUS,
                                  "spend-50")})));
  CHECK(SaysNotFollowing(
      ProblemsOf({earn, RuleIssue("ann", "e9", 2, v1::RULE_KIND_SPEND_BONUS,
                                  "spend-50")})));
  CHECK(SaysNotFollowing(ProblemsOf(
      {EntryOf(v1::ENTRY_KIND_ADJUST, "ann", "e1", 1),
       RuleIssue("ann", "e1", 2, v1::RULE_KIND_SPEND_BONUS, "spend-50")})));
  CHECK(SaysNotFollowing(ProblemsOf(
      {tier, RuleIssue("ann", "e1", 4, v1::RULE_KIND_TIER, "gold")})));
  LedgerEntry kept = tier;
  kept.set_tier_from("silver");  // An evaluation keeping the tier.
  CHECK(SaysNotFollowing(ProblemsOf(
      {kept, RuleIssue("ann", "e1", 4, v1::RULE_KIND_TIER, "silver")})));
}

}  // namespace
}  // namespace loyalty
