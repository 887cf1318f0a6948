// The offline PIX toolkit: BR Code ("copia e cola") parse and build, PIX key validation, CPF and
// CNPJ check digits. All of it is the core's; this file only converts to and from JS values.

import { toSdkError } from "./errors.js";
import { grayscale1BitPng } from "./png.js";
import { runtime } from "./runtime.js";
import type { AmountInput, AmountString, KnownPixKeyType } from "./types.js";

interface BrCodeCommon {
  /** 01 = 12: the code may be paid only once. */
  singleUse: boolean;
  merchantName: string;
  merchantCity: string;
  /** null lets the payer choose the amount. */
  amount: AmountString | null;
  /** null when the code carries `***`. */
  txid: string | null;
  description: string | null;
  postalCode: string | null;
  merchantCategoryCode: string;
  currency: string;
  countryCode: string;
  /** Every top-level data object, in payload order (CRC included). */
  fields: { id: string; value: string }[];
}

/** Options of `pix.qrPng`. */
export interface QrPngOptions {
  /** Pixels per QR module, 1–32 (default 8). */
  modulePx?: number;
}

/** A decoded BR Code: static (a PIX `key`) or dynamic (a payload `url`). */
export type BrCode = BrCodeCommon & ({ key: string; url?: undefined } | { url: string; key?: undefined });

interface BuildBrCodeCommon {
  /** At most 25 characters. */
  merchantName: string;
  /** At most 15 characters, no accents. */
  merchantCity: string;
  amount?: AmountInput;
  /** Static codes only: 1–25 letters and digits. */
  txid?: string;
  description?: string;
}

/** What `pix.buildBrCode` writes: exactly one of `key` (static) and `url` (dynamic). */
export type BuildBrCodeParams = BuildBrCodeCommon & ({ key: string; url?: undefined } | { url: string; key?: undefined });

function coreCall<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw toSdkError(error);
  }
}

/** What `pix.detectKeyType` found: one type, or (`type: null`) several readings to choose from. */
export interface KeyTypeDetection {
  /** The key's type, or null when the text reads as more than one (an unmasked 11-digit number
   * that is both a valid CPF and a mobile number). */
  type: KnownPixKeyType | null;
  /** The key normalised for that type (null when ambiguous). */
  normalized: string | null;
  /** Every reading, most likely first. */
  candidates: { type: KnownPixKeyType; normalized: string }[];
}

export const pix: {
  /** Decodes and checks a BR Code (CRC, lengths, mandatory fields); throws ValidationError. */
  parseBrCode(code: string): BrCode;
  /** Builds a static BR Code; throws ValidationError naming the bad field. */
  buildBrCode(params: BuildBrCodeParams): string;
  /** Checks a PIX key of the given type and returns its normalised form. */
  validateKey(kind: KnownPixKeyType, key: string): string;
  isValidCpf(value: string): boolean;
  isValidCnpj(value: string): boolean;
  /** Which PIX key type a text is (CPF, CNPJ, EMAIL, PHONE, EVP); throws ValidationError when
   * it is none (the message never repeats the key). */
  detectKeyType(key: string): KeyTypeDetection;
  /** A CPF or CNPJ without its mask (`123.456.789-09` → `12345678909`), upper-cased; throws
   * ValidationError when the check digits are wrong. */
  normalizeDocument(document: string): string;
  /** A CPF or CNPJ with its usual mask (`12345678909` → `123.456.789-09`). */
  formatDocument(document: string): string;
  /** The QR code of a BR Code as an SVG document (the code is checked first). */
  qrSvg(code: string): string;
  /** The QR code of a BR Code as a PNG (1-bit grayscale), `modulePx` pixels per module (1–32,
   * default 8): the core's pixels, compressed with the runtime's `CompressionStream`. Rejects
   * with ValidationError (`brcode`, `modulePx`) before drawing anything. */
  qrPng(code: string, options?: QrPngOptions): Promise<Uint8Array>;
} = Object.freeze({
  parseBrCode: (code: string): BrCode =>
    coreCall(() => JSON.parse(runtime().core.pixParseBrCode(String(code))) as BrCode),
  buildBrCode: (params: BuildBrCodeParams): string =>
    coreCall(() => runtime().core.pixBuildBrCode(JSON.stringify(params ?? {}))),
  validateKey: (kind: KnownPixKeyType, key: string): string =>
    coreCall(() => runtime().core.pixValidateKey(String(kind), String(key))),
  isValidCpf: (value: string): boolean => typeof value === "string" && runtime().core.pixIsValidCpf(value),
  isValidCnpj: (value: string): boolean => typeof value === "string" && runtime().core.pixIsValidCnpj(value),
  detectKeyType: (key: string): KeyTypeDetection =>
    coreCall(() => JSON.parse(runtime().core.pixDetectKeyType(String(key))) as KeyTypeDetection),
  normalizeDocument: (document: string): string => coreCall(() => runtime().core.pixNormalizeDocument(String(document))),
  formatDocument: (document: string): string => coreCall(() => runtime().core.pixFormatDocument(String(document))),
  qrSvg: (code: string): string => coreCall(() => runtime().core.pixQrSvg(String(code))),
  qrPng: async (code: string, options?: QrPngOptions): Promise<Uint8Array> => {
    const px = options?.modulePx;
    // Not a whole number the core can take: 0, which the core refuses with its own message.
    const modulePx = px === undefined ? undefined : Number.isInteger(px) && px >= 0 && px <= 0xffffffff ? px : 0;
    const lines = coreCall(() => runtime().core.pixQrScanlines(String(code), modulePx));
    try {
      return await grayscale1BitPng(lines.side, lines.data);
    } finally {
      lines.free();
    }
  },
});

/** The deterministic idempotency key of a business reference (UUID v5): the same order always
 * maps to the same key, even across restarts. */
export function idempotencyKeyFor(externalReference: string): string {
  return coreCall(() => runtime().core.idempotencyKeyFor(String(externalReference)));
}
