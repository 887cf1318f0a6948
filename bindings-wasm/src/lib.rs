//! WebAssembly exports of the ConnectPSP core for the npm package `connectpsp`.
//!
//! Two small classes over the core's driver and a few free functions over `bridge`; the JS layer
//! (bindings-wasm/ts) performs the I/O the core asks for (undici on Node, `fetch` elsewhere).
//! Each step of an operation crosses as one string (`step_text`; the reply inside it as JSON
//! text), measured faster than serde-wasm-bindgen objects (bench/README.md, "The wasm
//! crossing"); the attempt report and the facts cross as objects. A failing export throws the
//! core's `error_to_json` text (a string), which the JS layer turns into the matching Error
//! subclass.
//!
//! Sharing: `Rc<RefCell<Session>>`. JS is single-threaded and every borrow below ends before the
//! export returns (the awaits are all on the JS side), so a borrow can never be held across I/O.
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::rc::Rc;

use connectpsp_core::bridge::{self, Codec};
use connectpsp_core::config::{Config, Naming};
use connectpsp_core::facts::{self, Fact};
use connectpsp_core::http::{FailureKind, HttpResponse, Purpose, TransportFailure};
use connectpsp_core::money::with_amounts_as_strings;
use connectpsp_core::operation::{AttemptReport, CallOptions, Operation, Session, Step};
use connectpsp_core::webhook::Freshness;
use connectpsp_core::{Error, ErrorKind};
use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The error as the JS layer expects it: the core's JSON description, thrown as a string.
fn throw(error: &Error) -> JsValue {
    JsValue::from_str(&bridge::error_to_json_with_naming(error, Naming::Camel))
}

/// Milliseconds since the epoch from JS (`Date.now()`); NaN and negatives become 0.
fn ms(now_ms: f64) -> u64 {
    if now_ms.is_finite() && now_ms > 0.0 {
        now_ms as u64
    } else {
        0
    }
}

/// The freshness bound of a webhook check: none without a tolerance; `now` defaults to
/// `Date.now()`.
fn freshness(tolerance_ms: Option<f64>, now_ms: Option<f64>) -> Option<Freshness> {
    tolerance_ms.map(|tolerance| Freshness {
        now_ms: ms(now_ms.unwrap_or_else(js_sys::Date::now)),
        tolerance_ms: ms(tolerance),
    })
}

/// A string or an array of strings (crypto tokens, the current one first).
fn strings(value: &JsValue, field: &str) -> Result<Vec<String>, JsValue> {
    if let Some(one) = value.as_string() {
        return Ok(vec![one]);
    }
    let invalid = || {
        throw(&Error::validation(
            field,
            "must be a string or an array of strings",
        ))
    };
    if !Array::is_array(value) {
        return Err(invalid());
    }
    Array::from(value)
        .iter()
        .map(|item| item.as_string().ok_or_else(invalid))
        .collect()
}

/// One client's shared state: the config and the token.
#[wasm_bindgen]
pub struct WasmSession {
    session: Rc<RefCell<Session>>,
    config: Rc<Config>,
}

#[wasm_bindgen]
impl WasmSession {
    /// From the options JSON of `new ConnectPSP(...)`.
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<WasmSession, JsValue> {
        let config = bridge::config_from_json(config_json).map_err(|e| throw(&e))?;
        Ok(WasmSession {
            session: Rc::new(RefCell::new(Session::new(config.clone()))),
            config: Rc::new(config),
        })
    }

