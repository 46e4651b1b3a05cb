// loyalty-pos: a store terminal's loyalty session at a till or in a demo
// (clients/pos/till.h lists its commands). Reads one command a line from
// stdin; keeps selling while loyaltyd is out of reach, in the offline
// journal, and syncs it in the background when the server is back.
//
//   LOYALTY_API_KEY=demo-pos-key loyalty-pos --server HOST:PORT
//       --tls-ca ca.pem --store S001 --terminal till-1 --journal till-1.db
//
// --plaintext instead of --tls-ca talks to a loyaltyd on loopback without
// TLS (the demo). --tls-client-cert and --tls-client-key present the till's
// certificate to a loyaltyd that requires one (mutual TLS); when the keys
// file names its subject, the till needs no API key. Exit codes: 0 after quit or end of input, 2 for bad flags
// or a journal that cannot be used.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "CLI/CLI.hpp"
#include "clients/pos/till.h"
#include "loyalty/client/client.h"
#include "loyalty/client/journal_sync.h"
#include "loyalty/client/offline_journal.h"

namespace {

bool ReadFile(const std::string& path, std::string* text) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  std::ostringstream bytes;
  bytes << file.rdbuf();
  *text = bytes.str();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"loyalty-pos: a store terminal's loyalty session"};
  std::string server = "127.0.0.1:50051";
  std::string tls_ca_path;
  std::string tls_client_cert_path;
  std::string tls_client_key_path;
  bool plaintext = false;
  loyalty::pos::TillOptions till_options;
  std::string journal_path;
  loyalty::client::JournalOptions journal_options;
  int64_t timeout_ms = 3000;
  int64_t sync_interval_ms = 2000;
  app.add_option("--server", server, "loyaltyd's address, host:port")
      ->envname("LOYALTY_SERVER")
      ->capture_default_str();
  app.add_option("--tls-ca", tls_ca_path,
                 "PEM certificate(s) to trust for the server (TLS)")
      ->envname("LOYALTY_TLS_CA");
  app.add_option("--tls-client-cert", tls_client_cert_path,
                 "PEM certificate (chain) of this till, for mutual TLS (with "
                 "--tls-client-key)")
      ->envname("LOYALTY_TLS_CLIENT_CERT");
  app.add_option("--tls-client-key", tls_client_key_path,
                 "PEM private key of --tls-client-cert (unencrypted)")
      ->envname("LOYALTY_TLS_CLIENT_KEY");
  app.add_flag("--plaintext", plaintext,
               "no TLS (only to a loyaltyd on loopback)");
  app.add_option("--store", till_options.store_id, "this store's id")
      ->required();
  app.add_option("--terminal", till_options.terminal_id, "this till's id")
      ->required();
  app.add_option("--journal", journal_path,
                 "the offline journal file (created if missing)")
      ->required();
  app.add_option("--offline-allowance-points",
                 journal_options.offline_redeem_points_per_member_day,
                 "points one member may pay with while the till is offline, "
                 "in any 24 hours (the program's "
                 "offline_redemption.points_per_member_day; 0: none)")
      ->check(CLI::Range(int64_t{0}, int64_t{1'000'000'000}))
      ->capture_default_str();
  app.add_option("--currency", till_options.currency,
                 "ISO 4217 code of the till's prices")
      ->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms, "deadline of each call")
      ->check(CLI::Range(int64_t{100}, int64_t{60'000}))
      ->capture_default_str();
  app.add_option("--sync-interval-ms", sync_interval_ms,
                 "how often queued sales are sent while the server is away")
      ->check(CLI::Range(int64_t{100}, int64_t{600'000}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  if (plaintext == !tls_ca_path.empty()) {
    std::fprintf(stderr,
                 "loyalty-pos: give exactly one of --tls-ca and --plaintext\n");
    return 2;
  }
  if (tls_client_cert_path.empty() != tls_client_key_path.empty()) {
    std::fprintf(stderr, "loyalty-pos: %s\n",
                 tls_client_cert_path.empty()
                     ? "--tls-client-cert: is required with --tls-client-key"
                     : "--tls-client-key: is required with --tls-client-cert");
    return 2;
  }
  if (plaintext && !tls_client_cert_path.empty()) {
    std::fprintf(stderr,
                 "loyalty-pos: --tls-client-cert: needs TLS (--tls-ca), not "
                 "--plaintext\n");
    return 2;
  }
  // A till whose certificate names its principal needs no key.
  const char* api_key = std::getenv("LOYALTY_API_KEY");
  if ((api_key == nullptr || *api_key == '\0') &&
      tls_client_cert_path.empty()) {
    std::fprintf(stderr,
                 "loyalty-pos: LOYALTY_API_KEY must hold the till's API key "
                 "(or give the till's certificate: --tls-client-cert)\n");
    return 2;
  }

  loyalty::client::ClientOptions options;
  options.address = server;
  options.api_key = api_key != nullptr ? api_key : "";
  options.call_timeout_ms = timeout_ms;
  options.tls = !plaintext;
  if (!tls_ca_path.empty() &&
      !ReadFile(tls_ca_path, &options.tls_root_certs_pem)) {
    std::fprintf(stderr, "loyalty-pos: --tls-ca: cannot read %s\n",
                 tls_ca_path.c_str());
    return 2;
  }
  if (!tls_client_cert_path.empty() &&
      !ReadFile(tls_client_cert_path, &options.tls_client_cert_pem)) {
    std::fprintf(stderr, "loyalty-pos: --tls-client-cert: cannot read %s\n",
                 tls_client_cert_path.c_str());
    return 2;
  }
  if (!tls_client_key_path.empty() &&
      !ReadFile(tls_client_key_path, &options.tls_client_key_pem)) {
    std::fprintf(stderr, "loyalty-pos: --tls-client-key: cannot read %s\n",
                 tls_client_key_path.c_str());
    return 2;
  }
  // A till waits at most a few seconds before it records a sale offline.
  options.retry.attempts_max = 2;
  options.retry.initial_backoff_ms = 100;
  options.retry.backoff_max_ms = 500;
  auto client = loyalty::client::Client::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "loyalty-pos: %s\n",
                 std::string(client.status().message()).c_str());
    return 2;
  }
  auto journal = loyalty::client::OfflineJournal::Open(journal_path,
                                                          journal_options);
  if (!journal.ok()) {
    std::fprintf(stderr, "loyalty-pos: %s\n",
                 std::string(journal.status().message()).c_str());
    return 2;
  }
  loyalty::client::SyncOptions sync_options;
  sync_options.interval_ms = sync_interval_ms;
  const loyalty::client::Client* raw_client = client->get();
  loyalty::client::JournalSyncer syncer(
      journal->get(),
      [raw_client](const loyalty::v1::SubmitBatchRequest& batch) {
        return raw_client->SubmitBatch(batch);
      },
      sync_options);
  syncer.Start();

  loyalty::pos::Till till(raw_client, journal->get(), till_options,
                          [&syncer] { syncer.Wake(); });
  std::cout << "loyalty-pos: store " << till_options.store_id << ", till "
            << till_options.terminal_id << " (help lists the commands)\n";
  std::string line;
  while (true) {
    std::cout << till.Prompt() << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (!till.Handle(line, std::cout)) break;
  }
  syncer.Stop();
  std::cout << "\n" << std::flush;
  return 0;
}
