//! `amlctl plan`: what applying the manifests would change in the target workspace.
//!
//! Exit codes (one place: [`exit_code`]): 0 success; with `--detailed-exitcode` 0 = no changes,
//! 2 = changes pending; 1 = error (including manifests that do not validate and plan errors).
//!
//! With `--base REF` the plan also lists the manifests the branch changes (see
//! [`ops::gitplan`]); `--changed-only` limits it to the resources they declare or that changed
//! meaning. The plan records the commit it was made from (`-dirty` when the tree differs).

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use miette::{IntoDiagnostic, WrapErr, miette};

use super::github;
use super::target_args::TargetArgs;
use crate::config::{RepoConfig, ResolvedTarget};
use crate::gitsrc::GitRepo;
use crate::manifest::DiskTree;
use crate::model::ResourceId;
use crate::ops::{self, Loaded, PlanRequest, Planned, Session, SessionOptions, gitplan};
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

    /// Also write the markdown plan (the pull-request comment) to FILE, whatever --output is.
    #[arg(long = "markdown-out", value_name = "FILE")]
    pub markdown_out: Option<PathBuf>,

    /// Exit 2 when there are changes, 0 when none, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,

    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub git: GitArgs,
}

/// `plan --base REF [--changed-only]`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GitArgs {
    /// Compare with this git revision (e.g. origin/main) and list the manifests the branch
    /// changes. In a shallow CI checkout fetch it first: git fetch --depth=1 origin main.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,

    /// With --base: plan only the resources whose desired state the branch changes (their
    /// manifest, or a file it uses, changed; manifests deleted on the branch included).
    #[arg(long, requires = "base")]
    pub changed_only: bool,
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
    /// The text plan, GitHub Actions annotations on the manifests, and the markdown plan
    /// appended to $GITHUB_STEP_SUMMARY when it is set.
    Github,
}

/// Everything a plan was made from, kept for apply.
pub struct Prepared {
    pub config: RepoConfig,
    pub target: ResolvedTarget,
    pub session: Session,
    pub loaded: Loaded,
    pub planned: Planned,
    /// What was asked of the planner (for the re-check right before apply writes).
    pub request: PlanRequest,
}

/// Resolve the target, connect, load the manifests and plan. Validation errors stop here,
/// before anything is read from or written to the workspace.
pub async fn prepare(
    target_args: &TargetArgs,
    scope: &ScopeArgs,
    session_options: &SessionOptions,
) -> miette::Result<Prepared> {
    prepare_with(target_args, scope, &GitArgs::default(), session_options).await
}

