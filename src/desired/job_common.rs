//! What all jobs share: the kind from `type:`, the base fields of every job body, the
//! command parts (command, code, environment, resources, distribution), and the wrapping into
//! a [`Translated`] with its (explicit or derived) name.
//!
//! Base fields: `display_name` → `displayName`, `experiment_name` → `experimentName`
//! (default: the manifest's folder name, which is what `az ml job create` uses when run from
//! that folder), `description`, `tags`, `properties`, `compute` → `computeId`, `identity` →
//! `{identityType: AMLToken|Managed|UserIdentity, clientId, objectId, resourceId}`,
//! `services` → `{jobServiceType: JupyterLab|SSH|TensorBoard|VSCode, port, nodes:
//! {nodesValueType: All}, properties}`, `parent_job_name`, `queue_settings` →
//! `{jobTier, priority: 1|2|3}`.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::model::ManifestKind;

use super::assets::{code_id, environment_id};
use super::casing::{
    DISTRIBUTION_TYPES, JOB_IDENTITY_TYPES, JOB_SERVICE_TYPES, JOB_TIERS, camel, lookup,
};
use super::durations::iso_duration_from_seconds;
use super::naming::derived_job_name;
use super::refs::compute_id;
use super::value::{Obj, join, put};
use super::{Cx, Needs, TranslateError, TranslateErrorKind, Translated};
use super::{command_job, parallel_job, pipeline_job, sweep_job};

/// Translate a job manifest into its resource.
pub(crate) fn translate_job(
    cx: &Cx,
    kind: ManifestKind,
    value: &Value,
    base_dir: &Path,
) -> Result<Translated, TranslateError> {
    let root = Obj::root(*cx, value)?;
    let mut needs = Needs::default();
    let props = job_properties(cx, kind, value, base_dir, &mut needs)?;
    let body = json!({ "properties": props });
    let name = match root.str("name")? {
        Some(n) => n.to_owned(),
        None => derived_job_name(&cx.source.file, &body),
    };
    let type_label = match kind {
        ManifestKind::PipelineJob => "PipelineJob",
        ManifestKind::SweepJob => "SweepJob",
        ManifestKind::ParallelJob => "ParallelJob",
        _ => "CommandJob",
    };
    Ok(Translated {
        name,
        type_label,
        body,
        secret_paths: Vec::new(),
        depends_on: needs.depends_on,
        assets: needs.assets,
    })
}

/// The REST `properties` of a job (what a schedule embeds as `jobDefinition`).
pub(crate) fn job_properties(
    cx: &Cx,
    kind: ManifestKind,
    value: &Value,
    base_dir: &Path,
    needs: &mut Needs,
) -> Result<Map<String, Value>, TranslateError> {
    let root = Obj::root(*cx, value)?;
    match kind {
        ManifestKind::CommandJob => command_job::properties(&root, base_dir, needs),
        ManifestKind::SweepJob => sweep_job::properties(&root, base_dir, needs),
        ManifestKind::PipelineJob => pipeline_job::properties(&root, base_dir, needs),
        ManifestKind::ParallelJob => parallel_job::properties(&root, base_dir, needs),
        other => Err(cx.invalid("type", format!("{other:?} is not a job"))),
    }
}

/// The job kind of a job file loaded by reference (a schedule's `create_job`).
pub(crate) fn job_kind(
    cx: &Cx,
    value: &Value,
    field: &str,
) -> Result<ManifestKind, TranslateError> {
    match value
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("command") => Ok(ManifestKind::CommandJob),
        Some("pipeline") => Ok(ManifestKind::PipelineJob),
        Some("sweep") => Ok(ManifestKind::SweepJob),
        Some("parallel") => Ok(ManifestKind::ParallelJob),
        Some(other) => Err(cx.err(
            field,
            TranslateErrorKind::Unsupported {
                what: format!("a `{other}` job"),
            },
        )),
    }
}

