//! YAML text → `serde_json::Value`, via `saphyr`. Only what a config file needs: one document,
//! scalar keys (turned into strings); aliases are resolved by the loader.

use saphyr::{LoadableYamlNode, ScalarOwned, YamlOwned};
use serde_json::{Map, Number, Value};

/// A YAML problem with its 1-based line and column (0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl YamlProblem {
    fn at_start(message: impl Into<String>) -> Self {
        YamlProblem {
            line: 0,
            column: 0,
            message: message.into(),
        }
    }
}

/// Parse one YAML document. An empty document is `null`.
pub fn parse(text: &str) -> Result<Value, YamlProblem> {
    let docs = YamlOwned::load_from_str(text).map_err(|e| YamlProblem {
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: e.info().to_owned(),
    })?;
    let mut docs = docs.into_iter();
    let Some(first) = docs.next() else {
        return Ok(Value::Null);
    };
    if docs.next().is_some() {
        return Err(YamlProblem::at_start(
            "expected one YAML document, found several (`---`)",
        ));
    }
    to_json(first, "")
}

fn to_json(node: YamlOwned, at: &str) -> Result<Value, YamlProblem> {
    Ok(match node {
        YamlOwned::Value(scalar) => scalar_to_json(scalar, at)?,
        YamlOwned::Representation(text, _, _) => Value::String(text),
        YamlOwned::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| to_json(item, &format!("{at}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        YamlOwned::Mapping(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                let key = match key {
                    YamlOwned::Value(ScalarOwned::String(s)) => s,
                    YamlOwned::Value(ScalarOwned::Integer(i)) => i.to_string(),
                    YamlOwned::Value(ScalarOwned::Boolean(b)) => b.to_string(),
                    _ => {
                        return Err(YamlProblem::at_start(format!(
                            "{}: mapping keys must be strings",
                            display_at(at)
                        )));
                    }
                };
                let child = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                let value = to_json(value, &child)?;
                out.insert(key, value);
            }
            Value::Object(out)
        }
        YamlOwned::Tagged(_, inner) => to_json(*inner, at)?,
        YamlOwned::Alias(_) => {
            return Err(YamlProblem::at_start(format!(
                "{}: YAML aliases (`*name`) are not supported in amlctl.yaml",
                display_at(at)
            )));
        }
        YamlOwned::BadValue => {
            return Err(YamlProblem::at_start(format!(
                "{}: unreadable value",
                display_at(at)
            )));
        }
    })
}

fn scalar_to_json(scalar: ScalarOwned, at: &str) -> Result<Value, YamlProblem> {
    Ok(match scalar {
        ScalarOwned::Null => Value::Null,
        ScalarOwned::Boolean(b) => Value::Bool(b),
        ScalarOwned::Integer(i) => Value::Number(i.into()),
        ScalarOwned::FloatingPoint(f) => {
            Value::Number(Number::from_f64(f.into_inner()).ok_or_else(|| {
                YamlProblem::at_start(format!(
                    "{}: non-finite numbers are not allowed",
                    display_at(at)
                ))
            })?)
        }
        ScalarOwned::String(s) => Value::String(s),
    })
}

fn display_at(at: &str) -> &str {
    if at.is_empty() { "top level" } else { at }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_and_nesting() {
        let v = parse("a: 1\nb: [x, 2.5, true, null]\nc: {d: 'e'}\n").unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": 1, "b": ["x", 2.5, true, null], "c": {"d": "e"}})
        );
    }

    #[test]
    fn empty_is_null() {
        assert_eq!(parse("").unwrap(), Value::Null);
        assert_eq!(parse("# only a comment\n").unwrap(), Value::Null);
    }

    #[test]
    fn syntax_error_has_line() {
        let err = parse("a: 1\nb: [unclosed\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
    }

    #[test]
    fn aliases_resolve() {
        assert_eq!(
            parse("a: &x {k: 1}\nb: *x\n").unwrap(),
            serde_json::json!({"a": {"k": 1}, "b": {"k": 1}})
        );
    }
}
