// journal-sync-bench: how fast a till records sales in its offline journal
// (each synced to disk before the cashier is told) and how fast a backlog
// drains once loyaltyd is back (SubmitBatch, one batch in flight).
//
//   journal-sync-bench --loyaltyd build/server/loyaltyd
//       --program deploy/program.sample.textproto --events 10000
//
// Starts its own loyaltyd on a free loopback port (plaintext), enrols
// --members members, appends --events earns to a new journal while no
// server is asked, then syncs them in batches of --batch-events and checks
// that every one was applied exactly once. Prints one line of figures.
#include <cstdio>
#include <filesystem>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "loyalty/client/client.h"
#include "loyalty/client/journal_sync.h"
#include "loyalty/client/offline_journal.h"
#include "tests/bench/server_process.h"

namespace {

namespace v1 = ::loyalty::v1;

int Fail(const std::string& problem) {
  std::fprintf(stderr, "journal-sync-bench: %s\n", problem.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"journal-sync-bench: offline journal appends and sync"};
  std::string loyaltyd;
  std::string program;
  std::string keys;
  int64_t events = 10'000;
  int members = 100;
  int batch_events = 200;
  app.add_option("--loyaltyd", loyaltyd, "the loyaltyd binary")->required();
  app.add_option("--program", program, "program file")->required();
  app.add_option("--keys", keys, "API keys file (with demo-pos-key)")
      ->required();
  app.add_option("--events", events, "sales recorded offline")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--members", members, "members the sales are spread over")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  app.add_option("--batch-events", batch_events, "events per SubmitBatch")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  char pattern[] = "/tmp/journal-bench-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return Fail("cannot make a temp dir");
  const std::string dir = pattern;
  struct RemoveDir {
    std::string path;
    ~RemoveDir() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } remove_dir{dir};

  auto server = loyalty::bench::ServerProcess::Start(loyaltyd, dir + "/data",
                                                     program, keys, "");
  if (!server.ok()) return Fail(std::string(server.status().message()));
  loyalty::client::ClientOptions options;
  options.address = server->address();
  options.tls = false;
  options.api_key = "demo-pos-key";
  options.call_timeout_ms = 60'000;
  auto client = loyalty::client::Client::Create(options);
  if (!client.ok()) return Fail(std::string(client.status().message()));

  auto context = [](const std::string& request_id) {
    v1::RequestContext result;
    result.set_request_id(request_id);
    result.set_channel(v1::CHANNEL_POS);
    result.set_store_id("store-12");
    result.set_terminal_id("till-1");
    return result;
  };
  for (int m = 0; m < members; ++m) {
    v1::EnrollMemberRequest enroll;
    *enroll.mutable_context() = context(absl::StrCat("enroll-", m));
    enroll.set_member_id(absl::StrCat("m", m));
    auto enrolled = (*client)->EnrollMember(enroll);
    if (!enrolled.ok()) return Fail(enrolled.status().ToString());
  }

  auto journal = loyalty::client::OfflineJournal::Open(dir + "/journal.db");
  if (!journal.ok()) return Fail(journal.status().ToString());
  const absl::Time append_start = absl::Now();
  for (int64_t i = 0; i < events; ++i) {
    v1::Mutation sale;
    v1::EarnRequest* earn = sale.mutable_earn();
    *earn->mutable_context() = context("");
    earn->set_member_id(absl::StrCat("m", i % members));
    earn->set_order_id(absl::StrCat("o-", i));
    earn->set_currency("EUR");
    v1::BasketLine* line = earn->add_lines();
    line->set_sku("COFFEE-M");
    line->set_category("coffee");
    line->set_quantity(1);
    line->set_unit_price_minor(350);
    auto recorded =
        (*journal)->Append(std::move(sale), absl::ToUnixMillis(absl::Now()));
    if (!recorded.ok()) return Fail(recorded.status().ToString());
  }
  const double append_s = absl::ToDoubleSeconds(absl::Now() - append_start);

  loyalty::client::SyncOptions sync_options;
  sync_options.batch_events_max = batch_events;
  const loyalty::client::Client* raw = client->get();
  const absl::Time sync_start = absl::Now();
  auto report = loyalty::client::SyncJournalOnce(
      **journal,
      [raw](const v1::SubmitBatchRequest& batch) {
        return raw->SubmitBatch(batch);
      },
      sync_options);
  const double sync_s = absl::ToDoubleSeconds(absl::Now() - sync_start);
  if (!report.ok()) return Fail(report.status().ToString());
  if (report->applied != events || report->pending != 0 ||
      report->refused != 0) {
    return Fail(absl::StrCat("applied ", report->applied, ", refused ",
                             report->refused, ", pending ", report->pending,
                             " of ", events));
  }
  // Every sale once: the members' earned totals add up to the sales.
  int64_t earned_total = 0;
  for (int m = 0; m < members; ++m) {
    v1::GetBalanceRequest request;
    request.set_member_id(absl::StrCat("m", m));
    auto balance = raw->GetBalance(request);
    if (!balance.ok()) return Fail(balance.status().ToString());
    earned_total += balance->earned_points_total();
  }
  std::printf(
      "journal-sync-bench: %lld events, %d members, batches of %d: "
      "append %.0f events/s (%.2f ms each, synced), sync %.0f events/s "
      "(%lld batches, %.2f s), %lld points earned in all\n",
      static_cast<long long>(events), members, batch_events, events / append_s,
      append_s * 1000 / events, events / sync_s,
      static_cast<long long>(report->batches), sync_s,
      static_cast<long long>(earned_total));
  if (server->Stop() != 0) return Fail("loyaltyd did not stop cleanly");
  return 0;
}
