//! `POST /auth/token`: the credentials exchange.
//!
//! Both types hold secrets (`clientSecret`, `accessToken`), so their `Debug` prints `***`
//! instead; they have no `Display`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Request body of `POST /auth/token`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    /// "Numeric" client id from onboarding, sent as a JSON string.
    #[serde(default, deserialize_with = "super::null_as_default")]
    pub client_id: String,
    /// GUID secret from onboarding. Never logged.
    #[serde(default, deserialize_with = "super::null_as_default")]
    pub client_secret: String,
}

impl TokenRequest {
    /// Both fields are required and end up in a JSON body; the message never repeats them.
    pub fn validate(&self) -> Result<(), Error> {
        for (field, value) in [
            ("clientId", &self.client_id),
            ("clientSecret", &self.client_secret),
        ] {
            if value.trim().is_empty() {
                return Err(Error::validation(field, "is required"));
            }
            if value.chars().any(char::is_control) {
                return Err(Error::validation(
                    field,
                    "must not contain line breaks or control characters",
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

/// `200` body of `POST /auth/token`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    /// The JWT: the bearer credential and the DigitalSignature message. Never logged.
    pub access_token: String,
    /// Always `"Bearer"` per the docs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Lifetime in seconds (3600 in the docs).
    pub expires_in: u64,
    /// ISO 8601, e.g. `2026-03-10T14:00:00Z`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"***")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("issued_at", &self.issued_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secrets() {
        let request = TokenRequest {
            client_id: "123".into(),
            client_secret: "s3cr3t-guid".into(),
        };
        assert!(!format!("{request:?}").contains("s3cr3t"));
        let response: TokenResponse = serde_json::from_str(
            r#"{"accessToken":"eyJ.secret.jwt","tokenType":"Bearer","expiresIn":3600}"#,
        )
        .unwrap();
        assert!(!format!("{response:?}").contains("secret"));
        assert_eq!(response.expires_in, 3600);
    }

    #[test]
    fn validation_never_echoes_the_secret() {
        let request = TokenRequest {
            client_id: "123".into(),
            client_secret: "abc\r\ndef".into(),
        };
        let err = request.validate().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("clientSecret"));
        assert!(!err.message.contains("abc"));
    }
}
