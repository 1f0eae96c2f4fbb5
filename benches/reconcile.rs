//! Reconciler at scale (a benchmark, not a test: it prints figures and asserts nothing).
//!
//! `cargo bench --bench reconcile` runs two scenarios against emulators started in-process and
//! drives the release `amlctl` binary as a whole process, as CI would:
//!
//! - `plan` (issue 6): 1,000 declared resources (400 AmlCompute clusters, 200 compute instances,
//!   300 schedules, 100 command jobs) generated into a temp repo and applied once with no
//!   latency (so the workspace holds exactly what amlctl writes); then the emulator is restarted
//!   on the same state with `latency=50ms` and 100 items per page, and `amlctl plan` is timed:
//!   wall time, requests (from the emulator's log), peak RSS. Side by side: the same refresh as
//!   one GET per resource at parallelism 10, the in-process list refresh alone, the plan's
//!   steps timed in-process, and a per-request timeline of one plan (its client's INFO log).
//! - `apply` (issue 7): 100 independent AmlCompute creates whose LROs take 1 s
//!   (`Retry-After: 1`) at `--parallelism 10`; wall time against the ideal 10 s and the polls
//!   each operation took (from the request log).
//!
//! Pass `plan` or `apply` after `--` to run one scenario. Peak RSS comes from `/usr/bin/time -f
//! %M` when it exists, else from polling `/proc/<pid>/status` (VmHWM), which may miss growth in
//! the last poll interval before exit. Wall times are measured by polling the child every 2 ms.
//! `AMLCTL_BENCH_KEEP=1` keeps the generated repo and the seeded state file (paths printed) for
//! profiling by hand with `amlctl emulator --state FILE --faults latency=50ms`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use amlctl_arm::{ArmClient, ClientConfig, CredentialSpec};
use amlctl_emulator::{EmulatorConfig, EmulatorHandle, FaultSpec, LoggedRequest, Timings};

const SUB: &str = "00000000-0000-0000-0000-000000000000";
const RG: &str = "rg";
const WS: &str = "ws";
const API_VERSION: &str = "2026-03-01";
const TOKEN: &str = "bench-token";

const CLUSTERS: usize = 400;
const INSTANCES: usize = 200;
const SCHEDULES: usize = 300;
const JOBS: usize = 100;
const PAGE_SIZE: usize = 100;
const LATENCY: Duration = Duration::from_millis(50);
const PLAN_RUNS: usize = 5;
const BASELINE_PARALLELISM: usize = 10;

