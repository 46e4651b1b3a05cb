// Bulk coupon codes (ledger/coupons/generate_coupons.h, bearer_coupons.h):
// a batch is written in chunks of COUPON_GENERATE entries that belong to no
// member, ends with exactly its count of distinct codes whether it runs at
// once or is resumed, is refused whole when its template's budget cannot
// hold it, and its bearer codes are used by any member within their uses
// and their template's per-member limit. VerifyLedger re-derives it all.
#include "ledger/coupons/generate_coupons.h"

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "coupon_test_util.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/coupons/codes.h"

namespace loyalty {
namespace {

using testing::CallLedger;
using testing::CodeOf;
using testing::kAdmin;
using testing::kPos;
using testing::NothingChanged;
using testing::PercentTemplate;
using testing::ReasonOfResult;
using testing::RedeemAtTill;
using testing::TestLedger;
using v1::CouponTemplate;

v1::ProgramConfig BulkProgram() {
  v1::ProgramConfig program = testing::TestProgram();
  program.set_time_zone("Europe/Berlin");
  *program.add_coupon_templates() = PercentTemplate("flyer-10", 10);
  CouponTemplate triple = PercentTemplate("triple", 5);
  triple.set_uses_per_coupon(3);
  *program.add_coupon_templates() = triple;
  CouponTemplate budget = PercentTemplate("budget-100", 20);
  budget.set_issuance_budget(100);
  *program.add_coupon_templates() = budget;
  CouponTemplate once = PercentTemplate("once-per-member", 15);
  once.set_per_member_limit(1);
  once.set_combinable(true);
  once.set_return_policy(v1::COUPON_RETURN_POLICY_RESTORE);
  *program.add_coupon_templates() = once;
  return program;
}

v1::GenerateCouponsRequest GenerateRequest(std::string request_id,
                                           std::string batch_id,
                                           std::string template_id,
                                           int64_t count) {
  v1::GenerateCouponsRequest request;
  request.mutable_context()->set_request_id(std::move(request_id));
  request.set_batch_id(std::move(batch_id));
  request.set_template_id(std::move(template_id));
  request.set_count(count);
  return request;
}

absl::StatusOr<v1::GenerateCouponChunkResponse> Chunk(
    Ledger& ledger, const v1::GenerateCouponsRequest& request,
    int64_t first_index) {
  return CallLedger<GenerateCouponChunkCommand>(
      ledger, kAdmin, ChunkRequestOf(request, first_index));
}

// What a GenerateCoupons call streamed: each chunk's answer and its codes
// (canonical, read from its entry), in batch order.
struct Generated {
  std::vector<v1::GenerateCouponChunkResponse> chunks;
  std::vector<std::string> codes;
};

// Drives a batch as the server's adapter does: chunk after chunk from the
// first, each read back from its entry. Stops after `chunks_max` chunks
// (a call cut short) or at the first refusal, which it returns.
absl::StatusOr<Generated> Generate(Ledger& ledger,
                                   const v1::GenerateCouponsRequest& request,
                                   int chunks_max = 1 << 30) {
  Generated generated;
  int64_t next = 0;
  while (next < request.count() &&
         static_cast<int>(generated.chunks.size()) < chunks_max) {
    absl::StatusOr<v1::GenerateCouponChunkResponse> chunk =
        Chunk(ledger, request, next);
    if (!chunk.ok()) return chunk.status();
    absl::StatusOr<v1::LedgerEntry> entry = ledger.ReadEntry(chunk->sequence());
    if (!entry.ok()) return entry.status();
    for (const std::string& code : entry->coupons_generated().codes()) {
      generated.codes.push_back(code);
    }
    next = chunk->first_index() + chunk->codes();
    generated.chunks.push_back(*std::move(chunk));
  }
  return generated;
}

int64_t IssuedOf(TestLedger& t, const std::string& template_id) {
  absl::StatusOr<std::string> bytes =
      t.store().Get(Family::kCouponCounts, CouponTemplateCountKey(template_id));
  if (!bytes.ok()) return 0;
  storage::v1::CouponCount count;
  REQUIRE(count.ParseFromString(*bytes));
  return count.issued();
}

// ---------------------------------------------------------------------------
// Generation.

TEST_CASE(
    "a batch is exactly its count of distinct bearer codes, in chunks "
    "that are entries of no member",
    "[coupons][generate]") {
  TestLedger t(BulkProgram());
  t.EnrollOk("alice");
  const int64_t count = kCouponsPerGenerateChunkMax * 2 + 345;
  auto generated = Generate(
      t.ledger(), GenerateRequest("g1", "spring-flyer", "flyer-10", count));
  REQUIRE_OK(generated);
  REQUIRE(generated->chunks.size() == 3);
  CHECK(generated->chunks[0].codes() == kCouponsPerGenerateChunkMax);
  CHECK(generated->chunks[2].first_index() == 2 * kCouponsPerGenerateChunkMax);
  CHECK(generated->chunks[2].codes() == 345);
  CHECK(generated->chunks[2].generated() == count);
  CHECK(static_cast<int64_t>(generated->codes.size()) == count);
  const std::set<std::string> distinct(generated->codes.begin(),
                                       generated->codes.end());
  CHECK(static_cast<int64_t>(distinct.size()) == count);
  CHECK(IssuedOf(t, "flyer-10") == count);

  auto entry = t.ledger().ReadEntry(generated->chunks[1].sequence());
  REQUIRE_OK(entry);
  CHECK(entry->kind() == v1::ENTRY_KIND_COUPON_GENERATE);
  CHECK(entry->member_id().empty());
  CHECK(entry->points_delta() == 0);
  CHECK(entry->channel() == v1::CHANNEL_ADMIN);
  CHECK(entry->principal() == kAdmin.principal);
  CHECK(entry->request_id() ==
        ChunkRequestId("g1", kCouponsPerGenerateChunkMax));
  CHECK(entry->coupons_generated().batch_count() == count);

  const std::string printed = FormatCouponCode(generated->codes.back());
  auto coupon = t.ledger().GetCoupon(printed);
  REQUIRE_OK(coupon);
  CHECK(coupon->member_id().empty());
  CHECK(coupon->batch_id() == "spring-flyer");
  CHECK(coupon->template_id() == "flyer-10");
  CHECK(coupon->uses_allowed() == 1);
  CHECK(coupon->state() == v1::COUPON_STATE_USABLE);
  CHECK(coupon->issued_sequence() == generated->chunks[2].sequence());
  // No member's statement lists the batch.
  CHECK(testing::ListAll(t.ledger(), "alice", 100).size() == 1);
  t.RequireVerifyOk();
  t.Reopen();
  CHECK(t.ledger().GetCoupon(printed)->batch_id() == "spring-flyer");
  t.RequireVerifyOk();
}

TEST_CASE(
    "a batch cut short and called again continues where it stopped: "
    "no code lost or doubled",
    "[coupons][generate]") {
  TestLedger t(BulkProgram());
  const int64_t count = kCouponsPerGenerateChunkMax + 10;
  auto first =
      Generate(t.ledger(), GenerateRequest("g1", "b-1", "flyer-10", count),
               /*chunks_max=*/1);
  REQUIRE_OK(first);
  REQUIRE(first->codes.size() == kCouponsPerGenerateChunkMax);
  t.Reopen();
  // Another call (another request id) for the same batch.
  auto resumed =
      Generate(t.ledger(), GenerateRequest("g2", "b-1", "flyer-10", count));
  REQUIRE_OK(resumed);
  REQUIRE(resumed->chunks.size() == 2);
  CHECK(resumed->chunks[0].written_before());
  CHECK(resumed->chunks[0].sequence() == first->chunks[0].sequence());
  CHECK_FALSE(resumed->chunks[1].written_before());
  CHECK(static_cast<int64_t>(resumed->codes.size()) == count);
  CHECK(std::vector<std::string>(
            resumed->codes.begin(),
            resumed->codes.begin() + kCouponsPerGenerateChunkMax) ==
        first->codes);
  CHECK(std::set<std::string>(resumed->codes.begin(), resumed->codes.end())
            .size() == static_cast<size_t>(count));
  CHECK(IssuedOf(t, "flyer-10") == count);

  // A complete batch called again writes nothing: every chunk is streamed
  // as written, by a new request id and by the first one alike.
  const uint64_t write_count = t.store().write_count();
  auto again =
      Generate(t.ledger(), GenerateRequest("g1", "b-1", "flyer-10", count));
  REQUIRE_OK(again);
  CHECK(again->codes == resumed->codes);
  CHECK(again->chunks[0].replayed());
  CHECK(again->chunks[1].written_before());
  // Only the answers were remembered (one new request id: g1's second
  // chunk); no entry was written.
  CHECK(t.store().write_count() == write_count + 1);
  t.RequireVerifyOk();
}

TEST_CASE(
    "a batch id of another template or count is refused, remembered, "
    "and nothing is written",
    "[coupons][generate]") {
  TestLedger t(BulkProgram());
  REQUIRE_OK(Generate(t.ledger(), GenerateRequest("g1", "b-1", "flyer-10", 5)));
  for (const auto& [request_id, template_id, count] :
       std::vector<std::tuple<std::string, std::string, int64_t>>{
           {"c1", "triple", 5}, {"c2", "flyer-10", 6}}) {
    NothingChanged nothing(t.store());
    auto conflict = Generate(
        t.ledger(), GenerateRequest(request_id, "b-1", template_id, count));
    CHECK(CodeOf(conflict) == absl::StatusCode::kFailedPrecondition);
    CHECK(ReasonOfResult(conflict) == v1::ERROR_REASON_COUPON_BATCH_CONFLICT);
    CHECK(absl::StrContains(conflict.status().message(), "batch_id"));
    nothing.CheckOnlyRequestRemembered();
  }
  {
    NothingChanged nothing(t.store());
    auto unknown =
        Generate(t.ledger(), GenerateRequest("u1", "b-2", "no-such", 5));
    CHECK(CodeOf(unknown) == absl::StatusCode::kNotFound);
    CHECK(ReasonOfResult(unknown) ==
          v1::ERROR_REASON_COUPON_TEMPLATE_NOT_FOUND);
    nothing.CheckOnlyRequestRemembered();
  }
  {
    // A chunk past where the batch stopped is a conflict too.
    NothingChanged nothing(t.store());
    auto ahead = Chunk(t.ledger(), GenerateRequest("a1", "b-3", "flyer-10", 50),
                       /*first_index=*/10);
    CHECK(ReasonOfResult(ahead) == v1::ERROR_REASON_COUPON_BATCH_CONFLICT);
    nothing.CheckOnlyRequestRemembered();
  }
  t.RequireVerifyOk();
}

TEST_CASE(
    "a batch the budget cannot hold is refused before any code is "
    "written; an accepted batch counts whole from its first chunk",
    "[coupons][generate][budget]") {
  TestLedger t(BulkProgram());
  t.EnrollOk("alice");
  {
    NothingChanged nothing(t.store());
    auto too_big =
        Generate(t.ledger(), GenerateRequest("g1", "b-1", "budget-100", 101));
    CHECK(CodeOf(too_big) == absl::StatusCode::kFailedPrecondition);
    CHECK(ReasonOfResult(too_big) == v1::ERROR_REASON_COUPON_BUDGET_SPENT);
    nothing.CheckOnlyRequestRemembered();
  }
  REQUIRE_OK(
      Generate(t.ledger(), GenerateRequest("g2", "b-2", "budget-100", 60)));
  CHECK(IssuedOf(t, "budget-100") == 60);
  for (int i = 0; i < 40; ++i) {
    testing::IssueOk(t, absl::StrCat("i", i), "alice", "budget-100");
  }
  auto spent = testing::Issue(
      t.ledger(), testing::IssueRequest("i40", "alice", "budget-100"));
  CHECK(ReasonOfResult(spent) == v1::ERROR_REASON_COUPON_BUDGET_SPENT);
  auto one_more =
      Generate(t.ledger(), GenerateRequest("g3", "b-3", "budget-100", 1));
  CHECK(ReasonOfResult(one_more) == v1::ERROR_REASON_COUPON_BUDGET_SPENT);
  t.Reopen();
  t.RequireVerifyOk();
}

TEST_CASE(
    "malformed GenerateCoupons fields are refused with the field "
    "named, and nothing is queued",
    "[coupons][generate][validation]") {
  const int64_t now_ms = testing::kStartMs;
  auto problem = [&](v1::GenerateCouponsRequest request) {
    return ValidateGenerateCoupons(request, now_ms);
  };
  CHECK(problem(GenerateRequest("g", "b-1", "flyer-10", 1)).ok());
  struct Case {
    v1::GenerateCouponsRequest request;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({GenerateRequest("g", "", "flyer-10", 1), "batch_id"});
  cases.push_back({GenerateRequest("g", "a b", "flyer-10", 1), "batch_id"});
  cases.push_back(
      {GenerateRequest("g", std::string(65, 'b'), "flyer-10", 1), "batch_id"});
  cases.push_back({GenerateRequest("g", "b-1", "", 1), "template_id"});
  cases.push_back({GenerateRequest("g", "b-1", "flyer-10", 0), "count"});
  cases.push_back({GenerateRequest("g", "b-1", "flyer-10", -3), "count"});
  cases.push_back(
      {GenerateRequest("g", "b-1", "flyer-10", kCouponBatchCountMax + 1),
       "count"});
  cases.push_back({GenerateRequest("", "b-1", "flyer-10", 1), "request_id"});
  cases.push_back({GenerateRequest(std::string(101, 'r'), "b-1", "flyer-10", 1),
                   "context.request_id"});
  v1::GenerateCouponsRequest from_till =
      GenerateRequest("g", "b-1", "flyer-10", 1);
  from_till.mutable_context()->set_channel(v1::CHANNEL_POS);
  cases.push_back({from_till, "context.channel"});
  for (const Case& c : cases) {
    INFO(c.request.ShortDebugString());
    absl::Status refused = problem(c.request);
    CHECK(refused.code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(refused.message(), c.field));
  }
  // The chunk command checks its own fields before queueing.
  TestLedger t(BulkProgram());
  NothingChanged nothing(t.store());
  for (int64_t first_index : {int64_t{-1}, int64_t{5}, int64_t{6}}) {
    auto chunk = Chunk(t.ledger(), GenerateRequest("g", "b-1", "flyer-10", 5),
                       first_index);
    CHECK(CodeOf(chunk) == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(chunk.status().message(), "first_index"));
  }
  auto no_count =
      Chunk(t.ledger(), GenerateRequest("g", "b-1", "flyer-10", 0), 0);
  CHECK(CodeOf(no_count) == absl::StatusCode::kInvalidArgument);
  nothing.Check();
}

// ---------------------------------------------------------------------------
// Bearer use.

TEST_CASE(
    "any member may use a bearer code, as often as it allows; of "
    "members racing for it exactly its uses succeed",
    "[coupons][bearer][concurrency]") {
  TestLedger t(BulkProgram());
  for (int m = 0; m < 8; ++m) t.EnrollOk(absl::StrCat("m", m));
  auto generated =
      Generate(t.ledger(), GenerateRequest("g1", "b-1", "triple", 2));
  REQUIRE_OK(generated);
  const std::string code = FormatCouponCode(generated->codes[0]);
  std::atomic<int> succeeded{0};
  std::atomic<int> used_up{0};
  std::vector<std::thread> members;
  for (int m = 0; m < 8; ++m) {
    members.emplace_back([&, m] {
      for (int i = 0; i < 4; ++i) {
        auto result = RedeemAtTill(t.ledger(), absl::StrCat("r", m, "-", i),
                                   absl::StrCat("m", m), code);
        if (result.ok()) {
          ++succeeded;
          CHECK(result->entry().member_id() == absl::StrCat("m", m));
        } else if (ReasonOfResult(result) == v1::ERROR_REASON_COUPON_USED_UP) {
          ++used_up;
        }
      }
    });
  }
  for (std::thread& member : members) member.join();
  CHECK(succeeded.load() == 3);
  CHECK(used_up.load() == 8 * 4 - 3);
  CHECK(t.ledger().GetCoupon(code)->uses() == 3);
  t.Reopen();
  t.RequireVerifyOk();
}

TEST_CASE(
    "a template's per_member_limit bounds one member's uses of its "
    "bearer codes, at the till, at checkout and in ValidateCoupon",
    "[coupons][bearer]") {
  TestLedger t(BulkProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  auto generated =
      Generate(t.ledger(), GenerateRequest("g1", "b-1", "once-per-member", 4));
  REQUIRE_OK(generated);
  std::vector<std::string> codes;
  for (const std::string& code : generated->codes) {
    codes.push_back(FormatCouponCode(code));
  }
  REQUIRE_OK(RedeemAtTill(t.ledger(), "r1", "alice", codes[0]));
  {
    NothingChanged nothing(t.store());
    auto limited = RedeemAtTill(t.ledger(), "r2", "alice", codes[1]);
    CHECK(CodeOf(limited) == absl::StatusCode::kFailedPrecondition);
    CHECK(ReasonOfResult(limited) ==
          v1::ERROR_REASON_COUPON_BEARER_LIMIT_REACHED);
    nothing.CheckOnlyRequestRemembered();
  }
  v1::ValidateCouponRequest validate;
  *validate.mutable_context() = testing::PosContext("");
  validate.set_member_id("alice");
  validate.set_code(codes[1]);
  CHECK(ReasonOfResult(t.ledger().ValidateCoupon(validate)) ==
        v1::ERROR_REASON_COUPON_BEARER_LIMIT_REACHED);
  validate.set_member_id("bob");
  REQUIRE_OK(t.ledger().ValidateCoupon(validate));
  // Two codes of the template on one order: the second passes bob's limit.
  v1::EarnRequest order = testing::EarnWithLines("e1", "bob", "o1", "EUR",
                                                 {testing::Line("A", 1, 1000)});
  order.add_coupon_codes(codes[1]);
  order.add_coupon_codes(codes[2]);
  {
    NothingChanged nothing(t.store());
    auto both = CallLedger<EarnCommand>(t.ledger(), kPos, order);
    CHECK(ReasonOfResult(both) == v1::ERROR_REASON_COUPON_BEARER_LIMIT_REACHED);
    CHECK(absl::StrContains(both.status().message(), "coupon_codes[1]"));
    nothing.CheckOnlyRequestRemembered();
  }
  CHECK(ReasonOfResult(t.ledger().QuoteEarn(order)) ==
        v1::ERROR_REASON_COUPON_BEARER_LIMIT_REACHED);
  order.mutable_context()->set_request_id("e2");
  order.mutable_coupon_codes()->RemoveLast();
  auto earned = CallLedger<EarnCommand>(t.ledger(), kPos, order);
  REQUIRE_OK(earned);
  CHECK(t.ledger().GetCoupon(codes[1])->uses() == 1);

  // A whole return gives the use back to the code, not to bob.
  v1::ReturnRequest whole;
  *whole.mutable_context() = testing::PosContext("ret-1");
  whole.set_member_id("bob");
  whole.set_order_id("o1");
  v1::ReturnLine* line = whole.add_lines();
  line->set_sku("A");
  line->set_quantity(1);
  REQUIRE_OK(CallLedger<ReturnCommand>(t.ledger(), kPos, whole));
  CHECK(t.ledger().GetCoupon(codes[1])->uses() == 0);
  CHECK(ReasonOfResult(RedeemAtTill(t.ledger(), "r3", "bob", codes[1])) ==
        v1::ERROR_REASON_COUPON_BEARER_LIMIT_REACHED);
  t.EnrollOk("carol");
  REQUIRE_OK(RedeemAtTill(t.ledger(), "r4", "carol", codes[1]));
  t.Reopen();
  t.RequireVerifyOk();
}

TEST_CASE("an owned coupon stays its owner's while bearer codes are anyone's",
          "[coupons][bearer]") {
  TestLedger t(BulkProgram());
  t.EnrollOk("alice");
  t.EnrollOk("mallory");
  const std::string owned = testing::IssueOk(t, "i1", "alice", "flyer-10");
  auto generated =
      Generate(t.ledger(), GenerateRequest("g1", "b-1", "flyer-10", 1));
  REQUIRE_OK(generated);
  auto not_hers = RedeemAtTill(t.ledger(), "m1", "mallory", owned);
  CHECK(ReasonOfResult(not_hers) == v1::ERROR_REASON_COUPON_NOT_FOUND);
  REQUIRE_OK(RedeemAtTill(t.ledger(), "m2", "mallory",
                          FormatCouponCode(generated->codes[0])));
  t.RequireVerifyOk();
}

// ---------------------------------------------------------------------------
// Verify.

// Verify's problems, which must not be empty.
std::vector<std::string> VerifyProblems(TestLedger& t) {
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK_FALSE(verified->ok());
  return {verified->problems().begin(), verified->problems().end()};
}

bool Names(const std::vector<std::string>& problems, absl::string_view what) {
  for (const std::string& problem : problems) {
    if (absl::StrContains(problem, what)) return true;
  }
  return false;
}

TEST_CASE(
    "Verify finds a batch, a bearer coupon or a bearer use count that "
    "differs from the entries",
    "[coupons][generate][verify]") {
  TestLedger t(BulkProgram());
  t.EnrollOk("alice");
  auto generated =
      Generate(t.ledger(), GenerateRequest("g1", "b-1", "once-per-member", 3));
  REQUIRE_OK(generated);
  REQUIRE_OK(RedeemAtTill(t.ledger(), "r1", "alice",
                          FormatCouponCode(generated->codes[0])));
  t.RequireVerifyOk();

  SECTION("a batch's count") {
    storage::v1::CouponBatchRecord forged;
    REQUIRE(forged.ParseFromString(
        *t.store().Get(Family::kCouponBatches, CouponBatchKey("b-1"))));
    forged.set_generated(2);
    t.store().PutRaw(Family::kCouponBatches, CouponBatchKey("b-1"),
                     forged.SerializeAsString());
    CHECK(Names(VerifyProblems(t), "coupon batch"));
  }
  SECTION("a bearer coupon given an owner") {
    storage::v1::CouponRecord forged;
    REQUIRE(forged.ParseFromString(
        *t.store().Get(Family::kCoupons, generated->codes[1])));
    forged.set_member_id("alice");
    t.store().PutRaw(Family::kCoupons, generated->codes[1],
                     forged.SerializeAsString());
    CHECK(Names(VerifyProblems(t), "coupon"));
  }
  SECTION("a member's bearer uses") {
    const std::string key = CouponBearerUsesKey("once-per-member", "alice");
    storage::v1::CouponBearerUses forged;
    REQUIRE(
        forged.ParseFromString(*t.store().Get(Family::kCouponBearerUses, key)));
    CHECK(forged.uses() == 1);
    forged.set_uses(0);  // Would let alice use another code.
    t.store().PutRaw(Family::kCouponBearerUses, key,
                     forged.SerializeAsString());
    CHECK(Names(VerifyProblems(t), "bearer uses"));
  }
  SECTION(
      "a generated entry that names a member, resealed as a forger "
      "would") {
    auto last =
        Generate(t.ledger(), GenerateRequest("g2", "b-2", "flyer-10", 2));
    REQUIRE_OK(last);
    const uint64_t sequence = last->chunks[0].sequence();
    storage::v1::StoredEntry stored;
    REQUIRE(stored.ParseFromString(
        *t.store().Get(Family::kEntries, EntryKey(sequence))));
    v1::LedgerEntry entry;
    REQUIRE(entry.ParseFromString(stored.body()));
    entry.set_member_id("alice");
    stored.set_body(entry.SerializeAsString());
    stored.set_hash(ChainHash(entry.prev_hash(), stored.body()));
    t.store().PutRaw(Family::kEntries, EntryKey(sequence),
                     stored.SerializeAsString());
    CHECK(Names(VerifyProblems(t), "an entry of no member names a member"));
  }
}

TEST_CASE("a bearer code cannot be reserved: it is used at once",
          "[coupons][bulk][reservations]") {
  TestLedger t(BulkProgram());
  t.EnrollOk("alice");
  auto generated = Generate(t.ledger(), GenerateRequest("g1", "b1", "triple", 1));
  REQUIRE_OK(generated);
  REQUIRE(generated->codes.size() == 1);
  v1::ReserveCouponRequest reserve;
  *reserve.mutable_context() = testing::AppContext("r1");
  reserve.set_member_id("alice");
  reserve.set_code(FormatCouponCode(generated->codes[0]));
  reserve.set_order_id("web-1");
  reserve.set_timeout_ms(60'000);
  NothingChanged nothing(t.store());
  auto refused = CallLedger<ReserveCouponCommand>(t.ledger(), testing::kApp,
                                                  reserve);
  CHECK(CodeOf(refused) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(refused) ==
        v1::ERROR_REASON_COUPON_BEARER_NOT_RESERVABLE);
  nothing.CheckOnlyRequestRemembered();
  // Used at once instead.
  REQUIRE_OK(RedeemAtTill(t.ledger(), "till-1", "alice",
                          FormatCouponCode(generated->codes[0])));
  t.RequireVerifyOk();
}

}  // namespace
}  // namespace loyalty
