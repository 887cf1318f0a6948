//! `X-Idempotency-Key` values: random (UUID v4 from caller bytes) or derived from a
//! business reference (UUID v5), so a process that crashes and re-submits the same
//! reference after a restart sends the same key and cannot pay twice.

use std::fmt;

use uuid::{Builder, Uuid};

use crate::error::Error;

/// Namespace of [`IdempotencyKey::for_reference`] (docs/api-decisions.md). Never change it:
/// keys derived before and after a change would differ.
pub const REFERENCE_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c5a52_8d3e_5b8e_9a3a_2f3c1b0e7d41);

/// Longest key the API accepts.
pub const MAX_LEN: usize = 255;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A UUID v4 built from 16 bytes of the host's CSPRNG.
    pub fn random(bytes: [u8; 16]) -> IdempotencyKey {
        IdempotencyKey(hyphenated(Builder::from_random_bytes(bytes).into_uuid()))
    }

    /// UUID v5 of `reference` under [`REFERENCE_NAMESPACE`]: the same business reference
    /// always gives the same key.
    pub fn for_reference(reference: &str) -> IdempotencyKey {
        IdempotencyKey(hyphenated(Uuid::new_v5(
            &REFERENCE_NAMESPACE,
            reference.as_bytes(),
        )))
    }

    /// A caller-supplied key: 1–255 visible ASCII characters (no spaces, no control chars).
    pub fn parse(key: &str) -> Result<IdempotencyKey, Error> {
        if key.is_empty() || key.len() > MAX_LEN {
            return Err(Error::validation(
                "idempotencyKey",
                "must be 1 to 255 characters",
            ));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::validation(
                "idempotencyKey",
                "must be visible ASCII characters only",
            ));
        }
        Ok(IdempotencyKey(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The lowercase hyphenated form (what `to_string` writes), encoded straight into a buffer:
/// one key per call, and `to_string` went through the formatting machinery (`core::fmt`),
/// which the wasm profile showed on every payout.
fn hyphenated(uuid: Uuid) -> String {
    let mut buffer = [0u8; uuid::fmt::Hyphenated::LENGTH];
    uuid.hyphenated().encode_lower(&mut buffer).to_owned()
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_key_is_a_v4_uuid_from_the_bytes() {
        let key = IdempotencyKey::random([0xab; 16]);
        let uuid = Uuid::parse_str(key.as_str()).unwrap();
        assert_eq!(uuid.get_version_num(), 4);
        assert_eq!(key.as_str(), "abababab-abab-4bab-abab-abababababab");
        assert_ne!(key, IdempotencyKey::random([0xac; 16]));
    }

    #[test]
    fn reference_key_is_a_stable_v5() {
        let a = IdempotencyKey::for_reference("withdrawal-user-42-001");
        assert_eq!(a, IdempotencyKey::for_reference("withdrawal-user-42-001"));
        assert_ne!(a, IdempotencyKey::for_reference("withdrawal-user-42-002"));
        assert_eq!(Uuid::parse_str(a.as_str()).unwrap().get_version_num(), 5);
    }

    #[test]
    fn caller_keys_are_checked() {
        assert!(IdempotencyKey::parse("550e8400-e29b-41d4-a716-446655440000").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("a b").is_err());
        assert!(IdempotencyKey::parse("a\r\nb").is_err());
        assert!(IdempotencyKey::parse("chavé").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
    }
}
