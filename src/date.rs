//! Dates as researchers write them, normalised.
//!
//! Sources carry dates of every precision and shape: `2021`, `2021-12`, `2021-12-28`,
//! `2021-12-28T09:00:00Z`, `2021/12/28`, `28 December 2021`, `Dec 28, 2021`. quarry keeps the
//! precision the source gives ([`PartialDate`]) and renders it as `YYYY`, `YYYY-MM` or
//! `YYYY-MM-DD`; for range filters it maps a date to the first day of its period.
//! Parsing is strict about validity (no 31 February) and never panics.

use std::fmt;

/// A calendar date with the precision its source gave: a year, a month or a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PartialDate {
    /// The year, 1000–9999.
    pub year: i32,
    /// The month 1–12, when known.
    pub month: Option<u8>,
    /// The day of the month, when known (only with a month).
    pub day: Option<u8>,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

impl PartialDate {
    /// Parses a date in one of the accepted shapes; `None` when it is not a valid date.
    pub fn parse(input: &str) -> Option<PartialDate> {
        let s = input.trim();
        if s.is_empty() {
            return None;
        }
        if s.as_bytes()[0].is_ascii_digit() {
            parse_numeric(s).or_else(|| parse_words(s))
        } else {
            parse_words(s)
        }
    }

    fn new(year: i32, month: Option<u8>, day: Option<u8>) -> Option<PartialDate> {
        if !(1000..=9999).contains(&year) {
            return None;
        }
        if let Some(m) = month {
            if !(1..=12).contains(&m) {
                return None;
            }
            if let Some(d) = day {
                if d == 0 || d > days_in_month(year, m) {
                    return None;
                }
            }
        } else if day.is_some() {
            return None;
        }
        Some(PartialDate { year, month, day })
    }

    /// Days since 1970-01-01 of the first day after this date's period (the day after a day,
    /// the first of the next month or year): the exclusive end of the period.
    pub fn end_unix(&self) -> i64 {
        match (self.month, self.day) {
            (Some(_), Some(_)) => self.first_day_unix() + 1,
            (Some(12), None) => days_from_civil(self.year + 1, 1, 1),
            (Some(m), None) => days_from_civil(self.year, u32::from(m) + 1, 1),
            (None, _) => days_from_civil(self.year + 1, 1, 1),
        }
    }

    /// Days since 1970-01-01 of the first day of this date's period.
    pub fn first_day_unix(&self) -> i64 {
        days_from_civil(
            self.year,
            self.month.unwrap_or(1) as u32,
            self.day.unwrap_or(1) as u32,
        )
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
            if let Some(d) = self.day {
                write!(f, "-{d:02}")?;
            }
        }
        Ok(())
    }
}

/// `2021`, `2021-12`, `2021-12-28`, `2021/12/28`, `2021.12.28`, and ISO 8601 date-times (the
/// date part is kept; a time zone does not move the date). Also the day-first or month-first
/// forms `28/12/2021` and `12/28/2021 14:03` common in exported datasets: month first unless
/// the first number cannot be a month.
fn parse_numeric(s: &str) -> Option<PartialDate> {
    let date_part = s.split(['T', ' ']).next().unwrap_or(s);
    let pieces: Vec<&str> = date_part.split(['/', '.']).collect();
    if let [a, b, year] = pieces[..] {
        if year.len() == 4 && a.len() <= 2 && b.len() <= 2 {
            let (a, b, year): (u8, u8, i32) = (number(a, 2)?, number(b, 2)?, number(year, 4)?);
            let (month, day) = if a > 12 { (b, a) } else { (a, b) };
            return PartialDate::new(year, Some(month), Some(day));
        }
    }
    let mut parts = date_part.split(['-', '/', '.']);
    let year: i32 = number(parts.next()?, 4)?;
    let month = match parts.next() {
        Some(m) => Some(number::<u8>(m, 2)?),
        None => None,
    };
    let day = match parts.next() {
        Some(d) => Some(number::<u8>(d, 2)?),
        None => None,
    };
    if parts.next().is_some() {
        return None;
    }
    PartialDate::new(year, month, day)
}

