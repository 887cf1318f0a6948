//! What every operation of one client shares: the config and the token state.

use crate::auth::TokenState;
use crate::config::Config;

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

    pub(super) fn allocate_operation_id(&mut self) -> u64 {
        self.next_operation_id += 1;
        self.next_operation_id
    }
}
