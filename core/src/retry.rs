//! Retry policy as pure functions: which answers are worth another attempt, which ones may
//! mean a state-changing request was applied, how long to wait, and a tiny PRNG for the
//! jitter seeded with the caller's random bytes.
//!
//! The "may have been applied" rule lives here and only here ([`answer_may_have_applied`],
//! [`failure_may_have_applied`]); `docs/api-decisions.md` ("The driver")
//! states it in words. The driver applies it to every attempt of a call that changes state on
//! the server and never forgets it for the rest of the operation.

use serde_json::Value;

use crate::http::{FailureKind, HttpResponse, TransportFailure};
use crate::model::cash_in::CashInStatus;
use crate::model::cash_out::CashOutStatus;

/// Longest Retry-After the SDK honours; a longer one ends the operation instead.
pub const MAX_RETRY_AFTER_MS: u64 = 60_000;
/// First backoff step and cap: `min(8 s, 0.5 s · 2^n)`.
pub const BASE_BACKOFF_MS: u64 = 500;
pub const MAX_BACKOFF_MS: u64 = 8_000;

/// How the driver should treat an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    Success,
    /// 429: the server refused before doing anything; safe to retry after a wait.
    RateLimited,
    /// The server/CDN transient family ([`is_transient_server_status`]): retried under the
    /// same key when the call is retry-safe.
    ServerTransient,
    /// Any other answer is final.
    Final,
}

pub fn classify_status(status: u16) -> StatusClass {
    match status {
        200..=299 => StatusClass::Success,
        429 => StatusClass::RateLimited,
        s if is_transient_server_status(s) => StatusClass::ServerTransient,
        _ => StatusClass::Final,
    }
}

/// 5xx answers worth another attempt: the origin or a gateway/CDN in front of it failed in a
/// way that a later attempt can get past. 500/502/503/504; 507 (storage exhausted, transient
/// on the server side); the CDN origin family 520–525 (unknown origin error, origin down,
/// origin connect timeout, origin unreachable, origin read timeout after receiving the request,
/// TLS handshake to the origin failed); 598/599 (network read/connect timeouts some proxies
/// report). Not retried: answers a repetition cannot change (501, 505, 506, 508, 510, 511,
/// 526 invalid origin certificate, 530, ...). Retrying or not never changes whether the
/// outcome is unknown: that is [`answer_may_have_applied`].
pub fn is_transient_server_status(status: u16) -> bool {
    matches!(status, 500 | 502 | 503 | 504 | 507 | 520..=525 | 598 | 599)
}

/// True when `response` carries the API's own problem body (RFC 7807 as the reference shows
/// it): a JSON object whose `code` is a non-empty string and whose `status` repeats the HTTP
/// status. A gateway's error page, an empty body or someone else's JSON is not one.
pub fn is_api_problem(response: &HttpResponse) -> bool {
    let Ok(Value::Object(problem)) = serde_json::from_slice::<Value>(&response.body) else {
        return false;
    };
    let code_ok = problem
        .get("code")
        .and_then(Value::as_str)
        .is_some_and(|c| !c.trim().is_empty());
    let status_ok = problem
        .get("status")
        .and_then(Value::as_u64)
        .is_some_and(|s| s == u64::from(response.status));
    code_ok && status_ok
}

/// THE rule, for an HTTP answer to a request that changes state (cash-in create, cash-out
/// create, refund, rebalance): may the server have applied it?
///
/// Only an answer that proves nothing happened says no: a 4xx with the API's problem body
/// (a refusal), 429 (rate limited before any work), or 503 with the API's problem body (the
/// API itself said "unavailable, not done"). Everything else may have been applied: 2xx
/// (applied, even when the body cannot be read), 1xx/3xx (never a final answer of this API),
/// a 4xx without the API's problem body (a proxy or CDN spoke, not the API), and every other
/// 5xx (500, 501, 502, 504, 505–511, 520–527, ...: the origin may have committed before it
/// failed or before the gateway gave up), and a 503 that is not the API's problem.
pub fn answer_may_have_applied(status: u16, api_problem: bool) -> bool {
    match status {
        429 => false,
        400..=499 => !api_problem,
        503 => !api_problem,
        _ => true,
    }
}

/// [`answer_may_have_applied`] for a whole answer: the body is only read (for the problem
/// shape) where the rule depends on it, so a success is never parsed twice.
pub fn response_may_have_applied(response: &HttpResponse) -> bool {
    let status = response.status;
    let depends_on_body = matches!(status, 400..=428 | 430..=499 | 503);
    answer_may_have_applied(status, depends_on_body && is_api_problem(response))
}

