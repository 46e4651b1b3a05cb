// Points after the grant (ledger/points/time_driven.h): pending points over the
// return window, lots with calendar expiry in the program's time zone, spending
// soonest-expiring first, two-phase holds with timeouts, the time-driven
// entries written on access and by the sweep, and their replay.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "ledger/common/program.h"
#include "ledger/points/time_driven.h"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using testing::kAdmin;
using testing::kApp;
using testing::kPos;
using testing::kStartMs;
using testing::NothingChanged;
using testing::TestLedger;
using v1::Balance;
using v1::LedgerEntry;
using v1::ProgramConfig;

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;

// kStartMs is 2023-11-14T22:13:20Z, 2023-11-15 06:13:20 in Taipei (UTC+8).
// 2024-12-01 00:00 Taipei: the end of the 12th month after November 2023.
constexpr int64_t kNov2023LotExpiresMs = 1'732'982'400'000;
// 2024-01-01 00:00 Taipei (2023-12-31T16:00Z).
constexpr int64_t kJan2024TaipeiMs = 1'704'038'400'000;
// 2024-02-01 00:00 Taipei (2024-01-31T16:00Z).
constexpr int64_t kFeb2024TaipeiMs = 1'706'716'800'000;

// 1 pt per EUR, Taipei time, a 14-day return window, points that expire at
// the end of the 12th month after earning, holds of at most an hour and at
// most two open per member.
ProgramConfig PointsProgram() {
  ProgramConfig program = testing::TestProgram();
  program.set_time_zone("Asia/Taipei");
  program.set_return_window_days(14);
  program.mutable_expiry()->set_months_after_earn(12);
  program.set_hold_timeout_max_ms(kHourMs);
  program.set_holds_per_member_max(2);
  return program;
}

// The same without a return window: every grant is available at once.
ProgramConfig NoWindowProgram(int months_after_earn = 12) {
  ProgramConfig program = PointsProgram();
  program.set_return_window_days(0);
  program.mutable_expiry()->set_months_after_earn(months_after_earn);
  return program;
}

absl::StatusOr<v1::EarnResponse> EarnEuros(TestLedger& t,
                                           const std::string& request_id,
                                           const std::string& member_id,
                                           int64_t euros) {
  return testing::Earn(t.ledger(), kPos,
                       testing::EarnEur(request_id, member_id,
                                        "order-" + request_id, {euros * 100}));
}

absl::StatusOr<v1::RedeemResponse> RedeemPoints(TestLedger& t,
                                                const std::string& request_id,
                                                const std::string& member_id,
                                                int64_t points) {
  return testing::Redeem(t.ledger(), kApp,
                         testing::RedeemPoints(request_id, member_id,
                                               "order-" + request_id, points));
}

v1::HoldPointsRequest HoldRequest(const std::string& request_id,
                                  const std::string& member_id, int64_t points,
                                  int64_t timeout_ms = 10 * kMinuteMs) {
  v1::HoldPointsRequest request;
  *request.mutable_context() = testing::AppContext(request_id);
  request.set_member_id(member_id);
  request.set_order_id("web-" + request_id);
  request.set_points(points);
  request.set_timeout_ms(timeout_ms);
  return request;
}

v1::SettleHoldRequest SettleRequest(const std::string& request_id,
                                    const std::string& member_id,
                                    const std::string& hold_id) {
  v1::SettleHoldRequest request;
  *request.mutable_context() = testing::AppContext(request_id);
  request.set_member_id(member_id);
  request.set_hold_id(hold_id);
  return request;
}

absl::StatusOr<v1::HoldPointsResponse> Hold(TestLedger& t,
                                            v1::HoldPointsRequest request) {
  auto pending = testing::MakePending<v1::HoldPointsResponse>();
  t.ledger().Submit<HoldPointsCommand>(kApp, std::move(request),
                                       std::move(pending.done));
  return pending.result.get();
}

absl::StatusOr<v1::SettleHoldResponse> Capture(TestLedger& t,
                                               v1::SettleHoldRequest request) {
  auto pending = testing::MakePending<v1::SettleHoldResponse>();
  t.ledger().Submit<CapturePointsCommand>(kApp, std::move(request),
                                          std::move(pending.done));
  return pending.result.get();
}

