//! `X-Idempotency-Key`: the same key with the same body replays the original answer (status
//! and body, plus `Idempotent-Replayed: true`) without creating anything; the same key with a
//! different body is refused (422 IDEMPOTENCY_KEY_REUSED); concurrent requests with one key
//! wait for the first, so exactly one transaction is created.
//!
//! Only successful answers are stored: an error created nothing, so a retry with the same key
//! is allowed to try again (after a top-up, say), even with a corrected body.
//!
//! At most `max_idempotency_keys` keys are remembered: past that the oldest is forgotten (a
//! replay of it then reaches the handler, where the externalReference check still refuses a
//! second payout).

use std::collections::{HashMap, VecDeque};
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
    /// Insertion number: tells an entry from a newer one under the same key.
    id: u64,
    fingerprint: String,
    answer: OnceCell<Stored>,
}

type Scoped = (&'static str, String);

pub struct Idempotency {
    inner: Mutex<Map>,
}

struct Map {
    /// (scope, key) → entry. Scope = method + path template, per decisions.
    entries: HashMap<Scoped, Arc<Entry>>,
    /// Insertion order, oldest first (may hold keys already forgotten; see `evict`).
    order: VecDeque<(Scoped, u64)>,
    next_id: u64,
    cap: usize,
}

impl Map {
    fn evict(&mut self) {
        while self.entries.len() > self.cap {
            let Some((key, id)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&key).is_some_and(|e| e.id == id) {
                self.entries.remove(&key);
            }
        }
        // Failed attempts forget their entry early: keep the order list from outgrowing the map.
        if self.order.len() > 2 * self.cap + 16 {
            let entries = &self.entries;
            self.order
                .retain(|(key, id)| entries.get(key).is_some_and(|e| e.id == *id));
        }
    }
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
    pub fn new(cap: usize) -> Idempotency {
        Idempotency {
            inner: Mutex::new(Map {
                entries: HashMap::new(),
                order: VecDeque::new(),
                next_id: 0,
                cap: cap.max(1),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many keys are remembered now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// After a failed attempt nothing was created: drop the entry (and its fingerprint) unless
    /// another request with the key is waiting on it, so the key may be used again freely.
    fn forget_if_unused(&self, scope: &'static str, key: &str, entry: &Arc<Entry>) {
        let mut map = self.lock();
        // Clones are only taken under this lock: the map's and ours means nobody else waits.
        let key = (scope, key.to_owned());
        if entry.answer.get().is_none()
            && Arc::strong_count(entry) <= 2
            && map.entries.get(&key).is_some_and(|e| e.id == entry.id)
        {
            map.entries.remove(&key);
        }
    }

    pub fn clear(&self) {
        let mut map = self.lock();
        map.entries.clear();
        map.order.clear();
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
            let mut map = self.lock();
            let scoped = (scope, key.to_owned());
            match map.entries.get(&scoped) {
                Some(entry) => entry.clone(),
                None => {
                    map.next_id += 1;
                    let entry = Arc::new(Entry {
                        id: map.next_id,
                        fingerprint: fingerprint.clone(),
                        answer: OnceCell::new(),
                    });
                    map.entries.insert(scoped.clone(), entry.clone());
                    map.order.push_back((scoped, entry.id));
                    map.evict();
                    entry
                }
            }
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
