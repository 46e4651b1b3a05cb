// Offline redemptions (ledger/offline/): a till's redemption made while it
// could not reach the server, reconciled when it syncs by the program's
// offline rules: the day's allowance, then the member's points, then the
// shortfall policy (debt down to the floor, or refused). Every outcome is
// an entry; those the ledger did not apply as the till did are listed for
// an operator, and VerifyLedger re-derives that list.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "ledger/common/keys.h"
#include "ledger/common/page_token.h"
#include "ledger/common/program.h"
#include "ledger_test_util.h"
#include "member_test_util.h"

namespace loyalty {
namespace {

using testing::kPos;
using testing::kStartMs;
using testing::NothingChanged;
using testing::TestLedger;
using v1::ProgramConfig;

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr int64_t kFloorPoints = -300;
constexpr int64_t kAllowancePoints = 500;

ProgramConfig OfflineProgram(v1::OfflineShortfallPolicy when_short) {
  ProgramConfig program = testing::TestProgram();
  program.mutable_offline_redemption()->set_points_per_member_day(
      kAllowancePoints);
  program.mutable_offline_redemption()->set_when_short(when_short);
  if (when_short == v1::OFFLINE_SHORTFALL_POLICY_DEBT) {
    program.set_negative_balance_floor_points(kFloorPoints);
  }
  return program;
}

// A till's offline redemption as its journal sends it on sync.
v1::RedeemRequest OfflineRedeem(std::string request_id, std::string member_id,
                                int64_t points,
                                int64_t occurred_at_ms = kStartMs - kHourMs) {
  const std::string order_id = "o-" + request_id;
  v1::RedeemRequest request = testing::RedeemPoints(
      std::move(request_id), std::move(member_id), order_id, points);
  *request.mutable_context() =
      testing::PosContext(request.context().request_id());
  request.mutable_context()->set_occurred_at_ms(occurred_at_ms);
  request.set_offline(true);
  return request;
}

std::vector<v1::LedgerEntry> Reconciliations(TestLedger& t) {
  v1::ListOfflineReconciliationsRequest request;
  request.set_page_size(1);
  std::vector<v1::LedgerEntry> entries;
  while (true) {
    auto page = t.ledger().ListOfflineReconciliations(request);
    REQUIRE_OK(page);
    for (const v1::LedgerEntry& entry : page->entries()) {
      entries.push_back(entry);
    }
    if (page->next_page_token().empty()) return entries;
    request.set_page_token(page->next_page_token());
  }
}

TEST_CASE(
    "an offline redemption the member can cover is a REDEEM marked "
    "offline, dated by the sale, and is not listed",
    "[offline]") {
  TestLedger t(OfflineProgram(v1::OFFLINE_SHORTFALL_POLICY_DEBT));
  t.EnrollOk("ann");
  t.CreditOk("ann", 1000);
  auto redeemed =
      testing::Redeem(t.ledger(), kPos, OfflineRedeem("off-1", "ann", 200));
  REQUIRE_OK(redeemed);
  const v1::LedgerEntry& entry = redeemed->entry();
  CHECK(entry.kind() == v1::ENTRY_KIND_REDEEM);
  CHECK(entry.points_delta() == -200);
  CHECK(entry.occurred_at_ms() == kStartMs - kHourMs);
  CHECK(entry.offline_redemption().outcome() == v1::OFFLINE_OUTCOME_APPLIED);
  CHECK(entry.offline_redemption().points() == 200);
  CHECK(entry.offline_redemption().available_points() == 1000);
  CHECK(entry.offline_redemption().allowance_left_points() == kAllowancePoints);
  CHECK(redeemed->balance().available_points() == 800);
  CHECK(Reconciliations(t).empty());
  t.RequireVerifyOk();
}

TEST_CASE(
    "past the day's allowance an offline redemption is recorded as refused "
    "and listed; another day has its own allowance",
    "[offline]") {
  TestLedger t(OfflineProgram(v1::OFFLINE_SHORTFALL_POLICY_DEBT));
  t.EnrollOk("ann");
  t.CreditOk("ann", 10'000);
  const int64_t yesterday_ms = kStartMs - 30 * kHourMs;
  REQUIRE_OK(testing::Redeem(t.ledger(), kPos,
                             OfflineRedeem("off-1", "ann", 400, yesterday_ms)));
  auto over = testing::Redeem(t.ledger(), kPos,
                              OfflineRedeem("off-2", "ann", 101, yesterday_ms));
  REQUIRE_OK(over);
  CHECK(over->entry().kind() == v1::ENTRY_KIND_OFFLINE_REDEEM_REFUSED);
  CHECK(over->entry().points_delta() == 0);
  CHECK(over->entry().offline_redemption().outcome() ==
        v1::OFFLINE_OUTCOME_REFUSED_OVER_ALLOWANCE);
  CHECK(over->entry().offline_redemption().allowance_left_points() == 100);
  CHECK(t.Available("ann") == 9'600);
  // Exactly what is left of that day's allowance is still applied.
  auto rest = testing::Redeem(t.ledger(), kPos,
                              OfflineRedeem("off-3", "ann", 100, yesterday_ms));
  REQUIRE_OK(rest);
  CHECK(rest->entry().offline_redemption().outcome() ==
        v1::OFFLINE_OUTCOME_APPLIED);
  // Today (the sale an hour ago) counts afresh.
  auto today = testing::Redeem(t.ledger(), kPos,
                               OfflineRedeem("off-4", "ann", kAllowancePoints));
  REQUIRE_OK(today);
  CHECK(today->entry().offline_redemption().outcome() ==
        v1::OFFLINE_OUTCOME_APPLIED);
  CHECK(t.Available("ann") == 9'600 - 100 - kAllowancePoints);

  const std::vector<v1::LedgerEntry> listed = Reconciliations(t);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].sequence() == over->entry().sequence());
  t.RequireVerifyOk();
}

TEST_CASE(
    "under the DEBT policy a member short of points goes into debt down to "
    "the floor, the rest is written off, and later points pay the debt",
    "[offline]") {
  TestLedger t(OfflineProgram(v1::OFFLINE_SHORTFALL_POLICY_DEBT));
  t.EnrollOk("ann");
  t.CreditOk("ann", 100);
  auto redeemed =
      testing::Redeem(t.ledger(), kPos, OfflineRedeem("off-1", "ann", 450));
  REQUIRE_OK(redeemed);
  const v1::OfflineRedemption& details = redeemed->entry().offline_redemption();
  CHECK(redeemed->entry().kind() == v1::ENTRY_KIND_REDEEM);
  CHECK(details.outcome() == v1::OFFLINE_OUTCOME_DEBT);
  // 100 from the lots, 300 down to the floor, 50 past it written off.
  CHECK(redeemed->entry().points_delta() == -400);
  CHECK(details.debt_points() == 300);
  CHECK(details.written_off_points() == 50);
  CHECK(redeemed->entry().debt_after_points() == 300);
  CHECK(t.Available("ann") == kFloorPoints);
  // At the floor nothing more can be taken: all of it is written off.
  auto at_floor =
      testing::Redeem(t.ledger(), kPos, OfflineRedeem("off-2", "ann", 40));
  REQUIRE_OK(at_floor);
  CHECK(at_floor->entry().points_delta() == 0);
  CHECK(at_floor->entry().offline_redemption().written_off_points() == 40);
  t.CreditOk("ann", 500);
  CHECK(t.Available("ann") == 200);

  const std::vector<v1::LedgerEntry> listed = Reconciliations(t);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].sequence() == redeemed->entry().sequence());
  CHECK(listed[1].sequence() == at_floor->entry().sequence());
  t.RequireVerifyOk();
}

TEST_CASE(
    "under the REFUSE policy a member short of points keeps them; the "
    "redemption is recorded as refused and listed",
    "[offline]") {
  TestLedger t(OfflineProgram(v1::OFFLINE_SHORTFALL_POLICY_REFUSE));
  t.EnrollOk("ann");
  t.CreditOk("ann", 100);
  auto refused =
      testing::Redeem(t.ledger(), kPos, OfflineRedeem("off-1", "ann", 150));
  REQUIRE_OK(refused);
  CHECK(refused->entry().kind() == v1::ENTRY_KIND_OFFLINE_REDEEM_REFUSED);
  CHECK(refused->entry().offline_redemption().outcome() ==
        v1::OFFLINE_OUTCOME_REFUSED_SHORT);
  CHECK(refused->entry().offline_redemption().available_points() == 100);
  CHECK(t.Available("ann") == 100);
  // A refused one does not use up the day's allowance.
  auto applied =
      testing::Redeem(t.ledger(), kPos, OfflineRedeem("off-2", "ann", 100));
  REQUIRE_OK(applied);
  CHECK(applied->entry().offline_redemption().allowance_left_points() ==
        kAllowancePoints);
  REQUIRE(Reconciliations(t).size() == 1);
  // Its retry gets the first answer, though the member's points changed.
  auto retried =
      testing::Redeem(t.ledger(), kPos, OfflineRedeem("off-1", "ann", 150));
  REQUIRE_OK(retried);
  CHECK(retried->replayed());
  CHECK(retried->entry().sequence() == refused->entry().sequence());
  t.RequireVerifyOk();
}

TEST_CASE(
    "a merge sums the members' offline redemptions of a day: the allowance "
    "counts what the person redeemed under either id",
    "[offline][merge]") {
  TestLedger t(OfflineProgram(v1::OFFLINE_SHORTFALL_POLICY_DEBT));
  t.EnrollOk("ann");
  t.EnrollOk("card-ann");
  t.CreditOk("ann", 1000);
  t.CreditOk("card-ann", 1000);
  REQUIRE_OK(
      testing::Redeem(t.ledger(), kPos, OfflineRedeem("off-1", "ann", 300)));
  REQUIRE_OK(testing::Redeem(t.ledger(), kPos,
                             OfflineRedeem("off-2", "card-ann", 150)));
  REQUIRE_OK(testing::Merge(
      t.ledger(), testing::MergeRequest("merge-1", "card-ann", "ann")));
  // 300 + 150 of the 500 are spent, whichever id a till names.
  auto over = testing::Redeem(t.ledger(), kPos,
                              OfflineRedeem("off-3", "card-ann", 51));
  REQUIRE_OK(over);
  CHECK(over->entry().member_id() == "ann");
  CHECK(over->entry().offline_redemption().outcome() ==
        v1::OFFLINE_OUTCOME_REFUSED_OVER_ALLOWANCE);
  CHECK(over->entry().offline_redemption().allowance_left_points() == 50);
  t.RequireVerifyOk();
}

TEST_CASE(
    "a program without an offline allowance refuses offline redemptions "
    "as OFFLINE_REDEMPTION_NOT_ALLOWED, remembered, nothing else written",
    "[offline]") {
  TestLedger t;
  t.EnrollOk("ann");
  t.CreditOk("ann", 1000);
  NothingChanged before(t.store());
  auto refused =
      testing::Redeem(t.ledger(), kPos, OfflineRedeem("off-1", "ann", 10));
  REQUIRE(absl::IsFailedPrecondition(refused.status()));
  CHECK(ReasonOf(refused.status()) ==
        v1::ERROR_REASON_OFFLINE_REDEMPTION_NOT_ALLOWED);
  before.CheckOnlyRequestRemembered();
  CHECK(t.Available("ann") == 1000);
}

TEST_CASE(
    "an offline redemption dated before every day still counted is refused "
    "over the allowance",
    "[offline]") {
  ProgramConfig program = OfflineProgram(v1::OFFLINE_SHORTFALL_POLICY_DEBT);
  program.set_event_age_max_hours(24 * 12);
  TestLedger t(program);
  t.EnrollOk("ann");
  t.CreditOk("ann", 10'000);
  // Eight days with offline redemptions (the most the record counts), then
  // a sale from the day before all of them.
  for (int day = 8; day >= 1; --day) {
    auto redeemed =
        testing::Redeem(t.ledger(), kPos,
                        OfflineRedeem(absl::StrCat("off-", day), "ann", 10,
                                      kStartMs - day * kDayMs));
    REQUIRE_OK(redeemed);
    CHECK(redeemed->entry().offline_redemption().outcome() ==
          v1::OFFLINE_OUTCOME_APPLIED);
  }
  auto oldest =
      testing::Redeem(t.ledger(), kPos,
                      OfflineRedeem("off-9", "ann", 10, kStartMs - 9 * kDayMs));
  REQUIRE_OK(oldest);
  CHECK(oldest->entry().offline_redemption().outcome() ==
        v1::OFFLINE_OUTCOME_REFUSED_OVER_ALLOWANCE);
  CHECK(oldest->entry().offline_redemption().allowance_left_points() == 0);
  t.RequireVerifyOk();
}

TEST_CASE(
    "verify reports a reconciliation row no entry gives, and a missing one",
    "[offline]") {
  TestLedger t(OfflineProgram(v1::OFFLINE_SHORTFALL_POLICY_REFUSE));
  t.EnrollOk("ann");
  auto refused =
      testing::Redeem(t.ledger(), kPos, OfflineRedeem("off-1", "ann", 150));
  REQUIRE_OK(refused);
  t.RequireVerifyOk();
  t.store().PutRaw(Family::kOfflineReconciliations, EntryKey(1), "");
  CHECK(t.VerifyReports("offline_reconciliations"));
}

TEST_CASE(
    "offline redemption rules are validated at start with the field named",
    "[offline][program]") {
  ProgramConfig program = OfflineProgram(v1::OFFLINE_SHORTFALL_POLICY_REFUSE);
  program.mutable_offline_redemption()->set_points_per_member_day(-1);
  absl::Status invalid = ValidateProgram(program);
  CHECK(absl::IsInvalidArgument(invalid));
  CHECK(absl::StrContains(invalid.message(),
                          "offline_redemption.points_per_member_day"));

  program = OfflineProgram(v1::OFFLINE_SHORTFALL_POLICY_DEBT);
  program.clear_negative_balance_floor_points();
  invalid = ValidateProgram(program);
  CHECK(absl::StrContains(invalid.message(), "negative_balance_floor_points"));
  CHECK(absl::StrContains(invalid.message(), "OFFLINE_SHORTFALL_POLICY_DEBT"));

  program = OfflineProgram(v1::OFFLINE_SHORTFALL_POLICY_REFUSE);
  program.mutable_offline_redemption()->set_when_short(
      static_cast<v1::OfflineShortfallPolicy>(9));
  invalid = ValidateProgram(program);
  CHECK(absl::StrContains(invalid.message(), "offline_redemption.when_short"));

  CHECK(
      ValidateProgram(OfflineProgram(v1::OFFLINE_SHORTFALL_POLICY_DEBT)).ok());
}

TEST_CASE(
    "a reconciliations page size outside 0..500 and a foreign token are "
    "refused",
    "[offline]") {
  TestLedger t(OfflineProgram(v1::OFFLINE_SHORTFALL_POLICY_REFUSE));
  v1::ListOfflineReconciliationsRequest request;
  request.set_page_size(501);
  auto listed = t.ledger().ListOfflineReconciliations(request);
  CHECK(absl::IsInvalidArgument(listed.status()));
  CHECK(absl::StrContains(listed.status().message(), "page_size"));
  request.set_page_size(0);
  request.set_page_token(EncodePageToken("ann", 7));
  listed = t.ledger().ListOfflineReconciliations(request);
  CHECK(absl::IsInvalidArgument(listed.status()));
  CHECK(absl::StrContains(listed.status().message(), "page_token"));
}

}  // namespace
}  // namespace loyalty