const APPLY_COMPUTES: usize = 100;
const APPLY_PARALLELISM: usize = 10;
const APPLY_LRO: Duration = Duration::from_secs(1);

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted =
        |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let amlctl = PathBuf::from(env!("CARGO_BIN_EXE_amlctl"));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start a tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    println!("amlctl binary: {}", amlctl.display());
    let result = runtime.block_on(async {
        if wanted("plan") {
            plan_at_scale(&amlctl).await?;
        }
        if wanted("apply") {
            apply_at_scale(&amlctl).await?;
        }
        Ok::<(), String>(())
    });
    if let Err(e) = result {
        eprintln!("benchmark failed: {e}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------------------
// Scenario 1: plan at scale (issue 6)
// ---------------------------------------------------------------------------------------------

async fn plan_at_scale(amlctl: &Path) -> Result<(), String> {
    println!(
        "\n== plan at scale: {CLUSTERS} clusters + {INSTANCES} compute instances + {SCHEDULES} schedules + {JOBS} jobs =="
    );
    let repo = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    write_scale_repo(repo.path())?;
    // The state file lives on tmpfs when there is one: the emulator fsyncs it after each change.
    let state_dir = scratch_dir()?;
    let state = state_dir.path().join("emulator-state.json");
    if std::env::var_os("AMLCTL_BENCH_KEEP").is_some() {
        // Keep the repo and the seeded state for profiling by hand
        // (`amlctl emulator --state FILE --faults latency=50ms`, then `amlctl plan ...`).
        let _ = state_dir.keep();
        let kept = repo.keep();
        println!(
            "keeping the repo in {} and the state in {}",
            kept.display(),
            state.display()
        );
        return plan_scenario(amlctl, &kept, &state).await;
    }
    plan_scenario(amlctl, repo.path(), &state).await
}

async fn plan_scenario(amlctl: &Path, repo: &Path, state: &Path) -> Result<(), String> {
    // Seed: apply everything once, without latency, with short state machines.
    let seeding = Instant::now();
    let emu = start_emulator(
        Some(state),
        FaultSpec::default(),
        Timings::uniform(Duration::from_millis(5)),
        PAGE_SIZE,
    )
    .await?;
    let out = run_amlctl(
        amlctl,
        repo,
        &emu.base_url(),
        &["apply", "--auto-approve", "--parallelism", "50"],
    )
    .await?;
    if out.code != Some(0) {
        return Err(format!("seeding apply failed:\n{}", out.describe()));
    }
    let seed_requests = emu.requests().len();
    // Let jobs reach a terminal status so the measured plans all see the same workspace.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let out = run_amlctl(
        amlctl,
        repo,
        &emu.base_url(),
        &["plan", "--detailed-exitcode"],
    )
    .await?;
    if out.code != Some(0) {
        return Err(format!(
            "the plan after the seeding apply is not empty:\n{}",
            out.describe()
        ));
    }
    emu.shutdown().await;
    println!(
        "seeded by one `amlctl apply` ({seed_requests} requests) in {:.1} s; plan after it: no changes",
        seeding.elapsed().as_secs_f64()
    );

    // Measure: same state, 50 ms on every request, 100 items per page.
    let faults = FaultSpec {
        latency: LATENCY,
        ..FaultSpec::default()
    };
    let emu = start_emulator(
        Some(state),
        faults,
        Timings::uniform(Duration::from_millis(5)),
        PAGE_SIZE,
    )
    .await?;
    let url = emu.base_url();
    let mut walls = Vec::new();
    let mut requests = Vec::new();
    let mut rss = Vec::new();
    let mut last_log: Vec<LoggedRequest> = Vec::new();
    for _ in 0..PLAN_RUNS {
        let before = emu.requests().len();
        let out = run_amlctl(amlctl, repo, &url, &["plan", "--detailed-exitcode"]).await?;
        if out.code != Some(0) {
            return Err(format!(
                "plan under latency did not report `no changes`:\n{}",
                out.describe()
            ));
        }
        let log = emu.requests();
        requests.push(log.len() - before);
        last_log = log[before..].to_vec();
        walls.push(out.wall);
        rss.extend(out.peak_rss_kib);
    }

    // Where one plan's time goes: the client's per-request log, as offsets from the spawn.
    let timeline = plan_timeline(amlctl, repo, &url).await?;

    // The same phases in-process, to see where the whole process spends its time.
    let client = arm_client(&url, 10).await?;
    let ws_path = amlctl_arm::workspace_path(SUB, RG, WS);
    let phases = plan_phases(repo, &client, &ws_path).await?;
    let live = phases.live;
    let observe_wall = phases.observe;
    let ids: Vec<String> = live
        .resources
        .keys()
        .map(|id| amlctl::live::resource_path(&ws_path, id))
        .collect();

    // Baseline: one GET per resource, 10 at a time.
    let before = emu.requests().len();
    let started = Instant::now();
    get_each(&url, &ids, BASELINE_PARALLELISM).await?;
    let baseline_wall = started.elapsed();
    let baseline_requests = emu.requests().len() - before;
    emu.shutdown().await;

    let pages = |n: usize| n.div_ceil(PAGE_SIZE).max(1);
    let longest_pages = pages(CLUSTERS + INSTANCES)
        .max(pages(SCHEDULES))
        .max(pages(JOBS));
    let chain = LATENCY * longest_pages as u32;
    let median = median(&walls);
    let best = walls.iter().min().copied().unwrap_or_default();
    println!(
        "declared resources:              {}",
        CLUSTERS + INSTANCES + SCHEDULES + JOBS
    );
    println!("live resources listed:           {}", live.resources.len());
    println!(
        "longest chain of list pages:     {longest_pages} pages x {} ms = {} ms",
        LATENCY.as_millis(),
        chain.as_millis()
    );
    println!(
        "amlctl plan (whole process):     median {} ms, best {} ms over {PLAN_RUNS} runs = {:.2} x chain (target <= 1.30)",
        median.as_millis(),
        best.as_millis(),
        ratio(median, chain)
    );
    println!(
        "  requests per plan:             {} (target <= 40): {}",
        fmt_list(&requests),
        summarize_requests(&last_log)
    );
    match rss.iter().max() {
        Some(kib) => println!(
            "  peak RSS:                      {:.1} MB (max over runs; target <= 64 MB)",
            *kib as f64 / 1024.0
        ),
        None => {
            println!("  peak RSS:                      not measured (no /usr/bin/time, no /proc)")
        }
    }
    println!(
        "list refresh alone (in-process): {} ms = {:.2} x chain",
        observe_wall.as_millis(),
        ratio(observe_wall, chain)
    );
    println!(
        "one GET per resource, par. {BASELINE_PARALLELISM}: {} ms, {baseline_requests} requests = {:.1} x slower than amlctl plan",
        baseline_wall.as_millis(),
        ratio(baseline_wall, median)
    );
    println!(
        "in-process phases:               validate {} ms, translate {} ms, list refresh {} ms, diff {} ms, render {} ms",
        phases.validate.as_millis(),
        phases.translate.as_millis(),
        phases.observe.as_millis(),
        phases.diff.as_millis(),
        phases.render.as_millis()
    );
    println!(
        "  translate + list refresh:      {} ms one after the other, {} ms overlapped (translating while the lists are in flight)",
        (phases.translate + phases.observe).as_millis(),
        phases.translate_and_observe_overlapped.as_millis()
    );
    println!(
        "timeline of one plan (ms after spawn when each request completed: request, ms on the wire):"
    );
    for line in timeline {
        println!("  {line}");
    }
    Ok(())
}

struct Phases {
    validate: Duration,
    translate: Duration,
    observe: Duration,
    diff: Duration,
    render: Duration,
    translate_and_observe_overlapped: Duration,
    live: amlctl::model::LiveState,
}

/// `amlctl plan`'s steps run in-process, one after the other, each timed.
async fn plan_phases(repo: &Path, client: &ArmClient, ws_path: &str) -> Result<Phases, String> {
    use amlctl::config::{RepoConfig, TargetSelection};
    let config = RepoConfig::load(&repo.join("amlctl.yaml")).map_err(|e| format!("config: {e}"))?;
    let selection = TargetSelection {
        subscription: Some(SUB.to_owned()),
        resource_group: Some(RG.to_owned()),
        workspace: Some(WS.to_owned()),
        auth: Some("token".to_owned()),
        ..TargetSelection::default()
    };
    let target = config
        .resolve_target(&selection, &|_: &str| None)
        .map_err(|e| format!("target: {e}"))?;
    let started = Instant::now();
    let files: Vec<PathBuf> = config
        .manifest_files()
        .map_err(|e| format!("manifests: {e}"))?
        .into_iter()
        .map(|f| config.root.join(f))
        .collect();
    let report = amlctl::validate::validate_paths(&files);
    let validate = started.elapsed();
    let ctx = amlctl::desired::TranslateContext {
        subscription: SUB.to_owned(),
        resource_group: RG.to_owned(),
        workspace: WS.to_owned(),
        location: "westeurope".to_owned(),
    };
    let started = Instant::now();
    let loaded =
        amlctl::ops::load_desired(&config, &target, &amlctl::manifest::DiskTree, &files, &ctx);
    let translate = started.elapsed();
    if report.has_errors() || loaded.has_errors() {
        return Err("the generated manifests do not load".to_owned());
    }
    let started = Instant::now();
    let live = amlctl::live::observe(client, ws_path)
        .await
        .map_err(|e| format!("observe: {e}"))?;
    let observe = started.elapsed();
    let plan_target = amlctl::plan::PlanTarget {
        name: "adhoc".to_owned(),
        workspace_id: ws_path.to_owned(),
    };
    let started = Instant::now();
    let plan = amlctl::diff::diff(
        &loaded.desired,
        &live,
        &amlctl::diff::DiffOptions::new(plan_target),
    );
    let diff = started.elapsed();
    let started = Instant::now();
    let text = amlctl::render::text::render(
        &plan,
        &amlctl::render::text::TextOptions {
            color: false,
            max_listed: 20,
        },
    );
    let render = started.elapsed();
    if plan.has_changes() || text.is_empty() {
        return Err("the in-process plan shows changes".to_owned());
    }
    // What overlapping would give: start the lists, translate while they are in flight.
    let started = Instant::now();
    let observing = {
        let (client, ws_path) = (client.clone(), ws_path.to_owned());
        tokio::spawn(async move { amlctl::live::observe(&client, &ws_path).await })
    };
    let loaded = tokio::task::block_in_place(|| {
        amlctl::ops::load_desired(&config, &target, &amlctl::manifest::DiskTree, &files, &ctx)
    });
    let _ = observing
        .await
        .map_err(|e| format!("join: {e}"))?
        .map_err(|e| format!("observe: {e}"))?;
    let translate_and_observe_overlapped = started.elapsed();
    drop(loaded);
    Ok(Phases {
        validate,
        translate,
        observe,
        diff,
        render,
        translate_and_observe_overlapped,
        live,
    })
}

/// Run one plan with the ARM client's INFO log on, and turn each logged request into
/// `offset: METHOD what (duration)`, offsets in ms from the spawn of the process.
async fn plan_timeline(amlctl: &Path, dir: &Path, url: &str) -> Result<Vec<String>, String> {
    let spawned_at = seconds_of_day(std::time::SystemTime::now());
    let out = run_amlctl_env(
        amlctl,
        dir,
        url,
        &["plan"],
        &[("AMLCTL_LOG", "warn,amlctl_arm=info")],
    )
    .await?;
    let mut lines = Vec::new();
    for line in out.stderr.lines().filter(|l| l.contains("duration_ms")) {
        let offset = line
            .split_whitespace()
            .next()
            .and_then(|ts| ts.split_once('T'))
            .and_then(|(_, time)| parse_time_of_day(time.trim_end_matches('Z')))
            .map(|t| format!("{:6.0}", (t - spawned_at) * 1000.0))
            .unwrap_or_else(|| "     ?".to_owned());
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{name}=")))
                .unwrap_or("?")
                .to_owned()
        };
        let url_field = field("url");
        let path = url_field.split('?').next().unwrap_or("");
        let what = path.rsplit('/').next().unwrap_or(path);
        let page = url_field
            .split("%24skip=")
            .nth(1)
            .or_else(|| url_field.split("$skip=").nth(1))
            .unwrap_or("0");
        let page = page.split('&').next().unwrap_or("0");
        lines.push(format!(
            "{offset}: {} {what} (skip {page}) {} ms",
            field("method"),
            field("duration_ms")
        ));
    }
    lines.push(format!("{:6}: process exit", out.wall.as_millis()));
    Ok(lines)
}

