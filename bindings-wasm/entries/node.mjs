// Node entry for `import`: the same module instance as `require` (node.cjs), so an error thrown
// by a client made in CommonJS code is `instanceof` the classes imported here, and the package
// holds one token cache per client whichever way it was loaded.
import api from "./node.cjs";

export const {
  ConnectPSP,
  ConnectPSPError,
  ValidationError,
  AuthenticationError,
  SignatureError,
  NotFoundError,
  ConflictError,
  BusinessRuleError,
  InsufficientFundsError,
  RateLimitError,
  ServerError,
  TimeoutError,
  ConnectionError,
  DecodeError,
  WebhookSignatureError,
  AbortError,
  InMemoryTokenStore,
  pix,
  webhooks,
  idempotencyKeyFor,
  VERSION,
} = api;
