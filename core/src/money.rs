//! Exact money: [`Amount`] is a count of centavos in an `i64`.
//!
//! The API sends and expects reais as JSON numbers (`150.5`, `10.00`, `500`). A binary float
//! cannot hold most of those exactly, so no `f64` is ever involved: with serde_json's
//! `arbitrary_precision` feature a JSON number keeps its literal text, and that text is parsed
//! here as a strict decimal. On the way out an amount is written as a JSON number with exactly two
//! decimals (`50.00`), or — inside [`with_amounts_as_strings`] — as a decimal string (`"50.00"`),
//! which is what the bindings receive (JS keeps a string, Python builds a `Decimal`).
//!
//! Accepted text: ASCII digits, optionally followed by `.` and one or two digits. Rejected, each
//! with a message that says how to fix it: more than two decimals (also `10.000`), a sign (`-`
//! or `+`; `-0.00` counts as negative: an amount has no sign), exponents (`1e3`), commas,
//! whitespace, leading zeros (`007`), a bare `.5` or `5.`, `NaN`/`Infinity`, and anything above
//! [`Amount::MAX`].

use std::cell::Cell;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{self, Serialize, Serializer};

use crate::error::Error;

/// A non-negative amount of Brazilian reais, held exactly as integer centavos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(i64);

/// The field name used when [`Amount::parse`] / [`Amount::from_centavos`] have no better one.
const DEFAULT_FIELD: &str = "amount";

/// How much of a rejected input is echoed back in an error message: enough to recognise it,
/// never a megabyte of it.
const ECHO_LIMIT: usize = 40;

impl Amount {
    /// R$ 0.00.
    pub const ZERO: Amount = Amount(0);
    /// R$ 9,999,999,999.99: the largest amount a BR Code's 13-character amount field can carry.
    pub const MAX: Amount = Amount(999_999_999_999);

    /// An amount from a count of centavos (`1050` is R$ 10.50). Rejects negatives and `> MAX`.
    pub fn from_centavos(centavos: i64) -> Result<Amount, Error> {
        if centavos < 0 {
            return Err(Error::validation(
                DEFAULT_FIELD,
                format!("must not be negative; got {centavos} centavos"),
            ));
        }
        if centavos > Amount::MAX.0 {
            return Err(Error::validation(
                DEFAULT_FIELD,
                format!(
                    "at most {} (R$ 9,999,999,999.99); got {centavos} centavos",
                    Amount::MAX.0
                ),
            ));
        }
        Ok(Amount(centavos))
    }

    /// Parses strict decimal text in reais: `"500"`, `"150.5"`, `"150.50"`.
    /// The error names the field `amount`; see [`Amount::parse_field`] to name another.
    pub fn parse(text: &str) -> Result<Amount, Error> {
        Amount::parse_field(DEFAULT_FIELD, text)
    }

    /// Like [`Amount::parse`], with the error naming `field` (`targetAmount`, …).
    pub fn parse_field(field: &str, text: &str) -> Result<Amount, Error> {
        parse_decimal(text).map_err(|problem| Error::validation(field, problem))
    }

    /// The amount in centavos.
    pub fn centavos(self) -> i64 {
        self.0
    }

    /// `self + other`, or `None` when the sum would pass [`Amount::MAX`].
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0
            .checked_add(other.0)
            .filter(|&sum| sum <= Amount::MAX.0)
            .map(Amount)
    }

    /// `self - other`, or `None` when the result would be negative.
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0
            .checked_sub(other.0)
            .filter(|&difference| difference >= 0)
            .map(Amount)
    }

    /// True for R$ 0.00.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The amount itself when it is above zero; a validation error naming `field` otherwise.
    /// Cash-in and cash-out need a positive amount; rebalance's `targetAmount` may be zero.
    pub fn require_positive(self, field: &str) -> Result<Amount, Error> {
        if self.0 > 0 {
            Ok(self)
        } else {
            Err(Error::validation(
                field,
                "must be greater than zero (at least 0.01)",
            ))
        }
    }
}

impl fmt::Display for Amount {
    /// Reais with exactly two decimals and no grouping: `150.50`, `0.05`, `500.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl std::str::FromStr for Amount {
    type Err = Error;

    fn from_str(text: &str) -> Result<Amount, Error> {
        Amount::parse(text)
    }
}

