//! JSON in, a typed value or an error naming the field out: strict for requests (unknown
//! members refused), lenient for responses (unknown members ignored).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, ErrorKind};

/// Parses a request body (or binding params) into `T`, rejecting unknown fields.
///
/// A malformed field gives a validation error whose `field` is its camelCase dotted path
/// (`payer.document`, `amount`); a missing field names the missing field itself. This does not
/// run `validate()`: call it on the result.
pub fn parse_request<T: DeserializeOwned + Serialize>(value: Value) -> Result<T, Error> {
    let parsed: T = deserialize_at_path(&value)
        .map_err(|(field, message)| Error::validation(field, message))?;
    // Serialising the parsed value back shows which input keys the type did not take.
    let round_trip = serde_json::to_value(&parsed)
        .map_err(|_| Error::validation("", "could not be re-encoded"))?;
    if let Some((path, message)) = first_mismatch(&value, &round_trip, "") {
        return Err(Error::validation(path, message));
    }
    Ok(parsed)
}

/// Like [`parse_request`], for a body that arrived over HTTP (the sandbox's input): amounts
/// must be JSON numbers there, as the API documents them. (Binding params may also pass an
/// amount as a decimal string, the exact form Python's `Decimal` and JS strings give.)
pub fn parse_wire_request<T: DeserializeOwned + Serialize>(value: Value) -> Result<T, Error> {
    if let Some(path) = first_string_amount(&value, "") {
        return Err(Error::validation(
            path,
            "must be a JSON number such as 150.50, not a string",
        ));
    }
    parse_request(value)
}

/// The members that hold money in a request body.
const AMOUNT_MEMBERS: [&str; 2] = ["amount", "targetAmount"];

fn first_string_amount(value: &Value, path: &str) -> Option<String> {
    let Value::Object(members) = value else {
        return None;
    };
    members.iter().find_map(|(key, member)| {
        let child = join_path(path, key);
        if AMOUNT_MEMBERS.contains(&key.as_str()) && member.is_string() {
            Some(child)
        } else {
            first_string_amount(member, &child)
        }
    })
}

/// Like [`parse_request`], from JSON text.
pub fn parse_request_str<T: DeserializeOwned + Serialize>(json: &str) -> Result<T, Error> {
    let value: Value = serde_json::from_str(json).map_err(|e| {
        Error::validation(
            "",
            format!("is not valid JSON ({})", strip_position(&e.to_string())),
        )
    })?;
    parse_request(value)
}

/// Parses a response body into `T`. Unknown fields are ignored; a missing required field or a
/// malformed value is a decode error naming the field. The message never quotes the body.
pub fn parse_response<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    super::one_pass::parse_answer(body).map_err(|failure| {
        // Bad JSON is said as such, before any field (the one pass may meet a field first).
        match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Err(e) => Error::new(
                ErrorKind::Decode,
                format!(
                    "the response body is not valid JSON ({})",
                    strip_position(&e.to_string())
                ),
            ),
            Ok(_) => decode_error(failure),
        }
    })
}

/// Like [`parse_response`], from an already parsed JSON value.
pub fn parse_response_value<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
    super::one_pass::parse_answer(value.to_string().as_bytes()).map_err(decode_error)
}

/// The decode error of an answer whose `field` is wrong.
fn decode_error((field, message): (String, String)) -> Error {
    {
        let mut error = Error::new(
            ErrorKind::Decode,
            if field.is_empty() {
                format!("unexpected response: {message}")
            } else {
                format!("unexpected response: {field}: {message}")
            },
        );
        error.field = (!field.is_empty()).then_some(field);
        error
    }
}

/// Deserialises `value`, returning on failure the camelCase dotted path of the faulty field and
/// a message that never quotes the faulty value (it may be a document or a PIX key).
pub(crate) fn deserialize_at_path<T: DeserializeOwned>(
    value: &Value,
) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = path_text(error.path());
        path_and_message(path, &error.inner().to_string())
    })
}