    /// The base URL the core settled on (the options' baseUrl, or the environment's).
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.config.base_url().to_owned()
    }

    /// Verifies a webhook with this client's tokens (its cryptoToken, or the
    /// `webhookCryptoTokens` of a key rotation) and `webhookToleranceMs`, and returns the event
    /// JSON; `cryptoTokens` (a string or an array, the new one first) and `toleranceMs`
    /// override them for this delivery. `nowMs`: the receiver's clock (default `Date.now()`).
    #[wasm_bindgen(js_name = constructEvent)]
    pub fn construct_event(
        &self,
        payload: &[u8],
        signature: &str,
        #[wasm_bindgen(unchecked_param_type = "string | string[] | undefined")]
        crypto_tokens: JsValue,
        tolerance_ms: Option<f64>,
        now_ms: Option<f64>,
    ) -> Result<String, JsValue> {
        let tokens = if crypto_tokens.is_undefined() || crypto_tokens.is_null() {
            None
        } else {
            Some(strings(&crypto_tokens, "cryptoTokens")?)
        };
        let tokens: Option<Vec<&str>> = tokens
            .as_ref()
            .map(|t| t.iter().map(String::as_str).collect());
        bridge::webhook_verify_for_client(
            &self.config,
            payload,
            signature,
            tokens.as_deref(),
            tolerance_ms.map(ms),
            || ms(now_ms.unwrap_or_else(js_sys::Date::now)),
            Codec::JS,
        )
        .map_err(|e| throw(&e))
    }

    // --- token store (ts/token-store.ts moves the entry; the core decides) ------------------

    /// The key of this client's entry in a token store: base URL and client id hashed, never
    /// a secret.
    #[wasm_bindgen(getter, js_name = tokenStoreKey)]
    pub fn token_store_key(&self) -> String {
        connectpsp_core::token_store::store_key(&self.config)
    }

    /// True when the next call would fetch (or wait for) a token: the moment to read the store.
    #[wasm_bindgen(js_name = wantsToken)]
    pub fn wants_token(&self, now_ms: f64) -> bool {
        self.session.borrow().wants_token(ms(now_ms))
    }

    /// `{ value, ttlMs, generation }` to write to the store when the session holds a valid
    /// token other than generation `saved`, else undefined. `value` holds the access token.
    #[wasm_bindgen(js_name = tokenForStore)]
    pub fn token_for_store(&self, saved: f64, now_ms: f64, wall_ms: f64) -> JsValue {
        let saved = if saved.is_finite() && saved >= 0.0 {
            saved as u64
        } else {
            0
        };
        let Some(entry) = self
            .session
            .borrow()
            .token_for_store(saved, ms(now_ms), ms(wall_ms))
        else {
            return JsValue::UNDEFINED;
        };
        let obj = Object::new();
        // Setting properties on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &"value".into(), &entry.value.expose().into());
        let _ = Reflect::set(&obj, &"ttlMs".into(), &(entry.ttl_ms as f64).into());
        let _ = Reflect::set(
            &obj,
            &"generation".into(),
            &(entry.generation as f64).into(),
        );
        obj.into()
    }

    /// Adopts the token of a store value when the core accepts it (fresher than the current
    /// one, not the one last rejected): its generation, else undefined. Throws the core's error
    /// when the value is not a token entry (never quoting it). Wake the token waiters after.
    #[wasm_bindgen(js_name = adoptFromStore)]
    pub fn adopt_from_store(
        &self,
        value: &str,
        now_ms: f64,
        wall_ms: f64,
    ) -> Result<Option<f64>, JsValue> {
        self.session
            .borrow_mut()
            .adopt_from_store(value, ms(now_ms), ms(wall_ms))
            .map(|generation| generation.map(|g| g as f64))
            .map_err(|e| throw(&e))
    }
}

/// One API call: the core's state machine, driven by the JS loop.
#[wasm_bindgen]
pub struct WasmOperation {
    operation: Operation,
    session: Rc<RefCell<Session>>,
    /// See `answeredAttempt`.
    answered: Option<AttemptReport>,
}

