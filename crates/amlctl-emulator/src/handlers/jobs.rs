//! `workspaces/{ws}/jobs`: list (filters `jobType`, `listViewType`, `tag`), get, PUT
//! (synchronous, create-only except the mutable fields), POST cancel (LRO), DELETE (LRO).
//!
//! Status walk on the clock, one `Timings::job_step` per status:
//! NotStarted → Starting → Preparing → Queued → Running → Finalizing → Completed.
//! Test knob: a job whose tags contain `"emulator.fail": "true"` goes Running → Failed.
//! Cancel: CancelRequested → (one step) → Canceled.

use serde_json::{Value, json};

use super::lro::{self, Family};
use super::{ArmError, Ctx, Req, Resp, Ws, default_field, paging, strip, system_data};
use crate::state::{Entry, Kind, Pending, State, key};
use crate::validate;

const TYPE: &str = "Microsoft.MachineLearningServices/workspaces/jobs";
/// Tag that makes a job fail after Running (documented test knob).
pub const FAIL_TAG: &str = "emulator.fail";
/// Fields of JobBaseProperties that a second PUT may change (visibility includes `update`).
const MUTABLE: &[&str] = &[
    "description",
    "tags",
    "properties",
    "isArchived",
    "notificationSetting",
    "services",
];
/// Read-only fields.
const READ_ONLY: &[&str] = &["status", "parameters"];
const TERMINAL: &[&str] = &["Completed", "Failed", "Canceled"];

fn id(w: &Ws, name: &str) -> String {
    format!("{}/jobs/{name}", w.id)
}

fn find<'s>(state: &'s State, w: &Ws, name: &str) -> Result<&'s Entry, ArmError> {
    state
        .resources
        .get(&key(&id(w, name)))
        .filter(|e| e.kind == Kind::Job)
        .ok_or_else(|| {
            ArmError::not_found("Microsoft.MachineLearningServices/workspaces/jobs", name)
        })
}

pub fn list(ctx: &Ctx, state: &State, req: &Req, w: &Ws) -> Resp {
    let view = req
        .q("listViewType")
        .unwrap_or("ActiveOnly")
        .to_ascii_lowercase();
    let job_type = req.q("jobType").map(str::to_ascii_lowercase);
    let tag = req.q("tag").map(String::from);
    let coll = format!("{}/jobs", w.id);
    let items = state
        .children(&key(&coll), Kind::Job)
        .into_iter()
        .filter(|e| {
            let p = &e.body["properties"];
            let archived = p["isArchived"].as_bool().unwrap_or(false);
            let view_ok = match view.as_str() {
                "all" => true,
                "archivedonly" => archived,
                _ => !archived,
            };
            let type_ok = job_type.as_deref().is_none_or(|t| {
                p["jobType"]
                    .as_str()
                    .is_some_and(|j| j.eq_ignore_ascii_case(t))
            });
            let tag_ok = tag.as_deref().is_none_or(|t| match t.split_once('=') {
                Some((k, v)) => p["tags"][k].as_str() == Some(v),
                None => p["tags"].get(t).is_some(),
            });
            view_ok && type_ok && tag_ok
        })
        .map(|e| &e.body)
        .collect();
    paging::page(ctx, req, &coll, items)
}

pub fn get(state: &State, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    Ok(Resp::json(200, find(state, w, name)?.body.clone()))
}

/// The definition a second PUT must not change: properties minus mutable and read-only fields.
fn definition(props: &Value) -> Value {
    let mut d = props.clone();
    strip(&mut d, MUTABLE);
    strip(&mut d, READ_ONLY);
    if let Some(o) = d.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    d
}

