//! `NativeClient`: what a `connectpsp.Client` / `AsyncClient` holds. One core session (token)
//! shared by every thread and task of a process, one connection pool per process; and
//! `NativeCall`, one prepared call, which knows its idempotency key before it runs so a caller
//! that gives up can still be told the key.

use std::path::PathBuf;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use connectpsp_core::Error;
use connectpsp_core::bridge::{self, Codec};
use connectpsp_core::config::Config;
use connectpsp_core::operation::{CallOptions, Operation, Session};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::driver::{self, AttemptEvent, EventSink, Finished, SendGate, Shared};
use crate::errors::{attempts_to_py, to_pyerr};
use crate::toolkit::CryptoTokens;
use crate::transport::Network;
use crate::{asyncio_bridge, results, runtime, transport};

/// How often a blocked sync call comes back to check for Ctrl-C.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(50);

/// The client's state in one process.
struct ProcessState {
    pid: u32,
    shared: Arc<Shared>,
    /// `None` after `close()`: the next call opens a new pool.
    http: Option<reqwest::Client>,
}

#[pyclass(frozen, module = "connectpsp._native")]
pub struct NativeClient {
    config: Config,
    /// Proxy, CA roots, whether the environment's proxies apply (checked at construction).
    network: Network,
    /// Locked only with the GIL held, so never held by another thread at an `os.fork()` (the
    /// forking thread holds the GIL). A forked child leaks the inherited state and starts its
    /// own: the session lock may be held by a runtime thread that does not exist in the child
    /// (a deadlock), its pool's sockets and tasks belong to the parent's runtime.
    state: Mutex<Option<ProcessState>>,
}

impl NativeClient {
    fn process_state(&self) -> PyResult<(Arc<Shared>, reqwest::Client)> {
        let pid = runtime::pid();
        let mut slot = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_some_and(|state| state.pid != pid) {
            std::mem::forget(slot.take());
        }
        let build_pool = || build_pool(&self.config, &self.network);
        let state = match slot.as_mut() {
            Some(state) => state,
            None => slot.insert(ProcessState {
                pid,
                shared: new_shared(&self.config),
                http: None,
            }),
        };
        let http = match &state.http {
            Some(http) => http.clone(),
            None => state.http.insert(build_pool()?).clone(),
        };
        Ok((state.shared.clone(), http))
    }
}

fn new_shared(config: &Config) -> Arc<Shared> {
    Arc::new(Shared {
        config: config.clone(),
        session: Mutex::new(Session::new(config.clone())),
        token_ready: Notify::new(),
    })
}

fn build_pool(config: &Config, network: &Network) -> PyResult<reqwest::Client> {
    transport::build_client(config, network).map_err(|e| {
        // reqwest's text names no URL or credential (the proxy URL is not part of it).
        PyRuntimeError::new_err(format!(
            "connectpsp: cannot build the HTTP client: {}",
            e.without_url()
        ))
    })
}

fn lock_session(shared: &Shared) -> std::sync::MutexGuard<'_, Session> {
    shared
        .session
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

fn runtime_or_err() -> PyResult<Arc<tokio::runtime::Runtime>> {
    runtime::get().map_err(|e| {
        PyRuntimeError::new_err(format!("connectpsp: cannot start the I/O runtime: {e}"))
    })
}

/// `(result object, attempts)`, or the call's exception (built on the caller's thread: the
/// GIL is needed to make Python objects).
fn finished_to_py(py: Python<'_>, finished: Finished) -> PyResult<Py<PyAny>> {
    match finished.result {
        Ok(outcome) => {
            let result = results::outcome_to_py(py, &outcome)?;
            let attempts = attempts_to_py(py, &finished.attempts)?;
            Ok((result, attempts).into_pyobject(py)?.into_any().unbind())
        }
        Err(error) => Err(to_pyerr(py, &error, &finished.attempts)),
    }
}

