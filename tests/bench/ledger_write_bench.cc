// ledger-write-bench: the ledger's write path alone, in one process: no
// gRPC, no load generator beside it. It opens a RocksDB ledger in a fresh
// directory with loyalty-bench's program (expiry lots, tiers), enrols
// --members members, then keeps --in-flight earns submitted (1–5 line
// baskets, random members) for --duration-s and prints durable earns/s,
// the writer's time per batch, and the process's CPU.
//
// What it is for: telling the ledger's own ceiling from what gRPC and a
// load generator on the same cores leave of it (loyalty-bench).
//
//   ledger-write-bench --members 100000 --in-flight 2000 --duration-s 10
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "ledger/commands.h"
#include "ledger/common/clock.h"
#include "ledger/engine/ledger.h"
#include "ledger/storage/rocksdb_store.h"

namespace loyalty::bench {
namespace {

using loyalty::v1::EarnRequest;
using loyalty::v1::EarnResponse;
using loyalty::v1::EnrollMemberRequest;
using loyalty::v1::EnrollMemberResponse;

loyalty::v1::ProgramConfig BenchProgram() {
  loyalty::v1::ProgramConfig program;
  program.set_program_id("bench");
  auto* rate = program.add_earn_rates();
  rate->set_rule_id("base-eur");
  rate->set_currency("EUR");
  rate->set_spend_minor_per_step(100);
  rate->set_points_per_step(1);
  program.mutable_expiry()->set_months_after_earn(12);
  auto* tiers = program.mutable_tier_rules();
  tiers->set_basis(loyalty::v1::TIER_BASIS_QUALIFYING_POINTS);
  tiers->set_window_months(12);
  tiers->set_grace_days(30);
  struct Tier {
    const char* id;
    int64_t threshold;
    int32_t multiplier_percent;
  };
  for (Tier tier : {Tier{"member", 0, 0}, Tier{"silver", 1000, 125},
                    Tier{"gold", 5000, 150}}) {
    auto* added = tiers->add_tiers();
    added->set_tier_id(tier.id);
    added->set_threshold(tier.threshold);
    if (tier.multiplier_percent != 0) {
      added->set_multiplier_percent(tier.multiplier_percent);
    }
  }
  return program;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Keeps `in_flight` commands submitted until `stop`; counts completions.
class Driver {
 public:
  Driver(Ledger& ledger, uint64_t members, uint64_t seed)
      : ledger_(ledger), members_(members), random_(seed) {}

  void Enroll(uint64_t index) {
    EnrollMemberRequest request;
    request.mutable_context()->set_request_id(absl::StrCat("enroll-", index));
    request.mutable_context()->set_channel(loyalty::v1::CHANNEL_APP);
    request.set_member_id(absl::StrCat("bm-", index));
    ledger_.Submit<EnrollMemberCommand>(
        Caller{"bench"}, std::move(request),
        [this](absl::StatusOr<EnrollMemberResponse> result) {
          Finished(result.ok());
        });
  }

  void Earn() {
    EarnRequest request;
    uint64_t id = next_id_++;
    auto* context = request.mutable_context();
    context->set_request_id(absl::StrCat("e-", id));
    context->set_channel(loyalty::v1::CHANNEL_POS);
    context->set_store_id(absl::StrCat("store-", random_() % 200));
    context->set_terminal_id(absl::StrCat("till-", random_() % 8));
    request.set_member_id(absl::StrCat("bm-", random_() % members_));
    request.set_order_id(absl::StrCat("o-", id));
    request.set_currency("EUR");
    int lines = 1 + static_cast<int>(random_() % 5);
    for (int i = 0; i < lines; ++i) {
      auto* line = request.add_lines();
      line->set_sku(absl::StrCat("SKU-", random_() % 5000));
      line->set_category(i % 2 == 0 ? "grocery" : "home");
      line->set_quantity(1 + static_cast<int64_t>(random_() % 3));
      line->set_unit_price_minor(100 + static_cast<int64_t>(random_() % 9900));
    }
    ledger_.Submit<EarnCommand>(
        Caller{"bench"}, std::move(request),
        [this](absl::StatusOr<EarnResponse> result) {
          Finished(result.ok());
        });
  }

  // Runs `issue` with at most `in_flight` outstanding until `count` were
  // issued (or, with count 0, until `seconds` pass); returns completions.
  template <typename Issue>
  uint64_t Run(Issue issue, uint64_t in_flight, uint64_t count,
               double seconds) {
    const auto deadline =
        std::chrono::steady_clock::now() +
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(seconds));
    uint64_t issued = 0;
    const uint64_t done_before = Done();
    while (count == 0 ? std::chrono::steady_clock::now() < deadline
                      : issued < count) {
      {
        absl::MutexLock lock(&mutex_);
        auto room = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
          return outstanding_ < in_flight;
        };
        mutex_.Await(absl::Condition(&room));
        ++outstanding_;
      }
      issue(issued++);
    }
    absl::MutexLock lock(&mutex_);
    auto drained = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return outstanding_ == 0;
    };
    mutex_.Await(absl::Condition(&drained));
    return done_ - done_before;
  }

