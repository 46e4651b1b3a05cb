#include "tests/server/server_test_util.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "catch2/catch.hpp"
#include "ledger/common/hashing.h"

namespace loyalty::testing {

loyalty::v1::ProgramConfig TestProgram() {
  loyalty::v1::ProgramConfig program;
  program.set_program_id("test-program");
  auto* eur = program.add_earn_rates();
  eur->set_rule_id("base-eur");
  eur->set_currency("EUR");
  eur->set_spend_minor_per_step(100);
  eur->set_points_per_step(1);
  auto* survey = program.add_engagement_events();
  survey->set_event_id("survey");
  survey->set_points(15);
  survey->set_max_per_member(1);
  program.set_default_phone_region("DE");
  program.mutable_transfer_rules()->set_per_transfer_max_points(50);
  program.mutable_transfer_rules()->set_per_day_max_points(80);
  auto* coupon = program.add_coupon_templates();
  coupon->set_template_id("coffee-twice");
  coupon->set_display_name("Two free coffees");
  coupon->set_free_item_sku("COFFEE-S");
  coupon->set_valid_days_after_issue(7);
  coupon->set_uses_per_coupon(2);
  // Tills may let a member redeem a few points offline; one short of
  // points goes into debt down to -300 on sync.
  program.mutable_offline_redemption()->set_points_per_member_day(500);
  program.mutable_offline_redemption()->set_when_short(
      loyalty::v1::OFFLINE_SHORTFALL_POLICY_DEBT);
  program.set_negative_balance_floor_points(-300);
  return program;
}

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "loyalty-test-XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

namespace {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

}  // namespace

namespace {

// Runs `command` (openssl), which must succeed, and reads what it wrote.
TestCertificate RunOpenssl(const std::string& command,
                           const std::string& cert_path,
                           const std::string& key_path) {
  INFO(command);
  REQUIRE(std::system(("(" + command + ") >/dev/null 2>&1").c_str()) == 0);
  TestCertificate certificate{ReadWholeFile(cert_path), ReadWholeFile(key_path),
                              cert_path, key_path};
  REQUIRE(!certificate.cert_pem.empty());
  REQUIRE(!certificate.key_pem.empty());
  return certificate;
}

// P-256 keys: made in milliseconds, where RSA takes a good part of a second.
constexpr const char* kNewKey =
    "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
constexpr const char* kLocalNames =
    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1";

}  // namespace

TestCertificate MakeTestCertificate(const std::string& dir) {
  const std::string cert_path = dir + "/test-cert.pem";
  const std::string key_path = dir + "/test-key.pem";
  return RunOpenssl(std::string("openssl req -x509 ") + kNewKey +
                        " -subj /CN=localhost " + kLocalNames +
                        " -days 2 -keyout '" + key_path + "' -out '" +
                        cert_path + "'",
                    cert_path, key_path);
}

TestCertificate MakeTestCa(const std::string& dir, const std::string& name) {
  const std::string cert_path = dir + "/" + name + ".pem";
  const std::string key_path = dir + "/" + name + ".key";
  return RunOpenssl(std::string("openssl req -x509 ") + kNewKey +
                        " -subj '/O=Loyalty Test/CN=" + name +
                        "' -days 2 -keyout '" + key_path + "' -out '" +
                        cert_path + "'",
                    cert_path, key_path);
}

TestCertificate IssueTestCertificate(const TestCertificate& ca,
                                     const std::string& dir,
                                     const std::string& name,
                                     const std::string& subject,
                                     bool expired) {
  const std::string base = dir + "/" + name;
  const std::string command =
      std::string("openssl req ") + kNewKey + " -subj '" + subject + "' " +
      kLocalNames + " -keyout '" + base + ".key' -out '" + base +
      ".csr' && openssl x509 -req -in '" + base + ".csr' -CA '" +
      ca.cert_path + "' -CAkey '" + ca.key_path +
      "' -set_serial " + std::to_string(std::rand()) +
      " -copy_extensions copy -days " + (expired ? "-1" : "2") + " -out '" +
      base + ".pem'";
  return RunOpenssl(command, base + ".pem", base + ".key");
}

std::string TestKeysFileText() {
  auto key = [](const std::string& principal, const std::string& key,
                const std::string& role_and_scope) {
    return "keys { principal: \"" + principal + "\" key_sha256_hex: \"" +
           HexEncode(Sha256(key)) + "\" " + role_and_scope + " }\n";
  };
  return key("pos-terminal", "pos-key", "role: ROLE_POS all_stores: true") +
         key("app-backend", "app-key", "role: ROLE_APP") +
         key("operator", "admin-key", "role: ROLE_ADMIN") +
         key("store-12-pos", "store-12-key",
             "role: ROLE_POS store_ids: \"12\" store_ids: \"14\"") +
         key("airline-partner", "partner-key",
             "role: ROLE_PARTNER partner_id: \"airline\"") +
         key("auditor", "auditor-key", "role: ROLE_AUDITOR");
}

const std::string& TestKeysFile() {
  // One file for the whole test binary, removed when it exits.
  static const TempDir dir;
  static const std::string path = [] {
    const std::string file = dir.path() + "/keys.textproto";
    std::ofstream(file) << TestKeysFileText();
    return file;
  }();
  return path;
}

ServerOptions TestServerOptions(const std::string& data_dir) {
  ServerOptions options;
  options.keys_file = TestKeysFile();
  options.listen_address = "127.0.0.1:0";
  options.data_dir = data_dir;
  options.sweep_interval_ms = 0;
  options.ledger.identifier_key = "server-test-identifier-key";
  return options;
}

TestServer::TestServer(const std::string& data_dir, int64_t sweep_interval_ms)
    : TestServer(
          [&] {
            ServerOptions options = TestServerOptions(data_dir);
            options.sweep_interval_ms = sweep_interval_ms;
            return options;
          }(),
          nullptr) {}

TestServer::TestServer(const ServerOptions& options, const Clock* clock) {
  auto server = LoyaltyServer::Start(TestProgram(), options,
                                     clock != nullptr ? clock : &clock_);
  INFO(server.status().ToString());
  REQUIRE(server.ok());
  server_ = std::move(*server);
}

TestServer::~TestServer() { server_->Shutdown(); }

std::string TestServer::address() const {
  return "127.0.0.1:" + std::to_string(port());
}

std::shared_ptr<grpc::Channel> TestServer::NewChannel() const {
  // A distinct channel arg gives each caller its own connection.
  grpc::ChannelArguments args;
  args.SetInt("loyalty.test.channel_id", std::rand());
  return grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(),
                                   args);
}

