//! The plan is data: what `diff` decided, what `render` draws and what `apply` executes.
//!
//! Invariants: a plan holds no secrets (secret fields are masked before they get here); it is
//! deterministic (changes sorted by address); "nothing to do" is computed from the data
//! ([`Plan::has_changes`]), never from what was printed. `apply` never branches on
//! [`ActionReason`]: reasons exist only to explain the plan to people.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::ResourceId;

/// Version of the JSON plan format (`amlctl plan --output json`, `plan -out FILE`).
pub const FORMAT_VERSION: &str = "1.0";

/// What happens to one resource. A change may carry several (e.g. `Update` then `Start`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    /// In place: PATCH for AmlCompute scale settings, PUT for schedules and job metadata.
    Update,
    /// Delete (waiting for it to finish) then create.
    Replace,
    Delete,
    Start,
    Stop,
    /// A job submission (jobs are run records: created once, never updated).
    Submit,
    /// Cancel a running job whose desired state says so.
    Cancel,
}

impl Action {
    pub fn is_write(self) -> bool {
        !matches!(self, Action::NoOp)
    }
}

/// Why an action was chosen. For people only; `apply` must not branch on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionReason {
    /// Not in the workspace.
    Missing,
    /// A field that cannot change in place differs (`# forces replacement`).
    ReplaceBecauseOf { path: String, why: String },
    /// Owned by amlctl and no manifest declares it any more (only with `--prune`).
    NoLongerDeclared,
    /// Desired power state differs from the instance's state.
    PowerState { current: String },
    /// A standalone parallel job is submitted as a one-step pipeline job.
    ParallelAsPipeline,
    /// The repo config says the job should be canceled; it is still `current`.
    CancelRequested { current: String },
    /// The resource's create or update failed (`provisioningState: Failed`): it is replaced,
    /// as Terraform replaces a tainted resource. `error` is the service's provisioning error.
    ProvisioningFailed { error: String },
}

/// One field that differs. `path` is a JSON pointer into the REST body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
    /// This field cannot change in place.
    #[serde(default)]
    pub forces_replacement: bool,
    /// The value is secret: `before`/`after` are masked.
    #[serde(default)]
    pub sensitive: bool,
    /// Jobs only: the field cannot change after submission at all (the plan has an error).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub immutable: bool,
}

/// Something the reader must see (assigned compute instance replaced, job immutable, ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub message: String,
}

/// One resource's entry in the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: ResourceId,
    /// Service-side type (`ComputeInstance`, `AmlCompute`, `Kubernetes`, `Schedule`, `CommandJob`...).
    pub type_label: String,
    /// In execution order; `[NoOp]` when nothing changes.
    pub actions: Vec<Action>,
    pub reasons: Vec<ActionReason>,
    /// Live body as read at plan time (normalised, secrets masked); `None` when absent.
    pub before: Option<serde_json::Value>,
    /// Desired REST body (secrets masked); `None` for deletes.
    pub after: Option<serde_json::Value>,
    pub field_changes: Vec<FieldChange>,
    pub depends_on: Vec<ResourceId>,
    pub warnings: Vec<Warning>,
    /// Jobs: current status (`Running`, `Completed`, ...). Compute instances: `state`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Manifest that declares it (`None` for deletes and unmanaged resources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Fingerprint of the live body at plan time, to refuse stale saved plans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_fingerprint: Option<String>,
    /// Schedules: the next fire times in the schedule's time zone (filled in by `ops::plan`
    /// from the clock, see `schedule_times`; `diff` itself leaves it empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next_runs: Vec<String>,
}

impl Change {
    pub fn is_noop(&self) -> bool {
        self.actions.iter().all(|a| *a == Action::NoOp)
    }
}

/// An error found while planning that blocks applying (e.g. a job redefined under the same name,
/// replacing a protected resource). A plan with errors cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanError {
    pub address: ResourceId,
    pub message: String,
}

