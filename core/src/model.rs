//! The API as types: every request and response body, the problem+json error body and the
//! webhook envelope.
//!
//! Wire names are camelCase. Every type is both `Serialize` and `Deserialize`, so the SDK and
//! the sandbox share them. Two rules make the types forward-compatible with an API that is
//! only partly documented:
//!
//! - every enum has an `Unknown(String)` variant: a status the docs don't list never breaks
//!   parsing (requests reject it in `validate()`, responses carry it through);
//! - optional fields are `Option<T>` with `#[serde(default)]`: absent and `null` both work,
//!   and `None` is not serialised.
//!
//! Responses are lenient (unknown fields ignored, missing optional fields tolerated) but a
//! missing `transactionId`, `status` or `amount` is a decode error: a result without them
//! would be a lie about money. Requests are strict: [`parse_request`] rejects unknown fields
//! (a misspelt `webhookURL` would otherwise be dropped silently) and each request type's
//! `validate()` checks the rules of `docs/api-decisions.md`, naming the field in camelCase
//! dotted form (`payee.destination.pixKey`).

pub mod account;
pub mod auth;
pub mod cash_in;
pub mod cash_out;
pub mod problem;
pub mod webhook;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, ErrorKind};

/// Declares a string enum with known variants and an `Unknown(String)` catch-all.
///
/// On the wire it is the plain string; any other string becomes `Unknown` instead of failing.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value the API docs don't list, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// Every documented value, in documentation order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(other) => other,
                }
            }

            /// Parses a wire string exactly (case-sensitive, as the API documents it).
            pub fn from_wire(text: &str) -> $name {
                match text {
                    $($wire => $name::$variant,)+
                    other => $name::Unknown(other.to_owned()),
                }
            }

            /// True unless this is `Unknown`.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }

            /// The documented values, for error messages: `"A, B or C"`.
            #[allow(dead_code)]
            pub(crate) fn expected() -> String {
                $crate::model::one_of(&[$($wire),+])
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> $name {
                $name::from_wire(text)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
                Ok($name::from_wire(&text))
            }
        }
    };
}
pub(crate) use string_enum;

/// `"A, B or C"`.
pub(crate) fn one_of(values: &[&str]) -> String {
    match values.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing: JSON in, typed value or an error naming the field out.

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
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Error::new(
            ErrorKind::Decode,
            format!(
                "the response body is not valid JSON ({})",
                strip_position(&e.to_string())
            ),
        )
    })?;
    parse_response_value(&value)
}

/// Like [`parse_response`], from an already parsed JSON value.
pub fn parse_response_value<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
    deserialize_at_path(value).map_err(|(field, message)| {
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
    })
}

/// Deserialises `value`, returning on failure the camelCase dotted path of the faulty field and
/// a message that never quotes the faulty value (it may be a document or a PIX key).
pub(crate) fn deserialize_at_path<T: DeserializeOwned>(
    value: &Value,
) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut path = path_text(error.path());
        let message = strip_position(&error.inner().to_string());
        // serde reports a missing field at its parent; name the field itself.
        if let Some(missing) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            path = join_path(&path, missing);
            return (path, "is required".to_owned());
        }
        (path, redact_serde_message(&message))
    })
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
            let child = join_path(path, key);
            match known.get(key) {
                None if value.is_null() => None,
                None => Some((
                    child,
                    "unknown field: check its spelling against the API reference",
                )),
                Some(parsed_value) => first_mismatch(value, parsed_value, &child),
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

// ---------------------------------------------------------------------------------------------
// Validation rules shared by the request types (docs/api-decisions.md).

/// Longest `externalReference`.
pub const EXTERNAL_REFERENCE_MAX: usize = 128;
/// Longest payer/payee name.
pub const NAME_MAX: usize = 140;
/// Longest description.
pub const DESCRIPTION_MAX: usize = 140;
/// Longest `webhookUrl` (and `openFinance.redirectUrl`).
pub const URL_MAX: usize = 2048;
/// Longest id in a path (`/cash-in/{id}`).
pub const PATH_ID_MAX: usize = 64;

/// A path id (`/cash-in/{id}`, `/cash-out/{id}`): 1–64 characters of `[A-Za-z0-9_-]`.
/// Anything else could change the path (`../`, `%2F`, `?x=`) and is refused before sending.
pub fn validate_path_id(field: &str, id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::validation(field, "is required"));
    }
    if id.chars().count() > PATH_ID_MAX {
        return Err(Error::validation(
            field,
            format!("must be at most {PATH_ID_MAX} characters"),
        ));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(Error::validation(
            field,
            "may contain only letters, digits, '_' and '-' (a transactionId, internalCode or endToEndId)",
        ));
    }
    Ok(())
}

