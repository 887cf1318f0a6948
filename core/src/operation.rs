//! The driver: one state machine per API call, driven by a binding in a loop.
//!
//! The binding owns the socket and the clock; this module owns every decision: fetching the
//! token (the `/auth/token` exchange is a step of the same machine), attaching and signing the
//! headers, retrying with backoff inside one overall deadline, replaying once after a
//! `401 TOKEN_EXPIRED`, and turning the final answer into a typed [`Outcome`] or [`Error`].
//! See `docs/architecture.md` §2 for the loop every binding writes.
//!
//! Money safety: every attempt of a call that changes state is judged by the one rule in
//! [`crate::retry`] (`answer_may_have_applied`, `failure_may_have_applied`); once an attempt
//! may have been applied, the operation's outcome is unknown on every later path (token
//! refresh failures, a second `TOKEN_EXPIRED`, a 4xx on a later attempt, the deadline, an
//! abandoned wait). A re-submission of a call that ended that way (`client.resubmit(error)`,
//! `call::PreparedCall::possibly_applied`) starts with the flag set: its own attempts being
//! refused says nothing about the earlier ones. `Operation::decorate` reads that one sticky
//! flag; nothing else sets it.

use std::fmt;

use serde::Serialize;

use crate::auth::TokenDecision;
use crate::call::{CallInput, CallKind, CallSpec};
use crate::config::MAX_TIMER_MS;
use crate::error::{Error, ErrorKind};
use crate::http::{FailureKind, HttpRequest, HttpResponse, Method, Purpose, TransportFailure};
use crate::idempotency::IdempotencyKey;
use crate::model::account::{Balance, Rebalance, RebalanceResult};
use crate::model::cash_in::{CashIn, CreateCashIn, Refund, RefundCashIn};
use crate::model::cash_out::{CashOut, CreateCashOut};
use crate::retry::{self, Jitter, StatusClass};

mod attempt;
mod options;
mod problem;
mod request;
mod session;

pub use attempt::AttemptReport;
pub use options::CallOptions;
pub use request::validate_path_id;
pub use session::Session;

use options::Limits;

/// How long past its attempt timeout a token refresher keeps the lease, so that waiters do not
/// start a second exchange in the instant the first one's answer is being handled.
const LEASE_GRACE_MS: u64 = 1_000;

/// One API call with its typed input. `Debug` names the call only: its input holds
/// personal data.
#[derive(Clone)]
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

    /// The HTTP method of the call.
    pub fn method(&self) -> Method {
        request::method_and_template(self).0
    }

    /// The path template (`/cash-out/{id}`): what events and logs name instead of the path.
    pub fn path_template(&self) -> &'static str {
        request::method_and_template(self).1
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

    /// Every check `Operation::new` makes on a bare call (a [`crate::call::PreparedCall`] has
    /// passed them already).
    pub fn validate(&self) -> Result<(), Error> {
        prepare_parts(self).map(|_| ())
    }

    /// Whether the call carries an `X-Idempotency-Key`.
    pub fn takes_idempotency_key(&self) -> bool {
        self.spec().keyed
    }
}

/// Validates a call and serialises its body, and parses the caller's idempotency key: the
/// work of [`crate::call::PreparedCall::new`], done once per call.
pub(crate) fn prepare_parts(
    call: &Call,
) -> Result<(Option<Vec<u8>>, Option<IdempotencyKey>), Error> {
    let body = request::prepare(call)?;
    let key = match call.caller_key() {
        Some(given) if call.takes_idempotency_key() => Some(IdempotencyKey::parse(given)?),
        _ => None,
    };
    Ok((body, key))
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

/// The typed answer of a call. `Debug` shows the kind, id and status only: the resource
/// holds names, documents and PIX keys.
#[derive(Clone, Serialize)]
#[serde(untagged)]
pub enum Reply {
    CashIn(CashIn),
    /// The `202` of a refund: less than a whole cash-in is documented (model::refund).
    Refund(Refund),
    CashOut(CashOut),
    Balance(Balance),
    Rebalance(RebalanceResult),
}

impl Reply {
    /// Whether a settle wait (`wait(id)`) keeps polling this resource: a cash-in
    /// `AWAITING_PAYMENT` or a cash-out `PROCESSING` ([`retry::cash_in_is_pending`],
    /// [`retry::cash_out_is_pending`]). Balances and rebalances are never pending.
    pub fn is_pending(&self) -> bool {
        match self {
            Reply::CashIn(cash_in) => retry::cash_in_is_pending(&cash_in.status),
            Reply::CashOut(cash_out) => retry::cash_out_is_pending(&cash_out.status),
            // A refund is an answer about a devolution already sent, not a resource to wait on.
            Reply::Refund(_) | Reply::Balance(_) | Reply::Rebalance(_) => false,
        }
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::CashIn(c) => f
                .debug_struct("CashIn")
                .field("transaction_id", &c.transaction_id)
                .field("status", &c.status)
                .finish_non_exhaustive(),
            Reply::Refund(r) => f
                .debug_struct("Refund")
                .field("transaction_id", &r.transaction_id)
                .field("status", &r.status)
                .finish_non_exhaustive(),
            Reply::CashOut(c) => f
                .debug_struct("CashOut")
                .field("transaction_id", &c.transaction_id)
                .field("status", &c.status)
                .finish_non_exhaustive(),
            Reply::Balance(_) => f.debug_struct("Balance").finish_non_exhaustive(),
            Reply::Rebalance(_) => f.debug_struct("Rebalance").finish_non_exhaustive(),
        }
    }
}

