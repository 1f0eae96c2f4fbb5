//! What the three compute kinds share: the ARM envelope (`location`, `tags`, `identity`),
//! `description`, and `network_settings` → `subnet`.
//!
//! Body shape: `{location, tags?, identity?, properties: {computeType, description?,
//! resourceId?, properties: {<type-specific>}}}`. `location` is the workspace's unless the
//! manifest says otherwise (compute instances always follow the workspace).

use serde_json::{Map, Value, json};

use super::TranslateError;
use super::casing::{COMPUTE_IDENTITY_TYPES, lookup};
use super::value::{Obj, join};

pub(crate) struct Envelope<'a> {
    pub compute_type: &'static str,
    /// Honour the manifest's `location` (AmlCompute, Kubernetes) or always use the workspace's.
    pub own_location: bool,
    pub root: &'a Obj<'a>,
}

impl Envelope<'_> {
    /// Wrap the type-specific `properties.properties` (and extra `properties` fields such as
    /// `resourceId`) into the full body.
    pub fn body(
        &self,
        inner: Map<String, Value>,
        outer_extra: Map<String, Value>,
    ) -> Result<Value, TranslateError> {
        let root = self.root;
        let mut body = Map::new();
        let location = match (self.own_location, root.str("location")?) {
            (true, Some(l)) => l.to_owned(),
            _ => root.cx.ctx.location.clone(),
        };
        body.insert("location".into(), json!(location));
        if let Some(tags) = root.string_map("tags")? {
            body.insert("tags".into(), Value::Object(tags));
        }
        if let Some(identity) = identity(root)? {
            body.insert("identity".into(), identity);
        }
        let mut props = Map::new();
        props.insert("computeType".into(), json!(self.compute_type));
        if let Some(d) = root.str("description")? {
            props.insert("description".into(), json!(d));
        }
        props.extend(outer_extra);
        props.insert("properties".into(), Value::Object(inner));
        body.insert("properties".into(), Value::Object(props));
        Ok(Value::Object(body))
    }
}

/// `identity` → ManagedServiceIdentity (`{type: "UserAssigned", userAssignedIdentities: {id: {}}}`).
fn identity(root: &Obj) -> Result<Option<Value>, TranslateError> {
    let Some(id) = root.obj("identity")? else {
        return Ok(None);
    };
    let ty = id.req_str("type")?;
    let rest = lookup(&ty.replace(' ', ""), COMPUTE_IDENTITY_TYPES)
        .ok_or_else(|| id.invalid("type", format!("unknown identity type `{ty}`")))?;
    let mut m = Map::new();
    m.insert("type".into(), json!(rest));
    if let Some(list) = id.raw("user_assigned_identities") {
        let items = list
            .as_array()
            .ok_or_else(|| id.invalid("user_assigned_identities", "expected a list"))?;
        let mut uai = Map::new();
        for (i, item) in items.iter().enumerate() {
            let o = Obj::at(
                root.cx,
                item,
                join(&id.field("user_assigned_identities"), &i.to_string()),
            )?;
            uai.insert(o.req_str("resource_id")?.to_owned(), json!({}));
        }
        m.insert("userAssignedIdentities".into(), Value::Object(uai));
    }
    Ok(Some(Value::Object(m)))
}

/// `network_settings.subnet` (+ `vnet_name`) → `{id}`: an ARM id is kept, a bare subnet name
/// with `vnet_name` becomes the subnet's ARM id in the workspace's resource group.
pub(crate) fn subnet(root: &Obj) -> Result<Option<Value>, TranslateError> {
    let Some(net) = root.obj("network_settings")? else {
        return Ok(None);
    };
    let Some(subnet) = net.str("subnet")? else {
        return Ok(None);
    };
    let id = match net.str("vnet_name")? {
        Some(vnet) if !subnet.starts_with('/') => format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}",
            root.cx.ctx.subscription, root.cx.ctx.resource_group
        ),
        _ => subnet.to_owned(),
    };
    Ok(Some(json!({ "id": id })))
}

/// `true` → `Enabled`, `false` → `Disabled`.
pub(crate) fn enabled(b: bool) -> &'static str {
    if b { "Enabled" } else { "Disabled" }
}
