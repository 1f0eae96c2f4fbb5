//! Compute bodies: ComputeResource (PUT) and ClusterUpdateParameters (PATCH).

use serde_json::{Map, Value};

use super::lists::COMPUTE_TYPES;
use super::{Problems, T, join, object};

/// Compute PUT body (ComputeResource).
pub fn compute_put(body: &Value) -> Result<(), Vec<(String, String)>> {
    let mut p = Problems::default();
    if let Some(o) = object(&mut p, body, "") {
        p.opt(o, "", "location", T::Str);
        p.string_map(o, "", "tags");
        if let Some(Value::Object(id)) = p.opt(o, "", "identity", T::Obj) {
            p.enum_opt(
                id,
                "identity",
                "type",
                &[
                    "None",
                    "SystemAssigned",
                    "UserAssigned",
                    "SystemAssigned,UserAssigned",
                    "SystemAssigned, UserAssigned",
                ],
                true,
            );
        }
        if let Some(Value::Object(props)) = p.req(o, "", "properties", T::Obj) {
            let at = "properties";
            let ct = p.disc(props, at, "computeType", COMPUTE_TYPES);
            p.opt(props, at, "description", T::Str);
            p.opt(props, at, "resourceId", T::Str);
            p.opt(props, at, "computeLocation", T::Str);
            p.opt(props, at, "disableLocalAuth", T::Bool);
            let inner = p
                .opt(props, at, "properties", T::Obj)
                .and_then(Value::as_object);
            let at = "properties.properties";
            match (ct, inner) {
                (Some("ComputeInstance"), Some(i)) => compute_instance(&mut p, i, at),
                (Some("AmlCompute"), Some(i)) => aml_compute(&mut p, i, at),
                (Some("Kubernetes"), Some(i)) => {
                    for f in [
                        "namespace",
                        "defaultInstanceType",
                        "extensionInstanceReleaseTrain",
                        "vcName",
                        "relayConnectionString",
                        "serviceBusConnectionString",
                        "extensionPrincipalId",
                    ] {
                        p.opt(i, at, f, T::Str);
                    }
                    p.opt(i, at, "instanceTypes", T::Obj);
                }
                _ => {}
            }
            // Attaching a Kubernetes cluster needs its ARM id; other attach types are not checked
            // (the published examples create a DataFactory compute without one).
            if ct == Some("Kubernetes") && props.get("resourceId").is_none_or(Value::is_null) {
                p.add(
                    "properties.resourceId",
                    "is required to attach an existing compute",
                );
            }
        }
    }
    p.into_result()
}

fn compute_instance(p: &mut Problems, i: &Map<String, Value>, at: &str) {
    p.opt(i, at, "vmSize", T::Str);
    p.enum_opt(
        i,
        at,
        "applicationSharingPolicy",
        &["Personal", "Shared"],
        false,
    );
    p.enum_opt(
        i,
        at,
        "computeInstanceAuthorizationType",
        &["personal"],
        false,
    );
    p.opt(i, at, "enableSSO", T::Bool);
    p.opt(i, at, "enableNodePublicIp", T::Bool);
    p.opt(i, at, "enableRootAccess", T::Bool);
    // "Minimum is 15 min, maximum is 3 days." (spec description)
    p.duration_opt(i, at, "idleTimeBeforeShutdown", Some((900.0, 259_200.0)));
    if let Some(Value::Object(s)) = p.opt(i, at, "subnet", T::Obj) {
        p.req(s, &join(at, "subnet"), "id", T::Str);
    }
    if let Some(Value::Object(s)) = p.opt(i, at, "sshSettings", T::Obj) {
        p.enum_opt(
            s,
            &join(at, "sshSettings"),
            "sshPublicAccess",
            &["Enabled", "Disabled"],
            false,
        );
        p.opt(s, &join(at, "sshSettings"), "adminPublicKey", T::Str);
    }
    if let Some(Value::Object(s)) = p.opt(i, at, "personalComputeInstanceSettings", T::Obj) {
        let at2 = join(at, "personalComputeInstanceSettings");
        if let Some(Value::Object(u)) = p.opt(s, &at2, "assignedUser", T::Obj) {
            p.req(u, &join(&at2, "assignedUser"), "objectId", T::Str);
            p.req(u, &join(&at2, "assignedUser"), "tenantId", T::Str);
        }
    }
    p.opt(i, at, "customServices", T::Arr);
    if let Some(Value::Object(s)) = p.opt(i, at, "schedules", T::Obj) {
        let at2 = join(at, "schedules");
        if let Some(Value::Array(list)) = p.opt(s, &at2, "computeStartStop", T::Arr) {
            for (n, item) in list.iter().enumerate() {
                let at3 = format!("{at2}.computeStartStop[{n}]");
                if let Some(o) = object(p, item, &at3) {
                    p.enum_opt(o, &at3, "status", &["Enabled", "Disabled"], false);
                    p.enum_opt(o, &at3, "action", &["Start", "Stop"], false);
                    p.enum_opt(o, &at3, "triggerType", &["Recurrence", "Cron"], false);
                    if let Some(Value::Object(c)) = p.opt(o, &at3, "cron", T::Obj) {
                        p.opt(c, &join(&at3, "cron"), "expression", T::Str);
                    }
                    p.opt(o, &at3, "recurrence", T::Obj);
                }
            }
        }
    }
}

