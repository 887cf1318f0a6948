//! The driver (`operation::Operation`) against a scripted transport and a manual clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;

use connectpsp_core::config::Config;
use connectpsp_core::config::MAX_TIMER_MS;
use connectpsp_core::http::{
    FailureKind, HttpRequest, HttpResponse, Method, Purpose, TransportFailure,
};
use connectpsp_core::model::parse_request_str;
use connectpsp_core::operation::{Call, CallOptions, Operation, Reply, Session, Step};
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

/// What a binding may spend before the first poll (a token store's read) is what is left of
/// the deadline, which counts from `new`; spending all of it ends the call before any send.
#[test]
fn the_deadline_left_counts_from_new_and_bounds_a_wait_before_the_first_poll() {
    let mut config = config();
    config.deadline_ms = Some(2_500);
    let mut session = Session::new(config);
    let op = Operation::new(cash_out(None), &session, ENTROPY, 1_000);
    assert_eq!(op.deadline_remaining_ms(1_000), 2_500);
    assert_eq!(op.deadline_remaining_ms(3_000), 500);
    assert_eq!(op.deadline_remaining_ms(9_000), 0);
    let mut op = op.with_options(CallOptions {
        deadline_ms: Some(300),
        ..CallOptions::default()
    });
    assert_eq!(op.deadline_remaining_ms(1_100), 200);
    match op.poll(&mut session, 1_300) {
        Step::Done(Err(error)) => {
            assert_eq!(error.kind, ErrorKind::Timeout);
            assert_eq!(error.attempts, 0);
        }
        other => panic!("expected the deadline's error, got {other:?}"),
    }
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
fn a_proxy_asking_for_credentials_is_a_clear_connection_error_with_the_outcome_known() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let proxy_407 = || fail(TransportFailure::proxy_auth_required("proxy said 407"), 5);
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("tok-1", 3600)),
            proxy_407(),
            proxy_407(),
            proxy_407(),
        ],
    );
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Connection);
    assert_eq!(error.code.as_deref(), Some("PROXY_AUTH_REQUIRED"));
    assert!(
        error.message.contains("407 Proxy Authentication Required"),
        "{}",
        error.message
    );
    assert!(
        !error.message.contains("proxy said"),
        "the transport's text is not echoed"
    );
    assert!(!error.outcome_unknown);
    assert_eq!(trace.api().len(), 3);
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
fn undecodable_success_is_a_decode_error_without_an_excerpt() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(Call::GetCashOut { id: "x1".into() }, &session, ENTROPY, now);
    let (result, _) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("t", 3600)),
            ok(HttpResponse::new(
                200,
                vec![("Content-Type".into(), "text/html".into())],
                "<html>maintenance</html>",
            )),
        ],
    );
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Decode);
    assert!(!error.message.contains("maintenance"), "{}", error.message);
    assert!(
        error.message.contains("body of 24 bytes (text/html)"),
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

// ---------------------------------------------------------------------------------------
// Money safety (issue 11): one rule for "may have been applied", sticky on every path.

fn html(status: u16) -> HttpResponse {
    HttpResponse::new(
        status,
        vec![("Content-Type".into(), "text/html".into())],
        format!("<html><body>{status} from the CDN</body></html>"),
    )
}

/// A session that already holds `token`, valid for `expires_in` s from time 0, and the time
/// after that exchange.
fn session_with_token(config: Config, token: &str, expires_in: u64) -> (Session, u64) {
    let mut session = Session::new(config);
    let mut now = 0;
    let mut op = Operation::new(Call::GetBalance, &session, [0x33; 32], now);
    drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok(token, expires_in)),
            ok(HttpResponse::new(200, vec![], BALANCE_BODY)),
        ],
    )
    .0
    .unwrap();
    (session, now)
}

fn assert_unknown_with_key(error: &Error) {
    assert!(error.outcome_unknown, "expected outcome unknown: {error}");
    assert_eq!(error.idempotency_key.as_deref(), Some(ENTROPY_KEY));
    assert!(error.to_string().contains(ENTROPY_KEY), "{error}");
}

#[test]
fn applied_then_dropped_then_token_endpoint_fails_stays_outcome_unknown() {
    // The payout is committed, the connection drops; the token expires meanwhile, so the
    // retry needs a refresh, and the token endpoint fails until the budget is spent.
    let failing_token_endpoints: [fn() -> Answer; 3] = [
        || ok(problem(503, "SERVICE_UNAVAILABLE")),
        || fail(refused(), 5),
        || ok(HttpResponse::new(200, vec![], "not json")),
    ];
    for (i, failing) in failing_token_endpoints.into_iter().enumerate() {
        let mut session = Session::new(config());
        let mut now = 0;
        let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
        let mut script = vec![ok(token_ok("tok-1", 4)), fail(sent_reset(), 5_000)];
        // A 200 that cannot be read is final; the other two are retried once more.
        script.push(failing());
        if i != 2 {
            script.push(failing());
        }
        let (result, trace) = drive(&mut op, &mut session, &mut now, script);
        let error = result.unwrap_err();
        assert_unknown_with_key(&error);
        assert_eq!(trace.api().len(), 1, "case {i}");
    }
}

