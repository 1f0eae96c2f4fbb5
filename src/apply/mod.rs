//! Execute a [`Plan`] against the workspace: dependency order, bounded concurrency, every
//! long-running operation polled to its end, each write read back and compared.
//!
//! Invariants: apply never branches on `ActionReason` (only on `Action`); when an operation fails
//! its dependants are skipped and independent operations finish; an interrupt stops new
//! operations from starting while running ones reach a safe point; nothing is deleted unless the
//! plan says so (and the plan deletes only what amlctl owns, with `--prune`).

mod assets;
mod events;
mod operation;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use amlctl_arm::ArmClient;
use tokio::task::JoinSet;

pub use events::{ApplyEvent, ApplyObserver, Silent};
pub use operation::OperationError;

use crate::model::{DesiredState, ResourceId};
use crate::plan::{Action, Change, Plan};

/// How to apply.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// ARM path of the workspace (`/subscriptions/.../workspaces/ws`).
    pub workspace_path: String,
    /// At most this many operations at once.
    pub parallelism: usize,
    /// Follow submitted jobs to a terminal status; a failed job fails the apply.
    pub wait_jobs: bool,
    /// Poll interval while following jobs.
    pub job_poll_interval: Duration,
    /// How long `--wait-jobs` follows one job before giving up (a job may sit in
    /// `NotResponding` or `Paused` for ever).
    pub job_wait_timeout: Duration,
    /// Set (e.g. by Ctrl-C) to stop starting new operations.
    pub interrupt: Arc<AtomicBool>,
    /// How long to wait for a resource left mid-operation (e.g. by a killed apply) to settle.
    pub settle_timeout: Duration,
}

impl ApplyOptions {
    pub fn new(workspace_path: impl Into<String>) -> Self {
        ApplyOptions {
            workspace_path: workspace_path.into(),
            parallelism: 10,
            wait_jobs: false,
            job_poll_interval: Duration::from_secs(5),
            job_wait_timeout: Duration::from_secs(24 * 3600),
            interrupt: Arc::new(AtomicBool::new(false)),
            settle_timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// How one resource's operation ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Done { actions: Vec<Action> },
    Failed { error: String },
    Skipped { because: ResourceId },
    NotStarted,
}

/// Counts for the final line `Apply complete: N created, ...`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplyCounts {
    pub created: usize,
    pub updated: usize,
    pub replaced: usize,
    pub deleted: usize,
    pub started: usize,
    pub stopped: usize,
    pub submitted: usize,
    pub canceled: usize,
}

/// The result of an apply.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApplyReport {
    pub outcomes: BTreeMap<ResourceId, Outcome>,
    /// Writes the service accepted but did not apply (address, fields).
    pub not_applied: Vec<(ResourceId, Vec<String>)>,
    pub interrupted: bool,
}

impl ApplyReport {
    pub fn counts(&self) -> ApplyCounts {
        let mut c = ApplyCounts::default();
        for outcome in self.outcomes.values() {
            if let Outcome::Done { actions } = outcome {
                for action in actions {
                    match action {
                        Action::Create => c.created += 1,
                        Action::Update => c.updated += 1,
                        Action::Replace => c.replaced += 1,
                        Action::Delete => c.deleted += 1,
                        Action::Start => c.started += 1,
                        Action::Stop => c.stopped += 1,
                        Action::Submit => c.submitted += 1,
                        Action::Cancel => c.canceled += 1,
                        Action::NoOp => {}
                    }
                }
            }
        }
        c
    }

    pub fn failures(&self) -> impl Iterator<Item = (&ResourceId, &str)> {
        self.outcomes.iter().filter_map(|(id, o)| match o {
            Outcome::Failed { error } => Some((id, error.as_str())),
            _ => None,
        })
    }

    /// True when every operation succeeded.
    pub fn is_success(&self) -> bool {
        !self.interrupted
            && self
                .outcomes
                .values()
                .all(|o| matches!(o, Outcome::Done { .. }))
    }
}

/// What one spawned operation hands back: its address, the actions done (or the error) and the
/// fields the read-back found not applied.
type TaskResult = (ResourceId, Result<Vec<Action>, OperationError>, Vec<String>);

