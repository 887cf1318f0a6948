//! RFC 7807 problem responses (`application/problem+json`) with the codes of the reference and
//! of docs/api-decisions.md.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

const TYPE_BASE: &str = "https://connect-psp.redocly.app/errors/";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    pub detail: String,
}

/// An error answer of the API; converts into the problem+json response.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub problem: Problem,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> ApiError {
        let slug = code.to_ascii_lowercase().replace('_', "-");
        ApiError {
            problem: Problem {
                type_uri: format!("{TYPE_BASE}{slug}"),
                title: title.to_owned(),
                status: status.as_u16(),
                code: code.to_owned(),
                detail: detail.into(),
            },
            retry_after_secs: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn validation(field: &str, detail: impl Into<String>) -> ApiError {
        let detail = detail.into();
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "Validation Error",
            format!("{field}: {detail}"),
        )
    }

    pub fn malformed_json(detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "Validation Error",
            detail,
        )
    }

    pub fn invalid_credentials() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
            "Invalid Credentials",
            "The clientId or clientSecret is wrong.",
        )
    }

    pub fn invalid_token() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
            "Invalid Token",
            "The Authorization header must carry a Bearer token issued by POST /auth/token.",
        )
    }

    pub fn token_expired() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "TOKEN_EXPIRED",
            "Token Expired",
            "The access token has expired; request a new one at POST /auth/token.",
        )
    }

    pub fn invalid_application_token() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_APPLICATION_TOKEN",
            "Invalid Application Token",
            "The ApplicationToken header is missing or unknown.",
        )
    }

    pub fn invalid_signature() -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_SIGNATURE",
            "Invalid Signature",
            "The DigitalSignature header is missing or does not match HMAC-SHA256(CryptoToken, accessToken).",
        )
    }

    pub fn not_found(id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "TRANSACTION_NOT_FOUND",
            "Transaction Not Found",
            format!("No transaction with id '{id}' for this application."),
        )
    }

    pub fn duplicate_external_reference(reference: &str) -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "DUPLICATE_EXTERNAL_REFERENCE",
            "Duplicate External Reference",
            format!("A transaction with externalReference '{reference}' already exists."),
        )
    }

    pub fn idempotency_key_reused() -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "IDEMPOTENCY_KEY_REUSED",
            "Idempotency Key Reused",
            "This X-Idempotency-Key was already used with a different request body.",
        )
    }

    pub fn business(code: &str, title: &str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, title, detail)
    }

    pub fn insufficient_funds(
        requested: impl std::fmt::Display,
        available: impl std::fmt::Display,
    ) -> ApiError {
        ApiError::business(
            "INSUFFICIENT_FUNDS",
            "Insufficient Funds",
            format!(
                "The requested amount of R$ {requested} exceeds available balance of R$ {available}."
            ),
        )
    }

    pub fn rate_limited(retry_after_secs: u64) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "Too Many Requests",
            format!("Rate limit exceeded; retry after {retry_after_secs} s."),
        );
        e.retry_after_secs = Some(retry_after_secs);
        e
    }

    pub fn server(status: StatusCode) -> ApiError {
        if status == StatusCode::SERVICE_UNAVAILABLE {
            ApiError::new(
                status,
                "SERVICE_UNAVAILABLE",
                "Service Unavailable",
                "The service is temporarily unavailable.",
            )
        } else {
            ApiError::new(
                status,
                "INTERNAL_ERROR",
                "Internal Server Error",
                "An unexpected error occurred.",
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&self.problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
