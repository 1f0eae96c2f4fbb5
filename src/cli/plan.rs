//! `amlctl plan`: what applying the manifests would change in the target workspace.
//!
//! Exit codes (one place: [`exit_code`]): 0 success; with `--detailed-exitcode` 0 = no changes,
//! 2 = changes pending; 1 = error (including manifests that do not validate and plan errors).

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use miette::{IntoDiagnostic, WrapErr, miette};

use super::target_args::TargetArgs;
use crate::config::{RepoConfig, ResolvedTarget};
use crate::manifest::DiskTree;
use crate::model::ResourceId;
use crate::ops::{self, Loaded, PlanRequest, Planned, Session, SessionOptions};
use crate::plan::Plan;
use crate::render;

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Output format of the plan (on stdout).
    #[arg(long, short = 'o', value_enum, default_value_t = PlanFormat::Text)]
    pub output: PlanFormat,

    /// Save the plan (JSON) for `amlctl apply FILE`.
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Exit 2 when there are changes, 0 when none, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,

    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// Flags shared by `plan` and `apply` that shape what is planned.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ScopeArgs {
    /// Delete resources amlctl created that no manifest declares any more.
    #[arg(long)]
    pub prune: bool,

    /// Allow replacing a compute instance assigned to a person (its local disk is lost).
    #[arg(long)]
    pub allow_replace_assigned: bool,

    /// Plan only this resource address (KIND.NAME, repeatable), like Terraform's -target.
    #[arg(long = "only", value_name = "ADDRESS")]
    pub only: Vec<ResourceId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
}

/// Everything a plan was made from, kept for apply.
pub struct Prepared {
    pub config: RepoConfig,
    pub target: ResolvedTarget,
    pub session: Session,
    pub loaded: Loaded,
    pub planned: Planned,
}

/// Resolve the target, connect, load the manifests and plan. Validation errors stop here,
/// before anything is read from or written to the workspace.
pub async fn prepare(target_args: &TargetArgs, scope: &ScopeArgs, session_options: &SessionOptions) -> miette::Result<Prepared> {
    let (config, target) = target_args.resolve()?;
    let files: Vec<PathBuf> = config
        .manifest_files()
        .into_diagnostic()
        .wrap_err("cannot list the manifests")?
        .into_iter()
        .map(|f| config.root.join(f))
        .collect();
    // Validate before connecting: bad input never reaches the workspace.
    let report = crate::validate::validate_paths(&files);
    if report.has_errors() {
        super::validate::print_human(&report);
        return Err(miette!("the manifests have errors; nothing was planned"));
    }
    let session = Session::connect(&target, session_options).await.into_diagnostic()?;
    let loaded = ops::load_desired(&config, &target, &DiskTree, &files, &session.translate);
    if loaded.has_errors() {
        super::validate::print_human(&loaded.report);
        for e in &loaded.translate_errors {
            eprintln!("{:?}", miette::Report::msg(e.to_string()));
        }
        session.close().await;
        return Err(miette!("the manifests could not be translated; nothing was planned"));
    }
    let request = PlanRequest {
        prune: scope.prune,
        allow_replace_assigned: scope.allow_replace_assigned,
        only: (!scope.only.is_empty()).then(|| scope.only.iter().cloned().collect()),
        protected: target.options.iter().filter(|(_, o)| o.protected).map(|(a, _)| a.clone()).collect::<BTreeSet<_>>(),
    };
    let planned = match ops::plan(&session, &loaded.desired, &request).await {
        Ok(p) => p,
        Err(e) => {
            session.close().await;
            return Err(e).into_diagnostic().wrap_err("cannot read the workspace");
        }
    };
    Ok(Prepared { config, target, session, loaded, planned })
}

pub fn exec(args: PlanArgs) -> miette::Result<ExitCode> {
    super::runtime()?.block_on(async move {
        let prepared = prepare(&args.target, &args.scope, &SessionOptions::default()).await?;
        let plan = &prepared.planned.plan;
        let result = write_plan(plan, args.output, args.out.as_deref());
        prepared.session.close().await;
        result?;
        Ok(exit_code(plan, args.detailed_exitcode))
    })
}

/// Print `plan` in `format` on stdout and save it when asked.
pub fn write_plan(plan: &Plan, format: PlanFormat, out: Option<&std::path::Path>) -> miette::Result<()> {
    let text = match format {
        PlanFormat::Text => render::text::render(plan, &render::text::TextOptions { color: use_color(), max_listed: 20 }),
        PlanFormat::Markdown => render::markdown::render(plan, &render::markdown::MarkdownOptions::default()),
        PlanFormat::Json => render::json::render(plan).into_diagnostic()?,
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).into_diagnostic()?;
    if !text.ends_with('\n') {
        writeln!(stdout).into_diagnostic()?;
    }
    if let Some(path) = out {
        let json = render::json::render(plan).into_diagnostic()?;
        std::fs::write(path, json).into_diagnostic().wrap_err_with(|| format!("cannot write {}", path.display()))?;
        eprintln!("Saved the plan to {}; apply it with: amlctl apply {}", path.display(), path.display());
    }
    Ok(())
}

/// The exit-code policy of `plan`.
pub fn exit_code(plan: &Plan, detailed: bool) -> ExitCode {
    if !plan.errors.is_empty() {
        ExitCode::from(1)
    } else if detailed && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// Colour only on a terminal and when NO_COLOR is unset.
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}
