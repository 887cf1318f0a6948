//! Decoding: every problem found, never a panic.

use super::{
    AMOUNT_MAX_LEN, BrCode, BrCodeErrors, BrCodeProblem, Field, LOCATION_MAX, MERCHANT_CITY_MAX,
    MERCHANT_NAME_MAX, NO_TXID, PIX_GUI, PixLocation, TXID_MAX, crc16_ccitt_false,
};
use crate::Amount;
use crate::pix::key;

/// Collects problems while decoding.
#[derive(Default)]
struct Problems(Vec<BrCodeProblem>);

impl Problems {
    fn add(&mut self, tag: &str, message: impl Into<String>) {
        self.0.push(BrCodeProblem {
            tag: tag.to_owned(),
            message: message.into(),
        });
    }
}

/// Decodes and validates a BR Code, reporting every problem found.
pub fn decode(payload: &str) -> Result<BrCode, BrCodeErrors> {
    let mut problems = Problems::default();
    if payload.is_empty() {
        problems.add("", "the payload is empty");
        return Err(BrCodeErrors {
            problems: problems.0,
        });
    }
    check_crc(payload, &mut problems);
    let chars: Vec<char> = payload.chars().collect();
    let (fields, complete) = parse_objects(&chars, "", &mut problems);
    let code = check_fields(&fields, complete, &mut problems);
    match code {
        Some(code) if problems.0.is_empty() => Ok(code),
        _ => {
            if problems.0.is_empty() {
                // check_fields returns None only after recording why; keep the invariant anyway.
                problems.add("", "the payload is not a BR Code");
            }
            Err(BrCodeErrors {
                problems: problems.0,
            })
        }
    }
}

/// The payload must end with `6304` + 4 hex digits, the CRC of everything before those digits.
fn check_crc(payload: &str, problems: &mut Problems) {
    // Split off the last 4 characters by char boundary, never by byte offset.
    let Some((crc_start, _)) = payload.char_indices().rev().nth(3) else {
        problems.add(
            "63",
            "missing: the payload must end with the CRC (6304 and 4 hex digits)",
        );
        return;
    };
    let (covered, crc_text) = payload.split_at(crc_start);
    if !covered.ends_with("6304") {
        problems.add(
            "63",
            "the payload must end with the CRC data object (6304 and 4 hex digits)",
        );
        return;
    }
    let Ok(stated) = u16::from_str_radix(crc_text, 16) else {
        problems.add("63", "the CRC must be 4 hexadecimal digits");
        return;
    };
    if !crc_text.bytes().all(|b| b.is_ascii_hexdigit()) {
        // from_str_radix accepts a leading '+'.
        problems.add("63", "the CRC must be 4 hexadecimal digits");
        return;
    }
    let computed = crc16_ccitt_false(covered.as_bytes());
    if stated != computed {
        problems.add(
            "63",
            format!(
                "CRC mismatch: the payload says {stated:04X}, its CRC16-CCITT-FALSE is {computed:04X}"
            ),
        );
    }
}

