//! `type: computeinstance` → `computeType: ComputeInstance`.
//!
//! Mirrors the Python SDK's body, including its defaults (`enableNodePublicIp: true`,
//! `enableSSO: true`, `enableRootAccess: true`, `releaseQuotaOnStop: false`,
//! `enableOSPatching: false`, `applicationSharingPolicy: Shared` or `Personal` when created on
//! behalf of a user, `computeInstanceAuthorizationType: personal`, `disableLocalAuth: true`).
//! `idle_time_before_shutdown_minutes: 30` → `idleTimeBeforeShutdown: PT30M`.
//! Start/stop schedules use the compute trigger shape: `{status, action, triggerType,
//! cron: {...}}` or `{..., triggerType: Recurrence, recurrence: {...}}`.

use serde_json::{Map, Value, json};

use super::compute_common::{Envelope, enabled, subnet};
use super::durations::{is_iso_duration, iso_duration_from_minutes};
use super::schedule::{Interval, trigger_fields};
use super::value::{Obj, join, put};
use super::{Cx, TranslateError, Translated};

pub(crate) fn translate(cx: &Cx, value: &Value) -> Result<Translated, TranslateError> {
    let root = Obj::root(*cx, value)?;
    let name = root.req_str("name")?.to_owned();
    let mut p = Map::new();
    put(&mut p, "vmSize", root.str("size")?);
    put(&mut p, "subnet", subnet(&root)?);
    let on_behalf = root.obj("create_on_behalf_of")?;
    p.insert(
        "applicationSharingPolicy".into(),
        json!(if on_behalf.is_some() {
            "Personal"
        } else {
            "Shared"
        }),
    );
    p.insert("computeInstanceAuthorizationType".into(), json!("personal"));
    if let Some(user) = &on_behalf {
        p.insert(
            "personalComputeInstanceSettings".into(),
            json!({ "assignedUser": {
                "objectId": user.req_str("user_object_id")?,
                "tenantId": user.req_str("user_tenant_id")?,
            }}),
        );
    }
    let ssh = root.obj("ssh_settings")?;
    let public_access = root.bool("ssh_public_access_enabled")?;
    if public_access.is_some() || ssh.is_some() {
        let mut s = Map::new();
        s.insert(
            "sshPublicAccess".into(),
            json!(enabled(public_access.unwrap_or(false))),
        );
        if let Some(ssh) = &ssh {
            put(&mut s, "adminPublicKey", ssh.str("ssh_key_value")?);
        }
        p.insert("sshSettings".into(), Value::Object(s));
    }
    if let Some(minutes) = root.int("idle_time_before_shutdown_minutes")? {
        p.insert(
            "idleTimeBeforeShutdown".into(),
            json!(iso_duration_from_minutes(minutes)),
        );
    } else if let Some(iso) = root.str("idle_time_before_shutdown")? {
        if !is_iso_duration(iso) {
            return Err(root.invalid(
                "idle_time_before_shutdown",
                format!("`{iso}` is not an ISO-8601 duration"),
            ));
        }
        p.insert("idleTimeBeforeShutdown".into(), json!(iso));
    }
    p.insert(
        "enableNodePublicIp".into(),
        json!(root.bool("enable_node_public_ip")?.unwrap_or(true)),
    );
    p.insert(
        "enableSSO".into(),
        json!(root.bool("enable_sso")?.unwrap_or(true)),
    );
    p.insert(
        "enableRootAccess".into(),
        json!(root.bool("enable_root_access")?.unwrap_or(true)),
    );
    p.insert(
        "releaseQuotaOnStop".into(),
        json!(root.bool("release_quota_on_stop")?.unwrap_or(false)),
    );
    p.insert(
        "enableOSPatching".into(),
        json!(root.bool("enable_os_patching")?.unwrap_or(false)),
    );
    if let Some(scripts) = setup_scripts(&root)? {
        p.insert("setupScripts".into(), scripts);
    }
    if let Some(apps) = custom_applications(&root)? {
        p.insert("customServices".into(), apps);
    }
    if let Some(schedules) = schedules(&root)? {
        p.insert("schedules".into(), schedules);
    }
    let mut outer = Map::new();
    outer.insert("disableLocalAuth".into(), json!(true));
    let body = Envelope {
        compute_type: "ComputeInstance",
        own_location: false,
        root: &root,
    }
    .body(p, outer)?;
    Ok(Translated {
        name,
        type_label: "ComputeInstance",
        body,
        secret_paths: Vec::new(),
        depends_on: Default::default(),
        assets: Vec::new(),
    })
}

