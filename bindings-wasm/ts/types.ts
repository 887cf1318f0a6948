// The public shapes of the package: options, request bodies and responses. Field names are the
// API's (camelCase); amounts are exact decimal strings on the way out ("150.50") and decimal
// strings or two-decimal numbers on the way in. The core validates everything; these types only
// let the compiler catch mistakes earlier.

/** An amount in reais: `"150.50"`, `"500"`, or a number whose shortest form has at most two
 * decimals (`150.5`). `0.1 + 0.2` is rejected with a ValidationError, never rounded. */
export type AmountInput = string | number;

/** An amount as the SDK returns it: always a decimal string with two decimals (`"150.50"`). */
export type AmountString = string;

/** The runtime's `fetch`, whatever its typing is in the caller's `lib` settings. */
export type FetchLike = typeof globalThis extends { fetch: infer F }
  ? F
  : (input: string, init?: Record<string, unknown>) => Promise<unknown>;

/**
 * Credentials may be typed `string | undefined` so `process.env.X` can be passed as is: a
 * missing one is refused at construction with a ValidationError naming it. Leaving a key out
 * altogether is still a compile error.
 */
export interface ConnectPSPOptions {
  clientId: string | undefined;
  clientSecret: string | undefined;
  applicationToken: string | undefined;
  /** Signs cash-out, refund and rebalance calls and verifies webhooks. */
  cryptoToken: string | undefined;
  /** `ConnectPSP.PRODUCTION`, `ConnectPSP.STAGING` or the sandbox (`http://127.0.0.1:…`).
   * Defaults to staging: production must be named. https only, except loopback. */
  baseUrl?: string;
  /** Budget of one HTTP attempt (default 30 000). */
  timeoutMs?: number;
  /** Retries after the first attempt, for calls that are safe to repeat (default 2). */
  maxRetries?: number;
  /** Budget of a whole call across attempts and waits (default `timeoutMs * (maxRetries + 1)`). */
  deadlineMs?: number;
  /** A `fetch` to use instead of the package's HTTP client (Node: undici; elsewhere the global
   * `fetch`), for proxies, tracing or tests. */
  fetch?: FetchLike;
  /** Where log lines go: any console-compatible object (`console`, pino, winston). One line per
   * HTTP attempt (`debug` when answered below 400, `info` otherwise) and a `warn` when a
   * money-moving call is abandoned after its request may have been sent. Default: `warn` and
   * `error` to the console, nothing else; `null`: silent. Never a secret, a body or a document. */
  logger?: Logger | null;
  /** Constructing a client with secrets in a browser exposes them to every visitor of the
   * page; it throws unless this is true. */
  dangerouslyAllowBrowser?: boolean;
  /** Allows plain http to a non-loopback host. Never in production. */
  dangerouslyAllowInsecureHttp?: boolean;
}

/** A console-compatible logger: every method is optional. */
export interface Logger {
  debug?(message: string, ...rest: unknown[]): void;
  info?(message: string, ...rest: unknown[]): void;
  warn?(message: string, ...rest: unknown[]): void;
  error?(message: string, ...rest: unknown[]): void;
}

/** Options of one call. */
export interface CallOptions {
  /** Re-submit a call whose outcome is unknown with the key from the error, never a new one. */
  idempotencyKey?: string;
  /** Cancels the call: it rejects with an AbortError (check its `outcomeUnknown`). */
  signal?: AbortSignal;
  /** This call's budget of one HTTP attempt, instead of the client's `timeoutMs`. */
  timeoutMs?: number;
  /** This call's budget across attempts and waits, instead of the client's `deadlineMs`. */
  deadlineMs?: number;
  /** This call's retries, instead of the client's `maxRetries` (0: one attempt). */
  maxRetries?: number;
}

/** Options of `cashOut.wait` / `cashIn.wait`. */
export interface WaitOptions {
  /** How long to keep polling (default 120 000 ms). */
  timeoutMs?: number;
  /** Stops waiting: rejects with an AbortError. */
  signal?: AbortSignal;
}

/** `client.on(name, listener)`: "request" before each HTTP attempt, "response" after it. */
export type ConnectPSPEventName = "request" | "response";

