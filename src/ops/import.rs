//! `amlctl import`: adopt a resource that exists in the workspace but was not created by amlctl,
//! so that amlctl manages it from now on (and may prune it later with `--prune`).
//!
//! Like Terraform's import, a manifest must already declare the resource: adoption only marks it
//! owned, it never changes its configuration. How it is marked, per kind:
//! - computes: the ownership tag is merged with the ARM Tags API at the compute's scope, because a
//!   compute PUT overwrites the whole resource (and may recreate it);
//! - schedules and jobs: their tags live in `properties.tags` and may change in place, so the live
//!   definition is PUT back unchanged with the tag added.

use amlctl_arm::{ArmError, TagsOperation};
use serde_json::{Map, Value, json};

use super::Session;
use crate::live::{resource_path, to_live};
use crate::model::{DesiredState, Kind, OWNERSHIP_TAG, OWNERSHIP_TAG_VALUE, ResourceId};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{address} is not declared by any manifest: write its manifest first, then import it")]
    NotDeclared { address: ResourceId },
    #[error("{address} does not exist in the workspace: nothing to import (apply would create it)")]
    NotInWorkspace { address: ResourceId },
    #[error("could not adopt {address}")]
    Arm {
        address: ResourceId,
        #[source]
        source: Box<ArmError>,
    },
}

/// What importing one address did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Imported {
    /// The ownership tag was added.
    Adopted,
    /// amlctl already owned it.
    AlreadyManaged,
}

/// Fields the service owns, left out when a schedule or job is PUT back.
const READ_ONLY: &[&str] = &[
    "/id",
    "/name",
    "/type",
    "/systemData",
    "/properties/provisioningState",
    "/properties/status",
];

pub async fn import(
    session: &Session,
    desired: &DesiredState,
    address: &ResourceId,
) -> Result<Imported, ImportError> {
    if !desired.resources.contains_key(address) {
        return Err(ImportError::NotDeclared {
            address: address.clone(),
        });
    }
    let arm = |source: ArmError| ImportError::Arm {
        address: address.clone(),
        source: Box::new(source),
    };
    let path = resource_path(&session.workspace_path, address);
    let live = session.client.get(&path).await.map_err(arm)?;
    let Some(live) = live else {
        return Err(ImportError::NotInWorkspace {
            address: address.clone(),
        });
    };
    if to_live(address.kind, live.clone()).is_some_and(|r| r.owned) {
        return Ok(Imported::AlreadyManaged);
    }
    let tag = json!({ OWNERSHIP_TAG: OWNERSHIP_TAG_VALUE });
    match address.kind {
        Kind::Compute => {
            session
                .client
                .update_tags(&path, TagsOperation::Merge, &tag)
                .await
                .map_err(arm)?;
        }
        Kind::Schedule | Kind::Job => {
            let body = with_tag(address.kind, strip_read_only(live));
            if address.kind == Kind::Schedule {
                session.client.put_lro(&path, &body).await.map_err(arm)?;
            } else {
                session.client.put(&path, &body).await.map_err(arm)?;
            }
        }
    }
    Ok(Imported::Adopted)
}

fn strip_read_only(mut body: Value) -> Value {
    for pointer in READ_ONLY {
        let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
        let holder = if parent.is_empty() {
            Some(&mut body)
        } else {
            body.pointer_mut(parent)
        };
        if let Some(Value::Object(map)) = holder {
            map.remove(key);
        }
    }
    body
}

fn with_tag(kind: Kind, mut body: Value) -> Value {
    let pointer = kind.tags_pointer();
    let (parent, _) = pointer.rsplit_once('/').unwrap_or(("", ""));
    let holder = if parent.is_empty() {
        Some(&mut body)
    } else {
        body.pointer_mut(parent)
    };
    if let Some(Value::Object(map)) = holder {
        let tags = map
            .entry("tags")
            .or_insert_with(|| Value::Object(Map::new()));
        if !tags.is_object() {
            *tags = Value::Object(Map::new());
        }
        if let Some(tags) = tags.as_object_mut() {
            tags.insert(
                OWNERSHIP_TAG.to_owned(),
                Value::String(OWNERSHIP_TAG_VALUE.to_owned()),
            );
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_is_put_back_unchanged_but_for_the_tag() {
        let live = json!({
            "id": "/x", "name": "s", "type": "t", "systemData": {"createdAt": "2020"},
            "properties": {"provisioningState": "Succeeded", "isEnabled": true, "tags": {"team": "a"},
                           "trigger": {"triggerType": "Cron", "expression": "0 1 * * *"}}
        });
        let body = with_tag(Kind::Schedule, strip_read_only(live));
        assert_eq!(
            body,
            json!({"properties": {"isEnabled": true, "tags": {"team": "a", OWNERSHIP_TAG: OWNERSHIP_TAG_VALUE},
                                  "trigger": {"triggerType": "Cron", "expression": "0 1 * * *"}}})
        );
    }
}
