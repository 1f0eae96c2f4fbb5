//! Wall-clock helpers. Transitions are stored as absolute milliseconds since the Unix epoch so
//! that they survive a restart (persistence) and keep running while the emulator is down.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 9999-12-31T23:59:59Z in epoch milliseconds.
const MAX_MS: u64 = 253_402_300_799_000;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// RFC 3339 timestamp (UTC, 7 fractional digits like the service) for epoch milliseconds.
pub fn rfc3339(ms: u64) -> String {
    // Clamp to 9999-12-31T23:59:59Z, the last instant RFC 3339 can express.
    let t = UNIX_EPOCH + Duration::from_millis(ms.min(MAX_MS));
    // humantime gives e.g. 2026-11-26T04:23:07.123Z
    let s = humantime::format_rfc3339_millis(t).to_string();
    match s.strip_suffix('Z') {
        Some(base) => format!("{base}0000+00:00"),
        None => s,
    }
}

/// Duration in whole milliseconds, saturating.
pub fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// RFC 1123 / IMF-fixdate (`Thu, 26 Nov 2026 04:39:59 GMT`) for epoch milliseconds: the HTTP
/// date format the storage service uses in `Last-Modified`.
pub fn http_date(ms: u64) -> String {
    let secs = ms.min(MAX_MS) / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // 1970-01-01 was a Thursday.
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    // Civil-from-days (Howard Hinnant), for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month - 1) as usize];
    format!("{weekday}, {d:02} {mon} {year} {h:02}:{m:02}:{s:02} GMT")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            http_date(1_795_667_999_000),
            "Thu, 26 Nov 2026 04:39:59 GMT"
        );
        assert_eq!(http_date(951_782_400_000), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.0000000+00:00");
        assert!(rfc3339(u64::MAX).starts_with("9999-12-31T23:59:59"));
        assert!(http_date(u64::MAX).contains("9999"));
    }
}
