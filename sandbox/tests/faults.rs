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
        json!({"kind": "rate_limit", "commit": true}),
        json!({"kind": "commit_then_drop", "commit": false}),
        json!({"kind": "truncate_body", "status": 404}),
        json!({"kind": "slow_body", "latencyMs": 600_001}),
    ] {
        let reply = client
            .control("POST", "/_sandbox/faults", Some(spec.clone()))
            .await;
        assert_eq!(reply.status, 400, "{spec}");
    }
}

const READ: Duration = Duration::from_secs(5);

fn journal_rows(body: &serde_json::Value) -> Vec<serde_json::Value> {
    body["requests"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_5xx_family_is_refused_before_commit_or_answered_after_it() {
    let client = Client::start().await;
    for (i, status) in [500u16, 502, 504, 507, 520, 521, 522, 523, 524]
        .into_iter()
        .enumerate()
    {
        // Refused before commit: nothing created.
        let reference = format!("fam-before-{status}");
        client
            .fault(
                json!({"method": "POST", "path": "/cash-out", "kind": "status", "status": status}),
            )
            .await;
        let key = format!("fam-key-b-{i}");
        let reply = client.create_cash_out(&reference, "1.00", Some(&key)).await;
        assert_eq!(reply.status, status);
        assert!(
            client.cash_outs_for(&reference).await.is_empty(),
            "{status} before commit"
        );

        // Committed, then answered 5xx: the payout exists, and the same key replays it.
        let reference = format!("fam-after-{status}");
        client
            .fault(json!({"method": "POST", "path": "/cash-out", "kind": "status", "status": status, "commit": true}))
            .await;
        let key = format!("fam-key-a-{i}");
        let reply = client.create_cash_out(&reference, "1.00", Some(&key)).await;
        assert_eq!(reply.status, status);
        let content_type = reply.header("content-type").unwrap_or_default().to_owned();
        if (520..=527).contains(&status) {
            assert!(
                content_type.starts_with("text/html"),
                "a CDN page for {status}"
            );
        } else {
            assert_eq!(content_type, "application/problem+json");
        }
        let rows = client.cash_outs_for(&reference).await;
        assert_eq!(rows.len(), 1, "{status} after commit created the payout");
        let retry = client.create_cash_out(&reference, "1.00", Some(&key)).await;
        assert_eq!(retry.status, 202);
        assert_eq!(retry.header("idempotent-replayed"), Some("true"));
        assert_eq!(retry.body["transactionId"], rows[0]["transactionId"]);
    }
    let journal = client.control("GET", "/_sandbox/requests", None).await.body;
    let faulted: Vec<_> = journal_rows(&journal)
        .into_iter()
        .filter(|r| !r["fault"].is_null())
        .collect();
    assert_eq!(faulted.len(), 18);
    assert_eq!(faulted[0]["fault"], "status");
    assert!(
        faulted[0]["handlerStatus"].is_null(),
        "refused: never handled"
    );
    assert_eq!(faulted[1]["fault"], "status_after_commit");
    assert_eq!(
        (
            faulted[1]["status"].as_u64(),
            faulted[1]["handlerStatus"].as_u64()
        ),
        (Some(500), Some(202))
    );
}

#[tokio::test]
async fn a_committed_503_is_not_the_apis_problem_body() {
    let client = Client::start().await;
    client
        .fault(json!({"method": "POST", "path": "/cash-out", "kind": "status", "status": 503, "commit": true}))
        .await;
    let reply = client
        .create_cash_out("c503-1", "1.00", Some("c503-key"))
        .await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("content-type"), Some("text/plain"));
    assert_eq!(client.cash_outs_for("c503-1").await.len(), 1);
    // Before commit, 503 is the API's own refusal.
    client
        .fault(json!({"method": "POST", "path": "/cash-out", "kind": "status", "status": 503}))
        .await;
    let reply = client
        .create_cash_out("c503-2", "1.00", Some("c503-key-2"))
        .await;
    assert_eq!((reply.status, reply.code()), (503, "SERVICE_UNAVAILABLE"));
    assert!(client.cash_outs_for("c503-2").await.is_empty());
}

#[tokio::test]
async fn drop_before_commit_closes_without_doing_anything() {
    let client = Client::start().await;
    client
        .fault(json!({"method": "POST", "path": "/cash-out", "kind": "drop"}))
        .await;
    let reply = client
        .raw_api(
            "POST",
            "/cash-out",
            Some(cash_out_body("drop-b-1", "2.00")),
            Some("db-key"),
            READ,
        )
        .await;
    assert_eq!(reply.head, "", "no answer at all");
    assert!(client.cash_outs_for("drop-b-1").await.is_empty());
    let journal = client.control("GET", "/_sandbox/requests", None).await.body;
    let row = journal_rows(&journal).pop().unwrap();
    assert_eq!(
        (row["fault"].as_str(), row["dropped"].as_bool()),
        (Some("drop"), Some(true))
    );
    assert!(row["handlerStatus"].is_null());
}

#[tokio::test]
async fn a_truncated_body_sends_the_head_and_half_the_body_then_closes() {
    let client = Client::start().await;
    client
        .fault(json!({"method": "POST", "path": "/cash-out", "kind": "truncate_body"}))
        .await;
    let reply = client
        .raw_api(
            "POST",
            "/cash-out",
            Some(cash_out_body("trunc-1", "3.00")),
            Some("tr-key"),
            READ,
        )
        .await;
    assert_eq!(reply.status(), 202);
    let full = reply
        .content_length
        .expect("the full Content-Length is declared");
    assert!(reply.truncated(), "{} of {full} bytes", reply.body.len());
    assert_eq!(reply.body.len(), full / 2);
    assert!(serde_json::from_slice::<serde_json::Value>(&reply.body).is_err());
    let rows = client.cash_outs_for("trunc-1").await;
    assert_eq!(rows.len(), 1, "committed");
    // reqwest (a typical client) sees an error reading the body, not a success.
    client
        .fault(json!({"method": "POST", "path": "/cash-out", "kind": "truncate_body"}))
        .await;
    let headers = client.auth_headers();
    let mut headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    headers.push(("x-idempotency-key", "tr-key-2"));
    let body = cash_out_body("trunc-2", "3.00").to_string().into_bytes();
    assert!(
        client
            .send_raw("POST", "/cash-out", Some(body), &headers)
            .await
            .is_err()
    );
    assert_eq!(client.cash_outs_for("trunc-2").await.len(), 1);

    // Before commit: a broken 503, and nothing created.
    client
        .fault(json!({"method": "POST", "path": "/cash-out", "kind": "truncate_body", "commit": false}))
        .await;
    let reply = client
        .raw_api(
            "POST",
            "/cash-out",
            Some(cash_out_body("trunc-3", "3.00")),
            Some("tr-key-3"),
            READ,
        )
        .await;
    assert_eq!(reply.status(), 503);
    assert!(reply.truncated());
    assert!(client.cash_outs_for("trunc-3").await.is_empty());
}

#[tokio::test]
async fn reset_after_headers_sends_the_head_and_no_body() {
    let client = Client::start().await;
    client
        .fault(json!({"method": "POST", "path": "/cash-out", "kind": "reset_after_headers"}))
        .await;
    let reply = client
        .raw_api(
            "POST",
            "/cash-out",
            Some(cash_out_body("rst-1", "4.00")),
            Some("rst-key"),
            READ,
        )
        .await;
    assert_eq!(reply.status(), 202);
    assert!(reply.content_length.unwrap() > 0);
    assert!(reply.body.is_empty(), "no byte of the body");
    assert_eq!(client.cash_outs_for("rst-1").await.len(), 1, "committed");
    client
        .fault(json!({"method": "POST", "path": "/cash-out", "kind": "reset_after_headers", "commit": false}))
        .await;
    let reply = client
        .raw_api(
            "POST",
            "/cash-out",
            Some(cash_out_body("rst-2", "4.00")),
            Some("rst-key-2"),
            READ,
        )
        .await;
    assert_eq!(reply.status(), 503);
    assert!(reply.body.is_empty());
    assert!(client.cash_outs_for("rst-2").await.is_empty());
}

#[tokio::test]
async fn a_slow_body_sends_the_head_at_once_and_dribbles_the_body() {
    let client = Client::start().await;
    client
        .fault(
            json!({"method": "POST", "path": "/cash-out", "kind": "slow_body", "latencyMs": 1000}),
        )
        .await;
    let reply = client
        .raw_api(
            "POST",
            "/cash-out",
            Some(cash_out_body("slow-1", "5.00")),
            Some("slow-key"),
            READ,
        )
        .await;
    assert_eq!(reply.status(), 202);
    assert!(reply.head_ms < 500, "head after {} ms", reply.head_ms);
    assert!(
        reply.total_ms >= 900,
        "body done after {} ms",
        reply.total_ms
    );
    assert!(!reply.truncated(), "whoever waits gets the whole body");
    assert!(serde_json::from_slice::<serde_json::Value>(&reply.body).is_ok());
    assert_eq!(client.cash_outs_for("slow-1").await.len(), 1);
    // A client with a shorter timeout gives up; the payout exists anyway.
    client
        .fault(
            json!({"method": "POST", "path": "/cash-out", "kind": "slow_body", "latencyMs": 2000}),
        )
        .await;
    let reply = client
        .raw_api(
            "POST",
            "/cash-out",
            Some(cash_out_body("slow-2", "5.00")),
            Some("slow-key-2"),
            Duration::from_millis(400),
        )
        .await;
    assert_eq!(reply.status(), 202);
    assert!(reply.truncated());
    assert_eq!(client.cash_outs_for("slow-2").await.len(), 1);
    // Before commit: a slow 503, nothing created.
    client
        .fault(json!({"method": "POST", "path": "/cash-out", "kind": "slow_body", "latencyMs": 300, "commit": false}))
        .await;
    let reply = client
        .raw_api(
            "POST",
            "/cash-out",
            Some(cash_out_body("slow-3", "5.00")),
            Some("slow-key-3"),
            READ,
        )
        .await;
    assert_eq!(reply.status(), 503);
    assert!(reply.total_ms >= 250);
    assert!(client.cash_outs_for("slow-3").await.is_empty());
}

#[tokio::test]
async fn expire_token_makes_the_retry_of_a_dropped_attempt_need_a_refresh() {
    let mut client = Client::start().await;
    client
        .fault(json!({"method": "POST", "path": "/cash-out", "kind": "commit_then_drop", "expireToken": true}))
        .await;
    let headers = client.auth_headers();
    let mut headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    headers.push(("x-idempotency-key", "exp-key"));
    let body = cash_out_body("exp-1", "6.00").to_string().into_bytes();
    assert!(
        client
            .send_raw("POST", "/cash-out", Some(body.clone()), &headers)
            .await
            .is_err()
    );
    assert_eq!(client.cash_outs_for("exp-1").await.len(), 1, "committed");
    // The retry with the same token: 401 TOKEN_EXPIRED (the token is valid for another hour).
    let retry = client
        .send_raw("POST", "/cash-out", Some(body.clone()), &headers)
        .await
        .unwrap();
    assert_eq!((retry.status, retry.code()), (401, "TOKEN_EXPIRED"));
    assert_eq!(
        client
            .api("GET", "/account/balance", None, None)
            .await
            .code(),
        "TOKEN_EXPIRED"
    );
    // A fresh token, the same key: the original answer.
    client.login().await;
    let replay = client
        .create_cash_out("exp-1", "6.00", Some("exp-key"))
        .await;
    assert_eq!(replay.status, 202);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(client.cash_outs_for("exp-1").await.len(), 1);
}

#[tokio::test]
async fn the_token_endpoint_can_fail_every_way() {
    let client = Client::start().await;
    let c = client.sandbox.credentials().clone();
    let login = json!({"clientId": c.client_id, "clientSecret": c.client_secret});
    // 503, the API's problem body.
    client
        .fault(json!({"method": "POST", "path": "/auth/token", "kind": "status", "status": 503}))
        .await;
    let reply = client
        .send("POST", "/auth/token", Some(login.clone()), &[])
        .await;
    assert_eq!((reply.status, reply.code()), (503, "SERVICE_UNAVAILABLE"));
    // Another 5xx.
    client
        .fault(json!({"method": "POST", "path": "/auth/token", "kind": "status", "status": 502}))
        .await;
    assert_eq!(
        client
            .send("POST", "/auth/token", Some(login.clone()), &[])
            .await
            .status,
        502
    );
    // Dropped, before and after issuing.
    for kind in ["drop", "commit_then_drop"] {
        client
            .fault(json!({"method": "POST", "path": "/auth/token", "kind": kind}))
            .await;
        let body = login.to_string().into_bytes();
        assert!(
            client
                .send_raw("POST", "/auth/token", Some(body), &[])
                .await
                .is_err(),
            "{kind}"
        );
    }
    // Latency.
    client
        .fault(
            json!({"method": "POST", "path": "/auth/token", "kind": "latency", "latencyMs": 300}),
        )
        .await;
    let started = Instant::now();
    let reply = client
        .send("POST", "/auth/token", Some(login.clone()), &[])
        .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(reply.status, 200);
    // And the API itself is untouched by token-endpoint faults.
    client
        .fault(json!({"method": "POST", "path": "/auth/token", "kind": "status", "percent": 100}))
        .await;
    assert_eq!(
        client
            .api("GET", "/account/balance", None, None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn transactions_can_be_looked_up_by_reference_or_key() {
    let client = Client::start().await;
    client
        .create_cash_out("look-1", "1.00", Some("look-key-1"))
        .await;
    client
        .create_cash_out("look-2", "1.00", Some("look-key-2"))
        .await;
    let by_key = client
        .control(
            "GET",
            "/_sandbox/transactions?idempotencyKey=look-key-2",
            None,
        )
        .await
        .body;
    let rows = by_key["transactions"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["externalReference"], "look-2");
    assert_eq!(client.cash_outs_for("look-1").await.len(), 1);
    assert!(client.cash_outs_for("look-3").await.is_empty());
    let log = client
        .control(
            "GET",
            "/_sandbox/requests?since=1&idempotencyKey=look-key-1",
            None,
        )
        .await
        .body;
    let rows = log["requests"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["handlerStatus"], 202);
}
