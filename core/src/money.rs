//! Exact money: [`Amount`] (a non-negative sum of a transaction) and [`SignedAmount`] (a
//! balance or total, which may be negative or very large), both integer centavos in an `i64`.
//!
//! The API sends and expects reais as JSON numbers (`150.5`, `10.00`, `500`). A binary float
//! cannot hold most of those exactly, so no `f64` is ever involved: with serde_json's
//! `arbitrary_precision` feature a JSON number keeps its literal text, and that text is parsed
//! here as a strict decimal. On the way out an amount is written as a JSON number with exactly two
//! decimals (`50.00`), or — inside [`with_amounts_as_strings`] — as a decimal string (`"50.00"`),
//! which is what the bindings receive (JS keeps a string, Python builds a `Decimal`).
//!
//! Accepted text: every spelling of the JSON number grammar whose value is a whole number of
//! centavos, exponents included (`150`, `150.5`, `1.5E2`, `15050e-2`, `1.50e+2`, `10.000`): the
//! value counts, not the spelling, so a server whose serialiser writes exponents or extra
//! zeros is read exactly. Refused, each with a message that says how to fix it: a value with a
//! fraction of a centavo (`10.005`, `1e-3`, after the exponent is applied), a sign on an
//! [`Amount`] (`-0.00` too), a `+`, commas, whitespace, leading zeros (`007`), a bare `.5` or `5.`,
//! `NaN`/`Infinity`, and anything beyond an `i64` of centavos. A huge exponent (`1e999999999`)
//! is refused by arithmetic on the exponent: nothing is expanded or allocated.
//!
//! Limits: the wire type has none beyond the `i64`. A request the SDK sends is held to
//! [`Amount::REQUEST_MAX`] by each request's `validate()`; a BR Code to [`Amount::BR_CODE_MAX`]
//! (its amount field has 13 characters).

use std::cell::Cell;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{self, Serialize, Serializer};

use crate::error::Error;

/// A non-negative amount of Brazilian reais, held exactly as integer centavos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(i64);

/// A balance or a total in reais, exact integer centavos, signed and as large as an `i64`
/// (about R$ 92 quadrillion): an account can be overdrawn, and a consolidated balance is not
/// bounded by what one PIX charge can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SignedAmount(i64);

/// The field name used when [`Amount::parse`] / [`Amount::from_centavos`] have no better one.
const DEFAULT_FIELD: &str = "amount";

impl Amount {
    /// R$ 0.00.
    pub const ZERO: Amount = Amount(0);
    /// The largest amount the type holds (`i64::MAX` centavos); answers are read up to here.
    pub const MAX: Amount = Amount(i64::MAX);
    /// R$ 9,999,999,999.99: the largest amount a BR Code's 13-character amount field can carry.
    pub const BR_CODE_MAX: Amount = Amount(999_999_999_999);
    /// The largest amount a request may carry (cash-in, cash-out, rebalance target): the BR Code
    /// limit, because a cash-in becomes a BR Code, and one rule for every request is easier to
    /// know than three. No PIX payment comes near it; a bigger number is a typo.
    pub const REQUEST_MAX: Amount = Amount::BR_CODE_MAX;

    /// An amount from a count of centavos (`1050` is R$ 10.50). Rejects negatives.
    pub fn from_centavos(centavos: i64) -> Result<Amount, Error> {
        if centavos < 0 {
            return Err(Error::validation(
                DEFAULT_FIELD,
                format!("must not be negative; got {centavos} centavos"),
            ));
        }
        Ok(Amount(centavos))
    }

    /// Parses decimal text in reais: `"500"`, `"150.5"`, `"150.50"`, `"1.5E2"`.
    /// The error names the field `amount`; see [`Amount::parse_field`] to name another.
    pub fn parse(text: &str) -> Result<Amount, Error> {
        Amount::parse_field(DEFAULT_FIELD, text)
    }

    /// Like [`Amount::parse`], with the error naming `field` (`targetAmount`, …).
    pub fn parse_field(field: &str, text: &str) -> Result<Amount, Error> {
        parse_amount(text).map_err(|problem| Error::validation(field, problem))
    }

    /// The amount in centavos.
    pub fn centavos(self) -> i64 {
        self.0
    }

    /// `self + other`, or `None` when the sum would overflow.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
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

    /// The amount itself when a request may carry it (at most [`Amount::REQUEST_MAX`]).
    pub fn require_request_range(self, field: &str) -> Result<Amount, Error> {
        if self <= Amount::REQUEST_MAX {
            Ok(self)
        } else {
            Err(Error::validation(
                field,
                "must be at most 9999999999.99 (R$ 9,999,999,999.99, the largest request amount)",
            ))
        }
    }
}

