//! Schedule triggers: cron expressions, time zones, start/end times.
//! (Recurrence hours/minutes/week days are ranges and enums in the schema.)

use serde_json::Value;

use super::super::diagnostic::codes;
use super::super::suggest::did_you_mean;
use super::Finding;
use crate::timezone::{is_windows_name, windows_names};

/// Checks one trigger object at `ptr`.
pub fn check_trigger(trigger: &Value, ptr: &str, out: &mut Vec<Finding>) {
    let Some(t) = trigger.as_object() else { return };
    if let Some(Value::String(expr)) = t.get("expression")
        && let Err(why) = check_cron(expr)
    {
        out.push(
            Finding::error(format!("{ptr}/expression"), codes::CRON, format!("invalid cron expression `{expr}`: {why}"))
                .help("five fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12) day-of-week (0-6)"),
        );
    }
    if let Some(Value::String(tz)) = t.get("time_zone")
        && !is_windows_name(tz)
    {
        let mut f = Finding::error(
            format!("{ptr}/time_zone"),
            codes::TIME_ZONE,
            format!("unknown time zone `{tz}`"),
        );
        f = match did_you_mean(tz, windows_names()) {
            Some(s) => f.help(format!("did you mean `{s}`? Azure uses Windows time-zone names")),
            None => f.help("Azure uses Windows time-zone names, e.g. `UTC`, `Pacific Standard Time`, `W. Europe Standard Time`"),
        };
        out.push(f);
    }
    let start = time_field(t, "start_time", ptr, out);
    let end = time_field(t, "end_time", ptr, out);
    if let (Some(s), Some(e)) = (start, end)
        && s >= e
    {
        out.push(Finding::error(
            format!("{ptr}/end_time"),
            codes::TIME_ORDER,
            "end_time must be after start_time".to_owned(),
        ));
    }
}

fn time_field(
    t: &serde_json::Map<String, Value>,
    key: &str,
    ptr: &str,
    out: &mut Vec<Finding>,
) -> Option<i64> {
    let text = t.get(key)?.as_str()?;
    match parse_datetime(text) {
        Some(v) => Some(v),
        None => {
            out.push(
                Finding::error(
                    format!("{ptr}/{key}"),
                    codes::TIME_FORMAT,
                    format!("`{text}` is not an ISO 8601 date-time"),
                )
                .help(
                    "e.g. 2024-01-31T09:00:00 (interpreted in time_zone) or 2024-01-31T09:00:00Z",
                ),
            );
            None
        }
    }
}

/// `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]` → seconds (UTC when an offset is given, naive
/// otherwise: both ends of a trigger share one time zone).
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = if s.len() > 10 {
        s.split_at(10)
    } else {
        (s, "")
    };
    let mut d = date.split('-');
    let y: i64 = d.next()?.parse().ok()?;
    let mo: i64 = d.next()?.parse().ok()?;
    let da: i64 = d.next()?.parse().ok()?;
    if d.next().is_some() || !(1..=12).contains(&mo) || !(1..=31).contains(&da) || date.len() != 10
    {
        return None;
    }
    let mut secs = days_from_civil(y, mo, da) * 86_400;
    if rest.is_empty() {
        return Some(secs);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (clock, offset) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut c = clock.split(':');
    let h: i64 = c.next()?.parse().ok()?;
    let mi: i64 = c.next()?.parse().ok()?;
    let sec: f64 = c.next().map_or(Some(0.0), |x| x.parse().ok())?;
    if c.next().is_some() || h > 23 || mi > 59 || !(0.0..61.0).contains(&sec) {
        return None;
    }
    secs += h * 3600 + mi * 60 + sec as i64;
    match offset {
        "" | "Z" | "z" => Some(secs),
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let body = &o[1..];
            let (oh, om) = body
                .split_once(':')
                .unwrap_or((body.get(..2)?, body.get(2..).unwrap_or("0")));
            let oh: i64 = oh.parse().ok()?;
            let om: i64 = if om.is_empty() { 0 } else { om.parse().ok()? };
            Some(secs - sign * (oh * 3600 + om * 60))
        }
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Validates a 5-field crontab expression.
pub fn check_cron(expr: &str) -> Result<(), String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected 5 fields, found {}", fields.len()));
    }
    let specs: [(&str, u32, u32, &[&str], u32); 5] = [
        ("minute", 0, 59, &[], 0),
        ("hour", 0, 23, &[], 0),
        ("day-of-month", 1, 31, &[], 0),
        ("month", 1, 12, &MONTHS, 1),
        ("day-of-week", 0, 7, &DAYS, 0),
    ];
    for (field, (name, lo, hi, names, base)) in fields.iter().zip(specs) {
        for item in field.split(',') {
            check_cron_item(item, lo, hi, names, base)
                .map_err(|e| format!("{name} field `{field}`: {e}"))?;
        }
    }
    Ok(())
}

