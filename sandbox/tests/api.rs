//! Every endpoint of the reference over real HTTP: statuses, headers, bodies, error codes.

mod common;

use common::*;
use connectpsp_core::pix::brcode;
use serde_json::json;

#[tokio::test]
async fn token_exchange_issues_a_real_jwt() {
    let client = Client::start().await;
    let c = client.sandbox.credentials().clone();
    let reply = client
        .send(
            "POST",
            "/auth/token",
            Some(json!({"clientId": c.client_id, "clientSecret": c.client_secret})),
            &[],
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["tokenType"], "Bearer");
    assert_eq!(reply.body["expiresIn"], 3600);
    assert!(reply.body["issuedAt"].as_str().unwrap().ends_with('Z'));
    let token = reply.body["accessToken"].as_str().unwrap();
    assert!(token.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
    assert_eq!(token.split('.').count(), 3);
    assert!(reply.header("x-request-id").is_some());
}

#[tokio::test]
async fn wrong_credentials_are_401_invalid_credentials() {
    let client = Client::start().await;
    for body in [
        json!({"clientId": "sandbox-client", "clientSecret": "wrong"}),
        json!({"clientId": "someone-else", "clientSecret": client.sandbox.credentials().client_secret}),
    ] {
        let reply = client.send("POST", "/auth/token", Some(body), &[]).await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.code(), "INVALID_CREDENTIALS");
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json")
        );
        assert!(
            !reply
                .text
                .contains(&client.sandbox.credentials().client_secret)
        );
    }
    let reply = client
        .send("POST", "/auth/token", Some(json!({"clientId": "x"})), &[])
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "VALIDATION_ERROR");
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .contains("clientSecret")
    );
}