/// Counts per action, for the summary line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub start: usize,
    pub stop: usize,
    pub submit: usize,
    pub cancel: usize,
    pub no_op: usize,
    pub unmanaged: usize,
    /// Owned by amlctl, no longer declared, kept because pruning was not asked for.
    #[serde(default)]
    pub orphaned: usize,
}

/// The workspace a plan was made for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTarget {
    /// Target name from the config (`local` for the embedded workspace).
    pub name: String,
    /// ARM id of the workspace.
    pub workspace_id: String,
}

/// The whole plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: String,
    pub target: PlanTarget,
    /// Git commit the manifests were read from, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Sorted by address. Includes no-ops, so renderers can say what is in sync.
    pub changes: Vec<Change>,
    /// Resources in the workspace that amlctl does not manage (left alone).
    pub unmanaged: Vec<ResourceId>,
    /// Resources amlctl created that no manifest declares any more, kept because the plan was
    /// made without `--prune` (with it they are `Delete` changes). Jobs are never listed.
    #[serde(default)]
    pub orphaned: Vec<ResourceId>,
    pub errors: Vec<PlanError>,
    /// What the branch changes, for `plan --base REF` (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitChanges>,
}

/// How a manifest file differs between the base revision and the working tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManifestChangeKind {
    Added,
    Modified,
    Deleted,
}

/// One manifest file the branch changes, with the resources it declares (at the base, on the
/// branch, or both).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedManifest {
    /// Relative to the repo root, `/`-separated.
    pub path: String,
    pub change: ManifestChangeKind,
    #[serde(default)]
    pub resources: Vec<ResourceId>,
}

/// What `plan --base REF` compared: the changed manifests, and the resources whose desired state
/// differs between the base and the working tree (a changed manifest, or a file it uses).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitChanges {
    /// The revision as given (`origin/main`).
    pub base: String,
    /// The commit compared with: the merge base of `base` and HEAD when the history has one,
    /// else `base` itself.
    pub base_commit: String,
    /// The plan was limited to `changed_resources` (`--changed-only`).
    #[serde(default)]
    pub changed_only: bool,
    /// Sorted by path.
    pub manifests: Vec<ChangedManifest>,
    /// Sorted.
    pub changed_resources: Vec<ResourceId>,
}

impl Plan {
    pub fn new(target: PlanTarget) -> Self {
        Plan {
            format_version: FORMAT_VERSION.to_owned(),
            target,
            commit: None,
            changes: Vec::new(),
            unmanaged: Vec::new(),
            orphaned: Vec::new(),
            errors: Vec::new(),
            git: None,
        }
    }

    /// True when the plan may be applied (no planning errors).
    pub fn is_applicable(&self) -> bool {
        self.errors.is_empty()
    }

    /// The order to execute the plan's writes in (see [`ExecutionGraph`]).
    pub fn execution_graph(&self) -> ExecutionGraph {
        ExecutionGraph::of(self)
    }

    /// True when applying would write anything.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| !c.is_noop())
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            unmanaged: self.unmanaged.len(),
            orphaned: self.orphaned.len(),
            ..Summary::default()
        };
        for change in &self.changes {
            for action in &change.actions {
                match action {
                    Action::NoOp => s.no_op += 1,
                    Action::Create => s.create += 1,
                    Action::Update => s.update += 1,
                    Action::Replace => s.replace += 1,
                    Action::Delete => s.delete += 1,
                    Action::Start => s.start += 1,
                    Action::Stop => s.stop += 1,
                    Action::Submit => s.submit += 1,
                    Action::Cancel => s.cancel += 1,
                }
            }
        }
        s
    }
}

/// The dependency graph of a plan's writes (no-ops left out), for execution in order with
/// bounded concurrency: a change may start once all its [`prerequisites`](Self::prerequisites)
/// have finished.
///
/// Edges: a created/updated/replaced/started/stopped/submitted resource waits for the changes of
/// the resources it `depends_on` (computes before the jobs and schedules that use them); a
/// deleted resource goes *before* the deletes of what it depends on (deletes in reverse), and a
/// compute's delete waits for all schedule and job deletes. A dependency whose change is a no-op
/// (or is not in the plan) adds no edge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecutionGraph {
    /// Every write, sorted by address.
    pub nodes: Vec<ResourceId>,
    /// `node → the nodes that must finish first`.
    pub prerequisites: BTreeMap<ResourceId, BTreeSet<ResourceId>>,
}

