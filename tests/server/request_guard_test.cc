// What every request must be before loyaltyd parses it
// (server/request_guard.h): well-formed, UTF-8 strings, bounded sizes, each
// refusal INVALID_ARGUMENT naming the field. The guard on its own, then
// through a running server, where gRPC's parser alone would have answered
// INTERNAL "Unable to parse request".
#include "server/request_guard.h"

#include <future>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "catch2/catch.hpp"
#include "google/protobuf/descriptor.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "server_test_util.h"

namespace loyalty::testing {
namespace {

using loyalty::v1::EarnRequest;

// An earn whose second line's SKU is `sku` (in its serialized form; the
// caller may put invalid bytes there by replacing it).
EarnRequest TwoLineEarn() {
  EarnRequest request;
  *request.mutable_context() = PosContext("guard-1");
  request.mutable_context()->set_store_id("12");
  request.set_member_id("m-1");
  request.set_order_id("o-1");
  request.set_currency("EUR");
  for (const char* sku : {"SKU-A", "SKU-B"}) {
    loyalty::v1::BasketLine* line = request.add_lines();
    line->set_sku(sku);
    line->set_quantity(1);
    line->set_unit_price_minor(1000);
  }
  return request;
}

// `request` serialized, with the bytes `from` replaced by `to` (same length,
// so every length prefix stays right).
std::string SerializedWith(const google::protobuf::Message& request,
                           const std::string& from, const std::string& to) {
  REQUIRE(from.size() == to.size());
  std::string wire = request.SerializeAsString();
  REQUIRE(wire.find(from) != std::string::npos);
  return absl::StrReplaceAll(wire, {{from, to}});
}

std::string RefusalOf(const std::string& wire,
                      const google::protobuf::Descriptor& descriptor) {
  absl::Status status = CheckRequestWire(wire, descriptor);
  if (status.ok()) return "accepted";
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(loyalty::ReasonOf(status) == loyalty::v1::ERROR_REASON_INVALID_FIELD);
  return std::string(status.message());
}

TEST_CASE("UTF-8 is checked as protobuf checks it: strictly",
          "[server][guard]") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ASCII"));
  CHECK(IsValidUtf8("Caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  CHECK(IsValidUtf8("\xF4\x8F\xBF\xBF"));                           // U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xFF"));
  CHECK_FALSE(IsValidUtf8("\x80"));              // A lone continuation byte.
  CHECK_FALSE(IsValidUtf8("\xC0\x80"));          // Overlong NUL.
  CHECK_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // Overlong '/'.
  CHECK_FALSE(IsValidUtf8("\xED\xA0\x80"));      // A surrogate.
  CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // Past U+10FFFF.
  CHECK_FALSE(IsValidUtf8("\xE2\x82"));          // Cut short.
  CHECK_FALSE(IsValidUtf8(std::string("ok\xC3", 3)));
}

TEST_CASE("a well-formed request passes the guard and parses unchanged",
          "[server][guard]") {
  const EarnRequest request = TwoLineEarn();
  EarnRequest parsed;
  parsed.set_order_id("left over from an earlier use");
  REQUIRE(ParseRequest(request.SerializeAsString(), &parsed).ok());
  CHECK(parsed.SerializeAsString() == request.SerializeAsString());
}

TEST_CASE("a string that is not UTF-8 is refused naming its field path",
          "[server][guard]") {
  const auto& descriptor = *EarnRequest::descriptor();
  CHECK(RefusalOf(SerializedWith(TwoLineEarn(), "SKU-B", "SK\xFF-B"),
                  descriptor) == "lines[1].sku: is not valid UTF-8");
  CHECK(RefusalOf(SerializedWith(TwoLineEarn(), "12", "1\xC0"), descriptor) ==
        "context.store_id: is not valid UTF-8");
  EarnRequest with_codes = TwoLineEarn();
  with_codes.add_coupon_codes("CODE-ONE");
  with_codes.add_coupon_codes("CODE-TWO");
  CHECK(RefusalOf(SerializedWith(with_codes, "CODE-TWO", "CODE\xED\xA0\x80."),
                  descriptor) == "coupon_codes[1]: is not valid UTF-8");
  // ParseRequest refuses it the same way and leaves protobuf out of it.
  EarnRequest parsed;
  absl::Status status =
      ParseRequest(SerializedWith(TwoLineEarn(), "SKU-B", "SK\xFF-B"), &parsed);
  CHECK(status.message() == "lines[1].sku: is not valid UTF-8");
}

TEST_CASE("strings, repeated fields and the request itself have bounds",
          "[server][guard]") {
  const auto& descriptor = *EarnRequest::descriptor();
  EarnRequest long_note = TwoLineEarn();
  long_note.set_order_id(std::string(kRequestStringBytesMax, 'x'));
  CHECK(RefusalOf(long_note.SerializeAsString(), descriptor) == "accepted");
  long_note.set_order_id(std::string(kRequestStringBytesMax + 1, 'x'));
  CHECK(RefusalOf(long_note.SerializeAsString(), descriptor) ==
        "order_id: is 4097 bytes; a request's strings may be at most 4096");

  EarnRequest many_codes = TwoLineEarn();
  for (int i = 0; i < kRequestRepeatedItemsMax; ++i) {
    many_codes.add_coupon_codes("C");
  }
  CHECK(RefusalOf(many_codes.SerializeAsString(), descriptor) == "accepted");
  many_codes.add_coupon_codes("C");
  CHECK(RefusalOf(many_codes.SerializeAsString(), descriptor) ==
        "coupon_codes: has more than 1000 items");

  // Packed repeated enums count their values, not their fields.
  loyalty::v1::WatchEntriesRequest watch;
  for (int i = 0; i <= kRequestRepeatedItemsMax; ++i) {
    watch.add_kinds(loyalty::v1::ENTRY_KIND_EARN);
  }
  CHECK(RefusalOf(watch.SerializeAsString(),
                  *loyalty::v1::WatchEntriesRequest::descriptor()) ==
        "kinds: has more than 1000 items");

  const std::string huge(kRequestBytesMax + 1, '\0');
  CHECK(RefusalOf(huge, descriptor) ==
        "request: is 4194305 bytes; a request may be at most 4194304");
}

TEST_CASE("bytes that are not a message are refused, saying where",
          "[server][guard]") {
  const auto& descriptor = *EarnRequest::descriptor();
  const std::string wire = TwoLineEarn().SerializeAsString();
  // Cut inside the last line: the outer length prefix now runs past the end.
  CHECK(RefusalOf(wire.substr(0, wire.size() - 3), descriptor) ==
        "request: is not a well-formed loyalty.v1.EarnRequest message (a "
        "truncated field 5 in EarnRequest at byte " +
            std::to_string(wire.rfind(std::string("\x2A", 1))) + ")");
  CHECK(absl::StrContains(RefusalOf(std::string("\x00", 1), descriptor),
                          "field number 0"));
  CHECK(absl::StrContains(RefusalOf("\x0B", descriptor),  // Group start.
                          "wire type 3 of field 1"));
  CHECK(absl::StrContains(RefusalOf("\x08\xFF", descriptor),
                          "a truncated field 1"));
  // A field this build does not know is skipped, whatever it holds.
  CHECK(RefusalOf(std::string("\xFA\x3E\x02\xFF\xFE", 5), descriptor) ==
        "accepted");
}

TEST_CASE("messages may not nest deeper than the guard's bound",
          "[server][guard]") {
  // No contract request nests itself; descriptor.proto's DescriptorProto
  // does (nested_type), so it shows the bound.
  google::protobuf::DescriptorProto outer;
  google::protobuf::DescriptorProto* inner = &outer;
  for (int depth = 1; depth <= kRequestNestingDepthMax; ++depth) {
    inner = inner->add_nested_type();
  }
  inner->set_name("deepest allowed");
  const auto& descriptor = *google::protobuf::DescriptorProto::descriptor();
  CHECK(RefusalOf(outer.SerializeAsString(), descriptor) == "accepted");
  inner->add_nested_type()->set_name("one too deep");
  CHECK(absl::StrContains(RefusalOf(outer.SerializeAsString(), descriptor),
                          "nests messages deeper than 16"));
}

// Sends `wire` as `method`'s request with `key`; the status and the reason.
struct RawAnswer {
  grpc::Status status;
  std::string reason;
};
RawAnswer CallRaw(const TestServer& server, const std::string& method,
                  const std::string& wire) {
  grpc::GenericStub stub(server.NewChannel());
  std::unique_ptr<grpc::ClientContext> context = ContextWithKey("admin-key");
  grpc::Slice slice(wire);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request,
                 &response,
                 [&done](grpc::Status status) { done.set_value(status); });
  grpc::Status status = done.get_future().get();
  return {status, testing::ReasonOf(*context)};
}

