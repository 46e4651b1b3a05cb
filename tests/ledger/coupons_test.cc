// Coupons (ledger/coupons/): codes that catch typos offline, templates
// validated at start, issue within budgets and limits, and redemptions
// that never exceed a coupon's uses, in its window, channels and stores,
// for its owner only. Every refusal leaves only the remembered answer.
#include <atomic>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "catch2/catch.hpp"
#include "ledger/common/program.h"
#include "ledger/coupons/codes.h"
#include "ledger/coupons/templates.h"
#include "coupon_test_util.h"

namespace loyalty {
namespace {

using testing::CallLedger;
using testing::Issue;
using testing::IssueOk;
using testing::IssueRequest;
using testing::PercentTemplate;
using testing::RedeemAtTill;
using testing::CouponRedeemRequest;
using testing::CodeOf;
using testing::UnknownCode;
using testing::kAdmin;
using testing::kApp;
using testing::kPos;
using testing::kStartMs;
using testing::NothingChanged;
using testing::ReasonOfResult;
using testing::TestLedger;
using testing::TestProgram;
using v1::CouponTemplate;

constexpr int64_t kDayMs = 24ll * 3600 * 1000;

v1::ProgramConfig CouponProgram() {
  v1::ProgramConfig program = TestProgram();
  program.set_time_zone("Asia/Taipei");
  *program.add_coupon_templates() = PercentTemplate("welcome-10", 10);
  CouponTemplate triple = PercentTemplate("triple", 5);
  triple.set_uses_per_coupon(3);
  *program.add_coupon_templates() = triple;
  CouponTemplate budget = PercentTemplate("budget-2", 20);
  budget.set_issuance_budget(2);
  *program.add_coupon_templates() = budget;
  CouponTemplate once = PercentTemplate("once-per-member", 15);
  once.set_per_member_limit(1);
  *program.add_coupon_templates() = once;
  CouponTemplate app_only = PercentTemplate("app-only", 10);
  app_only.add_channels(v1::CHANNEL_APP);
  *program.add_coupon_templates() = app_only;
  CouponTemplate store_042 = PercentTemplate("store-042-only", 10);
  store_042.clear_percent_off();
  store_042.set_free_item_sku("COFFEE-S");
  store_042.add_store_ids("store-042");
  *program.add_coupon_templates() = store_042;
  CouponTemplate window = PercentTemplate("december", 10);
  window.set_valid_days_after_issue(0);
  window.set_valid_from_ms(kStartMs + 10 * kDayMs);
  window.set_valid_until_ms(kStartMs + 20 * kDayMs);
  *program.add_coupon_templates() = window;
  return program;
}

// ---------------------------------------------------------------------------
// Codes.

TEST_CASE("a coupon code prints in groups with a check character and "
          "parses back from any accepted spelling",
          "[coupons][codes]") {
  const std::string canonical = UnknownCode();
  REQUIRE(canonical.size() == 16);
  const std::string printed = FormatCouponCode(canonical);
  CHECK(printed.size() == 16 + 4 + 1);
  CHECK(printed[4] == '-');
  CHECK(*ParseCouponCode(printed, "code") == canonical);
  std::string spaced;
  for (char c : printed) spaced += (c == '-' ? ' ' : c);
  CHECK(*ParseCouponCode(spaced, "code") == canonical);
  std::string lower;
  for (char c : printed) lower += static_cast<char>(std::tolower(c));
  CHECK(*ParseCouponCode(lower, "code") == canonical);
  // I and L read as 1, O as 0: a code with 1s and 0s typed as letters.
  const std::string ones = "1111000011110000";
  std::string typed = "IlLLOoOoILIlOOoO";
  typed.push_back(CouponCheckCharacter(ones));
  CHECK(*ParseCouponCode(typed, "code") == ones);
}

TEST_CASE("codes are drawn from the random source given, one bulk draw "
          "as one at a time",
          "[coupons][codes]") {
  SeededRandomSource one_by_one(11);
  std::vector<std::string> singles;
  for (int i = 0; i < 4; ++i) singles.push_back(NewCouponCode(one_by_one));
  SeededRandomSource bulk(11);
  CHECK(NewCouponCodes(bulk, 4) == singles);
  SeededRandomSource other(12);
  CHECK(NewCouponCode(other) != singles[0]);
  CHECK(std::set<std::string>(singles.begin(), singles.end()).size() == 4);
}

TEST_CASE("a mistyped character or swapped neighbours fail the check "
          "character before any call",
          "[coupons][codes]") {
  const std::string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  for (int round = 0; round < 50; ++round) {
    const std::string canonical = UnknownCode();
    const std::string full = canonical + CouponCheckCharacter(canonical);
    for (size_t i = 0; i < full.size(); ++i) {
      for (char c : alphabet) {
        if (c == full[i]) continue;
        std::string typo = full;
        typo[i] = c;
        INFO(full << " -> " << typo);
        CHECK(CodeOf(ParseCouponCode(typo, "code")) ==
              absl::StatusCode::kInvalidArgument);
      }
      if (i + 1 < full.size() && full[i] != full[i + 1]) {
        const std::set<char> pair{full[i], full[i + 1]};
        if (pair == std::set<char>{'0', 'Z'}) continue;  // Luhn's one blind spot.
        std::string swapped = full;
        std::swap(swapped[i], swapped[i + 1]);
        INFO(full << " -> " << swapped);
        CHECK(CodeOf(ParseCouponCode(swapped, "code")) ==
              absl::StatusCode::kInvalidArgument);
      }
    }
  }
}

TEST_CASE("malformed coupon codes are refused with the field named",
          "[coupons][codes]") {
  for (const char* input : {"", "ABC", "7K2M-9QXD-4HBA-T0CE", "7K2M-9QXD-4HBA-T0CE-ZZ",
                            "7K2M-9QXD-4HBA-T0CU-Z", "7K2M_9QXD_4HBA_T0CE_Z"}) {
    auto parsed = ParseCouponCode(input, "code");
    INFO(input);
    REQUIRE(CodeOf(parsed) == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(parsed.status().message(), "code"));
  }
  CHECK(CodeOf(ParseCouponCode(std::string(100, 'A'), "code")) ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("fresh coupon codes differ and use the whole alphabet",
          "[coupons][codes]") {
  std::set<std::string> codes;
  std::set<char> seen;
  for (int i = 0; i < 20'000; ++i) {
    std::string code = UnknownCode();
    seen.insert(code.begin(), code.end());
    codes.insert(std::move(code));
  }
  CHECK(codes.size() == 20'000);
  CHECK(seen.size() == 32);
}

// ---------------------------------------------------------------------------
// Templates.

TEST_CASE("a bad coupon template is refused at start with its field named",
          "[coupons][program]") {
  struct Case {
    const char* field;
    std::function<void(CouponTemplate&)> spoil;
  };
  const std::vector<Case> cases = {
      {"coupon_templates[0].template_id",
       [](CouponTemplate& t) { t.set_template_id("has space"); }},
      {"coupon_templates[0].benefit", [](CouponTemplate& t) { t.clear_benefit(); }},
      {"coupon_templates[0].percent_off",
       [](CouponTemplate& t) { t.set_percent_off(101); }},
      {"coupon_templates[0].amount_off.currency",
       [](CouponTemplate& t) {
         t.mutable_amount_off()->set_amount_minor(500);
         t.mutable_amount_off()->set_currency("JPY");
       }},
      {"coupon_templates[0].amount_off.amount_minor",
       [](CouponTemplate& t) {
         t.mutable_amount_off()->set_amount_minor(0);
         t.mutable_amount_off()->set_currency("EUR");
       }},
      {"coupon_templates[0].valid_days_after_issue",
       [](CouponTemplate& t) { t.set_valid_from_ms(kStartMs); }},
      {"coupon_templates[0].valid_days_after_issue",
       [](CouponTemplate& t) { t.set_valid_days_after_issue(0); }},
      {"coupon_templates[0].valid_until_ms",
       [](CouponTemplate& t) {
         t.set_valid_days_after_issue(0);
         t.set_valid_from_ms(kStartMs);
         t.set_valid_until_ms(kStartMs);
       }},
      {"coupon_templates[0].uses_per_coupon",
       [](CouponTemplate& t) { t.set_uses_per_coupon(1001); }},
      {"coupon_templates[0].per_member_limit",
       [](CouponTemplate& t) { t.set_per_member_limit(-1); }},
      {"coupon_templates[0].issuance_budget",
       [](CouponTemplate& t) { t.set_issuance_budget(-5); }},
      {"coupon_templates[0].channels",
       [](CouponTemplate& t) { t.add_channels(v1::CHANNEL_UNSPECIFIED); }},
      {"coupon_templates[0].channels",
       [](CouponTemplate& t) {
         t.add_channels(v1::CHANNEL_APP);
         t.add_channels(v1::CHANNEL_APP);
       }},
      {"coupon_templates[0].store_ids",
       [](CouponTemplate& t) { t.add_store_ids("store 1"); }},
      {"coupon_templates[0].free_item_sku",
       [](CouponTemplate& t) { t.set_free_item_sku(""); }},
  };
  for (const Case& c : cases) {
    v1::ProgramConfig program = TestProgram();
    CouponTemplate t = PercentTemplate("ok", 10);
    c.spoil(t);
    *program.add_coupon_templates() = t;
    absl::Status valid = ValidateProgram(program);
    INFO(c.field << ": " << valid.ToString());
    REQUIRE(valid.code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(valid.message(), c.field));
  }
  v1::ProgramConfig twice = TestProgram();
  *twice.add_coupon_templates() = PercentTemplate("same", 10);
  *twice.add_coupon_templates() = PercentTemplate("same", 20);
  absl::Status valid = ValidateProgram(twice);
  CHECK(absl::StartsWith(valid.message(), "coupon_templates[1].template_id"));
  CHECK(ValidateProgram(CouponProgram()).ok());
}

TEST_CASE("a coupon valid for N days runs to the end of that day in the "
          "program's time zone",
          "[coupons][program]") {
  CouponTemplate t = PercentTemplate("t", 10);
  t.set_valid_days_after_issue(1);
  const absl::TimeZone taipei = *ProgramTimeZone(CouponProgram());
  // 2023-11-14T22:13:20Z is 2023-11-15 06:13:20 in Taipei (UTC+8): valid
  // until the end of 2023-11-16 there, 2023-11-16T16:00:00Z.
  CouponWindow window = CouponWindowFor(t, taipei, kStartMs);
  CHECK(window.valid_from_ms == kStartMs);
  CHECK(window.valid_until_ms == 1'700'150'400'000);
}

// ---------------------------------------------------------------------------
// Issue.

TEST_CASE("an issued coupon is the member's, usable at once, and in their "
          "statement",
          "[coupons][issue]") {
  TestLedger t(CouponProgram());
  t.EnrollOk("alice");
  auto issued = Issue(t.ledger(), IssueRequest("i1", "alice", "welcome-10"));
  REQUIRE_OK(issued);
  const v1::Coupon& coupon = issued->coupon();
  CHECK(coupon.member_id() == "alice");
  CHECK(coupon.template_id() == "welcome-10");
  CHECK(coupon.display_name() == "Welcome offer");
  CHECK(coupon.percent_off() == 10);
  CHECK(coupon.uses_allowed() == 1);
  CHECK(coupon.uses() == 0);
  CHECK(coupon.state() == v1::COUPON_STATE_USABLE);
  CHECK(ParseCouponCode(coupon.code(), "code").ok());
  CHECK(issued->entry().kind() == v1::ENTRY_KIND_COUPON_ISSUE);
  CHECK(issued->entry().points_delta() == 0);
  CHECK(FormatCouponCode(issued->entry().coupon_issued().code()) ==
        coupon.code());
  CHECK(coupon.issued_sequence() == issued->entry().sequence());

  auto shown = t.ledger().GetCoupon(coupon.code());
  REQUIRE_OK(shown);
  CHECK(shown->SerializeAsString() == coupon.SerializeAsString());
  // A retry replays the same coupon: no second code.
  auto again = Issue(t.ledger(), IssueRequest("i1", "alice", "welcome-10"));
  REQUIRE_OK(again);
  CHECK(again->replayed());
  CHECK(again->coupon().code() == coupon.code());
  t.Reopen();
  CHECK(t.ledger().GetCoupon(coupon.code())->uses() == 0);
  t.RequireVerifyOk();
}

TEST_CASE("issuing stops at the template's budget and the member's limit, "
          "remembered",
          "[coupons][issue]") {
  TestLedger t(CouponProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  IssueOk(t, "b1", "alice", "budget-2");
  IssueOk(t, "b2", "bob", "budget-2");
  {
    NothingChanged nothing(t.store());
    auto spent = Issue(t.ledger(), IssueRequest("b3", "alice", "budget-2"));
    CHECK(CodeOf(spent) == absl::StatusCode::kFailedPrecondition);
    CHECK(ReasonOfResult(spent) == v1::ERROR_REASON_COUPON_BUDGET_SPENT);
    nothing.CheckOnlyRequestRemembered();
  }
  IssueOk(t, "o1", "alice", "once-per-member");
  IssueOk(t, "o2", "bob", "once-per-member");
  {
    NothingChanged nothing(t.store());
    auto limited = Issue(t.ledger(), IssueRequest("o3", "alice", "once-per-member"));
    CHECK(CodeOf(limited) == absl::StatusCode::kFailedPrecondition);
    CHECK(ReasonOfResult(limited) == v1::ERROR_REASON_COUPON_LIMIT_REACHED);
    nothing.CheckOnlyRequestRemembered();
  }
  {
    NothingChanged nothing(t.store());
    auto unknown = Issue(t.ledger(), IssueRequest("u1", "alice", "no-such"));
    CHECK(CodeOf(unknown) == absl::StatusCode::kNotFound);
    CHECK(ReasonOfResult(unknown) ==
          v1::ERROR_REASON_COUPON_TEMPLATE_NOT_FOUND);
    nothing.CheckOnlyRequestRemembered();
  }
  auto nobody = Issue(t.ledger(), IssueRequest("u2", "carol", "welcome-10"));
  CHECK(ReasonOfResult(nobody) == v1::ERROR_REASON_MEMBER_NOT_FOUND);
  {
    NothingChanged nothing(t.store());
    auto malformed = Issue(t.ledger(), IssueRequest("u3", "alice", ""));
    CHECK(CodeOf(malformed) == absl::StatusCode::kInvalidArgument);
    nothing.Check();
  }
  t.Reopen();
  // Counts survive a restart.
  CHECK(ReasonOfResult(Issue(t.ledger(), IssueRequest("b4", "bob", "budget-2"))) ==
        v1::ERROR_REASON_COUPON_BUDGET_SPENT);
  t.RequireVerifyOk();
}

// ---------------------------------------------------------------------------
// Redeem.

TEST_CASE("a coupon is redeemed as many times as it allows, then refused",
          "[coupons][redeem]") {
  TestLedger t(CouponProgram());
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "triple");
  for (int use = 1; use <= 3; ++use) {
    auto redeemed =
        RedeemAtTill(t.ledger(), absl::StrCat("r", use), "alice", code);
    REQUIRE_OK(redeemed);
    CHECK(redeemed->coupon().uses() == use);
    CHECK(redeemed->entry().kind() == v1::ENTRY_KIND_COUPON_REDEEM);
    CHECK(redeemed->entry().coupon_redeemed().uses_after() == use);
    CHECK(redeemed->entry().order_id() == "order-1");
    CHECK(redeemed->entry().store_id() == "store-042");
  }
  CHECK(t.ledger().GetCoupon(code)->state() == v1::COUPON_STATE_USED_UP);
  NothingChanged nothing(t.store());
  auto used_up = RedeemAtTill(t.ledger(), "r4", "alice", code);
  CHECK(CodeOf(used_up) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(used_up) == v1::ERROR_REASON_COUPON_USED_UP);
  nothing.CheckOnlyRequestRemembered();
  // A retry of a successful use replays it: no fourth use.
  auto replay = RedeemAtTill(t.ledger(), "r3", "alice", code);
  REQUIRE_OK(replay);
  CHECK(replay->replayed());
  t.RequireVerifyOk();
}

TEST_CASE("concurrent redemptions of one coupon: exactly its uses succeed",
          "[coupons][redeem][concurrency]") {
  TestLedger t(CouponProgram());
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "triple");
  const testing::CouponRace race =
      testing::RaceForCoupon(8, 5, [&](const std::string& request_id) {
        return RedeemAtTill(t.ledger(), request_id, "alice", code);
      });
  CHECK(race.succeeded == 3);
  CHECK(race.used_up == 8 * 5 - 3);
  CHECK(t.ledger().GetCoupon(code)->uses() == 3);
  t.RequireVerifyOk();
}

TEST_CASE("a coupon is refused outside its window, channels and stores",
          "[coupons][redeem]") {
  TestLedger t(CouponProgram());
  t.EnrollOk("alice");
  const std::string december = IssueOk(t, "i1", "alice", "december");
  const std::string app_only = IssueOk(t, "i2", "alice", "app-only");
  const std::string store_only = IssueOk(t, "i3", "alice", "store-042-only");
  const std::string thirty_days = IssueOk(t, "i4", "alice", "welcome-10");

  auto refused = [&](const std::string& request_id, const std::string& code,
                     v1::RequestContext context, v1::ErrorReason reason) {
    NothingChanged nothing(t.store());
    auto result = CallLedger<RedeemCouponCommand>(
        t.ledger(), kPos,
        CouponRedeemRequest(request_id, "alice", code, std::move(context)));
    INFO(request_id << ": " << result.status().ToString());
    CHECK(CodeOf(result) == absl::StatusCode::kFailedPrecondition);
    CHECK(ReasonOfResult(result) == reason);
    nothing.CheckOnlyRequestRemembered();
  };
  refused("w1", december, testing::PosContext(""),
          v1::ERROR_REASON_COUPON_NOT_VALID_NOW);
  refused("c1", app_only, testing::PosContext(""),
          v1::ERROR_REASON_COUPON_WRONG_CHANNEL);
  refused("s1", store_only, testing::PosContext("", "store-013"),
          v1::ERROR_REASON_COUPON_WRONG_STORE);
  refused("s2", store_only, testing::AppContext(""),
          v1::ERROR_REASON_COUPON_WRONG_STORE);
  REQUIRE_OK(CallLedger<RedeemCouponCommand>(
      t.ledger(), kApp,
      CouponRedeemRequest("c2", "alice", app_only, testing::AppContext(""))));
  REQUIRE_OK(RedeemAtTill(t.ledger(), "s3", "alice", store_only));

  t.clock().SetMs(kStartMs + 10 * kDayMs);
  REQUIRE_OK(RedeemAtTill(t.ledger(), "w2", "alice", december));
  t.clock().SetMs(kStartMs + 31 * kDayMs);
  refused("x1", thirty_days, testing::PosContext(""),
          v1::ERROR_REASON_COUPON_NOT_VALID_NOW);
  CHECK(t.ledger().GetCoupon(thirty_days)->state() ==
        v1::COUPON_STATE_EXPIRED);
  t.RequireVerifyOk();
}

// What ValidateCoupon answers for `code` from alice at a till of store-042.
absl::StatusOr<v1::ValidateCouponResponse> ValidateAtTill(
    TestLedger& t, const std::string& member_id, const std::string& code,
    v1::RequestContext context = testing::PosContext("")) {
  v1::ValidateCouponRequest request;
  *request.mutable_context() = std::move(context);
  request.set_member_id(member_id);
  request.set_code(code);
  return t.ledger().ValidateCoupon(request);
}

TEST_CASE("ValidateCoupon answers what RedeemCoupon would, and writes "
          "nothing",
          "[coupons][validate]") {
  TestLedger t(CouponProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  const std::string triple = IssueOk(t, "i1", "alice", "triple");
  const std::string app_only = IssueOk(t, "i2", "alice", "app-only");
  const std::string store_only = IssueOk(t, "i3", "alice", "store-042-only");
  const std::string december = IssueOk(t, "i4", "alice", "december");
  const std::string unknown = FormatCouponCode(UnknownCode());

  struct Case {
    std::string what;
    std::string member_id;
    std::string code;
    v1::RequestContext context;
  };
  const std::vector<Case> cases = {
      {"usable", "alice", triple, testing::PosContext("")},
      {"lower case", "alice", absl::AsciiStrToLower(triple),
       testing::PosContext("")},
      {"another member's", "bob", triple, testing::PosContext("")},
      {"unknown", "alice", unknown, testing::PosContext("")},
      {"unknown member", "carol", triple, testing::PosContext("")},
      {"wrong channel", "alice", app_only, testing::PosContext("")},
      {"right channel", "alice", app_only, testing::AppContext("")},
      {"wrong store", "alice", store_only,
       testing::PosContext("", "store-013")},
      {"not valid yet", "alice", december, testing::PosContext("")},
  };
  int request = 0;
  for (const Case& c : cases) {
    INFO(c.what);
    absl::StatusOr<v1::ValidateCouponResponse> validated;
    {
      NothingChanged nothing(t.store());
      validated = ValidateAtTill(t, c.member_id, c.code, c.context);
      nothing.Check();
    }
    auto redeemed = CallLedger<RedeemCouponCommand>(
        t.ledger(), kPos,
        CouponRedeemRequest(absl::StrCat("v", ++request), c.member_id, c.code,
                      c.context));
    CHECK(CodeOf(validated) == CodeOf(redeemed));
    CHECK(ReasonOfResult(validated) == ReasonOfResult(redeemed));
    if (validated.ok() && redeemed.ok()) {
      // Validated before the use, redeemed after it.
      CHECK(validated->coupon().uses() + 1 == redeemed->coupon().uses());
    }
  }
  // Two uses above; after the third, validation says it is used up.
  REQUIRE_OK(RedeemAtTill(t.ledger(), "v-last", "alice", triple));
  CHECK(ReasonOfResult(ValidateAtTill(t, "alice", triple)) ==
        v1::ERROR_REASON_COUPON_USED_UP);
  // A typo and a missing channel are malformed, as for RedeemCoupon.
  std::string typo = triple;
  typo[0] = typo[0] == 'A' ? 'B' : 'A';
  CHECK(CodeOf(ValidateAtTill(t, "alice", typo)) ==
        absl::StatusCode::kInvalidArgument);
  v1::RequestContext no_channel;
  CHECK(CodeOf(ValidateAtTill(t, "alice", triple, no_channel)) ==
        absl::StatusCode::kInvalidArgument);
  t.RequireVerifyOk();
}

TEST_CASE("another member's coupon and an unknown code get the same "
          "NOT_FOUND",
          "[coupons][redeem]") {
  TestLedger t(CouponProgram());
  t.EnrollOk("alice");
  t.EnrollOk("mallory");
  const std::string code = IssueOk(t, "i1", "alice", "welcome-10");
  const std::string unknown = FormatCouponCode(UnknownCode());
  auto someone_elses = RedeemAtTill(t.ledger(), "m1", "mallory", code);
  auto nonexistent = RedeemAtTill(t.ledger(), "m2", "mallory", unknown);
  CHECK(CodeOf(someone_elses) == absl::StatusCode::kNotFound);
  CHECK(ReasonOfResult(someone_elses) == v1::ERROR_REASON_COUPON_NOT_FOUND);
  CHECK(someone_elses.status().message() == nonexistent.status().message());
  CHECK(ReasonOfResult(nonexistent) == v1::ERROR_REASON_COUPON_NOT_FOUND);
  CHECK(CodeOf(t.ledger().GetCoupon(unknown)) == absl::StatusCode::kNotFound);
  // A typo never reaches the ledger.
  std::string typo = code;
  typo[0] = typo[0] == 'A' ? 'B' : 'A';
  NothingChanged nothing(t.store());
  CHECK(CodeOf(RedeemAtTill(t.ledger(), "m3", "alice", typo)) ==
        absl::StatusCode::kInvalidArgument);
  nothing.Check();
  CHECK(t.ledger().GetCoupon(code)->uses() == 0);
}

TEST_CASE("a merged member's coupon is used by the member it became; a "
          "closed member's is not",
          "[coupons][redeem][members]") {
  TestLedger t(CouponProgram());
  t.EnrollOk("alice");
  t.EnrollOk("alice-old");
  t.EnrollOk("bob");
  const std::string old_code = IssueOk(t, "i1", "alice-old", "triple");
  const std::string bob_code = IssueOk(t, "i2", "bob", "welcome-10");
  REQUIRE_OK(testing::Merge(t.ledger(),
                            testing::MergeRequest("m1", "alice-old", "alice")));
  auto by_target = RedeemAtTill(t.ledger(), "r1", "alice", old_code);
  REQUIRE_OK(by_target);
  CHECK(by_target->entry().member_id() == "alice");
  // The old id names the same member.
  REQUIRE_OK(RedeemAtTill(t.ledger(), "r2", "alice-old", old_code));

  REQUIRE_OK(testing::Close(t.ledger(), testing::CloseRequest("c1", "bob", false)));
  auto closed = RedeemAtTill(t.ledger(), "r3", "bob", bob_code);
  CHECK(CodeOf(closed) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(closed) == v1::ERROR_REASON_MEMBER_CLOSED);
  t.RequireVerifyOk();
}

TEST_CASE("Verify finds a coupon record that differs from its entries",
          "[coupons][verify]") {
  TestLedger t(CouponProgram());
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "triple");
  REQUIRE_OK(RedeemAtTill(t.ledger(), "r1", "alice", code));
  t.RequireVerifyOk();
  const std::string canonical = *ParseCouponCode(code, "code");
  storage::v1::CouponRecord forged;
  REQUIRE(forged.ParseFromString(
      *t.store().Get(Family::kCoupons, canonical)));
  forged.set_uses(0);  // A use given back without an entry.
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

}  // namespace
}  // namespace loyalty
