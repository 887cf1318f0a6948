//! Fault injection: for the next N (or a percentage of) requests matching a method and path,
//! misbehave the way real networks, CDNs and servers do. Every kind exists in two phases where
//! that makes sense: *refused before commit* (the request is not handled: nothing happens) and
//! *committed* (the request is handled, its state changes happen, and then the answer goes
//! wrong). A careful client cannot tell the two apart from the wire, which is the point: only
//! an answer that proves nothing happened may be reported as a definitive failure.
//! Percentages draw from the sandbox's seeded RNG so a run can be repeated.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use crate::ids::Ids;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer `status` (any 5xx, default 503). Before commit by default; with `commit: true`
    /// the request is handled first and its answer replaced (a CDN's 524 after the origin
    /// did the work).
    Status,
    /// Answer 429 RATE_LIMITED with `Retry-After: retryAfterSeconds` before doing anything.
    RateLimit,
    /// Wait `latencyMs`, then handle the request normally (it runs to its end even when the
    /// client gave up meanwhile, as on a real server).
    Latency,
    /// Handle the request (state changes happen), then close the connection without answering.
    CommitThenDrop,
    /// Close the connection without answering; with `commit: true` the same as
    /// `commit_then_drop`.
    Drop,
    /// Send the status, the headers (with the full `Content-Length`) and half the body, then
    /// close the connection.
    TruncateBody,
    /// Send the status and the headers (with the full `Content-Length`), then close the
    /// connection before any byte of the body.
    ResetAfterHeaders,
    /// Send the status and headers at once, then dribble the body in small pieces over
    /// `latencyMs` (past the client's timeout).
    SlowBody,
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Status => "status",
            FaultKind::RateLimit => "rate_limit",
            FaultKind::Latency => "latency",
            FaultKind::CommitThenDrop => "commit_then_drop",
            FaultKind::Drop => "drop",
            FaultKind::TruncateBody => "truncate_body",
            FaultKind::ResetAfterHeaders => "reset_after_headers",
            FaultKind::SlowBody => "slow_body",
        }
    }

    /// Whether the request is handled when the spec says nothing about `commit`.
    fn commits_by_default(self) -> bool {
        match self {
            FaultKind::Status | FaultKind::RateLimit | FaultKind::Drop => false,
            FaultKind::Latency
            | FaultKind::CommitThenDrop
            | FaultKind::TruncateBody
            | FaultKind::ResetAfterHeaders
            | FaultKind::SlowBody => true,
        }
    }
}

/// `POST /_sandbox/faults` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSpec {
    /// HTTP method to match; any when absent.
    pub method: Option<String>,
    /// Path to match; `*` matches one segment (`/cash-out/*`); any path when absent.
    pub path: Option<String>,
    pub kind: FaultKind,
    /// The 5xx of `status`; for the body faults refused before commit, the status whose
    /// (broken) answer is sent (default 503).
    pub status: Option<u16>,
    pub retry_after_seconds: Option<u64>,
    /// `latency`: the wait; `slow_body`: how long the body takes to arrive.
    pub latency_ms: Option<u64>,
    /// Handle the request before the fault strikes (see each kind for its default).
    pub commit: Option<bool>,
    /// After the fault, the bearer token the request carried answers 401 TOKEN_EXPIRED, so
    /// the client's retry needs a token refresh (token expiry mid-retry).
    pub expire_token: Option<bool>,
    /// Apply to the next `count` matching requests (default 1 when `percent` is absent).
    pub count: Option<u64>,
    /// Apply to this percentage (0–100) of matching requests, until deleted.
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    pub id: u64,
    pub method: Option<String>,
    pub path: Option<String>,
    pub kind: FaultKind,
    pub status: u16,
    pub retry_after_seconds: u64,
    pub latency_ms: u64,
    pub commit: bool,
    pub expire_token: bool,
    /// Left to inject (count mode); null in percent mode.
    pub remaining: Option<u64>,
    pub percent: Option<f64>,
    /// How many requests this rule has touched.
    pub injected: u64,
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    pub kind: FaultKind,
    pub status: u16,
    pub retry_after_seconds: u64,
    pub latency_ms: u64,
    pub commit: bool,
    pub expire_token: bool,
}

impl Action {
    /// The name journaled with the request: the kind, and the phase where it has two.
    pub fn label(self) -> &'static str {
        match (self.kind, self.commit) {
            (FaultKind::Status, true) => "status_after_commit",
            (FaultKind::Drop, true) => "commit_then_drop",
            (FaultKind::TruncateBody, false) => "truncate_body_before_commit",
            (FaultKind::ResetAfterHeaders, false) => "reset_after_headers_before_commit",
            (FaultKind::SlowBody, false) => "slow_body_before_commit",
            (kind, _) => kind.name(),
        }
    }
}

