//! `GET /account/balance` and `POST /account/rebalance`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use connectpsp_core::model::account::{Rebalance, RebalanceResult};

use crate::app::App;
use crate::clock;
use crate::ledger::LedgerError;
use crate::problem::ApiError;

pub async fn balance(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Err(e) = app.authenticate(&headers) {
        return e.into_response();
    }
    let now = app.clock.now_ms();
    let balance = app
        .store()
        .ledger
        .balance(clock::brasilia_date(now), clock::utc(now));
    match balance {
        Ok(balance) => Json(balance).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

pub async fn rebalance(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let result = app
        .authenticate(&headers)
        .and_then(|token| app.check_signature(&headers, token))
        .and_then(|_| super::parse_body::<Rebalance>(&body, Rebalance::validate))
        .and_then(|request| {
            let target = request.target_amount;
            app.store().ledger.rebalance(target).map_err(|e| match e {
                LedgerError::Shortfall { available } => {
                    ApiError::insufficient_funds(target, available)
                }
                other => ApiError::from(other),
            })
        });
    match result {
        Ok(()) => Json(RebalanceResult {
            success: true,
            message: Some("Rebalancing completed successfully.".to_owned()),
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}