/// Splits `chars` into data objects. Stops at the first structural error (nothing after it can
/// be located), after recording it, and then says the list is incomplete (`false`): callers do
/// not report "missing" objects that may just be hidden behind that error. `parent` is the
/// template's tag ("" at top level).
fn parse_objects(chars: &[char], parent: &str, problems: &mut Problems) -> (Vec<Field>, bool) {
    let mut complete = true;
    let mut fields = Vec::new();
    let mut pos = 0;
    let where_ = |pos: usize| {
        if parent.is_empty() {
            format!("at character {pos}")
        } else {
            format!("at character {pos} of template {parent}")
        }
    };
    while pos < chars.len() {
        let rest = &chars[pos..];
        if rest.len() < 4 {
            problems.add(
                parent,
                format!(
                    "{}: {} trailing characters are not a data object",
                    where_(pos),
                    rest.len()
                ),
            );
            complete = false;
            break;
        }
        let (Some(id), Some(len)) = (two_digits(&rest[..2]), two_digits(&rest[2..4])) else {
            let tag = if two_digits(&rest[..2]).is_some() {
                path(parent, &rest[..2].iter().collect::<String>())
            } else {
                parent.to_owned()
            };
            problems.add(
                &tag,
                format!(
                    "{}: expected a 2-digit id and a 2-digit length",
                    where_(pos)
                ),
            );
            complete = false;
            break;
        };
        let id = format!("{id:02}");
        let tag = path(parent, &id);
        let len = usize::from(len);
        if len == 0 {
            problems.add(
                &tag,
                "has length 00 (a data object holds 1 to 99 characters)",
            );
        }
        let available = rest.len() - 4;
        if len > available {
            problems.add(
                &tag,
                format!("declares length {len} but only {available} characters follow"),
            );
            complete = false;
            break;
        }
        fields.push(Field {
            id,
            value: rest[4..4 + len].iter().collect(),
        });
        pos += 4 + len;
    }
    // An id twice makes the payload ambiguous.
    let mut seen: Vec<&str> = Vec::new();
    let mut reported: Vec<&str> = Vec::new();
    for field in &fields {
        if seen.contains(&field.id.as_str()) {
            if !reported.contains(&field.id.as_str()) {
                problems.add(&path(parent, &field.id), "appears more than once");
                reported.push(&field.id);
            }
        } else {
            seen.push(&field.id);
        }
    }
    (fields, complete)
}

fn two_digits(chars: &[char]) -> Option<u8> {
    match chars {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            // Both are ASCII digits, so the subtraction and the sum stay below 100.
            Some((*a as u8 - b'0') * 10 + (*b as u8 - b'0'))
        }
        _ => None,
    }
}

fn path(parent: &str, id: &str) -> String {
    if parent.is_empty() {
        id.to_owned()
    } else {
        format!("{parent}.{id}")
    }
}

fn find<'a>(fields: &'a [Field], id: &str) -> Option<&'a str> {
    fields.iter().find(|f| f.id == id).map(|f| f.value.as_str())
}

/// Printable ASCII (EMV's "ans" set): payer apps refuse anything else.
fn check_charset(tag: &str, what: &str, value: &str, problems: &mut Problems) -> bool {
    match value.chars().find(|c| !(' '..='~').contains(c)) {
        Some(c) if c.is_ascii() => {
            problems.add(tag, format!("{what} contains a control character"));
            false
        }
        Some(c) => {
            problems.add(
                tag,
                format!(
                    "{what} must be printable ASCII (no accents): found '{}'",
                    c.escape_debug()
                ),
            );
            false
        }
        None => true,
    }
}

fn check_length(tag: &str, what: &str, value: &str, max: usize, problems: &mut Problems) {
    let n = value.chars().count();
    if n > max {
        problems.add(tag, format!("{what} has {n} characters (at most {max})"));
    }
}

/// The PIX merchant-account template (one of 26–51 whose 00 is the PIX GUI), decoded.
struct PixAccount {
    location: Option<PixLocation>,
    description: Option<String>,
}

