//! `GET /account/balance` and `POST /account/rebalance`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use connectpsp_core::model::account::{Rebalance, RebalanceResult};

use crate::app::App;
use crate::clock;
use crate::ledger::LedgerError;
use crate::problem::ApiError;

/// `?date=YYYY-MM-DD` is documented as "not available yet": a well-formed date is accepted and
/// the current snapshot returned (its `referenceDate` says which day it is); anything else is a
/// 400 naming `date` (docs/api-decisions.md, "Calls and answers").
pub async fn balance(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    if let Err(e) = app.authenticate(&headers) {
        return e.into_response();
    }
    let pairs = Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|Query(pairs)| pairs)
        .unwrap_or_else(|_| vec![("date".to_owned(), String::new())]);
    for (name, value) in pairs {
        if name == "date"
            && let Err(error) = connectpsp_core::model::validate_date("date", &value)
        {
            return super::invalid(error).into_response();
        }
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
