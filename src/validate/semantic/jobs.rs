//! Job and schedule checks: references, local paths, `${{...}}` bindings, pipeline steps.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::super::diagnostic::codes;
use super::super::reference::{ReferenceError, load_referenced};
use super::bindings::{ParentScope, Scope, expressions, legacy_references, resolve};
use super::refs::{RefKind, check_reference, is_local_path};
use super::trigger::check_trigger;
use super::{Ctx, Finding};
use crate::manifest::push_token;
use crate::model::ManifestKind;

pub fn check_schedule(root: &Value, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some(t) = root.get("trigger") {
        check_trigger(t, "/trigger", out);
    }
    match root.get("create_job") {
        Some(Value::String(s)) => check_job_reference(s, "/create_job", ctx, out),
        Some(Value::Object(o)) => {
            if let Some(Value::String(s)) = o.get("job") {
                check_job_reference(s, "/create_job/job", ctx, out);
            }
        }
        _ => {}
    }
}

fn check_job_reference(s: &str, ptr: &str, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if !is_local_path(s) {
        reference(s, RefKind::Job, ptr, out);
        return;
    }
    match load_referenced(ctx.tree, ctx.file, s) {
        Ok((_, job)) => {
            let kind = job.as_object().map(super::super::kind::detect);
            let ok = matches!(
                kind,
                Some(super::super::kind::Detected::Supported(
                    ManifestKind::CommandJob
                        | ManifestKind::PipelineJob
                        | ManifestKind::SweepJob
                        | ManifestKind::ParallelJob
                ))
            );
            if !ok {
                out.push(Finding::error(
                    ptr.into(),
                    codes::REFERENCED_FILE,
                    format!("`{s}` is not a job manifest"),
                ));
            }
        }
        Err(ReferenceError::Missing { path }) => out.push(Finding::error(
            ptr.into(),
            codes::PATH_MISSING,
            format!(
                "create_job `{s}` not found (looked for `{}`)",
                path.display()
            ),
        )),
        Err(e) => out.push(Finding::error(
            ptr.into(),
            codes::REFERENCED_FILE,
            format!("create_job: {e}"),
        )),
    }
}

fn reference(s: &str, kind: RefKind, ptr: &str, out: &mut Vec<Finding>) {
    if let Err(why) = check_reference(s, kind) {
        out.push(Finding::error(
            ptr.into(),
            codes::REFERENCE,
            format!("invalid reference `{s}`: {why}"),
        ));
    }
}

