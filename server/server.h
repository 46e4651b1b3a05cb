// File: server/server.h
//
// LoyaltyServer: loyaltyd without main(). Opens the RocksDB store and the
// ledger, serves LoyaltyService and AdminService on completion queues, plus
// the standard gRPC health service and server reflection. In-process
// integration tests start one on port 0 exactly as loyaltyd does.
//
//   auto server = LoyaltyServer::Start(program, options, &clock);
//   ... (*server)->port() ...
//   (*server)->Shutdown();  // stop accepting, finish in-flight, drain, close
#ifndef LOYALTY_SERVER_SERVER_H_
#define LOYALTY_SERVER_SERVER_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "ledger/common/clock.h"
#include "ledger/engine/ledger.h"
#include "ledger/storage/rocksdb_store.h"
#include "loyalty/v1/loyalty_service.grpc.pb.h"
#include "server/auth.h"
#include "server/background.h"
#include "server/backups.h"
#include "server/keys_reloader.h"
#include "server/log.h"
#include "server/method_table.h"
#include "server/metrics.h"
#include "server/sweeper.h"
#include "server/transport_security.h"
#include "server/unknown_code_limiter.h"
#include "server/watch_entries.h"

namespace loyalty {

struct ServerOptions {
  // host:port; port 0 picks a free port (see LoyaltyServer::port()).
  std::string listen_address = "127.0.0.1:50051";
  // TLS, or plaintext on loopback only (server/transport_security.h).
  TransportSecurityOptions transport;
  std::string data_dir;
  // The API keys file (keys_file.h); required. Read again on ReloadKeys
  // (loyaltyd: SIGHUP) and when its content changes, checked every
  // keys_poll_interval_ms (0: only on ReloadKeys).
  std::string keys_file;
  int64_t keys_poll_interval_ms = 1'000;
  // Threads polling completion queues (one queue each).
  int completion_threads = 2;
  // How long Shutdown lets in-flight calls finish before cancelling them.
  int shutdown_grace_ms = 10'000;
  // How often the ledger's sweep writes what fell due (hold timeouts,
  // maturations, expiries) for members nobody touched; 0 = never (tests
  // that sweep by hand).
  int64_t sweep_interval_ms = 60'000;
  // Unknown coupon codes each principal may look up a minute (GetCoupon,
  // ValidateCoupon, RedeemCoupon answering COUPON_NOT_FOUND), all of them
  // at once if it likes; past that its coupon calls are RESOURCE_EXHAUSTED
  // until the allowance refills (server/unknown_code_limiter.h). Between
  // UnknownCodeLimiter::kLookupsPerMinuteMin and kLookupsPerMinuteMax: there
  // is no "unlimited". 60 is far above what tills and apps that only present
  // codes they were given ever see (a mistyped code fails its check
  // character and costs nothing), and lets an enumerator try only 86,400 of
  // the 2^80 possible codes a day.
  int64_t unknown_coupon_lookups_per_minute = 60;
  // Change streams (WatchEntries) served at once; each is a thread reading
  // the ledger from its own cursor.
  int watch_streams_max = 64;
  // Where AdminService.Backup writes backups (each a new directory named
  // by the call); empty: backups are refused. Must be an existing
  // directory outside data_dir; on data_dir's file system a backup is
  // mostly hard links.
  std::string backup_dir;
  LedgerOptions ledger;
  RocksDbOptions rocksdb;
  // host:port serving Prometheus metrics on /metrics (server/metrics.h);
  // empty: no metrics endpoint. Port 0 picks a free port (metrics_port()).
  std::string metrics_listen_address;
  // Where loyaltyd's events and request log go (server/log.h); null: logfmt
  // at info on stderr.
  std::shared_ptr<Logger> logger;
};


class LoyaltyServer {
 public:
  // Opens storage and the ledger and starts serving. InvalidArgument for bad
  // options; Unavailable when the address or data dir cannot be used.
  static absl::StatusOr<std::unique_ptr<LoyaltyServer>> Start(
      loyalty::v1::ProgramConfig program, const ServerOptions& options,
      const Clock* clock);
  ~LoyaltyServer();  // Shutdown().

  int port() const { return port_; }
  // The metrics endpoint's port; 0 without metrics_listen_address.
  int metrics_port() const {
    return metrics_ != nullptr ? metrics_->port() : 0;
  }
  Logger& logger() { return *logger_; }
  // The served methods with who may call each (for the role tests).
  const std::vector<MethodRow>& methods() const { return methods_; }
  Ledger& ledger() { return *ledger_; }

  // Reads the keys file again now: OK when its keys replaced the old ones;
  // the problem otherwise, with the old keys kept (keys_reloader.h).
  absl::Status ReloadKeys();
  // Reads the TLS files again now (transport_security.h): OK when they are
  // served from gRPC's next refresh on, or unchanged; the problem otherwise,
  // with the certificates served before kept.
  absl::Status ReloadCertificates();
  // Whether the port serves TLS (not plaintext), and asks for client
  // certificates.
  bool serves_tls() const { return transport_ != nullptr && transport_->tls(); }
  bool requires_client_certificates() const {
    return transport_ != nullptr &&
           transport_->requires_client_certificates();
  }

  // Stops accepting calls, lets in-flight calls finish (each mutation is
  // durable before it is answered), drains the ledger's queue, stops the
  // threads and closes RocksDB. Idempotent.
  void Shutdown();

 private:
  LoyaltyServer() = default;
  loyalty::v1::ServerStats CollectStats(const Ledger& ledger) const;
  void PollQueue(grpc::ServerCompletionQueue* queue);

  ServerOptions options_;
  const Clock* clock_ = nullptr;
  int64_t started_at_ms_ = 0;
  std::unique_ptr<TransportSecurity> transport_;
  std::shared_ptr<Logger> logger_;
  // The request metrics and log; declared before everything that refers to
  // it (the authenticator, the gRPC server) so that it is destroyed after.
  std::shared_ptr<prometheus::Registry> rpc_registry_;
  std::unique_ptr<RpcObserver> rpc_observer_;
  std::unique_ptr<MetricsEndpoint> metrics_;
  std::unique_ptr<RocksDbStore> store_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<KeysReloader> keys_reloader_;
  std::unique_ptr<UnknownCodeLimiter> unknown_codes_;
  LoyaltyQueueService loyalty_service_;
  AdminQueueService admin_service_;
  // One row per RPC (method_table.h), each armed on every queue.
  std::vector<MethodRow> methods_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::thread> pollers_;
  std::unique_ptr<BackgroundRunner> background_;
  StreamRegistry streams_;
  std::unique_ptr<WatchHub> watches_;
  std::unique_ptr<Backups> backups_;
  std::unique_ptr<Sweeper> sweeper_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_SERVER_H_
