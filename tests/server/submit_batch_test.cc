// SubmitBatch: any mutations in one call (an offline terminal's journal
// sync). Each gets what its own RPC would have answered, in order, applied
// in the order sent; a retried batch replays every answer; a mutation the
// key may not send refuses the whole batch before anything is applied.
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "catch2/catch.hpp"
#include "tests/server/server_test_util.h"

namespace loyalty::testing {
namespace {

using namespace loyalty::v1;  // NOLINT: tests name many messages.

constexpr int64_t kHourMs = 3'600'000;

Mutation EnrollMutation(const std::string& member_id) {
  Mutation mutation;
  EnrollMemberRequest* enroll = mutation.mutable_enroll_member();
  *enroll->mutable_context() = PosContext("enroll-" + member_id);
  enroll->set_member_id(member_id);
  return mutation;
}

Mutation EarnMutation(const std::string& member_id, const std::string& order_id,
                      int64_t unit_price_minor) {
  Mutation mutation;
  EarnRequest* earn = mutation.mutable_earn();
  *earn->mutable_context() = PosContext("earn-" + order_id);
  earn->set_member_id(member_id);
  earn->set_order_id(order_id);
  earn->set_currency("EUR");
  BasketLine* line = earn->add_lines();
  line->set_sku("SKU-1");
  line->set_quantity(1);
  line->set_unit_price_minor(unit_price_minor);
  return mutation;
}

Mutation RedeemMutation(const std::string& member_id,
                        const std::string& request_id, int64_t points) {
  Mutation mutation;
  RedeemRequest* redeem = mutation.mutable_redeem();
  *redeem->mutable_context() = PosContext(request_id);
  redeem->set_member_id(member_id);
  redeem->set_order_id("order-" + request_id);
  redeem->set_points(points);
  return mutation;
}

Mutation ReturnMutation(const std::string& member_id,
                        const std::string& order_id, int64_t amount_minor) {
  Mutation mutation;
  ReturnRequest* returned = mutation.mutable_return_();
  *returned->mutable_context() = PosContext("return-" + order_id);
  returned->set_member_id(member_id);
  returned->set_order_id(order_id);
  returned->set_amount_minor(amount_minor);
  return mutation;
}

Mutation SurveyMutation(const std::string& member_id) {
  Mutation mutation;
  RecordEventRequest* event = mutation.mutable_record_event();
  *event->mutable_context() = PosContext("survey-" + member_id);
  event->set_member_id(member_id);
  event->set_event_id("survey");
  return mutation;
}

SubmitBatchResponse Submit(LoyaltyService::Stub& stub,
                           const SubmitBatchRequest& batch,
                           const std::string& key = "pos-key") {
  SubmitBatchResponse response;
  auto context = ContextWithKey(key);
  grpc::Status status = stub.SubmitBatch(context.get(), batch, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  REQUIRE(response.results_size() == batch.mutations_size());
  return response;
}

int64_t AvailablePoints(TestServer& server, const std::string& member_id) {
  auto balance = server.server().ledger().GetBalance(member_id);
  REQUIRE(balance.ok());
  return balance->available_points();
}

TEST_CASE(
    "a batch of different mutations is applied in order, each with "
    "the answer its own RPC gives",
    "[server][submit_batch]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  SubmitBatchRequest batch;
  *batch.add_mutations() = EnrollMutation("erin");
  *batch.add_mutations() = EarnMutation("erin", "o-1", 5000);  // 50 points.
  // Spends what the earn before it granted: order matters.
  *batch.add_mutations() = RedeemMutation("erin", "spend-1", 20);
  *batch.add_mutations() = SurveyMutation("erin");  // 15 points.
  *batch.add_mutations() = RedeemMutation("erin", "spend-2", 1000);
  *batch.add_mutations() = EarnMutation("nobody", "o-2", 1000);
  *batch.add_mutations() = EarnMutation("erin", "o-3", 1000);
  batch.mutable_mutations(6)->mutable_earn()->mutable_lines(0)->set_quantity(
      0);                                                        // Malformed.
  *batch.add_mutations() = ReturnMutation("erin", "o-1", 1000);  // 10 back.
  SubmitBatchResponse response = Submit(*stub, batch);

  CHECK(response.results(0).code() == 0);
  CHECK(response.results(0).enroll_member().member().member_id() == "erin");
  CHECK(response.results(1).code() == 0);
  CHECK(response.results(1).earn().points_earned() == 50);
  CHECK(response.results(2).code() == 0);
  CHECK(response.results(2).redeem().balance().available_points() == 30);
  CHECK(response.results(3).code() == 0);
  CHECK(response.results(3).record_event().entry().points_delta() == 15);
  CHECK(response.results(4).code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(response.results(4).reason() == ERROR_REASON_INSUFFICIENT_POINTS);
  CHECK(response.results(4).response_case() ==
        MutationResult::RESPONSE_NOT_SET);
  CHECK(response.results(5).code() == grpc::StatusCode::NOT_FOUND);
  CHECK(response.results(5).reason() == ERROR_REASON_MEMBER_NOT_FOUND);
  CHECK(response.results(6).code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(response.results(6).message(),
             Catch::Contains("lines[0].quantity"));
  CHECK(response.results(7).code() == 0);
  CHECK(response.results(7).return_().points_reversed() == 10);
  CHECK(AvailablePoints(server, "erin") == 50 - 20 + 15 - 10);

  SECTION("the same batch again replays every answer and applies nothing") {
    SubmitBatchResponse again = Submit(*stub, batch);
    CHECK(again.results(0).enroll_member().replayed());
    CHECK(again.results(1).earn().replayed());
    CHECK(again.results(1).earn().entry().sequence() ==
          response.results(1).earn().entry().sequence());
    CHECK(again.results(2).redeem().replayed());
    CHECK(again.results(3).record_event().replayed());
    CHECK(again.results(4).reason() == ERROR_REASON_INSUFFICIENT_POINTS);
    CHECK(again.results(7).return_().replayed());
    CHECK(AvailablePoints(server, "erin") == 35);
  }
  auto verified = server.server().ledger().Verify();
  REQUIRE(verified.ok());
  CHECK(verified->ok());
}

TEST_CASE(
    "a mutation the key may not send refuses the whole batch, naming "
    "it, before anything is applied",
    "[server][submit_batch]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  Submit(*stub, [] {
    SubmitBatchRequest enroll;
    *enroll.add_mutations() = EnrollMutation("erin");
    return enroll;
  }());

  SECTION("an admin command from a till's key") {
    SubmitBatchRequest batch;
    *batch.add_mutations() = EarnMutation("erin", "o-1", 5000);
    Mutation adjust;
    AdjustRequest* request = adjust.mutable_adjust();
    request->mutable_context()->set_request_id("adjust-1");
    request->set_member_id("erin");
    request->set_points_delta(100);
    request->set_reason_code("GOODWILL");
    request->set_operator_id("ops.kim");
    *batch.add_mutations() = adjust;
    SubmitBatchResponse response;
    auto context = ContextWithKey("pos-key");
    grpc::Status status = stub->SubmitBatch(context.get(), batch, &response);
    CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
    CHECK_THAT(status.error_message(), Catch::StartsWith("mutations[1]: "));
  }
  SECTION("a channel the key does not speak for") {
    SubmitBatchRequest batch;
    *batch.add_mutations() = EarnMutation("erin", "o-1", 5000);
    *batch.add_mutations() = EarnMutation("erin", "o-2", 5000);
    batch.mutable_mutations(1)->mutable_earn()->mutable_context()->set_channel(
        CHANNEL_APP);
    SubmitBatchResponse response;
    auto context = ContextWithKey("pos-key");
    grpc::Status status = stub->SubmitBatch(context.get(), batch, &response);
    CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
    CHECK_THAT(status.error_message(), Catch::StartsWith("mutations[1]: "));
  }
  CHECK(AvailablePoints(server, "erin") == 0);
}

TEST_CASE(
    "an empty batch, an oversized one and a mutation naming no command "
    "are INVALID_ARGUMENT naming the field",
    "[server][submit_batch]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  auto refusal = [&](const SubmitBatchRequest& batch) {
    SubmitBatchResponse response;
    auto context = ContextWithKey("pos-key");
    return stub->SubmitBatch(context.get(), batch, &response);
  };
  grpc::Status empty = refusal(SubmitBatchRequest());
  CHECK(empty.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(empty.error_message(),
             Catch::Contains("mutations: a batch holds 1..1000 mutations"));

  SubmitBatchRequest oversized;
  for (int i = 0; i < 1001; ++i) {
    *oversized.add_mutations() = EnrollMutation("m-" + std::to_string(i));
  }
  CHECK(refusal(oversized).error_code() == grpc::StatusCode::INVALID_ARGUMENT);

  SubmitBatchRequest unset;
  *unset.add_mutations() = EnrollMutation("erin");
  unset.add_mutations();
  grpc::Status no_command = refusal(unset);
  CHECK(no_command.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(no_command.error_message(),
             Catch::Contains("mutations[1]: names no command"));
  CHECK_FALSE(server.server().ledger().GetMember("erin").ok());
}

TEST_CASE(
    "a synced sale older than the program allows is refused as "
    "EVENT_TOO_OLD while the rest of its batch applies",
    "[server][submit_batch][event_age]") {
  TempDir dir;
  TestServer server(dir.path());
  auto stub = server.LoyaltyStub();
  SubmitBatchRequest batch;
  *batch.add_mutations() = EnrollMutation("erin");
  *batch.add_mutations() = EarnMutation("erin", "o-old", 5000);
  *batch.add_mutations() = EarnMutation("erin", "o-recent", 2000);
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  batch.mutable_mutations(1)
      ->mutable_earn()
      ->mutable_context()
      ->set_occurred_at_ms(now_ms - 73 * kHourMs);
  batch.mutable_mutations(2)
      ->mutable_earn()
      ->mutable_context()
      ->set_occurred_at_ms(now_ms - 71 * kHourMs);
  SubmitBatchResponse response = Submit(*stub, batch);
  CHECK(response.results(1).code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(response.results(1).reason() == ERROR_REASON_EVENT_TOO_OLD);
  CHECK_THAT(response.results(1).message(),
             Catch::Contains("event_age_max_hours"));
  CHECK(response.results(2).code() == 0);
  CHECK(response.results(2).earn().entry().occurred_at_ms() ==
        now_ms - 71 * kHourMs);
}

}  // namespace
}  // namespace loyalty::testing
