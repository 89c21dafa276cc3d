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
}
