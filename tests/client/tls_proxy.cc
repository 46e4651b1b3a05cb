// File: tests/client/tls_proxy.cc

#include "tests/client/tls_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "catch2/catch.hpp"

namespace loyalty::testing {
namespace {

// HTTP/2 (RFC 9113, section 4.1): a 9-byte frame header, then the payload.
constexpr size_t kFrameHeaderBytes = 9;
constexpr uint8_t kFrameData = 0x0;
constexpr uint8_t kFrameHeaders = 0x1;
constexpr uint8_t kFrameContinuation = 0x9;
constexpr uint8_t kFlagEndStream = 0x1;
constexpr int kPollIntervalMs = 10;

// No Catch2 assertion here: it runs on the proxy's threads.
bool SetNonBlocking(int fd) {
  return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK) == 0;
}

int ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    close(fd);
    return -1;
  }
  return fd;
}

// gRPC speaks HTTP/2 only and checks that TLS agreed on it (ALPN "h2").
int SelectH2(SSL*, const unsigned char** out, unsigned char* out_length,
             const unsigned char* offered, unsigned int offered_length, void*) {
  static const unsigned char kH2[] = {2, 'h', '2'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kH2, sizeof(kH2), offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// The server-to-client bytes of a connection that loses its answers: whole
// frames pass unless they carry a response (HEADERS, DATA, CONTINUATION of
// a stream); a HEADERS frame ending its stream means the server finished
// the call.
class AnswerSwallower {
 public:
  // Appends to *forward what may pass; returns the calls finished so far.
  int Take(const char* bytes, size_t size, std::string* forward) {
    pending_.append(bytes, size);
    int finished = 0;
    while (pending_.size() >= kFrameHeaderBytes) {
      const auto byte = [&](size_t i) {
        return static_cast<uint8_t>(pending_[i]);
      };
      const size_t payload_bytes =
          (size_t{byte(0)} << 16) | (size_t{byte(1)} << 8) | byte(2);
      const size_t frame_bytes = kFrameHeaderBytes + payload_bytes;
      if (pending_.size() < frame_bytes) break;
      const uint8_t type = byte(3);
      const uint32_t stream_id = ((uint32_t{byte(5)} & 0x7f) << 24) |
                                 (uint32_t{byte(6)} << 16) |
                                 (uint32_t{byte(7)} << 8) | byte(8);
      const bool response =
          stream_id != 0 && (type == kFrameData || type == kFrameHeaders ||
                             type == kFrameContinuation);
      if (!response) forward->append(pending_, 0, frame_bytes);
      if (type == kFrameHeaders && stream_id != 0 &&
          (byte(4) & kFlagEndStream) != 0) {
        ++finished;
      }
      pending_.erase(0, frame_bytes);
    }
    return finished;
  }

 private:
  std::string pending_;
};

}  // namespace

TlsProxy::TlsProxy(const TestCertificate& certificate, int backend_port)
    : backend_port_(backend_port) {
  // SSL_write to a client that went away would raise SIGPIPE, which kills
  // the test; the write's error is handled instead.
  signal(SIGPIPE, SIG_IGN);
  context_ = SSL_CTX_new(TLS_server_method());
  REQUIRE(context_ != nullptr);
  // The pending bytes live in a std::string that may move as it grows.
  SSL_CTX_set_mode(context_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                 SSL_MODE_ENABLE_PARTIAL_WRITE);
  BIO* cert_bio =
      BIO_new_mem_buf(certificate.cert_pem.data(),
                      static_cast<int>(certificate.cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  BIO* key_bio = BIO_new_mem_buf(certificate.key_pem.data(),
                                 static_cast<int>(certificate.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  REQUIRE(cert != nullptr);
  REQUIRE(key != nullptr);
  REQUIRE(SSL_CTX_use_certificate(context_, cert) == 1);
  REQUIRE(SSL_CTX_use_PrivateKey(context_, key) == 1);
  X509_free(cert);
  EVP_PKEY_free(key);
  SSL_CTX_set_alpn_select_cb(context_, SelectH2, nullptr);

  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listen_fd_ >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&address),
               sizeof(address)) == 0);
  REQUIRE(listen(listen_fd_, 16) == 0);
  socklen_t length = sizeof(address);
  REQUIRE(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address),
                      &length) == 0);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TlsProxy::~TlsProxy() {
  stopping_ = true;
  // Wakes the accept() of AcceptLoop.
  shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(workers_mutex_);
    workers.swap(workers_);
  }
  for (std::thread& worker : workers) worker.join();
  SSL_CTX_free(context_);
}

