// File: tests/server/mutual_tls_test.cc
//
// Mutual TLS (loyaltyd --tls-client-ca; server/transport_security.h): only
// clients with a certificate from the CA get through the handshake, a
// certificate's subject names a principal of the keys file (server/auth.h)
// with that principal's role and stores, and certificates reload without a
// restart. Every certificate is made here by the openssl command.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "ledger/common/hashing.h"
#include "tests/server/server_test_util.h"

namespace loyalty::testing {
namespace {

// The subjects as gRPC reports them (RFC 2253: the most specific part
// first) for the -subj texts below.
constexpr char kTillSubject[] = "CN=till-12,OU=store-12,O=Retailer";
constexpr char kTillSubj[] = "/O=Retailer/OU=store-12/CN=till-12";
constexpr char kKioskSubject[] = "CN=kiosk,O=Retailer";
constexpr char kKioskSubj[] = "/O=Retailer/CN=kiosk";

// The test keys plus two certificate principals: the store-12 till (the
// same principal and grant as "store-12-key") and an operator's.
std::string KeysWithCertificates() {
  return TestKeysFileText() + "keys { principal: \"store-12-pos\" " +
         "client_cert_subject: \"" + kTillSubject +
         "\" role: ROLE_POS store_ids: \"12\" store_ids: \"14\" }\n" +
         "keys { principal: \"ops-desk\" client_cert_subject: "
         "\"CN=ops-desk,O=Retailer\" role: ROLE_ADMIN }\n";
}

// Replaces `path` as a deployment does: written beside, renamed over.
void ReplaceFile(const std::string& path, const std::string& content) {
  const std::string next = path + ".next";
  std::ofstream(next, std::ios::binary | std::ios::trunc) << content;
  REQUIRE(std::rename(next.c_str(), path.c_str()) == 0);
}

// A CA, the server's certificate from it, and the files loyaltyd reads.
struct MutualTlsSetup {
  TempDir dir;
  TestCertificate ca = MakeTestCa(dir.path(), "ca");
  TestCertificate server_certificate =
      IssueTestCertificate(ca, dir.path(), "server", "/CN=localhost");
  std::string cert_path = dir.path() + "/served-cert.pem";
  std::string key_path = dir.path() + "/served-key.pem";
  std::string client_ca_path = dir.path() + "/client-ca.pem";

  MutualTlsSetup() {
    ReplaceFile(cert_path, server_certificate.cert_pem);
    ReplaceFile(key_path, server_certificate.key_pem);
    ReplaceFile(client_ca_path, ca.cert_pem);
  }

