// File: server/status_mapping.h
//
// The one place an absl::Status from the ledger becomes a gRPC status. The
// codes carry over one to one (absl's codes are gRPC's); the machine-readable
// loyalty.v1.ErrorReason travels in the "loyalty-reason" trailing metadata,
// with "loyalty-transient: true" when a retry of the same call may succeed,
// and "loyalty-retry-after-ms" when a limit says when.
#ifndef LOYALTY_SERVER_STATUS_MAPPING_H_
#define LOYALTY_SERVER_STATUS_MAPPING_H_

#include <cstdint>

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace loyalty {

// Converts `status` and adds its reason to `context`'s trailing metadata.
// OK maps to OK with no metadata.
grpc::Status ToGrpcStatus(const absl::Status& status,
                          grpc::ServerContext* context);

// `status` with a hint of when the caller's next call is allowed, sent as
// the "loyalty-retry-after-ms" trailing metadata (rate limits).
absl::Status WithRetryAfterMs(absl::Status status, int64_t retry_after_ms);

// Whether a client may retry the same call after this code
// (loyalty/v1/contract.h says which codes and why).
bool IsTransient(absl::StatusCode code);

}  // namespace loyalty

#endif  // LOYALTY_SERVER_STATUS_MAPPING_H_
