//! The traps a new user met in the first hour (issue 21), each driven through the real binary:
//! a failed create is recoverable, a typo in `--only` or an empty repo is an error (and creates
//! no state), and the plan's unchanged list matches its count.

mod support;

use std::path::Path;
use std::process::Output;

use amlctl_emulator::{EmulatorConfig, EmulatorHandle};
use support::{amlctl, copy_examples, remote, text};

async fn emulator(state: &Path, faults: &str) -> EmulatorHandle {
    amlctl_emulator::start(EmulatorConfig {
        state_file: Some(state.to_path_buf()),
        faults: faults.parse().expect("fault spec"),
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

/// A repo with one compute cluster.
fn cluster_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("amlctl.yaml"),
        "version: 1\nmanifests: [\"compute/*.yml\"]\n",
    )
    .expect("config");
    std::fs::create_dir(dir.path().join("compute")).expect("mkdir");
    std::fs::write(
        dir.path().join("compute/gpu.yml"),
        "name: gpu\ntype: amlcompute\nsize: Standard_DS3_v2\nmin_instances: 0\nmax_instances: 2\n",
    )
    .expect("manifest");
    dir
}

/// A create that failed in the workspace is planned as a replacement of the owned resource,
/// with the service's provisioning error as the reason; apply recovers and the next plan is
/// empty. (Before: `No changes` and `nothing to do`, stuck for good.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_create_plans_as_a_replacement_and_apply_recovers() {
    let repo = cluster_repo();
    let state = tempfile::tempdir().expect("state dir");
    let state_file = state.path().join("ws.json");

    let failing = emulator(&state_file, "lro-fail=1").await;
    let out = run(
        repo.path(),
        &failing.base_url(),
        &["apply", "--auto-approve"],
    )
    .await;
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    failing.shutdown().await;

    let emu = emulator(&state_file, "").await;
    let url = emu.base_url();
    let out = run(repo.path(), &url, &["plan", "--detailed-exitcode"]).await;
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(shown.contains("-/+"), "a replacement: {shown}");
    assert!(
        shown.contains("ComputeProvisioningFailed"),
        "the provisioning error is the reason: {shown}"
    );

    let out = run(
        repo.path(),
        &url,
        &["plan", "--output", "json", "--detailed-exitcode"],
    )
    .await;
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json plan");
    let change = &plan["changes"][0];
    assert_eq!(change["actions"], serde_json::json!(["replace"]), "{plan}");
    assert_eq!(
        change["reasons"][0]["kind"], "provisioning_failed",
        "{plan}"
    );

    let out = run(repo.path(), &url, &["apply", "--auto-approve"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run(repo.path(), &url, &["plan", "--detailed-exitcode"]).await;
    assert_eq!(out.status.code(), Some(0), "converged: {}", text(&out));
    emu.shutdown().await;
}

/// `--only` with an address no manifest declares is an error with "did you mean", exit 1.
#[test]
fn only_with_an_unknown_address_is_an_error_with_a_suggestion() {
    let dir = copy_examples();
    let out = amlctl(dir.path(), &["plan", "--only", "compute.cpu-clustr"], &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("compute.cpu-clustr"), "{shown}");
    assert!(
        shown.contains("did you mean `compute.cpu-cluster`"),
        "{shown}"
    );
    assert!(!shown.contains("No changes"), "{shown}");
    // A declared address still plans.
    let out = amlctl(dir.path(), &["plan", "--only", "compute.cpu-cluster"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// No manifests found: validate, plan and apply fail, say where they looked, and leave no
/// `.amlctl/` state behind.
#[test]
fn no_manifests_is_an_error_and_creates_no_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("amlctl.yaml"),
        "version: 1\nmanifests: [\"compute/*.yml\"]\n",
    )
    .expect("config");
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve"][..],
        &["status"][..],
    ] {
        let out = amlctl(dir.path(), args, &[]);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {shown}");
        assert!(shown.contains("no manifests found"), "{args:?}: {shown}");
        assert!(
            shown.contains("compute/*.yml"),
            "names the pattern: {shown}"
        );
        assert!(
            !dir.path().join(".amlctl").exists(),
            "{args:?} created a state directory"
        );
    }
    let empty = tempfile::tempdir().expect("tempdir");
    std::fs::write(empty.path().join("notes.yml"), "just: data\n").expect("yaml");
    let out = amlctl(empty.path(), &["validate", "."], &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("no manifests found"), "{shown}");
}

/// The text plan lists every unchanged resource, so its count matches the list.
#[test]
fn unchanged_count_matches_the_list() {
    let dir = copy_examples();
    let out = amlctl(dir.path(), &["apply", "--auto-approve"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = amlctl(dir.path(), &["plan"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let listed = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Unchanged:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.trim_start().starts_with('='))
        .count();
    let count: usize = stdout
        .lines()
        .find_map(|l| l.strip_suffix(" declared resource(s) unchanged."))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no unchanged count in: {stdout}"));
    assert!(count > 0, "{stdout}");
    assert_eq!(listed, count, "{stdout}");
}
