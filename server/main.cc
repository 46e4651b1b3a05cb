// loyaltyd: the Loyalty Ledger server.
//
//   loyaltyd --listen 127.0.0.1:50051 --data-dir data --program program.textproto
//
// Prints "loyaltyd listening on HOST:PORT (TLS|plaintext, ...)" once it
// serves (port 0 picks a free port, and this line tells which). Plaintext
// only on loopback unless --allow-plaintext; --tls-cert and --tls-key serve
// TLS. --keys-file names the API keys file; SIGHUP reads it again (so does
// a change of its content). SIGTERM or SIGINT shuts down
// gracefully: stop accepting, finish in-flight calls, drain the write queue,
// close RocksDB. Exit codes: 0 after a clean shutdown, 2 for bad flags or an
// invalid program, 1 when storage or the address cannot be used.
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
#include "ledger/common/clock.h"
#include "ledger/common/program.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/server.h"

namespace {

// The whole file, for the PEM flags; false (after saying why) when it
// cannot be read or is empty.
bool ReadPemFile(const char* flag, const std::string& path, std::string* pem) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "loyaltyd: %s: cannot read %s\n", flag, path.c_str());
    return false;
  }
  std::ostringstream bytes;
  bytes << file.rdbuf();
  *pem = bytes.str();
  if (pem->empty()) {
    std::fprintf(stderr, "loyaltyd: %s: %s is empty\n", flag, path.c_str());
    return false;
  }
  return true;
}

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

int Serve(const loyalty::ServerOptions& options,
          const std::string& program_path) {
  loyalty::Logger& log = *options.logger;
  absl::StatusOr<loyalty::v1::ProgramConfig> program =
      loyalty::LoadProgramFile(program_path);
  if (!program.ok()) {
    std::fprintf(stderr, "loyaltyd: invalid program: %s\n",
                 std::string(program.status().message()).c_str());
    return 2;
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
  const bool tls = !options.transport.tls_cert_chain_pem.empty();
  log.Info("listening",
           {{"address", absl::StrCat(host, ":", (*server)->port())},
            {"transport", tls ? "TLS" : "plaintext"},
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
      tls ? "TLS" : "plaintext",
      program_id.c_str(),
              static_cast<unsigned long long>(
                  (*server)->ledger().stats().last_sequence));
  std::fflush(stdout);

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    // The reloader logs what it loaded, or why it kept the old keys.
    log.Info("SIGHUP received; reading the keys file");
    (*server)->ReloadKeys().IgnoreError();
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
  std::string tls_cert_path;
  std::string tls_key_path;
  app.add_option("--tls-cert", tls_cert_path,
                 "PEM certificate chain: serve TLS (with --tls-key)");
  app.add_option("--tls-key", tls_key_path,
                 "PEM private key of --tls-cert (unencrypted; keep it 0600)");
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
  app.add_option("--keys-file", options.keys_file,
                 "API keys file (text format, loyalty.v1.KeysFile); read "
                 "again on SIGHUP and when its content changes")
      ->required();
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
  if (!tls_cert_path.empty() &&
      !ReadPemFile("--tls-cert", tls_cert_path,
                   &options.transport.tls_cert_chain_pem)) {
    return 2;
  }
  if (!tls_key_path.empty() &&
      !ReadPemFile("--tls-key", tls_key_path,
                   &options.transport.tls_private_key_pem)) {
    return 2;
  }
  if (!identifier_key_path.empty() &&
      !ReadIdentifierKey(identifier_key_path, &options.ledger.identifier_key)) {
    return 2;
  }
  return Serve(options, program_path);
}
