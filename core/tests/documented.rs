//! Every documented example (testdata/api/index.json: the API reference's and docs/openapi.yaml's)
//! through the core as a binding would drive it: requests parsed strictly and validated, answers
//! fed to a real `Operation` at their documented status, webhooks signed with a test key and
//! verified. Nothing documented may raise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use connectpsp_core::config::Config;
use connectpsp_core::http::{HttpResponse, Purpose};
use connectpsp_core::model::account::{Balance, Rebalance, RebalanceResult};
use connectpsp_core::model::auth::{TokenRequest, TokenResponse};
use connectpsp_core::model::cash_in::{CashIn, CreateCashIn, Refund, RefundCashIn};
use connectpsp_core::model::cash_out::{CashOut, CreateCashOut};
use connectpsp_core::model::problem::Problem;
use connectpsp_core::model::{parse_request_str, parse_response};
use connectpsp_core::operation::{Call, Operation, Outcome, Reply, Session, Step};
use connectpsp_core::signature::hmac_sha256_hex;
use connectpsp_core::webhook::{self, EventData};
use connectpsp_core::{Error, ErrorKind};
use serde_json::Value;

const CRYPTO: &str = "test-crypto-token-0001";

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(path)
}

fn read(file: &str) -> String {
    std::fs::read_to_string(testdata(&format!("api/{file}"))).expect(file)
}

fn index() -> Vec<Value> {
    let text = std::fs::read_to_string(testdata("api/index.json")).unwrap();
    let index: Value = serde_json::from_str(&text).unwrap();
    index["examples"].as_array().unwrap().clone()
}

fn config() -> Config {
    Config::new(
        "https://api.test.example",
        "1234",
        "client-secret",
        "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        CRYPTO,
    )
    .unwrap()
}

/// The call whose answer a documented response is, built from the documented request.
fn call_for(method: &str) -> Call {
    let key = Some("550e8400-e29b-41d4-a716-446655440000".to_owned());
    match method {
        "cashIn.create" => Call::CreateCashIn {
            request: parse_request_str(&read("cash_in_create.request.json")).unwrap(),
            idempotency_key: key,
        },
        "cashIn.get" => Call::GetCashIn {
            id: "US7B1JQ".into(),
        },
        "cashIn.refund" => Call::RefundCashIn {
            id: "US7B1JQ".into(),
            request: parse_request_str(&read("cash_in_refund.request.json")).unwrap(),
            idempotency_key: key,
        },
        "cashOut.create" => Call::CreateCashOut {
            request: parse_request_str(&read("cash_out_create.request.pix.json")).unwrap(),
            idempotency_key: key,
        },
        "cashOut.get" => Call::GetCashOut {
            id: "IVKPRMOCDY".into(),
        },
        "account.balance" => Call::GetBalance,
        "account.rebalance" => Call::Rebalance {
            request: parse_request_str(&read("account_rebalance.request.json")).unwrap(),
        },
        other => panic!("no call {other}"),
    }
}

/// Drives `call` against two scripted answers: `token` for the token exchange, then `answer`.
fn drive(call: Call, token: HttpResponse, answer: HttpResponse) -> Result<Outcome, Error> {
    let mut session = Session::new(config());
    let mut now = 1_000;
    let mut op = Operation::new(call, &session, [7; 32], now);
    let mut answers = vec![answer, token];
    for _ in 0..20 {
        match op.poll(&mut session, now) {
            Step::Send(request) => {
                let response = answers.pop().expect("one answer per request");
                if answers.len() == 1 {
                    assert_eq!(request.purpose, Purpose::Token);
                }
                now += 5;
                op.handle_response(&mut session, response, now);
            }
            Step::Sleep { ms } => now += ms,
            Step::AwaitToken { .. } => panic!("a lone operation never waits"),
            Step::Done(result) => return result,
        }
    }
    panic!("the operation did not finish");
}

fn json_response(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(
        status,
        vec![("Content-Type".into(), "application/json".into())],
        body.to_owned(),
    )
}

fn documented_token() -> HttpResponse {
    json_response(200, &read("auth_token.200.json"))
}

/// The amount text of a JSON member, by value: `10.00` and `1.0E1` both give 1000 centavos.
fn centavos(value: &Value) -> i64 {
    connectpsp_core::money::SignedAmount::parse_field("amount", &value.to_string())
        .unwrap()
        .centavos()
}

