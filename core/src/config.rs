//! Client configuration: credentials, base URL rules, timeouts and the User-Agent.

use std::fmt;

use crate::error::Error;
use crate::http::is_valid_header_value;

/// A secret string (client secret, crypto token, access token).
///
/// It prints as `Secret(***)` in `Debug`, has no `Display`, and is only read through
/// [`Secret::expose`], so a secret can't reach a log or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself: call this only where the value is put on the wire or into an HMAC.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Key naming convention a binding uses in params, results and error field paths (part of
/// the binding's `bridge::Codec`, not of a client's config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Naming {
    #[default]
    Camel,
    Snake,
}

/// Production API.
pub const PRODUCTION_URL: &str = "https://api.connectpsp.com";
/// Staging ("homologação") API.
pub const STAGING_URL: &str = "https://api.homologacao.connectpsp.com";

pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Most retries a config or a call may ask for.
pub const MAX_RETRIES_LIMIT: u32 = 10;
/// Longest timeout or deadline, and the longest wait the driver ever asks for: 2^31 − 1 ms
/// (about 24.8 days). A JS timer (`setTimeout`) given more fires at once, so a bigger value
/// would abort every attempt immediately instead of waiting.
pub const MAX_TIMER_MS: u64 = 2_147_483_647;

/// Everything a client needs. Built once, shared by every operation through the `Session`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Validated base URL without a trailing slash.
    base_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Identifies the integration; not a secret per the docs, but kept out of logs anyway.
    pub application_token: Secret,
    pub crypto_token: Secret,
    /// Budget of one HTTP attempt.
    pub timeout_ms: u64,
    /// Retries after the first attempt (token replays on 401 TOKEN_EXPIRED are not counted).
    pub max_retries: u32,
    /// Overall budget of an operation across all attempts and waits; `None` means
    /// `timeout_ms * (max_retries + 1)`.
    pub deadline_ms: Option<u64>,
    /// Name of the binding (`python`, `js`, `rust`), sent in the User-Agent.
    pub binding: String,
    /// Version of the binding package, sent in the User-Agent.
    pub binding_version: String,
    /// Lets a non-loopback base URL use plain http. Never in production.
    pub dangerously_allow_insecure_http: bool,
    /// The crypto tokens a client's webhook verification accepts, the new one first (a key
    /// rotation); empty: `crypto_token` alone. Requests are always signed with `crypto_token`.
    pub webhook_crypto_tokens: Vec<Secret>,
    /// The client's webhook freshness bound on `eventAt` (off when `None`).
    pub webhook_tolerance_ms: Option<u64>,
}

