//! Webhooks: verification (key rotation, freshness) and the event as the binding's JSON.

use serde_json::{Map, Value};

use super::Codec;
use super::naming::{error_in_naming, key_out, keys_out};
use crate::config::Config;
use crate::error::{Error, ErrorKind};
use crate::money::with_amounts_as_strings;
use crate::webhook;

/// Verifies and parses a webhook: `{"eventType", "eventAt", "data", "dedupeKey"}` with
/// amounts as strings (unknown event types keep their raw `data`).
pub fn webhook_construct_event(
    payload: &[u8],
    signature: &str,
    crypto_token: &str,
    codec: Codec,
) -> Result<String, Error> {
    webhook_verify_event(payload, signature, &[crypto_token], None, codec)
}

/// A client's webhook verification (`client.webhooks`): the client's tokens
/// ([`Config::webhook_tokens`]) and tolerance unless the call overrides them. `wall_ms`: the
/// receiver's clock, read only when a tolerance applies.
pub fn webhook_verify_for_client(
    config: &Config,
    payload: &[u8],
    signature: &str,
    crypto_tokens: Option<&[&str]>,
    tolerance_ms: Option<u64>,
    wall_ms: impl FnOnce() -> u64,
    codec: Codec,
) -> Result<String, Error> {
    let (tokens, freshness) = client_webhook_rules(config, crypto_tokens, tolerance_ms, wall_ms);
    webhook_verify_event(payload, signature, &tokens, freshness, codec)
}

/// The tokens and freshness a client's webhook check uses: the per-call ones when given, else
/// the client's (`webhook_tokens`: its rotation list, or its crypto token) and its tolerance.
/// A binding that builds the event in its own language (PyO3) verifies with these itself.
pub fn client_webhook_rules<'a>(
    config: &'a Config,
    crypto_tokens: Option<&[&'a str]>,
    tolerance_ms: Option<u64>,
    wall_ms: impl FnOnce() -> u64,
) -> (Vec<&'a str>, Option<webhook::Freshness>) {
    let tokens = match crypto_tokens {
        Some(tokens) => tokens.to_vec(),
        None => config.webhook_tokens(),
    };
    let freshness = tolerance_ms
        .or(config.webhook_tolerance_ms)
        .map(|tolerance_ms| webhook::Freshness {
            now_ms: wall_ms(),
            tolerance_ms,
        });
    (tokens, freshness)
}

/// [`webhook_construct_event`] with key rotation and freshness: `crypto_tokens` holds the
/// current token first, then the ones being retired (any may have signed); `freshness`, when
/// given, refuses an `eventAt` further than its tolerance from its `now_ms`.
pub fn webhook_verify_event(
    payload: &[u8],
    signature: &str,
    crypto_tokens: &[&str],
    freshness: Option<webhook::Freshness>,
    codec: Codec,
) -> Result<String, Error> {
    let verify = || {
        webhook::Verifier::new(crypto_tokens)
            .with_freshness(freshness)
            .construct_event(payload, signature)
    };
    let event = verify().map_err(|e| error_in_naming(e, codec.naming))?;
    let naming = codec.naming;
    let value = with_amounts_as_strings(|| serde_json::to_value(&event))
        .map_err(|_| Error::new(ErrorKind::Decode, "webhook event could not be re-encoded"))?;
    let mut out = match keys_out(value, naming) {
        Value::Object(members) => members,
        _ => Map::new(),
    };
    out.insert(
        key_out("dedupeKey", naming),
        Value::String(webhook::dedupe_key(&event)),
    );
    Ok(Value::Object(out).to_string())
}
