// Promise 4 (durable before acknowledged) and the storage contract:
//   - a RocksDB ledger reopened from its directory keeps every acknowledged
//     entry, continues the sequence and hash chain, and still replays
//     retries;
//   - a failed write is UNAVAILABLE, shows nothing, and makes the ledger
//     refuse writes until it is reopened;
//   - MemoryStore and RocksDbStore agree on the LedgerStore contract.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "ledger/storage/rocksdb_store.h"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using namespace loyalty::testing;  // NOLINT: test helpers.

RocksDbOptions SmallRocksDb() {
  RocksDbOptions options;
  options.block_cache_bytes = 1 << 20;
  options.write_buffer_bytes = 1 << 20;
  return options;
}

std::unique_ptr<RocksDbStore> OpenRocksDb(const std::string& path) {
  auto store = RocksDbStore::Open(path, SmallRocksDb());
  REQUIRE_OK(store);
  return std::move(*store);
}

std::unique_ptr<Ledger> OpenLedger(LedgerStore* store, const Clock* clock) {
  auto ledger = Ledger::Open(store, TestProgram(), clock, LedgerOptions{});
  REQUIRE_OK(ledger);
  return std::move(*ledger);
}

TEST_CASE("a reopened RocksDB ledger keeps every acknowledged entry and "
          "continues the chain",
          "[durability][rocksdb]") {
  TempDir dir;
  ManualClock clock(kStartMs);
  std::vector<LedgerEntry> acknowledged;
  EarnResponse first_earn;
  v1::Balance alice_before;
  {
    auto store = OpenRocksDb(dir.path());
    auto ledger = OpenLedger(store.get(), &clock);
    auto alice = Enroll(*ledger, kApp, EnrollRequest("e1", "alice"));
    REQUIRE_OK(alice);
    acknowledged.push_back(alice->entry());
    auto bob = Enroll(*ledger, kApp, EnrollRequest("e2", "bob"));
    REQUIRE_OK(bob);
    acknowledged.push_back(bob->entry());
    auto earned = Earn(*ledger, kPos, EarnEur("r1", "alice", "o1", {12999}));
    REQUIRE_OK(earned);
    first_earn = *earned;
    acknowledged.push_back(earned->entry());
    for (int i = 0; i < 5; ++i) {
      clock.AdvanceMs(1000);
      auto more = Earn(*ledger, kPos,
                       EarnEur(absl::StrCat("r-more-", i), i % 2 ? "alice" : "bob",
                               absl::StrCat("o-more-", i), {1000 + i}));
      REQUIRE_OK(more);
      acknowledged.push_back(more->entry());
    }
    auto redeemed =
        Redeem(*ledger, kApp, RedeemPoints("x1", "alice", "o9", 100));
    REQUIRE_OK(redeemed);
    acknowledged.push_back(redeemed->entry());
    auto adjusted = Adjust(*ledger, kAdmin, AdjustPoints("a1", "bob", -5));
    REQUIRE_OK(adjusted);
    acknowledged.push_back(adjusted->entry());
    alice_before = ValueOrFail(ledger->GetBalance("alice"));
    // Ledger first, then the store it points at: a clean process exit.
  }

  auto store = OpenRocksDb(dir.path());
  // Every acknowledged entry is there, byte for byte.
  std::vector<LedgerEntry> stored = AllEntries(*store);
  REQUIRE(stored.size() == acknowledged.size());
  for (size_t i = 0; i < stored.size(); ++i) {
    CHECK(stored[i].SerializeAsString() ==
          acknowledged[i].SerializeAsString());
  }
  storage::v1::LedgerHead head = StoredHead(*store);
  CHECK(head.last_sequence() == acknowledged.size());
  CHECK(head.last_hash() == acknowledged.back().hash());

  auto ledger = OpenLedger(store.get(), &clock);
  CHECK(ledger->stats().last_sequence == acknowledged.size());
  auto balance = ledger->GetBalance("alice");
  REQUIRE_OK(balance);
  CHECK(balance->SerializeAsString() == alice_before.SerializeAsString());

  // A retry from before the restart is replayed, not applied again.
  auto retry = Earn(*ledger, kPos, EarnEur("r1", "alice", "o1", {12999}));
  REQUIRE_OK(retry);
  CHECK(retry->replayed());
  CHECK(retry->entry().SerializeAsString() ==
        first_earn.entry().SerializeAsString());
  CHECK(AllEntries(*store).size() == acknowledged.size());

  // A new entry continues the sequence and the chain.
  auto next = Earn(*ledger, kPos, EarnEur("r-next", "alice", "o-next", {500}));
  REQUIRE_OK(next);
  CHECK(next->entry().sequence() == acknowledged.size() + 1);
  CHECK(next->entry().prev_hash() == acknowledged.back().hash());
  CHECK(next->balance().available_points() ==
        alice_before.available_points() + 5);

  // Statements page correctly over RocksDB's reverse scans too.
  std::vector<LedgerEntry> listed = ListAll(*ledger, "alice", 2);
  std::vector<uint64_t> expected;
  for (const LedgerEntry& entry : AllEntries(*store)) {
    if (entry.member_id() == "alice") expected.insert(expected.begin(), entry.sequence());
  }
  std::vector<uint64_t> got;
  for (const LedgerEntry& entry : listed) got.push_back(entry.sequence());
  CHECK(got == expected);

  auto verified = ledger->Verify();
  REQUIRE_OK(verified);
  INFO(verified->ShortDebugString());
  CHECK(verified->ok());
  CHECK(verified->last_sequence() == acknowledged.size() + 1);
}

