//! `amlctl targets`: list the configured targets, e.g. to build a CI matrix.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use miette::{IntoDiagnostic, WrapErr};
use serde::Serialize;

use super::target_args::load_config;
use crate::config::{LOCAL_TARGET, RepoConfig, TargetConfig};

#[derive(Debug, clap::Args)]
pub struct TargetsArgs {
    /// Output format. `json` is `{"targets":[{"name",...}]}`, one entry per configured target
    /// (the implicit built-in `local` is not listed).
    #[arg(long, short, value_enum, default_value_t = TargetsFormat::Text)]
    pub output: TargetsFormat,

    /// Repo config file; default: amlctl.yaml found by walking up from the current directory.
    #[arg(long, value_name = "FILE", env = "AMLCTL_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetsFormat {
    #[value(alias = "human")]
    Text,
    Json,
}

/// Version of the JSON below; bumped on incompatible changes.
const FORMAT_VERSION: u32 = 1;

/// The JSON listing (a serialisable twin of the config; no secrets, no values).
#[derive(Debug, Serialize)]
struct Listing<'a> {
    format_version: u32,
    default_target: &'a str,
    targets: Vec<Entry<'a>>,
}

#[derive(Debug, Serialize)]
struct Entry<'a> {
    name: &'a str,
    kind: &'static str,
    default: bool,
    subscription: Option<&'a str>,
    resource_group: Option<&'a str>,
    workspace: Option<&'a str>,
    cloud: Option<&'a str>,
    endpoint: Option<&'a str>,
    location: Option<&'a str>,
    auth: Option<&'a str>,
}

fn entry<'a>(config: &'a RepoConfig, t: &'a TargetConfig) -> Entry<'a> {
    let c = t.connection.as_ref();
    Entry {
        name: &t.name,
        kind: if c.is_some() { "remote" } else { "local" },
        default: config.default_target_name() == t.name,
        subscription: c.map(|c| c.subscription.as_str()),
        resource_group: c.map(|c| c.resource_group.as_str()),
        workspace: c.map(|c| c.workspace.as_str()),
        cloud: c.and_then(|c| c.cloud.as_deref()),
        endpoint: c.and_then(|c| c.endpoint.as_deref()),
        location: c.and_then(|c| c.location.as_deref()),
        auth: c.and_then(|c| c.auth.as_deref()),
    }
}

pub fn exec(args: TargetsArgs) -> miette::Result<ExitCode> {
    let config = load_config(args.config.as_deref())
        .into_diagnostic()
        .wrap_err("cannot load the repo config")?;
    let text = match args.output {
        TargetsFormat::Json => render_json(&config)?,
        TargetsFormat::Text => render_text(&config),
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).into_diagnostic(),
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn render_json(config: &RepoConfig) -> miette::Result<String> {
    let listing = Listing {
        format_version: FORMAT_VERSION,
        default_target: config.default_target_name(),
        targets: config.targets.values().map(|t| entry(config, t)).collect(),
    };
    let mut text = serde_json::to_string(&listing).into_diagnostic()?;
    text.push('\n');
    Ok(text)
}

fn render_text(config: &RepoConfig) -> String {
    let mut rows: Vec<[String; 5]> = vec![[
        "TARGET".into(),
        "SUBSCRIPTION".into(),
        "RESOURCE GROUP".into(),
        "WORKSPACE".into(),
        "CLOUD/ENDPOINT".into(),
    ]];
    let default = config.default_target_name();
    let mark = |name: &str| {
        if name == default {
            format!("{name} *")
        } else {
            name.to_owned()
        }
    };
    for t in config.targets.values() {
        let e = entry(config, t);
        rows.push([
            mark(e.name),
            e.subscription.unwrap_or("-").to_owned(),
            e.resource_group.unwrap_or("-").to_owned(),
            e.workspace.unwrap_or("(embedded)").to_owned(),
            e.endpoint
                .or(e.cloud)
                .unwrap_or(if e.kind == "local" { "-" } else { "AzureCloud" })
                .to_owned(),
        ]);
    }
    if !config.targets.contains_key(LOCAL_TARGET) {
        rows.push([
            mark(LOCAL_TARGET),
            "-".into(),
            "-".into(),
            "(embedded)".into(),
            "-".into(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str("(* = default target)\n");
    out
}
