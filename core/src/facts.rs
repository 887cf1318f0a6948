//! The facts both bindings need and must not copy: base URLs, header names, defaults, size
//! caps, the calls that can be re-submitted, the User-Agent's parts.
//!
//! Each is defined once here (or where its rule lives, and re-exported here); [`ALL`] lists
//! them by name so a binding exports the whole list in one loop: the Python module gets them
//! as attributes of `connectpsp._native`, the npm package as the object `coreFacts()` returns.
//! Names are the same UPPER_SNAKE_CASE in both languages.

pub use crate::config::{DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS, PRODUCTION_URL, STAGING_URL};
pub use crate::token_store::STORE_TIMEOUT_MS as TOKEN_STORE_TIMEOUT_MS;
pub use crate::webhook::MAX_BODY_BYTES as MAX_WEBHOOK_BYTES;
pub use crate::webhook::SIGNATURE_HEADER;

/// The key header of money-moving calls; the same value is sent on every attempt.
pub const IDEMPOTENCY_KEY_HEADER: &str = "X-Idempotency-Key";
/// The answer's request id, put on errors and in logs.
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";
/// `true` when the API answered with the stored response of an earlier request with the key.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
/// Unique per webhook delivery attempt (so useless for de-duplication).
pub const EVENT_ID_HEADER: &str = "X-Event-Id";
/// HMAC of the access token under the CryptoToken (cash-out, rebalance, refund).
pub const DIGITAL_SIGNATURE_HEADER: &str = "DigitalSignature";
/// The integration's token, sent on every API request.
pub const APPLICATION_TOKEN_HEADER: &str = "ApplicationToken";
/// Largest response body a transport reads (10 MB): the API's largest resource is a few kB;
/// a larger answer is refused as an I/O failure after sending (outcome unknown for a POST).
pub const MAX_RESPONSE_BYTES: usize = 10 * 1024 * 1024;
/// The User-Agent is `connectpsp-<binding>/<version> core/<version>`: this prefix, the
/// binding's name and version, then [`USER_AGENT_CORE`] and [`crate::VERSION`].
pub const USER_AGENT_PREFIX: &str = "connectpsp-";
pub const USER_AGENT_CORE: &str = "core/";

/// A settle wait's (`wait(id)`) overall timeout when the caller gives none (60 s).
pub const DEFAULT_SETTLE_TIMEOUT_MS: u64 = 60_000;

/// Every exception class the bindings raise ([`crate::Error::class_name`]), the base class
/// first: each binding defines these classes and checks the list against its own.
pub const ERROR_CLASSES: &[&str] = &[
    "ConnectPSPError",
    "ValidationError",
    "AuthenticationError",
    "SignatureError",
    "NotFoundError",
    "ConflictError",
    "BusinessRuleError",
    "InsufficientFundsError",
    "RateLimitError",
    "ServerError",
    "TimeoutError",
    "ConnectionError",
    "DecodeError",
    "WebhookSignatureError",
];

/// The methods whose failure can be re-submitted unchanged with the key they used: the keyed
/// rows of the call table.
pub use crate::call::RESUBMIT_METHODS;

/// A fact's value, typed so each binding converts it to its own (str, int, list of str).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    Text(&'static str),
    Number(u64),
    List(&'static [&'static str]),
}

/// Every fact by its exported name.
pub const ALL: &[(&str, Fact)] = &[
    ("PRODUCTION_URL", Fact::Text(PRODUCTION_URL)),
    ("STAGING_URL", Fact::Text(STAGING_URL)),
    ("SIGNATURE_HEADER", Fact::Text(SIGNATURE_HEADER)),
    ("IDEMPOTENCY_KEY_HEADER", Fact::Text(IDEMPOTENCY_KEY_HEADER)),
    ("REQUEST_ID_HEADER", Fact::Text(REQUEST_ID_HEADER)),
    ("REPLAYED_HEADER", Fact::Text(REPLAYED_HEADER)),
    ("EVENT_ID_HEADER", Fact::Text(EVENT_ID_HEADER)),
    (
        "DIGITAL_SIGNATURE_HEADER",
        Fact::Text(DIGITAL_SIGNATURE_HEADER),
    ),
    (
        "APPLICATION_TOKEN_HEADER",
        Fact::Text(APPLICATION_TOKEN_HEADER),
    ),
    ("DEFAULT_TIMEOUT_MS", Fact::Number(DEFAULT_TIMEOUT_MS)),
    (
        "DEFAULT_MAX_RETRIES",
        Fact::Number(DEFAULT_MAX_RETRIES as u64),
    ),
    (
        "MAX_RESPONSE_BYTES",
        Fact::Number(MAX_RESPONSE_BYTES as u64),
    ),
    ("MAX_WEBHOOK_BYTES", Fact::Number(MAX_WEBHOOK_BYTES as u64)),
    (
        "DEFAULT_SETTLE_TIMEOUT_MS",
        Fact::Number(DEFAULT_SETTLE_TIMEOUT_MS),
    ),
    ("ERROR_CLASSES", Fact::List(ERROR_CLASSES)),
    ("RESUBMIT_METHODS", Fact::List(&RESUBMIT_METHODS)),
    (
        "TOKEN_STORE_TIMEOUT_MS",
        Fact::Number(TOKEN_STORE_TIMEOUT_MS),
    ),
    ("USER_AGENT_PREFIX", Fact::Text(USER_AGENT_PREFIX)),
    ("USER_AGENT_CORE", Fact::Text(USER_AGENT_CORE)),
    ("CORE_VERSION", Fact::Text(crate::VERSION)),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_upper_snake() {
        let mut names: Vec<&str> = ALL.iter().map(|(name, _)| *name).collect();
        assert!(
            names
                .iter()
                .all(|n| n.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }

    #[test]
    fn error_classes_are_every_class_the_core_names() {
        use crate::error::{Error, ErrorKind};
        let kinds = [
            ErrorKind::Validation,
            ErrorKind::Authentication,
            ErrorKind::Signature,
            ErrorKind::NotFound,
            ErrorKind::Conflict,
            ErrorKind::BusinessRule,
            ErrorKind::RateLimited,
            ErrorKind::Server,
            ErrorKind::Timeout,
            ErrorKind::Connection,
            ErrorKind::Decode,
            ErrorKind::WebhookSignature,
        ];
        let mut named: Vec<&str> = kinds
            .iter()
            .map(|kind| Error::new(*kind, "x").class_name())
            .collect();
        let mut funds = Error::new(ErrorKind::BusinessRule, "x");
        funds.code = Some("INSUFFICIENT_FUNDS".into());
        named.push(funds.class_name());
        named.push("ConnectPSPError");
        named.sort_unstable();
        let mut listed = ERROR_CLASSES.to_vec();
        listed.sort_unstable();
        assert_eq!(listed, named);
        assert_eq!(ERROR_CLASSES[0], "ConnectPSPError");
    }

    #[test]
    fn resubmit_methods_are_the_keyed_calls() {
        assert_eq!(
            RESUBMIT_METHODS,
            ["cashIn.create", "cashIn.refund", "cashOut.create"]
        );
    }
}
