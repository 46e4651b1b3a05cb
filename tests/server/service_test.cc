// In-process integration tests: a real LoyaltyServer on a loopback port,
// called through the generated stubs, as a POS or the app would.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <algorithm>
#include <tuple>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "catch2/catch.hpp"
#include "grpcpp/generic/generic_stub.h"
#include "tests/server/server_test_util.h"

namespace loyalty::testing {
namespace {

using namespace loyalty::v1;  // NOLINT: tests name many messages.

EnrollMemberResponse Enroll(LoyaltyService::Stub& stub,
                            const std::string& member_id) {
  EnrollMemberRequest request;
  *request.mutable_context() = PosContext("enroll-" + member_id);
  request.set_member_id(member_id);
  EnrollMemberResponse response;
  auto context = ContextWithKey("pos-key");
  grpc::Status status = stub.EnrollMember(context.get(), request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return response;
}

EarnRequest Basket(const std::string& member_id, const std::string& order_id,
                   int64_t unit_price_minor, int64_t quantity = 1) {
  EarnRequest request;
  *request.mutable_context() = PosContext("earn-" + order_id);
  request.set_member_id(member_id);
  request.set_order_id(order_id);
  request.set_currency("EUR");
  BasketLine* line = request.add_lines();
  line->set_sku("SKU-1");
  line->set_category("grocery");
  line->set_quantity(quantity);
  line->set_unit_price_minor(unit_price_minor);
  return request;
}

TEST_CASE("a POS enrols, earns, redeems and reads a statement over gRPC",
          "[server]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  Enroll(*stub, "alice");

  EarnResponse earned;
  auto earn_context = ContextWithKey("pos-key");
  REQUIRE(stub->Earn(earn_context.get(), Basket("alice", "order-1", 12999),
                     &earned)
              .ok());
  CHECK(earned.points_earned() == 129);
  CHECK(earned.breakdown_size() == 1);
  CHECK(earned.breakdown(0).rule_id() == "base-eur");
  CHECK(earned.balance().available_points() == 129);
  CHECK(earned.entry().principal() == "pos-terminal");
  CHECK(earned.entry().store_id() == "store-7");
  CHECK(earned.entry().terminal_id() == "till-2");
  CHECK(earned.entry().hash().size() == 32);

  RedeemRequest redeem;
  *redeem.mutable_context() = PosContext("redeem-1");
  redeem.set_member_id("alice");
  redeem.set_order_id("order-2");
  redeem.set_points(29);
  RedeemResponse redeemed;
  auto redeem_context = ContextWithKey("pos-key");
  REQUIRE(stub->Redeem(redeem_context.get(), redeem, &redeemed).ok());
  CHECK(redeemed.balance().available_points() == 100);

  GetBalanceRequest balance_request;
  balance_request.set_member_id("alice");
  Balance balance;
  auto balance_context = ContextWithKey("app-key");
  REQUIRE(stub->GetBalance(balance_context.get(), balance_request, &balance)
              .ok());
  CHECK(balance.available_points() == 100);
  CHECK(balance.earned_points_total() == 129);
  CHECK(balance.redeemed_points_total() == 29);

  ListEntriesRequest list;
  list.set_member_id("alice");
  ListEntriesResponse statement;
  auto list_context = ContextWithKey("app-key");
  REQUIRE(stub->ListEntries(list_context.get(), list, &statement).ok());
  REQUIRE(statement.entries_size() == 3);
  CHECK(statement.entries(0).kind() == ENTRY_KIND_REDEEM);
  CHECK(statement.entries(1).kind() == ENTRY_KIND_EARN);
  CHECK(statement.entries(2).kind() == ENTRY_KIND_ENROLL);
}

TEST_CASE("QuoteEarn answers what Earn then grants, for the channels the "
          "key may speak for",
          "[server]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  Enroll(*stub, "alice");
  EarnRequest request = Basket("alice", "order-1", 4550, 2);
  QuoteEarnResponse quote;
  auto quote_context = ContextWithKey("pos-key");
  grpc::Status quoted = stub->QuoteEarn(quote_context.get(), request, &quote);
  INFO(quoted.error_message());
  REQUIRE(quoted.ok());
  CHECK(quote.points() == 91);
  CHECK(quote.spend_minor() == 9100);
  REQUIRE(quote.breakdown_size() == 1);

  EarnResponse earned;
  auto earn_context = ContextWithKey("pos-key");
  REQUIRE(stub->Earn(earn_context.get(), request, &earned).ok());
  CHECK(earned.points_earned() == quote.points());
  CHECK(earned.breakdown(0).SerializeAsString() ==
        quote.breakdown(0).SerializeAsString());
  // The quote wrote nothing: enroll and earn are the only entries.
  CHECK(earned.entry().sequence() == 2);

  // A POS-only key may not quote as the app.
  EarnRequest as_app = request;
  as_app.mutable_context()->set_channel(CHANNEL_APP);
  auto denied_context = ContextWithKey("pos-key");
  CHECK(stub->QuoteEarn(denied_context.get(), as_app, &quote).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  auto anonymous = std::make_unique<grpc::ClientContext>();
  CHECK(stub->QuoteEarn(anonymous.get(), request, &quote).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  EarnRequest unknown = request;
  unknown.set_member_id("nobody");
  auto unknown_context = ContextWithKey("pos-key");
  CHECK(stub->QuoteEarn(unknown_context.get(), unknown, &quote).error_code() ==
        grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("RecordEvent grants an event's points once, and says why not "
          "the second time",
          "[server]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  Enroll(*stub, "alice");
  RecordEventRequest request;
  *request.mutable_context() = PosContext("survey-1");
  request.set_member_id("alice");
  request.set_event_id("survey");
  RecordEventResponse recorded;
  auto context = ContextWithKey("pos-key");
  grpc::Status status = stub->RecordEvent(context.get(), request, &recorded);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(recorded.points_earned() == 15);
  CHECK(recorded.entry().kind() == ENTRY_KIND_EVENT);
  CHECK(recorded.balance().available_points() == 15);

  request.mutable_context()->set_request_id("survey-2");
  auto again_context = ContextWithKey("pos-key");
  grpc::Status again = stub->RecordEvent(again_context.get(), request, &recorded);
  CHECK(again.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  bool reason_sent = false;
  for (const auto& [key, value] : again_context->GetServerTrailingMetadata()) {
    if (std::string(key.data(), key.size()) == "loyalty-reason") {
      CHECK(std::string(value.data(), value.size()) ==
            "ERROR_REASON_EVENT_LIMIT_REACHED");
      reason_sent = true;
    }
  }
  CHECK(reason_sent);
}

void Credit(AdminService::Stub& admin, const std::string& member_id,
            int64_t points) {
  AdjustRequest request;
  request.mutable_context()->set_request_id("credit-" + member_id);
  request.set_member_id(member_id);
  request.set_points_delta(points);
  request.set_reason_code("GOODWILL");
  request.set_operator_id("support.jane");
  AdjustResponse response;
  auto context = ContextWithKey("admin-key");
  REQUIRE(admin.Adjust(context.get(), request, &response).ok());
}

SettleHoldRequest SettleRequest(const std::string& request_id,
                                const std::string& member_id,
                                const std::string& hold_id) {
  SettleHoldRequest request;
  *request.mutable_context() = PosContext(request_id);
  request.set_member_id(member_id);
  request.set_hold_id(hold_id);
  return request;
}

HoldPointsResponse HoldOk(LoyaltyService::Stub& stub,
                          const std::string& request_id,
                          const std::string& member_id, int64_t points,
                          int64_t timeout_ms) {
  HoldPointsRequest request;
  *request.mutable_context() = PosContext(request_id);
  request.set_member_id(member_id);
  request.set_points(points);
  request.set_timeout_ms(timeout_ms);
  HoldPointsResponse held;
  auto context = ContextWithKey("pos-key");
  grpc::Status status = stub.HoldPoints(context.get(), request, &held);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return held;
}

TEST_CASE("a hold over gRPC is captured once; a second capture and an "
          "unknown hold say precisely why not",
          "[server][holds]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  auto admin = server.AdminStub();
  Enroll(*stub, "dana");
  Credit(*admin, "dana", 100);
  HoldPointsResponse held = HoldOk(*stub, "hold-1", "dana", 40, 60'000);
  CHECK(held.balance().held_points() == 40);
  CHECK(held.balance().available_points() == 60);

  SettleHoldResponse captured;
  auto capture_context = ContextWithKey("pos-key");
  REQUIRE(stub->CapturePoints(capture_context.get(),
                              SettleRequest("cap-1", "dana", held.hold_id()),
                              &captured)
              .ok());
  CHECK(captured.entry().kind() == ENTRY_KIND_CAPTURE);
  CHECK(captured.balance().redeemed_points_total() == 40);

  auto release_context = ContextWithKey("pos-key");
  grpc::Status late = stub->ReleasePoints(
      release_context.get(), SettleRequest("rel-1", "dana", held.hold_id()),
      &captured);
  CHECK(late.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(ReasonOf(*release_context) == "ERROR_REASON_HOLD_NOT_ACTIVE");

  auto unknown_context = ContextWithKey("pos-key");
  grpc::Status unknown = stub->CapturePoints(
      unknown_context.get(), SettleRequest("cap-2", "dana", "H999"), &captured);
  CHECK(unknown.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(ReasonOf(*unknown_context) == "ERROR_REASON_HOLD_NOT_FOUND");

  auto malformed_context = ContextWithKey("pos-key");
  grpc::Status malformed = stub->CapturePoints(
      malformed_context.get(), SettleRequest("cap-3", "dana", "hold-1"),
      &captured);
  CHECK(malformed.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(malformed.error_message(), Catch::Contains("hold_id"));
}

TEST_CASE("a return over gRPC takes the order's points back, in any channel",
          "[server][returns]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  Enroll(*stub, "fay");
  EarnResponse earned;
  auto earn_context = ContextWithKey("pos-key");
  REQUIRE(stub->Earn(earn_context.get(), Basket("fay", "order-9", 2000, 1),
                     &earned)
              .ok());
  REQUIRE(earned.points_earned() > 0);

  ReturnRequest request;
  *request.mutable_context() = PosContext("return-1");
  request.set_member_id("fay");
  request.set_order_id("order-9");
  request.set_amount_minor(2000);
  ReturnResponse returned;
  auto context = ContextWithKey("pos-key");
  grpc::Status status = stub->Return(context.get(), request, &returned);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(returned.points_reversed() == earned.points_earned());
  CHECK(returned.balance().available_points() == 0);

  request.mutable_context()->set_request_id("return-2");
  auto again_context = ContextWithKey("pos-key");
  grpc::Status again = stub->Return(again_context.get(), request, &returned);
  CHECK(again.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(ReasonOf(*again_context) == "ERROR_REASON_RETURN_EXCEEDS_ORDER");

  request.set_order_id("never-earned");
  request.mutable_context()->set_request_id("return-3");
  auto unknown_context = ContextWithKey("pos-key");
  grpc::Status unknown =
      stub->Return(unknown_context.get(), request, &returned);
  CHECK(unknown.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(ReasonOf(*unknown_context) == "ERROR_REASON_ORDER_NOT_FOUND");
}

TEST_CASE("loyaltyd's sweep releases a hold that timed out without anyone "
          "touching the member",
          "[server][holds][sweep]") {
  TempDir dir;
  TestServer server(dir.path(), /*sweep_interval_ms=*/50);
  auto stub = server.LoyaltyStub();
  auto admin = server.AdminStub();
  Enroll(*stub, "eve");
  Credit(*admin, "eve", 10);
  HoldPointsResponse held = HoldOk(*stub, "hold-1", "eve", 10, 1000);
  // Wait (up to 20 s, normally ~1 s) for the sweep's RELEASE entry.
  bool released = false;
  for (int attempt = 0; attempt < 400 && !released; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ListEntriesRequest request;
    request.set_member_id("eve");
    request.set_page_size(1);
    ListEntriesResponse page;
    auto context = ContextWithKey("pos-key");
    REQUIRE(stub->ListEntries(context.get(), request, &page).ok());
    released = page.entries_size() == 1 &&
               page.entries(0).kind() == ENTRY_KIND_RELEASE &&
               page.entries(0).hold_timed_out() &&
               page.entries(0).hold_id() == held.hold_id();
  }
  REQUIRE(released);
  ServerStats stats;
  auto stats_context = ContextWithKey("admin-key");
  REQUIRE(admin->GetServerStats(stats_context.get(), GetServerStatsRequest(),
                                &stats)
              .ok());
  CHECK(stats.sweeps() > 0);
  CHECK(stats.sweep_entries_written() == 1);
  CHECK(stats.sweep_members_settled() == 1);
  CHECK(stats.sweep_failures() == 0);
}

TEST_CASE("errors carry the precise gRPC code and a machine-readable reason",
          "[server][errors]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  Enroll(*stub, "bob");

  SECTION("a malformed basket is INVALID_ARGUMENT naming the field") {
    EarnRequest request = Basket("bob", "order-1", 100, /*quantity=*/0);
    EarnResponse response;
    auto context = ContextWithKey("pos-key");
    grpc::Status status = stub->Earn(context.get(), request, &response);
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(status.error_message(),
               Catch::Contains("lines[0].quantity"));
    CHECK(ReasonOf(*context) == "ERROR_REASON_INVALID_FIELD");
  }
  SECTION("an unknown member is NOT_FOUND") {
    EarnResponse response;
    auto context = ContextWithKey("pos-key");
    grpc::Status status =
        stub->Earn(context.get(), Basket("nobody", "order-1", 100), &response);
    CHECK(status.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK(ReasonOf(*context) == "ERROR_REASON_MEMBER_NOT_FOUND");
  }
  SECTION("too few points is FAILED_PRECONDITION with the available amount") {
    RedeemRequest request;
    *request.mutable_context() = PosContext("redeem-too-much");
    request.set_member_id("bob");
    request.set_order_id("order-9");
    request.set_points(5);
    RedeemResponse response;
    auto context = ContextWithKey("pos-key");
    grpc::Status status = stub->Redeem(context.get(), request, &response);
    CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK_THAT(status.error_message(), Catch::Contains("available 0"));
    CHECK(ReasonOf(*context) == "ERROR_REASON_INSUFFICIENT_POINTS");
  }
  SECTION("a request id reused for other content is ALREADY_EXISTS") {
    EarnResponse response;
    auto first = ContextWithKey("pos-key");
    REQUIRE(stub->Earn(first.get(), Basket("bob", "order-1", 100), &response)
                .ok());
    EarnRequest changed = Basket("bob", "order-1", 200);
    auto second = ContextWithKey("pos-key");
    grpc::Status status = stub->Earn(second.get(), changed, &response);
    CHECK(status.error_code() == grpc::StatusCode::ALREADY_EXISTS);
    CHECK(ReasonOf(*second) == "ERROR_REASON_REQUEST_ID_REUSED");
  }
  SECTION("a call without an API key is UNAUTHENTICATED") {
    Balance balance;
    GetBalanceRequest request;
    request.set_member_id("bob");
    auto context = ContextWithKey("");
    CHECK(stub->GetBalance(context.get(), request, &balance).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
    auto wrong = ContextWithKey("not-a-key");
    CHECK(stub->GetBalance(wrong.get(), request, &balance).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
  }
  SECTION("a key may not speak for a channel it was not given") {
    EarnRequest request = Basket("bob", "order-1", 100);
    request.mutable_context()->set_channel(CHANNEL_APP);
    EarnResponse response;
    auto context = ContextWithKey("pos-key");
    CHECK(stub->Earn(context.get(), request, &response).error_code() ==
          grpc::StatusCode::PERMISSION_DENIED);
  }
  SECTION("a channel key may not call AdminService") {
    auto admin = server.AdminStub();
    AdjustRequest request;
    request.mutable_context()->set_request_id("adjust-1");
    request.set_member_id("bob");
    request.set_points_delta(10);
    request.set_reason_code("GOODWILL");
    request.set_operator_id("eve");
    AdjustResponse response;
    auto context = ContextWithKey("pos-key");
    CHECK(admin->Adjust(context.get(), request, &response).error_code() ==
          grpc::StatusCode::PERMISSION_DENIED);
  }
  // Whatever was rejected above, nothing unexpected was written.
  VerifyLedgerResponse verified;
  auto admin = server.AdminStub();
  auto context = ContextWithKey("admin-key");
  REQUIRE(admin->VerifyLedger(context.get(), VerifyLedgerRequest(), &verified)
              .ok());
  CHECK(verified.ok());
}

TEST_CASE("an operator adjustment records operator, reason and the admin "
          "channel, and VerifyLedger passes",
          "[server][admin]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  auto admin = server.AdminStub();
  Enroll(*stub, "carol");
  AdjustRequest request;
  request.mutable_context()->set_request_id("goodwill-1");
  request.set_member_id("carol");
  request.set_points_delta(500);
  request.set_reason_code("GOODWILL");
  request.set_operator_id("support.jane");
  request.set_note("late delivery");
  AdjustResponse response;
  auto context = ContextWithKey("admin-key");
  REQUIRE(admin->Adjust(context.get(), request, &response).ok());
  CHECK(response.entry().channel() == CHANNEL_ADMIN);
  CHECK(response.entry().principal() == "operator");
  CHECK(response.entry().operator_id() == "support.jane");
  CHECK(response.entry().reason_code() == "GOODWILL");
  CHECK(response.balance().available_points() == 500);

  VerifyLedgerResponse verified;
  auto verify_context = ContextWithKey("admin-key");
  REQUIRE(admin->VerifyLedger(verify_context.get(), VerifyLedgerRequest(),
                              &verified)
              .ok());
  CHECK(verified.ok());
  CHECK(verified.entries_checked() == 2);
  CHECK(verified.last_sequence() == 2);
}

TEST_CASE("the standard gRPC health service answers SERVING", "[server]") {
  TempDir dir;
  TestServer server(dir.path());
  grpc::GenericStub generic(server.NewChannel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  // grpc.health.v1.HealthCheckRequest{service: ""} is the empty message;
  // HealthCheckResponse{status: SERVING} is field 1 = 1, bytes 08 01.
  grpc::ByteBuffer request_bytes;
  grpc::Slice empty("");
  request_bytes = grpc::ByteBuffer(&empty, 1);
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status status;
  grpc::ByteBuffer response_bytes;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check",
                    grpc::StubOptions(), &request_bytes, &response_bytes,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mutex);
                      status = s;
                      done = true;
                      done_cv.notify_one();
                    });
  std::unique_lock<std::mutex> lock(mutex);
  done_cv.wait(lock, [&] { return done; });
  REQUIRE(status.ok());
  std::vector<grpc::Slice> slices;
  REQUIRE(response_bytes.Dump(&slices).ok());
  std::string bytes;
  for (const auto& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  CHECK(bytes == std::string("\x08\x01", 2));
}

TEST_CASE("server reflection lists the loyalty services", "[server]") {
  TempDir dir;
  TestServer server(dir.path());
  grpc::GenericStub generic(server.NewChannel());
  grpc::CompletionQueue queue;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  auto call = generic.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      &queue);
  void* tag = nullptr;
  bool ok = false;
  auto next = [&](void* expected) {
    REQUIRE(queue.Next(&tag, &ok));
    REQUIRE(tag == expected);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  REQUIRE(next(reinterpret_cast<void*>(1)));
  // ServerReflectionRequest{list_services: ""}: field 7, length 0.
  grpc::Slice request_slice(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&request_slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  REQUIRE(next(reinterpret_cast<void*>(2)));
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  REQUIRE(next(reinterpret_cast<void*>(3)));
  std::vector<grpc::Slice> slices;
  REQUIRE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  CHECK_THAT(bytes, Catch::Contains("loyalty.v1.LoyaltyService"));
  CHECK_THAT(bytes, Catch::Contains("loyalty.v1.AdminService"));
  CHECK_THAT(bytes, Catch::Contains("grpc.health.v1.Health"));
  call->WritesDone(reinterpret_cast<void*>(4));
  REQUIRE(next(reinterpret_cast<void*>(4)));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  next(reinterpret_cast<void*>(5));
  CHECK(status.ok());
}

TEST_CASE("an offline terminal's batch of earns gets one result per event",
          "[server][batch]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  Enroll(*stub, "erin");
  EarnBatchRequest batch;
  *batch.add_events() = Basket("erin", "b-1", 1000);
  *batch.add_events() = Basket("erin", "b-2", 2000, /*quantity=*/0);  // Bad.
  *batch.add_events() = Basket("nobody", "b-3", 1000);
  *batch.add_events() = Basket("erin", "b-1", 1000);  // Retry of event 0.
  EarnBatchResponse response;
  auto context = ContextWithKey("pos-key");
  REQUIRE(stub->EarnBatch(context.get(), batch, &response).ok());
  REQUIRE(response.results_size() == 4);
  CHECK(response.results(0).code() == 0);
  CHECK(response.results(0).response().points_earned() == 10);
  CHECK(response.results(1).code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(response.results(1).message(),
             Catch::Contains("lines[0].quantity"));
  CHECK(response.results(2).code() == grpc::StatusCode::NOT_FOUND);
  CHECK(response.results(2).reason() == ERROR_REASON_MEMBER_NOT_FOUND);
  CHECK(response.results(3).code() == 0);
  CHECK(response.results(3).response().replayed());
  CHECK(response.results(3).response().entry().sequence() ==
        response.results(0).response().entry().sequence());

  SECTION("an empty batch is INVALID_ARGUMENT naming events") {
    EarnBatchResponse empty_response;
    auto empty_context = ContextWithKey("pos-key");
    grpc::Status status = stub->EarnBatch(empty_context.get(),
                                          EarnBatchRequest(), &empty_response);
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(status.error_message(), Catch::Contains("events"));
  }
  SECTION("an event for a channel the key lacks refuses the whole batch") {
    EarnBatchRequest mixed;
    *mixed.add_events() = Basket("erin", "b-9", 1000);
    *mixed.add_events() = Basket("erin", "b-10", 1000);
    mixed.mutable_events(1)->mutable_context()->set_channel(CHANNEL_APP);
    EarnBatchResponse mixed_response;
    auto mixed_context = ContextWithKey("pos-key");
    grpc::Status status =
        stub->EarnBatch(mixed_context.get(), mixed, &mixed_response);
    CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
    CHECK_THAT(status.error_message(), Catch::Contains("events[1]"));
    auto balance = server.server().ledger().GetBalance("erin");
    REQUIRE(balance.ok());
    CHECK(balance->earned_points_total() == 10);  // b-9 was not applied.
  }
}

TEST_CASE(
    "a phone linked by the app finds the member at a till in another "
    "notation, and a transfer over the limit says why in its reason",
    "[server][members]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  Enroll(*stub, "fay");
  Enroll(*stub, "gus");

  LinkIdentifierRequest link;
  link.mutable_context()->set_request_id("link-1");
  link.mutable_context()->set_channel(CHANNEL_APP);
  link.set_member_id("fay");
  link.mutable_identifier()->set_kind(IDENTIFIER_KIND_PHONE);
  link.mutable_identifier()->set_value("0171 2345678");
  LinkIdentifierResponse linked;
  auto link_context = ContextWithKey("app-key");
  REQUIRE(stub->LinkIdentifier(link_context.get(), link, &linked).ok());
  CHECK(linked.identifiers(0).value().size() == 64);

  LookupMemberRequest lookup;
  lookup.mutable_identifier()->set_kind(IDENTIFIER_KIND_PHONE);
  lookup.mutable_identifier()->set_value("+49 171 234 5678");
  Member found;
  auto lookup_context = ContextWithKey("pos-key");
  REQUIRE(stub->LookupMember(lookup_context.get(), lookup, &found).ok());
  CHECK(found.member_id() == "fay");

  lookup.mutable_identifier()->set_value("+49 171 0000000");
  auto miss_context = ContextWithKey("pos-key");
  grpc::Status miss = stub->LookupMember(miss_context.get(), lookup, &found);
  CHECK(miss.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(ReasonOf(*miss_context) == "ERROR_REASON_MEMBER_NOT_FOUND");

  REQUIRE(server.server().ledger().GetBalance("fay").ok());
  EarnResponse earned;
  auto earn_context = ContextWithKey("pos-key");
  REQUIRE(stub->Earn(earn_context.get(), Basket("fay", "o-1", 10000), &earned)
              .ok());  // 100 points.
  TransferPointsRequest transfer;
  transfer.mutable_context()->set_request_id("gift-1");
  transfer.mutable_context()->set_channel(CHANNEL_APP);
  transfer.set_from_member_id("fay");
  transfer.set_to_member_id("gus");
  transfer.set_points(51);
  TransferPointsResponse moved;
  auto over_context = ContextWithKey("app-key");
  grpc::Status over = stub->TransferPoints(over_context.get(), transfer, &moved);
  CHECK(over.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(ReasonOf(*over_context) == "ERROR_REASON_TRANSFER_LIMIT_REACHED");
  transfer.mutable_context()->set_request_id("gift-2");
  transfer.set_points(50);
  auto ok_context = ContextWithKey("app-key");
  REQUIRE(stub->TransferPoints(ok_context.get(), transfer, &moved).ok());
  CHECK(moved.to_balance().available_points() == 50);
  CHECK(moved.entries(1).sequence() == moved.entries(0).sequence() + 1);
}

TEST_CASE(
    "a coupon issued in the app is shown and used at a till in any "
    "spelling, as often as it allows, and a typo is caught before lookup",
    "[server][coupons]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  Enroll(*stub, "fay");

  loyalty::v1::IssueCouponRequest issue;
  issue.mutable_context()->set_request_id("coupon-1");
  issue.mutable_context()->set_channel(CHANNEL_APP);
  issue.set_member_id("fay");
  issue.set_template_id("coffee-twice");
  loyalty::v1::IssueCouponResponse issued;
  auto issue_context = ContextWithKey("app-key");
  REQUIRE(stub->IssueCoupon(issue_context.get(), issue, &issued).ok());
  const std::string code = issued.coupon().code();
  CHECK(code.size() == 21);
  CHECK(issued.coupon().free_item_sku() == "COFFEE-S");
  CHECK(issued.entry().kind() == loyalty::v1::ENTRY_KIND_COUPON_ISSUE);

  loyalty::v1::GetCouponRequest show;
  show.set_code(absl::AsciiStrToLower(code));
  loyalty::v1::Coupon shown;
  auto show_context = ContextWithKey("pos-key");
  REQUIRE(stub->GetCoupon(show_context.get(), show, &shown).ok());
  CHECK(shown.member_id() == "fay");
  CHECK(shown.state() == loyalty::v1::COUPON_STATE_USABLE);

  auto redeem = [&](const std::string& request_id, const std::string& typed) {
    loyalty::v1::RedeemCouponRequest request;
    *request.mutable_context() = PosContext(request_id);
    request.set_member_id("fay");
    request.set_code(typed);
    request.set_order_id("till-order-" + request_id);
    loyalty::v1::RedeemCouponResponse response;
    auto context = ContextWithKey("pos-key");
    grpc::Status status =
        stub->RedeemCoupon(context.get(), request, &response);
    return std::make_tuple(status, ReasonOf(*context), response);
  };
  std::string without_dashes = code;
  without_dashes.erase(
      std::remove(without_dashes.begin(), without_dashes.end(), '-'),
      without_dashes.end());
  loyalty::v1::ValidateCouponRequest validate;
  *validate.mutable_context() = PosContext("");
  validate.set_member_id("fay");
  validate.set_code(code);
  loyalty::v1::ValidateCouponResponse valid;
  auto validate_context = ContextWithKey("pos-key");
  REQUIRE(stub->ValidateCoupon(validate_context.get(), validate, &valid).ok());
  CHECK(valid.coupon().uses() == 0);
  auto [first, first_reason, first_use] = redeem("use-1", without_dashes);
  REQUIRE(first.ok());
  CHECK(first_use.coupon().uses() == 1);
  auto [second, second_reason, second_use] = redeem("use-2", code);
  REQUIRE(second.ok());
  CHECK(second_use.coupon().state() == loyalty::v1::COUPON_STATE_USED_UP);
  auto [third, third_reason, third_use] = redeem("use-3", code);
  CHECK(third.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(third_reason == "ERROR_REASON_COUPON_USED_UP");
  auto used_up_context = ContextWithKey("pos-key");
  grpc::Status used_up =
      stub->ValidateCoupon(used_up_context.get(), validate, &valid);
  CHECK(used_up.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(ReasonOf(*used_up_context) == "ERROR_REASON_COUPON_USED_UP");

  std::string typo = code;
  typo[0] = typo[0] == 'A' ? 'B' : 'A';
  auto [mistyped, mistyped_reason, unused] = redeem("use-4", typo);
  CHECK(mistyped.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(mistyped_reason == "ERROR_REASON_INVALID_FIELD");
  show.set_code(typo);
  auto typo_context = ContextWithKey("pos-key");
  CHECK(stub->GetCoupon(typo_context.get(), show, &shown).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);

  issue.mutable_context()->set_request_id("coupon-2");
  issue.set_template_id("no-such-template");
  auto unknown_context = ContextWithKey("app-key");
  CHECK(stub->IssueCoupon(unknown_context.get(), issue, &issued)
            .error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(ReasonOf(*unknown_context) ==
        "ERROR_REASON_COUPON_TEMPLATE_NOT_FOUND");
}

TEST_CASE(
    "an import call gets one result per row in order, needs the admin role, "
    "and a dry run writes nothing",
    "[server][import]") {
  TempDir dir;
  TestServer server(dir.path());
  auto admin = server.AdminStub();
  auto row = [](const std::string& card, int64_t points,
                const std::string& phone = "") {
    ImportMemberRequest request;
    request.mutable_context()->set_request_id("import:legacy:" + card);
    request.set_card_number(card);
    request.set_opening_points(points);
    request.set_phone(phone);
    return request;
  };
  ImportMembersRequest call;
  *call.add_rows() = row("41110001", 500, "0171 2345678");
  *call.add_rows() = row("41110002", -5);                    // Bad balance.
  *call.add_rows() = row("41110003", 70, "+49 171 2345678");  // Phone taken.
  *call.add_rows() = row("41110001", 500, "0171 2345678");   // Retry of 0.

  SECTION("a dry run answers for every row and writes nothing") {
    call.set_dry_run(true);
    ImportMembersResponse planned;
    auto context = ContextWithKey("admin-key");
    REQUIRE(admin->ImportMembers(context.get(), call, &planned).ok());
    REQUIRE(planned.results_size() == 4);
    CHECK(planned.results(0).code() == 0);
    CHECK(planned.results(0).response().dry_run());
    CHECK(planned.results(1).code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(server.server().ledger().stats().last_sequence == 0);
  }
  SECTION("the rows apply one by one") {
    ImportMembersResponse imported;
    auto context = ContextWithKey("admin-key");
    REQUIRE(admin->ImportMembers(context.get(), call, &imported).ok());
    REQUIRE(imported.results_size() == 4);
    CHECK(imported.results(0).code() == 0);
    CHECK(imported.results(0).response().enrolled());
    CHECK(imported.results(1).code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(imported.results(1).message(),
               Catch::StartsWith("opening_points"));
    CHECK(imported.results(2).code() == grpc::StatusCode::ALREADY_EXISTS);
    CHECK(imported.results(2).reason() == ERROR_REASON_IDENTIFIER_TAKEN);
    CHECK(imported.results(3).code() == 0);
    CHECK(imported.results(3).response().replayed());
    auto balance = server.server().ledger().GetBalance(
        imported.results(0).response().member_id());
    REQUIRE(balance.ok());
    CHECK(balance->available_points() == 500);
  }
  SECTION("a channel key may not import") {
    ImportMembersResponse refused;
    auto context = ContextWithKey("pos-key");
    grpc::Status status = admin->ImportMembers(context.get(), call, &refused);
    CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  }
  SECTION("more than 1000 rows in one call is INVALID_ARGUMENT naming rows") {
    ImportMembersRequest big;
    for (int i = 0; i < 1001; ++i) {
      *big.add_rows() = row(std::to_string(50000000 + i), 1);
    }
    ImportMembersResponse refused;
    auto context = ContextWithKey("admin-key");
    grpc::Status status = admin->ImportMembers(context.get(), big, &refused);
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(status.error_message(), Catch::StartsWith("rows"));
    CHECK(server.server().ledger().stats().last_sequence == 0);
  }
}

TEST_CASE(
    "a merge over gRPC needs the admin role, says why it is refused in its "
    "reason, and the source's id then answers as the target",
    "[server][members][merge]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  auto admin = server.AdminStub();
  Enroll(*stub, "card-only");
  Enroll(*stub, "app-user");
  EarnResponse earned;
  auto earn_context = ContextWithKey("pos-key");
  REQUIRE(stub->Earn(earn_context.get(), Basket("card-only", "o-1", 4200),
                     &earned)
              .ok());  // 42 points.

  MergeMembersRequest merge;
  merge.mutable_context()->set_request_id("merge-1");
  merge.set_source_member_id("card-only");
  merge.set_target_member_id("app-user");
  merge.set_reason_code("SAME_PERSON");
  merge.set_operator_id("support.jane");
  MergeMembersResponse merged;
  auto channel_context = ContextWithKey("pos-key");
  CHECK(admin->MergeMembers(channel_context.get(), merge, &merged)
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);

  auto admin_context = ContextWithKey("admin-key");
  REQUIRE(admin->MergeMembers(admin_context.get(), merge, &merged).ok());
  REQUIRE(merged.entries_size() == 2);
  CHECK(merged.entries(0).kind() == ENTRY_KIND_MERGE_OUT);
  CHECK(merged.entries(1).kind() == ENTRY_KIND_MERGE_IN);
  CHECK(merged.member().member_id() == "app-user");

  GetMemberRequest get;
  get.set_member_id("card-only");
  Member member;
  auto get_context = ContextWithKey("pos-key");
  REQUIRE(stub->GetMember(get_context.get(), get, &member).ok());
  CHECK(member.member_id() == "app-user");
  CHECK(member.merged_member_ids_size() == 1);

  merge.mutable_context()->set_request_id("merge-2");
  auto again_context = ContextWithKey("admin-key");
  grpc::Status again = admin->MergeMembers(again_context.get(), merge, &merged);
  CHECK(again.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(ReasonOf(*again_context) == "ERROR_REASON_MEMBER_MERGED");
}

TEST_CASE("GetServerStats reports writer batches and process figures to "
          "admins only",
          "[server][admin]") {
  TempDir dir;
  TestServer server(dir.path());
  Enroll(*server.LoyaltyStub(), "fay");
  auto admin = server.AdminStub();
  ServerStats stats;
  auto context = ContextWithKey("admin-key");
  REQUIRE(admin->GetServerStats(context.get(), GetServerStatsRequest(), &stats)
              .ok());
  CHECK(stats.commands() >= 1);
  CHECK(stats.batches() >= 1);
  CHECK(stats.last_sequence() == 1);
  CHECK(stats.rss_bytes() > 0);
  // Every synced batch is timed: the write histogram counts each once.
  uint64_t timed_writes = 0;
  for (uint64_t count : stats.write_us_histogram()) timed_writes += count;
  CHECK(timed_writes == stats.batches());
  CHECK(stats.writer_write_us_max() > 0);
  CHECK(stats.writer_write_us_total() >= stats.writer_write_us_max());
  auto pos_context = ContextWithKey("pos-key");
  CHECK(admin->GetServerStats(pos_context.get(), GetServerStatsRequest(),
                              &stats)
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);
}

TEST_CASE("concurrent clients earn and redeem without losing or inventing "
          "points",
          "[server][concurrency]") {
  TempDir dir;
  TestServer server(dir.path());
  Enroll(*server.LoyaltyStub(), "shared");
  constexpr int kClients = 8;
  constexpr int kEarnsPerClient = 50;
  std::atomic<int64_t> points_redeemed{0};
  std::atomic<int> failures{0};
  // The first unexpected status, so a failure says what the server answered.
  std::mutex first_failure_mutex;
  std::string first_failure;
  auto record_failure = [&](const std::string& call,
                            const grpc::Status& status) {
    ++failures;
    std::lock_guard<std::mutex> lock(first_failure_mutex);
    if (first_failure.empty()) {
      first_failure = call + ": " + std::to_string(status.error_code()) + " " +
                      status.error_message();
    }
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto stub = server.LoyaltyStub();
      for (int i = 0; i < kEarnsPerClient; ++i) {
        std::string order = "c" + std::to_string(c) + "-" + std::to_string(i);
        EarnResponse earned;
        auto context = ContextWithKey("pos-key");
        grpc::Status earn_status =
            stub->Earn(context.get(), Basket("shared", order, 1000), &earned);
        if (!earn_status.ok()) record_failure("Earn " + order, earn_status);
        RedeemRequest redeem;
        *redeem.mutable_context() = PosContext("redeem-" + order);
        redeem.set_member_id("shared");
        redeem.set_order_id(order);
        redeem.set_points(7);
        RedeemResponse redeemed;
        auto redeem_context = ContextWithKey("pos-key");
        grpc::Status status =
            stub->Redeem(redeem_context.get(), redeem, &redeemed);
        if (status.ok()) {
          points_redeemed += 7;
          if (redeemed.balance().available_points() < 0) {
            record_failure("Redeem " + order + " left a negative balance",
                           status);
          }
        } else if (status.error_code() !=
                   grpc::StatusCode::FAILED_PRECONDITION) {
          record_failure("Redeem " + order, status);
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  INFO(first_failure);
  CHECK(failures.load() == 0);
  auto balance = server.server().ledger().GetBalance("shared");
  REQUIRE(balance.ok());
  CHECK(balance->earned_points_total() == kClients * kEarnsPerClient * 10);
  CHECK(balance->available_points() ==
        kClients * kEarnsPerClient * 10 - points_redeemed.load());
  auto verified = server.server().ledger().Verify();
  REQUIRE(verified.ok());
  CHECK(verified->ok());
}

TEST_CASE("shutdown with requests in flight loses no acknowledged write",
          "[server][shutdown]") {
  TempDir dir;
  std::vector<std::pair<std::string, uint64_t>> acknowledged;  // order, seq
  std::mutex acknowledged_mutex;
  {
    TestServer server(dir.path());
    Enroll(*server.LoyaltyStub(), "dave");
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        auto stub = server.LoyaltyStub();
        for (int i = 0; !stop.load(); ++i) {
          std::string order = "o" + std::to_string(c) + "-" + std::to_string(i);
          EarnResponse earned;
          auto context = ContextWithKey("pos-key");
          if (stub->Earn(context.get(), Basket("dave", order, 100), &earned)
                  .ok()) {
            std::lock_guard<std::mutex> lock(acknowledged_mutex);
            acknowledged.emplace_back(order, earned.entry().sequence());
          } else {
            // After shutdown begins every call fails; keep trying briefly.
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server.Shutdown();
    stop = true;
    for (auto& client : clients) client.join();
  }
  REQUIRE(acknowledged.size() > 10);

  TestServer restarted(dir.path());
  Ledger& ledger = restarted.server().ledger();
  auto balance = ledger.GetBalance("dave");
  REQUIRE(balance.ok());
  CHECK(balance->earned_points_total() ==
        static_cast<int64_t>(acknowledged.size()));
  // Every acknowledged sequence is in the ledger as that member's earn.
  ListEntriesRequest list;
  list.set_member_id("dave");
  list.set_page_size(500);
  std::set<uint64_t> stored;
  while (true) {
    auto page = ledger.ListEntries(list);
    REQUIRE(page.ok());
    for (const auto& entry : page->entries()) stored.insert(entry.sequence());
    if (page->next_page_token().empty()) break;
    list.set_page_token(page->next_page_token());
  }
  for (const auto& [order, sequence] : acknowledged) {
    INFO(order);
    CHECK(stored.count(sequence) == 1);
  }
  auto verified = ledger.Verify();
  REQUIRE(verified.ok());
  CHECK(verified->ok());
}

}  // namespace
}  // namespace loyalty::testing