uint64_t EntriesWritten(const TestServer& server) {
  auto admin = server.AdminStub();
  std::unique_ptr<grpc::ClientContext> context = ContextWithKey("admin-key");
  loyalty::v1::ServerStats stats;
  REQUIRE(admin->GetServerStats(context.get(), {}, &stats).ok());
  return stats.entries();
}

TEST_CASE(
    "the server answers a request that is not UTF-8 INVALID_ARGUMENT "
    "naming the field, and writes nothing",
    "[server][guard]") {
  TempDir dir;
  TestServer server(dir.path());
  const uint64_t entries_before = EntriesWritten(server);

  RawAnswer earn = CallRaw(server, "/loyalty.v1.LoyaltyService/Earn",
                           SerializedWith(TwoLineEarn(), "SKU-B", "SK\xFF-B"));
  CHECK(earn.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(earn.status.error_message() == "lines[1].sku: is not valid UTF-8");
  CHECK(earn.reason == "ERROR_REASON_INVALID_FIELD");

  // A streaming method's request goes through the same guard. (The typed
  // stub sends the bytes as they are; protobuf only logs while serializing.)
  loyalty::v1::WatchEntriesRequest watch;
  watch.add_member_ids("member\xC3\x28");
  auto admin = server.AdminStub();
  std::unique_ptr<grpc::ClientContext> context = ContextWithKey("admin-key");
  auto reader = admin->WatchEntries(context.get(), watch);
  loyalty::v1::WatchEntriesResponse response;
  CHECK_FALSE(reader->Read(&response));
  const grpc::Status stream_status = reader->Finish();
  CHECK(stream_status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(stream_status.error_message() == "member_ids[0]: is not valid UTF-8");

  RawAnswer truncated = CallRaw(server, "/loyalty.v1.LoyaltyService/Earn",
                                std::string("\x2A\x10", 2));
  CHECK(truncated.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(truncated.reason == "ERROR_REASON_INVALID_FIELD");

  CHECK(EntriesWritten(server) == entries_before);
}

TEST_CASE(
    "a request over the size bound is INVALID_ARGUMENT with a reason up to "
    "twice the bound, then gRPC's own RESOURCE_EXHAUSTED",
    "[server][guard]") {
  TempDir dir;
  TestServer server(dir.path());
  EarnRequest big = TwoLineEarn();
  // Unknown field 4000: bytes nobody reads, bounded only by the size.
  auto with_padding = [&big](int64_t padding_bytes) {
    std::string wire = big.SerializeAsString();
    wire += "\x82\xFA\x01";  // Field 4000, length-delimited.
    uint64_t length = static_cast<uint64_t>(padding_bytes);
    while (length >= 0x80) {
      wire += static_cast<char>((length & 0x7F) | 0x80);
      length >>= 7;
    }
    wire += static_cast<char>(length);
    wire.append(static_cast<size_t>(padding_bytes), 'p');
    return wire;
  };
  RawAnswer over = CallRaw(server, "/loyalty.v1.LoyaltyService/Earn",
                           with_padding(kRequestBytesMax));
  CHECK(over.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(absl::StartsWith(over.status.error_message(), "request: is "));
  CHECK(over.reason == "ERROR_REASON_INVALID_FIELD");

  RawAnswer far_over = CallRaw(server, "/loyalty.v1.LoyaltyService/Earn",
                               with_padding(kRequestTransportBytesMax));
  CHECK(far_over.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
}

}  // namespace
}  // namespace loyalty::testing
