//! The API's `document` fields (`payer.document`, `payee.document`): a CPF or a CNPJ on the wire.

use super::{cnpj, cpf};
use crate::Error;

/// Which document a valid value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    Cpf,
    Cnpj,
}

/// Classifies a valid document: 11 digits is a CPF, 14 characters a CNPJ.
pub fn kind(doc: &str) -> Option<DocumentKind> {
    if cpf::is_valid(doc) {
        Some(DocumentKind::Cpf)
    } else if cnpj::is_valid(doc) {
        Some(DocumentKind::Cnpj)
    } else {
        None
    }
}

/// Checks `doc` is a CPF (11 digits) or a CNPJ (14 characters: 12 of `0-9A-Z` and 2 check
/// digits) with correct check digits, without punctuation, as the API wants it.
///
/// The error names `field` and says what is wrong, but never repeats the document.
pub fn validate(field: &str, doc: &str) -> Result<(), Error> {
    let fail = |message: &str| Err(Error::validation(field, message));
    if doc.is_empty() {
        return fail("is empty: expected a CPF (11 digits) or a CNPJ (14 characters)");
    }
    if doc.chars().any(|c| matches!(c, '.' | '-' | '/' | ' ')) {
        return fail("must be sent without punctuation or spaces (digits only)");
    }
    if doc.chars().any(|c| c.is_ascii_lowercase()) {
        return fail("letters in an alphanumeric CNPJ must be uppercase");
    }
    if !doc
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    {
        return fail("may contain only digits (and uppercase letters in a CNPJ)");
    }
    match doc.len() {
        cpf::LEN if doc.bytes().all(|b| b.is_ascii_digit()) => match cpf::problem(doc) {
            None => Ok(()),
            Some(problem) => fail(problem),
        },
        cpf::LEN => fail("a CPF has digits only"),
        cnpj::LEN => match cnpj::problem(doc) {
            None => Ok(()),
            Some(problem) => fail(problem),
        },
        n => Err(Error::validation(
            field,
            format!("has {n} characters: expected a CPF (11 digits) or a CNPJ (14 characters)"),
        )),
    }
}

/// Masks a document for logs and reprs: `123.***.***-09`, `12.***.***/****-35`.
///
/// Anything that is not a well-formed CPF or CNPJ is masked entirely, keeping only its length.
pub fn mask(doc: &str) -> String {
    let ascii = doc.is_ascii();
    match doc.len() {
        cpf::LEN if ascii => format!("{}.***.***-{}", &doc[..3], &doc[9..]),
        cnpj::LEN if ascii => format!("{}.***.***/****-{}", &doc[..2], &doc[12..]),
        _ => format!("***({} chars)", doc.chars().count()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<(), Error>) -> String {
        result.unwrap_err().detail.unwrap()
    }

    #[test]
    fn accepts_cpf_and_both_cnpj_forms() {
        assert!(validate("payer.document", "12345678909").is_ok());
        assert!(validate("payer.document", "11222333000181").is_ok());
        assert!(validate("payer.document", "12ABC34501DE35").is_ok());
        assert_eq!(kind("12345678909"), Some(DocumentKind::Cpf));
        assert_eq!(kind("12ABC34501DE35"), Some(DocumentKind::Cnpj));
        assert_eq!(kind("12345678900"), None);
    }

    #[test]
    fn errors_name_the_field_and_never_echo_the_value() {
        let err = validate("payee.document", "529.982.247-25").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("payee.document"));
        assert_eq!(err.kind, crate::ErrorKind::Validation);
        assert!(err.message.contains("punctuation"));
        assert!(!err.message.contains("982"));
        let err = validate("payee.document", "12345678900").unwrap_err();
        assert!(!err.message.contains("12345678900"));
        assert!(message(validate("d", "12345678900")).contains("CPF"));
        assert!(message(validate("d", "12abc34501de35")).contains("uppercase"));
        assert!(message(validate("d", "1234")).contains("4 characters"));
        assert!(message(validate("d", "")).contains("empty"));
        assert!(message(validate("d", "1234567890A")).contains("digits only"));
        assert!(message(validate("d", "12ABC34501DEAB")).contains("check digits, must be digits"));
        assert!(message(validate("d", "11111111111")).contains("repeated digit"));
        assert!(message(validate("d", "00000000000000")).contains("all zeros"));
        assert!(validate("d", "11111111111180").is_ok());
        assert!(message(validate("d", "12ABC34501DE36")).contains("CNPJ"));
        assert!(message(validate("d", "1234567890é")).contains("only digits"));
    }

    #[test]
    fn masks() {
        assert_eq!(mask("12345678909"), "123.***.***-09");
        assert_eq!(mask("12ABC34501DE35"), "12.***.***/****-35");
        assert_eq!(mask("xé"), "***(2 chars)");
    }
}
