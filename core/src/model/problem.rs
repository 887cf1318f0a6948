//! The RFC 7807 problem+json body of every 4xx/5xx answer (plus the API's `code`).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// An API error body. Every member is optional and read leniently: a member of the wrong type
/// is dropped rather than making the whole body unreadable, because the HTTP status alone must
/// still produce the right error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// Category URI, e.g. `https://connect-psp.redocly.app/errors/insufficient-funds`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_uri: Option<String>,
    /// Short summary, stable per type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The HTTP status, repeated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Machine code (`INSUFFICIENT_FUNDS`, `TOKEN_EXPIRED`, …): branch on this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Human explanation of this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Problem {
    /// A problem body as the sandbox sends it.
    pub fn new(status: u16, code: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            type_uri: Some(format!(
                "https://connect-psp.redocly.app/errors/{}",
                code.to_ascii_lowercase().replace('_', "-")
            )),
            title: Some(title.to_owned()),
            status: Some(status),
            code: Some(code.to_owned()),
            detail: Some(detail.into()),
        }
    }

    /// Reads a problem body from raw bytes; `None` when it is not a JSON object at all.
    pub fn from_body(body: &[u8]) -> Option<Problem> {
        match serde_json::from_slice::<Value>(body) {
            Ok(value @ Value::Object(_)) => Some(Problem::from_value(&value)),
            _ => None,
        }
    }

    fn from_value(value: &Value) -> Problem {
        let text = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
        Problem {
            type_uri: text("type"),
            title: text("title"),
            status: value
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok()),
            code: text("code"),
            detail: text("detail"),
        }
    }
}

impl<'de> Deserialize<'de> for Problem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Problem, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if !value.is_object() {
            return Err(serde::de::Error::custom(
                "a problem body must be a JSON object",
            ));
        }
        Ok(Problem::from_value(&value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_member_types_are_dropped_not_fatal() {
        let problem: Problem =
            serde_json::from_str(r#"{"status":"422","code":"INSUFFICIENT_FUNDS","title":7}"#)
                .unwrap();
        assert_eq!(problem.code.as_deref(), Some("INSUFFICIENT_FUNDS"));
        assert_eq!(problem.status, None);
        assert_eq!(problem.title, None);
        assert!(Problem::from_body(b"<html>").is_none());
    }

    #[test]
    fn new_builds_the_documented_type_uri() {
        let problem = Problem::new(422, "INSUFFICIENT_FUNDS", "Insufficient Funds", "x");
        assert_eq!(
            problem.type_uri.as_deref(),
            Some("https://connect-psp.redocly.app/errors/insufficient-funds")
        );
    }
}
