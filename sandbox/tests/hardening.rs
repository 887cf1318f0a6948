//! The sandbox defends itself against the web pages its user opens and against long runs:
//! Host and Origin checks, the optional control token, CORS for loopback origins only, and caps
//! on every store and on the tasks it runs.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

const READ: Duration = Duration::from_secs(5);

async fn transactional(client: &Client) -> i64 {
    centavos(&client.balance().await["consolidated"]["transactionalBalance"])
}

#[tokio::test]
async fn a_rebound_host_is_refused_and_changes_nothing() {
    let client = Client::start().await;
    let port = client.base.rsplit(':').next().unwrap().to_owned();
    let before = transactional(&client).await;
    let body = json!({"transactional": "1.00"}).to_string().into_bytes();
    let evil = format!("evil.example:{port}");
    let reply = raw_http(
        &client.base,
        "POST",
        "/_sandbox/balances",
        &[("host", &evil)],
        Some(&body),
        READ,
    )
    .await;
    assert_eq!(reply.status(), 403);
    assert!(String::from_utf8_lossy(&reply.body).contains("HOST_NOT_ALLOWED"));
    assert_eq!(transactional(&client).await, before, "nothing changed");
    // The API too: a rebound page must not read balances with a stolen token either.
    let reply = raw_http(
        &client.base,
        "GET",
        "/_sandbox/transactions",
        &[("host", "127.0.0.1.nip.io")],
        None,
        READ,
    )
    .await;
    assert_eq!(reply.status(), 403);
    for good in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "localhost".to_owned(),
    ] {
        let reply = raw_http(
            &client.base,
            "GET",
            "/_sandbox/health",
            &[("host", &good)],
            None,
            READ,
        )
        .await;
        assert_eq!(reply.status(), 200, "{good}");
    }
    let rebound_with_port = raw_http(
        &client.base,
        "GET",
        "/_sandbox/health",
        &[("host", &evil)],
        None,
        READ,
    )
    .await;
    assert_eq!(rebound_with_port.status(), 403);
}

#[tokio::test]
async fn allowed_hosts_are_configurable() {
    let mut config = test_config();
    config.allowed_hosts = vec!["sandbox.internal".into()];
    let client = Client::start_with(config).await;
    let reply = raw_http(
        &client.base,
        "GET",
        "/_sandbox/health",
        &[("host", "sandbox.internal:80")],
        None,
        READ,
    )
    .await;
    assert_eq!(reply.status(), 200);
}

