// Verify (promise 2): replaying the ledger from sequence 1 catches any
// tampering with history, state or indexes, and names what is wrong.
// Tampering goes around the ledger with MemoryStore::PutRaw.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using namespace loyalty::testing;  // NOLINT: test helpers.

// alice: ENROLL 1, EARN 3 (129), REDEEM 5 (-29); bob: ENROLL 2, EARN 4.
void Populate(TestLedger& t) {
  t.EnrollOk("alice");
  EnrollMemberRequest bob = EnrollRequest("e-bob", "bob");
  v1::MemberIdentifier* card = bob.add_identifiers();
  card->set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
  card->set_value("4000123412341234");
  REQUIRE_OK(Enroll(t.ledger(), kApp, bob));
  REQUIRE_OK(Earn(t.ledger(), kPos, EarnEur("r1", "alice", "o1", {12999})));
  REQUIRE_OK(Earn(t.ledger(), kPos, EarnEur("r2", "bob", "o1", {5000})));
  REQUIRE_OK(Redeem(t.ledger(), kApp, RedeemPoints("x1", "alice", "o2", 29)));
  t.RequireVerifyOk();
}

v1::VerifyLedgerResponse VerifyFails(TestLedger& t) {
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  INFO(verified->DebugString());
  REQUIRE_FALSE(verified->ok());
  REQUIRE(verified->problems_size() > 0);
  return *verified;
}

bool HasProblem(const v1::VerifyLedgerResponse& response,
                const std::vector<std::string>& parts) {
  for (const std::string& problem : response.problems()) {
    bool all = true;
    for (const std::string& part : parts) {
      all = all && absl::StrContains(problem, part);
    }
    if (all) return true;
  }
  return false;
}

// Rewrites entry `sequence`'s stored body with `edit` applied. The stored
// hash is kept, unless `reseal` recomputes it as a forger would.
void EditEntry(MemoryStore& store, uint64_t sequence,
               const std::function<void(LedgerEntry&)>& edit,
               bool reseal = false) {
  storage::v1::StoredEntry stored = ReadStoredEntry(store, sequence);
  LedgerEntry body;
  REQUIRE(body.ParseFromString(stored.body()));
  edit(body);
  stored.set_body(body.SerializeAsString());
  if (reseal) stored.set_hash(ChainHash(body.prev_hash(), stored.body()));
  store.PutRaw(Family::kEntries, EntryKey(sequence), stored.SerializeAsString());
}

// Flips the low bit of one byte of a stored value, bypassing the ledger.
void FlipByte(MemoryStore& store, Family family, const std::string& key,
              size_t offset) {
  absl::StatusOr<std::string> bytes = store.Get(family, key);
  REQUIRE_OK(bytes);
  std::string value = *bytes;
  REQUIRE(offset < value.size());
  value[offset] ^= 0x01;
  store.PutRaw(family, key, value);
}

size_t StoredSize(MemoryStore& store, uint64_t sequence) {
  absl::StatusOr<std::string> bytes = store.Get(Family::kEntries, EntryKey(sequence));
  REQUIRE_OK(bytes);
  return bytes->size();
}

TEST_CASE("an empty ledger verifies", "[verify]") {
  TestLedger t;
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
  CHECK(verified->entries_checked() == 0);
  CHECK(verified->members_checked() == 0);
  CHECK(verified->last_sequence() == 0);
  CHECK(verified->last_hash_hex() == std::string(64, '0'));
}

TEST_CASE("a ledger written through the API verifies", "[verify]") {
  TestLedger t;
  Populate(t);
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
  CHECK(verified->problems_size() == 0);
  CHECK(verified->entries_checked() == 5);
  CHECK(verified->members_checked() == 2);
  CHECK(verified->last_sequence() == 5);
  CHECK(verified->last_hash_hex() == HexEncode(StoredHead(t.store()).last_hash()));
}

TEST_CASE("an entry with changed points is named by Verify", "[verify]") {
  TestLedger t;
  Populate(t);
  EditEntry(t.store(), 3, [](LedgerEntry& e) { e.set_points_delta(1129); });
  auto response = VerifyFails(t);
  INFO(response.DebugString());
  CHECK(HasProblem(response, {"entry 3", "hash does not match"}));
  // The replay also disagrees with the stored member.
  CHECK(HasProblem(response, {"member alice"}));
  CHECK_FALSE(HasProblem(response, {"entry 4"}));
}

