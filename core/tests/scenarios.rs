//! The driver conformance suite (testdata/scenarios/, format in its README.md) run against the
//! core's `Operation` with a manual clock. The npm and Python packages run the same files
//! through their real loops.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use connectpsp_core::Error;
use connectpsp_core::bridge::{Codec, config_from_json, prepare_call};
use connectpsp_core::http::{FailureKind, HttpRequest, HttpResponse, Purpose, TransportFailure};
use connectpsp_core::operation::{Call, Operation, Outcome, Session, Step};
use serde_json::{Value, json};

const CLIENT_SECRET: &str = "scenario-client-secret-4f1e";
const APP_TOKEN: &str = "c0ffee00-1234-4abc-9def-0123456789ab";
const CRYPTO: &str = "scenario-crypto-token-77aa";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scenarios() -> Vec<(String, Value)> {
    let dir = root().join("testdata/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let value: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (name, value)
        })
        .collect()
}

fn config_json(config: &Value) -> String {
    let mut out = json!({
        "baseUrl": "https://api.test.example",
        "clientId": "scenario-client",
        "clientSecret": CLIENT_SECRET,
        "applicationToken": APP_TOKEN,
        "cryptoToken": CRYPTO,
        "binding": "rust",
        "bindingVersion": "0",
    });
    for (k, v) in config.as_object().unwrap() {
        out[k] = v.clone();
    }
    out.to_string()
}

/// The HTTP response an answer describes, or the transport failure.
fn answer(entry: &Value) -> Result<HttpResponse, TransportFailure> {
    if let Some(failure) = entry["failure"].as_str() {
        return Err(match failure {
            "connect" => TransportFailure::new(FailureKind::Connect, false, "connection refused"),
            "io" => TransportFailure::new(FailureKind::Io, true, "connection reset"),
            "timeout" => TransportFailure::new(FailureKind::Timeout, true, "timed out"),
            "truncated" => TransportFailure::new(FailureKind::Io, true, "body cut short"),
            other => panic!("unknown failure {other}"),
        });
    }
    let status = entry["status"].as_u64().unwrap() as u16;
    let mut headers: Vec<(String, String)> = Vec::new();
    let body: Vec<u8> = if let Some(code) = entry["problem"].as_str() {
        headers.push(("Content-Type".into(), "application/problem+json".into()));
        json!({"type": "about:blank", "title": "Problem", "status": status, "code": code, "detail": "scripted"})
            .to_string()
            .into_bytes()
    } else if let Some(name) = entry["fixture"].as_str() {
        headers.push(("Content-Type".into(), "application/json".into()));
        std::fs::read(root().join("testdata/api").join(name)).unwrap()
    } else if !entry["json"].is_null() {
        headers.push(("Content-Type".into(), "application/json".into()));
        entry["json"].to_string().into_bytes()
    } else {
        entry["body"].as_str().unwrap_or("").as_bytes().to_vec()
    };
    if let Some(map) = entry["headers"].as_object() {
        for (k, v) in map {
            headers.push((k.clone(), v.as_str().unwrap().to_owned()));
        }
    }
    if let Some(v) = entry["retryAfter"].as_str() {
        headers.push(("Retry-After".into(), v.to_owned()));
    }
    Ok(HttpResponse::new(status, headers, body))
}

struct Queue {
    entries: VecDeque<Value>,
    what: &'static str,
}

impl Queue {
    fn new(list: &Value, what: &'static str) -> Queue {
        Queue {
            entries: list.as_array().cloned().unwrap_or_default().into(),
            what,
        }
    }

    fn next(&mut self, context: &str) -> Value {
        let entry = self
            .entries
            .front()
            .cloned()
            .unwrap_or_else(|| panic!("{context}: unscripted {} request", self.what));
        if entry["repeat"] != Value::Bool(true) {
            self.entries.pop_front();
        }
        entry
    }

    fn unused(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e["repeat"] != Value::Bool(true))
            .count()
    }
}

/// Everything the loop saw while driving one call.
struct Seen {
    api: Vec<HttpRequest>,
    sleeps: Vec<u64>,
}

