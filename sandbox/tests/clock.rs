//! The sandbox clock: token expiry, cash-in expiry, runtime settings and reset.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn advancing_the_clock_expires_tokens() {
    let mut client = Client::start().await;
    assert_eq!(
        client
            .api("GET", "/account/balance", None, None)
            .await
            .status,
        200
    );
    let moved = client
        .control(
            "POST",
            "/_sandbox/clock/advance",
            Some(json!({"seconds": 3600})),
        )
        .await;
    assert_eq!(moved.status, 200);
    assert!(moved.body["offsetMs"].as_i64().unwrap() >= 3_600_000);
    let expired = client.api("GET", "/account/balance", None, None).await;
    assert_eq!((expired.status, expired.code()), (401, "TOKEN_EXPIRED"));
    client.login().await;
    assert_eq!(
        client
            .api("GET", "/account/balance", None, None)
            .await
            .status,
        200
    );
    let backwards = client
        .control(
            "POST",
            "/_sandbox/clock/advance",
            Some(json!({"seconds": -1})),
        )
        .await;
    assert_eq!(backwards.status, 400);
    let overflow = client
        .control(
            "POST",
            "/_sandbox/clock/advance",
            Some(json!({"hours": i64::MAX})),
        )
        .await;
    assert_eq!(overflow.status, 400);
}

#[tokio::test]
async fn token_ttl_can_be_changed_at_runtime() {
    let mut client = Client::start().await;
    let set = client
        .control(
            "POST",
            "/_sandbox/settings",
            Some(json!({"tokenTtlSeconds": 5})),
        )
        .await;
    assert_eq!(set.body["tokenTtlSeconds"], 5);
    client.login().await;
    client
        .control(
            "POST",
            "/_sandbox/clock/advance",
            Some(json!({"seconds": 4})),
        )
        .await;
    assert_eq!(
        client
            .api("GET", "/account/balance", None, None)
            .await
            .status,
        200
    );
    client
        .control(
            "POST",
            "/_sandbox/clock/advance",
            Some(json!({"seconds": 1})),
        )
        .await;
    assert_eq!(
        client
            .api("GET", "/account/balance", None, None)
            .await
            .code(),
        "TOKEN_EXPIRED"
    );
}

#[tokio::test]
async fn advancing_the_clock_expires_cash_ins() {
    let client = Client::start().await;
    let created = client.create_cash_in("exp-1", "5.00").await.body; // 60 minutes
    let tx = created["transactionId"].as_str().unwrap();
    client
        .control(
            "POST",
            "/_sandbox/clock/advance",
            Some(json!({"minutes": 59})),
        )
        .await;
    let still = client
        .api("GET", &format!("/cash-in/{tx}"), None, None)
        .await
        .body;
    assert_eq!(still["status"], "AWAITING_PAYMENT");
    client
        .control(
            "POST",
            "/_sandbox/clock/advance",
            Some(json!({"minutes": 1})),
        )
        .await;
    let mut client = client;
    client.login().await;
    let expired = client
        .api("GET", &format!("/cash-in/{tx}"), None, None)
        .await
        .body;
    assert_eq!(expired["status"], "EXPIRED");
    assert_eq!(expired["expiredAt"], expired["expiresAt"]);
    let pay = client
        .control("POST", &format!("/_sandbox/cash-in/{tx}/pay"), None)
        .await;
    assert_eq!(pay.status, 409, "an expired charge cannot be paid");
}

#[tokio::test]
async fn manual_settlement_and_reset() {
    let mut config = test_config();
    config.auto_settle = false;
    let client = Client::start_with(config).await;
    let tx = client.create_cash_out("man-1", "2.00", None).await.body["transactionId"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let still = client
        .api("GET", &format!("/cash-out/{tx}"), None, None)
        .await
        .body;
    assert_eq!(still["status"], "PROCESSING");
    let failed = client
        .control(
            "POST",
            &format!("/_sandbox/cash-out/{tx}/fail"),
            Some(json!({"code": "ACCOUNT_CLOSED"})),
        )
        .await;
    assert_eq!(failed.status, 200, "{}", failed.text);
    assert_eq!(failed.body["failure"]["code"], "ACCOUNT_CLOSED");
    let again = client
        .control("POST", &format!("/_sandbox/cash-out/{tx}/complete"), None)
        .await;
    assert_eq!(again.status, 409);

    let tx2 = client.create_cash_out("man-2", "2.00", None).await.body["transactionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = client
        .control("POST", &format!("/_sandbox/cash-out/{tx2}/complete"), None)
        .await;
    assert_eq!(done.body["status"], "COMPLETED");

    let reset = client.control("POST", "/_sandbox/reset", None).await;
    assert_eq!(reset.status, 200);
    let rows = client
        .control("GET", "/_sandbox/transactions", None)
        .await
        .body;
    assert_eq!(rows["transactions"].as_array().unwrap().len(), 0);
    assert_eq!(
        client
            .api("GET", &format!("/cash-out/{tx2}"), None, None)
            .await
            .status,
        404
    );
    // Tokens survive a reset (same signing key): the client keeps working.
    let balance = client.balance().await;
    assert_eq!(
        balance["consolidated"]["transactionalBalance"],
        json!(amount("1000000.00"))
    );
}

#[tokio::test]
async fn blocking_handle_runs_on_its_own_thread() {
    let handle = tokio::task::spawn_blocking(|| {
        connectpsp_sandbox::SandboxHandle::spawn(connectpsp_sandbox::SandboxConfig::default())
            .unwrap()
    })
    .await
    .unwrap();
    let url = format!("{}/_sandbox/health", handle.base_url());
    let reply = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(handle.credentials().client_id, "sandbox-client");
    assert!(!format!("{:?}", handle.credentials()).contains(&handle.credentials().client_secret));
    tokio::task::spawn_blocking(move || handle.stop())
        .await
        .unwrap();
    let after = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await;
    assert!(after.is_err(), "stopped");
}
