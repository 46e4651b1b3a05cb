// File: tests/client/tls_proxy.h
//
// What the client library's tests connect through: a TLS endpoint on a free
// loopback port, with a certificate made for the test by the openssl
// command, that forwards the decrypted bytes to a plaintext server (an
// in-process loyaltyd, TestServer). It can lose an answer on purpose: on its
// first connection it passes the request on but swallows the server's
// response frames and closes the connection once the server has finished
// the call, exactly what a network cut after the ledger wrote looks like.
#ifndef LOYALTY_TESTS_CLIENT_TLS_PROXY_H_
#define LOYALTY_TESTS_CLIENT_TLS_PROXY_H_

#include <openssl/ssl.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/server_test_util.h"  // TestCertificate

namespace loyalty::testing {

class TlsProxy {
 public:
  // Listens on 127.0.0.1:0 presenting `certificate`; each connection is
  // forwarded to 127.0.0.1:backend_port.
  TlsProxy(const TestCertificate& certificate, int backend_port);
  // Stops accepting, closes every connection, joins every thread.
  ~TlsProxy();

  TlsProxy(const TlsProxy&) = delete;
  TlsProxy& operator=(const TlsProxy&) = delete;

  // From now on, a client must present `client_certificate` (mutual TLS);
  // connections without it fail their handshake. Call before the first
  // connection.
  void RequireClientCertificate(const TestCertificate& client_certificate);

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Makes the next connection lose the answers of its calls (see above).
  void LoseAnswersOnNextConnection() { lose_next_ = true; }

  // Connections accepted so far.
  int connections() const { return connections_; }
  // Calls whose answer was swallowed (their trailers reached the proxy).
  int answers_lost() const { return answers_lost_; }

 private:
  void AcceptLoop();
  void Serve(int client_fd, bool lose_answers);

  SSL_CTX* context_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  const int backend_port_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> lose_next_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> answers_lost_{0};
  std::thread acceptor_;
  std::mutex workers_mutex_;
  std::vector<std::thread> workers_;  // GUARDED_BY(workers_mutex_)
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_CLIENT_TLS_PROXY_H_
