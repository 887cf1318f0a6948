//! Balances of the three partner banks, each with a transactional and a proprietary account.
//!
//! Every movement is exact integer centavos (core `Amount`). A cash-out reserves its amount from
//! the transactional side when it is accepted (so a second payout cannot spend the same money)
//! and records which banks it drew from, so a failure or a return puts back exactly that.

use connectpsp_core::Amount;
use connectpsp_core::model::account::{
    AccountBalance, Balance, BankAccounts, BankBalance, Consolidated,
};

use crate::problem::ApiError;

/// A partner bank as the balance endpoint shows it.
#[derive(Debug, Clone)]
pub struct Bank {
    /// Short name used by the control API (`delbank`, `celcoin`, `starkbank`).
    pub slug: &'static str,
    pub ispb: &'static str,
    pub name: &'static str,
    pub branch: &'static str,
    pub transactional_account: &'static str,
    pub proprietary_account: &'static str,
    pub transactional: Amount,
    pub proprietary: Amount,
}

/// Centavos drawn from (or credited to) each bank by one transaction, indexed like `Ledger::banks`.
pub type Allocation = Vec<(usize, Amount)>;

#[derive(Debug, Clone)]
pub struct Ledger {
    pub banks: Vec<Bank>,
}

/// A ledger movement that would fail: short of money, or a balance or total the API's amount
/// type cannot represent. Never clamped: a clamped balance would silently create or destroy
/// money.
#[derive(Debug, PartialEq, Eq)]
pub enum LedgerError {
    Shortfall { available: Amount },
    OutOfRange,
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> ApiError {
        match e {
            LedgerError::Shortfall { available } => ApiError::business(
                "INSUFFICIENT_FUNDS",
                "Insufficient Funds",
                format!("The available balance is R$ {available}."),
            ),
            LedgerError::OutOfRange => ApiError::business(
                "BALANCE_OUT_OF_RANGE",
                "Balance Out Of Range",
                "The resulting balance or total would be negative or beyond what the ledger can hold.",
            ),
        }
    }
}

fn reais(centavos: i64) -> Result<Amount, LedgerError> {
    Amount::from_centavos(centavos).map_err(|_| LedgerError::OutOfRange)
}

/// The defaults below are constants well inside the range.
fn known(centavos: i64) -> Amount {
    Amount::from_centavos(centavos).unwrap_or_else(|_| unreachable!("constant in range"))
}

impl Default for Ledger {
    /// R$ 1,000,000.00 transactional and R$ 5,000,000.00 proprietary, spread over the banks:
    /// enough for thousands of test payouts.
    fn default() -> Self {
        Ledger {
            banks: vec![
                Bank {
                    slug: "delbank",
                    ispb: "19468242",
                    name: "DELBANK S.A.",
                    branch: "0001",
                    transactional_account: "100200",
                    proprietary_account: "100201",
                    transactional: known(40_000_000),
                    proprietary: known(200_000_000),
                },
                Bank {
                    slug: "celcoin",
                    ispb: "13935893",
                    name: "CELCOIN IP S.A.",
                    branch: "0001",
                    transactional_account: "123456",
                    proprietary_account: "123457",
                    transactional: known(30_000_000),
                    proprietary: known(150_000_000),
                },
                Bank {
                    slug: "starkbank",
                    ispb: "20018183",
                    name: "STARK BANK S.A.",
                    branch: "0001",
                    transactional_account: "500100",
                    proprietary_account: "500101",
                    transactional: known(30_000_000),
                    proprietary: known(150_000_000),
                },
            ],
        }
    }
}

fn sum(amounts: impl Iterator<Item = Amount>) -> Result<Amount, LedgerError> {
    let total = amounts
        .map(Amount::centavos)
        .try_fold(0i64, i64::checked_add)
        .ok_or(LedgerError::OutOfRange)?;
    reais(total)
}

impl Ledger {
    pub fn bank_index(&self, slug_or_ispb: &str) -> Option<usize> {
        let wanted = slug_or_ispb.to_ascii_lowercase();
        self.banks
            .iter()
            .position(|b| b.slug == wanted || b.ispb == wanted)
    }

