// The Loyalty Ledger client for Node.js app backends.
export { LoyaltyClient, isWriteMethod, type CallOptions, type ServiceClient } from "./client.js";
export { LoyaltyError, OptionsError, OutcomeUnknownError, parseReason, statusCodeName } from "./errors.js";
export type { LoyaltyClientOptions, TlsOptions } from "./options.js";
export { DEFAULT_CALL_TIMEOUT_MS } from "./options.js";
export { backoffCeilingMs, backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryable, type RetryPolicy } from "./retry.js";
export { generateRequestId } from "./request_id.js";
export * as contract from "./contract.js";
export { EntryChain, EntryChainError } from "./entry_chain.js";
// The generated messages and enums (create(EarnRequestSchema, {...}) etc.).
export * from "./gen/loyalty/v1/common_pb.js";
export * from "./gen/loyalty/v1/program_pb.js";
export * from "./gen/loyalty/v1/loyalty_service_pb.js";