absl::StatusOr<v1::SettleHoldResponse> Release(TestLedger& t,
                                               v1::SettleHoldRequest request) {
  auto pending = testing::MakePending<v1::SettleHoldResponse>();
  t.ledger().Submit<ReleasePointsCommand>(kApp, std::move(request),
                                          std::move(pending.done));
  return pending.result.get();
}

SweepResult SweepOk(TestLedger& t, int members_max = 100) {
  auto pending = testing::MakePending<SweepResult>();
  t.ledger().SubmitSystem<SweepCommand>(SweepRequest{members_max},
                                        std::move(pending.done));
  absl::StatusOr<SweepResult> result = pending.result.get();
  REQUIRE_OK(result);
  return *result;
}

Balance BalanceOf(TestLedger& t, const std::string& member_id) {
  return testing::ValueOrFail(t.ledger().GetBalance(member_id));
}

// The member's entries, oldest first.
std::vector<LedgerEntry> EntriesOf(TestLedger& t,
                                   const std::string& member_id) {
  std::vector<LedgerEntry> entries =
      testing::ListAll(t.ledger(), member_id, 500);
  return std::vector<LedgerEntry>(entries.rbegin(), entries.rend());
}

TEST_CASE("an earn inside the return window is pending and cannot be spent",
          "[points][pending]") {
  TestLedger t(PointsProgram());
  t.EnrollOk("ann");
  auto earned = EarnEuros(t, "e1", "ann", 100);
  REQUIRE_OK(earned);
  const LedgerEntry& entry = earned->entry();
  CHECK(entry.bucket() == v1::BUCKET_PENDING);
  CHECK(entry.points_delta() == 100);
  CHECK(entry.matures_at_ms() == kStartMs + 14 * kDayMs);
  CHECK(entry.lot_expires_at_ms() == kNov2023LotExpiresMs);
  CHECK(entry.available_after_points() == 0);
  CHECK(entry.pending_after_points() == 100);
  CHECK(earned->balance().pending_points() == 100);
  CHECK(earned->balance().available_points() == 0);
  CHECK(earned->balance().earned_points_total() == 100);

  NothingChanged before(t.store());
  auto spent = RedeemPoints(t, "r1", "ann", 1);
  CHECK(ReasonOf(spent.status()) == v1::ERROR_REASON_INSUFFICIENT_POINTS);
  before.CheckOnlyRequestRemembered();
  t.RequireVerifyOk();
}

TEST_CASE(
    "pending points mature exactly when the return window ends, and "
    "the next write records the maturation",
    "[points][pending]") {
  TestLedger t(PointsProgram());
  t.EnrollOk("ann");
  auto earned = EarnEuros(t, "e1", "ann", 100);
  REQUIRE_OK(earned);
  const uint64_t earn_sequence = earned->entry().sequence();

  t.clock().SetMs(kStartMs + 14 * kDayMs - 1);
  CHECK(BalanceOf(t, "ann").pending_points() == 100);
  CHECK(BalanceOf(t, "ann").available_points() == 0);

  // The read shows the maturation as of now without writing it.
  t.clock().AdvanceMs(1);
  NothingChanged read_only(t.store());
  Balance balance = BalanceOf(t, "ann");
  CHECK(balance.available_points() == 100);
  CHECK(balance.pending_points() == 0);
  CHECK(balance.as_of_ms() == t.clock().NowMs());
  read_only.Check();

  auto spent = RedeemPoints(t, "r1", "ann", 30);
  REQUIRE_OK(spent);
  CHECK(spent->balance().available_points() == 70);
  std::vector<LedgerEntry> entries = EntriesOf(t, "ann");
  REQUIRE(entries.size() == 4);  // ENROLL, EARN, MATURE, REDEEM.
  const LedgerEntry& mature = entries[2];
  CHECK(mature.kind() == v1::ENTRY_KIND_MATURE);
  CHECK(mature.principal() == "system");
  CHECK(mature.request_id().empty());
  CHECK(mature.lot_sequence() == earn_sequence);
  CHECK(mature.points_delta() == 100);
  CHECK(mature.occurred_at_ms() == kStartMs + 14 * kDayMs);
  CHECK(mature.available_after_points() == 100);
  CHECK(mature.pending_after_points() == 0);
  CHECK(entries[3].kind() == v1::ENTRY_KIND_REDEEM);
  t.RequireVerifyOk();
}

