//! `X-Idempotency-Key`: the same key with the same body replays the original answer (status
//! and body, plus `Idempotent-Replayed: true`) without creating anything; the same key with a
//! different body is refused (422 IDEMPOTENCY_KEY_REUSED); concurrent requests with one key
//! wait for the first, so exactly one transaction is created.
//!
//! Only successful answers are stored: an error created nothing, so a retry with the same key
//! is allowed to try again (after a top-up, say), even with a corrected body.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::OnceCell;

use crate::problem::ApiError;

pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// A successful answer, kept to be replayed.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Stored {
    pub fn json(status: StatusCode, value: &impl serde::Serialize) -> Stored {
        Stored {
            status,
            body: Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
        }
    }

    fn respond(self, replayed: bool) -> Response {
        let mut response = (self.status, self.body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if replayed {
            response
                .headers_mut()
                .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
        }
        response
    }
}

struct Entry {
    fingerprint: String,
    answer: OnceCell<Stored>,
}

#[derive(Default)]
pub struct Idempotency {
    /// (scope, key) → entry. Scope = method + path template, per decisions.
    entries: Mutex<HashMap<(&'static str, String), Arc<Entry>>>,
}

/// Reads and checks the key: 1–255 visible ASCII characters (api-decisions.md).
pub fn key_from(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("x-idempotency-key") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("");
    if text.is_empty() || text.len() > 255 || !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::validation(
            "X-Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(Some(text.to_owned()))
}

/// The canonical text of a body for "same body" comparisons: parsed JSON with sorted keys, so
/// whitespace and key order do not matter; raw bytes when it is not JSON.
pub fn fingerprint(extra: &str, body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => format!("{extra}\n{value}"),
        Err(_) => format!("{extra}\n{}", String::from_utf8_lossy(body)),
    }
}

impl Idempotency {
    /// After a failed attempt nothing was created: drop the entry (and its fingerprint) unless
    /// another request with the key is waiting on it, so the key may be used again freely.
    fn forget_if_unused(&self, scope: &'static str, key: &str, entry: &Arc<Entry>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Clones are only taken under this lock: the map's and ours means nobody else waits.
        if entry.answer.get().is_none() && Arc::strong_count(entry) <= 2 {
            entries.remove(&(scope, key.to_owned()));
        }
    }

    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Runs `work` at most once per (scope, key) and replays its successful answer.
    pub async fn run<F, Fut>(
        &self,
        scope: &'static str,
        key: Option<&str>,
        fingerprint: String,
        work: F,
    ) -> Response
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Stored, ApiError>>,
    {
        let Some(key) = key else {
            return match work().await {
                Ok(stored) => stored.respond(false),
                Err(e) => e.into_response(),
            };
        };
        let entry = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            entries
                .entry((scope, key.to_owned()))
                .or_insert_with(|| {
                    Arc::new(Entry {
                        fingerprint: fingerprint.clone(),
                        answer: OnceCell::new(),
                    })
                })
                .clone()
        };
        if entry.fingerprint != fingerprint {
            return ApiError::idempotency_key_reused().into_response();
        }
        let ran_here = AtomicBool::new(false);
        let result = entry
            .answer
            .get_or_try_init(|| {
                ran_here.store(true, Ordering::Relaxed);
                work()
            })
            .await;
        match result {
            Ok(stored) => stored.clone().respond(!ran_here.load(Ordering::Relaxed)),
            Err(e) => {
                self.forget_if_unused(scope, key, &entry);
                e.into_response()
            }
        }
    }
}