fn seconds_of_day(t: std::time::SystemTime) -> f64 {
    let since = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (since.as_secs() % 86_400) as f64 + f64::from(since.subsec_nanos()) / 1e9
}

/// `HH:MM:SS.ffffff` → seconds since midnight.
fn parse_time_of_day(s: &str) -> Option<f64> {
    let mut parts = s.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let sec: f64 = parts.next()?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + sec)
}

/// A repo with the 1,000 manifests, a shared `src/` and one job file the schedules submit.
fn write_scale_repo(root: &Path) -> Result<(), String> {
    let write = |rel: &str, text: String| -> Result<(), String> {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("write {}: {e}", path.display()))
    };
    write(
        "amlctl.yaml",
        "version: 1\nmanifests:\n  - \"compute/*.yml\"\n  - \"schedules/*.yml\"\n  - \"jobs/*.yml\"\n".to_owned(),
    )?;
    write("src/train.py", "print('training')\n".to_owned())?;
    write("schedule-jobs/nightly.yml", command_job(None, 0))?;
    for i in 0..CLUSTERS {
        write(
            &format!("compute/cpu-{i:04}.yml"),
            format!(
                "$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json
name: cpu-{i:04}
type: amlcompute
size: Standard_DS3_v2
tier: dedicated
min_instances: 0
max_instances: {max}
idle_time_before_scale_down: 120
description: Cluster {i}
tags:
  team: ml-platform
",
                max = 1 + i % 8
            ),
        )?;
    }
    for i in 0..INSTANCES {
        write(
            &format!("compute/ci-{i:04}.yml"),
            format!(
                "$schema: https://azuremlschemas.azureedge.net/latest/computeInstance.schema.json
name: ci-{i:04}
type: computeinstance
size: Standard_DS3_v2
idle_time_before_shutdown_minutes: 60
schedules:
  compute_start_stop:
    - action: start
      trigger:
        type: cron
        expression: \"0 8 * * 1-5\"
        time_zone: W. Europe Standard Time
    - action: stop
      trigger:
        type: recurrence
        frequency: day
        interval: 1
        schedule:
          hours: [19]
          minutes: [0]
        time_zone: W. Europe Standard Time
tags:
  owner: user{i}
"
            ),
        )?;
    }
    for i in 0..SCHEDULES {
        write(
            &format!("schedules/nightly-{i:04}.yml"),
            format!(
                "$schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
name: nightly-{i:04}
display_name: Nightly retrain {i}
trigger:
  type: cron
  expression: \"{minute} {hour} * * *\"
  time_zone: Pacific Standard Time
create_job: ../schedule-jobs/nightly.yml
",
                minute = i % 60,
                hour = i % 24
            ),
        )?;
    }
    for i in 0..JOBS {
        write(
            &format!("jobs/train-{i:04}.yml"),
            command_job(Some(i), i % CLUSTERS),
        )?;
    }
    Ok(())
}

