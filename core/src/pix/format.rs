//! CPF and CNPJ as people write them (`123.456.789-09`, `12.ABC.345/01DE-35`) and as the API
//! wants them (`12345678909`, `12ABC34501DE35`).

use super::{cnpj, cpf, document};
use crate::Error;

/// The field name used in errors about a document given to these helpers.
pub const FIELD: &str = "document";

/// The wire form of a document typed with its usual mask: dots, `-`, `/` and spaces removed,
/// letters uppercased, then checked (11 digits for a CPF, 14 characters for a CNPJ, with
/// correct check digits). Anything else in the input is refused, not stripped: it is a typo
/// the user should see. Errors name `document` and never repeat it.
pub fn normalize_document(doc: &str) -> Result<String, Error> {
    let bare: String = doc
        .trim()
        .chars()
        .filter(|c| !matches!(c, '.' | '-' | '/' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    document::validate(FIELD, &bare)?;
    Ok(bare)
}

/// The usual written form of a valid CPF (`123.456.789-09`) or CNPJ (`12.ABC.345/01DE-35`),
/// from the wire form or an already masked one.
pub fn format_document(doc: &str) -> Result<String, Error> {
    let bare = normalize_document(doc)?;
    // `normalize_document` returns ASCII of exactly one of the two lengths.
    Ok(match bare.len() {
        cpf::LEN => format!(
            "{}.{}.{}-{}",
            &bare[..3],
            &bare[3..6],
            &bare[6..9],
            &bare[9..]
        ),
        cnpj::LEN => format!(
            "{}.{}.{}/{}-{}",
            &bare[..2],
            &bare[2..5],
            &bare[5..8],
            &bare[8..12],
            &bare[12..]
        ),
        _ => bare,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_come_off_and_go_back_on() {
        for (written, wire) in [
            ("123.456.789-09", "12345678909"),
            ("12345678909", "12345678909"),
            (" 123 456 789 09 ", "12345678909"),
            ("12.ABC.345/01DE-35", "12ABC34501DE35"),
            ("12.abc.345/01de-35", "12ABC34501DE35"),
            ("11.222.333/0001-81", "11222333000181"),
        ] {
            assert_eq!(normalize_document(written).unwrap(), wire, "{written}");
        }
        assert_eq!(format_document("12345678909").unwrap(), "123.456.789-09");
        assert_eq!(
            format_document("12abc34501de35").unwrap(),
            "12.ABC.345/01DE-35"
        );
        assert_eq!(
            format_document("11.222.333/0001-81").unwrap(),
            "11.222.333/0001-81"
        );
    }

    #[test]
    fn invalid_documents_are_refused_without_echo() {
        for bad in [
            "123.456.789-00",
            "123_456_789_09",
            "12.ABC.345/01DE-36",
            "",
            "1234",
        ] {
            let error = normalize_document(bad).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("document"), "{bad}");
            assert!(bad.len() < 4 || !error.message.contains(bad), "{bad}");
            assert!(format_document(bad).is_err());
        }
    }
}