#[test]
fn second_token_expired_after_an_ambiguous_attempt_stays_outcome_unknown() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let (result, _) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![
            ok(token_ok("tok-1", 3600)),
            fail(sent_reset(), 10),
            ok(problem(401, "TOKEN_EXPIRED")),
            ok(token_ok("tok-2", 3600)),
            ok(problem(401, "TOKEN_EXPIRED")),
        ],
    );
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Authentication);
    assert_unknown_with_key(&error);
}

#[test]
fn a_4xx_on_a_later_attempt_stays_outcome_unknown() {
    for (status, code) in [
        (400, "VALIDATION_ERROR"),
        (401, "INVALID_TOKEN"),
        (403, "FORBIDDEN"),
        (404, "TRANSACTION_NOT_FOUND"),
        (409, "DUPLICATE_EXTERNAL_REFERENCE"),
        (422, "IDEMPOTENCY_KEY_REUSED"),
        (422, "INSUFFICIENT_FUNDS"),
    ] {
        let mut session = Session::new(config());
        let mut now = 0;
        let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
        let (result, _) = drive(
            &mut op,
            &mut session,
            &mut now,
            vec![
                ok(token_ok("tok-1", 3600)),
                fail(sent_reset(), 10),
                ok(problem(status, code)),
            ],
        );
        let error = result.unwrap_err();
        assert_eq!(error.status, Some(status));
        assert_unknown_with_key(&error);
    }
}

#[test]
fn a_waiter_inheriting_a_refresh_failure_keeps_its_own_flag_and_key() {
    // B's payout may have been applied; its retry waits for A's refresh, which fails.
    let (mut session, t0) = session_with_token(config(), "tok-1", 4);
    let mut b = Operation::new(cash_out(None), &session, ENTROPY, t0);
    assert!(matches!(b.poll(&mut session, t0), Step::Send(_)));
    b.handle_failure(&mut session, sent_reset(), 5_000);
    let Step::Sleep { ms } = b.poll(&mut session, 5_000) else {
        panic!()
    };
    let mut a = Operation::new(Call::GetBalance, &session, [0x44; 32], 5_000);
    let Step::Send(token_request) = a.poll(&mut session, 5_000) else {
        panic!()
    };
    assert_eq!(token_request.purpose, Purpose::Token);
    assert!(matches!(
        b.poll(&mut session, 5_000 + ms),
        Step::AwaitToken { .. }
    ));
    a.handle_response(
        &mut session,
        problem(401, "INVALID_CREDENTIALS"),
        5_000 + ms + 5,
    );
    let Step::Done(Err(a_error)) = a.poll(&mut session, 5_000 + ms + 5) else {
        panic!()
    };
    assert!(!a_error.outcome_unknown, "A is a GET: {a_error}");
    let Step::Done(Err(b_error)) = b.poll(&mut session, 5_000 + ms + 6) else {
        panic!()
    };
    assert_eq!(b_error.kind, ErrorKind::Authentication);
    assert_unknown_with_key(&b_error);

    // The reverse: C (ambiguous) leads the refresh and fails; D, which never sent anything,
    // inherits the failure but neither C's flag nor C's key.
    let (mut session, t0) = session_with_token(config(), "tok-1", 4);
    let mut c = Operation::new(cash_out(None), &session, ENTROPY, t0);
    assert!(matches!(c.poll(&mut session, t0), Step::Send(_)));
    c.handle_failure(&mut session, sent_reset(), 5_000);
    let Step::Sleep { ms } = c.poll(&mut session, 5_000) else {
        panic!()
    };
    let now = 5_000 + ms;
    let Step::Send(token_request) = c.poll(&mut session, now) else {
        panic!()
    };
    assert_eq!(token_request.purpose, Purpose::Token);
    let mut d = Operation::new(cash_out(None), &session, [0x55; 32], now);
    assert!(matches!(d.poll(&mut session, now), Step::AwaitToken { .. }));
    c.handle_response(&mut session, problem(401, "INVALID_CREDENTIALS"), now + 5);
    let Step::Done(Err(c_error)) = c.poll(&mut session, now + 5) else {
        panic!()
    };
    assert_unknown_with_key(&c_error);
    let Step::Done(Err(d_error)) = d.poll(&mut session, now + 6) else {
        panic!()
    };
    assert!(!d_error.outcome_unknown, "{d_error}");
    assert_eq!(
        d_error.idempotency_key,
        d.idempotency_key().map(str::to_owned)
    );
    assert_ne!(d_error.idempotency_key.as_deref(), Some(ENTROPY_KEY));
}

