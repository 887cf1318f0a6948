//! The one tokio runtime of the process, started on first use and started again in a child
//! after `os.fork()`, and the `os.register_at_fork` hooks that make a fork safe.
//!
//! A forked child inherits the parent's memory but none of its threads: the parent's runtime
//! is a husk there (its workers are gone, its I/O driver belongs to the parent), and dropping
//! it could block on threads that do not exist. So the runtime is keyed by process id; a child
//! leaks the inherited one and builds its own. gunicorn/uwsgi/Celery pre-fork workers rely on it.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::prelude::*;

use tokio::runtime::{Builder, Runtime};

struct Owned {
    pid: u32,
    runtime: Arc<Runtime>,
}

static RUNTIME: Mutex<Option<Owned>> = Mutex::new(None);

/// The runtime of the current process.
pub fn get() -> std::io::Result<Arc<Runtime>> {
    let pid = pid();
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(owned) = slot.as_ref()
        && owned.pid == pid
    {
        return Ok(owned.runtime.clone());
    }
    if let Some(inherited) = slot.take() {
        // Never drop a runtime inherited across fork(): see the module comment.
        std::mem::forget(inherited);
    }
    let runtime = Arc::new(
        Builder::new_multi_thread()
            // Two workers are plenty for I/O-bound calls and keep the footprint small in
            // every pre-forked worker process.
            .worker_threads(2)
            .thread_name("connectpsp-io")
            // Each runtime thread gets one Python thread state for its whole life, GIL
            // released. Without it every `Python::attach` on a runtime thread creates and
            // deletes a thread state (mmap + munmap of its 16 KB data stack, a TLB shootdown
            // across cores) once per completed call: half the async client's CPU per call
            // (measured in docs/benchmarks.md, bench/README.md).
            .on_thread_start(|| unsafe {
                if pyo3::ffi::Py_IsInitialized() != 0 {
                    pyo3::ffi::PyGILState_Ensure();
                    pyo3::ffi::PyEval_SaveThread();
                }
            })
            .enable_io()
            .enable_time()
            .build()?,
    );
    *slot = Some(Owned {
        pid,
        runtime: runtime.clone(),
    });
    Ok(runtime)
}

/// The id of this process as last read; 0 = read it again (at start, and in a forked child).
static PID: AtomicU32 = AtomicU32::new(0);
/// Set once the handler that clears `PID` in a forked child is registered: caching before that
/// could hand a child its parent's id.
static CACHING: AtomicBool = AtomicBool::new(false);

/// The id of the current process; state that must not cross a fork is keyed by it.
///
/// Cached: `getpid` is a real system call (glibc stopped caching it in 2.25) and costs about
/// 0.7 µs on a virtual machine, ten times per async call (docs/benchmarks.md, §9). The cache is
/// cleared in the child of every `fork()` by [`install_fork_handler`]'s handler, which libc runs
/// before `fork()` returns there (os.fork, multiprocessing, a C extension's own fork), so no
/// code of the child can see the parent's id.
pub fn pid() -> u32 {
    let cached = PID.load(Ordering::Relaxed);
    if cached != 0 {
        return cached;
    }
    let pid = std::process::id();
    if CACHING.load(Ordering::Acquire) {
        PID.store(pid, Ordering::Relaxed);
    }
    pid
}

/// `os.getpid()` without the system call, for the Python layer's own fork checks
/// (`_token_sync.py`): the same cached id the native state is keyed by.
#[pyfunction]
pub fn process_id() -> u32 {
    pid()
}

/// The `pthread_atfork` child handler: only an atomic store (a handler must be
/// async-signal-safe, and the child has one thread).
#[cfg(unix)]
extern "C" fn forget_pid_in_child() {
    PID.store(0, Ordering::Relaxed);
}

/// Registers the handler that clears the cached process id in a forked child; once, when the
/// module is loaded (before any fork the cache could miss). Without fork (Windows) the id never
/// changes, so there is nothing to register.
pub fn install_fork_handler() {
    #[cfg(unix)]
    {
        static INSTALLED: std::sync::Once = std::sync::Once::new();
        INSTALLED.call_once(|| {
            // SAFETY: registers a plain function that lives as long as the process (the
            // extension is never unloaded). If it fails (ENOMEM) the id is never cached.
            if unsafe { libc::pthread_atfork(None, None, Some(forget_pid_in_child)) } == 0 {
                CACHING.store(true, Ordering::Release);
            }
        });
    }
    #[cfg(not(unix))]
    CACHING.store(true, Ordering::Release);
}

/// `os.register_at_fork(after_in_child=...)`: the child, alone in its process, forgets the
/// parent's runtime and task table, whose threads it does not have (never dropped: see above),
/// and gets an unlocked task table. The next call starts a runtime of its own. (Every other
/// lock a runtime thread takes belongs to per-process state the child rebuilds: `client.rs`;
/// `RUNTIME` is only taken with the GIL held, so never held by another thread at a fork.)
#[pyfunction]
pub fn _after_fork_in_child() {
    crate::asyncio_bridge::renew_after_fork();
    if let Some(inherited) = RUNTIME
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    {
        std::mem::forget(inherited);
    }
}
