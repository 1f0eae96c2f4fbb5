//! Normalisation of REST bodies before they are shown or compared.
//!
//! Two forms per body:
//! - the **display** form (what `Change.before`/`after` hold): server fields and the ownership tag
//!   dropped, `null`s and empty objects/arrays dropped, secrets masked, keys sorted;
//! - the **canonical** form (what is compared): additionally secrets and ignored fields removed,
//!   server defaults filled in, durations, enums, ids and locations spelled one way, unordered
//!   arrays sorted, integral floats made integers; then [`restrict_to_desired`] drops the live
//!   fields the service adds on its own.

use serde_json::{Map, Value};

use super::duration;
use super::pointer::{self, Seg};
use super::rules::{List, Rules};
use crate::model::OWNERSHIP_TAG;

/// What secret values are replaced with in a plan.
pub const SENSITIVE: &str = "(sensitive)";

/// Fields removed or masked for a given resource: the rules plus per-resource secrets and
/// ignored pointers.
pub struct Context<'a> {
    pub rules: &'a Rules,
    /// JSON pointers of secrets declared by the desired resource.
    pub secret_paths: &'a [String],
    /// JSON pointers the user asked to ignore.
    pub ignore_fields: &'a [String],
}

impl Context<'_> {
    fn secret_patterns(&self) -> Vec<Vec<Seg>> {
        let mut pats = self.rules.patterns(List::SecretFields).to_vec();
        pats.extend(self.secret_paths.iter().map(|p| pointer::pattern(p)));
        pats
    }

    /// Remove server-populated fields and the ownership tag.
    fn strip_server(&self, body: &mut Value) {
        for pat in self.rules.patterns(List::ServerFields) {
            remove_pattern(body, pat);
        }
        let mut tag = pointer::split(self.rules.kind.tags_pointer());
        tag.push(OWNERSHIP_TAG.to_owned());
        pointer::remove(body, &tag);
    }

    /// The display form.
    pub fn display(&self, body: &Value) -> Value {
        let mut v = body.clone();
        self.strip_server(&mut v);
        prune_empty(&mut v);
        for pat in self.secret_patterns() {
            for path in pointer::matches(&v, &pat) {
                if let Some(slot) = pointer::get_mut(&mut v, &path) {
                    *slot = Value::from(SENSITIVE);
                }
            }
        }
        sort_keys(&mut v);
        v
    }

    /// A display form with the server defaults filled in (to show the value an omitted field
    /// is compared as).
    pub fn display_with_defaults(&self, display: &Value) -> Value {
        let mut v = display.clone();
        for (pat, default) in self.rules.defaults() {
            pointer::fill(&mut v, pat, default);
        }
        v
    }

    /// The canonical form (before [`restrict_to_desired`]).
    pub fn canonical(&self, body: &Value) -> Value {
        let mut v = body.clone();
        self.strip_server(&mut v);
        for pat in self.secret_patterns() {
            remove_pattern(&mut v, &pat);
        }
        for p in self.ignore_fields {
            remove_pattern(&mut v, &pointer::pattern(p));
        }
        prune_empty(&mut v);
        for (pat, default) in self.rules.defaults() {
            pointer::fill(&mut v, pat, default);
        }
        self.transform(&mut v, List::Durations, |x| {
            if let Value::String(s) = x
                && let Some(c) = duration::canonical(s)
            {
                *s = c;
            }
        });
        self.transform(&mut v, List::CaseInsensitive, |x| {
            map_strings(x, &|s| s.to_lowercase())
        });
        self.transform(&mut v, List::Locations, |x| {
            map_strings(x, &|s| {
                s.chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .to_lowercase()
            })
        });
        self.transform(&mut v, List::Unordered, |x| {
            if let Value::Array(items) = x {
                items.sort_by_key(|a| a.to_string());
            }
        });
        integral_numbers(&mut v);
        sort_keys(&mut v);
        v
    }

    fn transform(&self, v: &mut Value, list: List, f: impl Fn(&mut Value)) {
        for pat in self.rules.patterns(list) {
            for path in pointer::matches(v, pat) {
                if let Some(x) = pointer::get_mut(v, &path) {
                    f(x);
                }
            }
        }
    }

    /// Drop from the canonical live body the fields the service adds on its own (the rules'
    /// `only_if_desired`) that the canonical desired body does not set.
    pub fn restrict_to_desired(&self, live: &mut Value, desired: &Value) {
        for pat in self.rules.patterns(List::OnlyIfDesired) {
            let recursive = pat.last() == Some(&Seg::Recursive);
            let base = if recursive {
                &pat[..pat.len() - 1]
            } else {
                &pat[..]
            };
            for path in pointer::matches(live, base) {
                match pointer::get(desired, &path) {
                    None => {
                        pointer::remove(live, &path);
                    }
                    Some(d) if recursive => {
                        if let Some(l) = pointer::get_mut(live, &path) {
                            subset(l, d);
                        }
                    }
                    Some(_) => {}
                }
            }
        }
        prune_empty(live);
    }
}

/// Keep in `live` only what `desired` sets, recursively (arrays of equal length element-wise).
fn subset(live: &mut Value, desired: &Value) {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => {
            l.retain(|k, _| d.contains_key(k));
            for (k, lv) in l.iter_mut() {
                if let Some(dv) = d.get(k) {
                    subset(lv, dv);
                }
            }
        }
        (Value::Array(l), Value::Array(d)) if l.len() == d.len() => {
            for (lv, dv) in l.iter_mut().zip(d) {
                subset(lv, dv);
            }
        }
        _ => {}
    }
}

fn remove_pattern(v: &mut Value, pat: &[Seg]) {
    // Remove deepest paths first so indices and parents stay valid.
    let mut paths = pointer::matches(v, pat);
    paths.reverse();
    for path in paths {
        pointer::remove(v, &path);
    }
}

fn map_strings(v: &mut Value, f: &dyn Fn(&str) -> String) {
    match v {
        Value::String(s) => *s = f(s),
        Value::Array(items) => items.iter_mut().for_each(|i| map_strings(i, f)),
        _ => {}
    }
}

/// Drop `null`s and empty objects/arrays, recursively: the service echoes unset fields as `null`
/// and absent, `null`, `{}` and `[]` mean the same to it.
pub fn prune_empty(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                prune_empty(child);
            }
            map.retain(|_, c| !is_empty(c));
        }
        Value::Array(items) => items.iter_mut().for_each(prune_empty),
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Sort object keys recursively (determinism regardless of the order the service used).
pub fn sort_keys(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut sorted = Map::new();
            for (k, mut child) in entries {
                sort_keys(&mut child);
                sorted.insert(k, child);
            }
            *map = sorted;
        }
        Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

fn integral_numbers(v: &mut Value) {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        _ => {}
    }
}
