// journal-crash-test: a till killed with SIGKILL again and again while it
// syncs its offline journal loses nothing and applies nothing twice.
//
//   journal-crash-test --loyaltyd build/server/loyaltyd
//       --program deploy/program.sample.textproto
//       --keys deploy/keys.sample.textproto [--events 1200] [--kills 15]
//
// Starts loyaltyd on a free loopback port, enrols members, records --events
// sales in a new journal, then runs the sync in a child process (this binary
// with --child-sync) and kills it at a random moment, --kills times, each
// time starting it again on the same journal; a last child syncs to the end.
// Then every sale must be applied in the journal and on the server's
// statements exactly once, and VerifyLedger must pass. Exit 0 when it holds.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "loyalty/client/client.h"
#include "loyalty/client/journal_sync.h"
#include "loyalty/client/offline_journal.h"
#include "tests/bench/server_process.h"

extern char** environ;

namespace {

namespace v1 = ::loyalty::v1;
using loyalty::client::Client;
using loyalty::client::ClientOptions;
using loyalty::client::OfflineJournal;

constexpr int kMembers = 12;
constexpr int kChildBatchEvents = 10;

int Fail(const std::string& problem) {
  std::fprintf(stderr, "journal-crash-test: FAILED: %s\n", problem.c_str());
  return 1;
}

absl::StatusOr<std::unique_ptr<Client>> Connect(const std::string& address,
                                                const std::string& key) {
  ClientOptions options;
  options.address = address;
  options.tls = false;  // loyaltyd on loopback.
  options.api_key = key;
  options.call_timeout_ms = 10'000;
  return Client::Create(options);
}

// The child: sync the journal to the end, in small batches, then exit 0.
int ChildSync(const std::string& journal_path, const std::string& address) {
  auto client = Connect(address, "demo-pos-key");
  if (!client.ok()) return 3;
  auto journal = OfflineJournal::Open(journal_path);
  if (!journal.ok()) return 3;
  loyalty::client::SyncOptions options;
  options.batch_events_max = kChildBatchEvents;
  const Client* raw = client->get();
  while (true) {
    auto report = loyalty::client::SyncJournalOnce(
        **journal,
        [raw](const v1::SubmitBatchRequest& batch) {
          return raw->SubmitBatch(batch);
        },
        options);
    if (!report.ok()) return 4;
    if (report->pending == 0) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

pid_t SpawnChild(const std::string& self, const std::string& journal_path,
                 const std::string& address) {
  std::vector<std::string> args = {self, "--child-sync", journal_path, address};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), environ) !=
      0) {
    return -1;
  }
  return pid;
}

