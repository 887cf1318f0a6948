//! Signed webhook delivery: `{eventType, eventAt, data}` POSTed to the transaction's webhookUrl
//! with `X-Connect-Signature` = hex HMAC-SHA256(CryptoToken, exact body bytes) and a fresh
//! `X-Event-Id` per attempt. A non-2xx answer, a timeout or a connection error is a failure and
//! is retried with exponential backoff; every attempt is journaled.

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

/// Starts the delivery of `event` in the background: never blocks the API request.
pub fn dispatch(app: &Arc<App>, event: Event) {
    let app = app.clone();
    tokio::spawn(async move { deliver(app, event).await });
}

async fn deliver(app: Arc<App>, event: Event) {
    let generation = app.generation();
    // The body is built once, so every attempt carries (and signs) the same bytes.
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
    let max_attempts = app.config.webhook_max_attempts.max(1);
    let timeout = Duration::from_millis(app.config.webhook_timeout_ms);
    for attempt in 1..=max_attempts {
        if app.generation() != generation {
            return; // the sandbox was reset: this event belongs to a previous run
        }
        let event_id = app.new_uuid();
        let started = Instant::now();
        let result = app
            .webhook_client
            .post(&event.url)
            .header("content-type", "application/json")
            .header("x-connect-signature", &signature)
            .header("x-event-id", &event_id)
            .header("user-agent", "ConnectPSP-Sandbox-Webhooks/1.0")
            .body(body.clone())
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
        app.journal.record_webhook(WebhookAttempt {
            seq: 0,
            event_id,
            event_type: event.event_type.to_owned(),
            transaction_id: event.transaction_id.clone(),
            url: event.url.clone(),
            attempt,
            status,
            error,
            delivered,
            at: clock::utc(app.clock.now_ms()),
            duration_ms: started.elapsed().as_millis() as u64,
            body: body.clone(),
            signature: signature.clone(),
        });
        if delivered || attempt == max_attempts {
            return;
        }
        let backoff = app
            .config
            .webhook_retry_base_ms
            .saturating_mul(1u64 << (attempt - 1).min(20));
        tokio::time::sleep(Duration::from_millis(backoff)).await;
    }
}