#[wasm_bindgen]
impl WasmOperation {
    /// Validates the call (a bad call throws here or ends at the first poll, never sends).
    /// `timeoutMs`, `deadlineMs`, `maxRetries`: the call's overrides of the client's settings
    /// (undefined keeps the client's; the core checks them and names a bad one).
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        session: &WasmSession,
        method: &str,
        params_json: &str,
        entropy: &[u8],
        now_ms: f64,
        timeout_ms: Option<f64>,
        deadline_ms: Option<f64>,
        max_retries: Option<f64>,
    ) -> Result<WasmOperation, JsValue> {
        let call = bridge::prepare_call(method, params_json, Codec::JS).map_err(|e| throw(&e))?;
        let entropy: [u8; 32] = entropy
            .try_into()
            .map_err(|_| throw(&Error::validation("entropy", "must be exactly 32 bytes")))?;
        let options = CallOptions {
            timeout_ms: whole("timeoutMs", timeout_ms)?,
            deadline_ms: whole("deadlineMs", deadline_ms)?,
            max_retries: whole("maxRetries", max_retries)?
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        };
        let operation = Operation::new(call, &session.session.borrow(), entropy, ms(now_ms))
            .with_options(options);
        Ok(WasmOperation {
            operation,
            session: Rc::clone(&session.session),
            answered: None,
        })
    }

    /// The `X-Idempotency-Key` every attempt sends (none for calls that carry no key): what an
    /// abandoned call reports so its caller can re-submit.
    #[wasm_bindgen(getter, js_name = idempotencyKey)]
    pub fn idempotency_key(&self) -> Option<String> {
        self.operation.idempotency_key().map(str::to_owned)
    }

    /// Whether abandoning the call now leaves its outcome unknown (a state-changing attempt
    /// may have been applied, or one is in flight): what an AbortError reports.
    #[wasm_bindgen(getter, js_name = outcomeUnknownIfAbandoned)]
    pub fn outcome_unknown_if_abandoned(&self) -> bool {
        self.operation.outcome_unknown_if_abandoned()
    }

    /// What is left of the call's deadline at `now_ms`: the longest the JS loop may wait for
    /// the token store before the first poll.
    #[wasm_bindgen(js_name = remainingMs)]
    pub fn remaining_ms(&self, now_ms: f64) -> f64 {
        self.operation.deadline_remaining_ms(ms(now_ms)) as f64
    }

    /// The core's report of the last HTTP attempt, or null: `{purpose, attempt, method,
    /// pathTemplate, idempotencyKey, status, requestId, failure, elapsedMs, inFlight,
    /// willRetry, outcomeUnknown}`. No body, header value or secret. Read after `next` returned
    /// a send, it is that attempt in flight (the "request" event).
    #[wasm_bindgen(js_name = lastAttempt)]
    pub fn last_attempt(&self) -> JsValue {
        attempt_value(self.operation.last_attempt())
    }

    /// The report of the attempt the last `respond` / `fail` with `keep_report` answered, as
    /// it stood before the next poll (which may already have started another attempt): the
    /// "response" event and the log line. Null without `keep_report`.
    #[wasm_bindgen(js_name = answeredAttempt)]
    pub fn answered_attempt(&self) -> JsValue {
        attempt_value(self.answered.as_ref())
    }

    /// The next step as one string (see [`step_text`]): what the JS loop calls after a sleep
    /// or a token wait, and once after the constructor.
    pub fn next(&mut self, now_ms: f64) -> String {
        let step = self
            .operation
            .poll(&mut self.session.borrow_mut(), ms(now_ms));
        step_text(step, &self.operation)
    }

    /// The answer to the last `send`, then the next step: one crossing. `headers`:
    /// `name\nvalue\nname\nvalue…` (one string instead of one per header).
    /// `keep_report`: keep this attempt's report for `answeredAttempt` (events or log lines).
    /// `body` is taken as a `Vec` (the copy the glue makes into the module's memory becomes
    /// the response's own) instead of a slice copied a second time.
    pub fn respond(
        &mut self,
        status: u16,
        headers: &str,
        body: Vec<u8>,
        now_ms: f64,
        keep_report: bool,
    ) -> String {
        self.handle_response(status, headers, body, now_ms);
        self.keep_report(keep_report);
        self.next(now_ms)
    }

    /// The last `send` got no answer, then the next step: one crossing. `kind`: "connect"
    /// (nothing left the machine), "timeout" or "io".
    pub fn fail(
        &mut self,
        kind: &str,
        request_sent: bool,
        message: &str,
        now_ms: f64,
        keep_report: bool,
    ) -> String {
        self.handle_failure(kind, request_sent, message, now_ms);
        self.keep_report(keep_report);
        self.next(now_ms)
    }
}

