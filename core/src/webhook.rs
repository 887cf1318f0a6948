//! Incoming webhooks: verify `X-Connect-Signature` over the raw body, then parse the event.
//!
//! The API takes bytes, never a parsed object: re-serialising JSON changes its bytes and
//! breaks the signature (reference §8.2). Verification runs before any parsing, in constant
//! time, and accepts upper- or lower-case hex.
//!
//! Two options a receiver may need (both off unless asked for, see [`Verifier`]):
//! - key rotation: several crypto tokens, the new one first, any of which may have signed;
//! - freshness: refuse an event whose `eventAt` is further than a tolerance from the caller's
//!   clock. The signature covers no timestamp (the API signs the body only), so this is the
//!   only replay bound a receiver can apply; ConnectPSP retries a failed delivery with
//!   exponential backoff for an undocumented time, so a tolerance shorter than that window
//!   refuses late retries, which then must be recovered with a GET.

use crate::error::{Error, ErrorKind};
use crate::model::webhook::WebhookEvent;
use crate::signature::verify_hex;

pub use crate::model::webhook::{EventData, EventType};

/// Name of the signature header.
pub const SIGNATURE_HEADER: &str = "X-Connect-Signature";
/// Largest body accepted (1 MB): a real event is a few kB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most crypto tokens one verification tries (a rotation needs two; a few more do no harm).
pub const MAX_CRYPTO_TOKENS: usize = 8;

/// The caller's clock and how far from it `eventAt` may be. The core has no clock: the
/// binding passes its wall-clock time (Unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    pub now_ms: u64,
    pub tolerance_ms: u64,
}

/// How a delivery is checked: the crypto tokens that may have signed it (the current one
/// first, then the ones being retired) and, optionally, a freshness bound on `eventAt`.
#[derive(Debug, Clone, Copy)]
pub struct Verifier<'a> {
    crypto_tokens: &'a [&'a str],
    freshness: Option<Freshness>,
}

impl<'a> Verifier<'a> {
    /// A verifier over `crypto_tokens` (the new token first, during a rotation).
    pub fn new(crypto_tokens: &'a [&'a str]) -> Verifier<'a> {
        Verifier {
            crypto_tokens,
            freshness: None,
        }
    }

    /// Also refuses events whose `eventAt` is more than `tolerance_ms` before or after `now_ms`.
    pub fn with_freshness(mut self, freshness: Option<Freshness>) -> Verifier<'a> {
        self.freshness = freshness;
        self
    }

    /// Checks the signature against every token and succeeds when one matches.
    pub fn verify(&self, payload: &[u8], signature: &str) -> Result<(), Error> {
        check_tokens(self.crypto_tokens)?;
        let signature = check_shape(payload, signature)?;
        // Every token is tried, so the time taken does not tell which one matched.
        let matched = self.crypto_tokens.iter().fold(false, |found, token| {
            verify_hex(token.as_bytes(), payload, signature) | found
        });
        if !matched {
            let which = if self.crypto_tokens.len() > 1 {
                "any of the CryptoTokens"
            } else {
                "the CryptoToken"
            };
            return Err(reject(format!(
                "{SIGNATURE_HEADER} does not match the body under {which}: check the token and \
                 pass the raw request body bytes, not re-serialised JSON"
            )));
        }
        Ok(())
    }

    /// Verifies, parses, then applies the freshness bound (if any). A body that verifies but
    /// does not parse is a decode error (the sender is authentic, the SDK cannot read it).
    pub fn construct_event(&self, payload: &[u8], signature: &str) -> Result<WebhookEvent, Error> {
        self.verify(payload, signature)?;
        let event = parse_event(payload)?;
        if let Some(freshness) = self.freshness {
            check_freshness(&event, freshness)?;
        }
        Ok(event)
    }
}

/// Checks that `signature` (the `X-Connect-Signature` header) is the hex HMAC-SHA256 of
/// `payload` keyed with the CryptoToken.
pub fn verify(payload: &[u8], signature: &str, crypto_token: &str) -> Result<(), Error> {
    Verifier::new(&[crypto_token]).verify(payload, signature)
}

/// Verifies with one crypto token, then parses the event (no freshness bound).
pub fn construct_event(
    payload: &[u8],
    signature: &str,
    crypto_token: &str,
) -> Result<WebhookEvent, Error> {
    Verifier::new(&[crypto_token]).construct_event(payload, signature)
}

/// Refuses an event whose `eventAt` lies outside `now ± tolerance`, or cannot be read as an
/// ISO 8601 / RFC 3339 time (then its age cannot be bounded).
pub fn check_freshness(event: &WebhookEvent, freshness: Freshness) -> Result<(), Error> {
    let Some(at_ms) = parse_rfc3339_ms(&event.event_at) else {
        return Err(reject(
            "webhook eventAt is not an ISO 8601 time, so its age cannot be checked against the \
             tolerance"
                .to_owned(),
        ));
    };
    let now = i128::from(freshness.now_ms);
    let age_ms = now - i128::from(at_ms);
    let tolerance = i128::from(freshness.tolerance_ms);
    if age_ms > tolerance {
        return Err(reject(format!(
            "webhook eventAt is {} s old, older than the tolerance of {} s",
            age_ms / 1000,
            tolerance / 1000
        )));
    }
    if -age_ms > tolerance {
        return Err(reject(format!(
            "webhook eventAt is {} s ahead of this machine's clock, beyond the tolerance of {} s",
            -age_ms / 1000,
            tolerance / 1000
        )));
    }
    Ok(())
}

