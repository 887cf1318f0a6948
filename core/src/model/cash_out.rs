//! Cash-out: `POST /cash-out` to a PIX key or to bank-account data, and `GET /cash-out/{id}`.

use serde::{Deserialize, Serialize};

use super::{
    check_callback_url, check_description, check_external_reference, check_name, string_enum, under,
};
use crate::error::Error;
use crate::money::Amount;
use crate::pix::document;
use crate::pix::key::{self, PixKeyType};

/// Request body of `POST /cash-out`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCashOut {
    /// Reais, more than zero.
    pub amount: Amount,
    /// Your unique reference; a duplicate is a `409`.
    pub external_reference: String,
    /// May appear on the payee's statement (≤ 140 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Receives `CASHOUT_COMPLETED`, `CASHOUT_FAILED` and `CASHOUT_REFUNDED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    pub payee: Payee,
}

impl CreateCashOut {
    /// Checks every rule of docs/api-decisions.md; the error names the first bad field.
    pub fn validate(&self) -> Result<(), Error> {
        self.checked().map(|_| ())
    }

    /// [`CreateCashOut::validate`], returning the PIX key in normalised wire form.
    fn checked(&self) -> Result<Option<String>, Error> {
        self.amount.require_positive("amount")?;
        self.amount.require_request_range("amount")?;
        check_external_reference("externalReference", &self.external_reference)?;
        check_description("description", self.description.as_deref())?;
        if let Some(url) = &self.webhook_url {
            check_callback_url("webhookUrl", url)?;
        }
        self.payee.validate("payee")
    }

    /// Validates and returns the PIX key's normalised wire form when it is not the key as
    /// given (`None`: this very request is what should be sent). What [`Self::validated`] does
    /// without copying the request.
    pub fn rewritten_key(&self) -> Result<Option<String>, Error> {
        let normalized = self.checked()?;
        let given = self
            .payee
            .destination
            .as_ref()
            .and_then(|d| d.pix_key.as_deref());
        Ok(normalized.filter(|key| Some(key.as_str()) != given))
    }

    /// Validates and returns the request with its PIX key in normalised wire form
    /// (`pix::key::normalize`: e-mail and EVP lowercased, CNPJ letters uppercased). This is
    /// what should be sent: the key is never rewritten beyond letter case.
    pub fn validated(mut self) -> Result<CreateCashOut, Error> {
        if let Some(normalized) = self.checked()?
            && let Some(destination) = &mut self.payee.destination
        {
            destination.pix_key = Some(normalized);
        }
        Ok(self)
    }
}

/// Who receives a cash-out, and where. `Debug` masks the document.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payee {
    /// Full name (1–140 characters).
    #[serde(default, deserialize_with = "super::null_as_default")]
    pub name: String,
    /// CPF (11 digits) or CNPJ (14 characters), without punctuation.
    #[serde(default, deserialize_with = "super::null_as_default")]
    pub document: String,
    /// Required in requests; optional here so a response missing it still parses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<Destination>,
}

impl std::fmt::Debug for Payee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payee")
            .field("name", &self.name)
            .field("document", &document::mask(&self.document))
            .field("destination", &self.destination)
            .finish()
    }
}

impl Payee {
    /// Returns the normalised PIX key, if the destination is a key.
    ///
    /// The fields are checked under their own names and the path is prefixed only on a
    /// failure ([`under`]): three `format!`s per payout on the success path showed in the wasm
    /// profile (bench/README.md).
    fn validate(&self, path: &str) -> Result<Option<String>, Error> {
        check_name("name", &self.name).map_err(|e| under(path, e))?;
        document::validate("document", &self.document).map_err(|e| under(path, e))?;
        match &self.destination {
            Some(destination) => destination
                .validate("destination")
                .map_err(|e| under(path, e)),
            None => Err(Error::validation(
                format!("{path}.destination"),
                "is required: a PIX key (type PIX) or a bank account (type BANK_ACCOUNT)",
            )),
        }
    }
}

string_enum! {
    /// Where a cash-out goes: a PIX key or bank-account data.
    DestinationType {
        Pix = "PIX",
        BankAccount = "BANK_ACCOUNT",
    }
}

/// `payee.destination`. Flat, as on the wire: `type` says which of the other fields apply
/// (`PIX` → `pixKeyType` + `pixKey`; `BANK_ACCOUNT` → `bankAccount`). Build it with
/// [`Destination::pix`] or [`Destination::bank_account`]. `Debug` masks the PIX key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    #[serde(rename = "type")]
    pub kind: DestinationType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pix_key_type: Option<PixKeyType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pix_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_account: Option<BankAccount>,
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let masked_key = self
            .pix_key
            .as_deref()
            .map(|pix_key| match &self.pix_key_type {
                Some(kind) => key::mask(kind, pix_key),
                None => "***".to_owned(),
            });
        f.debug_struct("Destination")
            .field("kind", &self.kind)
            .field("pix_key_type", &self.pix_key_type)
            .field("pix_key", &masked_key)
            .field("bank_account", &self.bank_account)
            .finish()
    }
}

