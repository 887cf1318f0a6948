//! Sharing the access token across processes through a store the caller provides (Redis, a
//! database row, a platform KV): what the store's key is and what its value holds, so every
//! process of a deployment — in either language — reads and writes the same entry.
//!
//! The core still owns the token: when to refresh, single flight within a process, and which
//! stored token may be adopted ([`crate::auth::TokenState::adopt`]). A binding only moves the
//! entry between [`crate::Session`] and the store: it reads when
//! [`crate::Session::wants_token`] says the next call would fetch a token, and writes after a
//! call that left a new token ([`crate::Session::token_for_store`]).
//!
//! - Key: `connectpsp:token:v1:` and 32 hex digits of SHA-256 over the base URL and the client
//!   id. Never a secret: neither the client secret nor the crypto token enters it, so a key
//!   listing (`redis-cli KEYS`) reveals nothing, and a crypto-token rotation keeps the entry
//!   (the DigitalSignature is recomputed by each process from its own crypto token).
//! - Value: `{"accessToken":"…","expiresAt":<Unix ms>}`. The access token is a bearer secret:
//!   the store must be trusted like the client secret (access-controlled, not shared with
//!   other tenants). The expiry is wall-clock time, the one timestamp that leaves a process.
//! - TTL: the token's remaining lifetime, so the store drops the entry when the token dies.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::auth::StoredToken;
use crate::config::{Config, Secret};
use crate::error::{Error, ErrorKind};
use crate::signature::to_hex;

/// Every key starts with this (versioned: a later value format gets a new prefix).
pub const KEY_PREFIX: &str = "connectpsp:token:v1:";

/// How long an asynchronous binding waits for the store before going on without it (a slow
/// store must not hold up a payout; the call then fetches a token as without a store).
pub const STORE_TIMEOUT_MS: u64 = 2_000;

/// A token ready to be written to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreEntry {
    /// The store value: contains the access token, so `Debug` hides it.
    pub value: Secret,
    /// How long the store should keep the entry: the token's remaining lifetime.
    pub ttl_ms: u64,
    /// The session's token generation this entry holds (save again only when it changes).
    pub generation: u64,
}

// The value is read and written through `serde_json::Value` (already in every binding) rather
// than a derived struct: a derive's visitor costs the wasm module bytes it has no budget for.
const ACCESS_TOKEN: &str = "accessToken";
const EXPIRES_AT: &str = "expiresAt";

/// The store key of a client: derived from its base URL and client id only.
pub fn store_key(config: &Config) -> String {
    let mut hash = Sha256::new();
    hash.update(config.base_url().as_bytes());
    // A separator no base URL contains, so ("…/a", "b") and ("…/", "ab") differ.
    hash.update(b"\n");
    hash.update(config.client_id.as_bytes());
    // 128 bits of the digest: ample to keep clients apart.
    format!("{KEY_PREFIX}{}", to_hex(&hash.finalize()[..16]))
}

/// The entry for `token` (from [`crate::Session::export_token`]) at wall-clock `wall_ms`.
pub fn encode(token: &StoredToken, wall_ms: u64) -> StoreEntry {
    let mut value = Map::new();
    value.insert(
        ACCESS_TOKEN.to_owned(),
        Value::String(token.access_token.expose().to_owned()),
    );
    value.insert(
        EXPIRES_AT.to_owned(),
        Value::from(wall_ms.saturating_add(token.expires_in_ms)),
    );
    StoreEntry {
        value: Secret::new(Value::Object(value).to_string()),
        ttl_ms: token.expires_in_ms,
        generation: token.generation,
    }
}

/// The access token in a store value and how long it remains valid from wall-clock
/// `wall_ms`: `Ok(None)` when it has expired. A value that is not an entry of this format is
/// a decode error (which never quotes the value: it may hold a token).
pub fn decode(value: &str, wall_ms: u64) -> Result<Option<(Secret, u64)>, Error> {
    let unreadable = || {
        Error::new(
            ErrorKind::Decode,
            "the token store's value is not a ConnectPSP token entry \
             ({\"accessToken\", \"expiresAt\"})",
        )
    };
    let parsed: Value = serde_json::from_str(value).map_err(|_| unreadable())?;
    let (Some(token), Some(expires_at)) = (
        parsed.get(ACCESS_TOKEN).and_then(Value::as_str),
        parsed.get(EXPIRES_AT).and_then(Value::as_u64),
    ) else {
        return Err(unreadable());
    };
    if expires_at <= wall_ms {
        return Ok(None);
    }
    Ok(Some((Secret::new(token), expires_at - wall_ms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base_url: &str, client_id: &str, secret: &str, crypto: &str) -> Config {
        Config::new(base_url, client_id, secret, "app", crypto).unwrap()
    }

    #[test]
    fn the_key_depends_on_base_url_and_client_id_only() {
        let a = store_key(&config("https://api.connectpsp.com", "42", "s1", "c1"));
        assert!(a.starts_with(KEY_PREFIX));
        assert_eq!(a.len(), KEY_PREFIX.len() + 32);
        // Another secret or crypto token: the same entry.
        assert_eq!(
            a,
            store_key(&config("https://api.connectpsp.com/", "42", "s2", "c2"))
        );
        assert_ne!(
            a,
            store_key(&config("https://api.connectpsp.com", "43", "s1", "c1"))
        );
        assert_ne!(
            a,
            store_key(&config(
                "https://api.homologacao.connectpsp.com",
                "42",
                "s1",
                "c1"
            ))
        );
        assert!(
            !store_key(&config(
                "https://api.connectpsp.com",
                "client-xyz",
                "s",
                "c"
            ))
            .contains("client-xyz")
        );
    }

    #[test]
    fn the_key_is_stable_across_releases() {
        // Processes of different SDK versions (and languages) share one entry: the key is a
        // fixed vector (sha256("https://api.connectpsp.com\nclient-1"), first 16 bytes).
        assert_eq!(
            store_key(&config("https://api.connectpsp.com", "client-1", "s", "c")),
            "connectpsp:token:v1:dbc7a490b42bf336294bfc0a0231a2a8"
        );
    }

    #[test]
    fn entries_round_trip_on_the_wall_clock() {
        let token = StoredToken {
            access_token: Secret::new("eyJ.abc.def"),
            expires_in_ms: 3_600_000,
            generation: 3,
        };
        let entry = encode(&token, 1_000_000);
        assert_eq!(
            entry.value.expose(),
            r#"{"accessToken":"eyJ.abc.def","expiresAt":4600000}"#
        );
        assert_eq!((entry.ttl_ms, entry.generation), (3_600_000, 3));
        assert!(!format!("{entry:?}").contains("eyJ"));
        let (secret, left) = decode(entry.value.expose(), 1_600_000).unwrap().unwrap();
        assert_eq!((secret.expose(), left), ("eyJ.abc.def", 3_000_000));
        assert!(decode(entry.value.expose(), 4_600_000).unwrap().is_none());
    }

    #[test]
    fn foreign_values_are_refused_without_echo() {
        for bad in [
            "",
            "eyJ.secret-token",
            "{}",
            r#"{"accessToken":"eyJ.secret-token"}"#,
            r#"{"accessToken":1,"expiresAt":2}"#,
            r#"{"accessToken":"eyJ.secret-token","expiresAt":-1}"#,
        ] {
            let error = decode(bad, 0).unwrap_err();
            assert_eq!(error.kind, ErrorKind::Decode, "{bad}");
            assert!(!error.message.contains("secret-token"));
        }
    }
}
