//! PIX keys ("chaves" of the DICT): the five types and their normalised wire form.
//!
//! `normalize` never repairs a key silently: it only canonicalises letter case where case
//! carries no meaning (e-mail → lowercase, EVP → lowercase, CNPJ letters → uppercase). Spaces,
//! punctuation, a missing `+55` and the like are errors that say what form is expected.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{cnpj, cpf};
use crate::Error;

/// The field name used in errors about a key value.
pub const FIELD: &str = "pixKey";
/// The field name used in errors about the key type.
pub const TYPE_FIELD: &str = "pixKeyType";
/// BACEN's maximum e-mail key length.
pub const EMAIL_MAX_LEN: usize = 77;

/// The type of a PIX key, as the API names it (`"CPF"`, `"CNPJ"`, `"EMAIL"`, `"PHONE"`, `"EVP"`).
///
/// Any other text deserialises to `Unknown` (forward compatibility); it cannot be normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PixKeyType {
    Cpf,
    Cnpj,
    Email,
    Phone,
    /// "Endereço Virtual de Pagamento": a random UUID key.
    Evp,
    Unknown(String),
}

impl PixKeyType {
    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            PixKeyType::Cpf => "CPF",
            PixKeyType::Cnpj => "CNPJ",
            PixKeyType::Email => "EMAIL",
            PixKeyType::Phone => "PHONE",
            PixKeyType::Evp => "EVP",
            PixKeyType::Unknown(other) => other,
        }
    }

    /// Parses a wire name exactly (case-sensitive, as the API documents it).
    pub fn from_wire(name: &str) -> PixKeyType {
        match name {
            "CPF" => PixKeyType::Cpf,
            "CNPJ" => PixKeyType::Cnpj,
            "EMAIL" => PixKeyType::Email,
            "PHONE" => PixKeyType::Phone,
            "EVP" => PixKeyType::Evp,
            other => PixKeyType::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for PixKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PixKeyType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PixKeyType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Ok(PixKeyType::from_wire(&name))
    }
}

/// Validates `key` as a key of type `kind` and returns its normalised wire form.
///
/// - CPF: 11 digits with valid check digits, no punctuation.
/// - CNPJ: 14 characters (numeric or alphanumeric) with valid check digits, no punctuation;
///   letters are uppercased.
/// - EMAIL: at most 77 characters, ASCII `local@domain.tld`, lowercased.
/// - PHONE: E.164 for Brazil only: `+55`, a valid area code (DDD), then 8 digits (landline) or
///   9 digits starting with 9 (mobile) — `+5511987654321`. National forms such as
///   `(11) 98765-4321` are rejected, not rewritten: guessing a country code moves money to the
///   wrong person.
/// - EVP: a hyphenated UUID (`123e4567-e89b-12d3-a456-426614174000`), lowercased.
/// - Unknown type: a validation error on `pixKeyType`.
///
/// Errors are on the field `pixKey` and never contain the key.
pub fn normalize(kind: &PixKeyType, key: &str) -> Result<String, Error> {
    if let PixKeyType::Unknown(name) = kind {
        let shown: String = name.chars().take(20).filter(|c| !c.is_control()).collect();
        return Err(Error::validation(
            TYPE_FIELD,
            format!("unknown PIX key type \"{shown}\": expected CPF, CNPJ, EMAIL, PHONE or EVP"),
        ));
    }
    let fail = |message: &str| Err(Error::validation(FIELD, message));
    if key.is_empty() {
        return fail("is empty");
    }
    if key.trim() != key {
        return fail("has leading or trailing whitespace");
    }
    match kind {
        PixKeyType::Cpf => {
            if key.len() != cpf::LEN || !key.bytes().all(|b| b.is_ascii_digit()) {
                fail("a CPF key is 11 digits without punctuation, e.g. 12345678909")
            } else {
                cpf::problem(key).map_or_else(|| Ok(key.to_owned()), fail)
            }
        }
        PixKeyType::Cnpj => {
            let upper = key.to_ascii_uppercase();
            if upper.len() != cnpj::LEN || !upper.bytes().all(|b| b.is_ascii_alphanumeric()) {
                fail("a CNPJ key is 14 characters without punctuation, e.g. 11222333000181")
            } else {
                cnpj::problem(&upper).map_or(Ok(upper.clone()), fail)
            }
        }
        PixKeyType::Email => normalize_email(key),
        PixKeyType::Phone => normalize_phone(key),
        PixKeyType::Evp => normalize_evp(key),
        PixKeyType::Unknown(_) => fail("unknown PIX key type"),
    }
}