// Not exported: `respond` and `fail` fold them with the next poll.
impl WasmOperation {
    fn keep_report(&mut self, keep: bool) {
        self.answered = if keep {
            self.operation.last_attempt().cloned()
        } else {
            None
        };
    }

    /// The answer to the last `send`: headers as one string, `name\nvalue\nname\nvalue…`
    /// (one crossing instead of one per string; HTTP header names and values hold no newline).
    fn handle_response(&mut self, status: u16, headers: &str, body: Vec<u8>, now_ms: f64) {
        let mut pairs = Vec::with_capacity(8);
        let mut iter = headers.split('\n');
        while let (Some(name), Some(value)) = (iter.next(), iter.next()) {
            pairs.push((name.to_owned(), value.to_owned()));
        }
        let response = HttpResponse::new(status, pairs, body);
        self.operation
            .handle_response(&mut self.session.borrow_mut(), response, ms(now_ms));
    }

    /// The last `send` got no answer. `kind`: "connect" (nothing left the machine), "timeout"
    /// or "io"; an unknown kind counts as "io", the cautious reading.
    fn handle_failure(&mut self, kind: &str, request_sent: bool, message: &str, now_ms: f64) {
        let kind = match kind {
            "connect" => FailureKind::Connect,
            "timeout" => FailureKind::Timeout,
            _ => FailureKind::Io,
        };
        let failure = TransportFailure::new(kind, request_sent, message);
        self.operation
            .handle_failure(&mut self.session.borrow_mut(), failure, ms(now_ms));
    }
}

// An operation freed before it finished (the JS loop threw, or the caller dropped it) gives
// back the token lease it may hold, so the other operations do not wait for its expiry.
impl Drop for WasmOperation {
    fn drop(&mut self) {
        if let Ok(mut session) = self.session.try_borrow_mut() {
            self.operation.release(&mut session);
        }
    }
}

