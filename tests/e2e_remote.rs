//! End to end against an emulator started by the test and reached by URL (`--endpoint`), as a
//! real workspace would be: faults, resources amlctl does not own, and a killed apply.

mod support;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use amlctl_emulator::{EmulatorConfig, EmulatorHandle, LoggedRequest, Timings};
use serde_json::json;
use support::{amlctl, copy_examples, remote, text, ws_path};

async fn emulator(state: &Path, faults: &str, timings: Timings) -> EmulatorHandle {
    amlctl_emulator::start(EmulatorConfig {
        state_file: Some(state.to_path_buf()),
        faults: faults.parse().expect("fault spec"),
        timings,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

async fn run(dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(remote(url));
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        amlctl(&dir, &refs, &[("AMLCTL_ACCESS_TOKEN", "test-token")])
    })
    .await
    .expect("join")
}

/// Slow state machines, so a test can interrupt an apply in the middle.
fn slow_timings(step_ms: u64) -> Timings {
    Timings {
        lro: Duration::from_millis(1500),
        compute_step: Duration::from_millis(step_ms),
        job_step: Duration::from_millis(step_ms),
        retry_after_secs: 1,
    }
}

/// Start `amlctl ARGS` against the emulator at `url` in the background (stderr piped).
fn spawn_amlctl(dir: &Path, url: &str, args: &[&str]) -> std::process::Child {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(remote(url));
    std::process::Command::new(env!("CARGO_BIN_EXE_amlctl"))
        .current_dir(dir)
        .args(&all)
        .env("AMLCTL_ACCESS_TOKEN", "t")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// Wait (bounded) until the emulator has seen a PUT whose path contains `path_part`.
async fn wait_for_put(emu: &EmulatorHandle, path_part: &str) {
    for _ in 0..100 {
        if emu
            .requests()
            .iter()
            .any(|r| r.method == "PUT" && r.path.contains(path_part))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An AmlCompute cluster created by someone else (no ownership tag).
async fn seed_unowned_compute(url: &str) -> String {
    let path = format!("{}/computes/team-gpu", ws_path());
    let body = json!({
        "location": "westeurope",
        "properties": {"computeType": "AmlCompute", "properties": {"vmSize": "STANDARD_NC6", "scaleSettings": {"maxNodeCount": 2}}}
    });
    let resp = reqwest::Client::new()
        .put(format!("{url}{path}?api-version=2026-03-01"))
        .bearer_auth("someone-else")
        .json(&body)
        .send()
        .await
        .expect("seed request");
    assert!(resp.status().is_success(), "seed: {}", resp.status());
    path
}

fn writes_to<'a>(
    log: &'a [LoggedRequest],
    path: &'a str,
) -> impl Iterator<Item = &'a LoggedRequest> + 'a {
    log.iter()
        .filter(move |r| r.method != "GET" && r.method != "HEAD" && r.path.starts_with(path))
}

/// Job PUTs that created a job (201), per job path.
fn job_creations(log: &[LoggedRequest]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for r in log
        .iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/jobs/") && r.status == 201)
    {
        *counts.entry(r.path.clone()).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_applies_converge_under_faults_and_leave_unowned_resources_alone() {
    let repo = copy_examples();
    let state = repo.path().join("emulator-state.json");

    // Seed, without faults, a compute nobody told amlctl about.
    let clean = emulator(&state, "", Timings::uniform(Duration::from_millis(20))).await;
    let unowned = seed_unowned_compute(&clean.base_url()).await;
    clean.shutdown().await;

    let faulty = emulator(
        &state,
        "throttle=0.2,error=0.1,drop=0.05,lro-fail=0.1,retry-after=0,seed=11",
        Timings::uniform(Duration::from_millis(20)),
    )
    .await;
    let url = faulty.base_url();
    let mut converged = false;
    let mut outputs = Vec::new();
    for _ in 0..12 {
        let out = run(repo.path(), &url, &["apply", "--auto-approve", "--prune"]).await;
        let ok = out.status.code() == Some(0);
        outputs.push(text(&out));
        if ok {
            converged = true;
            break;
        }
        // A failing apply says what failed, with the service's error.
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("failed") || out.status.code() == Some(1),
            "{}",
            text(&out)
        );
    }
    assert!(converged, "no apply converged:\n{}", outputs.join("\n\n"));
    let mut in_sync = false;
    for _ in 0..5 {
        let out = run(
            repo.path(),
            &url,
            &["plan", "--detailed-exitcode", "--prune"],
        )
        .await;
        if out.status.code() == Some(0) {
            in_sync = true;
            break;
        }
        outputs.push(text(&out));
    }
    assert!(
        in_sync,
        "plan after a converged apply shows changes:\n{}",
        outputs.join("\n\n")
    );

    let log = faulty.requests();
    assert!(
        log.iter().any(|r| r.fault.is_some()),
        "faults were injected"
    );
    // No unowned resource is touched, even with --prune.
    let touched: Vec<_> = writes_to(&log, &unowned)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(touched.is_empty(), "unowned compute touched: {touched:?}");
    // No job is submitted twice.
    let creations = job_creations(&log);
    assert_eq!(creations.len(), 4, "four jobs created: {creations:?}");
    assert!(
        creations.values().all(|n| *n == 1),
        "a job was created twice: {creations:?}"
    );
    faulty.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_apply_converges_on_the_next_run_without_duplicates() {
    let repo = copy_examples();
    let state = repo.path().join("emulator-state.json");
    // Slow LROs so the kill lands in the middle.
    let emu = emulator(&state, "", slow_timings(500)).await;
    let url = emu.base_url();
    let mut child = spawn_amlctl(repo.path(), &url, &["apply", "--auto-approve"]);
    // Wait until some writes went out, then kill -9.
    wait_for_put(&emu, "/").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().expect("kill -9");
    let _ = child.wait();
    let before = emu.requests().len();
    assert!(before > 0);

    let out = run(repo.path(), &url, &["apply", "--auto-approve"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run(repo.path(), &url, &["plan", "--detailed-exitcode"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let creations = job_creations(&emu.requests());
    assert!(
        creations.values().all(|n| *n == 1),
        "a job was created twice: {creations:?}"
    );
    let computes: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/computes/") && r.status == 201)
        .map(|r| r.path)
        .collect();
    let unique: std::collections::BTreeSet<_> = computes.iter().collect();
    assert_eq!(
        unique.len(),
        computes.len(),
        "a compute was created twice: {computes:?}"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_new_operations_lets_running_ones_finish_and_reports() {
    let repo = copy_examples();
    let state = repo.path().join("emulator-state.json");
    let emu = emulator(&state, "", slow_timings(300)).await;
    let url = emu.base_url();
    let child = spawn_amlctl(
        repo.path(),
        &url,
        &["apply", "--auto-approve", "--parallelism", "1"],
    );
    wait_for_put(&emu, "/computes/").await;
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Interrupted"), "{stderr}");
    assert!(stderr.contains("not started"), "{stderr}");
    // The running operation reached its end: no compute is left half-created by amlctl's side.
    let puts: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/computes/"))
        .collect();
    assert_eq!(
        puts.len(),
        1,
        "one operation was running at parallelism 1: {puts:?}"
    );

    // A re-run converges.
    let out = run(repo.path(), &url, &["apply", "--auto-approve"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_adopts_a_declared_compute_with_the_tags_api_without_rewriting_it() {
    let repo = copy_examples();
    let state = repo.path().join("emulator-state.json");
    let emu = emulator(&state, "", Timings::uniform(Duration::from_millis(10))).await;
    let url = emu.base_url();
    // Someone created the cluster by hand before the repo existed.
    let path = format!("{}/computes/cpu-cluster", ws_path());
    let body = json!({
        "location": "westeurope",
        "properties": {"computeType": "AmlCompute", "properties": {"vmSize": "Standard_DS3_v2", "scaleSettings": {"maxNodeCount": 4, "minNodeCount": 0}}}
    });
    let resp = reqwest::Client::new()
        .put(format!("{url}{path}?api-version=2026-03-01"))
        .bearer_auth("someone-else")
        .json(&body)
        .send()
        .await
        .expect("seed");
    assert!(resp.status().is_success());
    let seeded = emu.requests().len();

    // Not declared / not in the workspace: clear errors, nothing written.
    let out = run(repo.path(), &url, &["import", "compute.nope"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not declared"),
        "{}",
        text(&out)
    );
    let out = run(repo.path(), &url, &["import", "compute.ci-dev"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not exist in the workspace"),
        "{}",
        text(&out)
    );

    let out = run(repo.path(), &url, &["import", "compute.cpu-cluster"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let writes: Vec<String> = emu.requests()[seeded..]
        .iter()
        .filter(|r| r.method != "GET" && r.method != "HEAD")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        writes,
        vec![format!(
            "PATCH {path}/providers/Microsoft.Resources/tags/default"
        )],
        "only the tags were written"
    );
    let live: serde_json::Value = reqwest::Client::new()
        .get(format!("{url}{path}?api-version=2026-03-01"))
        .bearer_auth("x")
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(live["tags"]["amlctl-managed"], "true", "{live}");

    // A second import is a no-op.
    let out = run(repo.path(), &url, &["import", "compute.cpu-cluster"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already managed"),
        "{}",
        text(&out)
    );
    emu.shutdown().await;
}