/// THE rule, for an attempt that got no HTTP answer: only a failure that provably happened
/// before any byte was sent (`request_sent == false`: connect refused, DNS, TLS handshake)
/// says no. A timeout, a reset or an early close after sending, and a wait the caller
/// abandoned, may have been applied.
pub fn failure_may_have_applied(failure: &TransportFailure) -> bool {
    failure.request_sent
}

/// Every transport failure is worth a retry of a retry-safe call; the kind only changes the
/// error reported when the budget is spent.
pub fn failure_is_retryable(_kind: FailureKind) -> bool {
    true
}

/// `Retry-After` in ms (delta-seconds form; the API sends seconds). `None` when absent or
/// not a plain number — HTTP dates are not used by this API, and then normal backoff applies.
pub fn retry_after_ms(response: &HttpResponse) -> Option<u64> {
    let value = response.header("retry-after")?.trim();
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<u64>().ok().map(|s| s.saturating_mul(1000))
}

/// Backoff before retry number `retry` (0 for the first retry): `min(8 s, 0.5 s · 2^n)`
/// scaled by a jitter factor in [50 %, 100 %].
pub fn backoff_ms(retry: u32, jitter: &mut Jitter) -> u64 {
    let base = BASE_BACKOFF_MS
        .saturating_mul(1u64 << retry.min(16))
        .min(MAX_BACKOFF_MS);
    let half = base / 2;
    half + jitter.below(base - half + 1)
}

/// First delay and cap of a settle wait (`wait(id)`); the delay grows x1.5 per poll.
pub const SETTLE_FIRST_DELAY_MS: u64 = 1_000;
pub const SETTLE_MAX_DELAY_MS: u64 = 15_000;

/// Delay before poll number `poll + 1` of a settle wait (`poll` = GETs already made, from 0):
/// `min(15 s, 1 s · 1.5^poll)` scaled by a jitter factor in [75 %, 100 %], so many waiters
/// started together spread out. A `Retry-After` from the last answer is honoured as a floor
/// (capped at [`MAX_RETRY_AFTER_MS`]): the server's word beats the schedule. The caller's
/// overall wait timeout still applies on top.
pub fn settle_delay_ms(poll: u32, retry_after_ms: Option<u64>, jitter: &mut Jitter) -> u64 {
    let mut base = SETTLE_FIRST_DELAY_MS;
    for _ in 0..poll.min(16) {
        base = (base.saturating_mul(3) / 2).min(SETTLE_MAX_DELAY_MS);
    }
    let floor = base - base / 4;
    let delay = floor + jitter.below(base - floor + 1);
    match retry_after_ms {
        Some(ms) => delay.max(ms.min(MAX_RETRY_AFTER_MS)),
        None => delay,
    }
}

/// Whether a settle wait keeps polling a cash-in in this status: only `AWAITING_PAYMENT`.
/// `PAID` is settled (a later refund is a new operation); a status this SDK does not know is
/// returned to the caller rather than waited on until the timeout.
pub fn cash_in_is_pending(status: &CashInStatus) -> bool {
    matches!(status, CashInStatus::AwaitingPayment)
}

/// Whether a settle wait keeps polling a cash-out in this status: only `PROCESSING`.
/// Unknown statuses are returned, as for cash-ins.
pub fn cash_out_is_pending(status: &CashOutStatus) -> bool {
    matches!(status, CashOutStatus::Processing)
}

/// SplitMix64 seeded from the host's random bytes: deterministic for tests, unpredictable in
/// production, and no OS randomness inside the core.
#[derive(Debug, Clone)]
pub struct Jitter {
    state: u64,
}