/// A step as one line-separated string, decoded by `parseStep` in ts/driver.ts:
///
/// - `send\n{purpose}\n{timeoutMs}\n{method}\n{url}\n{header count}\n{name}\n{value}…\n{body}`
/// - `sleep\n{ms}`, `awaitToken\n{ms}`
/// - `ok\n{status}\n{attempts}\n{replayed 0|1}\n{pending 0|1}\n{=requestId or empty}\n{=key or empty}\n{reply JSON}`
///   (amounts as decimal strings)
/// - `error\n{the bridge's error JSON}`
///
/// Header names and values hold no newline (HTTP forbids it and undici refuses one), and the
/// body and the JSON come last, so whatever they hold is read back whole. One string is one
/// decode in JS instead of one per header, field and value.
/// `operation` decides what an internal failure to frame a step means for the money: a request
/// that cannot be framed was not sent, but an earlier attempt may have been applied (the
/// operation's own "unknown if abandoned"); a reply that cannot be written came from a call
/// that succeeded, so its outcome is unknown to the caller. Both carry the idempotency key.
fn step_text(step: Step, operation: &Operation) -> String {
    fn line(out: &mut String, text: &str) {
        out.push('\n');
        out.push_str(text);
    }
    fn number(out: &mut String, n: u64) {
        // itoa, not `write!`: four numbers per step, and `core::fmt` showed in the wasm
        // profile of every payout.
        out.push('\n');
        out.push_str(itoa::Buffer::new().format(n));
    }
    fn optional(out: &mut String, value: Option<&str>) {
        out.push('\n');
        if let Some(value) = value {
            out.push('=');
            out.push_str(value);
        }
    }
    fn error(error: &Error) -> String {
        let mut out = String::from("error\n");
        out.push_str(&bridge::error_to_json(error, Codec::JS));
        out
    }
    fn internal(message: &str, unknown: bool, key: Option<&str>) -> String {
        let mut failure =
            Error::new(ErrorKind::Decode, message).with_idempotency_key(key.map(str::to_owned));
        failure.outcome_unknown = unknown;
        error(&failure)
    }
    let in_flight_unknown = operation.outcome_unknown_if_abandoned();
    let key = operation.idempotency_key();
    match step {
        Step::Send(request) => {
            let Ok(body) = String::from_utf8(request.body) else {
                // The core writes every body with serde_json: UTF-8 by construction.
                return internal(
                    "internal SDK error: the request body is not UTF-8",
                    in_flight_unknown,
                    key,
                );
            };
            // The core refuses line breaks in every header input (credentials, tokens, keys);
            // should one slip through, refuse to send rather than frame the step wrongly.
            if request
                .headers
                .iter()
                .any(|(n, v)| n.contains(['\n', '\r']) || v.contains(['\n', '\r']))
            {
                return internal(
                    "internal SDK error: a request header holds a line break",
                    in_flight_unknown,
                    key,
                );
            }
            let headers: usize = request
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 2)
                .sum();
            let mut out = String::with_capacity(40 + request.url.len() + headers + body.len());
            out.push_str("send");
            line(&mut out, purpose_name(request.purpose));
            number(&mut out, request.timeout_ms);
            line(&mut out, request.method.as_str());
            line(&mut out, &request.url);
            number(&mut out, request.headers.len() as u64);
            for (name, value) in &request.headers {
                line(&mut out, name);
                line(&mut out, value);
            }
            line(&mut out, &body);
            out
        }
        Step::Sleep { ms } => {
            let mut out = String::from("sleep");
            number(&mut out, ms);
            out
        }
        Step::AwaitToken { max_wait_ms } => {
            let mut out = String::from("awaitToken");
            number(&mut out, max_wait_ms);
            out
        }
        Step::Done(Ok(outcome)) => {
            let Ok(data) = with_amounts_as_strings(|| serde_json::to_string(&outcome.reply)) else {
                return internal(
                    "internal SDK error: the reply could not be serialised",
                    true,
                    outcome.idempotency_key.as_deref().or(key),
                );
            };
            let mut out = String::with_capacity(96 + data.len());
            out.push_str("ok");
            number(&mut out, u64::from(outcome.status));
            number(&mut out, u64::from(outcome.attempts));
            line(&mut out, if outcome.replayed { "1" } else { "0" });
            line(&mut out, if outcome.reply.is_pending() { "1" } else { "0" });
            optional(&mut out, outcome.request_id.as_deref());
            optional(&mut out, outcome.idempotency_key.as_deref());
            line(&mut out, &data);
            out
        }
        Step::Done(Err(e)) => error(&e),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Attempt<'a> {
    purpose: &'static str,
    attempt: u32,
    method: &'static str,
    path_template: &'static str,
    idempotency_key: Option<&'a str>,
    status: Option<u16>,
    request_id: Option<&'a str>,
    failure: Option<&'static str>,
    elapsed_ms: u64,
    in_flight: bool,
    will_retry: bool,
    outcome_unknown: bool,
}