/// A successful call. `Debug` never prints `raw` nor the resource's personal data.
#[derive(Clone)]
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
    /// Retry-After of the answer, in ms: a settle wait honours it (`retry::settle_delay_ms`).
    pub retry_after_ms: Option<u64>,
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outcome")
            .field("reply", &self.reply)
            .field("status", &self.status)
            .field("idempotency_key", &self.idempotency_key)
            .field("request_id", &self.request_id)
            .field("attempts", &self.attempts)
            .field("replayed", &self.replayed)
            .field("raw", &format_args!("<{} bytes, redacted>", self.raw.len()))
            .finish()
    }
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

/// One API call in progress. `Debug` shows its progress, never its body or input.
pub struct Operation {
    call: Call,
    /// Serialised once: every attempt sends the same bytes with the same key.
    body: Option<Vec<u8>>,
    idempotency_key: Option<IdempotencyKey>,
    jitter: Jitter,
    id: Option<u64>,
    started_at_ms: u64,
    /// The config's limits, kept to resolve `with_options` against them.
    defaults: CallOptions,
    limits: Limits,
    deadline_at_ms: u64,
    phase: Phase,
    /// API attempts sent.
    attempts: u32,
    /// Token exchanges this operation sent.
    token_attempts: u32,
    retries_used: u32,
    replayed_after_token_expiry: bool,
    /// THE sticky flag: some attempt of a state-changing call may have been applied
    /// (`retry::answer_may_have_applied` / `retry::failure_may_have_applied`), or this is the
    /// re-submission of a call that may have been (`PreparedCall::possibly_applied`). Never
    /// reset.
    possibly_applied: bool,
    /// Set while handling an attempt when the core plans to send the request again.
    retry_planned: bool,
    last_status: Option<u16>,
    last_request_id: Option<String>,
    last_retry_after_ms: Option<u64>,
    last_attempt: Option<AttemptReport>,
    sent_at_ms: u64,
    result: Option<Result<Outcome, Error>>,
}

impl fmt::Debug for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operation")
            .field("call", &self.call.name())
            .field(
                "body",
                &format_args!(
                    "<{} bytes, redacted>",
                    self.body.as_ref().map_or(0, Vec::len)
                ),
            )
            .field("idempotency_key", &self.idempotency_key())
            .field("phase", &self.phase)
            .field("attempts", &self.attempts)
            .field("retries_used", &self.retries_used)
            .field("outcome_unknown", &self.outcome_unknown())
            .field("limits", &self.limits)
            .field("deadline_at_ms", &self.deadline_at_ms)
            .finish_non_exhaustive()
    }
}

