//! Cash-out: `POST /cash-out` (202 PROCESSING, settled later), `GET /cash-out/{id}`; and the
//! settlement transitions the background timer and the control API drive.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use connectpsp_core::model::cash_out::{CreateCashOut, DestinationType};

use crate::app::App;
use crate::idempotency::{self, Stored};
use crate::ledger::LedgerError;
use crate::problem::ApiError;
use crate::store::{CashOut, CashOutStatus, Event, Failure, PlannedOutcome};
use crate::{clock, magic};

pub async fn create(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let key = match app
        .authenticate(&headers)
        .and_then(|token| app.check_signature(&headers, token))
        .and_then(|_| idempotency::key_from(&headers))
    {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    let fingerprint = idempotency::fingerprint("", &body);
    let work_app = app.clone();
    let work_key = key.clone();
    app.idempotency
        .run(
            "POST /cash-out",
            key.as_deref(),
            fingerprint,
            || async move { create_now(&work_app, &body, work_key) },
        )
        .await
}

fn planned_outcome(request: &CreateCashOut) -> PlannedOutcome {
    let key = request
        .payee
        .destination
        .as_ref()
        .filter(|d| d.kind == DestinationType::Pix)
        .and_then(|d| d.pix_key.as_deref())
        .unwrap_or("");
    if magic::is_failing_key(key) {
        PlannedOutcome::Fail(Failure::pix_key_not_found())
    } else if magic::is_returned_key(key) {
        PlannedOutcome::CompleteThenReturn
    } else {
        PlannedOutcome::Complete
    }
}

fn create_now(app: &Arc<App>, body: &Bytes, key: Option<String>) -> Result<Stored, ApiError> {
    let request: CreateCashOut = super::parse_body(body, CreateCashOut::validate)?;
    let request = request.validated().map_err(super::invalid)?;
    if magic::is_fraud_amount(request.amount) {
        return Err(ApiError::business(
            "FRAUD_SUSPECTED",
            "Fraud Suspected",
            "The payout was refused by the fraud rules.",
        ));
    }
    let planned = planned_outcome(&request);
    let now = app.clock.now_ms();
    let mut store = app.store();
    if store.cash_out_reference_taken(&request.external_reference) {
        return Err(ApiError::duplicate_external_reference(
            &request.external_reference,
        ));
    }
    let allocation = store
        .ledger
        .debit_transactional(request.amount)
        .map_err(|e| match e {
            LedgerError::Shortfall { available } => {
                ApiError::insufficient_funds(request.amount, available)
            }
            other => ApiError::from(other),
        })?;
    let transaction_id = store.ids.uuid();
    let cash_out = CashOut {
        transaction_id: transaction_id.clone(),
        internal_code: store.ids.cash_out_internal_code(),
        external_reference: request.external_reference,
        description: request.description,
        status: CashOutStatus::Processing,
        amount: request.amount,
        payee: request.payee,
        end_to_end_id: None,
        original_end_to_end_id: None,
        failure: None,
        requested_at: now,
        completed_at: None,
        failed_at: None,
        refunded_at: None,
        webhook_url: request.webhook_url,
        idempotency_key: key,
        allocation,
        planned,
    };
    let resource = cash_out.resource();
    store.insert_cash_out(cash_out);
    drop(store);
    if app.auto_settle.load(Ordering::Relaxed) {
        let delay = app.settle_delay_ms.load(Ordering::Relaxed);
        schedule(app, delay, move |app| {
            let _ = settle(app, &transaction_id);
        });
    }
    Ok(Stored::json(StatusCode::ACCEPTED, &resource))
}

/// Runs `step` after `delay_ms` on the sandbox's timer, unless the sandbox was reset meanwhile.
fn schedule(app: &Arc<App>, delay_ms: u64, step: impl FnOnce(&Arc<App>) + Send + 'static) {
    let generation = app.generation();
    app.scheduler
        .after(Duration::from_millis(delay_ms), move |app| {
            if app.generation() == generation {
                step(app);
            }
        });
}

pub async fn get(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = app.authenticate(&headers).and_then(|_| {
        super::check_path_id(&id)?;
        let store = app.store();
        let i = store
            .find_cash_out(&id)
            .ok_or_else(|| ApiError::not_found(&id))?;
        Ok(store.cash_outs[i].resource())
    });
    match result {
        Ok(resource) => Json(resource).into_response(),
        Err(e) => e.into_response(),
    }
}

fn invalid_state(what: &str, status: &CashOutStatus) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "INVALID_STATE",
        "Invalid State",
        format!("{what}; this cash-out is {status}."),
    )
}

