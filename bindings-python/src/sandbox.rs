//! `NativeSandbox`: the sandbox crate run in-process (its own thread and runtime), for
//! `connectpsp.testing.Sandbox`. Its control API is plain HTTP, called from Python.

use std::sync::{Mutex, PoisonError};

use connectpsp_sandbox::{SandboxConfig, SandboxHandle};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use serde_json::Value;

use crate::runtime;

#[pyclass(frozen, module = "connectpsp._native")]
pub struct NativeSandbox {
    handle: Mutex<Option<SandboxHandle>>,
    /// The process that runs the server. A forked child (multiprocessing, a test that forks)
    /// inherits this object but not the server thread: it must neither stop nor join it.
    owner_pid: u32,
    base_url: String,
    /// (client_id, client_secret, application_token, crypto_token): sandbox credentials, meant
    /// for tests; the Python `Credentials` object masks the secrets in its repr.
    credentials: (String, String, String, String),
}

fn settings(json: &str) -> PyResult<SandboxConfig> {
    let value: Value = serde_json::from_str(json)
        .map_err(|e| PyValueError::new_err(format!("sandbox settings: {e}")))?;
    let mut config = SandboxConfig::default();
    let number = |name: &str| value.get(name).and_then(Value::as_u64);
    let text = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    if let Some(port) = number("port") {
        config.port = u16::try_from(port)
            .map_err(|_| PyValueError::new_err("sandbox settings: port must be at most 65535"))?;
    }
    if let Some(ttl) = number("token_ttl_secs") {
        config.token_ttl_secs = ttl;
    }
    if let Some(delay) = number("settle_delay_ms") {
        config.settle_delay_ms = delay;
    }
    if let Some(auto) = value.get("auto_settle").and_then(Value::as_bool) {
        config.auto_settle = auto;
    }
    if let Some(seed) = number("seed") {
        config.seed = Some(seed);
    }
    if let Some(attempts) = number("webhook_max_attempts") {
        config.webhook_max_attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
    }
    if let Some(ms) = number("webhook_retry_base_ms") {
        config.webhook_retry_base_ms = ms;
    }
    if let Some(ms) = number("webhook_timeout_ms") {
        config.webhook_timeout_ms = ms;
    }
    if let Some(hosts) = value.get("allowed_hosts").and_then(Value::as_array) {
        config.allowed_hosts = hosts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    }
    for (name, slot) in [
        ("client_id", &mut config.client_id),
        ("client_secret", &mut config.client_secret),
        ("application_token", &mut config.application_token),
        ("crypto_token", &mut config.crypto_token),
    ] {
        if let Some(v) = text(name) {
            *slot = v;
        }
    }
    Ok(config)
}

#[pymethods]
impl NativeSandbox {
    /// Starts a sandbox on a free loopback port (blocks until it listens).
    #[new]
    fn new(py: Python<'_>, settings_json: &str) -> PyResult<Self> {
        let config = settings(settings_json)?;
        let handle = py
            .detach(|| SandboxHandle::spawn(config))
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the sandbox: {e}")))?;
        let base_url = handle.base_url().to_string();
        let c = handle.credentials();
        let credentials = (
            c.client_id.clone(),
            c.client_secret.clone(),
            c.application_token.clone(),
            c.crypto_token.clone(),
        );
        Ok(NativeSandbox {
            handle: Mutex::new(Some(handle)),
            owner_pid: runtime::pid(),
            base_url,
            credentials,
        })
    }

    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// (client_id, client_secret, application_token, crypto_token)
    #[getter]
    fn credentials(&self) -> (String, String, String, String) {
        self.credentials.clone()
    }

    /// Stops the server and waits for it (idempotent; a no-op in a forked child).
    fn stop(&self, py: Python<'_>) {
        let handle = self
            .handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            if self.owner_pid == runtime::pid() {
                py.detach(move || handle.stop());
            } else {
                std::mem::forget(handle);
            }
        }
    }

    #[getter]
    fn running(&self) -> bool {
        // In a forked child this is the parent's server, still reachable.
        self.handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    fn __repr__(&self) -> String {
        format!("NativeSandbox(base_url={:?})", self.base_url)
    }
}

impl Drop for NativeSandbox {
    fn drop(&mut self) {
        if self.owner_pid != runtime::pid() {
            let handle = self
                .handle
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            std::mem::forget(handle);
        }
    }
}
