//! The loop of contract §2: drives one core `Operation` to its end. The core decides every
//! request, wait and retry; this only performs them (reqwest, tokio timers) and wakes the
//! operations waiting for a token after every token exchange.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use connectpsp_core::bridge::{self, Codec};
use connectpsp_core::call::PreparedCall;
use connectpsp_core::config::Config;
use connectpsp_core::http::Purpose;
use connectpsp_core::operation::{Operation, Session, Step};
use tokio::sync::Notify;

use crate::transport;

/// What one client shares between all its operations (and threads, and tasks).
pub struct Shared {
    pub config: Config,
    /// Locked only around `poll`/`handle_*`, never across I/O.
    pub session: Mutex<Session>,
}

/// Per process (see `client.rs`): a pool and the token wake-up never cross a fork.
pub struct Transport {
    pub http: reqwest::Client,
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

/// The end of an operation: the core's outcome JSON or error JSON, and the attempts made.
pub struct Finished {
    pub result: Result<String, String>,
    pub attempts: Vec<AttemptRecord>,
}

pub fn now_ms() -> u64 {
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
        let fallback = now_ms() ^ (bytes.as_ptr() as u64) ^ u64::from(std::process::id());
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (fallback.rotate_left((i % 8) as u32 * 8) & 0xff) as u8 ^ i as u8;
        }
    }
    bytes
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Session> {
    shared
        .session
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// An operation in progress. Dropped before it finished (Ctrl-C, a cancelled asyncio task),
/// it gives the token lease back, or the other operations would wait for the lease to expire.
struct Running<'a> {
    shared: &'a Shared,
    transport: &'a Transport,
    operation: Operation,
    finished: bool,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.operation.release(&mut lock(self.shared));
            self.transport.token_ready.notify_waiters();
        }
    }
}

/// Runs `call` to completion.
pub async fn drive(shared: Arc<Shared>, transport: Arc<Transport>, call: PreparedCall) -> Finished {
    let operation = {
        let session = lock(&shared);
        Operation::new(call, &session, entropy(), now_ms())
    };
    let mut running = Running {
        shared: &shared,
        transport: &transport,
        operation,
        finished: false,
    };
    let finished = running.run().await;
    running.finished = true;
    finished
}

impl Running<'_> {
    async fn run(&mut self) -> Finished {
        let (shared, transport) = (self.shared, self.transport);
        let operation = &mut self.operation;
        let mut attempts = Vec::new();
        loop {
            // Registered before polling, so a token answer handled between our poll and our wait
            // still wakes us.
            let token_ready = transport.token_ready.notified();
            tokio::pin!(token_ready);
            token_ready.as_mut().enable();

            let step = operation.poll(&mut lock(shared), now_ms());
            match step {
                Step::Send(request) => {
                    let started = Instant::now();
                    let result = transport::perform(&transport.http, &request).await;
                    // Token exchanges and API attempts are numbered apart; the key belongs to the
                    // API request only.
                    let is_token = request.purpose == Purpose::Token;
                    let same_kind = attempts
                        .iter()
                        .filter(|a: &&AttemptRecord| a.token == is_token)
                        .count();
                    let mut record = AttemptRecord {
                        method: request.method.as_str(),
                        path: path_of(&request.url, shared.config.base_url()),
                        status: None,
                        elapsed_ms: started.elapsed().as_millis() as u64,
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
                    if is_token {
                        transport.token_ready.notify_waiters();
                    }
                }
                Step::Sleep { ms } => {
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await
                }
                Step::AwaitToken { max_wait_ms } => {
                    let wait = std::time::Duration::from_millis(max_wait_ms);
                    let _ = tokio::time::timeout(wait, token_ready).await;
                }
                Step::Done(result) => {
                    let result = match result {
                        Ok(outcome) => Ok(bridge::outcome_to_json(&outcome, Codec::PYTHON)),
                        Err(error) => Err(bridge::error_to_json(&error, Codec::PYTHON)),
                    };
                    return Finished { result, attempts };
                }
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

fn path_of(url: &str, base_url: &str) -> String {
    let path = url.strip_prefix(base_url).unwrap_or(url);
    path.split(['?', '#']).next().unwrap_or(path).to_owned()
}
