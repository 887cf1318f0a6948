//! Signed webhook delivery: `{eventType, eventAt, data}` POSTed to the transaction's webhookUrl
//! with `X-Connect-Signature` = hex HMAC-SHA256(CryptoToken, exact body bytes) and a fresh
//! `X-Event-Id` per attempt. A non-2xx answer, a timeout or a connection error is a failure and
//! is retried with exponential backoff; every attempt is journaled. Deliveries run on a fixed
//! pool of workers (`tasks.rs`), retries wait on the shared timer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::app::App;
use crate::clock;
use crate::journal::WebhookAttempt;
use crate::store::Event;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    event_type: &'a str,
    event_at: String,
    data: &'a serde_json::Value,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// One delivery attempt of one event: the body is built once, so every attempt carries (and
/// signs) the same bytes.
pub struct Delivery {
    event_type: &'static str,
    transaction_id: String,
    url: String,
    body: String,
    signature: String,
    attempt: u32,
    generation: u64,
}

/// Queues the delivery of `event`: never blocks the API request, never spawns a task.
pub fn dispatch(app: &Arc<App>, event: Event) {
    let body = serde_json::to_string(&Envelope {
        event_type: event.event_type,
        event_at: clock::utc(app.clock.now_ms()),
        data: &event.data,
    })
    .unwrap_or_default();
    let signature = connectpsp_core::signature::hmac_sha256_hex(
        app.config.crypto_token.as_bytes(),
        body.as_bytes(),
    );
    enqueue(
        app,
        Delivery {
            event_type: event.event_type,
            transaction_id: event.transaction_id,
            url: event.url,
            body,
            signature,
            attempt: 1,
            generation: app.generation(),
        },
    );
}

fn enqueue(app: &Arc<App>, delivery: Delivery) {
    if let Err(delivery) = app.webhooks.try_push(delivery) {
        // Overloaded: say so in the journal rather than queueing without bound.
        let at = clock::utc(app.clock.now_ms());
        record(
            app,
            &delivery,
            app.new_uuid(),
            None,
            Some("webhook queue full".into()),
            at,
            0,
        );
    }
}

fn record(
    app: &App,
    d: &Delivery,
    event_id: String,
    status: Option<u16>,
    error: Option<String>,
    at: String,
    duration_ms: u64,
) {
    app.journal.record_webhook(WebhookAttempt {
        seq: 0,
        event_id,
        event_type: d.event_type.to_owned(),
        transaction_id: d.transaction_id.clone(),
        url: d.url.clone(),
        attempt: d.attempt,
        delivered: status.is_some_and(|s| (200..300).contains(&s)),
        status,
        error,
        at,
        duration_ms,
        body: d.body.clone(),
        signature: d.signature.clone(),
    });
}

/// One attempt (run by a webhook worker); a failure schedules the next one.
pub async fn deliver(app: Arc<App>, delivery: Delivery) {
    if app.generation() != delivery.generation {
        return; // the sandbox was reset: this event belongs to a previous run
    }
    let max_attempts = app.config.webhook_max_attempts.max(1);
    let timeout = Duration::from_millis(app.config.webhook_timeout_ms);
    let event_id = app.new_uuid();
    let started = Instant::now();
    let result = app
        .webhook_client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header("x-connect-signature", &delivery.signature)
        .header("x-event-id", &event_id)
        .header("user-agent", "ConnectPSP-Sandbox-Webhooks/1.0")
        .body(delivery.body.clone())
        .timeout(timeout)
        .send()
        .await;
    let (status, error) = match result {
        Ok(response) => (Some(response.status().as_u16()), None),
        Err(e) if e.is_timeout() => (None, Some("timeout".to_owned())),
        Err(e) if e.is_connect() => (None, Some("connection refused".to_owned())),
        Err(e) => (None, Some(e.to_string())),
    };
    let delivered = status.is_some_and(|s| (200..300).contains(&s));
    let at = clock::utc(app.clock.now_ms());
    record(
        &app,
        &delivery,
        event_id,
        status,
        error,
        at,
        started.elapsed().as_millis() as u64,
    );
    if delivered || delivery.attempt >= max_attempts {
        return;
    }
    let backoff = app
        .config
        .webhook_retry_base_ms
        .saturating_mul(1u64 << (delivery.attempt - 1).min(20));
    let next = Delivery {
        attempt: delivery.attempt + 1,
        ..delivery
    };
    app.scheduler
        .after(Duration::from_millis(backoff), move |app| {
            enqueue(app, next)
        });
}
