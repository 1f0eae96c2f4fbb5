//! The command line: clap definitions and one `exec` per subcommand. The only module that prints
//! to stdout/stderr or picks exit codes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod apply;
mod drift;
mod emulator;
mod github;
mod import;
mod plan;
mod progress;
pub mod schema;
mod status;
pub mod target_args;
mod targets;
pub mod validate;

#[derive(Debug, Parser)]
#[command(
    name = "amlctl",
    version,
    about = "Declarative GitOps for Azure Machine Learning workspaces"
)]
pub struct Cli {
    /// More logging on stderr (-v requests, -vv debug, -vvv trace). Secrets are always redacted.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what applying the manifests would change in the target workspace.
    Plan(plan::PlanArgs),
    /// Converge the target workspace to the manifests (or apply a saved plan).
    Apply(apply::ApplyArgs),
    /// Adopt existing workspace resources that a manifest declares (marks them owned, changes nothing else).
    Import(import::ImportArgs),
    /// List the targets (workspaces) of the repo config; `--output json` feeds a CI matrix.
    Targets(targets::TargetsArgs),
    /// Check manifests (files or directories) against the schemas and semantic rules.
    Validate(validate::ValidateArgs),
    /// JSON Schemas of the manifest kinds, for editors.
    Schema(schema::SchemaArgs),
    /// What changed in the workspace outside git since the last apply; sync and health status.
    Drift(drift::DriftArgs),
    /// The jobs amlctl manages in the workspace: status, start time, duration, declared or not.
    Status(status::StatusArgs),
    /// Serve the local Azure ML workspace emulator (the ARM REST API on loopback) until Ctrl-C.
    Emulator(emulator::EmulatorArgs),
}

/// Entry point used by `main.rs`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    match run(cli) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> miette::Result<ExitCode> {
    match cli.command {
        Command::Plan(args) => plan::exec(args),
        Command::Apply(args) => apply::exec(args),
        Command::Import(args) => import::exec(args),
        Command::Targets(args) => targets::exec(args),
        Command::Validate(args) => validate::exec(args),
        Command::Schema(args) => schema::exec(args),
        Command::Emulator(args) => emulator::exec(args),
        Command::Drift(args) => drift::exec(args),
        Command::Status(args) => status::exec(args),
    }
}

/// A tokio runtime for one command.
pub(crate) fn runtime() -> miette::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| miette::miette!("cannot start the async runtime: {e}"))
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("AMLCTL_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!(
            "warn,amlctl={level},amlctl_arm={level},amlctl_emulator={level}"
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
