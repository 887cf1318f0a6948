//! What a sandbox is started with. Every field is public and has a documented default so the
//! bindings (Python's `connectpsp.testing.Sandbox`, the demo) can set just what they need.

use std::fmt;

/// Default `clientId` accepted by `POST /auth/token`.
pub const DEFAULT_CLIENT_ID: &str = "sandbox-client";
/// Default `clientSecret` (a GUID, like the real onboarding hands out).
pub const DEFAULT_CLIENT_SECRET: &str = "9d2f6a3e-1b4c-4e8f-a6d2-7c5b3e9f1a08";
/// Default `ApplicationToken`.
pub const DEFAULT_APPLICATION_TOKEN: &str = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
/// Default `CryptoToken`: key of the DigitalSignature and of the webhook signatures.
pub const DEFAULT_CRYPTO_TOKEN: &str = "sandbox-crypto-token-0001";

/// Configuration of one sandbox instance.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Address to bind; loopback by default.
    pub host: String,
    /// TCP port; 0 picks a free one (read it back from `base_url()`).
    pub port: u16,
    pub client_id: String,
    pub client_secret: String,
    pub application_token: String,
    pub crypto_token: String,
    /// Lifetime of the issued JWTs, in seconds.
    pub token_ttl_secs: u64,
    /// Delay before a cash-out settles on its own (COMPLETED, or FAILED for the magic keys).
    pub settle_delay_ms: u64,
    /// When false, cash-outs stay PROCESSING until `/_sandbox/cash-out/{id}/complete|fail`.
    pub auto_settle: bool,
    /// Seed of every random draw (ids, fault percentages); `None` draws one from the clock.
    pub seed: Option<u64>,
    /// Webhook delivery: how many attempts per event before giving up.
    pub webhook_max_attempts: u32,
    /// Webhook delivery: first retry delay; doubles after every failed attempt.
    pub webhook_retry_base_ms: u64,
    /// Webhook delivery: per-attempt timeout (the API gives receivers 5 s).
    pub webhook_timeout_ms: u64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            host: "127.0.0.1".to_owned(),
            port: 0,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            application_token: DEFAULT_APPLICATION_TOKEN.to_owned(),
            crypto_token: DEFAULT_CRYPTO_TOKEN.to_owned(),
            token_ttl_secs: 3600,
            settle_delay_ms: 1000,
            auto_settle: true,
            seed: None,
            webhook_max_attempts: 5,
            webhook_retry_base_ms: 1000,
            webhook_timeout_ms: 5000,
        }
    }
}

// Secrets never reach a Debug output: the config is logged by embedders.
impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("application_token", &self.application_token)
            .field("crypto_token", &"***")
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("settle_delay_ms", &self.settle_delay_ms)
            .field("auto_settle", &self.auto_settle)
            .field("seed", &self.seed)
            .field("webhook_max_attempts", &self.webhook_max_attempts)
            .field("webhook_retry_base_ms", &self.webhook_retry_base_ms)
            .field("webhook_timeout_ms", &self.webhook_timeout_ms)
            .finish()
    }
}

/// The credentials a client needs to talk to a running sandbox.
///
/// These are sandbox credentials, meant to be printed and pasted into tests, yet `Debug`
/// still masks the secrets so they do not end up in logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    pub application_token: String,
    pub crypto_token: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("application_token", &self.application_token)
            .field("crypto_token", &"***")
            .finish()
    }
}

impl SandboxConfig {
    pub fn credentials(&self) -> Credentials {
        Credentials {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            application_token: self.application_token.clone(),
            crypto_token: self.crypto_token.clone(),
        }
    }
}
