// loyalty-bench: load generator for loyaltyd.
//
// Every run measures, side by side on the same server:
//   health   the trivial gRPC health check: this machine's gRPC ceiling;
//   earn     durable earns (each fsynced before its answer) in a closed loop;
// and prints the ratio earn/s ÷ health/s, so figures compare across
// machines. Further phases (--phases):
//   latency  earns paced at half the measured earn throughput: p99 there;
//   mix      earn 35 / coupon 5 / voucher 5 / quote 5 / redeem 10 /
//            return 5 / balance 25 / statement 15 (--mix; workload.h);
//   coupons  IssueCoupon and Earns at checkout with those coupons, about
//            half each: a coupon's life at full speed;
//   vouchers IssueVoucher of twelve units and one-unit pickups of them,
//            about one sale to five pickups: a voucher's life at full speed;
//   batch    EarnBatch calls of --batch-events events: durable events/s;
//   depth    statement pages of a member with --deep-entries entries against
//            one with 10 (first page, and a late page through its token);
//   startup  restart the spawned loyaltyd and time it to "listening";
//   generate bulk coupon codes end to end: `loyaltyctl coupon generate` of
//            --generate-count codes (--loyaltyctl), loyaltyctl -> loyaltyd
//            -> RocksDB synced -> the CSV synced, timed from start to exit:
//            codes/s, and the server's writer and CPU time for it;
//   watch    the change stream: one consumer reading the ledger from
//            sequence 1 (entries/s), and durable earns with 0 and with 8
//            consumers following the tail (the writer's throughput ratio);
//   ratelimit balance reads of the bench's key alone, then beside a key
//            flooding past its role's rate limit (--spawn only): the
//            flood's answered calls/s against its limit, and the other
//            key's latency with and without it;
//   backup   one backup of the ledger as it is (time, files, bytes), then
//            durable earns with no backup and with backups made back to
//            back (the writer's throughput ratio); a spawned loyaltyd gets
//            a --backup-dir in the bench's temp dir, a running one needs
//            its own.
// Per phase it prints calls/s and p50/p90/p99/p99.9 per RPC, the server's
// writer batches (mean and max commands per synced batch) and the CPU the
// server used (from AdminService.GetServerStats).
//
//   loyalty-bench --spawn build/server/loyaltyd            # own server, temp
//   data dir loyalty-bench --server 127.0.0.1:50051 --api-key KEY   # a running
//   server
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "ledger/common/hashing.h"
#include "tests/bench/async_driver.h"
#include "tests/bench/server_process.h"
#include "tests/bench/workload.h"