#[pymethods]
impl NativeClient {
    /// `proxy`, `ca_bundle` and `trust_env` are checked here (a `ValidationError` naming the
    /// option, never quoting it) and the pool is built once, so a client that constructs can
    /// connect.
    #[new]
    #[pyo3(signature = (config_json, *, proxy=None, ca_bundle=None, trust_env=true))]
    fn new(
        py: Python<'_>,
        config_json: &str,
        proxy: Option<&str>,
        ca_bundle: Option<PathBuf>,
        trust_env: bool,
    ) -> PyResult<Self> {
        let invalid = |e: &Error| to_pyerr(py, e, &[]);
        let config = bridge::config_from_json(config_json).map_err(|e| invalid(&e))?;
        let network = Network::new(proxy, ca_bundle.as_deref(), trust_env)
            .map_err(|e| invalid(&Error::validation(e.field, e.message)))?;
        // The platform's roots (a few hundred files) and the environment's proxies are read
        // here, without the GIL, rather than in the first call; this process's pool keeps them.
        let http = py.detach(|| build_pool(&config, &network))?;
        Ok(NativeClient {
            state: Mutex::new(Some(ProcessState {
                pid: runtime::pid(),
                shared: new_shared(&config),
                http: Some(http),
            })),
            config,
            network,
        })
    }

    /// The validated base URL (no trailing slash).
    #[getter]
    fn base_url(&self) -> String {
        self.config.base_url().to_owned()
    }

    /// Parses and validates one API call (a `ValidationError` is raised here, before anything
    /// could be sent) and returns it ready to run, its idempotency key already chosen. The
    /// options override the client's timeout, deadline and retry budget for this call only.
    #[pyo3(signature = (method, params_json, timeout_ms=None, deadline_ms=None, max_retries=None))]
    fn prepare(
        &self,
        py: Python<'_>,
        method: &str,
        params_json: &str,
        timeout_ms: Option<u64>,
        deadline_ms: Option<u64>,
        max_retries: Option<u32>,
    ) -> PyResult<NativeCall> {
        let call = bridge::prepare_call(method, params_json, Codec::PYTHON)
            .map_err(|e| to_pyerr(py, &e, &[]))?;
        let (shared, http) = self.process_state()?;
        let options = CallOptions {
            timeout_ms,
            deadline_ms,
            max_retries,
        };
        let possibly_applied = call.is_possibly_applied();
        let operation = driver::operation(&shared, call, options);
        let key = operation.idempotency_key().map(str::to_owned);
        Ok(NativeCall {
            work: Mutex::new(Some((shared, http, operation))),
            key,
            possibly_applied,
            gate: Arc::new(SendGate::new()),
            task: Mutex::new(None),
        })
    }

