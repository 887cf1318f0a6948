//! The report of one HTTP attempt, for a binding's event hooks and logs.

use crate::http::{FailureKind, Method, Purpose};

/// One HTTP attempt of an operation, as [`super::Operation::last_attempt`] reports it: right
/// after `poll` returned its `Send` (`in_flight`, no status yet) and again after
/// `handle_response` / `handle_failure` (status or failure, `will_retry`, `outcome_unknown`).
///
/// It never holds a body, a header value, a secret or personal data: the path is the
/// template (`/cash-out/{id}`), not the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptReport {
    /// `Api` for the call itself, `Token` for a `POST /auth/token` exchange it led.
    pub purpose: Purpose,
    /// 1, 2, … counted per purpose: API attempts of this operation (the `attempts` of the
    /// result) and, apart, the token exchanges it sent.
    pub attempt: u32,
    pub method: Method,
    /// `/cash-out/{id}`, `/auth/token`, …
    pub path_template: &'static str,
    /// The operation's key on API attempts; `None` on token exchanges and unkeyed calls.
    pub idempotency_key: Option<String>,
    /// Status of the answer; `None` while in flight or when no answer came.
    pub status: Option<u16>,
    /// X-Request-Id of the answer, when plausible (bounded, printable).
    pub request_id: Option<String>,
    /// How the attempt failed without an answer (an abandoned wait counts as `Io`).
    pub failure: Option<FailureKind>,
    /// On the operation's clock, from the `Send` to the report of its fate.
    pub elapsed_ms: u64,
    /// True until the binding reported the attempt's fate.
    pub in_flight: bool,
    /// The core will send this request again (a retry after backoff, or the replay after a
    /// `401 TOKEN_EXPIRED`).
    pub will_retry: bool,
    /// After this attempt, the operation's outcome is unknown if it ended now: some attempt
    /// of a state-changing call may have been applied. Sticky for the operation.
    pub outcome_unknown: bool,
}
