//! Compute checks: idle shutdown bounds, scale bounds, Kubernetes instance types.

use serde_json::Value;

use super::super::diagnostic::codes;
use super::Finding;
use super::trigger::check_trigger;
use crate::manifest::push_token;

const IDLE_MIN: i64 = 15;
const IDLE_MAX: i64 = 3 * 24 * 60;

pub fn check_compute_instance(root: &Value, out: &mut Vec<Finding>) {
    if let Some(m) = root
        .get("idle_time_before_shutdown_minutes")
        .and_then(Value::as_i64)
    {
        idle_bounds(m, "/idle_time_before_shutdown_minutes", out);
    }
    if let Some(text) = root
        .get("idle_time_before_shutdown")
        .and_then(Value::as_str)
    {
        match iso_minutes(text) {
            Some(m) => idle_bounds(m, "/idle_time_before_shutdown", out),
            None => out.push(Finding::error(
                "/idle_time_before_shutdown".into(),
                codes::IDLE_SHUTDOWN,
                format!("`{text}` is not an ISO 8601 duration such as PT30M"),
            )),
        }
    }
    if let Some(Value::Array(items)) = root.pointer("/schedules/compute_start_stop") {
        for (i, item) in items.iter().enumerate() {
            if let Some(t) = item.get("trigger") {
                check_trigger(
                    t,
                    &format!("/schedules/compute_start_stop/{i}/trigger"),
                    out,
                );
            }
        }
    }
}

fn idle_bounds(minutes: i64, ptr: &str, out: &mut Vec<Finding>) {
    if !(IDLE_MIN..=IDLE_MAX).contains(&minutes) {
        out.push(
            Finding::error(
                ptr.into(),
                codes::IDLE_SHUTDOWN,
                format!("idle shutdown after {minutes} minutes is outside 15 minutes to 3 days"),
            )
            .help("use a value from 15 to 4320 minutes"),
        );
    }
}

/// `PT30M`, `PT1H`, `P1DT2H` → minutes (seconds rounded down).
pub fn iso_minutes(s: &str) -> Option<i64> {
    let rest = s.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut total: i64 = 0;
    if !days.is_empty() {
        total += days.strip_suffix('D')?.parse::<i64>().ok()? * 1440;
    }
    let mut num = String::new();
    for c in time.chars() {
        match c {
            '0'..='9' | '.' => num.push(c),
            'H' | 'M' | 'S' => {
                let v: f64 = num.parse().ok()?;
                num.clear();
                total += match c {
                    'H' => (v * 60.0) as i64,
                    'M' => v as i64,
                    _ => (v / 60.0) as i64,
                };
            }
            _ => return None,
        }
    }
    (num.is_empty() && (rest != "T")).then_some(total)
}

pub fn check_aml_compute(root: &Value, out: &mut Vec<Finding>) {
    let min = root.get("min_instances").and_then(Value::as_i64);
    let max = root.get("max_instances").and_then(Value::as_i64);
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        out.push(Finding::error(
            "/min_instances".into(),
            codes::SCALE,
            format!("min_instances ({min}) is greater than max_instances ({max})"),
        ));
    }
}

