//! `amlctl drift`: sync status (does the workspace match the branch?), drift (did the workspace
//! change outside git since the last apply?) and health, for a scheduled job. See
//! [`crate::ops::drift`] for the model and `docs/gitops.md` for the design.
//!
//! Exit codes: 1 error; otherwise 0, or with `--detailed-exitcode`: 2 when anything drifted,
//! 3 when nothing drifted but a resource is unhealthy (Degraded), 0 otherwise. Resources that are
//! out of sync only because git changed them since the last apply (an apply is pending) do not
//! change the exit code.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use miette::{IntoDiagnostic, WrapErr, miette};

use super::plan::{GitArgs, Prepared, ScopeArgs, prepare_with};
use super::target_args::TargetArgs;
use crate::diff::{DiffOptions, diff};
use crate::gitsrc::GitRepo;
use crate::ops::SessionOptions;
use crate::ops::drift::{
    DriftReport, Health, Reference, ReferenceOrigin, SyncStatus, build_report, read_record,
};
use crate::ops::gitplan::{differing_resources, load_at_commit};
use crate::ops::session::state_dir;
use crate::plan::PlanTarget;

#[derive(Debug, clap::Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Measure drift from this commit (the one last applied) instead of the target's apply
    /// record (`.amlctl/applied/<target>.json`) or, without one, HEAD.
    #[arg(long, value_name = "REF")]
    pub since: Option<String>,

    /// Exit 2 on drift, 3 when only health is degraded, 0 otherwise (1 on error).
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// Output format (on stdout).
    #[arg(long, short = 'o', value_enum, default_value_t = DriftFormat::Text)]
    pub output: DriftFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DriftFormat {
    Text,
    Markdown,
    Json,
}

pub fn exec(args: DriftArgs) -> miette::Result<ExitCode> {
    super::runtime()?.block_on(async move {
        let prepared = prepare_with(
            &args.target,
            &ScopeArgs::default(),
            &GitArgs::default(),
            &SessionOptions::default(),
        )
        .await?;
        let result = report(&args, &prepared);
        prepared.session.close().await;
        let report = result?;
        let text = match args.output {
            DriftFormat::Text => text(&report),
            DriftFormat::Markdown => markdown(&report),
            DriftFormat::Json => {
                let mut s = serde_json::to_string_pretty(&report).into_diagnostic()?;
                s.push('\n');
                s
            }
        };
        std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .into_diagnostic()?;
        Ok(exit_code(&report, args.detailed_exitcode))
    })
}

/// The exit-code policy of `drift`.
pub fn exit_code(report: &DriftReport, detailed: bool) -> ExitCode {
    if !detailed {
        ExitCode::SUCCESS
    } else if report.has_drift() {
        ExitCode::from(2)
    } else if report.is_unhealthy() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

fn report(args: &DriftArgs, prepared: &Prepared) -> miette::Result<DriftReport> {
    let config = &prepared.config;
    let branch = &prepared.planned.plan;
    let live = &prepared.planned.live;
    let repo = GitRepo::open(&config.root).ok();
    let Some(repo) = repo else {
        if args.since.is_some() {
            return Err(miette!(
                "--since needs a git work tree at {}",
                config.root.display()
            ));
        }
        eprintln!("Not in git: drift cannot be told apart from changes to the manifests.");
        return Ok(build_report(branch, None, &Default::default(), live));
    };
    let (rev, origin) = match &args.since {
        Some(rev) => (rev.clone(), ReferenceOrigin::Since),
        None => {
            match read_record(&state_dir(&config.root), &prepared.target.name).into_diagnostic()? {
                Some(record)
                    if record
                        .workspace_id
                        .eq_ignore_ascii_case(&branch.target.workspace_id) =>
                {
                    (record.commit, ReferenceOrigin::Record)
                }
                Some(record) => {
                    eprintln!(
                        "Ignoring the apply record of `{}`: it is for {}, not {}.",
                        record.target, record.workspace_id, branch.target.workspace_id
                    );
                    ("HEAD".to_owned(), ReferenceOrigin::Head)
                }
                None => ("HEAD".to_owned(), ReferenceOrigin::Head),
            }
        }
    };
    let commit = repo
        .resolve(&rev)
        .into_diagnostic()
        .wrap_err("cannot read the last applied commit")?;
    let at_reference = load_at_commit(
        &repo,
        &commit,
        config,
        &prepared.target,
        &prepared.session.translate,
    )
    .into_diagnostic()
    .wrap_err_with(|| format!("cannot read the manifests at {rev}"))?;
    if at_reference.has_errors() {
        eprintln!(
            "Warning: the manifests at {} have errors; drift is measured for the resources that translate.",
            commit.short()
        );
    }
    let options = DiffOptions {
        protected: prepared.request.protected.clone(),
        ..DiffOptions::new(PlanTarget {
            name: branch.target.name.clone(),
            workspace_id: branch.target.workspace_id.clone(),
        })
    };
    let reference_plan = diff(&at_reference.desired, live, &options);
    let git_changed = differing_resources(&at_reference.desired, &prepared.loaded.desired);
    let reference = Reference {
        commit: commit.to_string(),
        origin,
    };
    Ok(build_report(
        branch,
        Some((&reference_plan, reference)),
        &git_changed,
        live,
    ))
}

fn headline(r: &DriftReport) -> String {
    let s = &r.summary;
    let sync = if s.out_of_sync == 0 {
        "Synced".to_owned()
    } else {
        format!("OutOfSync ({} resource(s))", s.out_of_sync)
    };
    let health = if s.unhealthy == 0 {
        "Healthy".to_owned()
    } else {
        format!("Degraded ({} resource(s))", s.unhealthy)
    };
    format!(
        "Sync: {sync} · Health: {health} · Drift: {} · Changed in git since: {}",
        s.drifted, s.git_changed
    )
}

fn reference_line(r: &DriftReport) -> String {
    match &r.reference {
        Some(Reference { commit, origin }) => {
            let short = commit.get(..12).unwrap_or(commit);
            let from = match origin {
                ReferenceOrigin::Since => "--since",
                ReferenceOrigin::Record => "last apply record",
                ReferenceOrigin::Head => "HEAD; no apply record",
            };
            format!("drift measured from commit {short} ({from})")
        }
        None => "not in git: every out-of-sync resource counts as drift".to_owned(),
    }
}

fn sync_word(s: SyncStatus) -> &'static str {
    match s {
        SyncStatus::Synced => "Synced",
        SyncStatus::OutOfSync => "OutOfSync",
    }
}

