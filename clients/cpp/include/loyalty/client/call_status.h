// File: loyalty/client/call_status.h
//
// What a failed call returns: an absl::Status with the gRPC code (the two
// libraries share the numbering) and message, plus payloads:
//
//   - kReasonPayloadTypeUrl: the server's loyalty.v1.ErrorReason, as the
//     "loyalty-reason" trailer carried it. Read it with ReasonOf().
//   - kOutcomeUnknownPayloadTypeUrl: set on a write whose last attempt
//     failed transiently. The server may or may not have applied it; the
//     payload is the request id it was sent under. Resend the same request
//     with that id later: the server applies it at most once, and replays
//     the first answer when it had. The status keeps the last attempt's
//     code (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED)
//     and message; IsOutcomeUnknown() tells it apart from a read's failure.
//   - kTransientPayloadTypeUrl: the server marked the failure
//     "loyalty-transient: true" (see IsTransientFailure).
#ifndef LOYALTY_CLIENT_CALL_STATUS_H_
#define LOYALTY_CLIENT_CALL_STATUS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::client {

inline constexpr char kReasonPayloadTypeUrl[] =
    "type.googleapis.com/loyalty.client.ErrorReason";
inline constexpr char kOutcomeUnknownPayloadTypeUrl[] =
    "type.googleapis.com/loyalty.client.OutcomeUnknown";
inline constexpr char kTransientPayloadTypeUrl[] =
    "type.googleapis.com/loyalty.client.Transient";

// The failure's ErrorReason; ERROR_REASON_UNSPECIFIED when the server sent
// none (or one this build does not know: see ReasonTextOf).
loyalty::v1::ErrorReason ReasonOf(const absl::Status& status);

// The "loyalty-reason" trailer exactly as the server sent it (the enum
// value's name, or its number), or nullopt when it sent none.
std::optional<std::string> ReasonTextOf(const absl::Status& status);

// Whether `status` is a write's failure after which the ledger may or may
// not hold the write (see above).
bool IsOutcomeUnknown(const absl::Status& status);

// The request id to resend an outcome-unknown write under; "" for any other
// status (and for batch writes, whose events carry their own ids: resend
// the same batch).
std::string OutcomeUnknownRequestId(const absl::Status& status);

// Whether a retry of the same call may get past this failure: the
// contract's transient codes (loyalty/v1/contract.h) or a failure the
// server marked "loyalty-transient: true".
bool IsTransientFailure(const absl::Status& status);

// "FAILED_PRECONDITION" for its code; "CODE_<n>" for a code this build does
// not know.
std::string StatusCodeName(absl::StatusCode code);

}  // namespace loyalty::client

#endif  // LOYALTY_CLIENT_CALL_STATUS_H_
