//! CPF (Cadastro de Pessoas Físicas): 11 digits, the last two are modulus-11 check digits.

use super::modulus11::two_check_digits;

/// Length of a CPF without punctuation.
pub const LEN: usize = 11;

/// True when `cpf` is exactly 11 ASCII digits with correct check digits.
///
/// Punctuation (`123.456.789-09`) is rejected: the API wants digits only. Numbers made of one
/// repeated digit (`00000000000`, `11111111111`, …) satisfy the arithmetic but are never issued
/// by the Receita Federal, so they are rejected too (as four of the six libraries of
/// testdata/pix/library_verdicts.json do; the CNPJ rule differs, see `cnpj::is_valid`).
pub fn is_valid(cpf: &str) -> bool {
    problem(cpf).is_none()
}

/// Why `cpf` is not a valid CPF, as the end of an error message ("is not a valid CPF (…)");
/// `None` when it is valid.
pub fn problem(cpf: &str) -> Option<&'static str> {
    let bytes = cpf.as_bytes();
    if bytes.len() != LEN || !bytes.iter().all(u8::is_ascii_digit) {
        return Some("is not a valid CPF (11 digits without punctuation)");
    }
    if bytes.iter().all(|&b| b == bytes[0]) {
        return Some("is not a valid CPF (one repeated digit: never issued)");
    }
    let values: Vec<u32> = bytes.iter().map(|&b| u32::from(b - b'0')).collect();
    if check_digits(&values[..9]) == [values[9], values[10]] {
        None
    } else {
        Some("is not a valid CPF (check digits do not match)")
    }
}

/// The two check digits of a 9-digit CPF body (values 0–9).
pub fn check_digits(body: &[u32]) -> [u32; 2] {
    const W1: [u32; 9] = [10, 9, 8, 7, 6, 5, 4, 3, 2];
    const W2: [u32; 10] = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2];
    two_check_digits(body, &W1, &W2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers() {
        assert!(is_valid("12345678909"));
        assert!(is_valid("52998224725"));
        assert!(!is_valid("12345678900"));
        assert!(!is_valid("123.456.789-09"));
        assert!(!is_valid("1234567890"));
        assert!(!is_valid("123456789090"));
        assert!(!is_valid("00000000000"));
        assert!(!is_valid("1234567890a"));
        assert!(!is_valid("１２３４５６７８９０９"));
        // The arithmetic accepts 11111111111; the reason says what is really wrong.
        assert_eq!(check_digits(&[1; 9]), [1, 1]);
        assert!(problem("11111111111").unwrap().contains("repeated digit"));
        assert!(problem("12345678900").unwrap().contains("check digits"));
    }
}
