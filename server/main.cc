// loyaltyd: the Loyalty Ledger server.
//
//   loyaltyd --listen 127.0.0.1:50051 --data-dir data --program program.textproto
//
// Prints "loyaltyd listening on HOST:PORT (TLS|plaintext, ...)" once it
// serves (port 0 picks a free port, and this line tells which). Plaintext
// only on loopback unless --allow-plaintext; --tls-cert and --tls-key serve
// TLS, and --tls-client-ca requires client certificates (mutual TLS); the
// certificate files are read again every --tls-reload-interval-s. --keys-file
// names the API keys file; SIGHUP reads it and the certificate files again
// (so does a change of the keys file's content). SIGTERM or SIGINT shuts down
// gracefully: stop accepting, finish in-flight calls, drain the write queue,
// close RocksDB. --restore-from restores a backup (AdminService.Backup) into
// an empty --data-dir first, verified, and serves it (--restore-only: exits
// after). Exit codes: 0 after a clean shutdown (or restore), 2 for bad flags,
// an invalid program or a refused restore (nothing changed), 1 when storage
// or the address cannot be used.
//
// Events (start, keys reloads, shutdown, storage failures, one line per
// call) are logged on stderr as logfmt or JSON (--log-format, --log-level;
// server/log.h); flag errors stay plain text. --metrics-listen serves
// Prometheus metrics (server/metrics.h).
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "ledger/backup/restore.h"
#include "ledger/common/clock.h"
#include "ledger/common/program.h"
#include "ledger/common/status_util.h"
#include "server/keys_file.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/server.h"

namespace {

// The identifier key: the file's bytes without surrounding whitespace (so
// `openssl rand -hex 32 > key` works as is).
bool ReadIdentifierKey(const std::string& path, std::string* key) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "loyaltyd: --identifier-key-file: cannot read %s\n",
                 path.c_str());
    return false;
  }
  std::ostringstream bytes;
  bytes << file.rdbuf();
  *key = std::string(absl::StripAsciiWhitespace(bytes.str()));
  if (key->size() < loyalty::kIdentifierKeyBytesMin) {
    std::fprintf(stderr,
                 "loyaltyd: --identifier-key-file: the key has %zu bytes; it "
                 "needs at least %zu (openssl rand -hex 32 makes one)\n",
                 key->size(), loyalty::kIdentifierKeyBytesMin);
    return false;
  }
  return true;
}

// --restore-from: restores the backup into the (empty or new) data
// directory, verified (ledger/backup/restore.h). Returns 0 when restored,
// else the exit code: 2 when refused (a non-empty data directory, a backup
// that is not whole, damaged or made under another identifier key: nothing
// was changed), 1 when it could not be written.
int Restore(const loyalty::ServerOptions& options,
            const loyalty::v1::ProgramConfig& program,
            const std::string& backup_path) {
  if (!options.keys_file.empty()) {
    // Checked first, so that a restore is not followed by a refused start.
    absl::StatusOr<std::string> keys =
        loyalty::ReadKeysFileBytes(options.keys_file);
    absl::Status parsed =
        keys.ok() ? loyalty::ParseKeysFile(*keys, options.keys_file).status()
                  : keys.status();
    if (!parsed.ok()) {
      std::fprintf(stderr, "loyaltyd: --keys-file: %s\n",
                   std::string(parsed.message()).c_str());
      return 2;
    }
  }
  static const loyalty::SystemClock clock;
  loyalty::RestoreOptions restore;
  restore.backup_path = backup_path;
  restore.data_dir = options.data_dir;
  restore.program = program;
  restore.clock = &clock;
  restore.ledger = options.ledger;
  const loyalty::RocksDbOptions rocksdb_options = options.rocksdb;
  restore.open_store = [rocksdb_options](const std::string& path)
      -> absl::StatusOr<std::unique_ptr<loyalty::LedgerStore>> {
    LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<loyalty::RocksDbStore> store,
                            loyalty::RocksDbStore::Open(path, rocksdb_options));
    LEDGER_RETURN_IF_ERROR(store->VerifyChecksums());
    return std::unique_ptr<loyalty::LedgerStore>(std::move(store));
  };
  absl::StatusOr<loyalty::RestoreReport> report =
      loyalty::RestoreBackup(restore);
  if (!report.ok()) {
    const absl::Status& status = report.status();
    const bool refused = absl::IsInvalidArgument(status) ||
                         absl::IsFailedPrecondition(status) ||
                         absl::IsNotFound(status) || absl::IsDataLoss(status);
    std::fprintf(stderr,
                 "loyaltyd: restore from %s refused: %s (the data directory "
                 "was not changed)\n",
                 backup_path.c_str(), std::string(status.message()).c_str());
    return refused ? 2 : 1;
  }
  std::printf(
      "loyaltyd: restored %s into %s: entry %llu (hash %s), %d files, %llu "
      "bytes; verified %llu entries and %llu members\n",
      backup_path.c_str(), options.data_dir.c_str(),
      static_cast<unsigned long long>(report->manifest.last_sequence()),
      report->manifest.last_hash_hex().c_str(),
      report->manifest.files_size(),
      static_cast<unsigned long long>(report->copied_bytes),
      static_cast<unsigned long long>(report->verify.entries_checked()),
      static_cast<unsigned long long>(report->verify.members_checked()));
  std::fflush(stdout);
  return 0;
}