/// `externalReference`: 1–128 printable ASCII characters without `/ ? # %`.
pub(crate) fn check_external_reference(field: &str, text: &str) -> Result<(), Error> {
    if text.is_empty() {
        return Err(Error::validation(
            field,
            "is required (1 to 128 characters)",
        ));
    }
    if text.chars().count() > EXTERNAL_REFERENCE_MAX {
        return Err(Error::validation(
            field,
            format!("must be at most {EXTERNAL_REFERENCE_MAX} characters"),
        ));
    }
    if !text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return Err(Error::validation(
            field,
            "may contain only printable ASCII characters (no accents, line breaks or control characters)",
        ));
    }
    if text.contains(['/', '?', '#', '%']) {
        return Err(Error::validation(
            field,
            "must not contain '/', '?', '#' or '%'",
        ));
    }
    Ok(())
}

/// A person's or company's name: 1–140 characters, no control characters.
pub(crate) fn check_name(field: &str, text: &str) -> Result<(), Error> {
    if text.trim().is_empty() {
        return Err(Error::validation(
            field,
            "is required (1 to 140 characters)",
        ));
    }
    check_free_text(field, text, NAME_MAX)
}

/// An optional description: at most 140 characters, no control characters.
pub(crate) fn check_description(field: &str, text: Option<&str>) -> Result<(), Error> {
    match text {
        Some(text) => check_free_text(field, text, DESCRIPTION_MAX),
        None => Ok(()),
    }
}

fn check_free_text(field: &str, text: &str, max: usize) -> Result<(), Error> {
    if text.chars().count() > max {
        return Err(Error::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::validation(
            field,
            "must not contain line breaks, tabs or other control characters",
        ));
    }
    Ok(())
}

/// A URL the API calls or sends the payer to: `https://host/...`, or `http://` to a loopback
/// host (local development); at most 2,048 characters of visible ASCII.
///
/// User info (`user@`) is refused: `http://127.0.0.1@evil.com` points at evil.com.
pub(crate) fn check_callback_url(field: &str, url: &str) -> Result<(), Error> {
    let fail = |message: &str| Err(Error::validation(field, message));
    if url.is_empty() {
        return fail("must not be empty: give an https URL or leave the field out");
    }
    if url.len() > URL_MAX {
        return fail("must be at most 2048 characters");
    }
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return fail(
            "may contain only visible ASCII characters (no spaces, line breaks or accents; percent-encode them)",
        );
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return fail("must be an absolute https URL (https://...)");
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return fail("must use https");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') || authority.contains('\\') {
        return fail("must not contain user info (user@host)");
    }
    let Some(host) = host_of(authority) else {
        return fail("has no valid host");
    };
    if scheme == "http" && !is_loopback(&host) {
        return fail("must use https (plain http is only allowed to 127.0.0.1, ::1 or localhost)");
    }
    Ok(())
}

/// The lowercased host of `host[:port]` or `[v6][:port]`; `None` when malformed.
fn host_of(authority: &str) -> Option<String> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = match after {
            "" => None,
            with_colon => Some(with_colon.strip_prefix(':')?),
        };
        (host, port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b));
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u16>().is_ok_and(|n| n > 0)
    });
    (host_ok && port_ok).then(|| host.to_ascii_lowercase())
}

fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// An error from a nested validator (`pix::key::normalize` names `pixKey`), re-rooted under
/// `parent` so the caller sees the full path (`payee.destination.pixKey`).
pub(crate) fn under(parent: &str, mut error: Error) -> Error {
    if let Some(field) = error.field.take() {
        let full = join_path(parent, &field);
        let detail = error.detail.clone().unwrap_or_default();
        error.message = format!("{full}: {detail}");
        error.field = Some(full);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_urls() {
        for ok in [
            "https://api.yourdomain.com/webhooks/connectpsp",
            "https://example.com:8443/hook?token=abc",
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://[::1]:9000/",
            "HTTPS://EXAMPLE.COM",
        ] {
            assert!(check_callback_url("webhookUrl", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "http://api.yourdomain.com/hook",
            "javascript:alert(1)",
            "ftp://example.com/",
            "https://",
            "https://exa mple.com/",
            "https://example.com/\r\nX: 1",
            "http://127.0.0.1@evil.com/",
            "http://localhost.evil.com/",
            "//example.com/hook",
            "https://exämple.com/",
            "https://example.com:99999/",
        ] {
            let err = check_callback_url("webhookUrl", bad).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("webhookUrl"), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(URL_MAX));
        assert!(check_callback_url("webhookUrl", &long).is_err());
    }

    #[test]
    fn path_ids() {
        for ok in [
            "US7B1JQ",
            "kk6g232xel65a0daee4dd13kk2912714964",
            "dd30446e-6cc5-4664-bf3f-6b7f5e55a1a9",
        ] {
            assert!(validate_path_id("id", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../x",
            "a%2Fb",
            "a?x=1",
            "a\r\n",
            "ação",
            &"a".repeat(65),
        ] {
            assert_eq!(
                validate_path_id("id", bad).unwrap_err().field.as_deref(),
                Some("id")
            );
        }
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

    #[test]
    fn one_of_reads_naturally() {
        assert_eq!(one_of(&["A"]), "A");
        assert_eq!(one_of(&["A", "B", "C"]), "A, B or C");
    }
}
