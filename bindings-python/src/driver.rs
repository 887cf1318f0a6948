//! The loop of contract §2: drives one core `Operation` to its end. The core decides every
//! request, wait and retry; this only performs them (reqwest, tokio timers) and wakes the
//! operations waiting for a token after every token exchange.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use connectpsp_core::call::PreparedCall;
use connectpsp_core::config::Config;
use connectpsp_core::error::{Error, ErrorKind};
use connectpsp_core::http::Purpose;
use connectpsp_core::operation::{AttemptReport, CallOptions, Operation, Outcome, Session, Step};
use tokio::sync::Notify;

use crate::transport;

/// What one client shares between all its operations (and threads, and tasks) in one process.
/// A forked child never uses its parent's (see `client.rs`): the session lock may be held by a
/// thread that does not exist in the child.
pub struct Shared {
    pub config: Config,
    /// Locked only around `poll`/`handle_*`, never across I/O.
    pub session: Mutex<Session>,
    /// Woken after every token exchange, for the operations waiting for the token.
    pub token_ready: Notify,
}

/// One HTTP attempt, for the `connectpsp` logger.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub method: &'static str,
    /// Path only (no host, no query): ids, never a secret or a document.
    pub path: String,
    pub status: Option<u16>,
    pub elapsed_ms: u64,
    pub attempt: u32,
    pub idempotency_key: Option<String>,
    /// `connect`, `timeout` or `io` when no answer came.
    pub failure: Option<&'static str>,
    /// A `POST /auth/token` exchange rather than the API request.
    pub token: bool,
}

/// One API attempt as the event hooks see it: what was asked and what came back, never a
/// header, a body, a secret or personal data (paths are templates: `/cash-out/{id}`).
#[derive(Debug, Clone)]
pub struct AttemptEvent {
    /// False: about to be sent; true: answered or failed.
    pub response: bool,
    /// Tells the attempts of one call from those of another (unique in the process).
    pub call_id: u64,
    pub method: &'static str,
    pub path: &'static str,
    pub attempt: u32,
    pub idempotency_key: Option<String>,
    pub status: Option<u16>,
    /// `connect`, `timeout` or `io` when no answer came.
    pub failure: Option<&'static str>,
    pub elapsed_ms: f64,
    pub request_id: Option<String>,
    /// The core will try again (after a backoff, a token refresh).
    pub will_retry: bool,
    /// Some attempt of the call may have been applied: were it to end now, its outcome would
    /// be unknown (the core's sticky flag).
    pub outcome_unknown: bool,
}

/// Where the events of a call go (the caller's thread, or its asyncio loop).
pub type EventSink = std::sync::Arc<dyn Fn(AttemptEvent) + Send + Sync>;

static NEXT_CALL_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The end of an operation: the core's typed outcome or error, and the attempts made.
pub struct Finished {
    pub result: Result<Outcome, Error>,
    pub attempts: Vec<AttemptRecord>,
}

/// Milliseconds since the Unix epoch as read once per process, advanced from then on by the
/// monotonic clock. The core computes deadlines, backoffs and token lifetimes from it; an NTP
/// step or a manual clock change can then neither hang a backoff (a step back) nor expire a
/// deadline or a token early (a step forward).
pub fn now_ms() -> u64 {
    static ORIGIN: OnceLock<(Instant, u64)> = OnceLock::new();
    let (start, wall) = ORIGIN.get_or_init(|| (Instant::now(), wall_clock_ms()));
    wall.saturating_add(start.elapsed().as_millis() as u64)
}

/// The system's wall clock (Unix ms): for timestamps that leave the process (a token store's
/// expiry, a webhook's age), never for the core's own timing.
pub fn wall_clock_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// 32 bytes from the OS for the operation (idempotency key + jitter seed).
pub fn entropy() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    // getrandom only fails when the OS has no randomness source at all; then the key would
    // not be unique, so mix in the clock and the address of the buffer rather than panic.
    if getrandom::fill(&mut bytes).is_err() {
        let fallback = wall_clock_ms() ^ (bytes.as_ptr() as u64) ^ u64::from(std::process::id());
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (fallback.rotate_left((i % 8) as u32 * 8) & 0xff) as u8 ^ i as u8;
        }
    }
    bytes
}

/// Whether the API request of a call may have left the machine, decided once between the loop
/// (about to send) and the caller (giving up: Ctrl-C, a cancelled asyncio task). Whoever moves
/// it away from `IDLE` first wins, so a call the caller was told "nothing sent" never sends.
pub struct SendGate(AtomicU8);

const IDLE: u8 = 0;
const SENT: u8 = 1;
const ABANDONED: u8 = 2;

impl SendGate {
    pub fn new() -> SendGate {
        SendGate(AtomicU8::new(IDLE))
    }

    /// The loop, before an API attempt: false when the caller has already given up.
    fn open(&self) -> bool {
        match self
            .0
            .compare_exchange(IDLE, SENT, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(state) => state == SENT,
        }
    }

