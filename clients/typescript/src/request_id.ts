import { randomBytes } from "node:crypto";

/** Bits of randomness in a generated request id (as in the C++ client). */
export const REQUEST_ID_BITS = 128;

/**
 * A fresh request id: 128 bits from the operating system's CSPRNG as 32
 * lowercase hex characters. Two ids collide with negligible probability, so
 * the server never mistakes a new call for a retry of another.
 */
export function generateRequestId(): string {
  return randomBytes(REQUEST_ID_BITS / 8).toString("hex");
}