impl Config {
    /// A config with the defaults (30 s per attempt, 2 retries, binding `rust`).
    /// Fails with a validation error naming the field when an input is unusable.
    pub fn new(
        base_url: &str,
        client_id: &str,
        client_secret: &str,
        application_token: &str,
        crypto_token: &str,
    ) -> Result<Config, Error> {
        let mut config = Config {
            base_url: String::new(),
            client_id: client_id.to_owned(),
            client_secret: Secret::new(client_secret),
            application_token: Secret::new(application_token),
            crypto_token: Secret::new(crypto_token),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            max_retries: DEFAULT_MAX_RETRIES,
            deadline_ms: None,
            binding: "rust".to_owned(),
            binding_version: crate::VERSION.to_owned(),
            dangerously_allow_insecure_http: false,
            webhook_crypto_tokens: Vec::new(),
            webhook_tolerance_ms: None,
        };
        config.set_base_url(base_url)?;
        config.validate()?;
        Ok(config)
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Replaces the base URL after checking it (https, or http to loopback, unless
    /// `dangerously_allow_insecure_http` is set before this call).
    pub fn set_base_url(&mut self, base_url: &str) -> Result<(), Error> {
        self.base_url = check_base_url(base_url, self.dangerously_allow_insecure_http)?;
        Ok(())
    }

    /// Checks every field; [`Config::new`] and the bridge call it, call it again after
    /// changing public fields by hand.
    pub fn validate(&self) -> Result<(), Error> {
        check_base_url(&self.base_url, self.dangerously_allow_insecure_http)?;
        require_header_safe("clientId", &self.client_id)?;
        require_header_safe("clientSecret", self.client_secret.expose())?;
        require_header_safe("applicationToken", self.application_token.expose())?;
        require_header_safe("cryptoToken", self.crypto_token.expose())?;
        require_header_safe("binding", &self.binding)?;
        require_header_safe("bindingVersion", &self.binding_version)?;
        if self.webhook_crypto_tokens.len() > crate::webhook::MAX_CRYPTO_TOKENS {
            return Err(Error::validation(
                "webhookCryptoTokens",
                format!(
                    "at most {} tokens (the current one and those being retired)",
                    crate::webhook::MAX_CRYPTO_TOKENS
                ),
            ));
        }
        for (i, token) in self.webhook_crypto_tokens.iter().enumerate() {
            // An unset environment variable for the old token must fail here, not at the
            // first delivery.
            require_header_safe(&format!("webhookCryptoTokens[{i}]"), token.expose())?;
        }
        if self.webhook_tolerance_ms == Some(0) {
            return Err(Error::validation(
                "webhookToleranceMs",
                "must be greater than 0 (leave it out for no freshness check)",
            ));
        }
        check_limits(
            Some(self.timeout_ms),
            Some(self.max_retries),
            self.deadline_ms,
        )
    }

    /// The overall deadline of one operation, in ms (never above [`MAX_TIMER_MS`]).
    pub fn effective_deadline_ms(&self) -> u64 {
        effective_deadline_ms(self.timeout_ms, self.max_retries, self.deadline_ms)
    }

    /// The crypto tokens a webhook of this client may be signed with, the new one first.
    pub fn webhook_tokens(&self) -> Vec<&str> {
        if self.webhook_crypto_tokens.is_empty() {
            vec![self.crypto_token.expose()]
        } else {
            self.webhook_crypto_tokens
                .iter()
                .map(Secret::expose)
                .collect()
        }
    }

    /// `connectpsp-<binding>/<version> core/<version>`.
    pub fn user_agent(&self) -> String {
        format!(
            "connectpsp-{}/{} core/{}",
            self.binding,
            self.binding_version,
            crate::VERSION
        )
    }
}

/// The checks shared by [`Config::validate`] and the per-call overrides
/// (`operation::CallOptions`): each error names the field in camelCase.
pub fn check_limits(
    timeout_ms: Option<u64>,
    max_retries: Option<u32>,
    deadline_ms: Option<u64>,
) -> Result<(), Error> {
    for (field, value) in [("timeoutMs", timeout_ms), ("deadlineMs", deadline_ms)] {
        match value {
            Some(0) => return Err(Error::validation(field, "must be greater than 0")),
            Some(ms) if ms > MAX_TIMER_MS => {
                return Err(Error::validation(
                    field,
                    format!("must be at most {MAX_TIMER_MS} ms (2^31 - 1, the longest JS timer)"),
                ));
            }
            _ => {}
        }
    }
    if max_retries.is_some_and(|n| n > MAX_RETRIES_LIMIT) {
        return Err(Error::validation(
            "maxRetries",
            format!("must be at most {MAX_RETRIES_LIMIT}"),
        ));
    }
    Ok(())
}

/// `deadline_ms`, or `timeout_ms · (max_retries + 1)`, capped at [`MAX_TIMER_MS`].
pub fn effective_deadline_ms(timeout_ms: u64, max_retries: u32, deadline_ms: Option<u64>) -> u64 {
    deadline_ms
        .unwrap_or_else(|| timeout_ms.saturating_mul(u64::from(max_retries) + 1))
        .min(MAX_TIMER_MS)
}

fn require_header_safe(field: &str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::validation(field, "is required"));
    }
    if !is_valid_header_value(value) {
        // Never echo the value: it may be a secret.
        return Err(Error::validation(
            field,
            "must be printable ASCII without line breaks",
        ));
    }
    Ok(())
}

