//! `workspaces/{ws}/computes`: list, get, PUT (LRO), PATCH (AmlCompute scale settings),
//! DELETE (LRO, `underlyingResourceAction` required), POST start/stop/restart (LRO).

use serde_json::{Value, json};

use super::lro::{self, Family};
use super::{ArmError, Ctx, Req, Resp, Ws, default_field, paging, strip, system_data};
use crate::clock::rfc3339;
use crate::state::{Entry, Kind, Pending, State, key};
use crate::validate;

const TYPE: &str = "Microsoft.MachineLearningServices/workspaces/computes";

/// Read-only fields of `properties` the server owns.
const RO_COMPUTE: &[&str] = &[
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

fn id(w: &Ws, name: &str) -> String {
    format!("{}/computes/{name}", w.id)
}

fn find<'s>(state: &'s State, w: &Ws, name: &str) -> Result<&'s Entry, ArmError> {
    state
        .resources
        .get(&key(&id(w, name)))
        .filter(|e| e.kind == Kind::Compute)
        .ok_or_else(|| {
            ArmError::not_found(
                "Microsoft.MachineLearningServices/workspaces/computes",
                name,
            )
        })
}

pub fn list(ctx: &Ctx, state: &State, req: &Req, w: &Ws) -> Resp {
    let coll = format!("{}/computes", w.id);
    let items = state
        .children(&key(&coll), Kind::Compute)
        .into_iter()
        .map(|e| e.body.clone())
        .collect();
    paging::page(ctx, req, &coll, items)
}

pub fn get(state: &State, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    Ok(Resp::json(200, find(state, w, name)?.body.clone()))
}

fn check_name(name: &str) -> Result<(), ArmError> {
    let ok = (2..=24).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && !name.ends_with('-')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ArmError::bad_request(
            "ValidationError",
            format!("Compute name '{name}' is invalid: 2 to 24 letters, digits or '-', starting with a letter, not ending with '-'."),
        )
        .with_target("computeName"))
    }
}

fn in_flight(entry: &Entry) -> Option<&str> {
    entry.body["properties"]["provisioningState"]
        .as_str()
        .filter(|s| matches!(*s, "Creating" | "Updating" | "Deleting"))
}

