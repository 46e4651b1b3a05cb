// File: tests/model/model_test.cc
//
// Model-based randomized test of the ledger core: long random sequences of
// every command (enroll, earn, redeem, adjust, event, hold, capture,
// release, return, link and unlink identifier, transfer points, import one
// row, applied or as a dry run, close a member, merge two members, and
// every one of them naming merged members' old ids), with retries under
// the same request id
// (same content, also in other notations of its phones and emails, or other
// content; 3 principals), malformed requests, amounts at the int64 and
// balance limits, groups of 2..20 commands in flight together, and sweeps,
// are applied to the real Ledger (MemoryStore, ManualClock moved at random,
// an identifier key) and to a small reference model. The model program has
// a one-day return window, lots that expire at the end of the month after
// the month earned, holds of at most six hours and three open per member,
// returns that may take a member down to -500 points (debt), three tiers,
// phones read in Taiwan, and transfers of at most 400 points each and 1000
// a day per sender, so pending points mature, lots expire, holds time out,
// returns reverse, forgive and restore, transfers meet both limits and pay
// off debt, identifiers are taken, freed and taken again, and imported
// balances dated months back expire at once, members close (forfeiting,
// writing off debt, erasing identifiers) and merge (lots, pending points,
// holds, debt, totals, tiers, counts, identifiers and orders moving; the
// moved pending lots maturing, holds settling and orders returned at the
// target later), all through a run. After every
// step the status, the response's entries and balances, every entry
// written (the time-driven ones too), GetBalance and GetMember as of now,
// LookupMember of the identifiers the command named, and exactly what was
// written to the store must agree; Verify(), every statement and lookups
// of identifiers owned and freed are checked periodically and at the end.
// See harness.h for the full list of checks.
//
// Layout: a shared core and one file per domain (points: earn, redeem,
// adjust, event, hold, capture, release, return, and what time does to
// lots, holds and tiers; members: enroll, link, unlink, transfer, import,
// close, merge) for each of the three parts:
//   model.h, model.cc, model_rules.h    the reference model: state, the
//     points_model.cc, members_model.cc  request pipeline, rules; no
//                                        ledger/ code
//   generator.h, generator.cc,          random commands: the retry mix and
//     generator_kinds.h,                the kind table; each kind's
//     points_generator.cc,              builders and table row
//     members_generator.cc
//   harness.h, harness.cc, runner.h,    runs ledger and model side by side
//     store_checks.cc,                  and compares; every call into the
//     points_checks.cc,                 Ledger is in harness.cc
//     members_checks.cc
//   recording_store.h/.cc  records every store write; hashes every family
//
// Adding a command kind: add its request to model::Request (model.h), then
// in its domain's files (a new domain adds its own three) a KindSpec row
// (<domain>_generator.cc: fresh / near-a-limit / malformed /
// changed-content builders; listed in kKinds in generator.cc), one
// ApplyRules overload (<domain>_model.cc: its rules) and the checks of its
// response (<domain>_checks.cc), and one Submitter overload and Fill
// (harness.cc: how to call the Ledger). The static_asserts and std::visit
// make the compiler list whatever is missing.
//
// Seeds and length (environment variables):
//   LOYALTY_MODEL_SEED=<n>    run only this seed (decimal, or 0x hex);
//                             otherwise three fixed seeds and a random one.
//   LOYALTY_MODEL_STEPS=<n>   commands per seed (default 5000; about 11 s for
//                             the four seeds on 2 cores).
//   LOYALTY_MODEL_TRACE=1     print every command and its outcome.
//   LOYALTY_MODEL_SCAN_KEYS=<n>  store keys the sampled full-store scans may
//                             read per command on average (default 4000;
//                             stores under n/2 keys are scanned every step).
//   LOYALTY_MODEL_NEAR_LIMITS=0  leave out the commands built to sit at the
//                             int64 / balance limits (to run long past a
//                             bug found there; default on).
// Every seed is printed to stderr before it runs (so even an abort inside
// the ledger names it), and a failure prints the seed, the command, what
// the model expected and the recent commands, with the line to reproduce.
//
// A long run, 100,000 commands of one random seed (seed 256582894: 102 s on
// two shared cores; 63,000 entries, 5,400 maturities, 8,400 expiries,
// 3,600 holds, 1,600 returns (790 into debt), 1,300 links and 1,100 unlinks,
// 4,000 transfers, 1,600 imports, 500 dry runs; 720 closes (345 forfeiting,
// 64 writing off debt, 374 erasing identifiers, 134 MEMBER_NOT_SETTLED),
// 1,080 merges (247 moving pending points, 91 holds, 63 debt, 854 orders,
// 305 TIER entries after them; refused: 230 TOO_MANY_IDENTIFIERS,
// 295 ORDER_ID_CONFLICT, 633 MEMBER_MERGED, 260 MEMBER_CLOSED,
// 187 MEMBER_NOT_FOUND, 30 BALANCE_OVERFLOW), 6,800 commands and 41,000
// reads through an alias, 160,000 lookups):
//   export LOYALTY_MODEL_SEED=$RANDOM LOYALTY_MODEL_STEPS=100000
//   build/tests/model/model_test
#include "model.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "harness.h"