TEST_CASE("a flipped byte in a stored entry's body is named by Verify",
          "[verify]") {
  TestLedger t;
  Populate(t);
  // Entry 3 is alice's EARN; flip a byte of "alice" inside its stored bytes
  // ('a' ^ 1 = '`' keeps it decodable).
  absl::StatusOr<std::string> bytes = t.store().Get(Family::kEntries, EntryKey(3));
  REQUIRE_OK(bytes);
  size_t at = bytes->find("alice");
  REQUIRE(at != std::string::npos);
  FlipByte(t.store(), Family::kEntries, EntryKey(3), at);
  auto response = VerifyFails(t);
  INFO(response.DebugString());
  CHECK(HasProblem(response, {"entry 3", "hash does not match"}));
}

TEST_CASE("a flipped byte in a stored entry's hash breaks the chain there",
          "[verify]") {
  TestLedger t;
  Populate(t);
  // The stored hash is the last field of the stored bytes.
  FlipByte(t.store(), Family::kEntries, EntryKey(3), StoredSize(t.store(), 3) - 1);
  auto response = VerifyFails(t);
  INFO(response.DebugString());
  CHECK(HasProblem(response, {"entry 3", "hash does not match"}));
  // The next entry's prev_hash no longer matches: the chain is broken there.
  CHECK(HasProblem(response, {"entry 4", "chain is broken"}));
}

TEST_CASE("a flipped byte in the last entry is caught by the chain and the "
          "head",
          "[verify]") {
  TestLedger t;
  Populate(t);
  FlipByte(t.store(), Family::kEntries, EntryKey(5), StoredSize(t.store(), 5) - 1);
  auto response = VerifyFails(t);
  INFO(response.DebugString());
  CHECK(HasProblem(response, {"entry 5", "hash does not match"}));
  CHECK(HasProblem(response, {"head"}));
}

TEST_CASE("an entry that cannot be decoded is named by Verify", "[verify]") {
  TestLedger t;
  Populate(t);
  t.store().PutRaw(Family::kEntries, EntryKey(2), std::string("\xff\xff\xff", 3));
  auto response = VerifyFails(t);
  INFO(response.DebugString());
  CHECK(HasProblem(response, {"entry 2", "cannot be decoded"}));
}

TEST_CASE("an entry whose hash was recomputed still breaks the chain",
          "[verify]") {
  // A forger who rewrites an entry and fixes its own hash must also rewrite
  // every later entry: the next prev_hash gives it away.
  TestLedger t;
  Populate(t);
  EditEntry(
      t.store(), 2, [](LedgerEntry& e) { e.set_store_id("forged"); },
      /*reseal=*/true);
  auto response = VerifyFails(t);
  INFO(response.DebugString());
  CHECK_FALSE(HasProblem(response, {"entry 2", "hash does not match"}));
  CHECK(HasProblem(response, {"entry 3", "chain is broken"}));
}

TEST_CASE("a tampered member balance is named by Verify", "[verify]") {
  TestLedger t;
  Populate(t);
  absl::StatusOr<std::string> bytes =
      t.store().Get(Family::kMembers, MemberKey("alice"));
  REQUIRE_OK(bytes);
  storage::v1::MemberRecord record;
  REQUIRE(record.ParseFromString(*bytes));
  REQUIRE(record.available_points() == 100);
  record.set_available_points(1'000'000);
  t.store().PutRaw(Family::kMembers, MemberKey("alice"),
                   record.SerializeAsString());
  auto response = VerifyFails(t);
  INFO(response.DebugString());
  CHECK(HasProblem(response, {"member alice", "differs from replay"}));
  CHECK_FALSE(HasProblem(response, {"member bob"}));
  CHECK_FALSE(HasProblem(response, {"entry "}));
}

TEST_CASE("a member record without entries is named by Verify", "[verify]") {
  TestLedger t;
  Populate(t);
  storage::v1::MemberRecord ghost;
  ghost.set_member_id("ghost");
  ghost.set_available_points(500);
  t.store().PutRaw(Family::kMembers, MemberKey("ghost"),
                   ghost.SerializeAsString());
  auto response = VerifyFails(t);
  CHECK(HasProblem(response, {"member ghost", "no entries"}));
}

TEST_CASE("an entry far past the end looks like a deleted range and is "
          "named by Verify",
          "[verify]") {
  TestLedger t;
  Populate(t);
  absl::StatusOr<std::string> last = t.store().Get(Family::kEntries, EntryKey(5));
  REQUIRE_OK(last);
  t.store().PutRaw(Family::kEntries, EntryKey(9), *last);
  auto response = VerifyFails(t);
  INFO(response.DebugString());
  CHECK(HasProblem(response, {"sequence gap", "expected entry 6", "found 9"}));
}

