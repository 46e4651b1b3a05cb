// File: server/metrics.cc
//
// The interceptor, the scrape-time collectable and the HTTP endpoint of
// metrics.h. Every figure LedgerCollectable exports is read from a stats
// struct the server keeps anyway (Ledger::stats, WatchHub, Sweeper,
// KeysReloader, RocksDB properties); the log2 histograms of the writer
// become Prometheus histograms whose bucket bounds are the log2 bounds.
#include "server/metrics.h"

#include <chrono>
#include <exception>
#include <functional>
#include <limits>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "loyalty/v1/contract.h"
#include "loyalty/v1/loyalty_service.grpc.pb.h"
#include "prometheus/exposer.h"
#include "server/process_stats.h"

namespace loyalty {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Call latency buckets, seconds: a cached read takes well under a
// millisecond, a synced write a few, a deep statement or VerifyLedger
// seconds.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return *buckets;
}

absl::string_view TypeLabel(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

// Server trouble, not the caller's: logged at warn.
bool IsServerFault(grpc::StatusCode code) {
  return code == grpc::StatusCode::INTERNAL ||
         code == grpc::StatusCode::UNKNOWN ||
         code == grpc::StatusCode::DATA_LOSS;
}

// One interceptor per call: times it from arrival to the status it sends.
class RpcInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcInterceptor(RpcObserver* observer, ServerRpcInfo* info)
      : observer_(observer), info_(info) {}
  // A call that arrived but ends without sending a status (cancelled while
  // the server shut down) still counts, as CANCELLED. An interceptor can
  // exist for a call armed on a queue that never arrived: that is no call.
  ~RpcInterceptor() override {
    if (began_ && !finished_) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "no status sent"), "");
    }
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!began_ && methods->QueryInterceptionHookPoint(
                       InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      began_ = true;
      started_ = std::chrono::steady_clock::now();
      observer_->Begin(info_->server_context());
    }
    if (began_ && !finished_ &&
        methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      absl::string_view reason;
      const std::multimap<std::string, std::string>* trailing =
          methods->GetSendTrailingMetadata();
      if (trailing != nullptr) {
        auto found = trailing->find(std::string(contract::kReasonMetadataKey));
        if (found != trailing->end()) reason = found->second;
      }
      Finish(methods->GetSendStatus(), reason);
    }
    methods->Proceed();
  }

 private:
  void Finish(const grpc::Status& status, absl::string_view reason) {
    finished_ = true;
    const double seconds = std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - started_)
                               .count();
    observer_->Finish(info_->server_context(), info_->method(), info_->type(),
                      status, reason, seconds);
  }

  RpcObserver* const observer_;
  ServerRpcInfo* const info_;
  // Set when the call arrives (its initial metadata is received).
  std::chrono::steady_clock::time_point started_;
  bool began_ = false;
  bool finished_ = false;
};

class RpcInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcInterceptorFactory(RpcObserver* observer) : observer_(observer) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      ServerRpcInfo* info) override {
    return new RpcInterceptor(observer_, info);
  }

 private:
  RpcObserver* const observer_;
};

// "/pkg.Service/Method" -> ("pkg.Service", "Method").
std::pair<absl::string_view, absl::string_view> SplitPath(
    absl::string_view path) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  const size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return {path, ""};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

template <typename Generated>
void ForEachMethod(
    const std::function<void(const google::protobuf::MethodDescriptor&)>&
        visit) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          Generated::service_full_name());
  // Invariant: the generated code registered its own service.
  LEDGER_CHECK(service != nullptr);
  for (int i = 0; i < service->method_count(); ++i) visit(*service->method(i));
}

}  // namespace

absl::Status CheckMetricsAddress(absl::string_view address) {
  auto bad = [address](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-listen: \"", address, "\" ", why,
                     " (want HOST:PORT, e.g. 0.0.0.0:9464 or [::1]:9464)"));
  };
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return bad("has no port");
  absl::string_view host = address.substr(0, colon);
  absl::string_view port_text = address.substr(colon + 1);
  uint32_t port = 0;
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return bad("has no port between 0 and 65535");
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (host.find_first_not_of("0123456789abcdefABCDEF:.") !=
            absl::string_view::npos ||
        host.find(':') == absl::string_view::npos) {
      return bad("has no IPv6 address between the brackets");
    }
    return absl::OkStatus();
  }
  std::vector<absl::string_view> octets = absl::StrSplit(host, '.');
  bool ipv4 = octets.size() == 4;
  for (absl::string_view octet : octets) {
    uint32_t value = 0;
    if (octet.empty() || octet.size() > 3 ||
        octet.find_first_not_of("0123456789") != absl::string_view::npos ||
        !absl::SimpleAtoi(octet, &value) || value > 255) {
      ipv4 = false;
    }
  }
  if (!ipv4) {
    return bad(
        "has no IP address to listen on (host names are not resolved; "
        "IPv6 goes in brackets)");
  }
  return absl::OkStatus();
}

