//! A model checker for the driver (issue 11 item 5).
//!
//! proptest generates random *sequences*: several `Operation`s sharing one `Session`, driven
//! in a random interleaving by a simulated binding, against a simulated ConnectPSP (the
//! oracle). The oracle answers every attempt with a randomly chosen fate (every status family,
//! problem and non-problem bodies, truncated bodies, Retry-After values, 401 TOKEN_EXPIRED,
//! transport failures before and after the request left the machine, answers that arrive after
//! the attempt's timeout), and records which attempts it *applied* (a 2xx, a 5xx or a drop after
//! the commit): one transaction per idempotency key. Cancellations (released or just dropped),
//! polls with an unanswered `Send`, clock steps (up to a day) and new operations starting mid-way
//! are mixed in. Every sequence ends with a drain phase in which the server answers well, so
//! every operation reaches its end and its result is checked.
//!
//! A `Resubmit` action does what `client.resubmit(error)` does with an operation that ended in
//! an error (the latest of its key or an older one, while others with the key may still run):
//! the same call with the same key, marked `possibly_applied` (`PreparedCall::possibly_applied`).
//! The oracle's transactions are per key, so the re-submission's transaction is the original's.
//! A `Resend` action is the caller doing it by hand with a key it saved (`possibly_applied=True` /
//! `possiblyApplied: true`, a job queue after a restart): of an operation that ended in an error
//! *or that was cancelled* (the AbortError and the cancellation note carry the key), built from
//! the params JSON through `bridge::prepare_call`, as both bindings send it.
//!
//! Invariants (the `Inv` enum names them in failure messages):
//! - `money`: an operation never ends "definitively failed" (an error without
//!   `outcome_unknown`) while the oracle holds its transaction; for a re-submission, whatever
//!   attempt of whichever operation with that key made it.
//! - `unknown`: for a money-moving call, `outcome_unknown` is true exactly when some attempt may
//!   have been applied by what the client could observe (docs/api-decisions.md, the rule of
//!   issue 11 item 1): not when every attempt was refused by an API problem 4xx, a 429, a 503
//!   with the API's problem body, or failed before anything was sent. Never for a GET. A
//!   re-submission starts as "may have been applied".
//! - `key`: every API attempt of an operation carries the same `X-Idempotency-Key` (none for
//!   GETs and rebalance), the error or outcome carries it, and no two operations share one
//!   (a re-submission carries the key of the operation it re-submits).
//! - `budget`: at most `max_retries + 1` API attempts, plus the one TOKEN_EXPIRED replay;
//!   `attempts` in the result equals the attempts the transport saw.
//! - `deadline`: no `Send` at or past the operation's deadline, no attempt timeout reaching
//!   past it, no sleep or token wait ending past it.
//! - `single-flight`: at most one `POST /auth/token` in flight per session at any instant (a
//!   request is in flight from its `Send` until answered, aborted, or its timeout passed).
//! - `valid-token`: an operation never fails because of the token exchange (its own, or one it
//!   waited for) while the session's token is still valid (not expired, not rejected with
//!   TOKEN_EXPIRED): a proactive refresh that fails must fall back to the valid token.
//! - `secrets`: no error's Display or Debug contains the client secret, the crypto token, the
//!   ApplicationToken, an access token or its DigitalSignature, nor the personal data of the
//!   request (names, CPFs, the PIX key).
//! - `retried`: an answer the rule calls transient (transport failure; 429 or 503 with a
//!   Retry-After of at most 60 s; 500, 502, 503, 504, 520-524) is retried while the budget
//!   and a comfortable part of the deadline remain.
//! - `finishes`: with a well-behaved server every operation ends within a bounded number of steps.
//!
//! `make test-core` runs `MODEL_CHECKER_CASES` sequences (default below); `make soak` a million.
//! A failure prints the shrunk sequence and the trace of what the binding saw.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use connectpsp_core::bridge::{Codec, prepare_call};
use connectpsp_core::call::PreparedCall;
use connectpsp_core::config::Config;
use connectpsp_core::http::{FailureKind, HttpRequest, HttpResponse, Purpose, TransportFailure};
use connectpsp_core::model::parse_request_str;
use connectpsp_core::operation::{Call, CallOptions, Operation, Outcome, Session, Step};
use connectpsp_core::signature::digital_signature;
use connectpsp_core::{Error, ErrorKind};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError};

// ---------------------------------------------------------------------------------------------
// Credentials and personal data: unique strings, so a leak is found by a substring search.

const CLIENT_ID: &str = "mc-client-7";
const SECRET: &str = "mc-client-secret-s3cr3t-9f2c";
const APP_TOKEN: &str = "a4d5e6f7-0b1c-4d2e-8f30-7a6b5c4d3e2f";
const CRYPTO: &str = "mc-crypto-token-c7y9-31aa";

const PAYEE_NAME: &str = "Maria Clara Sauro";
const PAYEE_CPF: &str = "39053344705";
const PIX_KEY: &str = "maria.sauro@example.com";
const PAYER_NAME: &str = "Joao Pereira Lima";
const PAYER_CPF: &str = "12345678909";
const PERSONAL: [&str; 5] = [PAYEE_NAME, PAYEE_CPF, PIX_KEY, PAYER_NAME, PAYER_CPF];

const START_MS: u64 = 1_760_000_000_000;
const MAX_OPS: usize = 8;

// ---------------------------------------------------------------------------------------------
// What proptest generates.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallKind {
    CashOut,
    CashOutCallerKey,
    CashIn,
    Refund,
    GetCashOut,
    Balance,
    Rebalance,
}

impl CallKind {
    fn money(self) -> bool {
        !matches!(self, CallKind::GetCashOut | CallKind::Balance)
    }

    fn keyed(self) -> bool {
        matches!(
            self,
            CallKind::CashOut | CallKind::CashOutCallerKey | CallKind::CashIn | CallKind::Refund
        )
    }

    fn call(self, index: usize) -> Call {
        self.call_with_key(index, None)
    }

    /// The call of operation `index`, with `key` as the caller's key when given (a
    /// re-submission sends the body of the call it re-submits, with that call's key).
    fn call_with_key(self, index: usize, key: Option<String>) -> Call {
        let mut call = self.fresh_call(index);
        if let Some(key) = key {
            match &mut call {
                Call::CreateCashOut {
                    idempotency_key, ..
                }
                | Call::CreateCashIn {
                    idempotency_key, ..
                }
                | Call::RefundCashIn {
                    idempotency_key, ..
                } => *idempotency_key = Some(key),
                _ => panic!("{self:?} cannot be re-submitted"),
            }
        }
        call
    }

