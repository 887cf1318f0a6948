//! Errors out: the core's error with every attribute, as the binding's JSON.

use serde_json::{Map, Value};

use super::Codec;
use super::naming::{error_in_naming, key_out};
use crate::config::Naming;
use crate::error::Error;

/// The error as the bindings raise it: class name, kind, message and every attribute.
pub fn error_to_json(error: &Error, codec: Codec) -> String {
    error_to_json_with_naming(error, codec.naming)
}

/// [`error_to_json`] with only a naming.
pub fn error_to_json_with_naming(error: &Error, naming: Naming) -> String {
    let error = error_in_naming(error.clone(), naming);
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    let mut out = Map::new();
    out.insert("class".into(), Value::from(error.class_name()));
    out.insert("kind".into(), Value::from(error.kind.code()));
    out.insert("message".into(), Value::String(error.to_string()));
    out.insert(
        "status".into(),
        error.status.map_or(Value::Null, Value::from),
    );
    out.insert("code".into(), text(&error.code));
    out.insert("title".into(), text(&error.title));
    out.insert("detail".into(), text(&error.detail));
    out.insert("field".into(), text(&error.field));
    out.insert(
        key_out("idempotencyKey", naming),
        text(&error.idempotency_key),
    );
    out.insert(
        key_out("outcomeUnknown", naming),
        Value::Bool(error.outcome_unknown),
    );
    out.insert(
        key_out("retryAfterMs", naming),
        error.retry_after_ms.map_or(Value::Null, Value::from),
    );
    out.insert(key_out("requestId", naming), text(&error.request_id));
    out.insert("attempts".into(), Value::from(error.attempts));
    Value::Object(out).to_string()
}
