// Unknown coupon codes over gRPC (README "Coupons"): each API key's lookups
// of codes that do not exist are limited per minute, whichever of GetCoupon,
// ValidateCoupon and RedeemCoupon makes them, on a server whose clock the
// test moves. And the server refuses to start with a bad limit.
#include <string>
#include <tuple>

#include "catch2/catch.hpp"
#include "loyalty/v1/coupon_code.h"
#include "tests/server/server_test_util.h"

namespace loyalty::testing {
namespace {

using namespace loyalty::v1;  // NOLINT: tests name many messages.

constexpr int64_t kStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z.

// A well-formed code (its check character matches) that nobody was issued:
// issued codes are 80 random bits, so one of these is as likely as any.
std::string UnknownCode(int n) {
  std::string digits = "ZZZZZZZZZZZZZZ";
  digits.push_back(contract::kCouponCodeAlphabet[(n / 32) % 32]);
  digits.push_back(contract::kCouponCodeAlphabet[n % 32]);
  return digits + contract::CouponCheckCharacter(digits);
}

// The outcome of one call: its status and its reason and transient metadata.
struct Outcome {
  grpc::Status status;
  std::string reason;
  bool transient = false;
};

Outcome Finished(const grpc::Status& status,
                 const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  return Outcome{status, ReasonOf(context),
                 trailers.find("loyalty-transient") != trailers.end()};
}

class CouponClient {
 public:
  CouponClient(const TestServer& server, std::string key)
      : stub_(server.LoyaltyStub()), key_(std::move(key)) {}

  Outcome Get(const std::string& code) {
    GetCouponRequest request;
    request.set_code(code);
    Coupon coupon;
    auto context = ContextWithKey(key_);
    return Finished(stub_->GetCoupon(context.get(), request, &coupon),
                    *context);
  }
  Outcome Validate(const std::string& member_id, const std::string& code) {
    ValidateCouponRequest request;
    *request.mutable_context() = PosContext("");
    request.set_member_id(member_id);
    request.set_code(code);
    ValidateCouponResponse response;
    auto context = ContextWithKey(key_);
    return Finished(stub_->ValidateCoupon(context.get(), request, &response),
                    *context);
  }
  Outcome Redeem(const std::string& request_id, const std::string& member_id,
                 const std::string& code) {
    RedeemCouponRequest request;
    *request.mutable_context() = PosContext(request_id);
    request.set_member_id(member_id);
    request.set_code(code);
    request.set_order_id("order-" + request_id);
    RedeemCouponResponse response;
    auto context = ContextWithKey(key_);
    return Finished(stub_->RedeemCoupon(context.get(), request, &response),
                    *context);
  }

