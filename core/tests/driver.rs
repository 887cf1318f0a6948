//! The driver (`operation::Operation`) against a scripted transport and a manual clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;

use connectpsp_core::config::Config;
use connectpsp_core::http::{
    FailureKind, HttpRequest, HttpResponse, Method, Purpose, TransportFailure,
};
use connectpsp_core::model::parse_request_str;
use connectpsp_core::operation::{Call, Operation, Reply, Session, Step};
use connectpsp_core::signature::digital_signature;
use connectpsp_core::{Error, ErrorKind};

const CRYPTO: &str = "test-crypto-token-0001";
const SECRET: &str = "client-secret-do-not-leak";
const APP_TOKEN: &str = "f47ac10b-58cc-4372-a567-0e02b2c3d479";

fn config() -> Config {
    Config::new(
        "https://api.test.example",
        "1234",
        SECRET,
        APP_TOKEN,
        CRYPTO,
    )
    .unwrap()
}

fn cash_out(key: Option<&str>) -> Call {
    let request = parse_request_str(
        r#"{"amount": 50.00, "externalReference": "withdrawal-user-42-001",
            "description": "User withdrawal",
            "payee": {"name": "Maria Silva", "document": "12345678909",
                      "destination": {"type": "PIX", "pixKeyType": "CPF", "pixKey": "12345678909"}}}"#,
    )
    .unwrap();
    Call::CreateCashOut {
        request,
        idempotency_key: key.map(str::to_owned),
    }
}

fn token_ok(token: &str, expires_in: u64) -> HttpResponse {
    HttpResponse::new(
        200,
        vec![("Content-Type".into(), "application/json".into())],
        format!(
            r#"{{"accessToken":"{token}","tokenType":"Bearer","expiresIn":{expires_in},"issuedAt":"2026-03-10T14:00:00Z"}}"#
        ),
    )
}

const CASH_OUT_BODY: &str = r#"{"transactionId":"dd30446e-6cc5-4664-bf3f-6b7f5e55a1a9","internalCode":"IVKPRMOCDY",
"externalReference":"withdrawal-user-42-001","endToEndId":null,"status":"PROCESSING","amount":50.00,
"payee":{"name":"Maria Silva","document":"12345678909","destination":{"type":"PIX","pixKeyType":"CPF","pixKey":"12345678909"}},
"requestedAt":"2026-03-10T14:00:00Z"}"#;

const BALANCE_BODY: &str = r#"{"currency":"BRL","referenceDate":"2026-03-10","consolidated":{"totalBalance":1500000,"transactionalBalance":500000,"proprietaryBalance":1000000},"banks":[],"updatedAt":"2026-03-10T14:35:00Z"}"#;

fn cash_out_ok() -> HttpResponse {
    HttpResponse::new(
        202,
        vec![("X-Request-Id".into(), "req-42".into())],
        CASH_OUT_BODY,
    )
}

fn problem(status: u16, code: &str) -> HttpResponse {
    HttpResponse::new(
        status,
        vec![("Content-Type".into(), "application/problem+json".into())],
        format!(
            r#"{{"type":"about:blank","title":"T","status":{status},"code":"{code}","detail":"d"}}"#
        ),
    )
}

fn with_header(mut response: HttpResponse, name: &str, value: &str) -> HttpResponse {
    response.headers.push((name.into(), value.into()));
    response
}

fn sent_reset() -> TransportFailure {
    TransportFailure::new(FailureKind::Io, true, "connection reset by peer")
}

fn refused() -> TransportFailure {
    TransportFailure::new(FailureKind::Connect, false, "connection refused")
}

/// One scripted answer: how long the attempt takes on the manual clock, and its fate.
struct Answer {
    took_ms: u64,
    result: Result<HttpResponse, TransportFailure>,
}

fn ok(response: HttpResponse) -> Answer {
    Answer {
        took_ms: 10,
        result: Ok(response),
    }
}

fn fail(failure: TransportFailure, took_ms: u64) -> Answer {
    Answer {
        took_ms,
        result: Err(failure),
    }
}

/// Everything the binding saw while driving one operation.
#[derive(Default)]
struct Trace {
    sent: Vec<HttpRequest>,
    sleeps: Vec<u64>,
}