pub fn put(ctx: &Ctx, state: &mut State, req: &Req, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    check_name(name)?;
    let body = req.json()?;
    validate::compute_put(&body).map_err(ArmError::validation)?;
    let rid = id(w, name);
    let k = key(&rid);
    let existing = state
        .resources
        .get(&k)
        .filter(|e| e.kind == Kind::Compute)
        .cloned();
    if let Some(old) = &existing {
        if let Some(s) = in_flight(old) {
            return Err(ArmError::conflict(format!(
                "Compute '{name}' is {s}; wait for the operation to finish."
            )));
        }
        check_update(old, &body, name)?;
    }
    let mut doc = build(
        ctx,
        w,
        name,
        &rid,
        &body,
        existing.as_ref().map(|e| &e.body),
    );
    let started = lro::begin(ctx, state, ctx.lro_ms());
    let due = started.due_ms;
    let ct = doc["properties"]["computeType"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut pending = Vec::new();
    let creating = existing.is_none();
    doc["properties"]["provisioningState"] = json!(if creating { "Creating" } else { "Updating" });
    if started.fails {
        let err = json!({"error": {"code": "ComputeProvisioningFailed", "message": "Provisioning failed (injected by the emulator's lro-fail fault).", "details": []}});
        pending.push(lro::set_at(
            due,
            "/properties/provisioningState",
            json!("Failed"),
        ));
        pending.push(lro::set_at(
            due,
            "/properties/provisioningErrors",
            json!([err]),
        ));
        if ct == "ComputeInstance" && creating {
            pending.push(lro::set_at(
                due,
                "/properties/properties/state",
                json!("CreateFailed"),
            ));
            pending.push(lro::set_at(
                due,
                "/properties/properties/lastOperation/operationStatus",
                json!("CreateFailed"),
            ));
        }
    } else {
        pending.push(lro::set_at(
            due,
            "/properties/provisioningState",
            json!("Succeeded"),
        ));
        if ct == "ComputeInstance" && creating {
            pending.push(lro::set_at(
                due,
                "/properties/properties/state",
                json!("Running"),
            ));
            pending.push(lro::set_at(
                due,
                "/properties/properties/lastOperation/operationStatus",
                json!("Succeeded"),
            ));
        }
    }
    let resp_body = doc.clone();
    state.resources.insert(
        k.clone(),
        Entry {
            kind: Kind::Compute,
            body: doc,
            pending,
        },
    );
    lro::record(ctx, state, &started, Some(k), None);
    let status = if creating { 201 } else { 200 };
    Ok(lro::headers(
        ctx,
        w,
        Family::Compute,
        &started.id,
        Resp::json(status, resp_body),
        false,
    ))
}

/// Strictness on update: the compute type cannot change and neither can `vmSize` (the real
/// service accepts a changed vmSize and silently keeps the old one; see README).
fn check_update(old: &Entry, body: &Value, name: &str) -> Result<(), ArmError> {
    let old_ct = old.body["properties"]["computeType"]
        .as_str()
        .unwrap_or_default();
    let new_ct = body["properties"]["computeType"]
        .as_str()
        .unwrap_or_default();
    if old_ct != new_ct {
        return Err(ArmError::conflict(format!(
            "Compute '{name}' already exists with computeType '{old_ct}'; it cannot be changed to '{new_ct}'. Delete it first."
        ))
        .with_target("properties.computeType"));
    }
    let old_size = old.body["properties"]["properties"]["vmSize"].as_str();
    let new_size = body["properties"]["properties"]["vmSize"].as_str();
    if let (Some(a), Some(b)) = (old_size, new_size)
        && !a.eq_ignore_ascii_case(b)
    {
        return Err(ArmError::conflict(format!(
                "Compute '{name}' has vmSize '{a}'; changing it to '{b}' is not supported. Delete and re-create the compute."
            ))
            .with_target("properties.properties.vmSize"));
    }
    Ok(())
}

/// The stored document for a PUT body: read-only fields dropped, server fields and defaults
/// filled in as the service does, secrets removed.
fn build(ctx: &Ctx, w: &Ws, name: &str, rid: &str, body: &Value, old: Option<&Value>) -> Value {
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

pub fn patch(
    ctx: &Ctx,
    state: &mut State,
    req: &Req,
    w: &Ws,
    name: &str,
) -> Result<Resp, ArmError> {
    let body = req.json()?;
    let entry = find(state, w, name)?.clone();
    if entry.body["properties"]["computeType"] != "AmlCompute" {
        return Err(ArmError::bad_request(
            "BadRequest",
            format!(
                "Compute '{name}' is not an AmlCompute; only AmlCompute scaleSettings can be updated with PATCH."
            ),
        ));
    }
    validate::compute_patch(&body).map_err(ArmError::validation)?;
    if let Some(s) = in_flight(&entry) {
        return Err(ArmError::conflict(format!(
            "Compute '{name}' is {s}; wait for the operation to finish."
        )));
    }
    let mut doc = entry.body;
    let mut scale = body["properties"]["properties"]["scaleSettings"].clone();
    default_field(&mut scale, "minNodeCount", json!(0));
    default_field(
        &mut scale,
        "nodeIdleTimeBeforeScaleDown",
        doc["properties"]["properties"]["scaleSettings"]["nodeIdleTimeBeforeScaleDown"].clone(),
    );
    let min = scale["minNodeCount"].clone();
    doc["properties"]["properties"]["scaleSettings"] = scale;
    doc["properties"]["properties"]["targetNodeCount"] = min;
    doc["properties"]["modifiedOn"] = json!(rfc3339(ctx.now));
    doc["properties"]["provisioningState"] = json!("Updating");
    doc["systemData"] = system_data(ctx.now, doc.get("systemData"));
    let started = lro::begin(ctx, state, ctx.lro_ms());
    let end = if started.fails { "Failed" } else { "Succeeded" };
    let pending = vec![lro::set_at(
        started.due_ms,
        "/properties/provisioningState",
        json!(end),
    )];
    let k = key(&id(w, name));
    state.resources.insert(
        k.clone(),
        Entry {
            kind: Kind::Compute,
            body: doc.clone(),
            pending,
        },
    );
    lro::record(ctx, state, &started, Some(k), None);
    Ok(lro::headers(
        ctx,
        w,
        Family::Compute,
        &started.id,
        Resp::json(200, doc),
        true,
    ))
}

pub fn delete(
    ctx: &Ctx,
    state: &mut State,
    req: &Req,
    w: &Ws,
    name: &str,
) -> Result<Resp, ArmError> {
    let action = req.q("underlyingResourceAction").ok_or_else(|| {
        ArmError::bad_request(
            "MissingRequiredQueryParameter",
            "The query parameter 'underlyingResourceAction' is required (Delete or Detach).",
        )
        .with_target("underlyingResourceAction")
    })?;
    let detach = if action.eq_ignore_ascii_case("Delete") {
        false
    } else if action.eq_ignore_ascii_case("Detach") {
        true
    } else {
        return Err(ArmError::bad_request(
            "InvalidQueryParameterValue",
            format!("'{action}' is not a valid underlyingResourceAction; use Delete or Detach."),
        )
        .with_target("underlyingResourceAction"));
    };
    let k = key(&id(w, name));
    let Some(entry) = state
        .resources
        .get(&k)
        .filter(|e| e.kind == Kind::Compute)
        .cloned()
    else {
        return Ok(Resp::empty(204));
    };
    let attached = entry.body["properties"]["isAttachedCompute"]
        .as_bool()
        .unwrap_or(false);
    if detach && !attached {
        return Err(ArmError::bad_request(
            "BadRequest",
            format!("Compute '{name}' was created by Azure ML and cannot be detached; use underlyingResourceAction=Delete."),
        )
        .with_target("underlyingResourceAction"));
    }
    if entry.body["properties"]["provisioningState"] == "Deleting" {
        return Err(ArmError::conflict(format!(
            "Compute '{name}' is already being deleted."
        )));
    }
    lro::cancel_pending_for(ctx, state, &k);
    let started = lro::begin(ctx, state, ctx.lro_ms());
    let mut doc = entry.body;
    doc["properties"]["provisioningState"] = json!("Deleting");
    if doc["properties"]["computeType"] == "ComputeInstance" {
        doc["properties"]["properties"]["state"] = json!("Deleting");
    }
    let pending: Vec<Pending> = if started.fails {
        vec![lro::set_at(
            started.due_ms,
            "/properties/provisioningState",
            json!("Failed"),
        )]
    } else {
        vec![lro::remove_at(started.due_ms)]
    };
    state.resources.insert(
        k,
        Entry {
            kind: Kind::Compute,
            body: doc,
            pending,
        },
    );
    lro::record(ctx, state, &started, None, None);
    Ok(lro::headers(
        ctx,
        w,
        Family::Compute,
        &started.id,
        Resp::empty(202),
        true,
    ))
}

pub fn action(
    ctx: &Ctx,
    state: &mut State,
    w: &Ws,
    name: &str,
    action: &str,
) -> Result<Resp, ArmError> {
    let (transient, target, op_name, fail_status) = match action {
        "start" => ("Starting", "Running", "Start", "StartFailed"),
        "stop" => ("Stopping", "Stopped", "Stop", "StopFailed"),
        "restart" => ("Restarting", "Running", "Restart", "RestartFailed"),
        "listNodes" => return list_nodes(state, w, name),
        _ => {
            return Err(ArmError::not_found_path(&format!(
                "{}/computes/{name}/{action}",
                w.id
            )));
        }
    };
    let entry = find(state, w, name)?.clone();
    if entry.body["properties"]["computeType"] != "ComputeInstance" {
        return Err(ArmError::bad_request(
            "BadRequest",
            format!("{op_name} is only supported for compute instances; '{name}' is not one."),
        ));
    }
    if let Some(s) = in_flight(&entry) {
        return Err(ArmError::conflict(format!(
            "Compute '{name}' is {s}; wait for the operation to finish."
        )));
    }
    let current = entry.body["properties"]["properties"]["state"]
        .as_str()
        .unwrap_or("Unknown")
        .to_string();
    let allowed = match action {
        "start" => current == "Stopped",
        _ => matches!(current.as_str(), "Running" | "JobRunning"),
    };
    if !allowed {
        let msg = match (action, current.as_str()) {
            ("start", "Running") => format!("Compute instance '{name}' is already running."),
            ("stop", "Stopped") => format!("Compute instance '{name}' is already stopped."),
            _ => {
                format!("Cannot {action} compute instance '{name}' while its state is '{current}'.")
            }
        };
        return Err(ArmError::conflict(msg));
    }
    let started = lro::begin(ctx, state, crate::clock::ms(ctx.timings.compute_step));
    let mut doc = entry.body;
    let inner = &mut doc["properties"]["properties"];
    inner["state"] = json!(transient);
    inner["lastOperation"] = json!({
        "operationName": op_name,
        "operationTime": rfc3339(ctx.now),
        "operationStatus": "InProgress",
        "operationTrigger": "User",
    });
    let due = started.due_ms;
    let pending = if started.fails {
        vec![
            lro::set_at(due, "/properties/properties/state", json!(current)),
            lro::set_at(
                due,
                "/properties/properties/lastOperation/operationStatus",
                json!(fail_status),
            ),
        ]
    } else {
        vec![
            lro::set_at(due, "/properties/properties/state", json!(target)),
            lro::set_at(
                due,
                "/properties/properties/lastOperation/operationStatus",
                json!("Succeeded"),
            ),
        ]
    };
    state.resources.insert(
        key(&id(w, name)),
        Entry {
            kind: Kind::Compute,
            body: doc,
            pending,
        },
    );
    lro::record(ctx, state, &started, None, None);
    Ok(lro::headers(
        ctx,
        w,
        Family::Compute,
        &started.id,
        Resp::empty(202),
        true,
    ))
}

fn list_nodes(state: &State, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    let entry = find(state, w, name)?;
    if entry.body["properties"]["computeType"] != "AmlCompute" {
        return Err(ArmError::bad_request(
            "BadRequest",
            format!("listNodes is only supported for AmlCompute; '{name}' is not one."),
        ));
    }
    Ok(Resp::json(200, json!({"nodes": [], "nextLink": null})))
}
