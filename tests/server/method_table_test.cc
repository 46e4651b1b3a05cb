// The server's method table (server/method_table.h): every RPC of the
// contract is served by exactly one row, every command of the ledger's
// command table has its RPC, and the one authorization step refuses what
// each row's roles do not allow, and the coupon-code rows put the
// unknown-code limit before anything else. The calls go by method name with
// an empty body, so a new row is covered without changing this test.
#include <future>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
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
    "roles",
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
      CHECK(row.roles == Spec::kInfo.roles);
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

// Who may call what: the README's table, written out here on its own (not
// read from the command table), one row per RPC of the contract. A new RPC
// without a row here fails the test below, so its roles are decided, not
// inherited. "pos" means a POS key of the stores named in its requests.
const std::map<std::string, std::string>& ExpectedRoles() {
  static const auto* const kRoles = new std::map<std::string, std::string>{
      // Members.
      {"LoyaltyService/EnrollMember", "pos app admin"},
      {"LoyaltyService/GetMember", "pos app partner admin"},
      {"LoyaltyService/LookupMember", "pos app partner admin"},
      {"LoyaltyService/LinkIdentifier", "pos app admin"},
      {"LoyaltyService/UnlinkIdentifier", "pos app admin"},
      {"LoyaltyService/TransferPoints", "app admin"},
      // Points.
      {"LoyaltyService/Earn", "pos app partner admin"},
      {"LoyaltyService/QuoteEarn", "pos app partner admin"},
      {"LoyaltyService/EarnBatch", "pos app partner admin"},
      {"LoyaltyService/RecordEvent", "pos app admin"},
      {"LoyaltyService/Redeem", "pos app admin"},
      {"LoyaltyService/HoldPoints", "pos app admin"},
      {"LoyaltyService/CapturePoints", "pos app admin"},
      {"LoyaltyService/ReleasePoints", "pos app admin"},
      {"LoyaltyService/Return", "pos app admin"},
      {"LoyaltyService/GetBalance", "pos app partner admin auditor"},
      {"LoyaltyService/ListEntries", "pos app partner admin auditor"},
      {"LoyaltyService/SubmitBatch", "pos app admin"},
      // Coupons.
      {"LoyaltyService/IssueCoupon", "app admin"},
      {"LoyaltyService/RedeemCoupon", "pos app admin"},
      {"LoyaltyService/GetCoupon", "pos app admin"},
      {"LoyaltyService/ValidateCoupon", "pos app admin"},
      {"LoyaltyService/ReserveCoupon", "pos app admin"},
      {"LoyaltyService/CommitCoupon", "pos app admin"},
      {"LoyaltyService/ReleaseCoupon", "pos app admin"},
      // Vouchers.
      {"LoyaltyService/IssueVoucher", "app admin"},
      {"LoyaltyService/RedeemVoucherUnits", "pos app admin"},
      {"LoyaltyService/TransferVoucherUnits", "app admin"},
      {"LoyaltyService/GetVoucher", "pos app admin"},
      {"LoyaltyService/GiftVoucherUnits", "app admin"},
      {"LoyaltyService/ClaimVoucherGift", "app admin"},
      {"LoyaltyService/RefundVoucherUnits", "app admin"},
      // Rewards and the wallet.
      {"LoyaltyService/RedeemReward", "pos app admin"},
      {"LoyaltyService/CancelReward", "app admin"},
      {"LoyaltyService/ListRewards", "pos app admin"},
      {"LoyaltyService/ListWallet", "pos app admin"},
      // Operators.
      {"AdminService/Adjust", "admin"},
      {"AdminService/VerifyLedger", "admin auditor"},
      {"AdminService/GetServerStats", "admin auditor"},
      {"AdminService/ImportMembers", "admin"},
      {"AdminService/CloseMember", "admin"},
      {"AdminService/MergeMembers", "admin"},
      {"AdminService/GenerateCoupons", "admin"},
      {"AdminService/ListOfflineReconciliations", "admin auditor"},
      {"AdminService/WatchEntries", "admin auditor"},
      {"AdminService/Backup", "admin"},
  };
  return *kRoles;
}

struct RoleKey {
  std::string role;  // As ExpectedRoles() spells it.
  std::string key;   // TestKeysFileText()'s key of that role.
  loyalty::v1::Channel channel;
  loyalty::v1::Role proto_role;
};