    /// Verifies and parses a webhook with this client's webhook tokens (its crypto token, or
    /// the `webhook_crypto_tokens` list of a key rotation) and tolerance; `crypto_token` and
    /// `tolerance_ms` override them for this call. Returns the dict `WebhookEvent._from_json`
    /// reads.
    #[pyo3(signature = (payload, signature, crypto_token=None, tolerance_ms=None))]
    fn construct_event<'py>(
        &self,
        py: Python<'py>,
        payload: &[u8],
        signature: &str,
        crypto_token: Option<CryptoTokens>,
        tolerance_ms: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let overrides: Option<Vec<&str>> = crypto_token.as_ref().map(CryptoTokens::as_strs);
        let (tokens, freshness) = bridge::client_webhook_rules(
            &self.config,
            overrides.as_deref(),
            tolerance_ms,
            driver::wall_clock_ms,
        );
        let event = connectpsp_core::webhook::Verifier::new(&tokens)
            .with_freshness(freshness)
            .construct_event(payload, signature)
            .map_err(|e| to_pyerr(py, &e, &[]))?;
        results::event_to_py(py, &event)
    }

    // --- token store (connectpsp/_token_sync.py moves the entry; the core decides) ---------

    /// The key of this client's entry in a token store: base URL and client id hashed, never
    /// a secret.
    #[getter]
    fn token_store_key(&self) -> String {
        connectpsp_core::token_store::store_key(&self.config)
    }

    /// True when the next call would fetch (or wait for) a token: the moment to read the store.
    fn wants_token(&self) -> PyResult<bool> {
        let (shared, _) = self.process_state()?;
        Ok(lock_session(&shared).wants_token(driver::now_ms()))
    }

    /// `(value, ttl_ms, generation)` to write to the store when the session holds a valid
    /// token other than generation `saved`, else None. The value holds the access token.
    fn token_for_store(&self, saved: u64) -> PyResult<Option<(String, u64, u64)>> {
        let (shared, _) = self.process_state()?;
        let entry =
            lock_session(&shared).token_for_store(saved, driver::now_ms(), driver::wall_clock_ms());
        Ok(entry.map(|e| (e.value.expose().to_owned(), e.ttl_ms, e.generation)))
    }

    /// Adopts the token of a store value when the core accepts it (fresher than the current
    /// one, not the one last rejected): its generation, else None. ValueError when the value is
    /// not a token entry (the message never quotes it).
    fn adopt_from_store(&self, value: &str) -> PyResult<Option<u64>> {
        let (shared, _) = self.process_state()?;
        let adopted = lock_session(&shared)
            .adopt_from_store(value, driver::now_ms(), driver::wall_clock_ms())
            .map_err(|e| PyValueError::new_err(e.message))?;
        if adopted.is_some() {
            // Operations waiting for a token exchange can use this one.
            shared.token_ready.notify_waiters();
        }
        Ok(adopted)
    }

    /// Drops the idle connections of this process's pool; the next call opens new ones.
    fn close(&self) {
        let mut slot = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(state) = slot.as_mut()
            && state.pid == runtime::pid()
        {
            state.http = None;
        }
    }

    fn __repr__(&self) -> String {
        format!("NativeClient(base_url={:?})", self.config.base_url())
    }
}

impl Drop for NativeClient {
    fn drop(&mut self) {
        // In a forked child the pool still holds the parent's connections and runtime handles:
        // dropping them could deregister sockets the parent is using. Leak them instead.
        let slot = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if slot
            .as_ref()
            .is_some_and(|state| state.pid != runtime::pid())
        {
            std::mem::forget(slot.take());
        }
    }
}

type Work = (Arc<Shared>, reqwest::Client, Operation);

/// What the loop of a sync call sends to the waiting thread.
enum Message {
    Event(AttemptEvent),
    /// Boxed: the typed outcome is large, events are many and small.
    Done(Box<Finished>),
}

/// An attempt event as the tuple `connectpsp._events` reads.
pub fn event_to_py<'py>(py: Python<'py>, e: &AttemptEvent) -> PyResult<Bound<'py, PyAny>> {
    let head = (
        if e.response { "response" } else { "request" },
        e.call_id,
        e.method,
        e.path,
        e.attempt,
        e.idempotency_key.as_deref(),
    );
    let tail = (
        e.status,
        e.failure,
        e.elapsed_ms,
        e.request_id.as_deref(),
        e.will_retry,
        e.outcome_unknown,
    );
    Ok((head, tail).into_pyobject(py)?.into_any())
}

/// One prepared API call: run it once (`run` or `run_async`); `abandon` when the caller gives
/// up on it.
#[pyclass(frozen, module = "connectpsp._native")]
pub struct NativeCall {
    work: Mutex<Option<Work>>,
    key: Option<String>,
    /// The re-send of a call that may have been applied (`possibly_applied=True`): abandoning
    /// it leaves the outcome unknown even before it sends anything, as the core's
    /// `outcome_unknown_if_abandoned` says for the JS package.
    possibly_applied: bool,
    gate: Arc<SendGate>,
    /// The tokio task of `run_async`, and the process whose runtime runs it (a forked child
    /// must not abort into its parent's runtime).
    task: Mutex<Option<(AbortHandle, u32)>>,
}

