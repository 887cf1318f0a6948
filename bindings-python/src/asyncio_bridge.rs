//! Runs a tokio future for an asyncio caller: the asyncio side gets a plain `asyncio.Future`.
//!
//! Why not `pyo3_async_runtimes::tokio::future_into_py`: it crashed the interpreter at exit in
//! about a quarter of runs here (a runtime thread still inside `call_soon_threadsafe` while
//! the main thread finalises; shared/research/toolchain-probe.md §Verdict 1). This bridge keeps
//! an in-flight count and an `atexit` hook (`drain`) that aborts what is still running and
//! waits, with the GIL released, until no runtime thread can touch Python any more.
//!
//! Cancelling the asyncio future (task.cancel(), asyncio.wait_for timing out) aborts the tokio
//! task, which drops the HTTP request.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use tokio::runtime::Runtime;
use tokio::task::AbortHandle;

use crate::runtime;

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// The tasks of this process that may still call into Python.
struct Tasks {
    /// A forked child inherits the parent's table but none of its tasks: keyed by process.
    pid: u32,
    in_flight: usize,
    /// Abort handles, so `_drain` can stop them at exit.
    running: HashMap<u64, AbortHandle>,
}

static TASKS: Mutex<Option<Tasks>> = Mutex::new(None);

fn with_tasks<R>(f: impl FnOnce(&mut Tasks) -> R) -> R {
    let mut slot = TASKS.lock().unwrap_or_else(PoisonError::into_inner);
    f(this_process(&mut slot))
}

fn this_process(slot: &mut Option<Tasks>) -> &mut Tasks {
    let pid = runtime::pid();
    if slot.as_ref().is_some_and(|tasks| tasks.pid != pid) {
        // The parent's handles point into its runtime: never abort or drop them here.
        std::mem::forget(slot.take());
    }
    slot.get_or_insert_with(|| Tasks {
        pid,
        in_flight: 0,
        running: HashMap::new(),
    })
}

/// Counts a task out however it ends (completed or aborted).
struct InFlight(u64);

impl Drop for InFlight {
    fn drop(&mut self) {
        with_tasks(|tasks| {
            tasks.running.remove(&self.0);
            tasks.in_flight = tasks.in_flight.saturating_sub(1);
        });
    }
}

/// The `atexit` hook: stop every task and wait (GIL released) until none can call into
/// Python. Bounded, so a wedged task cannot hang the exit.
#[pyfunction]
pub fn _drain(py: Python<'_>) {
    let handles: Vec<AbortHandle> = with_tasks(|tasks| tasks.running.values().cloned().collect());
    for handle in handles {
        handle.abort();
    }
    py.detach(|| {
        let deadline = Instant::now() + Duration::from_secs(5);
        while with_tasks(|tasks| tasks.in_flight) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// Runs on the event loop thread (scheduled with `call_soon_threadsafe`); a future that was
/// cancelled meanwhile is left alone.
#[pyfunction]
fn _complete(future: &Bound<'_, PyAny>, ok: bool, value: &Bound<'_, PyAny>) -> PyResult<()> {
    if future.call_method0("done")?.extract::<bool>()? {
        return Ok(());
    }
    future.call_method1(if ok { "set_result" } else { "set_exception" }, (value,))?;
    Ok(())
}

/// The done-callback of the asyncio future: aborts the tokio task when the future was
/// cancelled (and is a no-op after a normal completion).
#[pyclass(frozen)]
struct AbortOnCancel {
    task: AbortHandle,
    /// A forked child may cancel a future it inherited; the task lives in the parent's runtime.
    pid: u32,
}

#[pymethods]
impl AbortOnCancel {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if self.pid == runtime::pid() && future.call_method0("cancelled")?.extract::<bool>()? {
            self.task.abort();
        }
        Ok(())
    }
}

/// Spawns `work` on `runtime` and returns an asyncio future of the running loop that
/// resolves with `convert`'s value (or raises its error).
pub fn spawn<'py, T, W, C>(
    py: Python<'py>,
    runtime: &Runtime,
    work: W,
    convert: C,
) -> PyResult<Bound<'py, PyAny>>
where
    T: Send + 'static,
    W: Future<Output = T> + Send + 'static,
    C: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let future = event_loop.call_method0("create_future")?;
    let loop_ref = event_loop.unbind();
    let future_ref = future.clone().unbind();

    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let guard = InFlight(id);
    // Count, spawn and register under the lock: the task's guard removes its entry under the
    // same lock, so it can never run before the entry exists.
    let mut slot = TASKS.lock().unwrap_or_else(PoisonError::into_inner);
    let task = runtime.spawn(async move {
        let _guard = guard;
        let output = work.await;
        Python::attach(move |py| {
            let (ok, value) = match convert(py, output) {
                Ok(value) => (true, value.into_bound(py)),
                Err(error) => (false, error.into_value(py).into_bound(py).into_any()),
            };
            let scheduled = wrap_pyfunction!(_complete, py).and_then(|complete| {
                loop_ref.bind(py).call_method1(
                    "call_soon_threadsafe",
                    (complete, future_ref.bind(py), ok, value),
                )
            });
            if let Err(error) = scheduled {
                // The loop was closed before the answer came: nobody is waiting any more.
                if !error.is_instance_of::<pyo3::exceptions::PyRuntimeError>(py) {
                    error.write_unraisable(py, None);
                }
            }
            // Drop the Python references while attached.
            drop((loop_ref, future_ref));
        });
        // `_guard` drops here, after the last touch of Python.
    });
    let abort = task.abort_handle();
    let tasks = this_process(&mut slot);
    tasks.in_flight += 1;
    tasks.running.insert(id, abort.clone());
    drop(slot);
    let on_cancel = AbortOnCancel {
        task: abort,
        pid: runtime::pid(),
    };
    future.call_method1("add_done_callback", (on_cancel,))?;
    Ok(future)
}