pub fn check_kubernetes(root: &Value, out: &mut Vec<Finding>) {
    let types = root
        .pointer("/properties/instanceTypes")
        .and_then(Value::as_object);
    if let Some(types) = types {
        for (name, spec) in types {
            let base = push_token("/properties/instanceTypes", name);
            for section in ["requests", "limits"] {
                let Some(Value::Object(q)) = spec.pointer(&format!("/resources/{section}")) else {
                    continue;
                };
                for (res, v) in q {
                    let ptr = push_token(&format!("{base}/resources/{section}"), res);
                    if !is_quantity(v) {
                        out.push(
                            Finding::error(ptr, codes::K8S_QUANTITY, format!("`{}` is not a Kubernetes quantity", text(v)))
                                .help("e.g. 500m or 2 for CPU, 4Gi or 512Mi for memory (binary suffixes Ki Mi Gi Ti, decimal k M G T)"),
                        );
                    }
                }
            }
        }
    }
    if let Some(Value::String(default)) = root.pointer("/properties/defaultInstanceType") {
        let declared = types.is_some_and(|t| t.contains_key(default));
        // The service creates `defaultinstancetype` itself when none is declared.
        let builtin = types.is_none() && default.eq_ignore_ascii_case("defaultinstancetype");
        if !declared && !builtin {
            let names: Vec<&str> = types
                .map(|t| t.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let mut f = Finding::error(
                "/properties/defaultInstanceType".into(),
                codes::K8S_DEFAULT_TYPE,
                format!(
                    "defaultInstanceType `{default}` is not declared under properties.instanceTypes"
                ),
            );
            if !names.is_empty() {
                f = f.help(format!("declared instance types: {}", names.join(", ")));
            }
            out.push(f);
        }
    }
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// A Kubernetes resource quantity: a non-negative number, or digits with an optional fraction
/// and one suffix (`m`, `k`, `M`, `G`, `T`, `P`, `E`, `Ki`..`Ei`, or an exponent `e3`).
pub fn is_quantity(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_f64().is_some_and(|f| f >= 0.0),
        Value::String(s) => {
            let digits_end = s
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(s.len());
            let (num, suffix) = s.split_at(digits_end);
            let num_ok = !num.is_empty()
                && num.chars().filter(|c| *c == '.').count() <= 1
                && !num.starts_with('.')
                && !num.ends_with('.');
            let suffix_ok = matches!(
                suffix,
                "" | "n"
                    | "u"
                    | "m"
                    | "k"
                    | "M"
                    | "G"
                    | "T"
                    | "P"
                    | "E"
                    | "Ki"
                    | "Mi"
                    | "Gi"
                    | "Ti"
                    | "Pi"
                    | "Ei"
            ) || (suffix.len() > 1
                && suffix.starts_with(['e', 'E'])
                && suffix[1..].chars().all(|c| c.is_ascii_digit()));
            num_ok && suffix_ok
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn quantities() {
        for ok in [
            json!("500m"),
            json!("4Gi"),
            json!("2"),
            json!(1),
            json!("1.5"),
            json!("128974848"),
            json!("129e6"),
            json!("1k"),
        ] {
            assert!(is_quantity(&ok), "{ok}");
        }
        for bad in [
            json!("4GB"),
            json!("1 Gi"),
            json!("Gi"),
            json!(-1),
            json!("1.2.3"),
            json!(true),
            json!("4gi"),
        ] {
            assert!(!is_quantity(&bad), "{bad}");
        }
    }

    #[test]
    fn iso_durations() {
        assert_eq!(iso_minutes("PT30M"), Some(30));
        assert_eq!(iso_minutes("PT2H"), Some(120));
        assert_eq!(iso_minutes("P1DT1H"), Some(1500));
        assert_eq!(iso_minutes("30M"), None);
        assert_eq!(iso_minutes("PTxM"), None);
    }

    #[test]
    fn compute_rules() {
        let mut out = Vec::new();
        check_compute_instance(&json!({"idle_time_before_shutdown_minutes": 10}), &mut out);
        check_compute_instance(&json!({"idle_time_before_shutdown": "P4D"}), &mut out);
        check_compute_instance(
            &json!({"idle_time_before_shutdown_minutes": 4320}),
            &mut out,
        );
        check_aml_compute(&json!({"min_instances": 3, "max_instances": 2}), &mut out);
        check_aml_compute(&json!({"min_instances": 2, "max_instances": 2}), &mut out);
        let k8s = json!({"properties": {"defaultInstanceType": "big", "instanceTypes": {"small": {"resources": {"requests": {"cpu": "500m", "memory": "4GB"}}}}}});
        check_kubernetes(&k8s, &mut out);
        let codes: Vec<&str> = out.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            vec![
                codes::IDLE_SHUTDOWN,
                codes::IDLE_SHUTDOWN,
                codes::SCALE,
                codes::K8S_QUANTITY,
                codes::K8S_DEFAULT_TYPE
            ]
        );
        assert_eq!(
            out[3].pointer,
            "/properties/instanceTypes/small/resources/requests/memory"
        );
    }
}
