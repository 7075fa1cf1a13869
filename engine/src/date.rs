//! Dates and instants as cards and `--now` write them: `YYYY-MM-DD` or RFC 3339.
//!
//! Every instant is bounded to the years 0001..=9999 (UTC), so that no datetime arithmetic a
//! policy does (`durationSince`, `offset` by at most a few thousand years) can overflow Cedar's
//! millisecond range and make a gate error — and an erroring gate is a gate that does not apply.
//!
//! The calendar is chrono's. The text is read here, by hand, for a measured reason: the errors a
//! card's author reads name what is wrong (not a date, not a calendar date, a time or an offset
//! out of range), where chrono's parser says only that the input is invalid; and a leap second
//! (`23:59:60`, which RFC 3339 allows) counts as the next instant, as Cedar has no leap seconds.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, NaiveDate, Timelike};

/// A text that is not a date, and why: the caller says whose date it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DateError(pub String);

/// An instant in UTC, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    millis: i64,
}

const MS_PER_DAY: i64 = 86_400_000;
/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z.
const MIN_MILLIS: i64 = -62_135_596_800_000;
const MAX_MILLIS: i64 = 253_402_300_799_999;

impl Instant {
    /// The current time, to the millisecond.
    pub fn now() -> Instant {
        let millis = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(MAX_MILLIS),
            Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(-MIN_MILLIS),
        };
        Instant {
            millis: millis.clamp(MIN_MILLIS, MAX_MILLIS),
        }
    }

    /// The instant `seconds` after the Unix epoch, when it is within the years 0001..=9999.
    pub fn from_unix_seconds(seconds: i64) -> Option<Instant> {
        let millis = seconds.checked_mul(1000)?;
        (MIN_MILLIS..=MAX_MILLIS)
            .contains(&millis)
            .then_some(Instant { millis })
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub fn millis(self) -> i64 {
        self.millis
    }

    /// Parses `YYYY-MM-DD` (midnight UTC) or an RFC 3339 date-time with `Z` or an offset.
    pub fn parse(text: &str) -> Result<Instant, DateError> {
        let s = text.trim();
        let bad = || {
            DateError(format!(
                "`{s}` is not a date: write YYYY-MM-DD or an RFC 3339 date-time (2026-10-01T12:00:00Z)"
            ))
        };
        let b = s.as_bytes();
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let year = digits(&b[0..4]).ok_or_else(bad)?;
        let month = digits(&b[5..7]).ok_or_else(bad)?;
        let day = digits(&b[8..10]).ok_or_else(bad)?;
        let date = u32::try_from(month)
            .ok()
            .zip(u32::try_from(day).ok())
            .and_then(|(m, d)| NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, m, d));
        let Some(date) = date else {
            return Err(DateError(format!("`{s}` is not a calendar date")));
        };
        if year < 1 {
            return Err(DateError(format!(
                "`{s}` is out of range: years run from 0001 to 9999"
            )));
        }
        let mut millis = date
            .and_hms_opt(0, 0, 0)
            .map_or(0, |midnight| midnight.and_utc().timestamp_millis());
        let rest = &b[10..];
        if !rest.is_empty() {
            if !matches!(rest[0], b'T' | b't' | b' ') || rest.len() < 9 {
                return Err(bad());
            }
            if rest[3] != b':' || rest[6] != b':' {
                return Err(bad());
            }
            let hour = digits(&rest[1..3]).ok_or_else(bad)?;
            let minute = digits(&rest[4..6]).ok_or_else(bad)?;
            let second = digits(&rest[7..9]).ok_or_else(bad)?;
            // RFC 3339 allows a leap second (60); it is counted as the next instant's start.
            if hour > 23 || minute > 59 || second > 60 {
                return Err(DateError(format!("`{s}` has a time of day out of range")));
            }
            millis += (hour * 3600 + minute * 60 + second) * 1000;
            let mut tail = &rest[9..];
            if let Some((b'.', frac)) = tail.split_first() {
                let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
                if n == 0 {
                    return Err(bad());
                }
                let ms = frac[..n.min(3)]
                    .iter()
                    .enumerate()
                    .map(|(i, d)| i64::from(d - b'0') * [100, 10, 1][i])
                    .sum::<i64>();
                millis += ms;
                tail = &frac[n..];
            }
            match tail {
                [b'Z' | b'z'] => {}
                [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                    let oh = digits(&[*h1, *h2]).ok_or_else(bad)?;
                    let om = digits(&[*m1, *m2]).ok_or_else(bad)?;
                    if oh > 23 || om > 59 {
                        return Err(DateError(format!("`{s}` has an offset out of range")));
                    }
                    let offset = (oh * 60 + om) * 60_000;
                    millis += if *sign == b'+' { -offset } else { offset };
                }
                _ => return Err(bad()),
            }
        }
        if !(MIN_MILLIS..=MAX_MILLIS).contains(&millis) {
            return Err(DateError(format!(
                "`{s}` is out of range: years run from 0001 to 9999"
            )));
        }
        Ok(Instant { millis })
    }

    /// The form Cedar's `datetime()` constructor takes: `YYYY-MM-DDThh:mm:ss.SSSZ`.
    pub fn to_cedar(self) -> String {
        let (y, mo, d, h, mi, s, ms) = self.parts();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }

    /// Year, month, day, hour, minute, second and millisecond (UTC).
    fn parts(self) -> (i32, u32, u32, u32, u32, u32, u32) {
        // Within 0001..=9999 by construction, so chrono has every instant.
        let t = DateTime::from_timestamp_millis(self.millis).unwrap_or_default();
        (
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.timestamp_subsec_millis(),
        )
    }
}

