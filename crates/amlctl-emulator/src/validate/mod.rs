//! Request-body validation against the published shapes (2026-03-01 OpenAPI), hand-written for
//! the resources in scope: required fields, known discriminator values, JSON types, a few enums.
//! Every problem is collected (not only the first) as `(target, message)`.

use serde_json::{Map, Value};

/// Collected problems.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<(String, String)>);

/// Expected JSON type.
#[derive(Debug, Clone, Copy)]
pub enum T {
    Str,
    Bool,
    Int,
    Obj,
    Arr,
}

impl T {
    fn matches(self, v: &Value) -> bool {
        match self {
            T::Str => v.is_string(),
            T::Bool => v.is_boolean(),
            T::Int => v.is_i64() || v.is_u64(),
            T::Obj => v.is_object(),
            T::Arr => v.is_array(),
        }
    }
    fn name(self) -> &'static str {
        match self {
            T::Str => "a string",
            T::Bool => "a boolean",
            T::Int => "an integer",
            T::Obj => "an object",
            T::Arr => "an array",
        }
    }
}

impl Problems {
    pub fn add(&mut self, target: &str, message: impl Into<String>) {
        self.0.push((target.to_string(), message.into()));
    }

    /// Optional field of type `t` (null counts as absent). Returns it when present and well-typed.
    pub fn opt<'v>(
        &mut self,
        o: &'v Map<String, Value>,
        at: &str,
        field: &str,
        t: T,
    ) -> Option<&'v Value> {
        match o.get(field) {
            None | Some(Value::Null) => None,
            Some(v) if t.matches(v) => Some(v),
            Some(_) => {
                self.add(&join(at, field), format!("must be {}", t.name()));
                None
            }
        }
    }

    /// Required field of type `t`.
    pub fn req<'v>(
        &mut self,
        o: &'v Map<String, Value>,
        at: &str,
        field: &str,
        t: T,
    ) -> Option<&'v Value> {
        match o.get(field) {
            None | Some(Value::Null) => {
                self.add(&join(at, field), "is required");
                None
            }
            Some(_) => self.opt(o, at, field, t),
        }
    }

    /// Optional string field restricted to `allowed` (case-insensitive when `ci`).
    pub fn enum_opt(
        &mut self,
        o: &Map<String, Value>,
        at: &str,
        field: &str,
        allowed: &[&str],
        ci: bool,
    ) {
        if let Some(Value::String(s)) = self.opt(o, at, field, T::Str)
            && !allowed.iter().any(|a| {
                if ci {
                    a.eq_ignore_ascii_case(s)
                } else {
                    a == s
                }
            })
        {
            self.add(
                &join(at, field),
                format!("'{s}' is not one of {}", allowed.join(", ")),
            );
        }
    }

    /// A required discriminator: returns its value when known.
    pub fn disc<'v>(
        &mut self,
        o: &'v Map<String, Value>,
        at: &str,
        field: &str,
        allowed: &[&str],
    ) -> Option<&'v str> {
        let s = self.req(o, at, field, T::Str)?.as_str()?;
        if allowed.contains(&s) {
            Some(s)
        } else {
            self.add(
                &join(at, field),
                format!(
                    "unknown discriminator value '{s}'; known: {}",
                    allowed.join(", ")
                ),
            );
            None
        }
    }

    /// An optional ISO 8601 duration; `range` bounds it in seconds (inclusive).
    pub fn duration_opt(
        &mut self,
        o: &Map<String, Value>,
        at: &str,
        field: &str,
        range: Option<(f64, f64)>,
    ) {
        if let Some(Value::String(s)) = self.opt(o, at, field, T::Str) {
            match (formats::duration_secs(s), range) {
                (None, _) => self.add(
                    &join(at, field),
                    format!("'{s}' is not an ISO 8601 duration such as PT30M"),
                ),
                (Some(v), Some((lo, hi))) if v < lo || v > hi => self.add(
                    &join(at, field),
                    format!("'{s}' is outside the allowed range ({lo} to {hi} seconds)"),
                ),
                _ => {}
            }
        }
    }

    /// An optional map of strings. Numbers and booleans are accepted too: the Python SDK sends
    /// e.g. `"hash_version": 202208` in a code version's `properties`.
    pub fn string_map(&mut self, o: &Map<String, Value>, at: &str, field: &str) {
        if let Some(Value::Object(m)) = self.opt(o, at, field, T::Obj) {
            for (k, v) in m {
                if v.is_object() || v.is_array() {
                    self.add(&format!("{}.{k}", join(at, field)), "must be a string");
                }
            }
        }
    }

    pub fn into_result(self) -> Result<(), Vec<(String, String)>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

pub fn join(at: &str, field: &str) -> String {
    if at.is_empty() {
        field.to_string()
    } else {
        format!("{at}.{field}")
    }
}

/// The body must be an object; returns it or records the problem.
pub fn object<'v>(p: &mut Problems, v: &'v Value, at: &str) -> Option<&'v Map<String, Value>> {
    match v.as_object() {
        Some(o) => Some(o),
        None => {
            p.add(if at.is_empty() { "body" } else { at }, "must be an object");
            None
        }
    }
}

mod assets;
mod compute;
mod formats;
mod jobs;
mod lists;

pub use assets::{asset_put, datastore_put};
pub use compute::{compute_patch, compute_put};
pub use jobs::{job_put, schedule_put};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn problems_are_all_collected() {
        let body = json!({"properties": {"jobType": "Command", "tags": {"a": [1]}, "inputs": {"x": {"jobInputType": "nope"}}}});
        let problems = job_put(&body).unwrap_err();
        let targets: Vec<&str> = problems.iter().map(|(t, _)| t.as_str()).collect();
        for t in [
            "properties.tags.a",
            "properties.inputs.x.jobInputType",
            "properties.command",
            "properties.environmentId",
        ] {
            assert!(targets.contains(&t), "{t} not in {targets:?}");
        }
        assert!(job_put(&json!([])).is_err());
        assert!(compute_put(&json!({"properties": {"computeType": "AmlCompute", "properties": {"scaleSettings": {"maxNodeCount": 1, "minNodeCount": 2}}}})).is_err());
        assert!(compute_put(&json!({"properties": {"computeType": "AmlCompute", "properties": {"scaleSettings": {"maxNodeCount": 2}}}})).is_ok());
    }
}
