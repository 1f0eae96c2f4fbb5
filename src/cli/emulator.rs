//! `amlctl emulator`: serve the local Azure ML workspace emulator until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use amlctl_emulator::{EmulatorConfig, FaultSpec, Timings, WorkspaceSpec};
use clap::Args;
use miette::{IntoDiagnostic, WrapErr, miette};

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on: 127.0.0.1:PORT (port 0 picks a free port). Any other address is refused.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// Keep state in this JSON file (written atomically after every change) so it survives restarts.
    #[arg(long = "state", value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Serve HTTPS with a fresh self-signed certificate for 127.0.0.1 and localhost.
    #[arg(long, requires = "cert_out")]
    pub tls: bool,
    /// With --tls: write the CA certificate clients must trust to this PEM file.
    #[arg(long, value_name = "PEM", requires = "tls")]
    pub cert_out: Option<PathBuf>,
    /// Inject faults, e.g. 'latency=50ms,throttle=0.2,error=0.1,drop=0.05,lro-fail=0.05,lro-time=1s,seed=7'.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<FaultSpec>,
    /// A workspace to serve, SUB/RG/NAME[@LOCATION] (repeatable; default
    /// 00000000-0000-0000-0000-000000000000/rg/ws in westeurope).
    #[arg(long = "workspace", value_name = "SUB/RG/NAME")]
    pub workspaces: Vec<WorkspaceSpec>,
    /// Require exactly this bearer token (otherwise any bearer token is accepted).
    #[arg(
        long,
        env = "AMLCTL_EMULATOR_TOKEN",
        hide_env_values = true,
        value_name = "T"
    )]
    pub token: Option<String>,
    /// Append one JSON line per request to this file (Authorization headers are never logged).
    #[arg(long = "log", value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Items per page in list responses.
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: u32,
    /// How long long-running operations (create, update, delete, cancel) take.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration, value_name = "D")]
    pub lro_time: Duration,
    /// How long each compute-instance state and each job status lasts.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration, value_name = "D")]
    pub step: Duration,
    /// Accept blob lease durations from 1 s (the service: 15 to 60 s, or infinite), for tests
    /// of `AMLCTL_LEASE_DURATION`.
    #[arg(long)]
    pub short_leases: bool,
}

pub fn exec(args: EmulatorArgs) -> miette::Result<ExitCode> {
    if args.listen.ip() != std::net::Ipv4Addr::LOCALHOST {
        return Err(miette!(
            help = "use 127.0.0.1:PORT",
            "refusing to listen on {}: the emulator only binds loopback addresses",
            args.listen
        ));
    }
    let config = EmulatorConfig {
        listen: args.listen,
        workspaces: if args.workspaces.is_empty() {
            vec![WorkspaceSpec::default()]
        } else {
            args.workspaces.clone()
        },
        state_file: args.state.clone(),
        tls: args.tls,
        faults: args.faults.clone().unwrap_or_default(),
        token: args.token.clone(),
        timings: Timings {
            lro: args.lro_time,
            compute_step: args.step,
            job_step: args.step,
            retry_after_secs: 1,
        },
        page_size: args.page_size as usize,
        request_log: args.log.clone(),
        short_leases: args.short_leases,
    };
    let runtime = super::runtime()?;
    runtime.block_on(serve(config, args))
}

async fn serve(config: EmulatorConfig, args: EmulatorArgs) -> miette::Result<ExitCode> {
    let workspaces = config.workspaces.clone();
    let faults = config.faults.clone();
    let handle = amlctl_emulator::start(config)
        .await
        .into_diagnostic()
        .wrap_err("cannot start the emulator")?;
    let url = handle.base_url();
    if let (Some(path), Some(pem)) = (&args.cert_out, handle.cert_pem()) {
        std::fs::write(path, pem)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot write the certificate to {}", path.display()))?;
    }
    println!("amlctl emulator listening on {url}");
    for w in &workspaces {
        println!("  workspace {} ({})", w.arm_id(), w.location);
    }
    if let Some(path) = &args.cert_out {
        println!("  CA certificate: {}", path.display());
        println!(
            "  Python SDK: AZUREML_DEV_URL_MFE={url} REQUESTS_CA_BUNDLE={}",
            path.display()
        );
    }
    if let Some(path) = &args.state {
        println!("  state: {}", path.display());
    }
    if !faults.is_none() {
        println!("  faults: {faults}");
    }
    println!(
        "  auth: {}",
        if args.token.is_some() {
            "the configured bearer token"
        } else {
            "any bearer token"
        }
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .into_diagnostic()
        .wrap_err("cannot wait for Ctrl-C")?;
    handle.shutdown().await;
    println!("emulator stopped");
    Ok(ExitCode::SUCCESS)
}
