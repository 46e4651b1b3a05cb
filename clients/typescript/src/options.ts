// LoyaltyClient's options and their validation. Every refusal is an
// OptionsError naming the option, thrown before any connection is made.
import { OptionsError } from "./errors.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";

export interface TlsOptions {
  /** PEM roots the server's certificate must chain to; omitted: Node's default roots. */
  rootCertsPem?: string;
  /** PEM certificate for mutual TLS; needs clientKeyPem. */
  clientCertPem?: string;
  /** PEM private key of clientCertPem. */
  clientKeyPem?: string;
}

export interface LoyaltyClientOptions {
  /** "host:port"; an IPv6 host in brackets ("[::1]:50051"). */
  address: string;
  /** Connect over TLS. Exactly one of tls and insecureLoopback. */
  tls?: TlsOptions;
  /**
   * Plaintext HTTP/2, only to a loopback address (127.0.0.0/8, ::1,
   * localhost): for a server on the same machine. Exactly one of tls and
   * insecureLoopback.
   */
  insecureLoopback?: boolean;
  /** Sent as "authorization: Bearer <apiKey>" on every call. */
  apiKey: string;
  /** Deadline of each attempt (not of all retries together). Default 5000. */
  callTimeoutMs?: number;
  /** Retries of transient failures; every field optional (DEFAULT_RETRY_POLICY). */
  retry?: Partial<RetryPolicy>;
}

/** Options after validation, with defaults filled in. */
export interface ResolvedOptions {
  baseUrl: string;
  host: string;
  tls: TlsOptions | undefined;
  apiKey: string;
  callTimeoutMs: number;
  retry: RetryPolicy;
}

export const DEFAULT_CALL_TIMEOUT_MS = 5000;
export const CALL_TIMEOUT_MS_MAX = 3_600_000;
export const ATTEMPTS_MAX_LIMIT = 100;
export const BACKOFF_MS_LIMIT = 600_000;

const OPTION_KEYS = ["address", "tls", "insecureLoopback", "apiKey", "callTimeoutMs", "retry"];
const TLS_KEYS = ["rootCertsPem", "clientCertPem", "clientKeyPem"];
const RETRY_KEYS = ["attemptsMax", "initialBackoffMs", "backoffMaxMs"];

// A misspelt option ("callTimeout") would otherwise be ignored silently.
function refuseUnknownKeys(value: object, known: string[], prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new OptionsError(`${prefix}${key}`, `is not an option (known: ${known.join(", ")})`);
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function integerIn(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionsError(field, `must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

function pemOption(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !value.includes("-----BEGIN ")) {
    throw new OptionsError(field, "must be PEM text (-----BEGIN ...)");
  }
  return value;
}

/** Splits "host:port" and checks both parts. */
export function parseAddress(address: unknown): { host: string; port: number } {
  if (typeof address !== "string" || address === "") {
    throw new OptionsError("address", 'is required, as "host:port"');
  }
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(address);
  if (match === null) {
    throw new OptionsError("address", `must be "host:port" (an IPv6 host in brackets), got "${address}"`);
  }
  const port = Number(match[2]);
  if (port < 1 || port > 65535) {
    throw new OptionsError("address", `port must be from 1 to 65535, got ${match[2]}`);
  }
  return { host: match[1]!, port };
}

/** Whether `host` (as parseAddress returns it) is this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host === "[::1]") return true;
  const octets = host.split(".");
  return (
    octets.length === 4 &&
    octets[0] === "127" &&
    octets.every((octet) => /^[0-9]{1,3}$/.test(octet) && Number(octet) <= 255)
  );
}

/** Validates `options` and fills in defaults; throws OptionsError naming the field. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (!isPlainObject(options)) throw new OptionsError("options", "must be an object");
  refuseUnknownKeys(options, OPTION_KEYS, "");
  const { host, port } = parseAddress(options.address);

  const { tls, insecureLoopback } = options;
  if (insecureLoopback !== undefined && typeof insecureLoopback !== "boolean") {
    throw new OptionsError("insecureLoopback", "must be true or false");
  }
  if (tls !== undefined && insecureLoopback === true) {
    throw new OptionsError("tls", "and insecureLoopback exclude each other: choose one");
  }
  let tlsOptions: TlsOptions | undefined;
  if (tls !== undefined) {
    if (!isPlainObject(tls)) throw new OptionsError("tls", "must be an object (may be empty: {})");
    refuseUnknownKeys(tls, TLS_KEYS, "tls.");
    tlsOptions = {
      rootCertsPem: pemOption(tls.rootCertsPem, "tls.rootCertsPem"),
      clientCertPem: pemOption(tls.clientCertPem, "tls.clientCertPem"),
      clientKeyPem: pemOption(tls.clientKeyPem, "tls.clientKeyPem"),
    };
    if ((tlsOptions.clientCertPem === undefined) !== (tlsOptions.clientKeyPem === undefined)) {
      const missing = tlsOptions.clientCertPem === undefined ? "tls.clientCertPem" : "tls.clientKeyPem";
      throw new OptionsError(missing, "is required with the other half of the client certificate");
    }
  } else if (insecureLoopback === true) {
    if (!isLoopbackHost(host)) {
      throw new OptionsError("insecureLoopback", `is only for a loopback address, not "${host}": use tls`);
    }
  } else {
    throw new OptionsError("tls", "is required (or insecureLoopback: true for a server on this machine)");
  }

  const { apiKey } = options;
  if (typeof apiKey !== "string" || apiKey === "") {
    throw new OptionsError("apiKey", "is required");
  }
  // The key travels in a header: printable ASCII without spaces, or the
  // HTTP/2 layer would refuse it on the first call instead of here.
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new OptionsError("apiKey", "must be printable ASCII without spaces");
  }

  const callTimeoutMs = integerIn(
    options.callTimeoutMs,
    "callTimeoutMs",
    1,
    CALL_TIMEOUT_MS_MAX,
    DEFAULT_CALL_TIMEOUT_MS,
  );

  const retryInput = options.retry ?? {};
  if (!isPlainObject(retryInput)) throw new OptionsError("retry", "must be an object");
  refuseUnknownKeys(retryInput, RETRY_KEYS, "retry.");
  const attemptsMax = integerIn(
    retryInput.attemptsMax,
    "retry.attemptsMax",
    1,
    ATTEMPTS_MAX_LIMIT,
    DEFAULT_RETRY_POLICY.attemptsMax,
  );
  const initialBackoffMs = integerIn(
    retryInput.initialBackoffMs,
    "retry.initialBackoffMs",
    1,
    BACKOFF_MS_LIMIT,
    DEFAULT_RETRY_POLICY.initialBackoffMs,
  );
  const backoffMaxMs = integerIn(
    retryInput.backoffMaxMs,
    "retry.backoffMaxMs",
    initialBackoffMs,
    BACKOFF_MS_LIMIT,
    Math.max(DEFAULT_RETRY_POLICY.backoffMaxMs, initialBackoffMs),
  );

  const scheme = tlsOptions === undefined ? "http" : "https";
  return {
    baseUrl: `${scheme}://${host}:${port}`,
    host,
    tls: tlsOptions,
    apiKey,
    callTimeoutMs,
    retry: { attemptsMax, initialBackoffMs, backoffMaxMs },
  };
}