TEST_CASE(
    "an order older than the return window earns available points at "
    "once, dated by the order",
    "[points][pending]") {
  ProgramConfig program = PointsProgram();
  // This program takes month-old events (the default is 72 hours).
  program.set_event_age_max_hours(30 * 24);
  TestLedger t(program);
  t.EnrollOk("ann");
  v1::EarnRequest request =
      testing::EarnEur("late", "ann", "offline-order", {5000});
  // A terminal that was offline for 20 days sends the order now.
  request.mutable_context()->set_occurred_at_ms(kStartMs - 20 * kDayMs);
  auto earned = testing::Earn(t.ledger(), kPos, request);
  REQUIRE_OK(earned);
  CHECK(earned->entry().bucket() == v1::BUCKET_AVAILABLE);
  CHECK(earned->entry().matures_at_ms() == 0);
  CHECK(earned->balance().available_points() == 50);
  // 2023-10-25 Taipei: expires at the end of October 2024.
  CHECK(earned->entry().lot_expires_at_ms() ==
        LotExpiresAtMs(t.ledger().program().expiry(),
                       *ProgramTimeZone(t.ledger().program()),
                       kStartMs - 20 * kDayMs));
  CHECK(earned->entry().lot_expires_at_ms() < kNov2023LotExpiresMs);
}

TEST_CASE(
    "the sweep matures and expires points of members nobody touches, "
    "once",
    "[points][sweep]") {
  TestLedger t(PointsProgram());
  for (const char* member : {"ann", "bob", "cat"}) t.EnrollOk(member);
  REQUIRE_OK(EarnEuros(t, "e-ann", "ann", 10));
  REQUIRE_OK(EarnEuros(t, "e-bob", "bob", 20));

  CHECK(SweepOk(t).members_settled == 0);  // Nothing due yet.
  t.clock().AdvanceMs(14 * kDayMs);
  SweepResult swept = SweepOk(t);
  CHECK(swept.members_settled == 2);
  CHECK(swept.entries_written == 2);
  CHECK_FALSE(swept.more);
  CHECK(EntriesOf(t, "ann").back().kind() == v1::ENTRY_KIND_MATURE);
  CHECK(EntriesOf(t, "bob").back().kind() == v1::ENTRY_KIND_MATURE);

  NothingChanged after_first(t.store());
  CHECK(SweepOk(t).entries_written == 0);
  after_first.Check();

  // A year later both lots expire; a sweep limited to one member says so.
  t.clock().SetMs(kNov2023LotExpiresMs);
  swept = SweepOk(t, 1);
  CHECK(swept.members_settled == 1);
  CHECK(swept.more);
  swept = SweepOk(t, 1);
  CHECK(swept.members_settled == 1);
  CHECK(SweepOk(t).members_settled == 0);
  CHECK(BalanceOf(t, "ann").expired_points_total() == 10);
  CHECK(BalanceOf(t, "bob").available_points() == 0);
  CHECK(testing::FamilySize(t.store(), Family::kSchedule) == 0);
  t.RequireVerifyOk();
}

TEST_CASE(
    "lots expire at the end of the twelfth month after earning, in the "
    "program's time zone",
    "[points][expiry]") {
  TestLedger t(NoWindowProgram());
  t.EnrollOk("ann");
  auto earned = EarnEuros(t, "e1", "ann", 100);
  REQUIRE_OK(earned);
  CHECK(earned->entry().lot_expires_at_ms() == kNov2023LotExpiresMs);
  REQUIRE(earned->balance().next_expiring_size() == 1);
  CHECK(earned->balance().next_expiring(0).expires_at_ms() ==
        kNov2023LotExpiresMs);
  CHECK(earned->balance().next_expiring(0).points() == 100);

  t.clock().SetMs(kNov2023LotExpiresMs - 1);
  CHECK(BalanceOf(t, "ann").available_points() == 100);
  t.clock().SetMs(kNov2023LotExpiresMs);
  Balance expired = BalanceOf(t, "ann");
  CHECK(expired.available_points() == 0);
  CHECK(expired.expired_points_total() == 100);
  CHECK(expired.next_expiring_size() == 0);

  // The refused redemption still writes the expiry that fell due.
  auto spent = RedeemPoints(t, "r1", "ann", 1);
  CHECK(ReasonOf(spent.status()) == v1::ERROR_REASON_INSUFFICIENT_POINTS);
  const LedgerEntry expire = EntriesOf(t, "ann").back();
  CHECK(expire.kind() == v1::ENTRY_KIND_EXPIRE);
  CHECK(expire.points_delta() == -100);
  CHECK(expire.lot_expires_at_ms() == kNov2023LotExpiresMs);
  CHECK(expire.occurred_at_ms() == kNov2023LotExpiresMs);
  CHECK(expire.principal() == "system");
  t.RequireVerifyOk();
}

