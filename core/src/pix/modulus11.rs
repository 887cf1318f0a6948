//! The modulus-11 check digit shared by CPF and CNPJ.

/// One check digit over `values` weighted by `weights` (same length):
/// remainder 0 or 1 gives 0, otherwise 11 − remainder.
pub(crate) fn check_digit(values: &[u32], weights: &[u32]) -> u32 {
    let sum: u32 = values.iter().zip(weights).map(|(v, w)| v * w).sum();
    match sum % 11 {
        0 | 1 => 0,
        r => 11 - r,
    }
}

/// The two check digits of CPF and CNPJ: the first over `body` with `w1`, the second over
/// `body` followed by the first with `w2` (one weight longer).
pub(crate) fn two_check_digits(body: &[u32], w1: &[u32], w2: &[u32]) -> [u32; 2] {
    let d1 = check_digit(body, w1);
    let mut with_d1 = body.to_vec();
    with_d1.push(d1);
    [d1, check_digit(&with_d1, w2)]
}

#[cfg(test)]
mod tests {
    use super::check_digit;

    #[test]
    fn remainders_below_two_give_zero() {
        // 11 % 11 == 0 and 12 % 11 == 1
        assert_eq!(check_digit(&[11], &[1]), 0);
        assert_eq!(check_digit(&[12], &[1]), 0);
        assert_eq!(check_digit(&[13], &[1]), 9);
        assert_eq!(check_digit(&[21], &[1]), 1);
    }
}
