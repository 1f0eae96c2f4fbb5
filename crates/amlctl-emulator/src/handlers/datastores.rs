//! Datastores: list (`isDefault` filter), get, PUT, POST `listSecrets`. The default
//! `workspaceblobstore` (AzureBlob, account key credentials) exists from first use and is backed
//! by the emulator's own blob endpoint: it is served with `endpoint` = the emulator's
//! `127.0.0.1:PORT` and `protocol` = its scheme (an IP endpoint is addressed path-style,
//! `{protocol}://{endpoint}/{account}/{container}/{blob}`, as Azure Storage clients do for
//! IP hosts), and `listSecrets` returns its account key ([`account_key`]). Secrets are never
//! echoed by GET or list.

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::assets::blob_location;
use super::{ArmError, Ctx, Req, Resp, Ws, default_field, paging, system_data};
use crate::state::{Entry, Kind, State, key};
use crate::validate;

fn datastore_id(w: &Ws, name: &str) -> String {
    format!("{}/datastores/{name}", w.id)
}

/// The default `workspaceblobstore`, created on first use.
fn ensure_default(ctx: &Ctx, state: &mut State, w: &Ws) {
    let k = key(&datastore_id(w, "workspaceblobstore"));
    if state.resources.contains_key(&k) {
        return;
    }
    let (account, container) = blob_location(w);
    let doc = json!({
        "id": datastore_id(w, "workspaceblobstore"),
        "name": "workspaceblobstore",
        "type": "Microsoft.MachineLearningServices/workspaces/datastores",
        "properties": {
            "description": null,
            "tags": {},
            "properties": null,
            "isDefault": true,
            "credentials": {"credentialsType": "AccountKey", "secrets": {"secretsType": "AccountKey"}},
            "datastoreType": "AzureBlob",
            "accountName": account,
            "containerName": container,
            "endpoint": "core.windows.net",
            "protocol": "https",
            "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity",
            "subscriptionId": w.spec.subscription,
            "resourceGroup": w.spec.resource_group,
        },
        "systemData": system_data(ctx.now, None),
    });
    state.resources.insert(
        k,
        Entry {
            kind: Kind::Datastore,
            body: doc,
            pending: vec![],
        },
    );
    state.dirty = true;
}

/// The account key of an emulator storage account: fixed per account name (like Azurite's
/// well-known key), base64 of 32 bytes.
pub fn account_key(account: &str) -> String {
    let digest = Sha256::digest(format!("amlctl-emulator account key:{account}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// A datastore as served: one on the emulator's own storage account points at the emulator.
fn served(ctx: &Ctx, w: &Ws, body: &Value) -> Value {
    let mut body = body.clone();
    let (account, _) = blob_location(w);
    let p = &mut body["properties"];
    if p["datastoreType"] == "AzureBlob" && p["accountName"] == account.as_str() {
        let (scheme, host) = ctx
            .base_url
            .split_once("://")
            .unwrap_or(("http", ctx.base_url));
        p["endpoint"] = json!(host);
        p["protocol"] = json!(scheme);
    }
    body
}

pub fn list_secrets(ctx: &Ctx, state: &mut State, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    ensure_default(ctx, state, w);
    let entry = state
        .resources
        .get(&key(&datastore_id(w, name)))
        .filter(|e| e.kind == Kind::Datastore)
        .ok_or_else(|| {
            ArmError::not_found(
                "Microsoft.MachineLearningServices/workspaces/datastores",
                name,
            )
        })?;
    let p = &entry.body["properties"];
    let (account, _) = blob_location(w);
    let secrets = match p["credentials"]["credentialsType"].as_str() {
        Some("AccountKey") => {
            // Only the emulator's own account has a key it knows; others were never stored.
            let key = (p["accountName"] == account.as_str()).then(|| account_key(&account));
            json!({"secretsType": "AccountKey", "key": key})
        }
        Some("Sas") => json!({"secretsType": "Sas", "sasToken": null}),
        Some("ServicePrincipal") => {
            json!({"secretsType": "ServicePrincipal", "clientSecret": null})
        }
        Some("Certificate") => json!({"secretsType": "Certificate", "certificate": null}),
        other => {
            return Err(ArmError::bad_request(
                "BadRequest",
                format!(
                    "Datastore '{name}' has credentials of type {} and no secrets to list.",
                    other.unwrap_or("None")
                ),
            ));
        }
    };
    Ok(Resp::json(200, secrets))
}

pub fn list(ctx: &Ctx, state: &mut State, req: &Req, w: &Ws) -> Resp {
    ensure_default(ctx, state, w);
    let coll = format!("{}/datastores", w.id);
    let is_default = req.q("isDefault").map(|v| v.eq_ignore_ascii_case("true"));
    let items = state
        .children(&key(&coll), Kind::Datastore)
        .into_iter()
        .filter(|e| {
            is_default
                .is_none_or(|d| e.body["properties"]["isDefault"].as_bool().unwrap_or(false) == d)
        })
        .map(|e| served(ctx, w, &e.body))
        .collect::<Vec<Value>>();
    paging::page(ctx, req, &coll, items)
}

pub fn get(ctx: &Ctx, state: &mut State, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    ensure_default(ctx, state, w);
    state
        .resources
        .get(&key(&datastore_id(w, name)))
        .filter(|e| e.kind == Kind::Datastore)
        .map(|e| Resp::json(200, served(ctx, w, &e.body)))
        .ok_or_else(|| {
            ArmError::not_found(
                "Microsoft.MachineLearningServices/workspaces/datastores",
                name,
            )
        })
}

pub fn put(ctx: &Ctx, state: &mut State, req: &Req, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    ensure_default(ctx, state, w);
    let body = req.json()?;
    validate::datastore_put(&body).map_err(ArmError::validation)?;
    let k = key(&datastore_id(w, name));
    let old = state.resources.get(&k).map(|e| e.body.clone());
    let mut p = body["properties"].clone();
    // Secrets are never echoed: only their type is returned.
    if let Some(secrets) = p["credentials"].get_mut("secrets") {
        let t = secrets.get("secretsType").cloned().unwrap_or(Value::Null);
        *secrets = json!({"secretsType": t});
    }
    default_field(&mut p, "description", Value::Null);
    default_field(&mut p, "tags", json!({}));
    default_field(&mut p, "properties", Value::Null);
    default_field(&mut p, "isDefault", json!(false));
    if p["datastoreType"] == "AzureBlob" {
        default_field(&mut p, "endpoint", json!("core.windows.net"));
        default_field(&mut p, "protocol", json!("https"));
    }
    let doc = json!({
        "id": datastore_id(w, name),
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/datastores",
        "properties": p,
        "systemData": system_data(ctx.now, old.as_ref().and_then(|o| o.get("systemData"))),
    });
    state.resources.insert(
        k,
        Entry {
            kind: Kind::Datastore,
            body: doc.clone(),
            pending: vec![],
        },
    );
    state.dirty = true;
    Ok(Resp::json(if old.is_some() { 200 } else { 201 }, doc))
}
