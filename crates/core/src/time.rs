//! Time as a value: every check that depends on "now" takes a [`UnixTime`] argument.

use std::fmt;

/// Seconds since the Unix epoch, UTC. Constructed by the edge (clock or `--now`), never read here.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct UnixTime(pub i64);

impl UnixTime {
    /// The number of seconds since the epoch.
    pub const fn seconds(self) -> i64 {
        self.0
    }

    /// Adds seconds, saturating instead of overflowing on hostile inputs.
    pub const fn saturating_add(self, seconds: i64) -> Self {
        UnixTime(self.0.saturating_add(seconds))
    }

    /// Subtracts seconds, saturating.
    pub const fn saturating_sub(self, seconds: i64) -> Self {
        UnixTime(self.0.saturating_sub(seconds))
    }

    /// Formats as an RFC 3339 UTC timestamp (`2026-11-23T14:00:00Z`).
    pub fn to_rfc3339(self) -> String {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            (secs % 3600) / 60,
            secs % 60
        )
    }

    /// Parses an RFC 3339 / XML Schema `dateTime` with a `Z` or `±hh:mm` offset; fractional
    /// seconds are truncated. A missing offset is rejected because it would make the instant
    /// depend on the reader's time zone.
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimeError> {
        let err = || TimeError(text.chars().take(64).collect());
        let b = text.trim().as_bytes();
        if b.len() < 20 {
            return Err(err());
        }
        let num = |r: std::ops::Range<usize>| -> Result<i64, TimeError> {
            let s = std::str::from_utf8(b.get(r).ok_or_else(err)?).map_err(|_| err())?;
            if !s.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err());
            }
            s.parse::<i64>().map_err(|_| err())
        };
        if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
            return Err(err());
        }
        if b[13] != b':' || b[16] != b':' {
            return Err(err());
        }
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return Err(err());
        }
        let mut i = 19;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return Err(err());
            }
        }
        let offset = match b.get(i) {
            Some(b'Z' | b'z') if b.len() == i + 1 => 0,
            Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
                let h = num(i + 1..i + 3)?;
                let m = num(i + 4..i + 6)?;
                if h > 23 || m > 59 {
                    return Err(err());
                }
                let o = h * 3600 + m * 60;
                if *sign == b'+' { o } else { -o }
            }
            _ => return Err(err()),
        };
        let days = days_from_civil(year, month, day);
        Ok(UnixTime(
            days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset,
        ))
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// A timestamp that is not RFC 3339 with an explicit offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 date-time with offset: {0:?}")]
pub struct TimeError(pub String);

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Howard Hinnant's `days_from_civil`: proleptic Gregorian date to days since 1970-01-01.
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
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = UnixTime::parse_rfc3339("2026-11-23T14:00:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-23T14:00:00Z");
        assert_eq!(
            UnixTime::parse_rfc3339("1970-01-01T00:00:00Z").unwrap(),
            UnixTime(0)
        );
        assert_eq!(
            UnixTime::parse_rfc3339("1970-01-01T09:00:00+09:00").unwrap(),
            UnixTime(0)
        );
        assert_eq!(
            UnixTime::parse_rfc3339("2024-02-29T00:00:00.123Z")
                .unwrap()
                .to_rfc3339(),
            "2024-02-29T00:00:00Z"
        );
    }

    #[test]
    fn rfc3339_rejects() {
        for bad in [
            "2023-02-29T00:00:00Z",
            "2026-11-23T14:00:00",
            "2026-11-23",
            "2026-13-01T00:00:00Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23T14:00:00.Z",
            "２０２６-11-23T14:00:00Z",
        ] {
            assert!(UnixTime::parse_rfc3339(bad).is_err(), "{bad}");
        }
    }
}
