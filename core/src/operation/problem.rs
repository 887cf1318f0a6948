//! Mapping an HTTP error answer (RFC 7807 problem+json) to an [`Error`].

use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::http::HttpResponse;

/// The error for a non-2xx answer to `what` (a call name or `POST /auth/token`).
pub(super) fn error_from_response(response: &HttpResponse, what: &str) -> Error {
    let status = response.status;
    // Fields are read from the API's own problem body only: any other body is never quoted.
    let problem: Option<Value> = if crate::retry::is_api_problem(response) {
        serde_json::from_slice(&response.body).ok()
    } else {
        None
    };
    let text = |key: &str| {
        problem
            .as_ref()
            .and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .map(|s| clean_text(s, 500))
            .filter(|s| !s.is_empty())
    };
    let code = text("code");
    let title = text("title");
    let detail = text("detail");
    let kind = kind_for(status, code.as_deref());
    let mut message = format!("{what}: HTTP {status}");
    if let Some(title) = &title {
        message.push_str(&format!(" {title}"));
    }
    if let Some(code) = &code {
        message.push_str(&format!(" ({code})"));
    }
    if let Some(detail) = &detail {
        message.push_str(&format!(": {detail}"));
    }
    // A body that is not a problem is never quoted: it may hold names, documents, PIX keys
    // (or, from the token exchange, the token). Its size and type are enough to diagnose.
    if problem.is_none() && !response.body.is_empty() {
        message.push_str(&format!("; {}", describe_body(response)));
    }
    let mut error = Error::new(kind, message).with_status(status);
    error.code = code;
    error.title = title;
    error.detail = detail;
    error.request_id = request_id(response);
    if kind == ErrorKind::Validation {
        error.field = error.detail.as_deref().and_then(field_in_detail);
    }
    error
}

/// `s` without control characters (CR, LF, ESC, ...), Unicode line separators or bidi
/// overrides, at most `max_chars` long: server-supplied text goes into messages and logs, and
/// must not be able to forge a log line or hide what it says.
pub(super) fn clean_text(s: &str, max_chars: usize) -> String {
    s.chars()
        .filter(|&c| {
            !c.is_control()
                && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}')
                && !('\u{202a}'..='\u{202e}').contains(&c)
                && !('\u{2066}'..='\u{2069}').contains(&c)
        })
        .take(max_chars)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// "body of 1234 bytes (text/html)": what an error says about a body it cannot read.
pub(super) fn describe_body(response: &HttpResponse) -> String {
    let content_type = response
        .header("content-type")
        .map(|v| clean_text(v, 80))
        .filter(|v| !v.is_empty());
    match content_type {
        Some(t) => format!("body of {} bytes ({t})", response.body.len()),
        None => format!("body of {} bytes (no content type)", response.body.len()),
    }
}

fn kind_for(status: u16, code: Option<&str>) -> ErrorKind {
    match (status, code) {
        (422, Some("INVALID_SIGNATURE")) => ErrorKind::Signature,
        (422, Some("IDEMPOTENCY_KEY_REUSED")) => ErrorKind::Conflict,
        (400, _) => ErrorKind::Validation,
        (401 | 403, _) => ErrorKind::Authentication,
        (404, _) => ErrorKind::NotFound,
        (409, _) => ErrorKind::Conflict,
        (422, _) => ErrorKind::BusinessRule,
        (429, _) => ErrorKind::RateLimited,
        (500..=599, _) => ErrorKind::Server,
        _ => ErrorKind::Decode,
    }
}

/// X-Request-Id when it is a plausible id (bounded, printable ASCII): it goes into logs.
pub(super) fn request_id(response: &HttpResponse) -> Option<String> {
    response
        .header("x-request-id")
        .filter(|v| !v.is_empty() && v.len() <= 200 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
}

/// The sandbox's 400 details start with the field path (`payer.document: …`).
fn field_in_detail(detail: &str) -> Option<String> {
    let (field, _) = detail.split_once(':')?;
    let plausible = !field.is_empty()
        && field.len() <= 100
        && field
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'[' || b == b']');
    plausible.then(|| field.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(status: u16, code: &str) -> HttpResponse {
        let body = format!(
            r#"{{"type":"about:blank","title":"T","status":{status},"code":"{code}","detail":"amount: too big"}}"#
        );
        HttpResponse::new(status, vec![("X-Request-Id".into(), "req-1".into())], body)
    }

    #[test]
    fn kinds_follow_status_and_code() {
        let cases = [
            (400, "VALIDATION_ERROR", ErrorKind::Validation),
            (401, "TOKEN_EXPIRED", ErrorKind::Authentication),
            (404, "TRANSACTION_NOT_FOUND", ErrorKind::NotFound),
            (409, "DUPLICATE_EXTERNAL_REFERENCE", ErrorKind::Conflict),
            (422, "INVALID_SIGNATURE", ErrorKind::Signature),
            (422, "IDEMPOTENCY_KEY_REUSED", ErrorKind::Conflict),
            (422, "INSUFFICIENT_FUNDS", ErrorKind::BusinessRule),
            (503, "SERVICE_UNAVAILABLE", ErrorKind::Server),
        ];
        for (status, code, kind) in cases {
            let e = error_from_response(&problem(status, code), "cashOut.create");
            assert_eq!(e.kind, kind, "{status} {code}");
            assert_eq!(e.code.as_deref(), Some(code));
            assert_eq!(e.status, Some(status));
            assert_eq!(e.request_id.as_deref(), Some("req-1"));
        }
        let e = error_from_response(&problem(400, "VALIDATION_ERROR"), "x");
        assert_eq!(e.field.as_deref(), Some("amount"));
    }

    #[test]
    fn non_problem_bodies_are_never_quoted() {
        let r = HttpResponse::new(
            502,
            vec![("Content-Type".into(), "text/html".into())],
            "<html>bad gateway Maria 12345678909</html>",
        );
        let message = error_from_response(&r, "cashIn.get").message;
        assert!(
            !message.contains("Maria") && !message.contains("bad gateway"),
            "{message}"
        );
        assert!(
            message.contains("body of 42 bytes (text/html)"),
            "{message}"
        );
        let r = HttpResponse::new(500, vec![], "tok-abc");
        let message = error_from_response(&r, "POST /auth/token").message;
        assert!(!message.contains("tok-abc"), "{message}");
        assert!(message.contains("no content type"), "{message}");
    }

    #[test]
    fn server_text_loses_control_characters() {
        let body = r#"{"status":422,"code":"X\nY","title":"Bad\r\n2026-01-01 INFO forged","detail":"a\u001b[31mb\u2028c\u202ed"}"#;
        let e = error_from_response(&HttpResponse::new(422, vec![], body), "cashOut.create");
        assert_eq!(e.code.as_deref(), Some("XY"));
        assert_eq!(e.title.as_deref(), Some("Bad2026-01-01 INFO forged"));
        assert_eq!(e.detail.as_deref(), Some("a[31mbcd"));
        assert!(!e.message.chars().any(char::is_control), "{:?}", e.message);
    }
}