impl SignedAmount {
    /// R$ 0.00.
    pub const ZERO: SignedAmount = SignedAmount(0);

    /// A balance from a count of centavos; every `i64` is one.
    pub const fn from_centavos(centavos: i64) -> SignedAmount {
        SignedAmount(centavos)
    }

    /// Parses decimal text in reais, a leading `-` allowed: `"-150.50"`, `"1.5E12"`.
    pub fn parse_field(field: &str, text: &str) -> Result<SignedAmount, Error> {
        parse_number(text, Sign::Allowed)
            .map(SignedAmount)
            .map_err(|problem| Error::validation(field, problem))
    }

    /// The balance in centavos (negative when overdrawn).
    pub fn centavos(self) -> i64 {
        self.0
    }

    /// True below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: SignedAmount) -> Option<SignedAmount> {
        self.0.checked_add(other.0).map(SignedAmount)
    }
}

impl From<Amount> for SignedAmount {
    fn from(amount: Amount) -> SignedAmount {
        SignedAmount(amount.0)
    }
}

impl fmt::Display for Amount {
    /// Reais with exactly two decimals and no grouping: `150.50`, `0.05`, `500.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Display for SignedAmount {
    /// Like [`Amount`]'s, with a leading `-` below zero: `-150.50`, `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", magnitude / 100, magnitude % 100)
    }
}

impl std::str::FromStr for Amount {
    type Err = Error;

    fn from_str(text: &str) -> Result<Amount, Error> {
        Amount::parse(text)
    }
}

impl std::str::FromStr for SignedAmount {
    type Err = Error;

    fn from_str(text: &str) -> Result<SignedAmount, Error> {
        SignedAmount::parse_field(DEFAULT_FIELD, text)
    }
}

/// Whether a leading `-` is part of the grammar (balances) or refused (amounts).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sign {
    Allowed,
    Refused,
}

/// An exponent beyond this magnitude is as good as infinite for an `i64` of centavos; capping
/// the parsed value keeps the arithmetic below from overflowing on `1e99999999999999999999`.
const EXPONENT_CAP: i64 = 1_000_000;

/// Why `text` is not an amount, as a sentence that says how to fix it. The caller adds the field.
fn parse_amount(text: &str) -> Result<Amount, String> {
    parse_number(text, Sign::Refused).map(Amount)
}

/// Reads `text` as a JSON number (`-`? int (`.` digits)? (`e` sign? digits)?) and returns its
/// value in centavos, or why it is not a whole number of centavos that fits an `i64`.
fn parse_number(text: &str, sign: Sign) -> Result<i64, String> {
    // Written only into an error message: every amount of every payout is read here.
    let shown = Echo(text);
    if text.is_empty() {
        return Err("must not be empty; write the amount in reais, e.g. 150.50".to_owned());
    }
    if text.chars().any(char::is_whitespace) {
        return Err(format!("must not contain whitespace; got {shown}"));
    }
    let unsigned = text.trim_start_matches(['+', '-']);
    if ["nan", "inf", "infinity"]
        .iter()
        .any(|word| unsigned.eq_ignore_ascii_case(word))
    {
        return Err(format!("must be a finite number; got {shown}"));
    }
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if negative && sign == Sign::Refused {
        let zero = rest_is_zero(body);
        return Err(format!(
            "must not be negative (amounts carry no sign); got {shown}{}",
            if zero {
                " — write 0.00 without the sign"
            } else {
                ""
            }
        ));
    }
    if body.starts_with('+') {
        return Err(format!("must not start with '+'; got {shown}"));
    }
    if body.contains(',') {
        return Err(format!(
            "use '.' as the decimal separator and no thousands separator (e.g. 1500.50); got {shown}"
        ));
    }

    let malformed = || format!("must be a decimal number of reais such as 150.50; got {shown}");
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !f.is_empty() && !all_digits(f)) {
        return Err(malformed());
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
        Some(f) => f,
    };
    let exponent = match exponent {
        None => 0,
        Some(text) => {
            let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
            if !all_digits(digits) {
                return Err(malformed());
            }
            // Saturating: past EXPONENT_CAP the value is too large or too fine either way.
            let magnitude = digits.bytes().fold(0i64, |acc, b| {
                (acc * 10 + i64::from(b - b'0')).min(EXPONENT_CAP)
            });
            if text.starts_with('-') {
                -magnitude
            } else {
                magnitude
            }
        }
    };

    // The value is digits × 10^(exponent − fraction length). Only the significant digits
    // (without leading and trailing zeros) are ever multiplied out.
    let digits = || whole.bytes().chain(fraction.bytes());
    let count = whole.len() + fraction.len();
    let leading = digits().take_while(|&b| b == b'0').count();
    if leading == count {
        return Ok(0);
    }
    let trailing = digits().rev().take_while(|&b| b == b'0').count();
    let significant = digits().skip(leading).take(count - leading - trailing);
    let significant_len = i64::try_from(count - leading - trailing).unwrap_or(i64::MAX);
    // Power of ten that turns the significant digits into centavos.
    let shift = exponent + 2 - (fraction.len() as i64 - trailing as i64);
    if shift < 0 {
        return Err(format!(
            "at most two decimal places (centavos); got {shown}"
        ));
    }
    let too_large = || format!("is too large for an amount in centavos; got {shown}");
    // An i64 holds at most 19 digits.
    if significant_len.saturating_add(shift) > 19 {
        return Err(too_large());
    }
    // At most 19 digits: an i128 cannot overflow, and i64::MIN (whose magnitude is one more
    // than i64::MAX) is reachable.
    let mut magnitude: i128 = 0;
    for digit in significant {
        magnitude = magnitude * 10 + i128::from(digit - b'0');
    }
    for _ in 0..shift {
        magnitude *= 10;
    }
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).map_err(|_| too_large())
}

