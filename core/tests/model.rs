//! The model against the shared vectors: every documented example (testdata/api/) and every
//! bad input (testdata/bad_inputs.json).

use std::path::PathBuf;

use connectpsp_core::idempotency::IdempotencyKey;
use connectpsp_core::model::account::{Balance, Rebalance, RebalanceResult};
use connectpsp_core::model::auth::{TokenRequest, TokenResponse};
use connectpsp_core::model::cash_in::{CashIn, CashInStatus, CreateCashIn, Refund, RefundCashIn};
use connectpsp_core::model::cash_out::{CashOut, CashOutStatus, CreateCashOut};
use connectpsp_core::model::problem::Problem;
use connectpsp_core::model::webhook::{EventData, EventType, WebhookEvent};
use connectpsp_core::model::{parse_request, parse_response_value, validate_path_id};
use connectpsp_core::{Error, ErrorKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

fn testdata(relative: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// The JSON with `null` members dropped and numbers compared by value (`10.00` == `10`), so a
/// re-serialised example can be compared with the original: every documented field must survive.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), canonical(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::Number(number) => {
            // By value, whatever the spelling (`10.00`, `1.0E1`): in centavos when it is one.
            let text = number.to_string();
            match connectpsp_core::money::SignedAmount::parse_field("n", &text) {
                Ok(amount) => Value::String(format!("centavos:{}", amount.centavos())),
                Err(_) => Value::String(format!("number:{text}")),
            }
        }
        other => other.clone(),
    }
}

/// A request example: strict parse, `validate()` passes, nothing lost on the way back out.
fn request<T: DeserializeOwned + Serialize>(
    value: &Value,
    validate: fn(&T) -> Result<(), Error>,
) -> Result<Value, Error> {
    let parsed: T = parse_request(value.clone())?;
    validate(&parsed)?;
    Ok(serde_json::to_value(&parsed).unwrap())
}

/// A response example: lenient parse, nothing lost on the way back out.
fn response<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, Error> {
    let parsed: T = parse_response_value(value)?;
    Ok(serde_json::to_value(&parsed).unwrap())
}

fn check_example(type_name: &str, value: &Value) -> Result<Value, Error> {
    match type_name {
        "TokenRequest" => request::<TokenRequest>(value, TokenRequest::validate),
        "CreateCashIn" => request::<CreateCashIn>(value, CreateCashIn::validate),
        "RefundCashIn" => request::<RefundCashIn>(value, RefundCashIn::validate),
        "CreateCashOut" => request::<CreateCashOut>(value, CreateCashOut::validate),
        "Rebalance" => request::<Rebalance>(value, Rebalance::validate),
        "TokenResponse" => response::<TokenResponse>(value),
        "CashIn" => response::<CashIn>(value),
        "Refund" => response::<Refund>(value),
        "CashOut" => response::<CashOut>(value),
        "Balance" => response::<Balance>(value),
        "RebalanceResult" => response::<RebalanceResult>(value),
        "Problem" => response::<Problem>(value),
        "WebhookEvent" => response::<WebhookEvent>(value),
        other => panic!("index.json names an unknown type {other}"),
    }
}

#[test]
fn every_documented_example_parses_and_round_trips() {
    let index = testdata("api/index.json");
    let examples = index["examples"].as_array().unwrap();
    assert!(
        examples.len() >= 18,
        "every endpoint and status of the reference"
    );
    for entry in examples {
        let file = entry["file"].as_str().unwrap();
        let type_name = entry["type"].as_str().unwrap();
        let original = testdata(&format!("api/{file}"));
        let result = check_example(type_name, &original);
        match entry["expect"].as_str().unwrap() {
            "ok" => {
                let out = result.unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(
                    canonical(&out),
                    canonical(&original),
                    "{file}: a field was lost or changed"
                );
            }
            "decode_error" => {
                let err = result.expect_err(file);
                assert_eq!(err.kind, ErrorKind::Decode, "{file}");
                assert_eq!(err.field.as_deref(), entry["errorField"].as_str(), "{file}");
            }
            other => panic!("{file}: unknown expectation {other}"),
        }
    }
}

