//! Components referenced by pipeline nodes.
//!
//! * `component: azureml:name:version`, `azureml:name@label`, registry URIs → the reference
//!   (see `refs`).
//! * `component: ./file.yml` (or an inline mapping) → an anonymous component: its spec (the
//!   component YAML with `$schema` dropped and `code`/`environment` resolved to `azureml:`
//!   ARM ids, nested pipeline `jobs` translated like a pipeline's) is registered as
//!   `azureml_anonymous` with a version that is the UUID form of the spec's hash.
//! * inline `command`/`parallel` nodes get the same treatment from a spec built out of the
//!   node (see `pipeline_job` and `parallel_job`).

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::model::Asset;

use super::assets::{ANONYMOUS_COMPONENT, code_id, environment_id, resolve_path};
use super::hashing::{hash_value, uuid_from_hash};
use super::pipeline_job::{Scope, node};
use super::refs::{asset_id, is_remote};
use super::value::{Obj, join};
use super::{Cx, Needs, TranslateError, TranslateErrorKind};

/// Nested pipeline components deeper than this are refused (a component including itself).
pub(crate) const MAX_DEPTH: usize = 8;

/// The `componentId` for a node's `component:`.
/// A pipeline node's `component:` (a local file, `azureml:` or registry reference), if it has
/// one, as the node's `componentId`. Returns whether it had one.
pub(crate) fn node_component(
    o: &Obj,
    node: &mut Map<String, Value>,
    base_dir: &Path,
    needs: &mut Needs,
    depth: usize,
) -> Result<bool, TranslateError> {
    let Some(component) = o.raw("component") else {
        return Ok(false);
    };
    let id = component_id(
        &o.cx,
        component,
        base_dir,
        &o.field("component"),
        needs,
        depth,
    )?;
    node.insert("componentId".into(), Value::String(id));
    Ok(true)
}

pub(crate) fn component_id(
    cx: &Cx,
    v: &Value,
    base_dir: &Path,
    field: &str,
    needs: &mut Needs,
    depth: usize,
) -> Result<String, TranslateError> {
    match v {
        Value::String(s) if is_remote(s) => Ok(asset_id(cx.ctx, s, "components")),
        Value::String(path) => {
            let file = resolve_path(base_dir, path);
            let comp = cx.resolver.load_yaml_as_json(&file).map_err(|message| {
                cx.err(
                    field,
                    TranslateErrorKind::Reference {
                        what: "component file",
                        path: file.clone(),
                        message,
                    },
                )
            })?;
            let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
            let spec = spec_from_yaml(cx, &comp, &dir, field, needs, depth)?;
            Ok(register(cx, spec, needs))
        }
        Value::Object(_) => {
            let spec = spec_from_yaml(cx, v, base_dir, field, needs, depth)?;
            Ok(register(cx, spec, needs))
        }
        _ => Err(cx.invalid(
            field,
            "expected a component reference, a component file or a mapping",
        )),
    }
}

/// How a resolved ARM id is written inside a component spec (`azureml:/subscriptions/...`).
pub(crate) fn spec_ref(id: String) -> Value {
    if id.starts_with('/') {
        json!(format!("azureml:{id}"))
    } else {
        json!(id)
    }
}

/// Register an anonymous component with this spec; returns its ARM id.
pub(crate) fn register(cx: &Cx, mut spec: Map<String, Value>, needs: &mut Needs) -> String {
    spec.remove("name");
    spec.remove("version");
    let version = uuid_from_hash(&hash_value(&Value::Object(spec.clone())));
    spec.insert("name".into(), json!(ANONYMOUS_COMPONENT));
    spec.insert("version".into(), json!(version));
    let arm_id = format!(
        "{}/components/{ANONYMOUS_COMPONENT}/versions/{version}",
        cx.ctx.workspace_id()
    );
    needs.asset(Asset::Component {
        arm_id: arm_id.clone(),
        body: json!({ "properties": { "componentSpec": spec, "isAnonymous": true } }),
    });
    arm_id
}

fn spec_from_yaml(
    cx: &Cx,
    comp: &Value,
    base_dir: &Path,
    field: &str,
    needs: &mut Needs,
    depth: usize,
) -> Result<Map<String, Value>, TranslateError> {
    if depth >= MAX_DEPTH {
        return Err(cx.invalid(
            field,
            format!("components are nested more than {MAX_DEPTH} deep"),
        ));
    }
    let Value::Object(map) = comp else {
        return Err(cx.invalid(field, "a component must be a mapping"));
    };
    let mut spec = map.clone();
    spec.remove("$schema");
    if let (Some(name), false) = (map.get("name").cloned(), map.contains_key("display_name")) {
        spec.insert("display_name".into(), name);
    }
    let ty = map
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("command")
        .to_ascii_lowercase();
    spec.insert("type".into(), json!(ty));
    resolve_code_and_env(cx, &mut spec, base_dir, field, needs)?;
    if ty == "parallel"
        && let Some(Value::Object(task)) = spec.get_mut("task")
    {
        resolve_code_and_env(cx, task, base_dir, &join(field, "task"), needs)?;
    }
    if ty == "pipeline"
        && let Some(Value::Object(jobs)) = map.get("jobs")
    {
        let scope = Scope::of(map);
        let mut out = Map::new();
        for (name, n) in jobs {
            out.insert(
                name.clone(),
                node(
                    cx,
                    name,
                    n,
                    &join(field, &format!("jobs.{name}")),
                    base_dir,
                    &scope,
                    needs,
                    depth + 1,
                )?,
            );
        }
        spec.insert("jobs".into(), Value::Object(out));
    }
    Ok(spec)
}

/// Resolve `code` and `environment` of a component (or parallel task) in place.
pub(crate) fn resolve_code_and_env(
    cx: &Cx,
    spec: &mut Map<String, Value>,
    base_dir: &Path,
    field: &str,
    needs: &mut Needs,
) -> Result<(), TranslateError> {
    if let Some(Value::String(code)) = spec.get("code").cloned() {
        let id = code_id(cx, &code, base_dir, &join(field, "code"), needs)?;
        spec.insert("code".into(), spec_ref(id));
    }
    if let Some(env) = spec.get("environment").cloned().filter(|e| !e.is_null()) {
        let id = environment_id(cx, &env, base_dir, &join(field, "environment"), needs)?;
        spec.insert("environment".into(), spec_ref(id));
    }
    Ok(())
}
