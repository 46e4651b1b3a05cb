// The wire contract beside the .proto files, restated from
// proto/loyalty/v1/contract.h (test/contract.test.ts checks that every
// constant there has its twin here, with the same value).
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
// Status codes use gRPC's numbering, which Connect's Code enum shares.

export const REASON_METADATA_KEY = "loyalty-reason";
export const TRANSIENT_METADATA_KEY = "loyalty-transient";
export const TRANSIENT_METADATA_VALUE = "true";
export const RETRY_AFTER_MS_METADATA_KEY = "loyalty-retry-after-ms";

export const CODE_DEADLINE_EXCEEDED = 4;
export const CODE_RESOURCE_EXHAUSTED = 8;
export const CODE_ABORTED = 10;
export const CODE_UNAVAILABLE = 14;

/**
 * Whether a client may retry the same call, with the same request id, after
 * a failure with status `code`:
 *   UNAVAILABLE         the server is starting, stopping or lost storage.
 *   DEADLINE_EXCEEDED   the answer did not arrive in time; the ledger may
 *                       have applied it, and the retry replays that answer.
 *   RESOURCE_EXHAUSTED  the write queue or a rate limit was full.
 *   ABORTED             the storage was busy; redoing the command whole is
 *                       the same call again.
 * Every other failure is an answer: retrying it gets the same one.
 */
export function isTransientCode(code: number): boolean {
  return (
    code === CODE_UNAVAILABLE ||
    code === CODE_DEADLINE_EXCEEDED ||
    code === CODE_RESOURCE_EXHAUSTED ||
    code === CODE_ABORTED
  );
}
