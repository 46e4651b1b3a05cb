#include "server/server.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/server_interceptor.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "server/async_call.h"
#include "server/method_table.h"
#include "server/process_stats.h"
#include "server/request_guard.h"

namespace loyalty {

using loyalty::v1::ProgramConfig;
using loyalty::v1::ServerStats;

namespace {

// OK when `backup_dir` is empty (no backups) or an existing directory
// that is neither the data directory nor inside it (a backup in the data
// directory would be lost with it, and RocksDB owns that directory).
absl::Status CheckBackupDir(const std::string& backup_dir,
                            const std::string& data_dir) {
  if (backup_dir.empty()) return absl::OkStatus();
  std::error_code error;
  if (!std::filesystem::is_directory(backup_dir, error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--backup-dir: ", backup_dir, " is not an existing directory"));
  }
  const std::filesystem::path backups =
      std::filesystem::weakly_canonical(backup_dir, error);
  const std::filesystem::path data =
      std::filesystem::weakly_canonical(data_dir, error);
  // The data directory's path is a prefix of the backup directory's.
  if (std::mismatch(data.begin(), data.end(), backups.begin(), backups.end())
          .first == data.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--backup-dir: ", backup_dir,
        " is the data directory or inside it; backups belong elsewhere"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<LoyaltyServer>> LoyaltyServer::Start(
    ProgramConfig program, const ServerOptions& options, const Clock* clock) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("--data-dir: is required");
  }
  if (options.sweep_interval_ms < 0) {
    return absl::InvalidArgumentError(
        "--sweep-interval-ms: must be 0 (off) or positive");
  }
  if (options.completion_threads < 1 || options.completion_threads > 64) {
    return absl::InvalidArgumentError(
        "--completion-threads: must be between 1 and 64");
  }
  if (options.unknown_coupon_lookups_per_minute <
          UnknownCodeLimiter::kLookupsPerMinuteMin ||
      options.unknown_coupon_lookups_per_minute >
          UnknownCodeLimiter::kLookupsPerMinuteMax) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--unknown-coupon-lookups-per-minute: must be between ",
        UnknownCodeLimiter::kLookupsPerMinuteMin, " and ",
        UnknownCodeLimiter::kLookupsPerMinuteMax,
        " (there is no unlimited: the limit keeps codes from being guessed)"));
  }
  if (options.watch_streams_max < 1 ||
      options.watch_streams_max > WatchHub::kStreamsMaxLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("--watch-streams-max: must be between 1 and ",
                     WatchHub::kStreamsMaxLimit));
  }
  if (options.keys_poll_interval_ms < 0) {
    return absl::InvalidArgumentError(
        "--keys-poll-interval-ms: must be 0 (reload only on SIGHUP) or "
        "positive");
  }
  LEDGER_RETURN_IF_ERROR(CheckBackupDir(options.backup_dir, options.data_dir));
  if (!options.metrics_listen_address.empty()) {
    LEDGER_RETURN_IF_ERROR(CheckMetricsAddress(options.metrics_listen_address));
  }
  // Checked before storage opens, so a bad certificate or keys file changes
  // nothing.
  std::shared_ptr<Logger> logger =
      options.logger != nullptr
          ? options.logger
          : std::make_shared<Logger>(LogFormat::kLogfmt, LogLevel::kInfo);
  absl::StatusOr<std::unique_ptr<TransportSecurity>> transport =
      TransportSecurity::Create(options.listen_address, options.transport,
                                logger);
  if (!transport.ok()) return transport.status();
  if (options.keys_file.empty()) {
    return absl::InvalidArgumentError(
        "--keys-file: is required (the API keys file; README, \"API keys and "
        "roles\")");
  }
  absl::StatusOr<std::string> keys_content =
      ReadKeysFileBytes(options.keys_file);
  if (!keys_content.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--keys-file: ", keys_content.status().message()));
  }
  absl::StatusOr<KeyRing> keys =
      ParseKeysFile(*keys_content, options.keys_file);
  if (!keys.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--keys-file: ", keys.status().message()));
  }
  if (!keys->principals_by_cert_subject.empty() &&
      !(*transport)->requires_client_certificates()) {
    // Not an error: the file may be shared with a loyaltyd that requires
    // client certificates. But here no call can match those entries.
    logger->Warn(
        "the keys file names client certificate subjects, but without "
        "--tls-client-ca no client presents a certificate: only API keys "
        "authenticate",
        {{"file", options.keys_file},
         {"client_certificate_subjects",
          static_cast<uint64_t>(keys->principals_by_cert_subject.size())}});
  }
  std::unique_ptr<LoyaltyServer> server(new LoyaltyServer());
  server->options_ = options;
  server->clock_ = clock;
  server->started_at_ms_ = clock->NowMs();
  server->transport_ = std::move(*transport);
  server->logger_ = std::move(logger);
  // Listening before storage opens, so an address in use changes nothing.
  if (!options.metrics_listen_address.empty()) {
    LEDGER_ASSIGN_OR_RETURN(
        server->metrics_,
        MetricsEndpoint::Start(options.metrics_listen_address));
  }
  LEDGER_ASSIGN_OR_RETURN(server->store_,
                          RocksDbStore::Open(options.data_dir, options.rocksdb));
  server->auth_ = std::make_unique<Authenticator>(std::move(*keys), clock);
  // The interceptor runs when someone reads what it produces: the metrics,
  // or request lines at the logger's level (info; warn for server faults).
  if (server->metrics_ != nullptr ||
      server->logger_->Enabled(LogLevel::kWarn)) {
    server->rpc_registry_ = std::make_shared<prometheus::Registry>();
    server->rpc_observer_ = std::make_unique<RpcObserver>(
        server->rpc_registry_.get(), server->logger_.get());
    server->auth_->set_observer(server->rpc_observer_.get());
  }
  server->unknown_codes_ = std::make_unique<UnknownCodeLimiter>(
      clock, options.unknown_coupon_lookups_per_minute);
  LedgerOptions ledger_options = options.ledger;
  ledger_options.on_write_failure = [logger = server->logger_](
                                        const absl::Status& failure) {
    logger->Error("storage write failed; refusing writes until restarted",
                  {{"error", failure.message()}});
  };
  LEDGER_ASSIGN_OR_RETURN(
      server->ledger_, Ledger::Open(server->store_.get(), std::move(program),
                                    clock, std::move(ledger_options)));
  // Counted before any call can enroll anyone: the members gauge adds the
  // ledger's count of members enrolled since it opened.
  uint64_t members_at_open = 0;
  if (server->metrics_ != nullptr) {
    const absl::Time counting_since = absl::Now();
    absl::StatusOr<uint64_t> members = CountMembers(*server->store_);
    if (!members.ok()) {
      server->ledger_->Shutdown();
      return members.status();
    }
    members_at_open = *members;
    server->logger_->Info(
        "members counted for the metrics",
        {{"members", members_at_open},
         {"elapsed_ms", absl::ToInt64Milliseconds(absl::Now() -
                                                  counting_since)}});
  }
  server->background_ = std::make_unique<BackgroundRunner>();
  server->watches_ = std::make_unique<WatchHub>(
      server->ledger_.get(), clock, options.watch_streams_max);
  server->backups_ =
      std::make_unique<Backups>(server->ledger_.get(), options.backup_dir);
  LoyaltyServer* raw = server.get();
  server->methods_ = BuildMethodTable(MethodEnvironment{
      &server->loyalty_service_, &server->admin_service_, server->auth_.get(),
      server->ledger_.get(), server->background_.get(),
      server->unknown_codes_.get(),
      [raw] { return raw->CollectStats(*raw->ledger_); }, &server->streams_,
      server->watches_.get(), server->backups_.get()});

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Requests up to twice the guard's bound reach it and get its answer with
  // a reason; beyond, gRPC's own RESOURCE_EXHAUSTED (request_guard.h).
  builder.SetMaxReceiveMessageSize(kRequestTransportBytesMax);
  builder.AddListeningPort(options.listen_address,
                           server->transport_->credentials(),
                           &server->port_);
  builder.RegisterService(&server->loyalty_service_);
  builder.RegisterService(&server->admin_service_);
  for (int i = 0; i < options.completion_threads; ++i) {
    server->queues_.push_back(builder.AddCompletionQueue());
  }
  if (server->rpc_observer_ != nullptr) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(server->rpc_observer_->MakeInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    server->ledger_->Shutdown();
    return absl::UnavailableError(absl::StrCat(
        "--listen: cannot listen on ", options.listen_address,
        " (in use, or not an address of this machine)"));
  }
  server->keys_reloader_ = std::make_unique<KeysReloader>(
      options.keys_file, std::move(*keys_content), server->auth_.get(),
      options.keys_poll_interval_ms, server->logger_.get());
  if (options.sweep_interval_ms > 0) {
    server->sweeper_ = std::make_unique<Sweeper>(server->ledger_.get(),
                                                 options.sweep_interval_ms);
  }
  if (server->metrics_ != nullptr) {
    server->metrics_->Serve(server->rpc_registry_);
    server->metrics_->Serve(std::make_shared<LedgerCollectable>(
        LedgerMetricsSources{server->ledger_.get(), server->store_.get(),
                             server->watches_.get(), server->sweeper_.get(),
                             server->keys_reloader_.get(), clock,
                             members_at_open,
                             options.ledger.queue_commands_max,
                             server->started_at_ms_}));
  }
  for (auto& queue : server->queues_) {
    for (MethodRow& row : server->methods_) row.served->Arm(queue.get());
    grpc::ServerCompletionQueue* raw_queue = queue.get();
    server->pollers_.emplace_back(
        [s = server.get(), raw_queue] { s->PollQueue(raw_queue); });
  }
  return server;
}