/// Validates a base URL and returns it without a trailing slash.
///
/// https is required, except for loopback hosts (127.0.0.1, ::1, localhost) which serve the
/// sandbox; any other plain-http URL needs `allow_insecure`. User info, queries and
/// fragments are refused: they have no place in a base URL and hide where requests go.
pub fn check_base_url(url: &str, allow_insecure: bool) -> Result<String, Error> {
    const FIELD: &str = "baseUrl";
    let url = url.trim_end_matches('/');
    if url.is_empty() || !is_valid_header_value(url) || url.contains([' ', '\t']) {
        return Err(Error::validation(
            FIELD,
            "must be an absolute https URL without spaces",
        ));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| Error::validation(FIELD, "must start with https://"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(Error::validation(FIELD, "must start with https://"));
    }
    if rest.contains(['?', '#', '@', '\\']) {
        return Err(Error::validation(
            FIELD,
            "must not contain user info, a query or a fragment",
        ));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let host = host_of(authority)
        .ok_or_else(|| Error::validation(FIELD, "has no valid host or port (ports are 1-65535)"))?;
    if scheme == "http" && !is_loopback_host(&host) && !allow_insecure {
        return Err(Error::validation(
            FIELD,
            "plain http is only allowed to loopback (127.0.0.1, ::1, localhost); \
             use https or set dangerously_allow_insecure_http",
        ));
    }
    Ok(format!("{scheme}://{rest}"))
}

/// The host of `host[:port]` or `[v6][:port]`, lowercased; `None` when malformed.
fn host_of(authority: &str) -> Option<String> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (host, port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    // A port is 1-65535 in decimal digits; anything else (65536, 0, 99999) would only fail
    // later, as a connection error far from its cause.
    if let Some(port) = port
        && (port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || !port.parse::<u16>().is_ok_and(|p| p > 0))
    {
        return None;
    }
    Some(host.to_ascii_lowercase())
}

/// The loopback hosts of the SDK: `localhost`, `127.0.0.1` and `::1` (without brackets),
/// lowercase. One rule for every place that asks: plain http is allowed to them (base URLs,
/// `webhookUrl`, the API's own pattern), and a binding never sends them through a proxy. Other
/// addresses of 127.0.0.0/8 and names under `.localhost` are not included: the API's pattern
/// refuses them, and a resolver is free to send such a name elsewhere.
pub fn is_loopback_host(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// Whether an absolute URL (`scheme://host[:port]/...`, host in any case, IPv6 in brackets)
/// names a [loopback host](is_loopback_host): what a binding asks of its base URL before
/// choosing a proxy. False for anything that is not such a URL.
pub fn is_loopback_url(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains(['@', '\\']) {
        return false;
    }
    host_of(authority).is_some_and(|host| is_loopback_host(&host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls_are_the_three_loopback_hosts() {
        for yes in [
            "http://127.0.0.1:8080",
            "https://localhost",
            "http://LOCALHOST:3000/v1",
            "http://[::1]:9000",
            "https://[::1]",
        ] {
            assert!(is_loopback_url(yes), "{yes}");
        }
        for no in [
            "https://api.connectpsp.com",
            "http://127.0.0.2:8080",
            "http://sandbox.localhost",
            "http://localhost.evil.example",
            "http://user@localhost",
            "http://evil.example@127.0.0.1",
            "localhost:8080",
            "http://127.0.0.1:0",
            "",
        ] {
            assert!(!is_loopback_url(no), "{no}");
        }
    }

    #[test]
    fn https_and_loopback_http_are_accepted() {
        assert_eq!(
            check_base_url("https://api.connectpsp.com/", false).unwrap(),
            "https://api.connectpsp.com"
        );
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:3000",
            "http://[::1]:9000",
            "http://LOCALHOST",
            "http://127.0.0.1:65535",
            "http://127.0.0.1:1",
        ] {
            assert!(check_base_url(ok, false).is_ok(), "{ok}");
        }
    }

    #[test]
    fn insecure_or_deceptive_urls_are_refused() {
        for bad in [
            "http://api.connectpsp.com",
            "http://localhost.evil.com",
            "http://127.0.0.1@evil.com",
            "http://evil.com#@127.0.0.1",
            "ftp://api.connectpsp.com",
            "api.connectpsp.com",
            "https://",
            "https://api.connectpsp.com?x=1",
            "https://api.connectpsp.com:80a",
            "https://api.connectpsp.com:65536",
            "https://api.connectpsp.com:99999",
            "https://api.connectpsp.com:0",
            "http://127.0.0.1:123456",
            "https://api.connect\r\npsp.com",
            "https://apí.connectpsp.com",
        ] {
            let err = check_base_url(bad, false).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("baseUrl"), "{bad}");
        }
        assert!(check_base_url("http://10.0.0.5:8080", true).is_ok());
    }

    #[test]
    fn debug_never_shows_secrets() {
        let config = Config::new(
            "https://api.connectpsp.com",
            "123",
            "client-secret-value",
            "app-token-value",
            "crypto-token-value",
        )
        .unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("client-secret-value"));
        assert!(!debug.contains("crypto-token-value"));
        assert!(!debug.contains("app-token-value"));
        assert!(debug.contains("Secret(***)"));
    }

    #[test]
    fn user_agent_names_binding_and_versions() {
        let mut config = Config::new("https://api.connectpsp.com", "1", "s", "a", "c").unwrap();
        config.binding = "python".into();
        config.binding_version = "1.2.3".into();
        assert_eq!(
            config.user_agent(),
            format!("connectpsp-python/1.2.3 core/{}", crate::VERSION)
        );
    }

    #[test]
    fn header_unsafe_credentials_are_refused_without_echo() {
        let err = Config::new("https://a.b", "1", "zq\r\nzq", "a", "c").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("clientSecret"));
        assert!(!err.message.contains("zq"));
    }
}
