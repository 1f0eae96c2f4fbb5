//! The actions of one resource: declared ([`plan_declared`]) or only in the workspace
//! ([`plan_undeclared`]).

use std::collections::BTreeSet;

use serde_json::Value;

use super::DiffOptions;
use super::fingerprint::live_fingerprint;
use super::normalize::Context;
use super::pointer;
use super::rules::{ComputeType, Mutability, Rules};
use crate::model::{DesiredResource, Kind, LiveResource, OWNERSHIP_TAG, PowerState, ResourceId};
use crate::plan::{Action, ActionReason, Change, FieldChange, PlanError, Warning};

/// A declared resource's change and the errors that block it.
pub struct Planned {
    pub change: Change,
    pub errors: Vec<PlanError>,
}

/// What happens to a live resource no manifest declares.
pub enum Undeclared {
    Delete(Box<Change>, Vec<PlanError>),
    /// Owned, not declared, kept because pruning was not asked for.
    Orphaned,
    /// Not owned: left alone.
    Unmanaged,
    /// Owned jobs: run records, never deleted, not reported.
    Ignored,
}

pub fn plan_declared(
    want: &DesiredResource,
    have: Option<&LiveResource>,
    opts: &DiffOptions,
) -> Planned {
    let id = &want.id;
    let rules = Rules::for_body(id.kind, &want.body);
    let ctx = Context {
        rules,
        secret_paths: &want.secret_paths,
        ignore_fields: &want.options.ignore_fields,
    };
    let mut change = Change {
        address: id.clone(),
        type_label: want.type_label.clone(),
        actions: Vec::new(),
        reasons: Vec::new(),
        before: have.map(|h| ctx.display(&h.body)),
        after: Some(ctx.display(&want.body)),
        field_changes: Vec::new(),
        depends_on: want.depends_on.iter().cloned().collect(),
        warnings: Vec::new(),
        status: have.and_then(|h| status_of(id.kind, &h.body)),
        source: Some(format!(
            "{}:{}",
            want.source.file.display(),
            want.source.line
        )),
        live_fingerprint: have.map(|h| live_fingerprint(id.kind, &h.body)),
        next_runs: Vec::new(),
    };
    let mut errors = Vec::new();
    let mut error = |message: String| {
        errors.push(PlanError {
            address: id.clone(),
            message,
        })
    };

    let Some(have) = have else {
        change.reasons.push(ActionReason::Missing);
        if id.kind == Kind::Job && want.options.cancel {
            change.reasons.clear();
            change.actions.push(Action::NoOp);
            change.warnings.push(Warning {
                message: "not submitted: the repo config says this job is canceled".to_owned(),
            });
        } else if id.kind == Kind::Job {
            change.actions.push(Action::Submit);
            if want.type_label == "ParallelJob" {
                change.reasons.push(ActionReason::ParallelAsPipeline);
            }
        } else {
            change.actions.push(Action::Create);
            if want.options.power_state == Some(PowerState::Stopped)
                && is_compute_instance(id.kind, &want.body)
            {
                change.actions.push(Action::Stop);
                change.reasons.push(ActionReason::PowerState {
                    current: "Running (after creation)".to_owned(),
                });
            }
        }
        warn_power_state_misuse(want, &mut change);
        return Planned { change, errors };
    };

    // Compare.
    let desired_c = ctx.canonical(&want.body);
    let mut live_c = ctx.canonical(&have.body);
    ctx.restrict_to_desired(&mut live_c, &desired_c);
    let after_display = ctx.display_with_defaults(change.after.as_ref().unwrap_or(&Value::Null));
    let before_display = ctx.display_with_defaults(change.before.as_ref().unwrap_or(&Value::Null));
    let mut differing = Vec::new();
    differences(&live_c, &desired_c, &mut Vec::new(), &mut differing);

    let fields: Vec<FieldChange> = differing
        .iter()
        .map(|path| FieldChange {
            path: pointer::join(path),
            before: value_at(&before_display, &live_c, path),
            after: value_at(&after_display, &desired_c, path),
            forces_replacement: false,
            sensitive: false,
            immutable: false,
        })
        .collect();

    let protected = want.options.protected || opts.protected.contains(id);
    if id.kind == Kind::Job {
        plan_job_update(id, &differing, fields, &mut change, &mut error);
        plan_cancel(want, have, &mut change);
    } else {
        let mut replace = false;
        for (path, mut field) in differing.iter().zip(fields) {
            let pointer_text = field.path.clone();
            let forces = match rules.mutability(path) {
                Mutability::InPlace => false,
                Mutability::ForcesReplacement { why } => {
                    change.reasons.push(ActionReason::ReplaceBecauseOf {
                        path: pointer_text.clone(),
                        why: why.to_owned(),
                    });
                    true
                }
            };
            replace |= forces;
            field.forces_replacement = forces;
            change.field_changes.push(field);
        }
        if let Some(failure) = provisioning_failure(have) {
            if have.owned {
                if !replace {
                    change
                        .reasons
                        .push(ActionReason::ProvisioningFailed { error: failure });
                }
                replace = true;
            } else {
                change.warnings.push(Warning {
                    message: format!(
                        "`{id}` is in state Failed ({failure}) and was not created by amlctl; \
                         amlctl does not replace it. Delete it in the workspace, or `amlctl import` it"
                    ),
                });
            }
        }
        if replace {
            change.actions.push(Action::Replace);
            if protected {
                error(format!(
                    "`{id}` is protected and cannot be replaced; the change to {} needs a new resource \
                     (remove `protected` in the repo config to allow it, or revert the manifest)",
                    replaced_fields(&change)
                ));
            }
            if !have.owned {
                error(format!(
                    "`{id}` was not created by amlctl (no `{OWNERSHIP_TAG}` tag) and replacing it would \
                     delete it; amlctl deletes only what it owns. Change it outside amlctl or revert the manifest"
                ));
            }
            check_assigned(id, want, have, opts, &mut change, &mut error);
        } else if !change.field_changes.is_empty() {
            change.actions.push(Action::Update);
        }
        if !have.owned && !change.field_changes.is_empty() {
            change.warnings.push(Warning {
                message: format!(
                    "`{id}` exists but was not created by amlctl (no `{OWNERSHIP_TAG}` tag)"
                ),
            });
        }
        plan_power(want, have, replace, &mut change);
    }
    warn_power_state_misuse(want, &mut change);
    if change.actions.is_empty() {
        change.actions.push(Action::NoOp);
    }
    Planned { change, errors }
}

