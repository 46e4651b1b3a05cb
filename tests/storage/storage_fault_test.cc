// File: tests/storage/storage_fault_test.cc
//
// A full disk under the real RocksDbStore, in process: a
// FaultInjectingFileSystem (fault_injection_fs.h) passed through
// RocksDbOptions::file_system makes RocksDB's writes fail with "no space" at
// a chosen moment. What it proves (README "Storage failure", promise 4):
//   - a mutation whose synced write fails is UNAVAILABLE, and nothing of it is
//     visible: every family of the store, balances, statements and
//     VerifyLedger are as before;
//   - the ledger then refuses every mutation with UNAVAILABLE until it is
//     reopened, even once the disk has space again, and reads keep working;
//   - after the disk heals and the store and ledger are reopened, every
//     acknowledged write is there (entries, statements, replays of OK and
//     rejected requests), VerifyLedger is ok, the failed request retried
//     with its request id is applied exactly once, and new writes work;
//   - the same when only the WAL's fsync fails (the bytes reached the page
//     cache, so the write's fate is unknown), and when a memtable flush hits
//     the full disk in the background.
// It also records what RocksDB 7.8 itself does after a failed WAL write (the
// comment above the last test case): it refuses writes until it recovers by
// itself, which may or may not happen, so the ledger's own refusal is what
// makes "refuses writes until restarted" hold.
//
// Run: build/tests/storage/storage_fault_test (Catch2; -s shows the notes).
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/common/clock.h"
#include "ledger/common/hashing.h"
#include "ledger/commands.h"
#include "ledger/engine/ledger.h"
#include "ledger/points/sweep.h"
#include "ledger/storage/rocksdb_store.h"
#include "tests/storage/fault_injection_fs.h"
#include "tests/storage/storage_test_util.h"

namespace loyalty::testing {
namespace {

using Fault = FaultInjectingFileSystem::Fault;

// A RocksDB ledger over a fault-injecting file system in a temp dir.
class FaultyLedger {
 public:
  explicit FaultyLedger(int64_t write_buffer_bytes = 1 << 20)
      : file_system_(std::make_shared<FaultInjectingFileSystem>()),
        clock_(1'700'000'000'000) {
    options_.block_cache_bytes = 1 << 20;
    options_.write_buffer_bytes = write_buffer_bytes;
    options_.file_system = file_system_;
    Open();
  }
  ~FaultyLedger() { Close(); }

  // Closes the ledger and the store, as a stopping process does, then opens
  // both again over the same directory: a restart.
  void Reopen() {
    Close();
    Open();
  }

  Ledger& ledger() { return *ledger_; }
  RocksDbStore& store() { return *store_; }
  FaultInjectingFileSystem& file_system() { return *file_system_; }
  ManualClock& clock() { return clock_; }

 private:
  void Open() {
    auto store = RocksDbStore::Open(dir_.path(), options_);
    REQUIRE_OK(store);
    store_ = std::move(*store);
    auto ledger =
        Ledger::Open(store_.get(), StorageTestProgram(), &clock_, {});
    REQUIRE_OK(ledger);
    ledger_ = std::move(*ledger);
  }
  void Close() {
    ledger_.reset();  // Joins the writer before its store goes.
    store_.reset();
  }

