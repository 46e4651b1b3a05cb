// File: server/request_guard.h
//
// What every request must be before it is parsed, let alone authorized or
// shown to the ledger. loyaltyd receives its requests as raw bytes
// (method_table.cc marks every method raw) and parses them here, because
// gRPC's own parser answers a string field that is not UTF-8 with INTERNAL
// "Unable to parse request" and no reason: a client would take that for a
// server fault and retry. Here it is INVALID_ARGUMENT (INVALID_FIELD)
// naming the field.
//
// CheckRequestWire walks the wire format once against the request's
// descriptor and refuses, naming the field path ("lines[2].sku"):
//   - a request larger than kRequestBytesMax;
//   - bytes that are not a well-formed protobuf message;
//   - a string field that is not valid UTF-8 (IsValidUtf8 of
//     ledger/common/validation.h: what protobuf requires), or longer than
//     kRequestStringBytesMax (the ledger's own, tighter limits per field
//     apply afterwards: ids 64 bytes, notes 500, ...);
//   - a repeated field with more than kRequestRepeatedItemsMax items (the
//     ledger's per-field limits, e.g. 200 basket lines, apply afterwards);
//   - messages nested deeper than kRequestNestingDepthMax.
// Those bounds sit above every per-field limit of ledger/common/limits.h,
// so they never refuse a request the ledger would take; they bound what any
// request, including fields the ledger never reads, can cost.
//
// No gRPC here: the guard sees bytes and descriptors (the libFuzzer target
// request_guard drives it directly).
#ifndef LOYALTY_SERVER_REQUEST_GUARD_H_
#define LOYALTY_SERVER_REQUEST_GUARD_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace loyalty {

// gRPC's default receive limit, kept as the contract's. loyaltyd lets gRPC
// receive twice this, so a request between the two is answered by the guard
// with a reason rather than by gRPC's RESOURCE_EXHAUSTED.
inline constexpr int64_t kRequestBytesMax = 4 * 1024 * 1024;
inline constexpr int kRequestTransportBytesMax = 2 * kRequestBytesMax;
inline constexpr int64_t kRequestStringBytesMax = 4096;
// The largest per-field limit is 1,000 (batches, import rows).
inline constexpr int64_t kRequestRepeatedItemsMax = 1000;
inline constexpr int kRequestNestingDepthMax = 16;

// OK when `wire` is a `descriptor` message within the limits above;
// otherwise InvalidArgument with reason INVALID_FIELD naming the field (or
// "request" for the size and the wire format).
absl::Status CheckRequestWire(absl::string_view wire,
                              const google::protobuf::Descriptor& descriptor);

// CheckRequestWire, then parses `wire` into `request` (which is cleared
// first). Whatever passes the check parses (the libFuzzer target
// request_guard asserts it); should protobuf still refuse, the answer is the
// same INVALID_FIELD error for "request".
absl::Status ParseRequest(absl::string_view wire,
                          google::protobuf::Message* request);

}  // namespace loyalty

#endif  // LOYALTY_SERVER_REQUEST_GUARD_H_
