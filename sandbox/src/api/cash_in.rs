//! Cash-in: `POST /cash-in` (QR code or OpenFinance), `GET /cash-in/{id}`,
//! `POST /cash-in/{id}/refund`; and the payment that the control API simulates.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use connectpsp_core::model::cash_in::{CreateCashIn, PixData, RefundCashIn};
use connectpsp_core::pix::brcode::{self, PixLocation, StaticBrCode};

use crate::app::App;
use crate::idempotency::{self, Stored};
use crate::problem::ApiError;
use crate::store::{BankData, CashIn, CashInStatus, Event};
use crate::{clock, magic, qr};

/// Default QR validity when `expirationInMinutes` is absent: 24 h (reference §7.1).
const DEFAULT_EXPIRATION_MINUTES: i64 = 1440;
const MERCHANT_NAME: &str = "CONNECTPSP SANDBOX";
const MERCHANT_CITY: &str = "SAO PAULO";

pub async fn create(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let key = match app
        .authenticate(&headers)
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
            "POST /cash-in",
            key.as_deref(),
            fingerprint,
            || async move { create_now(&work_app, &body, work_key) },
        )
        .await
}

/// A dynamic BR Code: the 35-character txid cannot sit in field 62-05 (max 25), so it goes in
/// the payload URL, as PSPs do for charges with a txid.
fn br_code(transaction_id: &str, amount: connectpsp_core::Amount) -> Result<String, ApiError> {
    brcode::encode(&StaticBrCode {
        location: PixLocation::Url(format!("pix.sandbox.connectpsp.com/qr/v2/{transaction_id}")),
        merchant_name: MERCHANT_NAME.to_owned(),
        merchant_city: MERCHANT_CITY.to_owned(),
        amount: Some(amount),
        txid: None,
        description: None,
    })
    .map_err(|_| ApiError::server(StatusCode::INTERNAL_SERVER_ERROR))
}

fn create_now(app: &Arc<App>, body: &Bytes, key: Option<String>) -> Result<Stored, ApiError> {
    let request: CreateCashIn = super::parse_body(body, CreateCashIn::validate)?;
    let now = app.clock.now_ms();
    let minutes = request
        .expiration_in_minutes
        .unwrap_or(DEFAULT_EXPIRATION_MINUTES);
    let expires_at = if request.payer.document == magic::EXPIRING_PAYER_DOCUMENT {
        now
    } else {
        now + minutes * 60_000
    };
    let self_paying = request.payer.document == magic::SELF_PAYING_PAYER_DOCUMENT;
    let mut store = app.store();
    if store.cash_in_reference_taken(&request.external_reference) {
        return Err(ApiError::duplicate_external_reference(
            &request.external_reference,
        ));
    }
    let transaction_id = store.ids.cash_in_transaction_id();
    let internal_code = store.ids.cash_in_internal_code();
    let payment_url = request.open_finance.as_ref().map(|_| {
        format!(
            "{}/_sandbox/open-finance/{transaction_id}",
            app.base_url.get().map(String::as_str).unwrap_or("")
        )
    });
    let bank = store.ledger.collecting_bank();
    let cash_in = CashIn {
        transaction_id: transaction_id.clone(),
        internal_code,
        external_reference: request.external_reference,
        status: CashInStatus::AwaitingPayment,
        amount: request.amount,
        payer_name: request.payer.name,
        payer_document: request.payer.document,
        payer_bank: None,
        end_to_end_id: None,
        original_end_to_end_id: None,
        requested_at: now,
        expires_at,
        paid_at: None,
        refunded_at: None,
        expired_at: None,
        webhook_url: request.webhook_url,
        idempotency_key: key,
        payment_url: payment_url.clone(),
        redirect_url: request.open_finance.and_then(|o| o.redirect_url),
        bank,
    };
    let mut resource = cash_in.resource();
    store.insert_cash_in(cash_in);
    drop(store);
    if payment_url.is_some() {
        resource.payment_url = payment_url;
    } else {
        let copy_and_paste = br_code(&transaction_id, resource.amount)?;
        resource.pix_data = Some(PixData {
            qr_code_image_base64: qr::png_base64(&copy_and_paste),
            copy_and_paste: Some(copy_and_paste),
        });
    }
    if self_paying {
        let generation = app.generation();
        let delay = app.settle_delay_ms.load(Ordering::Relaxed);
        app.scheduler
            .after(Duration::from_millis(delay), move |app| {
                if app.generation() == generation {
                    let _ = pay(app, &transaction_id, None, false);
                }
            });
    }
    Ok(Stored::json(StatusCode::CREATED, &resource))
}