fn health_word(h: Health) -> &'static str {
    match h {
        Health::Healthy => "Healthy",
        Health::Progressing => "Progressing",
        Health::Suspended => "Suspended",
        Health::Degraded => "Degraded",
        Health::Missing => "Missing",
    }
}

fn cause(r: &crate::ops::drift::ResourceStatus) -> String {
    let mut parts = Vec::new();
    if r.drifted {
        if r.health == Health::Missing {
            parts.push("deleted outside git".to_owned());
        } else if r.drifted_fields.is_empty() {
            parts.push("changed outside git".to_owned());
        } else {
            parts.push(format!(
                "changed outside git: {}",
                r.drifted_fields.join(", ")
            ));
        }
    }
    if r.git_changed {
        parts.push("changed in git (apply pending)".to_owned());
    }
    parts.join("; ")
}

fn text(r: &DriftReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Target: {} ({})", r.target.name, r.target.workspace_id);
    if let Some(c) = &r.commit {
        let _ = writeln!(out, "Commit: {c}");
    }
    let _ = writeln!(out, "{}\n\n{}\n", reference_line(r), headline(r));
    for s in &r.resources {
        let _ = write!(
            out,
            "  {:<10} {:<12} {}",
            sync_word(s.sync),
            health_word(s.health),
            s.address
        );
        let why = cause(s);
        if !why.is_empty() {
            let _ = write!(out, "  [{why}]");
        }
        if s.health != Health::Missing && !s.health_reasons.is_empty() {
            let _ = write!(out, "  ({})", s.health_reasons.join("; "));
        }
        out.push('\n');
    }
    for o in &r.orphaned {
        let _ = writeln!(
            out,
            "  {:<10} {:<12} {o}  [no longer declared; apply --prune deletes it]",
            "OutOfSync", "-"
        );
    }
    out
}

fn markdown(r: &DriftReport) -> String {
    let esc = |s: &str| {
        s.replace('|', "\\|")
            .replace('`', "'")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- amlctl-drift:{} -->",
        r.target.name.replace("--", "- -")
    );
    let _ = writeln!(out, "### amlctl drift: `{}`\n", esc(&r.target.name));
    let _ = write!(out, "Workspace: `{}`", esc(&r.target.workspace_id));
    if let Some(c) = &r.commit {
        let _ = write!(out, " · commit `{}`", esc(c));
    }
    let _ = writeln!(out, " · {}\n", esc(&reference_line(r)));
    let _ = writeln!(out, "**{}**\n", headline(r));
    let listed: Vec<_> = r
        .resources
        .iter()
        .filter(|s| s.sync == SyncStatus::OutOfSync || s.drifted || s.health != Health::Healthy)
        .collect();
    if listed.is_empty() && r.orphaned.is_empty() {
        out.push_str("The workspace matches git and every resource is healthy.\n");
        return out;
    }
    out.push_str("| Resource | Sync | Health | Why |\n|---|---|---|---|\n");
    for s in listed {
        let mut why = cause(s);
        if s.health != Health::Missing && !s.health_reasons.is_empty() {
            if !why.is_empty() {
                why.push_str("; ");
            }
            why.push_str(&s.health_reasons.join("; "));
        }
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            s.address,
            sync_word(s.sync),
            health_word(s.health),
            esc(&why)
        );
    }
    for o in &r.orphaned {
        let _ = writeln!(
            out,
            "| `{o}` | OutOfSync | | no longer declared; `apply --prune` deletes it |"
        );
    }
    out
}
