//! Unix times as calendar text (UTC), from the civil-from-days algorithm.

/// `YYYY-MM-DD` of a Unix time (UTC).
pub fn date_of(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{:02}-{:02}", if m <= 2 { y + 1 } else { y }, m, d)
}

/// The Unix time at 00:00 UTC of a `YYYY-MM-DD` date (the days-from-civil algorithm); `None` for
/// anything else, including dates that do not exist (2027-02-29).
pub fn parse_date(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let mut parts = raw.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let number = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse::<i64>().ok())
            .flatten()
    };
    let (y, m, d) = (number(y)?, number(m)?, number(d)?);
    if !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let t = (era * 146_097 + doe - 719_468) * 86_400;
    // A day past the month's end lands in the next month: refuse it rather than move it.
    (date_of(t) == raw).then_some(t)
}

/// RFC 3339 of a Unix time (UTC, whole seconds): `YYYY-MM-DDTHH:MM:SSZ`.
pub fn timestamp_of(t: i64) -> String {
    let s = t.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date_of(t),
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_read_as_utc_calendar_text() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(timestamp_of(0), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp_of(951_825_600), "2000-02-29T12:00:00Z");
        assert_eq!(timestamp_of(1_796_515_199), "2026-12-05T23:59:59Z");
        assert_eq!(timestamp_of(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn dates_read_back_as_the_midnight_they_name() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-02-29"), Some(951_782_400));
        assert_eq!(parse_date(" 2026-12-05 "), Some(1_796_428_800));
        for t in [0, 951_782_400, 1_796_428_800, 4_102_444_800] {
            assert_eq!(parse_date(&date_of(t)), Some(t));
        }
        for bad in [
            "",
            "2027-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "26-01-01",
            "2026-1-01",
            "2026-01-01T00:00",
            "+026-01-01",
            "2026/01/01",
            "tomorrow",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
