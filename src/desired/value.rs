//! Typed, path-aware access to the manifest's JSON, so every error names its field.

use serde_json::{Map, Value};

use super::{Cx, TranslateError, TranslateErrorKind};

/// A JSON object of the manifest together with its dotted path (for errors).
#[derive(Clone)]
pub(crate) struct Obj<'a> {
    pub cx: Cx<'a>,
    pub map: &'a Map<String, Value>,
    pub path: String,
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> Obj<'a> {
    /// Wrap an object found at `path`.
    pub fn at(cx: Cx<'a>, value: &'a Value, path: String) -> Result<Obj<'a>, TranslateError> {
        match value {
            Value::Object(map) => Ok(Obj { cx, map, path }),
            _ => Err(cx.invalid(path, "expected a mapping")),
        }
    }

    /// The manifest's top-level object.
    pub fn root(cx: Cx<'a>, value: &'a Value) -> Result<Obj<'a>, TranslateError> {
        match value {
            Value::Object(map) => Ok(Obj {
                cx,
                map,
                path: String::new(),
            }),
            _ => Err(cx.invalid("", "the manifest must be a mapping")),
        }
    }

    pub fn field(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The raw value; `null` counts as absent.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn has(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    pub fn invalid(&self, key: &str, message: impl Into<String>) -> TranslateError {
        self.cx.invalid(self.field(key), message)
    }

    pub fn str(&self, key: &str) -> Result<Option<&'a str>, TranslateError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.invalid(key, "expected a string")),
        }
    }

    pub fn req_str(&self, key: &str) -> Result<&'a str, TranslateError> {
        self.str(key)?
            .ok_or_else(|| self.cx.err(self.field(key), TranslateErrorKind::Missing))
    }

    /// A scalar written as a string, a number or a boolean (`version: 1`), as a string.
    pub fn scalar_string(&self, key: &str) -> Result<Option<String>, TranslateError> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => scalar_to_string(v)
                .map(Some)
                .ok_or_else(|| self.invalid(key, "expected a scalar")),
        }
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, TranslateError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Some(i)),
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
                    _ => Err(self.invalid(key, "expected an integer")),
                },
            },
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| self.invalid(key, format!("`{s}` is not an integer"))),
            Some(_) => Err(self.invalid(key, "expected an integer")),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, TranslateError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(self.invalid(key, "expected true or false")),
        }
    }

    /// A nested object.
    pub fn obj(&self, key: &str) -> Result<Option<Obj<'a>>, TranslateError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                cx: self.cx,
                map,
                path: self.field(key),
            })),
            Some(_) => Err(self.invalid(key, "expected a mapping")),
        }
    }

    /// A map of string to scalar (`tags`, `environment_variables`), values stringified.
    pub fn string_map(&self, key: &str) -> Result<Option<Map<String, Value>>, TranslateError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Object(map)) => {
                let mut out = Map::new();
                for (k, v) in map {
                    let s = match v {
                        Value::Null => String::new(),
                        other => scalar_to_string(other).ok_or_else(|| {
                            self.cx
                                .invalid(join(&self.field(key), k), "expected a scalar")
                        })?,
                    };
                    out.insert(k.clone(), Value::String(s));
                }
                Ok(Some(out))
            }
            Some(_) => Err(self.invalid(key, "expected a mapping")),
        }
    }
}

/// Strings as they are; numbers and booleans as the Python SDK would print them
/// (`True`/`False`, `0.5`, `3`).
pub(crate) fn scalar_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("True".to_owned()),
        Value::Bool(false) => Some("False".to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Insert `value` under `key` when it is `Some`.
pub(crate) fn put(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v.into());
    }
}
