// File: clients/loyaltyctl/connection.cc

#include "clients/loyaltyctl/connection.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace loyalty::ctl {

loyalty::client::ClientOptions ClientOptionsFor(const GlobalFlags& global) {
  loyalty::client::ClientOptions options;
  options.address = global.server_address;
  options.tls = global.tls || !global.tls_ca_path.empty();
  options.api_key = global.api_key;
  options.call_timeout_ms = global.timeout_ms;
  options.retry.attempts_max = global.retries + 1;
  options.retry.initial_backoff_ms = kRetryBackoffMsInitial;
  options.retry.backoff_max_ms = kRetryBackoffMsMax;
  return options;
}

Connection::Connection(const GlobalFlags& global) {
  loyalty::client::ClientOptions options = ClientOptionsFor(global);
  if (!global.tls_ca_path.empty()) {
    std::ifstream file(global.tls_ca_path, std::ios::binary);
    std::ostringstream pem;
    pem << file.rdbuf();
    if (!file || pem.str().empty()) {
      status_ = absl::InvalidArgumentError(absl::StrCat(
          "--tls-ca: cannot read ", global.tls_ca_path));
      return;
    }
    options.tls_root_certs_pem = pem.str();
  }
  absl::StatusOr<std::unique_ptr<loyalty::client::Client>> client =
      loyalty::client::Client::Create(std::move(options));
  if (client.ok()) {
    client_ = *std::move(client);
  } else {
    status_ = client.status();
  }
}

}  // namespace loyalty::ctl
