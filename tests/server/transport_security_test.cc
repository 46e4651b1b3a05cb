// loyaltyd's port: TLS with a certificate and key, plaintext only on
// loopback unless allowed, and every mistake named before anything opens.
#include "server/transport_security.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
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

TEST_CASE(
    "plaintext beyond loopback is refused unless allowed, naming the "
    "way out",
    "[server][tls]") {
  TransportSecurityOptions plaintext;
  auto refused = TransportSecurity::Create("0.0.0.0:50051", plaintext);
  REQUIRE(absl::IsInvalidArgument(refused.status()));
  CHECK(refused.status().message().find("--listen: 0.0.0.0:50051") !=
        std::string::npos);
  CHECK(refused.status().message().find("--tls-cert") != std::string::npos);
  CHECK(refused.status().message().find("--allow-plaintext") !=
        std::string::npos);
  CHECK(TransportSecurity::Create("127.0.0.1:0", plaintext).ok());
  plaintext.allow_plaintext = true;
  CHECK(TransportSecurity::Create("0.0.0.0:50051", plaintext).ok());
}

// The files of `pem` in `dir`, named `name`.
std::string WritePem(const std::string& dir, const std::string& name,
                     const std::string& pem) {
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << pem;
  return path;
}

// TransportSecurity::Create's refusal of these files, on an address beyond
// loopback.
std::string RefusalOf(const std::string& cert_path, const std::string& key_path,
                      const std::string& client_ca_path = "") {
  TransportSecurityOptions options;
  options.tls_cert_path = cert_path;
  options.tls_key_path = key_path;
  options.tls_client_ca_path = client_ca_path;
  auto security = TransportSecurity::Create("0.0.0.0:1", options);
  REQUIRE(absl::IsInvalidArgument(security.status()));
  return std::string(security.status().message());
}

TEST_CASE(
    "a certificate without its key, a key that is not its, or text "
    "that is not PEM is refused naming the flag",
    "[server][tls]") {
  TempDir dir;
  TestCertificate certificate = MakeTestCertificate(dir.path());
  std::filesystem::create_directories(dir.path() + "/other");
  TestCertificate other = MakeTestCertificate(dir.path() + "/other");
  const std::string not_pem = WritePem(dir.path(), "not.pem", "not PEM");
  const std::string empty = WritePem(dir.path(), "empty.pem", "");
  CHECK(RefusalOf(certificate.cert_path, "") ==
        "--tls-key: is required with --tls-cert");
  CHECK(RefusalOf("", certificate.key_path) ==
        "--tls-cert: is required with --tls-key");
  CHECK(RefusalOf(dir.path() + "/missing.pem", certificate.key_path) ==
        "--tls-cert: cannot read " + dir.path() + "/missing.pem");
  CHECK(RefusalOf(certificate.cert_path, empty) ==
        "--tls-key: " + empty + " is empty");
  CHECK(RefusalOf(not_pem, certificate.key_path)
            .starts_with("--tls-cert: holds no PEM certificate"));
  CHECK(RefusalOf(certificate.cert_path, certificate.cert_path)
            .starts_with("--tls-key: holds no unencrypted PEM private key"));
  CHECK(RefusalOf(certificate.cert_path, other.key_path) ==
        "--tls-key: is not the key of the --tls-cert certificate");
  TransportSecurityOptions matching;
  matching.tls_cert_path = certificate.cert_path;
  matching.tls_key_path = certificate.key_path;
  CHECK(TransportSecurity::Create("0.0.0.0:1", matching).ok());
}

