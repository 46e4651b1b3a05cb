// What a failed call becomes: a LoyaltyError (the server's answer, or the
// last transport failure of a read) or an OutcomeUnknownError (a write whose
// retries ran out: it may or may not have been applied).
import type { DescEnumValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorReason, ErrorReasonSchema } from "./gen/loyalty/v1/common_pb.js";
import { REASON_METADATA_KEY } from "./contract.js";
import { isRetryable } from "./retry.js";

/** gRPC's name of a status code, e.g. 9 -> "FAILED_PRECONDITION". */
export function statusCodeName(code: number): string {
  // Connect's Code enum spells gRPC's names in PascalCase, with gRPC's numbers.
  const pascal = (Code as unknown as Record<number, string | undefined>)[code];
  if (pascal === undefined) return `CODE_${code}`;
  if (code === Code.Canceled) return "CANCELLED";
  return pascal.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * The ErrorReason in a "loyalty-reason" value. The contract sends the
 * value's name; a number is understood too. A name this client does not
 * know (a newer server) keeps its text, with the value UNSPECIFIED.
 */
export function parseReason(text: string | null | undefined): { name: string; value: ErrorReason } {
  const trimmed = (text ?? "").trim();
  if (trimmed === "") return { name: "", value: ErrorReason.UNSPECIFIED };
  const byName = ErrorReasonSchema.values.find((v) => v.name === trimmed);
  if (byName !== undefined) return { name: byName.name, value: byName.number };
  if (/^[0-9]+$/.test(trimmed)) {
    const values: Partial<Record<number, DescEnumValue>> = ErrorReasonSchema.value;
    const byNumber = values[Number(trimmed)];
    if (byNumber !== undefined) return { name: byNumber.name, value: byNumber.number };
  }
  return { name: trimmed, value: ErrorReason.UNSPECIFIED };
}

/** A failed call: the server's answer, or the transport's failure. */
export class LoyaltyError extends Error {
  /** gRPC status code (3 INVALID_ARGUMENT, 9 FAILED_PRECONDITION, ...). */
  readonly code: number;
  /** The code's gRPC name, e.g. "FAILED_PRECONDITION". */
  readonly codeName: string;
  /** The ErrorReason's name, e.g. "ERROR_REASON_INSUFFICIENT_POINTS"; "" without one. */
  readonly reason: string;
  /** The same reason as the enum value (UNSPECIFIED without one). */
  readonly reasonValue: ErrorReason;
  /** Whether a retry with the same request id may get past it. */
  readonly transient: boolean;
  /** "loyalty.v1.LoyaltyService/Redeem". */
  readonly method: string;
  /** The server's message, without the code. */
  readonly detail: string;

  constructor(args: {
    code: number;
    detail: string;
    reason: string;
    reasonValue: ErrorReason;
    transient: boolean;
    method: string;
  }) {
    const codeName = statusCodeName(args.code);
    const reasonPart = args.reason === "" ? "" : ` (${args.reason})`;
    super(`${args.method}: ${codeName}: ${args.detail}${reasonPart}`);
    this.name = "LoyaltyError";
    this.code = args.code;
    this.codeName = codeName;
    this.detail = args.detail;
    this.reason = args.reason;
    this.reasonValue = args.reasonValue;
    this.transient = args.transient;
    this.method = args.method;
  }

  /**
   * Reads code, message and the loyalty trailers of a Connect failure.
   * Connect reports a connection lost in flight as CANCELLED, where gRPC's
   * own libraries (the C++ client among them) say UNAVAILABLE; so CANCELLED
   * the caller did not ask for (`callerCancelled` false) becomes
   * UNAVAILABLE, and is retried like it.
   */
  static fromConnectError(error: ConnectError, method: string, callerCancelled = false): LoyaltyError {
    const reason = parseReason(error.metadata.get(REASON_METADATA_KEY));
    const connectionLost = error.code === Code.Canceled && !callerCancelled;
    const code = connectionLost ? Code.Unavailable : error.code;
    return new LoyaltyError({
      code,
      detail: connectionLost ? `connection lost in flight (${error.rawMessage})` : error.rawMessage,
      reason: reason.name,
      reasonValue: reason.value,
      transient: isRetryable(code, error.metadata),
      method,
    });
  }
}

/**
 * A write whose every attempt failed transiently (or that the caller
 * cancelled in flight): the server may have applied it or not. Send the same
 * request again later with `requestId` in its context; the server then
 * applies it once, or replays the first answer (`replayed: true`).
 */
export class OutcomeUnknownError extends Error {
  readonly requestId: string;
  readonly method: string;
  readonly attempts: number;
  /** The last attempt's failure. */
  readonly lastError: LoyaltyError;

  constructor(args: { requestId: string; method: string; attempts: number; lastError: LoyaltyError }) {
    super(
      `${args.method}: outcome unknown after ${args.attempts} attempt(s) ` +
        `(last: ${args.lastError.codeName}: ${args.lastError.detail}); ` +
        `resend with request id ${args.requestId}`,
    );
    this.name = "OutcomeUnknownError";
    this.requestId = args.requestId;
    this.method = args.method;
    this.attempts = args.attempts;
    this.lastError = args.lastError;
  }
}

/**
 * LoyaltyClient options (or one call's options, "callOptions.timeoutMs")
 * that cannot work; `field` names the option.
 */
export class OptionsError extends Error {
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`LoyaltyClient options: ${field} ${problem}`);
    this.name = "OptionsError";
    this.field = field;
  }
}
