//! The QR-code image of a BR Code as the API returns it: a PNG, Base64 without a `data:` prefix.
//! Drawn by the SDK core's renderer (`connectpsp_core::pix::qr`), so the sandbox and the SDK's
//! `qr_png` helper are one piece of code (level M, 4-module quiet zone).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use connectpsp_core::pix::qr;

/// Pixels per QR module: a typical dynamic code (57 modules + the quiet zone) is 390 px wide.
const MODULE_PX: u32 = 6;

/// `None` when the text is not a valid BR Code (the core refuses to draw one: a bank app would
/// reject it); every code the sandbox issues is valid.
pub fn png_base64(brcode: &str) -> Option<String> {
    qr::qr_png(brcode, MODULE_PX)
        .ok()
        .map(|png| STANDARD.encode(png))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid BR Code (the Central Bank's manual example, correct CRC).
    const CODE: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";

    #[test]
    fn renders_the_cores_png_of_a_valid_code() {
        let bytes = STANDARD.decode(png_base64(CODE).unwrap()).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(bytes, qr::qr_png(CODE, MODULE_PX).unwrap());
    }

    #[test]
    fn no_image_for_a_broken_code() {
        assert_eq!(png_base64(&CODE.replace("1D3D", "1D3E")), None);
    }
}
