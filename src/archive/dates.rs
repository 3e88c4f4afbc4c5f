//! Lenient publication dates: RFC 3339 / ISO 8601, RFC 2822 (RSS), plain
//! `YYYY-MM-DD` and the forms news sites print ("March 5, 2024", "5 Mar
//! 2024 10:30", "Tuesday, 5 March 2024"), and Unix timestamps.
//!
//! A date with a time of day becomes RFC 3339 in UTC (`2024-03-05T10:30:00Z`);
//! a date alone stays a date (`2024-03-05`). Both sort as text and both are
//! read by SQLite's date functions. Slashed dates are read day-first or
//! month-first only when one reading is impossible (`25/03/2024`,
//! `03/25/2024`); `03/05/2024` is ambiguous and not read.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

const DATETIME_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%B %d, %Y %H:%M",
    "%B %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%d %B %Y %H:%M",
    "%d %b %Y %H:%M",
    "%d %B %Y %H:%M:%S",
    "%d %b %Y %H:%M:%S",
];

const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%B %d, %Y",
    "%b %d, %Y",
    "%b. %d, %Y",
    "%B %d %Y",
    "%b %d %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%d %B, %Y",
    "%d-%b-%Y",
    "%d.%m.%Y",
];

const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
];

/// A publication date in its normalised form, or `None` when `raw` cannot
/// be read as one.
pub fn normalise(raw: &str) -> Option<String> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return utc(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return utc(d.with_timezone(&Utc));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return epoch(s);
    }
    let s = cleaned(s);
    // An offset or zone after the time: "%z" forms, then naive forms.
    for f in DATETIME_FORMATS {
        if let Ok(d) = DateTime::parse_from_str(&s, &format!("{f} %z")) {
            return utc(d.with_timezone(&Utc));
        }
        if let Ok(d) = NaiveDateTime::parse_from_str(&s, f) {
            return utc(Utc.from_utc_datetime(&d));
        }
    }
    for f in DATE_FORMATS {
        if let Ok(d) = NaiveDate::parse_from_str(&s, f) {
            return plausible(d);
        }
    }
    slashed(&s)
}

fn utc(d: DateTime<Utc>) -> Option<String> {
    plausible(d.date_naive())?;
    Some(d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Years a news archive can hold (a typo like 20224 is not a date).
fn plausible(d: NaiveDate) -> Option<String> {
    use chrono::Datelike;
    (1800..=2200)
        .contains(&d.year())
        .then(|| d.format("%Y-%m-%d").to_string())
}

/// `YYYYMMDD`, or seconds (10 digits) or milliseconds (13 digits) since 1970.
fn epoch(s: &str) -> Option<String> {
    let n: i64 = s.parse().ok()?;
    let d = match s.len() {
        8 => {
            return NaiveDate::parse_from_str(s, "%Y%m%d")
                .ok()
                .and_then(plausible)
        }
        9 | 10 => Utc.timestamp_opt(n, 0).single()?,
        12 | 13 => Utc.timestamp_millis_opt(n).single()?,
        _ => return None,
    };
    utc(d)
}

/// Without a leading weekday, a trailing "UTC"/"GMT"/"Z" zone name, ordinal
/// suffixes ("5th") and repeated spaces.
fn cleaned(s: &str) -> String {
    let mut words: Vec<&str> = s.split_whitespace().collect();
    if let Some(first) = words.first() {
        let w = first
            .trim_end_matches(',')
            .trim_end_matches('.')
            .to_lowercase();
        if WEEKDAYS.contains(&w.as_str()) {
            words.remove(0);
        }
    }
    if let Some(last) = words.last() {
        if matches!(*last, "UTC" | "GMT" | "Z") {
            words.pop();
        }
    }
    words
        .iter()
        .map(|w| ordinal_free(w))
        .collect::<Vec<_>>()
        .join(" ")
}

fn ordinal_free(w: &str) -> String {
    let (core, comma) = match w.strip_suffix(',') {
        Some(c) => (c, ","),
        None => (w, ""),
    };
    for suf in ["st", "nd", "rd", "th"] {
        if let Some(num) = core.strip_suffix(suf) {
            if !num.is_empty() && num.len() <= 2 && num.bytes().all(|b| b.is_ascii_digit()) {
                return format!("{num}{comma}");
            }
        }
    }
    w.to_string()
}

/// `dd/mm/yyyy` or `mm/dd/yyyy` when only one reading is a date.
fn slashed(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split(['/', '-']).collect();
    let [a, b, y] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 {
        return None;
    }
    let (a, b, y): (u32, u32, i32) = (a.parse().ok()?, b.parse().ok()?, y.parse().ok()?);
    let day_first = NaiveDate::from_ymd_opt(y, b, a);
    let month_first = NaiveDate::from_ymd_opt(y, a, b);
    match (day_first, month_first) {
        (Some(d), None) | (None, Some(d)) => plausible(d),
        (Some(d), Some(m)) if d == m => plausible(d),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn the_common_news_date_forms_are_read() {
        let cases = [
            ("2024-03-05", "2024-03-05"),
            ("2024-03-05T10:30:00Z", "2024-03-05T10:30:00Z"),
            ("2024-03-05T12:30:00+02:00", "2024-03-05T10:30:00Z"),
            ("2024-03-05 10:30:00", "2024-03-05T10:30:00Z"),
            ("2024-03-05T10:30", "2024-03-05T10:30:00Z"),
            ("Tue, 05 Mar 2024 10:30:00 +0000", "2024-03-05T10:30:00Z"),
            ("Tue, 5 Mar 2024 11:30:00 +0100", "2024-03-05T10:30:00Z"),
            ("March 5, 2024", "2024-03-05"),
            ("Mar 5, 2024", "2024-03-05"),
            ("5 March 2024", "2024-03-05"),
            ("5th March 2024", "2024-03-05"),
            ("Tuesday, March 5th, 2024", "2024-03-05"),
            ("Tuesday, 5 March 2024", "2024-03-05"),
            ("5 Mar 2024 10:30 GMT", "2024-03-05T10:30:00Z"),
            ("March 5, 2024 10:30 AM", "2024-03-05T10:30:00Z"),
            ("2024/03/05", "2024-03-05"),
            ("05.03.2024", "2024-03-05"),
            ("25/03/2024", "2024-03-25"),
            ("03/25/2024", "2024-03-25"),
            ("1709634600", "2024-03-05T10:30:00Z"),
            ("1709634600000", "2024-03-05T10:30:00Z"),
            ("20240305", "2024-03-05"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalise(raw).as_deref(), Some(want), "{raw}");
        }
    }

    #[test]
    fn what_is_not_a_date_is_not_read() {
        for raw in [
            "",
            "yesterday",
            "03/05/2024",
            "2024-13-05",
            "20224-03-05",
            "31 February 2024",
            "12345",
        ] {
            assert_eq!(normalise(raw), None, "{raw}");
        }
    }
}