#[tokio::test]
async fn a_cross_site_request_is_refused_and_only_loopback_origins_get_cors() {
    let client = Client::start().await;
    let before = transactional(&client).await;
    // A form POST from another site: no preflight happens for it, so refusing it is the defence.
    let body = json!({"transactional": "1.00"}).to_string().into_bytes();
    let reply = raw_http(
        &client.base,
        "POST",
        "/_sandbox/balances",
        &[("origin", "https://evil.example")],
        Some(&body),
        READ,
    )
    .await;
    assert_eq!(reply.status(), 403);
    assert!(String::from_utf8_lossy(&reply.body).contains("ORIGIN_NOT_ALLOWED"));
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(transactional(&client).await, before);
    let null = raw_http(
        &client.base,
        "GET",
        "/_sandbox/transactions",
        &[("origin", "null")],
        None,
        READ,
    )
    .await;
    assert_eq!(null.status(), 403);

    // A page on a loopback origin may call it and read the answer.
    let local = raw_http(
        &client.base,
        "GET",
        "/_sandbox/health",
        &[("origin", "http://localhost:3000")],
        None,
        READ,
    )
    .await;
    assert_eq!(local.status(), 200);
    assert_eq!(
        local.header("access-control-allow-origin").as_deref(),
        Some("http://localhost:3000")
    );

    // Preflight: answered for loopback, not for others.
    let preflight = |origin: &'static str| {
        let base = client.base.clone();
        async move {
            raw_http(
                &base,
                "OPTIONS",
                "/cash-out",
                &[
                    ("origin", origin),
                    ("access-control-request-method", "POST"),
                    (
                        "access-control-request-headers",
                        "authorization,content-type",
                    ),
                ],
                None,
                READ,
            )
            .await
        }
    };
    let ok = preflight("http://127.0.0.1:5173").await;
    assert_eq!(
        ok.header("access-control-allow-origin").as_deref(),
        Some("http://127.0.0.1:5173")
    );
    let evil = preflight("https://evil.example").await;
    assert_eq!(evil.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn extra_origins_are_configurable() {
    let mut config = test_config();
    config.cors_origins = vec!["https://app.example".into()];
    let client = Client::start_with(config).await;
    let reply = raw_http(
        &client.base,
        "GET",
        "/_sandbox/health",
        &[("origin", "https://app.example")],
        None,
        READ,
    )
    .await;
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.header("access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    let other = raw_http(
        &client.base,
        "GET",
        "/_sandbox/health",
        &[("origin", "https://other.example")],
        None,
        READ,
    )
    .await;
    assert_eq!(other.status(), 403);
}

#[tokio::test]
async fn a_control_token_when_set_is_required_on_the_control_api() {
    let mut config = test_config();
    config.control_token = Some("ctl-7f3a".into());
    let client = Client::start_with(config).await;
    let none = client.control("GET", "/_sandbox/transactions", None).await;
    assert_eq!((none.status, none.code()), (401, "CONTROL_TOKEN_REQUIRED"));
    let wrong = client
        .send(
            "POST",
            "/_sandbox/reset",
            None,
            &[("authorization", "Bearer ctl-7f3b")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    let right = client
        .send(
            "GET",
            "/_sandbox/transactions",
            None,
            &[("authorization", "Bearer ctl-7f3a")],
        )
        .await;
    assert_eq!(right.status, 200);
    // Health stays open (readiness probes); the API keeps its own auth.
    assert_eq!(
        client.control("GET", "/_sandbox/health", None).await.status,
        200
    );
    assert_eq!(
        client
            .api("GET", "/account/balance", None, None)
            .await
            .status,
        200
    );
    // Without a token configured, the control API is open (the default).
    let open = Client::start().await;
    assert_eq!(
        open.control("GET", "/_sandbox/transactions", None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_idempotency_map_forgets_the_oldest_keys_past_its_cap() {
    let mut config = test_config();
    config.max_idempotency_keys = 3;
    let client = Client::start_with(config).await;
    for i in 0..5 {
        let reply = client
            .create_cash_out(&format!("cap-{i}"), "1.00", Some(&format!("cap-key-{i}")))
            .await;
        assert_eq!(reply.status, 202);
    }
    let settings = client.control("GET", "/_sandbox/settings", None).await.body;
    assert_eq!(settings["limits"]["idempotencyKeys"], 3);
    // The newest keys replay; the oldest reach the handler (and its reference check).
    let recent = client
        .create_cash_out("cap-4", "1.00", Some("cap-key-4"))
        .await;
    assert_eq!(recent.header("idempotent-replayed"), Some("true"));
    let forgotten = client
        .create_cash_out("cap-0", "1.00", Some("cap-key-0"))
        .await;
    assert_eq!(
        (forgotten.status, forgotten.code()),
        (409, "DUPLICATE_EXTERNAL_REFERENCE")
    );
    assert_eq!(
        client.cash_outs_for("cap-0").await.len(),
        1,
        "never a second payout"
    );
}

#[tokio::test]
async fn the_request_and_webhook_journals_keep_only_the_newest_entries() {
    let mut config = test_config();
    config.max_request_log = 5;
    config.max_webhook_log = 2;
    let client = Client::start_with(config).await;
    let (receiver, url) = Receiver::start(&[]).await;
    for i in 0..8 {
        let mut body = cash_out_body(&format!("log-{i}"), "1.00");
        body["webhookUrl"] = json!(url);
        client.api("POST", "/cash-out", Some(body), None).await;
    }
    let journal = client.control("GET", "/_sandbox/requests", None).await.body;
    let rows = journal["requests"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(journal["lastSeq"], 9, "the login and 8 payouts were seen");
    assert_eq!(rows[0]["seq"], 5, "the oldest went first");
    receiver.wait_for(8).await;
    let webhooks = client.control("GET", "/_sandbox/webhooks", None).await.body;
    assert_eq!(webhooks["webhooks"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn settlements_run_on_one_timer_not_one_task_each() {
    let mut config = test_config();
    config.settle_delay_ms = 60_000;
    let client = Client::start_with(config).await;
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    for i in 0..100 {
        client
            .create_cash_out(&format!("task-{i}"), "1.00", None)
            .await;
    }
    let after = metrics.num_alive_tasks();
    assert!(
        after < before + 10,
        "{before} tasks before 100 pending settlements, {after} after"
    );
}

#[tokio::test]
async fn requests_in_flight_are_capped() {
    let mut config = test_config();
    config.max_in_flight = 1;
    let client = Client::start_with(config).await;
    client
        .fault(json!({"path": "/account/balance", "kind": "latency", "latencyMs": 300, "count": 2}))
        .await;
    let started = Instant::now();
    let (a, b) = tokio::join!(
        client.api("GET", "/account/balance", None, None),
        client.api("GET", "/account/balance", None, None)
    );
    assert_eq!((a.status, b.status), (200, 200));
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "one after the other: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn open_connections_are_capped() {
    let mut config = test_config();
    config.max_connections = 1;
    let sandbox = connectpsp_sandbox::Sandbox::start(config).await.unwrap();
    let base = sandbox.base_url().to_owned();
    let fresh = || {
        reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    };
    // An idle connection holds the only slot...
    let idle = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting = fresh()
        .get(format!("{base}/_sandbox/health"))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(
        waiting.is_err(),
        "a second connection waits while the first is open"
    );
    // ...until it closes.
    drop(idle);
    let served = fresh()
        .get(format!("{base}/_sandbox/health"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
}

#[tokio::test]
async fn balances_out_of_the_amount_range_are_refused_not_clamped() {
    let client = Client::start().await;
    let before = transactional(&client).await;
    let reply = client
        .control(
            "POST",
            "/_sandbox/balances",
            // Each fits an i64 of centavos; their total does not.
            Some(json!({"delbank": {"transactional": "60000000000000000.00"}, "celcoin": {"transactional": "60000000000000000.00"}})),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(transactional(&client).await, before, "unchanged");
}
