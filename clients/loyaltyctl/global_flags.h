// File: clients/loyaltyctl/global_flags.h
//
// Flags every loyaltyctl command shares: where the server is, who we are, how
// long to wait, and whether to print JSON for scripts.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_GLOBAL_FLAGS_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_GLOBAL_FLAGS_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace loyalty::ctl {

// Longest --timeout-ms accepted. A day covers a verify of a large ledger and
// keeps the deadline arithmetic far from overflow.
inline constexpr int64_t kTimeoutMsMax = 24 * 60 * 60 * 1000;

// --retries: how often a call that failed transiently (UNAVAILABLE,
// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED) is sent again, under the
// same request id, so a retried write is applied at most once. The pauses
// between attempts are random, up to 0.25 s doubling to 4 s: 0.25 + 0.5 + 1
// + 2 + 4 = 7.75 s at most over the default 5 retries (half that on
// average), enough for a restart of loyaltyd or a full queue to drain. These
// are the attempts and pauses `import` had before every command got them.
inline constexpr int kRetriesDefault = 5;
inline constexpr int kRetriesMax = 10;
inline constexpr int64_t kRetryBackoffMsInitial = 250;
inline constexpr int64_t kRetryBackoffMsMax = 4000;

struct GlobalFlags {
  std::string server_address = "127.0.0.1:50051";
  // Sent as "authorization: Bearer <api_key>"; empty sends no credentials.
  std::string api_key;
  // Deadline of each RPC, counted from when it is sent.
  int64_t timeout_ms = 5000;
  // Retries of a transiently failed call; 0 = never.
  int retries = kRetriesDefault;
  // Print each response as one JSON object instead of text for people.
  bool json = false;
  // TLS: trust these PEM certificates (a file), or with `tls` alone the
  // system's roots. Neither: plaintext (a loyaltyd on loopback).
  std::string tls_ca_path;
  bool tls = false;
  // Mutual TLS: present this PEM certificate (chain) and its key, both or
  // neither; they imply TLS.
  std::string tls_client_cert_path;
  std::string tls_client_key_path;
};

// Adds --server, --api-key, --timeout-ms, --retries, --json, --tls,
// --tls-ca, --tls-client-cert and --tls-client-key to `app`. CLI11
// writes the parsed values into *flags, which must outlive `app`.
void AddGlobalFlags(CLI::App* app, GlobalFlags* flags);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_GLOBAL_FLAGS_H_
