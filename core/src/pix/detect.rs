//! Which type of PIX key a user typed: the reading a form needs before it can ask
//! `validate_key` for the wire form.
//!
//! Unlike [`key::normalize`], detection accepts the usual presentation of each type (the CPF
//! and CNPJ masks, a phone written `+55 (11) 98765-4321`, surrounding spaces) and returns the
//! normalised wire form of every reading that is valid. It never picks one reading where two
//! are valid: an 11-digit number with correct CPF check digits is also a well-formed mobile
//! number once `+55` is put in front (`11987654321` is a CPF *and* a São Paulo mobile), so it
//! comes back [`Detection::Ambiguous`] with both, CPF first, and the caller asks the user.
//! The input's own mask decides when it has one: `123.456.789-09` is a CPF only,
//! `(11) 98765-4321` a phone only.
//!
//! Digits without `+` are read as a Brazilian number (`+55` is prepended): PIX phone keys
//! exist only in Brazil, so no other country code is possible.
//!
//! Errors are on the field `pixKey` and never contain the key.

use super::key::{self, FIELD, PixKeyType};
use super::{cnpj, cpf};
use crate::Error;

/// One valid reading of the input: a type and the normalised key to send with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub kind: PixKeyType,
    pub normalized: String,
}

/// What [`detect_key_type`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    /// Exactly one valid reading.
    Unique(Candidate),
    /// Several valid readings (an unmasked 11-digit number: CPF and phone): the user must say.
    Ambiguous(Vec<Candidate>),
}

impl Detection {
    /// The type, when there is only one reading.
    pub fn kind(&self) -> Option<&PixKeyType> {
        match self {
            Detection::Unique(candidate) => Some(&candidate.kind),
            Detection::Ambiguous(_) => None,
        }
    }

    /// Every valid reading, the most likely first.
    pub fn candidates(&self) -> &[Candidate] {
        match self {
            Detection::Unique(candidate) => std::slice::from_ref(candidate),
            Detection::Ambiguous(candidates) => candidates,
        }
    }
}

/// Characters of the usual masks (CPF `123.456.789-09`, CNPJ `12.ABC.345/01DE-35`, phone
/// `(11) 98765-4321`), removed before the digits are read.
const MASK: [char; 6] = ['.', '-', '/', '(', ')', ' '];

/// The type(s) of the PIX key `input`, with the normalised form of each; a validation error
/// on `pixKey` (saying what is wrong, without the key) when no reading is valid.
pub fn detect_key_type(input: &str) -> Result<Detection, Error> {
    let text = input.trim();
    if text.is_empty() {
        return Err(Error::validation(FIELD, "is empty"));
    }
    let one = |kind: PixKeyType, key: &str| {
        key::normalize(&kind, key)
            .map(|normalized| Detection::Unique(Candidate { kind, normalized }))
    };
    if text.contains('@') {
        return one(PixKeyType::Email, text);
    }
    if let Some(evp) = as_uuid(text) {
        return one(PixKeyType::Evp, &evp);
    }
    if let Some(rest) = text.strip_prefix('+') {
        let digits: String = rest.chars().filter(|c| !MASK.contains(c)).collect();
        return one(PixKeyType::Phone, &format!("+{digits}"));
    }
    let bare: String = text.chars().filter(|c| !MASK.contains(c)).collect();
    if bare.is_empty() || !bare.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::validation(
            FIELD,
            "is not a PIX key: expected a CPF, a CNPJ, an e-mail, a phone (+55…) or an EVP (UUID)",
        ));
    }
    let all_digits = bare.bytes().all(|b| b.is_ascii_digit());
    match bare.len() {
        cnpj::LEN => one(PixKeyType::Cnpj, &bare.to_ascii_uppercase()),
        cpf::LEN if all_digits => eleven_digits(text, &bare),
        10 if all_digits => one(PixKeyType::Phone, &format!("+55{bare}")),
        12 | 13 if all_digits && bare.starts_with("55") => {
            one(PixKeyType::Phone, &format!("+{bare}"))
        }
        _ => Err(Error::validation(
            FIELD,
            format!(
                "has {} characters without its mask: a CPF has 11 digits, a CNPJ 14 characters, \
                 a phone +55 and 10 or 11 digits",
                bare.chars().count()
            ),
        )),
    }
}

