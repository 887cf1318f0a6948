//! What every operation of one client shares: the config and the token state.

use crate::auth::{StoredToken, TokenState};
use crate::config::Config;
use crate::error::Error;
use crate::token_store::{self, StoreEntry};

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

    /// The key of this client's entry in a cross-process token store
    /// ([`crate::token_store::store_key`]: base URL and client id, never a secret).
    pub fn token_store_key(&self) -> String {
        token_store::store_key(&self.config)
    }

    /// The entry to write to a token store after a call, when the session holds a valid
    /// token other than generation `saved` (the one last read from or written to the store);
    /// `None` when there is nothing new to save. `now_ms` is the session's clock, `wall_ms`
    /// the wall clock the entry's expiry is written in.
    pub fn token_for_store(&self, saved: u64, now_ms: u64, wall_ms: u64) -> Option<StoreEntry> {
        let token = self.token.token()?;
        if token.generation == saved {
            return None;
        }
        self.export_token(now_ms)
            .map(|stored| token_store::encode(&stored, wall_ms))
    }

    /// Adopts the token in a store value ([`Session::adopt_token`]'s rules); `Ok(Some(generation))`
    /// when adopted, `Ok(None)` when not (expired, not fresher, the one last rejected), an error
    /// when the value is not a token entry (never quoting it).
    pub fn adopt_from_store(
        &mut self,
        value: &str,
        now_ms: u64,
        wall_ms: u64,
    ) -> Result<Option<u64>, Error> {
        let Some((token, expires_in_ms)) = token_store::decode(value, wall_ms)? else {
            return Ok(None);
        };
        if !self.adopt_token(token.expose(), expires_in_ms, now_ms)? {
            return Ok(None);
        }
        Ok(self.token.token().map(|t| t.generation))
    }

    pub(super) fn allocate_operation_id(&mut self) -> u64 {
        self.next_operation_id += 1;
        self.next_operation_id
    }
}
