//! The settle wait's policy for `client.cash_in.wait` / `client.cash_out.wait`, from the core:
//! which statuses are still pending and how long to wait before the next poll.

use connectpsp_core::model::cash_in::CashInStatus;
use connectpsp_core::model::cash_out::CashOutStatus;
use connectpsp_core::retry::{self, Jitter};
use pyo3::prelude::*;

use crate::driver::entropy;

/// Whether a wait keeps polling a resource (`"cash_in"` or `"cash_out"`) in `status`.
#[pyfunction]
pub fn settle_is_pending(resource: &str, status: &str) -> bool {
    match resource {
        "cash_in" => retry::cash_in_is_pending(&CashInStatus::from_wire(status)),
        _ => retry::cash_out_is_pending(&CashOutStatus::from_wire(status)),
    }
}

/// Milliseconds before poll `poll + 1` (`poll`: GETs made so far), jittered.
#[pyfunction]
#[pyo3(signature = (poll, retry_after_ms=None))]
pub fn settle_delay_ms(poll: u32, retry_after_ms: Option<u64>) -> u64 {
    let bytes = entropy();
    let mut seed = [0u8; 16];
    seed.copy_from_slice(&bytes[..16]);
    retry::settle_delay_ms(poll, retry_after_ms, &mut Jitter::new(seed))
}
