//! Runs a tokio future for an asyncio caller: the asyncio side gets a plain `asyncio.Future`.
//!
//! Why not `pyo3_async_runtimes::tokio::future_into_py`: it crashed the interpreter at exit in
//! about a quarter of runs here (a runtime thread still inside `call_soon_threadsafe` while
//! the main thread finalises; 0 crashes in 140 runs with this bridge). This bridge keeps
//! an in-flight count and an `atexit` hook (`drain`) that aborts what is still running and
//! waits, with the GIL released, until no runtime thread can touch Python any more.
//!
//! Cancelling the awaiting asyncio task (task.cancel(), asyncio.wait_for timing out) aborts the
//! tokio task (through `NativeCall::abandon`), which drops the HTTP request.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use tokio::runtime::Runtime;
use tokio::task::AbortHandle;

use crate::client::event_to_py;
use crate::driver::{AttemptEvent, EventSink};
use crate::runtime;

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// `asyncio.get_running_loop`, looked up once (an import per call goes through `__import__`).
static GET_RUNNING_LOOP: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();

fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    GET_RUNNING_LOOP
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
        })?
        .bind(py)
        .call0()
}

/// The tasks of this process that may still call into Python.
struct Tasks {
    /// A forked child inherits the parent's table but none of its tasks: keyed by process.
    pid: u32,
    in_flight: usize,
    /// Abort handles, so `_drain` can stop them at exit.
    running: HashMap<u64, AbortHandle>,
}

/// The task table's lock, behind a pointer a forked child replaces (`renew_after_fork`):
/// runtime threads take the lock without the GIL, so the child's copy may be locked by a
/// thread the child does not have. Holding it across the fork instead would deadlock: Python
/// threads take it with the GIL held, and fork hooks written in Python let them run.
static TASKS: AtomicPtr<Mutex<Option<Tasks>>> = AtomicPtr::new(std::ptr::null_mut());

fn tasks_lock() -> &'static Mutex<Option<Tasks>> {
    let current = TASKS.load(Ordering::Acquire);
    if !current.is_null() {
        // SAFETY: only ever set to a leaked `Box`, never freed.
        return unsafe { &*current };
    }
    let fresh = Box::into_raw(Box::new(Mutex::new(None)));
    match TASKS.compare_exchange(
        std::ptr::null_mut(),
        fresh,
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        // SAFETY: as above; `fresh` is now the table.
        Ok(_) => unsafe { &*fresh },
        Err(winner) => {
            // SAFETY: `fresh` was never shared; `winner` is a leaked `Box`.
            drop(unsafe { Box::from_raw(fresh) });
            unsafe { &*winner }
        }
    }
}

/// In a forked child (the only thread there): a new, unlocked, empty task table. The
/// inherited one is leaked: its handles point into the parent's runtime.
pub(crate) fn renew_after_fork() {
    let fresh = Box::into_raw(Box::new(Mutex::new(None)));
    TASKS.store(fresh, Ordering::Release);
}

