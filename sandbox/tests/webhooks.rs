//! Signed webhooks: delivery, X-Connect-Signature over the exact body, a fresh X-Event-Id per
//! attempt, retries with backoff, and the journal of attempts.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn cash_in_paid_and_refunded_are_delivered_signed() {
    let client = Client::start().await;
    let (receiver, url) = Receiver::start(&[]).await;
    let mut body = cash_in_body("wh-1", "10.00");
    body["webhookUrl"] = json!(url);
    let created = client.api("POST", "/cash-in", Some(body), None).await.body;
    let tx = created["transactionId"].as_str().unwrap();
    client
        .control("POST", &format!("/_sandbox/cash-in/{tx}/pay"), None)
        .await;
    let deliveries = receiver.wait_for(1).await;
    let (headers, raw) = &deliveries[0];
    let crypto = &client.sandbox.credentials().crypto_token;
    let signature = headers["x-connect-signature"].to_str().unwrap();
    assert_eq!(
        signature,
        connectpsp_core::signature::hmac_sha256_hex(crypto.as_bytes(), raw)
    );
    assert!(
        signature
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["x-event-id"].to_str().unwrap().len(), 36);
    let event: Value = serde_json::from_slice(raw).unwrap();
    assert_eq!(event["eventType"], "CASHIN_PAID");
    assert!(event["eventAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(event["data"]["transactionId"], tx);
    assert_eq!(event["data"]["status"], "PAID");
    assert!(String::from_utf8_lossy(raw).contains("\"amount\":10.00"));
    // The core's verifier accepts what the sandbox signs.
    assert!(connectpsp_core::signature::verify_hex(
        crypto.as_bytes(),
        raw,
        signature
    ));

    client
        .api(
            "POST",
            &format!("/cash-in/{tx}/refund"),
            Some(json!({"reason": "FRAUD"})),
            None,
        )
        .await;
    let deliveries = receiver.wait_for(2).await;
    let refunded: Value = serde_json::from_slice(&deliveries[1].1).unwrap();
    assert_eq!(refunded["eventType"], "CASHIN_REFUNDED");
    assert!(
        refunded["data"]["endToEndId"]
            .as_str()
            .unwrap()
            .starts_with('D')
    );
    assert!(
        refunded["data"]["originalEndToEndId"]
            .as_str()
            .unwrap()
            .starts_with('E')
    );
}

#[tokio::test]
async fn cash_out_events_completed_failed_and_returned() {
    let client = Client::start().await;
    let (receiver, url) = Receiver::start(&[]).await;
    let mut expected = Vec::new();
    for (reference, key, event) in [
        ("wh-ok", "12345678909", "CASHOUT_COMPLETED"),
        (
            "wh-fail",
            connectpsp_sandbox::FAILING_EVP_KEY,
            "CASHOUT_FAILED",
        ),
    ] {
        let mut body = cash_out_body(reference, "3.00");
        body["webhookUrl"] = json!(url);
        if event == "CASHOUT_FAILED" {
            body["payee"]["destination"] =
                json!({"type": "PIX", "pixKeyType": "EVP", "pixKey": key});
        }
        let reply = client.api("POST", "/cash-out", Some(body), None).await;
        assert_eq!(reply.status, 202, "{}", reply.text);
        expected.push((
            reply.body["transactionId"].as_str().unwrap().to_owned(),
            event,
        ));
    }
    let mut body = cash_out_body("wh-ret", "4.00");
    body["webhookUrl"] = json!(url);
    body["payee"]["destination"] = json!({"type": "PIX", "pixKeyType": "EMAIL", "pixKey": connectpsp_sandbox::RETURNED_EMAIL_KEY});
    let returned = client.api("POST", "/cash-out", Some(body), None).await.body;
    let returned_tx = returned["transactionId"].as_str().unwrap().to_owned();

    let deliveries = receiver.wait_for(4).await;
    let events: Vec<Value> = deliveries
        .iter()
        .map(|(_, raw)| serde_json::from_slice(raw).unwrap())
        .collect();
    for (tx, kind) in &expected {
        assert!(
            events
                .iter()
                .any(|e| e["eventType"] == *kind && e["data"]["transactionId"] == tx.as_str()),
            "{kind} for {tx}"
        );
    }
    let back: Vec<&Value> = events
        .iter()
        .filter(|e| e["data"]["transactionId"] == returned_tx.as_str())
        .collect();
    assert_eq!(back.len(), 2);
    assert_eq!(back[0]["eventType"], "CASHOUT_COMPLETED");
    assert_eq!(back[1]["eventType"], "CASHOUT_REFUNDED");
    assert!(
        back[1]["data"]["endToEndId"]
            .as_str()
            .unwrap()
            .starts_with('D')
    );
    let failed = events
        .iter()
        .find(|e| e["eventType"] == "CASHOUT_FAILED")
        .unwrap();
    assert_eq!(failed["data"]["failure"]["code"], "PIX_KEY_NOT_FOUND");
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_backoff_and_journaled() {
    let client = Client::start().await;
    // Two failures, then success.
    let (receiver, url) = Receiver::start(&[500, 503]).await;
    let mut body = cash_in_body("wh-retry", "1.00");
    body["webhookUrl"] = json!(url);
    let tx = client.api("POST", "/cash-in", Some(body), None).await.body["transactionId"]
        .as_str()
        .unwrap()
        .to_owned();
    client
        .control("POST", &format!("/_sandbox/cash-in/{tx}/pay"), None)
        .await;
    let deliveries = receiver.wait_for(3).await;
    assert_eq!(
        deliveries[0].1, deliveries[2].1,
        "every attempt carries the same bytes"
    );
    let ids: std::collections::HashSet<_> = deliveries
        .iter()
        .map(|(h, _)| h["x-event-id"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3, "a fresh X-Event-Id per attempt");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let journal = client.control("GET", "/_sandbox/webhooks", None).await.body;
    let attempts = journal["webhooks"].as_array().unwrap();
    assert_eq!(attempts.len(), 3);
    let statuses: Vec<_> = attempts.iter().map(|a| a["status"].clone()).collect();
    assert_eq!(statuses, vec![json!(500), json!(503), json!(200)]);
    assert_eq!(attempts[2]["delivered"], true);
    assert_eq!(attempts[2]["attempt"], 3);
    assert_eq!(attempts[0]["eventType"], "CASHIN_PAID");
}

#[tokio::test]
async fn an_unreachable_receiver_is_retried_then_given_up() {
    let mut config = test_config();
    config.webhook_max_attempts = 3;
    config.webhook_retry_base_ms = 20;
    let client = Client::start_with(config).await;
    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let mut body = cash_in_body("wh-dead", "1.00");
    body["webhookUrl"] = json!(url);
    let tx = client.api("POST", "/cash-in", Some(body), None).await.body["transactionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = std::time::Instant::now();
    client
        .control("POST", &format!("/_sandbox/cash-in/{tx}/pay"), None)
        .await;
    let mut attempts = Vec::new();
    for _ in 0..200 {
        attempts = client.control("GET", "/_sandbox/webhooks", None).await.body["webhooks"]
            .as_array()
            .unwrap()
            .clone();
        if attempts.len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(attempts.len(), 3);
    assert!(
        attempts
            .iter()
            .all(|a| a["delivered"] == false && a["status"].is_null())
    );
    // Backoff 20 ms then 40 ms.
    assert!(started.elapsed() >= std::time::Duration::from_millis(60));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let later = client.control("GET", "/_sandbox/webhooks", None).await.body["webhooks"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(later, 3, "gives up after max attempts");
}
