//! Webhooks: verification and parsing never panic. Half the inputs carry the right signature,
//! so the fuzzer reaches the event parser instead of stopping at the HMAC check.
#![no_main]

use connectpsp_core::bridge;
use connectpsp_core::signature::hmac_sha256_hex;
use connectpsp_core::webhook;
use libfuzzer_sys::fuzz_target;

const CRYPTO_TOKEN: &str = "fuzz-crypto-token";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let signature = hmac_sha256_hex(CRYPTO_TOKEN.as_bytes(), rest);
        let signed = webhook::construct_event(rest, &signature, CRYPTO_TOKEN);
        let parsed = webhook::parse_event(rest);
        // A correct signature means the outcome is exactly the parser's (oversized bodies are
        // refused before either).
        if rest.len() <= webhook::MAX_BODY_BYTES {
            assert_eq!(signed.is_ok(), parsed.is_ok());
        } else {
            assert!(signed.is_err());
        }
        if let Ok(event) = signed {
            let key = webhook::dedupe_key(&event);
            assert!(key.starts_with(event.event_type.as_str()));
            // What the bindings receive: the same event as JSON, with its dedupe key.
            for codec in [bridge::Codec::JS, bridge::Codec::PYTHON] {
                match bridge::webhook_construct_event(rest, &signature, CRYPTO_TOKEN, codec) {
                    Ok(json) => assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok()),
                    Err(e) => panic!("a verified, parsed event fails in the bridge: {e}"),
                }
            }
        }
    } else {
        // The first line is the signature header, the rest the body: a forged or malformed
        // signature must be refused, never accepted, and never panic.
        let split = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let (header, body) = rest.split_at(split);
        let header = String::from_utf8_lossy(header);
        let body = body.get(1..).unwrap_or_default();
        if webhook::construct_event(body, &header, CRYPTO_TOKEN).is_ok() {
            let expected = hmac_sha256_hex(CRYPTO_TOKEN.as_bytes(), body);
            assert!(
                header.trim().eq_ignore_ascii_case(&expected),
                "accepted a wrong signature"
            );
        }
    }
});