impl Trace {
    fn api(&self) -> Vec<&HttpRequest> {
        self.sent
            .iter()
            .filter(|r| r.purpose == Purpose::Api)
            .collect()
    }
    fn tokens(&self) -> usize {
        self.sent
            .iter()
            .filter(|r| r.purpose == Purpose::Token)
            .count()
    }
}

/// The loop of docs/architecture.md §2, with the clock advanced by hand.
fn drive(
    op: &mut Operation,
    session: &mut Session,
    now: &mut u64,
    script: Vec<Answer>,
) -> (Result<connectpsp_core::operation::Outcome, Error>, Trace) {
    let mut script: VecDeque<Answer> = script.into();
    let mut trace = Trace::default();
    for _ in 0..100 {
        match op.poll(session, *now) {
            Step::Send(request) => {
                let answer = script
                    .pop_front()
                    .unwrap_or_else(|| panic!("unscripted request {request:?}"));
                *now += answer.took_ms.min(request.timeout_ms);
                trace.sent.push(request);
                match answer.result {
                    Ok(response) => op.handle_response(session, response, *now),
                    Err(failure) => op.handle_failure(session, failure, *now),
                }
            }
            Step::Sleep { ms } => {
                trace.sleeps.push(ms);
                *now += ms;
            }
            Step::AwaitToken { .. } => panic!("a lone operation never waits for a token"),
            Step::Done(result) => {
                assert!(script.is_empty(), "{} scripted answers left", script.len());
                return (result, trace);
            }
        }
    }
    panic!("operation did not finish");
}

fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request.header(name)
}

const ENTROPY: [u8; 32] = [0x11; 32];
const ENTROPY_KEY: &str = "11111111-1111-4111-9111-111111111111";

#[test]
fn first_call_fetches_the_token_then_sends_a_signed_cash_out() {
    let mut session = Session::new(config());
    let mut now = 1_000;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    assert_eq!(op.idempotency_key(), Some(ENTROPY_KEY));
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![ok(token_ok("tok-1", 3600)), ok(cash_out_ok())],
    );

    let token_request = &trace.sent[0];
    assert_eq!(token_request.purpose, Purpose::Token);
    assert_eq!(token_request.method, Method::Post);
    assert_eq!(token_request.url, "https://api.test.example/auth/token");
    assert!(header(token_request, "Authorization").is_none());
    assert!(header(token_request, "ApplicationToken").is_none());
    let body: serde_json::Value = serde_json::from_slice(&token_request.body).unwrap();
    assert_eq!(body["clientId"], "1234");
    assert_eq!(body["clientSecret"], SECRET);
    assert!(!format!("{token_request:?}").contains(SECRET));

    let request = &trace.sent[1];
    assert_eq!(request.url, "https://api.test.example/cash-out");
    assert_eq!(header(request, "Authorization"), Some("Bearer tok-1"));
    assert_eq!(header(request, "ApplicationToken"), Some(APP_TOKEN));
    assert_eq!(
        header(request, "DigitalSignature"),
        Some(digital_signature(CRYPTO, "tok-1").as_str())
    );
    assert_eq!(header(request, "X-Idempotency-Key"), Some(ENTROPY_KEY));
    assert_eq!(header(request, "Content-Type"), Some("application/json"));
    let agent = header(request, "User-Agent").unwrap();
    assert!(
        agent.starts_with("connectpsp-rust/") && agent.contains(" core/"),
        "{agent}"
    );
    let text = String::from_utf8(request.body.clone()).unwrap();
    assert!(text.contains(r#""amount":50.00"#), "{text}");
    let debug = format!("{request:?}");
    assert!(!debug.contains("tok-1") && !debug.contains(&digital_signature(CRYPTO, "tok-1")));

    let outcome = result.unwrap();
    assert_eq!(outcome.status, 202);
    assert_eq!(outcome.attempts, 1);
    assert_eq!(outcome.request_id.as_deref(), Some("req-42"));
    assert_eq!(outcome.idempotency_key.as_deref(), Some(ENTROPY_KEY));
    assert!(!outcome.replayed);
    match outcome.reply {
        Reply::CashOut(cash_out) => assert_eq!(cash_out.amount.centavos(), 5000),
        other => panic!("unexpected reply {other:?}"),
    }
}

#[test]
fn caller_key_is_used_and_gets_sends_no_key_nor_signature() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(cash_out(Some("my-key-1")), &session, ENTROPY, now);
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![ok(token_ok("tok-1", 3600)), ok(cash_out_ok())],
    );
    assert!(result.is_ok());
    assert_eq!(
        header(trace.api()[0], "X-Idempotency-Key"),
        Some("my-key-1")
    );

    let get = Call::GetCashOut {
        id: "IVKPRMOCDY".into(),
    };
    let mut op = Operation::new(get, &session, ENTROPY, now);
    assert_eq!(op.idempotency_key(), None);
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![ok(HttpResponse::new(200, vec![], CASH_OUT_BODY))],
    );
    assert!(result.is_ok());
    let request = trace.api()[0];
    assert_eq!(request.method, Method::Get);
    assert_eq!(request.url, "https://api.test.example/cash-out/IVKPRMOCDY");
    assert!(header(request, "X-Idempotency-Key").is_none());
    assert!(header(request, "DigitalSignature").is_none());
    assert_eq!(header(request, "ApplicationToken"), Some(APP_TOKEN));
    assert!(request.body.is_empty());
}

