//! `amlctl apply [FILE]`: plan (or load a saved plan and refuse it when stale), confirm, execute,
//! report. Exit 0 when everything converged, 1 when anything failed or was refused.
//!
//! Competing applies (see `docs/gitops.md`): a lock file per workspace under `.amlctl/locks/`
//! refuses a second apply from the same checkout; right before the first write the workspace is
//! read again and the apply refused if anything it is about to touch changed since the plan
//! (another apply, or a person). After a successful apply of a clean commit, the commit is
//! recorded in `.amlctl/applied/<target>.json` for `amlctl drift`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use miette::{IntoDiagnostic, WrapErr, miette};

use super::plan::{PlanFormat, ScopeArgs, prepare, write_plan};
use super::progress;
use super::target_args::TargetArgs;
use crate::apply::{ApplyOptions, ApplyReport, apply};
use crate::model::ResourceId;
use crate::ops::drift::{AppliedRecord, write_record};
use crate::ops::gitplan::WorktreeCommit;
use crate::ops::lock::ApplyLock;
use crate::ops::session::state_dir;
use crate::ops::{self, SessionOptions};
use crate::plan::Plan;
use crate::render;

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A plan saved by `amlctl plan --out FILE`: refused when anything it touches changed since.
    #[arg(value_name = "FILE")]
    pub plan_file: Option<PathBuf>,

    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub scope: ScopeArgs,

    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,

    /// At most this many operations at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub parallelism: u16,

    /// Follow submitted jobs to a terminal status; fail when one fails.
    #[arg(long)]
    pub wait_jobs: bool,

    /// With --wait-jobs: stop following a job after this many minutes (it counts as failed).
    #[arg(
        long,
        value_name = "MINUTES",
        default_value_t = 1440,
        requires = "wait_jobs"
    )]
    pub wait_timeout: u64,
}

pub fn exec(args: ApplyArgs) -> miette::Result<ExitCode> {
    super::runtime()?.block_on(run(args))
}

async fn run(args: ApplyArgs) -> miette::Result<ExitCode> {
    let saved = match &args.plan_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot read the saved plan {}", path.display()))?;
            let plan = render::json::parse(&text)
                .into_diagnostic()
                .wrap_err_with(|| format!("{} is not an amlctl plan", path.display()))?;
            Some(plan)
        }
        None => None,
    };
    let session_options = SessionOptions {
        max_concurrency: usize::from(args.parallelism).max(4),
    };
    let (config, target) = args.target.resolve()?;
    super::plan::require_manifests(&config)?;
    let workspace = target_workspace_key(&target);
    let _lock = ApplyLock::acquire(&state_dir(&config.root), &workspace).into_diagnostic()?;
    let mut prepared = prepare(&args.target, &args.scope, &session_options).await?;
    let outcome = execute(&args, saved.as_ref(), &mut prepared).await;
    prepared.session.close().await;
    outcome
}

