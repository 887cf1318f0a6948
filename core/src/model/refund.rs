//! `POST /cash-in/{id}/refund`: the full PIX devolution of a paid cash-in.
//!
//! The docs show only the start of the `202` body (`transactionId`, `internalCode`,
//! `externalReference` and the devolution's `endToEndId`); the sandbox and our OpenAPI add
//! `originalEndToEndId` and the rest of the cash-in. [`Refund`] therefore requires only what
//! identifies the refund (`transactionId`, and the `D…` `endToEndId` the page promises) and
//! reads every other member as optional: a refund that happened is never reported as an error
//! because the answer was shorter than our sandbox's.

use serde::{Deserialize, Serialize};

use super::cash_in::{CashInStatus, Payer};
use super::{check_description, string_enum};
use crate::error::Error;
use crate::money::Amount;

/// Request body of `POST /cash-in/{id}/refund` (always the full amount).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundCashIn {
    pub reason: RefundReason,
    /// Internal audit note (≤ 140 characters), not shown to the payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl RefundCashIn {
    pub fn validate(&self) -> Result<(), Error> {
        if !self.reason.is_known() {
            return Err(Error::validation(
                "reason",
                format!("must be one of {}", RefundReason::expected()),
            ));
        }
        check_description("description", self.description.as_deref())
    }
}

string_enum! {
    /// Why a cash-in is refunded.
    RefundReason {
        Fraud = "FRAUD",
        DuplicatedPayment = "DUPLICATED_PAYMENT",
        CustomerRequest = "CUSTOMER_REQUEST",
        MerchantError = "MERCHANT_ERROR",
    }
}

/// The `202` answer of `POST /cash-in/{id}/refund`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    /// The refunded cash-in's txid.
    pub transaction_id: String,
    /// The devolution's end-to-end id (`D…`).
    pub end_to_end_id: String,
    /// ConnectPSP's short code of the cash-in (`US7B1JQ`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_reference: Option<String>,
    /// The original payment's end-to-end id (`E…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_end_to_end_id: Option<String>,
    /// The cash-in's status after the refund (`REFUNDED` from the sandbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CashInStatus>,
    /// The refunded amount: always the whole charge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
    /// ISO 8601 timestamps, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_part_of_the_202_is_enough() {
        let body = r#"{"transactionId":"kk6g232xel65a0daee4dd13kk2912714964","internalCode":"US7B1JQ",
            "externalReference":"order_abc123","endToEndId":"D00416968202603111200abcdefGHIJK"}"#;
        let refund: Refund = serde_json::from_str(body).unwrap();
        assert_eq!(refund.end_to_end_id, "D00416968202603111200abcdefGHIJK");
        assert_eq!(refund.internal_code.as_deref(), Some("US7B1JQ"));
        assert_eq!(refund.status, None);
        assert_eq!(refund.amount, None);
    }

    #[test]
    fn the_whole_cash_in_reads_too_and_nulls_are_absent() {
        let body = r#"{"transactionId":"t","endToEndId":"D1","originalEndToEndId":"E1","status":"REFUNDED",
            "amount":1.5E1,"refundedAt":null,"pixData":{"copyAndPaste":"000201"}}"#;
        let refund: Refund = serde_json::from_str(body).unwrap();
        assert_eq!(refund.status, Some(CashInStatus::Refunded));
        assert_eq!(refund.amount.map(Amount::centavos), Some(1500));
        assert_eq!(refund.refunded_at, None);
    }

    #[test]
    fn refund_reason_must_be_known() {
        let refund = RefundCashIn {
            reason: RefundReason::from_wire("OOPS"),
            description: None,
        };
        assert_eq!(
            refund.validate().unwrap_err().field.as_deref(),
            Some("reason")
        );
    }
}