namespace loyalty::model {
namespace {

// The seeds every default run starts with. A seed replays exactly (the
// ledger's clock and random source are the run's), so what these exercise
// is known: the coverage checks judge them alone and pass or fail the same
// way on every machine. Each rare outcome (a coupon's discount budget
// spent, a basket with no eligible line) is met in fewer than half of all
// 5,000-step seeds; these three each meet all of them. The random seed that
// follows explores, and is checked for agreement only.
constexpr uint64_t kCoverageSeeds[] = {20'240'601, 27, 35};
constexpr int64_t kStepsDefault = 5'000;

std::optional<uint64_t> EnvSeed() {
  const char* text = std::getenv("LOYALTY_MODEL_SEED");
  if (text == nullptr || *text == '\0') return std::nullopt;
  return std::strtoull(text, nullptr, 0);
}

// Coupons issued by program rules: adds one seed's counts to `total`.
void AddRuleCoupons(const RunReport& report, RunReport* total) {
  total->rule_coupons_spend += report.rule_coupons_spend;
  total->rule_coupons_tier += report.rule_coupons_tier;
  total->rule_coupons_merge += report.rule_coupons_merge;
  total->rule_coupons_skipped_budget += report.rule_coupons_skipped_budget;
  total->rule_coupons_skipped_limit += report.rule_coupons_skipped_limit;
}

int64_t EnvSteps() {
  const char* text = std::getenv("LOYALTY_MODEL_STEPS");
  if (text == nullptr || *text == '\0') return kStepsDefault;
  return std::max<int64_t>(1, std::strtoll(text, nullptr, 0));
}

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  return std::strtoll(text, nullptr, 0);
}

bool EnvTrace() {
  const char* text = std::getenv("LOYALTY_MODEL_TRACE");
  return text != nullptr && *text != '\0' && std::string(text) != "0";
}

std::vector<uint64_t> Seeds() {
  if (std::optional<uint64_t> seed = EnvSeed()) return {*seed};
  std::random_device device;
  auto random_seed = [&] {
    return (static_cast<uint64_t>(device()) << 32 | device()) % 1'000'000'000;
  };
  std::vector<uint64_t> seeds(std::begin(kCoverageSeeds),
                              std::end(kCoverageSeeds));
  seeds.push_back(random_seed());
  return seeds;
}

v1::EarnRequest Basket(const std::string& currency,
                       const std::vector<std::pair<int64_t, int64_t>>& lines) {
  v1::EarnRequest request;
  request.set_currency(currency);
  for (const auto& [quantity, unit_price_minor] : lines) {
    v1::BasketLine* line = request.add_lines();
    line->set_sku("sku");
    line->set_quantity(quantity);
    line->set_unit_price_minor(unit_price_minor);
  }
  return request;
}

// The model is only worth comparing against if it states the contract; its
// earn rule is checked here on the documented examples (earn_rules.h,
// program.proto) and at the int64 edges.
TEST_CASE(
    "the reference model earns floor(basket total / step) x points, "
    "totals summed first",
    "[model]") {
  Model model({{"eur", "EUR", 100, 1},
               {"eur10", "XTS", 1000, 1},
               {"mega", "JPY", 1, 1'000'000}},
              CampaignRule{});
  auto points = [&](const v1::EarnRequest& request) -> int64_t {
    auto earned = model.ComputeEarn(request);
    return earned.has_value() ? earned->points : -1;
  };
  CHECK(points(Basket("EUR", {{1, 12999}})) == 129);
  CHECK(points(Basket("EUR", {{1, 6499}, {1, 6500}})) == 129);
  CHECK(points(Basket("XTS", {{1, 12999}})) == 12);  // 1 pt per 10.00.
  CHECK(points(Basket("EUR", {{3, 33}})) == 0);      // 0.99 earns nothing.
  CHECK(points(Basket("SEK", {{1, 100}})) == -1);    // Not a program currency.
  const int64_t max = std::numeric_limits<int64_t>::max();
  CHECK(points(Basket("JPY", {{1, max / 1'000'000}})) ==
        max / 1'000'000 * 1'000'000);
  CHECK(points(Basket("JPY", {{1, max / 1'000'000 + 1}})) == -1);  // Points.
  CHECK(points(Basket("EUR", {{1, max}, {1, 1}})) == -1);  // Basket total.
}

// The model's tier calendar (UTC+8) on hand-computed instants.
TEST_CASE(
    "the reference model counts tier months and evaluation dates in "
    "UTC+8",
    "[model]") {
  // 2024-01-01T00:00+08:00 is month 648 since 1970-01; a millisecond
  // before it is still December 2023.
  CHECK(ModelMonthIndex(1'704'038'400'000) == 648);
  CHECK(ModelMonthIndex(1'704'038'399'999) == 647);
  CHECK(ModelMonthIndex(0) == 0);
  // 2024-01-31T10:00+08:00 plus one month and two days: "February 33rd",
  // which rolls over to 2024-03-04T10:00+08:00; milliseconds are kept.
  CHECK(ModelAddCalendarMs(1'706'666'400'000, 1, 2) == 1'709'517'600'000);
  CHECK(ModelAddCalendarMs(1'706'666'400'123, 1, 2) == 1'709'517'600'123);
}

// Identifiers as the model reads and stores them: emails trimmed and
// lower-cased, every notation of the phone table its E.164 number, and
// phones and emails hashed as identifiers.h documents it (the expected
// digests were computed with `openssl dgst -sha256 -hmac`).
TEST_CASE(
    "the reference model normalises and hashes identifiers as "
    "documented",
    "[model]") {
  CHECK(ModelCanonical(v1::IDENTIFIER_KIND_EMAIL, " \tAmy.0@Example.COM ") ==
        "amy.0@example.com");
  CHECK(ModelCanonical(v1::IDENTIFIER_KIND_CARD_NUMBER, "0042") == "0042");
  CHECK(ModelCanonical(v1::IDENTIFIER_KIND_PHONE, "0912-345-678") ==
        "+886912345678");
  CHECK(ModelCanonical(v1::IDENTIFIER_KIND_PHONE, "(02) 2345 6789") ==
        "+886223456789");
  CHECK_FALSE(
      ModelCanonical(v1::IDENTIFIER_KIND_PHONE, "0912-345").has_value());
  CHECK_FALSE(ModelCanonical(v1::IDENTIFIER_KIND_UNSPECIFIED, "1").has_value());
  std::set<std::string> canonical;
  for (const ModelPhone& phone : ModelPhoneTable()) {
    CHECK(phone.notations.size() >= 6);
    for (const std::string& notation : phone.notations) {
      CHECK(ModelCanonical(v1::IDENTIFIER_KIND_PHONE, notation) ==
            phone.canonical);
    }
    canonical.insert(phone.canonical);
  }
  CHECK(canonical.size() == ModelPhoneTable().size());  // All different.
  CHECK(ModelStoredValue(v1::IDENTIFIER_KIND_PHONE, "+886912345678") ==
        "a0535d094cc3e6724b9105c78361d68c6273acc49ac666ff6a02e4a2848ef76f");
  CHECK(ModelStoredValue(v1::IDENTIFIER_KIND_EMAIL, "amy.0@example.com") ==
        "e1ffcdd776b0e60c72ac1427e6bed84148bc15e87ba30eae0e7f384c7491c549");
  CHECK(ModelStoredValue(v1::IDENTIFIER_KIND_PARTNER_ACCOUNT, "air:1") ==
        "air:1");
}

// An import's earned_on in the model's calendar (UTC+8).
TEST_CASE("the reference model dates earned_on at midnight in UTC+8",
          "[model]") {
  CHECK(ModelDayStartMs("2024-01-01") == 1'704'038'400'000);
  CHECK(ModelDayStartMs("1970-01-01") == -8 * 3'600'000);  // Before the epoch.
  // 2024-01-01T00:00+08:00 is still 2023-12-31 a millisecond before.
  CHECK(ModelDateBefore(1'704'038'400'000, 0) == "2024-01-01");
  CHECK(ModelDateBefore(1'704'038'399'999, 0) == "2023-12-31");
  CHECK(ModelDateBefore(1'704'038'400'000, 366) == "2022-12-31");
}

// Commands straight into the model, each under a new request id.
class ModelDriver {
 public:
  ModelDriver() : model_({{"eur", "EUR", 100, 1}}, CampaignRule{}) {
    model_.set_now_ms(kStartMs);
  }
  Model& model() { return model_; }

