#include "server/transport_security.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpcpp/security/server_credentials.h"

namespace loyalty {
namespace {

// The host part of "host:port" or "[v6]:port"; the whole text when it has
// no port.
absl::string_view HostOf(absl::string_view address) {
  if (absl::StartsWith(address, "[")) {
    const size_t close = address.find(']');
    if (close == absl::string_view::npos) return address;
    return address.substr(1, close - 1);
  }
  const size_t colon = address.rfind(':');
  // More than one colon without brackets is a bare IPv6 address.
  if (colon == absl::string_view::npos ||
      address.find(':') != colon) {
    return address;
  }
  return address.substr(0, colon);
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioDeleter> ReadOnlyBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The certificate and key parse as PEM and belong together, so a mistake
// is named at start instead of failing every handshake later.
absl::Status CheckCertificateAndKey(const TransportSecurityOptions& options) {
  auto cert_bio = ReadOnlyBio(options.tls_cert_chain_pem);
  std::unique_ptr<X509, X509Deleter> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        "--tls-cert: holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  auto key_bio = ReadOnlyBio(options.tls_private_key_pem);
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        "--tls-key: holds no unencrypted PEM private key");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(
        "--tls-key: is not the key of the --tls-cert certificate");
  }
  return absl::OkStatus();
}

}  // namespace

bool IsLoopbackAddress(absl::string_view address) {
  if (absl::StartsWith(address, "unix:") ||
      absl::StartsWith(address, "unix-abstract:")) {
    return true;
  }
  const absl::string_view host = HostOf(address);
  if (absl::EqualsIgnoreCase(host, "localhost") || host == "::1") return true;
  // 127.0.0.0/8: four dotted decimal parts, the first 127.
  if (!absl::StartsWith(host, "127.")) return false;
  int parts = 1;
  for (char c : host) {
    if (c == '.') {
      ++parts;
    } else if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return parts == 4;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenCredentials(
    absl::string_view address, const TransportSecurityOptions& options) {
  const bool has_cert = !options.tls_cert_chain_pem.empty();
  const bool has_key = !options.tls_private_key_pem.empty();
  if (has_cert != has_key) {
    return absl::InvalidArgumentError(
        has_cert ? "--tls-key: is required with --tls-cert"
                 : "--tls-cert: is required with --tls-key");
  }
  if (has_cert) {
    if (absl::Status checked = CheckCertificateAndKey(options);
        !checked.ok()) {
      return checked;
    }
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back(
        {options.tls_private_key_pem, options.tls_cert_chain_pem});
    return grpc::SslServerCredentials(ssl);
  }
  if (!IsLoopbackAddress(address) && !options.allow_plaintext) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--listen: ", address,
        " is not a loopback address, and plaintext would expose API keys "
        "and members' data to the network: serve TLS (--tls-cert, "
        "--tls-key) or pass --allow-plaintext (behind a TLS proxy)"));
  }
  return grpc::InsecureServerCredentials();
}

}  // namespace loyalty
