//! `amlctl status`: the jobs amlctl manages in the target workspace, with status, start time,
//! duration and whether a manifest declares them. Exit 0, or 1 on error.

use std::io::Write;
use std::process::ExitCode;

use miette::IntoDiagnostic;
use serde::Serialize;

use super::plan::{ScopeArgs, prepare};
use super::target_args::TargetArgs;
use crate::ops::SessionOptions;
use crate::ops::status::{JobStatus, format_duration, job_statuses};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Output format. `json` is `{"format_version":1,"target":...,"jobs":[...]}`.
    #[arg(long, short = 'o', value_enum, default_value_t = StatusFormat::Text)]
    pub output: StatusFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    Text,
    Json,
}

#[derive(Serialize)]
struct Listing<'a> {
    format_version: u32,
    target: &'a str,
    workspace_id: &'a str,
    jobs: &'a [JobStatus],
}

pub fn exec(args: StatusArgs) -> miette::Result<ExitCode> {
    super::runtime()?.block_on(async move {
        // The same path as `plan`: validate, connect, translate, one read of the workspace.
        let prepared = prepare(
            &args.target,
            &ScopeArgs::default(),
            &SessionOptions::default(),
        )
        .await?;
        let jobs = job_statuses(
            &prepared.planned.live,
            &prepared.loaded.desired,
            jiff::Timestamp::now(),
        );
        let text = match args.output {
            StatusFormat::Json => {
                let listing = Listing {
                    format_version: 1,
                    target: &prepared.session.target_name,
                    workspace_id: &prepared.session.workspace_path,
                    jobs: &jobs,
                };
                serde_json::to_string_pretty(&listing).into_diagnostic()?
            }
            StatusFormat::Text => table(&jobs),
        };
        prepared.session.close().await;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", text.trim_end()).into_diagnostic()?;
        Ok(ExitCode::SUCCESS)
    })
}

fn table(jobs: &[JobStatus]) -> String {
    if jobs.is_empty() {
        return "No jobs managed by amlctl in this workspace, and none declared.".to_owned();
    }
    let rows: Vec<[String; 6]> = jobs
        .iter()
        .map(|j| {
            [
                j.name.clone(),
                j.job_type.clone(),
                j.status
                    .clone()
                    .unwrap_or_else(|| "(not submitted)".to_owned()),
                j.started.clone().unwrap_or_else(|| "-".to_owned()),
                j.duration_seconds
                    .map(format_duration)
                    .unwrap_or_else(|| "-".to_owned()),
                if j.declared {
                    "yes".to_owned()
                } else {
                    "no".to_owned()
                },
            ]
        })
        .collect();
    let header = ["NAME", "TYPE", "STATUS", "STARTED", "DURATION", "DECLARED"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(&header.map(str::to_owned));
    for row in &rows {
        out.push_str(&line(row));
    }
    out
}