fn plan_job_update(
    id: &ResourceId,
    differing: &[Vec<String>],
    fields: Vec<FieldChange>,
    change: &mut Change,
    error: &mut impl FnMut(String),
) {
    let mut fixed = Vec::new();
    for (path, mut field) in differing.iter().zip(fields) {
        if !Rules::job_updatable(path) {
            fixed.push(field.path.clone());
            field.immutable = true;
        }
        change.field_changes.push(field);
    }
    if !fixed.is_empty() {
        error(format!(
            "job `{id}` already exists with a different definition ({}). A job is a run record: after \
             submission only its tags, description and display name can change. Give the job a new \
             `name` (or remove `name` to get one derived from its content) to submit a new run",
            fixed.join(", ")
        ));
        change.warnings.push(Warning {
            message: "this job cannot be updated; see the errors".to_owned(),
        });
    } else if !differing.is_empty() {
        change.actions.push(Action::Update);
    }
}

/// Job statuses after which canceling has nothing left to do (`CancelRequested` is on its way).
const JOB_SETTLED: &[&str] = &["Completed", "Failed", "Canceled", "CancelRequested"];

/// A job the repo config wants canceled gets `Cancel` while it has not finished.
fn plan_cancel(want: &DesiredResource, have: &LiveResource, change: &mut Change) {
    if !want.options.cancel {
        return;
    }
    let status = have
        .body
        .pointer("/properties/status")
        .and_then(Value::as_str)
        .unwrap_or("Unknown");
    if JOB_SETTLED.iter().any(|s| s.eq_ignore_ascii_case(status)) {
        return;
    }
    change.actions.push(Action::Cancel);
    change.reasons.push(ActionReason::CancelRequested {
        current: status.to_owned(),
    });
}

/// Compute instances assigned to a person: loud warning, and an error unless allowed.
fn check_assigned(
    id: &ResourceId,
    want: &DesiredResource,
    have: &LiveResource,
    opts: &DiffOptions,
    change: &mut Change,
    error: &mut impl FnMut(String),
) {
    if !is_compute_instance(id.kind, &want.body) && !is_compute_instance(id.kind, &have.body) {
        return;
    }
    const USER: &str = "/properties/properties/personalComputeInstanceSettings/assignedUser";
    let Some(user) = have.body.pointer(USER).or_else(|| want.body.pointer(USER)) else {
        return;
    };
    let who = user
        .get("objectId")
        .and_then(Value::as_str)
        .unwrap_or("a user");
    change.warnings.push(Warning {
        message: format!(
            "REPLACING A COMPUTE INSTANCE ASSIGNED TO {who}: `{id}` is deleted and created again; its \
             local disk (notebooks, files, environments not saved to workspace storage) is lost"
        ),
    });
    if !opts.allow_replace_assigned {
        error(format!(
            "`{id}` is assigned to {who} and would be replaced, losing its local disk; pass \
             --allow-replace-assigned to allow it"
        ));
    }
}

