//! Webhook verification and parsing against testdata/webhooks.json, and the DigitalSignature
//! against testdata/signatures.json (the same files the Python and JS tests read).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use connectpsp_core::ErrorKind;
use connectpsp_core::bridge::{config_from_json, webhook_construct_event};
use connectpsp_core::signature::digital_signature;
use connectpsp_core::webhook::{self, EventData, MAX_BODY_BYTES};
use serde_json::Value;

fn testdata(name: &str) -> Value {
    let path = format!("{}/../testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn digital_signature_vectors() {
    let vectors = testdata("signatures.json");
    let rows = vectors["digitalSignature"].as_array().unwrap();
    assert!(rows.len() >= 2);
    for row in rows {
        let token = row["accessToken"].as_str().unwrap();
        let key = row["cryptoToken"].as_str().unwrap();
        assert_eq!(
            digital_signature(key, token),
            row["signature"].as_str().unwrap(),
            "{}",
            row["source"]
        );
    }
}

#[test]
fn webhook_vectors() {
    let data = testdata("webhooks.json");
    let key = data["cryptoToken"].as_str().unwrap();
    let cases = data["cases"].as_array().unwrap();
    for kind in ["ok", "unknown", "webhook_signature", "decode"] {
        assert!(cases.iter().any(|c| c["expect"] == kind), "no {kind} case");
    }
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let body = case["body"].as_str().unwrap().as_bytes();
        let signature = case["signature"].as_str().unwrap();
        let result = webhook::construct_event(body, signature, key);
        match case["expect"].as_str().unwrap() {
            "ok" | "unknown" => {
                let event = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(event.event_type.as_str(), case["eventType"], "{name}");
                assert_eq!(
                    event.transaction_id().unwrap(),
                    case["transactionId"],
                    "{name}"
                );
                assert_eq!(event.status().unwrap(), case["status"], "{name}");
                assert_eq!(webhook::dedupe_key(&event), case["dedupeKey"], "{name}");
                let amount = match &event.data {
                    EventData::CashIn(c) => Some(c.amount),
                    EventData::CashOut(c) => Some(c.amount),
                    EventData::Unknown(raw) => {
                        assert_eq!(case["expect"], "unknown", "{name}");
                        assert!(raw.get("someNewField").is_some());
                        None
                    }
                };
                if let Some(amount) = amount {
                    assert_eq!(case["expect"], "ok", "{name}");
                    assert_eq!(amount.to_string(), case["amount"], "{name}");
                }
            }
            "webhook_signature" => {
                let error = result.expect_err(name);
                assert_eq!(error.kind, ErrorKind::WebhookSignature, "{name}");
                assert_eq!(error.class_name(), "WebhookSignatureError");
                assert!(!error.message.contains(key));
            }
            "decode" => {
                assert!(webhook::verify(body, signature, key).is_ok(), "{name}");
                assert_eq!(result.expect_err(name).kind, ErrorKind::Decode, "{name}");
            }
            other => panic!("unknown expectation {other}"),
        }
    }
}

#[test]
fn oversized_bodies_are_refused_before_hashing() {
    let key = "test-crypto-token-0001";
    let body = vec![b' '; MAX_BODY_BYTES + 1];
    let signature = connectpsp_core::signature::hmac_sha256_hex(key.as_bytes(), &body);
    let error = webhook::verify(&body, &signature, key).unwrap_err();
    assert_eq!(error.kind, ErrorKind::WebhookSignature);
    assert!(error.message.contains("larger"));
}

#[test]
fn bridge_event_json_has_string_amounts_and_dedupe_key() {
    let data = testdata("webhooks.json");
    let key = data["cryptoToken"].as_str().unwrap();
    let case = data["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "CASHOUT_FAILED")
        .unwrap();
    let config = config_from_json(
        r#"{"baseUrl":"https://x.example","clientId":"1","clientSecret":"s","applicationToken":"a","cryptoToken":"c","naming":"snake"}"#,
    )
    .unwrap();
    let json = webhook_construct_event(
        case["body"].as_str().unwrap().as_bytes(),
        case["signature"].as_str().unwrap(),
        key,
        &config,
    )
    .unwrap();
    let event: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(event["event_type"], "CASHOUT_FAILED");
    assert_eq!(event["data"]["amount"], "50.00");
    assert_eq!(event["data"]["failure"]["code"], "PIX_KEY_NOT_FOUND");
    assert_eq!(event["dedupe_key"], case["dedupeKey"]);
}

#[test]
fn key_rotation_and_freshness_vectors() {
    use connectpsp_core::webhook::{Freshness, Verifier};
    let data = testdata("webhook_options.json");
    let cases = data["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let body = case["body"].as_str().unwrap().as_bytes();
        let signature = case["signature"].as_str().unwrap();
        let tokens: Vec<&str> = case["cryptoTokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let freshness = case["toleranceMs"].as_u64().map(|tolerance_ms| Freshness {
            now_ms: case["nowMs"].as_u64().unwrap(),
            tolerance_ms,
        });
        let result = Verifier::new(&tokens)
            .with_freshness(freshness)
            .construct_event(body, signature);
        match case["expect"].as_str().unwrap() {
            "ok" => {
                result.unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            "webhook_signature" => {
                let error = result.expect_err(name);
                assert_eq!(error.kind, ErrorKind::WebhookSignature, "{name}: {error}");
                for token in &tokens {
                    assert!(!error.to_string().contains(token), "{name}");
                }
            }
            "validation" => {
                let error = result.expect_err(name);
                assert_eq!(error.kind, ErrorKind::Validation, "{name}");
                assert_eq!(error.field.as_deref(), case["field"].as_str(), "{name}");
            }
            other => panic!("unknown expectation {other}"),
        }
    }
    // The bridge reports the same, with snake_case field paths for Python.
    let empty = cases.iter().find(|c| c["expect"] == "validation").unwrap();
    let error = connectpsp_core::bridge::webhook_verify_event(
        empty["body"].as_str().unwrap().as_bytes(),
        empty["signature"].as_str().unwrap(),
        &["a", ""],
        None,
        connectpsp_core::bridge::Codec::PYTHON,
    )
    .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("crypto_tokens[1]"));
}
