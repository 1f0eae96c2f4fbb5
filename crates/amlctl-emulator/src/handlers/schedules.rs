//! `workspaces/{ws}/schedules`: list (disabled hidden unless `listViewType=All|DisabledOnly`),
//! get, PUT (LRO), DELETE (LRO). A schedule stores its action (e.g. the job definition); the
//! emulator does not fire schedules.

use serde_json::{Value, json};

use super::lro::{self, Family};
use super::{ArmError, Ctx, Req, Resp, Ws, default_field, paging, strip, system_data};
use crate::state::{Entry, Kind, State, key};
use crate::validate;

const TYPE: &str = "Microsoft.MachineLearningServices/workspaces/schedules";

fn id(w: &Ws, name: &str) -> String {
    format!("{}/schedules/{name}", w.id)
}

pub fn list(ctx: &Ctx, state: &State, req: &Req, w: &Ws) -> Resp {
    let view = req
        .q("listViewType")
        .unwrap_or("EnabledOnly")
        .to_ascii_lowercase();
    let coll = format!("{}/schedules", w.id);
    let items = state
        .children(&key(&coll), Kind::Schedule)
        .into_iter()
        .filter(|e| {
            let enabled = e.body["properties"]["isEnabled"].as_bool().unwrap_or(true);
            match view.as_str() {
                "all" => true,
                "disabledonly" => !enabled,
                _ => enabled,
            }
        })
        .map(|e| &e.body)
        .collect();
    paging::page(ctx, req, &coll, items)
}

pub fn get(state: &State, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    state
        .resources
        .get(&key(&id(w, name)))
        .filter(|e| e.kind == Kind::Schedule)
        .map(|e| Resp::json(200, e.body.clone()))
        .ok_or_else(|| {
            ArmError::not_found(
                "Microsoft.MachineLearningServices/workspaces/schedules",
                name,
            )
        })
}

pub fn put(ctx: &Ctx, state: &mut State, req: &Req, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    let body = req.json()?;
    validate::schedule_put(&body).map_err(ArmError::validation)?;
    let rid = id(w, name);
    let k = key(&rid);
    let old = state
        .resources
        .get(&k)
        .filter(|e| e.kind == Kind::Schedule)
        .cloned();
    let mut props = body["properties"].clone();
    strip(&mut props, &["provisioningState"]);
    if let Some(old) = &old {
        let ps = old.body["properties"]["provisioningState"]
            .as_str()
            .unwrap_or_default();
        if ps == "Deleting" {
            return Err(ArmError::conflict(format!(
                "Schedule '{name}' is being deleted."
            )));
        }
        let before = &old.body["properties"]["displayName"];
        let after = props.get("displayName").cloned().unwrap_or(Value::Null);
        if !after.is_null() && after != *before {
            return Err(ArmError::bad_request(
                "BadRequest",
                format!("displayName of schedule '{name}' cannot be changed after creation (visibility read,create)."),
            )
            .with_target("properties.displayName"));
        }
        props["displayName"] = before.clone();
    }
    default_field(&mut props, "displayName", json!(name));
    default_field(&mut props, "isEnabled", json!(true));
    default_field(&mut props, "description", Value::Null);
    default_field(&mut props, "tags", json!({}));
    default_field(&mut props, "properties", json!({}));
    if let Some(t) = props.get_mut("trigger") {
        default_field(t, "timeZone", json!("UTC"));
    }
    let creating = old.is_none();
    props["provisioningState"] = json!(if creating { "Creating" } else { "Updating" });
    let doc = json!({
        "id": rid,
        "name": name,
        "type": TYPE,
        "properties": props,
        "systemData": system_data(ctx.now, old.as_ref().and_then(|o| o.body.get("systemData"))),
    });
    let started = lro::begin(ctx, state, ctx.lro_ms());
    let end = if started.fails { "Failed" } else { "Succeeded" };
    let pending = vec![lro::set_at(
        started.due_ms,
        "/properties/provisioningState",
        json!(end),
    )];
    state.resources.insert(
        k.clone(),
        Entry {
            kind: Kind::Schedule,
            body: doc.clone(),
            pending,
        },
    );
    lro::record(ctx, state, &started, Some(k), None);
    let resp = Resp::json(if creating { 201 } else { 200 }, doc)
        .with_header("x-ms-async-operation-timeout", "PT1H");
    Ok(lro::headers(ctx, w, Family::Mfe, &started.id, resp, false))
}

pub fn delete(ctx: &Ctx, state: &mut State, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    let k = key(&id(w, name));
    let Some(mut entry) = state
        .resources
        .get(&k)
        .filter(|e| e.kind == Kind::Schedule)
        .cloned()
    else {
        return Ok(Resp::empty(204));
    };
    lro::cancel_pending_for(ctx, state, &k);
    let started = lro::begin(ctx, state, ctx.lro_ms());
    entry.body["properties"]["provisioningState"] = json!("Deleting");
    entry.pending = if started.fails {
        vec![lro::set_at(
            started.due_ms,
            "/properties/provisioningState",
            json!("Failed"),
        )]
    } else {
        vec![lro::remove_at(started.due_ms)]
    };
    state.resources.insert(k, entry);
    lro::record(ctx, state, &started, None, None);
    let resp = Resp::empty(202).with_header("x-ms-async-operation-timeout", "PT1H");
    Ok(lro::headers(ctx, w, Family::Mfe, &started.id, resp, true))
}
