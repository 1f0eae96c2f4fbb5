//! One integration test per kind of change (create, in-place update, replace, delete with
//! `--prune`, start, stop, job submit, job immutable): the real binary against an emulator
//! started in the test and reached by `--endpoint`, the plan snapshotted as text, markdown and
//! JSON. What varies between runs (the repo's temp path, the emulator's URL, timestamps and a
//! schedule's next runs, which depend on today's date) is redacted before snapshotting; the rest
//! (content-derived job names, live fingerprints) is deterministic and kept. Jobs are left to
//! finish before a plan is made, so the status shown does not depend on the machine's speed.

mod support;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use amlctl_emulator::{EmulatorConfig, EmulatorHandle, Timings};
use serde_json::Value;
use support::{amlctl, remote, text, ws_path};

/// A temp manifest repo and an emulator with fast timings.
struct Env {
    emu: EmulatorHandle,
    repo: tempfile::TempDir,
}

impl Env {
    async fn new(files: &[(&str, &str)]) -> Env {
        let emu = amlctl_emulator::start(EmulatorConfig {
            timings: Timings::uniform(Duration::from_millis(5)),
            ..EmulatorConfig::default()
        })
        .await
        .expect("emulator starts");
        let repo = tempfile::tempdir().expect("tempdir");
        let env = Env { emu, repo };
        env.write("amlctl.yaml", &config(""));
        env.write("schedules/jobs/nightly-job.yml", SCHEDULE_JOB);
        for (rel, content) in files {
            env.write(rel, content);
        }
        env
    }

    fn dir(&self) -> &Path {
        self.repo.path()
    }

    fn write(&self, rel: &str, content: &str) {
        let path = self.dir().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, content).expect("write");
    }

    fn remove(&self, rel: &str) {
        std::fs::remove_file(self.dir().join(rel)).expect("remove");
    }

    async fn run(&self, args: &[&str]) -> Output {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(remote(&self.emu.base_url()));
        let dir = self.dir().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            amlctl(
                &dir,
                &refs,
                &[
                    ("AMLCTL_ACCESS_TOKEN", "test-token"),
                    ("CLUSTER_ADMIN_PASSWORD", ADMIN_PASSWORD),
                ],
            )
        })
        .await
        .expect("join")
    }

    /// Apply, then wait until every job reached a terminal status, so the status a plan shows
    /// does not depend on how fast the machine is.
    async fn apply(&self, extra: &[&str]) {
        let mut args = vec!["apply", "--auto-approve"];
        args.extend_from_slice(extra);
        let out = self.run(&args).await;
        assert_eq!(out.status.code(), Some(0), "apply: {}", text(&out));
        self.settle_jobs().await;
    }

    async fn settle_jobs(&self) {
        let url = format!(
            "{}{}/jobs?api-version=2026-03-01",
            self.emu.base_url(),
            ws_path()
        );
        let client = reqwest::Client::new();
        for _ in 0..400 {
            let list: Value = client
                .get(&url)
                .bearer_auth("test-token")
                .send()
                .await
                .expect("list jobs")
                .json()
                .await
                .expect("job list is JSON");
            let jobs = list["value"].as_array().cloned().unwrap_or_default();
            if jobs
                .iter()
                .all(|j| j["properties"]["status"] == "Completed")
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("jobs did not complete");
    }

    /// The plan in the three formats, each with its exit code checked (`--detailed-exitcode`).
    async fn plans(&self, extra: &[&str], code: i32) -> Plans {
        let mut outputs = Vec::new();
        for format in ["text", "markdown", "json"] {
            let mut args = vec!["plan", "--detailed-exitcode", "--output", format];
            args.extend_from_slice(extra);
            let out = self.run(&args).await;
            assert_eq!(
                out.status.code(),
                Some(code),
                "plan --output {format}: {}",
                text(&out)
            );
            for secret in ["test-token", ADMIN_PASSWORD] {
                assert!(
                    !text(&out).contains(secret),
                    "a secret leaked: {}",
                    text(&out)
                );
            }
            outputs.push(self.redact(&String::from_utf8_lossy(&out.stdout)));
        }
        let json: Value = serde_json::from_str(&outputs[2]).expect("the JSON plan parses");
        Plans {
            text: outputs[0].clone(),
            markdown: outputs[1].clone(),
            json,
        }
    }

    fn redact(&self, s: &str) -> String {
        let url = self.emu.base_url();
        scrub_times(
            &s.replace(&self.dir().display().to_string(), "[repo]")
                .replace(url.trim_end_matches('/'), "[emulator]"),
        )
    }

    async fn close(self) {
        self.emu.shutdown().await;
    }
}

struct Plans {
    text: String,
    markdown: String,
    json: Value,
}

impl Plans {
    fn snapshot(&self, name: &str) {
        insta::assert_snapshot!(format!("{name}_text"), self.text);
        insta::assert_snapshot!(format!("{name}_markdown"), self.markdown);
        insta::assert_json_snapshot!(format!("{name}_json"), self.json);
    }

