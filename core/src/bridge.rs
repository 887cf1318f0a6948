//! The JSON boundary both bindings use: strings in, strings out, no object graphs across
//! the FFI (docs/architecture.md §3).
//!
//! Keys follow `Config::naming` (camelCase for JS, snake_case for Python) in params, results
//! and error field paths; amounts leave as decimal strings (`"150.50"`) and enter as strings
//! or JSON numbers under the `float_amounts` rule.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::call::{CallKind, RESUBMIT_METHODS};
use crate::config::{Config, Naming, PRODUCTION_URL, STAGING_URL};
use crate::error::{Error, ErrorKind};
use crate::idempotency::IdempotencyKey;
use crate::model::parse_request;
use crate::money::with_amounts_as_strings;
use crate::operation::{Call, Outcome};
use crate::pix;
use crate::webhook;

pub mod naming;

use naming::{error_in_naming, key_out, keys_in, keys_out};

/// How one binding writes values at the boundary: key naming (camelCase for JS, snake_case for
/// Python) and whether a JSON-number amount may have decimals (JS numbers: yes, when its text
/// has at most two; Python: no, a float is not exact). The functions that need no client take
/// this instead of a [`Config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Codec {
    pub naming: Naming,
    pub float_amounts: bool,
}

impl Codec {
    /// The Python package's: snake_case, no float amounts.
    pub const PYTHON: Codec = Codec {
        naming: Naming::Snake,
        float_amounts: false,
    };
    /// The npm package's: camelCase, JS numbers accepted as amounts when exact to the centavo.
    pub const JS: Codec = Codec {
        naming: Naming::Camel,
        float_amounts: true,
    };

    /// The codec a client's config asked for.
    pub fn of(config: &Config) -> Codec {
        Codec {
            naming: config.naming,
            float_amounts: config.float_amounts,
        }
    }
}

/// Every method `call_from_json` knows (the call table's names).
pub use crate::call::METHODS;

/// Binding-facing options, camelCase or snake_case keys.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigInput {
    base_url: Option<String>,
    /// `production` or `staging` when no baseUrl is given.
    environment: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    application_token: Option<String>,
    crypto_token: Option<String>,
    timeout_ms: Option<u64>,
    max_retries: Option<u32>,
    deadline_ms: Option<u64>,
    binding: Option<String>,
    binding_version: Option<String>,
    naming: Option<String>,
    float_amounts: Option<bool>,
    dangerously_allow_insecure_http: Option<bool>,
}

/// Builds a [`Config`] from the binding's options JSON. Errors name the field in the naming
/// the JSON asked for (`naming`: `"camel"` or `"snake"`).
pub fn config_from_json(json: &str) -> Result<Config, Error> {
    let value: Value = serde_json::from_str(json)
        .map_err(|_| Error::validation("config", "is not a JSON object"))?;
    let naming = match value.get("naming").and_then(Value::as_str) {
        Some("snake") => Naming::Snake,
        _ => Naming::Camel,
    };
    config_from_value(value, naming).map_err(|e| error_in_naming(e, naming))
}

fn config_from_value(value: Value, naming: Naming) -> Result<Config, Error> {
    if !value.is_object() {
        return Err(Error::validation("config", "must be a JSON object"));
    }
    let input: ConfigInput = serde_path_to_error::deserialize(keys_in(value, Naming::Snake))
        .map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            // serde names an unknown field in its message, not its path.
            match inner.strip_prefix("unknown field `") {
                Some(rest) => {
                    let field = rest.split('`').next().unwrap_or_default();
                    Error::validation(field, "unknown option")
                }
                None => Error::validation(path, "has the wrong type"),
            }
        })?;
    let required = |field: &str, v: Option<String>| {
        v.filter(|s| !s.is_empty())
            .ok_or_else(|| Error::validation(field, "is required"))
    };
    let base_url = match (input.base_url, input.environment.as_deref()) {
        (Some(url), _) => url,
        (None, Some("production")) => PRODUCTION_URL.to_owned(),
        (None, Some("staging")) => STAGING_URL.to_owned(),
        (None, Some(_)) => {
            return Err(Error::validation(
                "environment",
                "must be \"production\" or \"staging\" (or give baseUrl)",
            ));
        }
        // Staging unless production is named: an SDK must never move real money by default.
        (None, None) => STAGING_URL.to_owned(),
    };
    let mut config = Config::new(
        PRODUCTION_URL,
        &required("clientId", input.client_id)?,
        &required("clientSecret", input.client_secret)?,
        &required("applicationToken", input.application_token)?,
        &required("cryptoToken", input.crypto_token)?,
    )?;
    config.dangerously_allow_insecure_http = input.dangerously_allow_insecure_http.unwrap_or(false);
    config.set_base_url(&base_url)?;
    if let Some(ms) = input.timeout_ms {
        config.timeout_ms = ms;
    }
    if let Some(n) = input.max_retries {
        config.max_retries = n;
    }
    config.deadline_ms = input.deadline_ms;
    if let Some(binding) = input.binding {
        config.binding = binding;
    }
    if let Some(version) = input.binding_version {
        config.binding_version = version;
    }
    config.naming = naming;
    if input.naming.is_some_and(|n| n != "camel" && n != "snake") {
        return Err(Error::validation(
            "naming",
            "must be \"camel\" or \"snake\"",
        ));
    }
    config.float_amounts = input.float_amounts.unwrap_or(false);
    config.validate()?;
    Ok(config)
}