/// An attempt report as a plain object (serde-wasm-bindgen), or null.
fn attempt_value(report: Option<&AttemptReport>) -> JsValue {
    let Some(report) = report else {
        return JsValue::NULL;
    };
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    Attempt {
        purpose: purpose_name(report.purpose),
        attempt: report.attempt,
        method: report.method.as_str(),
        path_template: report.path_template,
        idempotency_key: report.idempotency_key.as_deref(),
        status: report.status,
        request_id: report.request_id.as_deref(),
        failure: report.failure.map(|kind| match kind {
            FailureKind::Connect => "connect",
            FailureKind::Timeout => "timeout",
            FailureKind::Io => "io",
        }),
        elapsed_ms: report.elapsed_ms,
        in_flight: report.in_flight,
        will_retry: report.will_retry,
        outcome_unknown: report.outcome_unknown,
    }
    .serialize(&serializer)
    .unwrap_or(JsValue::NULL)
}

fn purpose_name(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Token => "token",
        Purpose::Api => "api",
    }
}

/// A per-call override from JS: a whole non-negative number (the core checks the range).
fn whole(field: &str, value: Option<f64>) -> Result<Option<u64>, JsValue> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= u64::MAX as f64 => {
            Ok(Some(v as u64))
        }
        Some(_) => Err(throw(&Error::validation(
            field,
            "must be a whole number of milliseconds (or of retries)",
        ))),
    }
}

/// Verifies a webhook body against its X-Connect-Signature and returns the event JSON.
/// `cryptoTokens`: one token, or several (the current one first) during a key rotation;
/// `toleranceMs` bounds the age of `eventAt` against `nowMs` (default `Date.now()`).
#[wasm_bindgen(js_name = webhookConstructEvent)]
pub fn webhook_construct_event(
    payload: &[u8],
    signature: &str,
    #[wasm_bindgen(unchecked_param_type = "string | string[]")] crypto_tokens: JsValue,
    tolerance_ms: Option<f64>,
    now_ms: Option<f64>,
) -> Result<String, JsValue> {
    let tokens = strings(&crypto_tokens, "cryptoTokens")?;
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    bridge::webhook_verify_event(
        payload,
        signature,
        &tokens,
        freshness(tolerance_ms, now_ms),
        Codec::JS,
    )
    .map_err(|e| throw(&e))
}

#[wasm_bindgen(js_name = pixParseBrCode)]
pub fn pix_parse_br_code(code: &str) -> Result<String, JsValue> {
    bridge::pix_parse_brcode(code, Codec::JS).map_err(|e| throw(&e))
}

#[wasm_bindgen(js_name = pixBuildBrCode)]
pub fn pix_build_br_code(params_json: &str) -> Result<String, JsValue> {
    bridge::pix_build_brcode(params_json, Codec::JS).map_err(|e| throw(&e))
}

/// The type of a PIX key as typed (masks allowed), as JSON `{type, normalized, candidates}`;
/// `type` is null when ambiguous.
#[wasm_bindgen(js_name = pixDetectKeyType)]
pub fn pix_detect_key_type(key: &str) -> Result<String, JsValue> {
    bridge::pix_detect_key_type(key).map_err(|e| throw(&e))
}

#[wasm_bindgen(js_name = pixNormalizeDocument)]
pub fn pix_normalize_document(document: &str) -> Result<String, JsValue> {
    bridge::pix_normalize_document(document).map_err(|e| throw(&e))
}

#[wasm_bindgen(js_name = pixFormatDocument)]
pub fn pix_format_document(document: &str) -> Result<String, JsValue> {
    bridge::pix_format_document(document).map_err(|e| throw(&e))
}

/// The QR image of a valid BR Code as SVG text.
#[wasm_bindgen(js_name = pixQrSvg)]
pub fn pix_qr_svg(code: &str) -> Result<String, JsValue> {
    bridge::pix_qr_svg(code).map_err(|e| throw(&e))
}

/// The PNG scanlines of a valid BR Code's QR (the core's pixels, filter byte 0 per row), for
/// `pix.qrPng` to deflate with the runtime's `CompressionStream`: the PNG encoder and its
/// deflate would cost 37 KB of the gzipped module. `side` is the image's width and height.
#[wasm_bindgen(js_name = pixQrScanlines)]
pub fn pix_qr_scanlines(code: &str, module_px: Option<u32>) -> Result<QrScanlines, JsValue> {
    bridge::pix_qr_png_scanlines(code, module_px)
        .map(|lines| QrScanlines {
            side: lines.side,
            data: lines.data,
        })
        .map_err(|e| throw(&e))
}