#[derive(Default)]
pub struct Faults {
    /// Number of rules, read without the lock on the hot path.
    active: AtomicUsize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    rules: Vec<FaultRule>,
    /// Rules already used up, kept for `GET /_sandbox/faults` stats (the latest 1,000).
    finished: Vec<FaultRule>,
    injected_total: u64,
}

const MAX_FINISHED: usize = 1000;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultStats {
    pub rules: Vec<FaultRule>,
    pub finished: Vec<FaultRule>,
    pub injected_total: u64,
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_end_matches('/');
    let path = path.trim_end_matches('/');
    let mut p = pattern.split('/');
    let mut s = path.split('/');
    loop {
        match (p.next(), s.next()) {
            (None, None) => return true,
            (Some("*"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

impl Faults {
    pub fn add(&self, spec: FaultSpec) -> Result<FaultRule, String> {
        let commit = spec.commit.unwrap_or(spec.kind.commits_by_default());
        let status = match (spec.kind, spec.status) {
            (FaultKind::RateLimit, None) => 429,
            (FaultKind::RateLimit, Some(s)) => {
                return Err(format!("rate_limit is always 429; got status {s}"));
            }
            (_, None) => 503,
            (_, Some(s)) if (500..=599).contains(&s) => s,
            (_, Some(s)) => return Err(format!("status must be 5xx; got {s}")),
        };
        match (spec.kind, commit) {
            (FaultKind::RateLimit, true) => {
                return Err("rate_limit refuses before commit; commit must be false".into());
            }
            (FaultKind::CommitThenDrop | FaultKind::Latency, false) => {
                return Err(format!(
                    "{} always commits; commit must be true",
                    spec.kind.name()
                ));
            }
            _ => {}
        }
        if let Some(p) = spec.percent {
            if !(0.0..=100.0).contains(&p) {
                return Err(format!("percent must be within 0..100; got {p}"));
            }
        }
        if spec.count == Some(0) {
            return Err("count must be at least 1".into());
        }
        if spec.count.is_some() && spec.percent.is_some() {
            return Err("give count or percent, not both".into());
        }
        let latency_ms = spec.latency_ms.unwrap_or(1000);
        if latency_ms > 600_000 {
            return Err(format!(
                "latencyMs must be at most 600000; got {latency_ms}"
            ));
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.next_id += 1;
        let rule = FaultRule {
            id: inner.next_id,
            method: spec.method.map(|m| m.to_ascii_uppercase()),
            path: spec.path,
            kind: spec.kind,
            status,
            retry_after_seconds: spec.retry_after_seconds.unwrap_or(1),
            latency_ms,
            commit,
            expire_token: spec.expire_token.unwrap_or(false),
            remaining: if spec.percent.is_some() {
                None
            } else {
                Some(spec.count.unwrap_or(1))
            },
            percent: spec.percent,
            injected: 0,
        };
        inner.rules.push(rule.clone());
        self.active.store(inner.rules.len(), Ordering::Release);
        Ok(rule)
    }

    pub fn clear(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.rules.clear();
        inner.finished.clear();
        inner.injected_total = 0;
        self.active.store(0, Ordering::Release);
    }

    pub fn stats(&self) -> FaultStats {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        FaultStats {
            rules: inner.rules.clone(),
            finished: inner.finished.clone(),
            injected_total: inner.injected_total,
        }
    }

    /// The first matching rule decides; a count rule that reaches zero is retired.
    pub fn decide(&self, method: &str, path: &str, ids: &Mutex<Ids>) -> Option<Action> {
        if self.active.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let position = inner.rules.iter().position(|r| {
            r.method.as_deref().is_none_or(|m| m == method)
                && r.path.as_deref().is_none_or(|p| path_matches(p, path))
        })?;
        let rule = &mut inner.rules[position];
        if let Some(percent) = rule.percent {
            let draw = ids.lock().unwrap_or_else(|e| e.into_inner()).percent();
            if draw >= percent {
                return None;
            }
        }
        rule.injected += 1;
        let action = Action {
            kind: match rule.kind {
                // One kind for "handled, then no answer", whichever name the rule used.
                FaultKind::Drop if rule.commit => FaultKind::CommitThenDrop,
                kind => kind,
            },
            status: rule.status,
            retry_after_seconds: rule.retry_after_seconds,
            latency_ms: rule.latency_ms,
            commit: rule.commit,
            expire_token: rule.expire_token,
        };
        let mut used_up = false;
        if let Some(remaining) = rule.remaining.as_mut() {
            *remaining = remaining.saturating_sub(1);
            used_up = *remaining == 0;
        }
        if used_up {
            let done = inner.rules.remove(position);
            if inner.finished.len() >= MAX_FINISHED {
                inner.finished.remove(0);
            }
            inner.finished.push(done);
            self.active.store(inner.rules.len(), Ordering::Release);
        }
        inner.injected_total += 1;
        Some(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: FaultKind) -> FaultSpec {
        FaultSpec {
            method: Some("post".into()),
            path: Some("/cash-out".into()),
            kind,
            status: None,
            retry_after_seconds: None,
            latency_ms: None,
            commit: None,
            expire_token: None,
            count: Some(2),
            percent: None,
        }
    }

    #[test]
    fn count_rules_apply_n_times_to_matching_requests_only() {
        let faults = Faults::default();
        let ids = Mutex::new(Ids::new(1));
        faults.add(spec(FaultKind::Status)).unwrap();
        assert_eq!(faults.decide("GET", "/cash-out", &ids), None);
        assert_eq!(faults.decide("POST", "/cash-in", &ids), None);
        let first = faults.decide("POST", "/cash-out", &ids).unwrap();
        assert_eq!(
            (first.kind, first.status, first.commit),
            (FaultKind::Status, 503, false)
        );
        assert_eq!(faults.decide("POST", "/cash-out/", &ids), Some(first));
        assert_eq!(faults.decide("POST", "/cash-out", &ids), None);
        let stats = faults.stats();
        assert_eq!(stats.injected_total, 2);
        assert_eq!(stats.finished.len(), 1);
    }

    #[test]
    fn percent_rules_are_repeatable_with_the_same_seed() {
        let run = |seed| {
            let faults = Faults::default();
            let ids = Mutex::new(Ids::new(seed));
            let mut s = spec(FaultKind::CommitThenDrop);
            s.count = None;
            s.percent = Some(30.0);
            faults.add(s).unwrap();
            (0..1000)
                .map(|_| faults.decide("POST", "/cash-out", &ids).is_some())
                .collect::<Vec<_>>()
        };
        let a = run(9);
        assert_eq!(a, run(9));
        let hits = a.iter().filter(|h| **h).count();
        assert!((230..370).contains(&hits), "about 30 % of 1000, got {hits}");
    }

    #[test]
    fn wildcards_match_one_segment() {
        assert!(path_matches("/cash-out/*", "/cash-out/abc"));
        assert!(!path_matches("/cash-out/*", "/cash-out"));
        assert!(path_matches("/cash-in/*/refund", "/cash-in/X1/refund"));
        assert!(!path_matches("/cash-in", "/cash-in/X1"));
    }

    #[test]
    fn bad_specs_are_refused() {
        let faults = Faults::default();
        let mut s = spec(FaultKind::Status);
        s.status = Some(404);
        assert!(faults.add(s).is_err());
        let mut s = spec(FaultKind::Latency);
        s.percent = Some(10.0);
        assert!(faults.add(s).is_err(), "count and percent together");
        let mut s = spec(FaultKind::RateLimit);
        s.commit = Some(true);
        assert!(faults.add(s).is_err(), "a 429 is a refusal");
        let mut s = spec(FaultKind::CommitThenDrop);
        s.commit = Some(false);
        assert!(faults.add(s).is_err(), "commit_then_drop commits");
    }

    #[test]
    fn each_kind_has_its_default_phase_and_drop_with_commit_is_commit_then_drop() {
        let faults = Faults::default();
        let ids = Mutex::new(Ids::new(1));
        for (kind, commit) in [
            (FaultKind::Status, false),
            (FaultKind::Drop, false),
            (FaultKind::TruncateBody, true),
            (FaultKind::ResetAfterHeaders, true),
            (FaultKind::SlowBody, true),
        ] {
            faults.clear();
            let mut s = spec(kind);
            s.count = Some(1);
            assert_eq!(faults.add(s).unwrap().commit, commit, "{kind:?}");
        }
        faults.clear();
        let mut s = spec(FaultKind::Drop);
        s.commit = Some(true);
        faults.add(s).unwrap();
        let action = faults.decide("POST", "/cash-out", &ids).unwrap();
        assert_eq!(action.kind, FaultKind::CommitThenDrop);
        assert_eq!(action.label(), "commit_then_drop");
    }
}
