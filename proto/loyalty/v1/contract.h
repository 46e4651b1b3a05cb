// File: loyalty/v1/contract.h
//
// What the wire contract says beside the .proto files, defined once for the
// server and every C++ client (the TypeScript client restates it, with a
// test against these values):
//
//   - A failed call carries its loyalty.v1.ErrorReason, by its value's name
//     (ERROR_REASON_INSUFFICIENT_POINTS), in the "loyalty-reason" trailing
//     metadata.
//   - "loyalty-transient: true" marks a failure a retry of the same call
//     (same request id) may get past. The codes below are exactly those.
//   - "loyalty-retry-after-ms: N" on a rate-limited call (RATE_LIMITED,
//     UNKNOWN_CODE_LOOKUPS_LIMITED) says in how many milliseconds the
//     caller's next call is allowed.
//
// No gRPC or Abseil types here: status codes are their shared numbering
// (grpc/doc/statuscodes.md), which both libraries use.
#ifndef LOYALTY_V1_CONTRACT_H_
#define LOYALTY_V1_CONTRACT_H_

namespace loyalty::contract {

inline constexpr char kReasonMetadataKey[] = "loyalty-reason";
inline constexpr char kTransientMetadataKey[] = "loyalty-transient";
inline constexpr char kTransientMetadataValue[] = "true";
inline constexpr char kRetryAfterMsMetadataKey[] = "loyalty-retry-after-ms";

inline constexpr int kCodeDeadlineExceeded = 4;
inline constexpr int kCodeResourceExhausted = 8;
inline constexpr int kCodeAborted = 10;
inline constexpr int kCodeUnavailable = 14;

// Whether a client may retry the same call, with the same request id, after
// a failure with status code `code`:
//   UNAVAILABLE         the server is starting, stopping or lost storage.
//   DEADLINE_EXCEEDED   the answer did not arrive in time; the ledger may
//                       have applied it, and the retry replays that answer.
//   RESOURCE_EXHAUSTED  the write queue or a rate limit was full.
//   ABORTED             the storage was busy; a command is self-contained
//                       (it reads nothing on the client's side), so redoing
//                       it whole is the same call again.
// Every other failure is an answer: retrying it gets the same one.
constexpr bool IsTransientCode(int code) {
  return code == kCodeUnavailable || code == kCodeDeadlineExceeded ||
         code == kCodeResourceExhausted || code == kCodeAborted;
}

}  // namespace loyalty::contract

#endif  // LOYALTY_V1_CONTRACT_H_