pub fn put(ctx: &Ctx, state: &mut State, req: &Req, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    let body = req.json()?;
    validate::job_put(&body).map_err(ArmError::validation)?;
    let rid = id(w, name);
    let k = key(&rid);
    let mut props = body["properties"].clone();
    strip(&mut props, READ_ONLY);
    if let Some(old) = state
        .resources
        .get(&k)
        .filter(|e| e.kind == Kind::Job)
        .cloned()
    {
        let stored = old.body["properties"].clone();
        // Compare against what was submitted, defaults included.
        let mut incoming = props.clone();
        apply_defaults(&mut incoming, name);
        if definition(&stored) != definition(&incoming) {
            return Err(ArmError::conflict(format!(
                "Job '{name}' already exists with a different definition. Only description, tags, properties, isArchived, notificationSetting and services can be updated; submit a new job name instead."
            )));
        }
        let mut doc = old.body;
        for f in MUTABLE {
            if let Some(v) = props.get(*f) {
                doc["properties"][*f] = v.clone();
            }
        }
        doc["systemData"] = system_data(ctx.now, doc.get("systemData"));
        state.resources.insert(
            k,
            Entry {
                kind: Kind::Job,
                body: doc.clone(),
                pending: old.pending,
            },
        );
        state.dirty = true;
        return Ok(Resp::json(200, doc));
    }
    apply_defaults(&mut props, name);
    props["status"] = json!("NotStarted");
    if props["jobType"] == "Command" {
        props["parameters"] = json!({});
    }
    let mut services = props
        .get("services")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    if let Some(map) = services.as_object_mut() {
        for svc in map.values_mut() {
            default_field(svc, "status", Value::Null);
            default_field(svc, "errorMessage", Value::Null);
        }
    }
    services["Studio"] = json!({
        "jobServiceType": "Studio",
        "endpoint": format!("https://ml.azure.com/runs/{name}?wsid={}", w.id),
        "status": null, "errorMessage": null, "port": null, "properties": null,
    });
    services["Tracking"] = json!({
        "jobServiceType": "Tracking",
        "endpoint": format!("azureml://{}.api.azureml.ms/mlflow/v1.0{}?", w.spec.location, w.id),
        "status": null, "errorMessage": null, "port": null, "properties": null,
    });
    props["services"] = services;
    let fails = props["tags"][FAIL_TAG]
        .as_str()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let doc = json!({
        "id": rid,
        "name": name,
        "type": TYPE,
        "properties": props,
        "systemData": system_data(ctx.now, None),
    });
    let step = crate::clock::ms(ctx.timings.job_step);
    let mut walk = vec!["Starting", "Preparing", "Queued", "Running"];
    walk.extend(if fails {
        vec!["Failed"]
    } else {
        vec!["Finalizing", "Completed"]
    });
    let pending: Vec<Pending> = walk
        .iter()
        .enumerate()
        .map(|(n, s)| {
            lro::set_at(
                ctx.now.saturating_add(step.saturating_mul(n as u64 + 1)),
                "/properties/status",
                json!(s),
            )
        })
        .collect();
    state.resources.insert(
        k,
        Entry {
            kind: Kind::Job,
            body: doc.clone(),
            pending,
        },
    );
    state.dirty = true;
    Ok(Resp::json(201, doc))
}

fn apply_defaults(props: &mut Value, name: &str) {
    default_field(props, "experimentName", json!("Default"));
    default_field(props, "displayName", json!(name));
    default_field(props, "isArchived", json!(false));
    default_field(props, "description", Value::Null);
    default_field(props, "tags", json!({}));
    default_field(props, "properties", json!({}));
    if props["jobType"] == "Command" {
        default_field(props, "environmentVariables", json!({}));
        default_field(props, "inputs", json!({}));
        default_field(props, "outputs", json!({}));
        let mut res = props
            .get("resources")
            .cloned()
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({}));
        default_field(&mut res, "instanceCount", json!(1));
        default_field(&mut res, "shmSize", json!("2g"));
        props["resources"] = res;
    }
}

pub fn cancel(ctx: &Ctx, state: &mut State, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    let mut entry = find(state, w, name)?.clone();
    let status = entry.body["properties"]["status"]
        .as_str()
        .unwrap_or("Unknown")
        .to_string();
    let terminal = TERMINAL.contains(&status.as_str()) || status == "CancelRequested";
    let step = if terminal {
        0
    } else {
        crate::clock::ms(ctx.timings.job_step)
    };
    let started = lro::begin(ctx, state, step);
    if !terminal {
        if started.fails {
            // The cancel fails: the job keeps running its course.
        } else {
            entry.body["properties"]["status"] = json!("CancelRequested");
            entry.pending = vec![lro::set_at(
                started.due_ms,
                "/properties/status",
                json!("Canceled"),
            )];
            state.resources.insert(key(&id(w, name)), entry);
        }
    }
    lro::record(ctx, state, &started, None, None);
    Ok(lro::headers(
        ctx,
        w,
        Family::Mfe,
        &started.id,
        Resp::empty(202),
        true,
    ))
}

pub fn delete(ctx: &Ctx, state: &mut State, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    let k = key(&id(w, name));
    let Some(mut entry) = state
        .resources
        .get(&k)
        .filter(|e| e.kind == Kind::Job)
        .cloned()
    else {
        return Ok(Resp::empty(204));
    };
    let started = lro::begin(ctx, state, ctx.lro_ms());
    if !started.fails {
        entry.pending.push(lro::remove_at(started.due_ms));
        entry.pending.sort_by_key(|p| p.due_ms);
        state.resources.insert(k, entry);
    }
    lro::record(ctx, state, &started, None, None);
    let resp = Resp::empty(202).with_header("x-ms-async-operation-timeout", "PT1H");
    Ok(lro::headers(ctx, w, Family::Mfe, &started.id, resp, true))
}
