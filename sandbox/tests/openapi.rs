//! The sandbox's real responses (every endpoint, errors included) and webhook bodies validate
//! against docs/openapi.yaml, and every status it sends is declared there.

mod common;

use common::*;
use serde_json::{Value, json};

struct Spec {
    doc: Value,
}

impl Spec {
    fn load() -> Spec {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml");
        let text = std::fs::read_to_string(path).expect("docs/openapi.yaml");
        let doc: Value = serde_norway::from_str(&text).expect("valid YAML");
        assert_eq!(doc["openapi"], "3.1.0");
        Spec { doc }
    }

    fn deref<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(pointer) => self
                .doc
                .pointer(pointer.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {pointer}")),
            None => value,
        }
    }

    fn validate_schema(&self, schema: &Value, instance: &Value, what: &str) {
        // Local `#/components/...` refs resolve against this root.
        let root = json!({
            "components": self.doc["components"].clone(),
            "allOf": [schema],
        });
        let validator = jsonschema::validator_for(&root).expect("the schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{what}: {errors:#?}\n{instance}");
    }

    /// Checks one real answer of `method template` against its declared response.
    fn check(&self, method: &str, template: &str, reply: &Reply) {
        let what = format!("{method} {template} → {}", reply.status);
        let operation = &self.doc["paths"][template][method.to_ascii_lowercase()];
        assert!(operation.is_object(), "{what}: operation not in the spec");
        let declared = operation["responses"]
            .get(reply.status.to_string())
            .unwrap_or_else(|| panic!("{what}: status not declared in the spec"));
        let response = self.deref(declared);
        let content_type = reply
            .header("content-type")
            .expect("content-type")
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let media = response["content"]
            .get(&content_type)
            .unwrap_or_else(|| panic!("{what}: {content_type} not declared"));
        self.validate_schema(&media["schema"], &reply.body, &what);
        assert!(
            reply.header("x-request-id").is_some(),
            "{what}: X-Request-Id"
        );
        if let Some(headers) = response.get("headers").and_then(Value::as_object) {
            if reply.header("idempotent-replayed").is_some() {
                assert!(headers.contains_key("Idempotent-Replayed"), "{what}");
            }
            if headers.contains_key("Retry-After") {
                let value: u64 = reply.header("retry-after").unwrap().parse().unwrap();
                assert!(value > 0);
            }
        }
    }

    fn check_webhook(&self, event_type: &str, body: &Value) {
        let operation = &self.doc["webhooks"][event_type]["post"];
        assert!(operation.is_object(), "{event_type} not in the spec");
        let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
        self.validate_schema(schema, body, event_type);
    }
}

