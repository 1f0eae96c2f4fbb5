//! What job submission needs: environment, code and component containers/versions (synchronous
//! PUT, immutable versions), the code hash lookup and `startPendingUpload`, and datastores
//! (the default `workspaceblobstore` always exists).

use hyper::Method;
use serde_json::{Value, json};

use super::{ArmError, Ctx, Req, Resp, Ws, default_field, paging, strip, system_data};
use crate::clock::rfc3339;
use crate::state::{Entry, Kind, State, key};
use crate::validate::{self, T};

/// An asset family served under `workspaces/{ws}/{segment}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Environments,
    Codes,
    Components,
}

impl Family {
    pub fn parse(segment: &str) -> Option<Self> {
        match segment {
            "environments" => Some(Self::Environments),
            "codes" => Some(Self::Codes),
            "components" => Some(Self::Components),
            _ => None,
        }
    }
    fn segment(self) -> &'static str {
        match self {
            Self::Environments => "environments",
            Self::Codes => "codes",
            Self::Components => "components",
        }
    }
    fn container_kind(self) -> Kind {
        match self {
            Self::Environments => Kind::EnvironmentContainer,
            Self::Codes => Kind::CodeContainer,
            Self::Components => Kind::ComponentContainer,
        }
    }
    fn version_kind(self) -> Kind {
        match self {
            Self::Environments => Kind::EnvironmentVersion,
            Self::Codes => Kind::CodeVersion,
            Self::Components => Kind::ComponentVersion,
        }
    }
    fn type_name(self) -> String {
        format!(
            "Microsoft.MachineLearningServices/workspaces/{}",
            self.segment()
        )
    }
}

/// Version fields a second PUT may change; everything else is immutable.
const VERSION_MUTABLE: &[&str] = &[
    "description",
    "tags",
    "isArchived",
    "stage",
    "properties",
    "provisioningState",
];

pub fn route(
    ctx: &Ctx,
    state: &mut State,
    req: &Req,
    w: &Ws,
    f: Family,
    rest: &[&str],
) -> Result<Resp, ArmError> {
    let m = &req.method;
    match rest {
        [] if m == Method::GET => {
            let coll = format!("{}/{}", w.id, f.segment());
            let items = state
                .children(&key(&coll), f.container_kind())
                .into_iter()
                .map(|e| e.body.clone())
                .collect();
            Ok(paging::page(ctx, req, &coll, items))
        }
        [name] => match *m {
            Method::GET => get(state, &container_id(w, f, name), f.container_kind(), name),
            Method::PUT => put_container(ctx, state, req, w, f, name),
            _ => Err(ArmError::method_not_allowed(m)),
        },
        [name, "versions"] if m == Method::GET => Ok(list_versions(ctx, state, req, w, f, name)),
        [name, "versions", version] => match *m {
            Method::GET => get(
                state,
                &version_id(w, f, name, version),
                f.version_kind(),
                &format!("{name}/versions/{version}"),
            ),
            Method::PUT => put_version(ctx, state, req, w, f, name, version),
            _ => Err(ArmError::method_not_allowed(m)),
        },
        [name, "versions", version, "startPendingUpload"]
            if m == Method::POST && f == Family::Codes =>
        {
            Ok(start_pending_upload(ctx, state, req, w, name, version))
        }
        _ => Err(ArmError::not_found_path(&req.path)),
    }
}

fn container_id(w: &Ws, f: Family, name: &str) -> String {
    format!("{}/{}/{name}", w.id, f.segment())
}

fn version_id(w: &Ws, f: Family, name: &str, version: &str) -> String {
    format!("{}/{}/{name}/versions/{version}", w.id, f.segment())
}

fn get(state: &State, id: &str, kind: Kind, what: &str) -> Result<Resp, ArmError> {
    state
        .resources
        .get(&key(id))
        .filter(|e| e.kind == kind)
        .map(|e| Resp::json(200, e.body.clone()))
        .ok_or_else(|| ArmError::not_found("Microsoft.MachineLearningServices/workspaces", what))
}