#[test]
fn token_expiring_mid_sequence_is_refreshed_proactively_and_resigned() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    drive(
        &mut op,
        &mut session,
        &mut now,
        vec![ok(token_ok("tok-1", 3600)), ok(cash_out_ok())],
    )
    .0
    .unwrap();

    // 3,541 s later: inside the 60 s refresh margin of a one-hour token.
    now = 3_541_000;
    let mut op = Operation::new(cash_out(None), &session, [0x22; 32], now);
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![ok(token_ok("tok-2", 3600)), ok(cash_out_ok())],
    );
    result.unwrap();
    assert_eq!(trace.tokens(), 1);
    let request = trace.api()[0];
    assert_eq!(header(request, "Authorization"), Some("Bearer tok-2"));
    assert_eq!(
        header(request, "DigitalSignature"),
        Some(digital_signature(CRYPTO, "tok-2").as_str())
    );
}

#[test]
fn token_expired_401_refreshes_once_and_replays_with_the_same_key() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("tok-1", 3600)),
            ok(problem(401, "TOKEN_EXPIRED")),
            ok(token_ok("tok-2", 3600)),
            ok(cash_out_ok()),
        ],
    );
    let outcome = result.unwrap();
    assert_eq!(trace.tokens(), 2);
    let api = trace.api();
    assert_eq!(api.len(), 2);
    assert_eq!(
        header(api[0], "X-Idempotency-Key"),
        header(api[1], "X-Idempotency-Key")
    );
    assert_eq!(header(api[1], "Authorization"), Some("Bearer tok-2"));
    assert_eq!(
        header(api[1], "DigitalSignature"),
        Some(digital_signature(CRYPTO, "tok-2").as_str())
    );
    assert!(trace.sleeps.is_empty(), "a token replay does not back off");
    assert_eq!(outcome.attempts, 2);

    // A second TOKEN_EXPIRED in a row is an authentication error, not a loop.
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let (result, _) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(problem(401, "TOKEN_EXPIRED")),
            ok(token_ok("tok-3", 3600)),
            ok(problem(401, "TOKEN_EXPIRED")),
        ],
    );
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Authentication);
    assert_eq!(error.code.as_deref(), Some("TOKEN_EXPIRED"));
}

#[test]
fn server_503_then_success_retries_with_backoff_and_the_same_key() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("tok-1", 3600)),
            ok(problem(503, "SERVICE_UNAVAILABLE")),
            ok(cash_out_ok()),
        ],
    );
    let outcome = result.unwrap();
    assert_eq!(outcome.attempts, 2);
    assert_eq!(trace.sleeps.len(), 1);
    assert!(
        (250..=500).contains(&trace.sleeps[0]),
        "first backoff {}",
        trace.sleeps[0]
    );
    let api = trace.api();
    assert_eq!(header(api[0], "X-Idempotency-Key"), Some(ENTROPY_KEY));
    assert_eq!(header(api[1], "X-Idempotency-Key"), Some(ENTROPY_KEY));
    assert_eq!(api[0].body, api[1].body);
}

#[test]
fn reset_after_send_is_retried_with_the_same_key_and_replay_is_reported() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let replay = with_header(cash_out_ok(), "Idempotent-Replayed", "true");
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("tok-1", 3600)),
            fail(sent_reset(), 100),
            ok(replay),
        ],
    );
    let outcome = result.unwrap();
    assert!(outcome.replayed);
    let api = trace.api();
    assert_eq!(api.len(), 2);
    assert_eq!(
        header(api[0], "X-Idempotency-Key"),
        header(api[1], "X-Idempotency-Key")
    );
}

