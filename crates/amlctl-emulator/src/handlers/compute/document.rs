//! The stored compute document: read-only fields dropped, server-populated fields and
//! defaults filled in as the GET examples show, secrets removed.

use serde_json::{Value, json};

use super::super::{Ctx, Ws, default_field, strip, system_data};
use super::TYPE;
use crate::clock::rfc3339;

/// Read-only fields of `properties` the server owns.
pub const RO_COMPUTE: &[&str] = &[
    "provisioningState",
    "createdOn",
    "modifiedOn",
    "provisioningErrors",
    "isAttachedCompute",
];
/// Read-only fields of a compute instance's `properties.properties`.
const RO_CI: &[&str] = &[
    "osImageMetadata",
    "connectivityEndpoints",
    "applications",
    "createdBy",
    "errors",
    "state",
    "lastOperation",
    "containers",
    "dataDisks",
    "dataMounts",
    "versions",
];
/// Read-only fields of an AmlCompute's `properties.properties`.
const RO_AML: &[&str] = &[
    "allocationState",
    "allocationStateTransitionTime",
    "errors",
    "currentNodeCount",
    "targetNodeCount",
    "nodeStateCounts",
];

/// The stored document for a PUT body: read-only fields dropped, server fields and defaults
/// filled in as the service does, secrets removed.
pub fn build(ctx: &Ctx, w: &Ws, name: &str, rid: &str, body: &Value, old: Option<&Value>) -> Value {
    let now = rfc3339(ctx.now);
    let mut props = body.get("properties").cloned().unwrap_or_else(|| json!({}));
    strip(&mut props, RO_COMPUTE);
    let ct = props["computeType"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let location = body
        .get("location")
        .and_then(Value::as_str)
        .filter(|_| ct != "ComputeInstance")
        .unwrap_or(&w.spec.location)
        .to_string();
    let created_on = old
        .and_then(|o| o["properties"].get("createdOn").cloned())
        .unwrap_or_else(|| json!(now));
    let mut doc = json!({
        "id": rid,
        "name": name,
        "type": TYPE,
        "location": location,
    });
    for f in ["tags", "sku"] {
        if let Some(v) = body.get(f).filter(|v| !v.is_null()) {
            doc[f] = v.clone();
        }
    }
    if let Some(identity) = body.get("identity").filter(|v| v.is_object()) {
        let mut identity = identity.clone();
        if identity["type"]
            .as_str()
            .is_some_and(|t| t.contains("SystemAssigned"))
        {
            identity["principalId"] = json!("00000000-0000-0000-0000-00000000e001");
            identity["tenantId"] = json!("00000000-0000-0000-0000-00000000e002");
        }
        doc["identity"] = identity;
    }
    let attached = !matches!(ct.as_str(), "AmlCompute" | "ComputeInstance");
    default_field(&mut props, "computeLocation", json!(location));
    default_field(&mut props, "description", Value::Null);
    default_field(&mut props, "resourceId", Value::Null);
    default_field(&mut props, "disableLocalAuth", json!(false));
    props["createdOn"] = created_on;
    props["modifiedOn"] = json!(now);
    props["provisioningErrors"] = Value::Null;
    props["isAttachedCompute"] = json!(attached);
    let old_inner = old.map(|o| &o["properties"]["properties"]);
    let inner = props
        .get("properties")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let inner = match ct.as_str() {
        "ComputeInstance" => compute_instance(ctx, w, name, inner, old_inner),
        "AmlCompute" => aml_compute(ctx, inner, old_inner),
        "Kubernetes" => kubernetes(inner),
        _ => inner,
    };
    if ct == "ComputeInstance"
        || ct == "AmlCompute"
        || ct == "Kubernetes"
        || props.get("properties").is_some()
    {
        props["properties"] = inner;
    }
    doc["properties"] = props;
    doc["systemData"] = system_data(ctx.now, old.and_then(|o| o.get("systemData")));
    doc
}

fn compute_instance(ctx: &Ctx, w: &Ws, name: &str, mut p: Value, old: Option<&Value>) -> Value {
    strip(&mut p, RO_CI);
    default_field(&mut p, "vmSize", json!("STANDARD_DS3_V2"));
    default_field(&mut p, "applicationSharingPolicy", json!("Shared"));
    default_field(
        &mut p,
        "computeInstanceAuthorizationType",
        json!("personal"),
    );
    default_field(&mut p, "enableNodePublicIp", json!(true));
    default_field(&mut p, "enableSSO", json!(true));
    default_field(&mut p, "enableRootAccess", json!(true));
    default_field(&mut p, "enableOSPatching", json!(false));
    default_field(&mut p, "releaseQuotaOnStop", json!(false));
    default_field(&mut p, "subnet", Value::Null);
    default_field(&mut p, "customServices", Value::Null);
    default_field(&mut p, "idleTimeBeforeShutdown", Value::Null);
    let mut ssh = p
        .get("sshSettings")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    default_field(&mut ssh, "sshPublicAccess", json!("Disabled"));
    ssh["adminUserName"] = json!("azureuser");
    ssh["sshPort"] = json!(50000);
    p["sshSettings"] = ssh;
    let mut schedules = p
        .get("schedules")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    if let Some(list) = schedules
        .get_mut("computeStartStop")
        .and_then(Value::as_array_mut)
    {
        for (n, s) in list.iter_mut().enumerate() {
            if s.is_object() {
                s["id"] = json!(format!("{name}-schedule-{n}"));
                s["provisioningStatus"] = json!("Completed");
                default_field(s, "status", json!("Enabled"));
            }
        }
    } else {
        schedules["computeStartStop"] = json!([]);
    }
    p["schedules"] = schedules;
    let now = rfc3339(ctx.now);
    // Runtime fields survive an update; a new instance starts in `Creating`.
    match old {
        Some(o) => {
            for f in RO_CI {
                if let Some(v) = o.get(*f) {
                    p[*f] = v.clone();
                }
            }
        }
        None => {
            p["osImageMetadata"] = json!({
                "currentImageVersion": "25.10.20",
                "latestImageVersion": "25.10.20",
                "isLatestOsImageVersion": true,
            });
            p["connectivityEndpoints"] =
                json!({"publicIpAddress": "127.0.0.1", "privateIpAddress": "10.0.0.4"});
            p["applications"] = json!([
                {"displayName": "Jupyter", "endpointUri": format!("https://{name}.{}.instances.azureml.ms/tree/", w.spec.location)},
                {"displayName": "Jupyter Lab", "endpointUri": format!("https://{name}.{}.instances.azureml.ms/lab", w.spec.location)},
            ]);
            p["createdBy"] = json!({
                "userName": "emulator@example.com",
                "userOrgId": "00000000-0000-0000-0000-00000000e002",
                "userId": "00000000-0000-0000-0000-00000000e003",
            });
            p["errors"] = Value::Null;
            p["state"] = json!("Creating");
            p["lastOperation"] = json!({
                "operationName": "Create",
                "operationTime": now,
                "operationStatus": "InProgress",
                "operationTrigger": "User",
            });
            p["containers"] = Value::Null;
            p["dataDisks"] = Value::Null;
            p["dataMounts"] = Value::Null;
            p["versions"] = json!({"runtime": "emulator"});
        }
    }
    p
}

fn aml_compute(ctx: &Ctx, mut p: Value, old: Option<&Value>) -> Value {
    strip(&mut p, RO_AML);
    default_field(&mut p, "vmSize", json!("STANDARD_DS3_V2"));
    default_field(&mut p, "vmPriority", json!("Dedicated"));
    default_field(&mut p, "osType", json!("Linux"));
    default_field(&mut p, "isolatedNetwork", json!(false));
    default_field(&mut p, "remoteLoginPortPublicAccess", json!("NotSpecified"));
    default_field(&mut p, "enableNodePublicIp", json!(true));
    default_field(&mut p, "virtualMachineImage", Value::Null);
    default_field(&mut p, "subnet", Value::Null);
    let mut scale = p
        .get("scaleSettings")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({"maxNodeCount": 1}));
    default_field(&mut scale, "minNodeCount", json!(0));
    default_field(&mut scale, "nodeIdleTimeBeforeScaleDown", json!("PT2M"));
    let min = scale["minNodeCount"].as_i64().unwrap_or(0);
    p["scaleSettings"] = scale;
    if let Some(creds) = p
        .get_mut("userAccountCredentials")
        .filter(|c| c.is_object())
    {
        // Secret: never echoed.
        creds["adminUserPassword"] = Value::Null;
    }
    match old {
        Some(o) => {
            for f in RO_AML {
                if let Some(v) = o.get(*f) {
                    p[*f] = v.clone();
                }
            }
            p["targetNodeCount"] = json!(min);
        }
        None => {
            p["allocationState"] = json!("Steady");
            p["allocationStateTransitionTime"] = json!(rfc3339(ctx.now));
            p["errors"] = Value::Null;
            p["currentNodeCount"] = json!(0);
            p["targetNodeCount"] = json!(min);
            p["nodeStateCounts"] = json!({
                "idleNodeCount": 0, "runningNodeCount": 0, "preparingNodeCount": 0,
                "unusableNodeCount": 0, "leavingNodeCount": 0, "preemptedNodeCount": 0,
            });
        }
    }
    p
}

fn kubernetes(mut p: Value) -> Value {
    // Secrets: echoed as null, like the service.
    p["relayConnectionString"] = Value::Null;
    p["serviceBusConnectionString"] = Value::Null;
    default_field(&mut p, "extensionPrincipalId", Value::Null);
    default_field(&mut p, "extensionInstanceReleaseTrain", json!("stable"));
    default_field(&mut p, "vcName", Value::Null);
    default_field(&mut p, "namespace", json!("default"));
    p
}