/// The type of a key already in its normalised form, or `None` when it is no valid key.
///
/// The five normalised forms cannot be confused: a phone starts with `+`, an e-mail holds `@`,
/// an EVP has hyphens at fixed places, a CPF is 11 digits and a CNPJ 14 characters.
pub fn infer_type(key: &str) -> Option<PixKeyType> {
    [
        PixKeyType::Cpf,
        PixKeyType::Cnpj,
        PixKeyType::Email,
        PixKeyType::Phone,
        PixKeyType::Evp,
    ]
    .into_iter()
    .find(|kind| normalize(kind, key).is_ok_and(|normal| normal == key))
}

/// Masks a key for logs and reprs, keeping just enough to recognise it.
pub fn mask(kind: &PixKeyType, key: &str) -> String {
    match kind {
        PixKeyType::Cpf | PixKeyType::Cnpj => super::document::mask(key),
        PixKeyType::Email => match key.split_once('@') {
            Some((local, domain)) if local.is_ascii() => {
                format!("{}***@{domain}", &local[..local.len().min(1)])
            }
            _ => "***".to_owned(),
        },
        PixKeyType::Phone if key.is_ascii() && key.len() > 4 => {
            format!("{}***{}", &key[..5], &key[key.len() - 2..])
        }
        PixKeyType::Evp if key.is_ascii() && key.len() > 8 => format!("{}-****", &key[..8]),
        _ => "***".to_owned(),
    }
}

fn normalize_email(key: &str) -> Result<String, Error> {
    let fail = |message: &str| Err(Error::validation(FIELD, message));
    if !key.is_ascii() {
        return fail("an e-mail key must be ASCII");
    }
    if key.len() > EMAIL_MAX_LEN {
        return fail("an e-mail key has at most 77 characters");
    }
    let lower = key.to_ascii_lowercase();
    let Some((local, domain)) = lower.split_once('@') else {
        return fail("an e-mail key needs an @");
    };
    // The DICT's pattern for the local part (RFC 5322 atext plus dots), kept sane: no leading,
    // trailing or doubled dot.
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    if !local_ok {
        return fail("the part before @ is not a valid e-mail address");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    if labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
        return fail("the domain after @ is not valid (e.g. example.com.br)");
    }
    Ok(lower)
}

/// Area codes (DDD) in use in Brazil.
const AREA_CODES: [u8; 67] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43,
    44, 45, 46, 47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77,
    79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
];

fn normalize_phone(key: &str) -> Result<String, Error> {
    let fail = |message: &str| Err(Error::validation(FIELD, message));
    const EXPECTED: &str =
        "a phone key is E.164 with +55, area code and number, e.g. +5511987654321";
    let Some(national) = key.strip_prefix("+55") else {
        return fail(EXPECTED);
    };
    if !national.bytes().all(|b| b.is_ascii_digit()) || !(10..=11).contains(&national.len()) {
        return fail(EXPECTED);
    }
    let digits = national.as_bytes();
    let area = (digits[0] - b'0') * 10 + (digits[1] - b'0');
    if !AREA_CODES.contains(&area) {
        return fail("the area code (DDD) of the phone key does not exist in Brazil");
    }
    if digits.len() == 11 && digits[2] != b'9' {
        return fail("a 9-digit mobile number starts with 9");
    }
    Ok(key.to_owned())
}