impl Operation {
    /// Takes a [`crate::call::PreparedCall`] (validated and serialised once, by the bridge) or
    /// a bare [`Call`], validated here: a bad call never yields a `Send`.
    pub fn new(
        call: impl Into<CallInput>,
        session: &Session,
        entropy: [u8; 32],
        now_ms: u64,
    ) -> Operation {
        let (call, prepared, possibly_applied) = match call.into() {
            CallInput::Prepared(prepared) => {
                let (call, body, key, possibly_applied) = prepared.into_parts();
                (call, Ok((body, key)), possibly_applied)
            }
            CallInput::Unprepared(call) => {
                let prepared = prepare_parts(&call);
                (call, prepared, false)
            }
        };
        let mut key_bytes = [0u8; 16];
        let mut seed = [0u8; 16];
        key_bytes.copy_from_slice(&entropy[..16]);
        seed.copy_from_slice(&entropy[16..]);
        let config = session.config();
        let defaults = Limits::defaults(config);
        let limits = Limits::resolve(&defaults, &CallOptions::default());
        let mut op = Operation {
            body: None,
            idempotency_key: None,
            jitter: Jitter::new(seed),
            id: None,
            started_at_ms: now_ms,
            defaults,
            limits,
            deadline_at_ms: now_ms.saturating_add(limits.deadline_ms),
            phase: Phase::Ready,
            attempts: 0,
            token_attempts: 0,
            retries_used: 0,
            replayed_after_token_expiry: false,
            // A re-submission of a call that may have been applied starts where that call
            // ended: unknown until a success says otherwise.
            possibly_applied,
            retry_planned: false,
            last_status: None,
            last_request_id: None,
            last_retry_after_ms: None,
            last_attempt: None,
            sent_at_ms: now_ms,
            result: None,
            call,
        };
        match prepared {
            Ok((body, key)) => {
                op.body = body;
                op.idempotency_key = match key {
                    Some(given) => Some(given),
                    None if op.call.takes_idempotency_key() => {
                        Some(IdempotencyKey::random(key_bytes))
                    }
                    None => None,
                };
            }
            Err(error) => op.finish(Err(error)),
        }
        op
    }

    /// Per-call overrides of the config's timeout, deadline and retry budget; call it before
    /// the first `poll` (the deadline counts from `new`). Bad overrides end the operation with
    /// a `ValidationError` naming the field, before anything is sent.
    pub fn with_options(mut self, options: CallOptions) -> Operation {
        if self.phase == Phase::Finished {
            return self;
        }
        match options.validate() {
            Ok(()) => {
                self.limits = Limits::resolve(&self.defaults, &options);
                self.deadline_at_ms = self.started_at_ms.saturating_add(self.limits.deadline_ms);
            }
            Err(error) => {
                let error = self.decorate(error);
                self.finish(Err(error));
            }
        }
        self
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

    /// The last HTTP attempt: after `poll` returned `Send` (in flight) and after its
    /// `handle_response` / `handle_failure`. For event hooks and logs.
    pub fn last_attempt(&self) -> Option<&AttemptReport> {
        self.last_attempt.as_ref()
    }

    /// Whether the outcome would be unknown if the operation ended now: an attempt of this
    /// state-changing call may have been applied, or one is in flight. A binding whose caller
    /// abandons the call (a cancelled task, a dropped promise) reports the key when this is
    /// true.
    pub fn outcome_unknown_if_abandoned(&self) -> bool {
        self.outcome_unknown()
            || (self.call_may_apply() && matches!(self.phase, Phase::ApiInFlight { .. }))
    }

    /// What is left of the operation's deadline at `now_ms` (0 once it has passed): how long a
    /// binding may wait for something of its own before the first poll (a token store's read)
    /// without overrunning the call's budget. The deadline counts from `new`, so that wait is
    /// part of it.
    pub fn deadline_remaining_ms(&self, now_ms: u64) -> u64 {
        self.deadline_at_ms.saturating_sub(now_ms).min(MAX_TIMER_MS)
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
            // An attempt still in flight is abandoned: it may have been applied.
            if matches!(self.phase, Phase::ApiInFlight { .. } | Phase::TokenInFlight) {
                let abandoned = TransportFailure::new(FailureKind::Timeout, true, "deadline");
                self.note_failure(&abandoned, now_ms);
                self.seal_attempt();
            }
            self.release(session);
            let error = Error::new(
                ErrorKind::Timeout,
                format!(
                    "{}: deadline of {} ms exceeded after {} attempt(s)",
                    self.call.name(),
                    self.limits.deadline_ms,
                    self.attempts
                ),
            );
            let result = Err(self.decorate(error));
            self.finish(result);
            return self.poll(session, now_ms);
        }
        match self.phase {
            Phase::Sleeping { until_ms } if now_ms < until_ms => {
                return Step::Sleep {
                    ms: (until_ms - now_ms).min(MAX_TIMER_MS),
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
                    // The refresher's error, decorated with THIS operation's key and flag.
                    let error = self.decorate(failure.clone());
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
        let attempt_timeout = self.attempt_timeout(now_ms);
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
                self.open_attempt(Purpose::Api, now_ms);
                Step::Send(http)
            }
            TokenDecision::Refresh => {
                self.token_attempts += 1;
                self.phase = Phase::TokenInFlight;
                self.open_attempt(Purpose::Token, now_ms);
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
                    max_wait_ms: max_wait_ms
                        .min(self.deadline_at_ms - now_ms)
                        .min(MAX_TIMER_MS),
                }
            }
        }
    }