fn check_cron_item(item: &str, lo: u32, hi: u32, names: &[&str], base: u32) -> Result<(), String> {
    let (range, step) = match item.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (item, None),
    };
    if let Some(s) = step {
        match s.parse::<u32>() {
            Ok(n) if n >= 1 => {}
            _ => return Err(format!("step `{s}` must be a positive number")),
        }
    }
    if range == "*" {
        return Ok(());
    }
    let value = |v: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
            return Ok(i as u32 + base);
        }
        let n: u32 = v.parse().map_err(|_| format!("`{v}` is not a number"))?;
        if n < lo || n > hi {
            return Err(format!("{n} is outside {lo}-{hi}"));
        }
        Ok(n)
    };
    match range.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (value(a)?, value(b)?);
            if a > b {
                return Err(format!("range {a}-{b} is backwards"));
            }
        }
        None => {
            value(range)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_expressions() {
        for ok in [
            "0 18 * * *",
            "*/15 9-17 * * MON-FRI",
            "0 0 1,15 JAN,jul 0",
            "5 4 * * 7",
            "0 */2 1-31/3 * *",
        ] {
            assert_eq!(check_cron(ok), Ok(()), "{ok}");
        }
        for bad in [
            "0 18 * *",
            "60 * * * *",
            "0 24 * * *",
            "0 0 0 * *",
            "0 0 * 13 *",
            "0 0 * * 8",
            "*/0 * * * *",
            "5-1 * * * *",
            "a * * * *",
        ] {
            assert!(check_cron(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn datetimes_compare_in_utc() {
        let a = parse_datetime("2024-01-01T10:00:00").unwrap();
        let b = parse_datetime("2024-01-01T10:00:01").unwrap();
        assert!(a < b);
        assert_eq!(
            parse_datetime("2024-01-01T10:00:00+02:00"),
            parse_datetime("2024-01-01T08:00:00Z")
        );
        assert_eq!(
            parse_datetime("2024-03-01"),
            Some(parse_datetime("2024-02-29T00:00:00").unwrap() + 86_400)
        );
        for bad in [
            "2024-13-01",
            "tomorrow",
            "2024-01-01T25:00",
            "2024-01-01X10:00",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn trigger_findings() {
        let t = serde_json::json!({"type": "cron", "expression": "0 18 * * *", "time_zone": "Pacific Standrd Time",
            "start_time": "2024-02-01T00:00:00", "end_time": "2024-01-01T00:00:00"});
        let mut out = Vec::new();
        check_trigger(&t, "/trigger", &mut out);
        let codes: Vec<&str> = out.iter().map(|f| f.code).collect();
        assert_eq!(codes, vec![codes::TIME_ZONE, codes::TIME_ORDER]);
        assert!(
            out[0]
                .help
                .as_deref()
                .unwrap_or("")
                .contains("Pacific Standard Time")
        );
    }
}
