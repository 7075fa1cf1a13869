//! Dates and instants as cards and `--now` write them: `YYYY-MM-DD` or RFC 3339.
//!
//! Every instant is bounded to the years 0001..=9999 (UTC), so that no datetime arithmetic a
//! policy does (`durationSince`, `offset` by at most a few thousand years) can overflow Cedar's
//! millisecond range and make a gate error — and an erroring gate is a gate that does not apply.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// An instant in UTC, in milliseconds since the Unix epoch.
/// A text that is not a date, and why: the caller says whose date it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DateError(pub String);

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
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return Err(DateError(format!("`{s}` is not a calendar date")));
        }
        if year < 1 {
            return Err(DateError(format!(
                "`{s}` is out of range: years run from 0001 to 9999"
            )));
        }
        let mut millis = days_from_civil(year, month, day) * MS_PER_DAY;
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

    fn parts(self) -> (i64, i64, i64, i64, i64, i64, i64) {
        let days = self.millis.div_euclid(MS_PER_DAY);
        let rem = self.millis.rem_euclid(MS_PER_DAY);
        let (y, mo, d) = civil_from_days(days);
        (
            y,
            mo,
            d,
            rem / 3_600_000,
            rem / 60_000 % 60,
            rem / 1000 % 60,
            rem % 1000,
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

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
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
