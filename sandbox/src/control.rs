//! The control API under `/_sandbox/` (never a path of the real API): drive state changes,
//! inspect what happened, inject faults, move the clock. JSON in and out; documented in
//! sandbox/README.md. Control requests are neither journaled nor faulted.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use connectpsp_core::Amount;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api::{cash_in, cash_out};
use crate::app::App;
use crate::faults::FaultSpec;
use crate::problem::ApiError;
use crate::store::{BankData, Failure};

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/_sandbox/cash-in/{id}/pay", post(pay))
        .route("/_sandbox/cash-in/{id}/cancel", post(cancel))
        .route("/_sandbox/cash-out/{id}/complete", post(complete))
        .route("/_sandbox/cash-out/{id}/fail", post(fail))
        .route("/_sandbox/cash-out/{id}/return", post(give_back))
        .route("/_sandbox/transactions", get(transactions))
        .route("/_sandbox/requests", get(requests).delete(clear_requests))
        .route("/_sandbox/webhooks", get(webhooks).delete(clear_webhooks))
        .route("/_sandbox/balances", post(set_balances))
        .route("/_sandbox/clock", get(clock_now))
        .route("/_sandbox/clock/advance", post(advance_clock))
        .route("/_sandbox/reset", post(reset))
        .route(
            "/_sandbox/faults",
            get(fault_stats).post(add_fault).delete(clear_faults),
        )
        .route("/_sandbox/settings", get(settings).post(set_settings))
        .route("/_sandbox/health", get(health))
        .route("/_sandbox/open-finance/{id}", get(open_finance_page))
        .route(
            "/_sandbox/open-finance/{id}/authorize",
            post(open_finance_authorize),
        )
}

/// Parses an optional JSON body: empty means defaults.
fn optional_body<T: for<'de> Deserialize<'de> + Default>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        ApiError::malformed_json(
            text.split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        )
    })
}

fn respond<T: Serialize>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayBody {
    bank_data: Option<PayerBankBody>,
    /// Pay without an endToEndId yet (a refund then gets MISSING_END_TO_END_ID).
    #[serde(default)]
    settlement_pending: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayerBankBody {
    ispb: Option<String>,
    bank: Option<String>,
    branch: Option<String>,
    account: Option<String>,
}

async fn pay(State(app): State<Arc<App>>, Path(id): Path<String>, body: Bytes) -> Response {
    respond(optional_body::<PayBody>(&body).and_then(|body| {
        let payer = body.bank_data.map(|b| {
            let d = BankData::default_payer();
            BankData {
                ispb: b.ispb.unwrap_or(d.ispb),
                bank: b.bank.unwrap_or(d.bank),
                branch: b.branch.unwrap_or(d.branch),
                account: b.account.unwrap_or(d.account),
            }
        });
        if let Some(p) = &payer {
            if p.ispb.len() != 8 || !p.ispb.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::validation("bankData.ispb", "must be 8 digits"));
            }
        }
        cash_in::pay(&app, &id, payer, body.settlement_pending).map(|c| c.resource())
    }))
}

async fn cancel(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    respond(cash_in::cancel(&app, &id).map(|c| c.resource()))
}

