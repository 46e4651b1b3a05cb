// The fold of entries into a member's state (ledger/engine/fold.h): the step
// the writer and the verifier share, and the invariants it refuses to break.
#include <cstdint>
#include <limits>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "ledger/engine/fold.h"

namespace loyalty {
namespace {

using v1::LedgerEntry;
using storage::v1::MemberRecord;

LedgerEntry Entry(uint64_t sequence, v1::EntryKind kind, int64_t delta,
                  int64_t available_after) {
  LedgerEntry entry;
  entry.set_sequence(sequence);
  entry.set_member_id("alice");
  entry.set_kind(kind);
  entry.set_points_delta(delta);
  entry.set_bucket(v1::BUCKET_AVAILABLE);
  entry.set_available_after_points(available_after);
  entry.set_recorded_at_ms(1000 + static_cast<int64_t>(sequence));
  return entry;
}

MemberRecord Enrolled() {
  MemberRecord member;
  absl::Status s = FoldEntry(Entry(1, v1::ENTRY_KIND_ENROLL, 0, 0), &member);
  REQUIRE(s.ok());
  return member;
}

// Applies `entry`, requires INTERNAL, and checks `member` is unchanged.
void RequireBroken(const LedgerEntry& entry, MemberRecord member,
                   const char* problem) {
  MemberRecord before = member;
  absl::Status s = FoldEntry(entry, &member);
  INFO(s.ToString());
  REQUIRE(s.code() == absl::StatusCode::kInternal);
  CHECK(absl::StrContains(s.message(), problem));
  CHECK(member.SerializeAsString() == before.SerializeAsString());
}

TEST_CASE("entries fold into balances and totals", "[member_state]") {
  MemberRecord member = Enrolled();
  CHECK(member.member_id() == "alice");
  CHECK(member.status() == v1::MEMBER_STATUS_ACTIVE);
  CHECK(member.enrolled_at_ms() == 1001);
  for (const LedgerEntry& entry :
       {Entry(2, v1::ENTRY_KIND_EARN, 129, 129),
        Entry(3, v1::ENTRY_KIND_REDEEM, -29, 100),
        Entry(4, v1::ENTRY_KIND_ADJUST, -10, 90),
        Entry(5, v1::ENTRY_KIND_ADJUST, 5, 95),
        Entry(6, v1::ENTRY_KIND_EARN, 0, 95)}) {
    absl::Status s = FoldEntry(entry, &member);
    INFO(s.ToString());
    REQUIRE(s.ok());
  }
  v1::Balance balance = BalanceOf(member);
  CHECK(balance.member_id() == "alice");
  CHECK(balance.available_points() == 95);
  CHECK(balance.earned_points_total() == 129);
  CHECK(balance.redeemed_points_total() == 29);
  CHECK(balance.adjusted_points_total() == -5);
  CHECK(balance.entry_count() == 6);
  CHECK(balance.last_sequence() == 6);
}

TEST_CASE("the fold refuses entries that cannot follow the state",
          "[member_state]") {
  RequireBroken(Entry(2, v1::ENTRY_KIND_ENROLL, 0, 0), Enrolled(),
                "already exists");
  RequireBroken(Entry(1, v1::ENTRY_KIND_EARN, 5, 5), MemberRecord(),
                "never enrolled");
  RequireBroken(Entry(2, v1::ENTRY_KIND_REDEEM, -1, -1), Enrolled(),
                "more than is available");
  RequireBroken(Entry(2, v1::ENTRY_KIND_EARN, 5, 6), Enrolled(),
                "replay gives");
  RequireBroken(Entry(2, v1::ENTRY_KIND_EARN, -5, -5), Enrolled(),
                "negative delta");
  RequireBroken(Entry(2, v1::ENTRY_KIND_REDEEM, 5, 5), Enrolled(),
                "negative delta");
  RequireBroken(Entry(2, v1::ENTRY_KIND_ADJUST, 0, 0), Enrolled(),
                "zero delta");
  RequireBroken(Entry(2, v1::ENTRY_KIND_UNSPECIFIED, 1, 1), Enrolled(),
                "unknown entry kind");
}

TEST_CASE("the fold refuses to wrap a balance past INT64_MAX",
          "[member_state][overflow]") {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  MemberRecord member = Enrolled();
  REQUIRE(FoldEntry(Entry(2, v1::ENTRY_KIND_EARN, kMax, kMax), &member).ok());
  RequireBroken(Entry(3, v1::ENTRY_KIND_ADJUST, 1, kMax), member, "overflow");
}

}  // namespace
}  // namespace loyalty