/// `schedules.compute_start_stop` → `{computeStartStop: [...]}`.
fn schedules(root: &Obj) -> Result<Option<Value>, TranslateError> {
    let Some(s) = root.obj("schedules")? else {
        return Ok(None);
    };
    let Some(list) = s.raw("compute_start_stop") else {
        return Ok(None);
    };
    let items = list
        .as_array()
        .ok_or_else(|| s.invalid("compute_start_stop", "expected a list"))?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let o = Obj::at(
            root.cx,
            item,
            join(&s.field("compute_start_stop"), &i.to_string()),
        )?;
        let action = o.req_str("action")?;
        let action = match action.to_ascii_lowercase().as_str() {
            "start" => "Start",
            "stop" => "Stop",
            _ => return Err(o.invalid("action", format!("`{action}` is not start or stop"))),
        };
        let status = match o.str("state")?.map(str::to_ascii_lowercase).as_deref() {
            None | Some("enabled") => "Enabled",
            Some("disabled") => "Disabled",
            Some(other) => {
                return Err(o.invalid("state", format!("`{other}` is not enabled or disabled")));
            }
        };
        let trigger = o.obj("trigger")?.ok_or_else(|| {
            o.cx.err(o.field("trigger"), super::TranslateErrorKind::Missing)
        })?;
        let (trigger_type, mut fields) = trigger_fields(&trigger, Interval::Optional)?;
        fields.remove("endTime");
        let mut m = Map::new();
        m.insert("status".into(), json!(status));
        m.insert("action".into(), json!(action));
        m.insert("triggerType".into(), json!(trigger_type));
        let key = if trigger_type == "Cron" {
            "cron"
        } else {
            "recurrence"
        };
        m.insert(key.into(), Value::Object(fields));
        out.push(Value::Object(m));
    }
    Ok(Some(json!({ "computeStartStop": out })))
}

/// `setup_scripts.{creation,startup}_script` → `{scripts: {creationScript, startupScript}}`.
fn setup_scripts(root: &Obj) -> Result<Option<Value>, TranslateError> {
    let Some(s) = root.obj("setup_scripts")? else {
        return Ok(None);
    };
    let mut scripts = Map::new();
    for (yaml, rest) in [
        ("creation_script", "creationScript"),
        ("startup_script", "startupScript"),
    ] {
        let Some(o) = s.obj(yaml)? else { continue };
        let mut m = Map::new();
        let (source, data) = match (o.str("path")?, o.str("command")?) {
            (Some(path), _) => ("workspaceStorage", path),
            (None, Some(cmd)) => ("inline", cmd),
            (None, None) => {
                return Err(o.invalid("path", "a setup script needs `path` or `command`"));
            }
        };
        m.insert("scriptSource".into(), json!(source));
        m.insert("scriptData".into(), json!(data));
        put(&mut m, "scriptArguments", o.str("script_arguments")?);
        if let Some(t) = o.int("timeout_minutes")? {
            m.insert("timeout".into(), json!(format!("{t}m")));
        }
        scripts.insert(rest.into(), Value::Object(m));
    }
    Ok(Some(json!({ "scripts": scripts })))
}

/// `custom_applications` → `customServices`.
fn custom_applications(root: &Obj) -> Result<Option<Value>, TranslateError> {
    let Some(list) = root.raw("custom_applications") else {
        return Ok(None);
    };
    let items = list
        .as_array()
        .ok_or_else(|| root.invalid("custom_applications", "expected a list"))?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let o = Obj::at(root.cx, item, join("custom_applications", &i.to_string()))?;
        let mut m = Map::new();
        m.insert("name".into(), json!(o.req_str("name")?));
        if let Some(image) = o.obj("image")? {
            let ty = o.str("type")?.unwrap_or("docker");
            m.insert("image".into(), json!({ "type": ty.to_ascii_lowercase(), "reference": image.req_str("reference")? }));
        }
        if let Some(eps) = o.raw("endpoints") {
            let eps = eps
                .as_array()
                .ok_or_else(|| o.invalid("endpoints", "expected a list"))?;
            let mut list = Vec::new();
            for (j, ep) in eps.iter().enumerate() {
                let e = Obj::at(root.cx, ep, join(&o.field("endpoints"), &j.to_string()))?;
                let mut em = Map::new();
                put(&mut em, "name", e.str("name")?);
                put(&mut em, "target", e.int("target")?);
                put(&mut em, "published", e.int("published")?);
                em.insert(
                    "protocol".into(),
                    json!(e.str("protocol")?.unwrap_or("http")),
                );
                list.push(Value::Object(em));
            }
            m.insert("endpoints".into(), Value::Array(list));
        }
        if let Some(vars) = o.string_map("environment_variables")? {
            let vars: Map<String, Value> = vars
                .into_iter()
                .map(|(k, v)| (k, json!({ "type": "local", "value": v })))
                .collect();
            m.insert("environmentVariables".into(), Value::Object(vars));
        }
        if let Some(mounts) = o.raw("bind_mounts") {
            let mounts = mounts
                .as_array()
                .ok_or_else(|| o.invalid("bind_mounts", "expected a list"))?;
            let mut list = Vec::new();
            for (j, bm) in mounts.iter().enumerate() {
                let b = Obj::at(root.cx, bm, join(&o.field("bind_mounts"), &j.to_string()))?;
                list.push(json!({
                    "type": "bind",
                    "readOnly": b.bool("read_only")?.unwrap_or(false),
                    "source": b.req_str("source")?,
                    "target": b.req_str("target")?,
                }));
            }
            m.insert("volumes".into(), Value::Array(list));
        }
        m.insert("docker".into(), json!({ "privileged": false }));
        out.push(Value::Object(m));
    }
    Ok(Some(Value::Array(out)))
}
