//! Amount against the shared vectors (testdata/amounts.json) and property tests.

use std::path::PathBuf;

use connectpsp_core::money::{SignedAmount, with_amounts_as_strings};
use connectpsp_core::{Amount, ErrorKind};
use proptest::prelude::*;
use serde_json::Value;

fn vectors() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/amounts.json");
    let text = std::fs::read_to_string(&path).expect("testdata/amounts.json");
    serde_json::from_str(&text).expect("amounts.json is JSON")
}

/// Whether `text` on its own is a JSON number literal (surrounding whitespace excluded: the
/// vectors embed the text in a document, where whitespace would not belong to the number).
fn is_json_number(text: &str) -> bool {
    text.trim() == text && serde_json::from_str::<Value>(text).is_ok_and(|v| v.is_number())
}

fn cases<'a>(vectors: &'a Value, group: &str) -> &'a Vec<Value> {
    vectors[group].as_array().expect("a list of cases")
}

#[test]
fn valid_vectors_parse_to_their_centavos_from_text_string_and_number() {
    let vectors = vectors();
    let valid = cases(&vectors, "valid");
    assert!(valid.len() >= 20);
    for case in valid {
        let text = case["text"].as_str().unwrap();
        let centavos = case["centavos"].as_i64().unwrap();
        let formatted = case["formatted"].as_str().unwrap();

        let parsed = Amount::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(parsed.centavos(), centavos, "{text}");
        assert_eq!(parsed.to_string(), formatted, "{text}");

        let from_string: Amount = serde_json::from_value(Value::String(text.into())).unwrap();
        assert_eq!(from_string, parsed, "{text} as a JSON string");

        let is_number = is_json_number(text);
        assert_eq!(
            case["jsonNumber"].as_bool(),
            Some(is_number),
            "{text}: jsonNumber flag"
        );
        if is_number {
            let from_number: Amount = serde_json::from_str(text).unwrap();
            assert_eq!(from_number, parsed, "{text} as a JSON number");
        }

        // Out: a JSON number with exactly two decimals, or the decimal string for the bindings.
        assert_eq!(serde_json::to_string(&parsed).unwrap(), formatted);
        let as_string = with_amounts_as_strings(|| serde_json::to_string(&parsed).unwrap());
        assert_eq!(as_string, format!("\"{formatted}\""));
    }
}

#[test]
fn invalid_vectors_are_refused_with_a_message_that_says_why() {
    let vectors = vectors();
    let invalid = cases(&vectors, "invalid");
    assert!(invalid.len() >= 30);
    for case in invalid {
        let text = case["text"].as_str().unwrap();
        let fragment = case["messageContains"].as_str().unwrap();

        if case["stage"] == "request" {
            // A legal wire amount (a balance may be larger), refused only as a request amount.
            let parsed = Amount::parse_field("payer.amount", text).unwrap();
            assert_eq!(Some(parsed.centavos()), case["centavos"].as_i64(), "{text}");
            let err = parsed.require_request_range("payer.amount").unwrap_err();
            assert_eq!(err.field.as_deref(), Some("payer.amount"), "{text}");
            assert!(err.message.contains(fragment), "{text:?}: {}", err.message);
            continue;
        }
        assert_eq!(case["stage"], "parse", "{text}");
        let err = Amount::parse_field("payer.amount", text).expect_err(text);
        assert_eq!(err.kind, ErrorKind::Validation, "{text}");
        assert_eq!(err.field.as_deref(), Some("payer.amount"), "{text}");
        assert!(err.message.contains(fragment), "{text:?}: {}", err.message);

        let as_string = serde_json::from_value::<Amount>(Value::String(text.into()));
        let message = as_string.expect_err(text).to_string();
        assert!(
            message.contains(fragment),
            "{text:?} as a string: {message}"
        );

        let is_number = is_json_number(text);
        assert_eq!(
            case["jsonNumber"].as_bool(),
            Some(is_number),
            "{text}: jsonNumber flag"
        );
        if is_number {
            let message = serde_json::from_str::<Amount>(text)
                .expect_err(text)
                .to_string();
            assert!(
                message.contains(fragment),
                "{text:?} as a number: {message}"
            );
        }
    }
}

#[test]
fn balance_vectors_are_signed_and_unbounded() {
    let vectors = vectors();
    let balances = cases(&vectors, "balances");
    assert!(balances.len() >= 5);
    for case in balances {
        let text = case["text"].as_str().unwrap();
        let centavos = case["centavos"].as_i64().unwrap();
        let from_number: SignedAmount = serde_json::from_str(text).unwrap();
        assert_eq!(from_number.centavos(), centavos, "{text}");
        let from_string: SignedAmount = serde_json::from_value(Value::String(text.into())).unwrap();
        assert_eq!(from_string, from_number, "{text}");
        assert_eq!(from_number.to_string(), case["formatted"].as_str().unwrap());
        assert_eq!(
            serde_json::to_string(&from_number).unwrap(),
            case["formatted"].as_str().unwrap()
        );
    }
}

#[test]
fn huge_exponents_are_refused_without_expanding() {
    // A million-digit exponent and a billion-fold shift: refused at once, by arithmetic.
    let exponent = "9".repeat(1_000_000);
    for text in [
        format!("1e{exponent}"),
        format!("1e-{exponent}"),
        "1e999999999".to_owned(),
    ] {
        assert!(Amount::parse(&text).is_err());
        assert!(serde_json::from_str::<SignedAmount>(&text).is_err());
    }
    assert_eq!(
        Amount::parse(&format!("0e{exponent}")).unwrap(),
        Amount::ZERO
    );
}

