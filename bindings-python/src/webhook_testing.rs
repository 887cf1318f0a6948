//! The signing half of webhooks, for `connectpsp.testing`: what ConnectPSP would send, built
//! with the core's HMAC and the core's naming, so a test signs exactly as the API does.

use connectpsp_core::bridge::naming::keys_in;
use connectpsp_core::config::Naming;
use connectpsp_core::signature::hmac_sha256_hex;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde_json::{Map, Value};

/// The hex HMAC-SHA256 of `payload` keyed with `crypto_token` (`X-Connect-Signature`).
#[pyfunction]
pub fn webhook_signature(payload: &[u8], crypto_token: &str) -> String {
    hmac_sha256_hex(crypto_token.as_bytes(), payload)
}

/// The envelope `{"eventType", "eventAt", "data"}` with `data` (snake_case JSON) in the
/// API's camelCase.
#[pyfunction]
pub fn webhook_event_body(event_type: &str, data_json: &str, event_at: &str) -> PyResult<String> {
    let data: Value = serde_json::from_str(data_json)
        .map_err(|_| PyValueError::new_err("webhook_event: data is not a JSON object"))?;
    let mut envelope = Map::new();
    envelope.insert("eventType".into(), Value::from(event_type));
    envelope.insert("eventAt".into(), Value::from(event_at));
    envelope.insert("data".into(), keys_in(data, Naming::Snake));
    Ok(Value::Object(envelope).to_string())
}