/// A typed, validated [`Call`] from a method name and its params JSON.
///
/// Params are the body fields plus `id` (get/refund) and `idempotencyKey` (optional).
pub fn call_from_json(method: &str, params_json: &str, config: &Config) -> Result<Call, Error> {
    build_call(method, params_json, config).map_err(|e| error_in_naming(e, config.naming))
}

fn build_call(method: &str, params_json: &str, config: &Config) -> Result<Call, Error> {
    let params = if params_json.trim().is_empty() {
        Value::Object(Map::new())
    } else {
        serde_json::from_str(params_json)
            .map_err(|_| Error::validation("params", "is not valid JSON"))?
    };
    let params = match keys_in(params, config.naming) {
        Value::Object(members) => members,
        Value::Null => Map::new(),
        _ => return Err(Error::validation("params", "must be a JSON object")),
    };
    let mut params = params;
    let id = take_string(&mut params, "id")?;
    let idempotency_key = take_string(&mut params, "idempotencyKey")?;
    let spec = CallKind::from_name(method).map(CallKind::spec);
    if id.is_some() && spec.is_some_and(|spec| !spec.takes_id) {
        return Err(Error::validation("id", "is not a parameter of this method"));
    }
    check_amount_number(&params, "amount", Codec::of(config))?;
    check_amount_number(&params, "targetAmount", Codec::of(config))?;
    let body = Value::Object(params);
    let id_required = || {
        id.clone()
            .ok_or_else(|| Error::validation("id", "is required"))
    };
    let no_key = |call: Call| {
        if idempotency_key.is_some() {
            Err(Error::validation(
                "idempotencyKey",
                format!(
                    "is only used by {}",
                    crate::model::one_of(&RESUBMIT_METHODS)
                ),
            ))
        } else {
            Ok(call)
        }
    };
    let no_body = |body: &Value| match body.as_object().and_then(|m| m.keys().next()) {
        Some(field) => Err(Error::validation(field.clone(), "unknown field")),
        None => Ok(()),
    };
    let call = match method {
        "cashIn.create" => Call::CreateCashIn {
            request: parse_request(body)?,
            idempotency_key,
        },
        "cashIn.get" => {
            no_body(&body)?;
            no_key(Call::GetCashIn { id: id_required()? })?
        }
        "cashIn.refund" => Call::RefundCashIn {
            id: id_required()?,
            request: parse_request(body)?,
            idempotency_key,
        },
        "cashOut.create" => Call::CreateCashOut {
            request: parse_request(body)?,
            idempotency_key,
        },
        "cashOut.get" => {
            no_body(&body)?;
            no_key(Call::GetCashOut { id: id_required()? })?
        }
        "account.balance" => {
            no_body(&body)?;
            no_key(Call::GetBalance)?
        }
        "account.rebalance" => no_key(Call::Rebalance {
            request: parse_request(body)?,
        })?,
        _ => {
            return Err(Error::validation(
                "method",
                format!("unknown method; expected one of {}", METHODS.join(", ")),
            ));
        }
    };
    call.validate()?;
    Ok(call)
}

fn take_string(params: &mut Map<String, Value>, key: &str) -> Result<Option<String>, Error> {
    match params.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::validation(key, "must be a string")),
    }
}

