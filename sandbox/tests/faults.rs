//! Fault injection (each kind), the request journal, and the seeded RNG.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

#[tokio::test]
async fn status_faults_answer_before_doing_anything() {
    let client = Client::start().await;
    let rule = client
        .control(
            "POST",
            "/_sandbox/faults",
            Some(json!({"method": "POST", "path": "/cash-out", "kind": "status", "status": 500, "count": 2})),
        )
        .await;
    assert_eq!(rule.status, 201, "{}", rule.text);
    for _ in 0..2 {
        let reply = client.create_cash_out("f-1", "1.00", Some("fk-1")).await;
        assert_eq!((reply.status, reply.code()), (500, "INTERNAL_ERROR"));
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json")
        );
    }
    let rows = client
        .control("GET", "/_sandbox/transactions", None)
        .await
        .body;
    assert_eq!(
        rows["transactions"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );
    // Other endpoints are untouched; the third cash-out goes through.
    assert_eq!(
        client
            .api("GET", "/account/balance", None, None)
            .await
            .status,
        200
    );
    assert_eq!(
        client
            .create_cash_out("f-1", "1.00", Some("fk-1"))
            .await
            .status,
        202
    );

    client
        .control(
            "POST",
            "/_sandbox/faults",
            Some(json!({"path": "/account/balance", "kind": "status"})),
        )
        .await;
    let unavailable = client.api("GET", "/account/balance", None, None).await;
    assert_eq!(
        (unavailable.status, unavailable.code()),
        (503, "SERVICE_UNAVAILABLE")
    );
    let stats = client.control("GET", "/_sandbox/faults", None).await.body;
    assert_eq!(stats["injectedTotal"], 3);
}

#[tokio::test]
async fn rate_limit_faults_send_retry_after() {
    let client = Client::start().await;
    client
        .control(
            "POST",
            "/_sandbox/faults",
            Some(json!({"method": "GET", "path": "/cash-out/*", "kind": "rate_limit", "retryAfterSeconds": 7})),
        )
        .await;
    let reply = client.api("GET", "/cash-out/ANYTHING", None, None).await;
    assert_eq!((reply.status, reply.code()), (429, "RATE_LIMITED"));
    assert_eq!(reply.header("retry-after"), Some("7"));
    let next = client.api("GET", "/cash-out/ANYTHING", None, None).await;
    assert_eq!(next.status, 404, "count defaults to 1");
}

#[tokio::test]
async fn latency_faults_delay_then_answer_normally() {
    let client = Client::start().await;
    client
        .control(
            "POST",
            "/_sandbox/faults",
            Some(json!({"path": "/account/balance", "kind": "latency", "latencyMs": 300})),
        )
        .await;
    let started = Instant::now();
    let reply = client.api("GET", "/account/balance", None, None).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(reply.status, 200);
    let started = Instant::now();
    client.api("GET", "/account/balance", None, None).await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn commit_then_drop_does_the_work_and_closes_the_connection() {
    let client = Client::start().await;
    client
        .control(
            "POST",
            "/_sandbox/faults",
            Some(json!({"method": "POST", "path": "/cash-out", "kind": "commit_then_drop"})),
        )
        .await;
    let headers = client.auth_headers();
    let mut headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    headers.push(("x-idempotency-key", "drop-key"));
    let body = cash_out_body("drop-1", "9.99").to_string().into_bytes();
    let dropped = client
        .send_raw("POST", "/cash-out", Some(body.clone()), &headers)
        .await;
    assert!(dropped.is_err(), "no answer: the connection was closed");
    // ...but the payout exists.
    let rows = client
        .control("GET", "/_sandbox/transactions", None)
        .await
        .body;
    let rows = rows["transactions"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["externalReference"], "drop-1");
    assert_eq!(rows[0]["idempotencyKey"], "drop-key");
    // A careful client retries with the same key and gets the original answer.
    let retry = client
        .send_raw("POST", "/cash-out", Some(body), &headers)
        .await
        .unwrap();
    assert_eq!(retry.status, 202);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body["transactionId"], rows[0]["transactionId"]);
    // A careless one (new key) gets a 409 on the business reference, not a second payout.
    let careless = client
        .create_cash_out("drop-1", "9.99", Some("another-key"))
        .await;
    assert_eq!(careless.status, 409);
    let journal = client.control("GET", "/_sandbox/requests", None).await.body;
    let first = &journal["requests"].as_array().unwrap()[1];
    assert_eq!(first["fault"], "commit_then_drop");
    assert_eq!(first["dropped"], true);
    assert_eq!(first["status"], 202);
}

#[tokio::test]
async fn percent_faults_repeat_with_the_same_seed() {
    async fn pattern(seed: u64) -> Vec<u16> {
        let mut config = test_config();
        config.seed = Some(seed);
        let client = Client::start_with(config).await;
        client
            .control(
                "POST",
                "/_sandbox/faults",
                Some(json!({"path": "/account/balance", "kind": "status", "status": 503, "percent": 40})),
            )
            .await;
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(
                client
                    .api("GET", "/account/balance", None, None)
                    .await
                    .status,
            );
        }
        let stats = client.control("GET", "/_sandbox/faults", None).await.body;
        let injected = statuses.iter().filter(|s| **s == 503).count();
        assert_eq!(stats["injectedTotal"], injected as u64);
        statuses
    }
    let a = pattern(11).await;
    assert_eq!(a, pattern(11).await, "same seed, same faults");
    let hits = a.iter().filter(|s| **s == 503).count();
    assert!((5..=30).contains(&hits), "about 40 %: {hits}/40");
    client_clear_faults().await;
}

async fn client_clear_faults() {
    let client = Client::start().await;
    client
        .control(
            "POST",
            "/_sandbox/faults",
            Some(json!({"kind": "status", "percent": 100})),
        )
        .await;
    assert_eq!(
        client
            .api("GET", "/account/balance", None, None)
            .await
            .status,
        503
    );
    let cleared = client.control("DELETE", "/_sandbox/faults", None).await;
    assert_eq!(cleared.status, 200);
    assert_eq!(
        client
            .api("GET", "/account/balance", None, None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_request_journal_proves_what_was_sent() {
    let client = Client::start().await;
    let start = client.control("GET", "/_sandbox/requests", None).await.body["lastSeq"]
        .as_u64()
        .unwrap();
    assert_eq!(
        start, 1,
        "only the login so far; control calls are not journaled"
    );
    client.create_cash_out("j-1", "1.00", Some("jk-1")).await;
    client.api("GET", "/cash-out/NOPE", None, None).await;
    let window = client
        .control("GET", &format!("/_sandbox/requests?since={start}"), None)
        .await
        .body;
    let rows = window["requests"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["method"], "POST");
    assert_eq!(rows[0]["path"], "/cash-out");
    assert_eq!(rows[0]["status"], 202);
    assert_eq!(rows[0]["idempotencyKey"], "jk-1");
    assert!(rows[0]["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(rows[1]["status"], 404);
    client.control("DELETE", "/_sandbox/requests", None).await;
    let empty = client.control("GET", "/_sandbox/requests", None).await.body;
    assert_eq!(empty["requests"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn bad_fault_specs_are_400() {
    let client = Client::start().await;
    for spec in [
        json!({"kind": "explode"}),
        json!({"kind": "status", "status": 404}),
        json!({"kind": "status", "percent": 150}),
        json!({"kind": "status", "count": 1, "percent": 10}),
        json!({"kind": "status", "count": 0}),
    ] {
        let reply = client
            .control("POST", "/_sandbox/faults", Some(spec.clone()))
            .await;
        assert_eq!(reply.status, 400, "{spec}");
    }
}
