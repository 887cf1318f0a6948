//! Calls in: the client options and each call's params, from the binding's JSON into typed,
//! validated values.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::Codec;
use super::naming::{error_in_naming, keys_in};
use crate::call::{CallKind, POSSIBLY_APPLIED, PreparedCall, RESUBMIT_METHODS};
use crate::config::{Config, Naming, PRODUCTION_URL, STAGING_URL, Secret};
use crate::error::Error;
use crate::model::parse_request;
use crate::operation::Call;

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
    /// Webhook key rotation: the tokens `client.webhooks` verifies with, the new one first.
    webhook_crypto_tokens: Option<Vec<String>>,
    webhook_tolerance_ms: Option<u64>,
}

/// Builds a [`Config`] from the binding's options JSON. Errors name the field in the naming
/// the JSON asked for (`naming`: `"camel"` or `"snake"`, camel when absent). `naming` and
/// `floatAmounts` are still accepted (and checked) for compatibility, but are not part of the
/// config: each binding's [`Codec`] is a constant.
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
    if let Some(tokens) = input.webhook_crypto_tokens {
        if tokens.is_empty() {
            return Err(Error::validation(
                "webhookCryptoTokens",
                "must hold at least one token (leave it out to verify with cryptoToken)",
            ));
        }
        config.webhook_crypto_tokens = tokens.into_iter().map(Secret::new).collect();
    }
    config.webhook_tolerance_ms = input.webhook_tolerance_ms;
    if let Some(binding) = input.binding {
        config.binding = binding;
    }
    if let Some(version) = input.binding_version {
        config.binding_version = version;
    }
    if input.naming.is_some_and(|n| n != "camel" && n != "snake") {
        return Err(Error::validation(
            "naming",
            "must be \"camel\" or \"snake\"",
        ));
    }
    // The binding's codec decides, not the options.
    let _ = (naming, input.float_amounts);
    config.validate()?;
    Ok(config)
}

/// The call `method` names, from its params JSON, parsed into the typed request once,
/// validated once and serialised once: [`crate::Operation::new`] takes it as it is.
///
/// Params are the body fields plus `id` (get/refund), `idempotencyKey` (optional) and
/// `possiblyApplied` (optional, with the key: a binding's `resubmit(error)` sets it, see
/// [`PreparedCall::possibly_applied`]), keys in the codec's naming;
/// errors name fields in that naming. An error of a re-submission that may have been applied
/// is outcome unknown too, with the key given.
pub fn prepare_call(method: &str, params_json: &str, codec: Codec) -> Result<PreparedCall, Error> {
    let mut possibly_applied = None;
    prepare(method, params_json, codec, &mut possibly_applied).map_err(|mut e| {
        if let Some(key) = possibly_applied {
            e.outcome_unknown = true;
            e.idempotency_key = key;
        }
        error_in_naming(e, codec.naming)
    })
}

/// `possibly_applied` is set (to the key given) once the params say so, for the error path.
fn prepare(
    method: &str,
    params_json: &str,
    codec: Codec,
    possibly_applied: &mut Option<Option<String>>,
) -> Result<PreparedCall, Error> {
    let mut params = params_of(params_json, codec)?;
    let flagged = match params.remove(POSSIBLY_APPLIED) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(Error::validation(POSSIBLY_APPLIED, "must be a boolean")),
    };
    // Only a keyed call can have moved money unseen (a GET's outcome is never unknown).
    let keyed = CallKind::from_name(method).is_some_and(|kind| kind.spec().keyed);
    if flagged && keyed {
        *possibly_applied = Some(
            params
                .get("idempotencyKey")
                .and_then(Value::as_str)
                .map(str::to_owned),
        );
    }
    let prepared = build_call(method, params, codec).and_then(PreparedCall::new)?;
    if flagged {
        prepared.possibly_applied()
    } else {
        Ok(prepared)
    }
}

/// A typed, validated [`Call`] from a method name and its params JSON (the call of
/// [`prepare_call`], without its prepared body).
pub fn call_from_json(method: &str, params_json: &str, codec: Codec) -> Result<Call, Error> {
    prepare_call(method, params_json, codec).map(PreparedCall::into_call)
}

/// The params JSON as an object with the core's (camelCase) keys.
fn params_of(params_json: &str, codec: Codec) -> Result<Map<String, Value>, Error> {
    let params = if params_json.trim().is_empty() {
        Value::Object(Map::new())
    } else {
        serde_json::from_str(params_json)
            .map_err(|_| Error::validation("params", "is not valid JSON"))?
    };
    match keys_in(params, codec.naming) {
        Value::Object(members) => Ok(members),
        Value::Null => Ok(Map::new()),
        _ => Err(Error::validation("params", "must be a JSON object")),
    }
}

fn build_call(method: &str, params: Map<String, Value>, codec: Codec) -> Result<Call, Error> {
    let mut params = params;
    let id = take_string(&mut params, "id")?;
    let idempotency_key = take_string(&mut params, "idempotencyKey")?;
    let spec = CallKind::from_name(method).map(CallKind::spec);
    if id.is_some() && spec.is_some_and(|spec| !spec.takes_id) {
        return Err(Error::validation("id", "is not a parameter of this method"));
    }
    check_amount_number(&params, "amount", codec)?;
    check_amount_number(&params, "targetAmount", codec)?;
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
pub(super) fn check_amount_number(
    params: &Map<String, Value>,
    key: &str,
    codec: Codec,
) -> Result<(), Error> {
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