/// Fields every job body has.
pub(crate) fn base_fields(
    root: &Obj,
    base_dir: &Path,
    p: &mut Map<String, Value>,
    needs: &mut Needs,
) -> Result<(), TranslateError> {
    put(p, "displayName", root.str("display_name")?);
    put(p, "description", root.str("description")?);
    put(p, "tags", root.string_map("tags")?);
    put(p, "properties", root.string_map("properties")?);
    let experiment = match root.str("experiment_name")? {
        Some(e) => e.to_owned(),
        None => base_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "Default".to_owned()),
    };
    p.insert("experimentName".into(), json!(experiment));
    if let Some(compute) = root.str("compute")? {
        put(p, "computeId", compute_id(root.cx.ctx, compute, needs));
    }
    put(p, "identity", identity(root)?);
    put(p, "services", services(root)?);
    put(p, "parentJobName", root.str("parent_job_name")?);
    put(p, "queueSettings", queue_settings(root)?);
    Ok(())
}

/// `identity` in REST spelling; [`snake_keys`] gives the pipeline node one.
pub(crate) fn identity(root: &Obj) -> Result<Option<Value>, TranslateError> {
    let Some(id) = root.obj("identity")? else {
        return Ok(None);
    };
    let ty = id.req_str("type")?;
    let rest = lookup(ty, JOB_IDENTITY_TYPES)
        .ok_or_else(|| id.invalid("type", format!("unknown identity type `{ty}`")))?;
    let mut m = Map::new();
    m.insert("identityType".into(), json!(rest));
    put(&mut m, "clientId", id.str("client_id")?);
    put(&mut m, "objectId", id.str("object_id")?);
    put(&mut m, "resourceId", id.str("msi_resource_id")?);
    Ok(Some(Value::Object(m)))
}

fn services(root: &Obj) -> Result<Option<Value>, TranslateError> {
    let Some(services) = root.obj("services")? else {
        return Ok(None);
    };
    let mut out = Map::new();
    for (name, v) in services.map {
        let s = Obj::at(root.cx, v, join(&services.path, name))?;
        let mut m = Map::new();
        if let Some(ty) = s.str("type")? {
            m.insert(
                "jobServiceType".into(),
                json!(
                    lookup(ty, JOB_SERVICE_TYPES)
                        .map(str::to_owned)
                        .unwrap_or_else(|| ty.to_owned())
                ),
            );
        }
        put(&mut m, "port", s.int("port")?);
        put(&mut m, "endpoint", s.str("endpoint")?);
        match s.str("nodes")? {
            None => {}
            Some(n) if n.eq_ignore_ascii_case("all") => {
                m.insert("nodes".into(), json!({ "nodesValueType": "All" }));
            }
            Some(n) => return Err(s.invalid("nodes", format!("`{n}` is not `all`"))),
        }
        let mut props = s.string_map("properties")?.unwrap_or_default();
        put(&mut props, "logDir", s.str("log_dir")?);
        put(&mut props, "sshPublicKeys", s.str("ssh_public_keys")?);
        if !props.is_empty() {
            m.insert("properties".into(), Value::Object(props));
        }
        out.insert(name.clone(), Value::Object(m));
    }
    Ok(Some(Value::Object(out)))
}

fn queue_settings(root: &Obj) -> Result<Option<Value>, TranslateError> {
    let Some(q) = root.obj("queue_settings")? else {
        return Ok(None);
    };
    let mut m = Map::new();
    if let Some(tier) = q.str("job_tier")? {
        let rest = lookup(tier, JOB_TIERS)
            .ok_or_else(|| q.invalid("job_tier", format!("unknown job tier `{tier}`")))?;
        m.insert("jobTier".into(), json!(rest));
    }
    if let Some(priority) = q.str("priority")? {
        let n = match priority.to_ascii_lowercase().as_str() {
            "low" => 1,
            "medium" => 2,
            "high" => 3,
            _ => {
                return Err(q.invalid(
                    "priority",
                    format!("`{priority}` is not low, medium or high"),
                ));
            }
        };
        m.insert("priority".into(), json!(n));
    }
    Ok(Some(Value::Object(m)))
}

