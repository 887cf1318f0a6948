//! Who may talk to the sandbox. It holds test money and an unauthenticated control API, and it
//! listens on loopback, where any web page the developer opens can reach it too: a page can
//! POST a form to `http://127.0.0.1:8080/_sandbox/reset`, or rebind its own DNS name to
//! 127.0.0.1 and read the answers. So, before anything else:
//!
//! - the `Host` header must name the bound address or a loopback name (`localhost`,
//!   `127.0.0.1`, `[::1]`), or a host the operator allowed: a rebound `evil.example:8080` is
//!   refused (DNS rebinding). The port is not compared: a browser always sends the port it
//!   connected to, and a local proxy in front of the sandbox (Prism) may forward its own;
//!   only the name tells a rebinding attack;
//! - a request carrying an `Origin` must come from a loopback origin or one the operator allowed
//!   (the same list drives the CORS answers): a cross-site form POST is refused, not just
//!   hidden from the page;
//! - with a control token configured, `/_sandbox/*` (except `health` and the OpenFinance pages
//!   a browser visits) needs `Authorization: Bearer <token>`.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::config::SandboxConfig;
use crate::problem::ApiError;

pub struct Guard {
    /// Lowercase host names accepted, any port (no brackets around IPv6).
    names: Vec<String>,
    /// Extra hosts the operator allowed (any port); `*` accepts every host.
    extra_hosts: Vec<String>,
    any_host: bool,
    /// Extra exact origins (`https://app.example:3000`); `*` accepts every origin.
    origins: Vec<String>,
    any_origin: bool,
    control_token: Option<String>,
}

fn is_loopback_name(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `host[:port]` of a Host header or an origin's authority; IPv6 in brackets.
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let authority = authority.trim().to_ascii_lowercase();
    if authority.is_empty() {
        return None;
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        (host.to_owned(), after)
    } else {
        match authority.split_once(':') {
            Some((host, _)) => (host.to_owned(), &authority[host.len()..]),
            None => (authority.clone(), ""),
        }
    };
    let port = match port {
        "" => None,
        p => Some(p.strip_prefix(':')?.parse::<u16>().ok()?),
    };
    if host.is_empty() {
        return None;
    }
    Some((host, port))
}

/// Constant-time comparison of two secrets (both sides MACed under a fixed key first).
pub fn same_secret(given: &str, expected: &str) -> bool {
    let digest = |text: &str| {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"connectpsp-sandbox-compare")
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(text.as_bytes());
        mac
    };
    let expected_tag = digest(expected).finalize().into_bytes();
    digest(given).verify_slice(&expected_tag).is_ok()
}

/// The warning printed when the sandbox listens beyond this machine: its control API can move
/// (test) money and read every request, and it has no authentication of its own by default.
pub fn exposure_warning(addr: &SocketAddr) -> Option<String> {
    if addr.ip().is_loopback() {
        return None;
    }
    Some(format!(
        "WARNING: the ConnectPSP sandbox is listening on {addr}, which is NOT a loopback \
         address. Anyone who can reach it can use its control API (/_sandbox/*: pay, reset, \
         inject faults, read every request). Bind to 127.0.0.1 unless you mean it, and set \
         --control-token (CONNECTPSP_SANDBOX_CONTROL_TOKEN) if you do."
    ))
}