/// The loop of docs/architecture.md §2 with a manual clock: one operation at a time, so a
/// token wait never happens.
fn drive(
    context: &str,
    op: &mut Operation,
    session: &mut Session,
    now: &mut u64,
    spec: &Value,
) -> (Result<Outcome, Error>, Seen) {
    let mut token = Queue::new(&spec["token"], "token");
    let mut api = Queue::new(&spec["api"], "api");
    let mut seen = Seen {
        api: Vec::new(),
        sleeps: Vec::new(),
    };
    for _ in 0..200 {
        match op.poll(session, *now) {
            Step::Send(request) => {
                let entry = match request.purpose {
                    Purpose::Token => token.next(context),
                    Purpose::Api => api.next(context),
                };
                if let Some(bearer) = entry["bearer"].as_str() {
                    assert_eq!(
                        request.header("Authorization"),
                        Some(format!("Bearer {bearer}").as_str()),
                        "{context}: API attempt {} carries the wrong token",
                        seen.api.len() + 1
                    );
                }
                let outcome = answer(&entry);
                let took = match &outcome {
                    Err(f) if f.kind == FailureKind::Timeout => request.timeout_ms,
                    _ => 5,
                };
                *now += took + entry["clockStepMs"].as_u64().unwrap_or(0);
                if request.purpose == Purpose::Api {
                    seen.api.push(request);
                }
                match outcome {
                    Ok(response) => op.handle_response(session, response, *now),
                    Err(failure) => op.handle_failure(session, failure, *now),
                }
            }
            Step::Sleep { ms } => {
                seen.sleeps.push(ms);
                *now += ms;
            }
            Step::AwaitToken { max_wait_ms } => {
                panic!("{context}: a lone operation waits {max_wait_ms} ms for a token")
            }
            Step::Done(result) => {
                assert_eq!(
                    api.unused(),
                    0,
                    "{context}: {} scripted API answers left (fewer attempts than expected)",
                    api.unused()
                );
                assert_eq!(
                    token.unused(),
                    0,
                    "{context}: {} scripted token answers left",
                    token.unused()
                );
                return (result, seen);
            }
        }
    }
    panic!("{context}: the operation did not finish in 200 steps");
}