/// The field path and message of a serde error at `path`: a missing field named itself
/// ("is required"), a message that never quotes the faulty value.
pub(crate) fn path_and_message(path: String, serde_message: &str) -> (String, String) {
    let message = strip_position(serde_message);
    // serde reports a missing field at its parent; name the field itself.
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return (join_path(&path, missing), "is required".to_owned());
    }
    (path, redact_serde_message(&message))
}

/// `a.b[0].c` from serde_path_to_error's path (which prints `.` for the root).
fn path_text(path: &serde_path_to_error::Path) -> String {
    let text = path.to_string();
    if text == "." { String::new() } else { text }
}

/// `parent.child`, or `child` at the root.
pub(crate) fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        format!("{parent}.{child}")
    }
}

/// Removes serde_json's " at line 1 column 7" suffix: the position means nothing to a caller
/// who passed an object, and a JSON excerpt is never shown.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// serde's "invalid type: string \"12345678909\", expected u32" quotes the value; keep only
/// what kind of value it was and what was expected, in words a JS or Python caller knows.
fn redact_serde_message(message: &str) -> String {
    if message == "invalid number" {
        // serde_json (arbitrary_precision) refusing a fraction or an out-of-range integer.
        return "must be a whole number in range".to_owned();
    }
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let got = rest.split([' ', ',']).next().unwrap_or_default();
            let expected = match rest.split_once(", expected ").map(|(_, e)| e) {
                Some(e) if e.starts_with("struct ") || e.starts_with("a map") => "an object",
                Some("i64" | "i32" | "i16" | "i8") => "an integer",
                Some("u64" | "u32" | "u16" | "u8") => "a non-negative integer",
                Some(e) => e,
                None => "another value",
            };
            return format!("wrong type: expected {expected}, got {got}");
        }
    }
    message.to_owned()
}

/// The first place (depth first) where `input` says something the parsed value does not: a key
/// the type lacks (an unknown or misspelt field), or an array where an object was expected
/// (serde would read a struct from a positional array, silently). A key whose input value is
/// `null` is not reported: `null` means "absent" for optional fields.
fn first_mismatch(input: &Value, parsed: &Value, path: &str) -> Option<(String, &'static str)> {
    match (input, parsed) {
        (Value::Object(given), Value::Object(known)) => given.iter().find_map(|(key, value)| {
            match known.get(key) {
                None if value.is_null() => None,
                None => Some((
                    join_path(path, key),
                    "unknown field: check its spelling against the API reference",
                )),
                // A scalar holds no key: no path to build (this runs on every call's params).
                Some(_) if !(value.is_object() || value.is_array()) => None,
                Some(parsed_value) => first_mismatch(value, parsed_value, &join_path(path, key)),
            }
        }),
        (Value::Array(_), Value::Object(_)) => Some((
            path.to_owned(),
            "wrong type: expected an object with named fields, got an array",
        )),
        (Value::Array(given), Value::Array(known)) => given
            .iter()
            .zip(known)
            .enumerate()
            .find_map(|(i, (g, k))| first_mismatch(g, k, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// For plain (non-`Option`) fields with a default: `null` reads as the default, like absence.
/// Requests still refuse the resulting empty value in `validate()`, naming the field.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_wants_amounts_as_numbers() {
        use crate::model::account::Rebalance;
        let ok: Rebalance = parse_wire_request(serde_json::json!({"targetAmount": 1.5E2})).unwrap();
        assert_eq!(ok.target_amount.centavos(), 15_000);
        let err = parse_wire_request::<Rebalance>(serde_json::json!({"targetAmount": "150"}))
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("targetAmount"));
        // Binding params keep the exact string form.
        assert!(parse_request::<Rebalance>(serde_json::json!({"targetAmount": "150"})).is_ok());
    }

    #[test]
    fn serde_messages_do_not_quote_values() {
        let message = redact_serde_message("invalid type: string \"12345678909\", expected u32");
        assert!(!message.contains("12345678909"), "{message}");
        assert!(
            message.contains("expected a non-negative integer"),
            "{message}"
        );
    }
}