    pub fn total_transactional(&self) -> Result<Amount, LedgerError> {
        sum(self.banks.iter().map(|b| b.transactional))
    }

    pub fn total_proprietary(&self) -> Result<Amount, LedgerError> {
        sum(self.banks.iter().map(|b| b.proprietary))
    }

    /// Both totals representable: what every change to the ledger must keep true.
    pub fn check(&self) -> Result<(), LedgerError> {
        self.total_transactional()?
            .checked_add(self.total_proprietary()?)
            .map(|_| ())
            .ok_or(LedgerError::OutOfRange)
    }

    /// Bank that receives cash-ins: the first one (Delbank). The ISPB goes in the E2E ids.
    pub fn collecting_bank(&self) -> usize {
        0
    }

    /// Takes `amount` from the transactional accounts, richest bank first.
    pub fn debit_transactional(&mut self, amount: Amount) -> Result<Allocation, LedgerError> {
        let available = self.total_transactional()?;
        if amount > available {
            return Err(LedgerError::Shortfall { available });
        }
        let mut order: Vec<usize> = (0..self.banks.len()).collect();
        order.sort_by(|&a, &b| {
            self.banks[b]
                .transactional
                .cmp(&self.banks[a].transactional)
        });
        let mut left = amount.centavos();
        let mut allocation = Vec::new();
        for i in order {
            if left == 0 {
                break;
            }
            let take = left.min(self.banks[i].transactional.centavos());
            if take > 0 {
                self.banks[i].transactional = reais(self.banks[i].transactional.centavos() - take)?;
                allocation.push((i, reais(take)?));
                left -= take;
            }
        }
        Ok(allocation)
    }

    /// Puts back what `debit_transactional` took (failed or returned cash-out). All or
    /// nothing: the ledger is unchanged when a balance would go out of range.
    pub fn credit_allocation(&mut self, allocation: &Allocation) -> Result<(), LedgerError> {
        let mut next = self.clone();
        for &(i, amount) in allocation {
            let bank = next.banks.get_mut(i).ok_or(LedgerError::OutOfRange)?;
            bank.transactional = bank
                .transactional
                .checked_add(amount)
                .ok_or(LedgerError::OutOfRange)?;
        }
        next.check()?;
        *self = next;
        Ok(())
    }

    pub fn credit_transactional(&mut self, bank: usize, amount: Amount) -> Result<(), LedgerError> {
        self.credit_allocation(&vec![(bank, amount)])
    }

    /// Moves money between proprietary and transactional so that the consolidated
    /// transactional balance equals `target`. Tops up bank by bank from the same bank's
    /// proprietary account; sweeps the excess back the same way.
    pub fn rebalance(&mut self, target: Amount) -> Result<(), LedgerError> {
        let mut next = self.clone();
        let current = next.total_transactional()?;
        if target > current {
            let mut need = target.centavos() - current.centavos();
            let available = next.total_proprietary()?;
            if need > available.centavos() {
                return Err(LedgerError::Shortfall { available });
            }
            for bank in &mut next.banks {
                let take = need.min(bank.proprietary.centavos());
                bank.proprietary = reais(bank.proprietary.centavos() - take)?;
                bank.transactional = reais(bank.transactional.centavos() + take)?;
                need -= take;
            }
        } else {
            let mut excess = current.centavos() - target.centavos();
            for bank in &mut next.banks {
                let give = excess.min(bank.transactional.centavos());
                bank.transactional = reais(bank.transactional.centavos() - give)?;
                bank.proprietary = reais(bank.proprietary.centavos() + give)?;
                excess -= give;
            }
        }
        next.check()?;
        *self = next;
        Ok(())
    }
}