#[test]
fn documented_amounts_are_exact() {
    let created: CashIn = parse_response_value(&testdata("api/cash_in_get.200.json")).unwrap();
    assert_eq!(created.amount.centavos(), 15_050);
    assert_eq!(created.status, CashInStatus::Paid);
    assert_eq!(
        serde_json::to_value(&created).unwrap()["amount"].to_string(),
        "150.50"
    );
    let failed: CashOut =
        parse_response_value(&testdata("api/cash_out_get.200.failed.json")).unwrap();
    assert_eq!(failed.amount.centavos(), 50_000);
    assert_eq!(failed.status, CashOutStatus::Failed);
    assert_eq!(failed.end_to_end_id, None);
    assert_eq!(
        failed.failure.unwrap().code.as_deref(),
        Some("PIX_KEY_NOT_FOUND")
    );
    let balance: Balance = parse_response_value(&testdata("api/account_balance.200.json")).unwrap();
    assert_eq!(balance.consolidated.total_balance.centavos(), 150_000_000);
    let event: WebhookEvent =
        parse_response_value(&testdata("api/webhook_cashin_paid.json")).unwrap();
    assert_eq!(event.event_type, EventType::CashInPaid);
    let EventData::CashIn(paid) = event.data else {
        panic!("cash-in data expected")
    };
    assert_eq!(paid.amount.centavos(), 1_000);
}

#[test]
fn responses_tolerate_unknown_values_and_absent_or_null_optionals() {
    let body = serde_json::json!({
        "transactionId": "t", "status": "ON_HOLD", "amount": 1, "brandNewField": {"x": 1},
        "internalCode": null, "payer": {"name": null, "document": "1", "bankData": null}
    });
    let cash_in: CashIn = parse_response_value(&body).unwrap();
    assert_eq!(cash_in.status, CashInStatus::Unknown("ON_HOLD".into()));
    assert_eq!(cash_in.internal_code, None);
    let payer = cash_in.payer.unwrap();
    assert_eq!(payer.bank_data, None);
    assert_eq!(payer.name, "");
    let balance = serde_json::json!({"consolidated": {"totalBalance": 0, "transactionalBalance": 0,
        "proprietaryBalance": 0}, "banks": null});
    assert!(
        parse_response_value::<Balance>(&balance)
            .unwrap()
            .banks
            .is_empty()
    );
}

#[test]
fn a_response_missing_a_required_field_is_a_decode_error_naming_it() {
    for (missing, body) in [
        (
            "transactionId",
            serde_json::json!({"status": "PAID", "amount": 1}),
        ),
        (
            "status",
            serde_json::json!({"transactionId": "t", "amount": 1}),
        ),
        (
            "amount",
            serde_json::json!({"transactionId": "t", "status": "PAID"}),
        ),
    ] {
        let err = parse_response_value::<CashIn>(&body).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Decode);
        assert_eq!(err.field.as_deref(), Some(missing));
    }
    let err = parse_response_value::<CashOut>(
        &serde_json::json!({"transactionId": "t", "status": "PAID", "amount": 1.001}),
    )
    .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("amount"));
}

/// Runs one call's params the way the bridge does: `id` (path) and `idempotencyKey` (header)
/// are taken out and checked, the rest is the request body.
fn run_call(call: &str, params: &Value) -> Result<(), Error> {
    let mut body = params.as_object().expect("params are an object").clone();
    let id = body.remove("id");
    if matches!(call, "cashIn.get" | "cashOut.get" | "cashIn.refund") {
        match id {
            Some(Value::String(id)) => validate_path_id("id", &id)?,
            Some(_) => return Err(Error::validation("id", "must be a string")),
            None => return Err(Error::validation("id", "is required")),
        }
    }
    match body.remove("idempotencyKey") {
        Some(Value::String(key)) => drop(IdempotencyKey::parse(&key)?),
        Some(_) => return Err(Error::validation("idempotencyKey", "must be a string")),
        None => {}
    }
    let body = Value::Object(body);
    match call {
        "cashIn.create" => parse_request::<CreateCashIn>(body)?.validate(),
        "cashOut.create" => parse_request::<CreateCashOut>(body)?.validated().map(drop),
        "cashIn.refund" => parse_request::<RefundCashIn>(body)?.validate(),
        "account.rebalance" => parse_request::<Rebalance>(body)?.validate(),
        "cashIn.get" | "cashOut.get" => match body.as_object().and_then(|b| b.keys().next()) {
            Some(extra) => Err(Error::validation(extra.clone(), "unknown field")),
            None => Ok(()),
        },
        other => panic!("unknown call {other}"),
    }
}

