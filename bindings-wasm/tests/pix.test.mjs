// The offline PIX toolkit through the package, against the shared vectors in testdata/pix.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import zlib from "node:zlib";

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

  test("qrPng: a PNG whose pixels are the core's (the shared hashes), refusals typed", async () => {
    for (const [i, code] of helpers.qr.valid.entries()) {
      const png = await pix.qrPng(code, { modulePx: 4 });
      assert.ok(png instanceof Uint8Array);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      // Walk the chunks; each CRC is checked with Node's own zlib.crc32.
      const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
      const chunks = [];
      for (let at = 8; at < png.length; ) {
        const length = view.getUint32(at);
        const type = Buffer.from(png.subarray(at + 4, at + 8)).toString("latin1");
        const data = png.subarray(at + 8, at + 8 + length);
        assert.equal(view.getUint32(at + 8 + length), zlib.crc32(png.subarray(at + 4, at + 8 + length)), type);
        chunks.push({ type, data });
        at += 12 + length;
      }
      assert.deepEqual(chunks.map((c) => c.type), ["IHDR", "IDAT", "IEND"]);
      const header = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset, 13);
      const side = header.getUint32(0);
      assert.equal(header.getUint32(4), side);
      assert.deepEqual([...chunks[0].data.subarray(8)], [1, 0, 0, 0, 0]);
      // Inflated by Node's zlib: filter byte 0 per row, then the pixels the core's qr_png has.
      const rows = zlib.inflateSync(chunks[1].data);
      const rowBytes = 1 + Math.ceil(side / 8);
      assert.equal(rows.length, side * rowBytes);
      const pixels = [];
      for (let y = 0; y < side; y++) {
        assert.equal(rows[y * rowBytes], 0);
        pixels.push(rows.subarray(y * rowBytes + 1, (y + 1) * rowBytes));
      }
      const digest = createHash("sha256").update(Buffer.concat(pixels)).digest("hex");
      assert.equal(digest, helpers.qr.pixelsSha256ModulePx4[i], code);
      const bigger = await pix.qrPng(code);
      assert.equal(new DataView(bigger.buffer, bigger.byteOffset).getUint32(16), side * 2); // default 8 px
    }
    for (const code of helpers.qr.invalid) {
      await assert.rejects(pix.qrPng(code), (e) => e instanceof ValidationError && e.field === "brcode");
    }
    for (const modulePx of [0, 33, 1.5, -1, Number.NaN]) {
      await assert.rejects(pix.qrPng(helpers.qr.valid[0], { modulePx }), (e) => e instanceof ValidationError && e.field === "modulePx", String(modulePx));
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