TEST_CASE("a RocksDB ledger survives several restarts in a row",
          "[durability][rocksdb]") {
  TempDir dir;
  ManualClock clock(kStartMs);
  {
    auto store = OpenRocksDb(dir.path());
    auto ledger = OpenLedger(store.get(), &clock);
    REQUIRE_OK(Enroll(*ledger, kApp, EnrollRequest("e1", "alice")));
  }
  for (int restart = 0; restart < 3; ++restart) {
    auto store = OpenRocksDb(dir.path());
    auto ledger = OpenLedger(store.get(), &clock);
    auto credited = Adjust(*ledger, kAdmin,
                           AdjustPoints(absl::StrCat("a", restart), "alice", 10));
    REQUIRE_OK(credited);
    CHECK(credited->entry().sequence() == static_cast<uint64_t>(restart + 2));
    CHECK(credited->balance().available_points() == 10 * (restart + 1));
  }
  auto store = OpenRocksDb(dir.path());
  auto ledger = OpenLedger(store.get(), &clock);
  auto verified = ledger->Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
  CHECK(verified->entries_checked() == 4);
}

TEST_CASE("a RocksDB directory already open is unavailable to a second store",
          "[durability][rocksdb]") {
  TempDir dir;
  auto first = OpenRocksDb(dir.path());
  auto second = RocksDbStore::Open(dir.path(), SmallRocksDb());
  INFO(StatusText(second));
  CHECK(CodeOf(second) == absl::StatusCode::kUnavailable);
}

// ---------------------------------------------------------------------------
// Storage failure.

TEST_CASE("a failed write is UNAVAILABLE, shows nothing, and stops writes "
          "until reopened",
          "[durability][storage_failure]") {
  TestLedger t;
  t.EnrollOk("alice");
  auto acked = Earn(t.ledger(), kPos, EarnEur("r1", "alice", "o1", {12999}));
  REQUIRE_OK(acked);

  t.store().FailWrites(absl::UnavailableError("disk full"));
  NothingChanged nothing(t.store());
  const EarnRequest failing = EarnEur("r2", "alice", "o2", {5000});
  auto failed = Earn(t.ledger(), kPos, failing);
  INFO(StatusText(failed));
  REQUIRE(CodeOf(failed) == absl::StatusCode::kUnavailable);
  CHECK(ReasonOf(failed.status()) == v1::ERROR_REASON_UNAVAILABLE);
  CHECK(absl::StrContains(MessageOf(failed), "disk full"));
  CHECK(t.Available("alice") == 129);

  // Later commands are refused, even once the disk is back: the failed
  // batch's outcome is unknown to this process.
  CHECK(CodeOf(Redeem(t.ledger(), kApp, RedeemPoints("x1", "alice", "o", 1))) ==
        absl::StatusCode::kUnavailable);
  t.store().HealWrites();
  auto still = Earn(t.ledger(), kPos, EarnEur("r3", "alice", "o3", {100}));
  CHECK(CodeOf(still) == absl::StatusCode::kUnavailable);
  CHECK(ReasonOf(still.status()) == v1::ERROR_REASON_UNAVAILABLE);
  nothing.Check();
  // Reads go on.
  CHECK(t.Available("alice") == 129);

  // A new ledger over the healed store writes again.
  t.Reopen();
  auto retried = Earn(t.ledger(), kPos, failing);
  REQUIRE_OK(retried);
  CHECK_FALSE(retried->replayed());  // The failure was never remembered.
  CHECK(retried->entry().sequence() == acked->entry().sequence() + 1);
  CHECK(retried->entry().prev_hash() == acked->entry().hash());
  auto replay = Earn(t.ledger(), kPos, EarnEur("r1", "alice", "o1", {12999}));
  REQUIRE_OK(replay);
  CHECK(replay->replayed());
  CHECK(ReadEntry(t.store(), acked->entry().sequence()).SerializeAsString() ==
        acked->entry().SerializeAsString());
  CHECK(t.Available("alice") == 179);
  t.RequireVerifyOk();
}

