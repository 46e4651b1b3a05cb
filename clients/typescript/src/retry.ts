// When and how long to wait before retrying a failed call. Pure functions,
// so tests check the rules without a server or a clock.
import { isTransientCode, TRANSIENT_METADATA_KEY, TRANSIENT_METADATA_VALUE } from "./contract.js";

export interface RetryPolicy {
  /** Attempts in all, the first included; 1 never retries. */
  attemptsMax: number;
  /** Ceiling of the wait before the first retry. */
  initialBackoffMs: number;
  /** No wait is ever longer than this. */
  backoffMaxMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  attemptsMax: 5,
  initialBackoffMs: 50,
  backoffMaxMs: 2000,
});

/**
 * Whether a failure may be retried with the same request id: a transient
 * code of the contract, or the server's "loyalty-transient: true" trailer.
 * `metadata` is the failed call's headers and trailers.
 */
export function isRetryable(code: number, metadata: Headers | undefined): boolean {
  if (isTransientCode(code)) return true;
  return metadata?.get(TRANSIENT_METADATA_KEY)?.trim().toLowerCase() === TRANSIENT_METADATA_VALUE;
}

/**
 * The ceiling of the wait before retry number `retryIndex` (0 for the first
 * retry): initialBackoffMs doubled per retry, capped at backoffMaxMs.
 */
export function backoffCeilingMs(policy: RetryPolicy, retryIndex: number): number {
  // 2^31 times any allowed initial backoff is past every allowed cap, so the
  // exponent is clamped before Math.pow can reach Infinity.
  const doublings = Math.min(Math.max(retryIndex, 0), 31);
  return Math.min(policy.backoffMaxMs, policy.initialBackoffMs * 2 ** doublings);
}

/**
 * The wait before retry number `retryIndex`, with full jitter: uniform in
 * [0, ceiling], so clients that failed together do not retry together.
 * `random` returns a number in [0, 1), like Math.random.
 */
export function backoffDelayMs(policy: RetryPolicy, retryIndex: number, random: () => number = Math.random): number {
  const ceilingMs = backoffCeilingMs(policy, retryIndex);
  const draw = Math.min(Math.max(random(), 0), 1);
  // draw * (ceiling + 1) floored is uniform over the integers 0..ceiling;
  // min() keeps a random source that returns 1 inside the bound.
  return Math.min(ceilingMs, Math.floor(draw * (ceilingMs + 1)));
}