#[tokio::test]
async fn every_real_response_matches_the_spec() {
    let spec = Spec::load();
    let client = Client::start().await;
    let (receiver, hook) = Receiver::start(&[]).await;
    let mut seen = 0;
    let mut check = |method: &str, template: &str, reply: &Reply| {
        spec.check(method, template, reply);
        seen += 1;
    };

    // Auth.
    let c = client.sandbox.credentials().clone();
    let token = client
        .send(
            "POST",
            "/auth/token",
            Some(json!({"clientId": c.client_id, "clientSecret": c.client_secret})),
            &[],
        )
        .await;
    check("POST", "/auth/token", &token);
    let bad = client
        .send(
            "POST",
            "/auth/token",
            Some(json!({"clientId": "x", "clientSecret": "y"})),
            &[],
        )
        .await;
    check("POST", "/auth/token", &bad);
    check(
        "POST",
        "/auth/token",
        &client
            .send("POST", "/auth/token", Some(json!({})), &[])
            .await,
    );

    // Cash-in: QR, OpenFinance, duplicate, invalid, replay.
    let mut body = cash_in_body("spec-ci", "150.50");
    body["webhookUrl"] = json!(hook);
    let created = client
        .api("POST", "/cash-in", Some(body.clone()), Some("spec-key"))
        .await;
    assert_eq!(created.status, 201);
    check("POST", "/cash-in", &created);
    let replay = client
        .api("POST", "/cash-in", Some(body), Some("spec-key"))
        .await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    check("POST", "/cash-in", &replay);
    let mut of = cash_in_body("spec-of", "10.00");
    of["openFinance"] = json!({"redirectUrl": "https://shop.example/back"});
    check(
        "POST",
        "/cash-in",
        &client.api("POST", "/cash-in", Some(of), None).await,
    );
    check(
        "POST",
        "/cash-in",
        &client.create_cash_in("spec-ci", "1.00").await,
    ); // 409
    check(
        "POST",
        "/cash-in",
        &client.create_cash_in("spec-bad", "1.001").await,
    ); // 400
    let unauthenticated = client
        .send("POST", "/cash-in", Some(cash_in_body("x", "1.00")), &[])
        .await;
    check("POST", "/cash-in", &unauthenticated); // 401

    let tx = created.body["transactionId"].as_str().unwrap().to_owned();
    check(
        "GET",
        "/cash-in/{id}",
        &client
            .api("GET", &format!("/cash-in/{tx}"), None, None)
            .await,
    );
    check(
        "GET",
        "/cash-in/{id}",
        &client.api("GET", "/cash-in/NOPE", None, None).await,
    ); // 404
    let refund_path = format!("/cash-in/{tx}/refund");
    let refund = json!({"reason": "MERCHANT_ERROR"});
    check(
        "POST",
        "/cash-in/{id}/refund",
        &client
            .api("POST", &refund_path, Some(refund.clone()), None)
            .await,
    ); // 422
    client
        .control("POST", &format!("/_sandbox/cash-in/{tx}/pay"), None)
        .await;
    check(
        "GET",
        "/cash-in/{id}",
        &client
            .api("GET", &format!("/cash-in/{tx}"), None, None)
            .await,
    );
    let refunded = client
        .api("POST", &refund_path, Some(refund.clone()), Some("r-key"))
        .await;
    assert_eq!(refunded.status, 202);
    check("POST", "/cash-in/{id}/refund", &refunded);
    check(
        "POST",
        "/cash-in/{id}/refund",
        &client
            .api("POST", &refund_path, Some(refund.clone()), Some("r-key"))
            .await,
    );
    check(
        "POST",
        "/cash-in/{id}/refund",
        &client
            .api("POST", &refund_path, Some(json!({})), None)
            .await,
    ); // 400
    check(
        "POST",
        "/cash-in/{id}/refund",
        &client
            .api("POST", "/cash-in/NOPE/refund", Some(refund), None)
            .await,
    ); // 404

    // Cash-out: accepted, settled, failed, and every error.
    let mut body = cash_out_body("spec-co", "50.00");
    body["webhookUrl"] = json!(hook);
    let accepted = client
        .api("POST", "/cash-out", Some(body.clone()), Some("co-key"))
        .await;
    assert_eq!(accepted.status, 202);
    check("POST", "/cash-out", &accepted);
    check(
        "POST",
        "/cash-out",
        &client
            .api("POST", "/cash-out", Some(body.clone()), Some("co-key"))
            .await,
    );
    let mut other = body.clone();
    other["amount"] = amount("50.01");
    check(
        "POST",
        "/cash-out",
        &client
            .api("POST", "/cash-out", Some(other), Some("co-key"))
            .await,
    ); // 422 reuse
    check(
        "POST",
        "/cash-out",
        &client.api("POST", "/cash-out", Some(body), None).await,
    ); // 409
    check(
        "POST",
        "/cash-out",
        &client.create_cash_out("spec-fraud", "666.66", None).await,
    ); // 422
    check(
        "POST",
        "/cash-out",
        &client
            .create_cash_out("spec-big", "99999999.00", None)
            .await,
    ); // 422
    check(
        "POST",
        "/cash-out",
        &client
            .api("POST", "/cash-out", Some(json!({"amount": 1})), None)
            .await,
    ); // 400
    let unsigned = client
        .send(
            "POST",
            "/cash-out",
            Some(cash_out_body("x", "1.00")),
            &[
                ("authorization", &format!("Bearer {}", client.token)),
                ("applicationtoken", &c.application_token),
            ],
        )
        .await;
    assert_eq!(unsigned.code(), "INVALID_SIGNATURE");
    check("POST", "/cash-out", &unsigned);
    let mut failing = cash_out_body("spec-fail", "5.00");
    failing["webhookUrl"] = json!(hook);
    failing["payee"]["destination"] =
        json!({"type": "PIX", "pixKeyType": "EMAIL", "pixKey": "fail@sandbox.connectpsp.com"});
    let failing = client.api("POST", "/cash-out", Some(failing), None).await;
    let co = accepted.body["transactionId"].as_str().unwrap();
    let fo = failing.body["transactionId"].as_str().unwrap();
    client
        .wait_status(&format!("/cash-out/{co}"), "COMPLETED")
        .await;
    client
        .wait_status(&format!("/cash-out/{fo}"), "FAILED")
        .await;
    check(
        "GET",
        "/cash-out/{id}",
        &client
            .api("GET", &format!("/cash-out/{co}"), None, None)
            .await,
    );
    check(
        "GET",
        "/cash-out/{id}",
        &client
            .api("GET", &format!("/cash-out/{fo}"), None, None)
            .await,
    );
    check(
        "GET",
        "/cash-out/{id}",
        &client.api("GET", "/cash-out/NOPE", None, None).await,
    );
    let mut bank = cash_out_body("spec-bank", "3.00");
    bank["payee"]["destination"] = json!({"type": "BANK_ACCOUNT", "bankAccount": {"ispb": "18236120", "branch": "0001", "account": "947710840", "accountType": "PAYMENT"}});
    check(
        "POST",
        "/cash-out",
        &client.api("POST", "/cash-out", Some(bank), None).await,
    );

    // Account.
    check(
        "GET",
        "/account/balance",
        &client.api("GET", "/account/balance", None, None).await,
    );
    check(
        "POST",
        "/account/rebalance",
        &client
            .api(
                "POST",
                "/account/rebalance",
                Some(json!({"targetAmount": 1000000})),
                None,
            )
            .await,
    );
    check(
        "POST",
        "/account/rebalance",
        &client
            .api(
                "POST",
                "/account/rebalance",
                Some(json!({"targetAmount": 99999999.00})),
                None,
            )
            .await,
    );
    check(
        "POST",
        "/account/rebalance",
        &client
            .api(
                "POST",
                "/account/rebalance",
                Some(json!({"target": 1})),
                None,
            )
            .await,
    );

    // Faults: 429, 500, 503.
    for fault in [
        json!({"path": "/account/balance", "kind": "rate_limit", "retryAfterSeconds": 2}),
        json!({"path": "/account/balance", "kind": "status", "status": 500}),
        json!({"path": "/account/balance", "kind": "status", "status": 503}),
    ] {
        client
            .control("POST", "/_sandbox/faults", Some(fault))
            .await;
        check(
            "GET",
            "/account/balance",
            &client.api("GET", "/account/balance", None, None).await,
        );
    }
    // Token expiry.
    client
        .control("POST", "/_sandbox/clock/advance", Some(json!({"hours": 2})))
        .await;
    let expired = client.api("GET", "/account/balance", None, None).await;
    assert_eq!(expired.code(), "TOKEN_EXPIRED");
    check("GET", "/account/balance", &expired);
    assert_eq!(seen, 37, "responses checked");

    // Webhook bodies: CASHIN_PAID, CASHIN_REFUNDED, CASHOUT_COMPLETED, CASHOUT_FAILED.
    let deliveries = receiver.wait_for(4).await;
    let mut kinds = std::collections::BTreeSet::new();
    for (_, raw) in deliveries {
        let event: Value = serde_json::from_slice(&raw).unwrap();
        let kind = event["eventType"].as_str().unwrap().to_owned();
        spec.check_webhook(&kind, &event);
        kinds.insert(kind);
    }
    assert_eq!(kinds.len(), 4, "{kinds:?}");
}

