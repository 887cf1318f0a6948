//! Hot paths of the core, with the issue's targets:
//! building + signing a cash-out request (≤ 2 µs), parsing a cash-out response (≤ 3 µs),
//! verifying a webhook and parsing a BR Code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use connectpsp_core::http::HttpResponse;
use connectpsp_core::model::cash_out::CashOut;
use connectpsp_core::model::{parse_request_str, parse_response};
use connectpsp_core::operation::{Call, Operation, Session, Step};
use connectpsp_core::{Config, pix, signature, webhook};
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BatchSize, Throughput, criterion_group, criterion_main};
use std::time::Duration;

type Criterion = criterion::Criterion<ThreadCpuTime>;

const CRYPTO: &str = "test-crypto-token-0001";

const CASH_OUT_REQUEST: &str = r#"{"amount": 50.00, "externalReference": "withdrawal-user-42-001",
  "description": "User withdrawal", "webhookUrl": "https://api.yourdomain.com/webhooks/connectpsp",
  "payee": {"name": "Maria Silva", "document": "12345678909",
            "destination": {"type": "PIX", "pixKeyType": "CPF", "pixKey": "12345678909"}}}"#;

const CASH_OUT_RESPONSE: &str = r#"{"transactionId":"dd30446e-6cc5-4664-bf3f-6b7f5e55a1a9","internalCode":"IVKPRMOCDY","externalReference":"withdrawal-user-42-001","endToEndId":null,"status":"PROCESSING","amount":50.00,"description":"User withdrawal","payee":{"name":"Maria Silva","document":"12345678909","destination":{"type":"PIX","pixKeyType":"CPF","pixKey":"12345678909"}},"requestedAt":"2026-03-10T14:00:00Z"}"#;

const WEBHOOK: &str = r#"{"eventType":"CASHIN_PAID","eventAt":"2026-03-10T11:22:18Z","data":{"transactionId":"kk6g232xel65a0daee4dd13kk2912714964","internalCode":"US7B1JQ","externalReference":"test-order-001","endToEndId":"E00416968202603101827cemeFscF6AG","status":"PAID","amount":10.00,"payer":{"name":"Test User","document":"12345678909","bankData":{"ispb":"00000000","bank":"Banco do Brasil S.A.","branch":"0001","account":"123456"}},"requestedAt":"2026-03-10T11:20:00-03:00","paidAt":"2026-03-10T11:22:15-03:00"}}"#;

/// A session that already holds a token, as in steady state.
fn warm_session() -> Session {
    let config = Config::new(
        "https://api.connectpsp.com",
        "1234",
        "secret",
        "app",
        CRYPTO,
    )
    .unwrap();
    let mut session = Session::new(config);
    let mut op = Operation::new(Call::GetBalance, &session, [0; 32], 0);
    let Step::Send(_) = op.poll(&mut session, 0) else {
        panic!("expected the token request")
    };
    let token = r#"{"accessToken":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjbGllbnQtMTIzIn0.dGVzdA","expiresIn":3600}"#;
    op.handle_response(&mut session, HttpResponse::new(200, vec![], token), 0);
    session
}

fn cash_out_call() -> Call {
    Call::CreateCashOut {
        request: parse_request_str(CASH_OUT_REQUEST).unwrap(),
        idempotency_key: None,
    }
}

fn request_path(c: &mut Criterion) {
    let mut session = warm_session();
    let call = cash_out_call();
    c.bench_function("cash_out: build + sign request", |b| {
        b.iter_batched(
            || call.clone(),
            |call| {
                let mut op = Operation::new(call, &session, [7; 32], 1);
                match op.poll(&mut session, 1) {
                    Step::Send(request) => request,
                    other => panic!("{other:?}"),
                }
            },
            BatchSize::SmallInput,
        )
    });
    c.bench_function("digital_signature (per token refresh)", |b| {
        b.iter(|| {
            signature::digital_signature(
                black_box(CRYPTO),
                black_box(
                    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjbGllbnQtMTIzIn0.dGVzdA",
                ),
            )
        })
    });
}

fn response_path(c: &mut Criterion) {
    // The engine's path: a 202 handed to an in-flight operation, read back as a typed Outcome.
    let template = warm_session();
    let mut session = warm_session();
    let call = cash_out_call();
    c.bench_function("cash_out: parse response", |b| {
        b.iter_batched(
            || {
                // Its own copy of the (token-holding) session: setup is not timed.
                let mut setup = template.clone();
                let mut op = Operation::new(call.clone(), &setup, [7; 32], 1);
                let Step::Send(_) = op.poll(&mut setup, 1) else {
                    panic!()
                };
                let response = HttpResponse::new(202, vec![], CASH_OUT_RESPONSE);
                (op, response)
            },
            |(mut op, response)| {
                op.handle_response(&mut session, response, 2);
                match op.poll(&mut session, 2) {
                    Step::Done(Ok(outcome)) => outcome,
                    other => panic!("{other:?}"),
                }
            },
            BatchSize::SmallInput,
        )
    });
    c.bench_function("cash_out: model::parse_response only", |b| {
        b.iter(|| parse_response::<CashOut>(black_box(CASH_OUT_RESPONSE.as_bytes())).unwrap())
    });
}

fn webhook_and_pix(c: &mut Criterion) {
    let signature = signature::hmac_sha256_hex(CRYPTO.as_bytes(), WEBHOOK.as_bytes());
    c.bench_function("webhook: verify only", |b| {
        b.iter(|| webhook::verify(black_box(WEBHOOK.as_bytes()), &signature, CRYPTO).unwrap())
    });
    c.bench_function("webhook: verify + parse", |b| {
        b.iter(|| {
            webhook::construct_event(black_box(WEBHOOK.as_bytes()), &signature, CRYPTO).unwrap()
        })
    });
    let brcode = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";
    c.bench_function("pix: decode BR Code", |b| {
        b.iter(|| pix::brcode::decode(black_box(brcode)).unwrap())
    });
}

/// CPU time of the benchmark thread: on a shared 2-core machine other processes inflate wall
/// time by 2–3×, CPU time barely moves. On an idle machine both agree.
struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = cpu_time::ThreadTime;
    type Value = Duration;

    fn start(&self) -> Self::Intermediate {
        cpu_time::ThreadTime::now()
    }
    fn end(&self, started: Self::Intermediate) -> Self::Value {
        started.elapsed()
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanoseconds
    }
}

struct Nanoseconds;

impl ValueFormatter for Nanoseconds {
    fn scale_values(&self, typical_ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical_ns < 1_000.0 {
            (1.0, "ns")
        } else if typical_ns < 1_000_000.0 {
            (1e-3, "µs")
        } else {
            (1e-6, "ms")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }
    fn scale_throughputs(
        &self,
        _typical: f64,
        _t: &Throughput,
        _values: &mut [f64],
    ) -> &'static str {
        "(no throughput)"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn cpu_time_criterion() -> Criterion {
    criterion::Criterion::default().with_measurement(ThreadCpuTime)
}

criterion_group! {
    name = benches;
    config = cpu_time_criterion();
    targets = request_path, response_path, webhook_and_pix
}
criterion_main!(benches);
