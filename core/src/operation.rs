//! The driver: one state machine per API call, driven by a binding in a loop.
//!
//! The binding owns the socket and the clock; this module owns every decision: fetching the
//! token (the `/auth/token` exchange is a step of the same machine), attaching and signing the
//! headers, retrying with backoff inside one overall deadline, replaying once after a
//! `401 TOKEN_EXPIRED`, and turning the final answer into a typed [`Outcome`] or [`Error`].
//! See `docs/architecture.md` §2 for the loop every binding writes.

use serde::Serialize;

use crate::auth::TokenDecision;
use crate::call::{CallKind, CallSpec};
use crate::config::Config;
use crate::error::{Error, ErrorKind};
use crate::http::{FailureKind, HttpRequest, HttpResponse, TransportFailure};
use crate::idempotency::IdempotencyKey;
use crate::model::account::{Balance, Rebalance, RebalanceResult};
use crate::model::cash_in::{CashIn, CreateCashIn, RefundCashIn};
use crate::model::cash_out::{CashOut, CreateCashOut};
use crate::retry::{self, Jitter, StatusClass};

mod problem;
mod request;
mod session;

pub use request::validate_path_id;
pub use session::Session;

/// How long past its attempt timeout a token refresher keeps the lease, so that waiters do not
/// start a second exchange in the instant the first one's answer is being handled.
const LEASE_GRACE_MS: u64 = 1_000;

/// One API call with its typed input.
#[derive(Debug, Clone)]
pub enum Call {
    CreateCashIn {
        request: CreateCashIn,
        idempotency_key: Option<String>,
    },
    GetCashIn {
        id: String,
    },
    RefundCashIn {
        id: String,
        request: RefundCashIn,
        idempotency_key: Option<String>,
    },
    CreateCashOut {
        request: CreateCashOut,
        idempotency_key: Option<String>,
    },
    GetCashOut {
        id: String,
    },
    GetBalance,
    Rebalance {
        request: Rebalance,
    },
}

impl Call {
    /// Its row of the call table ([`crate::call::CALLS`]).
    pub fn kind(&self) -> CallKind {
        match self {
            Call::CreateCashIn { .. } => CallKind::CreateCashIn,
            Call::GetCashIn { .. } => CallKind::GetCashIn,
            Call::RefundCashIn { .. } => CallKind::RefundCashIn,
            Call::CreateCashOut { .. } => CallKind::CreateCashOut,
            Call::GetCashOut { .. } => CallKind::GetCashOut,
            Call::GetBalance => CallKind::GetBalance,
            Call::Rebalance { .. } => CallKind::Rebalance,
        }
    }

    /// Method, path template, key and signature rules, reply type.
    pub fn spec(&self) -> &'static CallSpec {
        self.kind().spec()
    }

    /// The bridge's method name (`cashOut.create`, …).
    pub fn name(&self) -> &'static str {
        self.spec().name
    }

    /// The path id, for the calls whose path has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Call::GetCashIn { id } | Call::RefundCashIn { id, .. } | Call::GetCashOut { id } => {
                Some(id)
            }
            _ => None,
        }
    }

    fn caller_key(&self) -> Option<&str> {
        match self {
            Call::CreateCashIn {
                idempotency_key, ..
            }
            | Call::RefundCashIn {
                idempotency_key, ..
            }
            | Call::CreateCashOut {
                idempotency_key, ..
            } => idempotency_key.as_deref(),
            _ => None,
        }
    }

    /// Every check `Operation::new` makes, without building anything: the bridge calls it so
    /// a binding reports bad input before it starts an operation.
    pub fn validate(&self) -> Result<(), Error> {
        request::prepare(self)?;
        if let Some(key) = self.caller_key() {
            IdempotencyKey::parse(key)?;
        }
        Ok(())
    }

    /// Whether the call carries an `X-Idempotency-Key`.
    pub fn takes_idempotency_key(&self) -> bool {
        self.spec().keyed
    }
}

/// The typed answer of a call.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Reply {
    CashIn(CashIn),
    CashOut(CashOut),
    Balance(Balance),
    Rebalance(RebalanceResult),
}

/// A successful call.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub reply: Reply,
    /// HTTP status of the final answer (201, 202, 200).
    pub status: u16,
    /// The key the operation sent, if any.
    pub idempotency_key: Option<String>,
    /// X-Request-Id of the final answer.
    pub request_id: Option<String>,
    /// HTTP attempts of the API request (the token exchange is not counted).
    pub attempts: u32,
    /// The server answered with the stored response of an earlier request with the same key.
    pub replayed: bool,
    /// The response body as text.
    pub raw: String,
}