impl ExecutionGraph {
    pub fn of(plan: &Plan) -> ExecutionGraph {
        let writes: BTreeMap<&ResourceId, &Change> = plan
            .changes
            .iter()
            .filter(|c| !c.is_noop())
            .map(|c| (&c.address, c))
            .collect();
        let is_delete = |c: &Change| c.actions.contains(&Action::Delete);
        let mut prerequisites: BTreeMap<ResourceId, BTreeSet<ResourceId>> = writes
            .keys()
            .map(|id| ((*id).clone(), BTreeSet::new()))
            .collect();
        for (id, change) in &writes {
            for dep in &change.depends_on {
                let Some(dep_change) = writes.get(dep) else {
                    continue;
                };
                match (is_delete(change), is_delete(dep_change)) {
                    // Both go away: the dependent first.
                    (true, true) => {
                        if let Some(p) = prerequisites.get_mut(dep) {
                            p.insert((*id).clone());
                        }
                    }
                    // The dependency is deleted while this one stays: no order is needed.
                    (false, true) => {}
                    _ => {
                        if let Some(p) = prerequisites.get_mut(*id) {
                            p.insert(dep.clone());
                        }
                    }
                }
            }
        }
        // A deleted resource's dependants may not be known (a live body names its compute only
        // by ARM id): a compute's delete also waits for every schedule and job delete.
        for (id, change) in &writes {
            if id.kind == crate::model::Kind::Compute && is_delete(change) {
                let users = writes
                    .iter()
                    .filter(|(other, c)| other.kind != crate::model::Kind::Compute && is_delete(c))
                    .map(|(other, _)| (*other).clone());
                if let Some(p) = prerequisites.get_mut(*id) {
                    p.extend(users);
                }
            }
        }
        ExecutionGraph {
            nodes: writes.keys().map(|id| (*id).clone()).collect(),
            prerequisites,
        }
    }

    /// The nodes that wait for `id`.
    pub fn dependents(&self, id: &ResourceId) -> Vec<ResourceId> {
        self.prerequisites
            .iter()
            .filter(|(_, pre)| pre.contains(id))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Layers that can run concurrently, in order, each sorted by address. `Err` holds the nodes
    /// caught in a dependency cycle.
    pub fn waves(&self) -> Result<Vec<Vec<ResourceId>>, Vec<ResourceId>> {
        let mut done: BTreeSet<ResourceId> = BTreeSet::new();
        let mut waves = Vec::new();
        while done.len() < self.nodes.len() {
            let wave: Vec<ResourceId> = self
                .nodes
                .iter()
                .filter(|n| !done.contains(*n))
                .filter(|n| {
                    self.prerequisites
                        .get(*n)
                        .is_none_or(|p| p.iter().all(|d| done.contains(d)))
                })
                .cloned()
                .collect();
            if wave.is_empty() {
                return Err(self
                    .nodes
                    .iter()
                    .filter(|n| !done.contains(*n))
                    .cloned()
                    .collect());
            }
            done.extend(wave.iter().cloned());
            waves.push(wave);
        }
        Ok(waves)
    }
}

/// [`ExecutionGraph::waves`] of a plan; nodes in a cycle (which `diff` reports as an error) come
/// last, in one wave.
pub fn execution_waves(plan: &Plan) -> Vec<Vec<ResourceId>> {
    let graph = plan.execution_graph();
    match graph.waves() {
        Ok(waves) => waves,
        Err(stuck) => {
            let mut sub = graph.clone();
            sub.nodes.retain(|n| !stuck.contains(n));
            let mut waves = sub.waves().unwrap_or_default();
            waves.push(stuck);
            waves
        }
    }
}
