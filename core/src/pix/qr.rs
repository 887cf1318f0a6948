//! The QR-code image of a BR Code, drawn offline: SVG text, PNG bytes, or the PNG's pixel rows
//! for a binding that compresses them itself (the npm package: its `.wasm` carries no deflate).
//!
//! The payload is decoded first, so a code with a wrong CRC or a missing field is refused
//! before it is printed on a counter: a QR that a bank app rejects (or, worse, reads as
//! something else) is worse than an error. The image uses error-correction level M (a symbol
//! with about 15% of it damaged still reads; the sandbox's QR images use the same), the
//! 4-module quiet zone ISO/IEC 18004 requires, dark modules black on white.

use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};

use super::brcode;
use crate::{Error, ErrorKind};

/// Light modules around the symbol, on each side.
pub const QUIET_ZONE: usize = 4;
/// Pixels per module of [`qr_png`] unless the caller asks otherwise (a typical 57-module code
/// is then 520 px wide: sharp on screen and in print at 4 cm).
pub const DEFAULT_MODULE_PX: u32 = 8;
/// Largest module size accepted (keeps the image under ~2,000 px for any BR Code).
pub const MAX_MODULE_PX: u32 = 32;

/// The QR symbol of a valid BR Code.
fn symbol(code: &str) -> Result<QrCode, Error> {
    brcode::decode(code).map_err(|e| e.to_error())?;
    // A decoded BR Code is at most a few hundred bytes: always within a QR's capacity.
    QrCode::with_error_correction_level(code.as_bytes(), EcLevel::M)
        .map_err(|_| Error::validation(brcode::FIELD, "is too long for a QR code"))
}

/// An SVG document (`<svg …>`, `viewBox` in modules × 8, crisp edges) of the BR Code's QR.
pub fn qr_svg(code: &str) -> Result<String, Error> {
    let symbol = symbol(code)?;
    Ok(symbol
        .render::<svg::Color>()
        .quiet_zone(true)
        .module_dimensions(DEFAULT_MODULE_PX, DEFAULT_MODULE_PX)
        .build())
}

/// The pixels of [`qr_png`]'s image before compression, as PNG scanlines: `side` rows, each a
/// filter-type byte (0: none) and then 1 bit per pixel, most significant first, 1 = white.
/// Deflated (zlib) they are the image's IDAT data: the npm package builds its PNG from them
/// with the runtime's own `CompressionStream`, so the pixels are the core's in both packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrScanlines {
    /// Width and height in pixels (the symbol, its quiet zone, times `module_px`).
    pub side: u32,
    /// `side` rows of `1 + ceil(side / 8)` bytes.
    pub data: Vec<u8>,
}

/// The PNG scanlines of the BR Code's QR, `module_px` pixels per module (1 to 32).
pub fn qr_png_scanlines(code: &str, module_px: u32) -> Result<QrScanlines, Error> {
    if !(1..=MAX_MODULE_PX).contains(&module_px) {
        return Err(Error::validation(
            "modulePx",
            format!("must be between 1 and {MAX_MODULE_PX}"),
        ));
    }
    let symbol = symbol(code)?;
    let modules = symbol.width();
    let colors = symbol.to_colors();
    let scale = module_px as usize;
    let side = (modules + 2 * QUIET_ZONE) * scale;
    let row_bytes = 1 + side.div_ceil(8);
    // Every row starts with its filter byte (0) and is white (1 bits) until drawn.
    let mut data = vec![0xffu8; row_bytes * side];
    for row in data.chunks_exact_mut(row_bytes) {
        row[0] = 0;
    }
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
        for y in my * scale..(my + 1) * scale {
            for x in mx * scale..(mx + 1) * scale {
                data[y * row_bytes + 1 + x / 8] &= !(0x80 >> (x % 8));
            }
        }
    }
    let side = u32::try_from(side).map_err(|_| too_large())?;
    Ok(QrScanlines { side, data })
}

/// A PNG (1-bit grayscale) of the BR Code's QR, `module_px` pixels per module (1 to 32).
pub fn qr_png(code: &str, module_px: u32) -> Result<Vec<u8>, Error> {
    let QrScanlines { side, data } = qr_png_scanlines(code, module_px)?;
    let row_bytes = data.len() / side as usize;
    // The encoder takes the rows without their filter bytes (it chooses its own filters).
    let pixels: Vec<u8> = data
        .chunks_exact(row_bytes)
        .flat_map(|row| row[1..].iter().copied())
        .collect();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let mut writer = encoder.write_header().map_err(|_| too_large())?;
    writer.write_image_data(&pixels).map_err(|_| too_large())?;
    writer.finish().map_err(|_| too_large())?;
    Ok(out)
}