const std::vector<RoleKey>& RoleKeys() {
  static const auto* const kKeys = new std::vector<RoleKey>{
      {"pos", "store-12-key", loyalty::v1::CHANNEL_POS, loyalty::v1::ROLE_POS},
      {"app", "app-key", loyalty::v1::CHANNEL_APP, loyalty::v1::ROLE_APP},
      {"partner", "partner-key", loyalty::v1::CHANNEL_PARTNER,
       loyalty::v1::ROLE_PARTNER},
      {"admin", "admin-key", loyalty::v1::CHANNEL_APP,
       loyalty::v1::ROLE_ADMIN},
      {"auditor", "auditor-key", loyalty::v1::CHANNEL_APP,
       loyalty::v1::ROLE_AUDITOR},
  };
  return *kKeys;
}

std::string RowName(const MethodRow& row) {
  return (row.service == Service::kLoyalty ? "LoyaltyService/"
                                           : "AdminService/") +
         row.method;
}

// A request of `row`'s method that `as` is entitled to in scope: its
// context (if the request has one) speaks for the role's channel and store,
// its member (if it names one) carries the partner's account, a lookup asks
// for that account. Everything else is left empty.
std::string InScopeRequest(const MethodRow& row, const RoleKey& as) {
  const std::string service = row.service == Service::kLoyalty
                                  ? "loyalty.v1.LoyaltyService"
                                  : "loyalty.v1.AdminService";
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          service + "." + row.method);
  REQUIRE(method != nullptr);
  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(method->input_type())
          ->New());
  const google::protobuf::Reflection* reflection = request->GetReflection();
  const google::protobuf::Descriptor* type = method->input_type();
  if (const auto* field = type->FindFieldByName("context");
      field != nullptr &&
      field->message_type() == loyalty::v1::RequestContext::descriptor()) {
    auto* context = static_cast<loyalty::v1::RequestContext*>(
        reflection->MutableMessage(request.get(), field));
    context->set_request_id("matrix-" + as.role + "-" + row.method);
    context->set_channel(as.channel);
    context->set_store_id("12");
  }
  if (const auto* field = type->FindFieldByName("member_id");
      field != nullptr &&
      field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
      !field->is_repeated()) {
    reflection->SetString(request.get(), field, "partnered");
  }
  if (type == loyalty::v1::WatchEntriesRequest::descriptor()) {
    // Out of range: an allowed stream ends right after authorization
    // (INVALID_ARGUMENT) instead of following the ledger for ever.
    static_cast<loyalty::v1::WatchEntriesRequest*>(request.get())
        ->set_heartbeat_interval_ms(1);
  }
  if (type == loyalty::v1::LookupMemberRequest::descriptor()) {
    auto* lookup = static_cast<loyalty::v1::LookupMemberRequest*>(request.get());
    lookup->mutable_identifier()->set_kind(
        loyalty::v1::IDENTIFIER_KIND_PARTNER_ACCOUNT);
    lookup->mutable_identifier()->set_value("airline:77");
  }
  return request->SerializeAsString();
}

grpc::Status CallWithBody(const TestServer& server, const MethodRow& row,
                          const std::string& key, const std::string& body) {
  grpc::GenericStub stub(server.NewChannel());
  std::unique_ptr<grpc::ClientContext> context = ContextWithKey(key);
  grpc::Slice bytes(body);
  grpc::ByteBuffer request(&bytes, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(context.get(), "/loyalty.v1." + RowName(row),
                 grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(status); });
  return done.get_future().get();
}

TEST_CASE("every RPC has its row in the role table, and the server's rows "
          "allow exactly those roles",
          "[server][table][auth]") {
  TempDir dir;
  TestServer server(dir.path());
  std::set<std::string> served;
  for (const MethodRow& row : server.server().methods()) {
    const std::string name = RowName(row);
    served.insert(name);
    INFO(name << " has no row in ExpectedRoles(): decide who may call it");
    REQUIRE(ExpectedRoles().contains(name));
    for (const RoleKey& as : RoleKeys()) {
      INFO(name << " as " << as.role);
      const bool expected = absl::StrContains(
          absl::StrCat(" ", ExpectedRoles().at(name), " "),
          absl::StrCat(" ", as.role, " "));
      CHECK(row.roles.Contains(as.proto_role) == expected);
    }
  }
  std::set<std::string> listed;
  for (const auto& [name, roles] : ExpectedRoles()) listed.insert(name);
  CHECK(listed == served);  // No row for an RPC the contract does not have.
}