  Expected Send(Request request) {
    v1::RequestContext* context = MutableContextOf(&request);
    context->set_request_id(absl::StrCat("rq-", ++requests_));
    context->set_channel(v1::CHANNEL_APP);
    Command command{"ops-admin", std::move(request), false, ""};
    return model_.Apply(command, "");
  }
  void Enroll(const std::string& member_id) {
    v1::EnrollMemberRequest request;
    request.set_member_id(member_id);
    REQUIRE(Send(request).code == absl::StatusCode::kOk);
  }
  void Credit(const std::string& member_id, int64_t points) {
    v1::AdjustRequest request;
    request.set_member_id(member_id);
    request.set_points_delta(points);
    REQUIRE(Send(request).code == absl::StatusCode::kOk);
  }
  Expected Merge(const std::string& source, const std::string& target) {
    v1::MergeMembersRequest request;
    request.set_source_member_id(source);
    request.set_target_member_id(target);
    return Send(request);
  }
  // 70 points earned, matured, spent and returned: a debt of 70.
  void PutInDebt(const std::string& member_id) {
    v1::EarnRequest earn = Basket("EUR", {{1, 7000}});
    earn.set_member_id(member_id);
    earn.set_order_id("till-9");
    REQUIRE(Send(earn).code == absl::StatusCode::kOk);
    model_.set_now_ms(model_.now_ms() + 2 * kModelDayMs);
    v1::RedeemRequest redeem;
    redeem.set_member_id(member_id);
    redeem.set_order_id("web-1");
    redeem.set_points(70);
    REQUIRE(Send(redeem).code == absl::StatusCode::kOk);
    v1::ReturnRequest whole;
    whole.set_member_id(member_id);
    whole.set_order_id("till-9");
    whole.set_amount_minor(7000);
    REQUIRE(Send(whole).code == absl::StatusCode::kOk);
    REQUIRE(model_.FindMember(member_id)->totals().debt == 70);
  }

