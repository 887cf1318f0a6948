//! X-Idempotency-Key: replay, conflict, and concurrent requests with one key.

mod common;

use common::*;
use serde_json::json;

async fn transactions(client: &Client) -> Vec<serde_json::Value> {
    client
        .control("GET", "/_sandbox/transactions", None)
        .await
        .body["transactions"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn same_key_same_body_replays_status_and_body() {
    let client = Client::start().await;
    let first = client
        .create_cash_out("idem-1", "12.34", Some("key-1"))
        .await;
    assert_eq!(first.status, 202);
    assert!(first.header("idempotent-replayed").is_none());
    // The same body with other whitespace and key order is the same body.
    let mut reordered = serde_json::Map::new();
    let original = cash_out_body("idem-1", "12.34");
    for key in ["payee", "description", "externalReference", "amount"] {
        reordered.insert(key.into(), original[key].clone());
    }
    let second = client
        .api(
            "POST",
            "/cash-out",
            Some(serde_json::Value::Object(reordered)),
            Some("key-1"),
        )
        .await;
    assert_eq!(second.status, 202);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.text, first.text, "the original body, byte for byte");
    let rows = transactions(&client).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["idempotencyKey"], "key-1");
    assert_eq!(rows[0]["amount"], "12.34");

    // Cash-in replays its 201 (with the QR) too.
    let a = client
        .api(
            "POST",
            "/cash-in",
            Some(cash_in_body("idem-ci", "3.00")),
            Some("key-ci"),
        )
        .await;
    let b = client
        .api(
            "POST",
            "/cash-in",
            Some(cash_in_body("idem-ci", "3.00")),
            Some("key-ci"),
        )
        .await;
    assert_eq!((a.status, b.status), (201, 201));
    assert_eq!(a.text, b.text);
    assert_eq!(transactions(&client).await.len(), 2);
}

#[tokio::test]
async fn same_key_different_body_is_refused() {
    let client = Client::start().await;
    assert_eq!(
        client
            .create_cash_out("idem-2", "10.00", Some("key-2"))
            .await
            .status,
        202
    );
    let other = client
        .create_cash_out("idem-2", "10.01", Some("key-2"))
        .await;
    assert_eq!(
        (other.status, other.code()),
        (422, "IDEMPOTENCY_KEY_REUSED")
    );
    assert_eq!(transactions(&client).await.len(), 1);
    // Keys are scoped per endpoint: the same key on cash-in is a different key.
    let cash_in = client
        .api(
            "POST",
            "/cash-in",
            Some(cash_in_body("idem-2-ci", "10.00")),
            Some("key-2"),
        )
        .await;
    assert_eq!(cash_in.status, 201);
}

#[tokio::test]
async fn errors_are_not_stored_so_a_retry_may_succeed() {
    let client = Client::start().await;
    client
        .control(
            "POST",
            "/_sandbox/balances",
            Some(json!({"transactional": "5.00"})),
        )
        .await;
    let poor = client
        .create_cash_out("idem-3", "10.00", Some("key-3"))
        .await;
    assert_eq!(poor.code(), "INSUFFICIENT_FUNDS");
    client
        .control(
            "POST",
            "/_sandbox/balances",
            Some(json!({"transactional": "50.00"})),
        )
        .await;
    let retry = client
        .create_cash_out("idem-3", "10.00", Some("key-3"))
        .await;
    assert_eq!(retry.status, 202, "{}", retry.text);
    assert!(retry.header("idempotent-replayed").is_none());
    // A rejected body does not pin the key: a corrected body may use it.
    let bad = client
        .create_cash_out("idem-5", "1.001", Some("key-5"))
        .await;
    assert_eq!(bad.code(), "VALIDATION_ERROR");
    let fixed = client
        .create_cash_out("idem-5", "1.00", Some("key-5"))
        .await;
    assert_eq!(fixed.status, 202, "{}", fixed.text);
}

#[tokio::test]
async fn a_malformed_key_is_400() {
    let client = Client::start().await;
    let long = "k".repeat(256);
    for key in [long.as_str(), "has space"] {
        let reply = client.create_cash_out("idem-4", "1.00", Some(key)).await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "VALIDATION_ERROR"),
            "{key}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_concurrent_same_key_cash_outs_create_one_transaction() {
    let client = std::sync::Arc::new(Client::start().await);
    let before = client.balance().await;
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .create_cash_out("race-1", "7.77", Some("race-key"))
                .await
        }));
    }
    let mut bodies = std::collections::HashSet::new();
    let mut replayed = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, 202, "{}", reply.text);
        if reply.header("idempotent-replayed") == Some("true") {
            replayed += 1;
        }
        bodies.insert(reply.text);
    }
    assert_eq!(bodies.len(), 1, "every answer is the same transaction");
    assert_eq!(replayed, 99);
    let rows = transactions(&client).await;
    assert_eq!(rows.len(), 1);
    let after = client.balance().await;
    assert_eq!(
        centavos(&before["consolidated"]["transactionalBalance"])
            - centavos(&after["consolidated"]["transactionalBalance"]),
        777,
        "debited once"
    );
}