impl Jitter {
    pub fn new(seed: [u8; 16]) -> Jitter {
        let lo = u64::from_le_bytes([
            seed[0], seed[1], seed[2], seed[3], seed[4], seed[5], seed[6], seed[7],
        ]);
        let hi = u64::from_le_bytes([
            seed[8], seed[9], seed[10], seed[11], seed[12], seed[13], seed[14], seed[15],
        ]);
        // Multiplying one half keeps seeds with equal halves (all-zero bytes included) apart.
        Jitter {
            state: lo ^ hi.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x243F_6A88_85A3_08D3,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        self.next_u64() % bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_stays_in_jitter_window() {
        let mut jitter = Jitter::new([7; 16]);
        for (retry, base) in [
            (0, 500),
            (1, 1000),
            (2, 2000),
            (3, 4000),
            (4, 8000),
            (9, 8000),
        ] {
            for _ in 0..200 {
                let ms = backoff_ms(retry, &mut jitter);
                assert!(ms >= base / 2 && ms <= base, "retry {retry}: {ms}");
            }
        }
    }

    #[test]
    fn jitter_depends_on_seed() {
        let a: Vec<u64> = (0..4).map(|_| Jitter::new([1; 16]).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Jitter::new([1; 16]).next_u64(),
            Jitter::new([2; 16]).next_u64()
        );
    }

    #[test]
    fn retry_after_seconds() {
        let r = |v: &str| HttpResponse::new(429, vec![("Retry-After".into(), v.into())], "");
        assert_eq!(retry_after_ms(&r("3")), Some(3000));
        assert_eq!(retry_after_ms(&r(" 0 ")), Some(0));
        assert_eq!(retry_after_ms(&r("-1")), None);
        assert_eq!(retry_after_ms(&r("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after_ms(&r("99999999999999")), None);
    }

    #[test]
    fn status_classes() {
        assert_eq!(classify_status(201), StatusClass::Success);
        assert_eq!(classify_status(429), StatusClass::RateLimited);
        assert_eq!(classify_status(503), StatusClass::ServerTransient);
        assert_eq!(classify_status(501), StatusClass::Final);
        assert_eq!(classify_status(422), StatusClass::Final);
        for s in [500, 502, 504, 507, 520, 521, 522, 523, 524, 525, 598, 599] {
            assert_eq!(classify_status(s), StatusClass::ServerTransient, "{s}");
        }
        for s in [501, 505, 506, 508, 510, 511, 526, 527, 530, 302, 101] {
            assert_eq!(classify_status(s), StatusClass::Final, "{s}");
        }
    }

    #[test]
    fn only_refusals_prove_nothing_happened() {
        for s in [400, 401, 404, 409, 422] {
            assert!(!answer_may_have_applied(s, true), "{s}");
            assert!(answer_may_have_applied(s, false), "{s}");
        }
        assert!(!answer_may_have_applied(429, false));
        assert!(!answer_may_have_applied(503, true));
        assert!(answer_may_have_applied(503, false));
        for s in [
            100, 200, 201, 202, 301, 304, 500, 501, 502, 504, 505, 511, 520, 524, 527,
        ] {
            assert!(answer_may_have_applied(s, true), "{s}");
        }
    }

    #[test]
    fn api_problem_needs_code_and_matching_status() {
        let r = |status: u16, body: &str| HttpResponse::new(status, vec![], body.to_owned());
        assert!(is_api_problem(&r(
            503,
            r#"{"status":503,"code":"SERVICE_UNAVAILABLE"}"#
        )));
        assert!(!is_api_problem(&r(503, r#"{"status":502,"code":"X"}"#)));
        assert!(!is_api_problem(&r(503, r#"{"status":503}"#)));
        assert!(!is_api_problem(&r(503, r#"{"status":503,"code":""}"#)));
        assert!(!is_api_problem(&r(503, "<html>503</html>")));
        assert!(!is_api_problem(&r(503, "")));
        assert!(!is_api_problem(&r(400, r#"["status",400]"#)));
    }

    #[test]
    fn settle_delay_grows_caps_jitters_and_honours_retry_after() {
        let mut jitter = Jitter::new([3; 16]);
        let mut last_floor = 0;
        for poll in 0..30 {
            let base = (0..poll.min(16)).fold(SETTLE_FIRST_DELAY_MS, |b, _| {
                (b * 3 / 2).min(SETTLE_MAX_DELAY_MS)
            });
            for _ in 0..50 {
                let ms = settle_delay_ms(poll, None, &mut jitter);
                assert!(ms >= base * 3 / 4 && ms <= base, "poll {poll}: {ms}");
                assert!(ms <= SETTLE_MAX_DELAY_MS);
            }
            assert!(base >= last_floor);
            last_floor = base;
        }
        assert_eq!(last_floor, SETTLE_MAX_DELAY_MS);
        assert_eq!(settle_delay_ms(0, Some(5_000), &mut jitter), 5_000);
        assert_eq!(
            settle_delay_ms(0, Some(600_000), &mut jitter),
            MAX_RETRY_AFTER_MS
        );
        assert!(settle_delay_ms(0, Some(0), &mut jitter) >= 750);
    }

    #[test]
    fn pending_statuses() {
        assert!(cash_in_is_pending(&CashInStatus::AwaitingPayment));
        assert!(!cash_in_is_pending(&CashInStatus::Paid));
        assert!(!cash_in_is_pending(&CashInStatus::Unknown("NEW".into())));
        assert!(cash_out_is_pending(&CashOutStatus::Processing));
        assert!(!cash_out_is_pending(&CashOutStatus::Completed));
        assert!(!cash_out_is_pending(&CashOutStatus::Unknown("NEW".into())));
    }
}