    /// The caller, giving up: true when a request may have been sent.
    pub fn abandon(&self) -> bool {
        match self
            .0
            .compare_exchange(IDLE, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => false,
            Err(state) => state == SENT,
        }
    }
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Session> {
    shared
        .session
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// A new operation for `call` with the caller's overrides (validated by the core; a bad one
/// finishes at its first poll).
pub fn operation(shared: &Shared, call: PreparedCall, options: CallOptions) -> Operation {
    let session = lock(shared);
    Operation::new(call, &session, entropy(), now_ms()).with_options(options)
}

/// An operation in progress. Dropped before it finished (Ctrl-C, a cancelled asyncio task),
/// it gives the token lease back, or the other operations would wait for the lease to expire.
struct Running<'a> {
    shared: &'a Shared,
    operation: Operation,
    finished: bool,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.operation.release(&mut lock(self.shared));
            self.shared.token_ready.notify_waiters();
        }
    }
}

/// Runs `operation` to completion, unless the caller gives up (`gate`) before it sends.
pub async fn drive(
    shared: std::sync::Arc<Shared>,
    http: reqwest::Client,
    operation: Operation,
    gate: std::sync::Arc<SendGate>,
    events: Option<EventSink>,
) -> Finished {
    let mut running = Running {
        shared: &shared,
        operation,
        finished: false,
    };
    let finished = running.run(&http, &gate, events.as_ref()).await;
    running.finished = true;
    finished
}

impl Running<'_> {
    async fn run(
        &mut self,
        http: &reqwest::Client,
        gate: &SendGate,
        events: Option<&EventSink>,
    ) -> Finished {
        let shared = self.shared;
        let operation = &mut self.operation;
        let mut attempts = Vec::new();
        let call_id = match events {
            Some(_) => NEXT_CALL_ID.fetch_add(1, Ordering::Relaxed),
            None => 0,
        };
        loop {
            // Registered before polling, so a token answer handled between our poll and our wait
            // still wakes us.
            let token_ready = shared.token_ready.notified();
            tokio::pin!(token_ready);
            token_ready.as_mut().enable();

            let step = operation.poll(&mut lock(shared), now_ms());
            match step {
                Step::Send(request) => {
                    let is_token = request.purpose == Purpose::Token;
                    if !is_token && !gate.open() {
                        // The caller gave up before anything was sent; it has been told so.
                        operation.release(&mut lock(shared));
                        shared.token_ready.notify_waiters();
                        let error = Error::new(ErrorKind::Timeout, "the caller gave up the call");
                        return Finished {
                            result: Err(error),
                            attempts,
                        };
                    }
                    if let Some(sink) = events.filter(|_| !is_token)
                        && let Some(report) = operation.last_attempt()
                    {
                        sink(event_of(call_id, report, false));
                    }
                    let started = Instant::now();
                    let result = transport::perform(http, &request).await;
                    let elapsed = started.elapsed();
                    // Token exchanges and API attempts are numbered apart; the key belongs to the
                    // API request only.
                    let same_kind = attempts
                        .iter()
                        .filter(|a: &&AttemptRecord| a.token == is_token)
                        .count();
                    let mut record = AttemptRecord {
                        method: request.method.as_str(),
                        path: path_of(&request.url, shared.config.base_url()),
                        status: None,
                        elapsed_ms: elapsed.as_millis() as u64,
                        attempt: same_kind as u32 + 1,
                        idempotency_key: if is_token {
                            None
                        } else {
                            operation.idempotency_key().map(str::to_owned)
                        },
                        failure: None,
                        token: is_token,
                    };
                    match result {
                        Ok(response) => {
                            record.status = Some(response.status);
                            operation.handle_response(&mut lock(shared), response, now_ms());
                        }
                        Err(failure) => {
                            record.failure = Some(failure_name(&failure.kind));
                            operation.handle_failure(&mut lock(shared), failure, now_ms());
                        }
                    }
                    attempts.push(record);
                    if let Some(sink) = events.filter(|_| !is_token)
                        && let Some(report) = operation.last_attempt()
                    {
                        sink(event_of(call_id, report, true));
                    }
                    if is_token {
                        shared.token_ready.notify_waiters();
                    }
                }
                Step::Sleep { ms } => {
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await
                }
                Step::AwaitToken { max_wait_ms } => {
                    let wait = std::time::Duration::from_millis(max_wait_ms);
                    let _ = tokio::time::timeout(wait, token_ready).await;
                }
                Step::Done(result) => return Finished { result, attempts },
            }
        }
    }
}

fn failure_name(kind: &connectpsp_core::http::FailureKind) -> &'static str {
    use connectpsp_core::http::FailureKind;
    match kind {
        FailureKind::Connect => "connect",
        FailureKind::Timeout => "timeout",
        FailureKind::Io => "io",
    }
}

/// The core's report of an attempt as a hook event: before sending (`response` false) or once
/// its fate is known.
fn event_of(call_id: u64, report: &AttemptReport, response: bool) -> AttemptEvent {
    AttemptEvent {
        response,
        call_id,
        method: report.method.as_str(),
        path: report.path_template,
        attempt: report.attempt,
        idempotency_key: report.idempotency_key.clone(),
        status: report.status,
        failure: report.failure.as_ref().map(failure_name),
        elapsed_ms: report.elapsed_ms as f64,
        request_id: report.request_id.clone(),
        will_retry: report.will_retry,
        outcome_unknown: report.outcome_unknown,
    }
}

fn path_of(url: &str, base_url: &str) -> String {
    let path = url.strip_prefix(base_url).unwrap_or(url);
    path.split(['?', '#']).next().unwrap_or(path).to_owned()
}