namespace loyalty::bench {
namespace {

using namespace loyalty::v1;  // NOLINT

constexpr char kBenchKey[] = "bench-admin-key";
constexpr char kKnownPhases[] =
    "health,earn,latency,mix,coupons,vouchers,batch,depth,startup,generate,"
    "ratelimit,watch,backup";
// The ratelimit phase's flooding key: a POS key of a spawned loyaltyd, whose
// role is limited to kFloodCallsPerSecond (its whole burst, too).
constexpr char kFloodKey[] = "bench-flood-key";
constexpr int kFloodCallsPerSecond = 500;

bool IsKnownPhase(absl::string_view phase) {
  for (absl::string_view known : absl::StrSplit(kKnownPhases, ',')) {
    if (phase == known) return true;
  }
  return false;
}

struct Flags {
  std::string server;
  std::string api_key = kBenchKey;
  std::string spawn;
  std::string data_dir;
  std::string server_flags;
  std::string phases = "health,earn,latency,mix,coupons,vouchers,batch";
  std::string mix =
      "earn=35,coupon=5,voucher=5,quote=5,redeem=10,return=5,balance=25,"
      "statement=15";
  uint64_t members = 100'000;
  int outstanding = 32;
  int channels = 4;
  double warmup_s = 2;
  double duration_s = 10;
  int batch_events = 500;
  int batch_outstanding = 4;
  uint64_t deep_entries = 1'000'000;
  uint64_t preload_entries = 0;
  uint64_t seed = 1;
  bool fail_on_errors = false;
  // The generate phase: loyaltyctl's path and the batch's size.
  std::string loyaltyctl;
  int64_t generate_count = 1'000'000;
};

// Measured calls that failed, over every phase (for --fail-on-errors).
uint64_t measured_errors = 0;

std::string WriteBenchProgram(const std::string& dir) {
  std::string path = dir + "/bench-program.textproto";
  std::ofstream out(path);
  out << "program_id: \"bench\"\n"
      << "earn_rates { rule_id: \"base-eur\" currency: \"EUR\" "
         "spend_minor_per_step: 100 points_per_step: 1 }\n"
      // Lots with expiry and tiers, so earns pay for them as they would in
      // a real program; no return window, so redemptions find points.
      << "expiry { months_after_earn: 12 }\n"
      << "tier_rules { basis: TIER_BASIS_QUALIFYING_POINTS window_months: 12 "
         "grace_days: 30 "
         "tiers { tier_id: \"member\" threshold: 0 } "
         "tiers { tier_id: \"silver\" threshold: 1000 multiplier_percent: 125 } "
         "tiers { tier_id: \"gold\" threshold: 5000 multiplier_percent: 150 } }\n"
      << "coupon_templates { template_id: \"" << kBenchCouponTemplate
      << "\" display_name: \"10% off\" percent_off: 10 "
         "valid_days_after_issue: 30 }\n"
      << "voucher_products { product_id: \"" << kBenchVoucherProduct
      << "\" sku: \"COFFEE\" units_per_voucher_max: " << kBenchVoucherUnits
      << " valid_days_after_issue: 90 refundable: true }\n";
  return path;
}

// The keys file of a spawned loyaltyd: an admin key (the bench calls
// AdminService too), unlimited, and the ratelimit phase's rate-limited POS
// key.
std::string WriteBenchKeys(const std::string& dir) {
  std::string path = dir + "/bench-keys.textproto";
  std::ofstream out(path);
  out << "keys { principal: \"bench\" key_sha256_hex: \""
      << HexEncode(Sha256(kBenchKey)) << "\" role: ROLE_ADMIN }\n"
      << "keys { principal: \"flood\" key_sha256_hex: \""
      << HexEncode(Sha256(kFloodKey))
      << "\" role: ROLE_POS all_stores: true }\n"
      << "rate_limits { role: ROLE_POS calls_per_second: "
      << kFloodCallsPerSecond << " }\n";
  return path;
}

std::optional<ServerStats> ReadStats(Connection& connection) {
  grpc::ClientContext context;
  context.AddMetadata("authorization",
                      absl::StrCat("Bearer ", kBenchKey));
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  ServerStats stats;
  if (!connection.admin(0).GetServerStats(&context, GetServerStatsRequest(),
                                          &stats)
           .ok()) {
    return std::nullopt;
  }
  return stats;
}

struct PhaseReport {
  std::map<std::string, LatencySummary> rpcs;
  double server_cpu_cores = 0;  // CPU seconds per wall second.
  double mean_batch = 0;
  uint64_t batch_max = 0;
  int64_t rss_bytes = 0;
};

// Where the writer's time went during the phase: applying (CPU) against
// writing + fsyncing, and how the batch writes' durations spread, which is
// what a latency tail is made of.
void PrintWriterTimes(const ServerStats& before, const ServerStats& after,
                      uint64_t batches) {
  if (batches == 0) return;
  uint64_t apply_us =
      after.writer_apply_us_total() - before.writer_apply_us_total();
  uint64_t write_us =
      after.writer_write_us_total() - before.writer_write_us_total();
  std::string spread;
  int buckets = std::min(after.write_us_histogram_size(),
                         before.write_us_histogram_size());
  for (int k = 0; k < buckets; ++k) {
    uint64_t count = after.write_us_histogram(k) - before.write_us_histogram(k);
    if (count == 0) continue;
    double low_ms = (uint64_t{1} << k) / 1000.0;
    absl::StrAppendFormat(&spread, " %s%.3g ms: %llu", spread.empty() ? "" : ";",
                          low_ms, static_cast<unsigned long long>(count));
  }
  std::printf(
      "  writer: apply %.0f us and write+fsync %.0f us per batch on average; "
      "slowest write since start %.1f ms\n  batch writes by duration (from):%s\n",
      double(apply_us) / batches, double(write_us) / batches,
      after.writer_write_us_max() / 1000.0, spread.c_str());
}

// CPU seconds this process (the load generator) has used so far.
double ClientCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Runs one measured phase and prints its report.
PhaseReport RunPhase(const std::string& name, Connection& connection,
                     DriveOptions options, const IssueFn& issue) {
  std::optional<ServerStats> before, after;
  double client_cpu_before = 0, client_cpu_after = 0;
  options.on_measure_start = [&] {
    before = ReadStats(connection);
    client_cpu_before = ClientCpuSeconds();
  };
  options.on_measure_end = [&] {
    after = ReadStats(connection);
    client_cpu_after = ClientCpuSeconds();
  };
  DriveResult result = Drive(connection, options, issue);
  PhaseReport report;
  report.rpcs = result.recorder.Summarize(result.measured_s);
  for (const auto& [rpc, summary] : report.rpcs) {
    measured_errors += summary.errors;
  }
  std::printf("\n== %s (%.0f s measured after %.0f s warm-up, %d in flight%s)\n",
              name.c_str(), options.duration_s, options.warmup_s,
              options.outstanding,
              options.rate_per_s > 0
                  ? absl::StrFormat(", paced at %.0f/s", options.rate_per_s)
                        .c_str()
                  : "");
  std::printf("%s", FormatSummaryTable(report.rpcs).c_str());
  if (before && after) {
    double cpu_s = ((after->cpu_user_ms() + after->cpu_system_ms()) -
                    (before->cpu_user_ms() + before->cpu_system_ms())) /
                   1000.0;
    double wall_s = (after->uptime_ms() - before->uptime_ms()) / 1000.0;
    uint64_t batches = after->batches() - before->batches();
    uint64_t commands = after->commands() - before->commands();
    report.server_cpu_cores = wall_s > 0 ? cpu_s / wall_s : 0;
    report.mean_batch = batches > 0 ? double(commands) / batches : 0;
    report.batch_max = after->batch_commands_max_seen();
    report.rss_bytes = after->rss_bytes();
    std::printf(
        "  server: %.2f cores of CPU; writer %llu synced batches, %.1f "
        "commands per batch on average (max seen %llu); RSS %.1f MiB\n",
        report.server_cpu_cores, static_cast<unsigned long long>(batches),
        report.mean_batch, static_cast<unsigned long long>(report.batch_max),
        report.rss_bytes / 1048576.0);
    // Server and load generator share the machine: together near the core
    // count means the run was CPU-bound, not limited by the ledger's writer.
    std::printf("  load generator: %.2f cores of CPU\n",
                wall_s > 0 ? (client_cpu_after - client_cpu_before) / wall_s
                           : 0);
    PrintWriterTimes(*before, *after, batches);
  }
  return report;
}

void Preload(Connection& connection, Workload& workload, uint64_t members) {
  int64_t started = NowUs();
  DriveOptions options;
  options.outstanding = 64;
  options.warmup_s = 0;
  options.duration_s = 1e9;
  options.calls_max = members;
  uint64_t next = 0;
  DriveResult result =
      Drive(connection, options, [&](Connection& c, int channel) {
        workload.IssueEnroll(c, channel, next++);
      });
  auto summary = result.recorder.Summarize(1);
  double seconds = (NowUs() - started) / 1e6;
  std::printf("preloaded %llu members in %.1f s (%.0f enrolls/s, %llu errors)\n",
              static_cast<unsigned long long>(members), seconds,
              members / seconds,
              static_cast<unsigned long long>(summary["enroll"].errors));
}

// Adds `entries` earns spread over the preloaded members, through EarnBatch.
void PreloadEntries(Connection& connection, Workload& workload,
                    uint64_t entries, int batch_events) {
  int64_t started = NowUs();
  DriveOptions options;
  options.outstanding = 4;
  options.warmup_s = 0;
  options.duration_s = 1e9;
  options.calls_max = (entries + batch_events - 1) / batch_events;
  Drive(connection, options, [&](Connection& c, int channel) {
    workload.IssueEarnBatch(c, channel, batch_events);
  });
  double seconds = (NowUs() - started) / 1e6;
  std::printf("preloaded %llu entries in %.1f s (%.0f events/s)\n",
              static_cast<unsigned long long>(options.calls_max * batch_events),
              seconds, options.calls_max * batch_events / seconds);
}

void RunDepth(Connection& connection, Workload& workload, const Flags& flags) {
  // One member with deep_entries entries, one with 10.
  auto enroll = [&](const std::string& id) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kBenchKey));
    EnrollMemberRequest request;
    request.mutable_context()->set_request_id("enroll-" + id);
    request.mutable_context()->set_channel(CHANNEL_APP);
    request.set_member_id(id);
    EnrollMemberResponse response;
    (void)connection.loyalty(0).EnrollMember(&context, request, &response);
  };
  enroll("deep");
  enroll("shallow");
  uint64_t made = 0;
  int64_t started = NowUs();
  auto fill = [&](const std::string& member, uint64_t count) {
    DriveOptions options;
    options.outstanding = 4;
    options.warmup_s = 0;
    options.duration_s = 1e9;
    options.calls_max = (count + flags.batch_events - 1) / flags.batch_events;
    uint64_t left = count;
    Drive(connection, options, [&](Connection& c, int channel) {
      EarnBatchRequest request;
      int events = static_cast<int>(std::min<uint64_t>(left, flags.batch_events));
      for (int i = 0; i < events; ++i) {
        *request.add_events() =
            workload.EarnFor(member, absl::StrCat(member, "-", made++));
      }
      left -= events;
      auto* call = new TypedCall<EarnBatchResponse>();
      c.Prepare(*call, "earn_batch");
      StartCall(c, c.loyalty(channel), &LoyaltyService::Stub::AsyncEarnBatch,
                request, call);
    });
  };
  fill("shallow", 10);
  fill("deep", flags.deep_entries);
  std::printf("\nfilled member \"deep\" with %llu entries in %.1f s\n",
              static_cast<unsigned long long>(flags.deep_entries),
              (NowUs() - started) / 1e6);

  // A token deep inside the statement: walk pages of 500 to the middle.
  std::string middle_token;
  {
    ListEntriesRequest request;
    request.set_member_id("deep");
    request.set_page_size(500);
    for (uint64_t page = 0; page < flags.deep_entries / 1000; ++page) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", absl::StrCat("Bearer ", kBenchKey));
      ListEntriesResponse response;
      if (!connection.loyalty(0).ListEntries(&context, request, &response).ok())
        break;
      request.set_page_token(response.next_page_token());
      middle_token = response.next_page_token();
    }
  }
  struct Case {
    std::string label;
    std::string member;
    std::string token;
  };
  std::vector<Case> cases = {{"first page, 10 entries", "shallow", ""},
                             {"first page, deep member", "deep", ""},
                             {"middle page via token", "deep", middle_token}};
  for (const Case& c : cases) {
    DriveOptions options;
    options.outstanding = 1;
    options.warmup_s = 1;
    options.duration_s = 5;
    RunPhase("depth: " + c.label, connection, options,
             [&](Connection& conn, int channel) {
               ListEntriesRequest request;
               request.set_member_id(c.member);
               // 10: a full page for the 10-entry member too, so the
               // cases differ only in the depth of the statement.
               request.set_page_size(10);
               request.set_page_token(c.token);
               auto* call = new TypedCall<ListEntriesResponse>();
               conn.Prepare(*call, "statement");
               StartCall(conn, conn.loyalty(channel),
                         &LoyaltyService::Stub::AsyncListEntries, request,
                         call);
             });
  }
}