/// An 11-digit number: a CPF, a mobile number without `+55`, or both. A CPF is written with
/// dots or with `-` before its two check digits; a phone with parentheses, spaces or `-` before
/// the last four.
fn eleven_digits(text: &str, digits: &str) -> Result<Detection, Error> {
    let cpf_masked = text.contains('.') || text.as_bytes().iter().rev().nth(2) == Some(&b'-');
    let phone_masked = !cpf_masked && text != digits;
    let as_cpf = (!phone_masked)
        .then(|| key::normalize(&PixKeyType::Cpf, digits).ok())
        .flatten()
        .map(|normalized| Candidate {
            kind: PixKeyType::Cpf,
            normalized,
        });
    let as_phone = (!cpf_masked)
        .then(|| key::normalize(&PixKeyType::Phone, &format!("+55{digits}")).ok())
        .flatten()
        .map(|normalized| Candidate {
            kind: PixKeyType::Phone,
            normalized,
        });
    match (as_cpf, as_phone) {
        (Some(cpf), Some(phone)) => Ok(Detection::Ambiguous(vec![cpf, phone])),
        (Some(one), None) | (None, Some(one)) => Ok(Detection::Unique(one)),
        (None, None) if cpf_masked => Err(Error::validation(
            FIELD,
            "is not a valid CPF (check digits do not match)",
        )),
        (None, None) if phone_masked => Err(Error::validation(
            FIELD,
            "is not a valid Brazilian phone number (area code, or a mobile number not starting with 9)",
        )),
        (None, None) => Err(Error::validation(
            FIELD,
            "has 11 digits but is neither a valid CPF (check digits do not match) nor a \
             Brazilian mobile number",
        )),
    }
}

/// A UUID, hyphenated or as 32 hex digits (then hyphenated here), with at least one letter
/// or hyphen so a 32-digit number is not taken for one by accident.
fn as_uuid(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let hyphenated = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    if hyphenated {
        return Some(text.to_owned());
    }
    if b.len() == 32 && b.iter().all(u8::is_ascii_hexdigit) && b.iter().any(u8::is_ascii_alphabetic)
    {
        return Some(format!(
            "{}-{}-{}-{}-{}",
            &text[..8],
            &text[8..12],
            &text[12..16],
            &text[16..20],
            &text[20..]
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unique(input: &str) -> (String, String) {
        match detect_key_type(input).unwrap() {
            Detection::Unique(c) => (c.kind.as_str().to_owned(), c.normalized),
            other => panic!("{input}: {other:?}"),
        }
    }

    #[test]
    fn each_type_with_its_usual_presentation() {
        assert_eq!(
            unique("123.456.789-09"),
            ("CPF".into(), "12345678909".into())
        );
        assert_eq!(
            unique("12.ABC.345/01DE-35"),
            ("CNPJ".into(), "12ABC34501DE35".into())
        );
        assert_eq!(
            unique("12abc34501de35"),
            ("CNPJ".into(), "12ABC34501DE35".into())
        );
        assert_eq!(
            unique(" Fulano@Example.com "),
            ("EMAIL".into(), "fulano@example.com".into())
        );
        assert_eq!(
            unique("+55 (11) 98765-4321"),
            ("PHONE".into(), "+5511987654321".into())
        );
        assert_eq!(
            unique("(11) 98765-4321"),
            ("PHONE".into(), "+5511987654321".into())
        );
        assert_eq!(
            unique("6133334444"),
            ("PHONE".into(), "+556133334444".into())
        );
        assert_eq!(
            unique("5511987654321"),
            ("PHONE".into(), "+5511987654321".into())
        );
        assert_eq!(
            unique("123E4567-E12B-12D1-A456-426655440000"),
            ("EVP".into(), "123e4567-e12b-12d1-a456-426655440000".into())
        );
        assert_eq!(
            unique("123e4567e12b12d1a456426655440000"),
            ("EVP".into(), "123e4567-e12b-12d1-a456-426655440000".into())
        );
    }

    #[test]
    fn an_unmasked_cpf_that_is_also_a_mobile_number_is_ambiguous() {
        // A valid CPF whose third digit is not 9 cannot be a mobile number.
        assert_eq!(unique("11144477735"), ("CPF".into(), "11144477735".into()));
        let detection = detect_key_type("19987654312").unwrap();
        let readings: Vec<_> = detection
            .candidates()
            .iter()
            .map(|c| (c.kind.as_str().to_owned(), c.normalized.clone()))
            .collect();
        assert_eq!(detection.kind(), None);
        assert_eq!(
            readings,
            [
                ("CPF".to_owned(), "19987654312".to_owned()),
                ("PHONE".to_owned(), "+5519987654312".to_owned())
            ]
        );
        // The mask settles it.
        assert_eq!(
            unique("199.876.543-12"),
            ("CPF".into(), "19987654312".into())
        );
        assert_eq!(
            unique("(19) 98765-4312"),
            ("PHONE".into(), "+5519987654312".into())
        );
    }

    #[test]
    fn no_valid_reading_is_an_error_without_the_key() {
        for input in [
            "",
            "  ",
            "123.456.789-00",
            "12345678900",
            "(10) 98765-4321",
            "+1 415 555 0100",
            "11222333000182",
            "fulano@localhost",
            "hello",
            "１２３４５６７８９０９",
            "123",
        ] {
            let error = detect_key_type(input).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("pixKey"), "{input}");
            if input.trim().len() > 3 {
                assert!(!error.message.contains(input.trim()), "{input}: {error}");
            }
        }
    }
}
