//! The core's `Error` as the Python exception class it names. The classes live in
//! `connectpsp/_errors.py` (so users can subclass and pickle them); this fills in every
//! attribute straight from the typed value.

use connectpsp_core::bridge::naming::error_in_naming;
use connectpsp_core::config::Naming;
use connectpsp_core::error::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};

use crate::driver::AttemptRecord;

/// `connectpsp._errors.CLASSES`, looked up once per interpreter.
static CLASSES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Builds the exception for `error`, with the HTTP attempts attached (as `_attempts`, which
/// the Python layer logs and removes; absent when nothing was sent).
pub fn to_pyerr(py: Python<'_>, error: &Error, attempts: &[AttemptRecord]) -> PyErr {
    match build(py, error, attempts) {
        Ok(error) => error,
        Err(error) => error,
    }
}

fn build(py: Python<'_>, error: &Error, attempts: &[AttemptRecord]) -> PyResult<PyErr> {
    // Field paths (and the message that starts with one) in Python's snake_case.
    let error = error_in_naming(error.clone(), Naming::Snake);
    let classes = CLASSES
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("connectpsp._errors")?
                    .getattr("CLASSES")?
                    .unbind(),
            )
        })?
        .bind(py);
    let class = match classes.get_item(error.class_name()) {
        Ok(class) => class,
        Err(_) => classes.get_item("ConnectPSPError")?,
    };
    let kwargs = PyDict::new(py);
    kwargs.set_item("kind", error.kind.code())?;
    kwargs.set_item("status", error.status)?;
    kwargs.set_item("code", error.code.as_deref())?;
    kwargs.set_item("title", error.title.as_deref())?;
    kwargs.set_item("detail", error.detail.as_deref())?;
    kwargs.set_item("field", error.field.as_deref())?;
    kwargs.set_item("idempotency_key", error.idempotency_key.as_deref())?;
    kwargs.set_item("request_id", error.request_id.as_deref())?;
    kwargs.set_item("outcome_unknown", error.outcome_unknown)?;
    kwargs.set_item(
        "retry_after",
        error.retry_after_ms.map(|ms| ms as f64 / 1000.0),
    )?;
    kwargs.set_item("attempts", error.attempts)?;
    // `Display` adds what to do about an unknown outcome to the message.
    let instance = class.call((error.to_string(),), Some(&kwargs))?;
    if !attempts.is_empty() {
        instance.setattr("_attempts", attempts_to_py(py, attempts)?)?;
    }
    Ok(PyErr::from_value(instance))
}

/// The attempt log as a list of tuples (see `_attempt_log.Attempt`).
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
