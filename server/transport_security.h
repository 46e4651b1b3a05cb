// File: server/transport_security.h
//
// How loyaltyd's port is secured. Store networks are not trusted: the port
// serves TLS when given a certificate and key, and plaintext only on a
// loopback address (a sidecar, a test, the demo) unless the operator says
// otherwise with allow_plaintext (e.g. behind a TLS-terminating proxy).
#ifndef LOYALTY_SERVER_TRANSPORT_SECURITY_H_
#define LOYALTY_SERVER_TRANSPORT_SECURITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/server_credentials.h"

namespace loyalty {

struct TransportSecurityOptions {
  // PEM text (not paths). Both or neither: both serve TLS.
  std::string tls_cert_chain_pem;
  std::string tls_private_key_pem;
  // Serve plaintext on an address that is not loopback.
  bool allow_plaintext = false;
};

// Whether `address` ("host:port", "[v6]:port" or "unix:path") only accepts
// connections from this machine: 127.0.0.0/8, ::1, localhost, a unix socket.
bool IsLoopbackAddress(absl::string_view address);

// The credentials for listening on `address`. InvalidArgument naming the
// flag when only one of certificate and key is given, when either is not
// PEM, when the key is not the certificate's, or when plaintext would be
// served beyond loopback without allow_plaintext.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenCredentials(
    absl::string_view address, const TransportSecurityOptions& options);

}  // namespace loyalty

#endif  // LOYALTY_SERVER_TRANSPORT_SECURITY_H_