#[test]
fn retry_after_is_honoured_and_capped() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(Call::GetBalance, &session, ENTROPY, now);
    let limited = with_header(problem(429, "RATE_LIMITED"), "Retry-After", "3");
    let balance = BALANCE_BODY;
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("tok-1", 3600)),
            ok(limited),
            ok(HttpResponse::new(200, vec![], balance)),
        ],
    );
    assert!(matches!(result.unwrap().reply, Reply::Balance(_)));
    assert_eq!(trace.sleeps, vec![3000]);

    // Beyond 60 s the SDK does not wait: it reports the rate limit with the server's delay.
    let mut op = Operation::new(Call::GetBalance, &session, ENTROPY, now);
    let limited = with_header(problem(429, "RATE_LIMITED"), "Retry-After", "120");
    let (result, trace) = drive(&mut op, &mut session, &mut now, vec![ok(limited)]);
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::RateLimited);
    assert_eq!(error.class_name(), "RateLimitError");
    assert_eq!(error.retry_after_ms, Some(120_000));
    assert!(trace.sleeps.is_empty());
}

#[test]
fn deadline_covers_all_attempts() {
    let mut config = config();
    config.timeout_ms = 1_000;
    config.max_retries = 10;
    config.deadline_ms = Some(2_500);
    let mut session = Session::new(config);
    let mut now = 0;
    // Token first, outside the deadline being tested.
    let mut op = Operation::new(Call::GetBalance, &session, ENTROPY, now);
    let balance = HttpResponse::new(200, vec![], BALANCE_BODY);
    drive(
        &mut op,
        &mut session,
        &mut now,
        vec![ok(token_ok("tok-1", 3600)), ok(balance)],
    )
    .0
    .unwrap();

    let start = now;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let timeout = || {
        fail(
            TransportFailure::new(FailureKind::Timeout, true, "timed out"),
            10_000,
        )
    };
    let (result, trace) = drive(&mut op, &mut session, &mut now, vec![timeout(), timeout()]);
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(
        error.outcome_unknown,
        "a timed-out cash-out may have been applied"
    );
    assert_eq!(error.idempotency_key.as_deref(), Some(ENTROPY_KEY));
    assert!(now - start <= 2_500, "took {} ms", now - start);
    // Every attempt's timeout was capped by what remained of the deadline.
    for request in trace.api() {
        assert!(request.timeout_ms <= 1_000);
    }
    assert!(trace.api().len() < 11);
}

#[test]
fn retries_spent_after_sending_means_outcome_unknown() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("tok-1", 3600)),
            fail(sent_reset(), 50),
            fail(refused(), 5),
            fail(refused(), 5),
        ],
    );
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Connection);
    assert_eq!(error.class_name(), "ConnectionError");
    assert!(error.outcome_unknown);
    assert_eq!(error.attempts, 3);
    assert_eq!(error.idempotency_key.as_deref(), Some(ENTROPY_KEY));
    assert!(error.to_string().contains(ENTROPY_KEY), "{error}");
    assert!(error.to_string().contains("same idempotency key"));
    assert_eq!(trace.sleeps.len(), 2);
    let keys: Vec<_> = trace
        .api()
        .iter()
        .map(|r| header(r, "X-Idempotency-Key"))
        .collect();
    assert!(keys.iter().all(|k| *k == Some(ENTROPY_KEY)));
}

#[test]
fn nothing_sent_means_outcome_known() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let (result, _) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("tok-1", 3600)),
            fail(refused(), 5),
            fail(refused(), 5),
            fail(refused(), 5),
        ],
    );
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Connection);
    assert!(!error.outcome_unknown);
}

#[test]
fn gets_are_never_outcome_unknown_and_5xx_exhaustion_is_a_server_error() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(
        Call::GetCashIn {
            id: "US7B1JQ".into(),
        },
        &session,
        ENTROPY,
        now,
    );
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("t", 3600)),
            ok(problem(500, "INTERNAL_ERROR")),
            fail(sent_reset(), 5),
            ok(problem(502, "BAD_GATEWAY")),
        ],
    );
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Server);
    assert_eq!(error.status, Some(502));
    assert!(!error.outcome_unknown);
    assert_eq!(trace.api().len(), 3);
}

