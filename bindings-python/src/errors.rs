//! Turns the core's error JSON (`bridge::error_to_json`) into the Python exception class it
//! names. The classes live in `connectpsp/_errors.py`; this only instantiates them.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

use crate::driver::AttemptRecord;

/// Builds the exception for `error_json`, with the HTTP attempts attached (as `_attempts`, which
/// the Python layer logs and removes; absent when nothing was sent).
pub fn to_pyerr(py: Python<'_>, error_json: &str, attempts: &[AttemptRecord]) -> PyErr {
    match build(py, error_json, attempts) {
        Ok(error) => error,
        Err(error) => error,
    }
}

fn build(py: Python<'_>, error_json: &str, attempts: &[AttemptRecord]) -> PyResult<PyErr> {
    let fields: Value = serde_json::from_str(error_json)
        .map_err(|_| PyRuntimeError::new_err("connectpsp: unreadable error from the core"))?;
    let text = |name: &str| {
        field(&fields, name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let classes = py.import("connectpsp._errors")?.getattr("CLASSES")?;
    let class_name = text("class").unwrap_or_else(|| "ConnectPSPError".to_owned());
    let class = match classes.get_item(&class_name) {
        Ok(class) => class,
        Err(_) => classes.get_item("ConnectPSPError")?,
    };
    let kwargs = PyDict::new(py);
    kwargs.set_item("kind", text("kind").unwrap_or_default())?;
    kwargs.set_item("status", field(&fields, "status").and_then(Value::as_u64))?;
    for (python, core) in [
        ("code", "code"),
        ("title", "title"),
        ("detail", "detail"),
        ("field", "field"),
        ("idempotency_key", "idempotencyKey"),
        ("request_id", "requestId"),
    ] {
        kwargs.set_item(python, text(core))?;
    }
    kwargs.set_item(
        "outcome_unknown",
        field(&fields, "outcomeUnknown")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    )?;
    kwargs.set_item(
        "retry_after",
        field(&fields, "retryAfterMs")
            .and_then(Value::as_u64)
            .map(|ms| ms as f64 / 1000.0),
    )?;
    kwargs.set_item(
        "attempts",
        field(&fields, "attempts")
            .and_then(Value::as_u64)
            .unwrap_or(attempts.len() as u64),
    )?;
    let message = text("message").unwrap_or_default();
    let instance = class.call((message,), Some(&kwargs))?;
    if !attempts.is_empty() {
        instance.setattr("_attempts", attempts_to_py(py, attempts)?)?;
    }
    Ok(PyErr::from_value(instance))
}

/// Reads `name` (camelCase, as the contract writes it) or its snake_case twin.
fn field<'a>(fields: &'a Value, camel: &str) -> Option<&'a Value> {
    if let Some(value) = fields.get(camel).filter(|v| !v.is_null()) {
        return Some(value);
    }
    let mut snake = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    fields.get(&snake).filter(|v| !v.is_null())
}

/// The attempt log as a list of tuples (see `_transport.Attempt`).
pub fn attempts_to_py<'py>(
    py: Python<'py>,
    attempts: &[AttemptRecord],
) -> PyResult<Bound<'py, PyList>> {
    let items = attempts
        .iter()
        .map(|a| {
            (
                a.method,
                a.path.as_str(),
                a.status,
                a.elapsed_ms,
                a.attempt,
                a.idempotency_key.as_deref(),
                a.failure,
            )
        })
        .collect::<Vec<_>>();
    PyList::new(py, items)
}
