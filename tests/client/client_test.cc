// File: tests/client/client_test.cc
//
// The C++ client library against an in-process loyaltyd, every call over
// TLS (through TlsProxy, with a certificate the test makes).

#include "loyalty/client/client.h"

#include <algorithm>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "loyalty/client/call_status.h"
#include "loyalty/client/retry.h"
#include "tests/client/tls_proxy.h"
#include "tests/server/server_test_util.h"

namespace loyalty::testing {
namespace {

using loyalty::client::CallOptions;
using loyalty::client::Client;
using loyalty::client::ClientOptions;
using loyalty::client::RetryNotice;
using namespace loyalty::v1;  // NOLINT: tests name many messages.

// A ledger reached over TLS: loyaltyd in process, the proxy in front.
struct TlsLedger {
  TempDir dir;
  TempDir cert_dir;
  TestCertificate certificate = MakeTestCertificate(cert_dir.path());
  std::optional<TestServer> server{std::in_place, dir.path()};
  std::optional<TlsProxy> proxy{std::in_place, certificate, server->port()};

  // Options trusting the test's certificate, with short backoff.
  ClientOptions Options(const std::string& api_key) const {
    ClientOptions options;
    options.address = proxy->address();
    options.tls = true;
    options.tls_root_certs_pem = certificate.cert_pem;
    options.api_key = api_key;
    options.call_timeout_ms = 20'000;
    options.retry.attempts_max = 3;
    options.retry.initial_backoff_ms = 20;
    options.retry.backoff_max_ms = 100;
    return options;
  }

  std::unique_ptr<Client> NewClient(const std::string& api_key) const {
    absl::StatusOr<std::unique_ptr<Client>> made =
        Client::Create(Options(api_key));
    INFO(made.status().ToString());
    REQUIRE(made.ok());
    return *std::move(made);
  }

