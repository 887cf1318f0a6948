//! Incoming webhooks: verify `X-Connect-Signature` over the raw body, then parse the event.
//!
//! The API takes bytes, never a parsed object: re-serialising JSON changes its bytes and
//! breaks the signature (reference §8.2). Verification runs before any parsing, in constant
//! time, and accepts upper- or lower-case hex.

use crate::error::{Error, ErrorKind};
use crate::model::webhook::WebhookEvent;
use crate::signature::verify_hex;

pub use crate::model::webhook::{EventData, EventType};

/// Name of the signature header.
pub const SIGNATURE_HEADER: &str = "X-Connect-Signature";
/// Largest body accepted (1 MB): a real event is a few kB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Checks that `signature` (the `X-Connect-Signature` header) is the hex HMAC-SHA256 of
/// `payload` keyed with the CryptoToken.
pub fn verify(payload: &[u8], signature: &str, crypto_token: &str) -> Result<(), Error> {
    if crypto_token.is_empty() {
        return Err(Error::validation("cryptoToken", "is required"));
    }
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
    if !verify_hex(crypto_token.as_bytes(), payload, signature) {
        return Err(reject(format!(
            "{SIGNATURE_HEADER} does not match the body: check the CryptoToken and pass the \
             raw request body bytes, not re-serialised JSON"
        )));
    }
    Ok(())
}

/// Verifies, then parses the event. A body that verifies but does not parse is a decode
/// error (the sender is authentic, the SDK cannot read it).
pub fn construct_event(
    payload: &[u8],
    signature: &str,
    crypto_token: &str,
) -> Result<WebhookEvent, Error> {
    verify(payload, signature, crypto_token)?;
    parse_event(payload)
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

fn reject(message: String) -> Error {
    Error::new(ErrorKind::WebhookSignature, message)
}
