#include "server/transport_security.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

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
  if (colon == absl::string_view::npos || address.find(':') != colon) {
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

// The whole file; InvalidArgument naming `flag` when it cannot be read or
// is empty.
absl::StatusOr<std::string> ReadPemFile(absl::string_view flag,
                                        const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read ", path));
  }
  std::ostringstream bytes;
  bytes << file.rdbuf();
  if (bytes.str().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", path, " is empty"));
  }
  return bytes.str();
}

// Writes `content` to `path` (0600) through a temporary file and a rename,
// so a reader sees the old content or the new, never a part.
absl::Status ReplaceFile(const std::string& path, const std::string& content) {
  const std::string temporary = path + ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) {
      return absl::InternalError(absl::StrCat("cannot write ", temporary));
    }
    ::chmod(temporary.c_str(), 0600);
    out << content;
    out.flush();
    if (!out) {
      return absl::InternalError(absl::StrCat("cannot write ", temporary));
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot rename ", temporary, ": ", error.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TlsMaterial> ReadTlsMaterial(
    const TransportSecurityOptions& options) {
  TlsMaterial material;
  absl::StatusOr<std::string> cert =
      ReadPemFile("--tls-cert", options.tls_cert_path);
  if (!cert.ok()) return cert.status();
  material.cert_chain_pem = std::move(*cert);
  absl::StatusOr<std::string> key =
      ReadPemFile("--tls-key", options.tls_key_path);
  if (!key.ok()) return key.status();
  material.private_key_pem = std::move(*key);
  if (!options.tls_client_ca_path.empty()) {
    absl::StatusOr<std::string> ca =
        ReadPemFile("--tls-client-ca", options.tls_client_ca_path);
    if (!ca.ok()) return ca.status();
    material.client_ca_pem = std::move(*ca);
  }
  return material;
}

// The certificate and key parse as PEM and belong together, and the CA
// bundle holds certificates, so a mistake is named instead of failing every
// handshake later.
absl::Status CheckTlsMaterial(const TlsMaterial& material) {
  auto cert_bio = ReadOnlyBio(material.cert_chain_pem);
  std::unique_ptr<X509, X509Deleter> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "--tls-cert: holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  auto key_bio = ReadOnlyBio(material.private_key_pem);
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "--tls-key: holds no unencrypted PEM private key");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "--tls-key: is not the key of the --tls-cert certificate");
  }
  if (!material.client_ca_pem.empty()) {
    auto ca_bio = ReadOnlyBio(material.client_ca_pem);
    std::unique_ptr<X509, X509Deleter> ca(
        PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr));
    if (ca == nullptr) {
      ERR_clear_error();
      return absl::InvalidArgumentError(
          "--tls-client-ca: holds no PEM certificate (-----BEGIN "
          "CERTIFICATE-----)");
    }
  }
  return absl::OkStatus();
}

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

TransportSecurity::TransportSecurity(const TransportSecurityOptions& options,
                                     std::shared_ptr<Logger> logger)
    : options_(options),
      logger_(logger != nullptr ? std::move(logger)
                                : std::make_shared<Logger>(LogFormat::kLogfmt,
                                                           LogLevel::kInfo)) {}