TEST_CASE("commands queued behind a failed write are refused too",
          "[durability][storage_failure]") {
  ManualClock clock(kStartMs);
  MemoryStore memory;
  GatedStore gated(&memory);
  auto opened = Ledger::Open(&gated, TestProgram(), &clock, LedgerOptions{});
  REQUIRE_OK(opened);
  std::unique_ptr<Ledger> ledger = std::move(*opened);
  GateOpener opener(gated);
  REQUIRE_OK(Enroll(*ledger, kApp, EnrollRequest("e1", "alice")));
  REQUIRE_OK(Adjust(*ledger, kAdmin, AdjustPoints("a1", "alice", 100)));

  gated.Arm();
  auto held = RedeemAsync(*ledger, kApp, RedeemPoints("x1", "alice", "o", 10));
  gated.WaitUntilBlocked();
  // Decided while the write before it is held (and then fails): it read
  // state that never became durable, so it must not be written either.
  auto decided_behind =
      RedeemAsync(*ledger, kApp, RedeemPoints("x2", "alice", "o", 10));
  WaitUntilWriterTookQueue(*ledger);
  auto queued_1 = RedeemAsync(*ledger, kApp, RedeemPoints("x3", "alice", "o", 10));
  auto queued_2 = EarnAsync(*ledger, kPos, EarnEur("r1", "alice", "o1", {100}));
  NothingChanged nothing(memory);
  memory.FailWrites(absl::UnavailableError("I/O error"));
  gated.Release();

  for (absl::Status status :
       {held.get().status(), decided_behind.get().status(),
        queued_1.get().status(), queued_2.get().status()}) {
    INFO(status.ToString());
    CHECK(status.code() == absl::StatusCode::kUnavailable);
  }
  nothing.Check();

  memory.HealWrites();
  ledger.reset();
  ledger = OpenLedger(&memory, &clock);
  REQUIRE_OK(Redeem(*ledger, kApp, RedeemPoints("x1", "alice", "o", 10)));
  CHECK(ValueOrFail(ledger->GetBalance("alice")).available_points() == 90);
  // Nothing of the batch decided behind the failed write was kept.
  auto again = Redeem(*ledger, kApp, RedeemPoints("x2", "alice", "o", 10));
  REQUIRE_OK(again);
  CHECK_FALSE(again->replayed());
  CHECK(again->balance().available_points() == 80);
  auto verified = ledger->Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
}

// ---------------------------------------------------------------------------
// Opening reads only the head, and refuses one it cannot trust.

TEST_CASE("opening over an undecodable or malformed head is DATA_LOSS",
          "[durability][open]") {
  ManualClock clock(kStartMs);
  SECTION("undecodable") {
    MemoryStore memory;
    memory.PutRaw(Family::kMeta, std::string(kHeadKey), "\xff\xff\xff");
    auto opened = Ledger::Open(&memory, TestProgram(), &clock, LedgerOptions{});
    CHECK(CodeOf(opened) == absl::StatusCode::kDataLoss);
  }
  SECTION("a hash of the wrong length") {
    MemoryStore memory;
    storage::v1::LedgerHead head;
    head.set_last_sequence(3);
    head.set_last_hash("short");
    head.set_schema_version(kLedgerSchemaVersion);
    memory.PutRaw(Family::kMeta, std::string(kHeadKey),
                  head.SerializeAsString());
    auto opened = Ledger::Open(&memory, TestProgram(), &clock, LedgerOptions{});
    CHECK(CodeOf(opened) == absl::StatusCode::kDataLoss);
  }
}

