// Compile-time checks of the public types (tsc --strict --noEmit, run by `make test-js`).
// Lines marked @ts-expect-error must fail to compile: they prove the types reject misuse.
import {
  AbortError,
  ConnectPSP,
  ConnectPSPError,
  ConnectionError,
  InsufficientFundsError,
  BusinessRuleError,
  ValidationError,
  WebhookSignatureError,
  idempotencyKeyFor,
  InMemoryTokenStore,
  pix,
  webhooks,
  type CallOptions,
  type KeyedCallOptions,
  type ClientConstructEventOptions,
  type TokenStore,
  type CashIn,
  type KeyTypeDetection,
  type Logger,
  type RequestEvent,
  type ResponseEvent,
  type CashInStatus,
  type CashOut,
  type CreateCashOutParams,
  type Destination,
  type KnownCashInStatus,
  type PixDestination,
  type WebhookEvent,
  type WithResponse,
} from "connectpsp";

declare const env: Record<string, string>;

export async function quickstart(): Promise<void> {
  const client = new ConnectPSP({
    clientId: env.ID!,
    clientSecret: env.SECRET!,
    applicationToken: env.APP!,
    cryptoToken: env.CRYPTO!,
    baseUrl: ConnectPSP.STAGING,
    timeoutMs: 30_000,
    maxRetries: 2,
    fetch: globalThis.fetch,
  });

  const ci: WithResponse<CashIn> = await client.cashIn.create({
    amount: "150.50",
    externalReference: "order-1",
    payer: { name: "João Silva", document: "12345678909" },
    webhookUrl: "https://example.com/hook",
    expirationInMinutes: 60,
  });
  const id: string = ci.transactionId;
  const amount: string = ci.amount;
  const code: string | undefined = ci.pixData?.copyAndPaste;
  const key: string | null = ci.response.idempotencyKey;
  void [id, amount, code, key];

  // Statuses are open (a status the API adds later still arrives); the known ones autocomplete.
  if (ci.status === "AWAITING_PAYMENT") console.log("waiting");
  const later: CashInStatus = "ON_HOLD";
  const known: KnownCashInStatus = "PAID";
  // @ts-expect-error "PAYED" is not a documented cash-in status
  const typo: KnownCashInStatus = "PAYED";
  void [later, known, typo];

  await client.cashIn.create({ amount: 150.5, externalReference: "n", payer: { name: "a", document: "1" } });
  // @ts-expect-error an amount is a string or a number, not a bigint
  await client.cashIn.create({ amount: 10n, externalReference: "n", payer: { name: "a", document: "1" } });
  // @ts-expect-error payer is required
  await client.cashIn.create({ amount: "1.00", externalReference: "n" });

  await client.cashIn.get(id);
  await client.cashIn.refund(id, { reason: "CUSTOMER_REQUEST" });
  // @ts-expect-error not a refund reason
  await client.cashIn.refund(id, { reason: "BORED" });

  const pixPayout: CreateCashOutParams = {
    amount: "50.00",
    externalReference: "wd-42",
    payee: {
      name: "Maria",
      document: "12345678909",
      destination: { type: "PIX", pixKeyType: "CPF", pixKey: "12345678909" },
    },
  };
  const co: CashOut = await client.cashOut.create(pixPayout, { idempotencyKey: idempotencyKeyFor("wd-42") });
  await client.cashOut.create({
    amount: "50.00",
    externalReference: "wd-43",
    payee: {
      name: "Maria",
      document: "12345678909",
      destination: {
        type: "BANK_ACCOUNT",
        bankAccount: { ispb: "18236120", branch: "0001", account: "947710840", accountType: "PAYMENT" },
      },
    },
  });
  const flat: Destination = { type: "PIX", pixKeyType: "EMAIL", pixKey: "a@b.com" };
  // @ts-expect-error a PIX destination needs pixKeyType and pixKey, not bankAccount
  const wrong: PixDestination = { type: "PIX", bankAccount: { ispb: "1", branch: "1", account: "1", accountType: "PAYMENT" } };
  void [flat, wrong];
  if (co.status === "FAILED") console.log(co.failure?.code);
  await client.cashOut.get(co.transactionId);

  const balance = await client.account.balance();
  const total: string = balance.consolidated.totalBalance;
  void total;
  const result = await client.account.rebalance({ targetAmount: "1000000.00" });
  const ok: boolean = result.success;
  void ok;

  try {
    await client.cashOut.create(pixPayout);
  } catch (error) {
    if (error instanceof InsufficientFundsError) {
      const b: BusinessRuleError = error;
      void b;
    } else if (error instanceof ConnectionError && error.outcomeUnknown) {
      await client.cashOut.create(pixPayout, { idempotencyKey: error.idempotencyKey ?? undefined });
    } else if (error instanceof ValidationError) {
      const field: string | null = error.field;
      void field;
    } else if (error instanceof ConnectPSPError) {
      const status: number | null = error.status;
      void status;
    }
  }
}

