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
  options.tls = global.tls || !global.tls_ca_path.empty() ||
                !global.tls_client_cert_path.empty() ||
                !global.tls_client_key_path.empty();
  options.api_key = global.api_key;
  options.call_timeout_ms = global.timeout_ms;
  options.retry.attempts_max = global.retries + 1;
  options.retry.initial_backoff_ms = kRetryBackoffMsInitial;
  options.retry.backoff_max_ms = kRetryBackoffMsMax;
  return options;
}

namespace {

// The PEM file `path` names into *pem; InvalidArgument naming `flag` when it
// cannot be read or is empty. Nothing to do for an empty path.
absl::Status ReadPemFlag(absl::string_view flag, const std::string& path,
                         std::string* pem) {
  if (path.empty()) return absl::OkStatus();
  std::ifstream file(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  if (!file || bytes.str().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read ", path));
  }
  *pem = bytes.str();
  return absl::OkStatus();
}

// The client library names its option fields; loyaltyctl's user knows the
// flags that fill them.
absl::Status WithFlagNames(const absl::Status& status) {
  static constexpr std::pair<const char*, const char*> kFlagOfField[] = {
      {"tls_client_cert_pem", "--tls-client-cert"},
      {"tls_client_key_pem", "--tls-client-key"},
      {"tls_root_certs_pem", "--tls-ca"}};
  std::string message(status.message());
  for (const auto& [field, flag] : kFlagOfField) {
    const std::string field_name(field);
    const std::string flag_name(flag);
    for (size_t at = message.find(field_name); at != std::string::npos;
         at = message.find(field_name, at + flag_name.size())) {
      message.replace(at, field_name.size(), flag_name);
    }
  }
  return absl::Status(status.code(), message);
}

}  // namespace

Connection::Connection(const GlobalFlags& global) {
  loyalty::client::ClientOptions options = ClientOptionsFor(global);
  if (global.tls_client_cert_path.empty() !=
      global.tls_client_key_path.empty()) {
    status_ = absl::InvalidArgumentError(
        global.tls_client_cert_path.empty()
            ? "--tls-client-cert: is required with --tls-client-key"
            : "--tls-client-key: is required with --tls-client-cert");
    return;
  }
  status_ = ReadPemFlag("--tls-ca", global.tls_ca_path,
                        &options.tls_root_certs_pem);
  if (status_.ok()) {
    status_ = ReadPemFlag("--tls-client-cert", global.tls_client_cert_path,
                          &options.tls_client_cert_pem);
  }
  if (status_.ok()) {
    status_ = ReadPemFlag("--tls-client-key", global.tls_client_key_path,
                          &options.tls_client_key_pem);
  }
  if (!status_.ok()) return;
  absl::StatusOr<std::unique_ptr<loyalty::client::Client>> client =
      loyalty::client::Client::Create(std::move(options));
  if (client.ok()) {
    client_ = *std::move(client);
  } else {
    status_ = WithFlagNames(client.status());
  }
}

}  // namespace loyalty::ctl