fn names(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

pub fn check_job(kind: ManifestKind, root: &Value, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(job) = root.as_object() else { return };
    common_fields(job, "", ctx, out);
    let scope = Scope {
        inputs: Some(names(job.get("inputs"))),
        outputs: Some(names(job.get("outputs"))),
        ..Scope::default()
    };
    data_inputs(job.get("inputs"), "/inputs", ctx, None, out);
    match kind {
        ManifestKind::CommandJob => bind_field(job, "command", "", &scope, out),
        ManifestKind::SweepJob => {
            if let Some(Value::Object(trial)) = job.get("trial") {
                common_fields(trial, "/trial", ctx, out);
                let scope = Scope {
                    search_space: Some(names(job.get("search_space"))),
                    ..scope
                };
                bind_field(trial, "command", "/trial", &scope, out);
            }
        }
        ManifestKind::ParallelJob => parallel_fields(job, "", ctx, &scope, out),
        ManifestKind::PipelineJob => pipeline(job, ctx, out),
        _ => {}
    }
}

/// `compute`, `environment`, `code` of a job, trial, step or parallel task.
fn common_fields(obj: &Map<String, Value>, ptr: &str, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some(Value::String(c)) = obj.get("compute") {
        reference(c, RefKind::Compute, &format!("{ptr}/compute"), out);
    }
    match obj.get("environment") {
        Some(Value::String(e)) => reference(e, RefKind::Asset, &format!("{ptr}/environment"), out),
        Some(Value::Object(env)) => {
            if let Some(Value::String(f)) = env.get("conda_file") {
                ctx.require_local(
                    f,
                    &format!("{ptr}/environment/conda_file"),
                    "conda_file",
                    out,
                );
            }
            if let Some(Value::String(p)) = env.get("build").and_then(|b| b.get("path")) {
                ctx.require_local(
                    p,
                    &format!("{ptr}/environment/build/path"),
                    "build path",
                    out,
                );
            }
        }
        _ => {}
    }
    if let Some(Value::String(c)) = obj.get("code") {
        let p = format!("{ptr}/code");
        reference(c, RefKind::Asset, &p, out);
        ctx.require_local(c, &p, "code", out);
    }
}

/// Input paths: local ones must exist, `azureml:` ones must parse, and inside a pipeline step
/// bindings must resolve against the pipeline.
fn data_inputs(
    inputs: Option<&Value>,
    ptr: &str,
    ctx: &Ctx<'_>,
    scope: Option<&Scope>,
    out: &mut Vec<Finding>,
) {
    let Some(Value::Object(inputs)) = inputs else {
        return;
    };
    for (name, input) in inputs {
        let p = push_token(ptr, name);
        let (path, p) = match input {
            Value::String(s) => (s.as_str(), p),
            Value::Object(o) => match o.get("path") {
                Some(Value::String(s)) => (s.as_str(), format!("{p}/path")),
                _ => continue,
            },
            _ => continue,
        };
        if let Some(scope) = scope {
            bind_text(path, &p, scope, out);
        }
        if input.is_object() {
            reference(path, RefKind::Asset, &p, out);
            ctx.require_local(path, &p, "input path", out);
        }
    }
}

fn bind_field(
    obj: &Map<String, Value>,
    key: &str,
    ptr: &str,
    scope: &Scope,
    out: &mut Vec<Finding>,
) {
    if let Some(Value::String(s)) = obj.get(key) {
        bind_text(s, &format!("{ptr}/{key}"), scope, out);
    }
}

fn bind_text(s: &str, ptr: &str, scope: &Scope, out: &mut Vec<Finding>) {
    for legacy in legacy_references(s) {
        let mut f = Finding::error(
            ptr.to_owned(),
            codes::LEGACY_BINDING,
            format!(
                "legacy reference `{legacy}`: az ml rewrites it to `${{{legacy}}}` with a warning"
            ),
        )
        .within(legacy.clone())
        .help("use the ${{...}} form");
        f.severity = super::super::diagnostic::Severity::Warning;
        out.push(f);
    }
    for expr in expressions(s) {
        if let Err(why) = resolve(&expr, scope) {
            out.push(
                Finding::error(
                    ptr.to_owned(),
                    codes::BINDING,
                    format!("`${{{{{expr}}}}}` does not resolve: {why}"),
                )
                .within(expr),
            );
        }
    }
}

fn parallel_fields(
    obj: &Map<String, Value>,
    ptr: &str,
    ctx: &Ctx<'_>,
    scope: &Scope,
    out: &mut Vec<Finding>,
) {
    if let Some(Value::Object(task)) = obj.get("task") {
        let tp = format!("{ptr}/task");
        common_fields(task, &tp, ctx, out);
        bind_field(task, "program_arguments", &tp, scope, out);
        bind_field(task, "append_row_to", &tp, scope, out);
    }
    bind_field(obj, "input_data", ptr, scope, out);
}

fn pipeline(job: &Map<String, Value>, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some(Value::String(c)) = job.pointer_str("/settings/default_compute") {
        reference(c, RefKind::Compute, "/settings/default_compute", out);
    }
    if let Some(Value::String(d)) = job.pointer_str("/settings/default_datastore") {
        reference(d, RefKind::Datastore, "/settings/default_datastore", out);
    }
    if let Some(Value::String(c)) = job.get("component") {
        reference(c, RefKind::Asset, "/component", out);
        ctx.require_local(c, "/component", "component", out);
    }
    let Some(Value::Object(steps)) = job.get("jobs") else {
        return;
    };
    let mut parent = ParentScope {
        inputs: names(job.get("inputs")),
        outputs: names(job.get("outputs")),
        jobs: BTreeMap::new(),
    };
    for (name, step) in steps {
        let declared = match step {
            Value::Object(s) if !s.contains_key("component") => Some(names(s.get("outputs"))),
            _ => None,
        };
        parent.jobs.insert(name.clone(), declared);
    }
    for (name, step) in steps {
        let Value::Object(step) = step else { continue };
        let ptr = push_token("/jobs", name);
        pipeline_step(step, &ptr, ctx, &parent, out);
    }
}

fn pipeline_step(
    step: &Map<String, Value>,
    ptr: &str,
    ctx: &Ctx<'_>,
    parent: &ParentScope,
    out: &mut Vec<Finding>,
) {
    let step_type = step
        .get("type")
        .and_then(Value::as_str)
        .map_or("command".to_owned(), str::to_ascii_lowercase);
    let component = step.get("component");
    if let Some(Value::String(c)) = component {
        let p = format!("{ptr}/component");
        reference(c, RefKind::Asset, &p, out);
        ctx.require_local(c, &p, "component", out);
    }
    // Bindings in a step's inputs/outputs refer to the pipeline.
    let outer = Scope {
        parent: Some(parent.clone()),
        ..Scope::default()
    };
    data_inputs(
        step.get("inputs"),
        &format!("{ptr}/inputs"),
        ctx,
        Some(&outer),
        out,
    );
    if let Some(Value::Object(outputs)) = step.get("outputs") {
        for (name, o) in outputs {
            let p = push_token(&format!("{ptr}/outputs"), name);
            match o {
                Value::String(s) => bind_text(s, &p, &outer, out),
                Value::Object(obj) => {
                    if let Some(Value::String(s)) = obj.get("path") {
                        bind_text(s, &format!("{p}/path"), &outer, out);
                    }
                }
                _ => {}
            }
        }
    }
    if !matches!(step_type.as_str(), "command" | "parallel" | "sweep") {
        return;
    }
    common_fields(step, ptr, ctx, out);
    // Inside the step, `${{inputs.x}}` refers to the step's own inputs; with a component the
    // component declares them, so they are only checked for inline steps.
    let inner = if component.is_some() {
        Scope {
            parent: Some(parent.clone()),
            ..Scope::default()
        }
    } else {
        Scope {
            inputs: Some(names(step.get("inputs"))),
            outputs: Some(names(step.get("outputs"))),
            parent: Some(parent.clone()),
            ..Scope::default()
        }
    };
    match step_type.as_str() {
        "command" => {
            if component.is_none() {
                for key in ["command", "environment"] {
                    if !step.contains_key(key) {
                        out.push(Finding::error(
                            ptr.to_owned(),
                            codes::NODE,
                            format!("command step without `component` needs `{key}`"),
                        ));
                    }
                }
            }
            bind_field(step, "command", ptr, &inner, out);
        }
        "parallel" => {
            if component.is_none() && !step.contains_key("task") {
                out.push(Finding::error(
                    ptr.to_owned(),
                    codes::NODE,
                    "parallel step without `component` needs `task`".into(),
                ));
            }
            parallel_fields(step, ptr, ctx, &inner, out);
        }
        _ => {
            if let Some(Value::Object(trial)) = step.get("trial") {
                common_fields(trial, &format!("{ptr}/trial"), ctx, out);
            }
        }
    }
}

trait PointerStr {
    fn pointer_str(&self, p: &str) -> Option<&Value>;
}

impl PointerStr for Map<String, Value> {
    fn pointer_str(&self, p: &str) -> Option<&Value> {
        let mut parts = p.trim_start_matches('/').splitn(2, '/');
        let first = self.get(parts.next()?)?;
        match parts.next() {
            Some(rest) => first.pointer(&format!("/{rest}")),
            None => Some(first),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;
    use crate::manifest::MemoryTree;

    fn run(kind: ManifestKind, v: Value, tree: &MemoryTree) -> Vec<(String, &'static str)> {
        let ctx = Ctx {
            tree,
            file: Path::new("jobs/job.yml"),
        };
        let mut out = Vec::new();
        if kind == ManifestKind::Schedule {
            check_schedule(&v, &ctx, &mut out);
        } else {
            check_job(kind, &v, &ctx, &mut out);
        }
        out.into_iter().map(|f| (f.pointer, f.code)).collect()
    }

    #[test]
    fn command_job_paths_refs_and_bindings() {
        let mut tree = MemoryTree::new();
        tree.insert("jobs/src/train.py", "print()");
        let job = json!({
            "command": "python train.py --x ${{inputs.x}} --y ${{inputs.y}} --o ${{outputs.model}}",
            "code": "./src", "environment": "azureml:env:", "compute": "azureml:cpu:1",
            "inputs": {"x": 1, "data": {"type": "uri_file", "path": "./data/missing.csv"}},
        });
        let got = run(ManifestKind::CommandJob, job, &tree);
        assert_eq!(
            got,
            vec![
                ("/compute".to_owned(), codes::REFERENCE),
                ("/environment".to_owned(), codes::REFERENCE),
                ("/inputs/data/path".to_owned(), codes::PATH_MISSING),
                ("/command".to_owned(), codes::BINDING),
                ("/command".to_owned(), codes::BINDING),
            ]
        );
    }

    #[test]
    fn pipeline_bindings_resolve_against_the_pipeline() {
        let tree = MemoryTree::new();
        let job = json!({
            "type": "pipeline",
            "inputs": {"raw": {"type": "uri_folder", "path": "azureml://datastores/workspaceblobstore/paths/raw"}},
            "outputs": {"final": {"type": "uri_folder"}},
            "jobs": {
                "prep": {"command": "prep ${{inputs.data}} ${{outputs.clean}}", "environment": "azureml:e:1",
                         "inputs": {"data": "${{parent.inputs.raw}}"}, "outputs": {"clean": {"type": "uri_folder"}}},
                "train": {"type": "command", "component": "azureml:train:1",
                          "inputs": {"d": "${{parent.jobs.prep.outputs.clean}}", "e": "${{parent.jobs.prep.outputs.dirty}}", "f": "${{parent.inputs.nope}}"},
                          "outputs": {"m": "${{parent.outputs.final}}"}},
                "score": {"type": "parallel", "inputs": {"x": "${{parent.jobs.ghost.outputs.y}}"}},
            }
        });
        let got = run(ManifestKind::PipelineJob, job, &tree);
        assert_eq!(
            got,
            vec![
                ("/jobs/train/inputs/e".to_owned(), codes::BINDING),
                ("/jobs/train/inputs/f".to_owned(), codes::BINDING),
                ("/jobs/score/inputs/x".to_owned(), codes::BINDING),
                ("/jobs/score".to_owned(), codes::NODE),
            ]
        );
    }

    #[test]
    fn schedule_create_job_must_be_a_job_file() {
        let mut tree = MemoryTree::new();
        tree.insert("jobs/train.yml", "command: x\nenvironment: azureml:e:1\n");
        tree.insert("jobs/cluster.yml", "type: amlcompute\nname: c\n");
        let ok = json!({"create_job": "./train.yml"});
        assert!(run(ManifestKind::Schedule, ok, &tree).is_empty());
        let missing = json!({"create_job": {"job": "./gone.yml", "type": "command"}});
        assert_eq!(
            run(ManifestKind::Schedule, missing, &tree),
            vec![("/create_job/job".to_owned(), codes::PATH_MISSING)]
        );
        let wrong = json!({"create_job": "./cluster.yml"});
        assert_eq!(
            run(ManifestKind::Schedule, wrong, &tree),
            vec![("/create_job".to_owned(), codes::REFERENCED_FILE)]
        );
        assert!(
            run(
                ManifestKind::Schedule,
                json!({"create_job": "azureml:existing_job"}),
                &tree
            )
            .is_empty()
        );
    }
}
