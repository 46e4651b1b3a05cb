// The single writer under load (ledger/engine/ledger.h): concurrent redemptions
// never overdraw (promise 5), the bounded queue answers RESOURCE_EXHAUSTED
// when full, and Shutdown drains what was queued before it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using namespace loyalty::testing;  // NOLINT: test helpers.
using std::chrono::milliseconds;

bool IsReady(const std::future<absl::StatusOr<EarnResponse>>& f) {
  return f.wait_for(milliseconds(0)) == std::future_status::ready;
}

TEST_CASE("16 threads redeeming at once never overdraw one member",
          "[concurrency][redeem]") {
  TestLedger t;
  t.EnrollOk("alice");
  constexpr int64_t kInitial = 10'000;
  t.CreditOk("alice", kInitial);

  constexpr int kThreads = 16;
  constexpr int kRedeemsPerThread = 40;
  std::atomic<int64_t> redeemed_ok{0};
  std::atomic<int> ok_count{0};
  std::atomic<int> refused_count{0};
  std::atomic<int> other_outcomes{0};
  std::atomic<int> retry_mismatches{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // Each thread uses its own principal, as separate terminals would.
      const Caller caller{absl::StrCat("pos-", i)};
      for (int j = 0; j < kRedeemsPerThread; ++j) {
        const int64_t points = (i * 7 + j * 13) % 50 + 1;
        RedeemRequest request = RedeemPoints(
            absl::StrCat("x-", j), "alice", absl::StrCat("o-", i, "-", j),
            points);
        auto first = Redeem(t.ledger(), caller, request);
        // A retry (a POS timing out) must change nothing and agree.
        auto retry = Redeem(t.ledger(), caller, request);
        if (first.ok()) {
          redeemed_ok += points;
          ++ok_count;
          if (!retry.ok() || !retry->replayed() ||
              retry->entry().sequence() != first->entry().sequence()) {
            ++retry_mismatches;
          }
        } else if (absl::IsFailedPrecondition(first.status())) {
          ++refused_count;
          if (!absl::IsFailedPrecondition(retry.status())) ++retry_mismatches;
        } else {
          ++other_outcomes;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();

  CHECK(other_outcomes == 0);
  CHECK(retry_mismatches == 0);
  CHECK(ok_count + refused_count == kThreads * kRedeemsPerThread);
  CHECK(refused_count > 0);  // The demand (~16,000) exceeds the credit.

  auto balance = t.ledger().GetBalance("alice");
  REQUIRE_OK(balance);
  CHECK(balance->available_points() >= 0);
  CHECK(balance->available_points() == kInitial - redeemed_ok.load());
  CHECK(balance->redeemed_points_total() == redeemed_ok.load());
  CHECK(balance->entry_count() == static_cast<uint64_t>(2 + ok_count.load()));

  // The balance is the sum of the member's entries, read page by page.
  std::vector<LedgerEntry> entries = ListAll(t.ledger(), "alice", 7);
  CHECK(entries.size() == balance->entry_count());
  int64_t sum = 0;
  int redeem_entries = 0;
  for (const LedgerEntry& entry : entries) {
    sum += entry.points_delta();
    if (entry.kind() == v1::ENTRY_KIND_REDEEM) ++redeem_entries;
    CHECK(entry.available_after_points() >= 0);
  }
  CHECK(sum == balance->available_points());
  CHECK(redeem_entries == ok_count.load());
  t.RequireVerifyOk();
  // The writer grouped commands (more commands than batches is the point).
  WriterStats stats = t.ledger().stats();
  CHECK(stats.entries == static_cast<uint64_t>(2 + ok_count.load()));
}

TEST_CASE("a full queue answers RESOURCE_EXHAUSTED and queues nothing",
          "[concurrency][queue]") {
  ManualClock clock(kStartMs);
  MemoryStore memory;
  GatedStore gated(&memory);
  auto opened = Ledger::Open(&gated, TestProgram(), &clock,
                             LedgerOptions{.queue_commands_max = 1,
                                           .batch_commands_max = 16,
                                           .on_write_failure = nullptr});
  REQUIRE_OK(opened);
  Ledger& ledger = **opened;
  GateOpener opener(gated);
  REQUIRE_OK(Enroll(ledger, kApp, EnrollRequest("e1", "alice")));
  REQUIRE_OK(Adjust(ledger, kAdmin, AdjustPoints("a1", "alice", 100)));

  // Hold the syncer inside the Write of command A, and the writer with B,
  // decided and waiting to hand it over.
  gated.Arm();
  auto a = RedeemAsync(ledger, kApp, RedeemPoints("x-a", "alice", "o", 10));
  gated.WaitUntilBlocked();
  auto b = RedeemAsync(ledger, kApp, RedeemPoints("x-b", "alice", "o", 10));
  WaitUntilWriterTookQueue(ledger);
  // B2 fills the one-command queue.
  auto b2 = RedeemAsync(ledger, kApp, RedeemPoints("x-b2", "alice", "o", 10));
  CHECK(ledger.stats().queue_depth == 1);
  // C finds it full and is answered at once, on this thread.
  auto c = RedeemAsync(ledger, kApp, RedeemPoints("x-c", "alice", "o", 10));
  REQUIRE(c.wait_for(milliseconds(0)) == std::future_status::ready);
  auto c_result = c.get();
  INFO(StatusText(c_result));
  REQUIRE(CodeOf(c_result) == absl::StatusCode::kResourceExhausted);
  CHECK(ReasonOf(c_result.status()) == v1::ERROR_REASON_OVERLOADED);
  CHECK(a.wait_for(milliseconds(0)) == std::future_status::timeout);

  gated.Release();
  REQUIRE_OK(a.get());
  REQUIRE_OK(b.get());
  REQUIRE_OK(b2.get());
  auto balance = ledger.GetBalance("alice");
  REQUIRE_OK(balance);
  CHECK(balance->available_points() == 70);
  for (const LedgerEntry& entry : AllEntries(memory)) {
    CHECK(entry.request_id() != "x-c");
  }
  // C was never remembered: sent again, it is applied, not replayed.
  auto c_again =
      Redeem(ledger, kApp, RedeemPoints("x-c", "alice", "o", 10));
  REQUIRE_OK(c_again);
  CHECK_FALSE(c_again->replayed());
  CHECK(c_again->balance().available_points() == 60);
}

TEST_CASE("Shutdown completes every queued command and then refuses new ones",
          "[concurrency][shutdown]") {
  ManualClock clock(kStartMs);
  MemoryStore memory;
  GatedStore gated(&memory);
  auto opened =
      Ledger::Open(&gated, TestProgram(), &clock, LedgerOptions{});
  REQUIRE_OK(opened);
  std::unique_ptr<Ledger> ledger = std::move(*opened);
  GateOpener opener(gated);
  REQUIRE_OK(Enroll(*ledger, kApp, EnrollRequest("e1", "alice")));

  // Hold the syncer (and then the writer), then queue 20 earns behind the
  // held one.
  gated.Arm();
  const EarnRequest held = EarnEur("r-held", "alice", "o-held", {1000});
  std::vector<std::future<absl::StatusOr<EarnResponse>>> queued;
  queued.push_back(EarnAsync(*ledger, kPos, held));
  gated.WaitUntilBlocked();
  for (int i = 0; i < 20; ++i) {
    queued.push_back(EarnAsync(
        *ledger, kPos,
        EarnEur(absl::StrCat("r", i), "alice", absl::StrCat("o", i), {100})));
  }

  std::jthread shutdown([&] { ledger->Shutdown(); });
  GateOpener opener_before_join(gated);
  // Wait until Shutdown stops accepting: probe with retries of the held
  // earn. A probe still accepted is queued (and will replay); the first one
  // answered at once was refused by Shutdown.
  std::vector<std::future<absl::StatusOr<EarnResponse>>> accepted_probes;
  absl::StatusOr<EarnResponse> refused_probe;
  for (int attempts = 0;; ++attempts) {
    REQUIRE(attempts < 10'000);
    auto probe = EarnAsync(*ledger, kPos, held);
    if (IsReady(probe)) {
      refused_probe = probe.get();
      break;
    }
    accepted_probes.push_back(std::move(probe));
    std::this_thread::sleep_for(milliseconds(1));
  }
  INFO(StatusText(refused_probe));
  REQUIRE(CodeOf(refused_probe) == absl::StatusCode::kUnavailable);
  CHECK(ReasonOf(refused_probe.status()) == v1::ERROR_REASON_UNAVAILABLE);
  // Shutdown is now draining a queue that still holds all 20.
  CHECK_FALSE(IsReady(queued.back()));

  gated.Release();
  shutdown.join();
  ledger->Shutdown();  // Idempotent.

  int64_t points = 0;
  for (auto& f : queued) {
    auto result = f.get();
    REQUIRE_OK(result);
    CHECK_FALSE(result->replayed());
    points += result->points_earned();
    // Durable: the acknowledged entry is in the store.
    CHECK(ReadEntry(memory, result->entry().sequence()).hash() ==
          result->entry().hash());
  }
  CHECK(points == 10 + 20 * 1);
  for (auto& f : accepted_probes) {
    auto result = f.get();
    REQUIRE_OK(result);
    CHECK(result->replayed());
  }

  // After Shutdown: UNAVAILABLE, nothing written.
  NothingChanged nothing(memory);
  auto late = Earn(*ledger, kPos, EarnEur("r-late", "alice", "o-late", {100}));
  REQUIRE(CodeOf(late) == absl::StatusCode::kUnavailable);
  CHECK(ReasonOf(late.status()) == v1::ERROR_REASON_UNAVAILABLE);
  auto late_enroll = Enroll(*ledger, kApp, EnrollRequest("e2", "bob"));
  CHECK(CodeOf(late_enroll) == absl::StatusCode::kUnavailable);
  nothing.Check();
  // Reads still work.
  auto balance = ledger->GetBalance("alice");
  REQUIRE_OK(balance);
  CHECK(balance->available_points() == 30);

  // A new process over the same store sees all of it.
  ledger.reset();
  auto reopened = Ledger::Open(&memory, TestProgram(), &clock, LedgerOptions{});
  REQUIRE_OK(reopened);
  CHECK(ValueOrFail((*reopened)->GetBalance("alice")).available_points() ==
        30);
  auto verified = (*reopened)->Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
  CHECK(verified->last_sequence() == 22);
}

TEST_CASE("an idle ledger shuts down at once and refuses every mutation",
          "[concurrency][shutdown]") {
  TestLedger t;
  t.EnrollOk("alice");
  t.ledger().Shutdown();
  NothingChanged nothing(t.store());
  CHECK(CodeOf(Earn(t.ledger(), kPos, EarnEur("r", "alice", "o", {100}))) ==
        absl::StatusCode::kUnavailable);
  CHECK(CodeOf(Redeem(t.ledger(), kApp, RedeemPoints("x", "alice", "o", 1))) ==
        absl::StatusCode::kUnavailable);
  CHECK(CodeOf(Adjust(t.ledger(), kAdmin, AdjustPoints("a", "alice", 1))) ==
        absl::StatusCode::kUnavailable);
  // Validation still comes first: malformed is INVALID_ARGUMENT.
  CHECK(CodeOf(Redeem(t.ledger(), kApp, RedeemPoints("x", "alice", "o", 0))) ==
        absl::StatusCode::kInvalidArgument);
  nothing.Check();
}

TEST_CASE("opening a ledger with a zero queue or batch limit is refused",
          "[concurrency][options]") {
  ManualClock clock(kStartMs);
  MemoryStore memory;
  auto no_queue = Ledger::Open(
      &memory, TestProgram(), &clock,
      LedgerOptions{.queue_commands_max = 0, .on_write_failure = nullptr});
  CHECK(CodeOf(no_queue) == absl::StatusCode::kInvalidArgument);
  auto no_batch = Ledger::Open(
      &memory, TestProgram(), &clock,
      LedgerOptions{.batch_commands_max = 0, .on_write_failure = nullptr});
  CHECK(CodeOf(no_batch) == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("commands in one batch see each other's effects",
          "[concurrency][batch]") {
  // Hold the syncer and the writer so that everything below lands in one
  // batch.
  ManualClock clock(kStartMs);
  MemoryStore memory;
  GatedStore gated(&memory);
  auto opened = Ledger::Open(&gated, TestProgram(), &clock, LedgerOptions{});
  REQUIRE_OK(opened);
  Ledger& ledger = **opened;
  GateOpener opener(gated);
  REQUIRE_OK(Enroll(ledger, kApp, EnrollRequest("e0", "bob")));
  gated.Arm();
  auto warmup = AdjustAsync(ledger, kAdmin, AdjustPoints("w", "bob", 1));
  gated.WaitUntilBlocked();
  auto second = AdjustAsync(ledger, kAdmin, AdjustPoints("w2", "bob", 1));
  WaitUntilWriterTookQueue(ledger);

  auto enroll = EnrollAsync(ledger, kApp, EnrollRequest("e1", "alice"));
  auto enroll_again = EnrollAsync(ledger, kApp, EnrollRequest("e2", "alice"));
  auto earn = EarnAsync(ledger, kPos, EarnEur("r1", "alice", "o1", {5000}));
  auto same_order = EarnAsync(ledger, kPos, EarnEur("r2", "alice", "o1", {5000}));
  auto retry = EarnAsync(ledger, kPos, EarnEur("r1", "alice", "o1", {5000}));
  auto redeem = RedeemAsync(ledger, kApp, RedeemPoints("x1", "alice", "o2", 50));
  auto overdraw = RedeemAsync(ledger, kApp, RedeemPoints("x2", "alice", "o3", 1));
  gated.Release();

  REQUIRE_OK(warmup.get());
  REQUIRE_OK(second.get());
  REQUIRE_OK(enroll.get());
  CHECK(CodeOf(enroll_again.get()) == absl::StatusCode::kAlreadyExists);
  auto earned = earn.get();
  REQUIRE_OK(earned);
  CHECK(CodeOf(same_order.get()) == absl::StatusCode::kAlreadyExists);
  auto replayed = retry.get();
  REQUIRE_OK(replayed);
  CHECK(replayed->replayed());
  CHECK(replayed->entry().sequence() == earned->entry().sequence());
  auto spent = redeem.get();
  REQUIRE_OK(spent);
  CHECK(spent->balance().available_points() == 0);
  CHECK(CodeOf(overdraw.get()) == absl::StatusCode::kFailedPrecondition);

  auto verified = ledger.Verify();
  REQUIRE_OK(verified);
  INFO(verified->ShortDebugString());
  CHECK(verified->ok());
}

TEST_CASE(
    "the writer decides the next batch while the one before syncs, seeing "
    "its points, its orders and its request ids",
    "[concurrency][pipeline]") {
  // With no member cache every read goes through the pending write set;
  // with one, members come from the cache as the batch before left them.
  const size_t member_cache_max = GENERATE(size_t{0}, size_t{65'536});
  ManualClock clock(kStartMs);
  MemoryStore memory;
  GatedStore gated(&memory);
  auto opened = Ledger::Open(&gated, TestProgram(), &clock,
                             LedgerOptions{.member_cache_max = member_cache_max,
                                           .on_write_failure = nullptr});
  REQUIRE_OK(opened);
  Ledger& ledger = **opened;
  GateOpener opener(gated);
  REQUIRE_OK(Enroll(ledger, kApp, EnrollRequest("e1", "alice")));

  // Each round holds batch N (one command) in its Write, so nothing of it
  // is stored yet, and lets the writer decide batch N+1 (one command that
  // depends on N) before N is released.
  auto hold_batch = [&]() { gated.Arm(); };
  auto held = [&]() { gated.WaitUntilBlocked(); };
  auto decide_behind = [&]() { WaitUntilWriterTookQueue(ledger); };

  // N+1 spends the points N earns.
  hold_batch();
  auto earned = EarnAsync(ledger, kPos, EarnEur("r1", "alice", "o1", {5000}));
  held();
  auto spend_all =
      RedeemAsync(ledger, kApp, RedeemPoints("x1", "alice", "o2", 50));
  decide_behind();
  // Nothing of N is stored yet.
  CHECK(ValueOrFail(ledger.GetBalance("alice")).available_points() == 0);
  CHECK(spend_all.wait_for(milliseconds(0)) == std::future_status::timeout);
  gated.Release();
  auto earned_result = earned.get();
  REQUIRE_OK(earned_result);
  auto spent = spend_all.get();
  REQUIRE_OK(spent);
  CHECK(spent->balance().available_points() == 0);
  CHECK(spent->entry().sequence() == earned_result->entry().sequence() + 1);

  // N+1 overdraws what N left.
  REQUIRE_OK(Adjust(ledger, kAdmin, AdjustPoints("a1", "alice", 30)));
  hold_batch();
  auto spend_30 =
      RedeemAsync(ledger, kApp, RedeemPoints("x2", "alice", "o3", 30));
  held();
  auto overdraw =
      RedeemAsync(ledger, kApp, RedeemPoints("x3", "alice", "o4", 1));
  decide_behind();
  gated.Release();
  REQUIRE_OK(spend_30.get());
  auto refused = overdraw.get();
  CHECK(CodeOf(refused) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOf(refused.status()) == v1::ERROR_REASON_INSUFFICIENT_POINTS);

  // N+1 retries N's request: replayed, not applied twice.
  const EarnRequest earn = EarnEur("r2", "alice", "o5", {1000});
  hold_batch();
  auto first = EarnAsync(ledger, kPos, earn);
  held();
  auto retry = EarnAsync(ledger, kPos, earn);
  decide_behind();
  gated.Release();
  auto first_result = first.get();
  REQUIRE_OK(first_result);
  auto replayed = retry.get();
  REQUIRE_OK(replayed);
  CHECK(replayed->replayed());
  CHECK(replayed->entry().SerializeAsString() ==
        first_result->entry().SerializeAsString());

  // N+1 reuses N's request id, and N's order id.
  hold_batch();
  auto third = EarnAsync(ledger, kPos, EarnEur("r3", "alice", "o6", {1000}));
  held();
  auto reused_id = EarnAsync(ledger, kPos, EarnEur("r3", "alice", "o7", {100}));
  decide_behind();
  gated.Release();
  REQUIRE_OK(third.get());
  CHECK(CodeOf(reused_id.get()) == absl::StatusCode::kAlreadyExists);
  hold_batch();
  auto fourth = EarnAsync(ledger, kPos, EarnEur("r4", "alice", "o8", {1000}));
  held();
  auto same_order =
      EarnAsync(ledger, kPos, EarnEur("r5", "alice", "o8", {100}));
  decide_behind();
  gated.Release();
  REQUIRE_OK(fourth.get());
  CHECK(CodeOf(same_order.get()) == absl::StatusCode::kAlreadyExists);

  CHECK(ValueOrFail(ledger.GetBalance("alice")).available_points() == 30);
  auto verified = ledger.Verify();
  REQUIRE_OK(verified);
  INFO(verified->ShortDebugString());
  CHECK(verified->ok());
}

}  // namespace
}  // namespace loyalty