/// The encoder writes into memory: it only fails on an inconsistent image, which the sizes
/// above rule out.
fn too_large() -> Error {
    Error::new(ErrorKind::Validation, "the QR image could not be encoded")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";

    #[test]
    fn svg_and_png_of_a_valid_code() {
        let svg = qr_svg(CODE).unwrap();
        assert!(svg.contains("<svg") && svg.ends_with("</svg>"), "{svg}");
        let symbol = QrCode::with_error_correction_level(CODE, EcLevel::M).unwrap();
        let px = (symbol.width() + 2 * QUIET_ZONE) * 8;
        assert!(svg.contains(&format!("viewBox=\"0 0 {px} {px}\"")), "{svg}");

        let png_bytes = qr_png(CODE, 4).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let side = (symbol.width() + 2 * QUIET_ZONE) * 4;
        assert_eq!(reader.info().width as usize, side);
        assert_eq!(reader.info().height as usize, side);
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut buf).unwrap();
        let row = frame.line_size;
        let dark = |x: usize, y: usize| buf[y * row + x / 8] & (0x80 >> (x % 8)) == 0;
        // Every module of the symbol is where the encoder put it; the quiet zone is white.
        let colors = symbol.to_colors();
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = (x / 4, y / 4);
                let inside = (QUIET_ZONE..QUIET_ZONE + symbol.width()).contains(&mx)
                    && (QUIET_ZONE..QUIET_ZONE + symbol.width()).contains(&my);
                let expected = inside
                    && colors[(my - QUIET_ZONE) * symbol.width() + (mx - QUIET_ZONE)]
                        == Color::Dark;
                assert_eq!(dark(x, y), expected, "pixel {x},{y}");
            }
        }
    }

    /// The pixel rows of `qr_png(code, 4)` for each valid code of testdata/pix/helpers.json, as
    /// a PNG decoder returns them (no filter bytes), hashed: the npm package's `qrPng` (its own
    /// deflate over [`qr_png_scanlines`]) is checked against the same hashes.
    #[test]
    fn png_pixels_match_the_shared_vectors_and_the_scanlines() {
        use sha2::{Digest, Sha256};
        let helpers: serde_json::Value =
            serde_json::from_str(include_str!("../../../testdata/pix/helpers.json")).unwrap();
        let codes = helpers["qr"]["valid"].as_array().unwrap();
        let hashes = helpers["qr"]["pixelsSha256ModulePx4"].as_array().unwrap();
        assert_eq!(codes.len(), hashes.len());
        for (code, expected) in codes.iter().zip(hashes) {
            let code = code.as_str().unwrap();
            let png_bytes = qr_png(code, 4).unwrap();
            let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
                .read_info()
                .unwrap();
            let mut buf = vec![0; reader.output_buffer_size().unwrap()];
            let frame = reader.next_frame(&mut buf).unwrap();
            buf.truncate(frame.buffer_size());
            let hex = |bytes: &[u8]| {
                Sha256::digest(bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            };
            assert_eq!(hex(&buf), expected.as_str().unwrap(), "{code}");

            let lines = qr_png_scanlines(code, 4).unwrap();
            assert_eq!(lines.side, frame.width);
            let row_bytes = lines.data.len() / lines.side as usize;
            assert!(lines.data.chunks_exact(row_bytes).all(|row| row[0] == 0));
            let stripped: Vec<u8> = lines
                .data
                .chunks_exact(row_bytes)
                .flat_map(|row| row[1..].iter().copied())
                .collect();
            assert_eq!(stripped, buf, "{code}");
        }
    }

    #[test]
    fn an_invalid_code_or_size_is_refused() {
        let broken = CODE.replace("1D3D", "1D3E");
        assert_eq!(
            qr_svg(&broken).unwrap_err().field.as_deref(),
            Some("brcode")
        );
        assert_eq!(qr_png("", 8).unwrap_err().field.as_deref(), Some("brcode"));
        assert_eq!(
            qr_png(CODE, 0).unwrap_err().field.as_deref(),
            Some("modulePx")
        );
        assert_eq!(
            qr_png(CODE, 33).unwrap_err().field.as_deref(),
            Some("modulePx")
        );
        assert_eq!(
            qr_png_scanlines(CODE, 0).unwrap_err().field.as_deref(),
            Some("modulePx")
        );
        assert_eq!(
            qr_png_scanlines(&broken, 4).unwrap_err().field.as_deref(),
            Some("brcode")
        );
    }
}
