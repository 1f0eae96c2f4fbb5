//! Units: the YAML counts minutes or seconds, REST wants ISO-8601 durations.
//!
//! Seconds are written the way the Python SDK writes them (`isodate.duration_isoformat`):
//! days, hours, minutes and seconds, each only when non-zero (`120` → `PT2M`, `3600` → `PT1H`,
//! `90` → `PT1M30S`, `0` → `PT0S`). The diff compares durations by meaning, so `PT120S` on
//! the live side equals `PT2M` here.

/// `seconds` → ISO-8601 (`PT2M`). Negative values are written with a leading `-`.
pub fn iso_duration_from_seconds(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let mut rest = seconds.unsigned_abs();
    let days = rest / 86_400;
    rest %= 86_400;
    let (h, m, s) = (rest / 3600, (rest % 3600) / 60, rest % 60);
    let mut out = format!("{sign}P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if h > 0 || m > 0 || s > 0 || days == 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if s > 0 || (h == 0 && m == 0) {
            out.push_str(&format!("{s}S"));
        }
    }
    out
}

/// Compute instance idle shutdown: `PT{n}M`, exactly as the SDK writes it (no carry to hours).
pub fn iso_duration_from_minutes(minutes: i64) -> String {
    format!("PT{minutes}M")
}

/// True when `s` looks like an ISO-8601 duration (`PT30M`, `P1D`); used to accept the
/// deprecated string forms as they are.
pub(crate) fn is_iso_duration(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    !rest.is_empty()
        && rest.chars().all(|c| {
            c.is_ascii_digit() || matches!(c, 'T' | 'D' | 'H' | 'M' | 'S' | 'W' | 'Y' | '.')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_written_like_isodate() {
        assert_eq!(iso_duration_from_seconds(120), "PT2M");
        assert_eq!(iso_duration_from_seconds(300), "PT5M");
        assert_eq!(iso_duration_from_seconds(90), "PT1M30S");
        assert_eq!(iso_duration_from_seconds(3600), "PT1H");
        assert_eq!(iso_duration_from_seconds(3661), "PT1H1M1S");
        assert_eq!(iso_duration_from_seconds(45), "PT45S");
        assert_eq!(iso_duration_from_seconds(0), "PT0S");
        assert_eq!(iso_duration_from_seconds(86_400), "P1D");
        assert_eq!(iso_duration_from_seconds(90_000), "P1DT1H");
    }

    #[test]
    fn minutes_keep_the_sdk_form() {
        assert_eq!(iso_duration_from_minutes(30), "PT30M");
        assert_eq!(iso_duration_from_minutes(90), "PT90M");
    }

    #[test]
    fn recognises_iso_strings() {
        assert!(is_iso_duration("PT30M"));
        assert!(is_iso_duration("P1DT2H"));
        assert!(!is_iso_duration("30"));
        assert!(!is_iso_duration("soon"));
        assert!(!is_iso_duration("P"));
    }

    /// Read back what [`iso_duration_from_seconds`] writes.
    fn seconds_of(iso: &str) -> i64 {
        let (sign, rest) = match iso.strip_prefix('-') {
            Some(r) => (-1, r),
            None => (1, iso),
        };
        let mut total = 0;
        let mut num = 0;
        for c in rest.chars() {
            match c {
                '0'..='9' => num = num * 10 + i64::from(c as u8 - b'0'),
                'D' => (total, num) = (total + num * 86_400, 0),
                'H' => (total, num) = (total + num * 3600, 0),
                'M' => (total, num) = (total + num * 60, 0),
                'S' => (total, num) = (total + num, 0),
                _ => {}
            }
        }
        sign * total
    }

    proptest::proptest! {
        #[test]
        fn seconds_round_trip(n in -10_000_000i64..10_000_000) {
            let iso = iso_duration_from_seconds(n);
            proptest::prop_assert!(is_iso_duration(&iso), "{}", iso);
            proptest::prop_assert_eq!(seconds_of(&iso), n);
        }
    }
}
