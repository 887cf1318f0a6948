//! Performs the core's `HttpRequest`s with reqwest: rustls, one keep-alive pool per client,
//! no redirects, the attempt's timeout over connect + send + read, bodies capped at 10 MB.
//!
//! It decides nothing about the API: it only reports what happened, and in particular whether
//! the request may have left the machine (`request_sent`), which the core needs to know
//! whether a money-moving call can be retried or its outcome is unknown.

use std::time::Duration;

use connectpsp_core::http::{FailureKind, HttpRequest, HttpResponse, Method, TransportFailure};

/// Larger answers are refused: the API's largest resource is a few kilobytes.
pub const MAX_BODY_BYTES: usize = connectpsp_core::facts::MAX_RESPONSE_BYTES;

/// A connection pool (per client, per process: see `client.rs`).
pub fn build_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        // The API never redirects; following one could send the bearer token elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        // The core builds every header, the User-Agent included.
        .build()
}

/// One attempt, bounded by `request.timeout_ms` from the first byte to the last.
pub async fn perform(
    client: &reqwest::Client,
    request: &HttpRequest,
) -> Result<HttpResponse, TransportFailure> {
    let budget = Duration::from_millis(request.timeout_ms.max(1));
    match tokio::time::timeout(budget, attempt(client, request)).await {
        Ok(result) => result,
        // We cannot tell how far the attempt got: assume the server may have it.
        Err(_) => Err(TransportFailure::new(
            FailureKind::Timeout,
            true,
            format!("no complete answer within {} ms", request.timeout_ms),
        )),
    }
}

async fn attempt(
    client: &reqwest::Client,
    request: &HttpRequest,
) -> Result<HttpResponse, TransportFailure> {
    let method = match request.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
    };
    let mut builder = client.request(method, &request.url);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    if !request.body.is_empty() {
        builder = builder.body(request.body.clone());
    }
    let mut response = builder.send().await.map_err(send_failure)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            // A header that is not visible ASCII cannot be one the core reads.
            let value = value.to_str().ok()?;
            Some((name.as_str().to_owned(), value.to_owned()))
        })
        .collect();
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(read_failure)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(HttpResponse::new(status, headers, body))
}

fn too_large() -> TransportFailure {
    TransportFailure::new(
        FailureKind::Io,
        true,
        format!("response body larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// `request_sent` is false only when the connection was never established: then nothing of
/// the request can have reached the server.
fn send_failure(error: reqwest::Error) -> TransportFailure {
    if error.is_connect() {
        TransportFailure::new(FailureKind::Connect, false, describe(error))
    } else {
        let kind = if error.is_timeout() {
            FailureKind::Timeout
        } else {
            FailureKind::Io
        };
        TransportFailure::new(kind, true, describe(error))
    }
}

fn read_failure(error: reqwest::Error) -> TransportFailure {
    let kind = if error.is_timeout() {
        FailureKind::Timeout
    } else {
        FailureKind::Io
    };
    TransportFailure::new(kind, true, describe(error))
}

/// The error chain without the URL: it holds nothing secret, but ids in paths are the core's
/// to report, and a short message keeps logs readable.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