/// Why `text` is not an amount, as a sentence that says how to fix it. The caller adds the field.
fn parse_decimal(text: &str) -> Result<Amount, String> {
    let shown = echo(text);
    if text.is_empty() {
        return Err("must not be empty; write the amount in reais, e.g. 150.50".to_owned());
    }
    if text.trim() != text || text.chars().any(char::is_whitespace) {
        return Err(format!("must not contain whitespace; got {shown}"));
    }
    let unsigned = text.trim_start_matches(['+', '-']).to_ascii_lowercase();
    if matches!(unsigned.as_str(), "nan" | "inf" | "infinity") {
        return Err(format!("must be a finite number; got {shown}"));
    }
    if let Some(rest) = text.strip_prefix('-') {
        return Err(format!(
            "must not be negative (amounts carry no sign); got {shown}{}",
            if rest.bytes().all(|b| b == b'0' || b == b'.') {
                " — write 0.00 without the sign"
            } else {
                ""
            }
        ));
    }
    if text.starts_with('+') {
        return Err(format!("must not start with '+'; got {shown}"));
    }
    if text.contains(',') {
        return Err(format!(
            "use '.' as the decimal separator and no thousands separator (e.g. 1500.50); got {shown}"
        ));
    }
    let looks_scientific = text.contains(['e', 'E'])
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b"eE.+-".contains(&b));
    if looks_scientific {
        return Err(format!(
            "must be plain decimal text without an exponent (write 1000 rather than 1e3); got {shown}"
        ));
    }

    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !f.is_empty() && !all_digits(f)) {
        return Err(format!(
            "must be a decimal number of reais such as 150.50; got {shown}"
        ));
    }
    if whole.len() > 1 && whole.starts_with('0') {
        return Err(format!("must not have leading zeros; got {shown}"));
    }
    let fraction = match fraction {
        None => "",
        Some("") => {
            return Err(format!(
                "needs digits after the decimal point (e.g. 5.00, not 5.); got {shown}"
            ));
        }
        Some(f) if f.len() > 2 => {
            return Err(format!(
                "at most two decimal places (centavos); got {shown}"
            ));
        }
        Some(f) => f,
    };

    let too_large = || {
        format!(
            "must be at most 9999999999.99 (the largest amount a PIX charge can carry); got {shown}"
        )
    };
    // Reais first, then centavos; any overflow of i64 is simply "too large".
    let mut centavos: i64 = 0;
    for digit in whole.bytes().chain(fraction.bytes()) {
        centavos = centavos
            .checked_mul(10)
            .and_then(|c| c.checked_add(i64::from(digit - b'0')))
            .ok_or_else(too_large)?;
    }
    if fraction.len() == 1 {
        centavos = centavos.checked_mul(10).ok_or_else(too_large)?;
    } else if fraction.is_empty() {
        centavos = centavos.checked_mul(100).ok_or_else(too_large)?;
    }
    if centavos > Amount::MAX.0 {
        return Err(too_large());
    }
    Ok(Amount(centavos))
}

/// `text` quoted and escaped for an error message, shortened past [`ECHO_LIMIT`] characters.
fn echo(text: &str) -> String {
    let mut shown: String = text.chars().take(ECHO_LIMIT).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    shown.escape_debug().to_string()
}

thread_local! {
    /// Set inside [`with_amounts_as_strings`]. Thread-local because serialisation is synchronous:
    /// the flag is only ever observed by the `serialize` calls nested in that closure.
    static AMOUNTS_AS_STRINGS: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every [`Amount`] serialised as a decimal string (`"150.50"`) instead of a JSON
/// number. The bindings' JSON (`bridge::outcome_to_json`) uses this; the wire never does.
pub fn with_amounts_as_strings<T>(f: impl FnOnce() -> T) -> T {
    /// Restores the previous mode even if `f` unwinds, so the flag never leaks to other calls.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            AMOUNTS_AS_STRINGS.with(|flag| flag.set(self.0));
        }
    }
    let _restore = Restore(AMOUNTS_AS_STRINGS.with(|flag| flag.replace(true)));
    f()
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.to_string();
        if AMOUNTS_AS_STRINGS.with(Cell::get) {
            return serializer.serialize_str(&text);
        }
        // A RawValue is written verbatim by serde_json, so the two decimals survive (`50.00`).
        let raw = serde_json::value::RawValue::from_string(text).map_err(ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Amount {
    /// Accepts a JSON number (its exact literal text, thanks to `arbitrary_precision`) or a
    /// decimal string. Going through `serde_json::Value` lets serde_json decode its own private
    /// arbitrary-precision representation; integers from other formats arrive exact as well.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Amount, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let text = match &value {
            serde_json::Value::Number(number) => number.to_string(),
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Null => {
                return Err(de::Error::custom(
                    "must be a number such as 150.50, not null",
                ));
            }
            other => {
                return Err(de::Error::custom(format!(
                    "must be a number such as 150.50 or a decimal string; got {}",
                    json_kind(other)
                )));
            }
        };
        parse_decimal(&text).map_err(de::Error::custom)
    }
}

