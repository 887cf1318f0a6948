//! `POST /auth/token`: client credentials for a real HS256 JWT.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use connectpsp_core::model::auth::{TokenRequest, TokenResponse};

use crate::app::App;
use crate::clock;
use crate::guard::same_secret;
use crate::jwt::Claims;
use crate::problem::ApiError;

pub async fn token(State(app): State<Arc<App>>, body: Bytes) -> Response {
    match issue(&app, &body) {
        Ok(response) => Json(response).into_response(),
        Err(e) => e.into_response(),
    }
}

fn issue(app: &App, body: &Bytes) -> Result<TokenResponse, ApiError> {
    let request: TokenRequest = super::parse_body(body, TokenRequest::validate)?;
    let id_ok = same_secret(&request.client_id, &app.config.client_id);
    let secret_ok = same_secret(&request.client_secret, &app.config.client_secret);
    if !(id_ok && secret_ok) {
        return Err(ApiError::invalid_credentials());
    }
    let now_ms = app.clock.now_ms();
    let ttl = app.token_ttl_secs.load(Ordering::Relaxed);
    let iat = now_ms.div_euclid(1000);
    let claims = Claims {
        sub: request.client_id,
        iat,
        exp: iat.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)),
        jti: app.new_uuid(),
    };
    Ok(TokenResponse {
        access_token: app.signer.issue(&claims),
        token_type: Some("Bearer".to_owned()),
        expires_in: ttl,
        issued_at: Some(clock::utc(now_ms)),
    })
}
