//! Offline helpers that need no client: webhook verification with an explicit crypto token,
//! the deterministic idempotency key and the PIX toolkit. All through the core's bridge, with
//! the Python codec (snake_case, no float amounts): no client config is needed.

use connectpsp_core::bridge::{self, Codec};
use connectpsp_core::pix::{self, key::PixKeyType};
use connectpsp_core::webhook::{Freshness, Verifier};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::to_pyerr;
use crate::results;

/// The exception for an error of the toolkit (field paths in snake_case).
fn raise(py: Python<'_>, error: &connectpsp_core::Error) -> PyErr {
    to_pyerr(py, error, &[])
}

/// One crypto token, or a list of them (the current one first) during a key rotation.
#[derive(FromPyObject)]
pub enum CryptoTokens {
    One(String),
    Many(Vec<String>),
}

impl CryptoTokens {
    pub fn as_strs(&self) -> Vec<&str> {
        match self {
            CryptoTokens::One(token) => vec![token.as_str()],
            CryptoTokens::Many(tokens) => tokens.iter().map(String::as_str).collect(),
        }
    }
}

/// Verifies `X-Connect-Signature` over the raw body and returns the event as the dict
/// `WebhookEvent._from_json` reads.
///
/// `crypto_token`: a str, or a list of str (the new token first) while ConnectPSP switches
/// keys. `tolerance_ms`: refuse an `eventAt` further than this from `now_ms` (the system clock
/// when not given); no freshness check when `None`.
#[pyfunction]
#[pyo3(signature = (payload, signature, crypto_token, tolerance_ms=None, now_ms=None))]
pub fn webhook_construct_event<'py>(
    py: Python<'py>,
    payload: &[u8],
    signature: &str,
    crypto_token: CryptoTokens,
    tolerance_ms: Option<u64>,
    now_ms: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    let tokens = crypto_token.as_strs();
    let freshness = tolerance_ms.map(|tolerance_ms| Freshness {
        now_ms: now_ms.unwrap_or_else(crate::driver::wall_clock_ms),
        tolerance_ms,
    });
    let event = Verifier::new(&tokens)
        .with_freshness(freshness)
        .construct_event(payload, signature)
        .map_err(|e| raise(py, &e))?;
    results::event_to_py(py, &event)
}

/// UUID v5 of `reference` under the SDK's namespace (docs/api-decisions.md).
#[pyfunction]
pub fn idempotency_key_for(reference: &str) -> String {
    bridge::idempotency_key_for(reference)
}

/// Decodes a BR Code into the dict `pix.BrCode._from_data` reads: snake_case keys, the amount
/// as a decimal string (the models make it a `Decimal`), built from the core's typed value.
#[pyfunction]
pub fn pix_parse_brcode<'py>(py: Python<'py>, payload: &str) -> PyResult<Bound<'py, PyAny>> {
    let code = pix::brcode::decode(payload).map_err(|e| raise(py, &e.to_error()))?;
    results::data(py, &code)
}

/// Encodes a static BR Code from snake_case params JSON.
#[pyfunction]
pub fn pix_build_brcode(py: Python<'_>, params_json: &str) -> PyResult<String> {
    bridge::pix_build_brcode(params_json, Codec::PYTHON).map_err(|e| raise(py, &e))
}

/// The normalised form of a PIX key, or a `ValidationError`.
#[pyfunction]
pub fn pix_validate_key(py: Python<'_>, kind: &str, key: &str) -> PyResult<String> {
    bridge::pix_validate_key(kind, key).map_err(|e| raise(py, &e))
}

/// A PIX key's type as typed (masks allowed): `(type, normalized, [(type, normalized), …])`,
/// every valid reading in the list; `type` and `normalized` are `None` when it is ambiguous.
#[pyfunction]
pub fn pix_detect_key_type(py: Python<'_>, key: &str) -> PyResult<KeyDetection> {
    let detection = pix::detect::detect_key_type(key).map_err(|e| raise(py, &e))?;
    let unique = match &detection {
        pix::detect::Detection::Unique(c) => Some(c),
        pix::detect::Detection::Ambiguous(_) => None,
    };
    let reading = |c: &pix::detect::Candidate| (c.kind.as_str().to_owned(), c.normalized.clone());
    Ok((
        unique.map(|c| c.kind.as_str().to_owned()),
        unique.map(|c| c.normalized.clone()),
        detection.candidates().iter().map(reading).collect(),
    ))
}

/// What [`pix_detect_key_type`] returns: a tuple, so Python gets it without any JSON.
type KeyDetection = (Option<String>, Option<String>, Vec<(String, String)>);

/// `123.456.789-09` → `12345678909` (checked; `ValidationError` on `document`).
#[pyfunction]
pub fn pix_normalize_document(py: Python<'_>, document: &str) -> PyResult<String> {
    bridge::pix_normalize_document(document).map_err(|e| raise(py, &e))
}

/// `12345678909` → `123.456.789-09` (checked).
#[pyfunction]
pub fn pix_format_document(py: Python<'_>, document: &str) -> PyResult<String> {
    bridge::pix_format_document(document).map_err(|e| raise(py, &e))
}

/// The QR image of a valid BR Code as SVG text.
#[pyfunction]
pub fn pix_qr_svg(py: Python<'_>, code: &str) -> PyResult<String> {
    bridge::pix_qr_svg(code).map_err(|e| raise(py, &e))
}

/// The QR image of a valid BR Code as PNG bytes, `module_px` pixels per module (1-32).
#[pyfunction]
#[pyo3(signature = (code, module_px=None))]
pub fn pix_qr_png<'py>(
    py: Python<'py>,
    code: &str,
    module_px: Option<u32>,
) -> PyResult<Bound<'py, PyBytes>> {
    let png = bridge::pix_qr_png(code, module_px).map_err(|e| raise(py, &e))?;
    Ok(PyBytes::new(py, &png))
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