  ServerOptions Options() const {
    ServerOptions options = TestServerOptions(dir.path() + "/data");
    options.keys_file = dir.path() + "/keys.textproto";
    std::ofstream(options.keys_file) << KeysWithCertificates();
    options.transport.tls_cert_path = cert_path;
    options.transport.tls_key_path = key_path;
    options.transport.tls_client_ca_path = client_ca_path;
    options.transport.tls_reload_interval_s = 1;
    return options;
  }
};

// A channel of its own (not shared with earlier ones) trusting `root_pem`,
// presenting `client` when given.
std::shared_ptr<grpc::Channel> Channel(const TestServer& server,
                                       const std::string& root_pem,
                                       const TestCertificate* client) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = root_pem;
  if (client != nullptr) {
    ssl.pem_private_key = client->key_pem;
    ssl.pem_cert_chain = client->cert_pem;
  }
  grpc::ChannelArguments args;
  args.SetInt("loyalty.test.channel_id", std::rand());
  return grpc::CreateCustomChannel(server.address(), grpc::SslCredentials(ssl),
                                   args);
}

struct Answer {
  grpc::StatusCode code;
  std::string message;
};

// GetBalance of a member nobody enrolled: NOT_FOUND once past the handshake
// and authentication. A refused handshake is UNAVAILABLE at once (no
// wait_for_ready).
Answer BalanceCall(const std::shared_ptr<grpc::Channel>& channel,
                   const std::string& key) {
  grpc::ClientContext context;
  if (!key.empty()) context.AddMetadata("authorization", "Bearer " + key);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  loyalty::v1::GetBalanceRequest request;
  request.set_member_id("nobody");
  loyalty::v1::Balance balance;
  grpc::Status status =
      loyalty::v1::LoyaltyService::NewStub(channel)->GetBalance(
          &context, request, &balance);
  return {status.error_code(), status.error_message()};
}

loyalty::v1::EarnRequest Order(const std::string& request_id,
                               const std::string& store_id) {
  loyalty::v1::EarnRequest order;
  order.mutable_context()->set_request_id(request_id);
  order.mutable_context()->set_channel(loyalty::v1::CHANNEL_POS);
  order.mutable_context()->set_store_id(store_id);
  order.set_member_id("alice");
  order.set_order_id(request_id);
  order.set_currency("EUR");
  loyalty::v1::BasketLine* line = order.add_lines();
  line->set_sku("MUG");
  line->set_quantity(1);
  line->set_unit_price_minor(1000);
  return order;
}

TEST_CASE(
    "mutual TLS: a certificate from the CA opens the port; none, another "
    "CA's or an expired one does not",
    "[server][tls][mtls]") {
  MutualTlsSetup setup;
  TestServer server(setup.Options(), nullptr);
  CHECK(server.server().requires_client_certificates());
  const std::string& dir = setup.dir.path();
  const TestCertificate kiosk =
      IssueTestCertificate(setup.ca, dir, "kiosk", kKioskSubj);
  const TestCertificate other_ca = MakeTestCa(dir, "other-ca");
  const TestCertificate stranger =
      IssueTestCertificate(other_ca, dir, "stranger", kKioskSubj);
  const TestCertificate expired = IssueTestCertificate(
      setup.ca, dir, "expired", kKioskSubj, /*expired=*/true);

  // The kiosk's subject names no principal: it opens the port, and the
  // call needs an API key as without a certificate.
  Answer with_key =
      BalanceCall(Channel(server, setup.ca.cert_pem, &kiosk), "pos-key");
  INFO(with_key.message);
  CHECK(with_key.code == grpc::StatusCode::NOT_FOUND);
  Answer without_key =
      BalanceCall(Channel(server, setup.ca.cert_pem, &kiosk), "");
  CHECK(without_key.code == grpc::StatusCode::UNAUTHENTICATED);
  // The subject as gRPC reports it, RFC 2253, is what the keys file names.
  CHECK(absl::StrContains(without_key.message,
                          std::string("the client certificate \"") +
                              kKioskSubject + "\" names no principal"));

  for (const TestCertificate* refused :
       {static_cast<const TestCertificate*>(nullptr), &stranger, &expired}) {
    Answer answer =
        BalanceCall(Channel(server, setup.ca.cert_pem, refused), "pos-key");
    INFO(answer.message);
    CHECK(answer.code == grpc::StatusCode::UNAVAILABLE);
  }
}

TEST_CASE(
    "a certificate whose subject the keys file names is that principal, "
    "with its role and stores, and recorded on its entries",
    "[server][auth][mtls]") {
  MutualTlsSetup setup;
  TestServer server(setup.Options(), nullptr);
  const std::string& dir = setup.dir.path();
  const TestCertificate till =
      IssueTestCertificate(setup.ca, dir, "till", kTillSubj);
  const TestCertificate ops =
      IssueTestCertificate(setup.ca, dir, "ops", "/O=Retailer/CN=ops-desk");
  auto till_stub = loyalty::v1::LoyaltyService::NewStub(
      Channel(server, setup.ca.cert_pem, &till));

  // The operator's certificate enrols alice, without a key.
  {
    loyalty::v1::EnrollMemberRequest enroll;
    enroll.mutable_context()->set_request_id("enroll-alice");
    enroll.mutable_context()->set_channel(loyalty::v1::CHANNEL_APP);
    enroll.set_member_id("alice");
    loyalty::v1::EnrollMemberResponse enrolled;
    grpc::ClientContext context;
    grpc::Status status = loyalty::v1::LoyaltyService::NewStub(
                              Channel(server, setup.ca.cert_pem, &ops))
                              ->EnrollMember(&context, enroll, &enrolled);
    INFO(status.error_message());
    REQUIRE(status.ok());
  }

  // The till's certificate earns for its store; the entry records its
  // principal.
  loyalty::v1::EarnResponse earned;
  {
    grpc::ClientContext context;
    grpc::Status status =
        till_stub->Earn(&context, Order("o-12", "12"), &earned);
    INFO(status.error_message());
    REQUIRE(status.ok());
    CHECK(earned.entry().principal() == "store-12-pos");
  }
  // Not for another store.
  {
    grpc::ClientContext context;
    loyalty::v1::EarnResponse refused;
    grpc::Status status =
        till_stub->Earn(&context, Order("o-13", "13"), &refused);
    CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
    CHECK(absl::StrContains(status.error_message(), "store-12-pos (ROLE_POS)"));
  }
  // Nor an operator's adjustment.
  {
    loyalty::v1::AdjustRequest adjust;
    adjust.mutable_context()->set_request_id("adjust-1");
    adjust.mutable_context()->set_channel(loyalty::v1::CHANNEL_POS);
    adjust.mutable_context()->set_store_id("12");
    adjust.set_member_id("alice");
    adjust.set_points_delta(1000);
    adjust.set_reason_code("GOODWILL");
    adjust.set_operator_id("mallory");
    loyalty::v1::AdjustResponse adjusted;
    grpc::ClientContext context;
    grpc::Status status = loyalty::v1::AdminService::NewStub(
                              Channel(server, setup.ca.cert_pem, &till))
                              ->Adjust(&context, adjust, &adjusted);
    CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
    CHECK(absl::StrContains(status.error_message(),
                            "store-12-pos (ROLE_POS) may not call Adjust"));
  }

  // The principal's own key beside its certificate is the same caller.
  CHECK(BalanceCall(Channel(server, setup.ca.cert_pem, &till), "store-12-key")
            .code == grpc::StatusCode::NOT_FOUND);
  // Another principal's key on the till's connection is refused, saying
  // both, and never becomes the admin.
  Answer mixed =
      BalanceCall(Channel(server, setup.ca.cert_pem, &till), "admin-key");
  CHECK(mixed.code == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(absl::StrContains(mixed.message,
                          std::string("the API key is principal \"operator\"'s "
                                      "but the client certificate \"") +
                              kTillSubject + "\" is \"store-12-pos\"'s"));
  // An unknown key is still unknown.
  CHECK(BalanceCall(Channel(server, setup.ca.cert_pem, &till), "no-such-key")
            .code == grpc::StatusCode::UNAUTHENTICATED);
}

// Calls until `expected` comes back, for up to 15 s (the reload interval
// is 1 s; loyaltyd's poll and gRPC's each take up to one).
bool EventuallyAnswers(const std::function<Answer()>& call,
                       grpc::StatusCode expected) {
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < give_up) {
    if (call().code == expected) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

TEST_CASE(
    "certificates reload without a restart: a new server certificate and "
    "client CA serve new connections, and a bad set changes nothing",
    "[server][tls][mtls]") {
  MutualTlsSetup setup;
  const std::string& dir = setup.dir.path();
  TestServer server(setup.Options(), nullptr);
  const TestCertificate old_client =
      IssueTestCertificate(setup.ca, dir, "old-client", kKioskSubj);
  REQUIRE(
      BalanceCall(Channel(server, setup.ca.cert_pem, &old_client), "pos-key")
          .code == grpc::StatusCode::NOT_FOUND);

  // A new CA issues the server's next certificate and the clients' next
  // ones; the files are replaced while loyaltyd runs.
  const TestCertificate new_ca = MakeTestCa(dir, "new-ca");
  const TestCertificate new_server =
      IssueTestCertificate(new_ca, dir, "new-server", "/CN=localhost");
  const TestCertificate new_client =
      IssueTestCertificate(new_ca, dir, "new-client", kTillSubj);
  ReplaceFile(setup.cert_path, new_server.cert_pem);
  ReplaceFile(setup.key_path, new_server.key_pem);
  ReplaceFile(setup.client_ca_path, new_ca.cert_pem);

  // New connections: the new CA's client certificate (naming the till,
  // no key), trusting the new CA, gets through.
  CHECK(EventuallyAnswers(
      [&] {
        return BalanceCall(Channel(server, new_ca.cert_pem, &new_client), "");
      },
      grpc::StatusCode::NOT_FOUND));
  // The old server certificate is gone, and so is the old client CA.
  CHECK(BalanceCall(Channel(server, setup.ca.cert_pem, &new_client), "").code ==
        grpc::StatusCode::UNAVAILABLE);
  CHECK(BalanceCall(Channel(server, new_ca.cert_pem, &old_client), "pos-key")
            .code == grpc::StatusCode::UNAVAILABLE);
  // Asking again finds nothing new.
  CHECK(server.server().ReloadCertificates().ok());

  // A key that is not the certificate's: refused, naming the flag, and the
  // certificates served before stay.
  ReplaceFile(setup.key_path, old_client.key_pem);
  absl::Status reloaded = server.server().ReloadCertificates();
  CHECK(absl::IsInvalidArgument(reloaded));
  CHECK(reloaded.message() ==
        "--tls-key: is not the key of the --tls-cert certificate");
  ReplaceFile(setup.client_ca_path, "not a certificate");
  ReplaceFile(setup.key_path, new_server.key_pem);
  reloaded = server.server().ReloadCertificates();
  CHECK(absl::StartsWith(reloaded.message(),
                         "--tls-client-ca: holds no PEM certificate"));
  // Past two refresh intervals, gRPC still serves the set before.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(BalanceCall(Channel(server, new_ca.cert_pem, &new_client), "").code ==
        grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace loyalty::testing