/// See [`pix_qr_scanlines`].
#[wasm_bindgen]
pub struct QrScanlines {
    side: u32,
    data: Vec<u8>,
}

#[wasm_bindgen]
impl QrScanlines {
    #[wasm_bindgen(getter)]
    pub fn side(&self) -> u32 {
        self.side
    }

    /// A copy of the rows (a `Uint8Array`).
    #[wasm_bindgen(getter)]
    pub fn data(&self) -> Vec<u8> {
        self.data.clone()
    }
}

#[wasm_bindgen(js_name = pixValidateKey)]
pub fn pix_validate_key(kind: &str, key: &str) -> Result<String, JsValue> {
    bridge::pix_validate_key(kind, key).map_err(|e| throw(&e))
}

#[wasm_bindgen(js_name = pixIsValidCpf)]
pub fn pix_is_valid_cpf(value: &str) -> bool {
    bridge::pix_is_valid_cpf(value)
}

#[wasm_bindgen(js_name = pixIsValidCnpj)]
pub fn pix_is_valid_cnpj(value: &str) -> bool {
    bridge::pix_is_valid_cnpj(value)
}

/// The X-Connect-Signature ConnectPSP sends with `payload` (for `connectpsp/testing`: the same
/// HMAC the verification checks, computed by the core).
#[wasm_bindgen(js_name = webhookSignature)]
pub fn webhook_signature(payload: &[u8], crypto_token: &str) -> String {
    connectpsp_core::signature::hmac_sha256_hex(crypto_token.as_bytes(), payload)
}

/// The delay before poll `poll + 1` of a settle wait (`cashOut.wait`), the core's schedule;
/// `entropy`: 16 random bytes for the jitter.
#[wasm_bindgen(js_name = settleDelayMs)]
pub fn settle_delay_ms(poll: u32, entropy: &[u8]) -> f64 {
    let mut seed = [0u8; 16];
    for (slot, byte) in seed.iter_mut().zip(entropy) {
        *slot = *byte;
    }
    let mut jitter = connectpsp_core::retry::Jitter::new(seed);
    connectpsp_core::retry::settle_delay_ms(poll, None, &mut jitter) as f64
}

/// A personal-data value as `toString` / `util.inspect` show it: the core's mask named `mask`
/// (core/src/personal.rs), refined by `hint` (the PIX key type for a key).
#[wasm_bindgen(js_name = maskPersonal)]
pub fn mask_personal(mask: &str, value: &str, hint: Option<String>) -> String {
    connectpsp_core::personal::mask(mask, value, hint.as_deref())
}

#[wasm_bindgen(js_name = idempotencyKeyFor)]
pub fn idempotency_key_for(reference: &str) -> String {
    bridge::idempotency_key_for(reference)
}

/// The core's facts (URLs, header names, defaults, caps, the re-submittable methods, …) as a
/// frozen object keyed by their UPPER_SNAKE_CASE names, so the TS layer reads them instead of
/// copying them. Call it lazily (after the entry point loaded the module) and keep the object.
#[wasm_bindgen(js_name = coreFacts)]
pub fn core_facts() -> JsValue {
    let obj = Object::new();
    for (name, fact) in facts::ALL {
        let value: JsValue = match fact {
            Fact::Text(text) => (*text).into(),
            Fact::Number(number) => (*number as f64).into(),
            Fact::List(items) => {
                let list: Array = items.iter().map(|item| JsValue::from_str(item)).collect();
                Object::freeze(&list).into()
            }
        };
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(name), &value);
    }
    Object::freeze(&obj).into()
}

#[wasm_bindgen(js_name = coreVersion)]
pub fn core_version() -> String {
    connectpsp_core::VERSION.to_owned()
}
