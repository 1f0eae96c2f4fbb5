//! Pipeline jobs (`type: pipeline`) → `jobType: Pipeline`, and the nodes of their `jobs`.
//!
//! Pipeline level: `inputs`/`outputs` (REST spelling), `compute` → `computeId`, `settings`
//! passed through in snake_case (as the SDK does; the service reads them untyped) with
//! `default_compute` → compute ARM id and `default_datastore` → datastore ARM id, plus
//! `_source: YAML.JOB`; a top-level `component:` (pipeline from a pipeline component) →
//! `componentId`.
//!
//! Nodes are the untyped dictionaries the SDK sends: `{name, type, componentId, computeId,
//! inputs, outputs, ..., _source}` with snake_case keys. Inline command nodes become
//! anonymous command components (command, code, environment, and input/output types inferred
//! from the node and from the pipeline inputs/outputs its bindings point at); `component:`
//! nodes refer to theirs. Parallel nodes: see `parallel_job`. Other node types (sweep,
//! spark, automl, pipeline, import, ...) are passed through with only `compute`,
//! `component`, `inputs` and `outputs` translated. `${{...}}` bindings are never touched.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::assets::{code_id, environment_id};
use super::components::{component_id, node_component, register, spec_ref};
use super::durations::iso_duration_from_seconds;
use super::io::{Style, inputs, outputs};
use super::job_common::{base_fields, distribution, identity, snake_keys};
use super::parallel_job;
use super::refs::{compute_id, datastore_id};
use super::value::{Obj, join, put};
use super::{Cx, Needs, TranslateError, TranslateErrorKind};

/// A pipeline job's `jobType` and its pipeline-level inputs and outputs (shared with the
/// standalone parallel job, which is submitted as a one-step pipeline).
pub(crate) fn pipeline_io(
    root: &Obj,
    base_dir: &Path,
    needs: &mut Needs,
) -> Result<Map<String, Value>, TranslateError> {
    let mut p = Map::new();
    p.insert("jobType".into(), json!("Pipeline"));
    put(
        &mut p,
        "inputs",
        inputs(&root.cx, root, base_dir, Style::Rest, needs)?,
    );
    put(&mut p, "outputs", outputs(&root.cx, root, Style::Rest)?);
    Ok(p)
}

pub(crate) fn properties(
    root: &Obj,
    base_dir: &Path,
    needs: &mut Needs,
) -> Result<Map<String, Value>, TranslateError> {
    let cx = root.cx;
    let mut p = pipeline_io(root, base_dir, needs)?;
    let scope = Scope::of(root.map);
    if let Some(jobs) = root.obj("jobs")? {
        let mut out = Map::new();
        for (name, n) in jobs.map {
            out.insert(
                name.clone(),
                node(
                    &cx,
                    name,
                    n,
                    &join(&jobs.path, name),
                    base_dir,
                    &scope,
                    needs,
                    0,
                )?,
            );
        }
        p.insert("jobs".into(), Value::Object(out));
    }
    if let Some(component) = root.raw("component") {
        p.insert(
            "componentId".into(),
            json!(component_id(
                &cx,
                component,
                base_dir,
                &root.field("component"),
                needs,
                0
            )?),
        );
    }
    p.insert("settings".into(), settings(root, needs)?);
    base_fields(root, base_dir, &mut p, needs)?;
    Ok(p)
}

fn settings(root: &Obj, needs: &mut Needs) -> Result<Value, TranslateError> {
    let mut m = Map::new();
    if let Some(s) = root.obj("settings")? {
        for (k, v) in s.map {
            let v = match (k.as_str(), v) {
                ("default_compute", Value::String(c)) => match compute_id(root.cx.ctx, c, needs) {
                    Some(id) => json!(id),
                    None => v.clone(),
                },
                ("default_datastore", Value::String(d)) => json!(datastore_id(root.cx.ctx, d)),
                _ => v.clone(),
            };
            m.insert(k.clone(), v);
        }
    }
    m.insert("_source".into(), json!("YAML.JOB"));
    Ok(Value::Object(m))
}

/// The pipeline (or pipeline component) a node lives in, for typing bindings.
pub(crate) struct Scope<'a> {
    inputs: Option<&'a Map<String, Value>>,
    outputs: Option<&'a Map<String, Value>>,
    jobs: Option<&'a Map<String, Value>>,
}