/** One HTTP attempt about to be sent. No body, header value, secret or personal data. */
export interface RequestEvent {
  /** The SDK method: `cashOut.create`, `cashIn.get`, … */
  call: string;
  /** Numbers the calls of this client (1, 2, …): every event of one call carries the same. */
  callId: number;
  /** "api" for the call itself, "token" for a `POST /auth/token` exchange it led. */
  purpose: "api" | "token";
  /** HTTP method. */
  method: string;
  /** The path template (`/cash-out/{id}`), never the id itself. */
  path: string;
  /** 1, 2, … per purpose. */
  attempt: number;
  /** The X-Idempotency-Key of the attempt (null for token exchanges and unkeyed calls). */
  idempotencyKey: string | null;
}

/** What became of an attempt. */
export interface ResponseEvent extends RequestEvent {
  /** The HTTP status, or null when no answer was read. */
  status: number | null;
  /** How the attempt failed without an answer, else null. */
  failure: "connect" | "timeout" | "io" | null;
  elapsedMs: number;
  /** X-Request-Id of the answer. */
  requestId: string | null;
  /** The SDK will send this request again (after a backoff, or after a token refresh). */
  willRetry: boolean;
  /** Were the call to end now, its outcome would be unknown (an attempt may have been applied). */
  outcomeUnknown: boolean;
}

export type RequestListener = (event: RequestEvent) => unknown;
export type ResponseListener = (event: ResponseEvent) => unknown;

// ---------------------------------------------------------------------------------------------
// Cash-in

export interface Payer {
  name: string;
  /** CPF (11 digits) or CNPJ (14), digits only. */
  document: string;
}

export interface OpenFinanceParams {
  /** Where the payer returns after authorising in the bank app. */
  redirectUrl?: string;
}

export interface CreateCashInParams {
  amount: AmountInput;
  /** Unique per application: 1–128 printable ASCII characters without `/ ? # %`. */
  externalReference: string;
  payer: Payer;
  /** https (or http to loopback) URL that receives CASHIN_PAID and CASHIN_REFUNDED. */
  webhookUrl?: string;
  /** Validity of the QR code (the API's default is 1440). */
  expirationInMinutes?: number;
  /** Switches to an OpenFinance payment link (`paymentUrl` in the response). */
  openFinance?: OpenFinanceParams;
}

export type CashInStatus = "AWAITING_PAYMENT" | "PAID" | "EXPIRED" | "REFUNDED" | "CANCELLED";

export interface PayerBankData {
  ispb: string;
  bank: string;
  branch: string;
  account: string;
}

export interface PixData {
  /** The BR Code ("Pix Copia e Cola"). */
  copyAndPaste: string;
  /** PNG, Base64 without a `data:` prefix. */
  qrCodeImageBase64: string;
}

export interface CashIn {
  transactionId: string;
  internalCode: string;
  externalReference: string;
  status: CashInStatus;
  amount: AmountString;
  payer: Payer & { bankData?: PayerBankData | null };
  /** Only on the create response of a QR-code cash-in. */
  pixData?: PixData | null;
  /** Only on the create response of an OpenFinance cash-in. */
  paymentUrl?: string | null;
  endToEndId?: string | null;
  originalEndToEndId?: string | null;
  requestedAt?: string | null;
  expiresAt?: string | null;
  paidAt?: string | null;
  refundedAt?: string | null;
  expiredAt?: string | null;
}

/** The create answer of a QR-code cash-in: it always carries the BR Code. */
export type QrCodeCashIn = CashIn & { pixData: PixData };

/** The create answer of an OpenFinance cash-in: a link instead of a QR code. */
export type OpenFinanceCashIn = CashIn & { paymentUrl: string };

export type RefundReason = "FRAUD" | "DUPLICATED_PAYMENT" | "CUSTOMER_REQUEST" | "MERCHANT_ERROR";

export interface RefundCashInParams {
  reason: RefundReason;
  /** Internal audit note (≤ 140 characters), not shown to the payer. */
  description?: string;
}

// ---------------------------------------------------------------------------------------------
// Cash-out

export type PixKeyType = "CPF" | "CNPJ" | "EMAIL" | "PHONE" | "EVP";

export type AccountType = "CHECKING" | "SAVINGS" | "PAYMENT" | "SALARY";

export interface PixDestination {
  type: "PIX";
  pixKeyType: PixKeyType;
  pixKey: string;
}

