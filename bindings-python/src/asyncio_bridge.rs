//! Runs a tokio future for an asyncio caller: the asyncio side gets a plain `asyncio.Future`.
//!
//! Why not `pyo3_async_runtimes::tokio::future_into_py`: it crashed the interpreter at exit in
//! about a quarter of runs here (a runtime thread still inside `call_soon_threadsafe` while
//! the main thread finalises; 0 crashes in 140 runs with this bridge). This bridge keeps
//! an in-flight count and an `atexit` hook (`drain`) that aborts what is still running and
//! waits, with the GIL released, until no runtime thread can touch Python any more.
//!
//! Cancelling the asyncio future (task.cancel(), asyncio.wait_for timing out) aborts the tokio
//! task, which drops the HTTP request.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
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

/// Builds a finished call's Python value, on the loop thread.
type Settle = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// One finished call waiting for the loop thread: its future and how to build its value.
struct Completion {
    future: Py<PyAny>,
    settle: Settle,
}

/// The calls of one event loop that finished and wait for the loop thread.
///
/// Scheduling every completion with its own `call_soon_threadsafe` costs a GIL acquisition on
/// a runtime thread, a self-pipe write and a loop wake-up per call; under load the runtime
/// threads then contend with the loop thread for the GIL. Here only the completion that finds
/// the queue empty schedules a drain; the loop thread settles the whole batch and builds the
/// Python values itself.
struct Completions {
    pending: Mutex<Vec<Completion>>,
}

/// What a runtime thread needs to schedule a drain: the loop and the drainer of its queue.
struct Scheduler {
    queue: Arc<Completions>,
    event_loop: Py<PyAny>,
    drainer: Py<PyAny>,
}

#[pyclass(frozen)]
struct Drainer(Arc<Completions>);

#[pymethods]
impl Drainer {
    fn __call__(&self, py: Python<'_>) {
        let batch = std::mem::take(
            &mut *self
                .0
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for completion in batch {
            // One future's failure must not strand the rest of the batch.
            if let Err(error) = settle(py, completion) {
                error.write_unraisable(py, None);
            }
        }
    }
}

fn settle(py: Python<'_>, completion: Completion) -> PyResult<()> {
    let future = completion.future.bind(py);
    // A future cancelled meanwhile is left alone (its task was aborted).
    if future.call_method0("done")?.extract::<bool>()? {
        return Ok(());
    }
    match (completion.settle)(py) {
        Ok(value) => future.call_method1("set_result", (value,))?,
        Err(error) => future.call_method1("set_exception", (error.into_value(py),))?,
    };
    Ok(())
}

thread_local! {
    /// The scheduler of the loop running on this thread (one loop per thread at a time; a new
    /// loop, e.g. the next `asyncio.run`, gets a new one).
    static SCHEDULER: std::cell::RefCell<Option<Arc<Scheduler>>> = const { std::cell::RefCell::new(None) };
}

fn scheduler_for(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Scheduler>> {
    SCHEDULER.with(|slot| {
        let mut slot = slot.borrow_mut();
        if let Some(scheduler) = slot.as_ref()
            && scheduler.event_loop.bind(py).is(event_loop)
        {
            return Ok(scheduler.clone());
        }
        let queue = Arc::new(Completions {
            pending: Mutex::new(Vec::new()),
        });
        let drainer = Py::new(py, Drainer(queue.clone()))?.into_any();
        let scheduler = Arc::new(Scheduler {
            queue,
            event_loop: event_loop.clone().unbind(),
            drainer,
        });
        *slot = Some(scheduler.clone());
        Ok(scheduler)
    })
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
    let scheduler = scheduler_for(py, &event_loop)?;
    let future = event_loop.call_method0("create_future")?;
    let future_ref = future.clone().unbind();

    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let guard = InFlight(id);
    let mut slot = TASKS.lock().unwrap_or_else(PoisonError::into_inner);
    let task = runtime.spawn(async move {
        let _guard = guard;
        let output = work.await;
        let completion = Completion {
            future: future_ref,
            settle: Box::new(move |py| convert(py, output)),
        };
        let first = {
            let mut pending = scheduler
                .queue
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            pending.push(completion);
            pending.len() == 1
        };
        if first {
            Python::attach(|py| {
                let scheduled = scheduler
                    .event_loop
                    .bind(py)
                    .call_method1("call_soon_threadsafe", (scheduler.drainer.bind(py),));
                if let Err(error) = scheduled
                    && !error.is_instance_of::<pyo3::exceptions::PyRuntimeError>(py)
                {
                    error.write_unraisable(py, None);
                }
                drop(scheduler);
            });
        } else {
            drop(scheduler);
        }
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
