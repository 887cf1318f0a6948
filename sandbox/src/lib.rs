//! # connectpsp-sandbox
//!
//! A stateful local twin of the ConnectPSP API, for the SDK's tests, the demo, the benchmarks
//! and users' own test suites: real HS256 JWTs, real DigitalSignature checks, real BR Codes and
//! QR PNGs, exact balances, idempotency, signed webhooks with retries, a control API under
//! `/_sandbox/` and fault injection (including "commit then drop").
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use connectpsp_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! println!("{} {}", sandbox.base_url(), sandbox.credentials().client_id);
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Blocking callers use [`SandboxHandle::spawn`], which runs the server on its own thread.
//! The wire behaviour is documented in `sandbox/README.md`.
#![forbid(unsafe_code)]

mod api;
mod app;
mod clock;
mod config;
mod control;
mod faults;
mod guard;
mod idempotency;
mod ids;
mod journal;
mod jwt;
mod ledger;
mod magic;
mod problem;
mod qr;
mod server;
mod store;
mod tasks;
mod webhooks;

pub use config::{
    Credentials, DEFAULT_APPLICATION_TOKEN, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    DEFAULT_CRYPTO_TOKEN, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_IDEMPOTENCY_KEYS,
    DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_REQUEST_LOG, DEFAULT_MAX_WEBHOOK_LOG, SandboxConfig,
};
pub use magic::{
    EXPIRING_PAYER_DOCUMENT, FAILING_EMAIL_KEY, FAILING_EVP_KEY, RETURNED_EMAIL_KEY,
    SELF_PAYING_PAYER_DOCUMENT,
};
pub use server::{RunningSandbox, Sandbox, SandboxHandle};