    /// The entry of one address in the JSON plan.
    fn change(&self, address: &str) -> &Value {
        self.json["changes"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["address"] == address))
            .unwrap_or_else(|| panic!("{address} is not in the plan: {:#}", self.json))
    }

    fn actions(&self, address: &str) -> Vec<String> {
        self.change(address)["actions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn assert_text_has(&self, line: &str) {
        assert!(
            self.text.contains(line),
            "text plan lacks {line:?}:\n{}",
            self.text
        );
    }

    fn assert_markdown_has(&self, line: &str) {
        assert!(
            self.markdown.contains(line),
            "markdown plan lacks {line:?}:\n{}",
            self.markdown
        );
    }
}

/// Replace every date and time (`2026-11-26T04:44:38.123Z`, `2026-11-27 02:00`): the service
/// stamps resources, and a schedule's next runs depend on today's date.
fn scrub_times(s: &str) -> String {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| {
        b.len() >= from + n && b[from..from + n].iter().all(u8::is_ascii_digit)
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let is_time = digits(i, 4)
            && at(i + 4, b'-')
            && digits(i + 5, 2)
            && at(i + 7, b'-')
            && digits(i + 8, 2)
            && (at(i + 10, b'T') || at(i + 10, b' '))
            && digits(i + 11, 2)
            && at(i + 13, b':')
            && digits(i + 14, 2);
        if !is_time {
            i += 1;
            continue;
        }
        out.push_str(&s[copied..i]);
        out.push_str("[time]");
        let mut j = i + 16;
        if at(j, b':') && digits(j + 1, 2) {
            j += 3;
        }
        if at(j, b'.') {
            j += 1;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
        }
        if at(j, b'Z') {
            j += 1;
        } else if (at(j, b'+') || at(j, b'-'))
            && digits(j + 1, 2)
            && at(j + 3, b':')
            && digits(j + 4, 2)
        {
            j += 6;
        }
        i = j;
        copied = j;
    }
    out.push_str(&s[copied..]);
    out
}

#[test]
fn times_are_scrubbed_and_nothing_else() {
    assert_eq!(
        scrub_times(
            "a 2026-11-26T04:44:38.123456Z b 2026-11-27 02:00 UTC c 2025-01-01T02:00:00+01:00 d 2026-11 x"
        ),
        "a [time] b [time] UTC c [time] d 2026-11 x"
    );
    assert_eq!(scrub_times("no time: 12:30, 2026"), "no time: 12:30, 2026");
}

/// The cluster's admin password, read from the environment at apply time: never in a plan.
const ADMIN_PASSWORD: &str = "hunter2-Adm1n!";

const CLUSTER: &str = "\
name: cpu-cluster
type: amlcompute
size: Standard_DS3_v2
tier: dedicated
min_instances: 0
max_instances: 2
idle_time_before_scale_down: 120
ssh_settings:
  admin_username: azureuser
  admin_password: ${env:CLUSTER_ADMIN_PASSWORD}
tags:
  team: ml-platform
";

const INSTANCE: &str = "\
name: ci-dev
type: computeinstance
size: Standard_DS3_v2
idle_time_before_shutdown_minutes: 60
";

const SCHEDULE: &str = "\
name: nightly
trigger:
  type: cron
  expression: \"0 2 * * *\"
  time_zone: UTC
create_job: ./jobs/nightly-job.yml
";

/// The job the schedule creates: outside the manifest globs, so not a job of its own.
const SCHEDULE_JOB: &str = "\
command: echo nightly
environment: azureml:env:1
compute: azureml:cpu-cluster
";

/// The repo config: which files are manifests, plus amlctl-only resource options.
fn config(resources: &str) -> String {
    format!(
        "manifests:\n  - \"compute/*.yml\"\n  - \"schedules/*.yml\"\n  - \"jobs/*.yml\"\n{resources}"
    )
}

const JOB: &str = "\
name: train
command: python train.py --epochs 3
environment: azureml:env:1
compute: azureml:cpu-cluster
tags:
  owner: ml-platform
";

