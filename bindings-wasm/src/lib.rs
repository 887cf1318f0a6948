//! WebAssembly exports of the ConnectPSP core for the npm package `connectpsp`.
//!
//! Two small classes over the core's driver and a few free functions over `bridge`; the JS layer
//! (bindings-wasm/ts) performs the I/O the core asks for (undici on Node, `fetch` elsewhere).
//! Everything crosses the boundary as strings, bytes and plain objects (steps and outcomes built
//! by serde-wasm-bindgen). A failing export throws the core's `error_to_json` text (a string),
//! which the JS layer turns into the matching Error subclass.
//!
//! Sharing: `Rc<RefCell<Session>>`. JS is single-threaded and every borrow below ends before the
//! export returns (the awaits are all on the JS side), so a borrow can never be held across I/O.
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::rc::Rc;

use connectpsp_core::Error;
use connectpsp_core::bridge;
use connectpsp_core::config::{Config, Naming, PRODUCTION_URL};
use connectpsp_core::http::{FailureKind, HttpResponse, Purpose, TransportFailure};
use connectpsp_core::money::with_amounts_as_strings;
use connectpsp_core::operation::{Operation, Reply, Session, Step};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The error as the JS layer expects it: the core's JSON description, thrown as a string.
fn throw(error: &Error) -> JsValue {
    JsValue::from_str(&bridge::error_to_json_with_naming(error, Naming::Camel))
}

/// The free functions (webhooks, pix) have no client; the bridge only reads the naming of the
/// config they get, so this one holds placeholders, never a real credential.
fn naming_config() -> Result<Config, JsValue> {
    let mut config =
        Config::new(PRODUCTION_URL, "js", "unused", "unused", "unused").map_err(|e| throw(&e))?;
    config.naming = Naming::Camel;
    config.float_amounts = true;
    Ok(config)
}

/// Milliseconds since the epoch from JS (`Date.now()`); NaN and negatives become 0.
fn ms(now_ms: f64) -> u64 {
    if now_ms.is_finite() && now_ms > 0.0 {
        now_ms as u64
    } else {
        0
    }
}

/// One client's shared state: the config and the token.
#[wasm_bindgen]
pub struct WasmSession {
    session: Rc<RefCell<Session>>,
    config: Rc<Config>,
}

#[wasm_bindgen]
impl WasmSession {
    /// From the options JSON of `new ConnectPSP(...)` (naming camel, float amounts).
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

    /// Verifies a webhook with this client's cryptoToken and returns the event JSON.
    #[wasm_bindgen(js_name = constructEvent)]
    pub fn construct_event(&self, payload: &[u8], signature: &str) -> Result<String, JsValue> {
        bridge::webhook_construct_event(
            payload,
            signature,
            self.config.crypto_token.expose(),
            &self.config,
        )
        .map_err(|e| throw(&e))
    }
}

/// One API call: the core's state machine, driven by the JS loop.
#[wasm_bindgen]
pub struct WasmOperation {
    operation: Operation,
    session: Rc<RefCell<Session>>,
    config: Rc<Config>,
}

#[wasm_bindgen]
impl WasmOperation {
    /// Validates the call (a bad call throws here or ends at the first poll, never sends).
    #[wasm_bindgen(constructor)]
    pub fn new(
        session: &WasmSession,
        method: &str,
        params_json: &str,
        entropy: &[u8],
        now_ms: f64,
    ) -> Result<WasmOperation, JsValue> {
        let config = Rc::clone(&session.config);
        let call = bridge::call_from_json(method, params_json, &config).map_err(|e| throw(&e))?;
        let entropy: [u8; 32] = entropy
            .try_into()
            .map_err(|_| throw(&Error::validation("entropy", "must be exactly 32 bytes")))?;
        let operation = Operation::new(call, &session.session.borrow(), entropy, ms(now_ms));
        Ok(WasmOperation {
            operation,
            session: Rc::clone(&session.session),
            config,
        })
    }

    /// The `X-Idempotency-Key` every attempt sends (none for calls that carry no key): what an
    /// abandoned call reports so its caller can re-submit.
    #[wasm_bindgen(getter, js_name = idempotencyKey)]
    pub fn idempotency_key(&self) -> Option<String> {
        self.operation.idempotency_key().map(str::to_owned)
    }

