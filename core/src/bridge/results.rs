//! Results out: a finished call's outcome as the binding's JSON.

use serde_json::{Map, Value};

use super::Codec;
use super::naming::{key_out, keys_out};
use crate::money::with_amounts_as_strings;
use crate::operation::Outcome;

/// `{"data": …, "idempotencyKey", "status", "requestId", "attempts", "replayed", "raw"}` with
/// amounts as decimal strings and keys in the caller's naming.
pub fn outcome_to_json(outcome: &Outcome, codec: Codec) -> String {
    let naming = codec.naming;
    let data =
        with_amounts_as_strings(|| serde_json::to_value(&outcome.reply)).unwrap_or(Value::Null);
    let mut out = Map::new();
    out.insert("data".into(), keys_out(data, naming));
    out.insert(
        key_out("idempotencyKey", naming),
        outcome
            .idempotency_key
            .clone()
            .map_or(Value::Null, Value::String),
    );
    out.insert("status".into(), Value::from(outcome.status));
    out.insert(
        key_out("requestId", naming),
        outcome
            .request_id
            .clone()
            .map_or(Value::Null, Value::String),
    );
    out.insert("attempts".into(), Value::from(outcome.attempts));
    out.insert("replayed".into(), Value::Bool(outcome.replayed));
    out.insert("raw".into(), Value::String(outcome.raw.clone()));
    Value::Object(out).to_string()
}