/// Validates the top-level objects and builds the result when the mandatory ones are there.
fn check_fields(fields: &[Field], complete: bool, problems: &mut Problems) -> Option<BrCode> {
    if let Some(first) = fields.first()
        && first.id != "00"
    {
        problems.add(
            "00",
            "the payload format indicator must be the first data object",
        );
    }
    if let Some(crc_pos) = fields.iter().position(|f| f.id == "63")
        && crc_pos + 1 != fields.len()
    {
        problems.add("63", "the CRC must be the last data object");
    }

    let mut missing = |id: &str, what: &str| {
        if complete {
            problems.add(id, format!("missing: {what} is mandatory"));
        }
    };
    let pfi = find(fields, "00");
    let mcc = find(fields, "52");
    let currency = find(fields, "53");
    let country = find(fields, "58");
    let name = find(fields, "59");
    let city = find(fields, "60");
    let additional = find(fields, "62");
    if pfi.is_none() {
        missing("00", "the payload format indicator");
    }
    if mcc.is_none() {
        missing("52", "the merchant category code");
    }
    if currency.is_none() {
        missing("53", "the transaction currency");
    }
    if country.is_none() {
        missing("58", "the country code");
    }
    if name.is_none() {
        missing("59", "the merchant name");
    }
    if city.is_none() {
        missing("60", "the merchant city");
    }
    if additional.is_none() {
        missing(
            "62",
            "the additional data field template (with 05, the txid or ***)",
        );
    }

    if let Some(v) = pfi
        && v != "01"
    {
        problems.add("00", "the payload format indicator must be 01");
    }
    let single_use = match find(fields, "01") {
        None | Some("11") => false,
        Some("12") => true,
        Some(_) => {
            problems.add("01", "the point of initiation method must be 11 or 12");
            false
        }
    };
    if let Some(v) = mcc
        && !(v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()))
    {
        problems.add(
            "52",
            "the merchant category code must be 4 digits (0000 when not informed)",
        );
    }
    if let Some(v) = currency
        && v != "986"
    {
        problems.add("53", "the currency must be 986 (BRL)");
    }
    if let Some(v) = country
        && v != "BR"
    {
        problems.add("58", "the country code must be BR");
    }
    if let Some(v) = name {
        check_charset("59", "the merchant name", v, problems);
        check_length("59", "the merchant name", v, MERCHANT_NAME_MAX, problems);
    }
    if let Some(v) = city {
        check_charset("60", "the merchant city", v, problems);
        check_length("60", "the merchant city", v, MERCHANT_CITY_MAX, problems);
    }
    let postal_code = find(fields, "61").map(|v| {
        check_charset("61", "the postal code", v, problems);
        v.to_owned()
    });
    let amount = find(fields, "54").and_then(|v| decode_amount(v, problems));
    let account = decode_pix_account(fields, complete, problems);
    let dynamic = matches!(
        account.as_ref().and_then(|a| a.location.as_ref()),
        Some(PixLocation::Url(_))
    );
    let txid = additional.and_then(|v| decode_additional_data(v, dynamic, problems));

    Some(BrCode {
        location: account.as_ref()?.location.clone()?,
        single_use,
        merchant_name: name?.to_owned(),
        merchant_city: city?.to_owned(),
        amount,
        txid: txid?,
        description: account?.description,
        postal_code,
        merchant_category_code: mcc?.to_owned(),
        currency: currency?.to_owned(),
        country_code: country?.to_owned(),
        fields: fields.to_vec(),
    })
}

fn decode_amount(value: &str, problems: &mut Problems) -> Option<Amount> {
    const FORMAT: &str =
        "the amount must be digits with an optional '.' and 1 or 2 decimals (e.g. 10.50)";
    if value.chars().count() > AMOUNT_MAX_LEN {
        problems.add(
            "54",
            format!("the amount has more than {AMOUNT_MAX_LEN} characters"),
        );
        return None;
    }
    let (units, decimals) = value.split_once('.').unwrap_or((value, "0"));
    let well_formed = !units.is_empty()
        && units.bytes().all(|b| b.is_ascii_digit())
        && (1..=2).contains(&decimals.len())
        && decimals.bytes().all(|b| b.is_ascii_digit());
    if !well_formed {
        problems.add("54", FORMAT);
        return None;
    }
    // Leading zeros are legal EMV ("007.00"); Amount::parse is stricter, so drop them first.
    let trimmed = units.trim_start_matches('0');
    let units = if trimmed.is_empty() { "0" } else { trimmed };
    match Amount::parse(&format!("{units}.{decimals}")) {
        Ok(amount) if amount.is_zero() => {
            problems.add(
                "54",
                "the amount must be greater than zero (omit tag 54 to let the payer choose)",
            );
            None
        }
        Ok(amount) => Some(amount),
        Err(_) => {
            problems.add("54", FORMAT);
            None
        }
    }
}

fn decode_pix_account(
    fields: &[Field],
    complete: bool,
    problems: &mut Problems,
) -> Option<PixAccount> {
    let mut found: Option<PixAccount> = None;
    for field in fields {
        let Ok(id) = field.id.parse::<u8>() else {
            continue;
        };
        if !(26..=51).contains(&id) {
            continue;
        }
        // Parse quietly first: other schemes' templates are none of our business.
        let chars: Vec<char> = field.value.chars().collect();
        let mut scratch = Problems::default();
        let (children, children_complete) = parse_objects(&chars, &field.id, &mut scratch);
        let is_pix = find(&children, "00").is_some_and(|gui| gui.eq_ignore_ascii_case(PIX_GUI));
        if !is_pix {
            continue;
        }
        problems.0.append(&mut scratch.0);
        if found.is_some() {
            problems.add(&field.id, "a second PIX merchant account template");
            continue;
        }
        found = Some(decode_pix_template(
            &field.id,
            &children,
            children_complete,
            problems,
        ));
    }
    if found.is_none() && complete {
        problems.add(
            "26",
            format!("missing: the PIX merchant account template (26 with 00 = {PIX_GUI})"),
        );
    }
    found
}

