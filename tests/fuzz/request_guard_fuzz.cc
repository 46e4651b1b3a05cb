// File: tests/fuzz/request_guard_fuzz.cc
//
// Fuzzes the guard every request passes before loyaltyd parses it
// (server/request_guard.h). Input: a selector byte choosing the request
// type (the input of the n-th method of LoyaltyService then AdminService,
// modulo their count), then the request's bytes as they would come off the
// wire.
//
// Oracles, written from protobuf's rules and the guard's documented bounds
// rather than from the walker:
//   - a refusal is INVALID_ARGUMENT with reason INVALID_FIELD;
//   - whatever protobuf cannot parse, the guard refuses (so loyaltyd never
//     hands gRPC's INTERNAL to a client);
//   - whatever the guard accepts parses, and the parsed message, read by
//     reflection, keeps every bound: strings valid UTF-8 and at most
//     kRequestStringBytesMax bytes, repeated fields at most
//     kRequestRepeatedItemsMax items, nesting at most kRequestNestingDepthMax;
//   - a message protobuf parsed that keeps those bounds, serialized again
//     without unknown fields, passes the guard (the guard refuses no request
//     a client's serializer writes).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "server/request_guard.h"

namespace loyalty {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::vector<const Descriptor*> RequestTypes() {
  std::vector<const Descriptor*> types;
  for (const char* service_name :
       {"loyalty.v1.LoyaltyService", "loyalty.v1.AdminService"}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            service_name);
    LEDGER_CHECK(service != nullptr);
    for (int i = 0; i < service->method_count(); ++i) {
      types.push_back(service->method(i)->input_type());
    }
  }
  return types;
}

// Whether `message` keeps the guard's bounds, by reflection; `depth` is its
// own nesting (the request is 0).
bool KeepsBounds(const Message& message, int depth) {
  if (depth > kRequestNestingDepthMax) return false;
  const Reflection& reflection = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->is_repeated()) {
      const int size = reflection.FieldSize(message, field);
      if (size > kRequestRepeatedItemsMax) return false;
      for (int i = 0; i < size; ++i) {
        if (field->type() == FieldDescriptor::TYPE_STRING) {
          const std::string value =
              reflection.GetRepeatedString(message, field, i);
          if (!IsValidUtf8(value) ||
              static_cast<int64_t>(value.size()) > kRequestStringBytesMax) {
            return false;
          }
        } else if (field->type() == FieldDescriptor::TYPE_MESSAGE &&
                   !KeepsBounds(
                       reflection.GetRepeatedMessage(message, field, i),
                       depth + 1)) {
          return false;
        }
      }
    } else if (field->type() == FieldDescriptor::TYPE_STRING) {
      const std::string value = reflection.GetString(message, field);
      if (!IsValidUtf8(value) ||
          static_cast<int64_t>(value.size()) > kRequestStringBytesMax) {
        return false;
      }
    } else if (field->type() == FieldDescriptor::TYPE_MESSAGE &&
               !KeepsBounds(reflection.GetMessage(message, field), depth + 1)) {
      return false;
    }
  }
  return true;
}

}  // namespace
}  // namespace loyalty

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace loyalty;  // NOLINT: a fuzz entry point.
  static const std::vector<const Descriptor*> types = RequestTypes();
  if (size == 0) return 0;
  const Descriptor& descriptor = *types[data[0] % types.size()];
  const std::string wire(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(
          &descriptor);
  LEDGER_CHECK(prototype != nullptr);
  std::unique_ptr<Message> parsed(prototype->New());
  const bool protobuf_parses =
      parsed->ParseFromArray(wire.data(), static_cast<int>(wire.size()));

  const absl::Status checked = CheckRequestWire(wire, descriptor);
  if (!checked.ok()) {
    LEDGER_CHECK(checked.code() == absl::StatusCode::kInvalidArgument);
    LEDGER_CHECK(ReasonOf(checked) == loyalty::v1::ERROR_REASON_INVALID_FIELD);
  }
  if (!protobuf_parses) {
    LEDGER_CHECK(!checked.ok());
    return 0;
  }
  if (checked.ok()) {
    LEDGER_CHECK(KeepsBounds(*parsed, 0));
    std::unique_ptr<Message> through_guard(prototype->New());
    LEDGER_CHECK(ParseRequest(wire, through_guard.get()).ok());
    LEDGER_CHECK(through_guard->SerializeAsString() ==
                 parsed->SerializeAsString());
  }
  // Unknown fields may hold groups, which protobuf keeps and the guard
  // refuses; a client's serializer only writes the fields it knows.
  parsed->DiscardUnknownFields();
  const std::string reserialized = parsed->SerializeAsString();
  if (KeepsBounds(*parsed, 0) &&
      static_cast<int64_t>(reserialized.size()) <= kRequestBytesMax) {
    LEDGER_CHECK(CheckRequestWire(reserialized, descriptor).ok());
  }
  return 0;
}