/// Parses an already verified body.
pub fn parse_event(payload: &[u8]) -> Result<WebhookEvent, Error> {
    let value: serde_json::Value = serde_json::from_slice(payload)
        .map_err(|_| Error::new(ErrorKind::Decode, "webhook body is not valid JSON"))?;
    WebhookEvent::from_value(&value)
        .map_err(|why| Error::new(ErrorKind::Decode, format!("webhook event: {why}")))
}

/// `eventType:transactionId:status`: the same event delivered twice (X-Event-Id changes on
/// every attempt) gives the same key, a new state of the same transaction a new one.
pub fn dedupe_key(event: &WebhookEvent) -> String {
    format!(
        "{}:{}:{}",
        event.event_type.as_str(),
        event.transaction_id().unwrap_or_default(),
        event.status().unwrap_or_default()
    )
}

/// Unix milliseconds of an RFC 3339 time (`2026-03-10T14:22:18Z`, `…18.250-03:00`, lowercase
/// `t`/`z` and a space separator accepted); `None` when it is not one.
///
/// Written here rather than taken from a date crate: the grammar is small, and the wasm
/// package pays for every dependency in download size.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        part.iter().try_fold(0i64, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid_day = usize::try_from(month - 1)
        .ok()
        .and_then(|m| month_days.get(m))
        .is_some_and(|&days| (1..=days).contains(&day));
    // 60: a leap second is legal RFC 3339.
    if !valid_day || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        // Milliseconds: the first three fraction digits, the rest truncated.
        let fraction = &b[start..i.min(start + 3)];
        millis = fraction
            .iter()
            .fold(0i64, |n, c| n * 10 + i64::from(c - b'0'))
            * 10i64.pow(3 - fraction.len() as u32);
    }
    let offset_s = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let value = |x: &u8, y: &u8| -> Option<i64> {
                (x.is_ascii_digit() && y.is_ascii_digit())
                    .then(|| i64::from(x - b'0') * 10 + i64::from(y - b'0'))
            };
            let (h, m) = (value(h1, h2)?, value(m1, m2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = h * 3600 + m * 60;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let days = crate::calendar::days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Some(seconds * 1000 + millis)
}

fn check_tokens(tokens: &[&str]) -> Result<(), Error> {
    if tokens.is_empty() {
        return Err(Error::validation("cryptoToken", "is required"));
    }
    if tokens.len() > MAX_CRYPTO_TOKENS {
        return Err(Error::validation(
            "cryptoTokens",
            format!("at most {MAX_CRYPTO_TOKENS} tokens (the current one and those being retired)"),
        ));
    }
    if let Some(i) = tokens.iter().position(|t| t.is_empty()) {
        // An unset environment variable for an old token must not pass unnoticed.
        let field = if tokens.len() == 1 {
            "cryptoToken".to_owned()
        } else {
            format!("cryptoTokens[{i}]")
        };
        return Err(Error::validation(field, "is required (empty)"));
    }
    Ok(())
}

/// Size and header shape, before any hashing; returns the trimmed signature.
fn check_shape<'s>(payload: &[u8], signature: &'s str) -> Result<&'s str, Error> {
    if payload.len() > MAX_BODY_BYTES {
        return Err(reject(format!(
            "webhook body is larger than {MAX_BODY_BYTES} bytes"
        )));
    }
    let signature = signature.trim();
    if signature.is_empty() {
        return Err(reject(format!("missing {SIGNATURE_HEADER} header")));
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(reject(format!(
            "malformed {SIGNATURE_HEADER}: expected 64 hex characters"
        )));
    }
    Ok(signature)
}

fn reject(message: String) -> Error {
    Error::new(ErrorKind::WebhookSignature, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_ms("2026-03-10T14:22:18Z"),
            Some(1_773_152_538_000)
        );
        assert_eq!(
            parse_rfc3339_ms("2026-03-10T11:22:18-03:00"),
            parse_rfc3339_ms("2026-03-10T14:22:18Z")
        );
        assert_eq!(
            parse_rfc3339_ms("2026-03-10T14:22:18.25Z"),
            Some(1_773_152_538_250)
        );
        assert_eq!(
            parse_rfc3339_ms("2026-03-10t14:22:18.123456789z"),
            Some(1_773_152_538_123)
        );
        assert_eq!(
            parse_rfc3339_ms("2024-02-29T00:00:00+00:00"),
            Some(1_709_164_800_000)
        );
        for bad in [
            "",
            "2026-03-10",
            "2026-03-10T14:22:18",
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-03-10T24:00:00Z",
            "2026-03-10T14:22:18.Z",
            "2026-03-10T14:22:18+3:00",
            "2026-03-10T14:22:18Zjunk",
            "2026-03-10T14:22:１8Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }
}
