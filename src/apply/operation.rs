//! One change's operations on the wire: which call each [`Action`] makes, and the read-back.

use amlctl_arm::{ArmClient, ArmError, TagsOperation};
use serde_json::{Map, Value, json};

use super::{ApplyEvent, ApplyObserver, ApplyOptions, assets};
use crate::live::resource_path;
use crate::model::{DesiredResource, Kind, OWNERSHIP_TAG, OWNERSHIP_TAG_VALUE};
use crate::plan::{Action, Change};

#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    #[error("{action:?} of {address} failed")]
    Arm {
        address: String,
        action: Action,
        #[source]
        source: Box<ArmError>,
    },
    #[error("{address} has no desired body to {action:?} (the manifests changed since the plan?)")]
    NoDesiredBody { address: String, action: Action },
    #[error("asset for {address} could not be prepared: {message}")]
    Asset { address: String, message: String },
    #[error("job {address} ended {status}")]
    JobFailed { address: String, status: String },
    #[error("job {address} is still {status} after {waited:?}; stopped following it")]
    JobWaitTimeout {
        address: String,
        status: String,
        waited: std::time::Duration,
    },
}

/// A one-line description with the service's error, for summaries.
pub fn describe(error: &OperationError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What an executed change did.
pub struct Done {
    pub actions: Vec<Action>,
    /// Fields the service accepted but did not apply (from the read-back).
    pub not_applied: Vec<String>,
}

pub async fn execute(
    client: &ArmClient,
    change: &Change,
    desired: Option<&DesiredResource>,
    options: &ApplyOptions,
    observer: &dyn ApplyObserver,
    ensured: &assets::Ensured,
) -> Result<Done, OperationError> {
    let id = &change.address;
    let path = resource_path(&options.workspace_path, id);
    let arm = |action: Action| {
        let address = id.to_string();
        move |source: ArmError| OperationError::Arm {
            address,
            action,
            source: Box::new(source),
        }
    };
    let need_desired = |action: Action| {
        desired.ok_or_else(|| OperationError::NoDesiredBody {
            address: id.to_string(),
            action,
        })
    };
    let progress = |message: &str| {
        observer.event(ApplyEvent::Progress {
            address: id.clone(),
            message: message.to_owned(),
        })
    };
    let mut done = Vec::new();
    let mut not_applied = Vec::new();
    // An earlier apply may have been interrupted while this resource was still provisioning
    // (or starting/stopping): wait for it to settle before acting on it.
    let mut settled: Option<Value> = None;
    if id.kind == Kind::Compute
        && !change
            .actions
            .iter()
            .all(|a| matches!(a, Action::Create | Action::NoOp))
    {
        progress("waiting for the resource to settle");
        settled = settle(client, &path, options)
            .await
            .map_err(arm(change.actions[0]))?;
    }
    for &action in &change.actions {
        match action {
            Action::NoOp => continue,
            Action::Create | Action::Submit => {
                let desired = need_desired(action)?;
                assets::ensure(client, &options.workspace_path, desired, observer, ensured).await?;
                progress(if action == Action::Submit {
                    "submitting"
                } else {
                    "creating"
                });
                let body = with_ownership(id.kind, desired.body.clone());
                write(client, id.kind, &path, &body)
                    .await
                    .map_err(arm(action))?;
            }
            Action::Update => {
                let desired = need_desired(action)?;
                progress("updating");
                update(client, change, desired, &path, settled.as_ref())
                    .await
                    .map_err(arm(action))?;
            }
            Action::Replace => {
                let desired = need_desired(action)?;
                assets::ensure(client, &options.workspace_path, desired, observer, ensured).await?;
                progress("deleting (replace)");
                delete(client, id.kind, change, &path)
                    .await
                    .map_err(arm(action))?;
                progress("creating (replace)");
                let body = with_ownership(id.kind, desired.body.clone());
                write(client, id.kind, &path, &body)
                    .await
                    .map_err(arm(action))?;
            }
            Action::Delete => {
                progress("deleting");
                delete(client, id.kind, change, &path)
                    .await
                    .map_err(arm(action))?;
            }
            Action::Start | Action::Stop => {
                let verb = if action == Action::Start {
                    "start"
                } else {
                    "stop"
                };
                let already = if action == Action::Start {
                    "Running"
                } else {
                    "Stopped"
                };
                let state = settled
                    .as_ref()
                    .and_then(|b| b.pointer("/properties/properties/state"))
                    .and_then(Value::as_str);
                if state == Some(already)
                    && !done
                        .iter()
                        .any(|a| matches!(a, Action::Create | Action::Replace))
                {
                    done.push(action);
                    continue;
                }
                progress(if action == Action::Start {
                    "starting"
                } else {
                    "stopping"
                });
                client
                    .post_lro(&format!("{path}/{verb}"))
                    .await
                    .map_err(arm(action))?;
            }
            Action::Cancel => {
                progress("canceling");
                client
                    .post_lro(&format!("{path}/cancel"))
                    .await
                    .map_err(arm(action))?;
            }
        }
        done.push(action);
    }
    if let Some(desired) = desired
        && done
            .iter()
            .any(|a| matches!(a, Action::Create | Action::Update | Action::Replace))
    {
        progress("reading back");
        let live = client.get(&path).await.map_err(arm(Action::Update))?;
        if let Some(live) = live {
            not_applied = read_back_differences(desired, live);
        }
    }
    if options.wait_jobs && done.contains(&Action::Submit) {
        follow_job(client, id, &path, options, observer).await?;
    }
    Ok(Done {
        actions: done,
        not_applied,
    })
}

/// States in which a compute is still on its way somewhere.
const TRANSITIONAL: &[&str] = &[
    "Creating",
    "Updating",
    "Deleting",
    "Starting",
    "Stopping",
    "Restarting",
    "Resizing",
];

/// GET until neither the provisioning state nor the instance state is transitional.
async fn settle(
    client: &ArmClient,
    path: &str,
    options: &ApplyOptions,
) -> Result<Option<Value>, ArmError> {
    let deadline = std::time::Instant::now() + options.settle_timeout;
    loop {
        let body = client.get(path).await?;
        let busy = body.as_ref().is_some_and(|b| {
            [
                "/properties/provisioningState",
                "/properties/properties/state",
            ]
            .iter()
            .filter_map(|p| b.pointer(p).and_then(Value::as_str))
            .any(|s| TRANSITIONAL.iter().any(|t| t.eq_ignore_ascii_case(s)))
        });
        if !busy || std::time::Instant::now() >= deadline {
            return Ok(body);
        }
        tokio::time::sleep(options.job_poll_interval).await;
    }
}

/// PUT the resource: computes and schedules are long-running, jobs are synchronous.
async fn write(
    client: &ArmClient,
    kind: Kind,
    path: &str,
    body: &Value,
) -> Result<Value, ArmError> {
    match kind {
        Kind::Compute | Kind::Schedule => client.put_lro(path, body).await,
        Kind::Job => client.put(path, body).await,
    }
}

/// In-place update: AmlCompute scale settings by PATCH; everything else by PUT of the desired
/// body, keeping the ownership tag the live resource has.
async fn update(
    client: &ArmClient,
    change: &Change,
    desired: &DesiredResource,
    path: &str,
    settled: Option<&Value>,
) -> Result<(), ArmError> {
    let kind = change.address.kind;
    // Whether amlctl owns it decides whether the rewrite keeps the ownership tag; the plan's
    // `before` is normalised without that tag, so read it from the resource itself.
    let live = match settled {
        Some(body) => Some(body.clone()),
        None => client.get(path).await?,
    };
    let owned = live
        .and_then(|body| crate::live::to_live(kind, body))
        .is_some_and(|r| r.owned);
    let is_scale = |p: &str| p.starts_with("/properties/properties/scaleSettings");
    let is_tags = |p: &str| p == "/tags" || p.starts_with("/tags/");
    let compute_metadata_only = kind == Kind::Compute
        && change
            .field_changes
            .iter()
            .all(|f| is_scale(&f.path) || is_tags(&f.path));
    if compute_metadata_only {
        // Never a compute PUT for these: it would overwrite (and may recreate) the compute.
        if change.field_changes.iter().any(|f| is_scale(&f.path))
            && let Some(scale) = desired.body.pointer("/properties/properties/scaleSettings")
        {
            let patch = json!({"properties": {"properties": {"scaleSettings": scale}}});
            client.patch_lro(path, &patch).await?;
        }
        if change.field_changes.iter().any(|f| is_tags(&f.path)) {
            let tagged = with_ownership_if(kind, desired.body.clone(), owned);
            let tags = tagged.get("tags").cloned().unwrap_or_else(|| json!({}));
            client
                .update_tags(path, TagsOperation::Replace, &tags)
                .await?;
        }
        return Ok(());
    }
    let body = with_ownership_if(kind, desired.body.clone(), owned);
    write(client, kind, path, &body).await.map(|_| ())
}

/// Computes need `underlyingResourceAction`: attached Kubernetes clusters are detached (the
/// cluster is kept), everything else is deleted.
async fn delete(
    client: &ArmClient,
    kind: Kind,
    change: &Change,
    path: &str,
) -> Result<(), ArmError> {
    match kind {
        Kind::Compute => {
            let attached = change
                .before
                .as_ref()
                .or(change.after.as_ref())
                .and_then(|b| b.pointer("/properties/computeType"))
                .and_then(Value::as_str)
                .is_some_and(|t| {
                    t.eq_ignore_ascii_case("Kubernetes") || t.eq_ignore_ascii_case("AKS")
                });
            let action = if attached { "Detach" } else { "Delete" };
            client
                .delete_lro(path, &[("underlyingResourceAction", action)])
                .await
        }
        Kind::Schedule | Kind::Job => client.delete_lro(path, &[]).await,
    }
}

fn with_ownership(kind: Kind, body: Value) -> Value {
    with_ownership_if(kind, body, true)
}

fn with_ownership_if(kind: Kind, mut body: Value, owned: bool) -> Value {
    if !owned {
        return body;
    }
    let Some(root) = body.as_object_mut() else {
        return body;
    };
    let holder = match kind {
        Kind::Compute => root,
        Kind::Schedule | Kind::Job => match root
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
        {
            Some(p) => p,
            None => return body,
        },
    };
    let tags = holder
        .entry("tags")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(tags) = tags.as_object_mut() {
        tags.insert(
            OWNERSHIP_TAG.to_owned(),
            Value::String(OWNERSHIP_TAG_VALUE.to_owned()),
        );
    }
    body
}

/// Fields the desired body sets that the read-back shows with another value.
fn read_back_differences(desired: &DesiredResource, live: Value) -> Vec<String> {
    let mut state = crate::model::DesiredState::default();
    state.resources.insert(desired.id.clone(), desired.clone());
    let mut live_state = crate::model::LiveState::default();
    if let Some(resource) = crate::live::to_live(desired.id.kind, live) {
        live_state.resources.insert(resource.id.clone(), resource);
    }
    let target = crate::plan::PlanTarget {
        name: String::new(),
        workspace_id: String::new(),
    };
    let plan = crate::diff::diff(&state, &live_state, &crate::diff::DiffOptions::new(target));
    plan.changes
        .iter()
        .flat_map(|c| c.field_changes.iter().map(|f| f.path.clone()))
        .collect()
}

/// Follow a submitted job to a terminal status.
async fn follow_job(
    client: &ArmClient,
    id: &crate::model::ResourceId,
    path: &str,
    options: &ApplyOptions,
    observer: &dyn ApplyObserver,
) -> Result<(), OperationError> {
    let mut last = String::new();
    let started = std::time::Instant::now();
    loop {
        let body = client
            .get(path)
            .await
            .map_err(|source| OperationError::Arm {
                address: id.to_string(),
                action: Action::Submit,
                source: Box::new(source),
            })?;
        let status = body
            .as_ref()
            .and_then(|b| b.pointer("/properties/status"))
            .and_then(Value::as_str)
            .unwrap_or("Unknown")
            .to_owned();
        if status != last {
            observer.event(ApplyEvent::Progress {
                address: id.clone(),
                message: format!("job {status}"),
            });
            last = status.clone();
        }
        match status.as_str() {
            "Completed" => return Ok(()),
            "Failed" | "Canceled" => {
                return Err(OperationError::JobFailed {
                    address: id.to_string(),
                    status,
                });
            }
            _ => {}
        }
        if options.interrupt.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        if started.elapsed() >= options.job_wait_timeout {
            return Err(OperationError::JobWaitTimeout {
                address: id.to_string(),
                status,
                waited: started.elapsed(),
            });
        }
        tokio::time::sleep(options.job_poll_interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_tag_goes_where_the_kind_keeps_tags() {
        let c = with_ownership(
            Kind::Compute,
            json!({"properties": {"computeType": "AmlCompute"}}),
        );
        assert_eq!(c["tags"][OWNERSHIP_TAG], OWNERSHIP_TAG_VALUE);
        let j = with_ownership(
            Kind::Job,
            json!({"properties": {"jobType": "Command", "tags": {"a": "b"}}}),
        );
        assert_eq!(j["properties"]["tags"][OWNERSHIP_TAG], OWNERSHIP_TAG_VALUE);
        assert_eq!(j["properties"]["tags"]["a"], "b");
        assert!(j.get("tags").is_none());
    }
}
