//! `workspaces/{ws}/computes`: list, get, PUT (LRO), PATCH (AmlCompute scale settings),
//! DELETE (LRO, `underlyingResourceAction` required), POST start/stop/restart (LRO).

use serde_json::{Value, json};

use super::lro::{self, Family};
use super::{ArmError, Ctx, Req, Resp, Ws, default_field, paging, system_data};
use crate::clock::rfc3339;
use crate::state::{Entry, Kind, Pending, State, key};
use crate::validate;

mod document;

use document::build;

const TYPE: &str = "Microsoft.MachineLearningServices/workspaces/computes";

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
        .map(|e| &e.body)
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
