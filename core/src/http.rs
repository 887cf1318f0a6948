//! The plain data a binding's transport exchanges with the driver.
//!
//! No behaviour lives here beyond small accessors: the binding performs an [`HttpRequest`]
//! exactly as given and hands back an [`HttpResponse`] or a [`TransportFailure`].

use std::fmt;

/// The two methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Why a request is sent. After handling the answer to a [`Purpose::Token`] request the
/// binding wakes every operation waiting in `Step::AwaitToken`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// The `POST /auth/token` exchange.
    Token,
    /// An API call.
    Api,
}

/// One HTTP attempt, fully built and signed by the core.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Budget for the whole attempt (connect + send + read), already capped by the deadline.
    pub timeout_ms: u64,
    pub purpose: Purpose,
}

impl HttpRequest {
    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// Headers whose values are secrets, derived from one, or identify the integration.
const SECRET_HEADERS: [&str; 3] = ["authorization", "digitalsignature", "applicationtoken"];

// Hand-written so that a binding that logs `{:?}` never prints the bearer token, the
// signature, the ApplicationToken, the client secret (the token request's body) or the
// personal data of an API body (names, documents, PIX keys): bodies print as their length.
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers = redacted(&self.headers);
        let body = format!("<{} bytes, redacted>", self.body.len());
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &body)
            .field("timeout_ms", &self.timeout_ms)
            .field("purpose", &self.purpose)
            .finish()
    }
}

/// What the server answered.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn new(status: u16, headers: Vec<(String, String)>, body: impl Into<Vec<u8>>) -> Self {
        HttpResponse {
            status,
            headers,
            body: body.into(),
        }
    }

    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

// The token response body holds the access token: never print bodies.
impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &redacted(&self.headers))
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

/// How an attempt failed without an HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// Could not connect (refused, DNS, TLS handshake).
    Connect,
    /// The attempt's `timeout_ms` ran out.
    Timeout,
    /// Anything else: reset, closed early, body too large, unreadable answer.
    Io,
}

/// A transport error. `request_sent = false` only when nothing can have left the machine
/// (connect refused, DNS, TLS handshake); otherwise the request may have reached the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportFailure {
    pub kind: FailureKind,
    pub request_sent: bool,
    /// The transport's own description; must not contain secrets (the core never puts one
    /// in an error message anyway, it only reports the kind).
    pub message: String,
    /// The HTTP proxy answered the tunnel request (CONNECT) with 407 Proxy Authentication
    /// Required: a `Connect` failure the caller can fix only in its proxy settings.
    pub proxy_auth_required: bool,
}

impl TransportFailure {
    pub fn new(kind: FailureKind, request_sent: bool, message: impl Into<String>) -> Self {
        TransportFailure {
            kind,
            request_sent,
            message: message.into(),
            proxy_auth_required: false,
        }
    }

    /// The proxy refused the tunnel with 407: nothing reached the API.
    pub fn proxy_auth_required(message: impl Into<String>) -> Self {
        TransportFailure {
            proxy_auth_required: true,
            ..TransportFailure::new(FailureKind::Connect, false, message)
        }
    }
}

/// Header pairs for `Debug`, with the values of secret headers (and cookies) replaced.
fn redacted(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(name, value)| {
            let secret = SECRET_HEADERS
                .iter()
                .chain(&["set-cookie", "cookie"])
                .any(|s| name.eq_ignore_ascii_case(s));
            (name.as_str(), if secret { "***" } else { value.as_str() })
        })
        .collect()
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// True when `value` may go into a header: visible ASCII and spaces/tabs only (no CR/LF,
/// no other control character, nothing outside ASCII).
pub fn is_valid_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}
