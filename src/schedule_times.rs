//! The next fire times of a schedule's trigger, in the schedule's own time zone, for the plan.
//!
//! Pure: the caller passes "now" ([`next_runs`]); nothing here reads the clock except
//! [`annotate_plan`]'s caller. Time zones are Windows names (what Azure ML accepts), mapped to
//! IANA zones with the CLDR `windowsZones` table (territory `001`) and resolved with the tz
//! database bundled into the binary (jiff), so daylight-saving time is honoured: a schedule at
//! 02:00 `Pacific Standard Time` fires at 02:00 PST in winter and 02:00 PDT in summer. A local
//! time that does not exist (spring-forward gap) is moved forward by the gap; a repeated one
//! (fall-back) fires once, at its first occurrence.
//!
//! Cron: five fields (minute hour day-of-month month day-of-week) with `*`, lists, ranges,
//! steps and three-letter names; day-of-month and day-of-week combine with OR when both are
//! restricted (as in cron and NCronTab). Recurrence: `frequency` minute/hour step from the start
//! time; day/week/month step in calendar units from the start date, at the `schedule` hours and
//! minutes (week days / month days for week / month). Without `startTime` the recurrence is
//! anchored at "now": the service anchors it at the schedule's creation, so for an existing
//! schedule with interval > 1 the shown times may be off by whole intervals.

use crate::timezone::windows_to_iana;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde_json::Value;

use crate::model::{DesiredState, Kind};
use crate::plan::{Plan, Warning};

/// How many fire times the plan shows per schedule.
pub const PLAN_NEXT_RUNS: usize = 3;

/// How far ahead to look for fire times (a cron for 29 February needs up to 8 years).
const HORIZON_DAYS: i64 = 8 * 366;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleTimeError {
    #[error("unknown time zone `{0}`")]
    TimeZone(String),
    #[error("invalid cron expression `{expression}`: {why}")]
    Cron { expression: String, why: String },
    #[error("invalid recurrence: {0}")]
    Recurrence(String),
    #[error("invalid {field} `{value}`: expected an ISO 8601 date and time")]
    Time { field: &'static str, value: String },
    #[error("the trigger has no `triggerType` Cron or Recurrence")]
    Type,
}

/// Fill [`crate::plan::Change::next_runs`] of every declared schedule in `plan` from its desired
/// trigger, [`PLAN_NEXT_RUNS`] times after `now`. A trigger whose times cannot be computed gets a
/// warning instead.
pub fn annotate_plan(plan: &mut Plan, desired: &DesiredState, now: Timestamp) {
    for change in plan
        .changes
        .iter_mut()
        .filter(|c| c.address.kind == Kind::Schedule)
    {
        let Some(resource) = desired.resources.get(&change.address) else {
            continue;
        };
        let Some(trigger) = resource.body.pointer("/properties/trigger") else {
            continue;
        };
        if resource
            .body
            .pointer("/properties/isEnabled")
            .and_then(Value::as_bool)
            == Some(false)
        {
            continue;
        }
        match next_runs(trigger, now, PLAN_NEXT_RUNS) {
            Ok(runs) => change.next_runs = runs,
            Err(e) => change.warnings.push(Warning {
                message: format!("next fire times unknown: {e}"),
            }),
        }
    }
}

/// The first `count` fire times strictly after `after` of a REST trigger (`{triggerType: Cron,
/// expression, timeZone, startTime, endTime}` or `{triggerType: Recurrence, frequency, interval,
/// schedule, ...}`), formatted `2026-11-27 02:00 PST (UTC-08:00)` in the trigger's time zone.
/// Fewer when the trigger ends (`endTime`) or nothing fires within eight years.
pub fn next_runs(
    trigger: &Value,
    after: Timestamp,
    count: usize,
) -> Result<Vec<String>, ScheduleTimeError> {
    let zone_name = trigger
        .get("timeZone")
        .and_then(Value::as_str)
        .unwrap_or("UTC");
    let tz = time_zone(zone_name)?;
    let start = bound(trigger, "startTime", &tz)?;
    let end = bound(trigger, "endTime", &tz)?;
    let from = match start {
        // The first run may be the start itself.
        Some(s) if s > after => s
            .checked_sub(jiff::SignedDuration::from_nanos(1))
            .unwrap_or(s),
        _ => after,
    };
    let kind = trigger
        .get("triggerType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let times = if kind.eq_ignore_ascii_case("cron") {
        let expression = trigger
            .get("expression")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let cron = Cron::parse(expression)?;
        cron_times(&cron, &tz, from, end, count)
    } else if kind.eq_ignore_ascii_case("recurrence") {
        let recurrence = Recurrence::from_rest(trigger)?;
        let anchor = start.unwrap_or(after);
        recurrence_times(&recurrence, &tz, anchor, from, end, count)
    } else {
        return Err(ScheduleTimeError::Type);
    };
    Ok(times.iter().map(format_time).collect())
}

fn format_time(z: &Zoned) -> String {
    z.strftime("%Y-%m-%d %H:%M %Z (UTC%:z)").to_string()
}

/// A Windows time-zone name (or an IANA name) as a tz-database zone.
pub fn time_zone(name: &str) -> Result<TimeZone, ScheduleTimeError> {
    let iana = windows_to_iana(name).unwrap_or(name);
    TimeZone::get(iana).map_err(|_| ScheduleTimeError::TimeZone(name.to_owned()))
}

/// `startTime`/`endTime`: local time in the trigger's zone, or an instant when it has an offset.
fn bound(
    trigger: &Value,
    field: &'static str,
    tz: &TimeZone,
) -> Result<Option<Timestamp>, ScheduleTimeError> {
    let Some(text) = trigger
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    let bad = || ScheduleTimeError::Time {
        field,
        value: text.to_owned(),
    };
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(Some(ts));
    }
    let civil: DateTime = text.parse().map_err(|_| bad())?;
    civil
        .to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .map(Some)
        .map_err(|_| bad())
}