TEST_CASE("tampered indexes, entry keys and the head are caught",
          "[verify]") {
  SECTION("an identifier moved to another member") {
    TestLedger t;
    Populate(t);
    t.store().PutRaw(Family::kIdentifiers,
                     IdentifierKey(v1::IDENTIFIER_KIND_CARD_NUMBER,
                                   "4000123412341234"),
                     "alice");
    CHECK(HasProblem(VerifyFails(t), {"identifier"}));
  }
  SECTION("an identifier no entry linked") {
    TestLedger t;
    Populate(t);
    t.store().PutRaw(Family::kIdentifiers,
                     IdentifierKey(v1::IDENTIFIER_KIND_APP_USER_ID, "intruder"),
                     "alice");
    CHECK(HasProblem(VerifyFails(t), {"identifier"}));
  }
  SECTION("an order pointing at another entry") {
    TestLedger t;
    Populate(t);
    t.store().PutRaw(Family::kOrders, OrderKey("alice", "o1"),
                     EncodeBigEndian64(4));
    CHECK(HasProblem(VerifyFails(t), {"order"}));
  }
  SECTION("a statement index key for no entry") {
    TestLedger t;
    Populate(t);
    t.store().PutRaw(Family::kMemberEntries, MemberEntryKey("alice", 4), "");
    CHECK(HasProblem(VerifyFails(t), {"member alice", "statement index"}));
  }
  SECTION("statement index keys for a member without entries") {
    TestLedger t;
    Populate(t);
    t.store().PutRaw(Family::kMemberEntries, MemberEntryKey("mallory", 2), "");
    CHECK(HasProblem(VerifyFails(t), {"member mallory", "who has none"}));
  }
  SECTION("a malformed statement index key") {
    TestLedger t;
    Populate(t);
    t.store().PutRaw(Family::kMemberEntries, "alice", "");
    CHECK(HasProblem(VerifyFails(t), {"statement index key is malformed"}));
  }
  SECTION("an entries key that is not a sequence") {
    TestLedger t;
    Populate(t);
    t.store().PutRaw(Family::kEntries, "not-a-sequence", "x");
    CHECK(HasProblem(VerifyFails(t), {"not an 8-byte sequence"}));
  }
  SECTION("a head that names an earlier entry") {
    TestLedger t;
    Populate(t);
    storage::v1::LedgerHead head = StoredHead(t.store());
    head.set_last_sequence(4);
    t.store().PutRaw(Family::kMeta, std::string(kHeadKey),
                     head.SerializeAsString());
    CHECK(HasProblem(VerifyFails(t), {"head names entry 4", "ends at entry 5"}));
  }
}

TEST_CASE("Verify reports at most 100 problems and counts the rest",
          "[verify]") {
  TestLedger t;
  std::vector<std::future<absl::StatusOr<EnrollMemberResponse>>> enrolls;
  for (int i = 0; i < 120; ++i) {
    enrolls.push_back(EnrollAsync(t.ledger(), kApp,
                                  EnrollRequest(absl::StrCat("e", i),
                                                absl::StrCat("m", i))));
  }
  for (auto& f : enrolls) REQUIRE_OK(f.get());
  for (int i = 0; i < 120; ++i) {
    storage::v1::MemberRecord fake;
    fake.set_member_id(absl::StrCat("m", i));
    fake.set_available_points(1);
    t.store().PutRaw(Family::kMembers, MemberKey(absl::StrCat("m", i)),
                     fake.SerializeAsString());
  }
  auto response = VerifyFails(t);
  REQUIRE(response.problems_size() == 101);
  CHECK(response.problems(100) == "... and 20 more problems");
}

TEST_CASE("Verify sees a consistent ledger while writes go on", "[verify]") {
  TestLedger t;
  t.EnrollOk("alice");
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (int i = 0; i < 300 && !stop; ++i) {
      auto credited = Adjust(t.ledger(), kAdmin,
                             AdjustPoints(absl::StrCat("c", i), "alice", 1));
      if (!credited.ok()) ++failures;
    }
  });
  int verifications = 0;
  for (; verifications < 20; ++verifications) {
    auto verified = t.ledger().Verify();
    REQUIRE_OK(verified);
    INFO(verified->DebugString());
    CHECK(verified->ok());
  }
  stop = true;
  writer.join();
  CHECK(failures == 0);
  t.RequireVerifyOk();
}

}  // namespace
}  // namespace loyalty
