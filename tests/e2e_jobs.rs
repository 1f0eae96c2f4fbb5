//! Jobs end to end against an in-process emulator reached by URL: the examples' jobs and
//! schedules are submitted once (a second apply uploads and submits nothing), a changed source
//! file gives a new code version and a new job (unnamed) or the immutable-job plan error (named),
//! `apply --wait-jobs` follows jobs and fails naming the failed one, `amlctl status` lists
//! them, and `cancel: true` in the repo config cancels a running job.

mod support;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use amlctl_emulator::{EmulatorConfig, EmulatorHandle, LoggedRequest, Timings};
use serde_json::Value;
use support::{amlctl, copy_examples, edit, remote, text};

async fn emulator(timings: Timings) -> EmulatorHandle {
    amlctl_emulator::start(EmulatorConfig {
        timings,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn fast() -> Timings {
    Timings::uniform(Duration::from_millis(20))
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

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn is_blob(r: &LoggedRequest) -> bool {
    !r.path.starts_with("/subscriptions/")
}

/// Writes (not GET/HEAD) in `log`, as `METHOD path` lines.
fn writes(log: &[LoggedRequest]) -> Vec<String> {
    log.iter()
        .filter(|r| r.method != "GET" && r.method != "HEAD")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn job_puts(log: &[LoggedRequest]) -> Vec<String> {
    log.iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/jobs/"))
        .map(|r| r.path.rsplit('/').next().unwrap_or_default().to_owned())
        .collect()
}

fn blob_puts(log: &[LoggedRequest]) -> usize {
    log.iter()
        .filter(|r| r.method == "PUT" && is_blob(r))
        .count()
}

fn code_version_puts(log: &[LoggedRequest]) -> Vec<String> {
    log.iter()
        .filter(|r| {
            r.method == "PUT" && r.path.contains("/codes/") && r.path.contains("/versions/")
        })
        .map(|r| r.path.clone())
        .collect()
}

fn status_json(out: &Output) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("status JSON: {e}\n{}", text(out)));
    v["jobs"].as_array().cloned().unwrap_or_default()
}

fn job<'a>(jobs: &'a [Value], name: &str) -> &'a Value {
    jobs.iter()
        .find(|j| j["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {jobs:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn examples_are_submitted_once_and_a_second_apply_uploads_and_submits_nothing() {
    let repo = copy_examples();
    let emu = emulator(fast()).await;
    let url = emu.base_url();

    let first = run(repo.path(), &url, &["apply", "--auto-approve"]).await;
    assert!(first.status.success(), "{}", text(&first));
    let log1 = emu.requests();
    let mut submitted = job_puts(&log1);
    submitted.sort();
    // The command job with local code, the standalone parallel job (a one-step pipeline), the
    // pipeline with a parallel step, the sweep job.
    assert_eq!(
        submitted,
        [
            "batch-score-iris",
            "iris-pipeline",
            "sweep-iris",
            "train-iris"
        ],
        "{}",
        text(&first)
    );
    for schedule in ["nightly-train", "weekly-pipeline"] {
        assert!(
            writes(&log1)
                .iter()
                .any(|w| w.starts_with("PUT ") && w.ends_with(&format!("/schedules/{schedule}"))),
            "{schedule} not created: {:#?}",
            writes(&log1)
        );
    }
    assert!(blob_puts(&log1) > 0, "local code and inputs are uploaded");
    assert!(!code_version_puts(&log1).is_empty());
    // Every job PUT succeeded.
    assert!(
        log1.iter()
            .filter(|r| r.method == "PUT" && r.path.contains("/jobs/"))
            .all(|r| r.status == 201)
    );

    // The second apply: nothing to upload, nothing to submit, nothing to write at all.
    let before = emu.requests().len();
    let second = run(repo.path(), &url, &["apply", "--auto-approve"]).await;
    assert!(second.status.success(), "{}", text(&second));
    let log2: Vec<LoggedRequest> = emu.requests().into_iter().skip(before).collect();
    assert!(
        job_puts(&log2).is_empty(),
        "resubmitted: {:?}",
        job_puts(&log2)
    );
    assert_eq!(blob_puts(&log2), 0, "uploaded again: {:#?}", writes(&log2));
    assert!(
        writes(&log2).is_empty(),
        "second apply wrote: {:#?}",
        writes(&log2)
    );
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("nothing to do"),
        "{}",
        text(&second)
    );

    // The plan shows each schedule's next fire times in its zone.
    let plan = run(repo.path(), &url, &["plan"]).await;
    assert!(plan.status.success(), "{}", text(&plan));
    let plan_text = stdout(&plan);
    let nightly = plan_text
        .lines()
        .skip_while(|l| !l.contains("schedule.nightly-train"))
        .nth(1)
        .unwrap_or_default();
    assert!(nightly.contains("next runs: "), "{plan_text}");
    assert!(
        nightly.contains(" 02:00 PST (UTC-08:00)") || nightly.contains(" 02:00 PDT (UTC-07:00)"),
        "{nightly}"
    );
    let json = run(repo.path(), &url, &["plan", "--output", "json"]).await;
    let json: Value = serde_json::from_slice(&json.stdout).expect("plan json");
    let weekly = json["changes"]
        .as_array()
        .and_then(|c| {
            c.iter()
                .find(|c| c["address"] == "schedule.weekly-pipeline")
        })
        .cloned();
    let runs = weekly
        .as_ref()
        .and_then(|w| w["next_runs"].as_array())
        .cloned()
        .unwrap_or_default();
    assert_eq!(runs.len(), 3, "{weekly:?}");
    assert!(
        runs.iter().all(|r| r
            .as_str()
            .is_some_and(|r| r.ends_with(" 06:30 UTC (UTC+00:00)"))),
        "{runs:?}"
    );

    // Status: every submitted job, declared, with a status and a start time.
    let status = run(repo.path(), &url, &["status", "--output", "json"]).await;
    assert!(status.status.success(), "{}", text(&status));
    let jobs = status_json(&status);
    for name in [
        "batch-score-iris",
        "iris-pipeline",
        "sweep-iris",
        "train-iris",
    ] {
        let j = job(&jobs, name);
        assert_eq!(j["declared"], true, "{j}");
        assert!(j["status"].is_string(), "{j}");
        assert!(
            j["started"].as_str().is_some_and(|s| s.contains('T')),
            "{j}"
        );
    }
    assert_eq!(job(&jobs, "train-iris")["job_type"], "Command");
    assert_eq!(job(&jobs, "sweep-iris")["job_type"], "Sweep");
    assert_eq!(job(&jobs, "batch-score-iris")["job_type"], "Pipeline");
    let status_text = run(repo.path(), &url, &["status"]).await;
    let table = stdout(&status_text);
    assert!(table.starts_with("NAME"), "{table}");
    assert!(
        table.lines().any(|l| l.starts_with("train-iris")
            && l.contains("Command")
            && l.trim_end().ends_with("yes")),
        "{table}"
    );
    emu.shutdown().await;
}

/// A repo with a cluster, an unnamed job and (optionally) a named job, both using `src/`.
fn small_repo(named: bool, job_tags: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("jobs/src")).expect("mkdir");
    std::fs::write(
        root.join("amlctl.yaml"),
        "version: 1\nmanifests: [\"jobs/*.yml\", \"cluster.yml\"]\n",
    )
    .expect("config");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/compute/cpu-cluster.yml"),
        root.join("cluster.yml"),
    )
    .expect("cluster");
    std::fs::write(root.join("jobs/src/main.py"), "print('v1')\n").expect("main.py");
    let job = |name: &str| {
        format!(
            "{name}code: ./src\ncommand: python main.py\nenvironment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest\ncompute: azureml:cpu-cluster\n{job_tags}"
        )
    };
    std::fs::write(root.join("jobs/unnamed.yml"), job("")).expect("unnamed");
    if named {
        std::fs::write(root.join("jobs/named.yml"), job("name: named-job\n")).expect("named");
    }
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_source_file_gives_a_new_code_version_and_job_or_the_immutable_job_error() {
    let repo = small_repo(true, "");
    let emu = emulator(fast()).await;
    let url = emu.base_url();
    let first = run(repo.path(), &url, &["apply", "--auto-approve"]).await;
    assert!(first.status.success(), "{}", text(&first));
    let log1 = emu.requests();
    let first_jobs = job_puts(&log1);
    assert_eq!(first_jobs.len(), 2, "{first_jobs:?}");
    assert!(first_jobs.contains(&"named-job".to_owned()));
    let unnamed_v1 = first_jobs
        .iter()
        .find(|j| j.starts_with("unnamed-"))
        .cloned()
        .expect("unnamed job submitted");
    let codes_v1 = code_version_puts(&log1);
    assert_eq!(
        codes_v1.len(),
        1,
        "one content, one code version: {codes_v1:?}"
    );

    edit(&repo.path().join("jobs/src/main.py"), "v1", "v2");

    // The named job cannot be resubmitted under the same name: a plan error, nothing written.
    let before = emu.requests().len();
    let plan = run(repo.path(), &url, &["plan"]).await;
    assert_eq!(plan.status.code(), Some(1), "{}", text(&plan));
    let all = format!("{}{}", stdout(&plan), String::from_utf8_lossy(&plan.stderr));
    assert!(
        all.contains("job.named-job") && all.contains("already exists with a different definition"),
        "{all}"
    );
    let apply = run(repo.path(), &url, &["apply", "--auto-approve"]).await;
    assert_eq!(apply.status.code(), Some(1), "{}", text(&apply));
    let after_refused: Vec<LoggedRequest> = emu.requests().into_iter().skip(before).collect();
    assert!(
        writes(&after_refused).is_empty(),
        "{:#?}",
        writes(&after_refused)
    );

    // Without the named job, the unnamed one is a new job with a new code version.
    std::fs::remove_file(repo.path().join("jobs/named.yml")).expect("rm");
    let before = emu.requests().len();
    let apply = run(repo.path(), &url, &["apply", "--auto-approve"]).await;
    assert!(apply.status.success(), "{}", text(&apply));
    let log2: Vec<LoggedRequest> = emu.requests().into_iter().skip(before).collect();
    let jobs2 = job_puts(&log2);
    assert_eq!(jobs2.len(), 1, "{jobs2:?}");
    assert!(
        jobs2[0].starts_with("unnamed-") && jobs2[0] != unnamed_v1,
        "{jobs2:?} vs {unnamed_v1}"
    );
    let codes_v2 = code_version_puts(&log2);
    assert_eq!(codes_v2.len(), 1, "{codes_v2:?}");
    assert_ne!(codes_v2[0], codes_v1[0], "new content, new code version");
    assert!(blob_puts(&log2) > 0, "the changed folder is uploaded");

    // The old run is still listed, no longer declared.
    let status = run(repo.path(), &url, &["status", "--output", "json"]).await;
    let jobs = status_json(&status);
    assert_eq!(job(&jobs, &unnamed_v1)["declared"], false);
    assert_eq!(job(&jobs, &jobs2[0])["declared"], true);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_jobs_succeeds_when_every_job_completes() {
    let repo = small_repo(true, "");
    let emu = emulator(fast()).await;
    let out = run(
        repo.path(),
        &emu.base_url(),
        &["apply", "--auto-approve", "--wait-jobs"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let status = run(
        repo.path(),
        &emu.base_url(),
        &["status", "--output", "json"],
    )
    .await;
    let jobs = status_json(&status);
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert!(jobs.iter().all(|j| j["status"] == "Completed"), "{jobs:?}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_jobs_fails_naming_the_failed_job() {
    // The emulator's documented knob: a job tagged `emulator.fail: "true"` ends Failed.
    let repo = small_repo(false, "tags:\n  emulator.fail: \"true\"\n");
    let emu = emulator(fast()).await;
    let out = run(
        repo.path(),
        &emu.base_url(),
        &["apply", "--auto-approve", "--wait-jobs"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let name = job_puts(&emu.requests()).pop().expect("submitted");
    assert!(
        stderr
            .lines()
            .any(|l| l.contains(&format!("job.{name}")) && l.contains("Failed")),
        "{}",
        text(&out)
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_in_the_repo_config_cancels_a_running_job_once() {
    let repo = small_repo(true, "");
    // Jobs move slowly (each status lasts 3 s) so the job is still running when canceled.
    let emu = emulator(Timings {
        job_step: Duration::from_secs(3),
        ..fast()
    })
    .await;
    let url = emu.base_url();
    let out = run(repo.path(), &url, &["apply", "--auto-approve"]).await;
    assert!(out.status.success(), "{}", text(&out));

    let config = repo.path().join("amlctl.yaml");
    let mut text_config = std::fs::read_to_string(&config).expect("config");
    text_config.push_str("resources:\n  job.named-job:\n    cancel: true\n");
    std::fs::write(&config, text_config).expect("config");
    let plan = run(repo.path(), &url, &["plan", "--output", "json"]).await;
    let plan: Value = serde_json::from_slice(&plan.stdout).expect("plan json");
    let change = plan["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["address"] == "job.named-job"))
        .cloned();
    assert_eq!(
        change.as_ref().map(|c| c["actions"].clone()),
        Some(serde_json::json!(["cancel"])),
        "{plan}"
    );
    let unnamed_actions: Vec<Value> = plan["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["address"]
                .as_str()
                .is_some_and(|a| a.starts_with("job.unnamed-"))
        })
        .map(|c| c["actions"].clone())
        .collect();
    assert_eq!(
        unnamed_actions,
        [serde_json::json!(["no_op"])],
        "only the configured job is canceled"
    );

    let before = emu.requests().len();
    let apply = run(repo.path(), &url, &["apply", "--auto-approve"]).await;
    assert!(apply.status.success(), "{}", text(&apply));
    let log: Vec<LoggedRequest> = emu.requests().into_iter().skip(before).collect();
    let cancels: Vec<String> = writes(&log)
        .into_iter()
        .filter(|w| w.starts_with("POST ") && w.ends_with("/cancel"))
        .collect();
    assert_eq!(cancels.len(), 1, "{:#?}", writes(&log));
    assert!(cancels[0].ends_with("/jobs/named-job/cancel"));

    let status = run(repo.path(), &url, &["status", "--output", "json"]).await;
    let jobs = status_json(&status);
    let named = job(&jobs, "named-job");
    assert!(
        named["status"] == "Canceled" || named["status"] == "CancelRequested",
        "{named}"
    );
    // Canceled (or on its way): nothing more to do.
    let again = run(repo.path(), &url, &["plan", "--detailed-exitcode"]).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_configured_as_canceled_is_not_submitted() {
    let repo = small_repo(true, "");
    std::fs::write(
        repo.path().join("amlctl.yaml"),
        "version: 1\nmanifests: [\"jobs/*.yml\", \"cluster.yml\"]\nresources:\n  job.named-job:\n    cancel: true\n",
    )
    .expect("config");
    let emu = emulator(fast()).await;
    let out = run(repo.path(), &emu.base_url(), &["apply", "--auto-approve"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let submitted = job_puts(&emu.requests());
    assert!(
        !submitted.contains(&"named-job".to_owned()),
        "{submitted:?}"
    );
    assert_eq!(
        submitted.len(),
        1,
        "the unnamed job is still submitted: {submitted:?}"
    );
    emu.shutdown().await;
}