#[test]
fn the_base_params_of_every_call_are_valid() {
    let vectors = testdata("bad_inputs.json");
    for (call, params) in vectors["base"].as_object().unwrap() {
        run_call(call, params).unwrap_or_else(|e| panic!("{call}: {e}"));
    }
}

#[test]
fn every_bad_input_is_refused_naming_its_field() {
    let vectors = testdata("bad_inputs.json");
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 100);
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let expected = case["field"].as_str().unwrap();
        match run_call(case["call"].as_str().unwrap(), &case["params"]) {
            Ok(()) => failures.push(format!("{name}: accepted")),
            Err(err) if err.kind != ErrorKind::Validation => failures.push(format!(
                "{name}: {:?} instead of a validation error",
                err.kind
            )),
            Err(err) if err.field.as_deref() != Some(expected) => failures.push(format!(
                "{name}: field {:?}, expected {expected:?} ({})",
                err.field, err.message
            )),
            Err(err)
                if !err.message.starts_with(expected)
                    || err.message.len() <= expected.len() + 2 =>
            {
                failures.push(format!("{name}: message does not explain: {}", err.message))
            }
            Err(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn validation_messages_never_repeat_documents_or_keys() {
    let vectors = testdata("bad_inputs.json");
    for case in vectors["cases"].as_array().unwrap() {
        let field = case["field"].as_str().unwrap();
        if !(field.ends_with("document") || field.ends_with("pixKey")) {
            continue;
        }
        let mut value = &case["params"];
        for part in field.split('.') {
            value = &value[part];
        }
        let Some(secret) = value.as_str().filter(|s| s.len() >= 8) else {
            continue;
        };
        let err = run_call(case["call"].as_str().unwrap(), &case["params"]).unwrap_err();
        // The fixed example a message may end with ("e.g. 12345678909") is not the input.
        let own_words = err.message.split("e.g.").next().unwrap();
        assert!(
            !own_words.contains(secret),
            "{}: {}",
            case["name"],
            err.message
        );
    }
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    /// Any JSON value, with numbers written as arbitrary literal text (exponents, many decimals).
    fn json() -> impl Strategy<Value = Value> {
        let number = "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,6})?([eE][+-]?[0-9]{1,3})?"
            .prop_map(|text| serde_json::from_str::<Value>(&text).unwrap());
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            number,
            "\\PC{0,12}".prop_map(Value::String),
        ];
        let keys = prop_oneof![
            Just("amount".to_owned()),
            Just("status".to_owned()),
            Just("transactionId".to_owned()),
            Just("payer".to_owned()),
            Just("payee".to_owned()),
            Just("destination".to_owned()),
            Just("data".to_owned()),
            Just("eventType".to_owned()),
            "[a-zA-Z]{1,8}",
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(keys.clone(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn parsing_untrusted_json_returns_errors_not_panics(value in json()) {
            let _ = parse_request::<CreateCashIn>(value.clone()).map(|r| r.validate());
            let _ = parse_request::<CreateCashOut>(value.clone()).map(|r| r.validated());
            let _ = parse_response_value::<CashIn>(&value);
            let _ = parse_response_value::<CashOut>(&value);
            let _ = parse_response_value::<Balance>(&value);
            let _ = parse_response_value::<Problem>(&value);
            let _ = parse_response_value::<WebhookEvent>(&value);
        }

        #[test]
        fn parsing_untrusted_bytes_returns_errors_not_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = connectpsp_core::model::parse_response::<CashIn>(&bytes);
            let _ = Problem::from_body(&bytes);
        }
    }
}