  // Server and proxy again, over the same data, on new ports.
  void Restart() {
    proxy.reset();
    server.reset();
    server.emplace(dir.path());
    proxy.emplace(certificate, server->port());
  }
};

EnrollMemberRequest EnrollRequest(const std::string& member_id) {
  EnrollMemberRequest request;
  *request.mutable_context() = PosContext("");
  request.set_member_id(member_id);
  return request;
}

EarnRequest Basket(const std::string& member_id, const std::string& order_id,
                   int64_t unit_price_minor) {
  EarnRequest request;
  *request.mutable_context() = PosContext("");
  request.set_member_id(member_id);
  request.set_order_id(order_id);
  request.set_currency("EUR");
  BasketLine* line = request.add_lines();
  line->set_sku("SKU-1");
  line->set_quantity(1);
  line->set_unit_price_minor(unit_price_minor);
  return request;
}

bool IsRandomRequestId(const std::string& request_id) {
  return std::regex_match(request_id, std::regex("[0-9a-f]{32}"));
}

// The retries a call made, by what CallOptions::on_retry was told.
struct RetryLog {
  std::vector<RetryNotice> notices;
  CallOptions Options() {
    CallOptions call;
    call.on_retry = [this](const RetryNotice& notice) {
      notices.push_back(notice);
    };
    return call;
  }
};

int64_t EarnEntriesOf(const Client& client, const std::string& member_id) {
  ListEntriesRequest request;
  request.set_member_id(member_id);
  absl::StatusOr<ListEntriesResponse> listed = client.ListEntries(request);
  REQUIRE(listed.ok());
  int64_t earns = 0;
  for (const LedgerEntry& listed_entry : listed->entries()) {
    if (listed_entry.kind() == ENTRY_KIND_EARN) ++earns;
  }
  return earns;
}

TEST_CASE(
    "a write without a request id is sent under 128 random bits the "
    "client chose",
    "[client]") {
  TlsLedger ledger;
  std::unique_ptr<Client> client = ledger.NewClient("pos-key");

  absl::StatusOr<EnrollMemberResponse> alice =
      client->EnrollMember(EnrollRequest("alice"));
  absl::StatusOr<EnrollMemberResponse> bob =
      client->EnrollMember(EnrollRequest("bob"));
  INFO(alice.status().ToString() << " / " << bob.status().ToString());
  REQUIRE(alice.ok());
  REQUIRE(bob.ok());
  CHECK(IsRandomRequestId(alice->entry().request_id()));
  CHECK(IsRandomRequestId(bob->entry().request_id()));
  CHECK(alice->entry().request_id() != bob->entry().request_id());

  // An id the caller gives is sent as it is.
  EnrollMemberRequest cara = EnrollRequest("cara");
  cara.mutable_context()->set_request_id("till-2-receipt-77");
  absl::StatusOr<EnrollMemberResponse> enrolled = client->EnrollMember(cara);
  REQUIRE(enrolled.ok());
  CHECK(enrolled->entry().request_id() == "till-2-receipt-77");
}

TEST_CASE("generated request ids are 32 hex digits and never repeat",
          "[client]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<std::string> request_id =
        loyalty::client::GenerateRequestId();
    REQUIRE(request_id.ok());
    CHECK(IsRandomRequestId(*request_id));
    seen.insert(*request_id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE(
    "a write whose answer was lost is retried under the same request "
    "id and applied once",
    "[client]") {
  TlsLedger ledger;
  {
    // Enrolled past the proxy, so the client's first connection is the
    // earn's.
    auto stub = ledger.server->LoyaltyStub();
    EnrollMemberRequest request = EnrollRequest("alice");
    request.mutable_context()->set_request_id("enroll-alice");
    EnrollMemberResponse response;
    auto context = ContextWithKey("pos-key");
    REQUIRE(stub->EnrollMember(context.get(), request, &response).ok());
  }
  ledger.proxy->LoseAnswersOnNextConnection();
  // Room for a reconnect that fails once more: a retry sent while the
  // channel waits to reconnect fails UNAVAILABLE too.
  ClientOptions options = ledger.Options("pos-key");
  options.retry.attempts_max = 6;
  absl::StatusOr<std::unique_ptr<Client>> made = Client::Create(options);
  REQUIRE(made.ok());
  std::unique_ptr<Client> client = *std::move(made);

  RetryLog retries;
  absl::StatusOr<EarnResponse> earned =
      client->Earn(Basket("alice", "order-1", 12999), retries.Options());
  INFO(earned.status().ToString());
  REQUIRE(earned.ok());
  CHECK(ledger.proxy->answers_lost() == 1);
  CHECK(ledger.proxy->connections() >= 2);
  REQUIRE_FALSE(retries.notices.empty());
  for (const RetryNotice& notice : retries.notices) {
    INFO(notice.failure.ToString());
    CHECK(notice.failure.code() == absl::StatusCode::kUnavailable);
  }
  CHECK(retries.notices[0].attempt_next == 2);
  // The retry got the first attempt's stored answer: same request id.
  CHECK(earned->replayed());
  CHECK(IsRandomRequestId(earned->entry().request_id()));
  CHECK(earned->points_earned() == 129);
  CHECK(EarnEntriesOf(*client, "alice") == 1);
  GetBalanceRequest balance_request;
  balance_request.set_member_id("alice");
  absl::StatusOr<Balance> balance = client->GetBalance(balance_request);
  REQUIRE(balance.ok());
  CHECK(balance->earned_points_total() == 129);
}

TEST_CASE(
    "a refusal comes back with the server's code and ErrorReason, "
    "without a retry",
    "[client]") {
  TlsLedger ledger;
  std::unique_ptr<Client> client = ledger.NewClient("pos-key");
  REQUIRE(client->EnrollMember(EnrollRequest("alice")).ok());

  RedeemRequest redeem;
  *redeem.mutable_context() = PosContext("");
  redeem.set_member_id("alice");
  redeem.set_order_id("order-9");
  redeem.set_points(1000);
  RetryLog retries;
  absl::StatusOr<RedeemResponse> redeemed =
      client->Redeem(redeem, retries.Options());
  REQUIRE(redeemed.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(loyalty::client::ReasonOf(redeemed.status()) ==
        ERROR_REASON_INSUFFICIENT_POINTS);
  CHECK(loyalty::client::ReasonTextOf(redeemed.status()) ==
        "ERROR_REASON_INSUFFICIENT_POINTS");
  CHECK_FALSE(loyalty::client::IsOutcomeUnknown(redeemed.status()));
  CHECK_FALSE(loyalty::client::IsTransientFailure(redeemed.status()));
  CHECK(retries.notices.empty());

  GetMemberRequest nobody;
  nobody.set_member_id("nobody");
  absl::StatusOr<Member> found = client->GetMember(nobody);
  CHECK(found.status().code() == absl::StatusCode::kNotFound);
  CHECK(loyalty::client::ReasonOf(found.status()) ==
        ERROR_REASON_MEMBER_NOT_FOUND);
}

TEST_CASE("a call without an API key is refused by the server", "[client]") {
  TlsLedger ledger;
  std::unique_ptr<Client> client = ledger.NewClient("");
  GetMemberRequest request;
  request.set_member_id("alice");
  CHECK(client->GetMember(request).status().code() ==
        absl::StatusCode::kUnauthenticated);
}

TEST_CASE(
    "a write that still fails after the last attempt is outcome "
    "unknown, and resent later under its request id it applies once",
    "[client]") {
  TlsLedger ledger;
  {
    std::unique_ptr<Client> client = ledger.NewClient("pos-key");
    REQUIRE(client->EnrollMember(EnrollRequest("alice")).ok());
  }
  ledger.server->Shutdown();

  std::unique_ptr<Client> client = ledger.NewClient("pos-key");
  RetryLog write_retries;
  absl::StatusOr<EarnResponse> earned =
      client->Earn(Basket("alice", "order-1", 5000), write_retries.Options());
  REQUIRE_FALSE(earned.ok());
  CHECK(earned.status().code() == absl::StatusCode::kUnavailable);
  CHECK(loyalty::client::IsOutcomeUnknown(earned.status()));
  const std::string request_id =
      loyalty::client::OutcomeUnknownRequestId(earned.status());
  CHECK(IsRandomRequestId(request_id));
  CHECK(write_retries.notices.size() == 2);  // attempts_max 3

  // A read has no outcome to lose: it fails as it is.
  RetryLog read_retries;
  GetBalanceRequest balance_request;
  balance_request.set_member_id("alice");
  absl::StatusOr<Balance> balance =
      client->GetBalance(balance_request, read_retries.Options());
  CHECK(balance.status().code() == absl::StatusCode::kUnavailable);
  CHECK_FALSE(loyalty::client::IsOutcomeUnknown(balance.status()));
  CHECK(loyalty::client::OutcomeUnknownRequestId(balance.status()).empty());
  CHECK(read_retries.notices.size() == 2);

  ledger.Restart();
  std::unique_ptr<Client> later = ledger.NewClient("pos-key");
  EarnRequest resent = Basket("alice", "order-1", 5000);
  resent.mutable_context()->set_request_id(request_id);
  absl::StatusOr<EarnResponse> first = later->Earn(resent);
  absl::StatusOr<EarnResponse> again = later->Earn(resent);
  INFO(first.status().ToString() << " / " << again.status().ToString());
  REQUIRE(first.ok());
  REQUIRE(again.ok());
  CHECK_FALSE(first->replayed());  // The server never saw the lost attempts.
  CHECK(again->replayed());
  CHECK(first->entry().request_id() == request_id);
  CHECK(EarnEntriesOf(*later, "alice") == 1);
}

TEST_CASE("a server the client's roots do not vouch for is never called",
          "[client]") {
  TlsLedger ledger;
  TempDir other_dir;
  const TestCertificate other = MakeTestCertificate(other_dir.path());
  ClientOptions options = ledger.Options("pos-key");
  options.tls_root_certs_pem = other.cert_pem;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  REQUIRE(client.ok());
  absl::StatusOr<EnrollMemberResponse> enrolled =
      (*client)->EnrollMember(EnrollRequest("alice"));
  CHECK(enrolled.status().code() == absl::StatusCode::kUnavailable);

  std::unique_ptr<Client> trusting = ledger.NewClient("pos-key");
  GetMemberRequest alice;
  alice.set_member_id("alice");
  CHECK(trusting->GetMember(alice).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("the TLS server name override names the certificate's host",
          "[client]") {
  TlsLedger ledger;
  ClientOptions options = ledger.Options("pos-key");
  GetMemberRequest nobody;
  nobody.set_member_id("nobody");

  options.tls_server_name_override = "localhost";
  absl::StatusOr<std::unique_ptr<Client>> matching = Client::Create(options);
  REQUIRE(matching.ok());
  CHECK((*matching)->GetMember(nobody).status().code() ==
        absl::StatusCode::kNotFound);

  options.tls_server_name_override = "till.example.com";
  absl::StatusOr<std::unique_ptr<Client>> other = Client::Create(options);
  REQUIRE(other.ok());
  CHECK((*other)->GetMember(nobody).status().code() ==
        absl::StatusCode::kUnavailable);
}

TEST_CASE("a client certificate is presented when the options carry one",
          "[client]") {
  TlsLedger ledger;
  TempDir till_dir;
  const TestCertificate till = MakeTestCertificate(till_dir.path());
  ledger.proxy->RequireClientCertificate(till);
  GetMemberRequest nobody;
  nobody.set_member_id("nobody");

  ClientOptions options = ledger.Options("pos-key");
  options.tls_client_cert_pem = till.cert_pem;
  options.tls_client_key_pem = till.key_pem;
  absl::StatusOr<std::unique_ptr<Client>> presenting = Client::Create(options);
  REQUIRE(presenting.ok());
  absl::StatusOr<Member> answered = (*presenting)->GetMember(nobody);
  INFO(answered.status().ToString());
  CHECK(answered.status().code() == absl::StatusCode::kNotFound);

  // Without it the handshake fails: nothing reaches the server.
  std::unique_ptr<Client> anonymous = ledger.NewClient("pos-key");
  CHECK(anonymous->GetMember(nobody).status().code() ==
        absl::StatusCode::kUnavailable);
}

TEST_CASE("GenerateCoupons streams a batch, and a rerun replays it",
          "[client]") {
  TlsLedger ledger;
  std::unique_ptr<Client> client = ledger.NewClient("admin-key");
  GenerateCouponsRequest request;
  request.set_batch_id("spring-flyer");
  request.set_template_id("coffee-twice");
  request.set_count(25);

  std::vector<std::string> codes;
  bool replayed = false;
  const auto collect = [&](const GenerateCouponsResponse& chunk) {
    codes.insert(codes.end(), chunk.codes().begin(), chunk.codes().end());
    replayed = replayed || chunk.replayed();
    return absl::OkStatus();
  };
  absl::Status generated = client->GenerateCoupons(request, collect);
  INFO(generated.ToString());
  REQUIRE(generated.ok());
  REQUIRE(codes.size() == 25);
  CHECK_FALSE(replayed);

  const std::vector<std::string> first_codes = codes;
  codes.clear();
  REQUIRE(client->GenerateCoupons(request, collect).ok());
  CHECK(replayed);
  CHECK(codes == first_codes);

  // A chunk the caller cannot take ends the call with the caller's status.
  absl::Status refused =
      client->GenerateCoupons(request, [](const GenerateCouponsResponse&) {
        return absl::DataLossError("disk full");
      });
  CHECK(refused == absl::DataLossError("disk full"));

  request.set_template_id("no-such-template");
  request.set_batch_id("other");
  absl::Status unknown = client->GenerateCoupons(request, collect);
  CHECK(unknown.code() == absl::StatusCode::kNotFound);
  CHECK(loyalty::client::ReasonOf(unknown) ==
        ERROR_REASON_COUPON_TEMPLATE_NOT_FOUND);
}

// A typed method's name, checked at compile time to be a member of Client.
#define TYPED_METHOD(name) (static_cast<void>(&Client::name), #name)

TEST_CASE("every RPC of both services has a typed method", "[client]") {
  // A new RPC in the contract fails this test until client.h has its line.
  const std::set<std::string> typed_loyalty = {
      TYPED_METHOD(EnrollMember),
      TYPED_METHOD(GetMember),
      TYPED_METHOD(Earn),
      TYPED_METHOD(QuoteEarn),
      TYPED_METHOD(RecordEvent),
      TYPED_METHOD(Redeem),
      TYPED_METHOD(GetBalance),
      TYPED_METHOD(HoldPoints),
      TYPED_METHOD(Return),
      TYPED_METHOD(CapturePoints),
      TYPED_METHOD(ReleasePoints),
      TYPED_METHOD(ListEntries),
      TYPED_METHOD(EarnBatch),
      TYPED_METHOD(SubmitBatch),
      TYPED_METHOD(LookupMember),
      TYPED_METHOD(LinkIdentifier),
      TYPED_METHOD(UnlinkIdentifier),
      TYPED_METHOD(TransferPoints),
      TYPED_METHOD(IssueCoupon),
      TYPED_METHOD(RedeemCoupon),
      TYPED_METHOD(GetCoupon),
      TYPED_METHOD(ValidateCoupon),
      TYPED_METHOD(ReserveCoupon),
      TYPED_METHOD(CommitCoupon),
      TYPED_METHOD(ReleaseCoupon),
      TYPED_METHOD(IssueVoucher),
      TYPED_METHOD(RedeemVoucherUnits),
      TYPED_METHOD(TransferVoucherUnits),
      TYPED_METHOD(GetVoucher),
      TYPED_METHOD(GiftVoucherUnits),
      TYPED_METHOD(ClaimVoucherGift),
      TYPED_METHOD(RefundVoucherUnits),
      TYPED_METHOD(RedeemReward),
      TYPED_METHOD(CancelReward),
      TYPED_METHOD(ListRewards),
      TYPED_METHOD(ListWallet),
  };
  const std::set<std::string> typed_admin = {
      TYPED_METHOD(Adjust),          TYPED_METHOD(VerifyLedger),
      TYPED_METHOD(GetServerStats),  TYPED_METHOD(ImportMembers),
      TYPED_METHOD(CloseMember),     TYPED_METHOD(MergeMembers),
      TYPED_METHOD(GenerateCoupons), TYPED_METHOD(ListOfflineReconciliations),
      TYPED_METHOD(WatchEntries),    TYPED_METHOD(Backup),
  };
  const auto names_of = [](const google::protobuf::ServiceDescriptor* service) {
    std::set<std::string> names;
    for (int i = 0; i < service->method_count(); ++i) {
      names.insert(service->method(i)->name());
    }
    return names;
  };
  const google::protobuf::FileDescriptor* contract =
      EarnRequest::descriptor()->file();
  CHECK(names_of(contract->FindServiceByName("LoyaltyService")) ==
        typed_loyalty);
  CHECK(names_of(contract->FindServiceByName("AdminService")) == typed_admin);
}

#undef TYPED_METHOD

TEST_CASE("options that break a rule are refused, naming the field",
          "[client]") {
  const auto refusal = [](ClientOptions options) {
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
    REQUIRE_FALSE(client.ok());
    CHECK(client.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(client.status().message());
  };
  ClientOptions good;
  good.address = "127.0.0.1:1";
  good.api_key = "pos-key";
  REQUIRE(Client::Create(good).ok());

  ClientOptions options = good;
  options.address = "";
  CHECK_THAT(refusal(options), Catch::StartsWith("address: "));
  options = good;
  options.address = "bad host:1";
  CHECK_THAT(refusal(options), Catch::StartsWith("address: "));
  options = good;
  options.api_key = "two words";
  CHECK_THAT(refusal(options), Catch::StartsWith("api_key: "));
  options = good;
  options.call_timeout_ms = 0;
  CHECK_THAT(refusal(options), Catch::StartsWith("call_timeout_ms: "));
  options.call_timeout_ms = loyalty::client::kCallTimeoutMsMax + 1;
  CHECK_THAT(refusal(options), Catch::StartsWith("call_timeout_ms: "));
  options = good;
  options.retry.attempts_max = 0;
  CHECK_THAT(refusal(options), Catch::StartsWith("retry.attempts_max: "));
  options.retry.attempts_max = loyalty::client::kAttemptsMax + 1;
  CHECK_THAT(refusal(options), Catch::StartsWith("retry.attempts_max: "));
  options = good;
  options.retry.initial_backoff_ms = 0;
  CHECK_THAT(refusal(options), Catch::StartsWith("retry.initial_backoff_ms: "));
  options = good;
  options.retry.backoff_max_ms = options.retry.initial_backoff_ms - 1;
  CHECK_THAT(refusal(options), Catch::StartsWith("retry.backoff_max_ms: "));
  options.retry.backoff_max_ms = loyalty::client::kBackoffMsMax + 1;
  CHECK_THAT(refusal(options), Catch::StartsWith("retry.backoff_max_ms: "));
  options = good;
  options.tls_client_cert_pem = "-----BEGIN CERTIFICATE-----";
  CHECK_THAT(refusal(options), Catch::StartsWith("tls_client_key_pem: "));
  options = good;
  options.tls_client_key_pem = "-----BEGIN PRIVATE KEY-----";
  CHECK_THAT(refusal(options), Catch::StartsWith("tls_client_cert_pem: "));
  TempDir cert_dir;
  const TestCertificate certificate = MakeTestCertificate(cert_dir.path());
  options = good;
  options.tls_root_certs_pem = "trust me";
  CHECK_THAT(refusal(options), Catch::StartsWith("tls_root_certs_pem: "));
  // A second certificate cut short.
  options.tls_root_certs_pem =
      certificate.cert_pem +
      certificate.cert_pem.substr(0, certificate.cert_pem.size() / 2);
  CHECK_THAT(refusal(options), Catch::StartsWith("tls_root_certs_pem: "));
  options.tls_root_certs_pem = certificate.cert_pem;
  REQUIRE(Client::Create(options).ok());
  options = good;
  options.tls_client_cert_pem = certificate.key_pem;
  options.tls_client_key_pem = certificate.key_pem;
  CHECK_THAT(refusal(options), Catch::StartsWith("tls_client_cert_pem: "));
  options.tls_client_cert_pem = certificate.cert_pem;
  options.tls_client_key_pem = certificate.cert_pem;
  CHECK_THAT(refusal(options), Catch::StartsWith("tls_client_key_pem: "));
  options.tls_client_key_pem = certificate.key_pem;
  REQUIRE(Client::Create(options).ok());
  options = good;
  options.tls = false;
  options.tls_root_certs_pem = "-----BEGIN CERTIFICATE-----";
  CHECK_THAT(refusal(options), Catch::StartsWith("tls_root_certs_pem: "));
  options = good;
  options.tls_server_name_override = "two words";
  CHECK_THAT(refusal(options), Catch::StartsWith("tls_server_name_override: "));
}

TEST_CASE("backoff pauses fill the capped exponential range and stay in it",
          "[client]") {
  loyalty::client::RetryPolicy policy;
  policy.initial_backoff_ms = 100;
  policy.backoff_max_ms = 1000;
  CHECK(loyalty::client::BackoffCeilingMs(policy, 0) == 100);
  CHECK(loyalty::client::BackoffCeilingMs(policy, 1) == 200);
  CHECK(loyalty::client::BackoffCeilingMs(policy, 3) == 800);
  CHECK(loyalty::client::BackoffCeilingMs(policy, 4) == 1000);
  CHECK(loyalty::client::BackoffCeilingMs(policy, 1000) == 1000);

  std::mt19937_64 random(4242);
  for (int retry_index = 0; retry_index < 8; ++retry_index) {
    const int64_t ceiling_ms =
        loyalty::client::BackoffCeilingMs(policy, retry_index);
    int64_t low_ms = ceiling_ms;
    int64_t high_ms = 0;
    for (int draw = 0; draw < 2000; ++draw) {
      const int64_t pause_ms =
          loyalty::client::FullJitterBackoffMs(policy, retry_index, random);
      REQUIRE(pause_ms >= 0);
      REQUIRE(pause_ms <= ceiling_ms);
      low_ms = std::min(low_ms, pause_ms);
      high_ms = std::max(high_ms, pause_ms);
    }
    // Full jitter: the draws spread over the whole range, not near its top.
    INFO("retry " << retry_index);
    CHECK(low_ms <= ceiling_ms / 20);
    CHECK(high_ms >= ceiling_ms - ceiling_ms / 20);
  }
}

}  // namespace
}  // namespace loyalty::testing
