//! The API as types: every request and response body, the problem+json error body and the
//! webhook envelope.
//!
//! Wire names are camelCase. Every type is both `Serialize` and `Deserialize`, so the SDK and
//! the sandbox share them. Two rules make the types forward-compatible with an API that is
//! only partly documented:
//!
//! - every enum has an `Unknown(String)` variant: a status the docs don't list never breaks
//!   parsing (requests reject it in `validate()`, responses carry it through);
//! - optional fields are `Option<T>` with `#[serde(default)]`: absent and `null` both work,
//!   and `None` is not serialised.
//!
//! Responses are lenient (unknown fields ignored, missing optional fields tolerated) but a
//! missing `transactionId`, `status` or `amount` is a decode error: a result without them
//! would be a lie about money. Requests are strict: [`parse_request`] (the sandbox's input) and
//! the bindings' params (`one_pass`, which also reads every answer) reject unknown fields
//! (a misspelt `webhookURL` would otherwise be dropped silently) and each request type's
//! `validate()` checks the rules of `docs/api-decisions.md`, naming the field in camelCase
//! dotted form (`payee.destination.pixKey`).

pub mod account;
pub mod auth;
pub mod cash_in;
pub mod cash_out;
mod enums;
pub(crate) mod one_pass;
pub mod parse;
pub mod problem;
pub mod refund;
pub mod rules;
pub mod webhook;

pub(crate) use enums::{one_of, string_enum};
pub(crate) use parse::{deserialize_at_path, join_path, null_as_default, path_and_message};
pub use parse::{
    parse_request, parse_request_str, parse_response, parse_response_value, parse_wire_request,
};
pub use rules::{
    DESCRIPTION_MAX, EXTERNAL_REFERENCE_MAX, NAME_MAX, PATH_ID_MAX, URL_MAX, validate_date,
    validate_path_id,
};
pub(crate) use rules::{
    check_callback_url, check_description, check_external_reference, check_name, under,
};
