// File: clients/loyaltyctl/connection.cc

#include "clients/loyaltyctl/connection.h"

#include <utility>

namespace loyalty::ctl {

loyalty::client::ClientOptions ClientOptionsFor(const GlobalFlags& global) {
  loyalty::client::ClientOptions options;
  options.address = global.server_address;
  // Plaintext until loyaltyd serves TLS.
  options.tls = false;
  options.api_key = global.api_key;
  options.call_timeout_ms = global.timeout_ms;
  options.retry.attempts_max = global.retries + 1;
  options.retry.initial_backoff_ms = kRetryBackoffMsInitial;
  options.retry.backoff_max_ms = kRetryBackoffMsMax;
  return options;
}

Connection::Connection(const GlobalFlags& global) {
  absl::StatusOr<std::unique_ptr<loyalty::client::Client>> client =
      loyalty::client::Client::Create(ClientOptionsFor(global));
  if (client.ok()) {
    client_ = *std::move(client);
  } else {
    status_ = client.status();
  }
}

}  // namespace loyalty::ctl
