//! YAML text → `serde_json::Value`, via `saphyr`, plus the line of every mapping key so errors
//! found later (by serde) can point at a line. Only what a config file needs: one document,
//! scalar keys (turned into strings); aliases are resolved by the loader.

use std::collections::BTreeMap;

use saphyr::{LoadableYamlNode, MarkedYamlOwned, Marker, ScalarOwned, YamlDataOwned};
use serde_json::{Map, Number, Value};

/// A YAML problem with its 1-based line and column (0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// 1-based line of each mapping key, by its path of keys from the document root (sequence
/// items are not recorded: the config has no lists of mappings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lines(BTreeMap<Vec<String>, usize>);

impl Lines {
    /// The line of the deepest recorded prefix of `path` (the entry itself, or its parent).
    pub fn find(&self, path: &[String]) -> Option<usize> {
        (1..=path.len())
            .rev()
            .find_map(|n| self.0.get(&path[..n]).copied())
    }
}

/// Parse one YAML document. An empty document is `null`.
pub fn parse(text: &str) -> Result<(Value, Lines), YamlProblem> {
    let docs = MarkedYamlOwned::load_from_str(text).map_err(|e| YamlProblem {
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: e.info().to_owned(),
    })?;
    let mut docs = docs.into_iter();
    let Some(first) = docs.next() else {
        return Ok((Value::Null, Lines::default()));
    };
    if let Some(second) = docs.next() {
        return Err(problem(
            &second,
            "expected one YAML document, found several (`---`)",
        ));
    }
    let mut lines = Lines::default();
    let value = to_json(first, &mut Vec::new(), &mut lines)?;
    Ok((value, lines))
}

fn problem(node: &MarkedYamlOwned, message: impl Into<String>) -> YamlProblem {
    problem_at(node.span.start, message)
}

fn problem_at(start: Marker, message: impl Into<String>) -> YamlProblem {
    YamlProblem {
        line: start.line(),
        column: start.col() + 1,
        message: message.into(),
    }
}

fn to_json(
    node: MarkedYamlOwned,
    path: &mut Vec<String>,
    lines: &mut Lines,
) -> Result<Value, YamlProblem> {
    Ok(match node.data {
        YamlDataOwned::Value(scalar) => match scalar {
            ScalarOwned::Null => Value::Null,
            ScalarOwned::Boolean(b) => Value::Bool(b),
            ScalarOwned::Integer(i) => Value::Number(i.into()),
            ScalarOwned::FloatingPoint(f) => match Number::from_f64(f.into_inner()) {
                Some(n) => Value::Number(n),
                None => {
                    return Err(problem_at(
                        node.span.start,
                        format!("{}: non-finite numbers are not allowed", display_path(path)),
                    ));
                }
            },
            ScalarOwned::String(s) => Value::String(s),
        },
        YamlDataOwned::Representation(text, _, _) => Value::String(text),
        YamlDataOwned::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(|item| to_json(item, &mut path.clone(), lines))
                .collect::<Result<_, _>>()?,
        ),
        YamlDataOwned::Mapping(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                let name = match &key.data {
                    YamlDataOwned::Value(ScalarOwned::String(s)) => s.clone(),
                    YamlDataOwned::Value(ScalarOwned::Integer(i)) => i.to_string(),
                    YamlDataOwned::Value(ScalarOwned::Boolean(b)) => b.to_string(),
                    YamlDataOwned::Value(ScalarOwned::Null) => "null".to_owned(),
                    _ => {
                        let what = format!("{}: mapping keys must be strings", display_path(path));
                        return Err(problem(&key, what));
                    }
                };
                path.push(name.clone());
                lines.0.insert(path.clone(), key.span.start.line());
                let value = to_json(value, path, lines)?;
                path.pop();
                out.insert(name, value);
            }
            Value::Object(out)
        }
        YamlDataOwned::Tagged(_, inner) => to_json(*inner, path, lines)?,
        YamlDataOwned::Alias(_) => {
            return Err(problem_at(
                node.span.start,
                format!("{}: unresolved YAML alias", display_path(path)),
            ));
        }
        YamlDataOwned::BadValue => {
            return Err(problem_at(
                node.span.start,
                format!("{}: unreadable value", display_path(path)),
            ));
        }
    })
}

fn display_path(path: &[String]) -> String {
    if path.is_empty() {
        "top level".to_owned()
    } else {
        path.join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Value {
        parse(text).unwrap().0
    }

    #[test]
    fn scalars_and_nesting() {
        let v = value("a: 1\nb: [x, 2.5, true, null]\nc: {d: 'e'}\n");
        assert_eq!(
            v,
            serde_json::json!({"a": 1, "b": ["x", 2.5, true, null], "c": {"d": "e"}})
        );
    }

    #[test]
    fn empty_is_null() {
        assert_eq!(value(""), Value::Null);
        assert_eq!(value("# only a comment\n"), Value::Null);
    }

    #[test]
    fn syntax_error_has_line() {
        let err = parse("a: 1\nb: [unclosed\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
    }

    #[test]
    fn aliases_resolve() {
        assert_eq!(
            value("a: &x {k: 1}\nb: *x\n"),
            serde_json::json!({"a": {"k": 1}, "b": {"k": 1}})
        );
    }

    #[test]
    fn several_documents_rejected() {
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(err.message.contains("one YAML document"), "{err:?}");
    }

    #[test]
    fn lines_of_keys() {
        let (_, lines) =
            parse("targets:\n  dev:\n    workspace: w\n  prod:\n    workspace: p\n").unwrap();
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(lines.find(&path(&["targets"])), Some(1));
        assert_eq!(lines.find(&path(&["targets", "prod"])), Some(4));
        assert_eq!(
            lines.find(&path(&["targets", "prod", "workspace"])),
            Some(5)
        );
        assert_eq!(
            lines.find(&path(&["targets", "prod", "nope"])),
            Some(4),
            "falls back to the parent"
        );
        assert_eq!(lines.find(&path(&["other"])), None);
    }
}