export interface BankAccount {
  /** 8-digit ISPB of the bank. */
  ispb: string;
  branch: string;
  account: string;
  accountType: AccountType;
}

export interface BankAccountDestination {
  type: "BANK_ACCOUNT";
  bankAccount: BankAccount;
}

/** Where a cash-out goes: a PIX key, or bank-account data. */
export type Destination = PixDestination | BankAccountDestination;

export interface Payee {
  name: string;
  /** CPF (11 digits) or CNPJ (14), digits only. */
  document: string;
  destination: Destination;
}

export interface CreateCashOutParams {
  amount: AmountInput;
  externalReference: string;
  payee: Payee;
  /** May show on the payee's bank statement (≤ 140 characters). */
  description?: string;
  /** Receives CASHOUT_COMPLETED, CASHOUT_FAILED and CASHOUT_REFUNDED. */
  webhookUrl?: string;
}

export type CashOutStatus = "PROCESSING" | "COMPLETED" | "FAILED" | "REFUNDED" | "CANCELLED";

export interface CashOutFailure {
  code: string;
  message: string;
}

export interface CashOut {
  transactionId: string;
  internalCode: string;
  externalReference: string;
  status: CashOutStatus;
  amount: AmountString;
  payee: Payee;
  description?: string | null;
  endToEndId?: string | null;
  originalEndToEndId?: string | null;
  /** Only when `status` is FAILED. */
  failure?: CashOutFailure | null;
  requestedAt?: string | null;
  completedAt?: string | null;
  failedAt?: string | null;
  refundedAt?: string | null;
}

// ---------------------------------------------------------------------------------------------
// Account

export interface BankAccountBalance {
  branch: string;
  account: string;
  balance: AmountString;
}

export interface BankBalance {
  ispb: string;
  bank: string;
  accounts: {
    transactional: BankAccountBalance;
    proprietary?: BankAccountBalance | null;
  };
}

export interface Balance {
  currency: string;
  referenceDate?: string | null;
  consolidated: {
    totalBalance: AmountString;
    transactionalBalance: AmountString;
    proprietaryBalance: AmountString;
  };
  banks: BankBalance[];
  updatedAt?: string | null;
}

export interface RebalanceParams {
  /** The total exposure the transactional accounts should hold (may be 0). */
  targetAmount: AmountInput;
}

export interface RebalanceResult {
  success: boolean;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Responses

/** How a successful call went, for logs and reconciliation. */
export interface ResponseInfo {
  /** HTTP status of the answer (201, 202, 200). */
  status: number;
  /** X-Request-Id of the answer. */
  requestId: string | null;
  /** The X-Idempotency-Key that was sent, if any. */
  idempotencyKey: string | null;
  /** HTTP attempts made for this call, token exchanges excluded. */
  attempts: number;
  /** True when the API answered `Idempotent-Replayed: true`: this is the stored answer of an
   * earlier request with the same idempotency key (found the original), not a new transaction. */
  replayed: boolean;
  /** The response body as received. */
  rawBody: string;
}

/** A resource as returned by a call, with a non-enumerable `response` describing the call
 * (so `JSON.stringify(cashIn)` is just the resource). */
export type WithResponse<T> = T & { readonly response: ResponseInfo };

// ---------------------------------------------------------------------------------------------
// Webhooks

export type CashInEventType = "CASHIN_PAID" | "CASHIN_REFUNDED";
export type CashOutEventType = "CASHOUT_COMPLETED" | "CASHOUT_FAILED" | "CASHOUT_REFUNDED";

interface EventBase {
  /** ISO 8601 time of dispatch. */
  eventAt: string;
  /** `eventType:transactionId:status`: X-Event-Id changes on every delivery attempt, so
   * de-duplicate on this instead. */
  dedupeKey: string;
}

export interface CashInEvent extends EventBase {
  eventType: CashInEventType;
  data: CashIn;
}

export interface CashOutEvent extends EventBase {
  eventType: CashOutEventType;
  data: CashOut;
}

/** A verified webhook; narrow on `eventType`. */
export type WebhookEvent = CashInEvent | CashOutEvent;

/** Header collections `client.webhooks.constructEvent` accepts: a fetch `Headers`, Node's
 * `req.headers`, or a plain object (names are matched case-insensitively). */
export type HeadersLike =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;
