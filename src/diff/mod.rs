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

use std::collections::{BTreeMap, BTreeSet};

pub use fingerprint::live_fingerprint;
pub use normalize::SENSITIVE;
pub use rules::Mutability;

use crate::model::{DesiredResource, DesiredState, Kind, LiveResource, LiveState, ResourceId};
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
    Incremental::new(desired, opts).finish(live)
}

/// [`diff`] fed as the workspace is read: [`Incremental::observe`] plans each declared resource
/// as soon as its live body arrives (a page of a list), [`Incremental::finish`] plans the rest
/// and assembles the plan. Same inputs, same plan as [`diff`]: each resource's change depends on
/// its own desired and live bodies only, and the plan is sorted at the end.
pub struct Incremental<'a> {
    desired: &'a DesiredState,
    opts: &'a DiffOptions,
    scope: Option<BTreeSet<ResourceId>>,
    planned: BTreeMap<ResourceId, resource::Planned>,
}

impl<'a> Incremental<'a> {
    pub fn new(desired: &'a DesiredState, opts: &'a DiffOptions) -> Self {
        let scope = scope(desired, opts.only.as_ref());
        Incremental {
            desired,
            opts,
            scope,
            planned: BTreeMap::new(),
        }
    }

    fn in_scope(&self, id: &ResourceId) -> bool {
        self.scope.as_ref().is_none_or(|s| s.contains(id))
    }

    /// Plan the declared resources among `live` now.
    pub fn observe(&mut self, live: &[LiveResource]) {
        let declared: Vec<(&DesiredResource, &LiveResource)> = live
            .iter()
            .filter(|have| self.in_scope(&have.id))
            .filter_map(|have| {
                self.desired
                    .resources
                    .get(&have.id)
                    .map(|want| (want, have))
            })
            .collect();
        let opts = self.opts;
        let planned = crate::parallel::map_in_parallel(&declared, |(want, have)| {
            resource::plan_declared(want, Some(have), opts)
        });
        for ((want, _), p) in declared.iter().zip(planned) {
            self.planned.insert(want.id.clone(), p);
        }
    }

    /// The plan, once `live` holds the whole workspace (everything observed and more).
    pub fn finish(mut self, live: &LiveState) -> Plan {
        let opts = self.opts;
        let mut plan = Plan::new(opts.target.clone());
        let missing: Vec<&DesiredResource> = self
            .desired
            .resources
            .iter()
            .filter(|(id, _)| self.in_scope(id) && !self.planned.contains_key(*id))
            .map(|(_, want)| want)
            .collect();
        let planned = crate::parallel::map_in_parallel(&missing, |want| {
            resource::plan_declared(want, live.resources.get(&want.id), opts)
        });
        for (want, p) in missing.iter().zip(planned) {
            self.planned.insert(want.id.clone(), p);
        }
        for (_, p) in std::mem::take(&mut self.planned) {
            plan.changes.push(p.change);
            plan.errors.extend(p.errors);
        }
        for (id, have) in &live.resources {
            if self.desired.resources.contains_key(id) || !self.in_scope(id) {
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
