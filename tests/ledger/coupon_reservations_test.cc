// Coupon reservations (ledger/coupons/reserve_coupon.h): a reservation sets
// one use aside for an order waiting for payment; commit makes it a use,
// release gives it back, each once; the ledger releases it at its timeout.
// Never more uses than a coupon allows, whatever mix of reservations and
// redemptions races for it.
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "coupon_test_util.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/codes.h"
#include "ledger/points/sweep.h"

namespace loyalty {
namespace {

using testing::CallLedger;
using testing::CodeOf;
using testing::IssueOk;
using testing::kApp;
using testing::kPos;
using testing::kStartMs;
using testing::NothingChanged;
using testing::PercentTemplate;
using testing::ReasonOfResult;
using testing::RedeemAtTill;
using testing::TestLedger;
using v1::CouponTemplate;

constexpr int64_t kMinuteMs = 60'000;

v1::ProgramConfig ReservationProgram() {
  v1::ProgramConfig program = testing::TestProgram();
  program.set_hold_timeout_max_ms(60 * kMinuteMs);
  program.set_holds_per_member_max(2);
  *program.add_coupon_templates() = PercentTemplate("welcome-10", 10);
  CouponTemplate triple = PercentTemplate("triple", 5);
  triple.set_uses_per_coupon(3);
  *program.add_coupon_templates() = triple;
  CouponTemplate app_only = PercentTemplate("app-only", 10);
  app_only.add_channels(v1::CHANNEL_APP);
  *program.add_coupon_templates() = app_only;
  return program;
}

v1::ReserveCouponRequest ReserveRequest(std::string request_id,
                                        std::string member_id, std::string code,
                                        int64_t timeout_ms = 10 * kMinuteMs) {
  v1::ReserveCouponRequest request;
  *request.mutable_context() = testing::AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_code(std::move(code));
  request.set_order_id("web-order-1");
  request.set_timeout_ms(timeout_ms);
  return request;
}

absl::StatusOr<v1::ReserveCouponResponse> Reserve(
    TestLedger& t, v1::ReserveCouponRequest request) {
  return CallLedger<ReserveCouponCommand>(t.ledger(), kApp, std::move(request));
}

v1::SettleCouponReservationRequest SettleRequest(std::string request_id,
                                                 std::string member_id,
                                                 std::string reservation_id) {
  v1::SettleCouponReservationRequest request;
  *request.mutable_context() = testing::AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_reservation_id(std::move(reservation_id));
  return request;
}

absl::StatusOr<v1::SettleCouponReservationResponse> Commit(
    TestLedger& t, std::string request_id, std::string member_id,
    std::string reservation_id) {
  return CallLedger<CommitCouponCommand>(
      t.ledger(), kApp,
      SettleRequest(std::move(request_id), std::move(member_id),
                    std::move(reservation_id)));
}

absl::StatusOr<v1::SettleCouponReservationResponse> Release(
    TestLedger& t, std::string request_id, std::string member_id,
    std::string reservation_id) {
  return CallLedger<ReleaseCouponCommand>(
      t.ledger(), kApp,
      SettleRequest(std::move(request_id), std::move(member_id),
                    std::move(reservation_id)));
}

std::string ReserveOk(TestLedger& t, const std::string& request_id,
                      const std::string& member_id, const std::string& code,
                      int64_t timeout_ms = 10 * kMinuteMs) {
  auto reserved =
      Reserve(t, ReserveRequest(request_id, member_id, code, timeout_ms));
  REQUIRE_OK(reserved);
  return reserved->reservation_id();
}

SweepResult SweepOk(TestLedger& t) {
  auto pending = testing::MakePending<SweepResult>();
  t.ledger().SubmitSystem<SweepCommand>(SweepRequest{100},
                                        std::move(pending.done));
  absl::StatusOr<SweepResult> result = pending.result.get();
  REQUIRE_OK(result);
  return *result;
}

TEST_CASE(
    "a reserved use is taken for everyone until committed, and a "
    "commit makes it the coupon's use on the reserved order",
    "[coupons][reservations]") {
  TestLedger t(ReservationProgram());
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "welcome-10");

  auto reserved = Reserve(t, ReserveRequest("res-1", "alice", code));
  REQUIRE_OK(reserved);
  CHECK(reserved->entry().kind() == v1::ENTRY_KIND_COUPON_RESERVE);
  CHECK(reserved->reservation_id() ==
        absl::StrCat("R", reserved->entry().sequence()));
  CHECK(reserved->expires_at_ms() == kStartMs + 10 * kMinuteMs);
  CHECK(reserved->coupon().uses() == 0);
  CHECK(reserved->coupon().uses_reserved() == 1);
  CHECK(reserved->coupon().state() == v1::COUPON_STATE_RESERVED);

