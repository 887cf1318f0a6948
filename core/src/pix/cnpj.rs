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
/// A body of one repeated character is rejected (`00000000000000`).
pub fn is_valid(cnpj: &str) -> bool {
    let bytes = cnpj.as_bytes();
    if bytes.len() != LEN {
        return false;
    }
    let (body, digits) = bytes.split_at(12);
    if !body
        .iter()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        || !digits.iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    if body.iter().all(|&b| b == body[0]) {
        return false;
    }
    let values: Vec<u32> = body.iter().map(|&b| char_value(b)).collect();
    let expected = check_digits(&values);
    expected == [u32::from(digits[0] - b'0'), u32::from(digits[1] - b'0')]
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
}
