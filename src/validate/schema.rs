//! The embedded JSON Schemas and a focused validator for the subset of draft 2020-12 they use.
//!
//! Supported keywords: `$ref` (local `#/$defs/...`), `type`, `enum`, `minimum`, `maximum`,
//! `minItems`, `properties`, `required`, `additionalProperties`, `items`, `anyOf`. Annotations
//! (`title`, `description`, `$id`, ...) are ignored. Two amlctl extensions, ignored by editors:
//! `x-amlctl-ignore-case` (enum compared case-insensitively, as `az ml` does) and
//! `x-amlctl-default-variant` (the `anyOf` branch to explain when the instance has no `type`).
//!
//! Why not the `jsonschema` crate: these schemas use a handful of keywords, and owning the
//! validator gives "did you mean" suggestions and discriminator-aware `anyOf` errors (report the
//! branch whose `type` matches, not "matches none of 4 schemas") with no regex engine or HTTP
//! resolver in the binary.

use std::sync::OnceLock;

use serde_json::Value;

use crate::manifest::push_token;
use crate::model::ManifestKind;

use super::suggest::did_you_mean;

/// A schema shipped in the binary.
pub struct EmbeddedSchema {
    pub file_name: &'static str,
    pub text: &'static str,
}

/// Every schema, for `amlctl schema export`.
pub const SCHEMAS: [EmbeddedSchema; 8] = [
    EmbeddedSchema {
        file_name: "computeinstance.schema.json",
        text: include_str!("../../schemas/computeinstance.schema.json"),
    },
    EmbeddedSchema {
        file_name: "amlcompute.schema.json",
        text: include_str!("../../schemas/amlcompute.schema.json"),
    },
    EmbeddedSchema {
        file_name: "kubernetes.schema.json",
        text: include_str!("../../schemas/kubernetes.schema.json"),
    },
    EmbeddedSchema {
        file_name: "schedule.schema.json",
        text: include_str!("../../schemas/schedule.schema.json"),
    },
    EmbeddedSchema {
        file_name: "commandjob.schema.json",
        text: include_str!("../../schemas/commandjob.schema.json"),
    },
    EmbeddedSchema {
        file_name: "paralleljob.schema.json",
        text: include_str!("../../schemas/paralleljob.schema.json"),
    },
    EmbeddedSchema {
        file_name: "pipelinejob.schema.json",
        text: include_str!("../../schemas/pipelinejob.schema.json"),
    },
    EmbeddedSchema {
        file_name: "sweepjob.schema.json",
        text: include_str!("../../schemas/sweepjob.schema.json"),
    },
];

fn index(kind: ManifestKind) -> usize {
    match kind {
        ManifestKind::ComputeInstance => 0,
        ManifestKind::AmlCompute => 1,
        ManifestKind::Kubernetes => 2,
        ManifestKind::Schedule => 3,
        ManifestKind::CommandJob => 4,
        ManifestKind::ParallelJob => 5,
        ManifestKind::PipelineJob => 6,
        ManifestKind::SweepJob => 7,
    }
}

/// The parsed schema of a kind. The embedded texts are checked by a unit test, so a parse
/// failure here can only come from a broken build; it degrades to an empty (accept-all) schema.
pub fn schema_for(kind: ManifestKind) -> &'static Value {
    static PARSED: OnceLock<Vec<Value>> = OnceLock::new();
    let all = PARSED.get_or_init(|| {
        SCHEMAS
            .iter()
            .map(|s| serde_json::from_str(s.text).unwrap_or(Value::Bool(true)))
            .collect()
    });
    &all[index(kind)]
}

/// One schema violation at a JSON pointer into the instance.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaError {
    pub pointer: String,
    pub kind: SchemaErrorKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SchemaErrorKind {
    UnknownKey {
        key: String,
        suggestion: Option<String>,
        allowed: Vec<String>,
    },
    MissingKey {
        key: String,
    },
    WrongType {
        expected: String,
        found: &'static str,
    },
    NotInEnum {
        value: String,
        allowed: Vec<String>,
        suggestion: Option<String>,
    },
    TooSmall {
        limit: f64,
    },
    TooLarge {
        limit: f64,
    },
    TooFewItems {
        min: u64,
    },
    NoVariant {
        expected: Vec<String>,
    },
}