    /// The answer to the last `Send`.
    pub fn handle_response(&mut self, session: &mut Session, response: HttpResponse, now_ms: u64) {
        self.retry_planned = false;
        match self.phase {
            Phase::TokenInFlight => {
                self.note_answer(&response, now_ms);
                self.on_token_response(session, response, now_ms);
            }
            Phase::ApiInFlight { generation } => {
                self.note_answer(&response, now_ms);
                self.on_api_response(session, response, generation, now_ms);
            }
            _ => return,
        }
        self.seal_attempt();
    }

    /// The last `Send` failed without an HTTP answer.
    pub fn handle_failure(
        &mut self,
        session: &mut Session,
        failure: TransportFailure,
        now_ms: u64,
    ) {
        self.retry_planned = false;
        match self.phase {
            Phase::TokenInFlight => {
                self.note_failure(&failure, now_ms);
                self.on_token_failure(session, &failure, now_ms);
            }
            Phase::ApiInFlight { .. } => {
                self.note_failure(&failure, now_ms);
                if !self.schedule_retry(session, now_ms, None) {
                    let error = transport_error(&failure, self.call.name());
                    let result = Err(self.decorate(error));
                    self.finish(result);
                }
            }
            _ => return,
        }
        self.seal_attempt();
    }

    /// Gives back the token lease if this operation holds it (call when abandoning it).
    pub fn release(&mut self, session: &mut Session) {
        if let Some(id) = self.id {
            session.token.release(id);
        }
    }

    /// Starts the report of the attempt `poll` is about to hand out.
    fn open_attempt(&mut self, purpose: Purpose, now_ms: u64) {
        let (method, path_template, attempt, key) = match purpose {
            Purpose::Api => (
                self.call.method(),
                self.call.path_template(),
                self.attempts,
                self.idempotency_key().map(str::to_owned),
            ),
            Purpose::Token => (Method::Post, "/auth/token", self.token_attempts, None),
        };
        self.sent_at_ms = now_ms;
        self.last_attempt = Some(AttemptReport {
            purpose,
            attempt,
            method,
            path_template,
            idempotency_key: key,
            status: None,
            request_id: None,
            failure: None,
            elapsed_ms: 0,
            in_flight: true,
            will_retry: false,
            outcome_unknown: self.outcome_unknown(),
        });
    }

    /// Records an answer: the rule first, so that every path after it sees the flag.
    fn note_answer(&mut self, response: &HttpResponse, now_ms: u64) {
        let request_id = problem::request_id(response);
        if matches!(self.phase, Phase::ApiInFlight { .. })
            && self.call_may_apply()
            && retry::response_may_have_applied(response)
        {
            self.possibly_applied = true;
        }
        if let Some(report) = &mut self.last_attempt {
            report.status = Some(response.status);
            report.request_id = request_id;
            report.elapsed_ms = now_ms.saturating_sub(self.sent_at_ms);
            report.in_flight = false;
        }
    }

    /// Records a failure without an answer (or an abandoned wait), by the same rule.
    fn note_failure(&mut self, failure: &TransportFailure, now_ms: u64) {
        if matches!(self.phase, Phase::ApiInFlight { .. })
            && self.call_may_apply()
            && retry::failure_may_have_applied(failure)
        {
            self.possibly_applied = true;
        }
        if let Some(report) = &mut self.last_attempt {
            report.failure = Some(failure.kind);
            report.elapsed_ms = now_ms.saturating_sub(self.sent_at_ms);
            report.in_flight = false;
        }
    }

    /// Completes the report once the core decided what comes next.
    fn seal_attempt(&mut self) {
        // A success is a definitive answer: the outcome is known, whatever came before.
        let succeeded = matches!(self.result, Some(Ok(_)));
        let outcome_unknown = self.outcome_unknown() && !succeeded;
        let will_retry = self.retry_planned && self.phase != Phase::Finished;
        if let Some(report) = &mut self.last_attempt {
            report.will_retry = will_retry;
            report.outcome_unknown = outcome_unknown;
        }
    }

