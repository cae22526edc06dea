//! Times and durations in query strings: `from=2026-11-28T10:00:00Z`, `from=-1h`, `to=now`,
//! `from=1764324000000` (ms since the epoch), `bucket=5m`.

/// Parses a point in time relative to `now_ms`: milliseconds since the epoch, `now`, a
/// negative duration (`-15m`: that long before now), or RFC 3339 (`2026-11-28T10:00:00Z`,
/// `2026-11-28T11:00:00.250+01:00`).
pub(crate) fn parse_time(text: &str, now_ms: i64) -> Result<i64, String> {
    let text = text.trim();
    if text == "now" {
        return Ok(now_ms);
    }
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    if let Some(ago) = text.strip_prefix('-') {
        let ms = parse_duration(ago)?;
        return Ok(now_ms.saturating_sub(ms));
    }
    parse_rfc3339(text).ok_or_else(|| {
        format!(
            "{text:?} is not a time: use RFC 3339 (2026-11-28T10:00:00Z), milliseconds since \
             the epoch, `now`, or a duration before now (-1h)"
        )
    })
}

/// Parses a positive duration: `250ms`, `10s`, `5m`, `1h`, `7d`, or bare milliseconds.
pub(crate) fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad = || format!("{text:?} is not a duration: use a number with ms, s, m, h or d (5m)");
    let n: i64 = number.parse().map_err(|_| bad())?;
    let scale = match unit {
        "" | "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    match n.checked_mul(scale) {
        Some(ms) if ms > 0 => Ok(ms),
        _ => Err(bad()),
    }
}

/// RFC 3339 with a `Z` or `±hh:mm` offset and optional fractional seconds, as ms since the
/// epoch.
fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(range)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0i64;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let first3 = &fraction[..digits.min(3)];
        millis = first3.parse::<i64>().ok()? * 10i64.pow(3 - first3.len() as u32);
        rest = &fraction[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let h: i64 = rest.get(1..3)?.parse().ok()?;
            let m: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (h * 60 + m)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_min * 60;
    Some(seconds * 1_000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the epoch as RFC 3339 UTC (`2026-11-28T10:00:00.000Z`), for CSV.
pub(crate) fn format_rfc3339(ms: i64) -> String {
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // civil_from_days, the inverse of days_from_civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, frac) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1_000 % 60,
        ms_of_day % 1_000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{frac:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_in_utc_and_with_offsets() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z", 0), Ok(0));
        assert_eq!(parse_time("2026-11-28T10:00:00Z", 0), Ok(1_795_860_000_000));
        assert_eq!(
            parse_time("2026-11-28T11:00:00.25+01:00", 0),
            Ok(1_795_860_000_250)
        );
        assert_eq!(parse_time("2000-02-29T00:00:00Z", 0), Ok(951_782_400_000));
    }

    #[test]
    fn milliseconds_now_and_relative_times() {
        assert_eq!(parse_time("1795860000000", 0), Ok(1_795_860_000_000));
        assert_eq!(parse_time("now", 5_000), Ok(5_000));
        assert_eq!(parse_time("-1h", 7_200_000), Ok(3_600_000));
    }

    #[test]
    fn nonsense_is_an_error_that_says_what_works() {
        for bad in ["yesterday", "2026-13-01T00:00:00Z", "2026-11-28", "-1y", ""] {
            let err = parse_time(bad, 0).unwrap_err();
            assert!(
                err.contains("RFC 3339") || err.contains("duration"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("5m"), Ok(300_000));
        assert_eq!(parse_duration("1000"), Ok(1000));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("99999999999999999d").is_err());
        assert!(parse_duration("5 minutes").is_err());
    }

    #[test]
    fn formatting_inverts_parsing() {
        for ms in [0, 951_782_400_000, 1_795_860_000_250, -86_400_001] {
            assert_eq!(parse_time(&format_rfc3339(ms), 0), Ok(ms));
        }
    }
}