TEST_CASE(
    "the expiry date is the calendar month of the program's time zone, "
    "not UTC's",
    "[points][expiry]") {
  // 2023-12-31 23:59 in Taipei is still December there (15:59 UTC) ...
  TestLedger t(NoWindowProgram(1));
  t.clock().SetMs(kJan2024TaipeiMs - kMinuteMs);
  t.EnrollOk("ann");
  auto december = EarnEuros(t, "e1", "ann", 10);
  REQUIRE_OK(december);
  CHECK(december->entry().lot_expires_at_ms() == kFeb2024TaipeiMs);
  // ... and a minute later it is January in Taipei, still December in UTC.
  t.clock().AdvanceMs(kMinuteMs);
  auto january = EarnEuros(t, "e2", "ann", 10);
  REQUIRE_OK(january);
  CHECK(january->entry().lot_expires_at_ms() == 1'709'222'400'000);  // Mar 1.
}

TEST_CASE("lot expiry dates follow the calendar", "[points][expiry]") {
  const absl::TimeZone taipei = *ProgramTimeZone(PointsProgram());
  v1::PointsExpiry months;
  months.set_months_after_earn(1);
  // Earned on 31 January: expires at the start of March, whatever February's
  // length (2024 is a leap year).
  const int64_t jan31 = absl::ToUnixMillis(
      absl::FromCivil(absl::CivilSecond(2024, 1, 31, 12, 0, 0), taipei));
  CHECK(
      LotExpiresAtMs(months, taipei, jan31) ==
      absl::ToUnixMillis(absl::FromCivil(absl::CivilDay(2024, 3, 1), taipei)));
  v1::PointsExpiry year_end;
  year_end.set_years_after_earn_year_end(1);
  CHECK(LotExpiresAtMs(year_end, taipei, kStartMs) ==
        1'735'660'800'000);  // 2025-01-01 00:00 Taipei.
  year_end.set_years_after_earn_year_end(0);
  CHECK(LotExpiresAtMs(year_end, taipei, kStartMs) == kJan2024TaipeiMs);
  CHECK(LotExpiresAtMs(v1::PointsExpiry(), taipei, kStartMs) == 0);
  // In a zone with daylight saving, midnight is local midnight.
  absl::TimeZone berlin;
  REQUIRE(absl::LoadTimeZone("Europe/Berlin", &berlin));
  months.set_months_after_earn(2);
  const int64_t in_may =
      absl::ToUnixMillis(absl::FromCivil(absl::CivilDay(2024, 5, 10), berlin));
  CHECK(
      LotExpiresAtMs(months, berlin, in_may) ==
      absl::ToUnixMillis(absl::FromCivil(absl::CivilDay(2024, 8, 1), berlin)));
}

TEST_CASE(
    "spending takes the soonest-expiring lot first, and only what is "
    "left of a lot expires",
    "[points][expiry][lots]") {
  TestLedger t(NoWindowProgram(1));
  t.EnrollOk("ann");
  REQUIRE_OK(EarnEuros(t, "nov", "ann", 100));  // Expires 2024-01-01 Taipei.
  t.clock().AdvanceMs(30 * kDayMs);             // 2023-12-15 Taipei.
  REQUIRE_OK(EarnEuros(t, "dec", "ann", 50));   // Expires 2024-02-01.
  auto spent = RedeemPoints(t, "r1", "ann", 60);
  REQUIRE_OK(spent);
  const Balance& after = spent->balance();
  REQUIRE(after.next_expiring_size() == 2);
  CHECK(after.next_expiring(0).expires_at_ms() == kJan2024TaipeiMs);
  CHECK(after.next_expiring(0).points() == 40);
  CHECK(after.next_expiring(1).expires_at_ms() == kFeb2024TaipeiMs);
  CHECK(after.next_expiring(1).points() == 50);

  t.clock().SetMs(kJan2024TaipeiMs);
  Balance january = BalanceOf(t, "ann");
  CHECK(january.available_points() == 50);
  CHECK(january.expired_points_total() == 40);
  t.clock().SetMs(kFeb2024TaipeiMs);
  CHECK(BalanceOf(t, "ann").available_points() == 0);
  CHECK(SweepOk(t).entries_written == 2);
  std::vector<LedgerEntry> entries = EntriesOf(t, "ann");
  CHECK(entries[entries.size() - 2].points_delta() == -40);
  CHECK(entries.back().points_delta() == -50);
  t.RequireVerifyOk();
}