fn zoned(date: Date, hour: i8, minute: i8, tz: &TimeZone) -> Option<Zoned> {
    date.at(hour, minute, 0, 0).to_zoned(tz.clone()).ok()
}

fn next_day(date: Date) -> Option<Date> {
    date.tomorrow().ok()
}

// ---------------------------------------------------------------- cron

/// A parsed five-field cron expression: the allowed values of each field.
#[derive(Debug, PartialEq, Eq)]
struct Cron {
    minutes: Vec<i8>,
    hours: Vec<i8>,
    month_days: Vec<i8>,
    months: Vec<i8>,
    /// 0 = Sunday.
    week_days: Vec<i8>,
    dom_restricted: bool,
    dow_restricted: bool,
}

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Cron {
    fn parse(expression: &str) -> Result<Cron, ScheduleTimeError> {
        let err = |why: String| ScheduleTimeError::Cron {
            expression: expression.to_owned(),
            why,
        };
        let fields: Vec<&str> = expression.split_whitespace().collect();
        let [mi, h, dom, mon, dow] = fields.as_slice() else {
            return Err(err(format!("expected 5 fields, found {}", fields.len())));
        };
        let field = |text: &str, lo: i8, hi: i8, names: &[&str], name: &str| {
            parse_field(text, lo, hi, names)
                .map_err(|why| err(format!("{name} field `{text}`: {why}")))
        };
        let mut week_days = field(dow, 0, 7, &DAY_NAMES, "day-of-week")?;
        for d in &mut week_days {
            if *d == 7 {
                *d = 0;
            }
        }
        week_days.sort_unstable();
        week_days.dedup();
        Ok(Cron {
            minutes: field(mi, 0, 59, &[], "minute")?,
            hours: field(h, 0, 23, &[], "hour")?,
            month_days: field(dom, 1, 31, &[], "day-of-month")?,
            months: field(mon, 1, 12, &MONTH_NAMES, "month")?,
            week_days,
            dom_restricted: !dom.starts_with('*') && *dom != "?",
            dow_restricted: !dow.starts_with('*') && *dow != "?",
        })
    }

    fn matches_day(&self, date: Date) -> bool {
        if !self.months.contains(&date.month()) {
            return false;
        }
        let dom = self.month_days.contains(&date.day());
        let dow = self
            .week_days
            .contains(&date.weekday().to_sunday_zero_offset());
        match (self.dom_restricted, self.dow_restricted) {
            (true, true) => dom || dow,
            (true, false) => dom,
            (false, true) => dow,
            (false, false) => true,
        }
    }
}

