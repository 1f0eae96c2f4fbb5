//! `diff`: desired state against live state, into a [`Plan`]. Pure and deterministic: no I/O,
//! same inputs → byte-identical plan (changes sorted by address).
//!
//! Start reading at [`diff`]. Field names live only in [`rules`] (normalisation rules and the
//! mutability matrix, as data); [`normalize`] applies them; [`resource`] decides the actions of
//! one resource; [`fingerprint`] is the stale-plan check `apply` repeats.

pub mod duration;
pub mod fingerprint;
pub mod normalize;
pub mod pointer;
pub mod resource;
pub mod rules;

use std::collections::BTreeSet;

pub use fingerprint::live_fingerprint;
pub use normalize::SENSITIVE;
pub use rules::Mutability;

use crate::model::{DesiredResource, DesiredState, Kind, LiveState, ResourceId};
use crate::plan::{Plan, PlanError, PlanTarget};
use resource::Undeclared;

/// What to plan for.
#[derive(Clone, Debug)]
pub struct DiffOptions {
    pub target: PlanTarget,
    /// Delete resources amlctl owns that no manifest declares any more.
    pub prune: bool,
    /// Allow replacing a compute instance assigned to a person (its local disk is lost).
    pub allow_replace_assigned: bool,
    /// `-target`: plan only these addresses (and what declared ones depend on).
    pub only: Option<BTreeSet<ResourceId>>,
    /// Protected addresses from the repo config that no manifest declares (declared resources
    /// carry `options.protected`): never deleted.
    pub protected: BTreeSet<ResourceId>,
}

impl DiffOptions {
    pub fn new(target: PlanTarget) -> Self {
        DiffOptions {
            target,
            prune: false,
            allow_replace_assigned: false,
            only: None,
            protected: BTreeSet::new(),
        }
    }
}

/// Compare what the manifests want with what the workspace has.
pub fn diff(desired: &DesiredState, live: &LiveState, opts: &DiffOptions) -> Plan {
    let mut plan = Plan::new(opts.target.clone());
    let scope = scope(desired, opts.only.as_ref());
    let in_scope = |id: &ResourceId| scope.as_ref().is_none_or(|s| s.contains(id));

    let declared: Vec<&DesiredResource> = desired
        .resources
        .iter()
        .filter(|(id, _)| in_scope(id))
        .map(|(_, want)| want)
        .collect();
    let planned = crate::parallel::map_in_parallel(&declared, |want| {
        resource::plan_declared(want, live.resources.get(&want.id), opts)
    });
    for p in planned {
        plan.changes.push(p.change);
        plan.errors.extend(p.errors);
    }
    for (id, have) in &live.resources {
        if desired.resources.contains_key(id) || !in_scope(id) {
            continue;
        }
        match resource::plan_undeclared(have, opts) {
            Undeclared::Delete(change, errors) => {
                plan.changes.push(*change);
                plan.errors.extend(errors);
            }
            Undeclared::Orphaned => plan.orphaned.push(id.clone()),
            Undeclared::Unmanaged => plan.unmanaged.push(id.clone()),
            Undeclared::Ignored => {}
        }
    }
    plan.changes.sort_by(|a, b| a.address.cmp(&b.address));
    if let Err(cycle) = plan.execution_graph().waves() {
        plan.errors.push(PlanError {
            address: cycle
                .first()
                .cloned()
                .unwrap_or_else(|| ResourceId::new(Kind::Compute, "?")),
            message: format!(
                "dependency cycle between {}",
                cycle
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    plan.errors
        .sort_by(|a, b| a.address.cmp(&b.address).then(a.message.cmp(&b.message)));
    plan
}

/// The addresses `-target` selects, closed over the declared dependencies (like Terraform: a
/// targeted job brings its compute along).
fn scope(
    desired: &DesiredState,
    only: Option<&BTreeSet<ResourceId>>,
) -> Option<BTreeSet<ResourceId>> {
    let only = only?;
    let mut scope = BTreeSet::new();
    let mut todo: Vec<ResourceId> = only.iter().cloned().collect();
    while let Some(id) = todo.pop() {
        if !scope.insert(id.clone()) {
            continue;
        }
        if let Some(r) = desired.resources.get(&id) {
            todo.extend(r.depends_on.iter().cloned());
        }
    }
    Some(scope)
}