/// Start or stop a compute instance whose state differs from the desired power state.
fn plan_power(want: &DesiredResource, have: &LiveResource, replaced: bool, change: &mut Change) {
    let Some(desired) = want.options.power_state else {
        return;
    };
    if !is_compute_instance(want.id.kind, &want.body) {
        return;
    }
    if replaced {
        // A new instance starts running.
        if desired == PowerState::Stopped {
            change.actions.push(Action::Stop);
            change.reasons.push(ActionReason::PowerState {
                current: "Running (after creation)".to_owned(),
            });
        }
        return;
    }
    let state = have
        .body
        .pointer("/properties/properties/state")
        .and_then(Value::as_str)
        .unwrap_or("Unknown");
    let lower = state.to_ascii_lowercase();
    let running = [
        "running",
        "starting",
        "restarting",
        "jobrunning",
        "settingup",
        "usersettingup",
        "creating",
        "resizing",
    ];
    let stopped = ["stopped", "stopping"];
    let action = match desired {
        PowerState::Running if stopped.contains(&lower.as_str()) => Some(Action::Start),
        PowerState::Stopped if running.contains(&lower.as_str()) => Some(Action::Stop),
        PowerState::Running if running.contains(&lower.as_str()) => None,
        PowerState::Stopped if stopped.contains(&lower.as_str()) => None,
        _ => {
            change.warnings.push(Warning {
                message: format!(
                    "compute instance is in state {state}; amlctl does not start or stop it from there"
                ),
            });
            None
        }
    };
    if let Some(action) = action {
        change.actions.push(action);
        change.reasons.push(ActionReason::PowerState {
            current: state.to_owned(),
        });
    }
}

fn warn_power_state_misuse(want: &DesiredResource, change: &mut Change) {
    if want.options.power_state.is_some() && !is_compute_instance(want.id.kind, &want.body) {
        change.warnings.push(Warning {
            message: "power_state applies only to compute instances; ignored".to_owned(),
        });
    }
}

pub fn plan_undeclared(have: &LiveResource, opts: &DiffOptions) -> Undeclared {
    let id = &have.id;
    if !have.owned {
        return Undeclared::Unmanaged;
    }
    if id.kind == Kind::Job {
        return Undeclared::Ignored;
    }
    if !opts.prune {
        return Undeclared::Orphaned;
    }
    let rules = Rules::for_body(id.kind, &have.body);
    let ctx = Context {
        rules,
        secret_paths: &[],
        ignore_fields: &[],
    };
    let mut errors = Vec::new();
    if opts.protected.contains(id) {
        errors.push(PlanError {
            address: id.clone(),
            message: format!(
                "`{id}` is protected and cannot be deleted; declare it again or remove `protected` in the repo config"
            ),
        });
    }
    let change = Change {
        address: id.clone(),
        type_label: type_label_of(id.kind, &have.body),
        actions: vec![Action::Delete],
        reasons: vec![ActionReason::NoLongerDeclared],
        before: Some(ctx.display(&have.body)),
        after: None,
        field_changes: Vec::new(),
        depends_on: live_dependencies(id.kind, &have.body).into_iter().collect(),
        warnings: Vec::new(),
        status: status_of(id.kind, &have.body),
        source: None,
        live_fingerprint: Some(live_fingerprint(id.kind, &have.body)),
        next_runs: Vec::new(),
    };
    Undeclared::Delete(Box::new(change), errors)
}

/// Leaf paths where two canonical bodies differ (objects recursed, arrays of the same length
/// element by element, otherwise arrays and scalars compared whole).
fn differences(live: &Value, desired: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => {
            let keys: BTreeSet<&String> = l.keys().chain(d.keys()).collect();
            for k in keys {
                path.push(k.clone());
                match (l.get(k), d.get(k)) {
                    (Some(lv), Some(dv)) => differences(lv, dv, path, out),
                    _ => out.push(path.clone()),
                }
                path.pop();
            }
        }
        (Value::Array(l), Value::Array(d)) if l.len() == d.len() => {
            for (i, (lv, dv)) in l.iter().zip(d).enumerate() {
                path.push(i.to_string());
                differences(lv, dv, path, out);
                path.pop();
            }
        }
        _ if live != desired => out.push(path.clone()),
        _ => {}
    }
}

