// Bulk coupon codes over gRPC: GenerateCoupons streams a batch's codes
// chunk by chunk, a rerun by batch id (after a cut stream too) streams what
// exists and writes the rest, refusals carry their reason, and any member
// redeems a generated code.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "ledger/common/limits.h"
#include "loyalty/v1/coupon_code.h"
#include "tests/server/server_test_util.h"

namespace loyalty::testing {
namespace {

using namespace loyalty::v1;  // NOLINT: tests name many messages.

GenerateCouponsRequest Batch(const std::string& request_id,
                             const std::string& batch_id, int64_t count) {
  GenerateCouponsRequest request;
  request.mutable_context()->set_request_id(request_id);
  request.set_batch_id(batch_id);
  request.set_template_id("coffee-twice");
  request.set_count(count);
  return request;
}

struct Streamed {
  grpc::Status status;
  std::string reason;
  std::vector<GenerateCouponsResponse> chunks;
  std::vector<std::string> codes;
};

// Reads the whole stream, or only `chunks_max` chunks and then cancels.
Streamed Generate(const TestServer& server,
                  const GenerateCouponsRequest& request,
                  const std::string& key = "admin-key",
                  size_t chunks_max = SIZE_MAX) {
  auto stub = server.AdminStub();
  std::unique_ptr<grpc::ClientContext> context = ContextWithKey(key);
  std::unique_ptr<grpc::ClientReader<GenerateCouponsResponse>> reader =
      stub->GenerateCoupons(context.get(), request);
  Streamed streamed;
  GenerateCouponsResponse chunk;
  while (streamed.chunks.size() < chunks_max && reader->Read(&chunk)) {
    for (const std::string& code : chunk.codes())
      streamed.codes.push_back(code);
    streamed.chunks.push_back(chunk);
  }
  if (streamed.chunks.size() >= chunks_max) context->TryCancel();
  streamed.status = reader->Finish();
  streamed.reason = ReasonOf(*context);
  return streamed;
}

TEST_CASE(
    "GenerateCoupons streams a batch chunk by chunk; a rerun streams "
    "the same codes and writes none",
    "[server][coupons][generate]") {
  TempDir dir;
  TestServer server(dir.path());
  const int64_t count = kCouponsPerGenerateChunkMax + 2'500;
  Streamed first = Generate(server, Batch("g1", "flyer", count));
  REQUIRE(first.status.ok());
  REQUIRE(first.chunks.size() == 2);
  CHECK(first.chunks[0].first_index() == 0);
  CHECK(first.chunks[1].first_index() == kCouponsPerGenerateChunkMax);
  CHECK(first.chunks[1].count() == count);
  CHECK_FALSE(first.chunks[0].replayed());
  CHECK(static_cast<int64_t>(first.codes.size()) == count);
  CHECK(std::set<std::string>(first.codes.begin(), first.codes.end()).size() ==
        static_cast<size_t>(count));
  for (const std::string& code : first.codes) {
    REQUIRE_FALSE(contract::CouponCodeProblem(code, nullptr).has_value());
  }
  Streamed again = Generate(server, Batch("g2", "flyer", count));
  REQUIRE(again.status.ok());
  CHECK(again.codes == first.codes);
  CHECK(again.chunks[0].replayed());
  CHECK(again.chunks[1].replayed());
  CHECK(again.chunks[1].sequence() == first.chunks[1].sequence());
}

TEST_CASE(
    "a stream cut after its first chunk is finished by calling again "
    "with the batch id: exactly count distinct codes",
    "[server][coupons][generate]") {
  TempDir dir;
  TestServer server(dir.path());
  const int64_t count = 3 * kCouponsPerGenerateChunkMax;
  Streamed cut = Generate(server, Batch("g1", "cut", count), "admin-key", 1);
  REQUIRE(cut.chunks.size() == 1);
  Streamed resumed = Generate(server, Batch("g2", "cut", count));
  REQUIRE(resumed.status.ok());
  CHECK(static_cast<int64_t>(resumed.codes.size()) == count);
  CHECK(std::set<std::string>(resumed.codes.begin(), resumed.codes.end())
            .size() == static_cast<size_t>(count));
  CHECK(std::vector<std::string>(
            resumed.codes.begin(),
            resumed.codes.begin() + kCouponsPerGenerateChunkMax) == cut.codes);
  CHECK(resumed.chunks[0].replayed());
  auto verified = [&] {
    auto stub = server.AdminStub();
    auto context = ContextWithKey("admin-key");
    VerifyLedgerResponse response;
    REQUIRE(stub->VerifyLedger(context.get(), VerifyLedgerRequest(), &response)
                .ok());
    return response;
  }();
  INFO(verified.ShortDebugString());
  CHECK(verified.ok());
  CHECK(verified.entries_checked() == 3);
}

TEST_CASE(
    "GenerateCoupons refuses a channel key, a malformed request and a "
    "batch id of another count, each with its reason",
    "[server][coupons][generate]") {
  TempDir dir;
  TestServer server(dir.path());
  Streamed as_till = Generate(server, Batch("g1", "b", 5), "pos-key");
  CHECK(as_till.status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(as_till.chunks.empty());

  Streamed no_count = Generate(server, Batch("g2", "b", 0));
  CHECK(no_count.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(absl::StrContains(no_count.status.error_message(), "count"));
  GenerateCouponsRequest long_id = Batch(std::string(101, 'r'), "b", 5);
  Streamed too_long = Generate(server, long_id);
  CHECK(too_long.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(
      absl::StrContains(too_long.status.error_message(), "context.request_id"));

  REQUIRE(Generate(server, Batch("g3", "b", 5)).status.ok());
  Streamed other_count = Generate(server, Batch("g4", "b", 6));
  CHECK(other_count.status.error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(other_count.reason == "ERROR_REASON_COUPON_BATCH_CONFLICT");
  CHECK(other_count.chunks.empty());
  GenerateCouponsRequest unknown = Batch("g5", "c", 5);
  unknown.set_template_id("no-such");
  Streamed no_template = Generate(server, unknown);
  CHECK(no_template.status.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(no_template.reason == "ERROR_REASON_COUPON_TEMPLATE_NOT_FOUND");
}

TEST_CASE(
    "a generated code is redeemed at a till by any member, as often as "
    "it allows, and GetCoupon shows it without an owner",
    "[server][coupons][generate][bearer]") {
  TempDir dir;
  TestServer server(dir.path());
  Streamed batch = Generate(server, Batch("g1", "b", 1));
  REQUIRE(batch.status.ok());
  REQUIRE(batch.codes.size() == 1);
  const std::string code = batch.codes[0];
  auto stub = server.LoyaltyStub();
  for (const std::string member : {"alice", "bob"}) {
    EnrollMemberRequest enroll;
    *enroll.mutable_context() = PosContext("e-" + member);
    enroll.set_member_id(member);
    EnrollMemberResponse enrolled;
    auto context = ContextWithKey("pos-key");
    REQUIRE(stub->EnrollMember(context.get(), enroll, &enrolled).ok());
  }
  {
    GetCouponRequest get;
    get.set_code(code);
    Coupon coupon;
    auto context = ContextWithKey("pos-key");
    REQUIRE(stub->GetCoupon(context.get(), get, &coupon).ok());
    CHECK(coupon.member_id().empty());
    CHECK(coupon.batch_id() == "b");
    CHECK(coupon.uses_allowed() == 2);
  }
  auto redeem = [&](const std::string& request_id, const std::string& member,
                    grpc::ClientContext* context) {
    RedeemCouponRequest request;
    *request.mutable_context() = PosContext(request_id);
    request.set_member_id(member);
    request.set_code(code);
    request.set_order_id("o-" + request_id);
    RedeemCouponResponse response;
    return stub->RedeemCoupon(context, request, &response);
  };
  for (const auto& [request_id, member] :
       std::vector<std::pair<std::string, std::string>>{{"r1", "alice"},
                                                        {"r2", "bob"}}) {
    auto context = ContextWithKey("pos-key");
    CHECK(redeem(request_id, member, context.get()).ok());
  }
  auto context = ContextWithKey("pos-key");
  grpc::Status used_up = redeem("r3", "alice", context.get());
  CHECK(used_up.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(ReasonOf(*context) == "ERROR_REASON_COUPON_USED_UP");
}

}  // namespace
}  // namespace loyalty::testing
