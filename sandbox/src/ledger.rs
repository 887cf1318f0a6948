//! Balances of the three partner banks, each with a transactional and a proprietary account.
//!
//! Every movement is exact integer centavos (core `Amount`). A cash-out reserves its amount from
//! the transactional side when it is accepted (so a second payout cannot spend the same money)
//! and records which banks it drew from, so a failure or a return puts back exactly that.

use connectpsp_core::Amount;
use connectpsp_core::model::account::{
    AccountBalance, Balance, BankAccounts, BankBalance, Consolidated,
};

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

fn reais(centavos: i64) -> Amount {
    Amount::from_centavos(centavos).unwrap_or(Amount::ZERO)
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
                    transactional: reais(40_000_000),
                    proprietary: reais(200_000_000),
                },
                Bank {
                    slug: "celcoin",
                    ispb: "13935893",
                    name: "CELCOIN IP S.A.",
                    branch: "0001",
                    transactional_account: "123456",
                    proprietary_account: "123457",
                    transactional: reais(30_000_000),
                    proprietary: reais(150_000_000),
                },
                Bank {
                    slug: "starkbank",
                    ispb: "20018183",
                    name: "STARK BANK S.A.",
                    branch: "0001",
                    transactional_account: "500100",
                    proprietary_account: "500101",
                    transactional: reais(30_000_000),
                    proprietary: reais(150_000_000),
                },
            ],
        }
    }
}

/// The operation would overdraw: carries what was available.
#[derive(Debug, PartialEq, Eq)]
pub struct Shortfall {
    pub available: Amount,
}

fn sum(amounts: impl Iterator<Item = Amount>) -> Amount {
    Amount::from_centavos(amounts.map(Amount::centavos).sum()).unwrap_or(Amount::MAX)
}

impl Ledger {
    pub fn bank_index(&self, slug_or_ispb: &str) -> Option<usize> {
        let wanted = slug_or_ispb.to_ascii_lowercase();
        self.banks
            .iter()
            .position(|b| b.slug == wanted || b.ispb == wanted)
    }

    pub fn total_transactional(&self) -> Amount {
        sum(self.banks.iter().map(|b| b.transactional))
    }

    pub fn total_proprietary(&self) -> Amount {
        sum(self.banks.iter().map(|b| b.proprietary))
    }

    /// Bank that receives cash-ins: the first one (Delbank). The ISPB goes in the E2E ids.
    pub fn collecting_bank(&self) -> usize {
        0
    }

    /// Takes `amount` from the transactional accounts, richest bank first.
    pub fn debit_transactional(&mut self, amount: Amount) -> Result<Allocation, Shortfall> {
        let available = self.total_transactional();
        if amount > available {
            return Err(Shortfall { available });
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
                self.banks[i].transactional = reais(self.banks[i].transactional.centavos() - take);
                allocation.push((i, reais(take)));
                left -= take;
            }
        }
        Ok(allocation)
    }

    /// Puts back what `debit_transactional` took (failed or returned cash-out).
    pub fn credit_allocation(&mut self, allocation: &Allocation) {
        for &(i, amount) in allocation {
            if let Some(bank) = self.banks.get_mut(i) {
                bank.transactional = bank
                    .transactional
                    .checked_add(amount)
                    .unwrap_or(Amount::MAX);
            }
        }
    }

    pub fn credit_transactional(&mut self, bank: usize, amount: Amount) {
        if let Some(bank) = self.banks.get_mut(bank) {
            bank.transactional = bank
                .transactional
                .checked_add(amount)
                .unwrap_or(Amount::MAX);
        }
    }

    /// Moves money between proprietary and transactional so that the consolidated
    /// transactional balance equals `target`. Tops up bank by bank from the same bank's
    /// proprietary account; sweeps the excess back the same way.
    pub fn rebalance(&mut self, target: Amount) -> Result<(), Shortfall> {
        let current = self.total_transactional();
        if target > current {
            let mut need = target.centavos() - current.centavos();
            let available = self.total_proprietary();
            if need > available.centavos() {
                return Err(Shortfall { available });
            }
            for bank in &mut self.banks {
                let take = need.min(bank.proprietary.centavos());
                bank.proprietary = reais(bank.proprietary.centavos() - take);
                bank.transactional = reais(bank.transactional.centavos() + take);
                need -= take;
            }
        } else {
            let mut excess = current.centavos() - target.centavos();
            for bank in &mut self.banks {
                let give = excess.min(bank.transactional.centavos());
                bank.transactional = reais(bank.transactional.centavos() - give);
                bank.proprietary = reais(bank.proprietary.centavos() + give);
                excess -= give;
            }
        }
        Ok(())
    }
}

impl Ledger {
    /// `GET /account/balance` body, as the core's wire type.
    pub fn balance(&self, reference_date: String, updated_at: String) -> Balance {
        let transactional = self.total_transactional();
        let proprietary = self.total_proprietary();
        let account = |branch: &str, account: &str, balance: Amount| AccountBalance {
            branch: Some(branch.to_owned()),
            account: Some(account.to_owned()),
            balance: balance.into(),
        };
        Balance {
            currency: Some("BRL".to_owned()),
            reference_date: Some(reference_date),
            consolidated: Consolidated {
                total_balance: transactional
                    .checked_add(proprietary)
                    .unwrap_or(Amount::MAX)
                    .into(),
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
        }
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
        let before = ledger.total_transactional();
        let allocation = ledger.debit_transactional(amt("450000.01")).unwrap();
        assert_eq!(allocation.len(), 2, "richest bank first, then the next");
        assert_eq!(
            ledger.total_transactional().centavos(),
            before.centavos() - 45_000_001
        );
        ledger.credit_allocation(&allocation);
        assert_eq!(ledger.total_transactional(), before);
    }

    #[test]
    fn debit_beyond_the_total_is_refused_untouched() {
        let mut ledger = Ledger::default();
        let err = ledger.debit_transactional(amt("1000000.01")).unwrap_err();
        assert_eq!(err.available, amt("1000000.00"));
        assert_eq!(ledger.total_transactional(), amt("1000000.00"));
    }

    #[test]
    fn rebalance_reaches_the_target_both_ways() {
        let mut ledger = Ledger::default();
        let total = ledger
            .total_transactional()
            .checked_add(ledger.total_proprietary())
            .unwrap();
        ledger.rebalance(amt("2500000.55")).unwrap();
        assert_eq!(ledger.total_transactional(), amt("2500000.55"));
        ledger.rebalance(amt("10.00")).unwrap();
        assert_eq!(ledger.total_transactional(), amt("10.00"));
        let after = ledger
            .total_transactional()
            .checked_add(ledger.total_proprietary())
            .unwrap();
        assert_eq!(after, total, "rebalancing never creates or destroys money");
        assert!(ledger.rebalance(amt("6000000.01")).is_err());
    }
}
