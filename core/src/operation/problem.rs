//! Mapping an HTTP error answer (RFC 7807 problem+json) to an [`Error`].

use serde_json::Value;

use super::request::excerpt;
use crate::error::{Error, ErrorKind};
use crate::http::HttpResponse;

/// The error for a non-2xx answer to `what` (a call name or `POST /auth/token`).
pub(super) fn error_from_response(response: &HttpResponse, what: &str) -> Error {
    let status = response.status;
    let problem: Option<Value> = serde_json::from_slice(&response.body)
        .ok()
        .filter(Value::is_object);
    let text = |key: &str| {
        problem
            .as_ref()
            .and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .map(|s| s.chars().take(500).collect::<String>())
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
    // Only API answers (never the token exchange) are quoted when they are not a problem.
    if problem.is_none() && !what.contains("auth/token") && !response.body.is_empty() {
        message.push_str(&format!("; body starts with: {}", excerpt(&response.body)));
    }
    let mut error = Error::new(kind, message).with_status(status);
    error.code = code;
    error.title = title;
    error.detail = detail;
    error.request_id = response
        .header("x-request-id")
        .filter(|v| v.len() <= 200)
        .map(str::to_owned);
    if kind == ErrorKind::Validation {
        error.field = error.detail.as_deref().and_then(field_in_detail);
    }
    error
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
    fn non_problem_bodies_are_quoted_except_for_the_token_exchange() {
        let r = HttpResponse::new(502, vec![], "<html>bad gateway</html>");
        assert!(
            error_from_response(&r, "cashIn.get")
                .message
                .contains("bad gateway")
        );
        let r = HttpResponse::new(500, vec![], "tok-abc");
        assert!(
            !error_from_response(&r, "POST /auth/token")
                .message
                .contains("tok-abc")
        );
    }
}