/// True when the unsigned text spells zero (`0`, `0.00`, `0e5`), for the "-0.00" hint.
fn rest_is_zero(body: &str) -> bool {
    let mantissa = body.split(['e', 'E']).next().unwrap_or_default();
    !mantissa.is_empty() && mantissa.bytes().all(|b| b == b'0' || b == b'.')
}

/// What an error message says of the offending text: its length, never the text. The same
/// parser reads answers and webhooks, where a wrong-typed member may hold a name, a CPF or a
/// PIX key; the caller of a request knows what it passed.
/// Written lazily (a `Display`), so that nothing is formatted when the amount is valid.
struct Echo<'a>(&'a str);

impl std::fmt::Display for Echo<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a text of {} characters", self.0.chars().count())
    }
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
        let text = match u64::try_from(self.0) {
            Ok(magnitude) => decimal_text(false, magnitude),
            // Not an amount the parser makes; Display says what it is.
            Err(_) => self.to_string(),
        };
        serialize_decimal(text, serializer)
    }
}

impl Serialize for SignedAmount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_decimal(decimal_text(self.0 < 0, self.0.unsigned_abs()), serializer)
    }
}

/// What `Display` writes (`-`? reais `.` two digits), without the formatting machinery: every
/// request and every reply writes its amounts, and `core::fmt` showed in the wasm profile.
fn decimal_text(negative: bool, magnitude: u64) -> String {
    let centavos = (magnitude % 100) as u8;
    let mut reais = itoa::Buffer::new();
    let reais = reais.format(magnitude / 100);
    let mut text = String::with_capacity(reais.len() + 4);
    if negative {
        text.push('-');
    }
    text.push_str(reais);
    text.push('.');
    text.push(char::from(b'0' + centavos / 10));
    text.push(char::from(b'0' + centavos % 10));
    text
}

fn serialize_decimal<S: Serializer>(text: String, serializer: S) -> Result<S::Ok, S::Error> {
    if AMOUNTS_AS_STRINGS.with(Cell::get) {
        return serializer.serialize_str(&text);
    }
    // A RawValue is written verbatim by serde_json, so the two decimals survive (`50.00`).
    let raw = serde_json::value::RawValue::from_string(text).map_err(ser::Error::custom)?;
    raw.serialize(serializer)
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Amount, D::Error> {
        deserialize_decimal(deserializer, Sign::Refused).map(Amount)
    }
}

impl<'de> Deserialize<'de> for SignedAmount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SignedAmount, D::Error> {
        deserialize_decimal(deserializer, Sign::Allowed).map(SignedAmount)
    }
}