absl::string_view GrpcCodeLabel(grpc::StatusCode code) {
  static constexpr std::array<absl::string_view, 17> kLabels = {
      "OK",
      "Canceled",
      "Unknown",
      "InvalidArgument",
      "DeadlineExceeded",
      "NotFound",
      "AlreadyExists",
      "PermissionDenied",
      "ResourceExhausted",
      "FailedPrecondition",
      "Aborted",
      "OutOfRange",
      "Unimplemented",
      "Internal",
      "Unavailable",
      "DataLoss",
      "Unauthenticated"};
  const int index = static_cast<int>(code);
  if (index < 0 || index >= static_cast<int>(kLabels.size())) return "Unknown";
  return kLabels[index];
}

// ---------------------------------------------------------------- RpcObserver

RpcObserver::RpcObserver(prometheus::Registry* registry, Logger* logger)
    : logger_(logger),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("RPCs completed on the server, by method and gRPC "
                         "status code.")
                   .Register(*registry)),
      handling_seconds_(
          prometheus::BuildHistogram()
              .Name("grpc_server_handling_seconds")
              .Help("Time from a call's arrival to its status, by method.")
              .Register(*registry)),
      authentication_failures_(
          prometheus::BuildCounter()
              .Name("loyalty_authentication_failures_total")
              .Help("Calls refused UNAUTHENTICATED (no or unknown API key).")
              .Register(*registry)
              .Add({})),
      rate_limited_(prometheus::BuildCounter()
                        .Name("loyalty_rate_limited_total")
                        .Help("Calls refused by the principal's rate limit "
                              "(RESOURCE_EXHAUSTED, RATE_LIMITED).")
                        .Register(*registry)) {
  auto add = [this](const google::protobuf::MethodDescriptor& method) {
    const std::string path =
        absl::StrCat("/", method.service()->full_name(), "/", method.name());
    const ServerRpcInfo::Type type =
        method.server_streaming()
            ? (method.client_streaming()
                   ? ServerRpcInfo::Type::BIDI_STREAMING
                   : ServerRpcInfo::Type::SERVER_STREAMING)
            : (method.client_streaming() ? ServerRpcInfo::Type::CLIENT_STREAMING
                                         : ServerRpcInfo::Type::UNARY);
    InitSeries(path, TypeLabel(type), &known_[path]);
  };
  ForEachMethod<loyalty::v1::LoyaltyService>(add);
  ForEachMethod<loyalty::v1::AdminService>(add);
}