    /// The next step, built by serde-wasm-bindgen: `{type: "send", method, url, headers:
    /// [name, value, …], body, timeoutMs, purpose}`, `{type: "sleep", ms}`,
    /// `{type: "awaitToken", ms}`, `{type: "done", ok: true, data, status, requestId,
    /// idempotencyKey, attempts, replayed, raw}` (amounts as decimal strings) or
    /// `{type: "done", ok: false, json}` (the error as the bridge writes it: errors are rare, and
    /// JSON text keeps one error shape for both bindings). Measured against the whole step as
    /// text (`bench/js/scenario.mjs core`, bench/README.md): no slower, and no JSON.parse in JS.
    pub fn poll(&mut self, now_ms: f64) -> JsValue {
        let step = self
            .operation
            .poll(&mut self.session.borrow_mut(), ms(now_ms));
        // JSON-compatible (null for None, objects for maps), but bytes as a Uint8Array.
        let serializer =
            serde_wasm_bindgen::Serializer::json_compatible().serialize_bytes_as_arrays(false);
        let value = match step {
            Step::Send(request) => SendStep {
                r#type: "send",
                method: request.method.as_str(),
                url: &request.url,
                headers: request
                    .headers
                    .iter()
                    .flat_map(|(name, value)| [name.as_str(), value.as_str()])
                    .collect(),
                body: &request.body,
                timeout_ms: request.timeout_ms,
                purpose: match request.purpose {
                    Purpose::Token => "token",
                    Purpose::Api => "api",
                },
            }
            .serialize(&serializer),
            Step::Sleep { ms } => Wait {
                r#type: "sleep",
                ms,
            }
            .serialize(&serializer),
            Step::AwaitToken { max_wait_ms } => Wait {
                r#type: "awaitToken",
                ms: max_wait_ms,
            }
            .serialize(&serializer),
            Step::Done(Ok(outcome)) => with_amounts_as_strings(|| {
                DoneOk {
                    r#type: "done",
                    ok: true,
                    data: &outcome.reply,
                    status: outcome.status,
                    request_id: outcome.request_id.as_deref(),
                    idempotency_key: outcome.idempotency_key.as_deref(),
                    attempts: outcome.attempts,
                    replayed: outcome.replayed,
                    raw: &outcome.raw,
                }
                .serialize(&serializer)
            }),
            Step::Done(Err(error)) => DoneErr {
                r#type: "done",
                ok: false,
                json: bridge::error_to_json(&error, &self.config),
            }
            .serialize(&serializer),
        };
        // Serialising plain structs of strings and numbers into JS values cannot fail; should
        // it ever, the JS loop reports an internal error instead of sending anything.
        value.unwrap_or(JsValue::NULL)
    }

    /// The answer to the last `send`: headers as one string, `name\nvalue\nname\nvalue…`
    /// (one crossing instead of one per string; HTTP header names and values hold no newline).
    #[wasm_bindgen(js_name = handleResponse)]
    pub fn handle_response(&mut self, status: u16, headers: &str, body: &[u8], now_ms: f64) {
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
    #[wasm_bindgen(js_name = handleFailure)]
    pub fn handle_failure(&mut self, kind: &str, request_sent: bool, message: &str, now_ms: f64) {
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

/// The shapes `poll` hands to JS (see `CoreStep` in ts/runtime.ts).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SendStep<'a> {
    r#type: &'static str,
    method: &'static str,
    url: &'a str,
    /// Flattened pairs: name, value, name, value…
    headers: Vec<&'a str>,
    #[serde(serialize_with = "as_uint8_array")]
    body: &'a [u8],
    timeout_ms: u64,
    purpose: &'static str,
}

#[derive(Serialize)]
struct Wait {
    r#type: &'static str,
    ms: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DoneOk<'a> {
    r#type: &'static str,
    ok: bool,
    data: &'a Reply,
    status: u16,
    request_id: Option<&'a str>,
    idempotency_key: Option<&'a str>,
    attempts: u32,
    replayed: bool,
    raw: &'a str,
}

#[derive(Serialize)]
struct DoneErr {
    r#type: &'static str,
    ok: bool,
    json: String,
}

/// serde-wasm-bindgen writes bytes as a Uint8Array (a `&[u8]` field alone would be an array
/// of numbers).
fn as_uint8_array<S: serde::Serializer>(bytes: &&[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

/// Verifies a webhook body against its X-Connect-Signature and returns the event JSON.
#[wasm_bindgen(js_name = webhookConstructEvent)]
pub fn webhook_construct_event(
    payload: &[u8],
    signature: &str,
    crypto_token: &str,
) -> Result<String, JsValue> {
    bridge::webhook_construct_event(payload, signature, crypto_token, &naming_config()?)
        .map_err(|e| throw(&e))
}

#[wasm_bindgen(js_name = pixParseBrCode)]
pub fn pix_parse_br_code(code: &str) -> Result<String, JsValue> {
    bridge::pix_parse_brcode(code, &naming_config()?).map_err(|e| throw(&e))
}

#[wasm_bindgen(js_name = pixBuildBrCode)]
pub fn pix_build_br_code(params_json: &str) -> Result<String, JsValue> {
    bridge::pix_build_brcode(params_json, &naming_config()?).map_err(|e| throw(&e))
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

#[wasm_bindgen(js_name = idempotencyKeyFor)]
pub fn idempotency_key_for(reference: &str) -> String {
    bridge::idempotency_key_for(reference)
}

#[wasm_bindgen(js_name = coreVersion)]
pub fn core_version() -> String {
    connectpsp_core::VERSION.to_owned()
}