TEST_CASE("grants expiring on the same day share one lot", "[points][lots]") {
  TestLedger t(NoWindowProgram(1));
  t.EnrollOk("ann");
  REQUIRE_OK(EarnEuros(t, "a", "ann", 10));
  t.clock().AdvanceMs(kDayMs);
  REQUIRE_OK(EarnEuros(t, "b", "ann", 20));
  auto credited = t.CreditOk("ann", 5);  // An operator credit is a lot too.
  REQUIRE(credited.balance().next_expiring_size() == 1);
  CHECK(credited.balance().next_expiring(0).points() == 35);
  CHECK(credited.entry().lot_expires_at_ms() == kJan2024TaipeiMs);
}

TEST_CASE(
    "a hold reserves points nothing else can spend, and is captured "
    "once",
    "[points][holds]") {
  TestLedger t(NoWindowProgram());
  t.EnrollOk("ann");
  t.CreditOk("ann", 100);
  auto held = Hold(t, HoldRequest("h1", "ann", 60));
  REQUIRE_OK(held);
  CHECK(held->hold_id() == absl::StrCat("H", held->entry().sequence()));
  CHECK(held->expires_at_ms() == kStartMs + 10 * kMinuteMs);
  CHECK(held->entry().kind() == v1::ENTRY_KIND_HOLD);
  CHECK(held->entry().points_delta() == -60);
  CHECK(held->balance().available_points() == 40);
  CHECK(held->balance().held_points() == 60);

  auto overdraw = RedeemPoints(t, "r1", "ann", 50);
  CHECK(ReasonOf(overdraw.status()) == v1::ERROR_REASON_INSUFFICIENT_POINTS);

  auto captured = Capture(t, SettleRequest("c1", "ann", held->hold_id()));
  REQUIRE_OK(captured);
  CHECK(captured->entry().kind() == v1::ENTRY_KIND_CAPTURE);
  CHECK(captured->entry().bucket() == v1::BUCKET_HELD);
  CHECK(captured->entry().points_delta() == -60);
  CHECK(captured->entry().order_id() == "web-h1");
  CHECK(captured->balance().held_points() == 0);
  CHECK(captured->balance().available_points() == 40);
  CHECK(captured->balance().redeemed_points_total() == 60);

  // The same capture retried is the first answer; nothing is written.
  NothingChanged before_retry(t.store());
  auto retried = Capture(t, SettleRequest("c1", "ann", held->hold_id()));
  REQUIRE_OK(retried);
  CHECK(retried->replayed());
  before_retry.Check();

  // A second capture or a release under new request ids is refused.
  for (bool capture : {true, false}) {
    auto again = capture
                     ? Capture(t, SettleRequest("c2", "ann", held->hold_id()))
                     : Release(t, SettleRequest("c3", "ann", held->hold_id()));
    CHECK(absl::IsFailedPrecondition(again.status()));
    CHECK(ReasonOf(again.status()) == v1::ERROR_REASON_HOLD_NOT_ACTIVE);
  }
  CHECK(BalanceOf(t, "ann").redeemed_points_total() == 60);
  t.RequireVerifyOk();
}