async fn complete(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    respond(cash_out::complete(&app, &id).map(|c| c.resource()))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FailBody {
    code: Option<String>,
    message: Option<String>,
}

async fn fail(State(app): State<Arc<App>>, Path(id): Path<String>, body: Bytes) -> Response {
    respond(optional_body::<FailBody>(&body).and_then(|body| {
        let mut failure = Failure::from_code(body.code.as_deref().unwrap_or("PIX_KEY_NOT_FOUND"));
        if let Some(message) = body.message {
            failure.message = message;
        }
        cash_out::fail(&app, &id, failure).map(|c| c.resource())
    }))
}

async fn give_back(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    respond(cash_out::give_back(&app, &id).map(|c| c.resource()))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TransactionRow {
    kind: &'static str,
    transaction_id: String,
    internal_code: String,
    external_reference: String,
    status: String,
    /// Decimal string, exact: "150.50".
    amount: String,
    idempotency_key: Option<String>,
    end_to_end_id: Option<String>,
}

/// `GET /_sandbox/transactions?externalReference=…&idempotencyKey=…`: both optional filters.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TransactionFilter {
    external_reference: Option<String>,
    idempotency_key: Option<String>,
}

impl TransactionFilter {
    fn keeps(&self, reference: &str, key: Option<&str>) -> bool {
        self.external_reference
            .as_deref()
            .is_none_or(|r| r == reference)
            && self
                .idempotency_key
                .as_deref()
                .is_none_or(|k| Some(k) == key)
    }
}

async fn transactions(
    State(app): State<Arc<App>>,
    Query(filter): Query<TransactionFilter>,
) -> Response {
    let now = app.clock.now_ms();
    let mut store = app.store();
    store.expire_all_due(now);
    let mut rows: Vec<TransactionRow> = store
        .cash_ins
        .iter()
        .filter(|c| filter.keeps(&c.external_reference, c.idempotency_key.as_deref()))
        .map(|c| TransactionRow {
            kind: "cash_in",
            transaction_id: c.transaction_id.clone(),
            internal_code: c.internal_code.clone(),
            external_reference: c.external_reference.clone(),
            status: c.status.to_string(),
            amount: c.amount.to_string(),
            idempotency_key: c.idempotency_key.clone(),
            end_to_end_id: c.end_to_end_id.clone(),
        })
        .collect();
    let outs = store
        .cash_outs
        .iter()
        .filter(|c| filter.keeps(&c.external_reference, c.idempotency_key.as_deref()));
    rows.extend(outs.map(|c| TransactionRow {
        kind: "cash_out",
        transaction_id: c.transaction_id.clone(),
        internal_code: c.internal_code.clone(),
        external_reference: c.external_reference.clone(),
        status: c.status.to_string(),
        amount: c.amount.to_string(),
        idempotency_key: c.idempotency_key.clone(),
        end_to_end_id: c.end_to_end_id.clone(),
    }));
    drop(store);
    Json(json!({ "transactions": rows })).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct Since {
    since: Option<u64>,
}

/// `GET /_sandbox/requests?since=<seq>&idempotencyKey=<key>` (both optional).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestQuery {
    since: Option<u64>,
    idempotency_key: Option<String>,
}

async fn requests(State(app): State<Arc<App>>, Query(q): Query<RequestQuery>) -> Response {
    let last = app.journal.last_request_seq();
    let mut rows = app.journal.requests_since(q.since.unwrap_or(0));
    if let Some(key) = q.idempotency_key {
        rows.retain(|r| r.idempotency_key.as_deref() == Some(key.as_str()));
    }
    Json(json!({ "requests": rows, "lastSeq": last })).into_response()
}

async fn clear_requests(State(app): State<Arc<App>>) -> Response {
    app.journal.clear_requests();
    Json(json!({ "lastSeq": app.journal.last_request_seq() })).into_response()
}

async fn webhooks(State(app): State<Arc<App>>, Query(q): Query<Since>) -> Response {
    let rows = app.journal.webhooks_since(q.since.unwrap_or(0));
    Json(json!({ "webhooks": rows })).into_response()
}

async fn clear_webhooks(State(app): State<Arc<App>>) -> Response {
    app.journal.clear_webhooks();
    Json(json!({ "ok": true })).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BankAmounts {
    transactional: Option<Amount>,
    proprietary: Option<Amount>,
}

/// `{"delbank": {"transactional": "100.00", "proprietary": "0"}, "celcoin": {...}}` sets those
/// banks; `{"transactional": "…", "proprietary": "…"}` puts the totals on Delbank and empties
/// the others.
async fn set_balances(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let result = (|| {
        let body: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&body).map_err(|e| ApiError::malformed_json(e.to_string()))?;
        let mut store = app.store();
        let mut ledger = store.ledger.clone();
        let totals = body.contains_key("transactional") || body.contains_key("proprietary");
        if totals {
            let amounts: BankAmounts = serde_json::from_value(serde_json::Value::Object(body))
                .map_err(|e| ApiError::validation("balances", e.to_string()))?;
            for (i, bank) in ledger.banks.iter_mut().enumerate() {
                let zero_or = |a: Option<Amount>| {
                    if i == 0 {
                        a.unwrap_or(Amount::ZERO)
                    } else {
                        Amount::ZERO
                    }
                };
                bank.transactional = zero_or(amounts.transactional);
                bank.proprietary = zero_or(amounts.proprietary);
            }
        } else {
            for (name, value) in body {
                let i = ledger.bank_index(&name).ok_or_else(|| {
                    ApiError::validation(
                        &name,
                        "unknown bank: use delbank, celcoin or starkbank (or an ISPB)",
                    )
                })?;
                let amounts: BankAmounts = serde_json::from_value(value)
                    .map_err(|e| ApiError::validation(&name, e.to_string()))?;
                if let Some(a) = amounts.transactional {
                    ledger.banks[i].transactional = a;
                }
                if let Some(a) = amounts.proprietary {
                    ledger.banks[i].proprietary = a;
                }
            }
        }
        let now = app.clock.now_ms();
        // Refused, not clamped, when a total would leave the range of an amount.
        let balance = ledger
            .balance(crate::clock::brasilia_date(now), crate::clock::utc(now))
            .map_err(|_| {
                ApiError::validation(
                    "balances",
                    "the balances and their totals must not be negative or overflow",
                )
            })?;
        store.ledger = ledger;
        Ok(balance)
    })();
    respond(result)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Advance {
    ms: Option<i64>,
    seconds: Option<i64>,
    minutes: Option<i64>,
    hours: Option<i64>,
}

fn clock_json(app: &App) -> serde_json::Value {
    let now = app.clock.now_ms();
    json!({ "now": crate::clock::utc(now), "nowMs": now, "offsetMs": app.clock.offset_ms() })
}

async fn clock_now(State(app): State<Arc<App>>) -> Response {
    Json(clock_json(&app)).into_response()
}

async fn advance_clock(State(app): State<Arc<App>>, body: Bytes) -> Response {
    respond(optional_body::<Advance>(&body).and_then(|a| {
        let parts = [
            a.ms.unwrap_or(0).checked_mul(1),
            a.seconds.unwrap_or(0).checked_mul(1000),
            a.minutes.unwrap_or(0).checked_mul(60_000),
            a.hours.unwrap_or(0).checked_mul(3_600_000),
        ];
        let ms = parts
            .into_iter()
            .try_fold(0i64, |total, part| total.checked_add(part?))
            .filter(|ms| *ms <= 100 * 365 * 86_400_000)
            .ok_or_else(|| ApiError::validation("ms", "at most 100 years at a time"))?;
        if ms < 0 {
            return Err(ApiError::validation(
                "ms",
                "the sandbox clock only moves forward",
            ));
        }
        app.clock.advance(ms);
        Ok(clock_json(&app))
    }))
}

async fn reset(State(app): State<Arc<App>>) -> Response {
    app.reset();
    Json(json!({ "ok": true })).into_response()
}

async fn add_fault(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let result = serde_json::from_slice::<FaultSpec>(&body)
        .map_err(|e| ApiError::validation("fault", e.to_string()))
        .and_then(|spec| {
            app.faults
                .add(spec)
                .map_err(|message| ApiError::validation("fault", message))
        });
    match result {
        Ok(rule) => (StatusCode::CREATED, Json(rule)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn fault_stats(State(app): State<Arc<App>>) -> Response {
    Json(app.faults.stats()).into_response()
}

async fn clear_faults(State(app): State<Arc<App>>) -> Response {
    app.faults.clear();
    Json(json!({ "ok": true })).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Settings {
    token_ttl_seconds: Option<u64>,
    settle_delay_ms: Option<u64>,
    auto_settle: Option<bool>,
}

fn settings_json(app: &App) -> serde_json::Value {
    json!({
        "tokenTtlSeconds": app.token_ttl_secs.load(Ordering::Relaxed),
        "settleDelayMs": app.settle_delay_ms.load(Ordering::Relaxed),
        "autoSettle": app.auto_settle.load(Ordering::Relaxed),
        "seed": app.seed,
        "limits": {
            "maxIdempotencyKeys": app.config.max_idempotency_keys,
            "idempotencyKeys": app.idempotency.len(),
            "maxRequestLog": app.config.max_request_log,
            "requestLog": app.journal.request_count(),
            "maxWebhookLog": app.config.max_webhook_log,
            "webhookLog": app.journal.webhook_count(),
            "maxConnections": app.config.max_connections,
            "maxInFlight": app.config.max_in_flight,
        },
    })
}

async fn settings(State(app): State<Arc<App>>) -> Response {
    Json(settings_json(&app)).into_response()
}

async fn set_settings(State(app): State<Arc<App>>, body: Bytes) -> Response {
    respond(optional_body::<Settings>(&body).map(|s| {
        if let Some(v) = s.token_ttl_seconds {
            app.token_ttl_secs.store(v, Ordering::Relaxed);
        }
        if let Some(v) = s.settle_delay_ms {
            app.settle_delay_ms.store(v, Ordering::Relaxed);
        }
        if let Some(v) = s.auto_settle {
            app.auto_settle.store(v, Ordering::Relaxed);
        }
        settings_json(&app)
    }))
}

async fn health() -> Response {
    Json(json!({ "ok": true })).into_response()
}

/// A stand-in for the payer's bank app: the OpenFinance `paymentUrl` lands here.
async fn open_finance_page(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let now = app.clock.now_ms();
    let mut store = app.store();
    let Some(i) = store.find_cash_in(&id, now) else {
        return ApiError::not_found(&id).into_response();
    };
    let c = &store.cash_ins[i];
    let page = format!(
        "<!doctype html><title>ConnectPSP sandbox bank</title><h1>Authorise a PIX payment</h1>\
         <p>R$ {} to CONNECTPSP SANDBOX ({})</p><p>Status: {}</p>\
         <form method=post action=\"/_sandbox/open-finance/{}/authorize\"><button>Authorise</button></form>",
        c.amount, c.internal_code, c.status, c.transaction_id
    );
    ([(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
}

async fn open_finance_authorize(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    match cash_in::pay(&app, &id, None, false) {
        Ok(c) => match c.redirect_url {
            Some(url) => Redirect::to(&url).into_response(),
            None => Html("<!doctype html><p>Payment authorised. You may close this page.</p>")
                .into_response(),
        },
        Err(e) => e.into_response(),
    }
}
