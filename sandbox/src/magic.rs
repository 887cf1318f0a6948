//! Magic values, like card networks' test numbers: inputs that make the sandbox take a
//! specific path. Documented in sandbox/README.md.

use connectpsp_core::Amount;

/// Payouts to these PIX keys are accepted (202) and then FAIL with PIX_KEY_NOT_FOUND.
pub const FAILING_EMAIL_KEY: &str = "fail@sandbox.connectpsp.com";
pub const FAILING_EVP_KEY: &str = "00000000-0000-4000-8000-000000000404";
/// Payouts to this key COMPLETE and are then returned by the receiver (CASHOUT_REFUNDED).
pub const RETURNED_EMAIL_KEY: &str = "returned@sandbox.connectpsp.com";
/// A cash-out of exactly R$ 666.66 is refused at once: 422 FRAUD_SUSPECTED.
pub const FRAUD_CENTAVOS: i64 = 66_666;
/// A cash-in for this payer document (a valid CPF) expires as soon as it is created.
pub const EXPIRING_PAYER_DOCUMENT: &str = "40440440408";
/// A cash-in for this payer document (a valid CPF) is paid on its own after the settle delay.
pub const SELF_PAYING_PAYER_DOCUMENT: &str = "20020020023";

pub fn is_fraud_amount(amount: Amount) -> bool {
    amount.centavos() == FRAUD_CENTAVOS
}

pub fn is_failing_key(key: &str) -> bool {
    key.eq_ignore_ascii_case(FAILING_EMAIL_KEY) || key.eq_ignore_ascii_case(FAILING_EVP_KEY)
}

pub fn is_returned_key(key: &str) -> bool {
    key.eq_ignore_ascii_case(RETURNED_EMAIL_KEY)
}
