//! Untrusted bytes (responses, webhooks, binding JSON) never panic the core.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use connectpsp_core::bridge::{call_from_json, config_from_json};
use connectpsp_core::http::{FailureKind, HttpResponse, TransportFailure};
use connectpsp_core::operation::{Call, Operation, Session, Step};
use connectpsp_core::{Config, ErrorKind, webhook};
use proptest::prelude::*;

fn session() -> Session {
    Session::new(Config::new("https://api.test.example", "1", "s", "a", "c").unwrap())
}

/// A status that is not 2xx or the token answer; any bytes; maybe a Retry-After.
fn response() -> impl Strategy<Value = HttpResponse> {
    (
        prop_oneof![
            Just(200u16),
            Just(202),
            Just(401),
            Just(422),
            Just(429),
            Just(503),
            100u16..600
        ],
        proptest::collection::vec(any::<u8>(), 0..300),
        proptest::option::of("[ -~]{0,12}"),
    )
        .prop_map(|(status, body, retry_after)| {
            let headers = retry_after
                .map(|v| vec![("Retry-After".to_owned(), v)])
                .unwrap_or_default();
            HttpResponse::new(status, headers, body)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_sequence_of_answers_ends_in_done(answers in proptest::collection::vec(
        prop_oneof![
            response().prop_map(Ok),
            (any::<bool>(), 0u8..3).prop_map(|(sent, k)| Err(TransportFailure::new(
                [FailureKind::Connect, FailureKind::Timeout, FailureKind::Io][usize::from(k)], sent, "x"))),
        ], 1..12)) {
        let mut session = session();
        let mut now = 0u64;
        let mut op = Operation::new(Call::GetCashIn { id: "US7B1JQ".into() }, &session, [9; 32], now);
        let mut answers = answers.into_iter();
        let mut sends = 0;
        loop {
            match op.poll(&mut session, now) {
                Step::Send(_) => {
                    sends += 1;
                    prop_assert!(sends < 20, "too many attempts");
                    now += 5;
                    match answers.next() {
                        Some(Ok(r)) => op.handle_response(&mut session, r, now),
                        Some(Err(f)) => op.handle_failure(&mut session, f, now),
                        None => op.handle_failure(&mut session, TransportFailure::new(FailureKind::Connect, false, "x"), now),
                    }
                }
                Step::Sleep { ms } => now += ms,
                Step::AwaitToken { max_wait_ms } => now += max_wait_ms,
                Step::Done(_) => break,
            }
        }
    }

    #[test]
    fn webhooks_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400), sig in "[0-9a-fA-Fz]{0,70}") {
        if let Err(error) = webhook::construct_event(&body, &sig, "k") {
            prop_assert!(matches!(error.kind, ErrorKind::WebhookSignature | ErrorKind::Decode));
        }
    }

    #[test]
    fn bridge_json_never_panics(method in "(cashIn|cashOut|account)\\.(create|get|refund|balance|rebalance)", params in "\\PC{0,200}") {
        let _ = call_from_json(&method, &params, connectpsp_core::bridge::Codec::JS);
        let _ = config_from_json(&params);
    }
}