fn container_doc(
    ctx: &Ctx,
    w: &Ws,
    f: Family,
    name: &str,
    props: Option<&Value>,
    old: Option<&Value>,
) -> Value {
    let mut p = props
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    strip(
        &mut p,
        &["latestVersion", "nextVersion", "provisioningState"],
    );
    default_field(&mut p, "description", Value::Null);
    default_field(&mut p, "tags", json!({}));
    default_field(&mut p, "properties", json!({}));
    default_field(&mut p, "isArchived", json!(false));
    if let Some(o) = old {
        p["latestVersion"] = o["properties"]["latestVersion"].clone();
        p["nextVersion"] = o["properties"]["nextVersion"].clone();
    } else {
        p["latestVersion"] = Value::Null;
        p["nextVersion"] = json!("1");
    }
    p["provisioningState"] = json!("Succeeded");
    json!({
        "id": container_id(w, f, name),
        "name": name,
        "type": f.type_name(),
        "properties": p,
        "systemData": system_data(ctx.now, old.and_then(|o| o.get("systemData"))),
    })
}

fn put_container(
    ctx: &Ctx,
    state: &mut State,
    req: &Req,
    w: &Ws,
    f: Family,
    name: &str,
) -> Result<Resp, ArmError> {
    let body = req.json()?;
    validate::asset_put(&body, None).map_err(ArmError::validation)?;
    let k = key(&container_id(w, f, name));
    let old = state.resources.get(&k).map(|e| e.body.clone());
    let doc = container_doc(ctx, w, f, name, body.get("properties"), old.as_ref());
    state.resources.insert(
        k,
        Entry {
            kind: f.container_kind(),
            body: doc.clone(),
            pending: vec![],
        },
    );
    state.dirty = true;
    Ok(Resp::json(if old.is_some() { 200 } else { 201 }, doc))
}

fn list_versions(ctx: &Ctx, state: &State, req: &Req, w: &Ws, f: Family, name: &str) -> Resp {
    let coll = format!("{}/{}/{name}/versions", w.id, f.segment());
    let items: Vec<Value> = match (f, req.q("hash")) {
        // The hash lookup searches the whole workspace: the SDK asks under a fresh name.
        (Family::Codes, Some(hash)) => {
            let hv = req.q("hashVersion");
            state
                .descendants(&key(&format!("{}/codes", w.id)), Kind::CodeVersion)
                .into_iter()
                .filter(|e| {
                    let p = &e.body["properties"]["properties"];
                    p["hash_sha256"].as_str() == Some(hash)
                        && hv.is_none_or(|v| scalar_text(&p["hash_version"]).as_deref() == Some(v))
                })
                .map(|e| e.body.clone())
                .collect()
        }
        _ => state
            .children(&key(&coll), f.version_kind())
            .into_iter()
            .map(|e| e.body.clone())
            .collect(),
    };
    paging::page(ctx, req, &coll, items)
}