#[test]
fn rebalance_is_retried_though_it_has_no_key() {
    let mut session = Session::new(config());
    let mut now = 0;
    let request = parse_request_str(r#"{"targetAmount": 1000000}"#).unwrap();
    let mut op = Operation::new(Call::Rebalance { request }, &session, ENTROPY, now);
    assert_eq!(op.idempotency_key(), None);
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("t", 3600)),
            ok(problem(503, "SERVICE_UNAVAILABLE")),
            ok(HttpResponse::new(
                200,
                vec![],
                r#"{"success":true,"message":"Rebalancing completed successfully."}"#,
            )),
        ],
    );
    assert!(matches!(result.unwrap().reply, Reply::Rebalance(_)));
    let api = trace.api();
    assert_eq!(api.len(), 2);
    assert!(header(api[1], "DigitalSignature").is_some());
    assert!(header(api[1], "X-Idempotency-Key").is_none());
}

#[test]
fn business_errors_are_final_and_typed() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("t", 3600)),
            ok(with_header(
                problem(422, "INSUFFICIENT_FUNDS"),
                "X-Request-Id",
                "r-9",
            )),
        ],
    );
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::BusinessRule);
    assert_eq!(error.class_name(), "InsufficientFundsError");
    assert_eq!(error.status, Some(422));
    assert_eq!(error.request_id.as_deref(), Some("r-9"));
    assert_eq!(error.idempotency_key.as_deref(), Some(ENTROPY_KEY));
    assert!(!error.outcome_unknown);
    assert!(trace.sleeps.is_empty());
}

#[test]
fn bad_input_never_sends() {
    let session = Session::new(config());
    for id in ["../x", "a%2Fb", "a?x=1", "a\r\nb", "ação", ""] {
        let mut session = session.clone();
        let mut op = Operation::new(Call::GetCashIn { id: id.into() }, &session, ENTROPY, 0);
        match op.poll(&mut session, 0) {
            Step::Done(Err(error)) => {
                assert_eq!(error.kind, ErrorKind::Validation, "{id:?}");
                assert_eq!(error.attempts, 0);
            }
            other => panic!("{id:?}: {other:?}"),
        }
    }
    let mut session = session.clone();
    let mut op = Operation::new(cash_out(Some("bad key\n")), &session, ENTROPY, 0);
    match op.poll(&mut session, 0) {
        Step::Done(Err(error)) => assert_eq!(error.field.as_deref(), Some("idempotencyKey")),
        other => panic!("{other:?}"),
    }
    assert_eq!(session.token_state().exchanges_started(), 0);
}

