//! `amlctl drift`: what changed in the workspace outside git, separately from what git changed,
//! and the health of what is there (Argo CD's *sync status* and *health status*).
//!
//! Three desired states meet one live state:
//! - the **branch** (the working tree, normally main's HEAD): a resource is *in sync* when planning
//!   it is a no-op, *out of sync* otherwise;
//! - the **reference**: the commit last applied to the target. amlctl keeps no bookkeeping in the
//!   workspace (it never rewrites resources for that), so `apply` writes an [`AppliedRecord`]
//!   (`.amlctl/applied/<target>.json`, which CI keeps in its cache) and `drift` reads it back, or
//!   takes `--since REF`; with neither, the reference is HEAD. A resource *drifted* when the
//!   workspace differs from what the reference's manifests ask for: someone changed or deleted it
//!   outside git since the last apply (or that apply did not finish);
//! - **git changed** a resource when its desired state differs between the reference and the
//!   branch (pending an apply; not drift).
//!
//! Health is read from the live body only (`health`), whatever git says.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{Kind, LiveState, ResourceId};
use crate::plan::{Change, Plan, PlanTarget};

/// Version of [`AppliedRecord`] files.
pub const RECORD_FORMAT: &str = "1";

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot read the apply record {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not an amlctl apply record", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write the apply record {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What the last successful apply to a target was made from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedRecord {
    pub format_version: String,
    pub target: String,
    pub workspace_id: String,
    /// The commit whose manifests were applied (never a dirty tree).
    pub commit: String,
}

/// `<state_dir>/applied/<target>.json` (characters other than `[A-Za-z0-9._-]` become `_`).
pub fn record_path(state_dir: &Path, target: &str) -> PathBuf {
    let safe: String = target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    state_dir.join("applied").join(format!("{safe}.json"))
}

/// Write the record atomically (temp file + rename).
pub fn write_record(state_dir: &Path, record: &AppliedRecord) -> Result<PathBuf, RecordError> {
    let path = record_path(state_dir, &record.target);
    let write = |source| RecordError::Write {
        path: path.clone(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(write)?;
    }
    let mut text = serde_json::to_string_pretty(record).unwrap_or_default();
    text.push('\n');
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(write)?;
    std::fs::rename(&tmp, &path).map_err(write)?;
    Ok(path)
}

/// The record of `target`, if there is one.
pub fn read_record(state_dir: &Path, target: &str) -> Result<Option<AppliedRecord>, RecordError> {
    let path = record_path(state_dir, target);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(RecordError::Read { path, source }),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| RecordError::Parse { path, source })
}

/// Argo CD's sync status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncStatus {
    Synced,
    OutOfSync,
}

/// Argo CD's health status, from the live body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Health {
    Healthy,
    /// Being created, updated, started; a job queued or running.
    Progressing,
    /// Disabled schedule, stopped instance, canceled job: deliberately not running.
    Suspended,
    /// Provisioning failed, compute unusable, job failed, OS image outdated.
    Degraded,
    /// Declared but not in the workspace.
    Missing,
}

/// Where the reference commit came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceOrigin {
    /// `--since REF`.
    Since,
    /// The target's apply record.
    Record,
    /// No record: HEAD (drift and out of sync then coincide, except for uncommitted changes).
    Head,
}

/// The commit drift is measured from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub commit: String,
    pub origin: ReferenceOrigin,
}

