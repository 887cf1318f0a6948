//! BR Code: the PIX QR code payload ("Pix copia e cola"), an EMV® QRCPS Merchant-Presented Mode
//! string as profiled by BACEN's *Manual de Padrões para Iniciação do Pix*.
//!
//! A payload is a sequence of data objects `ID(2 digits) LENGTH(2 digits) VALUE`; some values
//! are templates holding data objects themselves. Lengths count characters. The payload ends
//! with `6304` and the CRC16-CCITT-FALSE of everything before the CRC value, as 4 hex digits.
//!
//! [`decode`] never stops at the first problem: it reports every one it can find (CRC, lengths,
//! missing mandatory objects, character set, amount format…), so a user fixing a generator sees
//! the whole list at once. It never panics, whatever the input. Where payer apps differ it
//! accepts what is unambiguous: CRC hex digits in either case, the GUI `br.gov.bcb.pix` in any
//! case, amounts without decimals or with one (`198`, `0.5`, legal EMV), leading zeros; a key in
//! any letter case its type allows. The CRC is computed over the UTF-8 bytes; accented text is
//! reported as a problem anyway (payer apps refuse it).
//!
//! [`encode`] writes a static code (a PIX key) or a dynamic one (a URL payload location) with a
//! correct CRC. What BACEN allows, and the encoder therefore enforces:
//! - merchant name ≤ 25 and city ≤ 15 characters, printable ASCII only (payer apps refuse
//!   accents: write `MACEIO`, not `MACEIÓ`);
//! - the txid of a static code (field 62-05) is 1–25 letters and digits; without one it is
//!   `***`. A dynamic code always carries `***` there: its txid (26–35 characters, such as
//!   ConnectPSP's 35-character cash-in ids) lives in the payload behind the URL. So a 35-character
//!   id cannot go into 62-05 — issue a dynamic code for it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Amount, Error};

mod decode;
mod encode;

pub use decode::decode;
pub use encode::encode;

/// The Globally Unique Identifier of the PIX arrangement (field 26-00).
pub const PIX_GUI: &str = "br.gov.bcb.pix";
/// Field name of the single [`Error`] made from a failed decode.
pub const FIELD: &str = "brcode";
/// Longest merchant name (field 59).
pub const MERCHANT_NAME_MAX: usize = 25;
/// Longest merchant city (field 60).
pub const MERCHANT_CITY_MAX: usize = 15;
/// Longest txid in field 62-05.
pub const TXID_MAX: usize = 25;
/// Longest PIX key (26-01) or URL (26-25).
pub const LOCATION_MAX: usize = 77;
/// Longest amount text (field 54).
pub const AMOUNT_MAX_LEN: usize = 13;
/// 62-05 when there is no txid (static) or when the txid is behind the URL (dynamic).
const NO_TXID: &str = "***";

/// Where the payer's app finds the payee: a PIX key (static code) or a URL (dynamic code).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PixLocation {
    /// Field 26-01: a PIX key, in its normalised form (see [`key::normalize`]).
    Key(String),
    /// Field 26-25: the payload location of a dynamic code, without `https://`.
    Url(String),
}

/// One data object, as found in the payload.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Field {
    pub id: String,
    pub value: String,
}

/// A decoded, valid BR Code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrCode {
    /// 26-01 (static) or 26-25 (dynamic).
    #[serde(flatten)]
    pub location: PixLocation,
    /// 01 = `12`: the code may be paid only once.
    pub single_use: bool,
    /// 59.
    pub merchant_name: String,
    /// 60.
    pub merchant_city: String,
    /// 54; `None` lets the payer choose the amount.
    pub amount: Option<Amount>,
    /// 62-05; `None` when it is `***`.
    pub txid: Option<String>,
    /// 26-02: free text shown to the payer.
    pub description: Option<String>,
    /// 61.
    pub postal_code: Option<String>,
    /// 52 (`0000` when not informed).
    pub merchant_category_code: String,
    /// 53 (`986`, BRL).
    pub currency: String,
    /// 58 (`BR`).
    pub country_code: String,
    /// Every top-level data object, in payload order (CRC included).
    pub fields: Vec<Field>,
}

/// What [`encode`] writes.
///
/// From JSON: `{"key" | "url", "merchantName", "merchantCity", "amount"?, "txid"?,
/// "description"?}` with exactly one of `key` and `url`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "StaticBrCodeJson")]
pub struct StaticBrCode {
    pub location: PixLocation,
    pub merchant_name: String,
    pub merchant_city: String,
    pub amount: Option<Amount>,
    /// Static codes only: 1–25 letters and digits. `None` writes `***`.
    pub txid: Option<String>,
    /// Field 26-02, shown to the payer. It shares the 99 characters of the PIX template with
    /// the key, so a long key leaves little room.
    pub description: Option<String>,
}

