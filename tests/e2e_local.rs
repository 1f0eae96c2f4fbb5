//! End to end against the embedded local workspace: the real binary, the examples repo, the
//! emulator in process with its state under `.amlctl/`.

mod support;

use support::{amlctl, copy_examples, edit, text};

#[test]
fn apply_examples_then_plan_is_empty_then_each_kind_of_change() {
    let repo = copy_examples();
    let dir = repo.path();

    let out = amlctl(dir, &["apply", "--auto-approve"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Apply complete: 5 created, 0 updated, 0 replaced, 0 deleted, 0 started, 1 stopped, 4 submitted."),
        "{}",
        text(&out)
    );

    // Apply then plan: no changes, exit 0 with --detailed-exitcode.
    let out = amlctl(dir, &["plan", "--detailed-exitcode"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("No changes."),
        "{}",
        text(&out)
    );

    // In place: the cluster's scale settings (PATCH).
    edit(
        &dir.join("compute/cpu-cluster.yml"),
        "max_instances: 4",
        "max_instances: 6",
    );
    // In place: the schedule's trigger (PUT).
    edit(
        &dir.join("schedules/nightly-train.yml"),
        "\"0 2 * * *\"",
        "\"30 2 * * *\"",
    );
    // In place: a compute's tags, through the Tags API (the cluster is protected: a replace
    // would be a plan error).
    edit(
        &dir.join("compute/cpu-cluster.yml"),
        "team: ml-platform",
        "team: platform",
    );
    // Replace: the compute instance's size cannot change in place.
    edit(
        &dir.join("compute/ci-dev.yml"),
        "size: Standard_DS3_v2",
        "size: Standard_DS4_v2",
    );
    let out = amlctl(dir, &["plan", "--detailed-exitcode"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(plan.contains("forces replacement"), "{}", text(&out));
    assert!(plan.contains("compute.ci-dev"), "{}", text(&out));

    let out = amlctl(dir, &["apply", "--auto-approve"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 updated, 1 replaced"), "{}", text(&out));
    assert!(!stderr.contains("did not apply"), "{}", text(&out));

    let out = amlctl(dir, &["plan", "--detailed-exitcode"], &[]);
    assert_eq!(out.status.code(), Some(0), "after changes: {}", text(&out));

    // A job's definition cannot change under the same name: a plan error, exit 1.
    edit(
        &dir.join("jobs/train.yml"),
        "python train.py",
        "python3 train.py",
    );
    let out = amlctl(dir, &["plan", "--detailed-exitcode"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = amlctl(dir, &["apply", "--auto-approve"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing was changed"),
        "{}",
        text(&out)
    );
    edit(
        &dir.join("jobs/train.yml"),
        "python3 train.py",
        "python train.py",
    );

    // Delete manifests: without --prune they are only reported; with --prune they are deleted,
    // including the schedule updated in place above (an update keeps amlctl's ownership).
    std::fs::remove_file(dir.join("schedules/weekly-pipeline.yml")).unwrap();
    std::fs::remove_file(dir.join("schedules/nightly-train.yml")).unwrap();
    let out = amlctl(dir, &["plan", "--detailed-exitcode"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "no prune, no change: {}",
        text(&out)
    );
    let out = amlctl(dir, &["apply", "--auto-approve", "--prune"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("2 deleted"),
        "{}",
        text(&out)
    );
    let out = amlctl(dir, &["plan", "--detailed-exitcode", "--prune"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_stale_saved_plan_is_refused_before_any_write() {
    let repo = copy_examples();
    let dir = repo.path();
    let out = amlctl(dir, &["apply", "--auto-approve"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    edit(
        &dir.join("compute/cpu-cluster.yml"),
        "max_instances: 4",
        "max_instances: 5",
    );
    let out = amlctl(dir, &["plan", "--out", "plan.json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Someone changes the cluster before the saved plan is applied.
    edit(
        &dir.join("compute/cpu-cluster.yml"),
        "max_instances: 5",
        "max_instances: 7",
    );
    let out = amlctl(dir, &["apply", "--auto-approve"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    edit(
        &dir.join("compute/cpu-cluster.yml"),
        "max_instances: 7",
        "max_instances: 5",
    );

    let out = amlctl(dir, &["apply", "plan.json"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stale") && stderr.contains("compute.cpu-cluster"),
        "{}",
        text(&out)
    );

    // A fresh plan of the same change applies.
    let out = amlctl(dir, &["plan", "--out", "plan.json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = amlctl(dir, &["apply", "plan.json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 updated"),
        "{}",
        text(&out)
    );
}

#[test]
fn apply_without_a_terminal_or_approval_refuses() {
    let repo = copy_examples();
    let out = amlctl(repo.path(), &["apply"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--auto-approve"),
        "{}",
        text(&out)
    );
    // Nothing was written: a plan still shows every create.
    let out = amlctl(repo.path(), &["plan", "--detailed-exitcode"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}
