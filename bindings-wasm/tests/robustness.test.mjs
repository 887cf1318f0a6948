// Untrusted bytes never crash the module: mutated BR Codes, mutated (but correctly signed)
// webhook bodies and garbage API answers always end in a ConnectPSPError or a result, never a
// WebAssembly trap (a Rust panic aborts) or a stray TypeError. Seeded, so a failure reproduces.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";

import { esm, vector } from "./helpers.mjs";

const { ConnectPSP, ConnectPSPError, pix, webhooks } = esm;

/** xorshift32: deterministic, so a failing case can be replayed from its seed. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

const ALPHABET = ['"', "{", "}", "[", "]", ":", ",", "0", "9", ".", "-", "e", "\\", "\u0000", "é", "😀", " ", "a", "null", "1e400"];

function mutate(text, random) {
  const chars = [...text];
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (chars.length + 1));
    const op = random();
    if (op < 0.33) chars.splice(at, 1);
    else if (op < 0.66) chars.splice(at, 0, ALPHABET[Math.floor(random() * ALPHABET.length)]);
    else chars.splice(at, Math.floor(random() * 8), ...[...ALPHABET[Math.floor(random() * ALPHABET.length)]]);
  }
  return chars.join("");
}

/** Runs fn; it may return or throw a ConnectPSPError, nothing else. */
function survives(fn, label) {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConnectPSPError, `${label}: ${error?.name}: ${error?.message}`);
    assert.doesNotMatch(error.message, /internal SDK error|unreachable|RuntimeError/, label);
  }
}

/** CRC-16/CCITT-FALSE over the UTF-8 bytes, as BR Codes carry it (4 uppercase hex digits). */
function crc16(text) {
  let crc = 0xffff;
  for (const byte of new TextEncoder().encode(text)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, "0");
}

test("mutated BR Codes: parse or a ValidationError, never a trap", () => {
  const random = rng(0xc0ffee);
  const seeds = vector("pix/brcodes.json").valid.map((v) => v.payload);
  assert.equal(crc16(seeds[0].slice(0, -4)), seeds[0].slice(-4)); // the helper agrees with the vectors
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    // Half of the mutants get a valid CRC again, so the decoder's field parsing runs on them.
    const body = mutate(seeds[i % seeds.length].slice(0, -4), random);
    const input = i % 2 === 0 ? body + crc16(body) : `${body}0000`;
    survives(() => {
      pix.parseBrCode(input);
      parsed++;
    }, `brcode #${i} ${JSON.stringify(input)}`);
  }
  assert.ok(parsed > 0, "no mutant parsed: the fuzzing never reached the field decoder");
  // The module still works afterwards.
  assert.equal(pix.parseBrCode(seeds[0]).merchantCity, "BRASILIA");
});

test("mutated webhook bodies, correctly signed: an event or a DecodeError, never a trap", () => {
  const random = rng(0xbeef);
  const { cryptoToken, cases } = vector("webhooks.json");
  const bodies = cases.filter((c) => c.expect === "ok").map((c) => c.body);
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    const body = mutate(bodies[i % bodies.length], random);
    const signature = createHmac("sha256", cryptoToken).update(body).digest("hex");
    survives(() => {
      webhooks.constructEvent(body, signature, cryptoToken);
      parsed++;
    }, `webhook #${i} ${JSON.stringify(body)}`);
  }
  assert.ok(parsed > 0 && parsed < 3000, `${parsed} of 3000 mutants parsed`);
});

test("garbage API answers: a ConnectPSPError, never a trap", async () => {
  const random = rng(0x5eed);
  const answers = vector("api/cash_out_create.202.json");
  const sample = JSON.stringify(answers);
  const token = JSON.stringify({ accessToken: "a.b.c", tokenType: "Bearer", expiresIn: 3600, issuedAt: "2026-03-10T14:00:00Z" });
  for (let i = 0; i < 300; i++) {
    const status = [200, 202, 400, 401, 404, 409, 422, 429, 500, 503][Math.floor(random() * 10)];
    const body = random() < 0.5 ? mutate(sample, random) : mutate('{"code":"X","status":422,"detail":"d"}', random);
    const retryAfter = random() < 0.3 ? mutate("5", random) : undefined;
    const client = new ConnectPSP({
      clientId: "c",
      clientSecret: "s",
      applicationToken: "a",
      cryptoToken: "k",
      baseUrl: "http://127.0.0.1:9",
      maxRetries: 0,
      fetch: async (url) =>
        url.endsWith("/auth/token")
          ? new Response(token, { status: 200 })
          : new Response(body, { status, headers: retryAfter ? { "retry-after": retryAfter } : {} }),
    });
    try {
      await client.cashOut.get("abc");
    } catch (error) {
      assert.ok(error instanceof ConnectPSPError, `#${i} ${status} ${body}: ${error}`);
      assert.doesNotMatch(error.message, /internal SDK error|unreachable/, `#${i}`);
    }
    client.close();
  }
});