fn check_request(example: &Value, text: &str) {
    fn strict<T>(text: &str, validate: impl Fn(&T) -> Result<(), Error>) -> Value
    where
        T: serde::de::DeserializeOwned + serde::Serialize,
    {
        let parsed: T = parse_request_str(text).unwrap();
        validate(&parsed).unwrap();
        serde_json::to_value(&parsed).unwrap()
    }
    let written = match example["type"].as_str().unwrap() {
        "TokenRequest" => strict::<TokenRequest>(text, TokenRequest::validate),
        "CreateCashIn" => strict::<CreateCashIn>(text, CreateCashIn::validate),
        "RefundCashIn" => strict::<RefundCashIn>(text, RefundCashIn::validate),
        "CreateCashOut" => strict::<CreateCashOut>(text, CreateCashOut::validate),
        "Rebalance" => strict::<Rebalance>(text, Rebalance::validate),
        other => panic!("request type {other}"),
    };
    // The body the SDK writes keeps the documented form: amounts with exactly two decimals.
    let body = serde_json::to_string(&written).unwrap();
    let documented: Value = serde_json::from_str(text).unwrap();
    for field in ["amount", "targetAmount"] {
        if let Some(amount) = documented.get(field) {
            let shown = written[field].to_string();
            assert!(
                shown.split_once('.').is_some_and(|(_, d)| d.len() == 2),
                "{body}"
            );
            assert_eq!(centavos(&written[field]), centavos(amount));
        }
    }
}

fn check_response(example: &Value, text: &str) {
    let status = u16::try_from(example["status"].as_u64().unwrap()).unwrap();
    let documented: Value = serde_json::from_str(text).unwrap();
    let file = example["file"].as_str().unwrap();
    match example["type"].as_str().unwrap() {
        "TokenResponse" => {
            // The documented token answer drives a real call to its end.
            let token = json_response(status, text);
            let outcome = drive(
                call_for("account.balance"),
                token,
                json_response(200, &read("account_balance.200.json")),
            )
            .unwrap();
            assert!(matches!(outcome.reply, Reply::Balance(_)));
            let parsed: TokenResponse = parse_response(text.as_bytes()).unwrap();
            assert_eq!(parsed.expires_in, 3600);
        }
        "Problem" => {
            let problem: Problem = parse_response(text.as_bytes()).unwrap();
            assert_eq!(problem.code.as_deref(), documented["code"].as_str());
            let answer = HttpResponse::new(
                status,
                vec![("Content-Type".into(), "application/problem+json".into())],
                text.to_owned(),
            );
            let call = call_for(example["call"].as_str().unwrap());
            let error = drive(call, documented_token(), answer).unwrap_err();
            assert_eq!(error.kind, ErrorKind::BusinessRule, "{file}");
            assert_eq!(error.status, Some(status));
            assert_eq!(error.code.as_deref(), documented["code"].as_str());
            assert!(!error.outcome_unknown, "a documented refusal is definitive");
        }
        kind => {
            let call = call_for(example["call"].as_str().unwrap());
            let outcome = drive(call, documented_token(), json_response(status, text))
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(outcome.status, status);
            let transaction_id = documented["transactionId"].as_str();
            match (kind, &outcome.reply) {
                (
                    "CashIn",
                    Reply::CashIn(CashIn {
                        transaction_id: id,
                        amount,
                        ..
                    }),
                ) => {
                    assert_eq!(Some(id.as_str()), transaction_id);
                    assert_eq!(amount.centavos(), centavos(&documented["amount"]));
                }
                (
                    "CashOut",
                    Reply::CashOut(CashOut {
                        transaction_id: id,
                        amount,
                        ..
                    }),
                ) => {
                    assert_eq!(Some(id.as_str()), transaction_id);
                    assert_eq!(amount.centavos(), centavos(&documented["amount"]));
                }
                ("Refund", Reply::Refund(refund)) => check_refund(refund, &documented),
                ("Balance", Reply::Balance(balance)) => check_balance(balance, &documented),
                ("RebalanceResult", Reply::Rebalance(RebalanceResult { success, .. })) => {
                    assert_eq!(Some(*success), documented["success"].as_bool());
                }
                (kind, reply) => panic!("{file}: expected {kind}, got {reply:?}"),
            }
        }
    }
}

fn check_refund(refund: &Refund, documented: &Value) {
    let text = |name: &str| documented[name].as_str().map(str::to_owned);
    assert_eq!(Some(refund.transaction_id.clone()), text("transactionId"));
    assert_eq!(Some(refund.end_to_end_id.clone()), text("endToEndId"));
    assert!(refund.end_to_end_id.starts_with('D'), "the devolution id");
    assert_eq!(refund.internal_code, text("internalCode"));
    assert_eq!(refund.external_reference, text("externalReference"));
    assert_eq!(refund.original_end_to_end_id, text("originalEndToEndId"));
}

fn check_balance(balance: &Balance, documented: &Value) {
    let totals = &documented["consolidated"];
    let consolidated = &balance.consolidated;
    assert_eq!(
        consolidated.total_balance.centavos(),
        centavos(&totals["totalBalance"])
    );
    assert_eq!(
        consolidated.transactional_balance.centavos(),
        centavos(&totals["transactionalBalance"])
    );
    assert_eq!(
        consolidated.proprietary_balance.centavos(),
        centavos(&totals["proprietaryBalance"])
    );
    for (bank, documented) in balance
        .banks
        .iter()
        .zip(documented["banks"].as_array().unwrap())
    {
        let account = bank.accounts.transactional.as_ref().unwrap();
        assert_eq!(
            account.balance.centavos(),
            centavos(&documented["accounts"]["transactional"]["balance"])
        );
    }
}

