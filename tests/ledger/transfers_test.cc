// Points given from one member to another: atomic on both sides, with their
// expiry dates, within the program's per-transfer and per-day limits.
#include <string>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "ledger_test_util.h"
#include "member_test_util.h"

namespace loyalty {
namespace {

using testing::CodeOf;
using testing::kAdmin;
using testing::MessageOf;
using testing::NothingChanged;
using testing::ReasonOfResult;
using testing::TestLedger;
using testing::Transfer;
using testing::TransferRequest;
using v1::LedgerEntry;

constexpr int64_t kDayMs = 24ll * 3600 * 1000;
// kStartMs is 2023-11-14T22:13:20Z: 23:13 in Berlin, 47 minutes before the
// Berlin day changes.
constexpr int64_t kToBerlinMidnightMs = 47 * 60'000;
// Lots earned in November 2023 expire at the end of November 2024, Berlin
// time (2024-11-30T23:00Z); December 2023's a month later.
constexpr int64_t kNov2023LotExpiresMs = 1'733'007'600'000;
constexpr int64_t kDec2023LotExpiresMs = 1'735'686'000'000;

// A member with `points` credited by an operator now (one lot).
void Credit(TestLedger& t, const std::string& member_id, int64_t points,
            const std::string& request_id) {
  REQUIRE_OK(testing::Adjust(
      t.ledger(), kAdmin,
      testing::AdjustPoints(request_id, member_id, points)));
}

TEST_CASE(
    "a transfer moves points with their expiry dates, as a TRANSFER_OUT and "
    "the TRANSFER_IN right after it",
    "[members][transfers]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("giver");
  t.EnrollOk("friend");
  Credit(t, "giver", 300, "c-nov");  // Expires end of November 2024.
  t.clock().AdvanceMs(30 * kDayMs);  // Mid-December 2023.
  Credit(t, "giver", 300, "c-dec");  // Expires end of December 2024.

  auto moved = Transfer(t.ledger(), TransferRequest("t1", "giver", "friend",
                                                     450));
  REQUIRE_OK(moved);
  REQUIRE(moved->entries_size() == 2);
  const LedgerEntry& out = moved->entries(0);
  const LedgerEntry& in = moved->entries(1);
  CHECK(out.kind() == v1::ENTRY_KIND_TRANSFER_OUT);
  CHECK(out.member_id() == "giver");
  CHECK(out.points_delta() == -450);
  CHECK(out.counterparty_member_id() == "friend");
  CHECK(in.kind() == v1::ENTRY_KIND_TRANSFER_IN);
  CHECK(in.member_id() == "friend");
  CHECK(in.points_delta() == 450);
  CHECK(in.counterparty_member_id() == "giver");
  CHECK(in.sequence() == out.sequence() + 1);
  // The soonest-expiring points go first, and keep their date.
  REQUIRE(in.transferred_lots_size() == 2);
  CHECK(in.transferred_lots(0).points() == 300);
  CHECK(in.transferred_lots(0).expires_at_ms() == kNov2023LotExpiresMs);
  CHECK(in.transferred_lots(1).points() == 150);
  CHECK(in.transferred_lots(1).expires_at_ms() == kDec2023LotExpiresMs);

  CHECK(moved->from_balance().available_points() == 150);
  CHECK(moved->from_balance().transferred_out_points_total() == 450);
  CHECK(moved->to_balance().available_points() == 450);
  CHECK(moved->to_balance().transferred_in_points_total() == 450);
  REQUIRE(moved->to_balance().next_expiring_size() == 2);
  CHECK(moved->to_balance().next_expiring(0).expires_at_ms() ==
        kNov2023LotExpiresMs);

  // At the receiver the November points expire on their original date.
  t.clock().SetMs(kNov2023LotExpiresMs);
  auto after = t.ledger().GetBalance("friend");
  REQUIRE_OK(after);
  CHECK(after->available_points() == 150);
  CHECK(after->expired_points_total() == 300);

  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
}

TEST_CASE(
    "a program without transfer rules refuses transfers with "
    "TRANSFER_NOT_ALLOWED, remembered, and moves nothing",
    "[members][transfers]") {
  v1::ProgramConfig program = testing::MembersProgram();
  program.clear_transfer_rules();
  TestLedger t(program);
  t.EnrollOk("giver");
  t.EnrollOk("friend");
  Credit(t, "giver", 100, "c1");
  NothingChanged unchanged(t.store());
  auto refused = Transfer(t.ledger(), TransferRequest("t1", "giver", "friend",
                                                       10));
  CHECK(CodeOf(refused) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(refused) == v1::ERROR_REASON_TRANSFER_NOT_ALLOWED);
  unchanged.CheckOnlyRequestRemembered();
}

TEST_CASE(
    "a transfer over the per-transfer limit or the giver's daily limit is "
    "TRANSFER_LIMIT_REACHED; the next Berlin day the daily limit is fresh",
    "[members][transfers]") {
  TestLedger t(testing::MembersProgram());  // 500 per transfer, 800 a day.
  t.EnrollOk("giver");
  t.EnrollOk("friend");
  t.EnrollOk("cousin");
  Credit(t, "giver", 5'000, "c1");

  auto too_big = Transfer(t.ledger(), TransferRequest("t1", "giver", "friend",
                                                       501));
  CHECK(CodeOf(too_big) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(too_big) == v1::ERROR_REASON_TRANSFER_LIMIT_REACHED);
  CHECK(absl::StrContains(MessageOf(too_big), "500 points per transfer"));

  REQUIRE_OK(Transfer(t.ledger(), TransferRequest("t2", "giver", "friend",
                                                   500)));
  // The daily limit is the giver's, whoever receives.
  REQUIRE_OK(Transfer(t.ledger(), TransferRequest("t3", "giver", "cousin",
                                                   300)));
  NothingChanged unchanged(t.store());
  auto over_day = Transfer(t.ledger(), TransferRequest("t4", "giver", "cousin",
                                                        1));
  CHECK(CodeOf(over_day) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(over_day) == v1::ERROR_REASON_TRANSFER_LIMIT_REACHED);
  CHECK(absl::StrContains(MessageOf(over_day), "gave 800 today"));
  unchanged.CheckOnlyRequestRemembered();
  // Receivers may still give their own.
  REQUIRE_OK(Transfer(t.ledger(), TransferRequest("t5", "friend", "giver",
                                                   100)));

  // Midnight in Berlin (22:13 UTC + 47 minutes): a new day.
  t.clock().AdvanceMs(kToBerlinMidnightMs);
  REQUIRE_OK(Transfer(t.ledger(), TransferRequest("t6", "giver", "cousin",
                                                   500)));
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
}

TEST_CASE(
    "a transfer of more than the giver has is INSUFFICIENT_POINTS, an "
    "unknown member is NOT_FOUND naming the field, and one to oneself is "
    "INVALID_ARGUMENT; none moves anything",
    "[members][transfers]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("giver");
  t.EnrollOk("friend");
  Credit(t, "giver", 100, "c1");
  NothingChanged unchanged(t.store());

  auto short_of = Transfer(t.ledger(), TransferRequest("t1", "giver", "friend",
                                                        101));
  CHECK(CodeOf(short_of) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(short_of) == v1::ERROR_REASON_INSUFFICIENT_POINTS);

  auto nobody = Transfer(t.ledger(), TransferRequest("t2", "giver", "ghost",
                                                      10));
  CHECK(CodeOf(nobody) == absl::StatusCode::kNotFound);
  CHECK(absl::StartsWith(MessageOf(nobody), "to_member_id"));
  auto from_nobody = Transfer(t.ledger(), TransferRequest("t3", "ghost",
                                                           "friend", 10));
  CHECK(absl::StartsWith(MessageOf(from_nobody), "from_member_id"));

  auto to_self = Transfer(t.ledger(), TransferRequest("t4", "giver", "giver",
                                                       10));
  CHECK(CodeOf(to_self) == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(MessageOf(to_self), "to_member_id"));
  auto zero = Transfer(t.ledger(), TransferRequest("t5", "giver", "friend", 0));
  CHECK(CodeOf(zero) == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(MessageOf(zero), "points"));

  auto giver = t.ledger().GetBalance("giver");
  REQUIRE_OK(giver);
  CHECK(giver->available_points() == 100);
  auto receiver = t.ledger().GetBalance("friend");
  REQUIRE_OK(receiver);
  CHECK(receiver->available_points() == 0);
}

TEST_CASE(
    "a retried transfer with the same request id moves nothing again; other "
    "content under it is ALREADY_EXISTS",
    "[members][transfers][idempotency]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("giver");
  t.EnrollOk("friend");
  Credit(t, "giver", 400, "c1");
  auto first = Transfer(t.ledger(), TransferRequest("t1", "giver", "friend",
                                                     150));
  REQUIRE_OK(first);
  NothingChanged unchanged(t.store());
  auto retried = Transfer(t.ledger(), TransferRequest("t1", "giver", "friend",
                                                       150));
  REQUIRE_OK(retried);
  CHECK(retried->replayed());
  CHECK(retried->entries(1).sequence() == first->entries(1).sequence());
  unchanged.Check();
  auto other = Transfer(t.ledger(), TransferRequest("t1", "giver", "friend",
                                                     151));
  CHECK(CodeOf(other) == absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOfResult(other) == v1::ERROR_REASON_REQUEST_ID_REUSED);
  auto receiver = t.ledger().GetBalance("friend");
  REQUIRE_OK(receiver);
  CHECK(receiver->available_points() == 150);
}

TEST_CASE(
    "VerifyLedger reports a TRANSFER_OUT whose TRANSFER_IN is missing",
    "[members][transfers][verify]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("giver");
  t.EnrollOk("friend");
  Credit(t, "giver", 400, "c1");
  auto moved = Transfer(t.ledger(), TransferRequest("t1", "giver", "friend",
                                                     150));
  REQUIRE_OK(moved);
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());

  // Rewrite the IN as if it had gone to the giver instead: the entries no
  // longer pair (and the hash chain breaks, which is reported too).
  LedgerEntry forged = moved->entries(1);
  forged.set_counterparty_member_id("someone-else");
  forged.clear_hash();
  WriteSet writes;
  writes.Add(Family::kEntries, EntryKey(forged.sequence()),
             SealEntry(&forged));
  REQUIRE(t.store().Write(writes).ok());
  CHECK(t.VerifyReports("TRANSFER_IN without"));
}

}  // namespace
}  // namespace loyalty