pub async fn get(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = app.authenticate(&headers).and_then(|_| {
        super::check_path_id(&id)?;
        let now = app.clock.now_ms();
        let mut store = app.store();
        let i = store
            .find_cash_in(&id, now)
            .ok_or_else(|| ApiError::not_found(&id))?;
        Ok(store.cash_ins[i].resource())
    });
    match result {
        Ok(resource) => Json(resource).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn refund(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = match app
        .authenticate(&headers)
        .and_then(|token| app.check_signature(&headers, token))
        .and_then(|_| idempotency::key_from(&headers))
    {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    let fingerprint = idempotency::fingerprint(&id, &body);
    let work_app = app.clone();
    app.idempotency
        .run(
            "POST /cash-in/{id}/refund",
            key.as_deref(),
            fingerprint,
            || async move { refund_now(&work_app, &id, &body) },
        )
        .await
}

fn refund_now(app: &Arc<App>, id: &str, body: &Bytes) -> Result<Stored, ApiError> {
    super::check_path_id(id)?;
    let _request: RefundCashIn = super::parse_body(body, RefundCashIn::validate)?;
    let now = app.clock.now_ms();
    let mut store = app.store();
    let i = store
        .find_cash_in(id, now)
        .ok_or_else(|| ApiError::not_found(id))?;
    let cash_in = &store.cash_ins[i];
    match cash_in.status {
        CashInStatus::Paid => {}
        CashInStatus::AwaitingPayment => {
            return Err(ApiError::business(
                "CASH_IN_NOT_PAID",
                "Cash-In Not Paid",
                "Only a PAID cash-in can be refunded; this one is awaiting payment.",
            ));
        }
        CashInStatus::Refunded => {
            return Err(ApiError::business(
                "CASH_IN_ALREADY_REFUNDED",
                "Cash-In Already Refunded",
                "This cash-in has already been refunded.",
            ));
        }
        CashInStatus::Expired => {
            return Err(ApiError::business(
                "CASH_IN_EXPIRED",
                "Cash-In Expired",
                "This cash-in expired without payment.",
            ));
        }
        _ => {
            return Err(ApiError::business(
                "CASH_IN_CANCELLED",
                "Cash-In Cancelled",
                "This cash-in was cancelled.",
            ));
        }
    }
    let Some(original) = cash_in.end_to_end_id.clone() else {
        return Err(ApiError::business(
            "MISSING_END_TO_END_ID",
            "Missing End-to-End Id",
            "The settlement endToEndId of this cash-in is not available yet.",
        ));
    };
    let (amount, bank) = (cash_in.amount, cash_in.bank);
    let available = store.ledger.banks[bank].transactional;
    if amount > available {
        return Err(ApiError::insufficient_funds(amount, available));
    }
    store.ledger.banks[bank].transactional = available
        .checked_sub(amount)
        .ok_or_else(|| ApiError::insufficient_funds(amount, available))?;
    let ispb = store.ledger.banks[bank].ispb;
    let devolution = store
        .ids
        .end_to_end_id('D', ispb, &clock::end_to_end_stamp(now));
    store.index_cash_in_e2e(i, &devolution);
    let cash_in = &mut store.cash_ins[i];
    cash_in.status = CashInStatus::Refunded;
    cash_in.original_end_to_end_id = Some(original);
    cash_in.end_to_end_id = Some(devolution);
    cash_in.refunded_at = Some(now);
    let resource = cash_in.resource();
    let event = cash_in.webhook_url.clone().map(|url| Event {
        event_type: "CASHIN_REFUNDED",
        transaction_id: cash_in.transaction_id.clone(),
        url,
        data: cash_in.json(),
    });
    drop(store);
    app.emit(event.into_iter().collect());
    Ok(Stored::json(StatusCode::ACCEPTED, &resource))
}

/// The payer pays (control API, OpenFinance authorisation, self-paying magic document):
/// AWAITING_PAYMENT → PAID, an `E…` endToEndId, the money credited, CASHIN_PAID sent.
///
/// `settlement_pending` leaves the endToEndId out (SPI has not confirmed it yet): a refund then
/// fails with MISSING_END_TO_END_ID, a state tests could not reach otherwise.
pub fn pay(
    app: &Arc<App>,
    id: &str,
    payer_bank: Option<BankData>,
    settlement_pending: bool,
) -> Result<CashIn, ApiError> {
    let now = app.clock.now_ms();
    let mut store = app.store();
    let i = store
        .find_cash_in(id, now)
        .ok_or_else(|| ApiError::not_found(id))?;
    let status = store.cash_ins[i].status.clone();
    if status != CashInStatus::AwaitingPayment {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "INVALID_STATE",
            "Invalid State",
            format!("Only an AWAITING_PAYMENT cash-in can be paid; this one is {status}."),
        ));
    }
    let payer_bank = payer_bank.unwrap_or_else(BankData::default_payer);
    let e2e = (!settlement_pending).then(|| {
        store
            .ids
            .end_to_end_id('E', &payer_bank.ispb, &clock::end_to_end_stamp(now))
    });
    if let Some(e2e) = &e2e {
        store.index_cash_in_e2e(i, e2e);
    }
    let (bank, amount) = (store.cash_ins[i].bank, store.cash_ins[i].amount);
    store.ledger.credit_transactional(bank, amount)?;
    let cash_in = &mut store.cash_ins[i];
    cash_in.status = CashInStatus::Paid;
    cash_in.payer_bank = Some(payer_bank);
    cash_in.end_to_end_id = e2e;
    cash_in.paid_at = Some(now);
    let snapshot = cash_in.clone();
    drop(store);
    if let Some(url) = snapshot.webhook_url.clone() {
        app.emit(vec![Event {
            event_type: "CASHIN_PAID",
            transaction_id: snapshot.transaction_id.clone(),
            url,
            data: snapshot.json(),
        }]);
    }
    Ok(snapshot)
}

/// AWAITING_PAYMENT → CANCELLED (control API only: the API has no cancel endpoint). No webhook.
pub fn cancel(app: &Arc<App>, id: &str) -> Result<CashIn, ApiError> {
    let now = app.clock.now_ms();
    let mut store = app.store();
    let i = store
        .find_cash_in(id, now)
        .ok_or_else(|| ApiError::not_found(id))?;
    let cash_in = &mut store.cash_ins[i];
    if cash_in.status != CashInStatus::AwaitingPayment {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "INVALID_STATE",
            "Invalid State",
            format!(
                "Only an AWAITING_PAYMENT cash-in can be cancelled; this one is {}.",
                cash_in.status
            ),
        ));
    }
    cash_in.status = CashInStatus::Cancelled;
    Ok(cash_in.clone())
}
