// Node entry for `import`: the same module instance as `require` (node.cjs), so an error thrown
// by a client made in CommonJS code is `instanceof` the classes imported here, and the package
// holds one token cache per client whichever way it was loaded. Loaded with `require` rather
// than `import … from "./node.cjs"`: importing CommonJS makes Node lex node.cjs and the files it
// re-exports for their export names, work the names listed below make useless.
import { createRequire } from "node:module";

const api = createRequire(import.meta.url)("./node.cjs");

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