LoyaltyServer::~LoyaltyServer() { Shutdown(); }

absl::Status LoyaltyServer::ReloadCertificates() {
  if (transport_ == nullptr) {
    return absl::FailedPreconditionError("the server has shut down");
  }
  return transport_->ReloadNow();
}

absl::Status LoyaltyServer::ReloadKeys() {
  if (keys_reloader_ == nullptr) {
    return absl::FailedPreconditionError("the server has shut down");
  }
  return keys_reloader_->ReloadNow();
}

void LoyaltyServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  // No scrape reads what the steps below take apart.
  metrics_.reset();
  // Change streams never end by themselves: end them (UNAVAILABLE, saying
  // where to resume) while the queues still carry their last responses.
  if (watches_ != nullptr) watches_->Stop();
  if (server_ != nullptr) {
    // In-flight mutations finish on the writer, which keeps running here.
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(options_.shutdown_grace_ms));
  }
  sweeper_.reset();  // Before the ledger stops taking its sweeps.
  keys_reloader_.reset();
  if (ledger_ != nullptr) ledger_->Shutdown();  // Drains whatever is queued.
  background_.reset();
  // Streaming calls (GenerateCoupons) end by themselves once the server has
  // cancelled them and the ledger refuses their next chunk; none may start
  // an operation after the queues shut down.
  streams_.WaitUntilNone();
  for (auto& queue : queues_) queue->Shutdown();
  for (auto& poller : pollers_) poller.join();
  server_.reset();
  transport_.reset();  // After the server: stops watching certificates.
  if (auth_ != nullptr) auth_->set_observer(nullptr);
  ledger_.reset();
  store_.reset();  // Closes RocksDB.
}

