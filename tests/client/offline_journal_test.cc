// The offline journal (clients/cpp offline_journal.h, journal_sync.h): what a
// till records while the server is down is on disk before the cashier is
// told, is applied exactly once and in order once the server is back (with
// the sale's occurred_at), survives a lost answer and a crash mid-sync, and
// keeps what the server refuses for the store to see.
#include "loyalty/client/offline_journal.h"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "catch2/catch.hpp"
#include "loyalty/client/journal_sync.h"
#include "tests/server/server_test_util.h"

namespace loyalty::client {
namespace {

using loyalty::testing::ContextWithKey;
using loyalty::testing::PosContext;
using loyalty::testing::TempDir;
using loyalty::testing::TestServer;
namespace v1 = ::loyalty::v1;

constexpr int64_t kHourMs = 3'600'000;

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

v1::Mutation Sale(const std::string& member_id, const std::string& order_id,
                  int64_t unit_price_minor) {
  v1::Mutation mutation;
  v1::EarnRequest* earn = mutation.mutable_earn();
  *earn->mutable_context() = PosContext("");
  earn->set_member_id(member_id);
  earn->set_order_id(order_id);
  earn->set_currency("EUR");
  v1::BasketLine* line = earn->add_lines();
  line->set_sku("SKU-1");
  line->set_quantity(1);
  line->set_unit_price_minor(unit_price_minor);
  return mutation;
}

// SubmitBatch through the generated stub with the till's key.
SubmitBatchFn StubSubmit(TestServer& server) {
  auto stub = std::shared_ptr<v1::LoyaltyService::Stub>(server.LoyaltyStub());
  return [stub](const v1::SubmitBatchRequest& batch)
             -> absl::StatusOr<v1::SubmitBatchResponse> {
    v1::SubmitBatchResponse response;
    auto context = ContextWithKey("pos-key");
    grpc::Status status = stub->SubmitBatch(context.get(), batch, &response);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
    return response;
  };
}

void EnrollOnServer(TestServer& server, const std::string& member_id) {
  v1::EnrollMemberRequest request;
  *request.mutable_context() = PosContext("enroll-" + member_id);
  request.set_member_id(member_id);
  v1::EnrollMemberResponse response;
  auto context = ContextWithKey("pos-key");
  REQUIRE(server.LoyaltyStub()
              ->EnrollMember(context.get(), request, &response)
              .ok());
}

std::vector<v1::LedgerEntry> EarnsOf(TestServer& server,
                                     const std::string& member_id) {
  v1::ListEntriesRequest request;
  request.set_member_id(member_id);
  request.set_page_size(500);
  auto listed = server.server().ledger().ListEntries(request);
  REQUIRE(listed.ok());
  std::vector<v1::LedgerEntry> earns;
  // Newest first on the statement; oldest first here.
  for (auto it = listed->entries().rbegin(); it != listed->entries().rend();
       ++it) {
    if (it->kind() == v1::ENTRY_KIND_EARN) earns.push_back(*it);
  }
  return earns;
}

TEST_CASE(
    "a sale is recorded with a request id and its own time, once, "
    "and only what needs no balance is accepted offline",
    "[client][journal]") {
  TempDir dir;
  auto journal = OfflineJournal::Open(dir.path() + "/journal.db");
  REQUIRE(journal.ok());
  const int64_t sale_ms = NowMs();
  auto recorded = (*journal)->Append(Sale("erin", "o-1", 1000), sale_ms);
  REQUIRE(recorded.ok());
  CHECK(recorded->sequence == 1);
  CHECK(recorded->request_id.size() == 32);
  CHECK(recorded->command == "earn");
  CHECK(recorded->occurred_at_ms == sale_ms);
  CHECK(recorded->mutation.earn().context().occurred_at_ms() == sale_ms);
  CHECK(recorded->state == JournalState::kPending);

  // The same event again (a till retrying its own append) is the same entry.
  v1::Mutation again = Sale("erin", "o-1", 1000);
  again.mutable_earn()->mutable_context()->set_request_id(recorded->request_id);
  again.mutable_earn()->mutable_context()->set_occurred_at_ms(sale_ms);
  auto same = (*journal)->Append(again, sale_ms + 5);
  REQUIRE(same.ok());
  CHECK(same->sequence == 1);

  v1::Mutation other = Sale("erin", "o-2", 1000);
  other.mutable_earn()->mutable_context()->set_request_id(recorded->request_id);
  auto reused = (*journal)->Append(other, sale_ms);
  CHECK(absl::IsInvalidArgument(reused.status()));
  CHECK(reused.status().message().find("already recorded") !=
        std::string::npos);

  v1::Mutation redeem;
  redeem.mutable_redeem()->set_member_id("erin");
  redeem.mutable_redeem()->set_points(10);
  auto refused = (*journal)->Append(redeem, sale_ms);
  CHECK(absl::IsFailedPrecondition(refused.status()));
  CHECK(refused.status().message().find("no offline allowance") !=
        std::string::npos);
  v1::Mutation coupon;
  coupon.mutable_redeem_coupon()->set_member_id("erin");
  auto coupon_refused = (*journal)->Append(coupon, sale_ms);
  CHECK(absl::IsFailedPrecondition(coupon_refused.status()));
  CHECK(coupon_refused.status().message().find(
            "redeem_coupon cannot be recorded offline") != std::string::npos);
  CHECK(absl::IsInvalidArgument(
      (*journal)->Append(v1::Mutation(), sale_ms).status()));

  auto status = (*journal)->Status();
  REQUIRE(status.ok());
  CHECK(status->pending == 1);
  CHECK(status->oldest_pending_occurred_at_ms == sale_ms);
}

TEST_CASE(
    "the journal survives reopening, and a file that is not a journal "
    "is refused naming it",
    "[client][journal]") {
  TempDir dir;
  const std::string path = dir.path() + "/journal.db";
  {
    auto journal = OfflineJournal::Open(path);
    REQUIRE(journal.ok());
    for (int i = 0; i < 3; ++i) {
      REQUIRE((*journal)
                  ->Append(Sale("erin", absl::StrCat("o-", i), 1000), NowMs())
                  .ok());
    }
  }
  auto reopened = OfflineJournal::Open(path);
  REQUIRE(reopened.ok());
  auto pending = (*reopened)->Pending(10);
  REQUIRE(pending.ok());
  REQUIRE(pending->size() == 3);
  CHECK((*pending)[0].mutation.earn().order_id() == "o-0");
  CHECK((*pending)[2].mutation.earn().order_id() == "o-2");

  const std::string garbage = dir.path() + "/garbage.db";
  std::ofstream(garbage) << "this is not a database at all, not even close";
  auto not_sqlite = OfflineJournal::Open(garbage);
  CHECK(absl::IsInvalidArgument(not_sqlite.status()));
  CHECK(not_sqlite.status().message().find(garbage + ": not a loyalty "
                                                     "journal") !=
        std::string::npos);

  const std::string foreign = dir.path() + "/foreign.db";
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(foreign.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "CREATE TABLE t (x INTEGER)", nullptr, nullptr,
                       nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto other_program = OfflineJournal::Open(foreign);
  CHECK(absl::IsInvalidArgument(other_program.status()));
  CHECK(other_program.status().message().find("another program") !=
        std::string::npos);
}

v1::Mutation OfflineRedeem(const std::string& member_id,
                           const std::string& order_id, int64_t points) {
  v1::Mutation mutation;
  v1::RedeemRequest* redeem = mutation.mutable_redeem();
  *redeem->mutable_context() = PosContext("");
  redeem->set_member_id(member_id);
  redeem->set_order_id(order_id);
  redeem->set_points(points);
  return mutation;
}

TEST_CASE(
    "a till records offline redemptions within its allowance in any 24 "
    "hours, and the server reconciles them on sync",
    "[client][journal]") {
  TempDir dir;
  TestServer server(dir.path() + "/server");
  EnrollOnServer(server, "erin");
  JournalOptions options;
  options.offline_redeem_points_per_member_day = 300;
  auto journal = OfflineJournal::Open(dir.path() + "/journal.db", options);
  REQUIRE(journal.ok());
  const int64_t sale_ms = NowMs() - 2 * kHourMs;
  auto first = (*journal)->Append(OfflineRedeem("erin", "o-1", 200), sale_ms);
  REQUIRE(first.ok());
  CHECK(first->mutation.redeem().offline());
  CHECK(*(*journal)->OfflineAllowanceLeft("erin", sale_ms) == 100);
  CHECK(*(*journal)->OfflineAllowanceLeft("finn", sale_ms) == 300);
  auto past = (*journal)->Append(OfflineRedeem("erin", "o-2", 150), sale_ms);
  CHECK(absl::IsFailedPrecondition(past.status()));
  CHECK(past.status().message().find("has 100 of its 300 offline points "
                                     "left") != std::string::npos);
  // A day later the first no longer counts.
  CHECK(*(*journal)->OfflineAllowanceLeft("erin", sale_ms + 24 * kHourMs) ==
        300);
  REQUIRE((*journal)->Append(OfflineRedeem("erin", "o-3", 100), sale_ms).ok());

  // erin has no points: the program takes them into debt, down to -300.
  auto report = SyncJournalOnce(**journal, StubSubmit(server), SyncOptions());
  REQUIRE(report.ok());
  CHECK(report->applied == 2);
  v1::ListOfflineReconciliationsRequest list;
  auto listed = server.server().ledger().ListOfflineReconciliations(list);
  REQUIRE(listed.ok());
  REQUIRE(listed->entries_size() == 2);
  CHECK(listed->entries(0).offline_redemption().outcome() ==
        v1::OFFLINE_OUTCOME_DEBT);
  CHECK(listed->entries(0).offline_redemption().debt_points() == 200);
  CHECK(listed->entries(0).occurred_at_ms() == sale_ms);
  CHECK(listed->entries(1).offline_redemption().debt_points() == 100);

  JournalOptions negative;
  negative.offline_redeem_points_per_member_day = -1;
  CHECK(absl::IsInvalidArgument(
      OfflineJournal::Open(dir.path() + "/other.db", negative).status()));
}

TEST_CASE(
    "sales recorded while the server is down are applied once, in "
    "order, with their own time, when it is back",
    "[client][journal]") {
  TempDir dir;
  TestServer server(dir.path() + "/server");
  EnrollOnServer(server, "erin");
  auto journal = OfflineJournal::Open(dir.path() + "/journal.db");
  REQUIRE(journal.ok());
  const int64_t first_sale_ms = NowMs() - 2 * kHourMs;
  for (int i = 0; i < 5; ++i) {
    REQUIRE((*journal)
                ->Append(Sale("erin", absl::StrCat("o-", i), 1000 * (i + 1)),
                         first_sale_ms + i * 60'000)
                .ok());
  }
  SyncOptions options;
  options.batch_events_max = 2;  // Three batches, one in flight at a time.

  SECTION("while the server is unreachable nothing leaves the journal") {
    SubmitBatchFn down = [](const v1::SubmitBatchRequest&)
        -> absl::StatusOr<v1::SubmitBatchResponse> {
      return absl::UnavailableError("connection refused");
    };
    auto report = SyncJournalOnce(**journal, down, options);
    REQUIRE(report.ok());
    CHECK(report->pending == 5);
    CHECK(absl::IsUnavailable(report->last_failure));
    auto status = (*journal)->Status();
    REQUIRE(status.ok());
    CHECK(status->last_error.find("connection refused") != std::string::npos);
    CHECK(status->oldest_pending_occurred_at_ms == first_sale_ms);
  }

  auto report = SyncJournalOnce(**journal, StubSubmit(server), options);
  REQUIRE(report.ok());
  CHECK(report->batches == 3);
  CHECK(report->applied == 5);
  CHECK(report->pending == 0);
  std::vector<v1::LedgerEntry> earns = EarnsOf(server, "erin");
  REQUIRE(earns.size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(earns[i].order_id() == absl::StrCat("o-", i));
    CHECK(earns[i].occurred_at_ms() == first_sale_ms + i * 60'000);
  }
  auto status = (*journal)->Status();
  REQUIRE(status.ok());
  CHECK(status->applied == 5);
  CHECK(status->last_error.empty());

  // A second round finds nothing to send.
  auto idle = SyncJournalOnce(**journal, StubSubmit(server), options);
  REQUIRE(idle.ok());
  CHECK(idle->batches == 0);
  CHECK(EarnsOf(server, "erin").size() == 5);
}

TEST_CASE(
    "a lost answer, or a crash between the server's answer and the "
    "journal's note, applies nothing twice",
    "[client][journal]") {
  TempDir dir;
  TestServer server(dir.path() + "/server");
  EnrollOnServer(server, "erin");
  const std::string path = dir.path() + "/journal.db";
  {
    auto journal = OfflineJournal::Open(path);
    REQUIRE(journal.ok());
    for (int i = 0; i < 3; ++i) {
      REQUIRE((*journal)
                  ->Append(Sale("erin", absl::StrCat("o-", i), 1000), NowMs())
                  .ok());
    }
    // The server applies the batch, but its answer never arrives.
    SubmitBatchFn applied_then_lost =
        [submit = StubSubmit(server)](const v1::SubmitBatchRequest& batch)
        -> absl::StatusOr<v1::SubmitBatchResponse> {
      REQUIRE(submit(batch).ok());
      return absl::DeadlineExceededError("the answer was lost");
    };
    auto lost = SyncJournalOnce(**journal, applied_then_lost, SyncOptions());
    REQUIRE(lost.ok());
    CHECK(lost->pending == 3);
  }
  CHECK(EarnsOf(server, "erin").size() == 3);
  // The till restarts; the journal still has all three, with their ids.
  auto journal = OfflineJournal::Open(path);
  REQUIRE(journal.ok());
  auto resent = SyncJournalOnce(**journal, StubSubmit(server), SyncOptions());
  REQUIRE(resent.ok());
  CHECK(resent->applied == 3);
  CHECK(resent->pending == 0);
  CHECK(EarnsOf(server, "erin").size() == 3);
  auto balance = server.server().ledger().GetBalance("erin");
  REQUIRE(balance.ok());
  CHECK(balance->earned_points_total() == 30);
}

TEST_CASE(
    "a sale the server refuses stays in the journal with the reason, "
    "and the rest are applied",
    "[client][journal]") {
  TempDir dir;
  TestServer server(dir.path() + "/server");
  EnrollOnServer(server, "erin");
  auto journal = OfflineJournal::Open(dir.path() + "/journal.db");
  REQUIRE(journal.ok());
  // Offline for four days: the first sale is older than the program's 72
  // hours by the time it reaches the server.
  REQUIRE((*journal)
              ->Append(Sale("erin", "o-old", 1000), NowMs() - 96 * kHourMs)
              .ok());
  REQUIRE((*journal)->Append(Sale("nobody", "o-who", 1000), NowMs()).ok());
  REQUIRE((*journal)->Append(Sale("erin", "o-new", 2000), NowMs()).ok());
  auto report = SyncJournalOnce(**journal, StubSubmit(server), SyncOptions());
  REQUIRE(report.ok());
  CHECK(report->applied == 1);
  CHECK(report->refused == 2);
  auto refused = (*journal)->Refused(10);
  REQUIRE(refused.ok());
  REQUIRE(refused->size() == 2);
  CHECK((*refused)[0].mutation.earn().order_id() == "o-old");
  CHECK((*refused)[0].reason == "ERROR_REASON_EVENT_TOO_OLD");
  CHECK((*refused)[0].code == 9);  // FAILED_PRECONDITION.
  CHECK((*refused)[0].message.find("event_age_max_hours") != std::string::npos);
  CHECK((*refused)[1].reason == "ERROR_REASON_MEMBER_NOT_FOUND");
  auto status = (*journal)->Status();
  REQUIRE(status.ok());
  CHECK(status->refused == 2);
  CHECK(status->pending == 0);
  CHECK(EarnsOf(server, "erin").size() == 1);
}

TEST_CASE(
    "the background syncer sends what is pending once woken, and "
    "stops cleanly",
    "[client][journal]") {
  TempDir dir;
  TestServer server(dir.path() + "/server");
  EnrollOnServer(server, "erin");
  auto journal = OfflineJournal::Open(dir.path() + "/journal.db");
  REQUIRE(journal.ok());
  SyncOptions options;
  options.interval_ms = 60'000;  // Only Wake() makes it go in this test.
  JournalSyncer syncer(journal->get(), StubSubmit(server), options);
  syncer.Start();
  REQUIRE((*journal)->Append(Sale("erin", "o-1", 1000), NowMs()).ok());
  syncer.Wake();
  for (int i = 0; i < 200 && EarnsOf(server, "erin").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  syncer.Stop();
  CHECK(EarnsOf(server, "erin").size() == 1);
  auto status = (*journal)->Status();
  REQUIRE(status.ok());
  CHECK(status->applied == 1);
}

}  // namespace
}  // namespace loyalty::client
