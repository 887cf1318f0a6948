//! `NativeClient`: what a `connectpsp.Client` / `AsyncClient` holds. One core session (token,
//! config) shared by every thread and task; one connection pool per process.

use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use connectpsp_core::bridge::{self, Codec};
use connectpsp_core::config::Naming;
use connectpsp_core::operation::Session;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::sync::Notify;

use crate::driver::{self, Finished, Shared, Transport};
use crate::errors::{attempts_to_py, to_pyerr};
use crate::{asyncio_bridge, runtime, transport};

/// How often a blocked sync call comes back to check for Ctrl-C.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(50);

#[pyclass(frozen, module = "connectpsp._native")]
pub struct NativeClient {
    shared: Arc<Shared>,
    /// (pid, transport): rebuilt in a forked child, whose inherited pool and waiters belong to
    /// the parent's runtime.
    transport: Mutex<Option<(u32, Arc<Transport>)>>,
}

impl NativeClient {
    fn transport(&self) -> PyResult<Arc<Transport>> {
        let pid = runtime::pid();
        let mut slot = self
            .transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((owner, transport)) = slot.as_ref()
            && *owner == pid
        {
            return Ok(transport.clone());
        }
        if let Some(inherited) = slot.take() {
            // Its idle connections are the parent's sockets and its tasks ran on the parent's
            // runtime: never touch or drop it in the child.
            std::mem::forget(inherited);
        }
        let http = transport::build_client().map_err(|e| {
            PyRuntimeError::new_err(format!("connectpsp: cannot build the HTTP client: {e}"))
        })?;
        let fresh = Arc::new(Transport {
            http,
            token_ready: Notify::new(),
        });
        *slot = Some((pid, fresh.clone()));
        Ok(fresh)
    }

    fn runtime(&self) -> PyResult<Arc<tokio::runtime::Runtime>> {
        runtime::get().map_err(|e| {
            PyRuntimeError::new_err(format!("connectpsp: cannot start the I/O runtime: {e}"))
        })
    }

    /// Parses the call (validation errors are raised here, before anything is spawned) and
    /// returns the future that drives it.
    fn prepare(
        &self,
        py: Python<'_>,
        method: &str,
        params_json: &str,
    ) -> PyResult<impl std::future::Future<Output = Finished> + Send + 'static> {
        let call = bridge::prepare_call(method, params_json, Codec::PYTHON)
            .map_err(|e| to_pyerr(py, &bridge::error_to_json(&e, Codec::PYTHON), &[]))?;
        let shared = self.shared.clone();
        let transport = self.transport()?;
        Ok(driver::drive(shared, transport, call))
    }
}

fn finished_to_py(py: Python<'_>, finished: Finished) -> PyResult<Py<PyAny>> {
    match finished.result {
        Ok(outcome) => {
            let attempts = attempts_to_py(py, &finished.attempts)?;
            Ok((outcome, attempts).into_pyobject(py)?.into_any().unbind())
        }
        Err(error) => Err(to_pyerr(py, &error, &finished.attempts)),
    }
}

#[pymethods]
impl NativeClient {
    #[new]
    fn new(py: Python<'_>, config_json: &str) -> PyResult<Self> {
        let config = bridge::config_from_json(config_json).map_err(|e| {
            to_pyerr(
                py,
                &bridge::error_to_json_with_naming(&e, Naming::Snake),
                &[],
            )
        })?;
        let session = Session::new(config.clone());
        Ok(NativeClient {
            shared: Arc::new(Shared {
                config,
                session: Mutex::new(session),
            }),
            transport: Mutex::new(None),
        })
    }

    /// The validated base URL (no trailing slash).
    #[getter]
    fn base_url(&self) -> String {
        self.shared.config.base_url().to_owned()
    }

    /// Runs one API call, blocking this thread only: the GIL is released while waiting, and
    /// Ctrl-C (any pending signal handler that raises) aborts the request.
    fn call(&self, py: Python<'_>, method: &str, params_json: &str) -> PyResult<Py<PyAny>> {
        let work = self.prepare(py, method, params_json)?;
        let runtime = self.runtime()?;
        let (sender, receiver) = sync_channel(1);
        // Mutex: `detach` needs a `Sync` capture, which an mpsc receiver is not.
        let receiver = Mutex::new(receiver);
        let task = runtime.spawn(async move {
            let _ = sender.send(work.await);
        });
        loop {
            match py.detach(|| {
                receiver
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .recv_timeout(SIGNAL_CHECK_INTERVAL)
            }) {
                Ok(finished) => return finished_to_py(py, finished),
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

    /// Runs one API call for asyncio: returns a future of the running loop.
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        params_json: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let work = self.prepare(py, method, params_json)?;
        let runtime = self.runtime()?;
        asyncio_bridge::spawn(py, &runtime, work, finished_to_py)
    }

    /// Verifies and parses a webhook with this client's crypto token.
    fn construct_event(&self, py: Python<'_>, payload: &[u8], signature: &str) -> PyResult<String> {
        let config = &self.shared.config;
        bridge::webhook_construct_event(
            payload,
            signature,
            config.crypto_token.expose(),
            Codec::PYTHON,
        )
        .map_err(|e| to_pyerr(py, &bridge::error_to_json(&e, Codec::PYTHON), &[]))
    }

    /// Drops the idle connections of this process's pool; the next call opens new ones.
    fn close(&self) {
        let mut slot = self
            .transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((owner, _)) = slot.as_ref()
            && *owner == runtime::pid()
        {
            *slot = None;
        }
    }

    fn __repr__(&self) -> String {
        format!("NativeClient(base_url={:?})", self.shared.config.base_url())
    }
}

impl Drop for NativeClient {
    fn drop(&mut self) {
        // In a forked child the pool still holds the parent's connections and runtime handles:
        // dropping them could deregister sockets the parent is using. Leak them instead.
        let slot = self
            .transport
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if slot
            .as_ref()
            .is_some_and(|(owner, _)| *owner != runtime::pid())
        {
            std::mem::forget(slot.take());
        }
    }
}
