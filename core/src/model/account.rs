//! Account: `GET /account/balance` and `POST /account/rebalance`.
//!
//! Balances and totals are [`SignedAmount`]s: an account may be overdrawn and a consolidated
//! total is not bounded by what one transaction can carry. The rebalance target is a request
//! amount ([`Amount`], at most [`Amount::REQUEST_MAX`]).

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::money::{Amount, SignedAmount};

/// `200` body of `GET /account/balance`: consolidated and per-bank balances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    /// `"BRL"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_date: Option<String>,
    /// The totals: required, they are what a balance call is for.
    pub consolidated: Consolidated,
    #[serde(default, deserialize_with = "super::null_as_default")]
    pub banks: Vec<BankBalance>,
    /// When the snapshot was taken (ISO 8601, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// Sums over every partner bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Consolidated {
    /// Transactional + proprietary.
    pub total_balance: SignedAmount,
    /// Available for cash-outs.
    pub transactional_balance: SignedAmount,
    /// The merchant's reserve.
    pub proprietary_balance: SignedAmount,
}

/// One partner bank (Delbank, Celcoin, StarkBank).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankBalance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ispb: Option<String>,
    /// Bank name, e.g. `CELCOIN IP S.A.`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank: Option<String>,
    #[serde(default, deserialize_with = "super::null_as_default")]
    pub accounts: BankAccounts,
}

/// The two accounts held at one bank; either may be absent or `null`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankAccounts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transactional: Option<AccountBalance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proprietary: Option<AccountBalance>,
}

/// One account and its balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountBalance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub balance: SignedAmount,
}

/// Request body of `POST /account/rebalance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rebalance {
    /// The transactional balance wanted (your total user exposure). A target, not a delta, so
    /// a retry is harmless; zero is allowed (sweep everything to proprietary).
    pub target_amount: Amount,
}

impl Rebalance {
    /// `0 ≤ targetAmount ≤ Amount::REQUEST_MAX` (`Amount` already refuses a sign).
    pub fn validate(&self) -> Result<(), Error> {
        self.target_amount
            .require_request_range("targetAmount")
            .map(|_| ())
    }
}

/// `200` body of `POST /account/rebalance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RebalanceResult {
    pub success: bool,
    /// `"Rebalancing completed successfully."`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bank_without_proprietary_account_parses() {
        let json = r#"{"currency":"BRL","consolidated":{"totalBalance":10,"transactionalBalance":10,"proprietaryBalance":0},
            "banks":[{"ispb":"13935893","accounts":{"transactional":{"balance":10.5},"proprietary":null}}]}"#;
        let balance: Balance = serde_json::from_str(json).unwrap();
        let accounts = &balance.banks[0].accounts;
        assert_eq!(
            accounts.transactional.as_ref().unwrap().balance.centavos(),
            1050
        );
        assert!(accounts.proprietary.is_none());
        assert_eq!(balance.consolidated.total_balance.centavos(), 1000);
    }

    #[test]
    fn negative_and_huge_balances_parse() {
        let json = r#"{"consolidated":{"totalBalance":-12.5,"transactionalBalance":-1.25E1,"proprietaryBalance":0},
            "banks":[{"accounts":{"transactional":{"balance":25000000000.00}}}]}"#;
        let balance: Balance = serde_json::from_str(json).unwrap();
        assert_eq!(balance.consolidated.total_balance.centavos(), -1250);
        assert_eq!(balance.consolidated.transactional_balance.centavos(), -1250);
        let bank = balance.banks[0].accounts.transactional.as_ref().unwrap();
        assert_eq!(bank.balance.centavos(), 2_500_000_000_000);
    }

    #[test]
    fn missing_totals_are_an_error() {
        assert!(serde_json::from_str::<Balance>(r#"{"currency":"BRL"}"#).is_err());
    }
}