/// What the binding must do next.
// `Done` is much larger than the other variants, but a step is moved once per poll and
// boxing the outcome would change the contract every binding codes against.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Step {
    /// Perform it, then call `handle_response` or `handle_failure`.
    Send(HttpRequest),
    /// Wait this long (backoff or Retry-After), then poll again.
    Sleep { ms: u64 },
    /// Another operation is refreshing the token: wait for the binding's token notification
    /// (or `max_wait_ms`), then poll again.
    AwaitToken { max_wait_ms: u64 },
    /// Finished.
    Done(Result<Outcome, Error>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Ready,
    AwaitingToken { since_epoch: u64 },
    TokenInFlight,
    ApiInFlight { generation: u64 },
    Sleeping { until_ms: u64 },
    Finished,
}

/// One API call in progress.
#[derive(Debug)]
pub struct Operation {
    call: Call,
    /// Serialised once: every attempt sends the same bytes with the same key.
    body: Option<Vec<u8>>,
    idempotency_key: Option<IdempotencyKey>,
    jitter: Jitter,
    id: Option<u64>,
    deadline_at_ms: u64,
    phase: Phase,
    /// API attempts sent.
    attempts: u32,
    retries_used: u32,
    replayed_after_token_expiry: bool,
    /// A non-GET attempt may have reached the server (sent, then no definitive answer).
    possibly_applied: bool,
    last_status: Option<u16>,
    last_request_id: Option<String>,
    last_retry_after_ms: Option<u64>,
    result: Option<Result<Outcome, Error>>,
}

impl Operation {
    /// Validation happens here: a bad call never yields a `Send`.
    pub fn new(call: Call, session: &Session, entropy: [u8; 32], now_ms: u64) -> Operation {
        let mut key_bytes = [0u8; 16];
        let mut seed = [0u8; 16];
        key_bytes.copy_from_slice(&entropy[..16]);
        seed.copy_from_slice(&entropy[16..]);
        let config = session.config();
        let mut op = Operation {
            body: None,
            idempotency_key: None,
            jitter: Jitter::new(seed),
            id: None,
            deadline_at_ms: now_ms.saturating_add(config.effective_deadline_ms()),
            phase: Phase::Ready,
            attempts: 0,
            retries_used: 0,
            replayed_after_token_expiry: false,
            possibly_applied: false,
            last_status: None,
            last_request_id: None,
            last_retry_after_ms: None,
            result: None,
            call,
        };
        let prepared = request::prepare(&op.call).and_then(|body| {
            let key = match (op.call.takes_idempotency_key(), op.call.caller_key()) {
                (false, _) => None,
                (true, Some(given)) => Some(IdempotencyKey::parse(given)?),
                (true, None) => Some(IdempotencyKey::random(key_bytes)),
            };
            Ok((body, key))
        });
        match prepared {
            Ok((body, key)) => {
                op.body = body;
                op.idempotency_key = key;
            }
            Err(error) => op.finish(Err(error)),
        }
        op
    }