    fn fresh_call(self, index: usize) -> Call {
        match self {
            CallKind::CashOut | CallKind::CashOutCallerKey => Call::CreateCashOut {
                request: parse_request_str(&format!(
                    r#"{{"amount": 50.00, "externalReference": "wd-{index}",
                        "payee": {{"name": "{PAYEE_NAME}", "document": "{PAYEE_CPF}",
                        "destination": {{"type": "PIX", "pixKeyType": "EMAIL", "pixKey": "{PIX_KEY}"}}}}}}"#
                ))
                .unwrap(),
                idempotency_key: (self == CallKind::CashOutCallerKey)
                    .then(|| format!("caller-key-{index}-payout")),
            },
            CallKind::CashIn => Call::CreateCashIn {
                request: parse_request_str(&format!(
                    r#"{{"amount": 10.00, "externalReference": "order-{index}",
                        "payer": {{"name": "{PAYER_NAME}", "document": "{PAYER_CPF}"}}}}"#
                ))
                .unwrap(),
                idempotency_key: None,
            },
            CallKind::Refund => Call::RefundCashIn {
                id: "US7B1JQ".into(),
                request: parse_request_str(r#"{"reason": "CUSTOMER_REQUEST"}"#).unwrap(),
                idempotency_key: None,
            },
            CallKind::GetCashOut => Call::GetCashOut {
                id: "IVKPRMOCDY".into(),
            },
            CallKind::Balance => Call::GetBalance,
            CallKind::Rebalance => Call::Rebalance {
                request: parse_request_str(r#"{"targetAmount": 1000000}"#).unwrap(),
            },
        }
    }

    /// The bridge method and params JSON of a keyed call (what a binding sends), the body of
    /// operation `index`, as `fresh_call` builds it.
    fn params(self, index: usize) -> (&'static str, serde_json::Value) {
        let text = match self {
            CallKind::CashOut | CallKind::CashOutCallerKey => format!(
                r#"{{"amount": 50.00, "externalReference": "wd-{index}",
                    "payee": {{"name": "{PAYEE_NAME}", "document": "{PAYEE_CPF}",
                    "destination": {{"type": "PIX", "pixKeyType": "EMAIL", "pixKey": "{PIX_KEY}"}}}}}}"#
            ),
            CallKind::CashIn => format!(
                r#"{{"amount": 10.00, "externalReference": "order-{index}",
                    "payer": {{"name": "{PAYER_NAME}", "document": "{PAYER_CPF}"}}}}"#
            ),
            CallKind::Refund => r#"{"id": "US7B1JQ", "reason": "CUSTOMER_REQUEST"}"#.to_owned(),
            _ => panic!("{self:?} carries no idempotency key"),
        };
        let method = match self {
            CallKind::CashIn => "cashIn.create",
            CallKind::Refund => "cashIn.refund",
            _ => "cashOut.create",
        };
        (method, serde_json::from_str(&text).unwrap())
    }

    /// A valid 2xx answer: status and body.
    fn success(self) -> (u16, String) {
        let payee = format!(
            r#""payee":{{"name":"{PAYEE_NAME}","document":"{PAYEE_CPF}","destination":{{"type":"PIX","pixKeyType":"EMAIL","pixKey":"{PIX_KEY}"}}}}"#
        );
        let cash_out = format!(
            r#"{{"transactionId":"dd30446e-6cc5-4664-bf3f-6b7f5e55a1a9","internalCode":"IVKPRMOCDY","externalReference":"wd-1","status":"PROCESSING","amount":50.00,{payee}}}"#
        );
        let cash_in = |status: &str| {
            format!(
                r#"{{"transactionId":"kk6g232xel65a0daee4dd13kk2912714964","internalCode":"US7B1JQ","externalReference":"order-1","status":"{status}","amount":10.00,"payer":{{"name":"{PAYER_NAME}","document":"{PAYER_CPF}"}},"endToEndId":"D00416968202603111200abcdefGHIJK","originalEndToEndId":"E00416968202603101827cemeFscF6AG","requestedAt":"2026-03-10T11:20:00-03:00"}}"#
            )
        };
        match self {
            CallKind::CashOut | CallKind::CashOutCallerKey => (202, cash_out),
            CallKind::GetCashOut => (200, cash_out),
            CallKind::CashIn => (201, cash_in("AWAITING_PAYMENT")),
            CallKind::Refund => (202, cash_in("REFUNDED")),
            CallKind::Balance => (
                200,
                r#"{"currency":"BRL","referenceDate":"2026-03-10","consolidated":{"totalBalance":1500000,"transactionalBalance":500000,"proprietaryBalance":1000000},"banks":[],"updatedAt":"2026-03-10T14:35:00Z"}"#.into(),
            ),
            CallKind::Rebalance => (
                200,
                r#"{"success":true,"message":"Rebalancing completed successfully."}"#.into(),
            ),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum RetryAfter {
    Absent,
    Secs(u64),
    Garbage(&'static str),
}

impl RetryAfter {
    /// What the rule honours: `Some(ms)` for delta-seconds, `None` for absent or garbage.
    fn ms(self) -> Option<u64> {
        match self {
            RetryAfter::Secs(s) => Some(s * 1000),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Unreadable {
    /// A JSON answer cut in the middle, personal data first (JSON member order is free).
    Truncated(usize),
    /// Complete JSON with a member of the wrong type holding personal data.
    WrongType,
    Html,
    Empty,
}

#[derive(Debug, Clone, Copy)]
enum Plain {
    Html,
    /// A proxy's error page quoting the request it refused.
    EchoRequest,
    Empty,
}

#[derive(Debug, Clone, Copy)]
enum ApiFate {
    Ok,
    Unreadable(Unreadable),
    Informational {
        status: u16,
        committed: bool,
    },
    Redirect {
        status: u16,
        committed: bool,
    },
    Problem4xx {
        status: u16,
        code: &'static str,
    },
    Plain4xx {
        status: u16,
        body: Plain,
        committed: bool,
    },
    TokenExpired,
    RateLimited {
        retry_after: RetryAfter,
        problem: bool,
    },
    Server {
        status: u16,
        problem: bool,
        body: Plain,
        retry_after: RetryAfter,
        committed: bool,
    },
    Transport {
        kind: FailureKind,
        sent: bool,
        committed: bool,
    },
}

#[derive(Debug, Clone, Copy)]
enum TokenFate {
    Ok { lifetime_s: u64 },
    Unreadable,
    ZeroLifetime,
    Problem { status: u16, code: &'static str },
    RateLimited { retry_after: RetryAfter },
    Server { status: u16, problem: bool },
    Transport { kind: FailureKind, sent: bool },
}

#[derive(Debug, Clone, Copy)]
struct Fate {
    api: ApiFate,
    token: TokenFate,
    /// How long the attempt takes; past the attempt's timeout the transport reports a timeout.
    took_ms: u64,
}

#[derive(Debug, Clone, Copy)]
enum Action {
    /// What the binding does next for this operation: answer its `Send` with `fate`, or sleep
    /// out its backoff, or wait for the token, then poll.
    Step {
        op: usize,
        fate: Fate,
    },
    /// Poll although the last `Send` was never answered (the server may still apply it).
    Abandon {
        op: usize,
        committed: bool,
    },
    Tick {
        ms: u64,
    },
    /// A large clock step (a suspended laptop, a stalled VM).
    Jump {
        ms: u64,
    },
    /// The caller gives up: `release()` then drop (a cancelled task), or just drop.
    Cancel {
        op: usize,
        release: bool,
        committed: bool,
    },
    /// A new operation, with per-call overrides (`CallOptions`) when given.
    Spawn {
        call: CallKind,
        options: Option<CallOptions>,
    },
    /// `client.resubmit(error)`: the n-th operation (round) that ended in an error, keyed,
    /// sent again with its key, marked possibly applied.
    Resubmit {
        op: usize,
    },
    /// The caller re-sends by hand with the key it saved, marked possibly applied: the n-th
    /// keyed operation (round) that ended in an error or was cancelled.
    Resend {
        op: usize,
    },
}

#[derive(Debug, Clone)]
struct Case {
    timeout_ms: u64,
    max_retries: u32,
    deadline_ms: Option<u64>,
    seed: u8,
    initial: Vec<CallKind>,
    actions: Vec<Action>,
}

fn call_kind() -> impl Strategy<Value = CallKind> {
    prop_oneof![
        4 => Just(CallKind::CashOut),
        1 => Just(CallKind::CashOutCallerKey),
        2 => Just(CallKind::CashIn),
        1 => Just(CallKind::Refund),
        1 => Just(CallKind::GetCashOut),
        1 => Just(CallKind::Balance),
        1 => Just(CallKind::Rebalance),
    ]
}

fn retry_after() -> impl Strategy<Value = RetryAfter> {
    prop_oneof![
        4 => Just(RetryAfter::Absent),
        3 => prop::sample::select(vec![0u64, 1, 2, 5, 30, 60]).prop_map(RetryAfter::Secs),
        1 => prop::sample::select(vec![61u64, 120, 3600, 86_400]).prop_map(RetryAfter::Secs),
        1 => prop::sample::select(vec![
            "soon",
            "-5",
            "1.5",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "99999999999999999999",
            "",
        ])
        .prop_map(RetryAfter::Garbage),
    ]
}

fn plain_body() -> impl Strategy<Value = Plain> {
    prop_oneof![
        Just(Plain::Html),
        Just(Plain::EchoRequest),
        Just(Plain::Empty)
    ]
}

fn transport() -> impl Strategy<Value = (FailureKind, bool)> {
    prop::sample::select(vec![
        (FailureKind::Connect, false),
        (FailureKind::Io, true),
        (FailureKind::Timeout, true),
    ])
}

/// `MODEL_CHECKER_EXCLUDE=odd5xx,plain503,1xx3xx,plain4xx,problem4xx,unreadable,wrongtype`
/// answers those fates with a 2xx instead, to look for a defect hidden behind a known one. The
/// fates of `AWAITING_FIX` are excluded too, except in the test that proves they still fail (the
/// set is per thread: proptest generates on the test's thread).
fn exclude_tag(tag: &str) -> bool {
    EXCLUDE.with(|set| set.borrow().iter().any(|t| t == tag))
}

thread_local! {
    static EXCLUDE: RefCell<Vec<String>> = RefCell::new(default_exclusions());
}

fn default_exclusions() -> Vec<String> {
    let list = std::env::var("MODEL_CHECKER_EXCLUDE").unwrap_or_default();
    let mut tags: Vec<String> = list.split(',').map(|t| t.trim().to_owned()).collect();
    if std::env::var_os("MODEL_CHECKER_ALL").is_none() {
        tags.extend(AWAITING_FIX.iter().map(|(_, tag, _)| (*tag).to_owned()));
    }
    tags
}

fn excluded(fate: &ApiFate) -> bool {
    let tag = match fate {
        ApiFate::Server { status, .. } if !matches!(status, 500 | 502 | 503 | 504) => "odd5xx",
        ApiFate::Server {
            status: 503,
            problem: false,
            ..
        } => "plain503",
        ApiFate::Informational { .. } | ApiFate::Redirect { .. } => "1xx3xx",
        ApiFate::Plain4xx { .. } => "plain4xx",
        ApiFate::Problem4xx { .. } => "problem4xx",
        ApiFate::Unreadable(Unreadable::WrongType) => "wrongtype",
        ApiFate::Unreadable(_) => "unreadable",
        _ => return false,
    };
    exclude_tag(tag)
}

fn api_fate() -> impl Strategy<Value = ApiFate> {
    api_fate_any().prop_map(|fate| if excluded(&fate) { ApiFate::Ok } else { fate })
}

fn api_fate_any() -> impl Strategy<Value = ApiFate> {
    prop_oneof![
        6 => Just(ApiFate::Ok),
        2 => prop_oneof![
            (20usize..200).prop_map(Unreadable::Truncated),
            Just(Unreadable::WrongType),
            Just(Unreadable::Html),
            Just(Unreadable::Empty),
        ]
        .prop_map(ApiFate::Unreadable),
        1 => (prop::sample::select(vec![100u16, 103]), any::<bool>())
            .prop_map(|(status, committed)| ApiFate::Informational { status, committed }),
        1 => (prop::sample::select(vec![301u16, 302, 304, 307]), any::<bool>())
            .prop_map(|(status, committed)| ApiFate::Redirect { status, committed }),
        2 => prop::sample::select(vec![
            (400u16, "VALIDATION_ERROR"),
            (401, "INVALID_TOKEN"),
            (403, "FORBIDDEN"),
            (404, "TRANSACTION_NOT_FOUND"),
            (409, "DUPLICATE_EXTERNAL_REFERENCE"),
            (422, "INSUFFICIENT_FUNDS"),
            (422, "IDEMPOTENCY_KEY_REUSED"),
            (422, "INVALID_SIGNATURE"),
        ])
        .prop_map(|(status, code)| ApiFate::Problem4xx { status, code }),
        1 => (prop::sample::select(vec![400u16, 403, 404, 405, 413]), plain_body(), any::<bool>())
            .prop_map(|(status, body, committed)| ApiFate::Plain4xx { status, body, committed }),
        2 => Just(ApiFate::TokenExpired),
        2 => (retry_after(), any::<bool>())
            .prop_map(|(retry_after, problem)| ApiFate::RateLimited { retry_after, problem }),
        5 => (
            prop::sample::select(vec![
                500u16, 501, 502, 503, 503, 503, 504, 505, 507, 508, 511, 520, 521, 522, 523, 524,
                599,
            ]),
            any::<bool>(),
            plain_body(),
            retry_after(),
            any::<bool>(),
        )
            .prop_map(|(status, problem, body, retry_after, committed)| ApiFate::Server {
                status,
                problem,
                body,
                retry_after,
                committed,
            }),
        5 => (transport(), any::<bool>()).prop_map(|((kind, sent), committed)| {
            ApiFate::Transport { kind, sent, committed }
        }),
    ]
}

fn token_fate() -> impl Strategy<Value = TokenFate> {
    prop_oneof![
        10 => prop::sample::select(vec![1u64, 4, 30, 61, 100, 240, 3600, 86_400])
            .prop_map(|lifetime_s| TokenFate::Ok { lifetime_s }),
        1 => Just(TokenFate::Unreadable),
        1 => Just(TokenFate::ZeroLifetime),
        1 => prop::sample::select(vec![
            (400u16, "VALIDATION_ERROR"),
            (401, "INVALID_CREDENTIALS"),
            (403, "FORBIDDEN"),
        ])
        .prop_map(|(status, code)| TokenFate::Problem { status, code }),
        1 => retry_after().prop_map(|retry_after| TokenFate::RateLimited { retry_after }),
        2 => (prop::sample::select(vec![500u16, 502, 503, 504, 520, 524]), any::<bool>())
            .prop_map(|(status, problem)| TokenFate::Server { status, problem }),
        2 => transport().prop_map(|(kind, sent)| TokenFate::Transport { kind, sent }),
    ]
}

fn fate() -> impl Strategy<Value = Fate> {
    (
        api_fate(),
        token_fate(),
        prop_oneof![
            6 => prop::sample::select(vec![1u64, 10, 50, 300]),
            1 => prop::sample::select(vec![2_000u64, 40_000]),
        ],
    )
        .prop_map(|(api, token, took_ms)| Fate {
            api,
            token,
            took_ms,
        })
}

/// `MODEL_CHECKER_EXCLUDE` may also name `abandon` and `jump` (they become no-ops).
fn action() -> impl Strategy<Value = Action> {
    action_any().prop_map(|action| match action {
        Action::Abandon { .. } if exclude_tag("abandon") => Action::Tick { ms: 0 },
        Action::Jump { .. } if exclude_tag("jump") => Action::Tick { ms: 0 },
        other => other,
    })
}

fn action_any() -> impl Strategy<Value = Action> {
    prop_oneof![
        14 => (0..MAX_OPS, fate()).prop_map(|(op, fate)| Action::Step { op, fate }),
        1 => (0..MAX_OPS, any::<bool>()).prop_map(|(op, committed)| Action::Abandon { op, committed }),
        3 => (0u64..5_000).prop_map(|ms| Action::Tick { ms }),
        1 => prop::sample::select(vec![30_000u64, 61_000, 600_000, 3_600_000, 86_400_000])
            .prop_map(|ms| Action::Jump { ms }),
        1 => (0..MAX_OPS, any::<bool>(), any::<bool>())
            .prop_map(|(op, release, committed)| Action::Cancel { op, release, committed }),
        2 => (call_kind(), prop::option::of(call_options()))
            .prop_map(|(call, options)| Action::Spawn { call, options }),
        2 => (0..MAX_OPS).prop_map(|op| Action::Resubmit { op }),
        1 => (0..MAX_OPS).prop_map(|op| Action::Resend { op }),
    ]
}

fn call_options() -> impl Strategy<Value = CallOptions> {
    (
        prop::option::of(prop::sample::select(vec![200u64, 1_000, 20_000])),
        prop::option::of(prop::sample::select(vec![700u64, 5_000, 90_000])),
        prop::option::of(0u32..=4),
    )
        .prop_map(|(timeout_ms, deadline_ms, max_retries)| CallOptions {
            timeout_ms,
            deadline_ms,
            max_retries,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec![300u64, 1_000, 5_000, 30_000]),
        0u32..=3,
        prop::option::of(prop::sample::select(vec![
            500u64, 2_000, 10_000, 60_000, 300_000,
        ])),
        any::<u8>(),
        prop::collection::vec(call_kind(), 1..=3),
        prop::collection::vec(action(), 1..60),
    )
        .prop_map(
            |(timeout_ms, max_retries, deadline_ms, seed, initial, actions)| Case {
                timeout_ms,
                max_retries,
                deadline_ms,
                seed,
                initial,
                actions,
            },
        )
}

// ---------------------------------------------------------------------------------------------
// Invariants.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Inv {
    Money,
    Unknown,
    Key,
    Budget,
    Deadline,
    SingleFlight,
    ValidToken,
    Secrets,
    Retried,
    Finishes,
}

impl Inv {
    const ALL: [Inv; 10] = [
        Inv::Money,
        Inv::Unknown,
        Inv::Key,
        Inv::Budget,
        Inv::Deadline,
        Inv::SingleFlight,
        Inv::ValidToken,
        Inv::Secrets,
        Inv::Retried,
        Inv::Finishes,
    ];

    fn name(self) -> &'static str {
        match self {
            Inv::Money => "money",
            Inv::Unknown => "unknown",
            Inv::Key => "key",
            Inv::Budget => "budget",
            Inv::Deadline => "deadline",
            Inv::SingleFlight => "single-flight",
            Inv::ValidToken => "valid-token",
            Inv::Secrets => "secrets",
            Inv::Retried => "retried",
            Inv::Finishes => "finishes",
        }
    }
}

/// Defects of main the checker finds, awaiting their fix: (invariant, the fate tag that leads to
/// it, what is wrong). The property leaves those fates out (`exclude_tag`), and
/// `invariants_awaiting_a_fix_still_fail` proves each invariant still finds its defect through
/// them: when the fix lands that test fails until the entry is removed, so an entry cannot
/// silently outlive its fix. Issue 11's defects (sticky outcome-unknown, the 5xx family, the
/// proactive refresh, body excerpts) were fixed in main and needed no entry in the end.
const AWAITING_FIX: &[(Inv, &str, &str)] = &[];

/// Which invariants are checked: all, minus `MODEL_CHECKER_SKIP` (comma-separated names), so a
/// run can look for the next defect behind a known one. `MODEL_CHECKER_ALL=1` also generates
/// the fates of `AWAITING_FIX`.
fn enabled() -> &'static HashSet<Inv> {
    static ENABLED: OnceLock<HashSet<Inv>> = OnceLock::new();
    ENABLED.get_or_init(|| {
        let skip = std::env::var("MODEL_CHECKER_SKIP").unwrap_or_default();
        let skip: Vec<&str> = skip.split(',').map(str::trim).collect();
        Inv::ALL
            .into_iter()
            .filter(|inv| !skip.contains(&inv.name()))
            .collect()
    })
}

struct Violation {
    inv: Inv,
    what: String,
}

// ---------------------------------------------------------------------------------------------
// The simulated binding and server.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    None,
    ApiAnswered,
    /// The op's token exchange was answered; `valid` = the session's token was still usable.
    TokenAnswered {
        valid: bool,
    },
    /// Polled after waiting for another operation's token exchange.
    AwaitWoke {
        valid: bool,
    },
    Other,
}

#[derive(Clone)]
enum State {
    Idle,
    InFlight {
        purpose: Purpose,
        sent_at: u64,
        timeout_ms: u64,
        /// The access token the attempt carried (API attempts).
        token: Option<String>,
        body: Vec<u8>,
    },
    Sleeping {
        until: u64,
    },
    Awaiting {
        since_events: u64,
        since: u64,
        max_wait_ms: u64,
    },
    Done,
    Gone,
}

struct Op {
    op: Operation,
    kind: CallKind,
    index: usize,
    /// The index whose body the call sends (its own; a re-submission's is the original's).
    body_index: usize,
    /// The operation this one re-submits.
    resubmit_of: Option<usize>,
    /// The key its error carried, once it ended in one.
    error_key: Option<Option<String>>,
    deadline_at: u64,
    /// The operation's limits (the client's, or its `CallOptions`).
    timeout_ms: u64,
    max_retries: u32,
    key: Option<String>,
    state: State,
    api_sends: u32,
    token_expired_seen: u32,
    /// Some attempt may have been applied, by what the client could observe.
    may_have_applied: bool,
    last: Last,
    /// The last API answer was one the rule retries, with this Retry-After (ms), and the
    /// remaining deadline when it was handled.
    last_transient: Option<(Option<u64>, u64)>,
    token_failures: u32,
    /// When the operation was last polled (when it returned `Done`, once done).
    ended_at: u64,
    /// The session's token (value, expiry) when this operation last sent a token request or
    /// started waiting for one.
    token_before_refresh: Option<(String, u64)>,
}

struct TokenInFlight {
    op: usize,
    sent_at: u64,
    timeout_ms: u64,
}

struct Sim {
    session: Session,
    config: Config,
    now: u64,
    ops: Vec<Op>,
    seed: u8,
    enabled: HashSet<Inv>,
    tokens_in_flight: Vec<TokenInFlight>,
    /// Token exchanges answered or abandoned: the binding's "token notification".
    token_events: u64,
    issued: u32,
    /// The oracle's view of the session's token: value and expiry.
    current_token: Option<(String, u64)>,
    revoked: HashSet<String>,
    secrets: Vec<String>,
    /// Transactions the server holds, per idempotency key (or per operation without one).
    transactions: HashMap<String, u32>,
    keys_seen: HashSet<String>,
    trace: Vec<String>,
    tracing: bool,
    violation: Option<Violation>,
}

fn problem_body(status: u16, code: &str) -> String {
    format!(
        r#"{{"type":"about:blank","title":"Problem {status}","status":{status},"code":"{code}","detail":"see code"}}"#
    )
}

fn retry_after_header(headers: &mut Vec<(String, String)>, retry_after: RetryAfter) {
    match retry_after {
        RetryAfter::Absent => {}
        RetryAfter::Secs(s) => headers.push(("Retry-After".into(), s.to_string())),
        RetryAfter::Garbage(v) => headers.push(("Retry-After".into(), v.into())),
    }
}

fn problem_response(status: u16, code: &str, request_id: &str) -> HttpResponse {
    HttpResponse::new(
        status,
        vec![
            ("Content-Type".into(), "application/problem+json".into()),
            ("X-Request-Id".into(), request_id.into()),
        ],
        problem_body(status, code),
    )
}

fn plain_response(status: u16, body: Plain, request: &[u8]) -> HttpResponse {
    let body = match body {
        Plain::Html => format!("<html><body><h1>{status}</h1>upstream error</body></html>"),
        Plain::EchoRequest => format!(
            "<html><body>Request refused: <pre>{}</pre></body></html>",
            String::from_utf8_lossy(request)
        ),
        Plain::Empty => String::new(),
    };
    HttpResponse::new(
        status,
        vec![("Content-Type".into(), "text/html".into())],
        body,
    )
}

fn failure(kind: FailureKind, sent: bool) -> TransportFailure {
    let message = match kind {
        FailureKind::Connect => "connection refused",
        FailureKind::Timeout => "timed out",
        FailureKind::Io => "connection reset by peer",
    };
    TransportFailure::new(kind, sent, message)
}

impl Sim {
    fn new(case: &Case, enabled: HashSet<Inv>, tracing: bool) -> Sim {
        let mut config = Config::new(
            "https://api.test.example",
            CLIENT_ID,
            SECRET,
            APP_TOKEN,
            CRYPTO,
        )
        .unwrap();
        config.timeout_ms = case.timeout_ms;
        config.max_retries = case.max_retries;
        config.deadline_ms = case.deadline_ms;
        config.validate().unwrap();
        let mut sim = Sim {
            session: Session::new(config.clone()),
            config,
            now: START_MS,
            ops: Vec::new(),
            seed: case.seed,
            enabled,
            tokens_in_flight: Vec::new(),
            token_events: 0,
            issued: 0,
            current_token: None,
            revoked: HashSet::new(),
            secrets: vec![
                SECRET.into(),
                APP_TOKEN.into(),
                CRYPTO.into(),
                "Bearer ".into(),
            ],
            transactions: HashMap::new(),
            keys_seen: HashSet::new(),
            trace: Vec::new(),
            tracing,
            violation: None,
        };
        for &kind in &case.initial {
            sim.spawn(kind, None);
        }
        sim
    }

    fn check(&mut self, inv: Inv, ok: bool, what: impl FnOnce() -> String) {
        if !ok && self.violation.is_none() && self.enabled.contains(&inv) {
            self.violation = Some(Violation { inv, what: what() });
        }
    }

    /// The trace is only written when a failing sequence is run again to be reported.
    fn log(&mut self, line: impl FnOnce() -> String) {
        if self.tracing {
            let line = line();
            self.trace
                .push(format!("t+{}ms {line}", self.now - START_MS));
        }
    }

    fn spawn(&mut self, kind: CallKind, options: Option<CallOptions>) {
        if self.ops.len() >= MAX_OPS {
            return;
        }
        let index = self.ops.len();
        let op = new_operation(
            kind.call(index),
            &self.session,
            self.entropy(index),
            self.now,
        );
        self.push(op, kind, index, None, false, options);
    }

    /// `client.resubmit(error)` of the n-th operation (round) that ended in a keyed error.
    fn resubmit(&mut self, n: usize) {
        if self.ops.len() >= MAX_OPS {
            return;
        }
        // Any error, the latest or an older one, while other operations with its key may still
        // run: a caller may re-submit the same error twice, or two at once.
        let ended: Vec<usize> = (0..self.ops.len())
            .filter(|&i| self.ops[i].kind.keyed() && self.ops[i].error_key.is_some())
            .collect();
        if ended.is_empty() {
            return;
        }
        let original = ended[n % ended.len()];
        let Some(Some(key)) = self.ops[original].error_key.clone() else {
            self.check(Inv::Key, false, || {
                format!("op{original}'s error carries no key to re-submit with")
            });
            return;
        };
        let index = self.ops.len();
        let (kind, body_index) = (self.ops[original].kind, self.ops[original].body_index);
        // As both bindings' `resubmit`: always possibly applied (an earlier submission with the
        // key, this error's or another re-submission's, may have been).
        let prepared = PreparedCall::new(kind.call_with_key(body_index, Some(key)))
            .unwrap()
            .possibly_applied()
            .unwrap();
        let op = Operation::new(prepared, &self.session, self.entropy(index), self.now);
        self.log(|| format!("op{index} re-submits op{original}"));
        self.push(op, kind, body_index, Some(original), true, None);
    }

    /// A caller's own re-send with the key it saved (`possibly_applied=True` in Python,
    /// `possiblyApplied: true` in JS) of the n-th keyed operation (round) that ended in an error
    /// or was given up on, whose attempts may have been applied; through the bridge's params.
    fn resend(&mut self, n: usize) {
        if self.ops.len() >= MAX_OPS {
            return;
        }
        let ended: Vec<usize> = (0..self.ops.len())
            .filter(|&i| {
                let op = &self.ops[i];
                op.kind.keyed()
                    && op.key.is_some()
                    && (op.error_key.is_some() || matches!(op.state, State::Gone))
            })
            .collect();
        if ended.is_empty() {
            return;
        }
        let original = ended[n % ended.len()];
        let (kind, body_index) = (self.ops[original].kind, self.ops[original].body_index);
        let key = self.ops[original].key.clone().unwrap();
        let (method, mut params) = kind.params(body_index);
        params["idempotencyKey"] = serde_json::json!(key);
        params["possiblyApplied"] = serde_json::json!(true);
        let prepared = prepare_call(method, &params.to_string(), Codec::JS).unwrap();
        let index = self.ops.len();
        let op = Operation::new(prepared, &self.session, self.entropy(index), self.now);
        self.log(|| format!("op{index} re-sends op{original} with its saved key"));
        self.push(op, kind, body_index, Some(original), true, None);
    }

    fn entropy(&self, index: usize) -> [u8; 32] {
        let mut entropy = [0u8; 32];
        for (j, b) in entropy.iter_mut().enumerate() {
            *b = (self.seed as usize)
                .wrapping_mul(31)
                .wrapping_add(index * 71)
                .wrapping_add(j * 13) as u8;
        }
        entropy
    }

    fn push(
        &mut self,
        mut op: Operation,
        kind: CallKind,
        body_index: usize,
        resubmit_of: Option<usize>,
        possibly_applied: bool,
        options: Option<CallOptions>,
    ) {
        let index = self.ops.len();
        // The documented resolution: the call's override, else the client's setting; the
        // deadline, else timeout x attempts of the call's own limits.
        let timeout_ms = options
            .and_then(|o| o.timeout_ms)
            .unwrap_or(self.config.timeout_ms);
        let max_retries = options
            .and_then(|o| o.max_retries)
            .unwrap_or(self.config.max_retries);
        let deadline_ms = options
            .and_then(|o| o.deadline_ms)
            .or(self.config.deadline_ms)
            .unwrap_or(timeout_ms * (u64::from(max_retries) + 1));
        if let Some(options) = options {
            op = op.with_options(options);
        }
        let key = op.idempotency_key().map(str::to_owned);
        match resubmit_of {
            None => {
                if let Some(key) = &key {
                    let fresh = self.keys_seen.insert(key.clone());
                    self.check(Inv::Key, fresh, || {
                        format!("op{index} got the key {key} of another operation")
                    });
                }
            }
            Some(original) => {
                let want = self.ops[original].key.clone();
                self.check(Inv::Key, key == want, || {
                    format!("op{index} re-submits op{original} with key {key:?}, not {want:?}")
                });
            }
        }
        self.check(Inv::Key, key.is_some() == kind.keyed(), || {
            format!("op{index} ({kind:?}) has key {key:?}")
        });
        self.log(|| format!("spawn op{index} {kind:?} key={key:?}"));
        self.ops.push(Op {
            op,
            kind,
            index,
            body_index,
            resubmit_of,
            error_key: None,
            deadline_at: self.now + deadline_ms,
            timeout_ms,
            max_retries,
            key,
            state: State::Idle,
            api_sends: 0,
            token_expired_seen: 0,
            // What the re-submitted call's error said: its attempts may have been applied.
            may_have_applied: possibly_applied,
            last: Last::None,
            last_transient: None,
            token_failures: 0,
            ended_at: self.now,
            token_before_refresh: None,
        });
    }

    /// The n-th operation still running, counting round.
    fn live(&self, n: usize) -> Option<usize> {
        let live: Vec<usize> = (0..self.ops.len())
            .filter(|&i| !matches!(self.ops[i].state, State::Done | State::Gone))
            .collect();
        (!live.is_empty()).then(|| live[n % live.len()])
    }

    /// The session's token when the operation started refreshing (or waiting for a refresh)
    /// is still good: not expired, not rejected with TOKEN_EXPIRED.
    fn token_valid(&self, i: usize) -> bool {
        self.ops[i]
            .token_before_refresh
            .as_ref()
            .is_some_and(|(value, expires)| self.now < *expires && !self.revoked.contains(value))
    }

    /// The oracle's transaction key of operation `i`: its idempotency key (shared by its
    /// re-submissions), or the operation itself for a keyless call.
    fn transaction_key(&self, i: usize) -> String {
        let op = &self.ops[i];
        op.key.clone().unwrap_or_else(|| format!("op{}", op.index))
    }

    /// The oracle holds the transaction of operation `i` (made by it or by an earlier
    /// operation with its key).
    fn holds(&self, i: usize) -> bool {
        self.transactions.contains_key(&self.transaction_key(i))
    }

    fn apply(&mut self, i: usize) {
        if !self.ops[i].kind.money() {
            return;
        }
        let key = self.transaction_key(i);
        *self.transactions.entry(key).or_default() += 1;
    }

    fn run(&mut self, action: Action) {
        match action {
            Action::Step { op, fate } => {
                if let Some(i) = self.live(op) {
                    self.step(i, fate);
                }
            }
            Action::Abandon { op, committed } => {
                if let Some(i) = self.live(op) {
                    self.abandon(i, committed);
                    // A poll during a token wait is a wake-up: judge the outcome by the token
                    // as it is now, not by the op's own earlier refresh (a stale `last` blamed
                    // the core for failing on a token that had expired since; soak finding).
                    if matches!(self.ops[i].state, State::Awaiting { .. }) {
                        let valid = self.token_valid(i);
                        self.ops[i].last = Last::AwaitWoke { valid };
                    }
                    self.poll(i);
                }
            }
            Action::Tick { ms } | Action::Jump { ms } => {
                self.now += ms;
                self.log(|| format!("clock +{ms} ms"));
            }
            Action::Cancel {
                op,
                release,
                committed,
            } => {
                if let Some(i) = self.live(op) {
                    self.cancel(i, release, committed);
                }
            }
            Action::Spawn { call, options } => self.spawn(call, options),
            Action::Resubmit { op } => self.resubmit(op),
            Action::Resend { op } => self.resend(op),
        }
    }

    fn step(&mut self, i: usize, fate: Fate) {
        match self.ops[i].state.clone() {
            State::InFlight { .. } => self.deliver(i, fate),
            State::Sleeping { until } => {
                self.now = self.now.max(until);
                self.ops[i].last = Last::Other;
                self.poll(i);
            }
            State::Awaiting {
                since_events,
                since,
                max_wait_ms,
            } => {
                // Woken by a token notification, or else by the end of the wait.
                if self.token_events == since_events {
                    self.now = self.now.max(since + max_wait_ms);
                }
                let valid = self.token_valid(i);
                self.ops[i].last = Last::AwaitWoke { valid };
                self.poll(i);
            }
            State::Idle => self.poll(i),
            State::Done | State::Gone => {}
        }
    }

    fn poll(&mut self, i: usize) {
        let now = self.now;
        let step = self.ops[i].op.poll(&mut self.session, now);
        self.ops[i].ended_at = now;
        match step {
            Step::Send(request) => self.on_send(i, request),
            Step::Sleep { ms } => {
                let deadline_at = self.ops[i].deadline_at;
                self.check(Inv::Deadline, now + ms <= deadline_at, || {
                    format!(
                        "op{i} sleeps {ms} ms, {} ms past its deadline",
                        now + ms - deadline_at
                    )
                });
                self.ops[i].state = State::Sleeping { until: now + ms };
                self.log(|| format!("op{i} sleep {ms}"));
            }
            Step::AwaitToken { max_wait_ms } => {
                // Waiting for a token is the retry of the last transient answer under way: a
                // failure from here on is the token exchange's (checked by `valid-token`).
                self.ops[i].last_transient = None;
                let deadline_at = self.ops[i].deadline_at;
                self.check(Inv::Deadline, now + max_wait_ms <= deadline_at, || {
                    format!("op{i} waits {max_wait_ms} ms for the token, past its deadline")
                });
                if !matches!(self.ops[i].state, State::Awaiting { .. }) {
                    self.ops[i].token_before_refresh = self.current_token.clone();
                    self.ops[i].state = State::Awaiting {
                        since_events: self.token_events,
                        since: now,
                        max_wait_ms,
                    };
                } else if let State::Awaiting {
                    since_events,
                    since,
                    max_wait_ms: old,
                } = self.ops[i].state
                {
                    // Still waiting: a new wait starts now unless the old one is still running.
                    let restart = self.token_events != since_events || now >= since + old;
                    if restart {
                        self.ops[i].state = State::Awaiting {
                            since_events: self.token_events,
                            since: now,
                            max_wait_ms,
                        };
                    }
                }
                self.log(|| format!("op{i} awaitToken {max_wait_ms}"));
            }
            Step::Done(result) => self.on_done(i, result),
        }
    }

    fn on_send(&mut self, i: usize, request: HttpRequest) {
        let now = self.now;
        let deadline_at = self.ops[i].deadline_at;
        let purpose = request.purpose;
        self.check(Inv::Deadline, now < deadline_at, || {
            format!(
                "op{i} sends {purpose:?} at its deadline or {} ms past it",
                now - deadline_at
            )
        });
        self.check(
            Inv::Deadline,
            now.saturating_add(request.timeout_ms) <= deadline_at,
            || {
                format!(
                    "op{i} attempt timeout {} ms reaches past the deadline ({} ms left)",
                    request.timeout_ms,
                    deadline_at.saturating_sub(now)
                )
            },
        );
        let mut token = None;
        match purpose {
            Purpose::Token => {
                let alive: Vec<usize> = self
                    .tokens_in_flight
                    .iter()
                    .filter(|t| now < t.sent_at + t.timeout_ms)
                    .map(|t| t.op)
                    .collect();
                self.check(Inv::SingleFlight, alive.is_empty(), || {
                    format!("op{i} sends POST /auth/token while op{alive:?} has one in flight")
                });
                self.ops[i].token_before_refresh = self.current_token.clone();
                self.tokens_in_flight.push(TokenInFlight {
                    op: i,
                    sent_at: now,
                    timeout_ms: request.timeout_ms,
                });
                self.log(|| format!("op{i} send token (timeout {})", request.timeout_ms));
            }
            Purpose::Api => {
                let op = &mut self.ops[i];
                let max_retries = op.max_retries;
                op.api_sends += 1;
                let (sends, replays) = (op.api_sends, op.token_expired_seen.min(1));
                let sent_key = request.header("X-Idempotency-Key").map(str::to_owned);
                let key = op.key.clone();
                token = request
                    .header("Authorization")
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .map(str::to_owned);
                self.check(Inv::Key, sent_key == key, || {
                    format!(
                        "op{i} attempt {sends} sent key {sent_key:?}, the operation's is {key:?}"
                    )
                });
                self.check(Inv::Budget, sends <= max_retries + 1 + replays, || {
                    format!(
                        "op{i} sends API attempt {sends}; budget {} ({} retries + 1 + {replays} replay)",
                        max_retries + 1 + replays,
                        max_retries
                    )
                });
                self.log(|| {
                    format!(
                        "op{i} send api #{sends} (timeout {}, token {:?})",
                        request.timeout_ms,
                        token.as_deref().map(|t| t
                            .split('-')
                            .take(2)
                            .collect::<Vec<_>>()
                            .join("-"))
                    )
                });
            }
        }
        self.ops[i].state = State::InFlight {
            purpose,
            sent_at: now,
            timeout_ms: request.timeout_ms,
            token,
            body: request.body,
        };
    }

    /// The binding polls without reporting the attempt: the server may still apply it.
    fn abandon(&mut self, i: usize, committed: bool) {
        if let State::InFlight { purpose, .. } = self.ops[i].state {
            self.log(|| format!("op{i} poll with its {purpose:?} send unanswered"));
            match purpose {
                Purpose::Api => {
                    if self.ops[i].kind.money() {
                        self.ops[i].may_have_applied = true;
                    }
                    if committed {
                        self.apply(i);
                    }
                    self.ops[i].last = Last::ApiAnswered;
                    self.ops[i].last_transient = None;
                }
                Purpose::Token => {
                    self.tokens_in_flight.retain(|t| t.op != i);
                    self.token_events += 1;
                    self.ops[i].token_failures += 1;
                    let valid = self.token_valid(i);
                    self.ops[i].last = Last::TokenAnswered { valid };
                }
            }
            self.ops[i].state = State::Idle;
        }
    }

    fn cancel(&mut self, i: usize, release: bool, committed: bool) {
        if let State::InFlight { purpose, .. } = self.ops[i].state {
            if purpose == Purpose::Api && committed {
                self.apply(i);
            }
        }
        if release {
            // The transport's attempt is aborted with the task; the lease is given back and the
            // binding wakes the waiters (bindings-python's `Running::drop`).
            self.ops[i].op.release(&mut self.session);
            self.tokens_in_flight.retain(|t| t.op != i);
            self.token_events += 1;
        }
        self.log(|| format!("op{i} cancelled (release={release})"));
        self.ops[i].state = State::Gone;
    }

    fn deliver(&mut self, i: usize, fate: Fate) {
        let State::InFlight {
            purpose,
            sent_at,
            timeout_ms,
            token,
            body,
        } = self.ops[i].state.clone()
        else {
            return;
        };
        self.now = self.now.max(sent_at + fate.took_ms);
        // The transport bounds the attempt: an answer later than its timeout is a timeout.
        let timed_out = self.now - sent_at >= timeout_ms;
        self.ops[i].state = State::Idle;
        match purpose {
            Purpose::Api => self.deliver_api(i, fate.api, timed_out, token, &body),
            Purpose::Token => self.deliver_token(i, fate.token, timed_out),
        }
    }

    fn deliver_api(
        &mut self,
        i: usize,
        fate: ApiFate,
        timed_out: bool,
        token: Option<String>,
        body: &[u8],
    ) {
        let kind = self.ops[i].kind;
        let money = kind.money();
        let request_id = format!("req-{i}-{}", self.ops[i].api_sends);
        // (server applied it, the client could know nothing was applied, transient per rule)
        let (applied, refused, answer): (bool, bool, Result<HttpResponse, TransportFailure>) =
            match fate {
                ApiFate::Ok => {
                    let (status, text) = kind.success();
                    let key = self.ops[i].key.clone();
                    let replay = key.is_some_and(|k| self.transactions.contains_key(&k));
                    let mut headers = vec![
                        ("Content-Type".into(), "application/json".into()),
                        ("X-Request-Id".into(), request_id.clone()),
                    ];
                    if replay {
                        headers.push(("Idempotent-Replayed".into(), "true".into()));
                    }
                    (true, false, Ok(HttpResponse::new(status, headers, text)))
                }
                ApiFate::Unreadable(how) => {
                    let (status, full) = kind.success();
                    let personal_first = format!(
                        r#"{{"payee":{{"name":"{PAYEE_NAME}","document":"{PAYEE_CPF}","destination":{{"type":"PIX","pixKeyType":"EMAIL","pixKey":"{PIX_KEY}"}}}},"payer":{{"name":"{PAYER_NAME}","document":"{PAYER_CPF}"}},{}"#,
                        &full[1..]
                    );
                    let text = match how {
                        Unreadable::Truncated(n) => {
                            personal_first[..n.min(personal_first.len() - 1)].to_owned()
                        }
                        Unreadable::WrongType => format!(
                            r#"{{"transactionId":"t-1","status":"PROCESSING","amount":"{PAYEE_NAME}","payee":{{"name":{PAYEE_CPF},"document":{PAYEE_CPF}}},"payer":{{"name":{PAYER_CPF}}}}}"#
                        ),
                        Unreadable::Html => {
                            format!("<html>{PAYEE_NAME} {PAYEE_CPF} maintenance</html>")
                        }
                        Unreadable::Empty => String::new(),
                    };
                    (
                        true,
                        false,
                        Ok(HttpResponse::new(
                            status,
                            vec![("X-Request-Id".into(), request_id.clone())],
                            text,
                        )),
                    )
                }
                ApiFate::Informational { status, committed }
                | ApiFate::Redirect { status, committed } => {
                    let mut headers = vec![("X-Request-Id".into(), request_id.clone())];
                    if status >= 300 {
                        headers.push(("Location".into(), "https://elsewhere.example/".into()));
                    }
                    (committed, false, Ok(HttpResponse::new(status, headers, "")))
                }
                ApiFate::Problem4xx { status, code } => {
                    (false, true, Ok(problem_response(status, code, &request_id)))
                }
                ApiFate::Plain4xx {
                    status,
                    body: plain,
                    committed,
                } => (committed, false, Ok(plain_response(status, plain, body))),
                ApiFate::TokenExpired => {
                    // An answer the client never reads (timed out) rejects nothing.
                    if !timed_out {
                        if let Some(t) = &token {
                            self.revoked.insert(t.clone());
                        }
                        self.ops[i].token_expired_seen += 1;
                    }
                    (
                        false,
                        true,
                        Ok(problem_response(401, "TOKEN_EXPIRED", &request_id)),
                    )
                }
                ApiFate::RateLimited {
                    retry_after,
                    problem,
                } => {
                    let mut response = if problem {
                        problem_response(429, "RATE_LIMITED", &request_id)
                    } else {
                        HttpResponse::new(429, vec![], "")
                    };
                    retry_after_header(&mut response.headers, retry_after);
                    (false, true, Ok(response))
                }
                ApiFate::Server {
                    status,
                    problem,
                    body: plain,
                    retry_after,
                    committed,
                } => {
                    let code = match status {
                        503 => "SERVICE_UNAVAILABLE",
                        500 => "INTERNAL_ERROR",
                        _ => "UPSTREAM_ERROR",
                    };
                    let mut response = if problem {
                        problem_response(status, code, &request_id)
                    } else {
                        plain_response(status, plain, body)
                    };
                    retry_after_header(&mut response.headers, retry_after);
                    // The API's own 503 problem is its documented refusal: nothing was done.
                    let refusal = status == 503 && problem;
                    (committed && !refusal, refusal, Ok(response))
                }
                ApiFate::Transport {
                    kind: failure_kind,
                    sent,
                    committed,
                } => (committed && sent, !sent, Err(failure(failure_kind, sent))),
            };
        let (applied, refused, answer) = if timed_out && !refused {
            (applied, false, Err(failure(FailureKind::Timeout, true)))
        } else if timed_out {
            // Refused, but the client gave up before the answer arrived: it cannot know.
            (false, false, Err(failure(FailureKind::Timeout, true)))
        } else {
            (applied, refused, answer)
        };
        if applied {
            self.apply(i);
        }
        if money && !refused {
            self.ops[i].may_have_applied = true;
        }
        let remaining = self.ops[i].deadline_at.saturating_sub(self.now);
        self.ops[i].last_transient = match &answer {
            Err(_) => Some((None, remaining)),
            Ok(r) if r.status == 429 => match fate {
                ApiFate::RateLimited { retry_after, .. } => Some((retry_after.ms(), remaining)),
                _ => None,
            },
            Ok(r) if matches!(r.status, 500 | 502 | 503 | 504 | 520..=524) => match fate {
                ApiFate::Server { retry_after, .. } => Some((retry_after.ms(), remaining)),
                _ => None,
            },
            _ => None,
        };
        self.ops[i].last = Last::ApiAnswered;
        let now = self.now;
        match answer {
            Ok(response) => {
                self.log(|| {
                    format!(
                        "op{i} api answered {} (applied={applied}, {fate:?})",
                        response.status
                    )
                });
                self.ops[i]
                    .op
                    .handle_response(&mut self.session, response, now);
            }
            Err(f) => {
                self.log(|| {
                    format!(
                        "op{i} api failed {:?} sent={} (applied={applied}, {fate:?})",
                        f.kind, f.request_sent
                    )
                });
                self.ops[i].op.handle_failure(&mut self.session, f, now);
            }
        }
    }

    fn deliver_token(&mut self, i: usize, fate: TokenFate, timed_out: bool) {
        self.tokens_in_flight.retain(|t| t.op != i);
        let answer: Result<HttpResponse, TransportFailure> = if timed_out {
            Err(failure(FailureKind::Timeout, true))
        } else {
            match fate {
                TokenFate::Ok { lifetime_s } => {
                    self.issued += 1;
                    let value = format!("mc-access-{}-{}-tk", self.issued, self.seed);
                    self.secrets.push(value.clone());
                    self.secrets.push(digital_signature(CRYPTO, &value));
                    self.current_token = Some((value.clone(), self.now + lifetime_s * 1000));
                    Ok(HttpResponse::new(
                        200,
                        vec![("Content-Type".into(), "application/json".into())],
                        format!(
                            r#"{{"accessToken":"{value}","tokenType":"Bearer","expiresIn":{lifetime_s},"issuedAt":"2026-03-10T14:00:00Z"}}"#
                        ),
                    ))
                }
                TokenFate::Unreadable => Ok(HttpResponse::new(
                    200,
                    vec![],
                    format!(r#"{{"accessToken":"{SECRET}","#),
                )),
                TokenFate::ZeroLifetime => Ok(HttpResponse::new(
                    200,
                    vec![],
                    r#"{"accessToken":"mc-zero-life","expiresIn":0}"#,
                )),
                TokenFate::Problem { status, code } => {
                    Ok(problem_response(status, code, "req-token"))
                }
                TokenFate::RateLimited { retry_after } => {
                    let mut response = problem_response(429, "RATE_LIMITED", "req-token");
                    retry_after_header(&mut response.headers, retry_after);
                    Ok(response)
                }
                TokenFate::Server { status, problem } => Ok(if problem {
                    problem_response(status, "SERVICE_UNAVAILABLE", "req-token")
                } else {
                    HttpResponse::new(status, vec![], format!("<html>{status}</html>"))
                }),
                TokenFate::Transport { kind, sent } => Err(failure(kind, sent)),
            }
        };
        let now = self.now;
        let success = matches!(answer, Ok(ref r) if r.status == 200)
            && matches!(fate, TokenFate::Ok { .. })
            && !timed_out;
        match answer {
            Ok(response) => {
                self.log(|| format!("op{i} token answered {} ({fate:?})", response.status));
                self.ops[i]
                    .op
                    .handle_response(&mut self.session, response, now)
            }
            Err(f) => {
                self.log(|| format!("op{i} token failed {:?} ({fate:?})", f.kind));
                self.ops[i].op.handle_failure(&mut self.session, f, now)
            }
        }
        if !success {
            self.ops[i].token_failures += 1;
        }
        let valid = self.token_valid(i);
        self.ops[i].last = Last::TokenAnswered { valid };
        self.token_events += 1;
    }

    fn leaks(&self, text: &str) -> Option<String> {
        self.secrets
            .iter()
            .map(String::as_str)
            .chain(PERSONAL)
            .find(|s| text.contains(*s))
            .map(str::to_owned)
    }

    fn on_done(&mut self, i: usize, result: Result<Outcome, Error>) {
        self.ops[i].state = State::Done;
        let held = self.holds(i);
        let op = &self.ops[i];
        let (kind, key, sends, may, last, resubmit_of) = (
            op.kind,
            op.key.clone(),
            op.api_sends,
            op.may_have_applied,
            op.last,
            op.resubmit_of,
        );
        let what = match resubmit_of {
            Some(original) => format!("{kind:?}, re-submitting op{original}"),
            None => format!("{kind:?}"),
        };
        if let Err(error) = &result {
            self.ops[i].error_key = Some(error.idempotency_key.clone());
        }
        match result {
            Ok(outcome) => {
                self.log(|| format!("op{i} done ok {}", outcome.status));
                self.check(Inv::Key, outcome.idempotency_key == key, || {
                    format!(
                        "op{i} outcome carries key {:?}, sent {key:?}",
                        outcome.idempotency_key
                    )
                });
                self.check(Inv::Budget, outcome.attempts == sends, || {
                    format!(
                        "op{i} outcome says {} attempts, the transport saw {sends}",
                        outcome.attempts
                    )
                });
                self.check(Inv::Money, !kind.money() || held, || {
                    format!("op{i} ({what}) succeeded but the server holds no transaction")
                });
            }
            Err(error) => {
                let text = format!("{error} {error:?}");
                self.log(|| {
                    format!(
                        "op{i} done err {:?} status={:?} outcome_unknown={} attempts={} ({})",
                        error.kind,
                        error.status,
                        error.outcome_unknown,
                        error.attempts,
                        error.message
                    )
                });
                if let Some(leak) = self.leaks(&text) {
                    self.check(Inv::Secrets, false, || {
                        format!("op{i}'s error shows {leak:?}: {text}")
                    });
                }
                self.check(
                    Inv::Money,
                    !(kind.money() && held && !error.outcome_unknown),
                    || {
                        format!(
                            "op{i} ({what}) definitively failed ({:?}, status {:?}) while the server holds its transaction",
                            error.kind, error.status
                        )
                    },
                );
                let expected = kind.money() && may;
                self.check(Inv::Unknown, error.outcome_unknown == expected, || {
                    format!(
                        "op{i} ({what}) ended {:?} status {:?} with outcome_unknown={}, expected {expected} (attempts may have been applied: {may})",
                        error.kind, error.status, error.outcome_unknown
                    )
                });
                self.check(Inv::Key, error.idempotency_key == key, || {
                    format!(
                        "op{i} error carries key {:?}, sent {key:?}",
                        error.idempotency_key
                    )
                });
                self.check(Inv::Budget, error.attempts == sends, || {
                    format!(
                        "op{i} error says {} attempts, the transport saw {sends}",
                        error.attempts
                    )
                });
                // The operation's own deadline is a reason to stop whatever the token.
                let deadline_passed = error.kind == ErrorKind::Timeout
                    && self.ops[i].ended_at >= self.ops[i].deadline_at;
                if let Last::TokenAnswered { valid: true } | Last::AwaitWoke { valid: true } = last
                {
                    self.check(Inv::ValidToken, deadline_passed, || {
                        format!(
                            "op{i} failed on the token exchange ({:?}, status {:?}: {}) while the session's token was still valid",
                            error.kind, error.status, error.message
                        )
                    });
                }
                if last == Last::ApiAnswered
                    && !deadline_passed
                    && let Some((retry_after, remaining)) = self.ops[i].last_transient
                {
                    let op = &self.ops[i];
                    let budget_left = op.token_failures == 0
                        && op.api_sends - op.token_expired_seen.min(1) <= op.max_retries;
                    let wait = retry_after.unwrap_or(8_000);
                    let time_left =
                        wait <= 60_000 && remaining > wait + op.timeout_ms.min(remaining) + 1_000;
                    self.check(Inv::Retried, !(budget_left && time_left), || {
                        format!(
                            "op{i} ended on a transient answer ({:?}, status {:?}) with budget and {remaining} ms of deadline left",
                            error.kind, error.status
                        )
                    });
                }
            }
        }
    }

    /// A well-behaved server until every operation has ended.
    fn drain(&mut self) {
        let good = Fate {
            api: ApiFate::Ok,
            token: TokenFate::Ok { lifetime_s: 3600 },
            took_ms: 5,
        };
        for _ in 0..400 {
            let Some(i) = self.live(0) else { return };
            self.step(i, good);
            if self.violation.is_some() {
                return;
            }
        }
        let stuck: Vec<String> = (0..self.ops.len())
            .filter(|&i| !matches!(self.ops[i].state, State::Done | State::Gone))
            .map(|i| format!("op{i} {:?}", self.ops[i].state))
            .collect();
        self.check(Inv::Finishes, stuck.is_empty(), || {
            format!("operations still running after 400 steps: {stuck:?}")
        });
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Idle => write!(f, "Idle"),
            State::InFlight { purpose, .. } => write!(f, "InFlight({purpose:?})"),
            State::Sleeping { until } => write!(f, "Sleeping(until {until})"),
            State::Awaiting { max_wait_ms, .. } => write!(f, "Awaiting({max_wait_ms})"),
            State::Done => write!(f, "Done"),
            State::Gone => write!(f, "Gone"),
        }
    }
}

/// The one place that builds an operation (its signature changes as the driver gains options).
fn new_operation(call: Call, session: &Session, entropy: [u8; 32], now_ms: u64) -> Operation {
    Operation::new(call, session, entropy, now_ms)
}

fn check_case(case: &Case, enabled: &HashSet<Inv>) -> Result<(), String> {
    // Fast, untraced; a failing sequence is run again with its trace for the report.
    match simulate(case, enabled, false) {
        Ok(()) => Ok(()),
        Err(_) => simulate(case, enabled, true),
    }
}

fn simulate(case: &Case, enabled: &HashSet<Inv>, tracing: bool) -> Result<(), String> {
    let mut sim = Sim::new(case, enabled.clone(), tracing);
    for &action in &case.actions {
        if sim.violation.is_some() {
            break;
        }
        sim.run(action);
    }
    if sim.violation.is_none() {
        sim.drain();
    }
    match sim.violation {
        None => Ok(()),
        Some(v) => Err(format!(
            "[{}] {}\n  trace:\n    {}",
            v.inv.name(),
            v.what,
            sim.trace.join("\n    ")
        )),
    }
}

fn cases() -> u32 {
    std::env::var("MODEL_CHECKER_CASES")
        .or_else(|_| std::env::var("PROPTEST_CASES"))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        // The shrunk sequence is printed; keeping regressions files is left to the soak runs.
        failure_persistence: None,
        max_shrink_iters: 20_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn driver_invariants_hold_on_random_interleavings(case in case()) {
        check_case(&case, enabled()).map_err(TestCaseError::fail)?;
    }
}

/// Each entry of `AWAITING_FIX` still finds its defect (and must be removed once it does not).
#[test]
fn invariants_awaiting_a_fix_still_fail() {
    for &(inv, tag, what) in AWAITING_FIX {
        EXCLUDE.with(|set| set.borrow_mut().retain(|t| t != tag));
        let only: HashSet<Inv> = [inv].into_iter().collect();
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 5_000,
            failure_persistence: None,
            max_shrink_iters: 0,
            ..ProptestConfig::default()
        });
        let found = runner
            .run(&case(), |case| {
                simulate(&case, &only, false).map_err(TestCaseError::fail)
            })
            .is_err();
        assert!(
            found,
            "`{}` through `{tag}` fates holds on 5,000 sequences: the fix of \"{what}\" has \
             landed, remove its AWAITING_FIX entry",
            inv.name()
        );
    }
}
