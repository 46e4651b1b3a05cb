// File: server/metrics.h
//
// loyaltyd's Prometheus metrics and request log (README "Metrics and logs";
// the names are listed in deploy/monitoring/metric_names.txt).
//
//   RpcObserver     a gRPC server interceptor: every call's outcome counted
//                   in grpc_server_handled_total{grpc_type,grpc_service,
//                   grpc_method,grpc_code} and timed in
//                   grpc_server_handling_seconds (the names and labels of
//                   go-grpc-prometheus, so its dashboards work), plus one
//                   log line per call. The principal and request id come
//                   from auth.cc (AuthObserver), never from the request's
//                   body, so the log holds no key, phone or email.
//   LedgerCollectable  the writer, ledger, change-stream, sweep, keys and
//                   RocksDB figures, read when Prometheus scrapes (the same
//                   counters GetServerStats reports), so serving a call
//                   costs nothing extra for them.
//   MetricsEndpoint the HTTP listener (prometheus-cpp's Exposer) serving
//                   /metrics on loyaltyd --metrics-listen.
#ifndef LOYALTY_SERVER_METRICS_H_
#define LOYALTY_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"
#include "ledger/common/clock.h"
#include "ledger/engine/ledger.h"
#include "ledger/storage/rocksdb_store.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/auth.h"
#include "server/keys_reloader.h"
#include "server/log.h"
#include "server/sweeper.h"
#include "server/watch_entries.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace loyalty {

// OK when `address` is what --metrics-listen takes: HOST:PORT with an IPv4
// address or a bracketed IPv6 one ("0.0.0.0:9464", "[::1]:9464"), port
// 0..65535 (0: any free port). InvalidArgument naming the flag otherwise.
absl::Status CheckMetricsAddress(absl::string_view address);

// grpc_code label values, as go-grpc-prometheus writes them ("OK",
// "InvalidArgument", ...).
absl::string_view GrpcCodeLabel(grpc::StatusCode code);

// Counts, times and logs every call (see the file comment). Thread-safe.
class RpcObserver final : public AuthObserver {
 public:
  // Adds its families to `registry` and logs to `logger`; both outlive it.
  // The series of every method of LoyaltyService and AdminService exist
  // from the start, so a call costs no registry lookup.
  RpcObserver(prometheus::Registry* registry, Logger* logger);

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators; the
  // factory refers to this observer, which must outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  MakeInterceptorFactory();

  void OnAuthenticated(const grpc::ServerContextBase& context,
                       const Principal& principal,
                       absl::string_view request_id) override;

  // The interceptor's side (metrics.cc): a call arrived; a call finished
  // with `status` (the reason from its trailing metadata, if any) after
  // `seconds`. Finish is called once per Begin.
  void Begin(const grpc::ServerContextBase* context);
  void Finish(const grpc::ServerContextBase* context, absl::string_view path,
              grpc::experimental::ServerRpcInfo::Type type,
              const grpc::Status& status, absl::string_view reason,
              double seconds);

 private:
  static constexpr int kCodeCount = 17;  // grpc::StatusCode 0..16.
  struct MethodSeries {
    std::string service;
    std::string method;
    std::string type;
    // Made on a code's first use (Family::Add is thread-safe and returns
    // the same series for the same labels).
    std::array<std::atomic<prometheus::Counter*>, kCodeCount> handled{};
    prometheus::Histogram* seconds = nullptr;
  };
  // What auth.cc said of a call in flight.
  struct CallNote {
    std::string principal;
    std::string request_id;
  };

  MethodSeries& SeriesFor(absl::string_view path,
                          grpc::experimental::ServerRpcInfo::Type type);
  // Fills a new entry's labels and histogram.
  void InitSeries(absl::string_view path, absl::string_view type,
                  MethodSeries* series);
  void Log(const MethodSeries& series, const grpc::Status& status,
           absl::string_view reason, double seconds, const CallNote& note);

  Logger* const logger_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
  prometheus::Counter& authentication_failures_;
  prometheus::Family<prometheus::Counter>& rate_limited_;
  // The contract's methods, by path ("/loyalty.v1.LoyaltyService/Earn");
  // read-only after construction.
  absl::node_hash_map<std::string, MethodSeries> known_;
  // Other paths (health checks, reflection), made on first use.
  absl::Mutex others_mutex_;
  absl::node_hash_map<std::string, MethodSeries> others_
      ABSL_GUARDED_BY(others_mutex_);
  // Calls in flight, by their context: what auth.cc said of each.
  absl::Mutex calls_mutex_;
  absl::flat_hash_map<const grpc::ServerContextBase*, CallNote> calls_
      ABSL_GUARDED_BY(calls_mutex_);
};

// What LedgerCollectable reads; every pointer outlives it (sweeper may be
// null when loyaltyd does not sweep).
struct LedgerMetricsSources {
  const Ledger* ledger = nullptr;
  const RocksDbStore* store = nullptr;
  const WatchHub* watches = nullptr;
  const Sweeper* sweeper = nullptr;
  const KeysReloader* keys = nullptr;
  const Clock* clock = nullptr;
  // Members stored when the ledger opened (CountMembers); the gauge adds
  // the members enrolled since.
  uint64_t members_at_open = 0;
  uint64_t queue_commands_max = 0;
  int64_t started_at_ms = 0;
};

// Members in `store`: one key each in Family::kMembers. Reads the whole
// family (loyaltyd does it once at start, with --metrics-listen only).
absl::StatusOr<uint64_t> CountMembers(const StoreReader& store);

class LedgerCollectable final : public prometheus::Collectable {
 public:
  explicit LedgerCollectable(LedgerMetricsSources sources)
      : sources_(sources) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const LedgerMetricsSources sources_;
};

// /metrics over HTTP (prometheus-cpp's civetweb listener, its own threads).
class MetricsEndpoint {
 public:
  // Listens on `address` (CheckMetricsAddress first). Unavailable naming
  // --metrics-listen when it cannot.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& address);
  ~MetricsEndpoint();  // Stops listening; scrapes in progress finish first.

  // Serves `collectable` from now on; the endpoint keeps it alive.
  void Serve(std::shared_ptr<prometheus::Collectable> collectable);
  // The port it listens on (the chosen one when asked for 0).
  int port() const { return port_; }

 private:
  MetricsEndpoint() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::vector<std::shared_ptr<prometheus::Collectable>> served_;
  int port_ = 0;
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_METRICS_H_