/// `28 December 2021`, `December 28, 2021`, `Dec 2021`, `28 Dec. 2021`.
fn parse_words(s: &str) -> Option<PartialDate> {
    let words: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut year = None;
    let mut month = None;
    let mut day = None;
    for w in words {
        if let Some(m) = month_number(w) {
            if month.replace(m).is_some() {
                return None;
            }
        } else if w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()) {
            if year.replace(w.parse().ok()?).is_some() {
                return None;
            }
        } else {
            let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic()); // 28th
            if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            if day.replace(digits.parse().ok()?).is_some() {
                return None;
            }
        }
    }
    if day.is_some() && month.is_none() {
        return None;
    }
    PartialDate::new(year?, month, day)
}

fn month_number(word: &str) -> Option<u8> {
    let w = word.to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(&w) && (w.len() == m.len() || w.len() == 3 || w == "sept"))
        .map(|i| i as u8 + 1)
}

fn number<T: std::str::FromStr>(s: &str, max_len: usize) -> Option<T> {
    if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a count of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD` of a day count since the Unix epoch.
pub fn iso_day(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// An RFC 3339 UTC timestamp (`2026-11-29T05:20:00Z`) for seconds since the Unix epoch.
pub fn rfc3339_utc(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Option<String> {
        PartialDate::parse(s).map(|d| d.to_string())
    }

    #[test]
    fn accepts_the_common_shapes() {
        assert_eq!(norm("2021").as_deref(), Some("2021"));
        assert_eq!(norm("2021-12").as_deref(), Some("2021-12"));
        assert_eq!(norm("2021-12-28").as_deref(), Some("2021-12-28"));
        assert_eq!(norm("2021/12/28").as_deref(), Some("2021-12-28"));
        assert_eq!(
            norm("2021-12-28T23:30:00-05:00").as_deref(),
            Some("2021-12-28")
        );
        assert_eq!(norm("28 December 2021").as_deref(), Some("2021-12-28"));
        assert_eq!(norm("December 28, 2021").as_deref(), Some("2021-12-28"));
        assert_eq!(norm("Sept. 14th, 2020").as_deref(), Some("2020-09-14"));
        assert_eq!(norm("Dec 2021").as_deref(), Some("2021-12"));
        assert_eq!(norm("10/12/2016 14:03").as_deref(), Some("2016-10-12"));
        assert_eq!(norm("28/12/2021").as_deref(), Some("2021-12-28"));
        assert_eq!(norm("2020-01-02T03:04:05Z").as_deref(), Some("2020-01-02"));
    }

    #[test]
    fn rejects_invalid_dates() {
        for bad in [
            "",
            "2021-02-30",
            "2021-13",
            "21-12-28",
            "yesterday",
            "2021-12-28-01",
            "Mayday 2021",
            "12 2021",
            "0999",
        ] {
            assert_eq!(norm(bad), None, "{bad}");
        }
        assert_eq!(norm("2020-02-29").as_deref(), Some("2020-02-29"));
    }

    #[test]
    fn periods_end_where_the_next_begins() {
        let end = |s: &str| PartialDate::parse(s).unwrap().end_unix();
        assert_eq!(end("2020"), days_from_civil(2021, 1, 1));
        assert_eq!(end("2020-12"), days_from_civil(2021, 1, 1));
        assert_eq!(end("2020-02"), days_from_civil(2020, 3, 1));
        assert_eq!(end("2020-02-29"), days_from_civil(2020, 3, 1));
    }

    #[test]
    fn civil_round_trip() {
        for days in [-1_000_000, -1, 0, 1, 18_989, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y as i32, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_638_662_400), "2021-12-05T00:00:00Z");
    }
}
