//! Offline helpers that need no client: webhook verification with an explicit crypto token,
//! the deterministic idempotency key and the PIX toolkit. All through the core's bridge.

use connectpsp_core::bridge;
use connectpsp_core::config::{Config, Naming};
use connectpsp_core::pix::{self, key::PixKeyType};
use pyo3::prelude::*;

use crate::errors::to_pyerr;

/// The binding's naming and amount rules, for bridge calls made without a client. The bridge
/// reads only `naming` and `float_amounts` from it; the placeholders satisfy `Config::new`.
fn toolkit_config(py: Python<'_>) -> PyResult<Config> {
    let mut config =
        Config::new("http://127.0.0.1", "-", "-", "-", "-").map_err(|e| raise(py, &e))?;
    config.naming = Naming::Snake;
    config.float_amounts = false;
    Ok(config)
}

/// The exception for an error of the toolkit (field paths in snake_case).
fn raise(py: Python<'_>, error: &connectpsp_core::Error) -> PyErr {
    to_pyerr(
        py,
        &bridge::error_to_json_with_naming(error, Naming::Snake),
        &[],
    )
}

/// Verifies `X-Connect-Signature` over the raw body and returns the event as JSON.
#[pyfunction]
pub fn webhook_construct_event(
    py: Python<'_>,
    payload: &[u8],
    signature: &str,
    crypto_token: &str,
) -> PyResult<String> {
    let config = toolkit_config(py)?;
    bridge::webhook_construct_event(payload, signature, crypto_token, &config)
        .map_err(|e| raise(py, &e))
}

/// UUID v5 of `reference` under the SDK's namespace (docs/api-decisions.md).
#[pyfunction]
pub fn idempotency_key_for(reference: &str) -> String {
    bridge::idempotency_key_for(reference)
}

/// Decodes a BR Code; JSON with snake_case keys and the amount as a decimal string.
#[pyfunction]
pub fn pix_parse_brcode(py: Python<'_>, payload: &str) -> PyResult<String> {
    let config = toolkit_config(py)?;
    bridge::pix_parse_brcode(payload, &config).map_err(|e| raise(py, &e))
}

/// Encodes a static BR Code from snake_case params JSON.
#[pyfunction]
pub fn pix_build_brcode(py: Python<'_>, params_json: &str) -> PyResult<String> {
    let config = toolkit_config(py)?;
    bridge::pix_build_brcode(params_json, &config).map_err(|e| raise(py, &e))
}

/// The normalised form of a PIX key, or a `ValidationError`.
#[pyfunction]
pub fn pix_validate_key(py: Python<'_>, kind: &str, key: &str) -> PyResult<String> {
    bridge::pix_validate_key(kind, key).map_err(|e| raise(py, &e))
}

#[pyfunction]
pub fn pix_is_valid_cpf(document: &str) -> bool {
    bridge::pix_is_valid_cpf(document)
}

#[pyfunction]
pub fn pix_is_valid_cnpj(document: &str) -> bool {
    bridge::pix_is_valid_cnpj(document)
}

/// `123.***.***-09`: the core's masking of a CPF/CNPJ, for reprs.
#[pyfunction]
pub fn mask_document(document: &str) -> String {
    pix::document::mask(document)
}

/// Masks a PIX key of `kind` (inferred from the key when `None` or unknown).
#[pyfunction]
#[pyo3(signature = (kind, key))]
pub fn mask_pix_key(kind: Option<&str>, key: &str) -> String {
    let kind = kind
        .map(PixKeyType::from_wire)
        .filter(|k| !matches!(k, PixKeyType::Unknown(_)))
        .or_else(|| pix::key::infer_type(key));
    match kind {
        Some(kind) => pix::key::mask(&kind, key),
        None => pix::document::mask(key),
    }
}

/// A personal-data value as reprs show it: the core's mask named `mask` (core/src/personal.rs),
/// refined by `hint` (the PIX key type for a key).
#[pyfunction]
#[pyo3(signature = (mask, value, hint=None))]
pub fn mask_personal(mask: &str, value: &str, hint: Option<&str>) -> String {
    connectpsp_core::personal::mask(mask, value, hint)
}