fn put_version(
    ctx: &Ctx,
    state: &mut State,
    req: &Req,
    w: &Ws,
    f: Family,
    name: &str,
    version: &str,
) -> Result<Resp, ArmError> {
    let body = req.json()?;
    let required = match f {
        Family::Components => Some(("componentSpec", T::Obj)),
        _ => None,
    };
    validate::asset_put(&body, required).map_err(ArmError::validation)?;
    if f == Family::Environments {
        let p = &body["properties"];
        if p["image"].is_null() && p["build"].is_null() {
            return Err(ArmError::validation(vec![(
                "properties.image".into(),
                "an environment version needs either image or build".into(),
            )]));
        }
    }
    let rid = version_id(w, f, name, version);
    let k = key(&rid);
    let old = state
        .resources
        .get(&k)
        .filter(|e| e.kind == f.version_kind())
        .map(|e| e.body.clone());
    let mut p = body["properties"].clone();
    strip(&mut p, &["provisioningState"]);
    default_field(&mut p, "description", Value::Null);
    default_field(&mut p, "tags", json!({}));
    default_field(&mut p, "properties", json!({}));
    default_field(&mut p, "isAnonymous", json!(false));
    default_field(&mut p, "isArchived", json!(false));
    match f {
        Family::Environments => {
            default_field(&mut p, "environmentType", json!("UserCreated"));
            default_field(&mut p, "osType", json!("Linux"));
            default_field(&mut p, "autoRebuild", json!("Disabled"));
        }
        Family::Codes => default_field(&mut p, "codeUri", Value::Null),
        Family::Components => {}
    }
    p["provisioningState"] = json!("Succeeded");
    if let Some(old) = &old {
        let definition = |v: &Value| {
            let mut d = v.clone();
            strip(&mut d, VERSION_MUTABLE);
            d
        };
        if definition(&old["properties"]) != definition(&p) {
            return Err(ArmError::conflict(format!(
                "{} '{name}' version '{version}' already exists with different content; asset versions are immutable.",
                f.segment()
            )));
        }
    }
    let doc = json!({
        "id": rid,
        "name": version,
        "type": format!("{}/versions", f.type_name()),
        "properties": p,
        "systemData": system_data(ctx.now, old.as_ref().and_then(|o| o.get("systemData"))),
    });
    state.resources.insert(
        k,
        Entry {
            kind: f.version_kind(),
            body: doc.clone(),
            pending: vec![],
        },
    );
    // The container exists implicitly once a version does.
    let ck = key(&container_id(w, f, name));
    let container = state.resources.get(&ck).map(|e| e.body.clone());
    let mut cdoc = container
        .clone()
        .unwrap_or_else(|| container_doc(ctx, w, f, name, None, None));
    cdoc["properties"]["latestVersion"] = json!(version);
    cdoc["properties"]["nextVersion"] = json!(
        version
            .parse::<u64>()
            .map(|v| (v + 1).to_string())
            .unwrap_or_else(|_| "1".into())
    );
    state.resources.insert(
        ck,
        Entry {
            kind: f.container_kind(),
            body: cdoc,
            pending: vec![],
        },
    );
    state.dirty = true;
    Ok(Resp::json(if old.is_some() { 200 } else { 201 }, doc))
}

/// Storage account and container that back a workspace's default datastore (path-style URLs
/// on the emulator itself).
pub fn blob_location(w: &Ws) -> (String, String) {
    let suffix: String = w
        .spec
        .name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    (
        "amlemulatorstore".to_string(),
        format!("azureml-blobstore-{suffix}"),
    )
}

fn start_pending_upload(
    ctx: &Ctx,
    state: &mut State,
    req: &Req,
    w: &Ws,
    _name: &str,
    _version: &str,
) -> Resp {
    let upload_id = req
        .json()
        .ok()
        .and_then(|b| {
            b["pendingUploadId"]
                .as_str()
                .filter(|s| !s.is_empty() && !s.contains('/'))
                .map(String::from)
        })
        .unwrap_or_else(|| state.next_id(ctx.now));
    let (account, container) = blob_location(w);
    let blob_uri = format!(
        "{}/{account}/{container}/LocalUpload/{upload_id}",
        ctx.base_url
    );
    let expiry = rfc3339(ctx.now.saturating_add(3_600_000));
    let sas = format!(
        "{blob_uri}?sv=2021-08-06&sr=c&sp=rcwl&se={}&sig=emulator",
        super::paging::encode(&expiry)
    );
    state.dirty = true;
    Resp::json(
        200,
        json!({
            "blobReferenceForConsumption": {
                "blobUri": blob_uri,
                "storageAccountArmId": format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Storage/storageAccounts/{account}", w.spec.subscription, w.spec.resource_group),
                "credential": {"credentialType": "SAS", "sasUri": sas},
            },
            "pendingUploadId": upload_id,
            "pendingUploadType": "TemporaryBlobReference",
        }),
    )
}

/// A JSON scalar as text (`202208` and `"202208"` both give `202208`).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
