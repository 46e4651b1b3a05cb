// File: tests/ledger/ledger_test_util.h
//
// What the ledger core's tests share: a valid test program, synchronous
// wrappers over the Ledger's callback API, request builders, a dump of every
// store family (to prove "nothing changed"), a temp-dir RAII helper and a
// store whose Write can be held on a gate (to fill the queue or to shut down
// with commands still queued).
//
// Usage:
//   TestLedger t;                       // MemoryStore + ManualClock + Ledger
//   t.EnrollOk("alice");
//   auto earned = Earn(t.ledger(), kPos, EarnEur("r1", "alice", "o1", {12999}));
//   REQUIRE_OK(earned);
#ifndef LOYALTY_TESTS_LEDGER_LEDGER_TEST_UTIL_H_
#define LOYALTY_TESTS_LEDGER_LEDGER_TEST_UTIL_H_

#include <stdlib.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "ledger/common/clock.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/commands.h"
#include "ledger/engine/ledger.h"
#include "ledger/points/sweep.h"
#include "ledger/common/program.h"
#include "ledger/common/random_source.h"
#include "ledger/coupons/codes.h"
#include "ledger/common/status_util.h"
#include "ledger/storage/ledger_store.h"
#include "ledger/storage/memory_store.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty::testing {

using loyalty::v1::AdjustRequest;
using loyalty::v1::AdjustResponse;
using loyalty::v1::BasketLine;
using loyalty::v1::EarnRequest;
using loyalty::v1::EarnResponse;
using loyalty::v1::EnrollMemberRequest;
using loyalty::v1::EnrollMemberResponse;
using loyalty::v1::LedgerEntry;
using loyalty::v1::ListEntriesRequest;
using loyalty::v1::ProgramConfig;
using loyalty::v1::RedeemRequest;
using loyalty::v1::RedeemResponse;
using loyalty::v1::RequestContext;

// A fresh canonical coupon code: nobody's, as good as certainly.
inline std::string UnknownCode() {
  static SystemRandomSource random;
  return NewCouponCode(random);
}

// 2023-11-14T22:13:20Z; any fixed instant will do.
inline constexpr int64_t kStartMs = 1'700'000'000'000;

inline const Caller kPos{"pos-17"};
inline const Caller kApp{"app-backend"};
inline const Caller kAdmin{"ops-admin"};

// ---------------------------------------------------------------------------
// Status helpers. Catch2 prints these through INFO on failure.

inline std::string StatusText(const absl::Status& status) {
  return status.ToString();
}
template <typename T>
std::string StatusText(const absl::StatusOr<T>& result) {
  return result.status().ToString();
}

#define REQUIRE_OK(expr)                                       \
  do {                                                         \
    const auto& require_ok_value_ = (expr);                    \
    INFO(::loyalty::testing::StatusText(require_ok_value_));   \
    REQUIRE(require_ok_value_.ok());                           \
  } while (false)

// The status code of a Status or StatusOr.
inline absl::StatusCode CodeOf(const absl::Status& status) {
  return status.code();
}
template <typename T>
absl::StatusCode CodeOf(const absl::StatusOr<T>& result) {
  return result.status().code();
}
inline std::string MessageOf(const absl::Status& status) {
  return std::string(status.message());
}
template <typename T>
std::string MessageOf(const absl::StatusOr<T>& result) {
  return std::string(result.status().message());
}

// The value of an OK result; fails the test (with the status) otherwise.
template <typename T>
T ValueOrFail(absl::StatusOr<T> result) {
  REQUIRE_OK(result);
  return *std::move(result);
}

// ---------------------------------------------------------------------------
// Programs.

inline v1::EarnRate Rate(std::string rule_id, std::string currency,
                         int64_t spend_minor_per_step,
                         int64_t points_per_step) {
  v1::EarnRate rate;
  rate.set_rule_id(std::move(rule_id));
  rate.set_currency(std::move(currency));
  rate.set_spend_minor_per_step(spend_minor_per_step);
  rate.set_points_per_step(points_per_step);
  return rate;
}