/// A field's value as shown: from the display form, else (a default filled in) the canonical one.
fn value_at(display: &Value, canonical: &Value, path: &[String]) -> Option<Value> {
    pointer::get(display, path)
        .or_else(|| pointer::get(canonical, path))
        .cloned()
}

fn replaced_fields(change: &Change) -> String {
    let fields: Vec<String> = change
        .field_changes
        .iter()
        .filter(|f| f.forces_replacement)
        .map(|f| format!("`{}`", f.path))
        .collect();
    if fields.is_empty() {
        "its failed provisioning".to_owned()
    } else {
        fields.join(", ")
    }
}

/// A compute or schedule whose create or update failed (`properties.provisioningState` is
/// `Failed`): the service's reason (`provisioningErrors` of a compute), else "provisioningState
/// Failed". Jobs are run records and never replaced, so they have none.
fn provisioning_failure(have: &LiveResource) -> Option<String> {
    if have.id.kind == Kind::Job {
        return None;
    }
    let state = have
        .body
        .pointer("/properties/provisioningState")
        .and_then(Value::as_str)?;
    if !state.eq_ignore_ascii_case("Failed") {
        return None;
    }
    let errors: Vec<String> = have
        .body
        .pointer("/properties/provisioningErrors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let e = e.get("error").unwrap_or(e);
            let code = e.get("code").and_then(Value::as_str);
            let message = e.get("message").and_then(Value::as_str);
            match (code, message) {
                (Some(c), Some(m)) => Some(format!("{c}: {m}")),
                (Some(c), None) => Some(c.to_owned()),
                (None, Some(m)) => Some(m.to_owned()),
                (None, None) => None,
            }
        })
        .collect();
    Some(if errors.is_empty() {
        "provisioningState Failed".to_owned()
    } else {
        errors.join("; ")
    })
}

fn is_compute_instance(kind: Kind, body: &Value) -> bool {
    kind == Kind::Compute && ComputeType::of(body) == ComputeType::ComputeInstance
}

/// Jobs: `properties.status`; compute instances: `properties.properties.state`; other computes
/// and schedules: `provisioningState` when it is not `Succeeded`.
fn status_of(kind: Kind, body: &Value) -> Option<String> {
    let ptr = match kind {
        Kind::Job => "/properties/status",
        Kind::Compute if ComputeType::of(body) == ComputeType::ComputeInstance => {
            "/properties/properties/state"
        }
        Kind::Compute | Kind::Schedule => {
            return body
                .pointer("/properties/provisioningState")
                .and_then(Value::as_str)
                .filter(|s| !s.eq_ignore_ascii_case("Succeeded"))
                .map(str::to_owned);
        }
    };
    body.pointer(ptr).and_then(Value::as_str).map(str::to_owned)
}

/// Service-side type of a live resource, for resources no manifest declares.
pub fn type_label_of(kind: Kind, body: &Value) -> String {
    match kind {
        Kind::Compute => body
            .pointer("/properties/computeType")
            .and_then(Value::as_str)
            .unwrap_or("Compute")
            .to_owned(),
        Kind::Schedule => "Schedule".to_owned(),
        Kind::Job => match body.pointer("/properties/jobType").and_then(Value::as_str) {
            Some(t) => format!("{t}Job"),
            None => "Job".to_owned(),
        },
    }
}

/// Computes a live schedule or job refers to (`.../computes/{name}` in its compute id), so
/// deletes run dependents first.
pub fn live_dependencies(kind: Kind, body: &Value) -> BTreeSet<ResourceId> {
    let ptrs: &[&str] = match kind {
        Kind::Compute => &[],
        Kind::Schedule => &["/properties/action/jobDefinition/computeId"],
        Kind::Job => &["/properties/computeId"],
    };
    ptrs.iter()
        .filter_map(|p| body.pointer(p).and_then(Value::as_str))
        .filter_map(|arm_id| {
            let lower = arm_id.to_ascii_lowercase();
            let at = lower.rfind("/computes/")?;
            let name = &arm_id[at + "/computes/".len()..];
            (!name.is_empty() && !name.contains('/')).then(|| ResourceId::new(Kind::Compute, name))
        })
        .collect()
}