std::unique_ptr<loyalty::v1::LoyaltyService::Stub> TestServer::LoyaltyStub()
    const {
  return loyalty::v1::LoyaltyService::NewStub(NewChannel());
}

std::unique_ptr<loyalty::v1::AdminService::Stub> TestServer::AdminStub() const {
  return loyalty::v1::AdminService::NewStub(NewChannel());
}

std::unique_ptr<grpc::ClientContext> ContextWithKey(const std::string& key) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(20));
  // A new channel's first connect can fail transiently when several connect
  // at once; without wait_for_ready every call in the reconnect backoff fails
  // at once with UNAVAILABLE. Tests assert the server's answers, not that.
  context->set_wait_for_ready(true);
  return context;
}

std::string ReasonOf(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("loyalty-reason");
  if (it == trailers.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

loyalty::v1::RequestContext PosContext(const std::string& request_id) {
  loyalty::v1::RequestContext context;
  context.set_request_id(request_id);
  context.set_channel(loyalty::v1::CHANNEL_POS);
  context.set_store_id("store-7");
  context.set_terminal_id("till-2");
  return context;
}

void EnrollAppMember(const TestServer& server, const std::string& member_id) {
  loyalty::v1::EnrollMemberRequest enroll;
  enroll.mutable_context()->set_request_id("enroll-" + member_id);
  enroll.mutable_context()->set_channel(loyalty::v1::CHANNEL_APP);
  enroll.set_member_id(member_id);
  loyalty::v1::EnrollMemberResponse enrolled;
  auto context = ContextWithKey("admin-key");
  REQUIRE(server.LoyaltyStub()
              ->EnrollMember(context.get(), enroll, &enrolled)
              .ok());
}

}  // namespace loyalty::testing
