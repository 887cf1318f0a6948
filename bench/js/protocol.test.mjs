// The Node peers' protocol work must be honest: exact amounts, the documented signature,
// single-flight token refresh, a real status check.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PeerError, TokenCache, cashOutBody, parseResource, tokenFrom } from "./protocol.mjs";

// The vector of the API reference (§3.4), checked there against `openssl dgst -sha256 -hmac`.
const ACCESS_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjbGllbnQtMTIzIn0.dGVzdA";
const SIGNATURE = "a76b22fac49b0808e807dda882d0efaab0a01ff16e48c570227176400756c7e6";
const CREDENTIALS = { applicationToken: "app-guid", cryptoToken: "test-crypto-token-0001" };

test("DigitalSignature matches the reference vector", () => {
  const token = tokenFrom(JSON.stringify({ accessToken: ACCESS_TOKEN, expiresIn: 3600 }), CREDENTIALS);
  assert.equal(token.headers.digitalsignature, SIGNATURE);
  assert.equal(token.headers.authorization, `Bearer ${ACCESS_TOKEN}`);
  const margin = token.refreshAt - Date.now();
  assert.ok(margin > 3_530_000 && margin <= 3_540_000, `refresh 60 s before expiry, got ${margin} ms`);
});

test("the amount is written as a number with two decimals, never through a float", () => {
  const payee = { name: "Maria Silva", document: "12345678909" };
  const body = cashOutBody("150.50", "ref-1", "desc", payee);
  assert.ok(body.startsWith('{"amount":150.50,'), body);
  assert.deepEqual(JSON.parse(body), { amount: 150.5, externalReference: "ref-1", description: "desc", payee });
  for (const bad of ["1", "1.5", "1.005", "-1.00", "1e3"]) assert.throws(() => cashOutBody(bad, "r", "d", payee), TypeError);
});

test("concurrent callers share one token refresh", async () => {
  let fetches = 0;
  const cache = new TokenCache(async () => {
    fetches += 1;
    await new Promise((resolve) => setTimeout(resolve, 10));
    return { headers: {}, refreshAt: Date.now() + 60_000 };
  });
  const tokens = await Promise.all(Array.from({ length: 100 }, () => cache.current()));
  assert.equal(fetches, 1);
  assert.ok(tokens.every((token) => token === tokens[0]));
});

test("non-2xx and bodies without transactionId raise", () => {
  assert.throws(() => parseResource(409, '{"code":"DUPLICATE_EXTERNAL_REFERENCE"}'), (error) => {
    assert.ok(error instanceof PeerError);
    assert.equal(error.status, 409);
    assert.equal(error.code, "DUPLICATE_EXTERNAL_REFERENCE");
    return true;
  });
  assert.throws(() => parseResource(202, '{"status":"PROCESSING"}'), PeerError);
  assert.equal(parseResource(202, '{"transactionId":"t-1"}').transactionId, "t-1");
});
