//! What the sandbox saw and did: every API request (so a test can prove that nothing was sent)
//! and every webhook delivery attempt.

use std::sync::Mutex;

use serde::Serialize;

/// One API request, as `GET /_sandbox/requests` lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// Increasing from 1; `?since=<seq>` returns the records after it.
    pub seq: u64,
    pub method: String,
    pub path: String,
    /// The status sent (for a dropped answer: what the handler would have sent).
    pub status: u16,
    /// What the API handler produced when the request was handled (its state changes
    /// happened); null when a fault refused it before commit.
    pub handler_status: Option<u16>,
    pub idempotency_key: Option<String>,
    /// Sandbox time, RFC 3339 UTC.
    pub at: String,
    /// The fault that touched it (`status`, `status_after_commit`, `rate_limit`, `latency`,
    /// `drop`, `commit_then_drop`, `truncate_body`, `reset_after_headers`, `slow_body`, or a
    /// body fault's `…_before_commit`).
    pub fault: Option<&'static str>,
    /// True when the connection was closed without an answer.
    pub dropped: bool,
}

/// One webhook delivery attempt, as `GET /_sandbox/webhooks` lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttempt {
    pub seq: u64,
    pub event_id: String,
    pub event_type: String,
    pub transaction_id: String,
    pub url: String,
    /// 1 for the first delivery, 2 for the first retry, …
    pub attempt: u32,
    /// The receiver's HTTP status, or null when it could not be reached / timed out.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub delivered: bool,
    pub at: String,
    pub duration_ms: u64,
    /// The exact body that was signed and sent.
    pub body: String,
    pub signature: String,
}

/// Both logs are capped (`max_request_log`, `max_webhook_log`) so a long load test cannot
/// exhaust memory; the oldest entries go first, and `seq` keeps counting.
pub struct Journal {
    requests: Mutex<Log<RequestRecord>>,
    webhooks: Mutex<Log<WebhookAttempt>>,
}

struct Log<T> {
    next_seq: u64,
    cap: usize,
    entries: std::collections::VecDeque<T>,
}

impl<T> Log<T> {
    fn new(cap: usize) -> Self {
        Log {
            next_seq: 1,
            cap: cap.max(1),
            entries: Default::default(),
        }
    }

    fn push(&mut self, entry: T) {
        while self.entries.len() >= self.cap {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned journal is still a valid journal: keep serving.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Journal {
    pub fn new(max_requests: usize, max_webhooks: usize) -> Journal {
        Journal {
            requests: Mutex::new(Log::new(max_requests)),
            webhooks: Mutex::new(Log::new(max_webhooks)),
        }
    }

    pub fn record_request(&self, mut record: RequestRecord) {
        let mut log = lock(&self.requests);
        record.seq = log.next_seq;
        log.next_seq += 1;
        log.push(record);
    }

    pub fn requests_since(&self, since: u64) -> Vec<RequestRecord> {
        let log = lock(&self.requests);
        // Entries are in seq order: skip the older ones without looking at them.
        let start = log.entries.partition_point(|r| r.seq <= since);
        log.entries.range(start..).cloned().collect()
    }

    /// How many request records are held (at most `max_request_log`).
    pub fn request_count(&self) -> usize {
        lock(&self.requests).entries.len()
    }

    /// How many webhook attempts are held (at most `max_webhook_log`).
    pub fn webhook_count(&self) -> usize {
        lock(&self.webhooks).entries.len()
    }

    /// The seq of the latest request record (0 when none): a test's window starts here.
    pub fn last_request_seq(&self) -> u64 {
        lock(&self.requests).next_seq - 1
    }

    pub fn clear_requests(&self) {
        lock(&self.requests).entries.clear();
    }

    pub fn record_webhook(&self, mut attempt: WebhookAttempt) {
        let mut log = lock(&self.webhooks);
        attempt.seq = log.next_seq;
        log.next_seq += 1;
        log.push(attempt);
    }

    pub fn webhooks_since(&self, since: u64) -> Vec<WebhookAttempt> {
        let log = lock(&self.webhooks);
        log.entries
            .iter()
            .filter(|r| r.seq > since)
            .cloned()
            .collect()
    }

    pub fn clear_webhooks(&self) {
        lock(&self.webhooks).entries.clear();
    }
}