  TempDir dir_;
  std::shared_ptr<FaultInjectingFileSystem> file_system_;
  ManualClock clock_;
  RocksDbOptions options_;
  std::unique_ptr<RocksDbStore> store_;
  std::unique_ptr<Ledger> ledger_;
};

// Everything a client would hold after a few acknowledged mutations.
AcknowledgedLog SomeAcknowledgedWrites(Ledger& ledger) {
  AcknowledgedLog log;
  log.Enroll(ledger, EnrollRequestFor("e-alice", "alice", "4000000000000001"));
  log.Enroll(ledger, EnrollRequestFor("e-bob", "bob", ""));
  log.Earn(ledger, EarnRequestFor("earn-1", "alice", "A-1", {1299, 899, 5000}));
  log.Earn(ledger, EarnRequestFor("earn-2", "bob", "B-1", {25000}));
  log.Redeem(ledger, RedeemRequestFor("redeem-1", "alice", "A-2", 40));
  log.Adjust(ledger, AdjustRequestFor("adjust-1", "bob", -15));
  // Remembered rejections are acknowledged answers too.
  log.Redeem(ledger, RedeemRequestFor("redeem-too-much", "alice", "A-3", 5000));
  log.Earn(ledger, EarnRequestFor("earn-ghost", "nobody", "N-1", {100}));
  REQUIRE(log.rejected_count() == 2);
  return log;
}

void RequireVerifyOk(const Ledger& ledger, uint64_t last_sequence) {
  auto verified = ledger.Verify();
  REQUIRE_OK(verified);
  INFO(verified->ShortDebugString());
  REQUIRE(verified->ok());
  REQUIRE(verified->last_sequence() == last_sequence);
}

uint64_t LastSequence(const Ledger& ledger) {
  auto verified = ledger.Verify();
  REQUIRE_OK(verified);
  return verified->last_sequence();
}

// How many EARN entries alice's statement has for `order_id`.
int EarnsOfOrder(const Ledger& ledger, const std::string& member_id,
                 const std::string& order_id) {
  int count = 0;
  for (const auto& entry : Statement(ledger, member_id)) {
    if (entry.kind() == v1::ENTRY_KIND_EARN && entry.order_id() == order_id) {
      ++count;
    }
  }
  return count;
}

// Probes RocksDB below the ledger: a harmless key in the meta family (Verify
// reads only the head there).
absl::Status ProbeWrite(RocksDbStore& store) {
  WriteSet probe;
  probe.Add(Family::kMeta, "fault-probe", "x");
  return store.Write(probe);
}

TEST_CASE("a write on a full disk is UNAVAILABLE, leaves nothing visible, and "
          "the ledger refuses writes until reopened",
          "[storage][fault][nospace]") {
  FaultyLedger t;
  AcknowledgedLog acknowledged = SomeAcknowledgedWrites(t.ledger());
  uint64_t last_sequence = LastSequence(t.ledger());
  StoreDump before = DumpStore(t.store());
  auto alice_before = t.ledger().GetBalance("alice");
  REQUIRE_OK(alice_before);
  std::vector<v1::LedgerEntry> statement_before = Statement(t.ledger(), "alice");

  t.file_system().SetFault(Fault::kWrites);  // The disk is full.
  auto failed = Send<EarnCommand>(t.ledger(), kPos,
                     EarnRequestFor("earn-on-full-disk", "alice", "A-9", {7000}));
  REQUIRE(failed.status().code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(failed.status().message(), "storage write failed"));
  CHECK(t.file_system().injected() > 0);
  UNSCOPED_INFO("files RocksDB failed to write: "
                << t.file_system().failed_files());

  // Nothing half-applied is visible, and reads keep working.
  CHECK(DumpStore(t.store()) == before);
  auto alice_after = t.ledger().GetBalance("alice");
  REQUIRE_OK(alice_after);
  CHECK(alice_after->ShortDebugString() == alice_before->ShortDebugString());
  CHECK(SameEntries(Statement(t.ledger(), "alice"), statement_before));
  RequireVerifyOk(t.ledger(), last_sequence);

  // Every later mutation is refused, also once the disk has room again.
  auto refused = Send<RedeemCommand>(t.ledger(), kApp,
                      RedeemRequestFor("redeem-after-failure", "alice", "A-8", 1));
  CHECK(refused.status().code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(refused.status().message(), "until restarted"));
  t.file_system().SetFault(Fault::kNone);  // Space freed.
  auto still_refused = Send<EnrollMemberCommand>(t.ledger(), kApp,
                            EnrollRequestFor("e-carol", "carol", ""));
  CHECK(still_refused.status().code() == absl::StatusCode::kUnavailable);
  CHECK(DumpStore(t.store()) == before);

  // A restart on the healed disk: nothing acknowledged was lost.
  t.Reopen();
  RequireVerifyOk(t.ledger(), last_sequence);
  acknowledged.CheckInStatements(t.ledger());
  acknowledged.CheckReplays(t.ledger());
  RequireVerifyOk(t.ledger(), last_sequence);  // The replays wrote nothing.

  // The failed request never reached the WAL, so its retry applies it, once.
  auto retried = Send<EarnCommand>(t.ledger(), kPos,
                      EarnRequestFor("earn-on-full-disk", "alice", "A-9", {7000}));
  REQUIRE_OK(retried);
  CHECK_FALSE(retried->replayed());
  CHECK(retried->entry().sequence() == last_sequence + 1);
  auto again = Send<EarnCommand>(t.ledger(), kPos,
                    EarnRequestFor("earn-on-full-disk", "alice", "A-9", {7000}));
  REQUIRE_OK(again);
  CHECK(again->replayed());
  CHECK(EarnsOfOrder(t.ledger(), "alice", "A-9") == 1);
  auto carol = Send<EnrollMemberCommand>(t.ledger(), kApp,
                    EnrollRequestFor("e-carol", "carol", ""));
  REQUIRE_OK(carol);
  RequireVerifyOk(t.ledger(), last_sequence + 2);
}

TEST_CASE("a failed WAL sync is UNAVAILABLE and hidden, and after a reopen "
          "the write may be there and its retry applies it exactly once",
          "[storage][fault][nospace]") {
  FaultyLedger t;
  AcknowledgedLog acknowledged = SomeAcknowledgedWrites(t.ledger());
  uint64_t last_sequence = LastSequence(t.ledger());
  StoreDump before = DumpStore(t.store());

  // The WAL's bytes reach the page cache but the fsync fails: the write's
  // fate is unknown, which is why the ledger answers UNAVAILABLE ("retry the
  // same call") and not a rejection.
  t.file_system().SetFault(Fault::kSyncs, ".log");
  auto failed = Send<EarnCommand>(t.ledger(), kPos,
                     EarnRequestFor("earn-sync-fails", "alice", "A-7", {4200}));
  REQUIRE(failed.status().code() == absl::StatusCode::kUnavailable);
  CHECK(DumpStore(t.store()) == before);
  RequireVerifyOk(t.ledger(), last_sequence);
  auto refused = Send<AdjustCommand>(t.ledger(), kAdmin,
                      AdjustRequestFor("adjust-after-failure", "bob", 5));
  CHECK(refused.status().code() == absl::StatusCode::kUnavailable);

  t.file_system().SetFault(Fault::kNone);
  t.Reopen();
  uint64_t reopened_at = LastSequence(t.ledger());
  // Observed with RocksDB 7.8: the unsynced WAL record is recovered, so the
  // write whose caller got UNAVAILABLE is in the ledger after the restart
  // (unless RocksDB's own recovery flushed and dropped that WAL first). Either
  // outcome keeps the promises; the retry below must find the one it is.
  UNSCOPED_INFO("after a failed WAL sync and a reopen the ledger ends at "
                << reopened_at << " (before: " << last_sequence << ")");
  CHECK((reopened_at == last_sequence || reopened_at == last_sequence + 1));
  RequireVerifyOk(t.ledger(), reopened_at);
  acknowledged.CheckInStatements(t.ledger());
  acknowledged.CheckReplays(t.ledger());
  RequireVerifyOk(t.ledger(), reopened_at);

  auto retried = Send<EarnCommand>(t.ledger(), kPos,
                      EarnRequestFor("earn-sync-fails", "alice", "A-7", {4200}));
  REQUIRE_OK(retried);
  CHECK(retried->replayed() == (reopened_at == last_sequence + 1));
  CHECK(retried->entry().sequence() == last_sequence + 1);
  CHECK(EarnsOfOrder(t.ledger(), "alice", "A-7") == 1);
  RequireVerifyOk(t.ledger(), last_sequence + 1);
  auto adjusted = Send<AdjustCommand>(t.ledger(), kAdmin,
                       AdjustRequestFor("adjust-after-failure", "bob", 5));
  REQUIRE_OK(adjusted);
  CHECK_FALSE(adjusted->replayed());
  RequireVerifyOk(t.ledger(), last_sequence + 2);
}

TEST_CASE("a memtable flush to a full disk stops writes, and a reopen "
          "recovers every acknowledged write from the WAL",
          "[storage][fault][nospace][flush]") {
  // RocksDB's smallest memtable, so flushes come quickly; only table files
  // (.sst) fail, the WAL keeps working.
  FaultyLedger t(/*write_buffer_bytes=*/64 << 10);
  AcknowledgedLog acknowledged = SomeAcknowledgedWrites(t.ledger());
  t.file_system().SetFault(Fault::kWrites, ".sst");

  absl::Status first_failure;
  int writes = 0;
  for (; writes < 20'000 && first_failure.ok(); ++writes) {
    // Big baskets fill the memtables fast.
    std::vector<int64_t> prices(100, 1000 + writes % 100);
    auto earned = Send<EarnCommand>(
        t.ledger(), kPos,
        EarnRequestFor(absl::StrCat("bulk-", writes), writes % 2 ? "alice" : "bob",
                       absl::StrCat("BULK-", writes), prices));
    if (earned.ok()) {
      acknowledged.AddEarn(
          EarnRequestFor(absl::StrCat("bulk-", writes),
                         writes % 2 ? "alice" : "bob",
                         absl::StrCat("BULK-", writes), prices),
          *earned);
    } else {
      first_failure = earned.status();
    }
  }
  UNSCOPED_INFO("the first write failed after " << writes
                << " writes: " << first_failure
                << "; files that failed: " << t.file_system().failed_files());
  REQUIRE(first_failure.code() == absl::StatusCode::kUnavailable);
  uint64_t last_sequence = LastSequence(t.ledger());
  auto refused = Send<RedeemCommand>(t.ledger(), kApp,
                      RedeemRequestFor("redeem-after-flush-failure", "alice",
                                       "A-6", 1));
  CHECK(refused.status().code() == absl::StatusCode::kUnavailable);

  t.file_system().SetFault(Fault::kNone);
  t.Reopen();
  RequireVerifyOk(t.ledger(), last_sequence);
  acknowledged.CheckInStatements(t.ledger());
  acknowledged.CheckReplays(t.ledger());
  RequireVerifyOk(t.ledger(), last_sequence);
  auto redeemed = Send<RedeemCommand>(t.ledger(), kApp,
                       RedeemRequestFor("redeem-after-flush-failure", "alice",
                                        "A-6", 1));
  REQUIRE_OK(redeemed);
  RequireVerifyOk(t.ledger(), last_sequence + 1);
}

// What RocksDB 7.8 itself does (observed with this file system, by probing
// with writes every 100 ms): a failed WAL append or sync becomes a
// background error; from then on every write fails with that same IOError,
// while reads keep working. Its SstFileManager then tries to recover on its
// own (Resume: a new WAL, memtable flushes). If that attempt succeeds, which
// happened within about 2 s once the disk healed, RocksDB accepts writes
// again by itself; if the attempt hits the full disk too (the new WAL cannot
// be written), RocksDB stays in the error state: still refusing 40 s after
// the disk healed, until the database was reopened. So the ledger cannot
// rely on RocksDB's state, and does not: it refuses writes after any failed
// write until it is reopened (the cases above). Only the parts that do not
// depend on recovery timing are asserted here.
TEST_CASE("RocksDB after a NoSpace on the WAL: the write fails, reads work, "
          "and a reopen recovers",
          "[storage][fault][nospace][rocksdb]") {
  auto fault = GENERATE(Fault::kWrites, Fault::kSyncs);
  INFO((fault == Fault::kWrites ? "WAL append fails" : "WAL sync fails"));
  FaultyLedger t;
  AcknowledgedLog acknowledged = SomeAcknowledgedWrites(t.ledger());
  uint64_t last_sequence = LastSequence(t.ledger());
  REQUIRE(ProbeWrite(t.store()).ok());

  t.file_system().SetFault(fault, ".log");
  absl::Status failed = ProbeWrite(t.store());
  INFO("RocksDB's answer to the failed write: " << failed);
  REQUIRE(failed.code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(failed.message(), "No space left on device"));
  // The disk is still full: the next write fails as well.
  CHECK(ProbeWrite(t.store()).code() == absl::StatusCode::kUnavailable);
  // Reads keep working.
  CHECK(t.store().Get(Family::kMembers, "alice").ok());
  RequireVerifyOk(t.ledger(), last_sequence);

  t.file_system().SetFault(Fault::kNone);
  t.Reopen();
  CHECK(ProbeWrite(t.store()).ok());
  RequireVerifyOk(t.ledger(), last_sequence);
  acknowledged.CheckInStatements(t.ledger());
  acknowledged.CheckReplays(t.ledger());
  auto carol = Send<EnrollMemberCommand>(t.ledger(), kApp,
                    EnrollRequestFor("e-carol", "carol", ""));
  REQUIRE_OK(carol);
  RequireVerifyOk(t.ledger(), last_sequence + 1);
}

}  // namespace
}  // namespace loyalty::testing