async fn execute(
    args: &ApplyArgs,
    saved: Option<&Plan>,
    prepared: &mut super::plan::Prepared,
) -> miette::Result<ExitCode> {
    let fresh = &prepared.planned.plan;
    let plan = match saved {
        Some(saved) => {
            if saved.target.workspace_id != fresh.target.workspace_id {
                return Err(miette!(
                    "the saved plan is for {}, not {}: nothing was changed",
                    saved.target.workspace_id,
                    fresh.target.workspace_id
                ));
            }
            let stale = ops::stale_resources(saved, &comparable(saved, fresh));
            if !stale.is_empty() {
                for s in &stale {
                    eprintln!("  {}: {}", s.address, s.why);
                }
                return Err(miette!(
                    help = "run `amlctl plan` again and review the new plan",
                    "the saved plan is stale ({} resource(s) changed since it was made); nothing was changed",
                    stale.len()
                ));
            }
            saved
        }
        None => {
            write_plan(fresh, PlanFormat::Text, None)?;
            fresh
        }
    };
    if !plan.errors.is_empty() {
        return Err(miette!(
            "the plan has {} error(s); nothing was changed",
            plan.errors.len()
        ));
    }
    if !plan.has_changes() {
        eprintln!("Apply complete: nothing to do.");
        record_applied(prepared, plan);
        return Ok(ExitCode::SUCCESS);
    }
    if saved.is_none() && !args.auto_approve && !confirm()? {
        return Err(miette!("apply cancelled; nothing was changed"));
    }
    let writes: Vec<ResourceId> = plan
        .changes
        .iter()
        .filter(|c| !c.is_noop())
        .map(|c| c.address.clone())
        .collect();
    let env = |name: &str| std::env::var(name).ok();
    if let Err(missing) = ops::secrets::resolve(&mut prepared.loaded.desired, &writes, &env) {
        for m in &missing {
            eprintln!("  {m}");
        }
        return Err(miette!(
            "{} secret(s) are missing from the environment; nothing was changed",
            missing.len()
        ));
    }
    // Read the workspace again right before writing: a competing apply (or a person) that
    // touched what this plan changes since it was made stops us here.
    let recheck = ops::plan(
        &prepared.session,
        &prepared.loaded.desired,
        &prepared.request,
    )
    .await
    .into_diagnostic()
    .wrap_err("cannot read the workspace again before applying")?;
    let stale = ops::stale_resources(plan, &comparable(plan, &recheck.plan));
    if !stale.is_empty() {
        for s in &stale {
            eprintln!("  {}: {}", s.address, s.why);
        }
        return Err(miette!(
            help = "another apply may be running against this workspace; run `amlctl plan` again when it is done",
            "the workspace changed while this apply was starting ({} resource(s)); nothing was changed",
            stale.len()
        ));
    }
    let mut options = ApplyOptions::new(prepared.session.workspace_path.clone());
    options.parallelism = usize::from(args.parallelism);
    options.wait_jobs = args.wait_jobs;
    options.job_wait_timeout = Duration::from_secs(args.wait_timeout.saturating_mul(60));
    if prepared.session.is_local() {
        options.job_poll_interval = Duration::from_millis(200);
    }
    let interrupt = options.interrupt.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            interrupt.store(true, Ordering::SeqCst);
        }
    });
    let observer = progress::observer();
    let dyn_observer: Arc<dyn crate::apply::ApplyObserver> = observer.clone();
    let report = apply(
        &prepared.session.client,
        plan,
        &prepared.loaded.desired,
        &options,
        dyn_observer,
    )
    .await;
    observer.finish();
    ctrl_c.abort();
    print_summary(&report);
    if report.is_success() {
        record_applied(prepared, plan);
    }
    Ok(if report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The key the apply lock is taken on: the workspace's ARM id (the embedded workspace for
/// `local`), known before connecting.
fn target_workspace_key(target: &crate::config::ResolvedTarget) -> String {
    match &target.kind {
        crate::config::TargetKind::Local { .. } => format!("local:{}", target.name),
        crate::config::TargetKind::Remote(r) => {
            amlctl_arm::workspace_path(&r.subscription, &r.resource_group, &r.workspace)
        }
    }
}

/// A plan limited to some resources (`--changed-only`, `--only`) is compared with the same
/// resources of a fresh plan: resources outside its scope are not "new changes".
fn comparable(saved: &Plan, fresh: &Plan) -> Plan {
    let limited = saved.git.as_ref().is_some_and(|g| g.changed_only);
    if !limited {
        return fresh.clone();
    }
    let scope: std::collections::BTreeSet<&ResourceId> =
        saved.changes.iter().map(|c| &c.address).collect();
    let mut out = fresh.clone();
    out.changes.retain(|c| scope.contains(&c.address));
    out
}

/// Remember which commit the workspace now matches, for `amlctl drift`. Only a clean commit is
/// recorded (a dirty tree's manifests are in no commit); failing to write is a warning.
fn record_applied(prepared: &super::plan::Prepared, plan: &Plan) {
    let Some(commit) = plan
        .commit
        .as_deref()
        .and_then(WorktreeCommit::clean_commit)
    else {
        if plan.commit.is_some() {
            eprintln!(
                "Note: the working tree has uncommitted changes; `amlctl drift` keeps measuring from the last recorded commit."
            );
        }
        return;
    };
    let record = AppliedRecord {
        format_version: crate::ops::drift::RECORD_FORMAT.to_owned(),
        target: prepared.target.name.clone(),
        workspace_id: plan.target.workspace_id.clone(),
        commit: commit.to_owned(),
    };
    if let Err(e) = write_record(&state_dir(&prepared.config.root), &record) {
        eprintln!("Warning: {e}");
    }
}

/// Ask on the terminal; with no terminal, refuse (CI must say `--auto-approve`).
fn confirm() -> miette::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(miette!(
            help = "pass --auto-approve, or apply a reviewed plan file",
            "no terminal to confirm on; nothing was changed"
        ));
    }
    eprint!("\nDo you want to perform these actions? Only 'yes' will be accepted: ");
    std::io::stderr().flush().into_diagnostic()?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .into_diagnostic()?;
    Ok(answer.trim() == "yes")
}

fn print_summary(report: &ApplyReport) {
    let c = report.counts();
    let counts = format!(
        "{} created, {} updated, {} replaced, {} deleted, {} started, {} stopped, {} submitted",
        c.created, c.updated, c.replaced, c.deleted, c.started, c.stopped, c.submitted
    );
    let counts = if c.canceled > 0 {
        format!("{counts}, {} canceled", c.canceled)
    } else {
        counts
    };
    for (address, fields) in &report.not_applied {
        eprintln!(
            "Warning: {address}: the service accepted but did not apply: {}",
            fields.join(", ")
        );
    }
    if report.is_success() {
        eprintln!("\nApply complete: {counts}.");
        return;
    }
    eprintln!("\nApply failed: {counts}.");
    for (address, error) in report.failures() {
        eprintln!("  {address}: {error}");
    }
    let skipped = report
        .outcomes
        .values()
        .filter(|o| matches!(o, crate::apply::Outcome::Skipped { .. }))
        .count();
    if skipped > 0 {
        eprintln!("  {skipped} operation(s) skipped because something they depend on failed.");
    }
    if report.interrupted {
        eprintln!(
            "  Interrupted: operations not yet started were not started. Run apply again to converge."
        );
    }
}