    /// The `X-Idempotency-Key` this operation sends on every attempt.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_ref().map(IdempotencyKey::as_str)
    }

    pub fn call(&self) -> &Call {
        &self.call
    }

    /// HTTP attempts of the API request so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// What to do next.
    pub fn poll(&mut self, session: &mut Session, now_ms: u64) -> Step {
        if self.phase == Phase::Finished {
            return Step::Done(self.result.take().unwrap_or_else(|| {
                Err(Error::new(
                    ErrorKind::Validation,
                    "operation already finished: its result was returned by an earlier poll",
                ))
            }));
        }
        if now_ms >= self.deadline_at_ms {
            self.release(session);
            let error = Error::new(
                ErrorKind::Timeout,
                format!(
                    "{}: deadline of {} ms exceeded after {} attempt(s)",
                    self.call.name(),
                    session.config().effective_deadline_ms(),
                    self.attempts
                ),
            );
            let result = Err(self.decorate(error, self.outcome_unknown()));
            self.finish(result);
            return self.poll(session, now_ms);
        }
        match self.phase {
            Phase::Sleeping { until_ms } if now_ms < until_ms => {
                return Step::Sleep {
                    ms: until_ms - now_ms,
                };
            }
            Phase::TokenInFlight | Phase::ApiInFlight { .. } => {
                // The binding polled without reporting the attempt's fate: treat it as lost
                // after sending, which is the only safe assumption for money.
                self.handle_failure(
                    session,
                    TransportFailure::new(FailureKind::Io, true, "attempt abandoned"),
                    now_ms,
                );
                return self.poll(session, now_ms);
            }
            Phase::AwaitingToken { since_epoch } => {
                if let Some(failure) = session.token.failure_since(since_epoch) {
                    let error = self.decorate(failure.clone(), false);
                    self.finish(Err(error));
                    return self.poll(session, now_ms);
                }
            }
            _ => {}
        }
        let id = match self.id {
            Some(id) => id,
            None => *self.id.insert(session.allocate_operation_id()),
        };
        let attempt_timeout = self.attempt_timeout(session.config(), now_ms);
        let lease_ms = attempt_timeout.saturating_add(LEASE_GRACE_MS);
        match session.token.decide(id, now_ms, lease_ms) {
            TokenDecision::Use(generation) => {
                let Some(token) = session.token.token() else {
                    // `decide` only answers Use with a token present; poll again to recover.
                    return Step::Sleep { ms: 0 };
                };
                let http = request::api_request(
                    &self.call,
                    &session.config,
                    &session.user_agent,
                    token,
                    self.body.as_deref(),
                    self.idempotency_key(),
                    attempt_timeout,
                );
                self.attempts += 1;
                self.phase = Phase::ApiInFlight { generation };
                Step::Send(http)
            }
            TokenDecision::Refresh => {
                self.phase = Phase::TokenInFlight;
                Step::Send(request::token_request(
                    &session.config,
                    &session.user_agent,
                    attempt_timeout,
                ))
            }
            TokenDecision::Wait { max_wait_ms } => {
                if !matches!(self.phase, Phase::AwaitingToken { .. }) {
                    self.phase = Phase::AwaitingToken {
                        since_epoch: session.token.epoch(),
                    };
                }
                Step::AwaitToken {
                    max_wait_ms: max_wait_ms.min(self.deadline_at_ms - now_ms),
                }
            }
        }
    }

    /// The answer to the last `Send`.
    pub fn handle_response(&mut self, session: &mut Session, response: HttpResponse, now_ms: u64) {
        match self.phase {
            Phase::TokenInFlight => self.on_token_response(session, response, now_ms),
            Phase::ApiInFlight { generation } => {
                self.on_api_response(session, response, generation, now_ms)
            }
            _ => {}
        }
    }

    /// The last `Send` failed without an HTTP answer.
    pub fn handle_failure(
        &mut self,
        session: &mut Session,
        failure: TransportFailure,
        now_ms: u64,
    ) {
        match self.phase {
            Phase::TokenInFlight => self.on_token_failure(session, &failure, now_ms),
            Phase::ApiInFlight { .. } => {
                if failure.request_sent && self.call_may_apply() {
                    self.possibly_applied = true;
                }
                if !self.schedule_retry(session, now_ms, None) {
                    let error = transport_error(&failure, self.call.name());
                    let result = Err(self.decorate(error, self.outcome_unknown()));
                    self.finish(result);
                }
            }
            _ => {}
        }
    }

    /// Gives back the token lease if this operation holds it (call when abandoning it).
    pub fn release(&mut self, session: &mut Session) {
        if let Some(id) = self.id {
            session.token.release(id);
        }
    }

    fn on_token_failure(&mut self, session: &mut Session, failure: &TransportFailure, now_ms: u64) {
        if !self.schedule_retry(session, now_ms, None) {
            let error = self.decorate(transport_error(failure, "POST /auth/token"), false);
            self.fail_token(session, error);
        }
    }

    fn on_token_response(&mut self, session: &mut Session, response: HttpResponse, now_ms: u64) {
        let status = response.status;
        match retry::classify_status(status) {
            StatusClass::Success => match request::parse_token(&response.body) {
                Ok((token, expires_in_s)) => {
                    let id = self.id.unwrap_or_default();
                    let crypto = session.config.crypto_token.clone();
                    session
                        .token
                        .complete(id, token, expires_in_s, &crypto, now_ms);
                    self.phase = Phase::Ready;
                }
                Err(error) => {
                    let error = self.decorate(error.with_status(status), false);
                    self.fail_token(session, error);
                }
            },
            class => {
                let retry_after = retry::retry_after_ms(&response);
                let transient = class != StatusClass::Final;
                if transient && self.schedule_retry(session, now_ms, retry_after) {
                    return;
                }
                // Never quote the body of the token exchange beyond the problem fields.
                let mut error = problem::error_from_response(&response, "POST /auth/token");
                error.request_id = header_owned(&response, "x-request-id");
                error.retry_after_ms = retry_after;
                let error = self.decorate(error, false);
                self.fail_token(session, error);
            }
        }
    }

    fn on_api_response(
        &mut self,
        session: &mut Session,
        response: HttpResponse,
        generation: u64,
        now_ms: u64,
    ) {
        let status = response.status;
        self.last_status = Some(status);
        self.last_request_id = header_owned(&response, "x-request-id");
        self.last_retry_after_ms = retry::retry_after_ms(&response);
        match retry::classify_status(status) {
            StatusClass::Success => {
                let result = request::parse_reply(&self.call, &response.body)
                    .map(|reply| Outcome {
                        reply,
                        status,
                        idempotency_key: self.idempotency_key().map(str::to_owned),
                        request_id: self.last_request_id.clone(),
                        attempts: self.attempts,
                        replayed: response
                            .header("idempotent-replayed")
                            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
                        raw: String::from_utf8_lossy(&response.body).into_owned(),
                    })
                    // A 2xx to a POST means it was applied: the caller must not send it
                    // again with a new key, so the unreadable answer is an unknown outcome.
                    .map_err(|e| self.decorate(e.with_status(status), self.call_may_apply()));
                self.finish(result);
            }
            StatusClass::Final => {
                let error = problem::error_from_response(&response, self.call.name());
                if status == 401
                    && error.code.as_deref() == Some("TOKEN_EXPIRED")
                    && !self.replayed_after_token_expiry
                {
                    // Not a retry: the same request, same key, with a fresh token.
                    session.token.invalidate(generation);
                    self.replayed_after_token_expiry = true;
                    self.phase = Phase::Ready;
                    return;
                }
                let result = Err(self.decorate(error, false));
                self.finish(result);
            }
            class => {
                if retry::status_may_have_applied(status) && self.call_may_apply() {
                    self.possibly_applied = true;
                }
                if self.schedule_retry(session, now_ms, self.last_retry_after_ms) {
                    return;
                }
                let mut error = problem::error_from_response(&response, self.call.name());
                if class == StatusClass::RateLimited {
                    error.kind = ErrorKind::RateLimited;
                }
                let result = Err(self.decorate(error, self.outcome_unknown()));
                self.finish(result);
            }
        }
    }

    /// Plans another attempt if the budget and the deadline allow; false when spent.
    fn schedule_retry(
        &mut self,
        session: &mut Session,
        now_ms: u64,
        retry_after: Option<u64>,
    ) -> bool {
        if self.retries_used >= session.config().max_retries {
            return false;
        }
        let wait = match retry_after {
            Some(ms) if ms > retry::MAX_RETRY_AFTER_MS => return false,
            Some(ms) => ms,
            None => retry::backoff_ms(self.retries_used, &mut self.jitter),
        };
        let until_ms = now_ms.saturating_add(wait);
        // Sleeping into the deadline would only end in a timeout: report the real cause now.
        if until_ms >= self.deadline_at_ms {
            return false;
        }
        self.retries_used += 1;
        if self.phase == Phase::TokenInFlight
            && let Some(id) = self.id
        {
            let lease = self
                .attempt_timeout(session.config(), until_ms)
                .saturating_add(LEASE_GRACE_MS);
            session
                .token
                .extend_lease(id, until_ms.saturating_add(lease));
        }
        self.phase = Phase::Sleeping { until_ms };
        true
    }

    fn fail_token(&mut self, session: &mut Session, error: Error) {
        if let Some(id) = self.id {
            session.token.fail(id, error.clone());
        }
        self.finish(Err(error));
    }

    fn attempt_timeout(&self, config: &Config, now_ms: u64) -> u64 {
        config
            .timeout_ms
            .min(self.deadline_at_ms.saturating_sub(now_ms))
            .max(1)
    }

    /// Every POST changes state on the server (a charge, a payment, a refund, a rebalance).
    fn call_may_apply(&self) -> bool {
        self.call.spec().method == crate::http::Method::Post
    }

    fn outcome_unknown(&self) -> bool {
        self.call_may_apply() && self.possibly_applied
    }

    /// Adds what the caller needs to act on an error: the key, attempts, last request id.
    fn decorate(&self, mut error: Error, outcome_unknown: bool) -> Error {
        error.idempotency_key = self.idempotency_key().map(str::to_owned);
        error.attempts = self.attempts;
        if error.status.is_none() {
            error.status = self.last_status;
        }
        if error.request_id.is_none() {
            error.request_id = self.last_request_id.clone();
        }
        if error.retry_after_ms.is_none() {
            error.retry_after_ms = self.last_retry_after_ms;
        }
        if outcome_unknown {
            // The advice is written by Error's Display, from the key set above.
            error.outcome_unknown = true;
        }
        error
    }

    fn finish(&mut self, result: Result<Outcome, Error>) {
        self.result = Some(result);
        self.phase = Phase::Finished;
    }
}

fn transport_error(failure: &TransportFailure, what: &str) -> Error {
    // The transport's message is not echoed: it could quote a URL or header.
    match failure.kind {
        FailureKind::Timeout => Error::new(ErrorKind::Timeout, format!("{what}: timed out")),
        FailureKind::Connect => Error::new(
            ErrorKind::Connection,
            format!("{what}: could not connect to the API"),
        ),
        FailureKind::Io => Error::new(
            ErrorKind::Connection,
            format!("{what}: the connection failed before an answer was read"),
        ),
    }
}

fn header_owned(response: &HttpResponse, name: &str) -> Option<String> {
    response
        .header(name)
        .filter(|v| v.len() <= 200)
        .map(str::to_owned)
}