 private:
  static constexpr int64_t kStartMs = 1'700'000'000'000;
  Model model_;
  int requests_ = 0;
};

// The README's merge examples ("Merging members"), on the model alone: a
// debt nets with the other member's points either way, lots keep their
// expiry, and the source's id then stands for the target.
TEST_CASE(
    "the reference model merges as documented: debt nets out either way, "
    "lots keep their expiry, and the source's id means the target",
    "[model]") {
  SECTION("a source's debt is paid from the target's points") {
    ModelDriver d;
    d.Enroll("in-debt");
    d.Enroll("saver");
    d.PutInDebt("in-debt");
    d.Credit("saver", 100);
    const Expected merged = d.Merge("in-debt", "saver");
    REQUIRE(merged.code == absl::StatusCode::kOk);
    CHECK(merged.entries[merged.entries.size() - 2].points_delta == 70);
    CHECK(merged.entries.back().points_delta == -70);
    CHECK(merged.totals.available == 30);
    CHECK(merged.totals.debt == 0);
    CHECK(merged.member_id == "saver");
  }
  SECTION("the target's debt is paid from the source's points") {
    ModelDriver d;
    d.Enroll("in-debt");
    d.Enroll("saver");
    d.PutInDebt("in-debt");
    d.Credit("saver", 50);
    const Expected merged = d.Merge("saver", "in-debt");
    REQUIRE(merged.code == absl::StatusCode::kOk);
    CHECK(merged.totals.available == -20);
    CHECK(merged.totals.debt == 20);
  }
  SECTION(
      "lots keep their expiry; the alias resolves for writes, not for "
      "a close or as a merge's source") {
    ModelDriver d;
    d.Enroll("card");
    d.Enroll("app");
    d.Credit("card", 300);
    // A month later: the app's points expire a month after the card's.
    d.model().set_now_ms(d.model().now_ms() + 31 * kModelDayMs);
    d.Credit("app", 50);
    const Expected merged = d.Merge("card", "app");
    REQUIRE(merged.code == absl::StatusCode::kOk);
    REQUIRE(merged.totals.next_expiring.size() == 2);
    CHECK(merged.totals.next_expiring[0].second == 300);
    CHECK(merged.totals.next_expiring[1].second == 50);
    CHECK(merged.totals.next_expiring[0].first <
          merged.totals.next_expiring[1].first);
    CHECK(d.model().Resolve("card") == "app");
    d.Credit("card", 5);  // Lands on the target.
    CHECK(d.model().FindMember("app")->totals().available == 355);
    v1::CloseMemberRequest close;
    close.set_member_id("card");
    CHECK(d.Send(close).reason == v1::ERROR_REASON_MEMBER_MERGED);
    d.Enroll("third");
    CHECK(d.Merge("card", "third").reason == v1::ERROR_REASON_MEMBER_MERGED);
    CHECK(d.Merge("app", "card").reason == v1::ERROR_REASON_MEMBER_MERGED);
  }
}

// What a run must have exercised, each in at least one of its seeds: a
// kind of outcome met a few times in a 5,000-step seed misses in some seeds
// now that the mix has 29 kinds, and demanding every seed meet every one
// makes a flaky test, not a stronger one.
class SeenInSomeSeed {
 public:
  void Note(const char* what, bool seen) { seen_[what] |= seen; }
  // CHECKs, after the last seed, that each was seen.
  void CheckEachSeen() const {
    for (const auto& [what, seen] : seen_) {
      INFO(what << " in none of the run's seeds");
      CHECK(seen);
    }
  }