impl<'a> Scope<'a> {
    pub fn of(pipeline: &'a Map<String, Value>) -> Scope<'a> {
        let get = |k: &str| pipeline.get(k).and_then(Value::as_object);
        Scope {
            inputs: get("inputs"),
            outputs: get("outputs"),
            jobs: get("jobs"),
        }
    }

    /// The component input definition for a node input value.
    pub fn input_def(&self, v: &Value) -> Value {
        self.input_def_at(v, 0)
    }

    fn input_def_at(&self, v: &Value, depth: usize) -> Value {
        match v {
            Value::Bool(_) => json!({ "type": "boolean" }),
            Value::Number(n) if n.is_i64() || n.is_u64() => json!({ "type": "integer" }),
            Value::Number(_) => json!({ "type": "number" }),
            Value::String(s) => match binding(s).as_deref() {
                Some(["parent", "inputs", name]) if depth < 4 => {
                    match self.inputs.and_then(|i| i.get(*name)) {
                        Some(parent) => self.input_def_at(parent, depth + 1),
                        None => json!({ "type": "string" }),
                    }
                }
                Some(["parent", "jobs", job, "outputs", out]) => {
                    json!({ "type": self.job_output_type(job, out) })
                }
                _ => json!({ "type": "string" }),
            },
            Value::Object(o) if o.contains_key("path") || o.contains_key("type") => {
                let ty = o
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("uri_folder");
                match o
                    .get("path")
                    .and_then(Value::as_str)
                    .and_then(binding)
                    .as_deref()
                {
                    Some(["parent", "jobs", job, "outputs", out]) if !o.contains_key("type") => {
                        json!({ "type": self.job_output_type(job, out) })
                    }
                    _ => json!({ "type": ty }),
                }
            }
            Value::Object(o) => match o.get("value") {
                Some(inner) => self.input_def_at(inner, depth + 1),
                None => json!({ "type": "string" }),
            },
            _ => json!({ "type": "string" }),
        }
    }

    /// The component output definition for a node output value.
    pub fn output_def(&self, v: &Value) -> Value {
        let ty = match v {
            Value::Object(o) => o
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("uri_folder")
                .to_owned(),
            Value::String(s) => match binding(s).as_deref() {
                Some(["parent", "outputs", name]) => self
                    .outputs
                    .and_then(|o| o.get(*name))
                    .and_then(|o| o.get("type"))
                    .and_then(Value::as_str)
                    .unwrap_or("uri_folder")
                    .to_owned(),
                _ => "uri_folder".to_owned(),
            },
            _ => "uri_folder".to_owned(),
        };
        json!({ "type": ty })
    }

    fn job_output_type(&self, job: &str, out: &str) -> String {
        self.jobs
            .and_then(|j| j.get(job))
            .and_then(|j| j.get("outputs"))
            .and_then(|o| o.get(out))
            .and_then(|o| o.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("uri_folder")
            .to_owned()
    }

    /// Component `inputs`/`outputs` inferred from a node's.
    pub fn io_defs(&self, node: &Obj) -> (Map<String, Value>, Map<String, Value>) {
        let defs = |key: &str, f: &dyn Fn(&Value) -> Value| -> Map<String, Value> {
            node.raw(key)
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), f(v))).collect())
                .unwrap_or_default()
        };
        (
            defs("inputs", &|v| self.input_def(v)),
            defs("outputs", &|v| self.output_def(v)),
        )
    }
}

/// The dotted segments of a whole-string `${{ a.b.c }}` binding.
fn binding(s: &str) -> Option<Vec<&str>> {
    let inner = s.trim().strip_prefix("${{")?.strip_suffix("}}")?.trim();
    if inner.contains("${{") {
        return None;
    }
    Some(inner.split('.').map(str::trim).collect())
}

/// Translate one pipeline node.
#[allow(clippy::too_many_arguments)]
pub(crate) fn node(
    cx: &Cx,
    name: &str,
    v: &Value,
    field: &str,
    base_dir: &Path,
    scope: &Scope,
    needs: &mut Needs,
    depth: usize,
) -> Result<Value, TranslateError> {
    let o = Obj::at(*cx, v, field.to_owned())?;
    let ty = o.str("type")?.map(str::to_ascii_lowercase);
    match ty.as_deref() {
        None | Some("command") => command_node(&o, name, base_dir, scope, needs, depth),
        Some("parallel") => parallel_job::node(&o, name, base_dir, scope, needs, depth),
        Some(_) => generic_node(&o, name, base_dir, needs, depth),
    }
}