/// Execute `plan`. `desired` holds the bodies to write, with secrets resolved.
pub async fn apply(
    client: &ArmClient,
    plan: &Plan,
    desired: &DesiredState,
    options: &ApplyOptions,
    observer: Arc<dyn ApplyObserver>,
) -> ApplyReport {
    let mut pending = plan.execution_graph().prerequisites;
    let changes: BTreeMap<ResourceId, Change> = plan
        .changes
        .iter()
        .filter(|c| !c.is_noop())
        .map(|c| (c.address.clone(), c.clone()))
        .collect();
    let mut report = ApplyReport::default();
    let mut running: JoinSet<TaskResult> = JoinSet::new();
    let parallelism = options.parallelism.max(1);
    let ensured = Arc::new(assets::Ensured::default());

    loop {
        // Skip what depends on a failure, then start whatever is ready.
        let mut progressed = true;
        while progressed {
            progressed = false;
            let failed: Vec<(ResourceId, ResourceId)> = pending
                .iter()
                .filter_map(|(id, before)| {
                    before
                        .iter()
                        .find(|b| {
                            matches!(
                                report.outcomes.get(*b),
                                Some(
                                    Outcome::Failed { .. }
                                        | Outcome::Skipped { .. }
                                        | Outcome::NotStarted
                                )
                            )
                        })
                        .map(|b| (id.clone(), b.clone()))
                })
                .collect();
            for (id, because) in failed {
                pending.remove(&id);
                observer.event(ApplyEvent::Skipped {
                    address: id.clone(),
                    because: because.clone(),
                });
                report.outcomes.insert(id, Outcome::Skipped { because });
                progressed = true;
            }
        }
        let interrupted = options.interrupt.load(Ordering::SeqCst);
        if interrupted {
            report.interrupted = true;
            for id in std::mem::take(&mut pending).into_keys() {
                observer.event(ApplyEvent::NotStarted {
                    address: id.clone(),
                });
                report.outcomes.insert(id, Outcome::NotStarted);
            }
        }
        let ready: Vec<ResourceId> = pending
            .iter()
            .filter(|(_, before)| {
                before
                    .iter()
                    .all(|b| matches!(report.outcomes.get(b), Some(Outcome::Done { .. })))
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in ready {
            if running.len() >= parallelism {
                break;
            }
            pending.remove(&id);
            let change = changes[&id].clone();
            let client = client.clone();
            let desired_resource = desired.resources.get(&id).cloned();
            let options = options.clone();
            let observer = observer.clone();
            let ensured = ensured.clone();
            running.spawn(async move {
                let started = Instant::now();
                if let Some(first) = change.actions.first() {
                    observer.event(ApplyEvent::Started {
                        address: id.clone(),
                        action: *first,
                    });
                }
                let result = operation::execute(
                    &client,
                    &change,
                    desired_resource.as_ref(),
                    &options,
                    observer.as_ref(),
                    &ensured,
                )
                .await;
                let elapsed = started.elapsed();
                match &result {
                    Ok(done) => {
                        if !done.not_applied.is_empty() {
                            observer.event(ApplyEvent::NotApplied {
                                address: id.clone(),
                                fields: done.not_applied.clone(),
                            });
                        }
                        observer.event(ApplyEvent::Succeeded {
                            address: id.clone(),
                            actions: done.actions.clone(),
                            elapsed,
                        });
                    }
                    Err(error) => observer.event(ApplyEvent::Failed {
                        address: id.clone(),
                        error: error.to_string(),
                        elapsed,
                    }),
                }
                match result {
                    Ok(done) => (id, Ok(done.actions), done.not_applied),
                    Err(e) => (id, Err(e), Vec::new()),
                }
            });
        }
        if running.is_empty() {
            if pending.is_empty() {
                break;
            }
            // Nothing running and nothing ready: a cycle (should not happen). Report and stop.
            for id in std::mem::take(&mut pending).into_keys() {
                let error = "dependency cycle: not attempted".to_owned();
                observer.event(ApplyEvent::Failed {
                    address: id.clone(),
                    error: error.clone(),
                    elapsed: Duration::ZERO,
                });
                report.outcomes.insert(id, Outcome::Failed { error });
            }
            break;
        }
        match running.join_next().await {
            Some(Ok((id, result, not_applied))) => {
                if !not_applied.is_empty() {
                    report.not_applied.push((id.clone(), not_applied));
                }
                let outcome = match result {
                    Ok(actions) => Outcome::Done { actions },
                    Err(e) => Outcome::Failed {
                        error: operation::describe(&e),
                    },
                };
                report.outcomes.insert(id, outcome);
            }
            Some(Err(join_error)) => {
                // A panicking task is a bug; record it against nothing we can name.
                tracing::error!("apply task failed: {join_error}");
            }
            None => {}
        }
    }
    report
}