/// Accepts a JSON number (its exact literal text, thanks to `arbitrary_precision`) or a
/// decimal string (how the bindings pass exact values). Going through `serde_json::Value` lets
/// serde_json decode its own private arbitrary-precision representation; integers from other
/// formats arrive exact as well.
fn deserialize_decimal<'de, D: Deserializer<'de>>(
    deserializer: D,
    sign: Sign,
) -> Result<i64, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    let parsed = match &value {
        serde_json::Value::Number(number) => parse_number(&number.to_string(), sign),
        serde_json::Value::String(text) => parse_number(text, sign),
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
    parsed.map_err(de::Error::custom)
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
    fn serialised_amounts_are_what_display_writes() {
        let samples = [
            0,
            1,
            5,
            9,
            10,
            99,
            100,
            101,
            15050,
            100_000,
            123_456_789,
            i64::MAX,
        ];
        for centavos in samples {
            let amount = Amount(centavos);
            let text = with_amounts_as_strings(|| serde_json::to_string(&amount).unwrap());
            assert_eq!(text, format!("\"{amount}\""), "{centavos}");
            assert_eq!(serde_json::to_string(&amount).unwrap(), amount.to_string());
            for signed in [centavos, -centavos, i64::MIN] {
                let signed = SignedAmount(signed);
                let text = with_amounts_as_strings(|| serde_json::to_string(&signed).unwrap());
                assert_eq!(text, format!("\"{signed}\""), "{signed}");
            }
        }
    }

    #[test]
    fn parses_the_documented_forms_exactly() {
        assert_eq!(Amount::parse("500").unwrap().centavos(), 50_000);
        assert_eq!(Amount::parse("10.0").unwrap().centavos(), 1_000);
        assert_eq!(Amount::parse("10.00").unwrap().centavos(), 1_000);
        assert_eq!(Amount::parse("150.5").unwrap().centavos(), 15_050);
        assert_eq!(Amount::parse("0.01").unwrap().centavos(), 1);
        assert_eq!(Amount::parse("0").unwrap(), Amount::ZERO);
        assert_eq!(Amount::parse("9999999999.99").unwrap(), Amount::BR_CODE_MAX);
    }

    #[test]
    fn every_json_spelling_of_a_whole_number_of_centavos_is_exact() {
        for (text, centavos) in [
            ("150.5", 15_050),
            ("1.505e2", 15_050),
            ("15050e-2", 15_050),
            ("0.1505E3", 15_050),
            ("150.500", 15_050),
            ("1.5E2", 15_000),
            ("1.50e+2", 15_000),
            ("150", 15_000),
            ("1E0", 100),
        ] {
            assert_eq!(Amount::parse(text).unwrap().centavos(), centavos, "{text}");
            let number: Amount = serde_json::from_str(text).unwrap();
            assert_eq!(number.centavos(), centavos, "{text} as a JSON number");
        }
        assert_eq!(Amount::parse("0e999999999").unwrap(), Amount::ZERO);
        assert_eq!(Amount::parse("92233720368547758.07").unwrap(), Amount::MAX);
    }

    #[test]
    fn rejects_with_a_message_that_names_the_problem() {
        let cases = [
            ("10.005", "at most two decimal places"),
            ("1e-3", "at most two decimal places"),
            ("1.0005e1", "at most two decimal places"),
            ("1e-999999999", "at most two decimal places"),
            ("-1", "negative"),
            ("-0.00", "negative"),
            ("+1", "'+'"),
            ("1e", "decimal number"),
            ("1e+", "decimal number"),
            ("1,50", "decimal separator"),
            (" 1", "whitespace"),
            ("", "empty"),
            ("NaN", "finite"),
            ("Infinity", "finite"),
            ("92233720368547758.08", "too large"),
            ("1e999999999", "too large"),
            ("1e99999999999999999999999999", "too large"),
            ("99999999999999999999999", "too large"),
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
        assert_eq!(Amount::BR_CODE_MAX.to_string(), "9999999999.99");
        assert_eq!(SignedAmount::from_centavos(-5).to_string(), "-0.05");
        assert_eq!(
            SignedAmount::from_centavos(i64::MIN).to_string(),
            "-92233720368547758.08"
        );
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
    fn signed_amounts_read_negative_and_huge_balances() {
        let balance: SignedAmount = serde_json::from_str("-1500.5").unwrap();
        assert_eq!(balance.centavos(), -150_050);
        assert!(balance.is_negative());
        assert_eq!(serde_json::to_string(&balance).unwrap(), "-1500.50");
        let big: SignedAmount = serde_json::from_str("1.5E13").unwrap();
        assert_eq!(big.centavos(), 1_500_000_000_000_000);
        assert_eq!(
            serde_json::from_str::<SignedAmount>("-0").unwrap(),
            SignedAmount::ZERO
        );
        assert!(serde_json::from_str::<SignedAmount>("-0.001").is_err());
        assert!(serde_json::from_str::<SignedAmount>("\"--1\"").is_err());
    }

    #[test]
    fn from_centavos_bounds() {
        assert!(Amount::from_centavos(-1).is_err());
        assert_eq!(Amount::from_centavos(0).unwrap(), Amount::ZERO);
        assert_eq!(Amount::from_centavos(i64::MAX).unwrap(), Amount::MAX);
    }

    #[test]
    fn request_range_is_the_br_code_limit() {
        assert!(Amount::BR_CODE_MAX.require_request_range("amount").is_ok());
        let over = Amount::from_centavos(Amount::BR_CODE_MAX.centavos() + 1).unwrap();
        let err = over.require_request_range("targetAmount").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("targetAmount"));
        assert!(
            err.message.contains("at most 9999999999.99"),
            "{}",
            err.message
        );
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
        assert!(Amount::BR_CODE_MAX.require_positive("amount").is_ok());
    }
}