#[test]
fn deadline_reached_while_an_attempt_is_in_flight_is_outcome_unknown() {
    let mut config = config();
    config.timeout_ms = 1_000;
    config.deadline_ms = Some(2_500);
    let (mut session, t0) = session_with_token(config, "tok-1", 3600);
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, t0);
    assert!(matches!(op.poll(&mut session, t0), Step::Send(_)));
    // The binding's deadline timer fires before the transport reports anything.
    let Step::Done(Err(error)) = op.poll(&mut session, t0 + 2_600) else {
        panic!()
    };
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert_unknown_with_key(&error);
}

#[test]
fn every_5xx_but_the_apis_own_503_may_have_been_applied() {
    let mut no_retry = config();
    no_retry.max_retries = 0;
    let statuses = [
        500, 501, 502, 504, 505, 506, 507, 508, 509, 510, 511, 520, 521, 522, 523, 524, 525, 526,
        527, 530, 598, 599,
    ];
    for status in statuses {
        for answer in [html(status), problem(status, "INTERNAL_ERROR")] {
            let (mut session, mut now) = session_with_token(no_retry.clone(), "t", 3600);
            let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
            let (result, _) = drive(&mut op, &mut session, &mut now, vec![ok(answer)]);
            let error = result.unwrap_err();
            assert_eq!(error.kind, ErrorKind::Server, "{status}");
            assert_unknown_with_key(&error);
        }
    }
    // 503: only the API's own problem body says "not done".
    let (mut session, mut now) = session_with_token(no_retry.clone(), "t", 3600);
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let (result, _) = drive(&mut op, &mut session, &mut now, vec![ok(html(503))]);
    assert_unknown_with_key(&result.unwrap_err());
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let (result, _) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![ok(problem(503, "SERVICE_UNAVAILABLE"))],
    );
    assert!(!result.unwrap_err().outcome_unknown);
}

#[test]
fn the_cdn_and_origin_family_is_retried_under_the_same_key() {
    for status in [
        500, 502, 503, 504, 507, 520, 521, 522, 523, 524, 525, 598, 599,
    ] {
        let (mut session, mut now) = session_with_token(config(), "t", 3600);
        let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
        let (result, trace) = drive(
            &mut op,
            &mut session,
            &mut now,
            vec![ok(html(status)), ok(cash_out_ok())],
        );
        result.unwrap_or_else(|e| panic!("{status}: {e}"));
        let api = trace.api();
        assert_eq!(api.len(), 2, "{status}");
        assert_eq!(header(api[1], "X-Idempotency-Key"), Some(ENTROPY_KEY));
        assert_eq!(api[0].body, api[1].body);
    }
    // Answers a repetition cannot change are final (and still outcome unknown).
    for status in [501, 505, 511, 526, 530] {
        let (mut session, mut now) = session_with_token(config(), "t", 3600);
        let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
        let (result, trace) = drive(&mut op, &mut session, &mut now, vec![ok(html(status))]);
        assert_unknown_with_key(&result.unwrap_err());
        assert_eq!(trace.api().len(), 1, "{status}");
    }
}