impl Ledger {
    /// `GET /account/balance` body, as the core's wire type.
    pub fn balance(
        &self,
        reference_date: String,
        updated_at: String,
    ) -> Result<Balance, LedgerError> {
        let transactional = self.total_transactional()?;
        let proprietary = self.total_proprietary()?;
        let total_balance = transactional
            .checked_add(proprietary)
            .ok_or(LedgerError::OutOfRange)?;
        let account = |branch: &str, account: &str, balance: Amount| AccountBalance {
            branch: Some(branch.to_owned()),
            account: Some(account.to_owned()),
            balance: balance.into(),
        };
        Ok(Balance {
            currency: Some("BRL".to_owned()),
            reference_date: Some(reference_date),
            consolidated: Consolidated {
                total_balance: total_balance.into(),
                transactional_balance: transactional.into(),
                proprietary_balance: proprietary.into(),
            },
            banks: self
                .banks
                .iter()
                .map(|b| BankBalance {
                    ispb: Some(b.ispb.to_owned()),
                    bank: Some(b.name.to_owned()),
                    accounts: BankAccounts {
                        transactional: Some(account(
                            b.branch,
                            b.transactional_account,
                            b.transactional,
                        )),
                        proprietary: Some(account(b.branch, b.proprietary_account, b.proprietary)),
                    },
                })
                .collect(),
            updated_at: Some(updated_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amt(text: &str) -> Amount {
        Amount::parse(text).unwrap()
    }

    #[test]
    fn debit_spills_across_banks_and_credits_back_exactly() {
        let mut ledger = Ledger::default();
        let before = ledger.total_transactional().unwrap();
        let allocation = ledger.debit_transactional(amt("450000.01")).unwrap();
        assert_eq!(allocation.len(), 2, "richest bank first, then the next");
        assert_eq!(
            ledger.total_transactional().unwrap().centavos(),
            before.centavos() - 45_000_001
        );
        ledger.credit_allocation(&allocation).unwrap();
        assert_eq!(ledger.total_transactional().unwrap(), before);
    }

    #[test]
    fn debit_beyond_the_total_is_refused_untouched() {
        let mut ledger = Ledger::default();
        let err = ledger.debit_transactional(amt("1000000.01")).unwrap_err();
        assert_eq!(
            err,
            LedgerError::Shortfall {
                available: amt("1000000.00")
            }
        );
        assert_eq!(ledger.total_transactional().unwrap(), amt("1000000.00"));
    }

    #[test]
    fn rebalance_reaches_the_target_both_ways() {
        let mut ledger = Ledger::default();
        let total = ledger
            .total_transactional()
            .unwrap()
            .checked_add(ledger.total_proprietary().unwrap())
            .unwrap();
        ledger.rebalance(amt("2500000.55")).unwrap();
        assert_eq!(ledger.total_transactional().unwrap(), amt("2500000.55"));
        ledger.rebalance(amt("10.00")).unwrap();
        assert_eq!(ledger.total_transactional().unwrap(), amt("10.00"));
        let after = ledger
            .total_transactional()
            .unwrap()
            .checked_add(ledger.total_proprietary().unwrap())
            .unwrap();
        assert_eq!(after, total, "rebalancing never creates or destroys money");
        assert!(ledger.rebalance(amt("6000000.01")).is_err());
    }

    #[test]
    fn out_of_range_values_are_errors_never_zero() {
        assert_eq!(reais(-1), Err(LedgerError::OutOfRange));
        assert_eq!(reais(i64::MIN), Err(LedgerError::OutOfRange));
        assert_eq!(reais(150).unwrap().centavos(), 150);
    }

    #[test]
    fn totals_beyond_the_amount_range_are_errors_not_capped() {
        let mut ledger = Ledger::default();
        for bank in &mut ledger.banks {
            bank.transactional = Amount::MAX;
        }
        assert_eq!(ledger.total_transactional(), Err(LedgerError::OutOfRange));
        assert!(ledger.balance("d".into(), "u".into()).is_err());
        assert!(ledger.debit_transactional(amt("1.00")).is_err());
    }

    #[test]
    fn a_credit_that_would_overflow_leaves_the_ledger_untouched() {
        let mut ledger = Ledger::default();
        ledger.banks[0].transactional = Amount::MAX;
        let before = ledger
            .banks
            .iter()
            .map(|b| b.transactional)
            .collect::<Vec<_>>();
        assert_eq!(
            ledger.credit_transactional(0, amt("0.01")),
            Err(LedgerError::OutOfRange)
        );
        let after = ledger
            .banks
            .iter()
            .map(|b| b.transactional)
            .collect::<Vec<_>>();
        assert_eq!(before, after);
    }
}
