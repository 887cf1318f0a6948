//! The JSON boundary the bindings use.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use connectpsp_core::bridge::{
    Codec, call_from_json, config_from_json, error_to_json, error_to_json_with_naming,
    idempotency_key_for, outcome_to_json, prepare_call,
};
use connectpsp_core::config::Naming;
use connectpsp_core::http::{HttpRequest, HttpResponse};
use connectpsp_core::operation::{Call, Operation, Session, Step};
use connectpsp_core::{Error, ErrorKind};
use serde_json::{Value, json};

fn config_json() -> String {
    json!({
        "baseUrl": "http://127.0.0.1:8080",
        "clientId": "1234",
        "clientSecret": "secret-value-xyz",
        "applicationToken": "app",
        "cryptoToken": "crypto-value-xyz",
        "binding": "python",
        "bindingVersion": "0.1.0",
    })
    .to_string()
}

/// Answers the operation's token exchange (at t=0) and returns its first API request (t=1).
fn first_api_request(op: &mut Operation, session: &mut Session) -> HttpRequest {
    let Step::Send(_) = op.poll(session, 0) else {
        panic!("expected the token exchange")
    };
    op.handle_response(
        session,
        HttpResponse::new(200, vec![], r#"{"accessToken":"t","expiresIn":3600}"#),
        1,
    );
    match op.poll(session, 1) {
        Step::Send(request) => request,
        other => panic!("expected the API request, got {other:?}"),
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn config_accepts_both_namings_and_refuses_insecure_http() {
    let config = config_from_json(&config_json()).unwrap();
    assert_eq!(config.base_url(), "http://127.0.0.1:8080");
    assert!(
        config
            .user_agent()
            .starts_with("connectpsp-python/0.1.0 core/")
    );

    let snake = r#"{"environment":"staging","client_id":"1","client_secret":"s","application_token":"a","crypto_token":"c","max_retries":4}"#;
    let config = config_from_json(snake).unwrap();
    assert_eq!(config.max_retries, 4);
    assert_eq!(config.base_url(), "https://api.homologacao.connectpsp.com");

    // Neither baseUrl nor environment: staging, never production by default.
    let unnamed = r#"{"clientId":"1","clientSecret":"s","applicationToken":"a","cryptoToken":"c"}"#;
    assert_eq!(
        config_from_json(unnamed).unwrap().base_url(),
        "https://api.homologacao.connectpsp.com"
    );

    let insecure = r#"{"baseUrl":"http://api.example.com","clientId":"1","clientSecret":"s","applicationToken":"a","cryptoToken":"c"}"#;
    let error = config_from_json(insecure).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("baseUrl"));
    let allowed = r#"{"baseUrl":"http://api.example.com","clientId":"1","clientSecret":"s","applicationToken":"a","cryptoToken":"c","dangerouslyAllowInsecureHttp":true}"#;
    assert!(config_from_json(allowed).is_ok());

    // Named in camelCase; the binding renames every error's field into its naming.
    let missing = r#"{"base_url":"https://x.example","client_id":"1","application_token":"a","crypto_token":"c"}"#;
    let error = config_from_json(missing).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("clientSecret"));
    let out = parse(&error_to_json(&error, Codec::PYTHON));
    assert_eq!(out["field"], "client_secret");
    // The options that were once accepted and ignored are unknown now.
    for leftover in [r#""naming":"snake""#, r#""floatAmounts":true"#] {
        let json = format!(
            r#"{{"clientId":"1","clientSecret":"s","applicationToken":"a","cryptoToken":"c",{leftover}}}"#
        );
        assert_eq!(
            config_from_json(&json).unwrap_err().message,
            format!(
                "{}: unknown option",
                if leftover.contains("naming") {
                    "naming"
                } else {
                    "floatAmounts"
                }
            )
        );
    }
    let typo = r#"{"baseUrl":"https://x.example","clientId":"1","clientSecret":"s","applicationToken":"a","cryptoToken":"c","timeout":5}"#;
    assert_eq!(
        config_from_json(typo).unwrap_err().field.as_deref(),
        Some("timeout")
    );
}

#[test]
fn snake_params_build_a_cash_out_and_errors_name_snake_fields() {
    let params = json!({
        "amount": "50.00",
        "external_reference": "withdrawal-1",
        "idempotency_key": "key-1",
        "payee": {"name": "Maria Silva", "document": "12345678909",
                  "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": "12345678909"}}
    });
    let call = call_from_json("cashOut.create", &params.to_string(), Codec::PYTHON).unwrap();
    let Call::CreateCashOut {
        request,
        idempotency_key,
    } = &call
    else {
        panic!()
    };
    assert_eq!(request.amount.centavos(), 5000);
    assert_eq!(idempotency_key.as_deref(), Some("key-1"));

    let mut bad = params.clone();
    bad["payee"]["document"] = json!("123");
    let error = call_from_json("cashOut.create", &bad.to_string(), Codec::PYTHON).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Validation);
    assert_eq!(error.field.as_deref(), Some("payee.document"));

    let mut bad = params.clone();
    bad["external_reference"] = json!("a/b");
    let error = call_from_json("cashOut.create", &bad.to_string(), Codec::PYTHON).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("external_reference"));
    let out = parse(&error_to_json(&error, Codec::PYTHON));
    assert_eq!(out["field"], "external_reference");
    assert_eq!(out["class"], "ValidationError");
    assert!(
        out["message"]
            .as_str()
            .unwrap()
            .starts_with("external_reference")
    );
}