fn decode_pix_template(
    tag: &str,
    children: &[Field],
    complete: bool,
    problems: &mut Problems,
) -> PixAccount {
    let key_tag = path(tag, "01");
    let url_tag = path(tag, "25");
    let key = find(children, "01");
    let url = find(children, "25");
    for child in children {
        let what = match child.id.as_str() {
            "01" => "the PIX key",
            "02" => "the additional information",
            "25" => "the URL",
            _ => "the value",
        };
        check_charset(&path(tag, &child.id), what, &child.value, problems);
    }
    if let Some(k) = key {
        check_length(&key_tag, "the PIX key", k, LOCATION_MAX, problems);
        // Accept any case the payer's app would accept; the key type must still be valid.
        let valid = [
            key::PixKeyType::Cpf,
            key::PixKeyType::Cnpj,
            key::PixKeyType::Email,
            key::PixKeyType::Phone,
            key::PixKeyType::Evp,
        ]
        .iter()
        .any(|kind| key::normalize(kind, k).is_ok());
        if !valid {
            problems.add(
                &key_tag,
                "is not a valid PIX key (CPF, CNPJ, e-mail, +55 phone or EVP UUID)",
            );
        }
    }
    if let Some(u) = url {
        check_length(&url_tag, "the URL", u, LOCATION_MAX, problems);
        let lower = u.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            problems.add(
                &url_tag,
                "the URL is written without its scheme (no https://)",
            );
        }
    }
    if let Some(fss) = find(children, "03")
        && !(fss.len() == 8 && fss.bytes().all(|b| b.is_ascii_digit()))
    {
        problems.add(
            &path(tag, "03"),
            "the payment facilitator (FSS) must be an 8-digit ISPB",
        );
    }
    let location = match (key, url) {
        (Some(k), None) => Some(PixLocation::Key(k.to_owned())),
        (None, Some(u)) => Some(PixLocation::Url(u.to_owned())),
        (Some(_), Some(_)) => {
            problems.add(
                tag,
                "holds both a PIX key (01) and a URL (25): only one is allowed",
            );
            None
        }
        (None, None) => {
            if complete {
                problems.add(tag, "holds neither a PIX key (01) nor a URL (25)");
            }
            None
        }
    };
    PixAccount {
        location,
        description: find(children, "02").map(str::to_owned),
    }
}

/// Field 62; returns the txid (`Some(None)` for `***`), or `None` when 62-05 is unusable.
fn decode_additional_data(
    value: &str,
    dynamic: bool,
    problems: &mut Problems,
) -> Option<Option<String>> {
    let chars: Vec<char> = value.chars().collect();
    let (children, complete) = parse_objects(&chars, "62", problems);
    for child in &children {
        check_charset(&path("62", &child.id), "the value", &child.value, problems);
    }
    let Some(txid) = find(&children, "05") else {
        if !complete {
            return None;
        }
        problems.add(
            "62.05",
            "missing: the reference label (txid, or *** when there is none)",
        );
        return None;
    };
    if txid == NO_TXID {
        return Some(None);
    }
    let mut ok = true;
    if dynamic {
        problems.add(
            "62.05",
            "a dynamic code (with a URL) must carry *** as its reference label",
        );
        ok = false;
    }
    if txid.chars().count() > TXID_MAX {
        problems.add(
            "62.05",
            format!("the txid has more than {TXID_MAX} characters"),
        );
        ok = false;
    }
    if !txid.chars().all(|c| c.is_ascii_alphanumeric()) {
        problems.add(
            "62.05",
            "the txid may hold only letters and digits (or be ***)",
        );
        ok = false;
    }
    ok.then(|| Some(txid.to_owned()))
}
