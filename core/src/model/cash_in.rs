//! Cash-in: `POST /cash-in` (QR code or OpenFinance) and `GET /cash-in/{id}`; the refund's
//! request and answer are in [`super::refund`] (re-exported here).

use serde::{Deserialize, Serialize};

pub use super::refund::{Refund, RefundCashIn, RefundReason};
use super::{check_callback_url, check_external_reference, check_name, string_enum};
use crate::error::Error;
use crate::money::Amount;
use crate::pix::document;

/// Longest QR validity we accept: one year, in minutes.
pub const EXPIRATION_MAX_MINUTES: i64 = 525_600;

/// Request body of `POST /cash-in`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCashIn {
    /// Reais, more than zero.
    pub amount: Amount,
    /// Your unique order id (1–128 printable ASCII characters, no `/ ? # %`).
    pub external_reference: String,
    /// QR validity; the API defaults to 1440 (24 h). `i64` so that a negative value reaches
    /// `validate()` and gets a range message rather than a type error.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_number"
    )]
    pub expiration_in_minutes: Option<i64>,
    /// Receives `CASHIN_PAID` and `CASHIN_REFUNDED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    pub payer: Payer,
    /// Present: an OpenFinance payment link instead of a QR code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_finance: Option<OpenFinance>,
}

impl CreateCashIn {
    /// Checks every rule of docs/api-decisions.md; the error names the first bad field.
    pub fn validate(&self) -> Result<(), Error> {
        self.amount.require_positive("amount")?;
        self.amount.require_request_range("amount")?;
        check_external_reference("externalReference", &self.external_reference)?;
        if let Some(minutes) = self.expiration_in_minutes
            && !(1..=EXPIRATION_MAX_MINUTES).contains(&minutes)
        {
            return Err(Error::validation(
                "expirationInMinutes",
                format!(
                    "must be between 1 and {EXPIRATION_MAX_MINUTES} minutes (one year); got {minutes}"
                ),
            ));
        }
        if let Some(url) = &self.webhook_url {
            check_callback_url("webhookUrl", url)?;
        }
        self.payer.validate("payer")?;
        if let Some(open_finance) = &self.open_finance
            && let Some(url) = &open_finance.redirect_url
        {
            check_callback_url("openFinance.redirectUrl", url)?;
        }
        Ok(())
    }
}

/// An optional whole number in any JSON spelling of it (`60`, `60.0`, `6E1`): JSON Schema's
/// `integer` is a value, not a spelling, and a client's serialiser may write `60.0`.
fn whole_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    use serde::de::Error as _;
    let Some(value) = Option::<serde_json::Value>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let serde_json::Value::Number(number) = &value else {
        return Err(D::Error::custom("wrong type: expected a whole number"));
    };
    if let Some(whole) = number.as_i64() {
        return Ok(Some(whole));
    }
    // Through the exact decimal reader: centavos that are whole reais are a whole number.
    match crate::money::SignedAmount::parse_field("n", &number.to_string()) {
        Ok(value) if value.centavos() % 100 == 0 => Ok(Some(value.centavos() / 100)),
        _ => Err(D::Error::custom("must be a whole number in range")),
    }
}

/// Who pays a cash-in. In requests only `name` and `document`; responses may add `bankData`.
/// `Debug` masks the document (`123.***.***-09`): it is personal data.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payer {
    /// Full name (1–140 characters).
    #[serde(default, deserialize_with = "super::null_as_default")]
    pub name: String,
    /// CPF (11 digits) or CNPJ (14 characters), without punctuation.
    #[serde(default, deserialize_with = "super::null_as_default")]
    pub document: String,
    /// The payer's bank, filled by the API after settlement (`null` before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_data: Option<PayerBankData>,
}

impl std::fmt::Debug for Payer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payer")
            .field("name", &self.name)
            .field("document", &document::mask(&self.document))
            .field("bank_data", &self.bank_data)
            .finish()
    }
}

impl Payer {
    fn validate(&self, path: &str) -> Result<(), Error> {
        check_name(&format!("{path}.name"), &self.name)?;
        document::validate(&format!("{path}.document"), &self.document)?;
        if self.bank_data.is_some() {
            return Err(Error::validation(
                format!("{path}.bankData"),
                "is filled by the API after payment; leave it out of the request",
            ));
        }
        Ok(())
    }
}

/// The payer's bank account, as reported by the API after settlement.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayerBankData {
    /// 8-digit ISPB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ispb: Option<String>,
    /// Bank name, e.g. `Banco do Brasil S.A.`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// The `openFinance` object of `POST /cash-in` (only `redirectUrl` is known; see
/// docs/api-decisions.md).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenFinance {
    /// Where the payer's browser returns after authorising (https, or http to loopback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
}