void TlsProxy::RequireClientCertificate(
    const TestCertificate& client_certificate) {
  BIO* cert_bio =
      BIO_new_mem_buf(client_certificate.cert_pem.data(),
                      static_cast<int>(client_certificate.cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  REQUIRE(cert != nullptr);
  // The self-signed client certificate is its own authority.
  REQUIRE(X509_STORE_add_cert(SSL_CTX_get_cert_store(context_), cert) == 1);
  X509_free(cert);
  SSL_CTX_set_verify(
      context_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
}

void TlsProxy::AcceptLoop() {
  while (!stopping_) {
    const int client_fd = accept(listen_fd_, nullptr, nullptr);
    if (client_fd < 0) {
      if (stopping_) return;
      continue;
    }
    ++connections_;
    const bool lose_answers = lose_next_.exchange(false);
    std::lock_guard<std::mutex> lock(workers_mutex_);
    workers_.emplace_back(
        [this, client_fd, lose_answers] { Serve(client_fd, lose_answers); });
  }
}

void TlsProxy::Serve(int client_fd, bool lose_answers) {
  const int backend_fd = ConnectLoopback(backend_port_);
  if (backend_fd < 0 || !SetNonBlocking(client_fd) ||
      !SetNonBlocking(backend_fd)) {
    if (backend_fd >= 0) close(backend_fd);
    close(client_fd);
    return;
  }
  SSL* ssl = SSL_new(context_);
  SSL_set_fd(ssl, client_fd);
  SSL_set_accept_state(ssl);
  std::string to_backend;
  std::string to_client;
  AnswerSwallower swallower;
  bool close_when_flushed = false;
  char buffer[16 * 1024];
  // One thread moves both directions: an SSL object must not be used from
  // two threads at once. Each pass does what the sockets allow now.
  bool open = true;
  while (open && !stopping_) {
    pollfd fds[2] = {{client_fd, POLLIN, 0}, {backend_fd, POLLIN, 0}};
    poll(fds, 2, kPollIntervalMs);
    for (;;) {
      const int read = SSL_read(ssl, buffer, sizeof(buffer));
      if (read > 0) {
        to_backend.append(buffer, static_cast<size_t>(read));
        continue;
      }
      const int error = SSL_get_error(ssl, read);
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        open = false;
      }
      break;
    }
    while (!to_backend.empty()) {
      const ssize_t sent =
          send(backend_fd, to_backend.data(), to_backend.size(), MSG_NOSIGNAL);
      if (sent <= 0) {
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        open = false;
        break;
      }
      to_backend.erase(0, static_cast<size_t>(sent));
    }
    for (;;) {
      const ssize_t received = recv(backend_fd, buffer, sizeof(buffer), 0);
      if (received > 0) {
        if (lose_answers) {
          const int finished =
              swallower.Take(buffer, static_cast<size_t>(received), &to_client);
          if (finished > 0) {
            answers_lost_ += finished;
            close_when_flushed = true;
          }
        } else {
          to_client.append(buffer, static_cast<size_t>(received));
        }
        continue;
      }
      if (received == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        close_when_flushed = true;
      }
      break;
    }
    while (!to_client.empty()) {
      const int written =
          SSL_write(ssl, to_client.data(), static_cast<int>(to_client.size()));
      if (written > 0) {
        to_client.erase(0, static_cast<size_t>(written));
        continue;
      }
      const int error = SSL_get_error(ssl, written);
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        open = false;
      }
      break;
    }
    if (close_when_flushed && to_client.empty()) open = false;
  }
  SSL_free(ssl);
  close(client_fd);
  close(backend_fd);
}

}  // namespace loyalty::testing
