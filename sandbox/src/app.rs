//! The shared state of one running sandbox and the checks every API handler makes.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use axum::http::HeaderMap;

use crate::clock::Clock;
use crate::config::SandboxConfig;
use crate::faults::Faults;
use crate::idempotency::Idempotency;
use crate::ids::Ids;
use crate::journal::Journal;
use crate::jwt::{Signer, TokenError};
use crate::problem::ApiError;
use crate::store::{Event, Store};
use crate::tasks::{Scheduler, WEBHOOK_QUEUE, WEBHOOK_WORKERS, Workers};
use crate::webhooks::Delivery;

/// Tokens a fault expired early (`expireToken`), by `jti`; the oldest forgotten past the cap.
#[derive(Default)]
struct Expired {
    set: HashSet<String>,
    order: VecDeque<String>,
}

const MAX_EXPIRED_TOKENS: usize = 100_000;

pub struct App {
    pub config: SandboxConfig,
    pub seed: u64,
    pub clock: Clock,
    pub signer: Signer,
    store: Mutex<Store>,
    /// A separate stream for fault draws and event ids, so faults do not shift transaction ids.
    pub fault_rng: Mutex<Ids>,
    pub idempotency: Idempotency,
    pub faults: Faults,
    pub journal: Journal,
    pub webhook_client: reqwest::Client,
    /// The one timer task: settlements and webhook retries.
    pub scheduler: Scheduler,
    /// The webhook delivery workers and their bounded queue.
    pub webhooks: Workers<Delivery>,
    expired_tokens: Mutex<Expired>,
    /// Runtime settings (`POST /_sandbox/settings`).
    pub token_ttl_secs: AtomicU64,
    pub settle_delay_ms: AtomicU64,
    pub auto_settle: AtomicBool,
    /// Bumped by reset: background tasks of an older generation stop.
    generation: AtomicU64,
    /// `http://127.0.0.1:PORT`, known once the listener is bound.
    pub base_url: OnceLock<String>,
}

impl App {
    /// Must run inside a tokio runtime: it starts the sandbox's background tasks.
    pub fn new(config: SandboxConfig, seed: u64) -> Arc<App> {
        let mut key_rng = Ids::new(seed ^ 0x6a77_7473_6967_6e21);
        let mut key = [0u8; 32];
        for chunk in key.chunks_mut(8) {
            chunk.copy_from_slice(&key_rng.next_u64().to_le_bytes());
        }
        Arc::new_cyclic(|weak| App {
            scheduler: Scheduler::start(weak.clone()),
            webhooks: Workers::start(
                weak.clone(),
                WEBHOOK_WORKERS,
                WEBHOOK_QUEUE,
                crate::webhooks::deliver,
            ),
            expired_tokens: Mutex::new(Expired::default()),
            seed,
            clock: Clock::default(),
            signer: Signer::new(key),
            store: Mutex::new(Store::new(seed)),
            fault_rng: Mutex::new(Ids::new(seed ^ 0x6661_756c_7473)),
            idempotency: Idempotency::new(config.max_idempotency_keys),
            faults: Faults::default(),
            journal: Journal::new(config.max_request_log, config.max_webhook_log),
            webhook_client: crate::webhooks::client(),
            token_ttl_secs: AtomicU64::new(config.token_ttl_secs),
            settle_delay_ms: AtomicU64::new(config.settle_delay_ms),
            auto_settle: AtomicBool::new(config.auto_settle),
            generation: AtomicU64::new(0),
            base_url: OnceLock::new(),
            config,
        })
    }

    /// From now on, `token` answers 401 TOKEN_EXPIRED (a fault's `expireToken`).
    pub fn expire_token(&self, token: &str) {
        // Our signature, any expiry: the jti of a token we issued.
        let Ok(claims) = self.signer.verify(token, i64::MIN) else {
            return;
        };
        let mut expired = self
            .expired_tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if expired.set.insert(claims.jti.clone()) {
            expired.order.push_back(claims.jti);
            while expired.order.len() > MAX_EXPIRED_TOKENS {
                if let Some(old) = expired.order.pop_front() {
                    expired.set.remove(&old);
                }
            }
        }
    }

    fn token_expired_early(&self, jti: &str) -> bool {
        let expired = self
            .expired_tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        !expired.set.is_empty() && expired.set.contains(jti)
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        // A handler never panics while holding the lock; recover rather than cascade if it did.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn new_uuid(&self) -> String {
        self.fault_rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .uuid()
    }

    /// Back to the state of a fresh start (same seed, same credentials, settings from config).
    pub fn reset(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        *self.store() = Store::new(self.seed);
        *self.fault_rng.lock().unwrap_or_else(|e| e.into_inner()) =
            Ids::new(self.seed ^ 0x6661_756c_7473);
        self.idempotency.clear();
        self.faults.clear();
        self.journal.clear_requests();
        self.journal.clear_webhooks();
        self.clock.reset();
        self.token_ttl_secs
            .store(self.config.token_ttl_secs, Ordering::Relaxed);
        self.settle_delay_ms
            .store(self.config.settle_delay_ms, Ordering::Relaxed);
        self.auto_settle
            .store(self.config.auto_settle, Ordering::Relaxed);
    }

    /// Authorization (Bearer JWT) then ApplicationToken. Returns the raw access token, which
    /// the DigitalSignature check needs.
    pub fn authenticate<'h>(&self, headers: &'h HeaderMap) -> Result<&'h str, ApiError> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(ApiError::invalid_token)?;
        match self
            .signer
            .verify(token, self.clock.now_ms().div_euclid(1000))
        {
            Ok(claims) if self.token_expired_early(&claims.jti) => {
                return Err(ApiError::token_expired());
            }
            Ok(_) => {}
            Err(TokenError::Expired) => return Err(ApiError::token_expired()),
            Err(TokenError::Invalid) => return Err(ApiError::invalid_token()),
        }
        let application_token = headers
            .get("applicationtoken")
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
        if application_token != Some(self.config.application_token.as_str()) {
            return Err(ApiError::invalid_application_token());
        }
        Ok(token)
    }

    /// `DigitalSignature` = hex HMAC-SHA256(CryptoToken, accessToken); either hex case accepted.
    pub fn check_signature(&self, headers: &HeaderMap, access_token: &str) -> Result<(), ApiError> {
        let signature = headers
            .get("digitalsignature")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .ok_or_else(ApiError::invalid_signature)?;
        if connectpsp_core::signature::verify_hex(
            self.config.crypto_token.as_bytes(),
            access_token.as_bytes(),
            signature,
        ) {
            Ok(())
        } else {
            Err(ApiError::invalid_signature())
        }
    }

    pub fn emit(self: &Arc<Self>, events: Vec<Event>) {
        for event in events {
            crate::webhooks::dispatch(self, event);
        }
    }
}
