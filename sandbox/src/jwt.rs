//! Real HS256 JWTs: `base64url(header).base64url(claims).base64url(HMAC-SHA256)`.
//!
//! Verification is one HMAC and a tiny JSON parse, cheap enough for every request of a load test.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    /// Issued at, Unix seconds (sandbox clock).
    pub iat: i64,
    /// Expires at, Unix seconds (sandbox clock).
    pub exp: i64,
    pub jti: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not a JWT, or a signature that does not match our key.
    Invalid,
    Expired,
}

pub struct Signer {
    key: [u8; 32],
}

impl Signer {
    pub fn new(key: [u8; 32]) -> Signer {
        Signer { key }
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length: this cannot fail.
        match HmacSha256::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        }
    }

    pub fn issue(&self, claims: &Claims) -> String {
        let claims_json = serde_json::to_vec(claims).unwrap_or_default();
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(HEADER),
            URL_SAFE_NO_PAD.encode(claims_json)
        );
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// Checks the signature (constant time), then the expiry against `now_secs`.
    pub fn verify(&self, token: &str, now_secs: i64) -> Result<Claims, TokenError> {
        let (signing_input, signature) = token.rsplit_once('.').ok_or(TokenError::Invalid)?;
        let (header, claims) = signing_input.split_once('.').ok_or(TokenError::Invalid)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Invalid)?;
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::Invalid)?;
        // The signature is ours, so header and claims are what we wrote; parse defensively anyway.
        if URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| TokenError::Invalid)?
            != HEADER.as_bytes()
        {
            return Err(TokenError::Invalid);
        }
        let claims = URL_SAFE_NO_PAD
            .decode(claims)
            .map_err(|_| TokenError::Invalid)?;
        let claims: Claims = serde_json::from_slice(&claims).map_err(|_| TokenError::Invalid)?;
        if now_secs >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "sandbox-client".into(),
            iat: 1000,
            exp,
            jti: "j1".into(),
        }
    }

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let signer = Signer::new([7; 32]);
        let token = signer.issue(&claims(4600));
        assert_eq!(token.split('.').count(), 3);
        assert!(token.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
        assert_eq!(signer.verify(&token, 4599), Ok(claims(4600)));
        assert_eq!(signer.verify(&token, 4600), Err(TokenError::Expired));
    }

    #[test]
    fn tampered_or_foreign_tokens_are_invalid() {
        let signer = Signer::new([7; 32]);
        let token = signer.issue(&claims(4600));
        let foreign = Signer::new([8; 32]).issue(&claims(4600));
        assert_eq!(signer.verify(&foreign, 0), Err(TokenError::Invalid));
        let mut tampered = token.clone();
        tampered.insert(40, 'x');
        assert_eq!(signer.verify(&tampered, 0), Err(TokenError::Invalid));
        for junk in ["", ".", "..", "a.b.c", "Bearer x", "é.é.é"] {
            assert_eq!(signer.verify(junk, 0), Err(TokenError::Invalid));
        }
    }
}