impl fmt::Display for Instant {
    /// `YYYY-MM-DD` at midnight UTC, RFC 3339 otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, ms) = self.parts();
        if self.millis.rem_euclid(MS_PER_DAY) == 0 {
            write!(f, "{y:04}-{mo:02}-{d:02}")
        } else if ms == 0 {
            write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
        } else {
            write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
        }
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dates_and_rfc3339() {
        assert_eq!(Instant::parse("1970-01-01").unwrap().millis(), 0);
        assert_eq!(
            Instant::parse("2026-10-01").unwrap().to_cedar(),
            "2026-10-01T00:00:00.000Z"
        );
        assert_eq!(
            Instant::parse("2026-10-01T12:30:00+02:00")
                .unwrap()
                .to_cedar(),
            "2026-10-01T10:30:00.000Z"
        );
        assert_eq!(
            Instant::parse("2024-02-29t23:59:59.123456z")
                .unwrap()
                .to_cedar(),
            "2024-02-29T23:59:59.123Z"
        );
        assert_eq!(
            Instant::parse("2026-01-01T00:30:00-01:00")
                .unwrap()
                .to_string(),
            "2026-01-01T01:30:00Z"
        );
        assert_eq!(
            Instant::parse("2026-03-05").unwrap().to_string(),
            "2026-03-05"
        );
    }

    #[test]
    fn bad_dates_are_refused() {
        for bad in [
            "2026-13-01",
            "2026-02-29",
            "2026-1-1",
            "yesterday",
            "2026-10-01T25:00:00Z",
            "2026-10-01T10:00:00",
            "2026-10-01T10:00:00+0200",
            "0000-12-31",
            "0001-01-01T00:00:00+01:00",
            "",
        ] {
            assert!(Instant::parse(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn extremes_round_trip() {
        assert_eq!(Instant::parse("0001-01-01").unwrap().millis(), MIN_MILLIS);
        assert_eq!(
            Instant::parse("9999-12-31T23:59:59.999Z").unwrap().millis(),
            MAX_MILLIS
        );
        assert_eq!(
            Instant::parse("9999-12-31T23:59:59.999Z")
                .unwrap()
                .to_cedar(),
            "9999-12-31T23:59:59.999Z"
        );
    }
}
