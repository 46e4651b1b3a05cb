#include "server/async_call.h"

#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/slice.h"
#include "ledger/common/status_util.h"
#include "server/request_guard.h"

namespace loyalty {

absl::Status ParseRequestBytes(const grpc::ByteBuffer& bytes,
                               google::protobuf::Message* request) {
  if (!bytes.Valid()) return ParseRequest("", request);  // No payload at all.
  grpc::Slice whole;
  if (!bytes.DumpToSingleSlice(&whole).ok()) {
    return InvalidField("request", "could not be read");
  }
  return ParseRequest(
      absl::string_view(reinterpret_cast<const char*>(whole.begin()),
                        whole.size()),
      request);
}

grpc::ByteBuffer SerializeResponse(const google::protobuf::Message& response) {
  grpc::ByteBuffer bytes;
  bool own_buffer = false;
  const grpc::Status serialized =
      grpc::SerializationTraits<google::protobuf::Message>::Serialize(
          response, &bytes, &own_buffer);
  // Invariant: a message the server built always serializes (it fails only
  // past 2 GiB, and responses are bounded far below that).
  LEDGER_CHECK(serialized.ok());
  return bytes;
}

}  // namespace loyalty
