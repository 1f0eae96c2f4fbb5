//! `${{...}}` bindings: extraction and resolution against what a job or pipeline declares.

use std::collections::BTreeSet;

/// What names a binding may refer to at one place. `None` means "unknown here, do not check".
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub inputs: Option<BTreeSet<String>>,
    pub outputs: Option<BTreeSet<String>>,
    pub search_space: Option<BTreeSet<String>>,
    /// Set inside a pipeline step.
    pub parent: Option<ParentScope>,
}

#[derive(Clone, Debug, Default)]
pub struct ParentScope {
    pub inputs: BTreeSet<String>,
    pub outputs: BTreeSet<String>,
    /// Step name → its declared outputs when they are known (inline steps), else `None`.
    pub jobs: std::collections::BTreeMap<String, Option<BTreeSet<String>>>,
}

/// The expressions of every `${{ ... }}` in `s`, outside optional `$[[ ... ]]` blocks (whose
/// inputs may legitimately be absent).
pub fn expressions(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let next_binding = rest.find("${{");
        let next_optional = rest.find("$[[");
        match (next_binding, next_optional) {
            (Some(b), Some(o)) if o < b => match rest[o..].find("]]") {
                Some(end) => rest = &rest[o + end + 2..],
                None => break,
            },
            (Some(b), _) => match rest[b + 3..].find("}}") {
                Some(end) => {
                    out.push(rest[b + 3..b + 3 + end].trim().to_owned());
                    rest = &rest[b + 3 + end + 2..];
                }
                None => break,
            },
            (None, _) => break,
        }
    }
    out
}

/// Legacy `{inputs.x}` / `{outputs.y}` references (without `${{ }}`), which `az ml` rewrites
/// with a warning.
pub fn legacy_references(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in s.match_indices('{') {
        let rest = &s[i + 1..];
        let prev = s[..i].chars().next_back();
        if matches!(prev, Some('{') | Some('$')) || rest.starts_with('{') {
            continue;
        }
        if !(rest.starts_with("inputs.") || rest.starts_with("outputs.")) {
            continue;
        }
        if let Some(end) = rest.find('}') {
            let inner = &rest[..end];
            if inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            {
                out.push(format!("{{{inner}}}"));
            }
        }
    }
    out
}

/// Why `expr` does not resolve in `scope`, if it does not.
pub fn resolve(expr: &str, scope: &Scope) -> Result<(), String> {
    let parts: Vec<&str> = expr.split('.').map(str::trim).collect();
    let declared = |set: &Option<BTreeSet<String>>, what: &str, name: &str| -> Result<(), String> {
        match set {
            Some(names) if !names.contains(name) => {
                Err(format!("no {what} named `{name}`{}", listing(names)))
            }
            _ => Ok(()),
        }
    };
    match parts.as_slice() {
        ["inputs", name, ..] => declared(&scope.inputs, "input", name),
        ["outputs", name, ..] => declared(&scope.outputs, "output", name),
        ["search_space", name, ..] => match &scope.search_space {
            None => Err("`search_space` bindings are only valid in a sweep trial".into()),
            s => declared(s, "search_space parameter", name),
        },
        ["parent", rest @ ..] => {
            let Some(p) = &scope.parent else {
                return Err("`parent` bindings are only valid inside a pipeline step".into());
            };
            match rest {
                ["inputs", name, ..] => declared(&Some(p.inputs.clone()), "pipeline input", name),
                ["outputs", name, ..] => {
                    declared(&Some(p.outputs.clone()), "pipeline output", name)
                }
                ["jobs", step, "outputs", out, ..] => match p.jobs.get(*step) {
                    None => Err(format!(
                        "no pipeline step named `{step}`{}",
                        listing(&p.jobs.keys().cloned().collect())
                    )),
                    Some(Some(outs)) if !outs.contains(*out) => Err(format!(
                        "step `{step}` has no output named `{out}`{}",
                        listing(outs)
                    )),
                    _ => Ok(()),
                },
                ["jobs", step, ..] if !p.jobs.contains_key(*step) => Err(format!(
                    "no pipeline step named `{step}`{}",
                    listing(&p.jobs.keys().cloned().collect())
                )),
                _ => Ok(()),
            }
        }
        // Runtime macros (`name`, `default_datastore`, `creation_context.trigger_time`, ...)
        // are substituted by the service.
        _ => Ok(()),
    }
}

fn listing(names: &BTreeSet<String>) -> String {
    if names.is_empty() {
        " (none declared)".to_owned()
    } else {
        format!(
            " (declared: {})",
            names.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn extraction_skips_optional_blocks() {
        let cmd = "python x.py --a ${{inputs.a}} $[[--b ${{inputs.b}}]] --o ${{ outputs.o }}";
        assert_eq!(expressions(cmd), vec!["inputs.a", "outputs.o"]);
        assert!(expressions("no bindings ${{ unterminated").is_empty());
    }

    #[test]
    fn legacy_references_are_found() {
        let cmd = "python x.py {inputs.a} ${{inputs.b}} {outputs.c} {not_a_binding} {{inputs.d}}";
        assert_eq!(legacy_references(cmd), vec!["{inputs.a}", "{outputs.c}"]);
    }

    #[test]
    fn resolution() {
        let scope = Scope {
            inputs: Some(set(&["a"])),
            outputs: Some(set(&[])),
            ..Scope::default()
        };
        assert_eq!(resolve("inputs.a", &scope), Ok(()));
        assert!(
            resolve("inputs.b", &scope)
                .unwrap_err()
                .contains("declared: a")
        );
        assert!(
            resolve("outputs.o", &scope)
                .unwrap_err()
                .contains("none declared")
        );
        assert!(resolve("search_space.lr", &scope).is_err());
        assert!(resolve("parent.inputs.x", &scope).is_err());
        assert_eq!(resolve("name", &scope), Ok(()));
        let mut parent = ParentScope {
            inputs: set(&["data"]),
            ..ParentScope::default()
        };
        parent.jobs.insert("prep".into(), Some(set(&["clean"])));
        parent.jobs.insert("comp".into(), None);
        let scope = Scope {
            parent: Some(parent),
            ..Scope::default()
        };
        assert_eq!(resolve("parent.inputs.data", &scope), Ok(()));
        assert_eq!(resolve("parent.jobs.prep.outputs.clean", &scope), Ok(()));
        assert_eq!(resolve("parent.jobs.comp.outputs.anything", &scope), Ok(()));
        assert!(resolve("parent.jobs.prep.outputs.dirty", &scope).is_err());
        assert!(resolve("parent.jobs.nope.outputs.x", &scope).is_err());
    }
}
