//! The JSON boundary both bindings use: strings in, strings out, no object graphs across
//! the FFI (docs/architecture.md §3).
//!
//! Keys follow the binding's [`Codec`] (camelCase for JS, snake_case for Python) in params,
//! results and error field paths; amounts leave as decimal strings (`"150.50"`) and enter as
//! strings or JSON numbers under the codec's `float_amounts` rule.
//!
//! One file per direction: [`calls`] (options and params in, a prepared call out),
//! [`results`] (outcomes out), [`errors`] (errors out), [`webhooks`], [`toolkit`] (no
//! client), [`naming`] and [`codec`].

pub mod calls;
pub mod codec;
pub mod errors;
pub mod naming;
pub mod results;
pub mod toolkit;
pub mod webhooks;

pub use calls::{METHODS, call_from_json, config_from_json, prepare_call};
pub use codec::Codec;
pub use errors::{error_to_json, error_to_json_with_naming};
pub use results::outcome_to_json;
pub use toolkit::{
    idempotency_key_for, pix_build_brcode, pix_detect_key_type, pix_format_document,
    pix_is_valid_cnpj, pix_is_valid_cpf, pix_normalize_document, pix_parse_brcode, pix_qr_png,
    pix_qr_png_scanlines, pix_qr_svg, pix_validate_key,
};
pub use webhooks::{
    client_webhook_rules, webhook_construct_event, webhook_verify_event, webhook_verify_for_client,
};
