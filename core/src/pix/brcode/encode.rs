//! Encoding: every BACEN rule checked before a character is written.

use super::{
    LOCATION_MAX, MERCHANT_CITY_MAX, MERCHANT_NAME_MAX, NO_TXID, PIX_GUI, PixLocation,
    StaticBrCode, TXID_MAX, crc16_ccitt_false,
};
use crate::Error;
use crate::money::Amount;
use crate::pix::key;

/// Writes a BR Code for `code`, CRC included. Every rule is checked first; the error names the
/// offending field (`merchantName`, `merchantCity`, `pixKey`, `url`, `amount`, `txid`,
/// `description`).
pub fn encode(code: &StaticBrCode) -> Result<String, Error> {
    let name = ans_text("merchantName", &code.merchant_name, MERCHANT_NAME_MAX)?;
    let city = ans_text("merchantCity", &code.merchant_city, MERCHANT_CITY_MAX)?;
    let mut account = object("00", PIX_GUI);
    let dynamic = match &code.location {
        PixLocation::Key(k) => {
            if key::infer_type(k).is_none() {
                return Err(Error::validation(
                    key::FIELD,
                    "is not a valid PIX key in normalised form (see pix::key::normalize)",
                ));
            }
            account.push_str(&object("01", k));
            false
        }
        PixLocation::Url(u) => {
            let u = ans_text("url", u, LOCATION_MAX)?;
            if u.contains(' ') || u.to_ascii_lowercase().contains("://") {
                return Err(Error::validation(
                    "url",
                    "is the payload location without scheme or spaces (e.g. pix.example.com/qr/v2/…)",
                ));
            }
            account.push_str(&object("25", u));
            true
        }
    };
    if let Some(description) = &code.description {
        let room = 99usize.saturating_sub(account.len() + 4);
        let d = ans_text("description", description, room.max(1))?;
        if account.len() + 4 + d.len() > 99 {
            return Err(Error::validation(
                "description",
                "does not fit: the PIX template (key and description) holds 99 characters",
            ));
        }
        account.push_str(&object("02", d));
    }
    let txid = match (&code.txid, dynamic) {
        (None, _) => NO_TXID,
        (Some(_), true) => {
            return Err(Error::validation(
                "txid",
                "a dynamic code (URL) carries its txid in the payload behind the URL, not in the BR Code",
            ));
        }
        (Some(t), false) => {
            if t.is_empty() || t.len() > TXID_MAX || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(Error::validation(
                    "txid",
                    "a static BR Code's txid is 1 to 25 letters and digits (BACEN); longer ids \
                     such as 35-character cash-in ids need a dynamic code (a URL)",
                ));
            }
            t.as_str()
        }
    };

    let mut out = object("00", "01");
    if dynamic {
        out.push_str(&object("01", "12"));
    }
    out.push_str(&object("26", &account));
    out.push_str(&object("52", "0000"));
    out.push_str(&object("53", "986"));
    if let Some(amount) = code.amount {
        if amount.is_zero() {
            return Err(Error::validation(
                "amount",
                "must be greater than zero (leave it out to let the payer choose)",
            ));
        }
        // Field 54 has 13 characters: the BR Code limit, the only place it applies.
        if amount > Amount::BR_CODE_MAX {
            return Err(Error::validation(
                "amount",
                "must be at most 9999999999.99 (the 13 characters of a BR Code's amount)",
            ));
        }
        out.push_str(&object("54", &amount.to_string()));
    }
    out.push_str(&object("58", "BR"));
    out.push_str(&object("59", name));
    out.push_str(&object("60", city));
    out.push_str(&object("62", &object("05", txid)));
    out.push_str("6304");
    let crc = crc16_ccitt_false(out.as_bytes());
    out.push_str(&format!("{crc:04X}"));
    Ok(out)
}

/// `id`, 2-digit length, `value`. Callers guarantee 1 ≤ len ≤ 99 and ASCII.
fn object(id: &str, value: &str) -> String {
    format!("{id}{:02}{value}", value.len())
}

fn ans_text<'a>(field: &str, value: &'a str, max: usize) -> Result<&'a str, Error> {
    if value.is_empty() {
        return Err(Error::validation(field, "is empty"));
    }
    if !value.chars().all(|c| (' '..='~').contains(&c)) {
        return Err(Error::validation(
            field,
            "must be printable ASCII: payer apps refuse accents (write MACEIO, not MACEIÓ)",
        ));
    }
    if value.len() > max {
        return Err(Error::validation(
            field,
            format!("has {} characters (at most {max})", value.len()),
        ));
    }
    Ok(value)
}
