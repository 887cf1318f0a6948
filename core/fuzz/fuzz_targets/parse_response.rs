//! Response bodies, two ways:
//! 1. every model response type deserialises any bytes without panicking, and a value that
//!    parses serialises to JSON that parses back to the same value;
//! 2. the driver (`operation`) is fed the bytes as the API's answer, with a status and
//!    headers chosen by the first bytes: it must finish without panicking, and its error
//!    must never carry a secret.
#![no_main]

use connectpsp_core::bridge;
use connectpsp_core::http::{HttpResponse, Purpose};
use connectpsp_core::model::{account, auth, cash_in, cash_out, problem};
use connectpsp_core::operation::{Operation, Session, Step};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

const CLIENT_SECRET: &str = "fuzz-client-secret-5f3a";
const ACCESS_TOKEN: &str = "fuzz-access-token-9c1e";
const CRYPTO_TOKEN: &str = "fuzz-crypto-token-7b2d";
const STATUSES: [u16; 16] = [
    200, 201, 202, 204, 301, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504,
];
const CALLS: [(&str, &str); 4] = [
    (
        "cashIn.get",
        r#"{"id":"kk6g232xel65a0daee4dd13kk2912714964"}"#,
    ),
    ("cashOut.get", r#"{"id":"IVKPRMOCDY"}"#),
    ("account.balance", "{}"),
    (
        "cashOut.create",
        r#"{"amount":"10.00","externalReference":"fuzz-1","payee":{"name":"Fulano","document":"12345678909","destination":{"type":"PIX","pixKeyType":"CPF","pixKey":"12345678909"}}}"#,
    ),
];

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let json = match serde_json::to_vec(&value) {
        Ok(json) => json,
        Err(e) => panic!("a parsed value does not serialise: {e}"),
    };
    match serde_json::from_slice::<T>(&json) {
        Ok(again) => assert!(again == value, "round trip changed the value"),
        Err(e) => panic!("serialised value does not parse back: {e}"),
    }
}

fn drive(selector: u8, retry_after: u8, body: &[u8]) {
    let config = format!(
        r#"{{"baseUrl":"http://127.0.0.1:9","clientId":"fuzz","clientSecret":"{CLIENT_SECRET}",
            "applicationToken":"fuzz-app","cryptoToken":"{CRYPTO_TOKEN}","maxRetries":1}}"#
    );
    let config = match bridge::config_from_json(&config) {
        Ok(config) => config,
        Err(e) => panic!("the fuzz target's own config is refused: {e}"),
    };
    let (method, params) = CALLS[usize::from(selector >> 4) % CALLS.len()];
    let call = match bridge::call_from_json(method, params, bridge::Codec::JS) {
        Ok(call) => call,
        Err(e) => panic!("the fuzz target's own {method} call is refused: {e}"),
    };
    let status = STATUSES[usize::from(selector & 0x0f)];
    let mut session = Session::new(config);
    let mut now = 1_800_000_000_000u64;
    let mut op = Operation::new(call, &session, [7; 32], now);
    for _ in 0..50 {
        match op.poll(&mut session, now) {
            Step::Send(request) => {
                let response = if request.purpose == Purpose::Token {
                    HttpResponse {
                        status: 200,
                        headers: vec![],
                        body: format!(
                            r#"{{"accessToken":"{ACCESS_TOKEN}","tokenType":"Bearer","expiresIn":3600}}"#
                        )
                        .into_bytes(),
                    }
                } else {
                    HttpResponse {
                        status,
                        headers: vec![
                            ("Retry-After".into(), retry_after.to_string()),
                            ("X-Request-Id".into(), "req-fuzz".into()),
                        ],
                        body: body.to_vec(),
                    }
                };
                op.handle_response(&mut session, response, now);
            }
            Step::Sleep { ms } => now = now.saturating_add(ms),
            Step::AwaitToken { max_wait_ms } => now = now.saturating_add(max_wait_ms),
            Step::Done(Ok(_)) => return,
            Step::Done(Err(error)) => {
                let shown = format!("{error} {error:?}");
                for secret in [CLIENT_SECRET, ACCESS_TOKEN, CRYPTO_TOKEN] {
                    assert!(!shown.contains(secret), "an error shows a secret: {shown}");
                }
                return;
            }
        }
    }
    panic!("the operation did not finish in 50 steps");
}

fuzz_target!(|data: &[u8]| {
    round_trip::<cash_out::CashOut>(data);
    round_trip::<cash_in::CashIn>(data);
    round_trip::<account::Balance>(data);
    round_trip::<account::RebalanceResult>(data);
    round_trip::<auth::TokenResponse>(data);
    // A problem body is read leniently; only "never panics" applies.
    let _ = serde_json::from_slice::<problem::Problem>(data);
    if let [selector, retry_after, body @ ..] = data {
        drive(*selector, *retry_after, body);
    }
});