fn check(
    context: &str,
    call: &Call,
    expect: &Value,
    result: &Result<Outcome, Error>,
    seen: &Seen,
    secrets: &[String],
) {
    // The key: one per operation, on every attempt, and on the result.
    let keys: Vec<Option<&str>> = seen
        .api
        .iter()
        .map(|r| r.header("X-Idempotency-Key"))
        .collect();
    let result_key = match result {
        Ok(o) => o.idempotency_key.as_deref(),
        Err(e) => e.idempotency_key.as_deref(),
    };
    if call.takes_idempotency_key() {
        assert!(result_key.is_some(), "{context}: the result carries no key");
        for (n, key) in keys.iter().enumerate() {
            assert_eq!(
                *key,
                result_key,
                "{context}: attempt {} sent another key",
                n + 1
            );
        }
    } else {
        assert!(
            keys.iter().all(Option::is_none),
            "{context}: a keyless call sent a key"
        );
    }
    if let Some(ok) = expect["ok"].as_bool() {
        assert_eq!(
            result.is_ok(),
            ok,
            "{context}: expected ok={ok}, got {}",
            match result {
                Ok(o) => format!("ok {}", o.status),
                Err(e) => format!("{} ({e})", e.class_name()),
            }
        );
    }
    let (status, attempts) = match result {
        Ok(o) => (Some(o.status), o.attempts),
        Err(e) => (e.status, e.attempts),
    };
    assert_eq!(
        attempts as usize,
        seen.api.len(),
        "{context}: attempts field vs attempts sent"
    );
    if let Some(n) = expect["attempts"].as_u64() {
        assert_eq!(u64::from(attempts), n, "{context}: attempts");
    }
    if let Some(s) = expect["status"].as_u64() {
        assert_eq!(status.map(u64::from), Some(s), "{context}: status");
    }
    if let Some(sleeps) = expect["sleepsMs"].as_array() {
        let want: Vec<u64> = sleeps.iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(seen.sleeps, want, "{context}: sleeps");
    }
    match result {
        Ok(outcome) => {
            if let Some(replayed) = expect["replayed"].as_bool() {
                assert_eq!(outcome.replayed, replayed, "{context}: replayed");
            }
        }
        Err(error) => {
            if let Some(class) = expect["errorClass"].as_str() {
                assert_eq!(error.class_name(), class, "{context}: class ({error})");
            }
            if let Some(unknown) = expect["outcomeUnknown"].as_bool() {
                assert_eq!(
                    error.outcome_unknown, unknown,
                    "{context}: outcome_unknown ({error})"
                );
            }
            if let Some(ms) = expect["retryAfterMs"].as_u64() {
                assert_eq!(error.retry_after_ms, Some(ms), "{context}: retry_after_ms");
            }
            let text = format!("{error} {error:?}");
            let excluded = expect["messageExcludes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned);
            for bad in excluded.chain(secrets.iter().cloned()) {
                assert!(
                    !text.contains(&bad),
                    "{context}: the error shows {bad:?}: {text}"
                );
            }
        }
    }
}

#[test]
fn every_scenario_holds_in_the_core() {
    let all = scenarios();
    assert!(all.len() >= 20, "only {} scenarios", all.len());
    let mut failures = Vec::new();
    // Each failing scenario is collected and reported once, below, instead of by the hook.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for (name, scenario) in &all {
        assert_eq!(
            scenario["name"].as_str(),
            Some(name.as_str()),
            "{name}: name vs file name"
        );
        let outcome = std::panic::catch_unwind(|| run(name, scenario));
        let awaiting_fix = scenario["awaitingFix"].as_str();
        match (outcome, awaiting_fix) {
            (Ok(()), None) | (Err(_), Some(_)) => {}
            (Ok(()), Some(why)) => failures.push(format!(
                "{name} passes now: remove its \"awaitingFix\" ({why})"
            )),
            (Err(panic), None) => failures.push(
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default(),
            ),
        }
    }
    std::panic::set_hook(hook);
    assert!(
        failures.is_empty(),
        "{} of {} scenarios fail:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

fn run(name: &str, scenario: &Value) {
    let config = config_from_json(&config_json(&scenario["config"])).unwrap();
    let mut session = Session::new(config.clone());
    let mut now: u64 = 1_000_000;
    let mut secrets = vec![
        CLIENT_SECRET.to_owned(),
        APP_TOKEN.to_owned(),
        CRYPTO.to_owned(),
    ];
    // Each call's method, params and error, for the calls that re-submit one.
    let mut ended: Vec<(String, Value, Option<Error>)> = Vec::new();
    for (i, spec) in scenario["calls"].as_array().unwrap().iter().enumerate() {
        let context = format!("{name} call {}", i + 1);
        for entry in spec["token"].as_array().into_iter().flatten() {
            if let Some(t) = entry["json"]["accessToken"].as_str() {
                secrets.push(t.to_owned());
            }
        }
        now += spec["clockStepMs"].as_u64().unwrap_or(0);
        // A re-submission is what both bindings' `resubmit(error)` sends: the same call with
        // the error's key, marked possibly applied.
        let (method, params, resubmitted_key) = match spec["resubmit"].as_u64() {
            Some(n) => {
                let (method, params, error) = &ended[n as usize];
                let error = error
                    .as_ref()
                    .unwrap_or_else(|| panic!("{context}: call {} did not fail", n + 1));
                let mut params = params.clone();
                params["idempotencyKey"] = json!(error.idempotency_key);
                params["possiblyApplied"] = json!(true);
                (method.clone(), params, Some(error.idempotency_key.clone()))
            }
            None => (
                spec["method"].as_str().unwrap().to_owned(),
                spec["params"].clone(),
                None,
            ),
        };
        let prepared = prepare_call(&method, &params.to_string(), Codec::JS)
            .unwrap_or_else(|e| panic!("{context}: bad params: {e}"));
        let call = prepared.call().clone();
        let mut entropy = [0u8; 32];
        entropy[0] = i as u8;
        entropy[1] = name.len() as u8;
        let mut op = Operation::new(prepared, &session, entropy, now);
        let (result, seen) = drive(&context, &mut op, &mut session, &mut now, spec);
        check(&context, &call, &spec["expect"], &result, &seen, &secrets);
        if let Some(key) = resubmitted_key {
            let sent = match &result {
                Ok(o) => o.idempotency_key.clone(),
                Err(e) => e.idempotency_key.clone(),
            };
            assert_eq!(sent, key, "{context}: re-submitted with another key");
        }
        ended.push((method, params, result.err()));
    }
}