  // The till cannot take the reserved use.
  {
    NothingChanged nothing(t.store());
    auto at_till = RedeemAtTill(t.ledger(), "till-1", "alice", code);
    CHECK(ReasonOfResult(at_till) == v1::ERROR_REASON_COUPON_USED_UP);
    CHECK(absl::StrContains(at_till.status().message(), "reserved"));
    nothing.CheckOnlyRequestRemembered();
  }

  auto committed = Commit(t, "commit-1", "alice", reserved->reservation_id());
  REQUIRE_OK(committed);
  CHECK(committed->entry().kind() == v1::ENTRY_KIND_COUPON_REDEEM);
  CHECK(committed->entry().coupon_redeemed().reservation_id() ==
        reserved->reservation_id());
  CHECK(committed->entry().order_id() == "web-order-1");
  CHECK(committed->coupon().uses() == 1);
  CHECK(committed->coupon().uses_reserved() == 0);
  CHECK(committed->coupon().state() == v1::COUPON_STATE_USED_UP);

  // Once: a second commit or a release is refused; a retry replays.
  NothingChanged nothing(t.store());
  auto again = Commit(t, "commit-2", "alice", reserved->reservation_id());
  CHECK(CodeOf(again) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(again) ==
        v1::ERROR_REASON_COUPON_RESERVATION_NOT_ACTIVE);
  auto release = Release(t, "release-1", "alice", reserved->reservation_id());
  CHECK(ReasonOfResult(release) ==
        v1::ERROR_REASON_COUPON_RESERVATION_NOT_ACTIVE);
  auto replay = Commit(t, "commit-1", "alice", reserved->reservation_id());
  REQUIRE_OK(replay);
  CHECK(replay->replayed());
  CHECK(t.ledger().GetCoupon(code)->uses() == 1);
  t.Reopen();
  CHECK(t.ledger().GetCoupon(code)->uses() == 1);
  t.RequireVerifyOk();
}

TEST_CASE("a released reservation gives its use back at once",
          "[coupons][reservations]") {
  TestLedger t(ReservationProgram());
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "welcome-10");
  const std::string reservation = ReserveOk(t, "res-1", "alice", code);
  auto released = Release(t, "rel-1", "alice", reservation);
  REQUIRE_OK(released);
  CHECK(released->entry().kind() == v1::ENTRY_KIND_COUPON_RELEASE);
  CHECK_FALSE(released->entry().coupon_released().timed_out());
  CHECK(released->coupon().state() == v1::COUPON_STATE_USABLE);
  CHECK(released->coupon().uses() == 0);
  auto commit = Commit(t, "commit-1", "alice", reservation);
  CHECK(ReasonOfResult(commit) ==
        v1::ERROR_REASON_COUPON_RESERVATION_NOT_ACTIVE);
  REQUIRE_OK(RedeemAtTill(t.ledger(), "till-1", "alice", code));
  t.RequireVerifyOk();
}