int Serve(const loyalty::ServerOptions& options,
          const std::string& program_path, const std::string& restore_from,
          bool restore_only) {
  loyalty::Logger& log = *options.logger;
  absl::StatusOr<loyalty::v1::ProgramConfig> program =
      loyalty::LoadProgramFile(program_path);
  if (!program.ok()) {
    std::fprintf(stderr, "loyaltyd: invalid program: %s\n",
                 std::string(program.status().message()).c_str());
    return 2;
  }
  if (!restore_from.empty()) {
    const int restored = Restore(options, *program, restore_from);
    if (restored != 0 || restore_only) return restored;
  }
  // Block the shutdown and reload signals in every thread; main waits for
  // them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::string program_id = program->program_id();
  static const loyalty::SystemClock clock;
  auto server = loyalty::LoyaltyServer::Start(std::move(*program), options,
                                              &clock);
  if (!server.ok()) {
    std::fprintf(stderr, "loyaltyd: %s\n",
                 std::string(server.status().message()).c_str());
    return absl::IsInvalidArgument(server.status()) ? 2 : 1;
  }
  std::string host = options.listen_address.substr(
      0, options.listen_address.rfind(':'));
  if (options.ledger.identifier_key.empty()) {
    log.Warn("no --identifier-key-file: phone and email identifiers are "
             "refused");
  }
  const char* transport = (*server)->requires_client_certificates()
                              ? "mutual TLS"
                          : (*server)->serves_tls() ? "TLS"
                                                    : "plaintext";
  log.Info("listening",
           {{"address", absl::StrCat(host, ":", (*server)->port())},
            {"transport", transport},
            {"program", program_id},
            {"last_sequence", (*server)->ledger().stats().last_sequence},
            {"metrics", (*server)->metrics_port() == 0
                            ? std::string("off")
                            : absl::StrCat("http://",
                                           options.metrics_listen_address.substr(
                                               0, options.metrics_listen_address
                                                      .rfind(':')),
                                           ":", (*server)->metrics_port(),
                                           "/metrics")}});
  // Kept exactly as it is: scripts and tests wait for this line on stdout.
  std::printf(
      "loyaltyd listening on %s:%d (%s, program %s, ledger at entry %llu)\n",
      host.c_str(), (*server)->port(),
      transport,
      program_id.c_str(),
              static_cast<unsigned long long>(
                  (*server)->ledger().stats().last_sequence));
  std::fflush(stdout);

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    // The reloaders log what they loaded, or why they kept the old keys
    // or certificates.
    log.Info("SIGHUP received; reading the keys file and the certificates");
    (*server)->ReloadKeys().IgnoreError();
    (*server)->ReloadCertificates().IgnoreError();
  }
  log.Info("shutting down: draining calls and the write queue",
           {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*server)->Shutdown();
  log.Info("stopped cleanly");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which turns on a lock-order graph
  // for every Mutex acquisition (measured: ~1% of loyaltyd's CPU under load).
  // Lock ordering is reviewed in code (one writer, no nested ledger locks).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"loyaltyd: the Loyalty Ledger gRPC server"};
  loyalty::ServerOptions options;
  std::string program_path;
  std::string identifier_key_path;
  int64_t block_cache_mb = options.rocksdb.block_cache_bytes >> 20;
  app.add_option("--listen", options.listen_address,
                 "host:port to serve on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--tls-cert", options.transport.tls_cert_path,
                 "PEM certificate chain: serve TLS (with --tls-key)");
  app.add_option("--tls-key", options.transport.tls_key_path,
                 "PEM private key of --tls-cert (unencrypted; keep it 0600)");
  app.add_option("--tls-client-ca", options.transport.tls_client_ca_path,
                 "PEM bundle of the CAs whose client certificates are "
                 "accepted: require one on every connection (mutual TLS; "
                 "with --tls-cert)");
  app.add_option("--tls-reload-interval-s",
                 options.transport.tls_reload_interval_s,
                 "how often the --tls-cert, --tls-key and --tls-client-ca "
                 "files are read again (a change is served within twice "
                 "this; SIGHUP reads them at once)")
      ->check(CLI::Range(int64_t{1},
                         loyalty::TransportSecurityOptions::kReloadIntervalMaxS))
      ->capture_default_str();
  app.add_flag("--allow-plaintext", options.transport.allow_plaintext,
               "serve plaintext on an address that is not loopback (only "
               "behind a proxy that terminates TLS)");
  app.add_option("--data-dir", options.data_dir,
                 "RocksDB directory (created if missing)")
      ->required();
  app.add_option("--watch-streams-max", options.watch_streams_max,
                 "change streams (WatchEntries) served at once")
      ->check(CLI::Range(1, loyalty::WatchHub::kStreamsMaxLimit))
      ->capture_default_str();
  // Required to serve; LoyaltyServer::Start says so (a --restore-only run
  // does without).
  app.add_option("--keys-file", options.keys_file,
                 "API keys file (text format, loyalty.v1.KeysFile); read "
                 "again on SIGHUP and when its content changes; required "
                 "unless --restore-only");
  app.add_option("--backup-dir", options.backup_dir,
                 "existing directory, outside --data-dir, where "
                 "AdminService.Backup (loyaltyctl backup NAME) writes "
                 "backups; without it backups are refused");
  std::string restore_from;
  app.add_option("--restore-from", restore_from,
                 "a backup's directory (BACKUP_DIR/NAME): restore it into "
                 "--data-dir, which must be empty or missing, verify it, "
                 "then serve");
  bool restore_only = false;
  app.add_flag("--restore-only", restore_only,
               "with --restore-from: exit 0 once the backup is restored and "
               "verified, without serving");
  app.add_option("--keys-poll-interval-ms", options.keys_poll_interval_ms,
                 "how often to look for a changed keys file (0: only on "
                 "SIGHUP)")
      ->check(CLI::Range(int64_t{0}, int64_t{3'600'000}))
      ->capture_default_str();
  app.add_option("--program", program_path,
                 "program config (.textproto, .txtpb, .pbtxt or .json)")
      ->required();
  app.add_option("--identifier-key-file", identifier_key_path,
                 "secret (at least 16 bytes) keying the hashes of phone and "
                 "email identifiers; keep it with the data directory's "
                 "backups, a ledger refuses any other key");
  app.add_option("--completion-threads", options.completion_threads,
                 "gRPC completion-queue threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--queue-max", options.ledger.queue_commands_max,
                 "commands waiting for the writer before RESOURCE_EXHAUSTED")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  app.add_option("--batch-max", options.ledger.batch_commands_max,
                 "commands per synced write batch")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--member-cache-max", options.ledger.member_cache_max,
                 "member records the writer keeps between batches (0 = none)")
      ->check(CLI::Range(0, 10'000'000))
      ->capture_default_str();
  app.add_option("--block-cache-mb", block_cache_mb, "RocksDB block cache")
      ->check(CLI::Range(8, 1 << 20))
      ->capture_default_str();
  app.add_option("--sweep-interval-ms", options.sweep_interval_ms,
                 "how often holds time out, pending points mature and lots "
                 "expire for members nobody touched (0: never)")
      ->check(CLI::Range(int64_t{0}, int64_t{86'400'000}))
      ->capture_default_str();
  app.add_option("--unknown-coupon-lookups-per-minute",
                 options.unknown_coupon_lookups_per_minute,
                 "unknown coupon codes one API key may look up a minute "
                 "before its coupon calls are RESOURCE_EXHAUSTED (no 0: "
                 "there is no unlimited)")
      ->check(CLI::Range(loyalty::UnknownCodeLimiter::kLookupsPerMinuteMin,
                         loyalty::UnknownCodeLimiter::kLookupsPerMinuteMax))
      ->capture_default_str();
  app.add_option("--shutdown-grace-ms", options.shutdown_grace_ms,
                 "time in-flight calls get to finish on shutdown")
      ->check(CLI::Range(0, 600'000))
      ->capture_default_str();
  CLI::Option* metrics_listen = app.add_option(
      "--metrics-listen", options.metrics_listen_address,
                 "host:port serving Prometheus metrics on /metrics (off "
                 "when not given; port 0: any free port)");
  std::string log_format = "logfmt";
  std::string log_level = "info";
  app.add_option("--log-format", log_format,
                 "log lines as logfmt or json (one event a line, on stderr)")
      ->check(CLI::IsMember({"logfmt", "json"}))
      ->capture_default_str();
  app.add_option("--log-level", log_level,
                 "lowest level logged: debug, info (one line per call), "
                 "warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  // Given, it must be an address (an empty one would silently mean "off").
  if (metrics_listen->count() > 0) {
    absl::Status address =
        loyalty::CheckMetricsAddress(options.metrics_listen_address);
    if (!address.ok()) {
      std::fprintf(stderr, "loyaltyd: %s\n",
                   std::string(address.message()).c_str());
      return 2;
    }
  }
  // The checks above admit only what these parse.
  options.logger = std::make_shared<loyalty::Logger>(
      *loyalty::ParseLogFormat(log_format), *loyalty::ParseLogLevel(log_level));
  options.rocksdb.block_cache_bytes = block_cache_mb << 20;
  if (!identifier_key_path.empty() &&
      !ReadIdentifierKey(identifier_key_path, &options.ledger.identifier_key)) {
    return 2;
  }
  if (restore_only && restore_from.empty()) {
    std::fprintf(stderr,
                 "loyaltyd: --restore-only: needs --restore-from BACKUP\n");
    return 2;
  }
  if (!restore_only && options.keys_file.empty()) {
    std::fprintf(stderr,
                 "loyaltyd: --keys-file is required (unless --restore-only)\n");
    return 2;
  }
  return Serve(options, program_path, restore_from, restore_only);
}
