//! Token state of one session: the access token, its DigitalSignature, when to refresh it,
//! and the bookkeeping that makes the refresh single-flight.
//!
//! Single-flight works with a *lease*: the first operation that needs a token takes the
//! lease and sends `POST /auth/token`; the others wait (`Step::AwaitToken`) until the
//! binding wakes them after that exchange, or until the lease runs out (the holder was
//! dropped), in which case one of them takes over. Every completed exchange, successful or
//! not, bumps `epoch`, so a waiter can tell "the refresh I waited for failed" and report
//! that failure instead of hammering the token endpoint itself.
//!
//! A refresh that starts inside the refresh margin is proactive: the current token still
//! works. When it fails, the operation that led it goes on with the current token, and no new
//! proactive refresh starts before a backoff ([`TokenState::defer_refresh`]), so the token
//! endpoint's trouble neither fails calls nor draws a request from every call. Only a missing,
//! expired or rejected (401 `TOKEN_EXPIRED`) token makes a call wait for, or fail with, the
//! refresh.

use crate::config::Secret;
use crate::error::Error;
use crate::http::is_valid_header_value;
use crate::signature::digital_signature;

/// Refresh this long before expiry at most (docs/api-decisions.md: min(60 s, lifetime/4)).
pub const MAX_REFRESH_MARGIN_MS: u64 = 60_000;

/// A usable access token.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub value: Secret,
    /// `Bearer <token>`, built once.
    pub authorization: Secret,
    /// `DigitalSignature` for this token, computed once.
    pub signature: Secret,
    pub expires_at_ms: u64,
    /// From here on a new token is fetched proactively; the old one is still sent meanwhile.
    pub refresh_at_ms: u64,
    /// Increases with every new token; a 401 TOKEN_EXPIRED invalidates one generation only.
    pub generation: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lease {
    holder: u64,
    until_ms: u64,
}

/// What an operation should do about the token right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenDecision {
    /// Use this token (generation) for the request.
    Use(u64),
    /// You hold the lease: send the token exchange.
    Refresh,
    /// Someone else is refreshing: wait up to this long, then poll again.
    Wait { max_wait_ms: u64 },
}

/// A token as a cross-process token store keeps it ([`TokenState::export`]): the value and
/// how long it remains valid, relative to the `now_ms` given (the binding turns that into a
/// wall-clock expiry for the store). `generation` changes with every new token of this
/// session, so a binding can tell when to save. `Debug` hides the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub access_token: Secret,
    pub expires_in_ms: u64,
    pub generation: u64,
}

#[derive(Debug, Clone, Default)]
pub struct TokenState {
    token: Option<AccessToken>,
    lease: Option<Lease>,
    next_generation: u64,
    /// Count of finished token exchanges (success or failure).
    epoch: u64,
    /// The error of the last exchange, if the last one failed.
    last_failure: Option<Error>,
    /// Number of `POST /auth/token` requests started, for tests and metrics.
    exchanges_started: u64,
    /// Proactive refreshes that failed in a row while the token was still valid.
    refresh_failures: u32,
    /// No proactive refresh starts before this time (the backoff after a failed one).
    refresh_not_before_ms: u64,
    /// The last token the API rejected (401 `TOKEN_EXPIRED`): a store that still holds it
    /// must not hand it back.
    rejected: Option<Secret>,
}