// Bulk coupon codes: one `loyaltyctl coupon generate` run against the
// server, timed from spawn to exit, and the CSV it wrote counted. False
// (reported) when it fails or the file is not the batch.
bool RunGenerate(const Flags& flags, const std::string& address,
                 const std::string& work_dir, Connection& connection) {
  const std::string out = work_dir + "/bench-codes.csv";
  const std::string err_path = work_dir + "/bench-loyaltyctl.err";
  const std::string batch_id =
      absl::StrCat("bench-", getpid(), "-", absl::ToUnixMillis(absl::Now()));
  const std::vector<std::string> args = {flags.loyaltyctl,
                                         "--server",
                                         address,
                                         "--api-key",
                                         flags.api_key,
                                         "--timeout-ms",
                                         "60000",
                                         "coupon",
                                         "generate",
                                         "--template",
                                         kBenchCouponTemplate,
                                         "--count",
                                         absl::StrCat(flags.generate_count),
                                         "--batch-id",
                                         batch_id,
                                         "--out",
                                         out,
                                         "--progress-ms",
                                         "3600000"};
  std::optional<ServerStats> before = ReadStats(connection);
  const absl::Time started = absl::Now();
  const pid_t child = fork();
  if (child == 0) {
    std::vector<char*> argv;
    for (const std::string& arg : args) {
      argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    // Its summary and progress are not the benchmark's output; its errors
    // are printed when it fails.
    std::freopen("/dev/null", "w", stdout);
    std::freopen(err_path.c_str(), "w", stderr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child) {
    std::fprintf(stderr, "loyalty-bench: generate: cannot run %s\n",
                 flags.loyaltyctl.c_str());
    return false;
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  std::optional<ServerStats> after = ReadStats(connection);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream err(err_path);
    std::stringstream said;
    said << err.rdbuf();
    std::fprintf(stderr, "loyalty-bench: generate: loyaltyctl exited %d: %s\n",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                 said.str().c_str());
    ++measured_errors;
    return false;
  }
  int64_t lines = 0;
  {
    std::ifstream csv(out);
    std::string line;
    while (std::getline(csv, line)) ++lines;
  }
  std::filesystem::remove(out);
  std::filesystem::remove(err_path);
  if (lines != flags.generate_count + 1) {
    std::fprintf(stderr,
                 "loyalty-bench: generate: the CSV has %lld lines, not %lld\n",
                 static_cast<long long>(lines),
                 static_cast<long long>(flags.generate_count + 1));
    ++measured_errors;
    return false;
  }
  std::printf("\n== generate (loyaltyctl coupon generate, %lld codes)\n",
              static_cast<long long>(flags.generate_count));
  std::printf("  %.2f s end to end: %.0f codes/s (CSV synced, %lld lines)\n",
              seconds, static_cast<double>(flags.generate_count) / seconds,
              static_cast<long long>(lines));
  if (before && after) {
    std::printf(
        "  server: %.2f s CPU (user %.2f, system %.2f), writer %.2f s "
        "applying and %.2f s writing+syncing, %llu entries, RSS %.1f MiB\n",
        (after->cpu_user_ms() + after->cpu_system_ms() - before->cpu_user_ms() -
         before->cpu_system_ms()) /
            1000.0,
        (after->cpu_user_ms() - before->cpu_user_ms()) / 1000.0,
        (after->cpu_system_ms() - before->cpu_system_ms()) / 1000.0,
        (after->writer_apply_us_total() - before->writer_apply_us_total()) /
            1e6,
        (after->writer_write_us_total() - before->writer_write_us_total()) /
            1e6,
        static_cast<unsigned long long>(after->last_sequence() -
                                        before->last_sequence()),
        after->rss_bytes() / 1048576.0);
  }
  std::printf("\n>> GenerateCoupons rate = %.0f codes/s end to end\n",
              static_cast<double>(flags.generate_count) / seconds);
  return true;
}

// The ratelimit phase: balance reads by the bench's unlimited key, alone and
// then beside another key flooding loyaltyd with as many reads as 64 calls
// in flight allow, past its role's limit. What the limit promises: the
// flood gets its limit's worth of answers and the other key's reads keep
// their latency.
void RunRateLimit(const std::string& address, Connection& connection,
                  Workload& workload, const Flags& flags) {
  DriveOptions reads;
  reads.outstanding = 8;
  reads.warmup_s = flags.warmup_s;
  reads.duration_s = flags.duration_s;
  const IssueFn issue_reads = [&](Connection& c, int channel) {
    workload.IssueBalance(c, channel);
  };
  RunPhase("ratelimit: balance reads alone", connection, reads, issue_reads);

  Connection flood(address, 1, kFloodKey);
  std::atomic<uint64_t> admitted{0};
  std::atomic<uint64_t> limited{0};
  const std::string member = workload.MemberId(0);
  DriveOptions flooding;
  flooding.outstanding = 64;
  flooding.warmup_s = 0;
  flooding.duration_s = flags.warmup_s + flags.duration_s + 1;
  const double flood_s = flooding.duration_s;
  std::thread flooder([&] {
    Drive(flood, flooding, [&](Connection& c, int channel) {
      GetBalanceRequest request;
      request.set_member_id(member);
      auto* call = new TypedCall<Balance>();
      c.Prepare(*call, "flood");
      call->accept = [](const grpc::Status& status) {
        return status.ok() ||
               status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
      };
      call->on_done = [&](PendingCall& done) {
        (done.status.ok() ? admitted : limited)
            .fetch_add(1, std::memory_order_relaxed);
      };
      StartCall(c, c.loyalty(channel), &LoyaltyService::Stub::AsyncGetBalance,
                request, call);
    });
  });
  RunPhase("ratelimit: balance reads beside a key flooding past its limit",
           connection, reads, issue_reads);
  flooder.join();
  std::printf(
      "  flooding key (limit %d calls/s): %.0f calls/s answered, %.0f "
      "calls/s refused RESOURCE_EXHAUSTED\n",
      kFloodCallsPerSecond, admitted.load() / flood_s, limited.load() / flood_s);
}

// One change-stream consumer (WatchEntries) on its own thread and channel:
// counts the entries it receives from `from_sequence` on until stopped.
class WatchConsumer {
 public:
  WatchConsumer(const std::string& address, const std::string& api_key,
                uint64_t from_sequence)
      : stub_(AdminService::NewStub(grpc::CreateChannel(
            address, grpc::InsecureChannelCredentials()))) {
    context_.AddMetadata("authorization", absl::StrCat("Bearer ", api_key));
    thread_ = std::thread([this, from_sequence] {
      WatchEntriesRequest request;
      request.set_from_sequence(from_sequence);
      auto reader = stub_->WatchEntries(&context_, request);
      WatchEntriesResponse response;
      while (reader->Read(&response)) {
        received_.fetch_add(response.entries_size(), std::memory_order_relaxed);
        next_sequence_.store(response.next_sequence(),
                             std::memory_order_relaxed);
      }
      reader->Finish();
    });
  }
  ~WatchConsumer() {
    context_.TryCancel();
    thread_.join();
  }
  uint64_t received() const { return received_.load(); }
  uint64_t next_sequence() const { return next_sequence_.load(); }

 private:
  std::unique_ptr<AdminService::Stub> stub_;
  grpc::ClientContext context_;
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> next_sequence_{0};
  std::thread thread_;
};

// The watch phase: one consumer reading the whole ledger from sequence 1
// (entries/s it receives), then durable earns with no consumer and with 8
// consumers following the tail (the writer's throughput either way).
void RunWatch(const std::string& address, const std::string& api_key,
              Connection& connection, Workload& workload, const Flags& flags) {
  const std::optional<ServerStats> stats = ReadStats(connection);
  const uint64_t head = stats ? stats->last_sequence() : 0;
  {
    const auto started = std::chrono::steady_clock::now();
    WatchConsumer consumer(address, api_key, 1);
    while (consumer.next_sequence() <= head) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const double seconds = std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - started)
                               .count();
    std::printf(
        "\n== watch: one consumer reads the ledger from sequence 1\n"
        "  %llu entries in %.2f s: %.0f entries/s\n",
        static_cast<unsigned long long>(consumer.received()), seconds,
        consumer.received() / seconds);
  }
  DriveOptions closed;
  closed.outstanding = flags.outstanding;
  closed.warmup_s = flags.warmup_s;
  closed.duration_s = flags.duration_s;
  const IssueFn earn = [&](Connection& c, int channel) {
    workload.IssueEarn(c, channel);
  };
  const double alone =
      RunPhase("watch: earns, no consumer", connection, closed, earn)
          .rpcs["earn"]
          .calls_per_s;
  std::vector<std::unique_ptr<WatchConsumer>> consumers;
  const std::optional<ServerStats> now = ReadStats(connection);
  for (int i = 0; i < 8; ++i) {
    consumers.push_back(std::make_unique<WatchConsumer>(
        address, api_key, (now ? now->last_sequence() : 0) + 1));
  }
  const double watched =
      RunPhase("watch: earns, 8 consumers following the tail", connection,
               closed, earn)
          .rpcs["earn"]
          .calls_per_s;
  uint64_t least = UINT64_MAX;
  for (const auto& consumer : consumers) {
    least = std::min(least, consumer->received());
  }
  std::printf(
      "  earns/s with 8 consumers / without: %.2f; the slowest consumer "
      "received %llu entries\n",
      alone > 0 ? watched / alone : 0, static_cast<unsigned long long>(least));
}

// One AdminService.Backup call named `name`, or why it failed.
absl::StatusOr<BackupResponse> MakeBackup(Connection& connection,
                                          const std::string& name) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kBenchKey));
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::minutes(30));
  BackupRequest request;
  request.set_name(name);
  BackupResponse response;
  const grpc::Status status =
      connection.admin(0).Backup(&context, request, &response);
  if (!status.ok()) {
    return absl::UnknownError(absl::StrCat(status.error_code(), " ",
                                           status.error_message()));
  }
  return response;
}