TEST_CASE("a released hold gives its points back with their own expiry",
          "[points][holds][lots]") {
  TestLedger t(NoWindowProgram(1));
  t.EnrollOk("ann");
  REQUIRE_OK(EarnEuros(t, "nov", "ann", 30));  // Expires 2024-01-01.
  t.clock().AdvanceMs(30 * kDayMs);
  REQUIRE_OK(EarnEuros(t, "dec", "ann", 30));  // Expires 2024-02-01.
  auto held = Hold(t, HoldRequest("h1", "ann", 40));
  REQUIRE_OK(held);
  REQUIRE(held->balance().next_expiring_size() == 1);
  CHECK(held->balance().next_expiring(0).points() == 20);

  auto released = Release(t, SettleRequest("rel", "ann", held->hold_id()));
  REQUIRE_OK(released);
  CHECK(released->entry().kind() == v1::ENTRY_KIND_RELEASE);
  CHECK_FALSE(released->entry().hold_timed_out());
  const Balance& after = released->balance();
  CHECK(after.available_points() == 60);
  CHECK(after.held_points() == 0);
  REQUIRE(after.next_expiring_size() == 2);
  CHECK(after.next_expiring(0).expires_at_ms() == kJan2024TaipeiMs);
  CHECK(after.next_expiring(0).points() == 30);
  CHECK(after.next_expiring(1).points() == 30);
  t.RequireVerifyOk();
}

TEST_CASE(
    "a hold that times out releases itself with an entry, and a later "
    "capture is refused",
    "[points][holds][timeout]") {
  TestLedger t(NoWindowProgram());
  t.EnrollOk("ann");
  t.CreditOk("ann", 100);
  auto held = Hold(t, HoldRequest("h1", "ann", 70, kMinuteMs));
  REQUIRE_OK(held);

  t.clock().AdvanceMs(kMinuteMs - 1);
  CHECK(BalanceOf(t, "ann").held_points() == 70);
  t.clock().AdvanceMs(1);
  Balance timed_out = BalanceOf(t, "ann");
  CHECK(timed_out.held_points() == 0);
  CHECK(timed_out.available_points() == 100);

  auto late = Capture(t, SettleRequest("c1", "ann", held->hold_id()));
  CHECK(absl::IsFailedPrecondition(late.status()));
  CHECK(ReasonOf(late.status()) == v1::ERROR_REASON_HOLD_NOT_ACTIVE);
  const LedgerEntry release = EntriesOf(t, "ann").back();
  CHECK(release.kind() == v1::ENTRY_KIND_RELEASE);
  CHECK(release.hold_timed_out());
  CHECK(release.hold_id() == held->hold_id());
  CHECK(release.principal() == "system");
  CHECK(release.occurred_at_ms() == held->expires_at_ms());
  CHECK(release.points_delta() == 70);
  t.RequireVerifyOk();
}

TEST_CASE(
    "the sweep releases holds that timed out for members nobody "
    "touches",
    "[points][holds][sweep]") {
  TestLedger t(NoWindowProgram());
  t.EnrollOk("ann");
  t.CreditOk("ann", 10);
  REQUIRE_OK(Hold(t, HoldRequest("h1", "ann", 10, 5000)));
  t.clock().AdvanceMs(5000);
  SweepResult swept = SweepOk(t);
  CHECK(swept.members_settled == 1);
  CHECK(swept.entries_written == 1);
  CHECK(EntriesOf(t, "ann").back().hold_timed_out());
  t.Reopen();  // The sweep's writes are durable like any other.
  CHECK(BalanceOf(t, "ann").available_points() == 10);
  t.RequireVerifyOk();
}

TEST_CASE(
    "capturing an unknown hold or another member's is NOT_FOUND and "
    "remembered",
    "[points][holds]") {
  TestLedger t(NoWindowProgram());
  t.EnrollOk("ann");
  t.EnrollOk("bob");
  t.CreditOk("bob", 10);
  auto bobs = Hold(t, HoldRequest("h-bob", "bob", 10));
  REQUIRE_OK(bobs);
  // Entry 1 exists but is an ENROLL, not a hold; 999 does not exist.
  for (const std::string& hold_id :
       {bobs->hold_id(), std::string("H1"), std::string("H999")}) {
    auto captured = Capture(t, SettleRequest("c-" + hold_id, "ann", hold_id));
    INFO(hold_id << ": " << testing::StatusText(captured));
    CHECK(absl::IsNotFound(captured.status()));
    CHECK(ReasonOf(captured.status()) == v1::ERROR_REASON_HOLD_NOT_FOUND);
  }
  CHECK(BalanceOf(t, "bob").held_points() == 10);
  auto unknown_member = Capture(t, SettleRequest("c-x", "nobody", "H2"));
  CHECK(ReasonOf(unknown_member.status()) == v1::ERROR_REASON_MEMBER_NOT_FOUND);
}