TEST_CASE("every role may call exactly its RPCs: the others are "
          "PERMISSION_DENIED before the request is read",
          "[server][table][auth]") {
  TempDir dir;
  TestServer server(dir.path());
  // The member every in-scope request names: the partner's own.
  loyalty::v1::EnrollMemberRequest enroll;
  enroll.mutable_context()->set_request_id("enroll-partnered");
  enroll.mutable_context()->set_channel(loyalty::v1::CHANNEL_APP);
  enroll.set_member_id("partnered");
  auto* account = enroll.add_identifiers();
  account->set_kind(loyalty::v1::IDENTIFIER_KIND_PARTNER_ACCOUNT);
  account->set_value("airline:77");
  loyalty::v1::EnrollMemberResponse enrolled;
  auto enroll_context = ContextWithKey("admin-key");
  REQUIRE(server.LoyaltyStub()
              ->EnrollMember(enroll_context.get(), enroll, &enrolled)
              .ok());

  int allowed_calls = 0;
  int refused_calls = 0;
  for (const MethodRow& row : server.server().methods()) {
    const std::string name = RowName(row);
    REQUIRE(ExpectedRoles().contains(name));
    for (const RoleKey& as : RoleKeys()) {
      INFO(name << " as " << as.role);
      const bool allowed = absl::StrContains(
          absl::StrCat(" ", ExpectedRoles().at(name), " "),
          absl::StrCat(" ", as.role, " "));
      const grpc::Status status =
          CallWithBody(server, row, as.key, InScopeRequest(row, as));
      INFO(status.error_message());
      if (allowed) {
        // Past authorization: whatever comes next (often INVALID_ARGUMENT
        // for the empty fields) is not a refusal of who the caller is.
        ++allowed_calls;
        CHECK(status.error_code() != grpc::StatusCode::PERMISSION_DENIED);
        CHECK(status.error_code() != grpc::StatusCode::UNAUTHENTICATED);
      } else {
        ++refused_calls;
        CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
        CHECK(absl::StrContains(status.error_message(),
                                "may not call " + row.method));
      }
    }
  }
  CHECK(allowed_calls > 0);
  CHECK(refused_calls > 0);
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

  // app-key (which may call every coupon-code row) spends its one lookup on
  // a well-formed code nobody has.
  const std::string digits = "ZZZZZZZZZZZZZZZZ";
  loyalty::v1::GetCouponRequest unknown;
  unknown.set_code(digits + contract::CouponCheckCharacter(digits));
  loyalty::v1::Coupon coupon;
  auto context = ContextWithKey("app-key");
  REQUIRE(server.LoyaltyStub()
              ->GetCoupon(context.get(), unknown, &coupon)
              .error_code() == grpc::StatusCode::NOT_FOUND);

  for (const MethodRow& row : server.server().methods()) {
    INFO(row.method);
    const grpc::StatusCode as_spent =
        CallWithEmptyBody(server, row, "app-key");
    if (row.code_lookup == CodeLookup::kCouponCode) {
      // An empty code would be INVALID_ARGUMENT: the limit comes first.
      CHECK(as_spent == grpc::StatusCode::RESOURCE_EXHAUSTED);
      CHECK(CallWithEmptyBody(server, row, "admin-key") ==
            grpc::StatusCode::INVALID_ARGUMENT);
    } else {
      // Earn and QuoteEarn without coupon codes too: orders go on.
      CHECK(as_spent != grpc::StatusCode::RESOURCE_EXHAUSTED);
    }
  }
  // An order naming a coupon code is a lookup like any other.
  loyalty::v1::EarnRequest order;
  order.mutable_context()->set_request_id("order-with-a-code");
  order.mutable_context()->set_channel(loyalty::v1::CHANNEL_APP);
  order.set_member_id("alice");
  order.set_order_id("o-1");
  order.set_currency("EUR");
  loyalty::v1::BasketLine* line = order.add_lines();
  line->set_sku("MUG");
  line->set_quantity(1);
  line->set_unit_price_minor(899);
  order.add_coupon_codes(unknown.code());
  loyalty::v1::EarnResponse earned;
  auto earn_context = ContextWithKey("app-key");
  CHECK(server.LoyaltyStub()
            ->Earn(earn_context.get(), order, &earned)
            .error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  loyalty::v1::QuoteEarnResponse quoted;
  auto quote_context = ContextWithKey("app-key");
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
  auto batch_context = ContextWithKey("app-key");
  REQUIRE(server.LoyaltyStub()
              ->EarnBatch(batch_context.get(), batch, &results)
              .ok());
  REQUIRE(results.results_size() == 2);
  CHECK(results.results(0).code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(results.results(1).code() != grpc::StatusCode::RESOURCE_EXHAUSTED);
}

}  // namespace
}  // namespace loyalty::testing
