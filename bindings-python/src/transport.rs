//! Performs the core's `HttpRequest`s with reqwest: rustls, one keep-alive pool per client,
//! no redirects, the attempt's timeout over connect + send + read, bodies capped at 10 MB.
//!
//! It decides nothing about the API: it only reports what happened, and in particular whether
//! the request may have left the machine (`request_sent`), which the core needs to know
//! whether a money-moving call can be retried or its outcome is unknown.
//!
//! [`Network`] holds the client's network options (`proxy=`, `ca_bundle=`, `trust_env=`),
//! checked once when the client is made, before anything could be sent.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use connectpsp_core::config::Config;
use connectpsp_core::http::{FailureKind, HttpRequest, HttpResponse, Method, TransportFailure};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// Larger answers are refused: the API's largest resource is a few kilobytes.
pub const MAX_BODY_BYTES: usize = connectpsp_core::facts::MAX_RESPONSE_BYTES;

/// A CA bundle larger than this is refused (the whole Mozilla set is about 220 KB): a path to a
/// device or a wrong file must not be read forever.
const MAX_CA_BUNDLE_BYTES: u64 = 8 * 1024 * 1024;

/// Where the client's connections go and which roots it trusts.
///
/// The proxy URL may hold credentials: this type has no `Debug`, and no message built here
/// quotes a value the user passed.
#[derive(Clone)]
pub struct Network {
    /// `proxy=`: every non-loopback request goes through it; the environment is not read.
    proxy: Option<reqwest::Url>,
    /// `ca_bundle=`: these roots replace the platform's (as `requests`' `verify=path` does).
    roots: Option<Vec<CertificateDer<'static>>>,
    /// `trust_env=`: without `proxy=`, HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY apply.
    trust_env: bool,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            proxy: None,
            roots: None,
            trust_env: true,
        }
    }
}

/// A network option the client cannot use: which one (the Python keyword, camelCase as the
/// core names fields) and why, never the value.
#[derive(Debug)]
pub struct NetworkError {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> NetworkError {
    NetworkError {
        field,
        message: message.into(),
    }
}

impl Network {
    /// Checks the options as given to `Client(...)`.
    pub fn new(
        proxy: Option<&str>,
        ca_bundle: Option<&Path>,
        trust_env: bool,
    ) -> Result<Network, NetworkError> {
        Ok(Network {
            proxy: proxy.map(parse_proxy).transpose()?,
            roots: ca_bundle.map(read_ca_bundle).transpose()?,
            trust_env,
        })
    }
}

/// `http://[user:password@]host[:port]` or `https://...` (TLS to the proxy itself). The
/// user name and password are percent-decoded by reqwest and sent as `Proxy-Authorization:
/// Basic` on the CONNECT.
fn parse_proxy(text: &str) -> Result<reqwest::Url, NetworkError> {
    const FIELD: &str = "proxy";
    let url = reqwest::Url::parse(text.trim()).map_err(|_| {
        invalid(
            FIELD,
            "is not a URL: expected http://host:port or https://host:port (with user:password@ if the proxy needs them)",
        )
    })?;
    match url.scheme() {
        "http" | "https" => {}
        "socks4" | "socks4a" | "socks5" | "socks5h" => {
            return Err(invalid(
                FIELD,
                "SOCKS proxies are not supported: use an HTTP proxy (http:// or https://)",
            ));
        }
        _ => {
            return Err(invalid(
                FIELD,
                "has an unsupported scheme: expected http:// or https://",
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(FIELD, "has no host"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            FIELD,
            "must be only scheme://[user:password@]host[:port], without a path or query",
        ));
    }
    Ok(url)
}

/// The certificates of a PEM file (one or more `-----BEGIN CERTIFICATE-----` blocks), each
/// checked to be usable as a trust anchor.
fn read_ca_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, NetworkError> {
    const FIELD: &str = "caBundle";
    let file = std::fs::File::open(path)
        .map_err(|e| invalid(FIELD, format!("cannot be read: {}", io_reason(&e))))?;
    let mut bytes = Vec::new();
    file.take(MAX_CA_BUNDLE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| invalid(FIELD, format!("cannot be read: {}", io_reason(&e))))?;
    if bytes.len() as u64 > MAX_CA_BUNDLE_BYTES {
        return Err(invalid(
            FIELD,
            format!("is larger than {MAX_CA_BUNDLE_BYTES} bytes: not a CA bundle"),
        ));
    }
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            invalid(
                FIELD,
                "is not a valid PEM file (a section is unterminated or not base64)",
            )
        })?;
    if certs.is_empty() {
        return Err(invalid(
            FIELD,
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----); a DER file must be converted to PEM",
        ));
    }
    let mut store = rustls::RootCertStore::empty();
    for (n, cert) in certs.iter().enumerate() {
        store.add(cert.clone()).map_err(|_| {
            invalid(
                FIELD,
                format!(
                    "certificate {} of the file is not a valid X.509 certificate",
                    n + 1
                ),
            )
        })?;
    }
    Ok(certs)
}

/// The kind of an I/O error without its OS text, which can quote the path.
fn io_reason(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        std::io::ErrorKind::IsADirectory => "it is a directory, not a file",
        _ => "I/O error",
    }
}

/// A connection pool (per client, per process: see `client.rs`).
pub fn build_client(config: &Config, network: &Network) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = reqwest::Client::builder()
        // The API never redirects; following one could send the bearer token elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true);
    // The client only ever talks to its base URL. A loopback one (a sandbox, a local stub) is
    // never proxied: a proxy cannot reach this machine's loopback anyway, and over plain http
    // it would read the client secret and the bearer token. That holds for `proxy=` too, so
    // one configuration serves production and a local sandbox.
    if connectpsp_core::config::is_loopback_url(config.base_url()) {
        builder = builder.no_proxy();
    } else if let Some(proxy) = &network.proxy {
        // Replaces the environment's proxies, NO_PROXY included.
        builder = builder.proxy(reqwest::Proxy::all(proxy.clone())?);
    } else if !network.trust_env {
        builder = builder.no_proxy();
    }
    if let Some(roots) = &network.roots {
        builder = builder.tls_certs_only(
            roots
                .iter()
                .map(|der| reqwest::Certificate::from_der(der.as_ref()))
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    // The core builds every header, the User-Agent included.
    builder.build()
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
        if proxy_asked_for_credentials(&error) {
            return TransportFailure::proxy_auth_required(describe(error));
        }
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

/// The proxy answered the CONNECT with 407. hyper-util's tunnel error type is private, so its
/// text is matched (reqwest is pinned by Cargo.lock; `test_network.py` checks the mapping).
fn proxy_asked_for_credentials(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause.to_string() == "tunnel error: proxy authorization required" {
            return true;
        }
        source = cause.source();
    }
    false
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
