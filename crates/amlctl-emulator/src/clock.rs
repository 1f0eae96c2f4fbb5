//! Wall-clock helpers. Transitions are stored as absolute milliseconds since the Unix epoch so
//! that they survive a restart (persistence) and keep running while the emulator is down.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// RFC 3339 timestamp (UTC, 7 fractional digits like the service) for epoch milliseconds.
pub fn rfc3339(ms: u64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(ms);
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
