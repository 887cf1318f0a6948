//! What every operation of one client shares: the config and the token state.

use crate::auth::{StoredToken, TokenState};
use crate::config::Config;
use crate::error::Error;

/// Config and token state shared by every operation of one client.
#[derive(Debug, Clone)]
pub struct Session {
    pub(super) config: Config,
    /// `Config::user_agent()`, built once: the config cannot change inside a session.
    pub(super) user_agent: String,
    pub(super) token: TokenState,
    next_operation_id: u64,
}

impl Session {
    pub fn new(config: Config) -> Session {
        Session {
            user_agent: config.user_agent(),
            config,
            token: TokenState::default(),
            next_operation_id: 0,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn token_state(&self) -> &TokenState {
        &self.token
    }

    /// Token sharing across processes (docs/architecture.md §2): the current token and how
    /// long it remains valid from `now_ms`, to save in a store after a token exchange (save
    /// when `generation` changed). `None` when there is no valid token.
    pub fn export_token(&self, now_ms: u64) -> Option<StoredToken> {
        self.token.export(now_ms)
    }

    /// Hands the session a token loaded from a store, valid for `expires_in_ms` from
    /// `now_ms`; `Ok(true)` when adopted (it outlives the current one). The core still owns
    /// refresh timing and single flight. Wake the token waiters after adopting.
    pub fn adopt_token(
        &mut self,
        access_token: &str,
        expires_in_ms: u64,
        now_ms: u64,
    ) -> Result<bool, Error> {
        let crypto = self.config.crypto_token.clone();
        self.token
            .adopt(access_token, expires_in_ms, &crypto, now_ms)
    }

    /// True when the next operation would fetch (or wait for) a token: the moment for a
    /// binding with a store to look there first.
    pub fn wants_token(&self, now_ms: u64) -> bool {
        self.token.wants_token(now_ms)
    }

    pub(super) fn allocate_operation_id(&mut self) -> u64 {
        self.next_operation_id += 1;
        self.next_operation_id
    }
}
