// loyaltyd's port: TLS with a certificate and key, plaintext only on
// loopback unless allowed, and every mistake named before anything opens.
#include <filesystem>
#include <string>

#include "catch2/catch.hpp"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "server/transport_security.h"
#include "tests/server/server_test_util.h"

namespace loyalty {
namespace {

using loyalty::testing::ContextWithKey;
using loyalty::testing::MakeTestCertificate;
using loyalty::testing::TempDir;
using loyalty::testing::TestCertificate;
using loyalty::testing::TestServer;
using loyalty::testing::TestServerOptions;

TEST_CASE("loopback addresses are told apart from ones the network reaches",
          "[server][tls]") {
  CHECK(IsLoopbackAddress("127.0.0.1:50051"));
  CHECK(IsLoopbackAddress("127.1.2.3:0"));
  CHECK(IsLoopbackAddress("localhost:50051"));
  CHECK(IsLoopbackAddress("LOCALHOST:1"));
  CHECK(IsLoopbackAddress("[::1]:50051"));
  CHECK(IsLoopbackAddress("unix:/run/loyaltyd.sock"));
  CHECK_FALSE(IsLoopbackAddress("0.0.0.0:50051"));
  CHECK_FALSE(IsLoopbackAddress("[::]:50051"));
  CHECK_FALSE(IsLoopbackAddress("10.0.0.7:50051"));
  CHECK_FALSE(IsLoopbackAddress("127.0.0.1.example.com:50051"));
  CHECK_FALSE(IsLoopbackAddress("127.evil:50051"));
  CHECK_FALSE(IsLoopbackAddress("loyalty.example.com:443"));
}

TEST_CASE("plaintext beyond loopback is refused unless allowed, naming the "
          "way out",
          "[server][tls]") {
  TransportSecurityOptions plaintext;
  auto refused = ListenCredentials("0.0.0.0:50051", plaintext);
  REQUIRE(absl::IsInvalidArgument(refused.status()));
  CHECK(refused.status().message().find("--listen: 0.0.0.0:50051") !=
        std::string::npos);
  CHECK(refused.status().message().find("--tls-cert") != std::string::npos);
  CHECK(refused.status().message().find("--allow-plaintext") !=
        std::string::npos);
  CHECK(ListenCredentials("127.0.0.1:0", plaintext).ok());
  plaintext.allow_plaintext = true;
  CHECK(ListenCredentials("0.0.0.0:50051", plaintext).ok());
}

TEST_CASE("a certificate without its key, a key that is not its, or text "
          "that is not PEM is refused naming the flag",
          "[server][tls]") {
  TempDir dir;
  TestCertificate certificate = MakeTestCertificate(dir.path());
  std::filesystem::create_directories(dir.path() + "/other");
  TestCertificate other = MakeTestCertificate(dir.path() + "/other");
  auto message_of = [](const std::string& cert_pem,
                       const std::string& key_pem) {
    TransportSecurityOptions options;
    options.tls_cert_chain_pem = cert_pem;
    options.tls_private_key_pem = key_pem;
    auto credentials = ListenCredentials("0.0.0.0:1", options);
    REQUIRE(absl::IsInvalidArgument(credentials.status()));
    return std::string(credentials.status().message());
  };
  CHECK(message_of(certificate.cert_pem, "") ==
        "--tls-key: is required with --tls-cert");
  CHECK(message_of("", certificate.key_pem) ==
        "--tls-cert: is required with --tls-key");
  CHECK(message_of("not a certificate", certificate.key_pem)
            .starts_with("--tls-cert: holds no PEM certificate"));
  CHECK(message_of(certificate.cert_pem, certificate.cert_pem)
            .starts_with("--tls-key: holds no unencrypted PEM private key"));
  CHECK(message_of(certificate.cert_pem, other.key_pem) ==
        "--tls-key: is not the key of the --tls-cert certificate");
  TransportSecurityOptions matching;
  matching.tls_cert_chain_pem = certificate.cert_pem;
  matching.tls_private_key_pem = certificate.key_pem;
  CHECK(ListenCredentials("0.0.0.0:1", matching).ok());
}

TEST_CASE("a bad certificate stops the server before its data directory is "
          "created",
          "[server][tls]") {
  TempDir dir;
  ServerOptions options = TestServerOptions(dir.path() + "/data");
  options.transport.tls_cert_chain_pem = "not a certificate";
  options.transport.tls_private_key_pem = "not a key";
  SystemClock clock;
  auto started =
      LoyaltyServer::Start(loyalty::testing::TestProgram(), options, &clock);
  CHECK(absl::IsInvalidArgument(started.status()));
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/data"));
}

TEST_CASE("a TLS server answers a client that trusts its certificate and "
          "nobody speaking plaintext",
          "[server][tls]") {
  TempDir dir;
  TestCertificate certificate = MakeTestCertificate(dir.path());
  ServerOptions options = TestServerOptions(dir.path() + "/data");
  options.transport.tls_cert_chain_pem = certificate.cert_pem;
  options.transport.tls_private_key_pem = certificate.key_pem;
  TestServer server(options, nullptr);

  grpc::SslCredentialsOptions trust;
  trust.pem_root_certs = certificate.cert_pem;
  auto tls_stub = loyalty::v1::LoyaltyService::NewStub(grpc::CreateChannel(
      server.address(), grpc::SslCredentials(trust)));
  loyalty::v1::EnrollMemberRequest enroll;
  *enroll.mutable_context() = loyalty::testing::PosContext("enroll-tls");
  enroll.set_member_id("tls-member");
  loyalty::v1::EnrollMemberResponse enrolled;
  auto context = ContextWithKey("pos-key");
  grpc::Status status = tls_stub->EnrollMember(context.get(), enroll, &enrolled);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(enrolled.member().member_id() == "tls-member");

  // Plaintext, or TLS trusting some other certificate, gets nothing.
  auto plaintext_stub = loyalty::v1::LoyaltyService::NewStub(
      grpc::CreateChannel(server.address(),
                          grpc::InsecureChannelCredentials()));
  loyalty::v1::GetBalanceRequest balance_request;
  balance_request.set_member_id("tls-member");
  loyalty::v1::Balance balance;
  grpc::ClientContext plaintext_context;
  plaintext_context.set_deadline(std::chrono::system_clock::now() +
                                 std::chrono::seconds(2));
  plaintext_context.AddMetadata("authorization", "Bearer pos-key");
  CHECK(plaintext_stub->GetBalance(&plaintext_context, balance_request, &balance)
            .error_code() == grpc::StatusCode::UNAVAILABLE);

  std::filesystem::create_directories(dir.path() + "/other");
  TestCertificate other = MakeTestCertificate(dir.path() + "/other");
  grpc::SslCredentialsOptions wrong_trust;
  wrong_trust.pem_root_certs = other.cert_pem;
  auto untrusting_stub = loyalty::v1::LoyaltyService::NewStub(
      grpc::CreateChannel(server.address(), grpc::SslCredentials(wrong_trust)));
  grpc::ClientContext untrusting_context;
  untrusting_context.set_deadline(std::chrono::system_clock::now() +
                                  std::chrono::seconds(2));
  untrusting_context.AddMetadata("authorization", "Bearer pos-key");
  CHECK(untrusting_stub
            ->GetBalance(&untrusting_context, balance_request, &balance)
            .error_code() == grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace loyalty
