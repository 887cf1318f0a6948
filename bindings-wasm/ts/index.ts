// The public surface of the `connectpsp` package (the same for every entry point).

export { ConnectPSP } from "./client.js";
export type { AccountResource, CashInResource, CashOutResource, ClientConstructEventOptions, ClientWebhooks } from "./client.js";
export {
  AbortError,
  AuthenticationError,
  BusinessRuleError,
  ConflictError,
  ConnectionError,
  ConnectPSPError,
  DecodeError,
  InsufficientFundsError,
  NotFoundError,
  RateLimitError,
  ServerError,
  SignatureError,
  TimeoutError,
  ValidationError,
  WebhookSignatureError,
} from "./errors.js";
export type { ErrorFields } from "./errors.js";
export { idempotencyKeyFor, pix } from "./pix.js";
export type { BrCode, BuildBrCodeParams, KeyTypeDetection, QrPngOptions } from "./pix.js";
export { InMemoryTokenStore } from "./token-store.js";
export { webhooks } from "./webhooks.js";
export type { ConstructEventOptions } from "./webhooks.js";
export { VERSION } from "./version.js";
export type * from "./types.js";