void LoyaltyServer::PollQueue(grpc::ServerCompletionQueue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) static_cast<CallBase*>(tag)->Proceed(ok);
}

ServerStats LoyaltyServer::CollectStats(const Ledger& ledger) const {
  WriterStats writer = ledger.stats();
  ProcessStats process = ReadProcessStats();
  ServerStats stats;
  stats.set_batches(writer.batches);
  stats.set_commands(writer.commands);
  stats.set_entries(writer.entries);
  stats.set_batch_commands_max_seen(writer.batch_commands_max_seen);
  stats.set_queue_depth(writer.queue_depth);
  stats.set_last_sequence(writer.last_sequence);
  stats.set_writer_apply_us_total(writer.apply_us_total);
  stats.set_writer_write_us_total(writer.write_us_total);
  stats.set_writer_write_us_max(writer.write_us_max);
  stats.set_member_cache_hits(writer.member_cache_hits);
  stats.set_member_cache_misses(writer.member_cache_misses);
  stats.set_member_cache_size(writer.member_cache_size);
  for (uint64_t count : writer.write_us_histogram) {
    stats.add_write_us_histogram(count);
  }
  for (uint64_t count : writer.batch_size_histogram) {
    stats.add_batch_size_histogram(count);
  }
  stats.set_cpu_user_ms(process.cpu_user_ms);
  stats.set_cpu_system_ms(process.cpu_system_ms);
  stats.set_rss_bytes(process.rss_bytes);
  stats.set_storage_memory_bytes(store_->ApproximateMemoryBytes());
  stats.set_uptime_ms(clock_->NowMs() - started_at_ms_);
  if (watches_ != nullptr) {
    const WatchHub::Stats watch = watches_->stats();
    stats.set_watch_streams(watch.streams);
    stats.set_watch_streams_total(watch.streams_total);
    stats.set_watch_entries_sent(watch.entries_sent);
    stats.set_watch_heartbeats_sent(watch.heartbeats_sent);
  }
  if (backups_ != nullptr) backups_->AddStats(stats);
  if (sweeper_ != nullptr) {
    SweeperStats sweeps = sweeper_->stats();
    stats.set_sweeps(sweeps.sweeps);
    stats.set_sweep_members_settled(sweeps.members_settled);
    stats.set_sweep_entries_written(sweeps.entries_written);
    stats.set_sweep_failures(sweeps.failures);
  }
  return stats;
}

}  // namespace loyalty