v1::RequestContext PosContext(const std::string& request_id) {
  v1::RequestContext context;
  context.set_request_id(request_id);
  context.set_channel(v1::CHANNEL_POS);
  context.set_store_id("store-12");
  context.set_terminal_id("till-9");
  return context;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--child-sync") {
    return ChildSync(argv[2], argv[3]);
  }
  std::string loyaltyd;
  std::string program;
  std::string keys;
  int events = 1200;
  int kills = 15;
  uint32_t seed = std::random_device()();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--loyaltyd") {
      loyaltyd = value;
    } else if (flag == "--program") {
      program = value;
    } else if (flag == "--keys") {
      keys = value;
    } else if (flag == "--events") {
      events = std::stoi(value);
    } else if (flag == "--kills") {
      kills = std::stoi(value);
    } else if (flag == "--seed") {
      seed = static_cast<uint32_t>(std::stoul(value));
    } else {
      return Fail("unknown flag " + flag);
    }
  }
  if (loyaltyd.empty() || program.empty() || keys.empty() || events < 1 ||
      kills < 0) {
    return Fail(
        "usage: --loyaltyd PATH --program PATH --keys PATH [--events N] "
        "[--kills N] [--seed N]");
  }
  std::printf("journal-crash-test: seed %u, %d events, %d kills\n", seed,
              events, kills);
  std::mt19937 random(seed);

  char pattern[] = "/tmp/journal-crash-XXXXXX";
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
  auto client = Connect(server->address(), "demo-pos-key");
  if (!client.ok()) return Fail(client.status().ToString());
  for (int m = 0; m < kMembers; ++m) {
    v1::EnrollMemberRequest enroll;
    *enroll.mutable_context() = PosContext(absl::StrCat("enroll-", m));
    enroll.set_member_id(absl::StrCat("c", m));
    if (auto enrolled = (*client)->EnrollMember(enroll); !enrolled.ok()) {
      return Fail(enrolled.status().ToString());
    }
  }

  const std::string journal_path = dir + "/till-9.db";
  {
    auto journal = OfflineJournal::Open(journal_path);
    if (!journal.ok()) return Fail(journal.status().ToString());
    for (int i = 0; i < events; ++i) {
      v1::Mutation sale;
      v1::EarnRequest* earn = sale.mutable_earn();
      *earn->mutable_context() = PosContext("");
      earn->set_member_id(absl::StrCat("c", i % kMembers));
      earn->set_order_id(absl::StrCat("sale-", i));
      earn->set_currency("EUR");
      v1::BasketLine* line = earn->add_lines();
      line->set_sku("BREAD");
      line->set_quantity(1);
      line->set_unit_price_minor(100 + i % 500);
      auto recorded =
          (*journal)->Append(std::move(sale), absl::ToUnixMillis(absl::Now()));
      if (!recorded.ok()) return Fail(recorded.status().ToString());
    }
  }

  const std::string self = argv[0];
  // The parent watches the journal through its own connection (WAL lets it
  // read while the child writes) and kills the child a few batches into
  // each round, so every kill lands mid-sync, wherever the child then is:
  // waiting for an answer, or noting one.
  auto watched = OfflineJournal::Open(journal_path);
  if (!watched.ok()) return Fail(watched.status().ToString());
  int killed = 0;
  std::uniform_int_distribution<int> batches_before_kill(1, 4);
  std::uniform_int_distribution<int> jitter_us(0, 8000);
  for (int round = 0; round < kills; ++round) {
    auto before = (*watched)->Status();
    if (!before.ok()) return Fail(before.status().ToString());
    if (before->pending == 0) break;
    const int64_t kill_at_applied =
        before->applied + batches_before_kill(random) * kChildBatchEvents;
    pid_t child = SpawnChild(self, journal_path, server->address());
    if (child < 0) return Fail("cannot start the sync child");
    int status = 0;
    bool exited = false;
    while (true) {
      if (waitpid(child, &status, WNOHANG) == child) {
        exited = true;
        break;
      }
      auto now = (*watched)->Status();
      if (!now.ok()) return Fail(now.status().ToString());
      if (now->applied >= kill_at_applied) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (exited) {
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return Fail(absl::StrCat("the sync child failed with status ", status));
      }
      break;  // It sent everything before the kill was due.
    }
    // A few milliseconds more, so kills fall anywhere in the next batch's
    // round trip: before it is sent, while the server applies it, or
    // while its answers are being noted.
    std::this_thread::sleep_for(std::chrono::microseconds(jitter_us(random)));
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    ++killed;
  }
  // Most rounds must have been cut mid-sync, or the test proves little.
  if (kills > 0 && killed < (kills + 1) / 2) {
    return Fail(absl::StrCat("only ", killed, " of ", kills,
                             " kills landed before the sync ended: record "
                             "more events"));
  }
  pid_t last = SpawnChild(self, journal_path, server->address());
  int status = 0;
  waitpid(last, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Fail(absl::StrCat("the last sync child ended with status ", status));
  }

  // The journal: every sale applied, none pending or refused.
  auto journal = OfflineJournal::Open(journal_path);
  if (!journal.ok()) return Fail(journal.status().ToString());
  auto journal_status = (*journal)->Status();
  if (!journal_status.ok()) return Fail(journal_status.status().ToString());
  if (journal_status->applied != events || journal_status->pending != 0 ||
      journal_status->refused != 0) {
    return Fail(absl::StrCat("the journal has ", journal_status->applied,
                             " applied, ", journal_status->pending,
                             " pending, ", journal_status->refused,
                             " refused of ", events));
  }
  // The server: each sale's EARN exactly once.
  std::map<std::string, int> earns_by_order;
  for (int m = 0; m < kMembers; ++m) {
    std::string page_token;
    do {
      v1::ListEntriesRequest request;
      request.set_member_id(absl::StrCat("c", m));
      request.set_page_size(500);
      request.set_page_token(page_token);
      auto page = (*client)->ListEntries(request);
      if (!page.ok()) return Fail(page.status().ToString());
      for (const v1::LedgerEntry& entry : page->entries()) {
        if (entry.kind() == v1::ENTRY_KIND_EARN) {
          ++earns_by_order[entry.order_id()];
        }
      }
      page_token = page->next_page_token();
    } while (!page_token.empty());
  }
  if (static_cast<int>(earns_by_order.size()) != events) {
    return Fail(absl::StrCat(earns_by_order.size(), " sales on the statements",
                             " of ", events, " recorded"));
  }
  for (const auto& [order_id, count] : earns_by_order) {
    if (count != 1) {
      return Fail(
          absl::StrCat(order_id, " is on the statements ", count, " times"));
    }
  }
  auto admin = Connect(server->address(), "demo-admin-key");
  if (!admin.ok()) return Fail(admin.status().ToString());
  auto verified = (*admin)->VerifyLedger(v1::VerifyLedgerRequest());
  if (!verified.ok() || !verified->ok()) {
    return Fail("VerifyLedger does not pass after the sync");
  }
  if (server->Stop() != 0) return Fail("loyaltyd did not stop cleanly");
  std::printf(
      "journal-crash-test: passed: %d sales applied once each after %d "
      "kills of the syncing till\n",
      events, killed);
  return 0;
}
