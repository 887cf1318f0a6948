// Transport safety of the npm package (as tests/test_transport.py): https-only base URLs with
// loopback excepted, redirects never followed, bodies capped at 10 MB, certificates verified.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { localServer, PAYEE, sdk } from "./helpers.mjs";

const { ConnectPSP, ConnectPSPError, ConnectionError, ValidationError } = sdk;
const CREDS = { clientId: "id", clientSecret: "secret-value", applicationToken: "f47ac10b-58cc-4372-a567-0e02b2c3d479", cryptoToken: "crypto-value" };
const CAP = 10 * 1024 * 1024;
const TOKEN = JSON.stringify({ accessToken: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0In0.c2ln", tokenType: "Bearer", expiresIn: 3600 });
const BALANCE = { currency: "BRL", consolidated: { totalBalance: 10.0, transactionalBalance: 10.0, proprietaryBalance: 0.0 }, banks: [] };

test("base URLs that are refused", () => {
  for (const baseUrl of [
    "http://api.example.com", "http://10.0.0.5:8080", "http://192.168.1.10", "http://127.0.0.1.nip.io",
    "http://localhost.example.com", "ftp://api.connectpsp.com", "javascript:alert(1)", "file:///etc/passwd", "",
    "https://", "api.connectpsp.com", "https://api.connectpsp.com\r\nX-Evil: 1",
  ]) {
    assert.throws(() => new ConnectPSP({ ...CREDS, baseUrl }), (e) => e instanceof ValidationError && e.field === "baseUrl", baseUrl);
  }
});

test("base URLs that are accepted, and plain http elsewhere only with the loud option", () => {
  for (const baseUrl of ["https://api.example.com", "https://api.connectpsp.com/", "http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"]) {
    new ConnectPSP({ ...CREDS, baseUrl });
  }
  assert.throws(() => new ConnectPSP({ ...CREDS, baseUrl: "http://10.0.0.5:8080" }), ValidationError);
  new ConnectPSP({ ...CREDS, baseUrl: "http://10.0.0.5:8080", dangerouslyAllowInsecureHttp: true });
});

function reply(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body);
}

for (const status of [301, 302, 303, 307, 308]) {
  test(`a ${status} is never followed`, async () => {
    const target = await localServer((req, res) => reply(res, 200, JSON.stringify(BALANCE)));
    const origin = await localServer((req, res) =>
      req.url === "/auth/token" ? reply(res, 200, TOKEN) : reply(res, status, "", { location: target.url + req.url }),
    );
    try {
      const client = new ConnectPSP({ ...CREDS, baseUrl: origin.url, maxRetries: 0, timeoutMs: 2000 });
      await assert.rejects(client.account.balance(), (e) => e instanceof ConnectPSPError && e.status === status);
      assert.deepEqual(origin.hits, ["POST /auth/token", "GET /account/balance"]);
      assert.deepEqual(target.hits, [], "the redirect was followed (and the bearer token sent elsewhere)");
    } finally {
      await origin.close();
      await target.close();
    }
  });
}

for (const status of [307, 308]) {
  test(`a ${status} on the token exchange does not carry the secret elsewhere`, async () => {
    // A following client would re-POST the body (the client secret) to the target.
    const target = await localServer((req, res) => reply(res, 200, TOKEN));
    const origin = await localServer((req, res) => reply(res, status, "", { location: target.url + req.url }));
    try {
      const client = new ConnectPSP({ ...CREDS, baseUrl: origin.url, maxRetries: 0, timeoutMs: 2000 });
      await assert.rejects(client.account.balance(), (e) => e instanceof ConnectPSPError && e.status === status);
      assert.deepEqual(origin.hits, ["POST /auth/token"]);
      assert.deepEqual(target.hits, []);
    } finally {
      await origin.close();
      await target.close();
    }
  });
}

function balanceOfSize(size) {
  const base = JSON.stringify({ ...BALANCE, pad: "" });
  return base.replace('"pad":""', `"pad":"${"x".repeat(size - base.length)}"`);
}

for (const chunked of [false, true]) {
  test(`bodies over 10 MB are refused (${chunked ? "chunked" : "content-length"})`, async () => {
    const big = Buffer.from(balanceOfSize(CAP + 1));
    const server = await localServer((req, res) => {
      if (req.url === "/auth/token") return reply(res, 200, TOKEN);
      if (chunked) {
        res.writeHead(200, { "content-type": "application/json" });
        for (let i = 0; i < big.length; i += 1 << 20) res.write(big.subarray(i, i + (1 << 20)));
        return res.end();
      }
      reply(res, 200, big);
    });
    try {
      const client = new ConnectPSP({ ...CREDS, baseUrl: server.url, maxRetries: 0, timeoutMs: 10_000 });
      await assert.rejects(client.account.balance(), ConnectionError);
    } finally {
      await server.close();
    }
  });
}

test("a body just under the cap is read", async () => {
  const big = balanceOfSize(CAP - 1024);
  const server = await localServer((req, res) => reply(res, 200, req.url === "/auth/token" ? TOKEN : big));
  try {
    const client = new ConnectPSP({ ...CREDS, baseUrl: server.url, maxRetries: 0, timeoutMs: 10_000 });
    assert.equal((await client.account.balance()).consolidated.transactionalBalance, "10.00");
  } finally {
    await server.close();
  }
});

test("an untrusted certificate is refused before anything is sent", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rel-tls-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ], { stdio: "ignore" });
  const hits = [];
  const server = createHttpsServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, (req, res) => {
    hits.push(req.url);
    reply(res, 200, TOKEN);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    const client = new ConnectPSP({ ...CREDS, baseUrl: `https://localhost:${server.address().port}`, maxRetries: 0, timeoutMs: 5000 });
    await assert.rejects(
      client.cashOut.create({ amount: "1.00", externalReference: "tls-1", payee: PAYEE }),
      (e) => e instanceof ConnectionError && e.outcomeUnknown === false,
    );
    assert.deepEqual(hits, [], "a request reached a server whose certificate is not trusted");
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