/// One resource's statuses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceStatus {
    pub address: ResourceId,
    pub type_label: String,
    pub sync: SyncStatus,
    /// What planning the branch would do (`no_op` when in sync), as the plan's action names.
    pub pending: Vec<String>,
    /// Changed in the workspace outside git since the reference.
    pub drifted: bool,
    /// Fields (JSON pointers) that differ from the reference's manifests; empty for a resource
    /// deleted outside git.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drifted_fields: Vec<String>,
    /// Its desired state differs between the reference and the branch.
    pub git_changed: bool,
    pub health: Health,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health_reasons: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Counts for the headline.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftSummary {
    pub resources: usize,
    pub out_of_sync: usize,
    pub drifted: usize,
    pub git_changed: usize,
    pub unhealthy: usize,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftReport {
    pub format_version: String,
    pub target: PlanTarget,
    /// The branch's commit (`-dirty` when the tree differs), when in git.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// `None` outside git: every out-of-sync resource then counts as drifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    /// Sorted by address.
    pub resources: Vec<ResourceStatus>,
    /// Owned by amlctl, declared nowhere on the branch (out of sync; `apply --prune` deletes them).
    pub orphaned: Vec<ResourceId>,
    pub summary: DriftSummary,
}

impl DriftReport {
    pub fn has_drift(&self) -> bool {
        self.summary.drifted > 0
    }

    pub fn is_unhealthy(&self) -> bool {
        self.summary.unhealthy > 0
    }
}

/// Combine the branch's plan, the reference's plan (both against the same `live` read) and the
/// addresses git changed between them. Jobs that already ran and are no longer declared are
/// left out (jobs are run records).
pub fn build_report(
    branch: &Plan,
    reference: Option<(&Plan, Reference)>,
    git_changed: &BTreeSet<ResourceId>,
    live: &LiveState,
) -> DriftReport {
    let branch_changes: BTreeMap<&ResourceId, &Change> =
        branch.changes.iter().map(|c| (&c.address, c)).collect();
    let reference_changes: BTreeMap<&ResourceId, &Change> = reference
        .as_ref()
        .map(|(p, _)| {
            p.changes
                .iter()
                .filter(|c| c.after.is_some())
                .map(|c| (&c.address, c))
                .collect()
        })
        .unwrap_or_default();
    let declared: BTreeSet<&ResourceId> = branch
        .changes
        .iter()
        .filter(|c| c.after.is_some())
        .map(|c| &c.address)
        .chain(reference_changes.keys().copied())
        .collect();
    let mut resources = Vec::new();
    for address in declared {
        let on_branch = branch_changes.get(address).filter(|c| c.after.is_some());
        let sync = match on_branch {
            Some(c) if c.is_noop() => SyncStatus::Synced,
            Some(_) => SyncStatus::OutOfSync,
            // Declared at the reference only: the branch no longer declares it.
            None => SyncStatus::OutOfSync,
        };
        let (drifted, drifted_fields) = match &reference {
            Some(_) => match reference_changes.get(address) {
                Some(c) if !c.is_noop() => (
                    true,
                    c.field_changes.iter().map(|f| f.path.clone()).collect(),
                ),
                _ => (false, Vec::new()),
            },
            None => (
                sync == SyncStatus::OutOfSync && on_branch.is_some(),
                Vec::new(),
            ),
        };
        let change = on_branch
            .or_else(|| reference_changes.get(address))
            .copied();
        let (health, health_reasons) = match live.resources.get(address) {
            Some(r) => health(address.kind, &r.body),
            None => (Health::Missing, vec!["not in the workspace".to_owned()]),
        };
        resources.push(ResourceStatus {
            address: address.clone(),
            type_label: change.map(|c| c.type_label.clone()).unwrap_or_default(),
            sync,
            pending: match on_branch {
                Some(c) => c.actions.iter().map(action_name).collect(),
                None => vec!["not_declared".to_owned()],
            },
            drifted,
            drifted_fields,
            git_changed: git_changed.contains(address),
            health,
            health_reasons,
            source: change.and_then(|c| c.source.clone()),
        });
    }
    let summary = DriftSummary {
        resources: resources.len(),
        out_of_sync: resources
            .iter()
            .filter(|r| r.sync == SyncStatus::OutOfSync)
            .count()
            + branch.orphaned.len(),
        drifted: resources.iter().filter(|r| r.drifted).count(),
        git_changed: resources.iter().filter(|r| r.git_changed).count(),
        unhealthy: resources
            .iter()
            .filter(|r| r.health == Health::Degraded)
            .count(),
    };
    DriftReport {
        format_version: RECORD_FORMAT.to_owned(),
        target: branch.target.clone(),
        commit: branch.commit.clone(),
        reference: reference.map(|(_, r)| r),
        resources,
        orphaned: branch.orphaned.clone(),
        summary,
    }
}

fn action_name(a: &crate::plan::Action) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The health of one live resource and why.
pub fn health(kind: Kind, body: &Value) -> (Health, Vec<String>) {
    let text = |ptr: &str| body.pointer(ptr).and_then(Value::as_str).map(str::to_owned);
    let mut reasons = Vec::new();
    let mut level = Health::Healthy;
    let mut raise = |to: Health, why: String, reasons: &mut Vec<String>| {
        level = level.max(to);
        reasons.push(why);
    };
    let provisioning = text("/properties/provisioningState");
    match provisioning
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("failed") => raise(
            Health::Degraded,
            "provisioning failed".to_owned(),
            &mut reasons,
        ),
        Some("creating" | "updating" | "deleting" | "accepted") => raise(
            Health::Progressing,
            format!("provisioning: {}", provisioning.unwrap_or_default()),
            &mut reasons,
        ),
        Some("canceled") => raise(
            Health::Degraded,
            "provisioning was canceled".to_owned(),
            &mut reasons,
        ),
        _ => {}
    }
    match kind {
        Kind::Compute => {
            if let Some(errors) = body
                .pointer("/properties/provisioningErrors")
                .and_then(Value::as_array)
                && !errors.is_empty()
            {
                let first = errors
                    .first()
                    .and_then(|e| e.pointer("/error/message").or_else(|| e.get("message")))
                    .and_then(Value::as_str)
                    .unwrap_or("see the workspace");
                raise(
                    Health::Degraded,
                    format!("provisioning errors: {first}"),
                    &mut reasons,
                );
            }
            if let Some(state) = text("/properties/properties/state") {
                match state.as_str() {
                    "Unusable" | "CreateFailed" | "Unknown" => raise(
                        Health::Degraded,
                        format!("compute instance is {state}"),
                        &mut reasons,
                    ),
                    "Stopped" => raise(
                        Health::Suspended,
                        "compute instance is stopped".to_owned(),
                        &mut reasons,
                    ),
                    "Creating" | "Starting" | "Restarting" | "Stopping" | "Deleting"
                    | "UserSettingUp" | "SettingUp" | "Resizing" => raise(
                        Health::Progressing,
                        format!("compute instance is {state}"),
                        &mut reasons,
                    ),
                    _ => {}
                }
            }
            if body.pointer("/properties/properties/osImageMetadata/isLatestOsImageVersion")
                == Some(&Value::Bool(false))
            {
                raise(
                    Health::Degraded,
                    "OS image outdated (isLatestOsImageVersion is false; recreate the instance to update it)".to_owned(),
                    &mut reasons,
                );
            }
            if body
                .pointer("/properties/properties/allocationState")
                .and_then(Value::as_str)
                == Some("Resizing")
                && let Some(errors) = body
                    .pointer("/properties/properties/errors")
                    .and_then(Value::as_array)
                && !errors.is_empty()
            {
                raise(
                    Health::Degraded,
                    "cluster resize errors".to_owned(),
                    &mut reasons,
                );
            }
        }
        Kind::Job => match text("/properties/status").as_deref() {
            Some("Failed") => raise(Health::Degraded, "job failed".to_owned(), &mut reasons),
            Some("Canceled" | "CancelRequested") => raise(
                Health::Suspended,
                "job was canceled".to_owned(),
                &mut reasons,
            ),
            Some(
                s @ ("NotStarted" | "Starting" | "Provisioning" | "Preparing" | "Queued"
                | "Running" | "Finalizing"),
            ) => raise(Health::Progressing, format!("job is {s}"), &mut reasons),
            _ => {}
        },
        Kind::Schedule => {
            if body.pointer("/properties/isEnabled") == Some(&Value::Bool(false)) {
                raise(
                    Health::Suspended,
                    "schedule is disabled".to_owned(),
                    &mut reasons,
                );
            }
        }
    }
    (level, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn health_of_failed_unusable_outdated_and_running_resources() {
        let (h, why) = health(
            Kind::Compute,
            &json!({"properties": {"provisioningState": "Failed"}}),
        );
        assert_eq!(h, Health::Degraded);
        assert_eq!(why, ["provisioning failed"]);
        let (h, _) = health(
            Kind::Compute,
            &json!({"properties": {"provisioningState": "Succeeded", "properties": {"state": "Unusable"}}}),
        );
        assert_eq!(h, Health::Degraded);
        let (h, why) = health(
            Kind::Compute,
            &json!({"properties": {"properties": {"state": "Running", "osImageMetadata": {"isLatestOsImageVersion": false}}}}),
        );
        assert_eq!(h, Health::Degraded);
        assert!(why[0].contains("OS image outdated"), "{why:?}");
        assert_eq!(
            health(Kind::Job, &json!({"properties": {"status": "Failed"}})).0,
            Health::Degraded
        );
        assert_eq!(
            health(Kind::Job, &json!({"properties": {"status": "Running"}})).0,
            Health::Progressing
        );
        assert_eq!(
            health(Kind::Job, &json!({"properties": {"status": "Completed"}})).0,
            Health::Healthy
        );
        assert_eq!(
            health(Kind::Schedule, &json!({"properties": {"isEnabled": false}})).0,
            Health::Suspended
        );
        assert_eq!(
            health(
                Kind::Compute,
                &json!({"properties": {"properties": {"state": "Running"}}})
            ),
            (Health::Healthy, vec![])
        );
    }

    fn change(name: &str, actions: serde_json::Value, fields: &[&str]) -> Change {
        serde_json::from_value(json!({
            "address": format!("compute.{name}"),
            "type_label": "AmlCompute",
            "actions": actions,
            "reasons": [],
            "before": {},
            "after": {},
            "field_changes": fields.iter().map(|f| json!({"path": f})).collect::<Vec<_>>(),
            "depends_on": [],
            "warnings": [],
        }))
        .unwrap()
    }

    fn plan(changes: Vec<Change>) -> Plan {
        let mut p = Plan::new(PlanTarget {
            name: "prod".into(),
            workspace_id: "/w".into(),
        });
        p.changes = changes;
        p
    }

    #[test]
    fn drift_git_changes_and_sync_are_told_apart() {
        let live = LiveState {
            resources: ["a", "b", "c"]
                .into_iter()
                .map(|n| {
                    let id = ResourceId::new(Kind::Compute, n);
                    let body = json!({"properties": {"provisioningState": if n == "c" { "Failed" } else { "Succeeded" }}});
                    (id.clone(), crate::model::LiveResource { id, body, owned: true })
                })
                .collect(),
        };
        // a: changed by hand (drift); b: changed in git (pending); c: in sync but failed.
        let branch = plan(vec![
            change("a", json!(["update"]), &["/x"]),
            change("b", json!(["update"]), &["/y"]),
            change("c", json!(["no_op"]), &[]),
        ]);
        let reference = plan(vec![
            change("a", json!(["update"]), &["/x"]),
            change("b", json!(["no_op"]), &[]),
            change("c", json!(["no_op"]), &[]),
        ]);
        let git_changed: BTreeSet<ResourceId> = [ResourceId::new(Kind::Compute, "b")].into();
        let r = Reference {
            commit: "abc".into(),
            origin: ReferenceOrigin::Record,
        };
        let report = build_report(&branch, Some((&reference, r)), &git_changed, &live);
        let by: BTreeMap<&str, &ResourceStatus> = report
            .resources
            .iter()
            .map(|s| (s.address.name.as_str(), s))
            .collect();
        assert!(by["a"].drifted && !by["a"].git_changed && by["a"].drifted_fields == ["/x"]);
        assert!(!by["b"].drifted && by["b"].git_changed && by["b"].sync == SyncStatus::OutOfSync);
        assert!(by["c"].sync == SyncStatus::Synced && by["c"].health == Health::Degraded);
        assert_eq!(
            report.summary,
            DriftSummary {
                resources: 3,
                out_of_sync: 2,
                drifted: 1,
                git_changed: 1,
                unhealthy: 1
            }
        );
        assert!(report.has_drift() && report.is_unhealthy());

        // Without git, everything out of sync counts as drift.
        let report = build_report(&branch, None, &BTreeSet::new(), &live);
        assert_eq!(report.summary.drifted, 2);
    }

    #[test]
    fn record_round_trip_and_safe_file_name() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_record(dir.path(), "prod").unwrap(), None);
        let record = AppliedRecord {
            format_version: RECORD_FORMAT.into(),
            target: "prod/eu".into(),
            workspace_id: "/subscriptions/s/x".into(),
            commit: "ab".repeat(20),
        };
        let path = write_record(dir.path(), &record).unwrap();
        assert!(path.ends_with("applied/prod_eu.json"), "{}", path.display());
        assert_eq!(read_record(dir.path(), "prod/eu").unwrap(), Some(record));
        std::fs::write(&path, "nope").unwrap();
        assert!(read_record(dir.path(), "prod/eu").is_err());
    }
}
