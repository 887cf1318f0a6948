//! Building the HTTP requests of each call and reading the typed answers.

use serde::Deserialize;

use super::{Call, Reply};
use crate::auth::AccessToken;
use crate::call::ReplyKind;
use crate::config::Config;
use crate::error::{Error, ErrorKind};
use crate::http::{HttpRequest, HttpResponse, Method, Purpose, is_valid_header_value};
use crate::model::parse_response;

/// A path id: 1–64 characters of `[A-Za-z0-9_-]`, so nothing can escape its path segment
/// (`../`, `%2F`, `?x=`, CR/LF, non-ASCII are all refused).
pub fn validate_path_id(id: &str) -> Result<(), Error> {
    crate::model::validate_path_id("id", id)
}

/// Validates the call and serialises its body (once: retries resend the same bytes).
pub(super) fn prepare(call: &Call) -> Result<Option<Vec<u8>>, Error> {
    match call {
        Call::CreateCashIn { request, .. } => {
            request.validate()?;
            serialize(request).map(Some)
        }
        Call::RefundCashIn { id, request, .. } => {
            validate_path_id(id)?;
            request.validate()?;
            serialize(request).map(Some)
        }
        Call::CreateCashOut { request, .. } => {
            // The normalised PIX key (letter case only) is what goes on the wire; a copy of the
            // request only when that rewrites the key.
            match request.rewritten_key()? {
                None => serialize(request).map(Some),
                Some(key) => {
                    let mut wire = request.clone();
                    if let Some(destination) = &mut wire.payee.destination {
                        destination.pix_key = Some(key);
                    }
                    serialize(&wire).map(Some)
                }
            }
        }
        Call::Rebalance { request } => {
            request.validate()?;
            serialize(request).map(Some)
        }
        Call::GetCashIn { id } | Call::GetCashOut { id } => {
            validate_path_id(id)?;
            Ok(None)
        }
        Call::GetBalance => Ok(None),
    }
}

fn serialize<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| {
        Error::new(
            ErrorKind::Validation,
            format!("request could not be serialised: {e}"),
        )
    })
}

/// Method and path template (`/cash-out/{id}`) of a call: what events and logs name, never
/// the id itself.
pub(super) fn method_and_template(call: &Call) -> (Method, &'static str) {
    let spec = call.spec();
    (spec.method, spec.path)
}

fn common_headers(user_agent: &str, with_body: bool) -> Vec<(String, String)> {
    let mut headers = Vec::with_capacity(8);
    headers.push(("Accept".to_owned(), "application/json".to_owned()));
    headers.push(("User-Agent".to_owned(), user_agent.to_owned()));
    if with_body {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    headers
}

pub(super) fn api_request(
    call: &Call,
    config: &Config,
    user_agent: &str,
    token: &AccessToken,
    body: Option<&[u8]>,
    idempotency_key: Option<&str>,
    timeout_ms: u64,
) -> HttpRequest {
    let spec = call.spec();
    let path = spec.path_with(call.id());
    let mut headers = common_headers(user_agent, body.is_some());
    headers.push((
        "Authorization".to_owned(),
        token.authorization.expose().to_owned(),
    ));
    headers.push((
        "ApplicationToken".to_owned(),
        config.application_token.expose().to_owned(),
    ));
    // Reference §3.1: cash-out, rebalance and refund need the DigitalSignature.
    if spec.signed {
        headers.push((
            "DigitalSignature".to_owned(),
            token.signature.expose().to_owned(),
        ));
    }
    if let Some(key) = idempotency_key {
        headers.push(("X-Idempotency-Key".to_owned(), key.to_owned()));
    }
    HttpRequest {
        method: spec.method,
        url: join_url(config.base_url(), &path),
        headers,
        body: body.map(<[u8]>::to_vec).unwrap_or_default(),
        timeout_ms,
        purpose: Purpose::Api,
    }
}

/// `base` and `path` in one allocation, without `format!` (once per attempt).
fn join_url(base: &str, path: &str) -> String {
    let mut url = String::with_capacity(base.len() + path.len());
    url.push_str(base);
    url.push_str(path);
    url
}

pub(super) fn token_request(config: &Config, user_agent: &str, timeout_ms: u64) -> HttpRequest {
    let body = serde_json::json!({
        "clientId": config.client_id,
        "clientSecret": config.client_secret.expose(),
    });
    HttpRequest {
        method: Method::Post,
        url: format!("{}/auth/token", config.base_url()),
        headers: common_headers(user_agent, true),
        body: body.to_string().into_bytes(),
        timeout_ms,
        purpose: Purpose::Token,
    }
}

/// Only the two fields the SDK needs; no `Debug`, the token must not be printed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

/// `(access_token, expires_in_s)` from a `/auth/token` answer. The error never quotes the
/// body: it holds the token.
pub(super) fn parse_token(body: &[u8]) -> Result<(String, u64), Error> {
    let unreadable = |why: &str| {
        Error::new(
            ErrorKind::Decode,
            format!("POST /auth/token: unexpected answer ({why})"),
        )
    };
    let answer: TokenAnswer = serde_json::from_slice(body)
        .map_err(|_| unreadable("expected accessToken and expiresIn"))?;
    if answer.access_token.is_empty() || !is_valid_header_value(&answer.access_token) {
        return Err(unreadable("accessToken is not a printable ASCII string"));
    }
    if answer.expires_in == 0 {
        return Err(unreadable("expiresIn is 0"));
    }
    Ok((answer.access_token, answer.expires_in))
}

pub(super) fn parse_reply(call: &Call, response: &HttpResponse) -> Result<Reply, Error> {
    let body = response.body.as_slice();
    // One pass straight from the bytes, naming the faulty field without quoting values.
    fn typed<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
        parse_response(body)
    }
    let decoded = match call.spec().reply {
        ReplyKind::CashIn => typed(body).map(Reply::CashIn),
        ReplyKind::Refund => typed(body).map(Reply::Refund),
        ReplyKind::CashOut => typed(body).map(Reply::CashOut),
        ReplyKind::Balance => typed(body).map(Reply::Balance),
        ReplyKind::Rebalance => typed(body).map(Reply::Rebalance),
    };
    decoded.map_err(|mut error| {
        // The body is never quoted (it holds names, documents, PIX keys): its size and type
        // are what the message says about it.
        let what = super::problem::clean_text(&error.message, 500);
        error.detail = Some(what.clone());
        error.message = format!(
            "{}: {what}; {}",
            call.name(),
            super::problem::describe_body(response)
        );
        error
    })
}