#[test]
fn float_amounts_rule() {
    let body = |amount: Value| {
        json!({"amount": amount, "externalReference": "r1",
               "payer": {"name": "João", "document": "12345678909"}})
        .to_string()
    };
    let python_float =
        call_from_json("cashIn.create", &body(json!(150.5)), Codec::PYTHON).unwrap_err();
    assert!(
        python_float.message.contains("Decimal"),
        "{}",
        python_float.message
    );
    assert!(call_from_json("cashIn.create", &body(json!(150)), Codec::PYTHON).is_ok());
    assert!(call_from_json("cashIn.create", &body(json!("150.50")), Codec::PYTHON).is_ok());
    let Call::CreateCashIn { request, .. } =
        call_from_json("cashIn.create", &body(json!(150.5)), Codec::JS).unwrap()
    else {
        panic!()
    };
    assert_eq!(request.amount.centavos(), 15050);
    let error = call_from_json("cashIn.create", &body(json!(0.1 + 0.2)), Codec::JS).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("amount"));
}

#[test]
fn methods_ids_and_keys() {
    assert!(matches!(
        call_from_json("cashIn.get", r#"{"id":"US7B1JQ"}"#, Codec::JS).unwrap(),
        Call::GetCashIn { .. }
    ));
    assert!(matches!(
        call_from_json("account.balance", "", Codec::JS).unwrap(),
        Call::GetBalance
    ));
    for (method, params, field) in [
        ("cashIn.get", r#"{"id":"../x"}"#, "id"),
        ("cashIn.get", r#"{}"#, "id"),
        (
            "cashOut.get",
            r#"{"id":"a","idempotencyKey":"k"}"#,
            "idempotencyKey",
        ),
        ("cashIn.create", r#"{"id":"a"}"#, "id"),
        ("nope.nope", r#"{}"#, "method"),
        (
            "cashIn.refund",
            r#"{"id":"US7B1JQ","reason":"FRAUD","idempotencyKey":"bad key"}"#,
            "idempotencyKey",
        ),
        (
            "account.rebalance",
            r#"{"targetAmount":"-1"}"#,
            "targetAmount",
        ),
    ] {
        let error = call_from_json(method, params, Codec::JS).unwrap_err();
        assert_eq!(
            error.field.as_deref(),
            Some(field),
            "{method} {params}: {error}"
        );
    }
    assert!(
        call_from_json(
            "cashIn.refund",
            r#"{"id":"US7B1JQ","reason":"FRAUD"}"#,
            Codec::JS
        )
        .is_ok()
    );
    assert!(call_from_json("account.rebalance", r#"{"targetAmount":0}"#, Codec::JS).is_ok());
}

#[test]
fn outcome_json_has_string_amounts_and_caller_keys() {
    let config = config_from_json(&config_json()).unwrap();
    let mut session = Session::new(config.clone());
    let call = prepare_call("cashIn.get", r#"{"id":"US7B1JQ"}"#, Codec::PYTHON).unwrap();
    let mut op = Operation::new(call, &session, [3; 32], 0);
    first_api_request(&mut op, &mut session);
    let body = r#"{"transactionId":"kk6g","internalCode":"US7B1JQ","externalReference":"order_abc123","status":"PAID","amount":150.5,"payer":{"name":"João Silva","document":"12345678909","bankData":null},"requestedAt":"2026-03-10T11:20:00-03:00"}"#;
    op.handle_response(
        &mut session,
        HttpResponse::new(200, vec![("X-Request-Id".into(), "r1".into())], body),
        2,
    );
    let Step::Done(Ok(outcome)) = op.poll(&mut session, 2) else {
        panic!()
    };
    let out = parse(&outcome_to_json(&outcome, Codec::PYTHON));
    assert_eq!(out["data"]["amount"], "150.50");
    assert_eq!(out["data"]["external_reference"], "order_abc123");
    assert_eq!(out["request_id"], "r1");
    assert_eq!(out["status"], 200);
    assert_eq!(out["attempts"], 1);
    assert_eq!(out["raw"], body);
}

#[test]
fn error_json_carries_every_attribute_and_no_secret() {
    let mut error = Error::new(
        ErrorKind::Connection,
        "cashOut.create: the connection failed",
    );
    error.outcome_unknown = true;
    error.idempotency_key = Some("k-1".into());
    error.attempts = 3;
    let out = parse(&error_to_json_with_naming(&error, Naming::Camel));
    assert_eq!(out["class"], "ConnectionError");
    assert_eq!(out["kind"], "connection");
    assert_eq!(out["outcomeUnknown"], true);
    assert_eq!(out["idempotencyKey"], "k-1");
    assert_eq!(out["attempts"], 3);
    assert!(out["message"].as_str().unwrap().contains("outcome unknown"));
    let out = parse(&error_to_json_with_naming(&error, Naming::Snake));
    assert_eq!(out["outcome_unknown"], true);

    let error = config_from_json(r#"{"baseUrl":"https://x.example","clientId":"1","clientSecret":"s3cr3t\n","applicationToken":"a","cryptoToken":"c"}"#).unwrap_err();
    assert!(!error_to_json_with_naming(&error, Naming::Camel).contains("s3cr3t"));
}

#[test]
fn deterministic_keys() {
    assert_eq!(
        idempotency_key_for("order-1"),
        idempotency_key_for("order-1")
    );
    assert_ne!(
        idempotency_key_for("order-1"),
        idempotency_key_for("order-2")
    );
}

#[test]
fn a_prepared_call_carries_its_body_and_the_operation_sends_those_bytes() {
    let params = json!({
        "amount": "50.00",
        "external_reference": "withdrawal-1",
        "idempotency_key": "key-1",
        "payee": {"name": "Maria Silva", "document": "12345678909",
                  "destination": {"type": "PIX", "pix_key_type": "EMAIL", "pix_key": "Maria@Example.com"}}
    });
    let prepared = prepare_call("cashOut.create", &params.to_string(), Codec::PYTHON).unwrap();
    let body: Value = serde_json::from_slice(prepared.body().unwrap()).unwrap();
    // The wire form: camelCase keys, two-decimal amount, the e-mail key lowercased.
    assert_eq!(body["externalReference"], "withdrawal-1");
    assert_eq!(body["payee"]["destination"]["pixKey"], "maria@example.com");
    assert!(!format!("{prepared:?}").contains("Maria"));
    let expected = prepared.body().unwrap().to_vec();

    let config = config_from_json(&config_json()).unwrap();
    let mut session = Session::new(config);
    let mut op = Operation::new(prepared, &session, [3; 32], 0);
    assert_eq!(op.idempotency_key(), Some("key-1"));
    let request = first_api_request(&mut op, &mut session);
    assert_eq!(request.body, expected);
    assert!(request.url.ends_with("/cash-out"));

    // A bad key is refused when the call is prepared, naming the field in the codec's naming.
    let mut bad = params.clone();
    bad["idempotency_key"] = json!("bad key");
    let error = prepare_call("cashOut.create", &bad.to_string(), Codec::PYTHON).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("idempotency_key"));
}

fn with(extra: Value) -> String {
    let mut config = parse(&config_json());
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    config.to_string()
}

#[test]
fn a_client_verifies_webhooks_with_its_rotation_list_and_tolerance() {
    use connectpsp_core::bridge::webhook_verify_for_client;
    use connectpsp_core::signature::hmac_sha256_hex;

    let body = br#"{"eventType":"CASHIN_PAID","eventAt":"2026-01-01T00:00:00Z","data":{"transactionId":"T1","status":"PAID","amount":1.5}}"#;
    let signed_by = |token: &str| hmac_sha256_hex(token.as_bytes(), body);
    let verify = |config: &connectpsp_core::Config,
                  token: &str,
                  tokens: Option<&[&str]>,
                  tolerance: Option<u64>| {
        webhook_verify_for_client(
            config,
            body,
            &signed_by(token),
            tokens,
            tolerance,
            || 1_767_225_600_000 + 3_600_000, // an hour after eventAt
            Codec::JS,
        )
    };
    // Default: the crypto token alone.
    let plain = config_from_json(&config_json()).unwrap();
    assert!(verify(&plain, "crypto-value-xyz", None, None).is_ok());
    assert_eq!(
        verify(&plain, "old", None, None).unwrap_err().kind,
        ErrorKind::WebhookSignature
    );
    // A rotation list replaces it for webhooks.
    let rotating = config_from_json(&with(
        json!({"webhookCryptoTokens": ["new", "old"], "webhookToleranceMs": 60_000}),
    ))
    .unwrap();
    assert_eq!(rotating.crypto_token.expose(), "crypto-value-xyz");
    // The client's tolerance applies (the event is an hour old) unless the call widens it.
    assert!(
        verify(&rotating, "old", None, None)
            .unwrap_err()
            .message
            .contains("tolerance")
    );
    assert!(verify(&rotating, "old", None, Some(7_200_000)).is_ok());
    assert!(verify(&rotating, "new", None, Some(7_200_000)).is_ok());
    assert!(verify(&rotating, "crypto-value-xyz", None, Some(7_200_000)).is_err());
    // A per-call list replaces the client's.
    assert!(
        verify(
            &rotating,
            "crypto-value-xyz",
            Some(&["crypto-value-xyz"]),
            Some(7_200_000)
        )
        .is_ok()
    );

    // Refused at construction, named (in the binding's naming), never echoed.
    let field = |extra: Value| config_from_json(&with(extra)).unwrap_err().field.unwrap();
    assert_eq!(
        field(json!({"webhookCryptoTokens": ["new", ""]})),
        "webhookCryptoTokens[1]"
    );
    assert_eq!(
        field(json!({"webhookCryptoTokens": []})),
        "webhookCryptoTokens"
    );
    assert_eq!(
        field(json!({"webhookCryptoTokens": ["a", "b", "c", "d", "e", "f", "g", "h", "i"]})),
        "webhookCryptoTokens"
    );
    assert_eq!(
        field(json!({"webhookToleranceMs": 0})),
        "webhookToleranceMs"
    );
    let error = config_from_json(&with(json!({"webhookCryptoTokens": ["new", ""]}))).unwrap_err();
    assert_eq!(
        parse(&error_to_json(&error, Codec::PYTHON))["field"],
        "webhook_crypto_tokens[1]"
    );
    let leak =
        config_from_json(&with(json!({"webhookCryptoTokens": ["zz-secret\r\n"]}))).unwrap_err();
    assert!(!leak.message.contains("zz-secret"));
    assert!(!format!("{rotating:?}").contains("old"));
}

#[test]
fn a_token_moves_through_a_store_entry_between_sessions() {
    use connectpsp_core::token_store::KEY_PREFIX;

    let config = config_from_json(&config_json()).unwrap();
    let mut a = Session::new(config.clone());
    let mut now = 1_000;
    let mut op = Operation::new(
        call_from_json("account.balance", "{}", Codec::JS).unwrap(),
        &a,
        [7; 32],
        now,
    );
    // Drive one balance call: token exchange, then the GET.
    loop {
        match op.poll(&mut a, now) {
            Step::Send(request) => {
                let body = if request.url.ends_with("/auth/token") {
                    br#"{"accessToken":"tok-a","tokenType":"Bearer","expiresIn":3600}"#.to_vec()
                } else {
                    br#"{"consolidated":{"totalBalance":1,"transactionalBalance":1,"proprietaryBalance":0,"currency":"BRL"},"banks":[]}"#.to_vec()
                };
                now += 10;
                op.handle_response(
                    &mut a,
                    HttpResponse {
                        status: 200,
                        headers: vec![],
                        body,
                    },
                    now,
                );
            }
            // The balance's own answer does not matter here: the token is installed.
            Step::Done(_) => break,
            other => panic!("{other:?}"),
        }
    }
    assert!(a.token_store_key().starts_with(KEY_PREFIX));
    let wall = 1_767_225_600_000;
    let entry = a.token_for_store(0, now, wall).unwrap();
    assert!(entry.value.expose().contains("tok-a"));
    assert!(entry.ttl_ms > 3_599_000 && entry.ttl_ms <= 3_600_000);
    // Nothing new once saved.
    assert!(a.token_for_store(entry.generation, now, wall).is_none());

    // Another process: a fresh session adopts it, on its own clock.
    let mut b = Session::new(config);
    assert_eq!(a.token_store_key(), b.token_store_key());
    assert!(b.wants_token(5));
    let generation = b
        .adopt_from_store(entry.value.expose(), 5, wall + 60_000)
        .unwrap();
    assert!(generation.is_some());
    assert!(!b.wants_token(5));
    assert!(b.token_for_store(generation.unwrap(), 5, wall).is_none());
    // Not again (same token), and not once expired by the wall clock.
    assert_eq!(
        b.adopt_from_store(entry.value.expose(), 6, wall + 60_000)
            .unwrap(),
        None
    );
    let mut c = Session::new(b.config().clone());
    assert_eq!(
        c.adopt_from_store(entry.value.expose(), 5, wall + 3_600_000)
            .unwrap(),
        None
    );
    assert!(c.adopt_from_store("tok-a", 5, wall).is_err());
}

/// `resubmit(error)` of an outcome-unknown call: `possibly_applied` with the error's key. The
/// operation reports every error outcome unknown (with the key), even a refusal before commit;
/// a success (the server's replay) is a plain outcome.
#[test]
fn a_possibly_applied_resubmission_stays_unknown_until_it_succeeds() {
    let params = json!({
        "amount": "50.00",
        "external_reference": "withdrawal-7",
        "idempotency_key": "key-7",
        "possibly_applied": true,
        "payee": {"name": "Maria Silva", "document": "12345678909",
                  "destination": {"type": "PIX", "pix_key_type": "CPF", "pix_key": "12345678909"}}
    });
    let run = |params: &Value, answer: HttpResponse| {
        let prepared = prepare_call("cashOut.create", &params.to_string(), Codec::PYTHON).unwrap();
        let config = config_from_json(&config_json()).unwrap();
        let mut session = Session::new(config);
        let mut op = Operation::new(prepared, &session, [5; 32], 0);
        let request = first_api_request(&mut op, &mut session);
        assert_eq!(request.header("X-Idempotency-Key"), Some("key-7"));
        op.handle_response(&mut session, answer, 2);
        match op.poll(&mut session, 2) {
            Step::Done(result) => result,
            other => panic!("{other:?}"),
        }
    };
    let refused = || {
        HttpResponse::new(
            422,
            vec![("Content-Type".into(), "application/problem+json".into())],
            r#"{"type":"about:blank","title":"t","status":422,"code":"INSUFFICIENT_FUNDS"}"#,
        )
    };
    let error = run(&params, refused()).unwrap_err();
    assert_eq!(error.class_name(), "InsufficientFundsError");
    assert!(error.outcome_unknown, "{error}");
    assert_eq!(error.idempotency_key.as_deref(), Some("key-7"));
    assert!(error.to_string().contains("key-7"), "{error}");

    // Without the mark (a re-submission of a call known not to have been applied) the refusal
    // is definitive.
    let mut known = params.clone();
    known["possibly_applied"] = json!(false);
    assert!(!run(&known, refused()).unwrap_err().outcome_unknown);

    // A success is reported as usual.
    let fixture = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/api/cash_out_create.202.json"),
    )
    .unwrap();
    let replay = HttpResponse::new(
        202,
        vec![("Idempotent-Replayed".into(), "true".into())],
        fixture,
    );
    let outcome = run(&params, replay).unwrap();
    assert!(outcome.replayed);
    assert_eq!(outcome.idempotency_key.as_deref(), Some("key-7"));

    // Only with the key it used (a new key could pay twice), only for keyed calls, only a
    // boolean; an error before sending of a flagged keyed call is outcome unknown too.
    let mut keyless = params.clone();
    keyless.as_object_mut().unwrap().remove("idempotency_key");
    let error = prepare_call("cashOut.create", &keyless.to_string(), Codec::PYTHON).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("idempotency_key"));
    assert!(error.outcome_unknown);
    let mut bad = params.clone();
    bad["payee"]["document"] = json!("123");
    let error = prepare_call("cashOut.create", &bad.to_string(), Codec::PYTHON).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("payee.document"));
    assert!(error.outcome_unknown);
    assert_eq!(error.idempotency_key.as_deref(), Some("key-7"));
    let error = prepare_call(
        "cashOut.get",
        r#"{"id": "IVKPRMOCDY", "possiblyApplied": true}"#,
        Codec::JS,
    )
    .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("possiblyApplied"));
    assert!(!error.outcome_unknown);
    let mut wrong = params.clone();
    wrong["possibly_applied"] = json!("yes");
    let error = prepare_call("cashOut.create", &wrong.to_string(), Codec::PYTHON).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("possibly_applied"));
}