#[tokio::test]
async fn the_schema_check_catches_a_wrong_body() {
    // The validation above is only worth something if a wrong body fails it.
    let spec = Spec::load();
    let schema = json!({"$ref": "#/components/schemas/CashOut"});
    let result = std::panic::catch_unwind(|| {
        spec.validate_schema(
            &schema,
            &json!({"transactionId": "x", "status": "PROCESSING", "amount": "50.00"}),
            "string amount",
        )
    });
    assert!(result.is_err(), "a string amount must not validate");
    let result = std::panic::catch_unwind(|| {
        spec.validate_schema(
            &json!({"$ref": "#/components/schemas/Problem"}),
            &json!({"code": "X"}),
            "bare problem",
        )
    });
    assert!(result.is_err());
    spec.validate_schema(
        &schema,
        &json!({"transactionId": "x", "status": "PROCESSING", "amount": 50.00}),
        "ok",
    );
}

/// Every `example` / `examples` in the spec: (request bodies, responses, webhooks, parameters and
/// component schemas), as `(where, schema, value)`.
fn spec_examples(spec: &Spec) -> Vec<(String, Value, Value)> {
    let mut found = Vec::new();
    let media = |what: String, content: &Value, found: &mut Vec<(String, Value, Value)>| {
        let Some(content) = content.as_object() else {
            return;
        };
        for (media_type, media) in content {
            let schema = media["schema"].clone();
            if let Some(example) = media.get("example") {
                found.push((
                    format!("{what} {media_type}"),
                    schema.clone(),
                    example.clone(),
                ));
            }
            if let Some(examples) = media.get("examples").and_then(Value::as_object) {
                for (name, example) in examples {
                    found.push((
                        format!("{what} {media_type} examples.{name}"),
                        schema.clone(),
                        example["value"].clone(),
                    ));
                }
            }
        }
    };
    let operations = |root: &Value| -> Vec<(String, Value)> {
        let mut out = Vec::new();
        for (path, item) in root.as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                out.push((format!("{method} {path}"), operation.clone()));
            }
        }
        out
    };
    for (what, operation) in operations(&spec.doc["paths"])
        .into_iter()
        .chain(operations(&spec.doc["webhooks"]))
    {
        media(
            format!("{what} request"),
            &operation["requestBody"]["content"],
            &mut found,
        );
        for (status, response) in operation["responses"].as_object().into_iter().flatten() {
            let response = spec.deref(response).clone();
            media(format!("{what} {status}"), &response["content"], &mut found);
        }
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let parameter = spec.deref(parameter);
            if let Some(example) = parameter.get("example") {
                found.push((
                    format!("{what} parameter {}", parameter["name"]),
                    parameter["schema"].clone(),
                    example.clone(),
                ));
            }
        }
    }
    for (name, schema) in spec.doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        for example in schema["examples"].as_array().into_iter().flatten() {
            found.push((
                format!("components.schemas.{name}"),
                json!({"$ref": format!("#/components/schemas/{name}")}),
                example.clone(),
            ));
        }
    }
    found
}