string_enum! {
    /// Lifecycle of a cash-in: `AWAITING_PAYMENT` → `PAID` → `REFUNDED`, or `EXPIRED` /
    /// `CANCELLED`.
    CashInStatus {
        AwaitingPayment = "AWAITING_PAYMENT",
        Paid = "PAID",
        Expired = "EXPIRED",
        Refunded = "REFUNDED",
        Cancelled = "CANCELLED",
    }
}

impl CashInStatus {
    /// True when the status can no longer change (`REFUNDED`, `EXPIRED`, `CANCELLED`).
    /// `PAID` is not final: it can still be refunded. Unknown statuses are not final.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            CashInStatus::Refunded | CashInStatus::Expired | CashInStatus::Cancelled
        )
    }
}

/// The cash-in resource: `201` of `POST /cash-in`, `200` of `GET /cash-in/{id}` and the `data`
/// of `CASHIN_*` webhooks. (The refund's `202` is a [`Refund`]: the docs show less of it.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CashIn {
    /// The PIX txid (35 alphanumerics in the docs; opaque).
    pub transaction_id: String,
    /// ConnectPSP's short code (`US7B1JQ`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_reference: Option<String>,
    /// `E…` once paid; `D…` (the devolution) once refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_to_end_id: Option<String>,
    /// The original `E…` id when `endToEndId` holds a refund's `D…` id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_end_to_end_id: Option<String>,
    pub status: CashInStatus,
    pub amount: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
    /// QR code flow, create response only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pix_data: Option<PixData>,
    /// OpenFinance flow, create response only: where to send the payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_url: Option<String>,
    /// ISO 8601 timestamps (the API uses a `-03:00` offset here); kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<String>,
    /// When the charge stops accepting payment (create response).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<String>,
}

/// The QR code of a new cash-in.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PixData {
    /// The EMV BR Code ("Pix Copia e Cola").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_and_paste: Option<String>,
    /// PNG, Base64, without a `data:` prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code_image_base64: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> CreateCashIn {
        CreateCashIn {
            amount: Amount::parse("150.50").unwrap(),
            external_reference: "order_abc123".into(),
            expiration_in_minutes: Some(60),
            webhook_url: Some("https://api.yourdomain.com/webhooks/connectpsp".into()),
            payer: Payer {
                name: "João Silva".into(),
                document: "12345678909".into(),
                bank_data: None,
            },
            open_finance: None,
        }
    }

    #[test]
    fn a_valid_request_passes_and_serialises_camel_case_without_nulls() {
        let request = valid();
        request.validate().unwrap();
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(
            json,
            r#"{"amount":150.50,"externalReference":"order_abc123","expirationInMinutes":60,"webhookUrl":"https://api.yourdomain.com/webhooks/connectpsp","payer":{"name":"João Silva","document":"12345678909"}}"#
        );
    }

    #[test]
    fn each_rule_names_its_field() {
        let mut r = valid();
        r.amount = Amount::ZERO;
        assert_eq!(r.validate().unwrap_err().field.as_deref(), Some("amount"));
        let mut r = valid();
        r.expiration_in_minutes = Some(0);
        assert_eq!(
            r.validate().unwrap_err().field.as_deref(),
            Some("expirationInMinutes")
        );
        let mut r = valid();
        r.payer.document = "12345678900".into();
        assert_eq!(
            r.validate().unwrap_err().field.as_deref(),
            Some("payer.document")
        );
        let mut r = valid();
        r.open_finance = Some(OpenFinance {
            redirect_url: Some("javascript:alert(1)".into()),
        });
        assert_eq!(
            r.validate().unwrap_err().field.as_deref(),
            Some("openFinance.redirectUrl")
        );
    }

    #[test]
    fn expiration_is_a_whole_number_in_any_spelling() {
        let parse = |minutes: &str| {
            serde_json::from_str::<CreateCashIn>(&format!(
                r#"{{"amount":1,"externalReference":"r","payer":{{"name":"n","document":"12345678909"}},"expirationInMinutes":{minutes}}}"#
            ))
            .map(|r| r.expiration_in_minutes)
        };
        assert_eq!(parse("60").unwrap(), Some(60));
        assert_eq!(parse("377.0").unwrap(), Some(377));
        assert_eq!(parse("6E1").unwrap(), Some(60));
        assert_eq!(parse("null").unwrap(), None);
        assert!(parse("60.5").is_err());
        assert!(parse("\"60\"").is_err());
    }

    #[test]
    fn debug_masks_the_document() {
        let shown = format!("{:?}", valid());
        assert!(!shown.contains("12345678909"), "{shown}");
        assert!(shown.contains("123.***.***-09"), "{shown}");
    }

    #[test]
    fn unknown_status_is_kept_and_refund_reason_must_be_known() {
        let status: CashInStatus = serde_json::from_str("\"ON_HOLD\"").unwrap();
        assert_eq!(status, CashInStatus::Unknown("ON_HOLD".into()));
        assert_eq!(serde_json::to_string(&status).unwrap(), "\"ON_HOLD\"");
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