TEST_CASE("opening a data directory of another schema version is refused",
          "[durability][open]") {
  ManualClock clock(kStartMs);
  TestLedger t;
  t.EnrollOk("alice");
  storage::v1::LedgerHead head = StoredHead(t.store());
  head.set_schema_version(head.schema_version() + 1);
  t.store().PutRaw(Family::kMeta, std::string(kHeadKey),
                   head.SerializeAsString());
  auto opened = Ledger::Open(&t.store(), TestProgram(), &clock, LedgerOptions{});
  INFO(StatusText(opened));
  CHECK(CodeOf(opened) == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(MessageOf(opened), "schema version"));
}

// ---------------------------------------------------------------------------
// The LedgerStore contract, for both implementations.

void CheckStoreContract(LedgerStore& store) {
  WriteSet writes;
  for (const char* key : {"a", "b", "b\x01", "c", "d"}) {
    writes.Add(Family::kOrders, key, absl::StrCat("v-", key));
  }
  writes.Add(Family::kMembers, "b", "member-b");
  REQUIRE_OK(store.Write(writes));

  auto value = store.Get(Family::kOrders, "b");
  REQUIRE_OK(value);
  CHECK(*value == "v-b");
  CHECK(CodeOf(store.Get(Family::kOrders, "zz")) ==
        absl::StatusCode::kNotFound);
  // Families are separate key spaces.
  CHECK(ValueOrFail(store.Get(Family::kMembers, "b")) == "member-b");
  CHECK(CodeOf(store.Get(Family::kMembers, "a")) ==
        absl::StatusCode::kNotFound);

  auto scan = [&](absl::string_view lower, absl::string_view upper,
                  bool reverse, size_t stop_after = 100) {
    std::vector<std::string> keys;
    absl::Status s = store.Scan(Family::kOrders, lower, upper, reverse,
                                [&](absl::string_view key, absl::string_view) {
                                  keys.emplace_back(key);
                                  return keys.size() < stop_after;
                                });
    REQUIRE_OK(s);
    return keys;
  };
  using Keys = std::vector<std::string>;
  CHECK(scan("", "", false) == Keys{"a", "b", "b\x01", "c", "d"});
  CHECK(scan("", "", true) == Keys{"d", "c", "b\x01", "b", "a"});
  CHECK(scan("b", "d", false) == Keys{"b", "b\x01", "c"});
  CHECK(scan("b", "d", true) == Keys{"c", "b\x01", "b"});  // Upper excluded.
  CHECK(scan("b", "c", true) == Keys{"b\x01", "b"});
  CHECK(scan("bb", "bz", true).empty());
  CHECK(scan("", "", true, 2) == Keys{"d", "c"});  // The visitor stops it.
  CHECK(scan("c", "", true) == Keys{"d", "c"});

  // A snapshot does not see later writes.
  std::unique_ptr<StoreReader> snapshot = store.Snapshot();
  WriteSet later;
  later.Add(Family::kOrders, "b", "changed");
  later.Add(Family::kOrders, "e", "new");
  REQUIRE_OK(store.Write(later));
  CHECK(ValueOrFail(snapshot->Get(Family::kOrders, "b")) == "v-b");
  CHECK(CodeOf(snapshot->Get(Family::kOrders, "e")) ==
        absl::StatusCode::kNotFound);
  std::vector<std::string> snapshot_keys;
  REQUIRE_OK(snapshot->Scan(Family::kOrders, "", "", false,
                            [&](absl::string_view key, absl::string_view) {
                              snapshot_keys.emplace_back(key);
                              return true;
                            }));
  CHECK(snapshot_keys.size() == 5);
  CHECK(ValueOrFail(store.Get(Family::kOrders, "b")) == "changed");
}

TEST_CASE("MemoryStore keeps the LedgerStore contract", "[durability][store]") {
  MemoryStore store;
  CheckStoreContract(store);
}

TEST_CASE("RocksDbStore keeps the LedgerStore contract",
          "[durability][store][rocksdb]") {
  TempDir dir;
  auto store = OpenRocksDb(dir.path());
  CheckStoreContract(*store);
}

TEST_CASE("RocksDbStore keeps what it wrote across a reopen",
          "[durability][store][rocksdb]") {
  TempDir dir;
  {
    auto store = OpenRocksDb(dir.path());
    WriteSet writes;
    writes.Add(Family::kEntries, EntryKey(1), "one");
    writes.Add(Family::kMeta, "head", "h");
    REQUIRE_OK(store->Write(writes));
  }
  auto store = OpenRocksDb(dir.path());
  CHECK(ValueOrFail(store->Get(Family::kEntries, EntryKey(1))) == "one");
  CHECK(ValueOrFail(store->Get(Family::kMeta, "head")) == "h");
}

}  // namespace
}  // namespace loyalty
