//! The SPI endToEndId: the identifier BACEN's instant-payment system gives each PIX transfer.
//!
//! Layout (32 characters): a letter (`E` for a payment, `D` for a devolution / refund), the
//! ISPB of the institution that created it (8 digits), the creation time in UTC as
//! `yyyyMMddHHmm`, and 11 alphanumerics chosen by that institution:
//! `E00416968202603101827cemeFscF6AG`.

use std::fmt;

use crate::Error;

/// Error field name.
pub const FIELD: &str = "endToEndId";
/// Length of an endToEndId.
pub const LEN: usize = 32;

/// Whether the id names a payment or a devolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndToEndKind {
    /// `E…`: a payment (cash-in paid, cash-out completed).
    Payment,
    /// `D…`: a devolution (refund) of an earlier payment.
    Devolution,
}

/// A parsed endToEndId. The original text is kept and is what [`fmt::Display`] prints.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EndToEndId {
    raw: String,
    kind: EndToEndKind,
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
}

impl EndToEndId {
    /// Parses and checks an endToEndId: prefix, ISPB digits, a real calendar date and time,
    /// and the 11-character alphanumeric tail.
    pub fn parse(text: &str) -> Result<EndToEndId, Error> {
        let fail = |message: &str| Err(Error::validation(FIELD, message));
        let b = text.as_bytes();
        if b.len() != LEN || !text.is_ascii() {
            return fail(
                "must be 32 ASCII characters: E or D, ISPB, yyyyMMddHHmm, 11 alphanumerics",
            );
        }
        let kind = match b[0] {
            b'E' => EndToEndKind::Payment,
            b'D' => EndToEndKind::Devolution,
            _ => return fail("must start with E (payment) or D (devolution)"),
        };
        if !b[1..21].iter().all(u8::is_ascii_digit) {
            return fail("characters 2-21 (ISPB and yyyyMMddHHmm) must be digits");
        }
        if !b[21..].iter().all(u8::is_ascii_alphanumeric) {
            return fail("the last 11 characters must be letters or digits");
        }
        let number = |range: std::ops::Range<usize>| {
            b[range]
                .iter()
                .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'))
        };
        let (year, month, day) = (number(9..13), number(13..15), number(15..17));
        let (hour, minute) = (number(17..19), number(19..21));
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return fail("holds an impossible date (yyyyMMdd after the ISPB)");
        }
        if hour > 23 || minute > 59 {
            return fail("holds an impossible time (HHmm after the date)");
        }
        // The fold above yields at most 9999, 99, 99 … so the narrowing casts cannot truncate.
        Ok(EndToEndId {
            raw: text.to_owned(),
            kind,
            year,
            month: month as u8,
            day: day as u8,
            hour: hour as u8,
            minute: minute as u8,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn kind(&self) -> EndToEndKind {
        self.kind
    }

    /// The ISPB (8 digits) of the institution that created the id.
    pub fn ispb(&self) -> &str {
        &self.raw[1..9]
    }

    /// The creation time, UTC: (year, month, day, hour, minute).
    pub fn created_at(&self) -> (u16, u8, u8, u8, u8) {
        (self.year, self.month, self.day, self.hour, self.minute)
    }

    /// The creation time as Unix seconds (UTC, minute precision).
    pub fn created_at_unix_seconds(&self) -> i64 {
        let days = crate::calendar::days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        days * 86_400 + i64::from(self.hour) * 3_600 + i64::from(self.minute) * 60
    }

    /// The 11 alphanumerics chosen by the creating institution.
    pub fn sequence(&self) -> &str {
        &self.raw[21..]
    }
}

impl fmt::Display for EndToEndId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl std::str::FromStr for EndToEndId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EndToEndId::parse(s)
    }
}

fn days_in_month(year: u16, month: u16) -> u16 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let id = EndToEndId::parse("E00416968202603101827cemeFscF6AG").unwrap();
        assert_eq!(id.kind(), EndToEndKind::Payment);
        assert_eq!(id.ispb(), "00416968");
        assert_eq!(id.created_at(), (2026, 3, 10, 18, 27));
        assert_eq!(id.sequence(), "cemeFscF6AG");
        // 2026-03-10T18:27:00Z
        assert_eq!(id.created_at_unix_seconds(), 1_773_167_220);
        assert_eq!(id.to_string(), "E00416968202603101827cemeFscF6AG");
    }

    #[test]
    fn rejects_bad_ids() {
        for bad in [
            "X00416968202603101827cemeFscF6AG",
            "E00416968202602301827cemeFscF6AG", // 30 February
            "E00416968202603102427cemeFscF6AG", // hour 24
            "E00416968202603101860cemeFscF6AG", // minute 60
            "E00416968202613101827cemeFscF6AG", // month 13
            "E0041696820260310182cemeFscF6AG",  // 31 characters
            "E00416968202603101827cemeFscF6A-",
            "E0041696A202603101827cemeFscF6AG",
            "E00416968202603101827cemeFscF6Aé",
        ] {
            let e = EndToEndId::parse(bad).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("endToEndId"), "{bad}");
        }
        assert!(EndToEndId::parse("D00416968202402291827cemeFscF6AG").is_ok()); // leap day
        assert!(EndToEndId::parse("D00416968210002291827cemeFscF6AG").is_err()); // 2100 is not leap
    }
}
