//! Asset containers and versions (environments, codes, components) and datastores.

use serde_json::Value;

use super::lists::{CREDENTIALS_TYPES, DATASTORE_TYPES};
use super::{Problems, T, object};

/// Asset container / version PUT bodies: `properties` object with the common ResourceBase fields
/// and the kind-specific required field (`componentSpec` for components).
pub fn asset_put(body: &Value, required: Option<(&str, T)>) -> Result<(), Vec<(String, String)>> {
    let mut p = Problems::default();
    if let Some(o) = object(&mut p, body, "")
        && let Some(props) = p
            .req(o, "", "properties", T::Obj)
            .and_then(Value::as_object)
    {
        let at = "properties";
        p.opt(props, at, "description", T::Str);
        p.string_map(props, at, "tags");
        p.string_map(props, at, "properties");
        p.opt(props, at, "isAnonymous", T::Bool);
        p.opt(props, at, "isArchived", T::Bool);
        p.opt(props, at, "codeUri", T::Str);
        p.opt(props, at, "image", T::Str);
        p.opt(props, at, "condaFile", T::Str);
        if let Some(Value::Object(b)) = p.opt(props, at, "build", T::Obj) {
            p.req(b, "properties.build", "contextUri", T::Str);
        }
        if let Some((field, t)) = required {
            p.req(props, at, field, t);
        }
    }
    p.into_result()
}

/// Datastore PUT body.
pub fn datastore_put(body: &Value) -> Result<(), Vec<(String, String)>> {
    let mut p = Problems::default();
    if let Some(o) = object(&mut p, body, "")
        && let Some(props) = p
            .req(o, "", "properties", T::Obj)
            .and_then(Value::as_object)
    {
        let at = "properties";
        let dt = p.disc(props, at, "datastoreType", DATASTORE_TYPES);
        if let Some(Value::Object(c)) = p.req(props, at, "credentials", T::Obj) {
            p.disc(
                c,
                "properties.credentials",
                "credentialsType",
                CREDENTIALS_TYPES,
            );
        }
        if matches!(dt, Some("AzureBlob") | Some("AzureFile")) {
            p.req(props, at, "accountName", T::Str);
        }
    }
    p.into_result()
}