#[test]
fn informational_redirect_and_foreign_4xx_answers_may_have_been_applied() {
    for answer in [
        HttpResponse::new(100, vec![], ""),
        HttpResponse::new(
            302,
            vec![("Location".into(), "https://elsewhere.example/".into())],
            "",
        ),
        HttpResponse::new(304, vec![], ""),
        html(400),
        html(404),
        html(408),
        html(413),
        // JSON, but not the API's problem: no code, or a status that is not the answer's.
        HttpResponse::new(422, vec![], r#"{"message":"Unprocessable"}"#),
        HttpResponse::new(409, vec![], r#"{"status":500,"code":"X"}"#),
    ] {
        let status = answer.status;
        let (mut session, mut now) = session_with_token(config(), "t", 3600);
        let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
        let (result, trace) = drive(&mut op, &mut session, &mut now, vec![ok(answer)]);
        let error = result.unwrap_err();
        assert_eq!(error.status, Some(status));
        assert_unknown_with_key(&error);
        assert_eq!(trace.api().len(), 1, "{status} is not retried");
    }
    // 429 says "not done", with or without a problem body.
    let mut no_retry = config();
    no_retry.max_retries = 0;
    let (mut session, mut now) = session_with_token(no_retry, "t", 3600);
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let (result, _) = drive(&mut op, &mut session, &mut now, vec![ok(html(429))]);
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::RateLimited);
    assert!(!error.outcome_unknown);
}

#[test]
fn refunds_and_cash_ins_follow_the_same_rule_and_gets_never_do() {
    let refund = || Call::RefundCashIn {
        id: "US7B1JQ".into(),
        request: parse_request_str(r#"{"reason": "CUSTOMER_REQUEST"}"#).unwrap(),
        idempotency_key: None,
    };
    let mut no_retry = config();
    no_retry.max_retries = 0;
    for status in [524, 302, 404] {
        let (mut session, mut now) = session_with_token(no_retry.clone(), "t", 3600);
        let mut op = Operation::new(refund(), &session, ENTROPY, now);
        let (result, _) = drive(&mut op, &mut session, &mut now, vec![ok(html(status))]);
        assert_unknown_with_key(&result.unwrap_err());
    }
    // The same answers, and a reset after sending, never make a GET "unknown".
    for answer in [
        ok(html(524)),
        ok(html(302)),
        ok(html(404)),
        fail(sent_reset(), 10),
    ] {
        let (mut session, mut now) = session_with_token(no_retry.clone(), "t", 3600);
        let get = Call::GetCashOut { id: "x1".into() };
        let mut op = Operation::new(get, &session, ENTROPY, now);
        let (result, _) = drive(&mut op, &mut session, &mut now, vec![answer]);
        assert!(!result.unwrap_err().outcome_unknown);
    }
}

// ---------------------------------------------------------------------------------------
// A still-valid token survives a failed proactive refresh.

#[test]
fn a_failed_proactive_refresh_keeps_using_the_valid_token() {
    let failures: [fn() -> Answer; 4] = [
        || ok(problem(503, "SERVICE_UNAVAILABLE")),
        || ok(problem(401, "INVALID_CREDENTIALS")),
        || fail(refused(), 5),
        || ok(HttpResponse::new(200, vec![], "garbage")),
    ];
    for failing in failures {
        let (mut session, _) = session_with_token(config(), "tok-1", 3600);
        // Inside the 60 s refresh margin of the one-hour token.
        let mut now = 3_545_000;
        let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
        let (result, trace) = drive(
            &mut op,
            &mut session,
            &mut now,
            vec![failing(), ok(cash_out_ok())],
        );
        result.unwrap();
        assert_eq!(trace.tokens(), 1);
        assert!(trace.sleeps.is_empty(), "no backoff for the call itself");
        assert_eq!(
            header(trace.api()[0], "Authorization"),
            Some("Bearer tok-1")
        );

        // No stampede: the next calls within the backoff use the token without a refresh.
        for i in 0..20u8 {
            let mut op = Operation::new(Call::GetBalance, &session, [i; 32], now);
            let (result, trace) = drive(
                &mut op,
                &mut session,
                &mut now,
                vec![ok(HttpResponse::new(200, vec![], BALANCE_BODY))],
            );
            result.unwrap();
            assert_eq!(trace.tokens(), 0);
            now += 1;
        }
        assert_eq!(session.token_state().refresh_failures(), 1);

        // After the backoff (at most 500 ms for the first failure), one call refreshes.
        now += 1_000;
        let mut op = Operation::new(Call::GetBalance, &session, [9; 32], now);
        let (result, trace) = drive(
            &mut op,
            &mut session,
            &mut now,
            vec![
                ok(token_ok("tok-2", 3600)),
                ok(HttpResponse::new(200, vec![], BALANCE_BODY)),
            ],
        );
        result.unwrap();
        assert_eq!(trace.tokens(), 1);
        assert_eq!(
            header(trace.api()[0], "Authorization"),
            Some("Bearer tok-2")
        );
        assert_eq!(session.token_state().refresh_failures(), 0);
    }
}

#[test]
fn refresh_backoff_grows_while_the_token_endpoint_keeps_failing() {
    let (mut session, _) = session_with_token(config(), "tok-1", 3600);
    let mut now = 3_541_000;
    let mut refresh_times = Vec::new();
    while now < 3_600_000 {
        let mut op = Operation::new(Call::GetBalance, &session, [7; 32], now);
        let refreshing = match op.poll(&mut session, now) {
            Step::Send(r) => r.purpose == Purpose::Token,
            other => panic!("{other:?}"),
        };
        if refreshing {
            refresh_times.push(now);
            op.handle_response(&mut session, problem(503, "SERVICE_UNAVAILABLE"), now);
            let Step::Send(api) = op.poll(&mut session, now) else {
                panic!()
            };
            assert_eq!(api.purpose, Purpose::Api);
        }
        op.handle_response(
            &mut session,
            HttpResponse::new(200, vec![], BALANCE_BODY),
            now,
        );
        assert!(matches!(op.poll(&mut session, now), Step::Done(Ok(_))));
        now += 100;
    }
    // One call every 100 ms for the whole margin, but only a handful of refreshes, spaced
    // further and further apart.
    assert!(
        refresh_times.len() >= 4 && refresh_times.len() <= 15,
        "{refresh_times:?}"
    );
    let gaps: Vec<u64> = refresh_times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.last() > gaps.first(), "{gaps:?}");
    // Expired: now a call needs the refresh, and fails with it.
    let mut now2 = 3_700_000;
    let mut op = Operation::new(Call::GetBalance, &session, [8; 32], now2);
    let (result, _) = drive(
        &mut op,
        &mut session,
        &mut now2,
        vec![ok(problem(401, "INVALID_CREDENTIALS"))],
    );
    assert_eq!(result.unwrap_err().kind, ErrorKind::Authentication);
}

// ---------------------------------------------------------------------------------------
// Config: timers a JS runtime can hold, ports that exist.

#[test]
fn timeouts_and_deadlines_are_capped_for_js_timers() {
    assert_eq!(MAX_TIMER_MS, (1u64 << 31) - 1);
    let mut c = config();
    c.timeout_ms = MAX_TIMER_MS;
    c.deadline_ms = Some(MAX_TIMER_MS);
    c.validate().unwrap();
    c.timeout_ms = MAX_TIMER_MS + 1;
    assert_eq!(
        c.validate().unwrap_err().field.as_deref(),
        Some("timeoutMs")
    );
    c.timeout_ms = 1_000;
    c.deadline_ms = Some(MAX_TIMER_MS + 1);
    assert_eq!(
        c.validate().unwrap_err().field.as_deref(),
        Some("deadlineMs")
    );
    // The default deadline (timeout x attempts) is capped too.
    let mut c = config();
    c.timeout_ms = MAX_TIMER_MS;
    c.max_retries = 10;
    assert!(c.effective_deadline_ms() <= MAX_TIMER_MS);
    // Every wait the driver asks for fits a timer.
    let mut session = Session::new(c.clone());
    let mut a = Operation::new(Call::GetBalance, &session, [1; 32], 0);
    let mut b = Operation::new(Call::GetBalance, &session, [2; 32], 0);
    let Step::Send(token) = a.poll(&mut session, 0) else {
        panic!()
    };
    assert!(token.timeout_ms <= MAX_TIMER_MS);
    let Step::AwaitToken { max_wait_ms } = b.poll(&mut session, 0) else {
        panic!()
    };
    assert!(max_wait_ms <= MAX_TIMER_MS);
}

#[test]
fn ports_outside_1_to_65535_are_a_validation_error_naming_base_url() {
    for bad in [
        "https://api.test.example:65536",
        "https://api.test.example:99999",
        "https://api.test.example:0",
        "http://127.0.0.1:70000",
    ] {
        let error = Config::new(bad, "1", "s", "a", "c").unwrap_err();
        assert_eq!(error.kind, ErrorKind::Validation, "{bad}");
        assert_eq!(error.field.as_deref(), Some("baseUrl"), "{bad}");
    }
    for good in ["https://api.test.example:443", "http://127.0.0.1:65535"] {
        Config::new(good, "1", "s", "a", "c").unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// Hardening: no body excerpts, no forged log lines, no secrets or personal data in Debug.

#[test]
fn no_error_message_quotes_a_body() {
    let personal =
        r#"{"payee":{"name":"Maria Silva","document":"12345678909","pixKey":"maria@example.com"}}"#;
    let answers = [
        HttpResponse::new(
            202,
            vec![("Content-Type".into(), "application/json".into())],
            personal,
        ),
        HttpResponse::new(400, vec![], personal),
        HttpResponse::new(
            502,
            vec![("Content-Type".into(), "text/html".into())],
            format!("<html>{personal}</html>"),
        ),
    ];
    let mut no_retry = config();
    no_retry.max_retries = 0;
    for answer in answers {
        let len = answer.body.len();
        let (mut session, mut now) = session_with_token(no_retry.clone(), "t", 3600);
        let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
        let (result, _) = drive(&mut op, &mut session, &mut now, vec![ok(answer)]);
        let error = result.unwrap_err();
        let everything = format!("{error} {error:?}");
        for leak in ["Maria", "12345678909", "maria@example.com"] {
            assert!(!everything.contains(leak), "{leak} in {everything}");
        }
        assert!(
            error.message.contains(&format!("body of {len} bytes")),
            "{}",
            error.message
        );
    }
}

#[test]
fn server_supplied_text_cannot_forge_log_lines() {
    let body = r#"{"type":"about:blank","status":422,"code":"INSUFFICIENT_FUNDS\n","title":"Funds\r\n[INFO] payout 123 COMPLETED","detail":"no\u001b[2Kmoney\u2028here"}"#;
    let (mut session, mut now) = session_with_token(config(), "t", 3600);
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let (result, _) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![ok(HttpResponse::new(422, vec![], body))],
    );
    let error = result.unwrap_err();
    for text in [
        error.message.as_str(),
        error.title.as_deref().unwrap(),
        error.detail.as_deref().unwrap(),
        error.code.as_deref().unwrap(),
    ] {
        assert!(
            !text.chars().any(|c| c.is_control() || c == '\u{2028}'),
            "{text:?}"
        );
    }
    assert_eq!(error.code.as_deref(), Some("INSUFFICIENT_FUNDS"));
    assert_eq!(error.class_name(), "InsufficientFundsError");
}

#[test]
fn debug_of_outcome_operation_call_and_request_hides_bodies_secrets_and_personal_data() {
    let mut session = Session::new(config());
    let mut now = 0;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    let before = format!("{op:?} {:?}", op.call());
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![ok(token_ok("tok-secret-1", 3600)), ok(cash_out_ok())],
    );
    let outcome = result.unwrap();
    let debug = format!(
        "{before} {op:?} {outcome:?} {:?} {:?} {:?}",
        Step::Done(Ok(outcome.clone())),
        trace.sent,
        op.last_attempt()
    );
    for leak in [
        "tok-secret-1",
        SECRET,
        CRYPTO,
        APP_TOKEN,
        &digital_signature(CRYPTO, "tok-secret-1"),
        "Maria",
        "12345678909",
        "User withdrawal",
    ] {
        assert!(!debug.contains(leak), "Debug leaks {leak}: {debug}");
    }
    assert!(debug.contains("cashOut.create") && debug.contains("CashOut"));
}

// ---------------------------------------------------------------------------------------
// Driver APIs for the bindings: per-call options, attempt reports, shared tokens, settle.

#[test]
fn call_options_override_timeout_retries_and_deadline() {
    let (mut session, mut now) = session_with_token(config(), "t", 3600);
    let options = CallOptions {
        timeout_ms: Some(1_234),
        max_retries: Some(0),
        deadline_ms: None,
    };
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now).with_options(options);
    let (result, trace) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![ok(problem(503, "SERVICE_UNAVAILABLE"))],
    );
    assert_eq!(result.unwrap_err().kind, ErrorKind::Server);
    assert_eq!(trace.api()[0].timeout_ms, 1_234);

    let options = CallOptions {
        max_retries: Some(5),
        ..CallOptions::default()
    };
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now).with_options(options);
    let mut script: Vec<Answer> = (0..5)
        .map(|_| ok(problem(503, "SERVICE_UNAVAILABLE")))
        .collect();
    script.push(ok(cash_out_ok()));
    let (result, _) = drive(&mut op, &mut session, &mut now, script);
    assert_eq!(result.unwrap().attempts, 6);

    // A deadline override caps every attempt's timeout.
    let options = CallOptions {
        deadline_ms: Some(700),
        ..CallOptions::default()
    };
    let start = now;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now).with_options(options);
    let timeout = || {
        fail(
            TransportFailure::new(FailureKind::Timeout, true, "timed out"),
            10_000,
        )
    };
    let (result, trace) = drive(&mut op, &mut session, &mut now, vec![timeout()]);
    assert_unknown_with_key(&result.unwrap_err());
    assert_eq!(trace.api()[0].timeout_ms, 700);
    assert!(now - start <= 700);

    // Bad overrides never send and name the field.
    for (options, field) in [
        (
            CallOptions {
                timeout_ms: Some(MAX_TIMER_MS + 1),
                ..CallOptions::default()
            },
            "timeoutMs",
        ),
        (
            CallOptions {
                deadline_ms: Some(0),
                ..CallOptions::default()
            },
            "deadlineMs",
        ),
        (
            CallOptions {
                max_retries: Some(11),
                ..CallOptions::default()
            },
            "maxRetries",
        ),
    ] {
        let mut op = Operation::new(cash_out(None), &session, ENTROPY, now).with_options(options);
        match op.poll(&mut session, now) {
            Step::Done(Err(error)) => {
                assert_eq!(error.field.as_deref(), Some(field));
                assert_eq!(error.attempts, 0);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn attempt_reports_follow_every_attempt() {
    use connectpsp_core::operation::AttemptReport;
    let mut session = Session::new(config());
    let now = 100;
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    assert!(op.last_attempt().is_none());
    let mut reports: Vec<AttemptReport> = Vec::new();
    let mut t = now;
    let script = vec![
        ok(token_ok("tok-1", 3600)),
        fail(sent_reset(), 40),
        ok(cash_out_ok()),
    ];
    let mut script: VecDeque<Answer> = script.into();
    loop {
        match op.poll(&mut session, t) {
            Step::Send(_) => {
                let sent = op.last_attempt().unwrap().clone();
                assert!(sent.in_flight && sent.status.is_none() && !sent.will_retry);
                let answer = script.pop_front().unwrap();
                t += answer.took_ms;
                match answer.result {
                    Ok(r) => op.handle_response(&mut session, r, t),
                    Err(f) => op.handle_failure(&mut session, f, t),
                }
                reports.push(op.last_attempt().unwrap().clone());
            }
            Step::Sleep { ms } => t += ms,
            Step::Done(result) => {
                result.unwrap();
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(reports.len(), 3);
    let token = &reports[0];
    assert_eq!(token.purpose, Purpose::Token);
    assert_eq!(
        (token.method, token.path_template),
        (Method::Post, "/auth/token")
    );
    assert_eq!((token.attempt, token.status), (1, Some(200)));
    assert_eq!(token.idempotency_key, None);
    assert!(!token.will_retry && !token.outcome_unknown && !token.in_flight);

    let reset = &reports[1];
    assert_eq!(reset.purpose, Purpose::Api);
    assert_eq!(
        (reset.method, reset.path_template),
        (Method::Post, "/cash-out")
    );
    assert_eq!(reset.attempt, 1);
    assert_eq!(reset.idempotency_key.as_deref(), Some(ENTROPY_KEY));
    assert_eq!((reset.status, reset.failure), (None, Some(FailureKind::Io)));
    assert_eq!(reset.elapsed_ms, 40);
    assert!(reset.will_retry && reset.outcome_unknown);

    let done = &reports[2];
    assert_eq!((done.attempt, done.status), (2, Some(202)));
    assert_eq!(done.request_id.as_deref(), Some("req-42"));
    assert!(
        !done.will_retry && !done.outcome_unknown,
        "a success is definitive"
    );

    // GETs report the path template, never the id.
    let mut op = Operation::new(
        Call::GetCashOut {
            id: "IVKPRMOCDY".into(),
        },
        &session,
        ENTROPY,
        t,
    );
    assert!(matches!(op.poll(&mut session, t), Step::Send(_)));
    let report = op.last_attempt().unwrap();
    assert_eq!(
        (report.method, report.path_template),
        (Method::Get, "/cash-out/{id}")
    );
    assert!(!format!("{report:?}").contains("IVKPRMOCDY"));
    // A TOKEN_EXPIRED replay is reported as "will retry".
    op.handle_response(&mut session, problem(401, "TOKEN_EXPIRED"), t + 1);
    assert!(op.last_attempt().unwrap().will_retry);
}

#[test]
fn tokens_move_between_processes_through_a_store() {
    let (session_a, now) = session_with_token(config(), "tok-shared", 3600);
    let stored = session_a.export_token(now).unwrap();
    assert_eq!(stored.access_token.expose(), "tok-shared");
    // The token arrived at t = 10 (the scripted exchange takes 10 ms).
    assert_eq!(stored.expires_in_ms, 3_600_010 - now);
    assert!(!format!("{stored:?}").contains("tok-shared"));

    // Another process (another session, another clock) adopts it: no token exchange.
    let mut session_b = Session::new(config());
    let t = 50_000;
    assert!(session_b.wants_token(t));
    assert!(
        session_b
            .adopt_token(stored.access_token.expose(), stored.expires_in_ms, t)
            .unwrap()
    );
    assert!(!session_b.wants_token(t));
    let mut now_b = t;
    let mut op = Operation::new(cash_out(None), &session_b, ENTROPY, now_b);
    let (result, trace) = drive(&mut op, &mut session_b, &mut now_b, vec![ok(cash_out_ok())]);
    result.unwrap();
    assert_eq!(trace.tokens(), 0);
    let api = trace.api()[0];
    assert_eq!(header(api, "Authorization"), Some("Bearer tok-shared"));
    assert_eq!(
        header(api, "DigitalSignature"),
        Some(digital_signature(CRYPTO, "tok-shared").as_str())
    );
    // The same token again, or one that expires sooner, is not adopted.
    assert!(
        !session_b
            .adopt_token("tok-shared", stored.expires_in_ms + 5, t)
            .unwrap()
    );
    assert!(!session_b.adopt_token("tok-older", 1_000, t).unwrap());
    assert!(!session_b.adopt_token("tok-gone", 0, t).unwrap());
    // A fresher one is, and the session refreshes on its own from there.
    assert!(session_b.adopt_token("tok-newer", 7_200_000, t).unwrap());
    assert_eq!(
        session_b.export_token(t).unwrap().access_token.expose(),
        "tok-newer"
    );
    assert!(session_b.wants_token(t + 7_200_000 - 60_000));
    // A malformed token is refused without being echoed.
    let error = session_b
        .adopt_token("bad token\r\n", 1_000, t)
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("accessToken"));
    assert!(!error.to_string().contains("bad token"));
    // Expired: nothing to export.
    assert!(session_b.export_token(t + 7_200_000).is_none());

    // A token the API rejected (401 TOKEN_EXPIRED) is not taken back from a store that
    // still holds it: the replay gets a fresh one from the token endpoint.
    let mut now_c = 1_000;
    let mut session_c = Session::new(config());
    assert!(
        session_c
            .adopt_token("tok-stale", 3_600_000, now_c)
            .unwrap()
    );
    let mut op = Operation::new(cash_out(None), &session_c, ENTROPY, now_c);
    assert!(matches!(op.poll(&mut session_c, now_c), Step::Send(_)));
    op.handle_response(&mut session_c, problem(401, "TOKEN_EXPIRED"), now_c + 5);
    now_c += 5;
    assert!(session_c.wants_token(now_c));
    assert!(
        !session_c
            .adopt_token("tok-stale", 3_000_000, now_c)
            .unwrap()
    );
    let (result, trace) = drive(
        &mut op,
        &mut session_c,
        &mut now_c,
        vec![ok(token_ok("tok-fresh", 3600)), ok(cash_out_ok())],
    );
    result.unwrap();
    assert_eq!(trace.tokens(), 1);
    assert_eq!(
        header(trace.api()[0], "Authorization"),
        Some("Bearer tok-fresh")
    );
}

#[test]
fn settle_wait_pending_states_come_from_the_reply() {
    let (mut session, mut now) = session_with_token(config(), "t", 3600);
    let get = Call::GetCashOut { id: "x1".into() };
    let mut op = Operation::new(get, &session, ENTROPY, now);
    let (result, _) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![ok(with_header(
            HttpResponse::new(200, vec![], CASH_OUT_BODY),
            "Retry-After",
            "2",
        ))],
    );
    let outcome = result.unwrap();
    assert!(outcome.reply.is_pending());
    assert_eq!(outcome.retry_after_ms, Some(2_000));
    let completed = CASH_OUT_BODY.replace("PROCESSING", "COMPLETED");
    let mut op = Operation::new(Call::GetCashOut { id: "x1".into() }, &session, ENTROPY, now);
    let (result, _) = drive(
        &mut op,
        &mut session,
        &mut now,
        vec![ok(HttpResponse::new(200, vec![], completed))],
    );
    assert!(!result.unwrap().reply.is_pending());
}

#[test]
fn an_abandoned_call_knows_whether_its_outcome_is_unknown() {
    let (mut session, now) = session_with_token(config(), "t", 3600);
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    assert!(!op.outcome_unknown_if_abandoned());
    assert!(matches!(op.poll(&mut session, now), Step::Send(_)));
    // In flight: the binding's caller gives up (a cancelled task, a dropped promise).
    assert!(op.outcome_unknown_if_abandoned());
    assert_eq!(op.idempotency_key(), Some(ENTROPY_KEY));
    let get = Call::GetCashOut { id: "x1".into() };
    let mut op = Operation::new(get, &session, ENTROPY, now);
    assert!(matches!(op.poll(&mut session, now), Step::Send(_)));
    assert!(!op.outcome_unknown_if_abandoned());
    // Polling on without reporting the attempt counts as lost after sending.
    let mut op = Operation::new(cash_out(None), &session, ENTROPY, now);
    assert!(matches!(op.poll(&mut session, now), Step::Send(_)));
    assert!(matches!(op.poll(&mut session, now + 1), Step::Sleep { .. }));
    assert!(op.outcome_unknown_if_abandoned());
}

#[test]
fn the_bindings_config_path_applies_the_same_bounds() {
    let json = |extra: &str| {
        format!(
            r#"{{"baseUrl":"http://127.0.0.1:8080","clientId":"1","clientSecret":"s",
                "applicationToken":"a","cryptoToken":"c"{extra}}}"#
        )
    };
    connectpsp_core::bridge::config_from_json(&json(r#","timeoutMs":2147483647"#)).unwrap();
    for (extra, field) in [
        (r#","timeoutMs":2147483648"#, "timeoutMs"),
        (r#","deadlineMs":4294967296"#, "deadlineMs"),
    ] {
        let error = connectpsp_core::bridge::config_from_json(&json(extra)).unwrap_err();
        assert_eq!(error.field.as_deref(), Some(field), "{extra}");
    }
    let bad_port = json("").replace("8080", "65536");
    let error = connectpsp_core::bridge::config_from_json(&bad_port).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("baseUrl"));
}

#[test]
fn response_debug_hides_the_body_and_secret_headers() {
    let response = HttpResponse::new(
        200,
        vec![
            ("Set-Cookie".into(), "session=cookie-secret".into()),
            ("Authorization".into(), "Bearer echoed-token".into()),
            ("X-Request-Id".into(), "req-7".into()),
        ],
        r#"{"accessToken":"tok-in-body"}"#,
    );
    let debug = format!("{response:?}");
    for leak in ["cookie-secret", "echoed-token", "tok-in-body"] {
        assert!(!debug.contains(leak), "{leak} in {debug}");
    }
    assert!(debug.contains("req-7"));
}