/// Validates `instance` against `schema`, returning every violation.
pub fn validate(schema: &Value, instance: &Value) -> Vec<SchemaError> {
    let mut errors = Vec::new();
    Validator { root: schema }.check(schema, instance, "", &mut errors);
    errors
}

struct Validator<'s> {
    root: &'s Value,
}

pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(expected: &str, v: &Value) -> bool {
    let actual = json_type(v);
    expected == actual || (expected == "number" && actual == "integer")
}

impl<'s> Validator<'s> {
    fn resolve(&self, reference: &str) -> Option<&'s Value> {
        let path = reference.strip_prefix('#')?;
        self.root.pointer(path)
    }

    fn check(&self, schema: &'s Value, inst: &Value, ptr: &str, out: &mut Vec<SchemaError>) {
        let Value::Object(s) = schema else { return };
        if let Some(Value::String(r)) = s.get("$ref")
            && let Some(target) = self.resolve(r)
        {
            self.check(target, inst, ptr, out);
        }
        if let Some(t) = s.get("type") {
            let expected: Vec<&str> = match t {
                Value::String(one) => vec![one.as_str()],
                Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if !expected.is_empty() && !expected.iter().any(|e| type_matches(e, inst)) {
                out.push(SchemaError {
                    pointer: ptr.to_owned(),
                    kind: SchemaErrorKind::WrongType {
                        expected: expected.join(" or "),
                        found: json_type(inst),
                    },
                });
                return;
            }
        }
        if let Some(Value::Array(allowed)) = s.get("enum") {
            let ci = s.get("x-amlctl-ignore-case") == Some(&Value::Bool(true));
            let ok = allowed.iter().any(|a| match (a, inst) {
                (Value::String(a), Value::String(i)) if ci => a.eq_ignore_ascii_case(i),
                _ => a == inst,
            });
            if !ok {
                let names: Vec<String> = allowed
                    .iter()
                    .map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_owned))
                    .collect();
                let value = inst
                    .as_str()
                    .map_or_else(|| inst.to_string(), str::to_owned);
                let suggestion = did_you_mean(&value, names.iter().map(String::as_str));
                out.push(SchemaError {
                    pointer: ptr.to_owned(),
                    kind: SchemaErrorKind::NotInEnum {
                        value,
                        allowed: names,
                        suggestion,
                    },
                });
            }
        }
        if let Some(n) = inst.as_f64() {
            if let Some(min) = s.get("minimum").and_then(Value::as_f64)
                && n < min
            {
                out.push(SchemaError {
                    pointer: ptr.to_owned(),
                    kind: SchemaErrorKind::TooSmall { limit: min },
                });
            }
            if let Some(max) = s.get("maximum").and_then(Value::as_f64)
                && n > max
            {
                out.push(SchemaError {
                    pointer: ptr.to_owned(),
                    kind: SchemaErrorKind::TooLarge { limit: max },
                });
            }
        }
        match inst {
            Value::Object(map) => self.check_object(s, map, ptr, out),
            Value::Array(items) => {
                if let Some(min) = s.get("minItems").and_then(Value::as_u64)
                    && (items.len() as u64) < min
                {
                    out.push(SchemaError {
                        pointer: ptr.to_owned(),
                        kind: SchemaErrorKind::TooFewItems { min },
                    });
                }
                if let Some(item_schema) = s.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item_schema, item, &format!("{ptr}/{i}"), out);
                    }
                }
            }
            _ => {}
        }
        if let Some(Value::Array(branches)) = s.get("anyOf") {
            self.check_any_of(s, branches, inst, ptr, out);
        }
    }

    fn check_object(
        &self,
        s: &'s serde_json::Map<String, Value>,
        map: &serde_json::Map<String, Value>,
        ptr: &str,
        out: &mut Vec<SchemaError>,
    ) {
        let props = s.get("properties").and_then(Value::as_object);
        if let Some(Value::Array(required)) = s.get("required") {
            for key in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(key) {
                    out.push(SchemaError {
                        pointer: ptr.to_owned(),
                        kind: SchemaErrorKind::MissingKey {
                            key: key.to_owned(),
                        },
                    });
                }
            }
        }
        for (key, value) in map {
            let child = push_token(ptr, key);
            if let Some(p) = props.and_then(|p| p.get(key)) {
                self.check(p, value, &child, out);
                continue;
            }
            match s.get("additionalProperties") {
                Some(Value::Bool(false)) => {
                    let allowed: Vec<String> = props
                        .map(|p| p.keys().cloned().collect())
                        .unwrap_or_default();
                    let suggestion = did_you_mean(key, allowed.iter().map(String::as_str));
                    out.push(SchemaError {
                        pointer: child,
                        kind: SchemaErrorKind::UnknownKey {
                            key: key.clone(),
                            suggestion,
                            allowed,
                        },
                    });
                }
                Some(extra @ Value::Object(_)) => self.check(extra, value, &child, out),
                _ => {}
            }
        }
    }

    fn check_any_of(
        &self,
        s: &'s serde_json::Map<String, Value>,
        branches: &'s [Value],
        inst: &Value,
        ptr: &str,
        out: &mut Vec<SchemaError>,
    ) {
        let mut results = Vec::with_capacity(branches.len());
        for b in branches {
            let mut errs = Vec::new();
            self.check(b, inst, ptr, &mut errs);
            if errs.is_empty() {
                return;
            }
            results.push(errs);
        }
        if let Some(i) = self.best_branch(s, branches, inst) {
            out.append(&mut results[i]);
            return;
        }
        let expected = branches.iter().map(|b| self.describe(b)).collect();
        out.push(SchemaError {
            pointer: ptr.to_owned(),
            kind: SchemaErrorKind::NoVariant { expected },
        });
    }

    /// The branch whose errors explain the failure best: the one whose `type` discriminator
    /// matches the instance's `type`, else the default variant for a type-less object, else the
    /// only branch whose JSON type matches.
    fn best_branch(
        &self,
        s: &serde_json::Map<String, Value>,
        branches: &'s [Value],
        inst: &Value,
    ) -> Option<usize> {
        if let Value::Object(map) = inst {
            match map.get("type").and_then(Value::as_str) {
                Some(t) => {
                    let hit = branches.iter().position(|b| {
                        self.discriminator_values(b)
                            .iter()
                            .any(|v| v.eq_ignore_ascii_case(t))
                    });
                    if hit.is_some() {
                        return hit;
                    }
                }
                None => {
                    if let Some(i) = s.get("x-amlctl-default-variant").and_then(Value::as_u64) {
                        return usize::try_from(i).ok().filter(|i| *i < branches.len());
                    }
                }
            }
        }
        let matching: Vec<usize> = branches
            .iter()
            .enumerate()
            .filter(|(_, b)| self.branch_types(b).iter().any(|t| type_matches(t, inst)))
            .map(|(i, _)| i)
            .collect();
        (matching.len() == 1).then(|| matching[0])
    }

    fn deref(&self, b: &'s Value) -> &'s Value {
        match b
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| self.resolve(r))
        {
            Some(t) => t,
            None => b,
        }
    }

    fn discriminator_values(&self, b: &'s Value) -> Vec<&'s str> {
        let b = self.deref(b);
        b.pointer("/properties/type/enum")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    fn branch_types(&self, b: &'s Value) -> Vec<&'s str> {
        let b = self.deref(b);
        match b.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => match b.get("anyOf") {
                Some(Value::Array(inner)) => {
                    inner.iter().flat_map(|i| self.branch_types(i)).collect()
                }
                _ => Vec::new(),
            },
        }
    }

    fn describe(&self, b: &'s Value) -> String {
        let d = self.deref(b);
        if let Some(vals) = d.pointer("/properties/type/enum").and_then(Value::as_array) {
            let vals: Vec<&str> = vals.iter().filter_map(Value::as_str).collect();
            return format!("an object with type {}", vals.join("|"));
        }
        if let Some(vals) = d.get("enum").and_then(Value::as_array) {
            let vals: Vec<&str> = vals.iter().filter_map(Value::as_str).collect();
            return format!("one of {}", vals.join(", "));
        }
        let types = self.branch_types(b);
        if types.is_empty() {
            "a value".to_owned()
        } else {
            types.join(" or ")
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn embedded_schemas_parse_and_their_refs_resolve() {
        for s in &SCHEMAS {
            let v: Value =
                serde_json::from_str(s.text).unwrap_or_else(|e| panic!("{}: {e}", s.file_name));
            assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
            assert!(
                v["$id"]
                    .as_str()
                    .is_some_and(|id| id.ends_with(s.file_name))
            );
            let text = s.text;
            for part in text.split("\"$ref\": \"").skip(1) {
                let r = &part[..part.find('"').unwrap()];
                assert!(
                    v.pointer(r.trim_start_matches('#')).is_some(),
                    "{}: dangling {r}",
                    s.file_name
                );
            }
        }
    }

    #[test]
    fn unknown_keys_get_suggestions() {
        let errs = validate(
            schema_for(ManifestKind::AmlCompute),
            &json!({"name": "c", "type": "amlcompute", "max_instance": 2}),
        );
        assert_eq!(errs.len(), 1);
        match &errs[0].kind {
            SchemaErrorKind::UnknownKey {
                key, suggestion, ..
            } => {
                assert_eq!(key, "max_instance");
                assert_eq!(suggestion.as_deref(), Some("max_instances"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(errs[0].pointer, "/max_instance");
    }

    #[test]
    fn enums_ignore_case_only_when_flagged() {
        let schema = schema_for(ManifestKind::AmlCompute);
        assert!(
            validate(
                schema,
                &json!({"name": "c", "type": "AmlCompute", "tier": "Low_Priority"})
            )
            .is_empty()
        );
        let errs = validate(
            schema,
            &json!({"name": "c", "type": "amlcompute", "tier": "lowpriority"}),
        );
        assert!(
            matches!(&errs[0].kind, SchemaErrorKind::NotInEnum { suggestion: Some(s), .. } if s == "low_priority")
        );
        let par = schema_for(ManifestKind::ParallelJob);
        let job = json!({"type": "parallel", "task": {"type": "run_function", "environment": "azureml:e:1"}, "logging_level": "info"});
        let errs = validate(par, &job);
        assert!(
            matches!(&errs[0].kind, SchemaErrorKind::NotInEnum { suggestion: Some(s), .. } if s == "INFO"),
            "{errs:?}"
        );
    }

    #[test]
    fn any_of_reports_the_branch_the_type_selects() {
        let schema = schema_for(ManifestKind::CommandJob);
        let job = json!({"command": "x", "environment": "azureml:e:1", "distribution": {"type": "mpi", "worker_count": 2}});
        let errs = validate(schema, &job);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].pointer, "/distribution/worker_count");
    }

    #[test]
    fn types_ranges_and_required() {
        let schema = schema_for(ManifestKind::ParallelJob);
        let job = json!({"type": "parallel", "task": {"type": "run_function", "environment": "azureml:e:1"}, "mini_batch_size": 10, "max_concurrency_per_instance": 0});
        let errs = validate(schema, &job);
        assert!(errs.iter().any(|e| e.pointer == "/mini_batch_size"
            && matches!(
                e.kind,
                SchemaErrorKind::WrongType {
                    found: "integer",
                    ..
                }
            )));
        assert!(
            errs.iter()
                .any(|e| e.pointer == "/max_concurrency_per_instance"
                    && matches!(e.kind, SchemaErrorKind::TooSmall { .. }))
        );
        let errs = validate(
            schema_for(ManifestKind::CommandJob),
            &json!({"command": "x"}),
        );
        assert_eq!(
            errs,
            vec![SchemaError {
                pointer: String::new(),
                kind: SchemaErrorKind::MissingKey {
                    key: "environment".into()
                }
            }]
        );
    }
}
