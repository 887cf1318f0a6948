//! Retry policy as pure functions: which answers are worth another attempt, how long to
//! wait, and a tiny PRNG for the jitter seeded with the caller's random bytes.

use crate::http::{FailureKind, HttpResponse};

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
    /// 500/502/503/504: retry when the call is retry-safe.
    ServerTransient,
    /// Any other answer is final.
    Final,
}

pub fn classify_status(status: u16) -> StatusClass {
    match status {
        200..=299 => StatusClass::Success,
        429 => StatusClass::RateLimited,
        500 | 502 | 503 | 504 => StatusClass::ServerTransient,
        _ => StatusClass::Final,
    }
}

/// Whether a 5xx may mean the request was processed: only 503 (and 429) say "not done".
pub fn status_may_have_applied(status: u16) -> bool {
    matches!(status, 500 | 502 | 504)
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
    }
}
