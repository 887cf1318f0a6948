//! `connectpsp._native`: the Rust half of the `connectpsp` Python package.
//!
//! The core (`connectpsp-core`) decides everything about the API; this crate performs its
//! requests with reqwest on one tokio runtime, bridges to asyncio, and raises the Python
//! exception classes of `connectpsp/_errors.py`. See docs/architecture.md §2–§4.

use pyo3::prelude::*;

mod asyncio_bridge;
mod client;
mod driver;
mod errors;
mod runtime;
mod sandbox;
mod toolkit;
mod transport;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    m.add("CORE_VERSION", connectpsp_core::VERSION)?;
    m.add_class::<client::NativeClient>()?;
    m.add_class::<client::NativeCall>()?;
    m.add_class::<sandbox::NativeSandbox>()?;
    m.add_function(wrap_pyfunction!(toolkit::webhook_construct_event, m)?)?;
    m.add_function(wrap_pyfunction!(toolkit::idempotency_key_for, m)?)?;
    m.add_function(wrap_pyfunction!(toolkit::mask_document, m)?)?;
    m.add_function(wrap_pyfunction!(toolkit::pix_parse_brcode, m)?)?;
    m.add_function(wrap_pyfunction!(toolkit::pix_build_brcode, m)?)?;
    m.add_function(wrap_pyfunction!(toolkit::pix_validate_key, m)?)?;
    m.add_function(wrap_pyfunction!(toolkit::pix_is_valid_cpf, m)?)?;
    m.add_function(wrap_pyfunction!(toolkit::pix_is_valid_cnpj, m)?)?;
    m.add_function(wrap_pyfunction!(toolkit::mask_pix_key, m)?)?;
    let drain = wrap_pyfunction!(asyncio_bridge::_drain, m)?;
    m.add_function(drain.clone())?;
    // Before the interpreter finalises, stop every task that could still call into Python.
    m.py()
        .import("atexit")?
        .call_method1("register", (drain,))?;
    // A forked child never waits for a lock held by a thread it does not have (runtime.rs).
    let fork_hooks = pyo3::types::PyDict::new(m.py());
    fork_hooks.set_item(
        "after_in_child",
        wrap_pyfunction!(runtime::_after_fork_in_child, m)?,
    )?;
    let os = m.py().import("os")?;
    if os.hasattr("register_at_fork")? {
        os.getattr("register_at_fork")?
            .call((), Some(&fork_hooks))?;
    }
    Ok(())
}
