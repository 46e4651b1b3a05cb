// Who may act for which store and which member (server/auth.h), and keys
// that change while loyaltyd runs (server/keys_reloader.h). The role table
// itself is method_table_test.cc's.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "ledger/common/clock.h"
#include "ledger/common/hashing.h"
#include "loyalty/v1/contract.h"
#include "server_test_util.h"

namespace loyalty::testing {
namespace {

using loyalty::v1::Channel;

// An order of 10.00 EUR (10 points) at `store_id`, spoken for `channel`.
loyalty::v1::EarnRequest Order(const std::string& request_id,
                               const std::string& member_id, Channel channel,
                               const std::string& store_id) {
  loyalty::v1::EarnRequest order;
  order.mutable_context()->set_request_id(request_id);
  order.mutable_context()->set_channel(channel);
  order.mutable_context()->set_store_id(store_id);
  order.set_member_id(member_id);
  order.set_order_id(request_id);
  order.set_currency("EUR");
  loyalty::v1::BasketLine* line = order.add_lines();
  line->set_sku("MUG");
  line->set_quantity(1);
  line->set_unit_price_minor(1000);
  return order;
}

struct Outcome {
  grpc::StatusCode code;
  std::string message;
  std::string reason;
};

Outcome Earn(TestServer& server, const std::string& key,
             const loyalty::v1::EarnRequest& order,
             loyalty::v1::EarnResponse* response = nullptr) {
  loyalty::v1::EarnResponse ignored;
  auto context = ContextWithKey(key);
  grpc::Status status = server.LoyaltyStub()->Earn(
      context.get(), order, response != nullptr ? response : &ignored);
  return {status.error_code(), status.error_message(), ReasonOf(*context)};
}

void Enroll(TestServer& server, const std::string& member_id,
            const std::string& partner_account = "") {
  loyalty::v1::EnrollMemberRequest enroll;
  enroll.mutable_context()->set_request_id("enroll-" + member_id);
  enroll.mutable_context()->set_channel(loyalty::v1::CHANNEL_APP);
  enroll.set_member_id(member_id);
  if (!partner_account.empty()) {
    auto* account = enroll.add_identifiers();
    account->set_kind(loyalty::v1::IDENTIFIER_KIND_PARTNER_ACCOUNT);
    account->set_value(partner_account);
  }
  loyalty::v1::EnrollMemberResponse enrolled;
  auto context = ContextWithKey("admin-key");
  REQUIRE(server.LoyaltyStub()
              ->EnrollMember(context.get(), enroll, &enrolled)
              .ok());
}

int64_t Balance(TestServer& server, const std::string& member_id) {
  loyalty::v1::GetBalanceRequest request;
  request.set_member_id(member_id);
  loyalty::v1::Balance balance;
  auto context = ContextWithKey("admin-key");
  REQUIRE(
      server.LoyaltyStub()->GetBalance(context.get(), request, &balance).ok());
  return balance.available_points() + balance.pending_points();
}

TEST_CASE(
    "a POS key writes only for its own stores, and nothing is written "
    "for another",
    "[server][auth]") {
  TempDir dir;
  TestServer server(dir.path());
  Enroll(server, "alice");

  loyalty::v1::EarnResponse earned;
  REQUIRE(Earn(server, "store-12-key",
               Order("o-12", "alice", loyalty::v1::CHANNEL_POS, "12"), &earned)
              .code == grpc::StatusCode::OK);
  CHECK(earned.entry().principal() == "store-12-pos");
  REQUIRE(Earn(server, "store-12-key",
               Order("o-14", "alice", loyalty::v1::CHANNEL_POS, "14"))
              .code == grpc::StatusCode::OK);
  const int64_t before = Balance(server, "alice");

  Outcome other_store =
      Earn(server, "store-12-key",
           Order("o-13", "alice", loyalty::v1::CHANNEL_POS, "13"));
  CHECK(other_store.code == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(other_store.reason == "ERROR_REASON_PERMISSION_DENIED");
  CHECK(absl::StrContains(other_store.message, "store-12-pos (ROLE_POS)"));
  CHECK(absl::StrContains(other_store.message, "store \"13\""));
  Outcome no_store =
      Earn(server, "store-12-key",
           Order("o-none", "alice", loyalty::v1::CHANNEL_POS, ""));
  CHECK(no_store.code == grpc::StatusCode::PERMISSION_DENIED);
  // A till may not pose as the app.
  Outcome as_app =
      Earn(server, "store-12-key",
           Order("o-app", "alice", loyalty::v1::CHANNEL_APP, "12"));
  CHECK(as_app.code == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(absl::StrContains(as_app.message, "CHANNEL_APP"));
  CHECK(Balance(server, "alice") == before);

  // The refused request was not remembered: its id is free for an order
  // the key may send (a remembered id with other content would be
  // ALREADY_EXISTS).
  CHECK(Earn(server, "store-12-key",
             Order("o-13", "alice", loyalty::v1::CHANNEL_POS, "12"))
            .code == grpc::StatusCode::OK);
}

TEST_CASE("app and partner keys speak only for their own channels",
          "[server][auth]") {
  TempDir dir;
  TestServer server(dir.path());
  Enroll(server, "bob", "airline:B-1");
  CHECK(
      Earn(server, "app-key", Order("a-1", "bob", loyalty::v1::CHANNEL_WEB, ""))
          .code == grpc::StatusCode::OK);
  CHECK(Earn(server, "app-key",
             Order("a-2", "bob", loyalty::v1::CHANNEL_POS, "12"))
            .code == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(Earn(server, "partner-key",
             Order("p-1", "bob", loyalty::v1::CHANNEL_APP, ""))
            .code == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(Earn(server, "partner-key",
             Order("p-2", "bob", loyalty::v1::CHANNEL_PARTNER, ""))
            .code == grpc::StatusCode::OK);
  // An operator may speak for any channel.
  CHECK(Earn(server, "admin-key",
             Order("x-1", "bob", loyalty::v1::CHANNEL_POS, "99"))
            .code == grpc::StatusCode::OK);
}

TEST_CASE(
    "a partner key acts only on members with its own partner account, "
    "and looks up only those accounts",
    "[server][auth]") {
  TempDir dir;
  TestServer server(dir.path());
  Enroll(server, "flyer", "airline:A-77");
  Enroll(server, "banker", "bank:Z-1");
  Enroll(server, "plain");

  CHECK(Earn(server, "partner-key",
             Order("p-1", "flyer", loyalty::v1::CHANNEL_PARTNER, ""))
            .code == grpc::StatusCode::OK);
  for (const std::string member : {"banker", "plain", "nobody-at-all"}) {
    INFO(member);
    Outcome refused =
        Earn(server, "partner-key",
             Order("p-" + member, member, loyalty::v1::CHANNEL_PARTNER, ""));
    // The same answer whether or not the member exists.
    CHECK(refused.code == grpc::StatusCode::PERMISSION_DENIED);
    CHECK(
        absl::StrContains(refused.message, "\"airline:...\" partner account"));
  }
  CHECK(Balance(server, "banker") == 0);

  auto lookup = [&](loyalty::v1::IdentifierKind kind,
                    const std::string& value) {
    loyalty::v1::LookupMemberRequest request;
    request.mutable_identifier()->set_kind(kind);
    request.mutable_identifier()->set_value(value);
    loyalty::v1::Member member;
    auto context = ContextWithKey("partner-key");
    grpc::Status status =
        server.LoyaltyStub()->LookupMember(context.get(), request, &member);
    return std::make_pair(status.error_code(), member.member_id());
  };
  CHECK(lookup(loyalty::v1::IDENTIFIER_KIND_PARTNER_ACCOUNT, "airline:A-77") ==
        std::make_pair(grpc::StatusCode::OK, std::string("flyer")));
  CHECK(
      lookup(loyalty::v1::IDENTIFIER_KIND_PARTNER_ACCOUNT, "bank:Z-1").first ==
      grpc::StatusCode::PERMISSION_DENIED);
  CHECK(lookup(loyalty::v1::IDENTIFIER_KIND_EMAIL, "a@example.com").first ==
        grpc::StatusCode::PERMISSION_DENIED);

  // Reads of a member are scoped the same way.
  loyalty::v1::GetBalanceRequest balance_of;
  loyalty::v1::Balance balance;
  balance_of.set_member_id("flyer");
  auto mine = ContextWithKey("partner-key");
  CHECK(
      server.LoyaltyStub()->GetBalance(mine.get(), balance_of, &balance).ok());
  balance_of.set_member_id("banker");
  auto not_mine = ContextWithKey("partner-key");
  CHECK(server.LoyaltyStub()
            ->GetBalance(not_mine.get(), balance_of, &balance)
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);
}

TEST_CASE("a batch with one item out of the key's scope is refused whole",
          "[server][auth]") {
  TempDir dir;
  TestServer server(dir.path());
  Enroll(server, "carol", "airline:C-3");
  Enroll(server, "dave");

  loyalty::v1::SubmitBatchRequest batch;
  *batch.add_mutations()->mutable_earn() =
      Order("b-1", "carol", loyalty::v1::CHANNEL_POS, "12");
  *batch.add_mutations()->mutable_earn() =
      Order("b-2", "carol", loyalty::v1::CHANNEL_POS, "13");
  loyalty::v1::SubmitBatchResponse submitted;
  auto context = ContextWithKey("store-12-key");
  grpc::Status status =
      server.LoyaltyStub()->SubmitBatch(context.get(), batch, &submitted);
  CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(absl::StartsWith(status.error_message(), "mutations[1]: "));

  loyalty::v1::EarnBatchRequest earn_batch;
  *earn_batch.add_events() =
      Order("e-1", "carol", loyalty::v1::CHANNEL_PARTNER, "");
  *earn_batch.add_events() =
      Order("e-2", "dave", loyalty::v1::CHANNEL_PARTNER, "");
  loyalty::v1::EarnBatchResponse earned;
  auto partner = ContextWithKey("partner-key");
  status = server.LoyaltyStub()->EarnBatch(partner.get(), earn_batch, &earned);
  CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(absl::StartsWith(status.error_message(), "events[1]: "));
  CHECK(Balance(server, "carol") == 0);
}

TEST_CASE("an auditor reads statements and verifies, and writes nothing",
          "[server][auth]") {
  TempDir dir;
  TestServer server(dir.path());
  Enroll(server, "erin");
  loyalty::v1::ListEntriesRequest list;
  list.set_member_id("erin");
  loyalty::v1::ListEntriesResponse entries;
  auto read = ContextWithKey("auditor-key");
  CHECK(server.LoyaltyStub()->ListEntries(read.get(), list, &entries).ok());
  CHECK(entries.entries_size() == 1);
  loyalty::v1::VerifyLedgerResponse verified;
  auto verify = ContextWithKey("auditor-key");
  CHECK(server.AdminStub()
            ->VerifyLedger(verify.get(), loyalty::v1::VerifyLedgerRequest(),
                           &verified)
            .ok());
  Outcome write = Earn(server, "auditor-key",
                       Order("w-1", "erin", loyalty::v1::CHANNEL_APP, ""));
  CHECK(write.code == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(absl::StrContains(write.message,
                          "auditor (ROLE_AUDITOR) may not call Earn"));
}

// ---------------------------------------------------------------------------
// Keys that change while the server runs.

std::string KeyLine(const std::string& principal, const std::string& key,
                    const std::string& grant) {
  return "keys { principal: \"" + principal + "\" key_sha256_hex: \"" +
         HexEncode(Sha256(key)) + "\" " + grant + " }\n";
}

void WriteFile(const std::string& path, const std::string& text) {
  // Written beside and renamed over, as a deployment replaces a file, so a
  // poll never reads half of it.
  const std::string next = path + ".next";
  std::ofstream(next, std::ios::trunc) << text;
  REQUIRE(std::rename(next.c_str(), path.c_str()) == 0);
}

// The options of a server over `dir` whose keys file, `dir`/keys.textproto,
// holds `keys_text`, looked at every `poll_interval_ms` (0: only on
// ReloadKeys, as on SIGHUP).
ServerOptions WithKeysFile(const TempDir& dir, const std::string& keys_text,
                           int64_t poll_interval_ms) {
  ServerOptions options = TestServerOptions(dir.path() + "/data");
  options.keys_file = dir.path() + "/keys.textproto";
  options.keys_poll_interval_ms = poll_interval_ms;
  WriteFile(options.keys_file, keys_text);
  return options;
}

grpc::StatusCode BalanceCallAs(TestServer& server, const std::string& key) {
  loyalty::v1::GetBalanceRequest request;
  request.set_member_id("no-such-member");
  loyalty::v1::Balance balance;
  auto context = ContextWithKey(key);
  return server.LoyaltyStub()
      ->GetBalance(context.get(), request, &balance)
      .error_code();
}

bool Authenticates(TestServer& server, const std::string& key) {
  // NOT_FOUND: past authentication, to the (empty) ledger.
  return BalanceCallAs(server, key) == grpc::StatusCode::NOT_FOUND;
}

TEST_CASE(
    "a key rollover: old and new keys work together, then the old one "
    "is gone, without a restart",
    "[server][auth][keys]") {
  TempDir dir;
  // Only ReloadKeys, as on SIGHUP.
  const ServerOptions options = WithKeysFile(
      dir, KeyLine("till-1", "old-key", "role: ROLE_POS all_stores: true"), 0);
  const std::string& keys = options.keys_file;
  TestServer server(options, nullptr);
  CHECK(Authenticates(server, "old-key"));
  CHECK(BalanceCallAs(server, "new-key") == grpc::StatusCode::UNAUTHENTICATED);

  WriteFile(
      keys,
      KeyLine("till-1", "old-key", "role: ROLE_POS all_stores: true") +
          KeyLine("till-1", "new-key", "role: ROLE_POS all_stores: true"));
  CHECK(server.server().ReloadKeys().ok());
  CHECK(Authenticates(server, "old-key"));
  CHECK(Authenticates(server, "new-key"));

  WriteFile(keys,
            KeyLine("till-1", "new-key", "role: ROLE_POS all_stores: true"));
  CHECK(server.server().ReloadKeys().ok());
  CHECK(BalanceCallAs(server, "old-key") == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(Authenticates(server, "new-key"));
}

TEST_CASE("a keys file that does not load keeps the keys loaded before",
          "[server][auth][keys]") {
  TempDir dir;
  const ServerOptions options =
      WithKeysFile(dir, KeyLine("ops", "ops-key", "role: ROLE_ADMIN"), 0);
  const std::string& keys = options.keys_file;
  TestServer server(options, nullptr);

  // Malformed text, an invalid grant, and no file at all.
  WriteFile(keys, "keys { principal: \"ops\" key_sha256_hex: ");
  absl::Status malformed = server.server().ReloadKeys();
  CHECK(malformed.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(malformed.message(), keys + ": line 1"));
  CHECK(Authenticates(server, "ops-key"));

  WriteFile(keys, KeyLine("ops", "ops-key", "role: ROLE_ADMIN") +
                      KeyLine("till", "till-key", "role: ROLE_POS"));
  absl::Status invalid = server.server().ReloadKeys();
  CHECK(invalid.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(invalid.message(), "keys[1].store_ids"));
  CHECK(Authenticates(server, "ops-key"));
  CHECK(BalanceCallAs(server, "till-key") == grpc::StatusCode::UNAUTHENTICATED);

  REQUIRE(std::remove(keys.c_str()) == 0);
  CHECK(server.server().ReloadKeys().code() == absl::StatusCode::kNotFound);
  CHECK(Authenticates(server, "ops-key"));
}

TEST_CASE("a changed keys file is loaded without being asked",
          "[server][auth][keys]") {
  TempDir dir;
  const ServerOptions options =
      WithKeysFile(dir, KeyLine("ops", "ops-key", "role: ROLE_ADMIN"), 20);
  const std::string& keys = options.keys_file;
  TestServer server(options, nullptr);
  WriteFile(keys, KeyLine("ops", "second-key", "role: ROLE_ADMIN"));
  // Within a few polls (a generous bound for a loaded machine).
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!Authenticates(server, "second-key") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(Authenticates(server, "second-key"));
  CHECK(BalanceCallAs(server, "ops-key") == grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE(
    "a principal past its role's rate limit is RESOURCE_EXHAUSTED with "
    "a retry hint, and other principals go on",
    "[server][auth][limits]") {
  ManualClock clock(1'800'000'000'000);
  TempDir dir;
  const ServerOptions options = WithKeysFile(
      dir,
      KeyLine("till-a", "till-a-key", "role: ROLE_POS all_stores: true") +
          KeyLine("till-b", "till-b-key", "role: ROLE_POS all_stores: true") +
          KeyLine("app", "app-key", "role: ROLE_APP") +
          "rate_limits { role: ROLE_POS calls_per_second: 2 "
          "burst_calls: 3 }\n",
      0);
  const std::string& keys = options.keys_file;
  TestServer server(options, &clock);

  auto adjust_as = [&](const std::string& key) {
    // A call the POS role may not make: refused, and still counted.
    loyalty::v1::AdjustRequest request;
    loyalty::v1::AdjustResponse response;
    auto context = ContextWithKey(key);
    return server.AdminStub()
        ->Adjust(context.get(), request, &response)
        .error_code();
  };
  CHECK(adjust_as("till-a-key") == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(Authenticates(server, "till-a-key"));
  CHECK(Authenticates(server, "till-a-key"));  // The burst of 3 is spent.

  loyalty::v1::GetBalanceRequest request;
  request.set_member_id("no-such-member");
  loyalty::v1::Balance balance;
  auto limited = ContextWithKey("till-a-key");
  grpc::Status status =
      server.LoyaltyStub()->GetBalance(limited.get(), request, &balance);
  CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(ReasonOf(*limited) == "ERROR_REASON_RATE_LIMITED");
  CHECK(absl::StrContains(status.error_message(), "retry in 500 ms"));
  auto retry_after = limited->GetServerTrailingMetadata().find(
      contract::kRetryAfterMsMetadataKey);
  REQUIRE(retry_after != limited->GetServerTrailingMetadata().end());
  CHECK(std::string(retry_after->second.data(), retry_after->second.size()) ==
        "500");
  CHECK(limited->GetServerTrailingMetadata().count(
            contract::kTransientMetadataKey) == 1);

  // Another principal of the role has its own bucket; an unlimited role
  // has none.
  CHECK(Authenticates(server, "till-b-key"));
  for (int i = 0; i < 10; ++i) CHECK(Authenticates(server, "app-key"));

  clock.AdvanceMs(499);
  CHECK(BalanceCallAs(server, "till-a-key") ==
        grpc::StatusCode::RESOURCE_EXHAUSTED);
  clock.AdvanceMs(1);
  CHECK(Authenticates(server, "till-a-key"));  // One call a 500 ms.
  CHECK(BalanceCallAs(server, "till-a-key") ==
        grpc::StatusCode::RESOURCE_EXHAUSTED);
  clock.AdvanceMs(60'000);  // Refills to the burst, never past it.
  for (int i = 0; i < 3; ++i) CHECK(Authenticates(server, "till-a-key"));
  CHECK(BalanceCallAs(server, "till-a-key") ==
        grpc::StatusCode::RESOURCE_EXHAUSTED);

  // A reload that lifts the limit lifts it at once.
  WriteFile(keys,
            KeyLine("till-a", "till-a-key", "role: ROLE_POS all_stores: true"));
  REQUIRE(server.server().ReloadKeys().ok());
  CHECK(Authenticates(server, "till-a-key"));
}

TEST_CASE("loyaltyd does not start without a valid keys file",
          "[server][auth][keys]") {
  static const SystemClock clock;
  TempDir dir;
  ServerOptions options = TestServerOptions(dir.path() + "/data");
  options.keys_file = "";
  auto no_flag = LoyaltyServer::Start(TestProgram(), options, &clock);
  CHECK(no_flag.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(no_flag.status().message(), "--keys-file"));

  options.keys_file = dir.path() + "/missing.textproto";
  auto missing = LoyaltyServer::Start(TestProgram(), options, &clock);
  CHECK(missing.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(missing.status().message(), "cannot open"));

  options.keys_file = dir.path() + "/bad.textproto";
  WriteFile(options.keys_file, KeyLine("p", "k", "role: ROLE_PARTNER"));
  auto bad = LoyaltyServer::Start(TestProgram(), options, &clock);
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(bad.status().message(), "keys[0].partner_id"));
  // Nothing was created: the keys are checked before storage opens.
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/data"));
}

}  // namespace
}  // namespace loyalty::testing
