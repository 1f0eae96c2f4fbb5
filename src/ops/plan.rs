//! `amlctl plan`: observe the workspace, diff it against the desired state; and the check that
//! refuses a saved plan when what it touches changed since it was made.

use std::collections::BTreeSet;

use crate::diff::{DiffOptions, Incremental};
use crate::live::LiveError;
use crate::model::{DesiredState, LiveState, ResourceId};
use crate::plan::{Plan, PlanTarget};

use super::Session;

/// What to plan.
#[derive(Clone, Debug, Default)]
pub struct PlanRequest {
    pub prune: bool,
    pub allow_replace_assigned: bool,
    /// Plan only these addresses (`--only`).
    pub only: Option<BTreeSet<ResourceId>>,
    /// Addresses the config protects.
    pub protected: BTreeSet<ResourceId>,
}

/// A plan with the states it was made from.
pub struct Planned {
    pub plan: Plan,
    pub live: LiveState,
}

/// Read the workspace (one paged list per kind) and diff.
pub async fn plan(
    session: &Session,
    desired: &DesiredState,
    request: &PlanRequest,
) -> Result<Planned, LiveError> {
    let target = PlanTarget {
        name: session.target_name.clone(),
        workspace_id: session.workspace_path.clone(),
    };
    let options = DiffOptions {
        prune: request.prune,
        allow_replace_assigned: request.allow_replace_assigned,
        only: request.only.clone(),
        protected: request.protected.clone(),
        ..DiffOptions::new(target)
    };
    // Diff each page as it arrives, so that little is left to do after the last one.
    let mut pages = session.observe_pages();
    let mut incremental = Incremental::new(desired, &options);
    let mut live = LiveState::default();
    while let Some(page) = pages.next().await {
        let page = page?;
        incremental.observe(&page);
        for resource in page {
            live.resources.insert(resource.id.clone(), resource);
        }
    }
    let mut plan = incremental.finish(&live);
    crate::schedule_times::annotate_plan(&mut plan, desired, jiff::Timestamp::now());
    Ok(Planned { plan, live })
}

/// A resource whose saved plan no longer holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleResource {
    pub address: ResourceId,
    pub why: String,
}

/// Compare a saved plan with a fresh one made from the same manifests and a fresh read of the
/// workspace: every change the saved plan would make must still be the same change, on a
/// resource that has not changed since (its live fingerprint), and nothing new may have appeared.
pub fn stale_resources(saved: &Plan, fresh: &Plan) -> Vec<StaleResource> {
    let mut stale = Vec::new();
    let fresh_by_address: std::collections::BTreeMap<&ResourceId, &crate::plan::Change> =
        fresh.changes.iter().map(|c| (&c.address, c)).collect();
    for old in saved.changes.iter().filter(|c| !c.is_noop()) {
        let address = old.address.clone();
        match fresh_by_address.get(&old.address) {
            None => stale.push(StaleResource {
                address,
                why: "no longer part of the plan".to_owned(),
            }),
            Some(new) if new.live_fingerprint != old.live_fingerprint => {
                stale.push(StaleResource {
                    address,
                    why: match (&old.live_fingerprint, &new.live_fingerprint) {
                        (None, Some(_)) => {
                            "it was created in the workspace since the plan was made".to_owned()
                        }
                        (Some(_), None) => {
                            "it was deleted from the workspace since the plan was made".to_owned()
                        }
                        _ => "it changed in the workspace since the plan was made".to_owned(),
                    },
                })
            }
            Some(new) if new.actions != old.actions || new.after != old.after => {
                stale.push(StaleResource {
                    address,
                    why: "the manifests now ask for a different change".to_owned(),
                })
            }
            Some(_) => {}
        }
    }
    let saved_writes: BTreeSet<&ResourceId> = saved
        .changes
        .iter()
        .filter(|c| !c.is_noop())
        .map(|c| &c.address)
        .collect();
    for new in fresh.changes.iter().filter(|c| !c.is_noop()) {
        if !saved_writes.contains(&new.address) {
            stale.push(StaleResource {
                address: new.address.clone(),
                why: "needs a change the saved plan does not contain".to_owned(),
            });
        }
    }
    stale
}
