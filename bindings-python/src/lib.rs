//! `connectpsp._native`: the Rust half of the `connectpsp` Python package.
//!
//! The core (`connectpsp-core`) decides everything about the API; this crate performs its
//! requests with reqwest on one tokio runtime, bridges to asyncio, and raises the Python
//! exception classes of `connectpsp/_errors.py`. See docs/architecture.md §2–§4.

use connectpsp_core::facts::{self, Fact};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

mod asyncio_bridge;
mod client;
mod driver;
mod errors;
mod results;
mod runtime;
mod sandbox;
mod settle;
mod toolkit;
mod transport;
mod webhook_testing;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Before anything can fork: the cached process id is cleared in every forked child.
    runtime::install_fork_handler();
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    // The core's facts (URLs, header names, defaults, caps, CORE_VERSION, …) as module
    // attributes, so the Python layer reads them instead of copying them.
    for (name, fact) in facts::ALL {
        match fact {
            Fact::Text(text) => m.add(*name, *text)?,
            Fact::Number(number) => m.add(*name, *number)?,
            Fact::List(items) => m.add(*name, PyTuple::new(m.py(), *items)?)?,
        }
    }
    m.add_class::<client::NativeClient>()?;
    m.add_class::<client::NativeCall>()?;
    m.add_function(wrap_pyfunction!(settle::settle_is_pending, m)?)?;
    m.add_function(wrap_pyfunction!(settle::settle_delay_ms, m)?)?;
    m.add_function(wrap_pyfunction!(webhook_testing::webhook_signature, m)?)?;
    m.add_function(wrap_pyfunction!(webhook_testing::webhook_event_body, m)?)?;
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
    m.add_function(wrap_pyfunction!(toolkit::mask_personal, m)?)?;
    m.add_function(wrap_pyfunction!(toolkit::pix_detect_key_type, m)?)?;
    m.add_function(wrap_pyfunction!(toolkit::pix_normalize_document, m)?)?;
    m.add_function(wrap_pyfunction!(toolkit::pix_format_document, m)?)?;
    m.add_function(wrap_pyfunction!(toolkit::pix_qr_svg, m)?)?;
    m.add_function(wrap_pyfunction!(toolkit::pix_qr_png, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::process_id, m)?)?;
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