TEST_CASE(
    "a reservation nobody settles frees its use at its timeout, the "
    "ledger writes the release and a late commit is refused",
    "[coupons][reservations][time]") {
  TestLedger t(ReservationProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  const std::string code = IssueOk(t, "i1", "alice", "welcome-10");
  const std::string bob_code = IssueOk(t, "i2", "bob", "welcome-10");
  const std::string late = ReserveOk(t, "res-1", "alice", code, 5 * kMinuteMs);
  const std::string swept =
      ReserveOk(t, "res-2", "bob", bob_code, 5 * kMinuteMs);

  t.clock().SetMs(kStartMs + 5 * kMinuteMs - 1);
  CHECK(t.ledger().GetCoupon(code)->state() == v1::COUPON_STATE_RESERVED);
  t.clock().SetMs(kStartMs + 5 * kMinuteMs);
  // Reads see the use free as soon as the reservation expires.
  CHECK(t.ledger().GetCoupon(code)->state() == v1::COUPON_STATE_USABLE);
  CHECK(t.ledger().GetCoupon(code)->uses_reserved() == 0);

  // alice's commit settles her first: the timeout's release, then refused.
  auto commit = Commit(t, "commit-1", "alice", late);
  CHECK(CodeOf(commit) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(commit) ==
        v1::ERROR_REASON_COUPON_RESERVATION_NOT_ACTIVE);
  REQUIRE_OK(RedeemAtTill(t.ledger(), "till-1", "alice", code));

  // bob's is released by the sweep, on the ledger's own principal.
  CHECK(SweepOk(t).members_settled == 1);
  v1::ListEntriesRequest statement;
  statement.set_member_id("bob");
  statement.set_page_size(100);
  auto entries = t.ledger().ListEntries(statement);
  REQUIRE_OK(entries);
  v1::LedgerEntry last;
  int releases = 0;
  for (const v1::LedgerEntry& entry : entries->entries()) {
    if (entry.kind() == v1::ENTRY_KIND_COUPON_RELEASE) {
      last = entry;
      ++releases;
    }
  }
  CHECK(releases == 1);
  CHECK(last.coupon_released().timed_out());
  CHECK(last.coupon_released().reservation_id() == swept);
  CHECK(last.principal() == "system");
  CHECK(last.occurred_at_ms() == kStartMs + 5 * kMinuteMs);
  CHECK(SweepOk(t).members_settled == 0);
  t.Reopen();
  CHECK(t.ledger().GetCoupon(bob_code)->state() == v1::COUPON_STATE_USABLE);
  CHECK(ReasonOfResult(Release(t, "rel-1", "bob", swept)) ==
        v1::ERROR_REASON_COUPON_RESERVATION_NOT_ACTIVE);
  t.RequireVerifyOk();
}

TEST_CASE(
    "concurrent reservations and redemptions of one coupon: exactly "
    "its uses are taken",
    "[coupons][reservations][concurrency]") {
  TestLedger t(ReservationProgram());
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "triple");
  std::mutex mutex;
  std::vector<std::string> reservations;
  const testing::CouponRace race = testing::RaceForCoupon(
      8, 4, [&](const std::string& request_id) -> absl::StatusOr<bool> {
        // Half the calls redeem at a till, half reserve online.
        if (request_id.back() % 2 == 0) {
          LEDGER_RETURN_IF_ERROR(
              RedeemAtTill(t.ledger(), request_id, "alice", code).status());
          return true;
        }
        auto reserved = Reserve(t, ReserveRequest(request_id, "alice", code));
        LEDGER_RETURN_IF_ERROR(reserved.status());
        std::lock_guard<std::mutex> lock(mutex);
        reservations.push_back(reserved->reservation_id());
        return true;
      });
  CHECK(race.succeeded == 3);
  CHECK(race.used_up + race.succeeded <= 8 * 4);
  for (size_t i = 0; i < reservations.size(); ++i) {
    REQUIRE_OK(Commit(t, absl::StrCat("commit-", i), "alice", reservations[i]));
  }
  auto coupon = t.ledger().GetCoupon(code);
  REQUIRE_OK(coupon);
  CHECK(coupon->uses() == 3);
  CHECK(coupon->state() == v1::COUPON_STATE_USED_UP);
  t.RequireVerifyOk();
}

TEST_CASE(
    "a reservation is refused as RedeemCoupon refuses, and past the "
    "program's open reservations per member",
    "[coupons][reservations]") {
  TestLedger t(ReservationProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  const std::string app_only = IssueOk(t, "i1", "alice", "app-only");
  const std::string first = IssueOk(t, "i2", "alice", "welcome-10");
  const std::string second = IssueOk(t, "i3", "alice", "welcome-10");
  const std::string third = IssueOk(t, "i4", "alice", "welcome-10");

  auto refused = [&](v1::ReserveCouponRequest request, absl::StatusCode code,
                     v1::ErrorReason reason) {
    NothingChanged nothing(t.store());
    auto result =
        CallLedger<ReserveCouponCommand>(t.ledger(), kPos, std::move(request));
    INFO(result.status().ToString());
    CHECK(CodeOf(result) == code);
    CHECK(ReasonOfResult(result) == reason);
    nothing.CheckOnlyRequestRemembered();
  };
  v1::ReserveCouponRequest at_till = ReserveRequest("p1", "alice", app_only);
  *at_till.mutable_context() = testing::PosContext("p1");
  refused(at_till, absl::StatusCode::kFailedPrecondition,
          v1::ERROR_REASON_COUPON_WRONG_CHANNEL);
  v1::ReserveCouponRequest not_bobs = ReserveRequest("p2", "bob", first);
  refused(not_bobs, absl::StatusCode::kNotFound,
          v1::ERROR_REASON_COUPON_NOT_FOUND);

  ReserveOk(t, "res-1", "alice", first);
  ReserveOk(t, "res-2", "alice", second);
  refused(ReserveRequest("res-3", "alice", third),
          absl::StatusCode::kFailedPrecondition,
          v1::ERROR_REASON_TOO_MANY_COUPON_RESERVATIONS);
  t.RequireVerifyOk();
}

TEST_CASE(
    "malformed reservation requests are refused with the field named "
    "and change nothing",
    "[coupons][reservations][validation]") {
  TestLedger t(ReservationProgram());
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "welcome-10");
  const std::string reservation = ReserveOk(t, "res-1", "alice", code);
  NothingChanged nothing(t.store());
  auto reserve_invalid = [&](v1::ReserveCouponRequest request,
                             const std::string& field) {
    auto result = Reserve(t, std::move(request));
    INFO(result.status().ToString());
    CHECK(CodeOf(result) == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(result.status().message(), field));
  };
  reserve_invalid(ReserveRequest("b1", "alice", code, 999), "timeout_ms");
  reserve_invalid(ReserveRequest("b2", "alice", code, 60 * kMinuteMs + 1),
                  "timeout_ms");
  reserve_invalid(ReserveRequest("b3", "alice", code + "X"), "code");
  v1::ReserveCouponRequest bad_order = ReserveRequest("b4", "alice", code);
  bad_order.set_order_id(std::string(65, 'o'));
  reserve_invalid(bad_order, "order_id");

  for (const std::string bad_id :
       {"", "H12", "R", "R0", "R12x", "r12", "R123456789012345678901"}) {
    INFO(bad_id);
    auto commit = Commit(t, "c1", "alice", bad_id);
    CHECK(CodeOf(commit) == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(commit.status().message(), "reservation_id"));
  }
  nothing.Check();
  // A well-formed id that is no reservation of this member.
  auto unknown = Release(t, "c2", "alice", "R1");
  CHECK(CodeOf(unknown) == absl::StatusCode::kNotFound);
  CHECK(ReasonOfResult(unknown) ==
        v1::ERROR_REASON_COUPON_RESERVATION_NOT_FOUND);
  CHECK(t.ledger().GetCoupon(code)->uses_reserved() == 1);
  REQUIRE_OK(Commit(t, "c3", "alice", reservation));
}

