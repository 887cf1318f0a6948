//! BR Code decoding: total on any text, and what it accepts survives an encode round trip.
//!
//! A mutated payload almost never keeps a correct CRC, which would hide everything after the
//! CRC check from the fuzzer; so each input is also decoded with its CRC recomputed.
#![no_main]

use connectpsp_core::pix::brcode::{self, StaticBrCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = std::str::from_utf8(data) else {
        return;
    };
    check(payload);
    // Everything before the last 4 characters, when it ends with the CRC's id and length.
    let body = payload
        .char_indices()
        .rev()
        .nth(3)
        .map(|(cut, _)| &payload[..cut])
        .filter(|body| body.ends_with("6304"));
    if let Some(body) = body {
        let fixed = format!("{body}{:04X}", brcode::crc16_ccitt_false(body.as_bytes()));
        check(&fixed);
    }
});

fn check(payload: &str) {
    match brcode::decode(payload) {
        Err(errors) => {
            assert!(
                !errors.problems().is_empty(),
                "a failed decode names a problem"
            );
            let error = errors.to_error();
            assert_eq!(error.field.as_deref(), Some("brcode"));
        }
        Ok(code) => {
            // Anything the decoder accepts and the (stricter) encoder can write must come back
            // with the same fields.
            let input = StaticBrCode {
                location: code.location.clone(),
                merchant_name: code.merchant_name.clone(),
                merchant_city: code.merchant_city.clone(),
                amount: code.amount,
                txid: code.txid.clone(),
                description: code.description.clone(),
            };
            if let Ok(again) = brcode::encode(&input) {
                let back = match brcode::decode(&again) {
                    Ok(back) => back,
                    Err(errors) => panic!("encoder output does not decode: {errors}"),
                };
                assert_eq!(back.location, code.location);
                assert_eq!(back.merchant_name, code.merchant_name);
                assert_eq!(back.merchant_city, code.merchant_city);
                assert_eq!(back.amount, code.amount);
                assert_eq!(back.txid, code.txid);
                assert_eq!(back.description, code.description);
            }
        }
    }
}