fn normalize_evp(key: &str) -> Result<String, Error> {
    let bytes = key.as_bytes();
    let well_formed = bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if well_formed {
        Ok(key.to_ascii_lowercase())
    } else {
        Err(Error::validation(
            FIELD,
            "an EVP key is a UUID with hyphens, e.g. 123e4567-e89b-12d3-a456-426614174000",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(kind: PixKeyType, key: &str) -> String {
        normalize(&kind, key).unwrap()
    }

    fn err(kind: PixKeyType, key: &str) -> Error {
        normalize(&kind, key).unwrap_err()
    }

    #[test]
    fn normalises_case_only() {
        assert_eq!(
            ok(PixKeyType::Email, "Fulano@Example.COM"),
            "fulano@example.com"
        );
        assert_eq!(
            ok(PixKeyType::Evp, "123E4567-E12B-12D1-A456-426655440000"),
            "123e4567-e12b-12d1-a456-426655440000"
        );
        assert_eq!(ok(PixKeyType::Cnpj, "12abc34501de35"), "12ABC34501DE35");
        assert_eq!(ok(PixKeyType::Cpf, "12345678909"), "12345678909");
        assert_eq!(ok(PixKeyType::Phone, "+5511987654321"), "+5511987654321");
        assert_eq!(ok(PixKeyType::Phone, "+556133334444"), "+556133334444");
    }

    #[test]
    fn rejects_with_field_and_without_echo() {
        for (kind, key) in [
            (PixKeyType::Phone, "(21) 98765-4321"),
            (PixKeyType::Phone, "21987654321"),
            (PixKeyType::Phone, "+5510987654321"),
            (PixKeyType::Phone, "+5511887654321"),
            (PixKeyType::Phone, "+14155550100"),
            (PixKeyType::Cpf, "123.456.789-09"),
            (PixKeyType::Cpf, " 12345678909"),
            (PixKeyType::Cnpj, "11222333000182"),
            (PixKeyType::Email, "fulano@localhost"),
            (PixKeyType::Email, "fulano..x@example.com"),
            (PixKeyType::Email, "joão@example.com"),
            (PixKeyType::Evp, "123e4567e12b12d1a456426655440000"),
        ] {
            let e = err(kind, key);
            assert_eq!(e.field.as_deref(), Some("pixKey"), "{key}");
            assert!(!e.message.contains(key), "{key}");
        }
        let long = format!("{}@example.com", "a".repeat(66));
        assert!(err(PixKeyType::Email, &long).message.contains("77"));
    }

    #[test]
    fn unknown_type_is_a_validation_error() {
        let e = err(PixKeyType::from_wire("RANDOM"), "x");
        assert_eq!(e.field.as_deref(), Some("pixKeyType"));
        assert!(e.message.contains("RANDOM"));
    }

    #[test]
    fn serde_names() {
        let t: PixKeyType = serde_json::from_str("\"EVP\"").unwrap();
        assert_eq!(t, PixKeyType::Evp);
        let t: PixKeyType = serde_json::from_str("\"ALIAS\"").unwrap();
        assert_eq!(t, PixKeyType::Unknown("ALIAS".into()));
        assert_eq!(
            serde_json::to_string(&PixKeyType::Phone).unwrap(),
            "\"PHONE\""
        );
    }

    #[test]
    fn infers_type_of_normalised_keys() {
        assert_eq!(infer_type("12345678909"), Some(PixKeyType::Cpf));
        assert_eq!(infer_type("12ABC34501DE35"), Some(PixKeyType::Cnpj));
        assert_eq!(infer_type("a@b.co"), Some(PixKeyType::Email));
        assert_eq!(infer_type("+5511987654321"), Some(PixKeyType::Phone));
        assert_eq!(
            infer_type("123e4567-e12b-12d1-a456-426655440000"),
            Some(PixKeyType::Evp)
        );
        assert_eq!(infer_type("A@b.co"), None);
        assert_eq!(infer_type("nonsense"), None);
    }

    #[test]
    fn masks() {
        assert_eq!(
            mask(&PixKeyType::Email, "fulano@example.com"),
            "f***@example.com"
        );
        assert_eq!(mask(&PixKeyType::Phone, "+5511987654321"), "+5511***21");
        assert_eq!(mask(&PixKeyType::Cpf, "12345678909"), "123.***.***-09");
    }
}