fn aml_compute(p: &mut Problems, i: &Map<String, Value>, at: &str) {
    p.opt(i, at, "vmSize", T::Str);
    p.enum_opt(i, at, "osType", &["Linux", "Windows"], false);
    p.enum_opt(i, at, "vmPriority", &["Dedicated", "LowPriority"], false);
    p.enum_opt(
        i,
        at,
        "remoteLoginPortPublicAccess",
        &["Enabled", "Disabled", "NotSpecified"],
        false,
    );
    p.opt(i, at, "enableNodePublicIp", T::Bool);
    p.opt(i, at, "isolatedNetwork", T::Bool);
    if let Some(Value::Object(s)) = p.opt(i, at, "scaleSettings", T::Obj) {
        scale_settings(p, s, &join(at, "scaleSettings"));
    }
    if let Some(Value::Object(c)) = p.opt(i, at, "userAccountCredentials", T::Obj) {
        let at2 = join(at, "userAccountCredentials");
        p.req(c, &at2, "adminUserName", T::Str);
        p.opt(c, &at2, "adminUserSshPublicKey", T::Str);
        p.opt(c, &at2, "adminUserPassword", T::Str);
    }
    if let Some(Value::Object(s)) = p.opt(i, at, "subnet", T::Obj) {
        p.req(s, &join(at, "subnet"), "id", T::Str);
    }
}

fn scale_settings(p: &mut Problems, s: &Map<String, Value>, at: &str) {
    let max = p.req(s, at, "maxNodeCount", T::Int).and_then(Value::as_i64);
    let min = p.opt(s, at, "minNodeCount", T::Int).and_then(Value::as_i64);
    p.duration_opt(s, at, "nodeIdleTimeBeforeScaleDown", None);
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        p.add(&join(at, "minNodeCount"), "must not exceed maxNodeCount");
    }
    if min.is_some_and(|m| m < 0) || max.is_some_and(|m| m < 0) {
        p.add(at, "node counts must not be negative");
    }
}

/// Compute PATCH body (ClusterUpdateParameters).
pub fn compute_patch(body: &Value) -> Result<(), Vec<(String, String)>> {
    let mut p = Problems::default();
    if let Some(o) = object(&mut p, body, "")
        && let Some(Value::Object(props)) = p.req(o, "", "properties", T::Obj)
        && let Some(Value::Object(inner)) = p.req(props, "properties", "properties", T::Obj)
        && let Some(Value::Object(s)) =
            p.req(inner, "properties.properties", "scaleSettings", T::Obj)
    {
        scale_settings(&mut p, s, "properties.properties.scaleSettings");
    }
    p.into_result()
}