fn check_webhook(example: &Value, text: &str) {
    let documented: Value = serde_json::from_str(text).unwrap();
    // The body exactly as documented (bytes, whitespace and `10.00` included), signed with a
    // test key, goes through verification and parsing.
    let signature = hmac_sha256_hex(CRYPTO.as_bytes(), text.as_bytes());
    let event = webhook::construct_event(text.as_bytes(), &signature, CRYPTO)
        .unwrap_or_else(|e| panic!("{}: {e}", example["file"]));
    assert_eq!(event.event_type.as_str(), documented["eventType"]);
    assert_eq!(event.event_at, documented["eventAt"].as_str().unwrap());
    let EventData::CashIn(cash_in) = &event.data else {
        panic!("{event:?}")
    };
    let data = &documented["data"];
    assert_eq!(
        cash_in.transaction_id,
        data["transactionId"].as_str().unwrap()
    );
    assert_eq!(cash_in.status.as_str(), data["status"].as_str().unwrap());
    assert_eq!(cash_in.amount.centavos(), centavos(&data["amount"]));
    let payer = cash_in.payer.as_ref().unwrap();
    assert_eq!(payer.document, data["payer"]["document"].as_str().unwrap());
    let bank = payer.bank_data.as_ref().unwrap();
    assert_eq!(bank.branch.as_deref(), Some("0001"));
    // One byte changed and the same signature no longer verifies.
    let tampered = text.replacen("10.00", "11.00", 1);
    assert!(webhook::construct_event(tampered.as_bytes(), &signature, CRYPTO).is_err());
}

#[test]
fn every_documented_example_parses_through_the_core() {
    let examples = index();
    assert!(examples.len() >= 20, "{} examples", examples.len());
    let mut seen = [0usize; 3];
    for example in &examples {
        assert_eq!(example["expect"], "ok", "{example}");
        let text = read(example["file"].as_str().unwrap());
        match example["kind"].as_str().unwrap() {
            "request" => {
                check_request(example, &text);
                seen[0] += 1;
            }
            "response" => {
                check_response(example, &text);
                seen[1] += 1;
            }
            "webhook" => {
                check_webhook(example, &text);
                seen[2] += 1;
            }
            other => panic!("kind {other}"),
        }
    }
    assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
}

#[test]
fn the_documented_cashin_paid_event_verifies_verbatim() {
    let text = read("webhook_cashin_paid.json");
    // The signature a receiver would compute with this key (openssl dgst -sha256 -hmac).
    let signature = hmac_sha256_hex(CRYPTO.as_bytes(), text.as_bytes());
    let event =
        webhook::construct_event(text.as_bytes(), &signature.to_uppercase(), CRYPTO).unwrap();
    assert_eq!(event.status(), Some("PAID"));
    assert_eq!(
        event.transaction_id(),
        Some("kk6g232xel65a0daee4dd13kk2912714964")
    );
}

#[test]
fn webhook_members_the_docs_show_only_sometimes_may_be_missing() {
    // Only eventType, eventAt, data.transactionId and data.amount are required; status is
    // implied by the event type.
    for (event_type, status) in [
        ("CASHIN_PAID", "PAID"),
        ("CASHIN_REFUNDED", "REFUNDED"),
        ("CASHOUT_COMPLETED", "COMPLETED"),
        ("CASHOUT_FAILED", "FAILED"),
        ("CASHOUT_REFUNDED", "REFUNDED"),
    ] {
        let body = format!(
            r#"{{"eventType":"{event_type}","eventAt":"2026-03-10T11:22:18Z","data":{{"transactionId":"t1","amount":1.5E1,"endToEndId":null,"payer":null,"payee":null,"failure":null}}}}"#
        );
        let signature = hmac_sha256_hex(CRYPTO.as_bytes(), body.as_bytes());
        let event = webhook::construct_event(body.as_bytes(), &signature, CRYPTO)
            .unwrap_or_else(|e| panic!("{event_type}: {e}"));
        assert_eq!(event.status(), Some(status), "{event_type}");
    }
    for missing in ["transactionId", "amount"] {
        let mut data = serde_json::json!({"transactionId": "t1", "amount": 10, "status": "PAID"});
        data.as_object_mut().unwrap().remove(missing);
        let body = serde_json::json!({"eventType": "CASHIN_PAID", "eventAt": "x", "data": data})
            .to_string();
        let err = webhook::parse_event(body.as_bytes()).unwrap_err();
        assert!(err.message.contains(missing), "{}", err.message);
    }
}

#[test]
fn a_refund_answer_with_only_the_documented_members_is_a_refund_not_an_error() {
    let text = read("cash_in_refund.202.documented.json");
    let outcome = drive(
        call_for("cashIn.refund"),
        documented_token(),
        json_response(202, &text),
    )
    .unwrap();
    let Reply::Refund(refund) = outcome.reply else {
        panic!()
    };
    assert_eq!(refund.end_to_end_id, "D00416968202603111200abcdefGHIJK");
    assert_eq!(refund.status, None);
    assert_eq!(refund.amount, None);
}