fn command_job(index: Option<usize>, cluster: usize) -> String {
    let name = index
        .map(|i| format!("name: train-{i:04}\n"))
        .unwrap_or_default();
    format!(
        "$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
{name}experiment_name: scale
code: ../src
command: python train.py --data ${{{{inputs.data}}}} --model ${{{{outputs.model}}}}
inputs:
  data:
    type: uri_file
    path: azureml://datastores/workspaceblobstore/paths/iris/iris.csv
outputs:
  model:
    type: uri_folder
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
compute: azureml:cpu-{cluster:04}
tags:
  owner: ml-platform
"
    )
}

/// GET every path, `parallelism` at a time (the refresh amlctl does not do).
async fn get_each(url: &str, paths: &[String], parallelism: usize) -> Result<(), String> {
    let client = reqwest::Client::new();
    let paths = Arc::new(paths.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..parallelism {
        let (client, paths, next, url) =
            (client.clone(), paths.clone(), next.clone(), url.to_owned());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = paths.get(i) else {
                    return Ok(());
                };
                let resp = client
                    .get(format!("{url}{path}?api-version={API_VERSION}"))
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .map_err(|e| format!("GET {path}: {e}"))?;
                if !resp.status().is_success() {
                    return Err(format!("GET {path}: {}", resp.status()));
                }
                resp.bytes().await.map_err(|e| format!("GET {path}: {e}"))?;
            }
        });
    }
    while let Some(joined) = workers.join_next().await {
        joined.map_err(|e| format!("worker: {e}"))??;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Scenario 2: apply at scale (issue 7)
// ---------------------------------------------------------------------------------------------

async fn apply_at_scale(amlctl: &Path) -> Result<(), String> {
    println!(
        "\n== apply at scale: {APPLY_COMPUTES} AmlCompute creates, {} s LROs, Retry-After 1, --parallelism {APPLY_PARALLELISM} ==",
        APPLY_LRO.as_secs()
    );
    let repo = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    std::fs::write(
        repo.path().join("amlctl.yaml"),
        "version: 1\nmanifests:\n  - \"compute/*.yml\"\n",
    )
    .map_err(|e| format!("write amlctl.yaml: {e}"))?;
    std::fs::create_dir_all(repo.path().join("compute")).map_err(|e| format!("mkdir: {e}"))?;
    for i in 0..APPLY_COMPUTES {
        std::fs::write(
            repo.path().join(format!("compute/c-{i:03}.yml")),
            format!("name: c-{i:03}\ntype: amlcompute\nsize: Standard_DS3_v2\nmin_instances: 0\nmax_instances: 2\n"),
        )
        .map_err(|e| format!("write manifest: {e}"))?;
    }
    let timings = Timings {
        lro: APPLY_LRO,
        compute_step: APPLY_LRO,
        job_step: APPLY_LRO,
        retry_after_secs: 1,
    };
    let emu = start_emulator(None, FaultSpec::default(), timings, PAGE_SIZE).await?;
    let parallelism = APPLY_PARALLELISM.to_string();
    let out = run_amlctl(
        amlctl,
        repo.path(),
        &emu.base_url(),
        &["apply", "--auto-approve", "--parallelism", &parallelism],
    )
    .await?;
    if out.code != Some(0) {
        return Err(format!("apply failed:\n{}", out.describe()));
    }
    let log = emu.requests();
    emu.shutdown().await;

    let ideal = APPLY_LRO * APPLY_COMPUTES.div_ceil(APPLY_PARALLELISM) as u32;
    let creates = log
        .iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/computes/"))
        .count();
    // Polls per operation: GETs of each operation's status (or result) URL.
    let mut polls: BTreeMap<String, usize> = BTreeMap::new();
    for r in log.iter().filter(|r| r.method == "GET") {
        if let Some(op) = operation_id(&r.path) {
            *polls.entry(op).or_insert(0) += 1;
        }
    }
    let mut histogram: BTreeMap<usize, usize> = BTreeMap::new();
    for n in polls.values() {
        *histogram.entry(*n).or_insert(0) += 1;
    }
    let total_polls: usize = polls.values().sum();
    println!(
        "ideal ({APPLY_COMPUTES} / {APPLY_PARALLELISM} x {} s):          {} ms",
        APPLY_LRO.as_secs(),
        ideal.as_millis()
    );
    println!(
        "amlctl apply (whole process):    {} ms = {:.3} x ideal (target <= 1.15)",
        out.wall.as_millis(),
        ratio(out.wall, ideal)
    );
    if let Some(kib) = out.peak_rss_kib {
        println!(
            "  peak RSS:                      {:.1} MB",
            kib as f64 / 1024.0
        );
    }
    println!("  compute PUTs:                  {creates}");
    println!(
        "  requests in total:             {}: {}",
        log.len(),
        summarize_requests(&log)
    );
    println!(
        "  LRO polls:                     {total_polls} over {} operations ({:.2} per operation); operations by poll count: {}",
        polls.len(),
        total_polls as f64 / polls.len().max(1) as f64,
        histogram
            .iter()
            .map(|(n, ops)| format!("{n} poll(s): {ops}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// The operation id of an async-operation status or result URL.
fn operation_id(path: &str) -> Option<String> {
    let mut segs = path.split('/');
    while let Some(seg) = segs.next() {
        if seg.ends_with("OperationsStatus") || seg.ends_with("OperationResults") {
            return segs.next().map(str::to_owned);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

async fn start_emulator(
    state: Option<&Path>,
    faults: FaultSpec,
    timings: Timings,
    page_size: usize,
) -> Result<EmulatorHandle, String> {
    amlctl_emulator::start(EmulatorConfig {
        state_file: state.map(Path::to_path_buf),
        faults,
        timings,
        page_size,
        ..EmulatorConfig::default()
    })
    .await
    .map_err(|e| format!("emulator: {e}"))
}

async fn arm_client(url: &str, concurrency: usize) -> Result<ArmClient, String> {
    let endpoint = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let mut config = ClientConfig::for_endpoint(endpoint, CredentialSpec::static_token(TOKEN));
    config.max_concurrency = concurrency;
    ArmClient::new(config)
        .await
        .map_err(|e| format!("client: {e}"))
}

/// A temp dir on tmpfs when `/dev/shm` exists, else the default temp dir.
fn scratch_dir() -> Result<tempfile::TempDir, String> {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    };
    dir.map_err(|e| format!("tempdir: {e}"))
}

struct Run {
    code: Option<i32>,
    wall: Duration,
    peak_rss_kib: Option<u64>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn describe(&self) -> String {
        let tail = |s: &str| {
            s.lines()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        };
        format!(
            "exit {:?}\n--- stdout (tail)\n{}\n--- stderr (tail)\n{}",
            self.code,
            tail(&self.stdout),
            tail(&self.stderr)
        )
    }
}

/// Run `amlctl ARGS --endpoint URL ...` in `dir` (on a blocking thread, so the emulator keeps
/// serving), timing the whole process and measuring its peak RSS.
async fn run_amlctl(amlctl: &Path, dir: &Path, url: &str, args: &[&str]) -> Result<Run, String> {
    run_amlctl_env(amlctl, dir, url, args, &[]).await
}

async fn run_amlctl_env(
    amlctl: &Path,
    dir: &Path,
    url: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<Run, String> {
    let mut all: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    all.extend(
        [
            "--endpoint",
            url,
            "--subscription",
            SUB,
            "--resource-group",
            RG,
            "--workspace",
            WS,
            "--auth",
            "token",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    let (amlctl, dir) = (amlctl.to_path_buf(), dir.to_path_buf());
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || run_measured(&amlctl, &dir, &all, &env))
        .await
        .map_err(|e| format!("join: {e}"))?
}

fn run_measured(
    amlctl: &Path,
    dir: &Path,
    args: &[String],
    env: &[(String, String)],
) -> Result<Run, String> {
    let out_dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let stdout_path = out_dir.path().join("stdout");
    let stderr_path = out_dir.path().join("stderr");
    let rss_path = out_dir.path().join("rss");
    let gnu_time = Path::new("/usr/bin/time");
    let mut cmd = if gnu_time.is_file() {
        let mut c = Command::new(gnu_time);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_path).arg(amlctl);
        c
    } else {
        Command::new(amlctl)
    };
    cmd.current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("AMLCTL_ACCESS_TOKEN", TOKEN)
        .env_remove("AMLCTL_TARGET")
        .env_remove("AMLCTL_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("AMLCTL_LOG")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(file(&stdout_path)?)
        .stderr(file(&stderr_path)?);
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", amlctl.display()))?;
    let mut polled_hwm: Option<u64> = None;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| format!("wait: {e}"))? {
            break status;
        }
        if !gnu_time.is_file()
            && let Some(kib) = vm_hwm_kib(child.id())
        {
            polled_hwm = Some(polled_hwm.map_or(kib, |p| p.max(kib)));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall = started.elapsed();
    let peak_rss_kib = if gnu_time.is_file() {
        std::fs::read_to_string(&rss_path)
            .ok()
            .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
    } else {
        polled_hwm
    };
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    Ok(Run {
        code: status.code(),
        wall,
        peak_rss_kib,
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
    })
}

fn file(path: &Path) -> Result<std::fs::File, String> {
    std::fs::File::create(path).map_err(|e| format!("create {}: {e}", path.display()))
}

/// `VmHWM` (peak resident set, KiB) of a running process.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// "1 GET workspace, 6 GET computes, ..." for a slice of the request log.
fn summarize_requests(log: &[LoggedRequest]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let ws = format!("/workspaces/{WS}");
    for r in log {
        let rest = r
            .path
            .split_once(&ws)
            .map_or(r.path.as_str(), |(_, rest)| rest);
        let what = match rest.trim_start_matches('/').split('/').next() {
            Some("") | None => "workspace".to_owned(),
            Some(collection) if rest.trim_start_matches('/').split('/').count() == 1 => {
                format!("{collection} (list)")
            }
            Some(collection) => collection.to_owned(),
        };
        let what = if operation_id(&r.path).is_some() {
            "operation status".to_owned()
        } else {
            what
        };
        *counts.entry(format!("{} {what}", r.method)).or_insert(0) += 1;
    }
    counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn median(values: &[Duration]) -> Duration {
    let mut v = values.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(f64::EPSILON)
}

fn fmt_list(values: &[usize]) -> String {
    values
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("/")
}
