//! JSON pointers (RFC 6901) and the path patterns the rules are written in.
//!
//! A pattern is a JSON pointer whose segments may be `*` (any one key or array index) or, as the
//! last segment only, `**` (the subtree below, recursively; only meaningful for
//! `only_if_desired`).

use serde_json::Value;

/// One segment of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Any,
    Recursive,
}

/// Split a pointer into unescaped segments (`""` → no segment).
pub fn split(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .strip_prefix('/')
        .unwrap_or(pointer)
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Build a pointer from unescaped segments.
pub fn join(segments: &[String]) -> String {
    let mut out = String::new();
    for s in segments {
        out.push('/');
        out.push_str(&s.replace('~', "~0").replace('/', "~1"));
    }
    out
}

/// Parse a pattern (a pointer with `*` / trailing `**`).
pub fn pattern(p: &str) -> Vec<Seg> {
    split(p)
        .into_iter()
        .map(|s| match s.as_str() {
            "*" => Seg::Any,
            "**" => Seg::Recursive,
            _ => Seg::Key(s),
        })
        .collect()
}

/// Prefix every pattern with a pointer (rules for a job body reused inside a schedule).
pub fn rooted(prefix: &str, pattern_text: &str) -> Vec<Seg> {
    let mut segs = pattern(prefix);
    segs.extend(pattern(pattern_text));
    segs
}

/// Value at a concrete path.
pub fn get<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = value;
    for seg in path {
        cur = match cur {
            Value::Object(map) => map.get(seg)?,
            Value::Array(items) => items.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Mutable value at a concrete path.
pub fn get_mut<'a>(value: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut cur = value;
    for seg in path {
        cur = match cur {
            Value::Object(map) => map.get_mut(seg)?,
            Value::Array(items) => items.get_mut(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Remove the value at a concrete path (object keys only; array elements are never removed so
/// that indices stay meaningful).
pub fn remove(value: &mut Value, path: &[String]) -> Option<Value> {
    let (last, parent) = path.split_last()?;
    match get_mut(value, parent)? {
        Value::Object(map) => map.shift_remove(last),
        _ => None,
    }
}

/// Every concrete path in `value` matched by `pattern` (a trailing `**` is ignored here: the
/// caller handles the subtree). Sorted, so callers are deterministic.
pub fn matches(value: &Value, pattern: &[Seg]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    collect(value, pattern, &mut path, &mut out);
    out.sort();
    out
}

fn collect(value: &Value, pattern: &[Seg], path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let Some((first, rest)) = pattern.split_first() else {
        out.push(path.clone());
        return;
    };
    match first {
        Seg::Recursive => out.push(path.clone()),
        Seg::Key(k) => {
            let child = match value {
                Value::Object(map) => map.get(k),
                Value::Array(items) => k.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            if let Some(child) = child {
                path.push(k.clone());
                collect(child, rest, path, out);
                path.pop();
            }
        }
        Seg::Any => match value {
            Value::Object(map) => {
                for (k, child) in map {
                    path.push(k.clone());
                    collect(child, rest, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push(i.to_string());
                    collect(child, rest, path, out);
                    path.pop();
                }
            }
            _ => {}
        },
    }
}

/// Does `pattern` match `path` or one of its ancestors (prefix match)?
pub fn covers(pattern: &[Seg], path: &[String]) -> bool {
    if pattern.len() > path.len() {
        return false;
    }
    pattern.iter().zip(path).all(|(p, s)| match p {
        Seg::Key(k) => k == s,
        Seg::Any | Seg::Recursive => true,
    })
}

/// Insert `default` at every place `pattern` designates where the key is absent. Literal
/// segments create missing intermediate objects when no `*` follows; `*` only visits existing
/// children.
pub fn fill(value: &mut Value, pattern: &[Seg], default: &Value) {
    let Some((first, rest)) = pattern.split_first() else {
        return;
    };
    match first {
        Seg::Key(k) => {
            let Value::Object(map) = value else {
                return;
            };
            if rest.is_empty() {
                if map.get(k).is_none_or(Value::is_null) {
                    map.insert(k.clone(), default.clone());
                }
                return;
            }
            // Only a path of literal keys is created; a `*` further down needs existing children.
            let literal_rest = rest.iter().all(|s| matches!(s, Seg::Key(_)));
            if !literal_rest && map.get(k).is_none_or(Value::is_null) {
                return;
            }
            let child = map
                .entry(k.clone())
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            if child.is_null() {
                *child = Value::Object(serde_json::Map::new());
            }
            fill(child, rest, default);
        }
        Seg::Any => match value {
            Value::Object(map) => map.values_mut().for_each(|c| fill(c, rest, default)),
            Value::Array(items) => items.iter_mut().for_each(|c| fill(c, rest, default)),
            _ => {}
        },
        Seg::Recursive => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_round_trip_with_escapes() {
        let segs = split("/a/nvidia.com~1gpu/x~0y");
        assert_eq!(segs, vec!["a", "nvidia.com/gpu", "x~y"]);
        assert_eq!(join(&segs), "/a/nvidia.com~1gpu/x~0y");
        assert!(split("").is_empty());
    }

    #[test]
    fn wildcards_match_keys_and_indices() {
        let v = json!({"a": [{"id": 1}, {"id": 2}], "b": {"x": {"id": 3}}});
        assert_eq!(matches(&v, &pattern("/a/*/id")).len(), 2);
        assert_eq!(matches(&v, &pattern("/b/*/id")), vec![vec!["b", "x", "id"]]);
        assert!(matches(&v, &pattern("/c/*")).is_empty());
    }

    #[test]
    fn fill_creates_literal_parents_only() {
        let mut v = json!({"p": {}, "list": [{}, {"s": "x"}]});
        fill(&mut v, &pattern("/p/r/n"), &json!(1));
        fill(&mut v, &pattern("/list/*/s"), &json!("d"));
        fill(&mut v, &pattern("/none/*/s"), &json!("d"));
        assert_eq!(
            v,
            json!({"p": {"r": {"n": 1}}, "list": [{"s": "d"}, {"s": "x"}]})
        );
    }
}
