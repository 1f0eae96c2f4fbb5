//! `amlctl validate [PATH...]`: check manifests without touching any workspace.
//!
//! Human output goes to stderr (miette reports with snippets); `--output json` and
//! `--output github` go to stdout. Exit code: 0 when there is no error (warnings allowed), 1
//! otherwise.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use miette::IntoDiagnostic;

use super::github::{escape_data, escape_property};
use crate::validate::{Diagnostic, Severity, ValidationReport, validate_paths};

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Manifest files, or directories walked for *.yml / *.yaml (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Reports with source snippets on stderr.
    Human,
    /// One JSON object on stdout.
    Json,
    /// GitHub Actions workflow commands (`::error file=...`) on stdout.
    Github,
}

pub fn exec(args: ValidateArgs) -> miette::Result<ExitCode> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let report = validate_paths(&paths);
    if report.manifests.is_empty() && !report.has_errors() {
        // Nothing to check is a mistake (a wrong path), never a green check.
        let looked: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(miette::miette!(
            help = "pass the files or directories holding your az ml manifests",
            "no manifests found in {} ({} YAML file(s) read, none of them a manifest amlctl \
             checks)",
            looked.join(", "),
            report.files
        ));
    }
    match args.output {
        OutputFormat::Human => print_human(&report),
        OutputFormat::Json => {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &to_json(&report)).into_diagnostic()?;
            writeln!(out).into_diagnostic()?;
        }
        OutputFormat::Github => {
            let mut out = std::io::stdout().lock();
            for d in &report.diagnostics {
                writeln!(out, "{}", github_annotation(d)).into_diagnostic()?;
            }
        }
    }
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub(crate) fn print_human(report: &ValidationReport) {
    for d in &report.diagnostics {
        if d.span.is_none() {
            eprintln!("{}:", d.display_path);
        }
        eprintln!("{:?}", miette::Report::new(d.clone()));
    }
    let errors = report.error_count();
    let warnings = report.diagnostics.len() - errors;
    let files = if report.files == 1 { "file" } else { "files" };
    if errors == 0 {
        eprintln!(
            "{} {files} checked: {} manifests valid, {warnings} warning(s)",
            report.files,
            report.manifests.len()
        );
    } else {
        eprintln!(
            "{} {files} checked: {errors} error(s), {warnings} warning(s)",
            report.files
        );
    }
}

/// The `--output json` document: `{"files", "errors", "diagnostics": [{"file", "line",
/// "column", "severity", "code", "message"}]}` with 1-based positions.
pub fn to_json(report: &ValidationReport) -> serde_json::Value {
    let diagnostics: Vec<serde_json::Value> =
        report.diagnostics.iter().map(diagnostic_json).collect();
    serde_json::json!({
        "files": report.files,
        "errors": report.error_count(),
        "diagnostics": diagnostics,
    })
}

pub fn diagnostic_json(d: &Diagnostic) -> serde_json::Value {
    let message = match &d.help {
        Some(h) if !d.message.contains("did you mean") => format!("{} (help: {h})", d.message),
        _ => d.message.clone(),
    };
    serde_json::json!({
        "file": d.display_path,
        "line": d.line(),
        "column": d.column(),
        "severity": d.severity.as_str(),
        "code": d.code,
        "message": message,
    })
}

/// One GitHub Actions workflow command, escaped as the runner expects.
pub fn github_annotation(d: &Diagnostic) -> String {
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    format!(
        "::{level} file={},line={},col={},title={}::{}",
        escape_property(&d.display_path),
        d.line(),
        d.column(),
        escape_property(&d.code),
        escape_data(&d.message)
    )
}
