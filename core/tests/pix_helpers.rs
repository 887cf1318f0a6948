//! The PIX helpers (key type detection, document masks, QR images) against
//! testdata/pix/helpers.json, the vectors the Python and JS tests read too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use connectpsp_core::bridge;
use connectpsp_core::pix::detect::detect_key_type;
use connectpsp_core::pix::format::{format_document, normalize_document};
use connectpsp_core::pix::qr::{qr_png, qr_svg};
use serde_json::Value;

fn vectors() -> Value {
    let path = format!(
        "{}/../testdata/pix/helpers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn detects_key_types_and_candidates() {
    let data = vectors();
    for case in data["detect"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        let detection = detect_key_type(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(
            detection.kind().map(|k| k.as_str()),
            case["type"].as_str(),
            "{input}"
        );
        let got: Vec<Value> = detection
            .candidates()
            .iter()
            .map(|c| serde_json::json!([c.kind.as_str(), c.normalized]))
            .collect();
        assert_eq!(Value::Array(got), case["candidates"], "{input}");
        // The bridge's JSON says the same.
        let json: Value =
            serde_json::from_str(&bridge::pix_detect_key_type(input).unwrap()).unwrap();
        assert_eq!(json["type"], case["type"], "{input}");
        assert_eq!(
            json["candidates"].as_array().unwrap().len(),
            case["candidates"].as_array().unwrap().len()
        );
        if case["type"].is_null() {
            assert!(json["normalized"].is_null());
        } else {
            assert_eq!(json["normalized"], case["candidates"][0][1], "{input}");
        }
    }
    for input in data["invalidKeys"].as_array().unwrap() {
        let input = input.as_str().unwrap();
        let error = detect_key_type(input).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("pixKey"), "{input}");
        if input.len() > 3 {
            assert!(!error.to_string().contains(input), "{input}: {error}");
        }
    }
}

#[test]
fn document_masks() {
    let data = vectors();
    for case in data["documents"].as_array().unwrap() {
        let written = case["written"].as_str().unwrap();
        assert_eq!(
            normalize_document(written).unwrap(),
            case["normalized"],
            "{written}"
        );
        assert_eq!(
            format_document(written).unwrap(),
            case["formatted"],
            "{written}"
        );
        assert_eq!(
            bridge::pix_format_document(written).unwrap(),
            case["formatted"]
        );
    }
    for bad in data["invalidDocuments"].as_array().unwrap() {
        let bad = bad.as_str().unwrap();
        let error = normalize_document(bad).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("document"), "{bad}");
        if bad.len() > 4 {
            assert!(!error.to_string().contains(bad), "{bad}");
        }
        assert!(format_document(bad).is_err(), "{bad}");
    }
}

#[test]
fn qr_images_of_valid_codes_only() {
    let data = vectors();
    for code in data["qr"]["valid"].as_array().unwrap() {
        let code = code.as_str().unwrap();
        let svg = qr_svg(code).unwrap();
        assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
        let png = qr_png(code, 8).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(bridge::pix_qr_png(code, None).unwrap(), png);
    }
    for code in data["qr"]["invalid"].as_array().unwrap() {
        let code = code.as_str().unwrap();
        assert_eq!(qr_svg(code).unwrap_err().field.as_deref(), Some("brcode"));
        assert_eq!(
            qr_png(code, 8).unwrap_err().field.as_deref(),
            Some("brcode")
        );
    }
}