absl::StatusOr<std::unique_ptr<TransportSecurity>> TransportSecurity::Create(
    absl::string_view address, const TransportSecurityOptions& options,
    std::shared_ptr<Logger> logger) {
  const bool has_cert = !options.tls_cert_path.empty();
  const bool has_key = !options.tls_key_path.empty();
  if (has_cert != has_key) {
    return absl::InvalidArgumentError(
        has_cert ? "--tls-key: is required with --tls-cert"
                 : "--tls-cert: is required with --tls-key");
  }
  std::unique_ptr<TransportSecurity> security(
      new TransportSecurity(options, std::move(logger)));
  if (!has_cert) {
    if (!options.tls_client_ca_path.empty()) {
      return absl::InvalidArgumentError(
          "--tls-client-ca: needs --tls-cert and --tls-key (client "
          "certificates are asked for in a TLS handshake)");
    }
    if (!IsLoopbackAddress(address) && !options.allow_plaintext) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--listen: ", address,
          " is not a loopback address, and plaintext would expose API keys "
          "and members' data to the network: serve TLS (--tls-cert, "
          "--tls-key) or pass --allow-plaintext (behind a TLS proxy)"));
    }
    security->credentials_ = grpc::InsecureServerCredentials();
    return security;
  }
  if (options.tls_reload_interval_s < 1 ||
      options.tls_reload_interval_s >
          TransportSecurityOptions::kReloadIntervalMaxS) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-reload-interval-s: must be between 1 and ",
                     TransportSecurityOptions::kReloadIntervalMaxS));
  }
  absl::StatusOr<TlsMaterial> material = ReadTlsMaterial(options);
  if (!material.ok()) return material.status();
  if (absl::Status checked = CheckTlsMaterial(*material); !checked.ok()) {
    return checked;
  }
  // The private directory gRPC watches. mkdtemp makes it 0700.
  std::string pattern =
      (std::filesystem::temp_directory_path() / "loyaltyd-tls-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat(
        "--tls-cert: cannot make a private directory for the certificates "
        "like ",
        pattern, " (set TMPDIR to a writable directory)"));
  }
  security->staging_dir_ = pattern;
  {
    absl::MutexLock lock(&security->mutex_);
    if (absl::Status staged = security->Stage(*material); !staged.ok()) {
      return absl::InternalError(
          absl::StrCat("--tls-cert: ", staged.message()));
    }
    security->served_ = std::move(*material);
  }
  const auto interval_s =
      static_cast<unsigned int>(options.tls_reload_interval_s);
  // The key and its chain come from one file, so they change together.
  auto provider =
      options.tls_client_ca_path.empty()
          ? std::make_shared<
                grpc::experimental::FileWatcherCertificateProvider>(
                security->identity_path(), security->identity_path(),
                interval_s)
          : std::make_shared<
                grpc::experimental::FileWatcherCertificateProvider>(
                security->identity_path(), security->identity_path(),
                security->client_ca_path(), interval_s);
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  // Both watches are needed even for files that never change (gRPC issue
  // 26133); the root watch only with a CA to verify clients against.
  tls.watch_identity_key_cert_pairs();
  if (security->requires_client_certificates()) {
    tls.watch_root_certs();
    tls.set_cert_request_type(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    tls.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  security->credentials_ = grpc::experimental::TlsServerCredentials(tls);
  if (security->credentials_ == nullptr) {
    return absl::InvalidArgumentError(
        "--tls-cert: gRPC refused the TLS settings");
  }
  TransportSecurity* raw = security.get();
  security->thread_ = std::thread([raw] { raw->Poll(); });
  return security;
}

TransportSecurity::~TransportSecurity() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  credentials_.reset();
  if (!staging_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(staging_dir_, ignored);
  }
}

std::string TransportSecurity::identity_path() const {
  return staging_dir_ + "/identity.pem";
}

std::string TransportSecurity::client_ca_path() const {
  return staging_dir_ + "/client-ca.pem";
}

absl::Status TransportSecurity::Stage(const TlsMaterial& material) {
  if (!material.client_ca_pem.empty()) {
    if (absl::Status written =
            ReplaceFile(client_ca_path(), material.client_ca_pem);
        !written.ok()) {
      return written;
    }
  }
  // gRPC reads the key and the chain from this one file (OpenSSL skips the
  // blocks of the other kind).
  std::string identity = material.private_key_pem;
  if (!identity.empty() && identity.back() != '\n') identity += '\n';
  identity += material.cert_chain_pem;
  return ReplaceFile(identity_path(), identity);
}

absl::Status TransportSecurity::ReloadNow() {
  if (!tls()) return absl::OkStatus();
  absl::StatusOr<TlsMaterial> material = ReadTlsMaterial(options_);
  if (!material.ok()) {
    absl::MutexLock lock(&mutex_);
    ++stats_.reloads_refused;
    logger_->Warn("certificates refused; keeping the certificates served",
                  {{"error", material.status().message()}});
    return material.status();
  }
  return Consider(std::move(*material));
}

absl::Status TransportSecurity::Consider(TlsMaterial material) {
  absl::MutexLock lock(&mutex_);
  if (material == served_) return absl::OkStatus();
  absl::Status checked = CheckTlsMaterial(material);
  if (checked.ok()) checked = Stage(material);
  if (!checked.ok()) {
    // Counted and said once per content: polling comes back to the same
    // files until they are fixed.
    if (!(material == last_refused_)) {
      ++stats_.reloads_refused;
      logger_->Warn("certificates refused; keeping the certificates served",
                    {{"error", checked.message()}});
    }
    last_refused_ = std::move(material);
    return checked;
  }
  served_ = std::move(material);
  last_refused_ = TlsMaterial();
  ++stats_.reloads;
  logger_->Info("certificates loaded", {{"file", options_.tls_cert_path}});
  return absl::OkStatus();
}

void TransportSecurity::Poll() {
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      mutex_.AwaitWithTimeout(absl::Condition(&stopping_),
                              absl::Seconds(options_.tls_reload_interval_s));
      if (stopping_) return;
    }
    // A file missing for a moment (being replaced) is not a change: the
    // next poll sees the new one.
    absl::StatusOr<TlsMaterial> material = ReadTlsMaterial(options_);
    if (material.ok()) Consider(std::move(*material)).IgnoreError();
  }
}

CertificateReloadStats TransportSecurity::stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

}  // namespace loyalty