/// What the automatic settlement does: the outcome planned at creation (magic keys).
pub fn settle(app: &Arc<App>, id: &str) -> Result<CashOut, ApiError> {
    let planned = {
        let store = app.store();
        let i = store
            .find_cash_out(id)
            .ok_or_else(|| ApiError::not_found(id))?;
        store.cash_outs[i].planned.clone()
    };
    match planned {
        PlannedOutcome::Fail(failure) => fail(app, id, failure),
        PlannedOutcome::Complete | PlannedOutcome::CompleteThenReturn => complete(app, id),
    }
}

fn event(kind: &'static str, cash_out: &CashOut) -> Option<Event> {
    cash_out.webhook_url.clone().map(|url| Event {
        event_type: kind,
        transaction_id: cash_out.transaction_id.clone(),
        url,
        data: cash_out.json(),
    })
}

/// PROCESSING → COMPLETED with an `E…` endToEndId; CASHOUT_COMPLETED.
pub fn complete(app: &Arc<App>, id: &str) -> Result<CashOut, ApiError> {
    let now = app.clock.now_ms();
    let mut store = app.store();
    let i = store
        .find_cash_out(id)
        .ok_or_else(|| ApiError::not_found(id))?;
    if store.cash_outs[i].status != CashOutStatus::Processing {
        return Err(invalid_state(
            "Only a PROCESSING cash-out can complete",
            &store.cash_outs[i].status,
        ));
    }
    let bank = store.cash_outs[i]
        .allocation
        .first()
        .map(|a| a.0)
        .unwrap_or(0);
    let ispb = store.ledger.banks[bank].ispb;
    let e2e = store
        .ids
        .end_to_end_id('E', ispb, &clock::end_to_end_stamp(now));
    store.index_cash_out_e2e(i, &e2e);
    let cash_out = &mut store.cash_outs[i];
    cash_out.status = CashOutStatus::Completed;
    cash_out.end_to_end_id = Some(e2e);
    cash_out.completed_at = Some(now);
    let snapshot = cash_out.clone();
    drop(store);
    app.emit(event("CASHOUT_COMPLETED", &snapshot).into_iter().collect());
    if snapshot.planned == PlannedOutcome::CompleteThenReturn
        && app.auto_settle.load(Ordering::Relaxed)
    {
        let delay = app.settle_delay_ms.load(Ordering::Relaxed);
        let id = snapshot.transaction_id.clone();
        schedule(app, delay, move |app| {
            let _ = give_back(app, &id);
        });
    }
    Ok(snapshot)
}

/// PROCESSING → FAILED (`failure`, no endToEndId); the money goes back; CASHOUT_FAILED.
pub fn fail(app: &Arc<App>, id: &str, failure: Failure) -> Result<CashOut, ApiError> {
    let now = app.clock.now_ms();
    let mut store = app.store();
    let i = store
        .find_cash_out(id)
        .ok_or_else(|| ApiError::not_found(id))?;
    if store.cash_outs[i].status != CashOutStatus::Processing {
        return Err(invalid_state(
            "Only a PROCESSING cash-out can fail",
            &store.cash_outs[i].status,
        ));
    }
    let allocation = store.cash_outs[i].allocation.clone();
    store.ledger.credit_allocation(&allocation)?;
    let cash_out = &mut store.cash_outs[i];
    cash_out.status = CashOutStatus::Failed;
    cash_out.failure = Some(failure);
    cash_out.failed_at = Some(now);
    let snapshot = cash_out.clone();
    drop(store);
    app.emit(event("CASHOUT_FAILED", &snapshot).into_iter().collect());
    Ok(snapshot)
}

/// COMPLETED → REFUNDED: the receiving side returned the payout (`D…` endToEndId, original
/// kept); the money goes back; CASHOUT_REFUNDED.
pub fn give_back(app: &Arc<App>, id: &str) -> Result<CashOut, ApiError> {
    let now = app.clock.now_ms();
    let mut store = app.store();
    let i = store
        .find_cash_out(id)
        .ok_or_else(|| ApiError::not_found(id))?;
    if store.cash_outs[i].status != CashOutStatus::Completed {
        return Err(invalid_state(
            "Only a COMPLETED cash-out can be returned",
            &store.cash_outs[i].status,
        ));
    }
    let allocation = store.cash_outs[i].allocation.clone();
    store.ledger.credit_allocation(&allocation)?;
    let bank = allocation.first().map(|a| a.0).unwrap_or(0);
    let ispb = store.ledger.banks[bank].ispb;
    let devolution = store
        .ids
        .end_to_end_id('D', ispb, &clock::end_to_end_stamp(now));
    store.index_cash_out_e2e(i, &devolution);
    let cash_out = &mut store.cash_outs[i];
    cash_out.status = CashOutStatus::Refunded;
    cash_out.original_end_to_end_id = cash_out.end_to_end_id.take();
    cash_out.end_to_end_id = Some(devolution);
    cash_out.refunded_at = Some(now);
    let snapshot = cash_out.clone();
    drop(store);
    app.emit(event("CASHOUT_REFUNDED", &snapshot).into_iter().collect());
    Ok(snapshot)
}
