//! Observe the live workspace: one paged list call per kind, all kinds concurrently, normalised
//! into [`LiveState`]. Never one GET per resource.

use amlctl_arm::{ArmClient, ArmError};
use serde_json::Value;

use crate::model::{Kind, LiveResource, LiveState, OWNERSHIP_TAG, OWNERSHIP_TAG_VALUE, ResourceId};

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("could not list the workspace's {kind}s")]
    List {
        kind: Kind,
        #[source]
        source: ArmError,
    },
}

/// The query each kind is listed with. Schedules and jobs hide disabled/archived items unless
/// asked for all of them: a reconciler must see everything it may own.
pub fn list_query(kind: Kind) -> &'static [(&'static str, &'static str)] {
    match kind {
        Kind::Compute => &[],
        Kind::Schedule | Kind::Job => &[("listViewType", "All")],
    }
}

/// Path of a kind's collection under a workspace ARM path.
pub fn collection_path(workspace_path: &str, kind: Kind) -> String {
    format!("{workspace_path}/{}", kind.collection())
}

/// Path of one resource under a workspace ARM path.
pub fn resource_path(workspace_path: &str, id: &ResourceId) -> String {
    format!("{workspace_path}/{}/{}", id.kind.collection(), id.name)
}

/// Read computes, schedules and jobs concurrently (one paged list each).
pub async fn observe(client: &ArmClient, workspace_path: &str) -> Result<LiveState, LiveError> {
    let list = |kind: Kind| {
        let path = collection_path(workspace_path, kind);
        async move {
            client
                .list(&path, list_query(kind))
                .await
                .map_err(|source| LiveError::List { kind, source })
                .map(|items| (kind, items))
        }
    };
    let (computes, schedules, jobs) =
        tokio::try_join!(list(Kind::Compute), list(Kind::Schedule), list(Kind::Job))?;
    let mut state = LiveState::default();
    for (kind, items) in [computes, schedules, jobs] {
        for body in items {
            if let Some(resource) = to_live(kind, body) {
                state.resources.insert(resource.id.clone(), resource);
            }
        }
    }
    Ok(state)
}

/// Turn one GET/list body into a [`LiveResource`]. Items without a name are ignored.
pub fn to_live(kind: Kind, body: Value) -> Option<LiveResource> {
    let name = body.get("name")?.as_str()?.to_owned();
    let owned = is_owned(kind, &body);
    Some(LiveResource {
        id: ResourceId::new(kind, name),
        body,
        owned,
    })
}

fn is_owned(kind: Kind, body: &Value) -> bool {
    body.pointer(kind.tags_pointer())
        .and_then(|tags| tags.get(OWNERSHIP_TAG))
        .and_then(Value::as_str)
        .is_some_and(|v| v.eq_ignore_ascii_case(OWNERSHIP_TAG_VALUE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ownership_is_read_from_the_kinds_tag_location() {
        let compute = json!({"name": "c1", "tags": {OWNERSHIP_TAG: "true"}, "properties": {}});
        let schedule = json!({"name": "s1", "tags": {OWNERSHIP_TAG: "true"}, "properties": {}});
        let job = json!({"name": "j1", "properties": {"tags": {OWNERSHIP_TAG: "true"}}});
        assert!(to_live(Kind::Compute, compute).unwrap().owned);
        assert!(
            !to_live(Kind::Schedule, schedule).unwrap().owned,
            "schedule tags live in properties"
        );
        assert!(to_live(Kind::Job, job).unwrap().owned);
        assert!(to_live(Kind::Job, json!({"properties": {}})).is_none());
    }
}