// 1 pt per 1.00 EUR and per 1.00 USD (floor of the basket total).
inline ProgramConfig TestProgram() {
  ProgramConfig program;
  program.set_program_id("test-program");
  program.set_display_name("Test Rewards");
  *program.add_earn_rates() = Rate("base-eur", "EUR", 100, 1);
  *program.add_earn_rates() = Rate("base-usd", "USD", 100, 1);
  return program;
}

// The most generous valid program: 10^6 points per EUR cent, and 1 point per
// USD cent; together they reach any balance up to INT64_MAX exactly.
inline ProgramConfig MegaProgram() {
  ProgramConfig program;
  program.set_program_id("mega-program");
  *program.add_earn_rates() = Rate("mega-eur", "EUR", 1, 1'000'000);
  *program.add_earn_rates() = Rate("unit-usd", "USD", 1, 1);
  return program;
}

// ---------------------------------------------------------------------------
// Request builders.

inline RequestContext AppContext(std::string request_id) {
  RequestContext context;
  context.set_request_id(std::move(request_id));
  context.set_channel(v1::CHANNEL_APP);
  return context;
}

inline RequestContext PosContext(std::string request_id,
                                 std::string store_id = "store-042",
                                 std::string terminal_id = "till-3") {
  RequestContext context;
  context.set_request_id(std::move(request_id));
  context.set_channel(v1::CHANNEL_POS);
  context.set_store_id(std::move(store_id));
  context.set_terminal_id(std::move(terminal_id));
  return context;
}

inline EnrollMemberRequest EnrollRequest(std::string request_id,
                                         std::string member_id) {
  EnrollMemberRequest request;
  *request.mutable_context() = AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  return request;
}

inline BasketLine Line(std::string sku, int64_t quantity,
                       int64_t unit_price_minor) {
  BasketLine line;
  line.set_sku(std::move(sku));
  line.set_quantity(quantity);
  line.set_unit_price_minor(unit_price_minor);
  return line;
}

inline EarnRequest EarnWithLines(std::string request_id, std::string member_id,
                                 std::string order_id, std::string currency,
                                 const std::vector<BasketLine>& lines) {
  EarnRequest request;
  *request.mutable_context() = PosContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_order_id(std::move(order_id));
  request.set_currency(std::move(currency));
  for (const BasketLine& line : lines) *request.add_lines() = line;
  return request;
}

// One line of quantity 1 per price, in EUR, from a POS terminal.
inline EarnRequest EarnEur(std::string request_id, std::string member_id,
                           std::string order_id,
                           const std::vector<int64_t>& unit_prices_minor) {
  std::vector<BasketLine> lines;
  for (size_t i = 0; i < unit_prices_minor.size(); ++i) {
    lines.push_back(Line(absl::StrCat("sku-", i), 1, unit_prices_minor[i]));
  }
  return EarnWithLines(std::move(request_id), std::move(member_id),
                       std::move(order_id), "EUR", lines);
}

inline RedeemRequest RedeemPoints(std::string request_id,
                                  std::string member_id, std::string order_id,
                                  int64_t points) {
  RedeemRequest request;
  *request.mutable_context() = AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_order_id(std::move(order_id));
  request.set_points(points);
  return request;
}