export async function perCall(client: ConnectPSP, payout: CreateCashOutParams): Promise<void> {
  const controller = new AbortController();
  const options: CallOptions = { signal: controller.signal, idempotencyKey: idempotencyKeyFor("wd-44") };
  try {
    const out = await client.cashOut.create(payout, options);
    const replayed: boolean = out.response.replayed;
    void replayed;
    // A re-send with a saved key: its errors are outcome unknown (only the keyed calls take it).
    const resend: KeyedCallOptions = { idempotencyKey: idempotencyKeyFor("wd-44"), possiblyApplied: true };
    await client.cashOut.create(payout, resend);
    // @ts-expect-error a GET takes no possiblyApplied (nothing it does can be applied)
    await client.cashOut.get(out.transactionId, { possiblyApplied: true });
    await client.cashOut.get(out.transactionId, { signal: AbortSignal.timeout(5_000) });
    await client.account.balance({ signal: controller.signal });
  } catch (error) {
    if (error instanceof AbortError) {
      const unknown: boolean = error.outcomeUnknown;
      const key: string | null = error.idempotencyKey;
      const c: ConnectPSPError = error;
      void [unknown, key, c];
    }
  }
  // @ts-expect-error a signal is an AbortSignal
  await client.account.balance({ signal: "stop" });
  await client.cashOut.get("id", { timeoutMs: 2_000, deadlineMs: 5_000, maxRetries: 0 });
  // @ts-expect-error maxRetries is a number
  await client.cashOut.get("id", { maxRetries: "2" });
  const onResponse = (e: ResponseEvent): void => {
    const status: number | null = e.status;
    const retry: boolean = e.willRetry;
    const unknown: boolean = e.outcomeUnknown;
    const path: string = e.path;
    void [status, retry, unknown, path, e.requestId, e.elapsedMs, e.callId];
  };
  client.on("request", (e: RequestEvent) => void e.idempotencyKey).on("response", onResponse).off("response", onResponse);
  // @ts-expect-error only "request" and "response"
  client.on("retry", () => undefined);
  const settled: CashOut = await client.cashOut.wait("id", { timeoutMs: 60_000, signal: controller.signal });
  const paid: CashIn = await client.cashIn.wait("id");
  void [settled, paid];
  const logger: Logger = console;
  const quiet = new ConnectPSP({ clientId: "a", clientSecret: "b", applicationToken: "c", cryptoToken: "d", logger });
  const silent = new ConnectPSP({ clientId: "a", clientSecret: "b", applicationToken: "c", cryptoToken: "d", logger: null });
  const closed: Promise<void> = quiet.close();
  await closed;
  void silent;
}

export function receive(body: string, headers: Record<string, string>, cryptoToken: string): void {
  let event: WebhookEvent;
  try {
    event = webhooks.constructEvent(body, headers["x-connect-signature"] ?? "", cryptoToken);
  } catch (error) {
    if (error instanceof WebhookSignatureError) return;
    throw error;
  }
  switch (event.eventType) {
    case "CASHIN_PAID":
    case "CASHIN_REFUNDED": {
      const paid: CashIn = event.data;
      void paid;
      break;
    }
    case "CASHOUT_COMPLETED":
    case "CASHOUT_FAILED":
    case "CASHOUT_REFUNDED": {
      const out: CashOut = event.data;
      void out.failure;
      break;
    }
  }
  const key: string = event.dedupeKey;
  void key;
}

export function toolkit(): void {
  const valid: boolean = pix.isValidCpf("12345678909") && pix.isValidCnpj("11222333000181");
  const normalised: string = pix.validateKey("EMAIL", "a@b.com");
  // @ts-expect-error not a PIX key type
  pix.validateKey("IBAN", "x");
  const code: string = pix.buildBrCode({ key: "a@b.com", merchantName: "Loja", merchantCity: "SAO PAULO" });
  const parsed = pix.parseBrCode(code);
  const detected: KeyTypeDetection = pix.detectKeyType("a@b.com");
  const kind: string | null = detected.type;
  const doc: string = pix.formatDocument(pix.normalizeDocument("123.456.789-09"));
  const svg: string = pix.qrSvg(code);
  const png: Promise<Uint8Array> = pix.qrPng(code, { modulePx: 4 });
  // @ts-expect-error modulePx is a number
  void pix.qrPng(code, { modulePx: "4" });
  const rotated: WebhookEvent = webhooks.constructEvent("{}", "sig", ["new", "old"], { toleranceMs: 300_000 });
  void [valid, normalised, parsed, kind, doc, svg, png, rotated];
}

export async function sharedTokensAndRotation(): Promise<void> {
  // Any object with get/set, sync or async: node-redis's get answers Promise<string | null>.
  const redisLike: TokenStore = {
    get: async (key: string): Promise<string | null> => (key ? null : null),
    set: async (_key: string, _value: string, _ttlMs: number): Promise<string> => "OK",
  };
  const memory: TokenStore = new InMemoryTokenStore();
  const client = new ConnectPSP({
    clientId: env.ID!,
    clientSecret: env.SECRET!,
    applicationToken: env.APP!,
    cryptoToken: env.CRYPTO!,
    tokenStore: Math.random() > 0.5 ? redisLike : memory,
    webhookCryptoTokens: [env.CRYPTO_NEW!, env.CRYPTO!],
    webhookToleranceMs: 24 * 3600_000,
  });
  const options: ClientConstructEventOptions = { cryptoToken: [env.CRYPTO_NEW!], toleranceMs: 60_000, nowMs: Date.now() };
  const event: WebhookEvent = client.webhooks.constructEvent("{}", { "x-connect-signature": "sig" }, options);
  // @ts-expect-error a store needs both methods
  const broken: TokenStore = { get: () => null };
  // @ts-expect-error the tokens are strings
  new ConnectPSP({ clientId: "", clientSecret: "", applicationToken: "", cryptoToken: "", webhookCryptoTokens: [1] });
  void [event, broken];
}
