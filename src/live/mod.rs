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
    /// The background read stopped before every list was complete (it never yields a partial
    /// workspace: a missing page would look like missing resources).
    #[error("the read of the workspace stopped before it was complete")]
    Interrupted,
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
    start(client.clone(), workspace_path.to_owned())
        .collect()
        .await
}

/// Start reading the workspace in the background: [`LiveStream`] hands out each page of each
/// kind's list as it arrives, so planning can work on the first pages while the next ones are
/// still on the wire.
pub fn start(client: ArmClient, workspace_path: String) -> LiveStream {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let list = |kind: Kind| {
            let (client, tx) = (&client, tx.clone());
            let path = collection_path(&workspace_path, kind);
            async move {
                let sent = client
                    .list_pages(&path, list_query(kind), |values| {
                        let page: Vec<LiveResource> = values
                            .into_iter()
                            .filter_map(|body| to_live(kind, body))
                            .collect();
                        let _ = tx.send(Ok(Message::Page(page)));
                    })
                    .await;
                if let Err(source) = sent {
                    let _ = tx.send(Err(LiveError::List { kind, source }));
                }
            }
        };
        tokio::join!(list(Kind::Compute), list(Kind::Schedule), list(Kind::Job));
        let _ = tx.send(Ok(Message::Complete));
    });
    LiveStream {
        rx,
        task,
        complete: false,
    }
}

enum Message {
    Page(Vec<LiveResource>),
    Complete,
}

/// Pages of the workspace as they arrive; the read stops when this is dropped.
pub struct LiveStream {
    rx: tokio::sync::mpsc::UnboundedReceiver<Result<Message, LiveError>>,
    task: tokio::task::JoinHandle<()>,
    complete: bool,
}

impl LiveStream {
    /// The next page (of any kind), `None` once every list is complete. An error ends the read;
    /// a read that stopped early is [`LiveError::Interrupted`], never a silently short state.
    pub async fn next(&mut self) -> Option<Result<Vec<LiveResource>, LiveError>> {
        if self.complete {
            return None;
        }
        match self.rx.recv().await {
            Some(Ok(Message::Page(page))) => Some(Ok(page)),
            Some(Ok(Message::Complete)) => {
                self.complete = true;
                None
            }
            Some(Err(e)) => Some(Err(e)),
            None => Some(Err(LiveError::Interrupted)),
        }
    }

    /// Every page, as one state.
    pub async fn collect(mut self) -> Result<LiveState, LiveError> {
        let mut state = LiveState::default();
        while let Some(page) = self.next().await {
            for resource in page? {
                state.resources.insert(resource.id.clone(), resource);
            }
        }
        Ok(state)
    }
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        self.task.abort();
    }
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

    #[tokio::test]
    async fn a_read_that_stops_early_is_an_error_never_a_short_workspace() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let page = vec![to_live(Kind::Compute, serde_json::json!({"name": "c1"})).unwrap()];
        tx.send(Ok(Message::Page(page))).unwrap();
        drop(tx); // the reader died before `Complete`
        let stream = LiveStream {
            rx,
            task: tokio::spawn(async {}),
            complete: false,
        };
        assert!(matches!(
            stream.collect().await,
            Err(LiveError::Interrupted)
        ));

        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tx.send(Ok(Message::Complete)).unwrap();
        let stream = LiveStream {
            rx,
            task: tokio::spawn(async {}),
            complete: false,
        };
        assert!(stream.collect().await.unwrap().resources.is_empty());
    }
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