#[test]
fn hundred_operations_share_one_token_request() {
    let mut session = Session::new(config());
    let now = 5_000;
    let mut ops: Vec<Operation> = (0..100u8)
        .map(|i| Operation::new(Call::GetBalance, &session, [i; 32], now))
        .collect();
    let mut token_requests = Vec::new();
    let mut waiting = 0;
    for op in &mut ops {
        match op.poll(&mut session, now) {
            Step::Send(request) => token_requests.push(request),
            Step::AwaitToken { max_wait_ms } => {
                // At most the refresher's attempt timeout (30 s) plus the lease grace (1 s).
                assert!(max_wait_ms > 0 && max_wait_ms <= 31_000);
                waiting += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(token_requests.len(), 1);
    assert_eq!(token_requests[0].purpose, Purpose::Token);
    assert_eq!(waiting, 99);
    ops[0].handle_response(&mut session, token_ok("shared", 3600), now + 20);
    // The binding wakes the waiters; each now sends its API request with the shared token.
    for op in &mut ops {
        match op.poll(&mut session, now + 21) {
            Step::Send(request) => {
                assert_eq!(request.purpose, Purpose::Api);
                assert_eq!(header(&request, "Authorization"), Some("Bearer shared"));
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(session.token_state().exchanges_started(), 1);
}

#[test]
fn failed_token_exchange_is_reported_to_every_waiter() {
    let mut session = Session::new(config());
    let mut ops: Vec<Operation> = (0..5u8)
        .map(|i| Operation::new(Call::GetBalance, &session, [i; 32], 0))
        .collect();
    for op in &mut ops {
        op.poll(&mut session, 0);
    }
    ops[0].handle_response(&mut session, problem(401, "INVALID_CREDENTIALS"), 10);
    for op in &mut ops {
        match op.poll(&mut session, 11) {
            Step::Done(Err(error)) => {
                assert_eq!(error.kind, ErrorKind::Authentication);
                assert_eq!(error.code.as_deref(), Some("INVALID_CREDENTIALS"));
                assert!(!error.to_string().contains(SECRET));
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(session.token_state().exchanges_started(), 1);
}

#[test]
fn abandoned_refresher_is_taken_over_after_its_lease() {
    let mut session = Session::new(config());
    let mut a = Operation::new(Call::GetBalance, &session, [1; 32], 0);
    let mut b = Operation::new(Call::GetBalance, &session, [2; 32], 0);
    assert!(matches!(a.poll(&mut session, 0), Step::Send(_)));
    let Step::AwaitToken { max_wait_ms } = b.poll(&mut session, 0) else {
        panic!()
    };
    // `a` never reports back; once its lease runs out `b` refreshes itself.
    match b.poll(&mut session, max_wait_ms) {
        Step::Send(request) => assert_eq!(request.purpose, Purpose::Token),
        other => panic!("{other:?}"),
    }
}

#[test]
fn token_answer_errors_do_not_leak_the_body() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(Call::GetBalance, &session, ENTROPY, now);
    let weird = HttpResponse::new(
        200,
        vec![],
        r#"{"accessToken":"leaky-token\n","expiresIn":3600}"#,
    );
    let (result, _) = drive(&mut op, &mut session, &mut now, vec![ok(weird)]);
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Decode);
    assert!(!format!("{error:?}").contains("leaky-token"));
}

#[test]
fn undecodable_success_is_a_decode_error_with_an_excerpt() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(Call::GetCashOut { id: "x1".into() }, &session, ENTROPY, now);
    let (result, _) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("t", 3600)),
            ok(HttpResponse::new(200, vec![], "<html>maintenance</html>")),
        ],
    );
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Decode);
    assert!(
        error.message.contains("<html>maintenance"),
        "{}",
        error.message
    );
}

#[test]
fn session_and_operation_debug_hide_every_secret() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    drive(
        &mut op,
        &mut session,
        &mut now,
        vec![ok(token_ok("tok-secret-1", 3600)), ok(cash_out_ok())],
    )
    .0
    .unwrap();
    let debug = format!("{session:?} {op:?}");
    for secret in [
        "tok-secret-1",
        SECRET,
        CRYPTO,
        APP_TOKEN,
        &digital_signature(CRYPTO, "tok-secret-1"),
    ] {
        assert!(!debug.contains(secret), "Debug leaks {secret}");
    }
}

#[test]
fn unreadable_success_to_a_cash_out_says_resubmit_with_the_same_key() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let (result, _) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("t", 3600)),
            ok(HttpResponse::new(202, vec![], r#"{"transactionId":"x"}"#)),
        ],
    );
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Decode);
    assert!(error.outcome_unknown);
    assert_eq!(error.idempotency_key.as_deref(), Some(ENTROPY_KEY));
}

#[test]
fn waiters_keep_waiting_while_the_refresher_backs_off() {
    let mut session = Session::new(config());
    let mut leader = Operation::new(Call::GetBalance, &session, [1; 32], 0);
    let mut follower = Operation::new(Call::GetBalance, &session, [2; 32], 0);
    assert!(matches!(leader.poll(&mut session, 0), Step::Send(_)));
    assert!(matches!(
        follower.poll(&mut session, 0),
        Step::AwaitToken { .. }
    ));
    leader.handle_response(&mut session, problem(503, "SERVICE_UNAVAILABLE"), 10);
    let Step::Sleep { ms } = leader.poll(&mut session, 10) else {
        panic!()
    };
    // The binding woke the follower after the token answer: the lease still covers the backoff.
    assert!(matches!(
        follower.poll(&mut session, 11),
        Step::AwaitToken { .. }
    ));
    let Step::Send(retry) = leader.poll(&mut session, 10 + ms) else {
        panic!()
    };
    assert_eq!(retry.purpose, Purpose::Token);
    leader.handle_response(&mut session, token_ok("t", 3600), 20 + ms);
    assert!(
        matches!(follower.poll(&mut session, 21 + ms), Step::Send(r) if r.purpose == Purpose::Api)
    );
    // The leader's two attempts; the follower never sent one.
    assert_eq!(session.token_state().exchanges_started(), 2);
}