TEST_CASE("reservations move with a merge and keep a member from closing",
          "[coupons][reservations][members]") {
  TestLedger t(ReservationProgram());
  t.EnrollOk("alice");
  t.EnrollOk("alice-old");
  const std::string code = IssueOk(t, "i1", "alice-old", "welcome-10");
  const std::string reservation = ReserveOk(t, "res-1", "alice-old", code);

  auto close = testing::Close(t.ledger(),
                              testing::CloseRequest("c1", "alice-old", false));
  CHECK(ReasonOfResult(close) == v1::ERROR_REASON_MEMBER_NOT_SETTLED);
  CHECK(absl::StrContains(close.status().message(), "coupon reservations"));

  REQUIRE_OK(testing::Merge(t.ledger(),
                            testing::MergeRequest("m1", "alice-old", "alice")));
  auto committed = Commit(t, "commit-1", "alice", reservation);
  REQUIRE_OK(committed);
  CHECK(committed->entry().member_id() == "alice");
  CHECK(committed->coupon().uses() == 1);
  t.Reopen();
  t.RequireVerifyOk();
}

TEST_CASE(
    "a merge brings a reservation whose timeout the target's sweep "
    "then releases",
    "[coupons][reservations][members][time]") {
  TestLedger t(ReservationProgram());
  t.EnrollOk("alice");
  t.EnrollOk("alice-old");
  const std::string code = IssueOk(t, "i1", "alice-old", "welcome-10");
  ReserveOk(t, "res-1", "alice-old", code, 2 * kMinuteMs);
  REQUIRE_OK(testing::Merge(t.ledger(),
                            testing::MergeRequest("m1", "alice-old", "alice")));
  t.clock().SetMs(kStartMs + 3 * kMinuteMs);
  CHECK(SweepOk(t).members_settled == 1);
  CHECK(t.ledger().GetCoupon(code)->state() == v1::COUPON_STATE_USABLE);
  REQUIRE_OK(RedeemAtTill(t.ledger(), "till-1", "alice", code));
  t.RequireVerifyOk();
}

TEST_CASE("Verify finds a coupon reservation that no entry made",
          "[coupons][reservations][verify]") {
  TestLedger t(ReservationProgram());
  t.EnrollOk("alice");
  const std::string code = IssueOk(t, "i1", "alice", "triple");
  ReserveOk(t, "res-1", "alice", code);
  t.RequireVerifyOk();
  const std::string canonical = *ParseCouponCode(code, "code");
  storage::v1::CouponRecord forged;
  REQUIRE(forged.ParseFromString(*t.store().Get(Family::kCoupons, canonical)));
  *forged.add_reservations() = forged.reservations(0);
  forged.mutable_reservations(1)->set_reservation_id("R999");
  t.store().PutRaw(Family::kCoupons, canonical, forged.SerializeAsString());
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK_FALSE(verified->ok());
}

}  // namespace
}  // namespace loyalty
