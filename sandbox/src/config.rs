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
    /// Hosts accepted in the `Host` header besides the bound address and the loopback names
    /// (DNS-rebinding protection); `"*"` accepts any.
    pub allowed_hosts: Vec<String>,
    /// Origins accepted (requests and CORS) besides loopback ones; `"*"` accepts any.
    pub cors_origins: Vec<String>,
    /// When set, `/_sandbox/*` requires `Authorization: Bearer <control_token>`.
    pub control_token: Option<String>,
    /// Idempotency keys remembered; beyond this the oldest are forgotten.
    pub max_idempotency_keys: usize,
    /// Entries kept in the request journal (`/_sandbox/requests`); oldest dropped first.
    pub max_request_log: usize,
    /// Entries kept in the webhook journal (`/_sandbox/webhooks`); oldest dropped first.
    pub max_webhook_log: usize,
    /// Open connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// API requests handled at once (a request whose client gave up still counts until it
    /// ends); further ones wait.
    pub max_in_flight: usize,
}

/// Defaults of the caps (memory and tasks stay bounded however long a load test runs).
pub const DEFAULT_MAX_IDEMPOTENCY_KEYS: usize = 200_000;
pub const DEFAULT_MAX_REQUEST_LOG: usize = 200_000;
pub const DEFAULT_MAX_WEBHOOK_LOG: usize = 10_000;
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

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
            allowed_hosts: Vec::new(),
            cors_origins: Vec::new(),
            control_token: None,
            max_idempotency_keys: DEFAULT_MAX_IDEMPOTENCY_KEYS,
            max_request_log: DEFAULT_MAX_REQUEST_LOG,
            max_webhook_log: DEFAULT_MAX_WEBHOOK_LOG,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
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
            .field("allowed_hosts", &self.allowed_hosts)
            .field("cors_origins", &self.cors_origins)
            .field("control_token", &self.control_token.as_ref().map(|_| "***"))
            .field("max_idempotency_keys", &self.max_idempotency_keys)
            .field("max_request_log", &self.max_request_log)
            .field("max_webhook_log", &self.max_webhook_log)
            .field("max_connections", &self.max_connections)
            .field("max_in_flight", &self.max_in_flight)
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