impl Guard {
    pub fn new(config: &SandboxConfig, addr: SocketAddr) -> Guard {
        let mut names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        let bound = addr.ip().to_string();
        if !names.contains(&bound) && !addr.ip().is_unspecified() {
            names.push(bound);
        }
        let lower = |v: &[String]| {
            v.iter()
                .map(|s| s.trim().trim_end_matches('/').to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        };
        let extra_hosts = lower(&config.allowed_hosts);
        let origins = lower(&config.cors_origins);
        Guard {
            names,
            any_host: extra_hosts.iter().any(|h| h == "*"),
            extra_hosts,
            any_origin: origins.iter().any(|o| o == "*"),
            origins,
            control_token: config.control_token.clone().filter(|t| !t.is_empty()),
        }
    }

    /// DNS rebinding: the name the client used must be ours.
    pub fn host_allowed(&self, host: Option<&str>) -> bool {
        if self.any_host {
            return true;
        }
        let Some((name, _port)) = host.and_then(split_authority) else {
            return false;
        };
        self.names.contains(&name) || self.extra_hosts.contains(&name)
    }

    /// Loopback origins (any port, http or https), plus the configured ones.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        if self.any_origin {
            return true;
        }
        let origin = origin.trim().to_ascii_lowercase();
        if self.origins.contains(&origin) {
            return true;
        }
        let Some(authority) = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
        else {
            return false; // `null` (file://, sandboxed frames) and other schemes
        };
        if authority.contains(['/', '?', '#', '@']) {
            return false;
        }
        split_authority(authority).is_some_and(|(host, _)| is_loopback_name(&host))
    }

    fn control_token_ok(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = &self.control_token else {
            return true;
        };
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| same_secret(given.trim(), expected))
    }

    /// Every request passes here first.
    pub fn check(&self, headers: &HeaderMap, path: &str) -> Result<(), ApiError> {
        let host = headers.get("host").and_then(|v| v.to_str().ok());
        if !self.host_allowed(host) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "HOST_NOT_ALLOWED",
                "Host Not Allowed",
                "The Host header does not name this sandbox (a loopback address); add the host \
                 with --allow-host if you meant it.",
            ));
        }
        if let Some(origin) = headers.get("origin") {
            let allowed = origin.to_str().is_ok_and(|o| self.origin_allowed(o));
            if !allowed {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "ORIGIN_NOT_ALLOWED",
                    "Origin Not Allowed",
                    "Only loopback origins may call the sandbox; add yours with --cors-origin.",
                ));
            }
        }
        let control = path == "/_sandbox" || path.starts_with("/_sandbox/");
        let exempt = path == "/_sandbox/health" || path.starts_with("/_sandbox/open-finance/");
        if control && !exempt && !self.control_token_ok(headers) {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "CONTROL_TOKEN_REQUIRED",
                "Control Token Required",
                "This sandbox's control API needs Authorization: Bearer <control token>.",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(config: SandboxConfig, addr: &str) -> Guard {
        Guard::new(&config, addr.parse().unwrap())
    }

    #[test]
    fn hosts_must_name_a_loopback_address() {
        let g = guard(SandboxConfig::default(), "127.0.0.1:8080");
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "[::1]:8080",
            "localhost",
            "127.0.0.1",
            "127.0.0.1:4010",
        ] {
            assert!(g.host_allowed(Some(ok)), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "evil.example",
            "localhost.:8080",
            "127.0.0.1.nip.io:8080",
            "localhost:80:80",
            "",
            "[::1",
        ] {
            assert!(!g.host_allowed(Some(bad)), "{bad}");
        }
        assert!(!g.host_allowed(None), "HTTP/1.1 requires Host");
        let config = SandboxConfig {
            allowed_hosts: vec!["sandbox.internal".into()],
            ..SandboxConfig::default()
        };
        let g = guard(config, "127.0.0.1:8080");
        assert!(g.host_allowed(Some("sandbox.internal:9999")));
        assert!(!g.host_allowed(Some("other.internal:8080")));
    }

    #[test]
    fn origins_are_loopback_unless_configured() {
        let g = guard(SandboxConfig::default(), "127.0.0.1:8080");
        for ok in [
            "http://localhost:3000",
            "http://127.0.0.1:5173",
            "https://[::1]:8443",
            "http://localhost",
        ] {
            assert!(g.origin_allowed(ok), "{ok}");
        }
        for bad in [
            "https://evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "null",
            "file://",
            "http://user@localhost",
            "ftp://localhost",
        ] {
            assert!(!g.origin_allowed(bad), "{bad}");
        }
        let config = SandboxConfig {
            cors_origins: vec!["https://app.example:3000".into()],
            ..SandboxConfig::default()
        };
        assert!(guard(config, "127.0.0.1:8080").origin_allowed("https://app.example:3000"));
        let config = SandboxConfig {
            cors_origins: vec!["*".into()],
            ..SandboxConfig::default()
        };
        assert!(guard(config, "127.0.0.1:8080").origin_allowed("https://evil.example"));
    }

    #[test]
    fn only_non_loopback_binds_are_warned_about() {
        assert!(exposure_warning(&"127.0.0.1:1".parse().unwrap()).is_none());
        assert!(exposure_warning(&"[::1]:1".parse().unwrap()).is_none());
        for addr in ["0.0.0.0:8080", "192.168.1.10:8080", "[::]:8080"] {
            let warning = exposure_warning(&addr.parse().unwrap()).unwrap();
            assert!(
                warning.starts_with("WARNING") && warning.contains("NOT a loopback"),
                "{addr}"
            );
        }
    }
}
