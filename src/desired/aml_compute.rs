//! `type: amlcompute` → `computeType: AmlCompute`.
//!
//! `size` → `vmSize`; `tier` → `vmPriority` (`Dedicated`, `LowPriority`; default Dedicated);
//! `min_instances`/`max_instances` (defaults 0 and 4, the SDK's) and
//! `idle_time_before_scale_down` (seconds, default 120) → `scaleSettings` with an ISO-8601
//! duration; `ssh_public_access_enabled` → `remoteLoginPortPublicAccess` (Enabled, Disabled,
//! NotSpecified when absent); `ssh_settings` → `userAccountCredentials`, where the password is
//! a secret placeholder listed in `secret_paths`.

use serde_json::{Map, Value, json};

use super::casing::{VM_PRIORITIES, lookup};
use super::compute_common::{Envelope, enabled, subnet};
use super::durations::iso_duration_from_seconds;
use super::secrets::{secret_env_var, secret_placeholder};
use super::value::{Obj, put};
use super::{Cx, TranslateError, Translated};

pub(crate) fn translate(cx: &Cx, value: &Value) -> Result<Translated, TranslateError> {
    let root = Obj::root(*cx, value)?;
    let name = root.req_str("name")?.to_owned();
    let mut p = Map::new();
    put(&mut p, "vmSize", root.str("size")?);
    let tier = match root.str("tier")? {
        None => "Dedicated",
        Some(t) => lookup(t, VM_PRIORITIES).ok_or_else(|| {
            root.invalid("tier", format!("`{t}` is not dedicated or low_priority"))
        })?,
    };
    p.insert("vmPriority".into(), json!(tier));
    let min = root.int("min_instances")?.unwrap_or(0);
    let max = root.int("max_instances")?.unwrap_or(4);
    if min > max {
        return Err(root.invalid(
            "min_instances",
            format!("min_instances ({min}) is larger than max_instances ({max})"),
        ));
    }
    let idle = root.int("idle_time_before_scale_down")?.unwrap_or(120);
    p.insert(
        "scaleSettings".into(),
        json!({ "maxNodeCount": max, "minNodeCount": min, "nodeIdleTimeBeforeScaleDown": iso_duration_from_seconds(idle) }),
    );
    let access = match root.bool("ssh_public_access_enabled")? {
        Some(b) => enabled(b),
        None => "NotSpecified",
    };
    p.insert("remoteLoginPortPublicAccess".into(), json!(access));
    let mut secret_paths = Vec::new();
    if let Some(ssh) = root.obj("ssh_settings")? {
        let mut creds = Map::new();
        put(&mut creds, "adminUserName", ssh.str("admin_username")?);
        put(
            &mut creds,
            "adminUserSshPublicKey",
            ssh.str("ssh_key_value")?,
        );
        if let Some(pw) = ssh.scalar_string("admin_password")? {
            let var = secret_env_var(&pw, &name, "admin_password");
            creds.insert("adminUserPassword".into(), json!(secret_placeholder(&var)));
            secret_paths
                .push("/properties/properties/userAccountCredentials/adminUserPassword".to_owned());
        }
        p.insert("userAccountCredentials".into(), Value::Object(creds));
    }
    put(&mut p, "subnet", subnet(&root)?);
    p.insert(
        "enableNodePublicIp".into(),
        json!(root.bool("enable_node_public_ip")?.unwrap_or(true)),
    );
    let body = Envelope {
        compute_type: "AmlCompute",
        own_location: true,
        root: &root,
    }
    .body(p, Map::new())?;
    Ok(Translated {
        name,
        type_label: "AmlCompute",
        body,
        secret_paths,
        depends_on: Default::default(),
        assets: Vec::new(),
    })
}
