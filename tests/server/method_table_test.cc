// The server's method table (server/method_table.h): every RPC of the
// contract is served by exactly one row, every command of the ledger's
// command table has its RPC, and the one authorization step refuses what
// each row's access does not allow, and the coupon-code rows put the
// unknown-code limit before anything else. The calls go by method name with
// an empty body, so a new row is covered without changing this test.
#include <future>
#include <set>
#include <string>

#include "catch2/catch.hpp"
#include "grpcpp/generic/generic_stub.h"
#include "ledger/commands.h"
#include "loyalty/v1/coupon_code.h"
#include "server_test_util.h"

namespace loyalty::testing {
namespace {

std::string ServiceName(Service service) {
  return service == Service::kLoyalty ? "loyalty.v1.LoyaltyService"
                                      : "loyalty.v1.AdminService";
}

std::set<std::string> ContractMethods() {
  std::set<std::string> methods;
  for (const std::string& name : LoyaltyQueueService::MethodNames()) {
    methods.insert(ServiceName(Service::kLoyalty) + "/" + name);
  }
  for (const std::string& name : AdminQueueService::MethodNames()) {
    methods.insert(ServiceName(Service::kAdmin) + "/" + name);
  }
  return methods;
}

// Calls `row`'s method with an empty request as `key` and returns the code.
grpc::StatusCode CallWithEmptyBody(const TestServer& server,
                                   const MethodRow& row,
                                   const std::string& key) {
  grpc::GenericStub stub(server.NewChannel());
  std::unique_ptr<grpc::ClientContext> context = ContextWithKey(key);
  grpc::Slice no_bytes("");
  grpc::ByteBuffer request(&no_bytes, 1);  // An empty message: no field set.
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(context.get(),
                 "/" + ServiceName(row.service) + "/" + row.method,
                 grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(status); });
  return done.get_future().get().error_code();
}

TEST_CASE("every RPC of the contract is served by exactly one row",
          "[server][table]") {
  TempDir dir;
  TestServer server(dir.path());
  std::multiset<std::string> served;
  for (const MethodRow& row : server.server().methods()) {
    served.insert(ServiceName(row.service) + "/" + row.method);
  }
  const std::set<std::string> contract = ContractMethods();
  CHECK(std::set<std::string>(served.begin(), served.end()) == contract);
  CHECK(served.size() == contract.size());  // No method twice.
}

TEST_CASE(
    "every command of the command table has its RPC, with the row's "
    "access",
    "[server][table]") {
  TempDir dir;
  TestServer server(dir.path());
  int commands_with_rpc = 0;
  CommandTable::ForEach([&]<typename Spec>() {
    if (!Spec::kInfo.unary_rpc) return;
    ++commands_with_rpc;
    INFO("command " << Spec::kInfo.name);
    bool found = false;
    for (const MethodRow& row : server.server().methods()) {
      if (row.service != Spec::kInfo.service ||
          row.method != Spec::kInfo.name) {
        continue;
      }
      found = true;
      CHECK(row.access == Spec::kInfo.access);
    }
    CHECK(found);
  });
  // ImportMember and GenerateCouponChunk arrive through their batch RPCs.
  CHECK(commands_with_rpc == CommandTable::kSize - 2);
}

TEST_CASE("every RPC refuses a call without a key or with an unknown one",
          "[server][table][auth]") {
  TempDir dir;
  TestServer server(dir.path());
  for (const MethodRow& row : server.server().methods()) {
    INFO(row.method);
    CHECK(CallWithEmptyBody(server, row, "no-such-key") ==
          grpc::StatusCode::UNAUTHENTICATED);
  }
}

TEST_CASE("every admin RPC refuses a channel key before reading the request",
          "[server][table][auth]") {
  TempDir dir;
  TestServer server(dir.path());
  int admin_rows = 0;
  for (const MethodRow& row : server.server().methods()) {
    if (row.access != Access::kAdmin) continue;
    ++admin_rows;
    INFO(row.method);
    CHECK(CallWithEmptyBody(server, row, "pos-key") ==
          grpc::StatusCode::PERMISSION_DENIED);
    // The admin key gets past authorization: whatever it gets next, it is
    // not a refusal of who it is.
    const grpc::StatusCode as_admin =
        CallWithEmptyBody(server, row, "admin-key");
    CHECK(as_admin != grpc::StatusCode::PERMISSION_DENIED);
    CHECK(as_admin != grpc::StatusCode::UNAUTHENTICATED);
  }
  CHECK(admin_rows >= 6);  // Adjust, Close, Merge, Import, Verify, Stats.
}

TEST_CASE(
    "exactly the coupon-code RPCs are limited, and each refuses a key that "
    "spent its unknown-code allowance before reading the request",
    "[server][table][coupons][limits]") {
  TempDir dir;
  ServerOptions options = TestServerOptions(dir.path());
  options.unknown_coupon_lookups_per_minute = 1;
  TestServer server(options, nullptr);
  std::set<std::string> limited;
  std::set<std::string> limited_with_codes;
  for (const MethodRow& row : server.server().methods()) {
    if (row.code_lookup == CodeLookup::kCouponCode) limited.insert(row.method);
    if (row.code_lookup == CodeLookup::kCouponCodesIfSent) {
      limited_with_codes.insert(row.method);
    }
  }
  CHECK(limited ==
        std::set<std::string>{
            "GetCoupon", "ValidateCoupon", "RedeemCoupon", "ReserveCoupon",
            // Voucher and claim codes share the generator.
            "GetVoucher", "RedeemVoucherUnits", "TransferVoucherUnits",
            "GiftVoucherUnits", "ClaimVoucherGift", "RefundVoucherUnits",
            // A reward's code is a coupon's or a voucher's.
            "CancelReward"});
  // SubmitBatch charges each mutation that names a code like its own RPC.
  CHECK(limited_with_codes ==
        std::set<std::string>{"Earn", "QuoteEarn", "EarnBatch", "SubmitBatch"});

  // pos-key spends its one lookup on a well-formed code nobody has.
  const std::string digits = "ZZZZZZZZZZZZZZZZ";
  loyalty::v1::GetCouponRequest unknown;
  unknown.set_code(digits + contract::CouponCheckCharacter(digits));
  loyalty::v1::Coupon coupon;
  auto context = ContextWithKey("pos-key");
  REQUIRE(server.LoyaltyStub()
              ->GetCoupon(context.get(), unknown, &coupon)
              .error_code() == grpc::StatusCode::NOT_FOUND);

  for (const MethodRow& row : server.server().methods()) {
    INFO(row.method);
    const grpc::StatusCode as_pos = CallWithEmptyBody(server, row, "pos-key");
    if (row.code_lookup == CodeLookup::kCouponCode) {
      // An empty code would be INVALID_ARGUMENT: the limit comes first.
      CHECK(as_pos == grpc::StatusCode::RESOURCE_EXHAUSTED);
      CHECK(CallWithEmptyBody(server, row, "app-key") ==
            grpc::StatusCode::INVALID_ARGUMENT);
    } else {
      // Earn and QuoteEarn without coupon codes too: orders go on.
      CHECK(as_pos != grpc::StatusCode::RESOURCE_EXHAUSTED);
    }
  }
  // An order naming a coupon code is a lookup like any other.
  loyalty::v1::EarnRequest order;
  order.mutable_context()->set_request_id("order-with-a-code");
  order.mutable_context()->set_channel(loyalty::v1::CHANNEL_POS);
  order.set_member_id("alice");
  order.set_order_id("o-1");
  order.set_currency("EUR");
  loyalty::v1::BasketLine* line = order.add_lines();
  line->set_sku("MUG");
  line->set_quantity(1);
  line->set_unit_price_minor(899);
  order.add_coupon_codes(unknown.code());
  loyalty::v1::EarnResponse earned;
  auto earn_context = ContextWithKey("pos-key");
  CHECK(server.LoyaltyStub()
            ->Earn(earn_context.get(), order, &earned)
            .error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  loyalty::v1::QuoteEarnResponse quoted;
  auto quote_context = ContextWithKey("pos-key");
  CHECK(server.LoyaltyStub()
            ->QuoteEarn(quote_context.get(), order, &quoted)
            .error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  // In a batch, each event with a code is refused on its own; one without
  // goes on to the ledger (which judges it: not the limit).
  loyalty::v1::EarnBatchRequest batch;
  *batch.add_events() = order;
  loyalty::v1::EarnRequest plain = order;
  plain.mutable_context()->set_request_id("order-without-a-code");
  plain.clear_coupon_codes();
  *batch.add_events() = plain;
  loyalty::v1::EarnBatchResponse results;
  auto batch_context = ContextWithKey("pos-key");
  REQUIRE(server.LoyaltyStub()
              ->EarnBatch(batch_context.get(), batch, &results)
              .ok());
  REQUIRE(results.results_size() == 2);
  CHECK(results.results(0).code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(results.results(1).code() != grpc::StatusCode::RESOURCE_EXHAUSTED);
}

}  // namespace
}  // namespace loyalty::testing