TEST_CASE(
    "malformed holds are INVALID_ARGUMENT naming the field and change "
    "nothing",
    "[points][holds][validation]") {
  TestLedger t(NoWindowProgram());
  t.EnrollOk("ann");
  t.CreditOk("ann", 100);
  NothingChanged before(t.store());
  struct Case {
    v1::HoldPointsRequest request;
    const char* field;
  };
  std::vector<Case> cases;
  cases.push_back({HoldRequest("h", "ann", 0), "points"});
  cases.push_back({HoldRequest("h", "ann", -5), "points"});
  cases.push_back({HoldRequest("h", "ann", 10, 999), "timeout_ms"});
  cases.push_back({HoldRequest("h", "ann", 10, kHourMs + 1), "timeout_ms"});
  cases.push_back({HoldRequest("h", "", 10), "member_id"});
  v1::HoldPointsRequest no_request_id = HoldRequest("", "ann", 10);
  cases.push_back({no_request_id, "request_id"});
  for (const Case& c : cases) {
    auto held = Hold(t, c.request);
    INFO(c.field << ": " << testing::StatusText(held));
    CHECK(absl::IsInvalidArgument(held.status()));
    CHECK(absl::StrContains(held.status().message(), c.field));
  }
  for (const char* hold_id :
       {"", "H", "H0", "H01", "7", "h7", "H7x", "H99999999999999999999999"}) {
    auto captured = Capture(t, SettleRequest("c", "ann", hold_id));
    INFO("hold_id \"" << hold_id << "\": " << testing::StatusText(captured));
    CHECK(absl::IsInvalidArgument(captured.status()));
    CHECK(absl::StrContains(captured.status().message(), "hold_id"));
  }
  before.Check();
}

TEST_CASE("a member has at most the program's number of open holds",
          "[points][holds]") {
  TestLedger t(NoWindowProgram());
  t.EnrollOk("ann");
  t.CreditOk("ann", 100);
  auto first = Hold(t, HoldRequest("h1", "ann", 10));
  REQUIRE_OK(first);
  auto second = Hold(t, HoldRequest("h2", "ann", 10));
  REQUIRE_OK(second);
  auto third = Hold(t, HoldRequest("h3", "ann", 10));
  CHECK(ReasonOf(third.status()) == v1::ERROR_REASON_TOO_MANY_HOLDS);
  // A closed hold frees its place.
  REQUIRE_OK(Release(t, SettleRequest("r1", "ann", first->hold_id())));
  REQUIRE_OK(Hold(t, HoldRequest("h4", "ann", 10)));
  CHECK(ReasonOf(Hold(t, HoldRequest("h5", "ann", 1)).status()) ==
        v1::ERROR_REASON_TOO_MANY_HOLDS);
  // More than is available (100 - 10 captured - 10 held) is refused like a
  // redemption.
  REQUIRE_OK(Capture(t, SettleRequest("c1", "ann", second->hold_id())));
  auto big = Hold(t, HoldRequest("h6", "ann", 81));
  CHECK(ReasonOf(big.status()) == v1::ERROR_REASON_INSUFFICIENT_POINTS);
  t.RequireVerifyOk();
}

TEST_CASE(
    "replay re-derives lots, pending points, holds and the schedule, "
    "and notices a schedule that disagrees",
    "[points][verify]") {
  TestLedger t(PointsProgram());
  t.EnrollOk("ann");
  t.EnrollOk("bob");
  REQUIRE_OK(EarnEuros(t, "e1", "ann", 40));
  t.CreditOk("bob", 50);
  REQUIRE_OK(Hold(t, HoldRequest("h1", "bob", 20)));
  t.clock().AdvanceMs(15 * kDayMs);
  REQUIRE_OK(RedeemPoints(t, "r1", "ann", 5));
  t.RequireVerifyOk();

  t.store().PutRaw(Family::kSchedule, ScheduleKey(kStartMs, "ann"), "");
  CHECK(t.VerifyReports("schedule"));
}

}  // namespace
}  // namespace loyalty
