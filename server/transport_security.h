// File: server/transport_security.h
//
// How loyaltyd's port is secured. Store networks are not trusted: the port
// serves TLS when given a certificate and key, and plaintext only on a
// loopback address (a sidecar, a test, the demo) unless the operator says
// otherwise with allow_plaintext (e.g. behind a TLS-terminating proxy).
//
// Mutual TLS (tls_client_ca_path) on top: every connection must present a
// client certificate that chains to one of those CAs, or its handshake
// fails. A verified certificate's subject may name a principal in the keys
// file (auth.h); the certificate only opens the port otherwise.
//
// Certificates reload without a restart. The files are read again every
// reload interval; a new set that checks out (PEM, the key is the
// certificate's, the CA bundle parses) is handed to gRPC, which serves new
// handshakes with it (connections already open keep theirs). A set that
// does not check out changes nothing: the certificates served before stay,
// and loyaltyd says why, once per content.
//
// gRPC (1.51) reloads only from files (FileWatcherCertificateProvider), and
// would serve whatever they hold, half-written or not. So loyaltyd copies
// each checked set into a private directory (0700, under $TMPDIR) that gRPC
// watches: the key and the chain in one file, replaced by a rename, so gRPC
// never sees a key without its certificate.
#ifndef LOYALTY_SERVER_TRANSPORT_SECURITY_H_
#define LOYALTY_SERVER_TRANSPORT_SECURITY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/security/server_credentials.h"
#include "server/log.h"

namespace loyalty {

struct TransportSecurityOptions {
  static constexpr int64_t kReloadIntervalMaxS = 86'400;
  // PEM files. Certificate and key: both or neither; both serve TLS.
  std::string tls_cert_path;
  std::string tls_key_path;
  // With TLS only: require client certificates issued by these CAs (a PEM
  // bundle of one or more certificates).
  std::string tls_client_ca_path;
  // How often the files are read again, 1..kReloadIntervalMaxS; a change is
  // served within twice this.
  int64_t tls_reload_interval_s = 60;
  // Serve plaintext on an address that is not loopback.
  bool allow_plaintext = false;
};

// One consistent set of the files' PEM text.
struct TlsMaterial {
  std::string cert_chain_pem;
  std::string private_key_pem;
  std::string client_ca_pem;  // Empty without mutual TLS.
  bool operator==(const TlsMaterial&) const = default;
};

// Reads the files `options` names; InvalidArgument naming the flag when one
// cannot be read or is empty.
absl::StatusOr<TlsMaterial> ReadTlsMaterial(
    const TransportSecurityOptions& options);

// InvalidArgument naming the flag when a file is not PEM, when the key is
// not the certificate's, or when the CA bundle holds no certificate.
absl::Status CheckTlsMaterial(const TlsMaterial& material);

// Whether `address` ("host:port", "[v6]:port" or "unix:path") only accepts
// connections from this machine: 127.0.0.0/8, ::1, localhost, a unix socket.
bool IsLoopbackAddress(absl::string_view address);

struct CertificateReloadStats {
  uint64_t reloads = 0;          // New sets handed to gRPC.
  uint64_t reloads_refused = 0;  // Changed sets that did not check out.
};

// The port's credentials, and the thread keeping TLS certificates current.
class TransportSecurity {
 public:
  // InvalidArgument naming the flag for everything ReadTlsMaterial and
  // CheckTlsMaterial refuse,
  // for a certificate without its key (or the other way round), a client CA
  // without TLS, a reload interval out of range, or plaintext beyond
  // loopback without allow_plaintext; Internal when the private directory
  // cannot be made.
  // Reloads are logged to `logger` (null: a logfmt logger on stderr).
  static absl::StatusOr<std::unique_ptr<TransportSecurity>> Create(
      absl::string_view address, const TransportSecurityOptions& options,
      std::shared_ptr<Logger> logger = nullptr);
  // Stops the reloading and removes the private directory.
  ~TransportSecurity();
  TransportSecurity(const TransportSecurity&) = delete;
  TransportSecurity& operator=(const TransportSecurity&) = delete;

  const std::shared_ptr<grpc::ServerCredentials>& credentials() const {
    return credentials_;
  }
  bool tls() const { return !options_.tls_cert_path.empty(); }
  bool requires_client_certificates() const {
    return !options_.tls_client_ca_path.empty();
  }

  // Reads the files now: OK when they are served (from the next gRPC
  // refresh on) or unchanged; the problem otherwise, with nothing changed.
  absl::Status ReloadNow();
  CertificateReloadStats stats() const;

 private:
  TransportSecurity(const TransportSecurityOptions& options,
                    std::shared_ptr<Logger> logger);
  void Poll();
  // Serves `material` if it changed and checks out; reports why not.
  absl::Status Consider(TlsMaterial material);
  // Writes `material` where gRPC watches it.
  absl::Status Stage(const TlsMaterial& material)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  std::string identity_path() const;
  std::string client_ca_path() const;

  const TransportSecurityOptions options_;
  const std::shared_ptr<Logger> logger_;
  std::string staging_dir_;  // Empty without TLS.
  std::shared_ptr<grpc::ServerCredentials> credentials_;
  mutable absl::Mutex mutex_;
  TlsMaterial served_ ABSL_GUARDED_BY(mutex_);
  // The last set refused, so a bad file is reported once, not every poll.
  TlsMaterial last_refused_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  CertificateReloadStats stats_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_TRANSPORT_SECURITY_H_
