// File: loyalty/client/client_options.h
//
// How a loyalty::client::Client reaches loyaltyd: address, TLS, API key,
// the deadline of each attempt and how transient failures are retried.
// Client::Create refuses options that break a rule below, naming the field.
#ifndef LOYALTY_CLIENT_CLIENT_OPTIONS_H_
#define LOYALTY_CLIENT_CLIENT_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace loyalty::client {

// Limits of the options, so that deadline and backoff arithmetic can never
// overflow and a misconfigured terminal cannot wait for days.
inline constexpr int64_t kCallTimeoutMsMax = 24 * 60 * 60 * 1000;
inline constexpr int kAttemptsMax = 20;
inline constexpr int64_t kBackoffMsMax = 10 * 60 * 1000;

// Transient failures (contract::IsTransientCode, or a failure the server
// marks "loyalty-transient: true") are sent again, unchanged and under the
// same request id, up to attempts_max attempts in all. Before retry n
// (n = 0 for the second attempt) the client sleeps a uniformly random time
// in [0, min(backoff_max_ms, initial_backoff_ms * 2^n)] ("full jitter":
// terminals that lost the server together do not come back together).
struct RetryPolicy {
  int attempts_max = 4;              // 1..kAttemptsMax; 1 = never retry.
  int64_t initial_backoff_ms = 200;  // 1..kBackoffMsMax.
  int64_t backoff_max_ms = 4000;     // initial_backoff_ms..kBackoffMsMax.
};

struct ClientOptions {
  // loyaltyd's "host:port" (any gRPC target name); required.
  std::string address;

  // Whether to connect over TLS. Without TLS the API key travels in clear
  // text: only for loopback and tests.
  bool tls = true;
  // PEM of the certificate authorities to trust; empty = the system roots.
  // Each PEM field must parse (certificates; an unencrypted key), or
  // Client::Create refuses it rather than fail every handshake later.
  std::string tls_root_certs_pem;
  // Optional client certificate (mutual TLS): both or neither.
  std::string tls_client_cert_pem;
  std::string tls_client_key_pem;
  // The name the server certificate must carry when it differs from the
  // address's host (tests; a server reached by IP). Empty = the host.
  std::string tls_server_name_override;

  // Sent as "authorization: Bearer <api_key>" on every call (visible
  // ASCII, no spaces). Empty sends no key: the server then answers every
  // call UNAUTHENTICATED, which says more than a local refusal would, unless
  // the client certificate's subject names a principal in its keys file.
  std::string api_key;

  // Deadline of each attempt, from when it is sent: 1..kCallTimeoutMsMax.
  int64_t call_timeout_ms = 5000;

  RetryPolicy retry;
};

// OK, or InvalidArgument naming the first field that breaks its rule
// ("retry.attempts_max: ...").
absl::Status ValidateClientOptions(const ClientOptions& options);

}  // namespace loyalty::client

#endif  // LOYALTY_CLIENT_CLIENT_OPTIONS_H_
