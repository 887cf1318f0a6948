//! The offline toolkit: deterministic keys and the PIX helpers, no client needed.

use serde_json::Value;

use super::Codec;
use super::naming::{error_in_naming, keys_in, keys_out};
use crate::error::{Error, ErrorKind};
use crate::idempotency::IdempotencyKey;
use crate::money::with_amounts_as_strings;
use crate::pix;

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
            super::calls::check_amount_number(members, "amount", codec)?;
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

/// The PNG scanlines of a valid BR Code's QR (see [`pix::qr::qr_png_scanlines`]), for a binding
/// that deflates them itself; `module_px` pixels per module (default 8).
pub fn pix_qr_png_scanlines(
    code: &str,
    module_px: Option<u32>,
) -> Result<pix::qr::QrScanlines, Error> {
    pix::qr::qr_png_scanlines(code, module_px.unwrap_or(pix::qr::DEFAULT_MODULE_PX))
}