/// The parts of a command (job, sweep trial): `command`, `codeId`, `environmentId`,
/// `environmentVariables`, `distribution`, `resources` in REST spelling.
pub(crate) fn command_parts(
    o: &Obj,
    base_dir: &Path,
    needs: &mut Needs,
) -> Result<Map<String, Value>, TranslateError> {
    let mut p = Map::new();
    p.insert("command".into(), json!(o.req_str("command")?));
    if let Some(code) = o.str("code")? {
        p.insert(
            "codeId".into(),
            json!(code_id(&o.cx, code, base_dir, &o.field("code"), needs)?),
        );
    }
    let env = o.raw("environment").ok_or_else(|| {
        o.cx.err(o.field("environment"), TranslateErrorKind::Missing)
    })?;
    p.insert(
        "environmentId".into(),
        json!(environment_id(
            &o.cx,
            env,
            base_dir,
            &o.field("environment"),
            needs
        )?),
    );
    put(
        &mut p,
        "environmentVariables",
        o.string_map("environment_variables")?,
    );
    put(&mut p, "distribution", distribution(o)?.map(camel_keys));
    put(&mut p, "resources", resources(o)?);
    Ok(p)
}

/// `distribution` in the node (snake_case) spelling; [`camel_keys`] gives the REST one.
pub(crate) fn distribution(o: &Obj) -> Result<Option<Value>, TranslateError> {
    let Some(d) = o.obj("distribution")? else {
        return Ok(None);
    };
    let ty = d.req_str("type")?;
    let rest = lookup(ty, DISTRIBUTION_TYPES)
        .ok_or_else(|| d.invalid("type", format!("unknown distribution type `{ty}`")))?;
    let mut m = Map::new();
    m.insert("distribution_type".into(), json!(rest));
    for (k, v) in d.map {
        if k != "type" && !v.is_null() {
            m.insert(k.clone(), v.clone());
        }
    }
    Ok(Some(Value::Object(m)))
}

/// `resources` in REST spelling: `instance_count` → `instanceCount`, `docker_args` →
/// `dockerArgs` (a string) or `dockerArgsList` (a list), other keys camelCased.
pub(crate) fn resources(o: &Obj) -> Result<Option<Value>, TranslateError> {
    let Some(r) = o.obj("resources")? else {
        return Ok(None);
    };
    let mut m = Map::new();
    for (k, v) in r.map {
        if v.is_null() {
            continue;
        }
        let key = match (k.as_str(), v) {
            ("docker_args", Value::Array(_)) => "dockerArgsList".to_owned(),
            ("properties", _) => "properties".to_owned(),
            _ => camel(k),
        };
        m.insert(key, v.clone());
    }
    Ok(Some(Value::Object(m)))
}

/// `limits.timeout` (seconds) of a command → `{jobLimitsType: Command, timeout: "PT..."}`.
pub(crate) fn command_limits(o: &Obj) -> Result<Option<Map<String, Value>>, TranslateError> {
    let Some(l) = o.obj("limits")? else {
        return Ok(None);
    };
    let mut m = Map::new();
    m.insert("jobLimitsType".into(), json!("Command"));
    put(
        &mut m,
        "timeout",
        l.int("timeout")?.map(iso_duration_from_seconds),
    );
    Ok(Some(m))
}

/// snake_case the keys of an object (one level): `identityType` → `identity_type`.
pub(crate) fn snake_keys(v: Value) -> Value {
    let snake = |k: &str| {
        let mut out = String::new();
        for c in k.chars() {
            if c.is_ascii_uppercase() {
                out.push('_');
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    };
    match v {
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (snake(&k), v)).collect()),
        other => other,
    }
}

/// camelCase the keys of an object (one level).
pub(crate) fn camel_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (camel(&k), v)).collect()),
        other => other,
    }
}