  uint64_t errors() {
    absl::MutexLock lock(&mutex_);
    return errors_;
  }

 private:
  void Finished(bool ok) {
    absl::MutexLock lock(&mutex_);
    --outstanding_;
    ++done_;
    if (!ok) ++errors_;
  }
  uint64_t Done() {
    absl::MutexLock lock(&mutex_);
    return done_;
  }

  Ledger& ledger_;
  const uint64_t members_;
  std::mt19937_64 random_;
  uint64_t next_id_ = 0;
  absl::Mutex mutex_;
  uint64_t outstanding_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t done_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t errors_ ABSL_GUARDED_BY(mutex_) = 0;
};

int Main(int argc, char** argv) {
  CLI::App app{"ledger-write-bench: the ledger's write path in one process"};
  uint64_t members = 100'000;
  uint64_t in_flight = 2'000;
  double duration_s = 10;
  double warmup_s = 2;
  std::string data_dir;
  app.add_option("--members", members, "members to enrol first")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  app.add_option("--in-flight", in_flight, "earns submitted and not answered")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000}));
  app.add_option("--duration-s", duration_s)->check(CLI::Range(0.1, 86400.0));
  app.add_option("--warmup-s", warmup_s)->check(CLI::Range(0.0, 3600.0));
  app.add_option("--data-dir", data_dir,
                 "an empty directory for the ledger (default: a temp dir, "
                 "removed after)");
  CLI11_PARSE(app, argc, argv);

  const bool temporary = data_dir.empty();
  if (temporary) {
    data_dir = (std::filesystem::temp_directory_path() /
                absl::StrCat("ledger-write-bench-", getpid()))
                   .string();
  }
  if (std::filesystem::exists(data_dir) &&
      !std::filesystem::is_empty(data_dir)) {
    std::fprintf(stderr, "--data-dir %s is not empty\n", data_dir.c_str());
    return 2;
  }
  int exit_code = 0;
  {
    auto store = RocksDbStore::Open(data_dir, RocksDbOptions{});
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    SystemClock clock;
    auto ledger = Ledger::Open(store->get(), BenchProgram(), &clock,
                               LedgerOptions{});
    if (!ledger.ok()) {
      std::fprintf(stderr, "%s\n", ledger.status().ToString().c_str());
      return 1;
    }
    Driver driver(**ledger, members, /*seed=*/1);
    auto started = std::chrono::steady_clock::now();
    driver.Run([&](uint64_t i) { driver.Enroll(i); }, in_flight, members, 0);
    std::printf("enrolled %llu members in %.1f s\n",
                static_cast<unsigned long long>(members),
                std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                              started)
                    .count());
    driver.Run([&](uint64_t) { driver.Earn(); }, in_flight, 0, warmup_s);

    const WriterStats before = (*ledger)->stats();
    const double cpu_before = CpuSeconds();
    started = std::chrono::steady_clock::now();
    uint64_t earns =
        driver.Run([&](uint64_t) { driver.Earn(); }, in_flight, 0, duration_s);
    const double elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                      started)
            .count();
    const double cores = (CpuSeconds() - cpu_before) / elapsed_s;
    const WriterStats after = (*ledger)->stats();
    const uint64_t batches = after.batches - before.batches;
    std::printf(
        "earns: %llu in %.1f s, %llu errors; %.1f cores of CPU\n"
        "writer: %llu batches, %.0f commands per batch; apply %.0f us and "
        "write+fsync %.0f us per batch on average\n"
        ">> durable earns/s = %.0f\n",
        static_cast<unsigned long long>(earns), elapsed_s,
        static_cast<unsigned long long>(driver.errors()), cores,
        static_cast<unsigned long long>(batches),
        batches == 0 ? 0.0
                     : static_cast<double>(after.commands - before.commands) /
                           batches,
        batches == 0 ? 0.0
                     : static_cast<double>(after.apply_us_total -
                                           before.apply_us_total) /
                           batches,
        batches == 0 ? 0.0
                     : static_cast<double>(after.write_us_total -
                                           before.write_us_total) /
                           batches,
        earns / elapsed_s);
    if (driver.errors() != 0) exit_code = 1;
  }
  if (temporary) std::filesystem::remove_all(data_dir);
  return exit_code;
}

}  // namespace
}  // namespace loyalty::bench

int main(int argc, char** argv) { return loyalty::bench::Main(argc, argv); }