/// The JSON shape of [`StaticBrCode`]. Not `#[serde(flatten)]`: flattening buffers the JSON
/// and would lose the exact text of an amount number.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StaticBrCodeJson {
    key: Option<String>,
    url: Option<String>,
    merchant_name: String,
    merchant_city: String,
    amount: Option<Amount>,
    txid: Option<String>,
    description: Option<String>,
}

impl TryFrom<StaticBrCodeJson> for StaticBrCode {
    type Error = &'static str;
    fn try_from(json: StaticBrCodeJson) -> Result<Self, Self::Error> {
        let location = match (json.key, json.url) {
            (Some(key), None) => PixLocation::Key(key),
            (None, Some(url)) => PixLocation::Url(url),
            _ => return Err("give exactly one of `key` (static code) and `url` (dynamic code)"),
        };
        Ok(StaticBrCode {
            location,
            merchant_name: json.merchant_name,
            merchant_city: json.merchant_city,
            amount: json.amount,
            txid: json.txid,
            description: json.description,
        })
    }
}

/// One problem found by [`decode`]: the tag path (`"59"`, `"62.05"`; empty for the payload as a
/// whole) and what is wrong. Messages never quote values: a BR Code carries a PIX key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct BrCodeProblem {
    pub tag: String,
    pub message: String,
}

impl fmt::Display for BrCodeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.tag.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "tag {}: {}", self.tag, self.message)
        }
    }
}

/// Every problem [`decode`] found (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrCodeErrors {
    problems: Vec<BrCodeProblem>,
}

impl BrCodeErrors {
    pub fn problems(&self) -> &[BrCodeProblem] {
        &self.problems
    }

    /// True when one of the problems is about `tag`.
    pub fn has_problem_with(&self, tag: &str) -> bool {
        self.problems.iter().any(|p| p.tag == tag)
    }

    /// One validation [`Error`] on the field `brcode` listing the problems, for the bindings.
    pub fn to_error(&self) -> Error {
        Error::validation(FIELD, self.to_string())
    }
}

impl fmt::Display for BrCodeErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A hostile payload could yield a long list; the first ones are enough to act on.
        const SHOWN: usize = 20;
        let n = self.problems.len();
        write!(
            f,
            "invalid BR Code ({n} problem{}): ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, problem) in self.problems.iter().take(SHOWN).enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        if n > SHOWN {
            write!(f, "; and {} more", n - SHOWN)?;
        }
        Ok(())
    }
}

impl std::error::Error for BrCodeErrors {}

impl From<BrCodeErrors> for Error {
    fn from(errors: BrCodeErrors) -> Error {
        errors.to_error()
    }
}

/// CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR.
/// Check value: `crc16_ccitt_false(b"123456789") == 0x29B1`.
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    // Ten lines, no table: a BR Code is a few hundred bytes, so speed does not matter here.
    let mut crc: u16 = 0xFFFF;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    const BCB_EXAMPLE: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
        assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
    }

    #[test]
    fn decodes_the_central_bank_example() {
        let code = decode(BCB_EXAMPLE).unwrap();
        assert_eq!(
            code.location,
            PixLocation::Key("123e4567-e12b-12d1-a456-426655440000".into())
        );
        assert_eq!(code.merchant_name, "Fulano de Tal");
        assert_eq!(code.merchant_city, "BRASILIA");
        assert_eq!(code.amount, None);
        assert_eq!(code.txid, None);
        assert!(!code.single_use);
        assert_eq!(code.fields.len(), 9);
    }

    #[test]
    fn encodes_the_central_bank_example_byte_for_byte() {
        let code = StaticBrCode {
            location: PixLocation::Key("123e4567-e12b-12d1-a456-426655440000".into()),
            merchant_name: "Fulano de Tal".into(),
            merchant_city: "BRASILIA".into(),
            amount: None,
            txid: None,
            description: None,
        };
        assert_eq!(encode(&code).unwrap(), BCB_EXAMPLE);
    }

    #[test]
    fn reports_every_problem() {
        // Wrong CRC, accented 14-character name declared as 14, city too long, no 62.
        let body = "00020126330014br.gov.bcb.pix0111123456789095204000053039865406-10.005802BR5914Padaria Maceió6016CIDADE MUITO LON6304";
        let payload = format!("{body}0000");
        let errors = decode(&payload).unwrap_err();
        for tag in ["63", "54", "59", "60", "62"] {
            assert!(errors.has_problem_with(tag), "{tag}: {errors}");
        }
        let error = errors.to_error();
        assert_eq!(error.field.as_deref(), Some("brcode"));
        assert!(!error.message.contains("12345678909"));
    }

    #[test]
    fn tolerates_what_is_unambiguous() {
        // Lowercase CRC digits and an uppercase GUI still decode.
        let lower = format!("{}{}", &BCB_EXAMPLE[..BCB_EXAMPLE.len() - 4], "1d3d");
        assert!(decode(&lower).is_ok());
        let body = BCB_EXAMPLE[..BCB_EXAMPLE.len() - 4].replace("br.gov.bcb.pix", "BR.GOV.BCB.PIX");
        let upper_gui = format!("{body}{:04X}", crc16_ccitt_false(body.as_bytes()));
        assert!(decode(&upper_gui).is_ok());
        // Point of initiation other than 11/12 is a problem on tag 01.
        let body = BCB_EXAMPLE[..BCB_EXAMPLE.len() - 4].replacen("000201", "000201010213", 1);
        let bad_poi = format!("{body}{:04X}", crc16_ccitt_false(body.as_bytes()));
        let errors = decode(&bad_poi).unwrap_err();
        assert_eq!(errors.problems().len(), 1, "{errors}");
        assert!(errors.has_problem_with("01"));
    }

    #[test]
    fn structural_errors_do_not_panic() {
        for payload in [
            "",
            "0",
            "00",
            "0002",
            "000201",
            "0099",
            "ab12",
            "00020é",
            "6304",
            "é6304ABCD",
            "6304+FFF",
        ] {
            assert!(decode(payload).is_err(), "{payload}");
        }
    }

    #[test]
    fn encoder_rejects_what_bacen_forbids() {
        let base = StaticBrCode {
            location: PixLocation::Key("12345678909".into()),
            merchant_name: "Loja".into(),
            merchant_city: "SAO PAULO".into(),
            amount: Some(Amount::from_centavos(1050).unwrap()),
            txid: Some("PEDIDO123".into()),
            description: None,
        };
        assert!(encode(&base).is_ok());
        let field = |c: StaticBrCode| encode(&c).unwrap_err().field.unwrap();
        let txid35 = "kk6g232xel65a0daee4dd13kk2912714964".to_owned();
        assert_eq!(
            field(StaticBrCode {
                txid: Some(txid35),
                ..base.clone()
            }),
            "txid"
        );
        assert_eq!(
            field(StaticBrCode {
                merchant_city: "MACEIÓ".into(),
                ..base.clone()
            }),
            "merchantCity"
        );
        assert_eq!(
            field(StaticBrCode {
                merchant_name: "x".repeat(26),
                ..base.clone()
            }),
            "merchantName"
        );
        assert_eq!(
            field(StaticBrCode {
                amount: Some(Amount::ZERO),
                ..base.clone()
            }),
            "amount"
        );
        assert_eq!(
            field(StaticBrCode {
                location: PixLocation::Key("123.456.789-09".into()),
                ..base.clone()
            }),
            "pixKey"
        );
        assert_eq!(
            field(StaticBrCode {
                location: PixLocation::Url("https://x.example/qr".into()),
                txid: None,
                ..base.clone()
            }),
            "url"
        );
        assert_eq!(
            field(StaticBrCode {
                location: PixLocation::Url("x.example/qr".into()),
                ..base.clone()
            }),
            "txid"
        );
        assert_eq!(
            field(StaticBrCode {
                location: PixLocation::Key("a".repeat(64) + "@example.com"),
                description: Some("too long for the room left".into()),
                ..base
            }),
            "description"
        );
    }

    #[test]
    fn dynamic_code_round_trip_and_json() {
        let code = StaticBrCode {
            location: PixLocation::Url(
                "sandbox.connectpsp.local/qr/v2/kk6g232xel65a0daee4dd13kk2912714964".into(),
            ),
            merchant_name: "ConnectPSP Sandbox".into(),
            merchant_city: "SAO PAULO".into(),
            amount: Some(Amount::from_centavos(15050).unwrap()),
            txid: None,
            description: None,
        };
        let payload = encode(&code).unwrap();
        let decoded = decode(&payload).unwrap();
        assert!(decoded.single_use);
        assert_eq!(decoded.location, code.location);
        assert_eq!(decoded.amount, code.amount);
        let json = serde_json::to_value(&decoded).unwrap();
        assert_eq!(
            json["url"],
            "sandbox.connectpsp.local/qr/v2/kk6g232xel65a0daee4dd13kk2912714964"
        );
        let back: StaticBrCode = serde_json::from_str(
            r#"{"key":"12345678909","merchantName":"Loja","merchantCity":"RIO","amount":10.50}"#,
        )
        .unwrap();
        assert_eq!(back.location, PixLocation::Key("12345678909".into()));
        assert_eq!(back.amount, Some(Amount::from_centavos(1050).unwrap()));
        for bad in [
            r#"{"merchantName":"Loja","merchantCity":"RIO"}"#,
            r#"{"key":"12345678909","url":"x.example/qr","merchantName":"Loja","merchantCity":"RIO"}"#,
            r#"{"key":"12345678909","merchantName":"Loja","merchantCity":"RIO","amount":10.505}"#,
            r#"{"key":"12345678909","merchantName":"Loja","merchantCity":"RIO","colour":"red"}"#,
        ] {
            assert!(serde_json::from_str::<StaticBrCode>(bad).is_err(), "{bad}");
        }
    }
}