 private:
  std::map<std::string, bool> seen_;
};
#define COVERED(condition) coverage.Note(#condition, (condition))

TEST_CASE(
    "the ledger agrees with the reference model over long random "
    "command sequences, one at a time and in batches",
    "[model]") {
  const int64_t steps = EnvSteps();
  // Coverage is judged in a default run of at least the default length
  // (a longer run's first 5,000 commands are the default run's), over the
  // coverage seeds.
  const bool judges_coverage = !EnvSeed().has_value() && steps >= kStepsDefault;
  // Coupon outcomes over the coverage seeds: each refusal is a few in a
  // hundred coupon commands, which are a few in a hundred commands.
  RunReport coupons;
  // Coupons issued by program rules, over the coverage seeds.
  RunReport rule_coupons;
  SeenInSomeSeed coverage;
  for (uint64_t seed : Seeds()) {
    RunOptions options;
    options.seed = seed;
    options.steps = steps;
    options.trace = EnvTrace();
    // Verify and full statements stay a small share of long runs.
    options.verify_every = std::max<int64_t>(500, steps / 20);
    options.near_limits = EnvInt("LOYALTY_MODEL_NEAR_LIMITS", 1) != 0;
    options.scan_keys_per_step =
        EnvInt("LOYALTY_MODEL_SCAN_KEYS", options.scan_keys_per_step);
    std::fprintf(stderr, "model_test: seed=%llu steps=%lld\n",
                 static_cast<unsigned long long>(seed),
                 static_cast<long long>(steps));
    INFO("seed " << seed << " (rerun: LOYALTY_MODEL_SEED=" << seed
                 << " LOYALTY_MODEL_STEPS=" << steps << ")");
    RunReport report = RunModelTest(options);
    std::fprintf(stderr, "model_test: seed=%llu: %s\n",
                 static_cast<unsigned long long>(seed),
                 report.Summary().c_str());
    INFO(report.failure);
    REQUIRE(report.ok);
    // The run must have exercised what it claims to.
    CHECK(report.commands >= steps);
    if (!judges_coverage ||
        std::find(std::begin(kCoverageSeeds), std::end(kCoverageSeeds), seed) ==
            std::end(kCoverageSeeds)) {
      continue;
    }
    COVERED(report.ok_applied > 0);
    COVERED(report.replays > 0);
    COVERED(report.remembered_rejections > 0);
    COVERED(report.request_id_reused > 0);
    COVERED(report.malformed > 0);
    COVERED(report.groups > 0);
    COVERED(report.batch_commands_max_seen > 1);
    // Points states: every time-driven entry, every hold outcome.
    COVERED(report.pending_earns > 0);
    COVERED(report.matures > 0);
    COVERED(report.expires > 0);
    COVERED(report.holds > 0);
    COVERED(report.captures > 0);
    COVERED(report.releases > 0);
    COVERED(report.hold_timeouts > 0);
    COVERED(report.too_many_holds > 0);
    COVERED(report.holds_not_active > 0);
    COVERED(report.holds_not_found > 0);
    COVERED(report.rejections_after_due_entries > 0);
    COVERED(report.sweeps > 0);
    COVERED(report.sweep_entries > 0);
    // Returns.
    COVERED(report.returns > 0);
    COVERED(report.returns_from_pending > 0);
    COVERED(report.returns_into_debt > 0);
    COVERED(report.restores > 0);
    COVERED(report.debt_paid_off > 0);
    COVERED(report.return_exceeds > 0);
    COVERED(report.order_not_found > 0);
    // Late events: refused past the program's age limit, whatever the
    // command.
    COVERED(report.events_too_old > 0);
    COVERED(report.quotes_too_old > 0);
    // Tiers: every kind of TIER entry, and the multiplier.
    COVERED(report.tier_upgrades > 0);
    COVERED(report.tier_keeps > 0);
    COVERED(report.tier_move_downs > 0);
    COVERED(report.tier_lines > 0);
    COVERED(report.qualifying_returns > 0);
    // Identifiers: links and unlinks, each rejection, lookups of owned
    // and of free ones, retries in other notations.
    COVERED(report.links > 0);
    COVERED(report.unlinks > 0);
    COVERED(report.identifiers_taken > 0);
    COVERED(report.too_many_identifiers > 0);
    COVERED(report.identifiers_not_found > 0);
    COVERED(report.replays_in_other_notations > 0);
    CHECK(report.lookups > report.lookups_missing);
    COVERED(report.lookups_missing > 0);
    // Transfers: both limits, a new day, debt paid, lots that expire at
    // the receiver.
    COVERED(report.transfers > 0);
    COVERED(report.transfers_of_several_lots > 0);
    COVERED(report.transfers_paying_debt > 0);
    COVERED(report.transfer_limits_per_transfer > 0);
    COVERED(report.transfer_limits_per_day > 0);
    COVERED(report.transfer_day_rollovers > 0);
    // Offline redemptions: every outcome (DEBT and REFUSED_SHORT by the
    // seed's policy: the coverage seeds have both), a debt past the floor,
    // and the operator's listing compared.
    COVERED(report.offline_applied > 0);
    COVERED(report.offline_debt > 0);
    COVERED(report.offline_written_off > 0);
    COVERED(report.offline_refused_short > 0);
    COVERED(report.offline_refused_over_allowance > 0);
    COVERED(report.offline_listings > 0);
    COVERED(report.return_skus_not_in_order > 0);
    COVERED(report.transfers_insufficient > 0);
    COVERED(report.transferred_lots_expired > 0);
    // Imports: new and found members, phones linked and taken, opening
    // lots that expired, dry runs.
    COVERED(report.imports_enrolled > 0);
    COVERED(report.imports_found > 0);
    COVERED(report.imports_phone_linked > 0);
    COVERED(report.imports_phone_taken > 0);
    COVERED(report.openings > 0);
    COVERED(report.openings_expired > 0);
    CHECK(report.dry_runs > report.dry_run_rejections);
    COVERED(report.dry_runs_enrolling > 0);
    COVERED(report.dry_run_rejections > 0);
    // Closes: applied (forfeiting, erasing), refused while unsettled,
    // later writes refused, an alias named.
    COVERED(report.closes > 0);
    COVERED(report.closes_forfeiting > 0);
    COVERED(report.closes_erasing > 0);
    COVERED(report.members_not_settled > 0);
    COVERED(report.members_closed_refused > 0);
    // Merges: applied with pending points, orders and a tier moving, and
    // replayed; each refusal the generator aims at in every run; aliases
    // used for writes and reads, and what moved met again at the target.
    COVERED(report.merges > 0);
    COVERED(report.merges_moving_orders > 0);
    COVERED(report.merges_raising_tier > 0);
    COVERED(report.merges_replayed > 0);
    COVERED(report.merges_too_many_identifiers > 0);
    COVERED(report.merges_order_id_conflict > 0);
    COVERED(report.merges_of_aliases > 0);
    COVERED(report.merges_member_not_found > 0);
    COVERED(report.transfers_within_one_member > 0);
    COVERED(report.alias_commands > 0);
    COVERED(report.alias_reads > 0);
    COVERED(report.merged_orders_returned > 0);
    // Vouchers: every command, time's entries and the refusals the
    // generator aims at, in every run.
    COVERED(report.vouchers_issued > 0);
    COVERED(report.voucher_pickups > 0);
    // Coupons: issued, used and used up in every run.
    COVERED(report.coupons_issued > 0);
    COVERED(report.coupon_uses > 0);
    COVERED(report.coupons_used_up > 0);
    COVERED(report.coupon_validations_judged > 0);
    // Bulk coupon codes: batches written and asked for again, their
    // codes used by members, and the refusals of both.
    COVERED(report.generated_chunks > 0);
    COVERED(report.generated_chunks_written_before > 0);
    COVERED(report.bearer_uses > 0);
    // Wallet: read for every member a command touched, through aliases
    // too, with items in them.
    COVERED(report.wallet_reads > 0);
    COVERED(report.wallet_reads_of_aliases > 0);
    COVERED(report.wallet_items > 0);
    COVERED(report.coupon_refusals_batch_conflict > 0);
    AddRuleCoupons(report, &rule_coupons);
    coupons.coupon_refusals_budget += report.coupon_refusals_budget;
    coupons.coupon_refusals_limit += report.coupon_refusals_limit;
    coupons.coupon_refusals_not_valid_now +=
        report.coupon_refusals_not_valid_now;
    coupons.coupon_refusals_used_up += report.coupon_refusals_used_up;
    coupons.coupon_refusals_wrong_channel +=
        report.coupon_refusals_wrong_channel;
    coupons.coupon_refusals_wrong_store += report.coupon_refusals_wrong_store;
    coupons.coupon_refusals_not_found += report.coupon_refusals_not_found;
    coupons.coupon_refusals_template += report.coupon_refusals_template;
    coupons.coupon_refusals_needs_basket += report.coupon_refusals_needs_basket;
    coupons.coupon_checkouts += report.coupon_checkouts;
    coupons.coupon_quotes_judged += report.coupon_quotes_judged;
    coupons.coupon_quotes_refused += report.coupon_quotes_refused;
    coupons.coupon_checkouts_combined += report.coupon_checkouts_combined;
    coupons.coupon_checkout_discounts += report.coupon_checkout_discounts;
    coupons.coupon_restores += report.coupon_restores;
    coupons.coupon_refusals_basket_too_small +=
        report.coupon_refusals_basket_too_small;
    coupons.coupon_refusals_no_eligible_lines +=
        report.coupon_refusals_no_eligible_lines;
    coupons.coupon_refusals_not_combinable +=
        report.coupon_refusals_not_combinable;
    coupons.coupon_refusals_discount_budget +=
        report.coupon_refusals_discount_budget;
    coupons.coupon_refusals_wrong_currency +=
        report.coupon_refusals_wrong_currency;
    coupons.coupon_reservations += report.coupon_reservations;
    coupons.vouchers_issued += report.vouchers_issued;
    coupons.voucher_pickups += report.voucher_pickups;
    coupons.voucher_transfers += report.voucher_transfers;
    coupons.voucher_gifts += report.voucher_gifts;
    coupons.voucher_claims += report.voucher_claims;
    coupons.voucher_gift_returns += report.voucher_gift_returns;
    coupons.voucher_refunds += report.voucher_refunds;
    coupons.voucher_expiries += report.voucher_expiries;
    coupons.voucher_refusals_not_found += report.voucher_refusals_not_found;
    coupons.voucher_refusals_too_few += report.voucher_refusals_too_few;
    coupons.voucher_refusals_not_claimable +=
        report.voucher_refusals_not_claimable;
    coupons.coupon_reservations_committed +=
        report.coupon_reservations_committed;
    coupons.coupon_reservations_released += report.coupon_reservations_released;
    coupons.coupon_reservations_timed_out +=
        report.coupon_reservations_timed_out;
    coupons.coupon_refusals_reservation_not_found +=
        report.coupon_refusals_reservation_not_found;
    coupons.coupon_refusals_reservation_not_active +=
        report.coupon_refusals_reservation_not_active;
    coupons.coupon_refusals_too_many_reservations +=
        report.coupon_refusals_too_many_reservations;
    // Met 0-3 times per seed since the mix has reward and rule-coupon
    // kinds: counted over the run's seeds.
    coupons.merges_moving_pending += report.merges_moving_pending;
    coupons.merges_member_closed += report.merges_member_closed;
    coupons.identifiers_taken_by_self += report.identifiers_taken_by_self;
    coupons.coupon_refusals_bearer_limit += report.coupon_refusals_bearer_limit;
    coupons.merged_pending_matured += report.merged_pending_matured;
    coupons.rewards_redeemed_coupons += report.rewards_redeemed_coupons;
    coupons.rewards_redeemed_vouchers += report.rewards_redeemed_vouchers;
    coupons.rewards_cancelled += report.rewards_cancelled;
    coupons.rewards_cancelled_after_merge +=
        report.rewards_cancelled_after_merge;
    coupons.reward_refusals_item += report.reward_refusals_item;
    coupons.reward_refusals_out_of_stock += report.reward_refusals_out_of_stock;
    coupons.reward_refusals_limit += report.reward_refusals_limit;
    coupons.reward_refusals_tier += report.reward_refusals_tier;
    coupons.reward_refusals_channel += report.reward_refusals_channel;
    coupons.reward_refusals_not_found += report.reward_refusals_not_found;
    coupons.reward_refusals_not_cancellable +=
        report.reward_refusals_not_cancellable;
  }
  if (judges_coverage) {
    // Coupons issued by program rules: by spend bonuses, by tier upgrades
    // of earns and of merges, and skipped for a budget and for a limit.
    CHECK(rule_coupons.rule_coupons_spend > 0);
    CHECK(rule_coupons.rule_coupons_tier > 0);
    CHECK(rule_coupons.rule_coupons_merge > 0);
    CHECK(rule_coupons.rule_coupons_skipped_budget > 0);
    CHECK(rule_coupons.rule_coupons_skipped_limit > 0);
  }
  if (judges_coverage) {
    coverage.CheckEachSeen();
    // Every coupon refusal the generator aims at, over the seeds.
    CHECK(coupons.coupon_refusals_budget > 0);
    CHECK(coupons.coupon_refusals_limit > 0);
    CHECK(coupons.coupon_refusals_not_valid_now > 0);
    CHECK(coupons.coupon_refusals_used_up > 0);
    CHECK(coupons.coupon_refusals_wrong_channel > 0);
    CHECK(coupons.coupon_refusals_wrong_store > 0);
    CHECK(coupons.coupon_refusals_not_found > 0);
    CHECK(coupons.coupon_refusals_template > 0);
    CHECK(coupons.coupon_refusals_needs_basket > 0);
    // Coupons at checkout: used, stacked, discounted and every refusal.
    CHECK(coupons.coupon_checkouts > 0);
    CHECK(coupons.coupon_quotes_judged > 0);
    CHECK(coupons.coupon_quotes_refused > 0);
    CHECK(coupons.coupon_checkouts_combined > 0);
    CHECK(coupons.coupon_checkout_discounts > 0);
    CHECK(coupons.coupon_restores > 0);
    CHECK(coupons.coupon_refusals_no_eligible_lines > 0);
    CHECK(coupons.coupon_refusals_not_combinable > 0);
    CHECK(coupons.coupon_refusals_discount_budget > 0);
    CHECK(coupons.coupon_refusals_wrong_currency > 0);
    // Vouchers: every command, both time-driven kinds and the refusals
    // aimed at, over the run's seeds.
    CHECK(coupons.vouchers_issued > 0);
    CHECK(coupons.voucher_pickups > 0);
    CHECK(coupons.voucher_transfers > 0);
    CHECK(coupons.voucher_gifts > 0);
    CHECK(coupons.voucher_claims > 0);
    CHECK(coupons.voucher_gift_returns > 0);
    CHECK(coupons.voucher_refunds > 0);
    CHECK(coupons.voucher_expiries > 0);
    CHECK(coupons.voucher_refusals_not_found > 0);
    CHECK(coupons.voucher_refusals_too_few > 0);
    CHECK(coupons.voucher_refusals_not_claimable > 0);
    // Reservations: every way one ends, and every refusal.
    CHECK(coupons.coupon_reservations > 0);
    CHECK(coupons.coupon_reservations_committed > 0);
    CHECK(coupons.coupon_reservations_released > 0);
    CHECK(coupons.coupon_reservations_timed_out > 0);
    CHECK(coupons.coupon_refusals_reservation_not_found > 0);
    CHECK(coupons.coupon_refusals_reservation_not_active > 0);
    // Merges moving pending points, and those points maturing at the
    // target.
    CHECK(coupons.merges_moving_pending > 0);
    CHECK(coupons.merges_member_closed > 0);
    CHECK(coupons.identifiers_taken_by_self > 0);
    CHECK(coupons.coupon_refusals_bearer_limit > 0);
    CHECK(coupons.merged_pending_matured > 0);
    // Rewards: both kinds of item exchanged and cancelled, and every
    // refusal of the catalog, over the run's seeds.
    CHECK(coupons.rewards_redeemed_coupons > 0);
    CHECK(coupons.rewards_redeemed_vouchers > 0);
    CHECK(coupons.rewards_cancelled > 0);
    CHECK(coupons.reward_refusals_item > 0);
    CHECK(coupons.reward_refusals_out_of_stock > 0);
    CHECK(coupons.reward_refusals_limit > 0);
    CHECK(coupons.reward_refusals_tier > 0);
    CHECK(coupons.reward_refusals_channel > 0);
    CHECK(coupons.reward_refusals_not_found > 0);
    CHECK(coupons.reward_refusals_not_cancellable > 0);
    // Met 0-10 times per 5,000-step seed (the clock's jumps end open
    // reservations): checked in long runs; the unit test pins it always.
    if (steps >= 20000) {
      CHECK(coupons.coupon_refusals_too_many_reservations > 0);
      // 1-3 per seed: coupon_checkout_test pins the refusal itself.
      CHECK(coupons.coupon_refusals_basket_too_small > 0);
    }
  }
}

}  // namespace
}  // namespace loyalty::model
