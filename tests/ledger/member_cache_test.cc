// The writer's member cache (ledger/engine/member_cache.h): bounded, and
// never a second truth: a ledger with a cache of one member, or none,
// writes exactly the same store as one that caches everyone, and a dry
// run leaves the cache as it was.
#include "ledger/engine/member_cache.h"

#include "catch2/catch.hpp"
#include "member_test_util.h"

namespace loyalty {
namespace {

using storage::v1::MemberRecord;
using testing::TestLedger;

MemberRecord RecordOf(const std::string& member_id, int64_t available) {
  MemberRecord record;
  record.set_member_id(member_id);
  record.set_available_points(available);
  return record;
}

TEST_CASE(
    "the member cache hands a record out once and evicts the least "
    "recently put beyond its size",
    "[ledger][cache]") {
  MemberCache cache(2);
  cache.Put("a", RecordOf("a", 1));
  cache.Put("b", RecordOf("b", 2));
  cache.Put("a", RecordOf("a", 10));  // a is now the most recent.
  cache.Put("c", RecordOf("c", 3));   // b goes.
  CHECK(cache.size() == 2);
  CHECK(cache.Peek("b") == nullptr);
  REQUIRE(cache.Peek("a") != nullptr);
  CHECK(cache.Peek("a")->available_points() == 10);

  std::optional<MemberRecord> taken = cache.Take("a");
  REQUIRE(taken.has_value());
  CHECK(taken->available_points() == 10);
  CHECK_FALSE(cache.Take("a").has_value());  // Out until put back.
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 1);
  cache.Clear();
  CHECK(cache.size() == 0);
}

TEST_CASE("a member cache of size zero keeps nothing", "[ledger][cache]") {
  MemberCache cache(0);
  cache.Put("a", RecordOf("a", 1));
  CHECK(cache.size() == 0);
  CHECK_FALSE(cache.Take("a").has_value());
}

// The same writes against ledgers with caches of `sizes`; every store must
// end byte for byte alike.
testing::StoreDump WritesWithCache(size_t member_cache_max) {
  LedgerOptions options = testing::TestLedgerOptions();
  options.member_cache_max = member_cache_max;
  TestLedger t(testing::TestProgram(), options);
  for (const char* member : {"alice", "bob", "carol"}) t.EnrollOk(member);
  for (int round = 0; round < 4; ++round) {
    for (const char* member : {"alice", "bob", "carol"}) {
      REQUIRE_OK(testing::Earn(
          t.ledger(), testing::kPos,
          testing::EarnEur(absl::StrCat("earn-", member, "-", round), member,
                           absl::StrCat("O-", member, "-", round),
                           {1000 * (round + 1)})));
      t.CreditOk(member, 5);
    }
    REQUIRE_OK(testing::Redeem(
        t.ledger(), testing::kApp,
        testing::RedeemPoints(absl::StrCat("redeem-", round), "bob",
                              absl::StrCat("R-", round), 3)));
    t.clock().AdvanceMs(3'600'000);
  }
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
  return testing::DumpStore(t.store());
}

TEST_CASE(
    "ledgers with a member cache of every member, one member or none "
    "write the same store",
    "[ledger][cache]") {
  const testing::StoreDump everyone = WritesWithCache(1024);
  CHECK(WritesWithCache(1) == everyone);
  CHECK(WritesWithCache(0) == everyone);
}

TEST_CASE("a dry run's changes never reach the writer's member cache",
          "[ledger][cache]") {
  TestLedger t;
  auto imported = testing::Import(
      t.ledger(), testing::ImportRow("import-1", "4000000000000001", 100));
  REQUIRE_OK(imported);
  const std::string member_id = imported->member_id();
  // Cached now. A dry run of a second row for the same card would credit
  // 50 more; it must not, in the cache or the store.
  auto dry = testing::Import(
      t.ledger(), testing::ImportRow("import-2", "4000000000000001", 50),
      /*dry_run=*/true);
  REQUIRE_OK(dry);
  CHECK(t.Available(member_id) == 100);
  t.CreditOk(member_id, 1);  // A write that starts from the cached record.
  CHECK(t.Available(member_id) == 101);
  t.Reopen();  // No cache: the store alone.
  CHECK(t.Available(member_id) == 101);
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
}

}  // namespace
}  // namespace loyalty
