//! Parallel work: as a pipeline node, and standalone `type: parallel` manifests.
//!
//! The service runs parallel work only as a pipeline step, so a standalone parallel job is
//! submitted as a one-step pipeline job (`type_label: ParallelJob`): the job's `inputs` and
//! `outputs` become the pipeline's, the single node (named `parallel_node`) binds to them with
//! `${{parent.inputs.x}}` / `${{parent.outputs.y}}`, and `compute`, names, tags and the other
//! base fields stay on the pipeline (compute also on the node).
//!
//! A parallel node: `task` (`run_function`: `code`, `entry_script`, `program_arguments`,
//! `append_row_to`, `environment`) goes into an anonymous parallel component, together with
//! the inferred input/output types and the run settings; the node carries `componentId`,
//! `computeId`, `inputs`, `outputs`, `input_data`, `mini_batch_size` (a string like `"10kb"`
//! becomes a byte count, `"10"` a count, as the SDK sends it), `partition_keys` (as a JSON
//! string), `resources`, `max_concurrency_per_instance`, `error_threshold`,
//! `mini_batch_error_threshold`, `retry_settings`, `logging_level` (exactly DEBUG, INFO or
//! WARNING) and `environment_variables`.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::components::{node_component, register, resolve_code_and_env};
use super::hashing::canonical_json;
use super::io::{Style, inputs, outputs};
use super::job_common::base_fields;
use super::pipeline_job::{Scope, pipeline_io};
use super::refs::compute_id;
use super::value::{Obj, put};
use super::{Needs, TranslateError};

/// Name of the single node of a standalone parallel job.
pub const STANDALONE_NODE: &str = "parallel_node";

/// Fields of a parallel node that run it (copied to the component and the node).
const RUN_SETTINGS: [&str; 6] = [
    "input_data",
    "max_concurrency_per_instance",
    "error_threshold",
    "mini_batch_error_threshold",
    "retry_settings",
    "logging_level",
];

pub(crate) fn properties(
    root: &Obj,
    base_dir: &Path,
    needs: &mut Needs,
) -> Result<Map<String, Value>, TranslateError> {
    let cx = root.cx;
    let mut p = pipeline_io(root, base_dir, needs)?;
    // The node: the job itself, with its inputs and outputs bound to the pipeline's.
    let mut node_value = root.map.clone();
    for (key, prefix) in [("inputs", "inputs"), ("outputs", "outputs")] {
        if let Some(Value::Object(io)) = root.map.get(key) {
            let bound: Map<String, Value> = io
                .keys()
                .map(|k| (k.clone(), json!(format!("${{{{parent.{prefix}.{k}}}}}"))))
                .collect();
            node_value.insert(key.into(), Value::Object(bound));
        }
    }
    for key in [
        "name",
        "display_name",
        "description",
        "tags",
        "properties",
        "experiment_name",
        "identity",
        "services",
        "$schema",
    ] {
        node_value.remove(key);
    }
    let node_value = Value::Object(node_value);
    let node_obj = Obj::at(cx, &node_value, String::new())?;
    let scope = Scope::of(root.map);
    let n = node(&node_obj, STANDALONE_NODE, base_dir, &scope, needs, 0)?;
    p.insert("jobs".into(), json!({ STANDALONE_NODE: n }));
    p.insert("settings".into(), json!({ "_source": "YAML.JOB" }));
    base_fields(root, base_dir, &mut p, needs)?;
    Ok(p)
}

/// Translate a parallel pipeline node.
pub(crate) fn node(
    o: &Obj,
    name: &str,
    base_dir: &Path,
    scope: &Scope,
    needs: &mut Needs,
    depth: usize,
) -> Result<Value, TranslateError> {
    let cx = o.cx;
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    m.insert("type".into(), json!("parallel"));
    if let Some(level) = o.str("logging_level")?
        && !matches!(level, "DEBUG" | "INFO" | "WARNING")
    {
        return Err(o.invalid(
            "logging_level",
            format!("`{level}` is not DEBUG, INFO or WARNING (case-sensitive)"),
        ));
    }
    let source = if node_component(o, &mut m, base_dir, needs, depth)? {
        "YAML.COMPONENT"
    } else {
        let mut spec = Map::new();
        spec.insert("type".into(), json!("parallel"));
        let mut task = o.obj("task")?.map(|t| t.map.clone()).unwrap_or_default();
        resolve_code_and_env(&cx, &mut task, base_dir, &o.field("task"), needs)?;
        spec.insert("task".into(), Value::Object(task));
        let (ins, outs) = scope.io_defs(o);
        spec.insert("inputs".into(), Value::Object(ins));
        spec.insert("outputs".into(), Value::Object(outs));
        for key in RUN_SETTINGS
            .iter()
            .copied()
            .chain(["mini_batch_size", "partition_keys"])
        {
            if let Some(v) = o.raw(key) {
                spec.insert(key.into(), v.clone());
            }
        }
        spec.insert("is_deterministic".into(), json!(true));
        m.insert("componentId".into(), json!(register(&cx, spec, needs)));
        "YAML.JOB"
    };
    if let Some(c) = o.str("compute")? {
        put(&mut m, "computeId", compute_id(cx.ctx, c, needs));
    }
    put(
        &mut m,
        "inputs",
        inputs(&cx, o, base_dir, Style::Node, needs)?.filter(|i| !i.is_empty()),
    );
    put(
        &mut m,
        "outputs",
        outputs(&cx, o, Style::Node)?.filter(|o| !o.is_empty()),
    );
    for key in RUN_SETTINGS {
        if let Some(v) = o.raw(key) {
            m.insert(key.into(), v.clone());
        }
    }
    if let Some(size) = o.raw("mini_batch_size") {
        m.insert("mini_batch_size".into(), mini_batch_size(o, size)?);
    }
    if let Some(keys) = o.raw("partition_keys") {
        m.insert("partition_keys".into(), json!(canonical_json(keys)));
    }
    if let Some(r) = o.raw("resources") {
        m.insert("resources".into(), r.clone());
    }
    put(
        &mut m,
        "environment_variables",
        o.string_map("environment_variables")?,
    );
    for key in ["display_name", "description", "tags"] {
        if let Some(v) = o.raw(key) {
            m.insert(key.into(), v.clone());
        }
    }
    m.insert("_source".into(), json!(source));
    Ok(Value::Object(m))
}

/// `"10kb"` → 10240, `"1mb"` → 1048576, `"10"` → 10; bindings are kept as strings.
fn mini_batch_size(o: &Obj, v: &Value) -> Result<Value, TranslateError> {
    let bad = || {
        o.invalid(
            "mini_batch_size",
            "expected a count (\"10\") or a size (\"10kb\", \"1mb\", \"1gb\")",
        )
    };
    match v {
        Value::Number(_) => Ok(v.clone()),
        Value::String(s) if s.contains("${{") => Ok(v.clone()),
        Value::String(s) => {
            let t = s.trim().to_ascii_lowercase();
            let (digits, factor) = [("kb", 1u64 << 10), ("mb", 1 << 20), ("gb", 1 << 30)]
                .iter()
                .find_map(|(suffix, f)| t.strip_suffix(suffix).map(|d| (d.trim().to_owned(), *f)))
                .unwrap_or((t.clone(), 1));
            let n: u64 = digits.parse().map_err(|_| bad())?;
            n.checked_mul(factor).map(|b| json!(b)).ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}
