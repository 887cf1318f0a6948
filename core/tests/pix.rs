//! The PIX toolkit against the shared vectors in testdata/pix/ (also read by the Python and JS
//! tests), plus property tests: BR Code round trips and CPF/CNPJ check digits.

use std::collections::BTreeSet;
use std::path::PathBuf;

use connectpsp_core::pix::brcode::{self, PixLocation, StaticBrCode};
use connectpsp_core::pix::end_to_end::{EndToEndId, EndToEndKind};
use connectpsp_core::pix::key::{self, PixKeyType};
use connectpsp_core::pix::{cnpj, cpf, document};
use connectpsp_core::{Amount, ErrorKind};
use proptest::prelude::*;
use serde_json::Value;

fn vectors(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/pix")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn items<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no array {key}"))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap()
}

#[test]
fn documents() {
    let v = vectors("documents.json");
    let mut seen = 0;
    for case in items(&v, "valid") {
        let doc = text(&case["document"]);
        assert!(document::validate("payer.document", doc).is_ok(), "{doc}");
        match text(&case["kind"]) {
            "CPF" => assert!(cpf::is_valid(doc) && !cnpj::is_valid(doc), "{doc}"),
            "CNPJ" => assert!(cnpj::is_valid(doc) && !cpf::is_valid(doc), "{doc}"),
            other => panic!("kind {other}"),
        }
        seen += 1;
    }
    for case in items(&v, "invalid") {
        let doc = text(&case["document"]);
        let err = document::validate("payer.document", doc).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        assert_eq!(err.field.as_deref(), Some("payer.document"));
        assert!(!cpf::is_valid(doc) && !cnpj::is_valid(doc), "{doc}");
        if doc.len() > 3 {
            assert!(
                !err.message.contains(doc),
                "error echoes the document: {doc}"
            );
        }
        seen += 1;
    }
    assert!(seen >= 20, "too few document vectors: {seen}");
}

#[test]
fn pix_keys() {
    let v = vectors("keys.json");
    for case in items(&v, "valid") {
        let kind = PixKeyType::from_wire(text(&case["type"]));
        let key = text(&case["key"]);
        let normalized = key::normalize(&kind, key).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(normalized, text(&case["normalized"]), "{key}");
        assert_eq!(key::infer_type(&normalized), Some(kind), "{key}");
    }
    for case in items(&v, "invalid") {
        let kind = PixKeyType::from_wire(text(&case["type"]));
        let key = text(&case["key"]);
        let err = key::normalize(&kind, key).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation, "{key}");
        assert_eq!(err.field.as_deref(), Some(text(&case["field"])), "{key}");
        if key.len() > 3 {
            assert!(!err.message.contains(key), "error echoes the key: {key}");
        }
    }
}

fn expected_location(expect: &Value) -> PixLocation {
    match (expect["key"].as_str(), expect["url"].as_str()) {
        (Some(k), None) => PixLocation::Key(k.to_owned()),
        (None, Some(u)) => PixLocation::Url(u.to_owned()),
        _ => panic!("vector needs key or url"),
    }
}