/// The float_amounts rule: Python sends exact values (int, or Decimal/str as a string), so a
/// JSON number with a fraction or exponent came from a float and is refused; JS numbers are
/// accepted when their text has at most two decimals (checked by `Amount`).
fn check_amount_number(params: &Map<String, Value>, key: &str, codec: Codec) -> Result<(), Error> {
    if let Some(Value::Number(n)) = params.get(key) {
        let text = n.to_string();
        if !codec.float_amounts && text.contains(['.', 'e', 'E']) {
            return Err(Error::validation(
                key,
                "a float is not exact: use Decimal or str (\"150.50\") or an int",
            ));
        }
    }
    Ok(())
}

/// `{"data": …, "idempotencyKey", "status", "requestId", "attempts", "replayed", "raw"}` with
/// amounts as decimal strings and keys in the caller's naming.
pub fn outcome_to_json(outcome: &Outcome, config: &Config) -> String {
    let naming = config.naming;
    let data =
        with_amounts_as_strings(|| serde_json::to_value(&outcome.reply)).unwrap_or(Value::Null);
    let mut out = Map::new();
    out.insert("data".into(), keys_out(data, naming));
    out.insert(
        key_out("idempotencyKey", naming),
        outcome
            .idempotency_key
            .clone()
            .map_or(Value::Null, Value::String),
    );
    out.insert("status".into(), Value::from(outcome.status));
    out.insert(
        key_out("requestId", naming),
        outcome
            .request_id
            .clone()
            .map_or(Value::Null, Value::String),
    );
    out.insert("attempts".into(), Value::from(outcome.attempts));
    out.insert("replayed".into(), Value::Bool(outcome.replayed));
    out.insert("raw".into(), Value::String(outcome.raw.clone()));
    Value::Object(out).to_string()
}

/// The error as the bindings raise it: class name, kind, message and every attribute.
pub fn error_to_json(error: &Error, config: &Config) -> String {
    error_to_json_with_naming(error, config.naming)
}

/// [`error_to_json`] when no [`Config`] exists yet (a bad config itself).
pub fn error_to_json_with_naming(error: &Error, naming: Naming) -> String {
    let error = error_in_naming(error.clone(), naming);
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    let mut out = Map::new();
    out.insert("class".into(), Value::from(error.class_name()));
    out.insert("kind".into(), Value::from(error.kind.code()));
    out.insert("message".into(), Value::String(error.to_string()));
    out.insert(
        "status".into(),
        error.status.map_or(Value::Null, Value::from),
    );
    out.insert("code".into(), text(&error.code));
    out.insert("title".into(), text(&error.title));
    out.insert("detail".into(), text(&error.detail));
    out.insert("field".into(), text(&error.field));
    out.insert(
        key_out("idempotencyKey", naming),
        text(&error.idempotency_key),
    );
    out.insert(
        key_out("outcomeUnknown", naming),
        Value::Bool(error.outcome_unknown),
    );
    out.insert(
        key_out("retryAfterMs", naming),
        error.retry_after_ms.map_or(Value::Null, Value::from),
    );
    out.insert(key_out("requestId", naming), text(&error.request_id));
    out.insert("attempts".into(), Value::from(error.attempts));
    Value::Object(out).to_string()
}

/// Verifies and parses a webhook: `{"eventType", "eventAt", "data", "dedupeKey"}` with
/// amounts as strings (unknown event types keep their raw `data`).
pub fn webhook_construct_event(
    payload: &[u8],
    signature: &str,
    crypto_token: &str,
    config: &Config,
) -> Result<String, Error> {
    webhook_verify_event(payload, signature, &[crypto_token], None, Codec::of(config))
}

/// [`webhook_construct_event`] with key rotation and freshness: `crypto_tokens` holds the
/// current token first, then the ones being retired (any may have signed); `freshness`, when
/// given, refuses an `eventAt` further than its tolerance from its `now_ms`.
pub fn webhook_verify_event(
    payload: &[u8],
    signature: &str,
    crypto_tokens: &[&str],
    freshness: Option<webhook::Freshness>,
    codec: Codec,
) -> Result<String, Error> {
    let verify = || {
        webhook::Verifier::new(crypto_tokens)
            .with_freshness(freshness)
            .construct_event(payload, signature)
    };
    let event = verify().map_err(|e| error_in_naming(e, codec.naming))?;
    let naming = codec.naming;
    let value = with_amounts_as_strings(|| serde_json::to_value(&event))
        .map_err(|_| Error::new(ErrorKind::Decode, "webhook event could not be re-encoded"))?;
    let mut out = match keys_out(value, naming) {
        Value::Object(members) => members,
        _ => Map::new(),
    };
    out.insert(
        key_out("dedupeKey", naming),
        Value::String(webhook::dedupe_key(&event)),
    );
    Ok(Value::Object(out).to_string())
}