inline AdjustRequest AdjustPoints(std::string request_id,
                                  std::string member_id, int64_t delta,
                                  std::string reason_code = "GOODWILL",
                                  std::string operator_id = "agent.kim") {
  AdjustRequest request;
  request.mutable_context()->set_request_id(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_points_delta(delta);
  request.set_reason_code(std::move(reason_code));
  request.set_operator_id(std::move(operator_id));
  return request;
}

inline ListEntriesRequest ListRequest(std::string member_id,
                                      int32_t page_size = 0,
                                      std::string page_token = "") {
  ListEntriesRequest request;
  request.set_member_id(std::move(member_id));
  request.set_page_size(page_size);
  request.set_page_token(std::move(page_token));
  return request;
}

// ---------------------------------------------------------------------------
// Synchronous wrappers: call the Ledger and wait on a promise for `done`.
// A second call of `done` would throw std::future_error (promise satisfied
// twice), so "called exactly once" is checked too.

template <typename Response>
struct PendingCall {
  Ledger::Done<Response> done;
  std::future<absl::StatusOr<Response>> result;
};

template <typename Response>
PendingCall<Response> MakePending() {
  auto promise = std::make_shared<std::promise<absl::StatusOr<Response>>>();
  PendingCall<Response> pending;
  pending.result = promise->get_future();
  pending.done = [promise](absl::StatusOr<Response> r) mutable {
    promise->set_value(std::move(r));
  };
  return pending;
}

inline std::future<absl::StatusOr<EnrollMemberResponse>> EnrollAsync(
    Ledger& ledger, const Caller& caller, EnrollMemberRequest request) {
  auto pending = MakePending<EnrollMemberResponse>();
  ledger.Submit<EnrollMemberCommand>(caller, std::move(request), std::move(pending.done));
  return std::move(pending.result);
}
inline std::future<absl::StatusOr<EarnResponse>> EarnAsync(
    Ledger& ledger, const Caller& caller, EarnRequest request) {
  auto pending = MakePending<EarnResponse>();
  ledger.Submit<EarnCommand>(caller, std::move(request), std::move(pending.done));
  return std::move(pending.result);
}
inline std::future<absl::StatusOr<RedeemResponse>> RedeemAsync(
    Ledger& ledger, const Caller& caller, RedeemRequest request) {
  auto pending = MakePending<RedeemResponse>();
  ledger.Submit<RedeemCommand>(caller, std::move(request), std::move(pending.done));
  return std::move(pending.result);
}
inline std::future<absl::StatusOr<AdjustResponse>> AdjustAsync(
    Ledger& ledger, const Caller& caller, AdjustRequest request) {
  auto pending = MakePending<AdjustResponse>();
  ledger.Submit<AdjustCommand>(caller, std::move(request), std::move(pending.done));
  return std::move(pending.result);
}

inline absl::StatusOr<v1::RecordEventResponse> RecordEvent(
    Ledger& ledger, const Caller& caller, v1::RecordEventRequest request) {
  auto pending = MakePending<v1::RecordEventResponse>();
  ledger.Submit<RecordEventCommand>(caller, std::move(request), std::move(pending.done));
  return pending.result.get();
}

inline absl::StatusOr<EnrollMemberResponse> Enroll(
    Ledger& ledger, const Caller& caller, EnrollMemberRequest request) {
  return EnrollAsync(ledger, caller, std::move(request)).get();
}
inline absl::StatusOr<EarnResponse> Earn(Ledger& ledger, const Caller& caller,
                                         EarnRequest request) {
  return EarnAsync(ledger, caller, std::move(request)).get();
}
inline absl::StatusOr<RedeemResponse> Redeem(Ledger& ledger,
                                             const Caller& caller,
                                             RedeemRequest request) {
  return RedeemAsync(ledger, caller, std::move(request)).get();
}
inline absl::StatusOr<AdjustResponse> Adjust(Ledger& ledger,
                                             const Caller& caller,
                                             AdjustRequest request) {
  return AdjustAsync(ledger, caller, std::move(request)).get();
}

// ---------------------------------------------------------------------------
// Store inspection.

// Every key and value of every family: two equal dumps mean nothing changed.
using StoreDump = std::array<std::map<std::string, std::string>, kFamilyCount>;

inline StoreDump DumpStore(const StoreReader& store) {
  StoreDump dump;
  for (int f = 0; f < kFamilyCount; ++f) {
    absl::Status scanned = store.Scan(
        static_cast<Family>(f), "", "", /*reverse=*/false,
        [&](absl::string_view key, absl::string_view value) {
          dump[f].emplace(std::string(key), std::string(value));
          return true;
        });
    REQUIRE(scanned.ok());
  }
  return dump;
}

inline size_t FamilySize(const StoreReader& store, Family family) {
  return DumpStore(store)[static_cast<int>(family)].size();
}

// Every entry of the ledger in sequence order, decoded as the ledger does
// (UnsealEntry), so `hash` is set.
inline std::vector<LedgerEntry> AllEntries(const StoreReader& store) {
  std::vector<LedgerEntry> entries;
  absl::Status scanned = store.Scan(
      Family::kEntries, "", "", false,
      [&](absl::string_view, absl::string_view value) {
        absl::StatusOr<LedgerEntry> entry = UnsealEntry(value);
        REQUIRE_OK(entry);
        entries.push_back(std::move(*entry));
        return true;
      });
  REQUIRE(scanned.ok());
  return entries;
}

// The stored bytes of entry `sequence` (a storage::v1::StoredEntry).
inline storage::v1::StoredEntry ReadStoredEntry(const StoreReader& store,
                                       uint64_t sequence) {
  absl::StatusOr<std::string> bytes =
      store.Get(Family::kEntries, EntryKey(sequence));
  REQUIRE_OK(bytes);
  storage::v1::StoredEntry stored;
  REQUIRE(stored.ParseFromString(*bytes));
  return stored;
}

// Entry `sequence`, decoded as the ledger does.
inline LedgerEntry ReadEntry(const StoreReader& store, uint64_t sequence) {
  absl::StatusOr<std::string> bytes =
      store.Get(Family::kEntries, EntryKey(sequence));
  REQUIRE_OK(bytes);
  absl::StatusOr<LedgerEntry> entry = UnsealEntry(*bytes);
  REQUIRE_OK(entry);
  return *entry;
}

inline storage::v1::LedgerHead StoredHead(const StoreReader& store) {
  absl::StatusOr<std::string> bytes =
      store.Get(Family::kMeta, std::string(kHeadKey));
  REQUIRE_OK(bytes);
  storage::v1::LedgerHead head;
  REQUIRE(head.ParseFromString(*bytes));
  return head;
}

// Every entry of one member through ListEntries paging, newest first.
inline std::vector<LedgerEntry> ListAll(const Ledger& ledger,
                                        const std::string& member_id,
                                        int32_t page_size) {
  std::vector<LedgerEntry> entries;
  std::string token;
  for (int pages = 0;; ++pages) {
    REQUIRE(pages < 100'000);  // A token loop would never end.
    auto page = ledger.ListEntries(ListRequest(member_id, page_size, token));
    REQUIRE_OK(page);
    for (const auto& entry : page->entries()) entries.push_back(entry);
    if (page->next_page_token().empty()) break;
    token = page->next_page_token();
  }
  return entries;
}

// ---------------------------------------------------------------------------
// A ledger over a MemoryStore with a ManualClock: the usual test subject.

// The identifier key test ledgers hash phones and emails with.
inline constexpr char kTestIdentifierKey[] = "test-identifier-key-0123456789";

inline LedgerOptions TestLedgerOptions() {
  LedgerOptions options;
  options.identifier_key = kTestIdentifierKey;
  return options;
}

class TestLedger {
 public:
  explicit TestLedger(ProgramConfig program = TestProgram(),
                      LedgerOptions options = TestLedgerOptions())
      : clock_(kStartMs), program_(std::move(program)), options_(options) {
    Reopen();
  }

  Ledger& ledger() { return *ledger_; }
  MemoryStore& store() { return store_; }
  ManualClock& clock() { return clock_; }

  // Shuts the ledger down and opens a new one over the same store, as a
  // restarted process would.
  void Reopen() {
    ledger_.reset();
    auto opened = Ledger::Open(&store_, program_, &clock_, options_);
    REQUIRE_OK(opened);
    ledger_ = std::move(*opened);
  }

  EnrollMemberResponse EnrollOk(const std::string& member_id) {
    auto enrolled = Enroll(*ledger_, kApp,
                           EnrollRequest("enroll-" + member_id, member_id));
    REQUIRE_OK(enrolled);
    return *enrolled;
  }

  // Credits `points` with an operator adjustment.
  AdjustResponse CreditOk(const std::string& member_id, int64_t points) {
    auto adjusted = Adjust(
        *ledger_, kAdmin,
        AdjustPoints(absl::StrCat("credit-", member_id, "-", ++credits_),
                     member_id, points));
    REQUIRE_OK(adjusted);
    return *adjusted;
  }

  int64_t Available(const std::string& member_id) {
    auto balance = ledger_->GetBalance(member_id);
    REQUIRE_OK(balance);
    return balance->available_points();
  }

  void RequireVerifyOk() {
    auto verified = ledger_->Verify();
    REQUIRE_OK(verified);
    INFO(verified->ShortDebugString());
    REQUIRE(verified->ok());
  }

  // Runs Verify, which must fail; true when a problem it names contains
  // `part`.
  bool VerifyReports(absl::string_view part) {
    auto verified = ledger_->Verify();
    REQUIRE_OK(verified);
    INFO(verified->ShortDebugString());
    REQUIRE_FALSE(verified->ok());
    for (const std::string& problem : verified->problems()) {
      if (absl::StrContains(problem, part)) return true;
    }
    return false;
  }

 private:
  ManualClock clock_;
  MemoryStore store_;
  ProgramConfig program_;
  LedgerOptions options_;
  std::unique_ptr<Ledger> ledger_;
  int credits_ = 0;
};

// Captures the store before a rejected command and checks afterwards that
// nothing at all changed: no Write call and no key in any family.
class NothingChanged {
 public:
  explicit NothingChanged(MemoryStore& store)
      : store_(store),
        write_count_(store.write_count()),
        dump_(DumpStore(store)) {}

  void Check() const {
    CHECK(store_.write_count() == write_count_);
    CHECK(DumpStore(store_) == dump_);
  }

  // Only the remembered outcome (one requests key) may have been written.
  void CheckOnlyRequestRemembered() const {
    CHECK(store_.write_count() == write_count_ + 1);
    StoreDump now = DumpStore(store_);
    for (int f = 0; f < kFamilyCount; ++f) {
      INFO("family " << FamilyName(static_cast<Family>(f)));
      if (static_cast<Family>(f) == Family::kRequests) {
        CHECK(now[f].size() == dump_[f].size() + 1);
      } else {
        CHECK(now[f] == dump_[f]);
      }
    }
  }

 private:
  MemoryStore& store_;
  uint64_t write_count_;
  StoreDump dump_;
};

// ---------------------------------------------------------------------------
// A temp directory, removed with everything in it at scope exit.

class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/loyalty-ledger-test-XXXXXX";
    char* made = ::mkdtemp(pattern.data());
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---------------------------------------------------------------------------
// A LedgerStore over another whose next Write, once armed, waits at a gate
// until released: it holds the syncer (and, once the writer has decided the
// next batch, the writer too) so a test can fill the queue or shut down with
// commands queued.

class GatedStore final : public LedgerStore {
 public:
  explicit GatedStore(LedgerStore* inner) : inner_(inner) {}

  absl::StatusOr<std::string> Get(Family family,
                                  absl::string_view key) const override {
    return inner_->Get(family, key);
  }
  absl::Status Scan(Family family, absl::string_view lower,
                    absl::string_view upper, bool reverse,
                    const ScanVisitor& visit) const override {
    return inner_->Scan(family, lower, upper, reverse, visit);
  }
  std::unique_ptr<StoreReader> Snapshot() const override {
    return inner_->Snapshot();
  }
  absl::Status Write(const WriteSet& writes) override {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (armed_ && !open_) {
        armed_ = false;
        blocked_ = true;
        changed_.notify_all();
        changed_.wait(lock, [this] { return released_ || open_; });
        released_ = false;
        blocked_ = false;
      }
    }
    return inner_->Write(writes);
  }

  // The next Write will wait at the gate.
  void Arm() {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = true;
  }
  // Returns once a Write waits at the gate.
  void WaitUntilBlocked() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return blocked_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }
  // Lets every Write through from now on (also one waiting at the gate).
  void OpenForGood() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  LedgerStore* const inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool armed_ = false;
  bool blocked_ = false;
  bool released_ = false;
  bool open_ = false;
};

// Returns once the writer has taken every queued command. With a Write held
// at a GatedStore's gate (the syncer's), the writer decides one more batch
// and then waits to hand it over: commands submitted after this stay queued.
inline void WaitUntilWriterTookQueue(const Ledger& ledger) {
  for (int attempts = 0; ledger.stats().queue_depth != 0; ++attempts) {
    REQUIRE(attempts < 100'000);
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

// Opens a GatedStore for good at scope exit, so a failed REQUIRE cannot
// leave the writer waiting at the gate while the Ledger's destructor joins
// it. Declare it after the Ledger (it must be destroyed first).
class GateOpener {
 public:
  explicit GateOpener(GatedStore& gated) : gated_(gated) {}
  ~GateOpener() { gated_.OpenForGood(); }
  GateOpener(const GateOpener&) = delete;
  GateOpener& operator=(const GateOpener&) = delete;

 private:
  GatedStore& gated_;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_LEDGER_LEDGER_TEST_UTIL_H_
