//! CNPJ (Cadastro Nacional da Pessoa Jurídica): 14 positions, the last two numeric check digits.
//!
//! From July 2026 the Receita Federal issues alphanumeric CNPJs (IN RFB nº 2.229/2024): the
//! 8-position root and the 4-position branch may hold `0-9` and `A-Z`; the check digits stay
//! numeric. The modulus-11 routine is unchanged, only the value of a character changes: its
//! ASCII code minus 48, so digits keep 0–9 and letters become A=17 … Z=42. Numeric CNPJs
//! therefore keep their check digits.

use super::modulus11::two_check_digits;

/// Length of a CNPJ without punctuation.
pub const LEN: usize = 14;

/// True when `cnpj` is 12 characters of `0-9A-Z` followed by 2 correct numeric check digits.
///
/// Lowercase letters and punctuation (`12.ABC.345/01DE-35`) are rejected: the wire form is
/// uppercase without separators (use [`crate::pix::key::normalize`] to uppercase a CNPJ key).
///
/// A body of one repeated character with correct check digits (`11111111111180`,
/// `AAAAAAAAAAAA45`) is accepted, as modulus 11 and all six independent libraries of
/// testdata/pix/library_verdicts.json accept it; only the all-zero `00000000000000`, which all
/// six refuse, is refused ("all zeros"). Repeated-digit CPFs stay refused (see `cpf::is_valid`).
pub fn is_valid(cnpj: &str) -> bool {
    problem(cnpj).is_none()
}

/// Why `cnpj` is not a valid CNPJ, as the end of an error message ("is not a valid CNPJ (…)");
/// `None` when it is valid.
pub fn problem(cnpj: &str) -> Option<&'static str> {
    let bytes = cnpj.as_bytes();
    if bytes.len() != LEN {
        return Some("is not a valid CNPJ (14 characters without punctuation)");
    }
    let (body, digits) = bytes.split_at(12);
    if !body
        .iter()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        return Some("is not a valid CNPJ (12 digits or uppercase letters, then 2 check digits)");
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        return Some(
            "is not a valid CNPJ (the last two characters, the check digits, must be digits)",
        );
    }
    if bytes.iter().all(|&b| b == b'0') {
        return Some("is not a valid CNPJ (all zeros)");
    }
    let values: Vec<u32> = body.iter().map(|&b| char_value(b)).collect();
    let expected = check_digits(&values);
    if expected == [u32::from(digits[0] - b'0'), u32::from(digits[1] - b'0')] {
        None
    } else {
        Some("is not a valid CNPJ (check digits do not match)")
    }
}

/// Value of one CNPJ character for the check-digit sum: ASCII code − 48.
pub fn char_value(c: u8) -> u32 {
    u32::from(c).saturating_sub(48)
}

/// The two check digits of a 12-character body given as [`char_value`]s.
pub fn check_digits(body: &[u32]) -> [u32; 2] {
    const W1: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const W2: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    two_check_digits(body, &W1, &W2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_and_alphanumeric() {
        assert!(is_valid("11222333000181"));
        assert!(is_valid("12ABC34501DE35"));
        // Mapping letters as A=10 (a published bug) would give 45.
        assert!(!is_valid("12ABC34501DE45"));
        assert!(!is_valid("12abc34501de35"));
        assert!(!is_valid("12.ABC.345/01DE-35"));
        assert!(!is_valid("11222333000182"));
        assert!(!is_valid("00000000000000"));
        assert!(!is_valid("12ABC34501DEA5"));
    }

    #[test]
    fn repeated_bodies_follow_modulus_11() {
        assert!(is_valid("11111111111180"));
        assert!(is_valid("AAAAAAAAAAAA45"));
        assert!(!is_valid("11111111111181"));
        assert!(problem("11111111111181").unwrap().contains("check digits"));
        assert!(problem("00000000000000").unwrap().contains("all zeros"));
    }
}
