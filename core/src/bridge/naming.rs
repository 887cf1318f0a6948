//! camelCase ↔ snake_case for the binding JSON: the wire and the core speak camelCase,
//! Python speaks snake_case.

use serde_json::{Map, Value};

use crate::config::Naming;
use crate::error::Error;

/// `externalReference` → `external_reference`, `qrCodeImageBase64` → `qr_code_image_base64`.
pub fn camel_to_snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for (i, c) in key.char_indices() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `external_reference` → `externalReference`. A key without `_` is returned unchanged, so
/// camelCase input passes through.
pub fn snake_to_camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper_next = false;
    for c in key.chars() {
        if c == '_' && !out.is_empty() {
            upper_next = true;
        } else if upper_next {
            out.push(c.to_ascii_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A key from the core's (camelCase) form into the caller's naming.
pub fn key_out(key: &str, naming: Naming) -> String {
    match naming {
        Naming::Camel => key.to_owned(),
        Naming::Snake => camel_to_snake(key),
    }
}

/// A dotted field path (`payee.destination.pixKey`, `banks[0].ispb`) in the caller's naming.
pub fn path_out(path: &str, naming: Naming) -> String {
    match naming {
        Naming::Camel => path.to_owned(),
        Naming::Snake => camel_to_snake(path),
    }
}

/// Renames every object key of `value` (recursively) with `rename`.
pub fn rename_keys(value: Value, rename: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .map(|(k, v)| (rename(&k), rename_keys(v, rename)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| rename_keys(v, rename)).collect())
        }
        other => other,
    }
}

/// Caller input → camelCase keys.
pub fn keys_in(value: Value, naming: Naming) -> Value {
    match naming {
        Naming::Camel => value,
        Naming::Snake => rename_keys(value, &snake_to_camel),
    }
}

/// camelCase keys → the caller's naming.
pub fn keys_out(value: Value, naming: Naming) -> Value {
    match naming {
        Naming::Camel => value,
        Naming::Snake => rename_keys(value, &camel_to_snake),
    }
}

/// Rewrites a validation error's field path (and the message that starts with it) into the
/// caller's naming.
pub fn error_in_naming(mut error: Error, naming: Naming) -> Error {
    if naming == Naming::Camel {
        return error;
    }
    if let Some(field) = error.field.take() {
        let renamed = path_out(&field, naming);
        if let Some(rest) = error.message.strip_prefix(&field) {
            error.message = format!("{renamed}{rest}");
        }
        error.field = Some(renamed);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for (camel, snake) in [
            ("externalReference", "external_reference"),
            ("qrCodeImageBase64", "qr_code_image_base64"),
            ("endToEndId", "end_to_end_id"),
            ("ispb", "ispb"),
            ("payee.destination.pixKey", "payee.destination.pix_key"),
        ] {
            assert_eq!(camel_to_snake(camel), snake);
            assert_eq!(snake_to_camel(snake), camel);
        }
        assert_eq!(snake_to_camel("externalReference"), "externalReference");
    }

    #[test]
    fn error_fields_follow_naming() {
        let e = Error::validation("payer.document", "bad");
        let e = error_in_naming(e, Naming::Snake);
        assert_eq!(e.field.as_deref(), Some("payer.document"));
        let e = error_in_naming(Error::validation("webhookUrl", "bad"), Naming::Snake);
        assert_eq!(e.field.as_deref(), Some("webhook_url"));
        assert_eq!(e.message, "webhook_url: bad");
    }
}