#[tokio::test]
async fn bearer_and_application_token_are_checked_on_every_endpoint() {
    let client = Client::start().await;
    let app_token = client.sandbox.credentials().application_token.clone();
    let bearer = format!("Bearer {}", client.token);
    let paths = [
        ("POST", "/cash-in"),
        ("GET", "/cash-in/X1"),
        ("POST", "/cash-in/X1/refund"),
        ("POST", "/cash-out"),
        ("GET", "/cash-out/X1"),
        ("GET", "/account/balance"),
        ("POST", "/account/rebalance"),
    ];
    for (method, path) in paths {
        let body = (method == "POST").then(|| json!({}));
        let missing = client
            .send(
                method,
                path,
                body.clone(),
                &[("applicationtoken", &app_token)],
            )
            .await;
        assert_eq!(
            (missing.status, missing.code()),
            (401, "INVALID_TOKEN"),
            "{method} {path}"
        );
        let forged = client
            .send(
                method,
                path,
                body.clone(),
                &[
                    ("authorization", "Bearer eyJ.eyJ.sig"),
                    ("applicationtoken", &app_token),
                ],
            )
            .await;
        assert_eq!(
            (forged.status, forged.code()),
            (401, "INVALID_TOKEN"),
            "{method} {path}"
        );
        let no_app = client
            .send(method, path, body.clone(), &[("authorization", &bearer)])
            .await;
        assert_eq!(
            (no_app.status, no_app.code()),
            (401, "INVALID_APPLICATION_TOKEN"),
            "{method} {path}"
        );
        let wrong_app = client
            .send(
                method,
                path,
                body,
                &[
                    ("authorization", &bearer),
                    ("applicationtoken", "00000000-0000-0000-0000-000000000000"),
                ],
            )
            .await;
        assert_eq!(
            wrong_app.code(),
            "INVALID_APPLICATION_TOKEN",
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn digital_signature_is_required_on_cash_out_refund_and_rebalance() {
    let client = Client::start().await;
    let app_token = client.sandbox.credentials().application_token.clone();
    let bearer = format!("Bearer {}", client.token);
    let wrong = sign("another-crypto-token", &client.token);
    let upper = client.signature.to_ascii_uppercase();
    let cases = [
        ("/cash-out", cash_out_body("sig-1", "10.00")),
        ("/cash-in/UNKNOWN/refund", json!({"reason": "FRAUD"})),
        ("/account/rebalance", json!({"targetAmount": 1000000})),
    ];
    for (path, body) in cases {
        let missing = client
            .send(
                "POST",
                path,
                Some(body.clone()),
                &[("authorization", &bearer), ("applicationtoken", &app_token)],
            )
            .await;
        assert_eq!(
            (missing.status, missing.code()),
            (422, "INVALID_SIGNATURE"),
            "{path}"
        );
        let bad = client
            .send(
                "POST",
                path,
                Some(body.clone()),
                &[
                    ("authorization", &bearer),
                    ("applicationtoken", &app_token),
                    ("digitalsignature", &wrong),
                ],
            )
            .await;
        assert_eq!(
            (bad.status, bad.code()),
            (422, "INVALID_SIGNATURE"),
            "{path}"
        );
        // Uppercase hex is accepted too (api-decisions.md).
        let ok = client
            .send(
                "POST",
                path,
                Some(body),
                &[
                    ("authorization", &bearer),
                    ("applicationtoken", &app_token),
                    ("digitalsignature", &upper),
                ],
            )
            .await;
        assert_ne!(ok.code(), "INVALID_SIGNATURE", "{path}");
    }
}

#[tokio::test]
async fn cash_in_returns_a_real_br_code_and_qr_png() {
    let client = Client::start().await;
    let reply = client.create_cash_in("order-1", "150.50").await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let body = &reply.body;
    assert_eq!(body["status"], "AWAITING_PAYMENT");
    assert!(
        reply.text.contains("\"amount\":150.50"),
        "amount keeps two decimals: {}",
        reply.text
    );
    let tx = body["transactionId"].as_str().unwrap();
    assert_eq!(tx.len(), 35);
    assert!(
        tx.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    let code = body["internalCode"].as_str().unwrap();
    assert!(
        code.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    assert!(body["requestedAt"].as_str().unwrap().ends_with("-03:00"));
    assert!(body["expiresAt"].is_string());

    let copy_and_paste = body["pixData"]["copyAndPaste"].as_str().unwrap();
    let decoded = brcode::decode(copy_and_paste).expect("a valid BR Code with a correct CRC");
    assert_eq!(decoded.amount.unwrap().centavos(), 15050);
    match decoded.location {
        brcode::PixLocation::Url(url) => assert!(url.ends_with(tx), "{url}"),
        other => panic!("expected a dynamic code, got {other:?}"),
    }
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD
        .decode(body["pixData"]["qrCodeImageBase64"].as_str().unwrap())
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // The image is the SDK core's QR of this very code (one renderer for both).
    use connectpsp_core::pix::qr;
    assert!(
        (1..=qr::MAX_MODULE_PX).any(|px| qr::qr_png(copy_and_paste, px).unwrap() == png),
        "the QR image is not the core's rendering of copyAndPaste"
    );
}

#[tokio::test]
async fn open_finance_cash_in_returns_a_payment_url() {
    let client = Client::start().await;
    let mut body = cash_in_body("of-1", "99.90");
    body["openFinance"] = json!({"redirectUrl": "http://127.0.0.1:9/back"});
    let reply = client.api("POST", "/cash-in", Some(body), None).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert!(reply.body.get("pixData").is_none());
    let url = reply.body["paymentUrl"].as_str().unwrap();
    assert!(url.starts_with(&client.base));
    let page = client.http.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Authorise"));
}

#[tokio::test]
async fn cash_in_lookup_by_every_id_and_payment() {
    let client = Client::start().await;
    let created = client.create_cash_in("order-2", "10.00").await.body;
    let tx = created["transactionId"].as_str().unwrap();
    let code = created["internalCode"].as_str().unwrap();
    for id in [tx, code] {
        let reply = client
            .api("GET", &format!("/cash-in/{id}"), None, None)
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["transactionId"], tx);
        assert!(
            reply.body.get("pixData").is_none(),
            "GET does not carry the QR"
        );
    }
    let before = client.balance().await;
    let paid = client
        .control(
            "POST",
            &format!("/_sandbox/cash-in/{code}/pay"),
            Some(json!({"bankData": {"ispb": "18236120", "bank": "NU PAGAMENTOS", "branch": "0001", "account": "4455"}})),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    assert_eq!(paid.body["status"], "PAID");
    let e2e = paid.body["endToEndId"].as_str().unwrap();
    assert!(e2e.starts_with("E18236120"), "{e2e}");
    assert_eq!(e2e.len(), 32);
    let by_e2e = client
        .api("GET", &format!("/cash-in/{e2e}"), None, None)
        .await;
    assert_eq!(by_e2e.body["transactionId"], tx);
    assert_eq!(by_e2e.body["payer"]["bankData"]["ispb"], "18236120");
    assert!(by_e2e.body["paidAt"].as_str().unwrap().ends_with("-03:00"));
    let after = client.balance().await;
    assert_eq!(
        centavos(&after["consolidated"]["transactionalBalance"])
            - centavos(&before["consolidated"]["transactionalBalance"]),
        1000,
        "a cash-in credits exactly its amount"
    );
    // Paying twice is refused by the control API.
    let again = client
        .control("POST", &format!("/_sandbox/cash-in/{code}/pay"), None)
        .await;
    assert_eq!(again.status, 409);
    let missing = client.api("GET", "/cash-in/NOPE123", None, None).await;
    assert_eq!(
        (missing.status, missing.code()),
        (404, "TRANSACTION_NOT_FOUND")
    );
}

#[tokio::test]
async fn refund_only_from_paid_with_a_d_prefixed_end_to_end_id() {
    let client = Client::start().await;
    let refund = json!({"reason": "CUSTOMER_REQUEST", "description": "ticket #1234"});
    let created = client.create_cash_in("order-3", "25.00").await.body;
    let tx = created["transactionId"].as_str().unwrap().to_owned();
    let path = format!("/cash-in/{tx}/refund");

    let unpaid = client.api("POST", &path, Some(refund.clone()), None).await;
    assert_eq!((unpaid.status, unpaid.code()), (422, "CASH_IN_NOT_PAID"));

    client
        .control("POST", &format!("/_sandbox/cash-in/{tx}/pay"), None)
        .await;
    let paid = client
        .api("GET", &format!("/cash-in/{tx}"), None, None)
        .await
        .body;
    let original = paid["endToEndId"].as_str().unwrap().to_owned();
    let before = client.balance().await;

    let done = client.api("POST", &path, Some(refund.clone()), None).await;
    assert_eq!(done.status, 202, "{}", done.text);
    assert_eq!(done.body["status"], "REFUNDED");
    assert!(done.body["endToEndId"].as_str().unwrap().starts_with('D'));
    assert_eq!(done.body["originalEndToEndId"], original.as_str());
    assert!(done.body["refundedAt"].is_string());
    let after = client.balance().await;
    assert_eq!(
        centavos(&before["consolidated"]["transactionalBalance"])
            - centavos(&after["consolidated"]["transactionalBalance"]),
        2500
    );

    let twice = client.api("POST", &path, Some(refund.clone()), None).await;
    assert_eq!(
        (twice.status, twice.code()),
        (422, "CASH_IN_ALREADY_REFUNDED")
    );

    let bad_reason = client
        .api("POST", &path, Some(json!({"reason": "BORED"})), None)
        .await;
    assert_eq!(
        (bad_reason.status, bad_reason.code()),
        (400, "VALIDATION_ERROR")
    );
    assert!(
        bad_reason.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("reason")
    );

    let unknown = client
        .api(
            "POST",
            "/cash-in/NOPE123/refund",
            Some(refund.clone()),
            None,
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (404, "TRANSACTION_NOT_FOUND")
    );

    // An expired cash-in (magic document: expires at once).
    let mut body = cash_in_body("order-4", "5.00");
    body["payer"]["document"] = json!(connectpsp_sandbox::EXPIRING_PAYER_DOCUMENT);
    let expiring = client.api("POST", "/cash-in", Some(body), None).await.body;
    let id = expiring["internalCode"].as_str().unwrap();
    let expired = client
        .api(
            "POST",
            &format!("/cash-in/{id}/refund"),
            Some(refund.clone()),
            None,
        )
        .await;
    assert_eq!((expired.status, expired.code()), (422, "CASH_IN_EXPIRED"));
    let read = client
        .api("GET", &format!("/cash-in/{id}"), None, None)
        .await
        .body;
    assert_eq!(read["status"], "EXPIRED");
    assert!(read["expiredAt"].is_string());

    // A cancelled cash-in (control API).
    let cancelled = client.create_cash_in("order-5", "5.00").await.body;
    let id = cancelled["transactionId"].as_str().unwrap();
    let state = client
        .control("POST", &format!("/_sandbox/cash-in/{id}/cancel"), None)
        .await;
    assert_eq!(state.body["status"], "CANCELLED");
    let reply = client
        .api(
            "POST",
            &format!("/cash-in/{id}/refund"),
            Some(refund.clone()),
            None,
        )
        .await;
    assert_eq!((reply.status, reply.code()), (422, "CASH_IN_CANCELLED"));

    // Paid, but SPI has not given the endToEndId yet.
    let pending = client.create_cash_in("order-6", "5.00").await.body;
    let id = pending["transactionId"].as_str().unwrap();
    let paid = client
        .control(
            "POST",
            &format!("/_sandbox/cash-in/{id}/pay"),
            Some(json!({"settlementPending": true})),
        )
        .await;
    assert_eq!(paid.body["status"], "PAID");
    assert!(paid.body.get("endToEndId").is_none());
    let reply = client
        .api("POST", &format!("/cash-in/{id}/refund"), Some(refund), None)
        .await;
    assert_eq!((reply.status, reply.code()), (422, "MISSING_END_TO_END_ID"));
}

#[tokio::test]
async fn cash_out_is_accepted_then_settles_with_an_e_prefixed_id() {
    let client = Client::start().await;
    let before = client.balance().await;
    let reply = client
        .create_cash_out("w-1", "50.00", Some("key-w-1"))
        .await;
    assert_eq!(reply.status, 202, "{}", reply.text);
    assert_eq!(reply.body["status"], "PROCESSING");
    let tx = reply.body["transactionId"].as_str().unwrap();
    assert_eq!(tx.len(), 36, "a UUID");
    assert!(reply.text.contains("\"amount\":50.00"));
    let after_create = client.balance().await;
    assert_eq!(
        centavos(&before["consolidated"]["transactionalBalance"])
            - centavos(&after_create["consolidated"]["transactionalBalance"]),
        5000,
        "a cash-out debits exactly its amount"
    );
    let done = client
        .wait_status(&format!("/cash-out/{tx}"), "COMPLETED")
        .await;
    let e2e = done["endToEndId"].as_str().unwrap();
    assert!(e2e.starts_with('E') && e2e.len() == 32, "{e2e}");
    assert!(done["completedAt"].is_string());
    for id in [done["internalCode"].as_str().unwrap(), e2e] {
        let reply = client
            .api("GET", &format!("/cash-out/{id}"), None, None)
            .await;
        assert_eq!(reply.body["transactionId"], tx);
    }
    assert_eq!(done["payee"]["destination"]["pixKey"], "12345678909");
}

#[tokio::test]
async fn cash_out_to_the_magic_key_fails_and_gives_the_money_back() {
    let client = Client::start().await;
    let before = client.balance().await;
    let mut body = cash_out_body("w-fail", "70.00");
    body["payee"]["destination"] = json!({"type": "PIX", "pixKeyType": "EMAIL", "pixKey": connectpsp_sandbox::FAILING_EMAIL_KEY});
    let reply = client.api("POST", "/cash-out", Some(body), None).await;
    assert_eq!(reply.status, 202, "{}", reply.text);
    let tx = reply.body["transactionId"].as_str().unwrap();
    let failed = client
        .wait_status(&format!("/cash-out/{tx}"), "FAILED")
        .await;
    assert_eq!(failed["failure"]["code"], "PIX_KEY_NOT_FOUND");
    assert!(failed["failure"]["message"].is_string());
    assert!(failed.get("endToEndId").is_none_or(|v| v.is_null()));
    assert!(failed["failedAt"].is_string());
    assert_eq!(
        client.balance().await["consolidated"],
        before["consolidated"],
        "a failed payout puts back exactly what it took"
    );
}

#[tokio::test]
async fn cash_out_business_errors() {
    let client = Client::start().await;
    // 409 on a duplicate externalReference.
    assert_eq!(
        client.create_cash_out("dup-1", "1.00", None).await.status,
        202
    );
    let dup = client.create_cash_out("dup-1", "1.00", None).await;
    assert_eq!(
        (dup.status, dup.code()),
        (409, "DUPLICATE_EXTERNAL_REFERENCE")
    );
    // 422 fraud (magic amount).
    let fraud = client.create_cash_out("fraud-1", "666.66", None).await;
    assert_eq!((fraud.status, fraud.code()), (422, "FRAUD_SUSPECTED"));
    // 422 INSUFFICIENT_FUNDS against the transactional balance.
    let set = client
        .control(
            "POST",
            "/_sandbox/balances",
            Some(json!({"transactional": "100.00", "proprietary": "0.00"})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    let poor = client.create_cash_out("big-1", "100.01", None).await;
    assert_eq!((poor.status, poor.code()), (422, "INSUFFICIENT_FUNDS"));
    assert!(poor.body["detail"].as_str().unwrap().contains("R$ 100.00"));
    assert_eq!(
        client
            .create_cash_out("exact-1", "100.00", None)
            .await
            .status,
        202
    );
    let none_left = client.create_cash_out("big-2", "0.01", None).await;
    assert_eq!(none_left.code(), "INSUFFICIENT_FUNDS");
}

#[tokio::test]
async fn malformed_input_is_400_naming_the_field() {
    let client = Client::start().await;
    let cases = [
        (
            json!({"amount": 10.001, "externalReference": "x"}),
            "amount",
        ),
        (
            {
                let mut b = cash_out_body("bad-doc", "1.00");
                b["payee"]["document"] = json!("12345678900");
                b
            },
            "payee.document",
        ),
        (
            {
                let mut b = cash_out_body("bad-key", "1.00");
                b["payee"]["destination"]["pixKey"] = json!("not-a-cpf");
                b
            },
            "payee.destination.pixKey",
        ),
        (
            {
                let mut b = cash_out_body("neg", "1.00");
                b["amount"] = json!(-5);
                b
            },
            "amount",
        ),
        (
            {
                let mut b = cash_out_body("typo", "1.00");
                b["webhookURL"] = json!("https://x.example");
                b
            },
            "webhookURL",
        ),
    ];
    for (body, field) in cases {
        let reply = client.api("POST", "/cash-out", Some(body), None).await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "VALIDATION_ERROR"),
            "{}",
            reply.text
        );
        assert!(
            reply.body["detail"].as_str().unwrap().starts_with(field),
            "{field}: {}",
            reply.text
        );
    }
    let not_json = client
        .send_raw(
            "POST",
            "/cash-in",
            Some(b"{not json".to_vec()),
            &client
                .auth_headers()
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    assert_eq!(
        (not_json.status, not_json.code()),
        (400, "VALIDATION_ERROR")
    );
    // Nothing was created by any of them.
    let rows = client.control("GET", "/_sandbox/transactions", None).await;
    assert_eq!(rows.body["transactions"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn balance_and_rebalance() {
    let client = Client::start().await;
    let balance = client.balance().await;
    assert_eq!(balance["currency"], "BRL");
    let banks = balance["banks"].as_array().unwrap();
    assert_eq!(banks.len(), 3);
    let names: Vec<&str> = banks.iter().map(|b| b["bank"].as_str().unwrap()).collect();
    assert!(names.iter().any(|n| n.contains("CELCOIN")));
    assert!(names.iter().any(|n| n.contains("DELBANK")));
    assert!(names.iter().any(|n| n.contains("STARK")));
    let sum: i64 = banks
        .iter()
        .map(|b| {
            centavos(&b["accounts"]["transactional"]["balance"])
                + centavos(&b["accounts"]["proprietary"]["balance"])
        })
        .sum();
    assert_eq!(sum, centavos(&balance["consolidated"]["totalBalance"]));

    let up = client
        .api(
            "POST",
            "/account/rebalance",
            Some(json!({"targetAmount": amount("1500000.25")})),
            None,
        )
        .await;
    assert_eq!(up.status, 200, "{}", up.text);
    assert_eq!(
        up.body,
        json!({"success": true, "message": "Rebalancing completed successfully."})
    );
    let after = client.balance().await;
    assert_eq!(
        centavos(&after["consolidated"]["transactionalBalance"]),
        150_000_025
    );
    assert_eq!(
        after["consolidated"]["totalBalance"],
        balance["consolidated"]["totalBalance"]
    );

    let down = client
        .api(
            "POST",
            "/account/rebalance",
            Some(json!({"targetAmount": 0})),
            None,
        )
        .await;
    assert_eq!(down.status, 200);
    assert_eq!(
        centavos(&client.balance().await["consolidated"]["transactionalBalance"]),
        0
    );

    let too_much = client
        .api(
            "POST",
            "/account/rebalance",
            Some(json!({"targetAmount": amount("6000000.01")})),
            None,
        )
        .await;
    assert_eq!(
        (too_much.status, too_much.code()),
        (422, "INSUFFICIENT_FUNDS")
    );
}

#[tokio::test]
async fn cors_lets_a_browser_page_call_it() {
    let client = Client::start().await;
    let preflight = client
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/cash-out", client.base),
        )
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,applicationtoken,digitalsignature",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    // A loopback origin is echoed (never `*`: other origins get no CORS answer at all).
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    let with_origin = client
        .http
        .get(format!("{}/_sandbox/health", client.base))
        .header("origin", "http://localhost:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(
        with_origin.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert!(
        with_origin.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("x-request-id")
    );
}

#[tokio::test]
async fn unknown_paths_get_a_problem_body() {
    let client = Client::start().await;
    let reply = client.api("GET", "/cash-outs/abc", None, None).await;
    assert_eq!((reply.status, reply.code()), (404, "NOT_FOUND"));
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let bad_id = client.api("GET", "/cash-in/a%2F..%2Fb", None, None).await;
    assert_eq!(
        (bad_id.status, bad_id.code()),
        (404, "TRANSACTION_NOT_FOUND")
    );
}

#[tokio::test]
async fn garbage_bodies_are_400_never_a_crash() {
    let client = Client::start().await;
    let headers = client.auth_headers();
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"text\"".to_vec(),
        b"{\"amount\":1e400,\"externalReference\":\"x\"}".to_vec(),
        b"{\"amount\":\"NaN\"}".to_vec(),
        b"{\"amount\":99999999999999999999999999.99}".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        deep.into_bytes(),
        b"{\"targetAmount\":-1}".to_vec(),
        b"{\"reason\":null}".to_vec(),
    ];
    for path in [
        "/auth/token",
        "/cash-in",
        "/cash-out",
        "/cash-in/X1/refund",
        "/account/rebalance",
    ] {
        for body in &bodies {
            let reply = client
                .send_raw("POST", path, Some(body.clone()), &headers)
                .await
                .unwrap();
            assert!(
                reply.status == 400 || (path.ends_with("/refund") && reply.status == 404),
                "{path} {:?}: {} {}",
                String::from_utf8_lossy(&body[..body.len().min(40)]),
                reply.status,
                reply.text
            );
        }
    }
    // Still serving.
    assert_eq!(
        client
            .api("GET", "/account/balance", None, None)
            .await
            .status,
        200
    );
}
