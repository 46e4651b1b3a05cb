// File: clients/cpp/src/client_options.cc

#include "loyalty/client/client_options.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace loyalty::client {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// An API key travels as an HTTP/2 header value after "Bearer ": visible
// ASCII only, or gRPC would refuse (or mangle) every call.
bool IsHeaderToken(absl::string_view text) {
  for (const char c : text) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

// Never asks for a pass phrase: OpenSSL's default callback would read one
// from the terminal. An encrypted key is refused instead.
int NoPassphrase(char*, int, int, void*) { return 0; }

// Whether `pem` holds at least one certificate, and nothing else that fails
// to parse. gRPC would take anything and fail every handshake instead.
bool IsPemCertificates(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return false;
  int certificates = 0;
  while (X509* certificate =
             PEM_read_bio_X509(bio, nullptr, NoPassphrase, nullptr)) {
    X509_free(certificate);
    ++certificates;
  }
  BIO_free(bio);
  // The loop ends on the end of input (expected) or on a broken block.
  const unsigned long error = ERR_peek_last_error();
  const bool at_end = ERR_GET_REASON(error) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  return certificates > 0 && at_end;
}

bool IsPemPrivateKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return false;
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, NoPassphrase, nullptr);
  BIO_free(bio);
  ERR_clear_error();
  if (key == nullptr) return false;
  EVP_PKEY_free(key);
  return true;
}

absl::Status ValidateRetryPolicy(const RetryPolicy& retry) {
  if (retry.attempts_max < 1 || retry.attempts_max > kAttemptsMax) {
    return FieldError("retry.attempts_max",
                      absl::StrCat("must be 1..", kAttemptsMax,
                                   " (1 = never "
                                   "retry), got ",
                                   retry.attempts_max));
  }
  if (retry.initial_backoff_ms < 1 ||
      retry.initial_backoff_ms > kBackoffMsMax) {
    return FieldError("retry.initial_backoff_ms",
                      absl::StrCat("must be 1..", kBackoffMsMax, ", got ",
                                   retry.initial_backoff_ms));
  }
  if (retry.backoff_max_ms < retry.initial_backoff_ms ||
      retry.backoff_max_ms > kBackoffMsMax) {
    return FieldError(
        "retry.backoff_max_ms",
        absl::StrCat("must be retry.initial_backoff_ms (",
                     retry.initial_backoff_ms, ")..", kBackoffMsMax, ", got ",
                     retry.backoff_max_ms));
  }
  return absl::OkStatus();
}

absl::Status ValidateTls(const ClientOptions& options) {
  if (!options.tls) {
    // TLS material without TLS is a configuration mistake that would
    // otherwise send the API key in clear text unnoticed.
    if (!options.tls_root_certs_pem.empty()) {
      return FieldError("tls_root_certs_pem", "set, but tls is false");
    }
    if (!options.tls_client_cert_pem.empty()) {
      return FieldError("tls_client_cert_pem", "set, but tls is false");
    }
    if (!options.tls_client_key_pem.empty()) {
      return FieldError("tls_client_key_pem", "set, but tls is false");
    }
    if (!options.tls_server_name_override.empty()) {
      return FieldError("tls_server_name_override", "set, but tls is false");
    }
    return absl::OkStatus();
  }
  if (options.tls_client_cert_pem.empty() !=
      options.tls_client_key_pem.empty()) {
    return options.tls_client_cert_pem.empty()
               ? FieldError("tls_client_cert_pem",
                            "required with tls_client_key_pem")
               : FieldError("tls_client_key_pem",
                            "required with tls_client_cert_pem");
  }
  if (!options.tls_root_certs_pem.empty() &&
      !IsPemCertificates(options.tls_root_certs_pem)) {
    return FieldError("tls_root_certs_pem",
                      "not PEM certificates (-----BEGIN CERTIFICATE-----)");
  }
  if (!options.tls_client_cert_pem.empty() &&
      !IsPemCertificates(options.tls_client_cert_pem)) {
    return FieldError("tls_client_cert_pem",
                      "not PEM certificates (-----BEGIN CERTIFICATE-----)");
  }
  if (!options.tls_client_key_pem.empty() &&
      !IsPemPrivateKey(options.tls_client_key_pem)) {
    return FieldError("tls_client_key_pem",
                      "not an unencrypted PEM private key");
  }
  if (!options.tls_server_name_override.empty() &&
      !IsHeaderToken(options.tls_server_name_override)) {
    return FieldError("tls_server_name_override",
                      "must be a host name (visible ASCII, no spaces)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateClientOptions(const ClientOptions& options) {
  if (options.address.empty()) {
    return FieldError("address", "required (host:port of loyaltyd)");
  }
  if (!IsHeaderToken(options.address)) {
    return FieldError("address",
                      "must be host:port (visible ASCII, no spaces)");
  }
  if (!IsHeaderToken(options.api_key)) {
    return FieldError("api_key", "must be visible ASCII without spaces");
  }
  if (options.call_timeout_ms < 1 ||
      options.call_timeout_ms > kCallTimeoutMsMax) {
    return FieldError("call_timeout_ms",
                      absl::StrCat("must be 1..", kCallTimeoutMsMax, ", got ",
                                   options.call_timeout_ms));
  }
  if (absl::Status tls = ValidateTls(options); !tls.ok()) return tls;
  return ValidateRetryPolicy(options.retry);
}

}  // namespace loyalty::client