#[test]
fn brcodes_valid() {
    let v = vectors("brcodes.json");
    for case in items(&v, "valid") {
        let name = text(&case["name"]);
        let code = brcode::decode(text(&case["payload"])).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expect = &case["expect"];
        assert_eq!(code.location, expected_location(expect), "{name}");
        assert_eq!(code.merchant_name, text(&expect["merchantName"]), "{name}");
        assert_eq!(code.merchant_city, text(&expect["merchantCity"]), "{name}");
        assert_eq!(
            code.amount.map(|a| a.to_string()).as_deref(),
            expect["amount"].as_str(),
            "{name}"
        );
        assert_eq!(code.txid.as_deref(), expect["txid"].as_str(), "{name}");
        assert_eq!(
            code.description.as_deref(),
            expect["description"].as_str(),
            "{name}"
        );
        assert_eq!(
            code.single_use,
            expect["singleUse"].as_bool().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn brcodes_invalid_report_every_problem() {
    let v = vectors("brcodes.json");
    for case in items(&v, "invalid") {
        let name = text(&case["name"]);
        let payload = text(&case["payload"]);
        let errors = brcode::decode(payload).expect_err(name);
        let found: BTreeSet<&str> = errors.problems().iter().map(|p| p.tag.as_str()).collect();
        let expected: BTreeSet<&str> = items(case, "problemTags").iter().map(text).collect();
        assert_eq!(found, expected, "{name}: {errors}");
        let single = errors.to_error();
        assert_eq!(single.kind, ErrorKind::Validation);
        assert_eq!(single.field.as_deref(), Some("brcode"));
    }
}

#[test]
fn brcodes_encode() {
    let v = vectors("brcodes.json");
    for case in items(&v, "encode") {
        let name = text(&case["name"]);
        let input: StaticBrCode = serde_json::from_value(case["input"].clone()).unwrap();
        assert_eq!(
            brcode::encode(&input).unwrap(),
            text(&case["payload"]),
            "{name}"
        );
    }
    for case in items(&v, "encodeInvalid") {
        let name = text(&case["name"]);
        let input: StaticBrCode = serde_json::from_value(case["input"].clone()).unwrap();
        let err = brcode::encode(&input).expect_err(name);
        assert_eq!(err.field.as_deref(), Some(text(&case["field"])), "{name}");
    }
}

#[test]
fn end_to_end_ids() {
    let v = vectors("end_to_end.json");
    for case in items(&v, "valid") {
        let raw = text(&case["id"]);
        let id = EndToEndId::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
        let kind = match id.kind() {
            EndToEndKind::Payment => "E",
            EndToEndKind::Devolution => "D",
        };
        assert_eq!(kind, text(&case["kind"]), "{raw}");
        assert_eq!(id.ispb(), text(&case["ispb"]), "{raw}");
        assert_eq!(id.sequence(), text(&case["sequence"]), "{raw}");
        assert_eq!(
            id.created_at_unix_seconds(),
            case["createdAtUnix"].as_i64().unwrap(),
            "{raw}"
        );
        assert_eq!(id.to_string(), raw);
    }
    for case in items(&v, "invalid") {
        let raw = text(&case["id"]);
        let err = EndToEndId::parse(raw).expect_err(raw);
        assert_eq!(err.field.as_deref(), Some("endToEndId"), "{raw}");
    }
}

// ---------------------------------------------------------------------------------------------
// Property tests

/// A CPF built from a random 9-digit body and its computed check digits.
fn valid_cpf() -> impl Strategy<Value = String> {
    proptest::collection::vec(0u32..10, 9)
        .prop_filter("one repeated digit is never issued", |b| {
            b.iter().any(|d| *d != b[0])
        })
        .prop_map(|body| {
            let dv = cpf::check_digits(&body);
            body.iter()
                .chain(dv.iter())
                .map(|d| char::from(b'0' + *d as u8))
                .collect()
        })
}

/// A CNPJ (numeric or alphanumeric) from a random 12-character body and its check digits.
fn valid_cnpj() -> impl Strategy<Value = String> {
    "[0-9A-Z]{12}"
        .prop_filter("one repeated character is rejected", |b| {
            b.bytes().any(|c| c != b.as_bytes()[0])
        })
        .prop_map(|body| {
            let values: Vec<u32> = body.bytes().map(cnpj::char_value).collect();
            let [d1, d2] = cnpj::check_digits(&values);
            format!("{body}{d1}{d2}")
        })
}

/// The remainders mod 11 of the two check-digit sums, computed here independently of the crate.
fn remainders(values: &[u32], w1: &[u32], w2: &[u32]) -> (u32, u32) {
    let n = w1.len();
    let r1 = values[..n].iter().zip(w1).map(|(v, w)| v * w).sum::<u32>() % 11;
    let r2 = values[..=n].iter().zip(w2).map(|(v, w)| v * w).sum::<u32>() % 11;
    (r1, r2)
}

/// The two blind spots of a modulus-11 check, where one substituted character goes unnoticed:
/// a value change that is a multiple of 11 (only possible with letters: A↔L↔W, 6↔A, …), or both
/// sums moving between remainders 0 and 1, which give the same check digit 0 (about 0.2 % of
/// single-digit substitutions in a CPF).
fn blind_spot(original: &[u32], changed: &[u32], w1: &[u32], w2: &[u32]) -> bool {
    let delta_multiple_of_11 = original
        .iter()
        .zip(changed)
        .any(|(a, b)| a != b && a.abs_diff(*b) % 11 == 0);
    let (a1, a2) = remainders(original, w1, w2);
    let (b1, b2) = remainders(changed, w1, w2);
    let collapsed = |a: u32, b: u32| a == b || (a < 2 && b < 2);
    delta_multiple_of_11 || (collapsed(a1, b1) && collapsed(a2, b2))
}

const CPF_W1: [u32; 9] = [10, 9, 8, 7, 6, 5, 4, 3, 2];
const CPF_W2: [u32; 10] = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W1: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W2: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

fn values(doc: &str) -> Vec<u32> {
    doc.bytes().map(|b| u32::from(b) - 48).collect()
}

/// Replaces the character at `index` by another of the same class (digit → digit, letter →
/// letter): a single substitution must always change a modulus-11 check.
fn change_one(doc: &str, index: usize, offset: u8) -> String {
    let mut bytes = doc.as_bytes().to_vec();
    let i = index % bytes.len();
    let b = bytes[i];
    bytes[i] = if b.is_ascii_digit() {
        b'0' + (b - b'0' + 1 + offset % 9) % 10
    } else {
        b'A' + (b - b'A' + 1 + offset % 25) % 26
    };
    String::from_utf8(bytes).unwrap()
}

fn ans(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[ -~]{{1,{max}}}")).unwrap()
}

prop_compose! {
    fn static_code()(
        key in prop_oneof![
            valid_cpf(),
            valid_cnpj(),
            "[a-z0-9]{1,20}@[a-z]{1,10}\\.com\\.br",
            "\\+55119[0-9]{8}",
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        ],
        url in "[a-z]{1,20}\\.example/qr/v2/[a-z0-9]{1,35}",
        dynamic in any::<bool>(),
        merchant_name in ans(25),
        merchant_city in ans(15),
        centavos in proptest::option::of(1i64..=999_999_999_999),
        txid in proptest::option::of("[A-Za-z0-9]{1,25}"),
        description in proptest::option::of(ans(10)),
    ) -> StaticBrCode {
        StaticBrCode {
            location: if dynamic { PixLocation::Url(url) } else { PixLocation::Key(key) },
            merchant_name,
            merchant_city,
            amount: centavos.map(|c| Amount::from_centavos(c).unwrap()),
            txid: if dynamic { None } else { txid },
            description,
        }
    }
}

proptest! {
    #[test]
    fn generated_cpfs_validate_and_one_changed_digit_fails(
        doc in valid_cpf(), index in 0usize..11, offset in any::<u8>()
    ) {
        prop_assert!(cpf::is_valid(&doc));
        prop_assert!(document::validate("document", &doc).is_ok());
        let changed = change_one(&doc, index, offset);
        // A changed check digit is always caught; a changed body digit unless it hits a blind spot.
        let expected_valid = index % 11 < 9
            && blind_spot(&values(&doc), &values(&changed), &CPF_W1, &CPF_W2);
        prop_assert_eq!(cpf::is_valid(&changed), expected_valid, "{} -> {}", doc, changed);
    }

    #[test]
    fn generated_cnpjs_validate_and_one_changed_char_fails(
        doc in valid_cnpj(), index in 0usize..14, offset in any::<u8>()
    ) {
        prop_assert!(cnpj::is_valid(&doc));
        prop_assert!(document::validate("document", &doc).is_ok());
        let changed = change_one(&doc, index, offset);
        let expected_valid = index % 14 < 12
            && blind_spot(&values(&doc), &values(&changed), &CNPJ_W1, &CNPJ_W2);
        prop_assert_eq!(cnpj::is_valid(&changed), expected_valid, "{} -> {}", doc, changed);
    }

    #[test]
    fn brcode_round_trip(code in static_code()) {
        // A description may not fit next to a long key: then encode must say so, on that field.
        let payload = match brcode::encode(&code) {
            Ok(payload) => payload,
            Err(e) => {
                prop_assert_eq!(e.field.as_deref(), Some("description"));
                return Ok(());
            }
        };
        let decoded = brcode::decode(&payload).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&decoded.location, &code.location);
        prop_assert_eq!(&decoded.merchant_name, &code.merchant_name);
        prop_assert_eq!(&decoded.merchant_city, &code.merchant_city);
        prop_assert_eq!(decoded.amount, code.amount);
        prop_assert_eq!(&decoded.txid, &code.txid);
        prop_assert_eq!(&decoded.description, &code.description);
        prop_assert_eq!(decoded.single_use, matches!(code.location, PixLocation::Url(_)));
    }

    #[test]
    fn brcode_decode_is_total(payload in "\\PC{0,300}") {
        // Never panics; a failure always carries at least one problem.
        if let Err(errors) = brcode::decode(&payload) {
            prop_assert!(!errors.problems().is_empty());
        }
    }

    #[test]
    fn brcode_any_corruption_is_caught(code in static_code(), index in any::<usize>(), c in "[ -~]") {
        let Ok(payload) = brcode::encode(&code) else { return Ok(()) };
        let i = index % (payload.len() - 4); // the CRC digits accept either case
        let mut corrupted = payload.clone();
        corrupted.replace_range(i..=i, &c);
        // CRC-16 detects every single-character change, so a changed payload never decodes.
        if corrupted != payload {
            prop_assert!(brcode::decode(&corrupted).is_err());
        }
    }
}