impl TokenState {
    pub fn token(&self) -> Option<&AccessToken> {
        self.token.as_ref()
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn exchanges_started(&self) -> u64 {
        self.exchanges_started
    }

    /// The failure that ended the exchange numbered `epoch` (the epoch after it finished).
    pub fn failure_since(&self, waited_from_epoch: u64) -> Option<&Error> {
        if self.epoch > waited_from_epoch {
            self.last_failure.as_ref()
        } else {
            None
        }
    }

    /// Decide for operation `op` at `now_ms`; `lease_ms` is how long a refresh may take
    /// before another operation may take over.
    pub fn decide(&mut self, op: u64, now_ms: u64, lease_ms: u64) -> TokenDecision {
        let lease_active = self.lease.is_some_and(|l| l.until_ms > now_ms);
        let held_by_me = self.lease.is_some_and(|l| l.holder == op && lease_active);
        match &self.token {
            Some(t) if now_ms < t.refresh_at_ms => return TokenDecision::Use(t.generation),
            // Inside the refresh margin: one operation refreshes, the rest keep using the
            // still-valid token so nobody waits; after a failed proactive refresh, everyone
            // keeps using it until the backoff is over.
            Some(t)
                if now_ms < t.expires_at_ms
                    && ((lease_active && !held_by_me) || now_ms < self.refresh_not_before_ms) =>
            {
                return TokenDecision::Use(t.generation);
            }
            _ => {}
        }
        if lease_active && !held_by_me {
            let until = self.lease.map_or(now_ms, |l| l.until_ms);
            return TokenDecision::Wait {
                max_wait_ms: until.saturating_sub(now_ms).max(1),
            };
        }
        self.lease = Some(Lease {
            holder: op,
            until_ms: now_ms.saturating_add(lease_ms),
        });
        self.exchanges_started += 1;
        TokenDecision::Refresh
    }

    /// Keeps the lease of `op` alive while it backs off between token attempts.
    pub fn extend_lease(&mut self, op: u64, until_ms: u64) {
        if let Some(lease) = &mut self.lease
            && lease.holder == op
        {
            lease.until_ms = lease.until_ms.max(until_ms);
        }
    }

    /// Stores a fresh token obtained by `op` at `now_ms` with lifetime `expires_in_s`.
    pub fn complete(
        &mut self,
        op: u64,
        access_token: String,
        expires_in_s: u64,
        crypto_token: &Secret,
        now_ms: u64,
    ) -> u64 {
        let generation = self.install(
            access_token,
            expires_in_s.saturating_mul(1000),
            crypto_token,
            now_ms,
        );
        self.release(op);
        generation
    }

    fn install(
        &mut self,
        access_token: String,
        lifetime_ms: u64,
        crypto_token: &Secret,
        now_ms: u64,
    ) -> u64 {
        let margin = MAX_REFRESH_MARGIN_MS.min(lifetime_ms / 4);
        let expires_at_ms = now_ms.saturating_add(lifetime_ms);
        self.next_generation += 1;
        let generation = self.next_generation;
        let signature = Secret::new(digital_signature(crypto_token.expose(), &access_token));
        self.token = Some(AccessToken {
            authorization: Secret::new(format!("Bearer {access_token}")),
            value: Secret::new(access_token),
            signature,
            expires_at_ms,
            refresh_at_ms: expires_at_ms - margin,
            generation,
        });
        self.epoch += 1;
        self.last_failure = None;
        self.refresh_failures = 0;
        self.refresh_not_before_ms = 0;
        generation
    }

    /// True when a token is present and not expired at `now_ms` (it may be inside its
    /// refresh margin).
    pub fn is_usable(&self, now_ms: u64) -> bool {
        self.token
            .as_ref()
            .is_some_and(|t| now_ms < t.expires_at_ms)
    }

    /// True when the next operation would fetch a token: none, or past its refresh point, and
    /// no exchange already under way (a live lease). A binding with a cross-process token
    /// store looks there first, and [`TokenState::adopt`]s what it finds; while another
    /// operation's exchange runs, that exchange serves the waiters and a read would be wasted
    /// (calls arriving after the first read found nothing would each read again).
    pub fn wants_token(&self, now_ms: u64) -> bool {
        let exchanging = self.lease.is_some_and(|l| l.until_ms > now_ms);
        !exchanging
            && self
                .token
                .as_ref()
                .is_none_or(|t| now_ms >= t.refresh_at_ms)
    }

    /// Proactive refreshes that failed in a row (reset by a new token).
    pub fn refresh_failures(&self) -> u32 {
        self.refresh_failures
    }

    /// The proactive refresh of `op` failed while the current token is still valid: give
    /// the lease back and start no proactive refresh for `backoff_ms`. Waiters, if any,
    /// poll again and use the current token; nobody inherits this failure.
    pub fn defer_refresh(&mut self, op: u64, now_ms: u64, backoff_ms: u64) {
        self.release(op);
        self.refresh_failures = self.refresh_failures.saturating_add(1);
        self.refresh_not_before_ms = now_ms.saturating_add(backoff_ms);
        self.epoch += 1;
        self.last_failure = None;
    }

    /// The current token for a cross-process store, when there is one still valid at
    /// `now_ms`.
    pub fn export(&self, now_ms: u64) -> Option<StoredToken> {
        let token = self.token.as_ref().filter(|t| now_ms < t.expires_at_ms)?;
        Some(StoredToken {
            access_token: token.value.clone(),
            expires_in_ms: token.expires_at_ms - now_ms,
            generation: token.generation,
        })
    }

    /// Takes a token loaded from a cross-process store, valid for `expires_in_ms` from
    /// `now_ms`. Adopted only when it outlives the current one (a store never replaces a
    /// fresher token), is not the same token and is not the one the API last rejected;
    /// returns whether it was adopted. The refresh
    /// margin is min(60 s, remaining lifetime / 4). After adopting, wake the operations
    /// waiting for a token as after a token exchange.
    pub fn adopt(
        &mut self,
        access_token: &str,
        expires_in_ms: u64,
        crypto_token: &Secret,
        now_ms: u64,
    ) -> Result<bool, Error> {
        if access_token.is_empty()
            || access_token.contains(' ')
            || !is_valid_header_value(access_token)
        {
            // Never echo the value: it is a secret.
            return Err(Error::validation(
                "accessToken",
                "must be a non-empty printable ASCII string without spaces",
            ));
        }
        if expires_in_ms == 0 {
            return Ok(false);
        }
        let expires_at_ms = now_ms.saturating_add(expires_in_ms);
        if let Some(current) = &self.token
            && (current.value.expose() == access_token || current.expires_at_ms >= expires_at_ms)
        {
            return Ok(false);
        }
        if self
            .rejected
            .as_ref()
            .is_some_and(|r| r.expose() == access_token)
        {
            return Ok(false);
        }
        self.install(access_token.to_owned(), expires_in_ms, crypto_token, now_ms);
        Ok(true)
    }

    /// Records that the exchange of `op` failed for good; waiters will report `error`.
    pub fn fail(&mut self, op: u64, error: Error) {
        self.release(op);
        self.epoch += 1;
        self.last_failure = Some(error);
    }

    /// Gives the lease back without a result (the operation was abandoned).
    pub fn release(&mut self, op: u64) {
        if self.lease.is_some_and(|l| l.holder == op) {
            self.lease = None;
        }
    }

    /// A 401 TOKEN_EXPIRED for `generation`: forget that token, unless a newer one is
    /// already there (another operation refreshed meanwhile).
    pub fn invalidate(&mut self, generation: u64) {
        if self
            .token
            .as_ref()
            .is_some_and(|t| t.generation == generation)
        {
            self.rejected = self.token.take().map(|t| t.value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crypto() -> Secret {
        Secret::new("test-crypto-token-0001")
    }

    #[test]
    fn first_caller_refreshes_others_wait() {
        let mut state = TokenState::default();
        assert_eq!(state.decide(1, 0, 5_000), TokenDecision::Refresh);
        assert_eq!(
            state.decide(2, 1_000, 5_000),
            TokenDecision::Wait { max_wait_ms: 4_000 }
        );
        let g = state.complete(1, "tok".into(), 3600, &crypto(), 1_500);
        assert_eq!(state.decide(2, 1_600, 5_000), TokenDecision::Use(g));
        assert_eq!(state.exchanges_started(), 1);
    }

    #[test]
    fn margin_is_min_of_60s_and_quarter_lifetime() {
        let mut state = TokenState::default();
        state.decide(1, 0, 5_000);
        state.complete(1, "tok".into(), 3600, &crypto(), 0);
        assert_eq!(state.token().unwrap().refresh_at_ms, 3_540_000);
        state.decide(1, 3_540_000, 5_000);
        state.complete(1, "tok".into(), 100, &crypto(), 0);
        assert_eq!(state.token().unwrap().refresh_at_ms, 75_000);
    }

    #[test]
    fn inside_margin_one_refreshes_while_others_use_old_token() {
        let mut state = TokenState::default();
        state.decide(1, 0, 5_000);
        let g = state.complete(1, "tok".into(), 3600, &crypto(), 0);
        let now = 3_550_000;
        assert_eq!(state.decide(2, now, 5_000), TokenDecision::Refresh);
        assert_eq!(state.decide(3, now, 5_000), TokenDecision::Use(g));
    }

    #[test]
    fn no_store_read_is_wanted_while_an_exchange_runs() {
        let mut state = TokenState::default();
        assert!(state.wants_token(0));
        assert_eq!(state.decide(1, 0, 5_000), TokenDecision::Refresh);
        // The exchange of op 1 will serve everyone: a token-store read now would be wasted.
        assert!(!state.wants_token(1_000));
        // Had its lease run out (the holder vanished), the next call could look in the store.
        assert!(state.wants_token(5_000));
        state.complete(1, "tok".into(), 3600, &crypto(), 1_500);
        assert!(!state.wants_token(2_000));
        // Inside the refresh margin, before and during the proactive refresh.
        assert!(state.wants_token(3_550_000));
        assert_eq!(state.decide(2, 3_550_000, 5_000), TokenDecision::Refresh);
        assert!(!state.wants_token(3_551_000));
    }

    #[test]
    fn expired_lease_is_taken_over() {
        let mut state = TokenState::default();
        state.decide(1, 0, 5_000);
        assert_eq!(state.decide(2, 5_000, 5_000), TokenDecision::Refresh);
    }

    #[test]
    fn invalidate_only_that_generation() {
        let mut state = TokenState::default();
        state.decide(1, 0, 5_000);
        let g1 = state.complete(1, "a".into(), 3600, &crypto(), 0);
        state.invalidate(g1 + 7);
        assert!(state.token().is_some());
        state.invalidate(g1);
        assert!(state.token().is_none());
    }

    #[test]
    fn failure_is_visible_to_waiters() {
        let mut state = TokenState::default();
        state.decide(1, 0, 5_000);
        let epoch = state.epoch();
        state.fail(1, Error::new(crate::ErrorKind::Authentication, "bad"));
        assert!(state.failure_since(epoch).is_some());
        assert!(state.failure_since(state.epoch()).is_none());
    }
}
