//! `type: kubernetes` → `computeType: Kubernetes` (an attach of an AKS or Arc cluster).
//!
//! `resource_id` → `properties.resourceId`; `namespace` (default `default`) and the free
//! `properties` map → `properties.properties`, whose snake_case keys are written in camelCase
//! (`default_instance_type` → `defaultInstanceType`, `instance_types.<t>.node_selector` →
//! `nodeSelector`); resource names inside `resources.requests/limits` (`cpu`,
//! `nvidia.com/gpu`) and node selector labels are kept as written. The relay and service bus
//! connection strings are secrets: placeholders in the body, listed in `secret_paths`.

use serde_json::{Map, Value, json};

use super::casing::camel;
use super::compute_common::Envelope;
use super::secrets::{secret_env_var, secret_placeholder};
use super::value::{Obj, scalar_to_string};
use super::{Cx, TranslateError, Translated};

const SECRET_KEYS: [&str; 2] = ["relayConnectionString", "serviceBusConnectionString"];

pub(crate) fn translate(cx: &Cx, value: &Value) -> Result<Translated, TranslateError> {
    let root = Obj::root(*cx, value)?;
    let name = root.req_str("name")?.to_owned();
    let mut p = Map::new();
    if let Some(props) = root.obj("properties")? {
        for (k, v) in props.map {
            let key = camel(k);
            let v = match key.as_str() {
                "instanceTypes" => instance_types(&props, v)?,
                _ => v.clone(),
            };
            p.insert(key, v);
        }
    }
    p.insert(
        "namespace".into(),
        json!(root.str("namespace")?.unwrap_or("default")),
    );
    let mut secret_paths = Vec::new();
    for key in SECRET_KEYS {
        if let Some(v) = p.get(key).filter(|v| !v.is_null()) {
            let raw = scalar_to_string(v).unwrap_or_default();
            let var = secret_env_var(&raw, &name, key);
            p.insert(key.into(), json!(secret_placeholder(&var)));
            secret_paths.push(format!("/properties/properties/{key}"));
        }
    }
    let mut outer = Map::new();
    if let Some(id) = root.str("resource_id")? {
        outer.insert("resourceId".into(), json!(id));
    }
    let body = Envelope {
        compute_type: "Kubernetes",
        own_location: true,
        root: &root,
    }
    .body(p, outer)?;
    Ok(Translated {
        name,
        type_label: "Kubernetes",
        body,
        secret_paths,
        depends_on: Default::default(),
        assets: Vec::new(),
    })
}

/// `instance_types: {name: {node_selector, resources: {requests, limits}}}` with camelCase
/// structural keys and the user's keys (instance type names, labels, resource names) kept.
fn instance_types(props: &Obj, v: &Value) -> Result<Value, TranslateError> {
    let Value::Object(types) = v else {
        return Err(props.invalid(
            "instance_types",
            "expected a mapping of instance type name to settings",
        ));
    };
    let mut out = Map::new();
    for (ty, settings) in types {
        let Value::Object(settings) = settings else {
            out.insert(ty.clone(), settings.clone());
            continue;
        };
        let mut s = Map::new();
        for (k, v) in settings {
            s.insert(camel(k), v.clone());
        }
        out.insert(ty.clone(), Value::Object(s));
    }
    Ok(Value::Object(out))
}
