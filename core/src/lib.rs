//! # connectpsp-core
//!
//! The sans-IO engine of the ConnectPSP PIX SDK. It builds and signs every request and parses
//! every response; it owns every policy once (token lifecycle, DigitalSignature, idempotency
//! keys, retries and backoff, error mapping, webhook verification, exact money, PIX validation).
//!
//! It does no I/O: no sockets, no clock, no OS randomness, no async runtime. The caller passes
//! the time (Unix ms) and random bytes in; an [`operation::Operation`] hands back
//! *send this request*, *wait this long* or *here is the result* ([`operation::Step`]).
//! See `docs/architecture.md` for the contract the bindings follow.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod auth;
pub mod bridge;
mod calendar;
pub mod call;
pub mod config;
pub mod error;
pub mod facts;
pub mod http;
pub mod idempotency;
pub mod model;
pub mod money;
pub mod operation;
pub mod personal;
pub mod pix;
pub mod retry;
pub mod signature;
pub mod token_store;
pub mod webhook;

pub use config::{Config, Naming, Secret};
pub use error::{Error, ErrorKind};
pub use http::{FailureKind, HttpRequest, HttpResponse, Method, Purpose, TransportFailure};
pub use idempotency::IdempotencyKey;
pub use money::Amount;
pub use operation::{Call, Operation, Outcome, Reply, Session, Step};

/// The SDK version, sent in the User-Agent.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