    fn on_token_failure(&mut self, session: &mut Session, failure: &TransportFailure, now_ms: u64) {
        if self.keep_valid_token(session, now_ms) {
            return;
        }
        if !self.schedule_retry(session, now_ms, None) {
            let error = transport_error(failure, "POST /auth/token");
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
                    if !self.keep_valid_token(session, now_ms) {
                        self.fail_token(session, error.with_status(status));
                    }
                }
            },
            class => {
                if self.keep_valid_token(session, now_ms) {
                    return;
                }
                let retry_after = retry::retry_after_ms(&response);
                let transient = class != StatusClass::Final;
                if transient && self.schedule_retry(session, now_ms, retry_after) {
                    return;
                }
                // Never quote the body of the token exchange beyond the problem fields.
                let mut error = problem::error_from_response(&response, "POST /auth/token");
                error.retry_after_ms = retry_after;
                self.fail_token(session, error);
            }
        }
    }

    /// A failed refresh while the current token is still valid (a proactive refresh inside
    /// the margin): go on with that token, and back the next proactive refresh off so the
    /// token endpoint's trouble neither fails this call nor draws a request from every call.
    fn keep_valid_token(&mut self, session: &mut Session, now_ms: u64) -> bool {
        if !session.token.is_usable(now_ms) {
            return false;
        }
        let backoff = retry::backoff_ms(session.token.refresh_failures(), &mut self.jitter);
        if let Some(id) = self.id {
            session.token.defer_refresh(id, now_ms, backoff);
        }
        self.phase = Phase::Ready;
        true
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
        self.last_request_id = problem::request_id(&response);
        self.last_retry_after_ms = retry::retry_after_ms(&response);
        match retry::classify_status(status) {
            StatusClass::Success => {
                let parsed = request::parse_reply(&self.call, &response);
                let result = match parsed {
                    Ok(reply) => Ok(Outcome {
                        reply,
                        status,
                        idempotency_key: self.idempotency_key().map(str::to_owned),
                        request_id: self.last_request_id.clone(),
                        attempts: self.attempts,
                        replayed: response
                            .header("idempotent-replayed")
                            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
                        // The body itself, not a copy (it is not needed after this).
                        raw: String::from_utf8(response.body).unwrap_or_else(|invalid| {
                            String::from_utf8_lossy(invalid.as_bytes()).into_owned()
                        }),
                        retry_after_ms: self.last_retry_after_ms,
                    }),
                    // A 2xx to a POST means it was applied (the rule set the flag): the
                    // caller must not send it again with a new key.
                    Err(error) => Err(self.decorate(error.with_status(status))),
                };
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
                    self.retry_planned = true;
                    self.phase = Phase::Ready;
                    return;
                }
                let result = Err(self.decorate(error));
                self.finish(result);
            }
            class => {
                if self.schedule_retry(session, now_ms, self.last_retry_after_ms) {
                    return;
                }
                let mut error = problem::error_from_response(&response, self.call.name());
                if class == StatusClass::RateLimited {
                    error.kind = ErrorKind::RateLimited;
                }
                let result = Err(self.decorate(error));
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
        if self.retries_used >= self.limits.max_retries {
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
                .attempt_timeout(until_ms)
                .saturating_add(LEASE_GRACE_MS);
            session
                .token
                .extend_lease(id, until_ms.saturating_add(lease));
        }
        self.retry_planned = true;
        self.phase = Phase::Sleeping { until_ms };
        true
    }

    /// The token exchange failed for good: the waiters get the bare error (each decorates
    /// it with its own key and flag), this operation its decorated copy.
    fn fail_token(&mut self, session: &mut Session, error: Error) {
        if let Some(id) = self.id {
            session.token.fail(id, error.clone());
        }
        let error = self.decorate(error);
        self.finish(Err(error));
    }

    fn attempt_timeout(&self, now_ms: u64) -> u64 {
        self.limits
            .timeout_ms
            .min(self.deadline_at_ms.saturating_sub(now_ms))
            .clamp(1, MAX_TIMER_MS)
    }

    /// Every POST changes state on the server (a charge, a payment, a refund, a rebalance).
    fn call_may_apply(&self) -> bool {
        self.call.spec().method == crate::http::Method::Post
    }

    fn outcome_unknown(&self) -> bool {
        self.call_may_apply() && self.possibly_applied
    }

    /// Adds what the caller needs to act on an error: the key, attempts, last request id,
    /// and the outcome-unknown flag, always from the sticky flag (a caller can only raise it,
    /// by re-submitting, never clear it).
    fn decorate(&self, mut error: Error) -> Error {
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
        // The advice is written by Error's Display, from the key set above.
        error.outcome_unknown = self.outcome_unknown();
        error
    }

    fn finish(&mut self, result: Result<Outcome, Error>) {
        self.result = Some(result);
        self.phase = Phase::Finished;
    }
}

fn transport_error(failure: &TransportFailure, what: &str) -> Error {
    // The transport's message is not echoed: it could quote a URL or header.
    if failure.proxy_auth_required {
        return Error::new(
            ErrorKind::Connection,
            format!(
                "{what}: the proxy refused the connection with 407 Proxy Authentication Required; \
                 check the user name and password in the proxy URL"
            ),
        )
        .with_code("PROXY_AUTH_REQUIRED");
    }
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
