// The PNG container around the core's QR pixels (pix.qrPng). The pixels, their quiet zone and
// their validation are the core's (pix::qr::qr_png_scanlines); this file only wraps the rows in
// the PNG chunks and compresses them with the runtime's own CompressionStream (Node 18+, Deno,
// Bun, browsers, workerd), so the .wasm carries no deflate encoder (37 KB gzipped).

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, the one PNG chunks carry) of `parts` taken as one byte sequence. */
function crc32(...parts: Uint8Array[]): number {
  const table = (crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  }));
  let crc = 0xffffffff;
  for (const part of parts) for (const byte of part) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(kind: string, data: Uint8Array): Uint8Array {
  const type = new TextEncoder().encode(kind);
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(type, 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(type, data));
  return out;
}

async function zlibDeflate(data: Uint8Array): Promise<Uint8Array> {
  // "deflate" is the zlib format (RFC 1950), which is what IDAT holds.
  const compressed = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(compressed).arrayBuffer());
}

/** A 1-bit grayscale PNG of `side` × `side` pixels from its scanlines (a filter byte per row). */
export async function grayscale1BitPng(side: number, scanlines: Uint8Array): Promise<Uint8Array> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, side);
  view.setUint32(4, side);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, grayscale, deflate, adaptive filters, no interlace
  const parts = [SIGNATURE, chunk("IHDR", header), chunk("IDAT", await zlibDeflate(scanlines)), chunk("IEND", new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