/// One cron field: `*`, `?`, `N`, `A-B`, `*/S`, `A-B/S`, `N/S`, names, comma lists.
fn parse_field(text: &str, lo: i8, hi: i8, names: &[&str]) -> Result<Vec<i8>, String> {
    let value = |s: &str| -> Result<i8, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            // Months count from 1, days from 0.
            return Ok(i as i8 + i8::from(lo == 1));
        }
        let v: i8 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
        if v < lo || v > hi {
            return Err(format!("{v} is outside {lo}-{hi}"));
        }
        Ok(v)
    };
    let mut out = Vec::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: i8 = s
                    .parse()
                    .map_err(|_| format!("step `{s}` is not a number"))?;
                if step <= 0 {
                    return Err("a step must be positive".to_owned());
                }
                (r, step)
            }
            None => (part, 1),
        };
        let (a, b) = match range {
            "*" | "?" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if part.contains('/') => (value(r)?, hi),
                None => {
                    let v = value(r)?;
                    (v, v)
                }
            },
        };
        if a > b {
            return Err(format!("range {a}-{b} is reversed"));
        }
        let mut v = a;
        while v <= b {
            out.push(v);
            v = v.saturating_add(step);
            if v == i8::MAX {
                break;
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn cron_times(
    cron: &Cron,
    tz: &TimeZone,
    after: Timestamp,
    end: Option<Timestamp>,
    count: usize,
) -> Vec<Zoned> {
    let mut out = Vec::new();
    let mut date = after.to_zoned(tz.clone()).date();
    for _ in 0..HORIZON_DAYS {
        if cron.matches_day(date) {
            for &h in &cron.hours {
                for &m in &cron.minutes {
                    let Some(z) = zoned(date, h, m, tz) else {
                        continue;
                    };
                    if z.timestamp() <= after
                        || out.iter().any(|o: &Zoned| o.timestamp() == z.timestamp())
                    {
                        continue;
                    }
                    if end.is_some_and(|e| z.timestamp() > e) {
                        return out;
                    }
                    out.push(z);
                    if out.len() == count {
                        return out;
                    }
                }
            }
        }
        match next_day(date) {
            Some(d) => date = d,
            None => break,
        }
    }
    out
}

// ---------------------------------------------------------------- recurrence

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frequency {
    Minute,
    Hour,
    Day,
    Week,
    Month,
}

#[derive(Debug)]
struct Recurrence {
    frequency: Frequency,
    interval: i64,
    hours: Vec<i8>,
    minutes: Vec<i8>,
    /// 0 = Sunday.
    week_days: Vec<i8>,
    month_days: Vec<i8>,
}

impl Recurrence {
    fn from_rest(trigger: &Value) -> Result<Recurrence, ScheduleTimeError> {
        let bad = |m: String| ScheduleTimeError::Recurrence(m);
        let frequency = trigger
            .get("frequency")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let frequency = match frequency.to_ascii_lowercase().as_str() {
            "minute" => Frequency::Minute,
            "hour" => Frequency::Hour,
            "day" => Frequency::Day,
            "week" => Frequency::Week,
            "month" => Frequency::Month,
            other => {
                return Err(bad(format!(
                    "frequency `{other}` is not minute, hour, day, week or month"
                )));
            }
        };
        let interval = trigger.get("interval").and_then(Value::as_i64).unwrap_or(1);
        if interval < 1 {
            return Err(bad(format!("interval {interval} must be at least 1")));
        }
        let schedule = trigger.get("schedule");
        let ints = |key: &str, lo: i64, hi: i64| -> Result<Vec<i8>, ScheduleTimeError> {
            let mut out = Vec::new();
            for v in schedule
                .and_then(|s| s.get(key))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let n = v
                    .as_i64()
                    .filter(|n| (lo..=hi).contains(n))
                    .ok_or_else(|| bad(format!("schedule.{key} value {v} is outside {lo}-{hi}")))?;
                out.push(n as i8);
            }
            out.sort_unstable();
            out.dedup();
            Ok(out)
        };
        let mut week_days = Vec::new();
        for v in schedule
            .and_then(|s| s.get("weekDays"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = v.as_str().unwrap_or_default();
            let prefix = name.get(..3).unwrap_or(name);
            let day = DAY_NAMES
                .iter()
                .position(|d| d.eq_ignore_ascii_case(prefix))
                .ok_or_else(|| bad(format!("`{name}` is not a day of the week")))?;
            week_days.push(day as i8);
        }
        week_days.sort_unstable();
        week_days.dedup();
        Ok(Recurrence {
            frequency,
            interval,
            hours: ints("hours", 0, 23)?,
            minutes: ints("minutes", 0, 59)?,
            week_days,
            month_days: ints("monthDays", 1, 31)?,
        })
    }
}

fn recurrence_times(
    r: &Recurrence,
    tz: &TimeZone,
    anchor: Timestamp,
    after: Timestamp,
    end: Option<Timestamp>,
    count: usize,
) -> Vec<Zoned> {
    let mut out: Vec<Zoned> = Vec::new();
    let push = |z: Zoned, out: &mut Vec<Zoned>| -> bool {
        if end.is_some_and(|e| z.timestamp() > e) {
            return false;
        }
        if z.timestamp() > after && !out.iter().any(|o| o.timestamp() == z.timestamp()) {
            out.push(z);
        }
        out.len() < count
    };
    let anchor_z = anchor.to_zoned(tz.clone());
    match r.frequency {
        Frequency::Minute | Frequency::Hour => {
            let unit = if r.frequency == Frequency::Minute {
                60
            } else {
                3600
            };
            let step = r.interval.saturating_mul(unit);
            // The first step index whose time is after `after`.
            let since = after.as_second() - anchor.as_second();
            let mut k = if since < 0 { 0 } else { since / step + 1 };
            while out.len() < count {
                let Ok(ts) = Timestamp::from_second(
                    anchor.as_second().saturating_add(k.saturating_mul(step)),
                ) else {
                    break;
                };
                if !push(ts.to_zoned(tz.clone()), &mut out) {
                    break;
                }
                k += 1;
            }
        }
        Frequency::Day | Frequency::Week | Frequency::Month => {
            let times: Vec<(i8, i8)> = {
                let hours = if r.hours.is_empty() {
                    vec![anchor_z.hour()]
                } else {
                    r.hours.clone()
                };
                let minutes = if r.minutes.is_empty() {
                    vec![anchor_z.minute()]
                } else {
                    r.minutes.clone()
                };
                hours
                    .iter()
                    .flat_map(|h| minutes.iter().map(move |m| (*h, *m)))
                    .collect()
            };
            let start_date = anchor_z.date();
            // Monday of the anchor's week, for weekly intervals.
            let week0 = start_date
                .checked_sub(
                    jiff::Span::new().days(i64::from(start_date.weekday().to_monday_zero_offset())),
                )
                .unwrap_or(start_date);
            let mut date = after.to_zoned(tz.clone()).date().max(start_date);
            for _ in 0..HORIZON_DAYS {
                let due = match r.frequency {
                    Frequency::Day => days_between(start_date, date) % r.interval == 0,
                    Frequency::Week => {
                        let weekday = date.weekday().to_sunday_zero_offset();
                        let day_ok = if r.week_days.is_empty() {
                            weekday == start_date.weekday().to_sunday_zero_offset()
                        } else {
                            r.week_days.contains(&weekday)
                        };
                        day_ok && (days_between(week0, date) / 7) % r.interval == 0
                    }
                    _ => {
                        let months = (i64::from(date.year()) - i64::from(start_date.year())) * 12
                            + i64::from(date.month())
                            - i64::from(start_date.month());
                        let day_ok = if r.month_days.is_empty() {
                            date.day() == start_date.day()
                        } else {
                            r.month_days.contains(&date.day())
                        };
                        day_ok && months % r.interval == 0
                    }
                };
                if due {
                    for &(h, m) in &times {
                        let Some(z) = zoned(date, h, m, tz) else {
                            continue;
                        };
                        if !push(z, &mut out) {
                            return out;
                        }
                    }
                }
                match next_day(date) {
                    Some(d) => date = d,
                    None => break,
                }
            }
        }
    }
    out
}

fn days_between(a: Date, b: Date) -> i64 {
    let day = |d: Date| {
        d.to_zoned(TimeZone::UTC)
            .map(|z| z.timestamp().as_second() / 86_400)
            .unwrap_or(0)
    };
    day(b) - day(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn every_windows_zone_the_validator_accepts_resolves() {
        for name in crate::timezone::windows_names() {
            assert!(windows_to_iana(name).is_some(), "{name} has no IANA zone");
            assert!(time_zone(name).is_ok(), "{name} does not resolve");
        }
    }

    #[test]
    fn cron_in_pacific_time_follows_daylight_saving() {
        let t = json!({"triggerType": "Cron", "expression": "0 2 * * *", "timeZone": "Pacific Standard Time"});
        // Around the end of DST (2026-11-01).
        let runs = next_runs(&t, at("2026-10-30T12:00:00Z"), 4).unwrap();
        assert_eq!(
            runs,
            [
                "2026-10-31 02:00 PDT (UTC-07:00)",
                "2026-11-01 02:00 PST (UTC-08:00)",
                "2026-11-02 02:00 PST (UTC-08:00)",
                "2026-11-03 02:00 PST (UTC-08:00)",
            ]
        );
        // In the spring gap 02:00 does not exist: it fires at 03:00 PDT.
        let runs = next_runs(&t, at("2026-03-08T00:00:00Z"), 2).unwrap();
        assert_eq!(
            runs,
            [
                "2026-03-08 03:00 PDT (UTC-07:00)",
                "2026-03-09 02:00 PDT (UTC-07:00)"
            ]
        );
    }

    #[test]
    fn cron_fields_lists_ranges_steps_names_and_day_or_rule() {
        let t = json!({"triggerType": "Cron", "expression": "*/20 9-10 * * MON-FRI"});
        // 2026-11-27 is a Friday.
        let runs = next_runs(&t, at("2026-11-27T10:30:00Z"), 3).unwrap();
        assert_eq!(
            runs,
            [
                "2026-11-27 10:40 UTC (UTC+00:00)",
                "2026-11-30 09:00 UTC (UTC+00:00)",
                "2026-11-30 09:20 UTC (UTC+00:00)"
            ]
        );
        // Day 1 OR Sunday.
        let t = json!({"triggerType": "Cron", "expression": "0 0 1 * 0", "timeZone": "UTC"});
        let runs = next_runs(&t, at("2026-11-26T00:00:00Z"), 3).unwrap();
        assert_eq!(
            runs,
            [
                "2026-11-29 00:00 UTC (UTC+00:00)",
                "2026-12-01 00:00 UTC (UTC+00:00)",
                "2026-12-06 00:00 UTC (UTC+00:00)"
            ]
        );
        // 29 February is years away.
        let t = json!({"triggerType": "Cron", "expression": "30 12 29 feb *"});
        assert_eq!(
            next_runs(&t, at("2026-11-26T00:00:00Z"), 1).unwrap(),
            ["2028-02-29 12:30 UTC (UTC+00:00)"]
        );
    }

    #[test]
    fn start_and_end_times_bound_the_runs() {
        let t = json!({"triggerType": "Cron", "expression": "0 2 * * *", "timeZone": "Pacific Standard Time",
            "startTime": "2027-01-01T02:00:00", "endTime": "2027-01-02T02:00:00"});
        let runs = next_runs(&t, at("2026-11-26T00:00:00Z"), 5).unwrap();
        assert_eq!(
            runs,
            [
                "2027-01-01 02:00 PST (UTC-08:00)",
                "2027-01-02 02:00 PST (UTC-08:00)"
            ]
        );
        let t = json!({"triggerType": "Cron", "expression": "0 2 * * *", "endTime": "2026-01-01T00:00:00"});
        assert!(
            next_runs(&t, at("2026-11-26T00:00:00Z"), 3)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn weekly_recurrence_on_given_days_and_times() {
        let t = json!({"triggerType": "Recurrence", "frequency": "Week", "interval": 1,
            "schedule": {"hours": [6], "minutes": [30], "weekDays": ["Monday", "Thursday"]}, "timeZone": "W. Europe Standard Time"});
        let runs = next_runs(&t, at("2026-11-26T12:00:00Z"), 3).unwrap();
        assert_eq!(
            runs,
            [
                "2026-11-30 06:30 CET (UTC+01:00)",
                "2026-12-03 06:30 CET (UTC+01:00)",
                "2026-12-07 06:30 CET (UTC+01:00)"
            ]
        );
        // Every other week, counted from the start date's week.
        let t = json!({"triggerType": "Recurrence", "frequency": "Week", "interval": 2, "startTime": "2026-11-02T00:00:00",
            "schedule": {"hours": [6], "minutes": [0], "weekDays": ["Monday"]}});
        let runs = next_runs(&t, at("2026-11-26T12:00:00Z"), 2).unwrap();
        assert_eq!(
            runs,
            [
                "2026-11-30 06:00 UTC (UTC+00:00)",
                "2026-12-14 06:00 UTC (UTC+00:00)"
            ]
        );
    }

    #[test]
    fn hourly_daily_and_monthly_recurrences() {
        let t = json!({"triggerType": "Recurrence", "frequency": "Hour", "interval": 6, "startTime": "2026-11-01T01:15:00"});
        let runs = next_runs(&t, at("2026-11-26T08:00:00Z"), 2).unwrap();
        assert_eq!(
            runs,
            [
                "2026-11-26 13:15 UTC (UTC+00:00)",
                "2026-11-26 19:15 UTC (UTC+00:00)"
            ]
        );
        let t = json!({"triggerType": "Recurrence", "frequency": "Day", "interval": 3, "startTime": "2026-11-20T00:00:00",
            "schedule": {"hours": [4, 16], "minutes": [0]}});
        let runs = next_runs(&t, at("2026-11-26T08:00:00Z"), 3).unwrap();
        assert_eq!(
            runs,
            [
                "2026-11-26 16:00 UTC (UTC+00:00)",
                "2026-11-29 04:00 UTC (UTC+00:00)",
                "2026-11-29 16:00 UTC (UTC+00:00)"
            ]
        );
        let t = json!({"triggerType": "Recurrence", "frequency": "Month", "interval": 1,
            "schedule": {"hours": [0], "minutes": [0], "monthDays": [1, 15]}, "timeZone": "Tokyo Standard Time"});
        let runs = next_runs(&t, at("2026-11-26T08:00:00Z"), 2).unwrap();
        assert_eq!(
            runs,
            [
                "2026-12-01 00:00 JST (UTC+09:00)",
                "2026-12-15 00:00 JST (UTC+09:00)"
            ]
        );
    }

    fn schedule(name: &str, trigger: Value, enabled: bool) -> crate::model::DesiredResource {
        crate::model::DesiredResource {
            id: crate::model::ResourceId::new(Kind::Schedule, name),
            type_label: "Schedule".into(),
            body: json!({"properties": {"isEnabled": enabled, "trigger": trigger, "action": {}}}),
            secret_paths: vec![],
            source: crate::model::SourceLocation {
                file: format!("{name}.yml").into(),
                line: 1,
            },
            depends_on: Default::default(),
            options: Default::default(),
            assets: vec![],
        }
    }

    #[test]
    fn the_plan_shows_next_runs_of_enabled_schedules_and_warns_on_bad_triggers() {
        let mut desired = DesiredState::default();
        let cron = json!({"triggerType": "Cron", "expression": "0 2 * * *", "timeZone": "Pacific Standard Time"});
        for r in [
            schedule("nightly", cron.clone(), true),
            schedule("off", cron, false),
            schedule(
                "broken",
                json!({"triggerType": "Cron", "expression": "every day"}),
                true,
            ),
        ] {
            desired.resources.insert(r.id.clone(), r);
        }
        let target = crate::plan::PlanTarget {
            name: "t".into(),
            workspace_id: "/ws".into(),
        };
        let mut plan = crate::diff::diff(
            &desired,
            &Default::default(),
            &crate::diff::DiffOptions::new(target),
        );
        annotate_plan(&mut plan, &desired, at("2026-11-26T12:00:00Z"));
        let by = |n: &str| plan.changes.iter().find(|c| c.address.name == n).unwrap();
        assert_eq!(
            by("nightly").next_runs,
            [
                "2026-11-27 02:00 PST (UTC-08:00)",
                "2026-11-28 02:00 PST (UTC-08:00)",
                "2026-11-29 02:00 PST (UTC-08:00)"
            ]
        );
        assert!(
            by("off").next_runs.is_empty(),
            "a disabled schedule does not fire"
        );
        assert!(by("broken").next_runs.is_empty());
        assert!(
            by("broken")
                .warnings
                .iter()
                .any(|w| w.message.contains("invalid cron expression"))
        );

        let text = crate::render::text::render(
            &plan,
            &crate::render::text::TextOptions {
                color: false,
                max_listed: 0,
            },
        );
        assert!(
            text.contains("next runs: 2026-11-27 02:00 PST (UTC-08:00), 2026-11-28"),
            "{text}"
        );
        let md = crate::render::markdown::render(&plan, &Default::default());
        assert!(
            md.contains("next runs: 2026-11-27 02:00 PST (UTC-08:00)"),
            "{md}"
        );
        // The JSON plan carries them; a plan without them still parses.
        let json = crate::render::json::render(&plan).unwrap();
        assert!(json.contains("\"next_runs\""));
        assert_eq!(
            crate::render::json::parse(&json).unwrap().changes,
            plan.changes
        );
    }

    #[test]
    fn bad_triggers_are_errors_not_panics() {
        let now = at("2026-11-26T00:00:00Z");
        for t in [
            json!({"triggerType": "Cron", "expression": "0 2 * *"}),
            json!({"triggerType": "Cron", "expression": "61 2 * * *"}),
            json!({"triggerType": "Cron", "expression": "0 2 * * *", "timeZone": "Mars Standard Time"}),
            json!({"triggerType": "Cron", "expression": "*/0 * * * *"}),
            json!({"triggerType": "Cron", "expression": "5-1 * * * *"}),
            json!({"triggerType": "Recurrence", "frequency": "fortnight", "interval": 1}),
            json!({"triggerType": "Recurrence", "frequency": "Day", "interval": 0}),
            json!({"triggerType": "Cron", "expression": "0 0 * * *", "startTime": "tomorrow"}),
            json!({"triggerType": "Other"}),
        ] {
            assert!(next_runs(&t, now, 3).is_err(), "{t}");
        }
    }
}