/// Numbers compared by value: YAML writes `10.00` as the float 10, the JSON files keep `10.00`.
fn by_value(value: &Value) -> Value {
    match value {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(items) => Value::Array(items.iter().map(by_value).collect()),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), by_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn every_example_of_the_spec_validates_against_its_own_schema() {
    let spec = Spec::load();
    let examples = spec_examples(&spec);
    assert!(examples.len() >= 40, "{} examples", examples.len());
    for (what, schema, example) in &examples {
        spec.validate_schema(schema, example, what);
    }
}

#[test]
fn every_body_example_of_the_spec_is_a_documented_example_in_testdata() {
    // testdata/api holds the examples as data for the core's and both packages' walk
    // (core/tests/documented.rs, test_documented.py, documented.test.mjs).
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/api");
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/index.json")).unwrap())
            .unwrap();
    let data: Vec<Value> = index["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let file = format!("{dir}/{}", e["file"].as_str().unwrap());
            by_value(&serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap())
        })
        .collect();
    let spec = Spec::load();
    let mut bodies = 0;
    for (what, _, example) in spec_examples(&spec) {
        if what.contains("parameter") || what.starts_with("components.") {
            continue;
        }
        bodies += 1;
        assert!(
            data.contains(&by_value(&example)),
            "{what}: this example of docs/openapi.yaml is missing from testdata/api/index.json"
        );
    }
    assert!(bodies >= 15, "{bodies} body examples");
}

#[tokio::test]
async fn the_balance_date_query_is_a_calendar_date_or_a_400() {
    let spec = Spec::load();
    let client = Client::start().await;
    for (query, status) in [
        ("date=2026-03-10", 200),
        ("date=2024-02-29", 200),
        ("date=", 400),
        ("date=2026-02-30", 400),
        ("date=10%2F03%2F2026", 400),
        ("other=1", 200),
    ] {
        let reply = client
            .api("GET", &format!("/account/balance?{query}"), None, None)
            .await;
        assert_eq!(reply.status, status, "{query}");
        if status == 400 {
            assert_eq!(reply.code(), "VALIDATION_ERROR", "{query}");
            assert!(reply.body["detail"].as_str().unwrap().starts_with("date:"));
        }
        spec.check("GET", "/account/balance", &reply);
    }
}