void RpcObserver::InitSeries(absl::string_view path, absl::string_view type,
                             MethodSeries* series) {
  auto [service, method] = SplitPath(path);
  series->service = std::string(service);
  series->method = std::string(method);
  series->type = std::string(type);
  series->seconds = &handling_seconds_.Add({{"grpc_type", series->type},
                                            {"grpc_service", series->service},
                                            {"grpc_method", series->method}},
                                           LatencyBuckets());
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
RpcObserver::MakeInterceptorFactory() {
  return std::make_unique<RpcInterceptorFactory>(this);
}

void RpcObserver::OnAuthenticated(const grpc::ServerContextBase& context,
                                  const Principal& principal,
                                  absl::string_view request_id) {
  absl::MutexLock lock(&calls_mutex_);
  auto found = calls_.find(&context);
  // A batch authorizes once per item: the first says who calls.
  if (found == calls_.end() || !found->second.principal.empty()) return;
  found->second.principal = principal.name;
  found->second.request_id = std::string(request_id);
}

void RpcObserver::Begin(const grpc::ServerContextBase* context) {
  absl::MutexLock lock(&calls_mutex_);
  calls_[context];
}

RpcObserver::MethodSeries& RpcObserver::SeriesFor(absl::string_view path,
                                                  ServerRpcInfo::Type type) {
  auto known = known_.find(path);
  if (known != known_.end()) return known->second;
  absl::MutexLock lock(&others_mutex_);
  auto [other, added] = others_.try_emplace(std::string(path));
  if (added) InitSeries(path, TypeLabel(type), &other->second);
  return other->second;
}

void RpcObserver::Finish(const grpc::ServerContextBase* context,
                         absl::string_view path, ServerRpcInfo::Type type,
                         const grpc::Status& status, absl::string_view reason,
                         double seconds) {
  CallNote note;
  {
    absl::MutexLock lock(&calls_mutex_);
    auto found = calls_.find(context);
    if (found != calls_.end()) {
      note = std::move(found->second);
      calls_.erase(found);
    }
  }
  MethodSeries& series = SeriesFor(path, type);
  int code = static_cast<int>(status.error_code());
  if (code < 0 || code >= kCodeCount) code = grpc::StatusCode::UNKNOWN;
  prometheus::Counter* counter = series.handled[code].load();
  if (counter == nullptr) {
    counter = &handled_.Add(
        {{"grpc_type", series.type},
         {"grpc_service", series.service},
         {"grpc_method", series.method},
         {"grpc_code",
          std::string(GrpcCodeLabel(static_cast<grpc::StatusCode>(code)))}});
    series.handled[code].store(counter);
  }
  counter->Increment();
  series.seconds->Observe(seconds);
  if (code == grpc::StatusCode::UNAUTHENTICATED) {
    authentication_failures_.Increment();
  }
  if (reason ==
      loyalty::v1::ErrorReason_Name(loyalty::v1::ERROR_REASON_RATE_LIMITED)) {
    rate_limited_.Add({{"principal", note.principal}}).Increment();
  }
  Log(series, status, reason, seconds, note);
}

void RpcObserver::Log(const MethodSeries& series, const grpc::Status& status,
                      absl::string_view reason, double seconds,
                      const CallNote& note) {
  LogLevel level = LogLevel::kInfo;
  if (IsServerFault(status.error_code())) level = LogLevel::kWarn;
  // Probes poll every few seconds: only at debug.
  if (series.service == "grpc.health.v1.Health") level = LogLevel::kDebug;
  if (!logger_->Enabled(level)) return;
  std::vector<LogField> fields = {
      {"method", series.method},
      {"service", series.service},
      {"code", GrpcCodeLabel(status.error_code())},
  };
  if (!reason.empty()) fields.emplace_back("reason", reason);
  fields.emplace_back("latency_ms", seconds * 1e3);
  if (!note.principal.empty()) fields.emplace_back("principal", note.principal);
  if (!note.request_id.empty()) {
    fields.emplace_back("request_id", note.request_id);
  }
  // The status message names fields and limits, never a value of the
  // request (status_mapping.h); it is logged only for failures.
  if (!status.ok()) fields.emplace_back("error", status.error_message());
  logger_->Log(level, "rpc", fields);
}

// ---------------------------------------------------------- LedgerCollectable

absl::StatusOr<uint64_t> CountMembers(const StoreReader& store) {
  uint64_t members = 0;
  absl::Status scanned =
      store.Scan(Family::kMembers, "", "", /*reverse=*/false,
                 [&members](absl::string_view, absl::string_view) {
                   ++members;
                   return true;
                 });
  if (!scanned.ok()) return scanned;
  return members;
}

namespace {

// Builds the families of one scrape.
class Families {
 public:
  void Gauge(const std::string& name, const std::string& help, double value) {
    ClientMetric metric;
    metric.gauge.value = value;
    Add(name, help, MetricType::Gauge, std::move(metric));
  }
  void Counter(const std::string& name, const std::string& help, double value) {
    ClientMetric metric;
    metric.counter.value = value;
    Add(name, help, MetricType::Counter, std::move(metric));
  }
  // A log2 histogram (counts[k]: values in [2^k, 2^(k+1))) with every value
  // scaled by `scale`, as a Prometheus histogram: bucket k's bound is
  // 2^(k+1) * scale (values are integers below 2^(k+1)).
  template <size_t kBuckets>
  void Log2Histogram(const std::string& name, const std::string& help,
                     const std::array<uint64_t, kBuckets>& counts, double sum,
                     double scale) {
    ClientMetric metric;
    uint64_t cumulative = 0;
    for (size_t k = 0; k < kBuckets; ++k) {
      cumulative += counts[k];
      metric.histogram.bucket.push_back(ClientMetric::Bucket{
          cumulative, static_cast<double>(uint64_t{2} << k) * scale});
    }
    metric.histogram.bucket.push_back(ClientMetric::Bucket{
        cumulative, std::numeric_limits<double>::infinity()});
    metric.histogram.sample_count = cumulative;
    metric.histogram.sample_sum = sum;
    Add(name, help, MetricType::Histogram, std::move(metric));
  }
  std::vector<MetricFamily> Take() { return std::move(families_); }

 private:
  void Add(const std::string& name, const std::string& help, MetricType type,
           ClientMetric metric) {
    MetricFamily family;
    family.name = name;
    family.help = help;
    family.type = type;
    family.metric.push_back(std::move(metric));
    families_.push_back(std::move(family));
  }
  std::vector<MetricFamily> families_;
};

}  // namespace

std::vector<MetricFamily> LedgerCollectable::Collect() const {
  const LedgerMetricsSources& s = sources_;
  const WriterStats writer = s.ledger->stats();
  Families out;
  // The ledger.
  out.Gauge("loyalty_ledger_entries",
            "Entries in the ledger (the last durable sequence).",
            static_cast<double>(writer.last_sequence));
  out.Gauge("loyalty_members",
            "Members in the ledger (merged and closed ones included).",
            static_cast<double>(s.members_at_open + writer.members_enrolled));
  out.Gauge("loyalty_ledger_writes_refused",
            "1 after a storage write failed: the ledger refuses writes "
            "until loyaltyd restarts.",
            writer.writes_refused ? 1 : 0);
  // The writer.
  out.Counter("loyalty_writer_batches_total", "Synced write batches.",
              static_cast<double>(writer.batches));
  out.Counter("loyalty_writer_commands_total",
              "Commands decided in synced batches.",
              static_cast<double>(writer.commands));
  out.Counter("loyalty_writer_entries_total", "Entries written since start.",
              static_cast<double>(writer.entries));
  out.Counter("loyalty_idempotent_replays_total",
              "Retried mutations answered with their remembered outcome.",
              static_cast<double>(writer.replays));
  out.Gauge("loyalty_writer_queue_depth", "Commands waiting for the writer.",
            static_cast<double>(writer.queue_depth));
  out.Gauge("loyalty_writer_queue_commands_max",
            "Queue depth past which mutations are RESOURCE_EXHAUSTED "
            "(--queue-max).",
            static_cast<double>(s.queue_commands_max));
  out.Log2Histogram("loyalty_writer_batch_commands",
                    "Commands per synced batch.", writer.batch_size_histogram,
                    static_cast<double>(writer.commands), 1.0);
  out.Log2Histogram("loyalty_writer_sync_seconds",
                    "Time to write and fsync one batch.",
                    writer.write_us_histogram,
                    static_cast<double>(writer.write_us_total) * 1e-6, 1e-6);
  out.Gauge("loyalty_writer_sync_seconds_max",
            "The slowest batch write and fsync since start.",
            static_cast<double>(writer.write_us_max) * 1e-6);
  out.Counter("loyalty_writer_apply_seconds_total",
              "Writer time deciding commands (CPU).",
              static_cast<double>(writer.apply_us_total) * 1e-6);
  out.Counter("loyalty_member_cache_hits_total",
              "Member loads the writer's cache answered.",
              static_cast<double>(writer.member_cache_hits));
  out.Counter("loyalty_member_cache_misses_total",
              "Member loads the writer read from RocksDB.",
              static_cast<double>(writer.member_cache_misses));
  // Change streams.
  const WatchHub::Stats watch = s.watches->stats();
  const WatchHub::Lag lag = s.watches->ConsumerLag();
  out.Gauge("loyalty_watch_streams", "Change streams (WatchEntries) open.",
            watch.streams);
  out.Counter("loyalty_watch_streams_opened_total",
              "Change streams opened since start.",
              static_cast<double>(watch.streams_total));
  out.Counter("loyalty_watch_entries_sent_total",
              "Entries sent on change streams.",
              static_cast<double>(watch.entries_sent));
  out.Gauge("loyalty_watch_lag_entries_max",
            "Entries the furthest-behind open change stream has not yet "
            "examined (0 with none open).",
            static_cast<double>(lag.entries_max));
  out.Gauge("loyalty_watch_lag_entries",
            "Entries not yet examined, summed over open change streams.",
            static_cast<double>(lag.entries_total));
  // Sweeps and keys.
  {
    // Zero without a sweeper (--sweep-interval-ms 0): the series exist
    // either way, so alerts on them always have data.
    const SweeperStats sweeps =
        s.sweeper != nullptr ? s.sweeper->stats() : SweeperStats{};
    out.Counter("loyalty_sweeps_total", "Periodic sweeps run.",
                static_cast<double>(sweeps.sweeps));
    out.Counter("loyalty_sweep_failures_total", "Sweeps that failed.",
                static_cast<double>(sweeps.failures));
  }
  if (s.keys != nullptr) {
    const KeysReloadStats keys = s.keys->stats();
    out.Counter("loyalty_keys_reloads_total",
                "Keys file loads that replaced the keys.",
                static_cast<double>(keys.reloads));
    out.Counter("loyalty_keys_reloads_refused_total",
                "Keys file loads refused (the old keys stayed).",
                static_cast<double>(keys.reloads_refused));
  }
  // RocksDB.
  const RocksDbStore::Figures rocksdb = s.store->ReadFigures();
  out.Gauge("loyalty_rocksdb_memory_bytes",
            "RocksDB memtables, block cache and table readers.",
            static_cast<double>(s.store->ApproximateMemoryBytes()));
  out.Gauge("loyalty_rocksdb_sst_files_bytes", "Size of RocksDB's SST files.",
            static_cast<double>(rocksdb.sst_files_bytes));
  out.Gauge("loyalty_rocksdb_pending_compaction_bytes",
            "Bytes RocksDB estimates compaction still has to rewrite.",
            static_cast<double>(rocksdb.pending_compaction_bytes));
  out.Gauge("loyalty_rocksdb_running_compactions", "Compactions running.",
            static_cast<double>(rocksdb.running_compactions));
  out.Gauge("loyalty_rocksdb_immutable_memtables",
            "Memtables waiting to be flushed.",
            static_cast<double>(rocksdb.immutable_memtables));
  out.Gauge("loyalty_rocksdb_background_errors",
            "Background (flush, compaction) errors since the store opened.",
            static_cast<double>(rocksdb.background_errors));
  out.Gauge("loyalty_rocksdb_writes_stopped",
            "1 while RocksDB stops writes (too many files waiting).",
            static_cast<double>(rocksdb.writes_stopped));
  out.Gauge("loyalty_rocksdb_delayed_write_rate_bytes",
            "The rate RocksDB slows writes to, 0 when it does not.",
            static_cast<double>(rocksdb.delayed_write_rate_bytes));
  // The process.
  const ProcessStats process = ReadProcessStats();
  out.Counter(
      "process_cpu_seconds_total", "User and system CPU time.",
      static_cast<double>(process.cpu_user_ms + process.cpu_system_ms) * 1e-3);
  out.Gauge("process_resident_memory_bytes", "Resident memory.",
            static_cast<double>(process.rss_bytes));
  out.Gauge("process_start_time_seconds", "Start time, Unix seconds.",
            static_cast<double>(s.started_at_ms) * 1e-3);
  return out.Take();
}

// ------------------------------------------------------------ MetricsEndpoint

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address) {
  absl::Status valid = CheckMetricsAddress(address);
  if (!valid.ok()) return valid;
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint());
  try {
    endpoint->exposer_ = std::make_unique<prometheus::Exposer>(address, 2);
  } catch (const std::exception& error) {
    return absl::UnavailableError(absl::StrCat(
        "--metrics-listen: cannot listen on ", address,
        " (in use, or not an address of this machine): ", error.what()));
  }
  const std::vector<int> ports = endpoint->exposer_->GetListeningPorts();
  if (ports.empty() || ports.front() <= 0) {
    return absl::UnavailableError(absl::StrCat(
        "--metrics-listen: cannot tell which port ", address, " got"));
  }
  endpoint->port_ = ports.front();
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() {
  // Stops the listener (and waits for a scrape in progress) before the
  // collectables it reads go.
  exposer_.reset();
}

void MetricsEndpoint::Serve(
    std::shared_ptr<prometheus::Collectable> collectable) {
  exposer_->RegisterCollectable(collectable);
  served_.push_back(std::move(collectable));
}

}  // namespace loyalty