 private:
  std::unique_ptr<LoyaltyService::Stub> stub_;
  std::string key_;
};

void RequireUnknown(const Outcome& outcome) {
  INFO(outcome.status.error_message());
  REQUIRE(outcome.status.error_code() == grpc::StatusCode::NOT_FOUND);
  REQUIRE(outcome.reason == "ERROR_REASON_COUPON_NOT_FOUND");
}

void RequireLimited(const Outcome& outcome) {
  INFO(outcome.status.error_message());
  REQUIRE(outcome.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(outcome.reason == "ERROR_REASON_UNKNOWN_CODE_LOOKUPS_LIMITED");
  CHECK(outcome.transient);
  CHECK_THAT(outcome.status.error_message(),
             Catch::Contains("principal pos-terminal") &&
                 Catch::Contains("the limit is 3 a minute"));
}

// Enrols `member_id` and issues it a coupon in the app; returns the code.
std::string IssueCoupon(const TestServer& server,
                        const std::string& member_id) {
  auto stub = server.LoyaltyStub();
  EnrollMemberRequest enroll;
  *enroll.mutable_context() = PosContext("enroll-" + member_id);
  enroll.set_member_id(member_id);
  EnrollMemberResponse enrolled;
  auto enroll_context = ContextWithKey("pos-key");
  REQUIRE(stub->EnrollMember(enroll_context.get(), enroll, &enrolled).ok());
  IssueCouponRequest issue;
  issue.mutable_context()->set_request_id("issue-" + member_id);
  issue.mutable_context()->set_channel(CHANNEL_APP);
  issue.set_member_id(member_id);
  issue.set_template_id("coffee-twice");
  IssueCouponResponse issued;
  auto issue_context = ContextWithKey("app-key");
  REQUIRE(stub->IssueCoupon(issue_context.get(), issue, &issued).ok());
  return issued.coupon().code();
}

TEST_CASE(
    "an API key's unknown coupon codes are limited per minute across "
    "GetCoupon, ValidateCoupon and RedeemCoupon, found codes cost nothing, "
    "other keys are unaffected, and a minute later lookups work again",
    "[server][coupons][limits]") {
  TempDir dir;
  ManualClock clock(kStartMs);
  ServerOptions options = TestServerOptions(dir.path());
  options.unknown_coupon_lookups_per_minute = 3;
  TestServer server(options, &clock);
  const std::string code = IssueCoupon(server, "fay");
  CouponClient till(server, "pos-key");

  // Found codes and mistyped ones (refused by the check character before
  // any lookup) never count, however many.
  for (int i = 0; i < 10; ++i) {
    INFO("found lookup " << i);
    REQUIRE(till.Get(code).status.ok());
    REQUIRE(till.Validate("fay", code).status.ok());
  }
  std::string typo = code;
  typo[0] = typo[0] == 'A' ? 'B' : 'A';
  for (int i = 0; i < 10; ++i) {
    REQUIRE(till.Get(typo).status.error_code() ==
            grpc::StatusCode::INVALID_ARGUMENT);
  }

  // Three unknown codes, one through each RPC, are answered as such.
  RequireUnknown(till.Get(UnknownCode(1)));
  RequireUnknown(till.Validate("fay", UnknownCode(2)));
  RequireUnknown(till.Redeem("unknown-3", "fay", UnknownCode(3)));

  // The fourth lookup of any code, even a real one, is refused by every
  // coupon RPC before the code is read.
  RequireLimited(till.Get(UnknownCode(4)));
  RequireLimited(till.Get(code));
  RequireLimited(till.Validate("fay", code));
  RequireLimited(till.Redeem("use-1", "fay", code));
  CHECK(server.server().ledger().GetCoupon(code)->uses() == 0);

  // The app's key has its own allowance, and its found codes still work.
  CouponClient app(server, "app-key");
  REQUIRE(app.Get(code).status.ok());
  RequireUnknown(app.Get(UnknownCode(5)));

  // At 3 a minute a lookup refills in 20 s: 19.999 s on, none has; a
  // minute after the three, the till may look up three again.
  clock.AdvanceMs(19'999);
  RequireLimited(till.Get(code));
  clock.AdvanceMs(40'001);
  // The refused redemption was not remembered: the same request id now
  // redeems.
  Outcome redeemed = till.Redeem("use-1", "fay", code);
  INFO(redeemed.status.error_message());
  REQUIRE(redeemed.status.ok());
  CHECK(server.server().ledger().GetCoupon(code)->uses() == 1);
  RequireUnknown(till.Get(UnknownCode(6)));
  RequireUnknown(till.Get(UnknownCode(7)));
  RequireUnknown(till.Get(UnknownCode(8)));
  RequireLimited(till.Get(UnknownCode(9)));
}

TEST_CASE(
    "loyaltyd refuses to start with an unknown-coupon-lookup limit outside "
    "1..60000, naming the flag",
    "[server][coupons][limits][flags]") {
  TempDir dir;
  for (int64_t bad :
       {int64_t{0}, int64_t{-1}, int64_t{60'001}, int64_t{1} << 40}) {
    INFO("--unknown-coupon-lookups-per-minute " << bad);
    ServerOptions options = TestServerOptions(dir.path());
    options.unknown_coupon_lookups_per_minute = bad;
    SystemClock clock;
    auto server = LoyaltyServer::Start(TestProgram(), options, &clock);
    REQUIRE(server.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(server.status().message()),
               Catch::StartsWith("--unknown-coupon-lookups-per-minute: must "
                                 "be between 1 and 60000"));
  }
  for (int64_t good : {int64_t{1}, int64_t{60'000}}) {
    INFO("--unknown-coupon-lookups-per-minute " << good);
    ServerOptions options = TestServerOptions(dir.path());
    options.unknown_coupon_lookups_per_minute = good;
    TestServer server(options, nullptr);
    CHECK(server.port() > 0);
  }
}

}  // namespace
}  // namespace loyalty::testing
