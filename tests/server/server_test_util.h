// File: tests/server/server_test_util.h
//
// An in-process loyaltyd on a free loopback port with a temporary data
// directory, and stubs that authenticate as one of the test program's keys.
#ifndef LOYALTY_TESTS_SERVER_SERVER_TEST_UTIL_H_
#define LOYALTY_TESTS_SERVER_SERVER_TEST_UTIL_H_

#include <filesystem>
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "ledger/common/clock.h"
#include "loyalty/v1/loyalty_service.grpc.pb.h"
#include "server/server.h"

namespace loyalty::testing {

// German phone numbers; transfers of at most 50 points, 80 a day.
loyalty::v1::ProgramConfig TestProgram();

// The keys file TestServer starts with (TestKeysFile() holds it):
//   "pos-key"      pos-terminal     ROLE_POS, every store
//   "app-key"      app-backend      ROLE_APP
//   "admin-key"    operator         ROLE_ADMIN
//   "store-12-key" store-12-pos     ROLE_POS, stores "12" and "14"
//   "partner-key"  airline-partner  ROLE_PARTNER, partner "airline"
//   "auditor-key"  auditor          ROLE_AUDITOR
std::string TestKeysFileText();
// A file holding TestKeysFileText(), alive while the test binary runs.
const std::string& TestKeysFile();

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A certificate and its key, made by the openssl command: PEM text, and the
// files holding it.
struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
  std::string cert_path;
  std::string key_path;
};
// A self-signed certificate for localhost and 127.0.0.1 in `dir` (valid two
// days).
TestCertificate MakeTestCertificate(const std::string& dir);
// A CA in `dir`, its files named after `name` ("<name>.pem", "<name>.key"),
// subject "/O=Loyalty Test/CN=<name>" (valid two days).
TestCertificate MakeTestCa(const std::string& dir, const std::string& name);
// A certificate `ca` issues in `dir` ("<name>.pem", "<name>.key") for
// `subject` (openssl's -subj form, "/O=Retailer/CN=till-12"), also valid
// for localhost and 127.0.0.1 (so it serves as a server's too): valid two
// days, or expired since yesterday.
TestCertificate IssueTestCertificate(const TestCertificate& ca,
                                     const std::string& dir,
                                     const std::string& name,
                                     const std::string& subject,
                                     bool expired = false);

// The options TestServer starts with: 127.0.0.1:0 over `data_dir`, no
// sweep, an identifier key; a test changes what it needs and passes them on.
ServerOptions TestServerOptions(const std::string& data_dir);

class TestServer {
 public:
  // Starts on 127.0.0.1:0 over `data_dir`, sweeping every
  // `sweep_interval_ms` (0: never).
  explicit TestServer(const std::string& data_dir,
                      int64_t sweep_interval_ms = 0);
  // Starts with `options` on `clock` (null: the system clock; else it must
  // outlive the server), for tests that move time by hand.
  TestServer(const ServerOptions& options, const Clock* clock);
  ~TestServer();

  int port() const { return server_->port(); }
  std::string address() const;
  LoyaltyServer& server() { return *server_; }
  void Shutdown() { server_->Shutdown(); }

  std::unique_ptr<loyalty::v1::LoyaltyService::Stub> LoyaltyStub() const;
  std::unique_ptr<loyalty::v1::AdminService::Stub> AdminStub() const;
  std::shared_ptr<grpc::Channel> NewChannel() const;

 private:
  SystemClock clock_;
  std::unique_ptr<LoyaltyServer> server_;
};

// A client context carrying "authorization: Bearer <key>" and a deadline.
std::unique_ptr<grpc::ClientContext> ContextWithKey(const std::string& key);

// The "loyalty-reason" trailing metadata of a finished call, or "".
std::string ReasonOf(const grpc::ClientContext& context);

loyalty::v1::RequestContext PosContext(const std::string& request_id);

// Enrolls `member_id` through the app channel with the admin key (request
// id "enroll-<member_id>"); REQUIREs success.
void EnrollAppMember(const TestServer& server, const std::string& member_id);

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SERVER_SERVER_TEST_UTIL_H_
