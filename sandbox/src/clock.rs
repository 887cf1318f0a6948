//! The sandbox clock: wall time plus an offset that `/_sandbox/clock/advance` moves forward, so
//! tests can expire tokens and cash-ins without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use time::{OffsetDateTime, UtcOffset, format_description::FormatItem, macros::format_description};

#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Sandbox time, Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        wall + self.offset_ms.load(Ordering::Relaxed)
    }

    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::Relaxed);
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }
}

const UTC_SECONDS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
const OFFSET_SECONDS: &[FormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
);
const E2E_STAMP: &[FormatItem<'static>] = format_description!("[year][month][day][hour][minute]");
const DATE: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

fn at(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Brasília time (UTC−3, no DST since 2019): the API writes cash-in times with this offset.
fn brasilia() -> UtcOffset {
    UtcOffset::from_hms(-3, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// `2026-03-10T14:00:00Z`: token, webhook and balance times.
pub fn utc(ms: i64) -> String {
    at(ms).format(UTC_SECONDS).unwrap_or_default()
}

/// `2026-03-10T11:20:00-03:00`: cash-in and cash-out resource times.
pub fn brasilia_time(ms: i64) -> String {
    at(ms)
        .to_offset(brasilia())
        .format(OFFSET_SECONDS)
        .unwrap_or_default()
}

/// `yyyyMMddHHmm` in UTC, the timestamp inside an endToEndId.
pub fn end_to_end_stamp(ms: i64) -> String {
    at(ms).format(E2E_STAMP).unwrap_or_default()
}

/// `2026-03-10`: the balance's referenceDate (Brasília calendar day).
pub fn brasilia_date(ms: i64) -> String {
    at(ms)
        .to_offset(brasilia())
        .format(DATE)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_the_reference_examples() {
        // 2026-03-10T14:22:15Z
        let ms = 1_773_152_535_000;
        assert_eq!(utc(ms), "2026-03-10T14:22:15Z");
        assert_eq!(brasilia_time(ms), "2026-03-10T11:22:15-03:00");
        assert_eq!(end_to_end_stamp(ms), "202603101422");
        assert_eq!(brasilia_date(ms), "2026-03-10");
    }

    #[test]
    fn advance_moves_sandbox_time_forward() {
        let clock = Clock::default();
        let before = clock.now_ms();
        clock.advance(3_600_000);
        assert!(clock.now_ms() - before >= 3_600_000);
        clock.reset();
        assert_eq!(clock.offset_ms(), 0);
    }
}