/// Fields every node shares: `name`, `computeId`, `inputs`, `outputs`, `_source`.
fn common(
    o: &Obj,
    name: &str,
    base_dir: &Path,
    needs: &mut Needs,
) -> Result<Map<String, Value>, TranslateError> {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if let Some(c) = o.str("compute")? {
        put(&mut m, "computeId", compute_id(o.cx.ctx, c, needs));
    }
    put(
        &mut m,
        "inputs",
        inputs(&o.cx, o, base_dir, Style::Node, needs)?.filter(|i| !i.is_empty()),
    );
    put(
        &mut m,
        "outputs",
        outputs(&o.cx, o, Style::Node)?.filter(|o| !o.is_empty()),
    );
    for key in ["display_name", "description", "tags", "properties"] {
        if let Some(v) = o.raw(key) {
            m.insert(key.into(), v.clone());
        }
    }
    Ok(m)
}

fn command_node(
    o: &Obj,
    name: &str,
    base_dir: &Path,
    scope: &Scope,
    needs: &mut Needs,
    depth: usize,
) -> Result<Value, TranslateError> {
    let cx = o.cx;
    let mut m = common(o, name, base_dir, needs)?;
    m.insert("type".into(), json!("command"));
    let source = if node_component(o, &mut m, base_dir, needs, depth)? {
        "YAML.COMPONENT"
    } else {
        let mut spec = Map::new();
        spec.insert("type".into(), json!("command"));
        spec.insert("command".into(), json!(o.req_str("command")?));
        if let Some(code) = o.str("code")? {
            spec.insert(
                "code".into(),
                spec_ref(code_id(&cx, code, base_dir, &o.field("code"), needs)?),
            );
        }
        let env = o
            .raw("environment")
            .ok_or_else(|| cx.err(o.field("environment"), TranslateErrorKind::Missing))?;
        spec.insert(
            "environment".into(),
            spec_ref(environment_id(
                &cx,
                env,
                base_dir,
                &o.field("environment"),
                needs,
            )?),
        );
        let (ins, outs) = scope.io_defs(o);
        spec.insert("inputs".into(), Value::Object(ins));
        spec.insert("outputs".into(), Value::Object(outs));
        spec.insert("is_deterministic".into(), json!(true));
        m.insert("componentId".into(), json!(register(&cx, spec, needs)));
        "YAML.JOB"
    };
    put(
        &mut m,
        "environment_variables",
        o.string_map("environment_variables")?,
    );
    put(&mut m, "distribution", distribution(o)?);
    put(&mut m, "identity", identity(o)?.map(snake_keys));
    if let Some(r) = o.raw("resources") {
        m.insert("resources".into(), r.clone());
    }
    if let Some(l) = o.obj("limits")? {
        let mut lm = Map::new();
        lm.insert("job_limits_type".into(), json!("Command"));
        put(
            &mut lm,
            "timeout",
            l.int("timeout")?.map(iso_duration_from_seconds),
        );
        m.insert("limits".into(), Value::Object(lm));
    }
    m.insert("_source".into(), json!(source));
    Ok(Value::Object(m))
}

/// Node types amlctl does not model field by field: passed through in snake_case.
fn generic_node(
    o: &Obj,
    name: &str,
    base_dir: &Path,
    needs: &mut Needs,
    depth: usize,
) -> Result<Value, TranslateError> {
    let cx = o.cx;
    let mut m = Map::new();
    for (k, v) in o.map {
        if !matches!(k.as_str(), "compute" | "component" | "inputs" | "outputs") && !v.is_null() {
            m.insert(k.clone(), v.clone());
        }
    }
    m.extend(common(o, name, base_dir, needs)?);
    if let Some(component) = o.raw("component") {
        m.insert(
            "componentId".into(),
            json!(component_id(
                &cx,
                component,
                base_dir,
                &o.field("component"),
                needs,
                depth
            )?),
        );
    }
    m.insert("_source".into(), json!("YAML.JOB"));
    Ok(Value::Object(m))
}
