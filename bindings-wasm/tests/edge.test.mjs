// The edge entry (edge.mjs, the `workerd` condition) in a fresh Node process whose module hooks
// act like an edge bundler: .wasm imports become WebAssembly.Module objects, and any Node
// built-in imported from the package fails the load. The worker-style script then parses a
// BR Code, verifies a webhook and calls the sandbox with only fetch.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import { PKG, startSandbox, vector } from "./helpers.mjs";

let sandbox;
before(async () => {
  sandbox = await startSandbox();
});
after(() => sandbox?.stop());

test("edge.mjs loads without Node built-ins and works with fetch alone", () => {
  const hooks = pathToFileURL(join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "edge-hooks.mjs")).href;
  const { cryptoToken, cases } = vector("webhooks.json");
  const hook = cases.find((c) => c.expect === "ok");
  const script = `
    import { register } from "node:module";
    register(${JSON.stringify(hooks)});
    const sdk = await import(${JSON.stringify(pathToFileURL(join(PKG, "edge.mjs")).href)});
    const options = JSON.parse(process.env.OPTIONS);
    const client = new sdk.ConnectPSP(options);
    const ci = await client.cashIn.create({ amount: "12.30", externalReference: "edge-" + Date.now(),
      payer: { name: "Ana", document: "12345678909" } });
    const event = sdk.webhooks.constructEvent(${JSON.stringify(hook.body)}, ${JSON.stringify(hook.signature)}, ${JSON.stringify(cryptoToken)});
    console.log(JSON.stringify({ amount: sdk.pix.parseBrCode(ci.pixData.copyAndPaste).amount, event: event.eventType }));
  `;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, OPTIONS: JSON.stringify(sandbox.options()), CONNECTPSP_PKG_URL: pathToFileURL(PKG).href },
  });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout.trim().split("\n").at(-1)), { amount: "12.30", event: hook.eventType });
});
