// The offline PIX toolkit through the package, against the shared vectors in testdata/pix.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { esm, vector } from "./helpers.mjs";

const { pix, idempotencyKeyFor, ValidationError, ConnectPSPError } = esm;

test("parseBrCode decodes every valid vector exactly", () => {
  const { valid } = vector("pix/brcodes.json");
  assert.ok(valid.length > 0);
  for (const { name, payload, expect } of valid) {
    const parsed = pix.parseBrCode(payload);
    for (const [field, value] of Object.entries(expect)) {
      assert.deepEqual(parsed[field] ?? null, value, `${name}: ${field}`);
    }
  }
});

test("parseBrCode rejects every invalid vector with a ValidationError", () => {
  const { invalid } = vector("pix/brcodes.json");
  assert.ok(invalid.length > 0);
  for (const { name, payload } of invalid) {
    assert.throws(
      () => pix.parseBrCode(payload),
      (error) => error instanceof ValidationError && error instanceof ConnectPSPError && error.message.length > 0,
      name,
    );
  }
});

test("buildBrCode produces the exact payloads and rejects bad fields by name", () => {
  const { encode, encodeInvalid } = vector("pix/brcodes.json");
  for (const { name, input, payload } of encode) {
    assert.equal(pix.buildBrCode(input), payload, name);
    // and the toolkit reads back what it wrote
    assert.equal(pix.parseBrCode(payload).merchantName, input.merchantName, name);
  }
  for (const { name, input, field } of encodeInvalid) {
    assert.throws(() => pix.buildBrCode(input), (e) => e instanceof ValidationError && e.field === field, name);
  }
});

test("validateKey normalises valid keys and names the field of invalid ones without echoing them", () => {
  const { valid, invalid } = vector("pix/keys.json");
  for (const { type, key, normalized } of valid) {
    assert.equal(pix.validateKey(type, key), normalized, `${type} ${key}`);
  }
  for (const { type, key, field } of invalid) {
    assert.throws(
      () => pix.validateKey(type, key),
      (e) => e instanceof ValidationError && e.field === field && (key.trim().length < 3 || !e.message.includes(key.trim())),
      `${type} ${JSON.stringify(key)}`,
    );
  }
});

test("isValidCpf / isValidCnpj agree with the document vectors", () => {
  const { valid, invalid } = vector("pix/documents.json");
  for (const { document, kind } of valid) {
    const check = kind === "CPF" ? pix.isValidCpf : pix.isValidCnpj;
    assert.equal(check(document), true, document);
  }
  for (const { document } of invalid) {
    assert.equal(pix.isValidCpf(document) || pix.isValidCnpj(document), false, document);
  }
  // Not a string: false, never a throw.
  assert.equal(pix.isValidCpf(12345678909), false);
  assert.equal(pix.isValidCnpj(undefined), false);
});

test("idempotencyKeyFor is the documented UUID v5 and deterministic", () => {
  const key = idempotencyKeyFor("order-1");
  assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  // uuid5(6f1c5a52-8d3e-5b8e-9a3a-2f3c1b0e7d41, "order-1"), computed with Python's uuid module.
  assert.equal(key, "5e221093-8c55-59b0-81ac-ba5ac8b4c7ad");
  assert.equal(idempotencyKeyFor("order-1"), key);
  assert.notEqual(idempotencyKeyFor("order-2"), key);
});

describe("PIX helpers (testdata/pix/helpers.json)", () => {
  const helpers = vector("pix/helpers.json");

  test("detectKeyType: the type, or null with every candidate", () => {
    for (const { input, type, candidates } of helpers.detect) {
      const found = pix.detectKeyType(input);
      assert.equal(found.type, type, input);
      assert.deepEqual(found.candidates.map((c) => [c.type, c.normalized]), candidates, input);
      if (type !== null) assert.equal(found.normalized, candidates[0][1], input);
    }
    for (const bad of helpers.invalidKeys) {
      assert.throws(() => pix.detectKeyType(bad), (e) => e instanceof ValidationError && (bad === "" || !e.message.includes(bad)), bad);
    }
  });

  test("normalizeDocument and formatDocument", () => {
    for (const { written, normalized, formatted } of helpers.documents) {
      assert.equal(pix.normalizeDocument(written), normalized, written);
      assert.equal(pix.formatDocument(written), formatted, written);
    }
    for (const bad of helpers.invalidDocuments) {
      assert.throws(() => pix.normalizeDocument(bad), (e) => e instanceof ValidationError && e.field === "document", bad);
    }
  });

  test("qrSvg draws valid BR Codes and refuses broken ones", () => {
    for (const code of helpers.qr.valid) {
      assert.match(pix.qrSvg(code), /^<\?xml|^<svg/);
      assert.match(pix.qrSvg(code), /<\/svg>\s*$/);
    }
    for (const code of helpers.qr.invalid) {
      assert.throws(() => pix.qrSvg(code), (e) => e instanceof ValidationError && e.field === "brcode");
    }
  });
});