/// The JSON type of `value`, for error messages.
pub(crate) fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms_exactly() {
        assert_eq!(Amount::parse("500").unwrap().centavos(), 50_000);
        assert_eq!(Amount::parse("10.0").unwrap().centavos(), 1_000);
        assert_eq!(Amount::parse("10.00").unwrap().centavos(), 1_000);
        assert_eq!(Amount::parse("150.5").unwrap().centavos(), 15_050);
        assert_eq!(Amount::parse("0.01").unwrap().centavos(), 1);
        assert_eq!(Amount::parse("0").unwrap(), Amount::ZERO);
        assert_eq!(Amount::parse("9999999999.99").unwrap(), Amount::MAX);
    }

    #[test]
    fn rejects_with_a_message_that_names_the_problem() {
        let cases = [
            ("10.005", "at most two decimal places"),
            ("10.000", "at most two decimal places"),
            ("-1", "negative"),
            ("-0.00", "negative"),
            ("+1", "'+'"),
            ("1e3", "exponent"),
            ("1,50", "decimal separator"),
            (" 1", "whitespace"),
            ("", "empty"),
            ("NaN", "finite"),
            ("Infinity", "finite"),
            ("10000000000.00", "at most 9999999999.99"),
            ("99999999999999999999999", "at most 9999999999.99"),
            ("007", "leading zeros"),
            (".5", "decimal number"),
            ("5.", "digits after the decimal point"),
            ("abc", "decimal number"),
        ];
        for (text, expected) in cases {
            let err = Amount::parse(text).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("amount"), "{text}");
            assert!(err.message.contains(expected), "{text}: {}", err.message);
        }
    }

    #[test]
    fn displays_two_decimals() {
        assert_eq!(Amount::from_centavos(15_050).unwrap().to_string(), "150.50");
        assert_eq!(Amount::from_centavos(5).unwrap().to_string(), "0.05");
        assert_eq!(Amount::ZERO.to_string(), "0.00");
        assert_eq!(Amount::MAX.to_string(), "9999999999.99");
    }

    #[test]
    fn json_round_trip_keeps_two_decimals() {
        let amount: Amount = serde_json::from_str("150.5").unwrap();
        assert_eq!(serde_json::to_string(&amount).unwrap(), "150.50");
        let as_string = with_amounts_as_strings(|| serde_json::to_string(&amount).unwrap());
        assert_eq!(as_string, "\"150.50\"");
        // The mode does not outlive the closure.
        assert_eq!(serde_json::to_string(&amount).unwrap(), "150.50");
    }

    #[test]
    fn from_centavos_bounds() {
        assert!(Amount::from_centavos(-1).is_err());
        assert!(Amount::from_centavos(Amount::MAX.centavos() + 1).is_err());
        assert_eq!(Amount::from_centavos(0).unwrap(), Amount::ZERO);
    }

    #[test]
    fn checked_arithmetic_stays_in_range() {
        let one = Amount::from_centavos(100).unwrap();
        assert_eq!(Amount::MAX.checked_add(one), None);
        assert_eq!(Amount::ZERO.checked_sub(one), None);
        assert_eq!(one.checked_add(one).unwrap().centavos(), 200);
        assert_eq!(one.checked_sub(one).unwrap(), Amount::ZERO);
    }

    #[test]
    fn require_positive_rejects_zero() {
        let err = Amount::ZERO.require_positive("targetAmount").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("targetAmount"));
        assert!(Amount::MAX.require_positive("amount").is_ok());
    }
}
