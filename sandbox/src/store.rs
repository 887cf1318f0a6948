//! The sandbox's in-memory state: cash-ins, cash-outs, balances, and the indexes that let
//! `{id}` be a transactionId, an internalCode or an endToEndId.

use std::collections::HashMap;

use connectpsp_core::Amount;
use connectpsp_core::model;
pub use connectpsp_core::model::cash_in::CashInStatus;
pub use connectpsp_core::model::cash_out::CashOutStatus;
use serde::Serialize;

use crate::clock;
use crate::ids::Ids;
use crate::ledger::{Allocation, Ledger};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BankData {
    pub ispb: String,
    pub bank: String,
    pub branch: String,
    pub account: String,
}

impl BankData {
    /// The payer used when `/_sandbox/cash-in/{id}/pay` is called without one.
    pub fn default_payer() -> BankData {
        BankData {
            ispb: "00000000".into(),
            bank: "Banco do Brasil S.A.".into(),
            branch: "0001".into(),
            account: "123456".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CashIn {
    pub transaction_id: String,
    pub internal_code: String,
    pub external_reference: String,
    pub status: CashInStatus,
    pub amount: Amount,
    pub payer_name: String,
    pub payer_document: String,
    pub payer_bank: Option<BankData>,
    pub end_to_end_id: Option<String>,
    pub original_end_to_end_id: Option<String>,
    pub requested_at: i64,
    pub expires_at: i64,
    pub paid_at: Option<i64>,
    pub refunded_at: Option<i64>,
    pub expired_at: Option<i64>,
    pub webhook_url: Option<String>,
    pub idempotency_key: Option<String>,
    pub payment_url: Option<String>,
    /// OpenFinance: where the payer returns after authorising.
    pub redirect_url: Option<String>,
    pub bank: usize,
}

#[derive(Debug, Clone)]
pub struct CashOut {
    pub transaction_id: String,
    pub internal_code: String,
    pub external_reference: String,
    pub description: Option<String>,
    pub status: CashOutStatus,
    pub amount: Amount,
    /// The payee as accepted (validated, PIX key normalised), echoed on every read.
    pub payee: model::cash_out::Payee,
    pub end_to_end_id: Option<String>,
    pub original_end_to_end_id: Option<String>,
    pub failure: Option<Failure>,
    pub requested_at: i64,
    pub completed_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub refunded_at: Option<i64>,
    pub webhook_url: Option<String>,
    pub idempotency_key: Option<String>,
    /// Where the money came from, to put it back exactly on failure or return.
    pub allocation: Allocation,
    /// What the settlement will do (magic values decide it at creation).
    pub planned: PlannedOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedOutcome {
    Complete,
    Fail(Failure),
    /// Completes, then the receiving side returns it (CASHOUT_REFUNDED).
    CompleteThenReturn,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

impl Failure {
    pub fn pix_key_not_found() -> Failure {
        Failure {
            code: "PIX_KEY_NOT_FOUND".into(),
            message: "The provided PIX key did not resolve to a valid account.".into(),
        }
    }

    pub fn from_code(code: &str) -> Failure {
        let message = match code {
            "PIX_KEY_NOT_FOUND" => return Failure::pix_key_not_found(),
            "ACCOUNT_CLOSED" => "The destination account is closed.",
            "ACCOUNT_BLOCKED" => "The destination account is blocked.",
            "REJECTED_BY_RECEIVER" => "The receiving institution rejected the payment.",
            "TIMEOUT" => "The receiving institution did not answer in time.",
            _ => "The payment failed (simulated by the sandbox).",
        };
        Failure {
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }
}

/// What a state change produces for the webhook dispatcher.
#[derive(Debug, Clone)]
pub struct Event {
    pub event_type: &'static str,
    pub transaction_id: String,
    pub url: String,
    pub data: serde_json::Value,
}

pub struct Store {
    pub ids: Ids,
    pub ledger: Ledger,
    pub cash_ins: Vec<CashIn>,
    pub cash_outs: Vec<CashOut>,
    /// transactionId / internalCode / endToEndId (E and D) → index in `cash_ins`.
    cash_in_index: HashMap<String, usize>,
    cash_out_index: HashMap<String, usize>,
    cash_in_references: HashMap<String, usize>,
    cash_out_references: HashMap<String, usize>,
}

impl Store {
    pub fn new(seed: u64) -> Store {
        Store {
            ids: Ids::new(seed),
            ledger: Ledger::default(),
            cash_ins: Vec::new(),
            cash_outs: Vec::new(),
            cash_in_index: HashMap::new(),
            cash_out_index: HashMap::new(),
            cash_in_references: HashMap::new(),
            cash_out_references: HashMap::new(),
        }
    }

    // ---- cash-in -----------------------------------------------------------------------------

    pub fn cash_in_reference_taken(&self, reference: &str) -> bool {
        self.cash_in_references.contains_key(reference)
    }

    pub fn insert_cash_in(&mut self, cash_in: CashIn) -> usize {
        let i = self.cash_ins.len();
        self.cash_in_index.insert(cash_in.transaction_id.clone(), i);
        self.cash_in_index.insert(cash_in.internal_code.clone(), i);
        self.cash_in_references
            .insert(cash_in.external_reference.clone(), i);
        self.cash_ins.push(cash_in);
        i
    }

    pub fn index_cash_in_e2e(&mut self, i: usize, e2e: &str) {
        self.cash_in_index.insert(e2e.to_owned(), i);
    }

    /// Finds a cash-in and applies a due expiry first (expiry is evaluated lazily, on the
    /// sandbox clock, so `clock/advance` takes effect at once).
    pub fn find_cash_in(&mut self, id: &str, now: i64) -> Option<usize> {
        let i = *self.cash_in_index.get(id)?;
        self.expire_if_due(i, now);
        Some(i)
    }

    pub fn expire_if_due(&mut self, i: usize, now: i64) {
        if let Some(c) = self.cash_ins.get_mut(i) {
            if c.status == CashInStatus::AwaitingPayment && now >= c.expires_at {
                c.status = CashInStatus::Expired;
                c.expired_at = Some(c.expires_at);
            }
        }
    }

    pub fn expire_all_due(&mut self, now: i64) {
        for i in 0..self.cash_ins.len() {
            self.expire_if_due(i, now);
        }
    }

    // ---- cash-out ----------------------------------------------------------------------------

    pub fn cash_out_reference_taken(&self, reference: &str) -> bool {
        self.cash_out_references.contains_key(reference)
    }

    pub fn insert_cash_out(&mut self, cash_out: CashOut) -> usize {
        let i = self.cash_outs.len();
        self.cash_out_index
            .insert(cash_out.transaction_id.clone(), i);
        self.cash_out_index
            .insert(cash_out.internal_code.clone(), i);
        self.cash_out_references
            .insert(cash_out.external_reference.clone(), i);
        self.cash_outs.push(cash_out);
        i
    }

    pub fn index_cash_out_e2e(&mut self, i: usize, e2e: &str) {
        self.cash_out_index.insert(e2e.to_owned(), i);
    }

    pub fn find_cash_out(&self, id: &str) -> Option<usize> {
        self.cash_out_index.get(id).copied()
    }
}

// ---- wire views ------------------------------------------------------------------------------

impl CashIn {
    /// `GET /cash-in/{id}` (and the data of cash-in webhooks), as the core's wire type.
    pub fn resource(&self) -> model::cash_in::CashIn {
        model::cash_in::CashIn {
            transaction_id: self.transaction_id.clone(),
            internal_code: Some(self.internal_code.clone()),
            external_reference: Some(self.external_reference.clone()),
            end_to_end_id: self.end_to_end_id.clone(),
            original_end_to_end_id: self.original_end_to_end_id.clone(),
            status: self.status.clone(),
            amount: self.amount,
            payer: Some(model::cash_in::Payer {
                name: self.payer_name.clone(),
                document: self.payer_document.clone(),
                bank_data: self
                    .payer_bank
                    .as_ref()
                    .map(|b| model::cash_in::PayerBankData {
                        ispb: Some(b.ispb.clone()),
                        bank: Some(b.bank.clone()),
                        branch: Some(b.branch.clone()),
                        account: Some(b.account.clone()),
                    }),
            }),
            pix_data: None,
            payment_url: self.payment_url.clone(),
            requested_at: Some(clock::brasilia_time(self.requested_at)),
            expires_at: Some(clock::brasilia_time(self.expires_at)),
            paid_at: self.paid_at.map(clock::brasilia_time),
            refunded_at: self.refunded_at.map(clock::brasilia_time),
            expired_at: self.expired_at.map(clock::brasilia_time),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::to_value(self.resource()).unwrap_or_default()
    }
}

impl CashOut {
    /// `GET /cash-out/{id}` (and the data of cash-out webhooks), as the core's wire type.
    pub fn resource(&self) -> model::cash_out::CashOut {
        model::cash_out::CashOut {
            transaction_id: self.transaction_id.clone(),
            internal_code: Some(self.internal_code.clone()),
            external_reference: Some(self.external_reference.clone()),
            end_to_end_id: self.end_to_end_id.clone(),
            original_end_to_end_id: self.original_end_to_end_id.clone(),
            status: self.status.clone(),
            amount: self.amount,
            description: self.description.clone(),
            failure: self.failure.as_ref().map(|f| model::cash_out::Failure {
                code: Some(f.code.clone()),
                message: Some(f.message.clone()),
            }),
            payee: Some(self.payee.clone()),
            requested_at: Some(clock::brasilia_time(self.requested_at)),
            completed_at: self.completed_at.map(clock::brasilia_time),
            failed_at: self.failed_at.map(clock::brasilia_time),
            refunded_at: self.refunded_at.map(clock::brasilia_time),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::to_value(self.resource()).unwrap_or_default()
    }
}