fn power(state: &str) -> String {
    config(&format!(
        "resources:\n  compute.ci-dev:\n    power_state: {state}\n"
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create() {
    let env = Env::new(&[
        ("compute/cpu-cluster.yml", CLUSTER),
        ("compute/ci-dev.yml", INSTANCE),
    ])
    .await;
    let plans = env.plans(&[], 2).await;
    assert_eq!(plans.actions("compute.cpu-cluster"), ["create"]);
    assert_eq!(plans.actions("compute.ci-dev"), ["create"]);
    plans.assert_text_has("+ compute.cpu-cluster (AmlCompute): create");
    plans.assert_text_has("Plan: 2 to create, 0 to update, 0 to replace, 0 to delete");
    plans.assert_markdown_has("| `+` | `compute.cpu-cluster` | AmlCompute | create |");
    // The password is masked, never shown.
    plans.assert_text_has(
        "/properties/properties/userAccountCredentials/adminUserPassword = \"(sensitive)\"",
    );
    plans.snapshot("create");
    // Once applied, the same manifests plan to nothing.
    env.apply(&[]).await;
    let after = env.plans(&[], 0).await;
    after.assert_text_has("No changes.");
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_in_place() {
    let env = Env::new(&[
        ("compute/cpu-cluster.yml", CLUSTER),
        ("schedules/nightly.yml", SCHEDULE),
    ])
    .await;
    env.apply(&[]).await;
    env.write(
        "compute/cpu-cluster.yml",
        &CLUSTER.replace("max_instances: 2", "max_instances: 6"),
    );
    env.write(
        "schedules/nightly.yml",
        &SCHEDULE.replace("0 2 * * *", "30 3 * * *"),
    );
    let plans = env.plans(&[], 2).await;
    assert_eq!(plans.actions("compute.cpu-cluster"), ["update"]);
    assert_eq!(plans.actions("schedule.nightly"), ["update"]);
    plans.assert_text_has("~ compute.cpu-cluster (AmlCompute): update in place");
    plans.assert_text_has("/properties/properties/scaleSettings/maxNodeCount: 2 → 6");
    plans.assert_text_has("Plan: 0 to create, 2 to update, 0 to replace");
    plans.snapshot("update_in_place");
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_with_reason() {
    let env = Env::new(&[("compute/ci-dev.yml", INSTANCE)]).await;
    env.apply(&[]).await;
    env.write(
        "compute/ci-dev.yml",
        &INSTANCE.replace("Standard_DS3_v2", "Standard_DS4_v2"),
    );
    let plans = env.plans(&[], 2).await;
    assert_eq!(plans.actions("compute.ci-dev"), ["replace"]);
    let reasons = &plans.change("compute.ci-dev")["reasons"];
    assert_eq!(reasons[0]["kind"], "replace_because_of", "{reasons}");
    assert_eq!(
        reasons[0]["path"], "/properties/properties/vmSize",
        "{reasons}"
    );
    plans.assert_text_has("-/+ compute.ci-dev (ComputeInstance)");
    plans.assert_text_has("# forces replacement");
    plans.snapshot("replace");
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_with_prune() {
    let env = Env::new(&[
        ("compute/cpu-cluster.yml", CLUSTER),
        ("schedules/nightly.yml", SCHEDULE),
    ])
    .await;
    env.apply(&[]).await;
    env.remove("schedules/nightly.yml");
    // Without --prune the schedule is only reported as orphaned.
    let kept = env.plans(&[], 0).await;
    assert!(
        kept.json["orphaned"]
            .as_array()
            .is_some_and(|o| o.iter().any(|a| a == "schedule.nightly")),
        "{:#}",
        kept.json
    );
    let plans = env.plans(&["--prune"], 2).await;
    assert_eq!(plans.actions("schedule.nightly"), ["delete"]);
    assert_eq!(plans.actions("compute.cpu-cluster"), ["no_op"]);
    plans.assert_text_has("- schedule.nightly (Schedule): delete");
    plans.snapshot("delete_prune");
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start() {
    let env = Env::new(&[
        ("compute/ci-dev.yml", INSTANCE),
        ("amlctl.yaml", &power("stopped")),
    ])
    .await;
    env.apply(&[]).await;
    env.write("amlctl.yaml", &power("running"));
    let plans = env.plans(&[], 2).await;
    assert_eq!(plans.actions("compute.ci-dev"), ["start"]);
    plans.assert_text_has("> compute.ci-dev (ComputeInstance): start");
    plans.snapshot("start");
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop() {
    let env = Env::new(&[("compute/ci-dev.yml", INSTANCE)]).await;
    env.apply(&[]).await;
    env.write("amlctl.yaml", &power("stopped"));
    let plans = env.plans(&[], 2).await;
    assert_eq!(plans.actions("compute.ci-dev"), ["stop"]);
    plans.assert_text_has("|| compute.ci-dev (ComputeInstance): stop");
    plans.snapshot("stop");
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_submit() {
    let env = Env::new(&[("compute/cpu-cluster.yml", CLUSTER)]).await;
    env.apply(&[]).await;
    env.write("jobs/train.yml", JOB);
    env.write("jobs/anonymous.yml", &JOB.replace("name: train\n", ""));
    let plans = env.plans(&[], 2).await;
    assert_eq!(plans.actions("job.train"), ["submit"]);
    plans.assert_text_has("+ job.train (CommandJob): submit");
    plans.snapshot("job_submit");
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_immutable_error() {
    let env = Env::new(&[
        ("compute/cpu-cluster.yml", CLUSTER),
        ("jobs/train.yml", JOB),
    ])
    .await;
    env.apply(&[]).await;
    env.write("jobs/train.yml", &JOB.replace("--epochs 3", "--epochs 5"));
    let plans = env.plans(&[], 1).await;
    let errors = plans.json["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{:#}", plans.json);
    assert_eq!(errors[0]["address"], "job.train");
    plans.assert_text_has("already exists with a different definition (/properties/command)");
    plans.snapshot("job_immutable");
    // Tags can change on a submitted job: that is an update, not an error.
    env.write(
        "jobs/train.yml",
        &JOB.replace("owner: ml-platform", "owner: data-science"),
    );
    let retag = env.plans(&[], 2).await;
    assert_eq!(retag.actions("job.train"), ["update"]);
    env.close().await;
}
