//! The ConnectPSP API itself: the endpoints of the reference, with their headers, statuses and
//! bodies. Request bodies are parsed and validated by the core's model types (one definition of
//! the rules for the SDK and the sandbox).

pub mod account;
pub mod auth;
pub mod cash_in;
pub mod cash_out;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::routing::{get, post};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::app::App;
use crate::problem::ApiError;

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/auth/token", post(auth::token))
        .route("/cash-in", post(cash_in::create))
        .route("/cash-in/{id}", get(cash_in::get))
        .route("/cash-in/{id}/refund", post(cash_in::refund))
        .route("/cash-out", post(cash_out::create))
        .route("/cash-out/{id}", get(cash_out::get))
        .route("/account/balance", get(account::balance))
        .route("/account/rebalance", post(account::rebalance))
        .fallback(no_such_route)
}

/// Unknown paths get a problem body too, so clients can always parse error answers.
async fn no_such_route(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "Not Found",
        format!("No endpoint at {}.", id_echo_path(uri.path())),
    )
}

/// A path echoed in a detail: visible ASCII only, at most 100 characters.
fn id_echo_path(path: &str) -> String {
    path.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(100)
        .collect()
}

/// Turns a core validation error into the 400 problem naming the field.
pub fn invalid(error: connectpsp_core::Error) -> ApiError {
    let field = error.field.clone().unwrap_or_default();
    let detail = error
        .detail
        .clone()
        .unwrap_or_else(|| error.message.clone());
    if field.is_empty() {
        ApiError::malformed_json(format!("request body {detail}"))
    } else {
        ApiError::validation(&field, detail)
    }
}

/// Parses a JSON request body with the core's strict wire parser (unknown fields are refused,
/// amounts must be JSON numbers) and runs the type's own validation.
pub fn parse_body<T: DeserializeOwned + Serialize>(
    body: &Bytes,
    validate: impl FnOnce(&T) -> Result<(), connectpsp_core::Error>,
) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        let text = text
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned();
        ApiError::malformed_json(format!("The request body is not valid JSON ({text})."))
    })?;
    if !value.is_object() {
        return Err(ApiError::malformed_json(
            "The request body must be a JSON object.",
        ));
    }
    let parsed: T = connectpsp_core::model::parse_wire_request(value).map_err(invalid)?;
    validate(&parsed).map_err(invalid)?;
    Ok(parsed)
}

/// Path ids: the same rule as the SDK (1–64 of `[A-Za-z0-9_-]`); anything else cannot exist.
pub fn check_path_id(id: &str) -> Result<(), ApiError> {
    connectpsp_core::model::validate_path_id("id", id).map_err(|_| ApiError::not_found(id_echo(id)))
}

/// An id echoed in a 404 detail, cut and restricted to safe characters.
fn id_echo(id: &str) -> &str {
    let end = id
        .char_indices()
        .take_while(|(i, c)| *i < 64 && (c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    &id[..end]
}
