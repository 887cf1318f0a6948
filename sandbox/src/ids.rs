//! Identifiers drawn from the sandbox's seeded RNG, so a run with the same `--seed` (and the
//! same request order) hands out the same ids.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const MIXED_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Debug)]
pub struct Ids {
    rng: ChaCha8Rng,
}

impl Ids {
    pub fn new(seed: u64) -> Ids {
        Ids {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    fn pick(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| {
                // Rejection-free modulo bias is irrelevant for ids; keep it simple and fast.
                let i = (self.rng.next_u32() as usize) % alphabet.len();
                alphabet[i] as char
            })
            .collect()
    }

    /// Cash-in transactionId: 35 lowercase alphanumerics (a PIX txid).
    pub fn cash_in_transaction_id(&mut self) -> String {
        self.pick(LOWER_ALNUM, 35)
    }

    /// Cash-in internalCode: 7 uppercase alphanumerics (`US7B1JQ`).
    pub fn cash_in_internal_code(&mut self) -> String {
        self.pick(UPPER_ALNUM, 7)
    }

    /// Cash-out internalCode: 10 uppercase letters (`IVKPRMOCDY`).
    pub fn cash_out_internal_code(&mut self) -> String {
        self.pick(&UPPER_ALNUM[..26], 10)
    }

    /// Cash-out transactionId: a UUID v4 from the seeded RNG.
    pub fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.rng.fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string()
    }

    /// endToEndId: `E`/`D` + ISPB + yyyyMMddHHmm (UTC) + 11 alphanumerics = 32 characters.
    pub fn end_to_end_id(&mut self, prefix: char, ispb: &str, stamp: &str) -> String {
        format!("{prefix}{ispb}{stamp}{}", self.pick(MIXED_ALNUM, 11))
    }

    /// A uniform draw in [0, 100): fault percentages.
    pub fn percent(&mut self) -> f64 {
        (self.rng.next_u64() % 10_000) as f64 / 100.0
    }

    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_documented_shapes() {
        let mut ids = Ids::new(7);
        let tx = ids.cash_in_transaction_id();
        assert_eq!(tx.len(), 35);
        assert!(
            tx.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        let code = ids.cash_out_internal_code();
        assert_eq!(code.len(), 10);
        assert!(code.bytes().all(|b| b.is_ascii_uppercase()));
        let uuid = ids.uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        let e2e = ids.end_to_end_id('E', "13935893", "202603101422");
        assert_eq!(e2e.len(), 32);
        assert!(e2e.starts_with("E13935893202603101422"));
    }

    #[test]
    fn same_seed_same_ids() {
        let (mut a, mut b) = (Ids::new(42), Ids::new(42));
        assert_eq!(a.cash_in_transaction_id(), b.cash_in_transaction_id());
        assert_eq!(a.uuid(), b.uuid());
        assert_ne!(Ids::new(1).uuid(), Ids::new(2).uuid());
    }
}