/// The deterministic idempotency key of a business reference (UUID v5).
pub fn idempotency_key_for(reference: &str) -> String {
    IdempotencyKey::for_reference(reference).as_str().to_owned()
}

/// Decodes a BR Code ("copia e cola") into JSON, amounts as strings.
pub fn pix_parse_brcode(payload: &str, codec: Codec) -> Result<String, Error> {
    let code = pix::brcode::decode(payload).map_err(|e| e.to_error())?;
    let value = with_amounts_as_strings(|| serde_json::to_value(&code))
        .map_err(|_| Error::new(ErrorKind::Decode, "BR Code could not be encoded"))?;
    Ok(keys_out(value, codec.naming).to_string())
}

/// Builds a static BR Code from `{"key" | "url", "merchantName", "merchantCity", "amount"?,
/// "txid"?, "description"?}`; returns the payload text.
pub fn pix_build_brcode(params_json: &str, codec: Codec) -> Result<String, Error> {
    let build = || {
        let value: Value = serde_json::from_str(params_json)
            .map_err(|_| Error::validation("params", "is not valid JSON"))?;
        let mut value = keys_in(value, codec.naming);
        if let Value::Object(members) = &mut value {
            check_amount_number(members, "amount", codec)?;
            // Passed on as its exact text: the flattened struct would buffer the number.
            if let Some(Value::Number(n)) = members.get("amount") {
                let text = n.to_string();
                members.insert("amount".into(), Value::String(text));
            }
        }
        let code: pix::brcode::StaticBrCode = crate::model::deserialize_at_path(&value)
            .map_err(|(field, message)| Error::validation(field, message))?;
        pix::brcode::encode(&code)
    };
    build().map_err(|e| error_in_naming(e, codec.naming))
}

/// The normalised PIX key of type `key_type` (`CPF`, `CNPJ`, `EMAIL`, `PHONE`, `EVP`).
pub fn pix_validate_key(key_type: &str, key: &str) -> Result<String, Error> {
    pix::key::normalize(&pix::key::PixKeyType::from_wire(key_type), key)
}

pub fn pix_is_valid_cpf(cpf: &str) -> bool {
    pix::cpf::is_valid(cpf)
}

pub fn pix_is_valid_cnpj(cnpj: &str) -> bool {
    pix::cnpj::is_valid(cnpj)
}

/// The type of a PIX key as a user typed it (masks allowed):
/// `{"type": "CPF" | … | null, "normalized": "…" | null, "candidates": [{"type", "normalized"}]}`.
/// `type` and `normalized` are null when the reading is ambiguous (an unmasked 11-digit number
/// that is both a valid CPF and a mobile number); `candidates` always lists every valid reading.
/// The keys are one word: the same in both namings.
pub fn pix_detect_key_type(key: &str) -> Result<String, Error> {
    let detection = pix::detect::detect_key_type(key)?;
    let candidate = |c: &pix::detect::Candidate| serde_json::json!({"type": c.kind.as_str(), "normalized": c.normalized});
    let (kind, normalized) = match &detection {
        pix::detect::Detection::Unique(c) => (
            Value::from(c.kind.as_str()),
            Value::from(c.normalized.as_str()),
        ),
        pix::detect::Detection::Ambiguous(_) => (Value::Null, Value::Null),
    };
    let candidates: Vec<Value> = detection.candidates().iter().map(candidate).collect();
    Ok(
        serde_json::json!({"type": kind, "normalized": normalized, "candidates": candidates})
            .to_string(),
    )
}

/// A CPF/CNPJ without its mask (`123.456.789-09` → `12345678909`), letters uppercased, checked.
pub fn pix_normalize_document(document: &str) -> Result<String, Error> {
    pix::format::normalize_document(document)
}

/// A valid CPF/CNPJ with its usual mask (`123.456.789-09`, `12.ABC.345/01DE-35`).
pub fn pix_format_document(document: &str) -> Result<String, Error> {
    pix::format::format_document(document)
}

/// The QR image of a valid BR Code, as SVG text.
pub fn pix_qr_svg(code: &str) -> Result<String, Error> {
    pix::qr::qr_svg(code)
}

/// The QR image of a valid BR Code, as PNG bytes; `module_px` pixels per module (default 8).
pub fn pix_qr_png(code: &str, module_px: Option<u32>) -> Result<Vec<u8>, Error> {
    pix::qr::qr_png(code, module_px.unwrap_or(pix::qr::DEFAULT_MODULE_PX))
}
