// Compile-time checks of `connectpsp/testing` (tsc --strict --noEmit, run by `make test-js`).
import { ConnectPSP, webhooks } from "connectpsp";
import { startSandbox, webhookEvent, webhookSignature, type RunningSandbox, type SignedWebhook } from "connectpsp/testing";

export async function helpers(): Promise<void> {
  const sandbox: RunningSandbox = await startSandbox({ args: ["--manual-settle"] });
  const client = new ConnectPSP(sandbox.options({ timeoutMs: 5_000 }));
  const signed: SignedWebhook = webhookEvent("CASHOUT_COMPLETED", { transactionId: "t" }, sandbox.credentials.cryptoToken);
  const sig: string = webhookSignature(signed.body, sandbox.credentials.cryptoToken);
  webhooks.constructEvent(signed.body, sig, sandbox.credentials.cryptoToken);
  // @ts-expect-error the payload is a string or bytes
  webhookSignature({ a: 1 }, "t");
  await client.close();
  await sandbox.stop();
}