fn with_tasks<R>(f: impl FnOnce(&mut Tasks) -> R) -> R {
    let mut slot = tasks_lock().lock().unwrap_or_else(PoisonError::into_inner);
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

/// Builds a finished call's Python value, on the loop thread.
type Settle = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// Work for the loop thread: settle a finished call's future, or hand an event to its hooks.
type Job = Box<dyn FnOnce(Python<'_>) -> PyResult<()> + Send>;

/// The jobs of one event loop that wait for the loop thread.
///
/// Scheduling every completion with its own `call_soon_threadsafe` costs a GIL acquisition on
/// a runtime thread, a self-pipe write and a loop wake-up per call; under load the runtime
/// threads then contend with the loop thread for the GIL. Here only the job that finds the
/// queue empty schedules a drain; the loop thread runs the whole batch and builds the Python
/// values itself.
struct Completions {
    pending: Mutex<Vec<Job>>,
}

/// What a runtime thread needs to schedule a drain: the loop and the drainer of its queue.
struct Scheduler {
    /// A forked child inherits the thread-local scheduler of a running loop; its queue's lock
    /// may be held by a runtime thread of the parent, so the child builds its own.
    pid: u32,
    queue: Arc<Completions>,
    event_loop: Py<PyAny>,
    drainer: Py<PyAny>,
}

impl Scheduler {
    /// Queues `job` for the loop thread (from a runtime thread, without the GIL).
    fn push(&self, job: Job) {
        let first = {
            let mut pending = self
                .queue
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            pending.push(job);
            pending.len() == 1
        };
        if first {
            Python::attach(|py| {
                let scheduled = self
                    .event_loop
                    .bind(py)
                    .call_method1("call_soon_threadsafe", (self.drainer.bind(py),));
                if let Err(error) = scheduled
                    && !error.is_instance_of::<pyo3::exceptions::PyRuntimeError>(py)
                {
                    error.write_unraisable(py, None);
                }
            });
        }
    }
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
        for job in batch {
            // One job's failure must not strand the rest of the batch.
            if let Err(error) = job(py) {
                error.write_unraisable(py, None);
            }
        }
    }
}

fn settle(py: Python<'_>, future: Py<PyAny>, settle: Settle) -> PyResult<()> {
    let future = future.bind(py);
    // A future cancelled meanwhile is left alone (its task was aborted).
    if future.call_method0("done")?.extract::<bool>()? {
        return Ok(());
    }
    match settle(py) {
        Ok(value) => future.call_method1("set_result", (value,))?,
        Err(error) => future.call_method1("set_exception", (error.into_value(py),))?,
    };
    Ok(())
}

/// The attempt events of a call, delivered on the thread of the running loop to `on_event`.
pub fn event_sink(py: Python<'_>, on_event: Py<PyAny>) -> PyResult<EventSink> {
    let event_loop = running_loop(py)?;
    let scheduler = scheduler_for(py, &event_loop)?;
    let on_event = Arc::new(on_event);
    Ok(Arc::new(move |event: AttemptEvent| {
        let on_event = on_event.clone();
        scheduler.push(Box::new(move |py| {
            on_event.call1(py, (event_to_py(py, &event)?,))?;
            Ok(())
        }));
    }))
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
            && scheduler.pid == runtime::pid()
            && scheduler.event_loop.bind(py).is(event_loop)
        {
            return Ok(scheduler.clone());
        }
        let queue = Arc::new(Completions {
            pending: Mutex::new(Vec::new()),
        });
        let drainer = Py::new(py, Drainer(queue.clone()))?.into_any();
        if let Some(inherited) = slot.take()
            && inherited.pid != runtime::pid()
        {
            std::mem::forget(inherited);
        }
        let scheduler = Arc::new(Scheduler {
            pid: runtime::pid(),
            queue,
            event_loop: event_loop.clone().unbind(),
            drainer,
        });
        *slot = Some(scheduler.clone());
        Ok(scheduler)
    })
}

/// Spawns `work` on `runtime` and returns an asyncio future of the running loop that
/// resolves with `convert`'s value (or raises its error), and the task's abort handle.
///
/// Cancelling the future does not stop the task by itself: the caller aborts it when the
/// awaiting task is cancelled (`NativeCall::abandon`, which the Python layer calls for every
/// call that ends without its result). A done-callback on every future would cost a Python
/// object and one more loop callback per call.
pub fn spawn<'py, T, W, C>(
    py: Python<'py>,
    runtime: &Runtime,
    work: W,
    convert: C,
) -> PyResult<(Bound<'py, PyAny>, AbortHandle)>
where
    T: Send + 'static,
    W: Future<Output = T> + Send + 'static,
    C: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    let event_loop = running_loop(py)?;
    let scheduler = scheduler_for(py, &event_loop)?;
    let future = event_loop.call_method0("create_future")?;
    let future_ref = future.clone().unbind();

    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let guard = InFlight(id);
    let mut slot = tasks_lock().lock().unwrap_or_else(PoisonError::into_inner);
    let task = runtime.spawn(async move {
        let _guard = guard;
        let output = work.await;
        let job: Job =
            Box::new(move |py| settle(py, future_ref, Box::new(move |py| convert(py, output))));
        scheduler.push(job);
    });
    let abort = task.abort_handle();
    let tasks = this_process(&mut slot);
    tasks.in_flight += 1;
    tasks.running.insert(id, abort.clone());
    drop(slot);
    Ok((future, abort))
}