impl NativeCall {
    fn take(
        &self,
        events: Option<EventSink>,
    ) -> PyResult<impl std::future::Future<Output = Finished> + Send + 'static> {
        let (shared, http, operation) = self
            .work
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("connectpsp: a prepared call runs only once"))?;
        Ok(driver::drive(
            shared,
            http,
            operation,
            self.gate.clone(),
            events,
        ))
    }
}

#[pymethods]
impl NativeCall {
    /// The `X-Idempotency-Key` every attempt of this call sends (None for calls without one).
    #[getter]
    fn idempotency_key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The caller gives up on the call. Returns whether its outcome is unknown: a request may
    /// have been sent (and so applied), or the call re-sends one that may have been. If none
    /// was sent, none will be. An async call's task is aborted (its HTTP request dropped): the
    /// asyncio task awaiting it was cancelled.
    fn abandon(&self) -> bool {
        let may_have_been_sent = self.gate.abandon();
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((task, pid)) = task
            && pid == runtime::pid()
        {
            task.abort();
        }
        may_have_been_sent || self.possibly_applied
    }

    /// What is left of the call's deadline, in milliseconds (0 once passed; 0 once it runs):
    /// the longest `AsyncClient` waits for its token store before the call starts. The
    /// deadline counts from `prepare`, so that wait is part of it.
    fn remaining_ms(&self) -> u64 {
        self.work
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(0, |(_, _, operation)| {
                operation.deadline_remaining_ms(driver::now_ms())
            })
    }

    /// Runs the call, blocking this thread only: the GIL is released while waiting, and
    /// Ctrl-C (any pending signal handler that raises) aborts the request. `on_event` (if
    /// given) is called on this thread with each attempt event (`events_to_py`).
    #[pyo3(signature = (on_event=None))]
    fn run(&self, py: Python<'_>, on_event: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        let (sender, receiver) = channel::<Message>();
        let events: Option<EventSink> = on_event.as_ref().map(|_| {
            let sender = Mutex::new(sender.clone());
            Arc::new(move |event| {
                let _ = sender
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .send(Message::Event(event));
            }) as EventSink
        });
        let work = self.take(events)?;
        let runtime = runtime_or_err()?;
        // Mutex: `detach` needs a `Sync` capture, which an mpsc receiver is not.
        let receiver = Mutex::new(receiver);
        let task = runtime.spawn(async move {
            let _ = sender.send(Message::Done(Box::new(work.await)));
        });
        loop {
            match py.detach(|| {
                receiver
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .recv_timeout(SIGNAL_CHECK_INTERVAL)
            }) {
                Ok(Message::Done(finished)) => return finished_to_py(py, *finished),
                Ok(Message::Event(event)) => {
                    if let Some(on_event) = &on_event {
                        // The hook layer (Python) logs and swallows a hook's exception; an error
                        // here is the dispatcher's own and must not end the call either.
                        if let Err(error) = on_event.call1(py, (event_to_py(py, &event)?,)) {
                            error.write_unraisable(py, None);
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(interrupt) = py.check_signals() {
                        task.abort();
                        return Err(interrupt);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(PyRuntimeError::new_err(
                        "connectpsp: the request task ended without an answer",
                    ));
                }
            }
        }
    }

    /// Runs the call for asyncio: returns a future of the running loop. `abandon` aborts the
    /// request (the Python layer calls it when the awaiting task is cancelled).
    #[pyo3(signature = (on_event=None))]
    fn run_async<'py>(
        &self,
        py: Python<'py>,
        on_event: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let events = match on_event {
            Some(on_event) => Some(asyncio_bridge::event_sink(py, on_event)?),
            None => None,
        };
        let work = self.take(events)?;
        let runtime = runtime_or_err()?;
        let (future, task) = asyncio_bridge::spawn(py, &runtime, work, finished_to_py)?;
        *self.task.lock().unwrap_or_else(PoisonError::into_inner) = Some((task, runtime::pid()));
        Ok(future)
    }
}