impl Destination {
    /// A PIX key destination.
    pub fn pix(pix_key_type: PixKeyType, pix_key: impl Into<String>) -> Destination {
        Destination {
            kind: DestinationType::Pix,
            pix_key_type: Some(pix_key_type),
            pix_key: Some(pix_key.into()),
            bank_account: None,
        }
    }

    /// A bank-account destination.
    pub fn bank_account(bank_account: BankAccount) -> Destination {
        Destination {
            kind: DestinationType::BankAccount,
            pix_key_type: None,
            pix_key: None,
            bank_account: Some(bank_account),
        }
    }

    /// Exactly the fields of its `type`, each valid. Mixing both kinds is refused: it would be
    /// ambiguous where the money goes. Returns the normalised key for a PIX destination.
    fn validate(&self, path: &str) -> Result<Option<String>, Error> {
        let at = |field: &str| format!("{path}.{field}");
        match &self.kind {
            DestinationType::Pix => {
                if self.bank_account.is_some() {
                    return Err(Error::validation(
                        at("bankAccount"),
                        "must be left out when type is PIX",
                    ));
                }
                let Some(kind) = &self.pix_key_type else {
                    return Err(Error::validation(
                        at("pixKeyType"),
                        "is required when type is PIX (CPF, CNPJ, EMAIL, PHONE or EVP)",
                    ));
                };
                let Some(pix_key) = &self.pix_key else {
                    return Err(Error::validation(
                        at("pixKey"),
                        "is required when type is PIX",
                    ));
                };
                key::normalize(kind, pix_key)
                    .map(Some)
                    .map_err(|e| under(path, e))
            }
            DestinationType::BankAccount => {
                for (field, present) in [
                    ("pixKeyType", self.pix_key_type.is_some()),
                    ("pixKey", self.pix_key.is_some()),
                ] {
                    if present {
                        return Err(Error::validation(
                            at(field),
                            "must be left out when type is BANK_ACCOUNT",
                        ));
                    }
                }
                match &self.bank_account {
                    Some(account) => account.validate(&at("bankAccount")).map(|()| None),
                    None => Err(Error::validation(
                        at("bankAccount"),
                        "is required when type is BANK_ACCOUNT",
                    )),
                }
            }
            DestinationType::Unknown(_) => Err(Error::validation(
                at("type"),
                format!("must be {}", DestinationType::expected()),
            )),
        }
    }
}

/// A Brazilian bank account (`payee.destination.bankAccount`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankAccount {
    /// The bank's 8-digit ISPB (`18236120`).
    #[serde(default, deserialize_with = "super::null_as_default")]
    pub ispb: String,
    /// 1–4 digits (`0001`).
    #[serde(default, deserialize_with = "super::null_as_default")]
    pub branch: String,
    /// 1–20 digits, optionally `-` and a check digit (`947710840`, `12345-6`, `12345-X`).
    #[serde(default, deserialize_with = "super::null_as_default")]
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<AccountType>,
}

impl BankAccount {
    fn validate(&self, path: &str) -> Result<(), Error> {
        let at = |field: &str| format!("{path}.{field}");
        let digits = |text: &str, range: std::ops::RangeInclusive<usize>| {
            range.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(&self.ispb, 8..=8) {
            return Err(Error::validation(
                at("ispb"),
                "must be the bank's 8-digit ISPB, e.g. 18236120",
            ));
        }
        if !digits(&self.branch, 1..=4) {
            return Err(Error::validation(
                at("branch"),
                "must be 1 to 4 digits, e.g. 0001 (no check digit)",
            ));
        }
        let (number, check) = match self.account.split_once('-') {
            Some((number, check)) => (number, Some(check)),
            None => (self.account.as_str(), None),
        };
        let check_ok = check
            .is_none_or(|c| c.len() == 1 && c.bytes().all(|b| b.is_ascii_digit() || b == b'X'));
        if !digits(number, 1..=20) || !check_ok {
            return Err(Error::validation(
                at("account"),
                "must be 1 to 20 digits, optionally followed by '-' and one check digit (0-9 or X)",
            ));
        }
        if let Some(kind) = &self.account_type
            && !kind.is_known()
        {
            return Err(Error::validation(
                at("accountType"),
                format!("must be {}", AccountType::expected()),
            ));
        }
        Ok(())
    }
}

string_enum! {
    /// Kind of bank account. Only `PAYMENT` appears in the docs; the others are the PIX
    /// account types.
    AccountType {
        Checking = "CHECKING",
        Savings = "SAVINGS",
        Payment = "PAYMENT",
        Salary = "SALARY",
    }
}

string_enum! {
    /// Lifecycle of a cash-out: `PROCESSING` → `COMPLETED` (→ `REFUNDED`), or `FAILED` /
    /// `CANCELLED`.
    CashOutStatus {
        Processing = "PROCESSING",
        Completed = "COMPLETED",
        Failed = "FAILED",
        Refunded = "REFUNDED",
        Cancelled = "CANCELLED",
    }
}

impl CashOutStatus {
    /// True when the status can no longer change (`FAILED`, `REFUNDED`, `CANCELLED`).
    /// `COMPLETED` is not final: the receiving side can still return the money.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            CashOutStatus::Failed | CashOutStatus::Refunded | CashOutStatus::Cancelled
        )
    }
}

