//! HMAC-SHA256 signatures: the `DigitalSignature` header and webhook `X-Connect-Signature`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Lowercase hex HMAC-SHA256 of `message` keyed with `key`.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    to_hex(&hmac_sha256(key, message))
}

/// The `DigitalSignature` header (reference §3.4): HMAC-SHA256 keyed with the CryptoToken
/// over the raw access token (no `Bearer ` prefix), lowercase hex. It only depends on the
/// token, so it is computed once per token and recomputed on every refresh.
pub fn digital_signature(crypto_token: &str, access_token: &str) -> String {
    hmac_sha256_hex(crypto_token.as_bytes(), access_token.as_bytes())
}

/// True when `signature_hex` (upper- or lower-case hex, 64 characters) is the HMAC-SHA256 of
/// `message` under `key`. The comparison runs in constant time (`Mac::verify_slice`).
pub fn verify_hex(key: &[u8], message: &[u8], signature_hex: &str) -> bool {
    let Some(expected) = from_hex_32(signature_hex) else {
        return false;
    };
    let mut mac = new_mac(key);
    mac.update(message);
    mac.verify_slice(&expected).is_ok()
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = new_mac(key);
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long keys are hashed first): this cannot fail.
    match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    }
}

#[cold]
fn unreachable_hmac() -> ! {
    // `new_from_slice` only fails for fixed-size-key MACs; HMAC has none.
    #[allow(clippy::panic)]
    {
        panic!("HMAC accepts keys of any length")
    }
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

fn from_hex_32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
    }
    Some(out)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_vector() {
        assert_eq!(
            digital_signature(
                "test-crypto-token-0001",
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjbGllbnQtMTIzIn0.dGVzdA"
            ),
            "a76b22fac49b0808e807dda882d0efaab0a01ff16e48c570227176400756c7e6"
        );
    }

    #[test]
    fn verify_accepts_both_cases_and_rejects_garbage() {
        let sig = hmac_sha256_hex(b"k", b"body");
        assert!(verify_hex(b"k", b"body", &sig));
        assert!(verify_hex(b"k", b"body", &sig.to_uppercase()));
        assert!(!verify_hex(b"k", b"body2", &sig));
        assert!(!verify_hex(b"k", b"body", &sig[..62]));
        assert!(!verify_hex(b"k", b"body", ""));
        assert!(!verify_hex(b"k", b"body", &format!("{}zz", &sig[..62])));
        assert!(!verify_hex(b"k", b"body", &format!("é{}", &sig[2..])));
    }
}
