//! Per-call overrides of the client's limits.

use crate::config::{self, Config};
use crate::error::Error;

/// Per-call overrides of the config's `timeout_ms`, `deadline_ms` and `max_retries`
/// (`None` keeps the client's setting). Given to an operation with
/// [`super::Operation::with_options`]; checked by the same rules as the config (each bound
/// names its field: `timeoutMs`, `deadlineMs`, `maxRetries`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CallOptions {
    pub timeout_ms: Option<u64>,
    pub deadline_ms: Option<u64>,
    pub max_retries: Option<u32>,
}

impl CallOptions {
    /// Bad overrides are a `ValidationError` before anything is sent.
    pub fn validate(&self) -> Result<(), Error> {
        config::check_limits(self.timeout_ms, self.max_retries, self.deadline_ms)
    }
}

/// The limits one operation runs with: the config's, with the call's overrides applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Limits {
    pub timeout_ms: u64,
    pub max_retries: u32,
    /// The overall budget, resolved: an explicit deadline (the call's, else the config's),
    /// else `timeout_ms · (max_retries + 1)`.
    pub deadline_ms: u64,
}

impl Limits {
    /// The config's own settings, in the form overrides apply to.
    pub fn defaults(config: &Config) -> CallOptions {
        CallOptions {
            timeout_ms: Some(config.timeout_ms),
            deadline_ms: config.deadline_ms,
            max_retries: Some(config.max_retries),
        }
    }

    /// `options` over `defaults` (see [`Limits::defaults`]).
    pub fn resolve(defaults: &CallOptions, options: &CallOptions) -> Limits {
        let timeout_ms = options
            .timeout_ms
            .or(defaults.timeout_ms)
            .unwrap_or(config::DEFAULT_TIMEOUT_MS);
        let max_retries = options
            .max_retries
            .or(defaults.max_retries)
            .unwrap_or(config::DEFAULT_MAX_RETRIES);
        let deadline_ms = config::effective_deadline_ms(
            timeout_ms,
            max_retries,
            options.deadline_ms.or(defaults.deadline_ms),
        );
        Limits {
            timeout_ms,
            max_retries,
            deadline_ms,
        }
    }
}