// The backup phase: one backup of the ledger as it is, then durable earns
// with no backup running and with backups made back to back.
int RunBackupPhase(Connection& connection, Workload& workload,
                   const Flags& flags) {
  const std::string prefix = absl::StrCat("bench-", getpid(), "-");
  absl::StatusOr<BackupResponse> first = MakeBackup(connection, prefix + "0");
  if (!first.ok()) {
    std::fprintf(stderr,
                 "loyalty-bench: backup: %s (does loyaltyd have "
                 "--backup-dir?)\n",
                 first.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "\n== backup: one backup of the ledger, no load\n"
      "  %llu entries: %llu files, %.1f MiB, %lld ms\n",
      static_cast<unsigned long long>(first->last_sequence()),
      static_cast<unsigned long long>(first->files()),
      first->size_bytes() / 1048576.0,
      static_cast<long long>(first->duration_ms()));
  DriveOptions closed;
  closed.outstanding = flags.outstanding;
  closed.warmup_s = flags.warmup_s;
  closed.duration_s = flags.duration_s;
  const IssueFn earn = [&](Connection& c, int channel) {
    workload.IssueEarn(c, channel);
  };
  const double alone = RunPhase("backup: earns, no backup running",
                                connection, closed, earn)
                           .rpcs["earn"]
                           .calls_per_s;
  std::atomic<bool> stop{false};
  std::vector<int64_t> durations_ms;  // The backup thread's until joined.
  int failures = 0;
  std::thread backups([&] {
    for (int n = 1; !stop.load(); ++n) {
      absl::StatusOr<BackupResponse> made =
          MakeBackup(connection, absl::StrCat(prefix, n));
      if (made.ok()) {
        durations_ms.push_back(made->duration_ms());
      } else {
        ++failures;
      }
    }
  });
  const double during = RunPhase("backup: earns while backups run back to back",
                                 connection, closed, earn)
                            .rpcs["earn"]
                            .calls_per_s;
  stop = true;
  backups.join();
  int64_t total_ms = 0;
  int64_t max_ms = 0;
  for (int64_t ms : durations_ms) {
    total_ms += ms;
    max_ms = std::max(max_ms, ms);
  }
  std::printf(
      "  earns/s while backups run / without: %.0f / %.0f = %.2f; %zu "
      "backups made (mean %.0f ms, max %lld ms), %d failed\n",
      during, alone, alone > 0 ? during / alone : 0, durations_ms.size(),
      durations_ms.empty() ? 0.0
                           : static_cast<double>(total_ms) / durations_ms.size(),
      static_cast<long long>(max_ms), failures);
  return failures == 0 ? 0 : 1;
}

int Run(const Flags& flags) {
  // Flags are checked before anything starts, so bad input changes nothing.
  std::vector<std::string> phases = absl::StrSplit(flags.phases, ',');
  for (const std::string& phase : phases) {
    if (!IsKnownPhase(phase)) {
      std::fprintf(stderr,
                   "loyalty-bench: --phases: unknown phase \"%s\" (known: %s)\n",
                   phase.c_str(), kKnownPhases);
      return 2;
    }
  }
  if (std::find(phases.begin(), phases.end(), "generate") != phases.end() &&
      flags.loyaltyctl.empty()) {
    std::fprintf(stderr,
                 "loyalty-bench: --loyaltyctl: the generate phase runs "
                 "loyaltyctl; give its path\n");
    return 2;
  }
  MixWeights mix;
  if (!ParseMix(flags.mix, &mix)) {
    std::fprintf(stderr, "loyalty-bench: --mix: cannot parse \"%s\"\n",
                 flags.mix.c_str());
    return 2;
  }
  std::optional<ServerProcess> process;
  std::string address = flags.server;
  std::string temp_dir;
  std::string program;
  std::string keys;
  std::string data_dir = flags.data_dir;
  if (!flags.spawn.empty()) {
    temp_dir = (std::filesystem::temp_directory_path() /
                absl::StrCat("loyalty-bench-", getpid()))
                   .string();
    std::filesystem::create_directories(temp_dir);
    program = WriteBenchProgram(temp_dir);
    keys = WriteBenchKeys(temp_dir);
    if (data_dir.empty()) data_dir = temp_dir + "/data";
    std::string server_flags = flags.server_flags;
    if (std::find(phases.begin(), phases.end(), "backup") != phases.end()) {
      const std::string backup_dir = temp_dir + "/backups";
      std::filesystem::create_directories(backup_dir);
      server_flags = absl::StrCat(server_flags, " --backup-dir ", backup_dir);
    }
    auto started =
        ServerProcess::Start(flags.spawn, data_dir, program, keys,
                             server_flags);
    if (!started.ok()) {
      std::fprintf(stderr, "loyalty-bench: %s\n",
                   started.status().ToString().c_str());
      return 1;
    }
    process.emplace(std::move(*started));
    address = process->address();
    std::printf("spawned loyaltyd at %s (data %s), ready in %.0f ms\n",
                address.c_str(), data_dir.c_str(), process->start_ms());
  }
  std::printf("machine: %u cores; client: %d channels\n",
              std::thread::hardware_concurrency(), flags.channels);

  auto connection = std::make_unique<Connection>(address, flags.channels,
                                                 flags.api_key);
  Workload workload(flags.members, flags.seed);
  auto wants = [&](const std::string& phase) {
    return std::find(phases.begin(), phases.end(), phase) != phases.end();
  };
  bool needs_members = wants("earn") || wants("latency") || wants("mix") ||
                       wants("ratelimit") || wants("watch") ||
                       wants("backup") ||
                       wants("coupons") || wants("vouchers") ||
                       wants("batch") || flags.preload_entries > 0;
  if (needs_members) Preload(*connection, workload, flags.members);
  if (flags.preload_entries > 0) {
    PreloadEntries(*connection, workload, flags.preload_entries,
                   flags.batch_events);
  }

  DriveOptions closed;
  closed.outstanding = flags.outstanding;
  closed.warmup_s = flags.warmup_s;
  closed.duration_s = flags.duration_s;
  double health_per_s = 0;
  double earn_per_s = 0;
  if (wants("health")) {
    auto report = RunPhase("health (trivial RPC)", *connection, closed,
                           [](Connection& c, int channel) {
                             StartHealthCheck(c, channel);
                           });
    health_per_s = report.rpcs["health"].calls_per_s;
  }
  if (wants("earn")) {
    auto report = RunPhase("earn (durable, closed loop)", *connection, closed,
                           [&](Connection& c, int channel) {
                             workload.IssueEarn(c, channel);
                           });
    earn_per_s = report.rpcs["earn"].calls_per_s;
  }
  if (health_per_s > 0 && earn_per_s > 0) {
    std::printf("\n>> durable earns/s ÷ trivial RPCs/s = %.0f / %.0f = %.2f\n",
                earn_per_s, health_per_s, earn_per_s / health_per_s);
  }
  if (wants("latency") && earn_per_s > 0) {
    DriveOptions paced = closed;
    paced.rate_per_s = earn_per_s / 2;
    paced.outstanding = 256;
    RunPhase("earn at half the maximum throughput", *connection, paced,
             [&](Connection& c, int channel) { workload.IssueEarn(c, channel); });
  }
  if (wants("mix")) {
    RunPhase("mix (" + flags.mix + ")", *connection, closed,
             [&](Connection& c, int channel) {
               workload.IssueMix(c, channel, mix);
             });
  }
  if (wants("coupons")) {
    RunPhase("coupons (issue, then an earn at checkout with it)", *connection,
             closed, [&](Connection& c, int channel) {
               workload.IssueCouponCall(c, channel);
             });
  }
  if (wants("vouchers")) {
    RunPhase("vouchers (sell twelve, then pick them up one at a time)",
             *connection, closed, [&](Connection& c, int channel) {
               workload.IssueVoucherCall(c, channel);
             });
  }
  if (wants("batch")) {
    DriveOptions batch = closed;
    batch.outstanding = flags.batch_outstanding;
    auto report = RunPhase(
        absl::StrCat("earn batch (", flags.batch_events, " events per call)"),
        *connection, batch, [&](Connection& c, int channel) {
          workload.IssueEarnBatch(c, channel, flags.batch_events);
        });
    std::printf("\n>> durable batch events/s = %.0f\n",
                report.rpcs["earn_batch"].calls_per_s * flags.batch_events);
  }
  if (wants("depth")) RunDepth(*connection, workload, flags);
  if (wants("watch")) RunWatch(address, flags.api_key, *connection, workload, flags);
  if (wants("backup") && RunBackupPhase(*connection, workload, flags) != 0) {
    ++measured_errors;
  }
  if (wants("ratelimit")) {
    if (process) {
      RunRateLimit(address, *connection, workload, flags);
    } else {
      std::printf("\n== ratelimit: skipped (needs --spawn: its keys file "
                  "names the flooding key)\n");
    }
  }
  if (wants("generate")) {
    const std::string work_dir =
        temp_dir.empty() ? std::filesystem::temp_directory_path().string()
                         : temp_dir;
    RunGenerate(flags, address, work_dir, *connection);
  }
  if (wants("startup") && process) {
    auto stats = ReadStats(*connection);
    connection.reset();
    int status = process->Stop();
    auto restarted =
        ServerProcess::Start(flags.spawn, data_dir, program, keys,
                             flags.server_flags);
    if (!restarted.ok()) {
      std::fprintf(stderr, "loyalty-bench: restart failed: %s\n",
                   restarted.status().ToString().c_str());
      return 1;
    }
    std::printf(
        "\n== startup\n  stopped with exit %d; restarted on a ledger of %llu "
        "entries: ready in %.0f ms\n",
        status,
        static_cast<unsigned long long>(stats ? stats->last_sequence() : 0),
        restarted->start_ms());
    process.reset();
    process.emplace(std::move(*restarted));
    connection = std::make_unique<Connection>(process->address(), 1,
                                              flags.api_key);
    if (auto after = ReadStats(*connection)) {
      std::printf("  RSS after restart %.1f MiB\n",
                  after->rss_bytes() / 1048576.0);
    }
  }
  if (process) {
    if (auto stats = ReadStats(*connection)) {
      std::printf("\nserver at exit: %llu entries, RSS %.1f MiB, RocksDB "
                  "memory %.1f MiB\n",
                  static_cast<unsigned long long>(stats->last_sequence()),
                  stats->rss_bytes() / 1048576.0,
                  stats->storage_memory_bytes() / 1048576.0);
    }
    connection.reset();
    process->Stop();
    if (flags.data_dir.empty()) std::filesystem::remove_all(temp_dir);
  }
  if (flags.fail_on_errors && measured_errors > 0) {
    std::fprintf(stderr,
                 "loyalty-bench: %llu measured calls failed (see the tables)\n",
                 static_cast<unsigned long long>(measured_errors));
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace loyalty::bench

int main(int argc, char** argv) {
  // Line-buffered even into a file or pipe, so output arrives as it happens.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  loyalty::bench::Flags flags;
  CLI::App app{"loyalty-bench: load generator for loyaltyd"};
  auto* target = app.add_option_group("target");
  target->add_option("--server", flags.server, "address of a running loyaltyd");
  target->add_option("--spawn", flags.spawn,
                     "path of loyaltyd to start on a free port");
  target->require_option(1);
  app.add_option("--api-key", flags.api_key,
                 "key with ROLE_CHANNEL and ROLE_ADMIN (with --server)");
  app.add_option("--data-dir", flags.data_dir,
                 "data dir for --spawn (default: a temp dir, removed after)");
  app.add_option("--server-flags", flags.server_flags,
                 "extra loyaltyd flags for --spawn");
  app.add_option("--phases", flags.phases,
                 loyalty::bench::kKnownPhases)
      ->capture_default_str();
  app.add_option("--mix", flags.mix, "weights of the mix phase")
      ->capture_default_str();
  app.add_option("--members", flags.members, "members to preload")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--outstanding", flags.outstanding, "calls in flight")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--channels", flags.channels, "gRPC channels")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--warmup-s", flags.warmup_s)
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--duration-s", flags.duration_s)
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  app.add_option("--batch-events", flags.batch_events,
                 "events per EarnBatch call")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--batch-outstanding", flags.batch_outstanding)
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--deep-entries", flags.deep_entries,
                 "entries of the deep member (depth phase)")
      ->capture_default_str();
  app.add_option("--preload-entries", flags.preload_entries,
                 "earns to add before the phases (for startup and RSS runs)")
      ->capture_default_str();
  app.add_option("--seed", flags.seed)->capture_default_str();
  app.add_option("--loyaltyctl", flags.loyaltyctl,
                 "path of loyaltyctl (the generate phase runs it)");
  app.add_option("--generate-count", flags.generate_count,
                 "codes of the generate phase's batch")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}))
      ->capture_default_str();
  app.add_flag("--fail-on-errors", flags.fail_on_errors,
               "exit 1 if any measured call failed (the smoke test's check)");
  CLI11_PARSE(app, argc, argv);
  return loyalty::bench::Run(flags);
}