/// [`prepare`], comparing with a git base when `git.base` is set.
pub async fn prepare_with(
    target_args: &TargetArgs,
    scope: &ScopeArgs,
    git: &GitArgs,
    session_options: &SessionOptions,
) -> miette::Result<Prepared> {
    let (config, target) = target_args.resolve()?;
    // Git first: a missing base says what to fetch before anything else happens.
    let repo = match (&git.base, GitRepo::open(&config.root)) {
        (_, Ok(repo)) => Some(repo),
        (None, Err(e)) => {
            tracing::debug!("not reading git: {e}");
            None
        }
        (Some(_), Err(e)) => {
            return Err(e).into_diagnostic().wrap_err(format!(
                "--base needs a git work tree at {}",
                config.root.display()
            ));
        }
    };
    let base = match (&git.base, &repo) {
        (Some(rev), Some(repo)) => Some((
            rev.clone(),
            gitplan::base_commit(repo, rev).into_diagnostic()?,
        )),
        _ => None,
    };
    let commit = repo.as_ref().and_then(|r| {
        match gitplan::worktree_commit(r, |p| config.manifests.is_manifest(p)) {
            Ok(c) => Some(c.marker()),
            Err(e) => {
                tracing::debug!("no commit recorded in the plan: {e}");
                None
            }
        }
    });
    let files: Vec<PathBuf> = config
        .manifest_files()
        .into_diagnostic()
        .wrap_err("cannot list the manifests")?
        .into_iter()
        .map(|f| config.root.join(f))
        .collect();
    // Nothing to plan is a mistake (wrong directory, wrong globs), not "No changes"; and the
    // workspace is not touched for it (no connection, no local state directory).
    if files.is_empty() {
        return Err(no_manifests(&config));
    }
    // Validate before connecting: bad input never reaches the workspace.
    let report = crate::validate::validate_paths(&files);
    if report.has_errors() {
        super::validate::print_human(&report);
        if config.file.is_none() {
            return Err(miette!(
                help = format!(
                    "no amlctl.yaml was found from here up to the repository root, so every \
                     YAML file under {} was read as a manifest; run amlctl in the directory of \
                     your manifests' amlctl.yaml, or pass --config PATH",
                    config.root.display()
                ),
                "the manifests have errors; nothing was planned"
            ));
        }
        return Err(miette!("the manifests have errors; nothing was planned"));
    }
    let session = Session::connect(&target, session_options)
        .await
        .into_diagnostic()?;
    let loaded = ops::load_desired(&config, &target, &DiskTree, &files, &session.translate);
    if loaded.has_errors() {
        super::validate::print_human(&loaded.report);
        for e in &loaded.translate_errors {
            eprintln!("{:?}", miette::Report::msg(e.to_string()));
        }
        session.close().await;
        return Err(miette!(
            "the manifests could not be translated; nothing was planned"
        ));
    }
    if let Err(e) = check_only(&scope.only, &loaded, scope.prune) {
        session.close().await;
        return Err(e);
    }
    let mut request = PlanRequest {
        prune: scope.prune,
        allow_replace_assigned: scope.allow_replace_assigned,
        only: (!scope.only.is_empty()).then(|| scope.only.iter().cloned().collect()),
        protected: target
            .options
            .iter()
            .filter(|(_, o)| o.protected)
            .map(|(a, _)| a.clone())
            .collect::<BTreeSet<_>>(),
    };
    let mut changes = None;
    if let (Some((rev, base_commit)), Some(repo)) = (&base, &repo) {
        let compared = gitplan::compare_with_base(
            repo,
            rev,
            base_commit,
            &config,
            &target,
            &session.translate,
            &loaded.desired,
        );
        let mut compared = match compared {
            Ok(c) => c,
            Err(e) => {
                session.close().await;
                return Err(e)
                    .into_diagnostic()
                    .wrap_err(format!("cannot read the manifests at {rev}"));
            }
        };
        if git.changed_only {
            compared.changed_only = true;
            let changed: BTreeSet<ResourceId> =
                compared.changed_resources.iter().cloned().collect();
            request.only = Some(match request.only.take() {
                Some(only) => only.intersection(&changed).cloned().collect(),
                None => changed,
            });
        }
        changes = Some(compared);
    }
    let mut planned = match ops::plan(&session, &loaded.desired, &request).await {
        Ok(p) => p,
        Err(e) => {
            session.close().await;
            return Err(e)
                .into_diagnostic()
                .wrap_err("cannot read the workspace");
        }
    };
    if scope.prune {
        // With --prune an undeclared address may name an owned resource to delete; one the
        // workspace does not have either is a typo.
        let known: BTreeSet<&ResourceId> = planned
            .plan
            .changes
            .iter()
            .map(|c| &c.address)
            .chain(&planned.plan.orphaned)
            .chain(&planned.plan.unmanaged)
            .collect();
        let missing: Vec<String> = scope
            .only
            .iter()
            .filter(|a| !known.contains(a) && !loaded.desired.resources.contains_key(a))
            .map(|a| format!("`{a}`"))
            .collect();
        if !missing.is_empty() {
            session.close().await;
            return Err(miette!(
                help = "addresses are KIND.NAME of a resource a manifest declares or amlctl owns",
                "--only {}: neither a manifest nor the workspace has it; nothing was planned",
                missing.join(", ")
            ));
        }
    }
    planned.plan.commit = commit;
    planned.plan.git = changes;
    Ok(Prepared {
        config,
        target,
        session,
        loaded,
        planned,
        request,
    })
}