/// The cash-out resource: `202` of `POST /cash-out`, `200` of `GET /cash-out/{id}` and the
/// `data` of `CASHOUT_*` webhooks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CashOut {
    /// A UUID in the docs; opaque.
    pub transaction_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_reference: Option<String>,
    /// `E…` when completed, `D…` when refunded, `null` when failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_to_end_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_end_to_end_id: Option<String>,
    pub status: CashOutStatus,
    pub amount: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Only when `status` is `FAILED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<Payee>,
    /// ISO 8601 timestamps, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<String>,
}

/// Why a cash-out failed (asynchronously, after the `202`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// Machine code; only `PIX_KEY_NOT_FOUND` is documented, so it stays a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> CreateCashOut {
        CreateCashOut {
            amount: Amount::parse("50.00").unwrap(),
            external_reference: "withdrawal-user-42-001".into(),
            description: Some("User withdrawal".into()),
            webhook_url: None,
            payee: Payee {
                name: "Maria Silva".into(),
                document: "12345678909".into(),
                destination: Some(Destination::pix(PixKeyType::Email, "Maria@Example.com")),
            },
        }
    }

    #[test]
    fn validated_normalises_the_key_case_only() {
        let request = valid().validated().unwrap();
        let destination = request.payee.destination.unwrap();
        assert_eq!(destination.pix_key.as_deref(), Some("maria@example.com"));
    }

    #[test]
    fn rewritten_key_is_the_wire_form_only_when_it_differs() {
        assert_eq!(
            valid().rewritten_key().unwrap().as_deref(),
            Some("maria@example.com")
        );
        let mut request = valid();
        request.payee.destination = Some(Destination::pix(PixKeyType::Cpf, "12345678909"));
        assert_eq!(request.rewritten_key().unwrap(), None);
        request.payee.document = "123".into();
        assert!(request.rewritten_key().is_err());
    }

    #[test]
    fn key_errors_carry_the_full_path() {
        let mut request = valid();
        request.payee.destination = Some(Destination::pix(PixKeyType::Phone, "11987654321"));
        let err = request.validate().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("payee.destination.pixKey"));
        assert!(
            err.message.starts_with("payee.destination.pixKey: "),
            "{}",
            err.message
        );
    }

    #[test]
    fn bank_account_rules() {
        let account = |ispb: &str, branch: &str, number: &str| BankAccount {
            ispb: ispb.into(),
            branch: branch.into(),
            account: number.into(),
            account_type: Some(AccountType::Payment),
        };
        let path = "payee.destination.bankAccount";
        assert!(
            account("18236120", "0001", "947710840")
                .validate(path)
                .is_ok()
        );
        assert!(account("18236120", "1", "12345-X").validate(path).is_ok());
        for (bad, field) in [
            (account("1823612", "0001", "1"), "ispb"),
            (account("18236120", "00001", "1"), "branch"),
            (account("18236120", "0001", ""), "account"),
            (account("18236120", "0001", "12-34"), "account"),
            (account("18236120", "0001", &"1".repeat(21)), "account"),
        ] {
            let err = bad.validate(path).unwrap_err();
            assert_eq!(err.field, Some(format!("{path}.{field}")));
        }
    }

    #[test]
    fn debug_masks_document_and_key() {
        let shown = format!("{:?}", valid());
        assert!(!shown.contains("12345678909"), "{shown}");
        assert!(!shown.contains("Maria@Example.com"), "{shown}");
        assert!(shown.contains("M***@Example.com"), "{shown}");
    }

    #[test]
    fn mixed_destinations_are_refused() {
        let mut destination = Destination::pix(PixKeyType::Cpf, "12345678909");
        destination.bank_account = Some(BankAccount::default());
        let err = destination.validate("d").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("d.bankAccount"));
    }
}