TEST_CASE(
    "a client CA that is missing, not PEM, or without TLS, and a reload "
    "interval out of range, are refused naming the flag",
    "[server][tls][mtls]") {
  TempDir dir;
  TestCertificate certificate = MakeTestCertificate(dir.path());
  const std::string not_pem = WritePem(dir.path(), "not.pem", "not PEM");
  CHECK(RefusalOf(certificate.cert_path, certificate.key_path,
                  dir.path() + "/missing.pem") ==
        "--tls-client-ca: cannot read " + dir.path() + "/missing.pem");
  CHECK(RefusalOf(certificate.cert_path, certificate.key_path, not_pem)
            .starts_with("--tls-client-ca: holds no PEM certificate"));
  CHECK(RefusalOf("", "", certificate.cert_path)
            .starts_with("--tls-client-ca: needs --tls-cert and --tls-key"));
  TransportSecurityOptions options;
  options.tls_cert_path = certificate.cert_path;
  options.tls_key_path = certificate.key_path;
  options.tls_client_ca_path = certificate.cert_path;
  for (int64_t interval_s : {int64_t{0}, int64_t{86'401}}) {
    options.tls_reload_interval_s = interval_s;
    auto security = TransportSecurity::Create("0.0.0.0:1", options);
    REQUIRE(absl::IsInvalidArgument(security.status()));
    CHECK(absl::StartsWith(
        security.status().message(),
        "--tls-reload-interval-s: must be between 1 and 86400"));
  }
  options.tls_reload_interval_s = 1;
  auto security = TransportSecurity::Create("0.0.0.0:1", options);
  REQUIRE(security.ok());
  CHECK((*security)->tls());
  CHECK((*security)->requires_client_certificates());
}

TEST_CASE(
    "a bad certificate stops the server before its data directory is "
    "created",
    "[server][tls]") {
  TempDir dir;
  ServerOptions options = TestServerOptions(dir.path() + "/data");
  options.transport.tls_cert_path =
      WritePem(dir.path(), "cert.pem", "not a certificate");
  options.transport.tls_key_path = WritePem(dir.path(), "key.pem", "not a key");
  SystemClock clock;
  auto started =
      LoyaltyServer::Start(loyalty::testing::TestProgram(), options, &clock);
  CHECK(absl::IsInvalidArgument(started.status()));
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/data"));
}

TEST_CASE(
    "a TLS server answers a client that trusts its certificate and "
    "nobody speaking plaintext",
    "[server][tls]") {
  TempDir dir;
  TestCertificate certificate = MakeTestCertificate(dir.path());
  ServerOptions options = TestServerOptions(dir.path() + "/data");
  options.transport.tls_cert_path = certificate.cert_path;
  options.transport.tls_key_path = certificate.key_path;
  TestServer server(options, nullptr);

  grpc::SslCredentialsOptions trust;
  trust.pem_root_certs = certificate.cert_pem;
  auto tls_stub = loyalty::v1::LoyaltyService::NewStub(
      grpc::CreateChannel(server.address(), grpc::SslCredentials(trust)));
  loyalty::v1::EnrollMemberRequest enroll;
  *enroll.mutable_context() = loyalty::testing::PosContext("enroll-tls");
  enroll.set_member_id("tls-member");
  loyalty::v1::EnrollMemberResponse enrolled;
  auto context = ContextWithKey("pos-key");
  grpc::Status status =
      tls_stub->EnrollMember(context.get(), enroll, &enrolled);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(enrolled.member().member_id() == "tls-member");

  // Plaintext, or TLS trusting some other certificate, gets nothing.
  auto plaintext_stub =
      loyalty::v1::LoyaltyService::NewStub(grpc::CreateChannel(
          server.address(), grpc::InsecureChannelCredentials()));
  loyalty::v1::GetBalanceRequest balance_request;
  balance_request.set_member_id("tls-member");
  loyalty::v1::Balance balance;
  grpc::ClientContext plaintext_context;
  plaintext_context.set_deadline(std::chrono::system_clock::now() +
                                 std::chrono::seconds(2));
  plaintext_context.AddMetadata("authorization", "Bearer pos-key");
  CHECK(
      plaintext_stub->GetBalance(&plaintext_context, balance_request, &balance)
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