pub fn exec(args: PlanArgs) -> miette::Result<ExitCode> {
    super::runtime()?.block_on(async move {
        let prepared = prepare_with(
            &args.target,
            &args.scope,
            &args.git,
            &SessionOptions::default(),
        )
        .await?;
        let plan = &prepared.planned.plan;
        let result = write_plan(plan, args.output, args.out.as_deref()).and_then(|()| match &args
            .markdown_out
        {
            Some(path) => {
                let md =
                    render::markdown::render(plan, &render::markdown::MarkdownOptions::default());
                std::fs::write(path, md)
                    .into_diagnostic()
                    .wrap_err_with(|| format!("cannot write {}", path.display()))
            }
            None => Ok(()),
        });
        prepared.session.close().await;
        result?;
        let code = exit_code(plan, args.detailed_exitcode);
        // The process ends right after this: freeing the desired and live states and the plan
        // map by map (thousands of small JSON allocations) would only delay the exit.
        std::mem::forget((prepared.loaded, prepared.planned));
        Ok(code)
    })
}

/// Print `plan` in `format` on stdout and save it when asked.
pub fn write_plan(
    plan: &Plan,
    format: PlanFormat,
    out: Option<&std::path::Path>,
) -> miette::Result<()> {
    let text = match format {
        PlanFormat::Text => render::text::render(
            plan,
            &render::text::TextOptions {
                color: use_color(),
                max_listed: 20,
            },
        ),
        PlanFormat::Markdown => {
            render::markdown::render(plan, &render::markdown::MarkdownOptions::default())
        }
        PlanFormat::Json => render::json::render(plan).into_diagnostic()?,
        PlanFormat::Github => {
            let mut text = render::text::render(
                plan,
                &render::text::TextOptions {
                    color: false,
                    max_listed: 20,
                },
            );
            for line in github::annotations(plan) {
                text.push_str(&line);
                text.push('\n');
            }
            if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty())
            {
                github::append_summary(std::path::Path::new(&summary), plan)?;
            }
            text
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).into_diagnostic()?;
    if !text.ends_with('\n') {
        writeln!(stdout).into_diagnostic()?;
    }
    if let Some(path) = out {
        let json = render::json::render(plan).into_diagnostic()?;
        std::fs::write(path, json)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot write {}", path.display()))?;
        eprintln!(
            "Saved the plan to {}; apply it with: amlctl apply {}",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

/// Fail before anything is touched (no connection, no lock or state directory) when no file
/// matches the manifest patterns.
pub(crate) fn require_manifests(config: &RepoConfig) -> miette::Result<()> {
    let files = config
        .manifest_files()
        .into_diagnostic()
        .wrap_err("cannot list the manifests")?;
    if files.is_empty() {
        return Err(no_manifests(config));
    }
    Ok(())
}

/// The error for a repo where no file matches the manifest patterns.
fn no_manifests(config: &RepoConfig) -> miette::Report {
    let globs: Vec<&str> = config
        .manifests
        .include()
        .iter()
        .map(|g| g.as_str())
        .collect();
    let from = match &config.file {
        Some(file) => format!("the `manifests` of {}", file.display()),
        None => "the default patterns (no amlctl.yaml was found from here up to the repository \
                 root)"
            .to_owned(),
    };
    miette!(
        help = "run amlctl in the directory of your manifests' amlctl.yaml, pass --config PATH, \
                or fix its `manifests` patterns",
        "no manifests found under {}: nothing matches {} ({from}); nothing was planned",
        config.root.display(),
        globs.join(", "),
    )
}

/// `--only` names resources: an address that no manifest declares is a typo (with "did you
/// mean"), except with `--prune`, where it may name an owned resource to delete (that one is
/// checked against the workspace by the planner's result).
fn check_only(only: &[ResourceId], loaded: &Loaded, prune: bool) -> miette::Result<()> {
    let declared: BTreeSet<&ResourceId> = loaded.desired.resources.keys().collect();
    let unknown: Vec<String> = only
        .iter()
        .filter(|a| !declared.contains(a))
        .map(|a| {
            let names: Vec<String> = declared.iter().map(ToString::to_string).collect();
            match crate::validate::suggest::did_you_mean(
                &a.to_string(),
                names.iter().map(String::as_str),
            ) {
                Some(s) => format!("`{a}` (did you mean `{s}`?)"),
                None => format!("`{a}`"),
            }
        })
        .collect();
    if unknown.is_empty() || prune {
        return Ok(());
    }
    Err(miette!(
        help =
            "addresses are KIND.NAME of a resource a manifest declares: `amlctl plan` lists them",
        "--only {}: no manifest declares it; nothing was planned",
        unknown.join(", ")
    ))
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