#[test]
fn other_json_types_are_refused() {
    for json in ["true", "null", "[1]", "{\"value\":1}"] {
        let err = serde_json::from_str::<Amount>(json)
            .expect_err(json)
            .to_string();
        assert!(
            err.contains("must be a number such as 150.50"),
            "{json}: {err}"
        );
    }
}

#[test]
fn amounts_nested_in_structures_keep_their_exact_text() {
    // A plain f64 would turn 0.29 into 0.28999999999999998 and 4.35*100 into 434.99999999999994.
    let amounts: Vec<Amount> = serde_json::from_str("[0.29, 4.35, 1.15, 0.07]").unwrap();
    let centavos: Vec<i64> = amounts.iter().map(|a| a.centavos()).collect();
    assert_eq!(centavos, [29, 435, 115, 7]);
    assert_eq!(
        serde_json::to_string(&amounts).unwrap(),
        "[0.29,4.35,1.15,0.07]"
    );
    let value = serde_json::to_value(amounts[1]).unwrap();
    assert_eq!(value.to_string(), "4.35");
}

proptest! {
    #[test]
    fn display_then_parse_is_the_identity(centavos in 0i64..=Amount::MAX.centavos()) {
        let amount = Amount::from_centavos(centavos).unwrap();
        prop_assert_eq!(Amount::parse(&amount.to_string()).unwrap(), amount);
    }

    #[test]
    fn json_number_and_string_round_trips(centavos in 0i64..=Amount::MAX.centavos()) {
        let amount = Amount::from_centavos(centavos).unwrap();
        let number = serde_json::to_string(&amount).unwrap();
        prop_assert_eq!(serde_json::from_str::<Amount>(&number).unwrap(), amount);
        let string = with_amounts_as_strings(|| serde_json::to_string(&amount).unwrap());
        prop_assert_eq!(serde_json::from_str::<Amount>(&string).unwrap(), amount);
        prop_assert_eq!(string, format!("\"{number}\""));
    }

    #[test]
    fn any_decimal_with_at_most_two_places_is_exact(
        reais in 0u64..=9_999_999_999u64,
        fraction in prop_oneof![Just(String::new()), "[0-9]", "[0-9]{2}"],
    ) {
        let text = if fraction.is_empty() { reais.to_string() } else { format!("{reais}.{fraction}") };
        let expected = i64::try_from(reais).unwrap() * 100 + match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().unwrap() * 10,
            _ => fraction.parse::<i64>().unwrap(),
        };
        prop_assert_eq!(Amount::parse(&text).unwrap().centavos(), expected);
        prop_assert_eq!(serde_json::from_str::<Amount>(&text).unwrap().centavos(), expected);
    }

    #[test]
    fn a_fraction_of_a_centavo_is_always_refused(reais in 0u64..1_000_000u64, fraction in "[0-9]{2,7}[1-9]") {
        let text = format!("{reais}.{fraction}");
        let err = Amount::parse(&text).unwrap_err();
        prop_assert!(err.message.contains("at most two decimal places"), "{}", err.message);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        let _ = Amount::parse(&text);
        let _ = serde_json::from_value::<Amount>(Value::String(text));
    }

    #[test]
    fn checked_add_matches_integer_addition(a in 0i64..=Amount::MAX.centavos(), b in 0i64..=Amount::MAX.centavos()) {
        let sum = Amount::from_centavos(a).unwrap().checked_add(Amount::from_centavos(b).unwrap());
        prop_assert_eq!(sum.map(Amount::centavos), a.checked_add(b));
    }

    #[test]
    fn every_exponent_spelling_of_an_amount_reads_the_same(centavos in 1i64..=Amount::MAX.centavos(), zeros in 0usize..25) {
        let expected = Amount::from_centavos(centavos).unwrap();
        let digits = centavos.to_string();
        // The centavos with extra zeros and a negative exponent: 15050000e-5 is 150.50.
        let padded = format!("{digits}{}e-{}", "0".repeat(zeros), 2 + zeros);
        prop_assert_eq!(Amount::parse(&padded).unwrap(), expected);
        // Scientific notation: 1.505E2 is 150.50.
        let exponent = digits.len() as i64 - 3;
        let scientific = if digits.len() > 1 {
            format!("{}.{}E{exponent}", &digits[..1], &digits[1..])
        } else {
            format!("{digits}E{exponent}")
        };
        prop_assert_eq!(Amount::parse(&scientific).unwrap(), expected);
        prop_assert_eq!(serde_json::from_str::<Amount>(&scientific).unwrap(), expected);
    }
}

#[test]
fn the_br_code_limit_applies_to_br_codes_and_requests_only() {
    use connectpsp_core::pix::brcode::{StaticBrCode, encode};
    let code = |amount: &str| -> StaticBrCode {
        serde_json::from_str(&format!(
            r#"{{"key":"12345678909","merchantName":"Loja","merchantCity":"RIO","amount":{amount}}}"#
        ))
        .unwrap()
    };
    assert!(encode(&code("9999999999.99")).is_ok());
    let err = encode(&code("10000000000.00")).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("amount"));
    // The same amount read from an answer is just an amount.
    let read: Amount = serde_json::from_str("10000000000.00").unwrap();
    assert_eq!(read.centavos(), 1_000_000_000_000);
    assert!(read.require_request_range("amount").is_err());
}
