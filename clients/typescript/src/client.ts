// LoyaltyClient: typed methods for every LoyaltyService and AdminService RPC
// over one call core, which adds the request id, the API key and a deadline
// per attempt, and retries transient failures with the same request id.
import {
  clone,
  create,
  type DescMessage,
  type DescMethod,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  type DescService,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { ConnectError, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { SecureClientSessionOptions } from "node:http2";

import { LoyaltyError, OptionsError, OutcomeUnknownError } from "./errors.js";
import { RequestContextSchema } from "./gen/loyalty/v1/common_pb.js";
import { AdminService, LoyaltyService } from "./gen/loyalty/v1/loyalty_service_pb.js";
import { CALL_TIMEOUT_MS_MAX, resolveOptions, type LoyaltyClientOptions, type ResolvedOptions } from "./options.js";
import { generateRequestId } from "./request_id.js";
import { backoffDelayMs } from "./retry.js";

/** Per-call options. */
export interface CallOptions {
  /** Cancels the call and its retries. */
  signal?: AbortSignal;
  /** This call's deadline per attempt, instead of the client's callTimeoutMs. */
  timeoutMs?: number;
}

/**
 * One async method per RPC of a service, named as in the .proto in
 * lowerCamelCase (Earn -> earn). A unary method resolves to the response; a
 * server-streaming one yields the responses as they come.
 */
export type ServiceClient<Desc extends DescService> = {
  [P in keyof Desc["method"]]: Desc["method"][P] extends DescMethodUnary<infer I, infer O>
    ? (request: MessageInitShape<I>, options?: CallOptions) => Promise<MessageShape<O>>
    : Desc["method"][P] extends DescMethodServerStreaming<infer I, infer O>
      ? (request: MessageInitShape<I>, options?: CallOptions) => AsyncIterable<MessageShape<O>>
      : never;
};

// Methods whose request has a RequestContext but that write nothing: a
// failure of theirs is an answer or a plain error, never "outcome unknown".
const READ_METHODS_WITH_CONTEXT = new Set([
  "loyalty.v1.LoyaltyService.QuoteEarn",
  "loyalty.v1.LoyaltyService.ValidateCoupon",
]);

/** Whether `method` writes to the ledger (its request has a context, and it is no read). */
export function isWriteMethod(method: DescMethod): boolean {
  const context = method.input.fields.find((field) => field.localName === "context");
  if (context?.message?.typeName !== RequestContextSchema.typeName) return false;
  return !READ_METHODS_WITH_CONTEXT.has(`${method.parent.typeName}.${method.name}`);
}

// The call's own timeoutMs, checked like the client's callTimeoutMs.
function checkedTimeoutMs(callOptions: CallOptions): number | undefined {
  const { timeoutMs } = callOptions;
  if (timeoutMs === undefined) return undefined;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > CALL_TIMEOUT_MS_MAX) {
    throw new OptionsError(
      "callOptions.timeoutMs",
      `must be an integer from 1 to ${CALL_TIMEOUT_MS_MAX} (got ${String(timeoutMs)})`,
    );
  }
  return timeoutMs;
}

function rpcName(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

// A function, so TypeScript does not narrow `aborted` across an await.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

// Waits `ms`, or less if `signal` aborts.
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export class LoyaltyClient {
  /** LoyaltyService: members, points, coupons, vouchers, rewards, wallet. */
  readonly loyalty: ServiceClient<typeof LoyaltyService>;
  /** AdminService: adjustments, verification, stats, import, close, merge, bulk codes, change stream, backups. */
  readonly admin: ServiceClient<typeof AdminService>;
  /** The options after validation, with defaults filled in (the API key left out). */
  readonly options: Readonly<Omit<ResolvedOptions, "apiKey">>;

  private readonly apiKey: string;
  private readonly transport: Transport;
  private readonly sessionManager: Http2SessionManager;
  private readonly random: () => number;

  /**
   * Validates `options` (OptionsError naming the field) and prepares the
   * connection; nothing is dialled until the first call. `random` (for
   * tests) draws the retry jitter, like Math.random.
   */
  constructor(options: LoyaltyClientOptions, random: () => number = Math.random) {
    const { apiKey, ...resolved } = resolveOptions(options);
    this.apiKey = apiKey;
    this.options = Object.freeze(resolved);
    this.random = random;
    const nodeOptions: SecureClientSessionOptions = {};
    const tls = this.options.tls;
    if (tls !== undefined) {
      if (tls.rootCertsPem !== undefined) nodeOptions.ca = tls.rootCertsPem;
      if (tls.clientCertPem !== undefined) nodeOptions.cert = tls.clientCertPem;
      if (tls.clientKeyPem !== undefined) nodeOptions.key = tls.clientKeyPem;
    }
    // Our own session manager, so close() can end the connection.
    this.sessionManager = new Http2SessionManager(this.options.baseUrl, {}, nodeOptions);
    this.transport = createGrpcTransport({
      baseUrl: this.options.baseUrl,
      sessionManager: this.sessionManager,
    });
    this.loyalty = this.serviceClient(LoyaltyService);
    this.admin = this.serviceClient(AdminService);
  }

  /**
   * Ends the connection and the calls in flight on it. The client stays
   * usable: a later call dials again. (An idle connection does not keep
   * the process alive, so a script need not call this to exit.)
   */
  close(): void {
    this.sessionManager.abort();
  }

  /**
   * The call core of every unary RPC. A write gets a RequestContext with a
   * fresh request id when it has none (the caller's message is not
   * changed); every attempt sends the same id. Transient failures are
   * retried up to retry.attemptsMax attempts in all, with capped
   * exponential backoff and full jitter. Throws LoyaltyError for an answer
   * (or a read's last failure) and OutcomeUnknownError for a write whose
   * attempts all failed transiently or that `signal` cancelled in flight.
   */
  async call<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
    callOptions: CallOptions = {},
  ): Promise<MessageShape<O>> {
    const write = isWriteMethod(method);
    const { message, requestId } = this.prepare(method, request, write);
    const headers = this.headers();
    const timeoutMs = checkedTimeoutMs(callOptions) ?? this.options.callTimeoutMs;
    const { signal } = callOptions;
    const policy = this.options.retry;
    for (let attempt = 1; ; attempt++) {
      let failure: LoyaltyError;
      try {
        const response = await this.transport.unary(method, signal, timeoutMs, headers, message);
        return response.message;
      } catch (caught) {
        failure = LoyaltyError.fromConnectError(ConnectError.from(caught), rpcName(method), isAborted(signal));
      }
      const cancelled = isAborted(signal);
      const retriesLeft = attempt < policy.attemptsMax && !cancelled;
      if (failure.transient && retriesLeft) {
        await sleep(backoffDelayMs(policy, attempt - 1, this.random), signal);
        if (!isAborted(signal)) continue;
      }
      const unanswered = failure.transient || cancelled;
      if (write && unanswered) {
        throw new OutcomeUnknownError({ requestId, method: rpcName(method), attempts: attempt, lastError: failure });
      }
      throw failure;
    }
  }

  /**
   * A server-streaming RPC (GenerateCoupons), without retries: a stream
   * cut midway is resumed by calling again with the same request (the
   * server replays what it wrote). Failures are thrown while iterating, as
   * in call(); a write cut by a transient failure is OutcomeUnknownError.
   * A stream lasts as long as its batch needs, so callTimeoutMs does not
   * bound it: pass timeoutMs or a signal to.
   */
  async *stream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    request: MessageInitShape<I>,
    callOptions: CallOptions = {},
  ): AsyncIterable<MessageShape<O>> {
    const write = isWriteMethod(method);
    const { message, requestId } = this.prepare(method, request, write);
    // Connect reads a timeout of 0 as none.
    const timeoutMs = checkedTimeoutMs(callOptions) ?? 0;
    try {
      const response = await this.transport.stream(
        method,
        callOptions.signal,
        timeoutMs,
        this.headers(),
        (async function* () {
          yield message;
        })(),
      );
      yield* response.message;
    } catch (caught) {
      if (caught instanceof LoyaltyError || caught instanceof OutcomeUnknownError) throw caught;
      const cancelled = isAborted(callOptions.signal);
      const failure = LoyaltyError.fromConnectError(ConnectError.from(caught), rpcName(method), cancelled);
      const unanswered = failure.transient || cancelled;
      if (write && unanswered) {
        throw new OutcomeUnknownError({ requestId, method: rpcName(method), attempts: 1, lastError: failure });
      }
      throw failure;
    }
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.apiKey}` };
  }

  // A copy of the request, with a request id when it is a write.
  private prepare<I extends DescMessage>(
    method: DescMethod & { input: I },
    request: MessageInitShape<I>,
    write: boolean,
  ): { message: MessageShape<I>; requestId: string } {
    // create() may keep a nested message of the caller's by reference, so
    // the clone is what keeps the caller's context untouched.
    const message = clone(method.input, create(method.input, request));
    if (!write) return { message, requestId: "" };
    // Every write's request has `context` (isWriteMethod checked its type).
    const holder = message as unknown as { context?: MessageShape<typeof RequestContextSchema> };
    holder.context ??= create(RequestContextSchema);
    if (holder.context.requestId === "") holder.context.requestId = generateRequestId();
    return { message, requestId: holder.context.requestId };
  }

  private serviceClient<Desc extends DescService>(service: Desc): ServiceClient<Desc> {
    const methods: Record<string, unknown> = {};
    for (const method of service.methods) {
      if (method.methodKind === "unary") {
        methods[method.localName] = (request: MessageInitShape<DescMessage>, options?: CallOptions) =>
          this.call(method as DescMethodUnary<DescMessage, DescMessage>, request, options);
      } else if (method.methodKind === "server_streaming") {
        methods[method.localName] = (request: MessageInitShape<DescMessage>, options?: CallOptions) =>
          this.stream(method as DescMethodServerStreaming<DescMessage, DescMessage>, request, options);
      }
    }
    return methods as ServiceClient<Desc>;
  }
}
