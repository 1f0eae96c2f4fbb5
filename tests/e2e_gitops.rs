//! GitOps end to end: a throwaway git repo with two commits, `plan --base` (and
//! `--changed-only`) against an emulator started here, the markdown preview (snapshot, mermaid
//! syntax), shallow clones, `drift` before and after a change made outside git, and the apply
//! lock.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use amlctl_emulator::{EmulatorConfig, EmulatorHandle, Timings};
use serde_json::Value;
use support::{amlctl, remote, text, ws_path};

async fn emulator() -> EmulatorHandle {
    amlctl_emulator::start(EmulatorConfig {
        timings: Timings::uniform(Duration::from_millis(10)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

/// Run git with a fixed identity and fixed dates, so commit ids (and snapshots) are stable.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn cluster(name: &str, max: u32) -> String {
    format!(
        "name: {name}\ntype: amlcompute\nsize: Standard_DS3_v2\nmin_instances: 0\nmax_instances: {max}\n"
    )
}

const CONFIG: &str = "version: 1\nmanifests:\n  - \"compute/*.yml\"\n  - \"jobs/*.yml\"\n";

const HELLO: &str = "name: hello\ncommand: echo hello\nenvironment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest\ncompute: azureml:cpu\n";

const TRAIN: &str = "command: echo train\nenvironment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest\ncompute: azureml:new-cluster\n";

/// Commit 1 (branch `main`): clusters cpu, gpu, old and the job hello. Commit 2 (branch
/// `feature`): cpu scaled, old deleted, new-cluster added with an unnamed job that runs on it.
fn two_commit_repo() -> (tempfile::TempDir, String, String) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    write(dir, ".gitignore", ".amlctl/\n");
    write(dir, "amlctl.yaml", CONFIG);
    write(dir, "compute/cpu.yml", &cluster("cpu", 4));
    write(dir, "compute/gpu.yml", &cluster("gpu", 2));
    write(dir, "compute/old.yml", &cluster("old", 1));
    write(dir, "jobs/hello.yml", HELLO);
    write(dir, "README.md", "not a manifest\n");
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "base"]);
    let base = git(dir, &["rev-parse", "HEAD"]);
    git(dir, &["checkout", "-q", "-b", "feature"]);
    write(dir, "compute/cpu.yml", &cluster("cpu", 8));
    std::fs::remove_file(dir.join("compute/old.yml")).expect("rm");
    write(dir, "compute/new.yml", &cluster("new-cluster", 2));
    write(dir, "jobs/train.yml", TRAIN);
    write(dir, "README.md", "still not a manifest\n");
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "feature"]);
    let head = git(dir, &["rev-parse", "HEAD"]);
    (tmp, base, head)
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

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", text(out)))
}

fn addresses(plan: &Value, only_writes: bool) -> Vec<String> {
    plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| !only_writes || c["actions"] != serde_json::json!(["no_op"]))
        .map(|c| c["address"].as_str().expect("address").to_owned())
        .collect()
}

/// Apply commit 1 to the emulator, then check out the branch.
async fn applied_base(url: &str) -> (tempfile::TempDir, String, String) {
    let (repo, base, head) = two_commit_repo();
    git(repo.path(), &["checkout", "-q", "main"]);
    let out = run(repo.path(), url, &["apply", "--auto-approve", "--prune"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    git(repo.path(), &["checkout", "-q", "feature"]);
    (repo, base, head)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_only_plans_just_the_branchs_resources_and_the_preview_renders() {
    let emu = emulator().await;
    let url = emu.base_url();
    let (repo, base, head) = applied_base(&url).await;
    let dir = repo.path();

    // The whole plan: everything declared, the branch's changes listed beside it.
    let out = run(
        dir,
        &url,
        &["plan", "--base", "main", "--prune", "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let full = json(&out);
    assert_eq!(full["commit"], head.as_str());
    assert_eq!(full["git"]["base_commit"], base.as_str());
    let manifests: Vec<(String, String)> = full["git"]["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|m| {
            (
                m["path"].as_str().unwrap_or("").to_owned(),
                m["change"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("compute/cpu.yml", "modified"),
        ("compute/new.yml", "added"),
        ("compute/old.yml", "deleted"),
        ("jobs/train.yml", "added"),
    ]
    .iter()
    .map(|(p, c)| (p.to_string(), c.to_string()))
    .collect();
    assert_eq!(manifests, expected);
    let all = addresses(&full, false);
    assert!(
        all.contains(&"compute.gpu".to_owned()) && all.contains(&"job.hello".to_owned()),
        "{all:?}"
    );

    // --changed-only: only what the branch changes (the deleted manifest's cluster included).
    let out = run(
        dir,
        &url,
        &[
            "plan",
            "--base",
            "main",
            "--changed-only",
            "--prune",
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let limited = json(&out);
    let planned = addresses(&limited, false);
    assert_eq!(planned.len(), 4, "{planned:?}");
    assert_eq!(
        &planned[..3],
        ["compute.cpu", "compute.new-cluster", "compute.old"]
    );
    assert!(planned[3].starts_with("job.train-"), "{planned:?}");
    assert_eq!(limited["git"]["changed_only"], true);

    // The pull-request preview.
    let out = run(
        dir,
        &url,
        &[
            "plan",
            "--base",
            "main",
            "--changed-only",
            "--prune",
            "--output",
            "markdown",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let md = String::from_utf8_lossy(&out.stdout).into_owned();
    check_markdown_renders(&md);
    assert!(md.contains("```mermaid"), "{md}");
    insta::assert_snapshot!("plan_base_changed_only_markdown", md);

    // Text and github formats show the same section.
    let out = run(dir, &url, &["plan", "--base", "main", "--changed-only"]).await;
    let t = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        t.contains("Manifests changed on this branch")
            && t.contains("deleted  compute/old.yml (compute.old)"),
        "{t}"
    );
    emu.shutdown().await;
}

/// The markdown a PR comment shows: balanced fences and details, a mermaid graph whose node ids
/// are plain identifiers and whose lines are all node, edge or class definitions.
fn check_markdown_renders(md: &str) {
    assert_eq!(md.matches("```").count() % 2, 0, "unbalanced code fences");
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count(),
        "unbalanced <details>"
    );
    let Some(start) = md.find("```mermaid\n") else {
        return;
    };
    let body = &md[start + "```mermaid\n".len()..];
    let body = &body[..body.find("```").expect("closing fence")];
    let mut lines = body.lines();
    assert_eq!(lines.next(), Some("graph LR"));
    let id = |s: &str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) && s.starts_with('n')
    };
    for line in lines {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("classDef ") {
            assert!(rest.split_whitespace().count() == 2, "classDef: {l}");
        } else if let Some((from, to)) = l
            .split_once(" --> ")
            .or_else(|| l.split_once(" -. before .-> "))
        {
            assert!(id(from) && id(to), "edge: {l}");
        } else {
            let (node, rest) = l
                .split_once('[')
                .unwrap_or_else(|| panic!("not a node: {l}"));
            assert!(id(node), "node id: {l}");
            let (label, class) = rest
                .rsplit_once("]:::")
                .unwrap_or_else(|| panic!("node class: {l}"));
            assert!(
                label.starts_with('"')
                    && label.ends_with('"')
                    && !label[1..label.len() - 1].contains('"'),
                "label: {l}"
            );
            assert!(
                class.chars().all(|c| c.is_ascii_alphanumeric()),
                "class: {l}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shallow_clone_says_what_to_fetch_then_plans() {
    let emu = emulator().await;
    let url = emu.base_url();
    let (repo, _base, _head) = two_commit_repo();
    let clones = tempfile::tempdir().expect("tempdir");
    let origin = format!("file://{}", repo.path().display());
    git(
        clones.path(),
        &[
            "clone",
            "-q",
            "--depth=1",
            "--branch",
            "feature",
            &origin,
            "ci",
        ],
    );
    let ci = clones.path().join("ci");

    let out = run(&ci, &url, &["plan", "--base", "origin/main"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("git fetch --depth=1 origin main") && err.contains("shallow"),
        "{err}"
    );

    git(
        &ci,
        &[
            "fetch",
            "-q",
            "--no-tags",
            "--depth=1",
            "origin",
            "main:refs/remotes/origin/main",
        ],
    );
    let out = run(
        &ci,
        &url,
        &[
            "plan",
            "--base",
            "origin/main",
            "--changed-only",
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let plan = json(&out);
    assert_eq!(
        plan["git"]["manifests"].as_array().map(Vec::len),
        Some(4),
        "{plan:#}"
    );
    assert!(!addresses(&plan, false).contains(&"compute.gpu".to_owned()));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dirty_tree_is_marked_and_github_output_annotates_manifests() {
    let emu = emulator().await;
    let url = emu.base_url();
    let (repo, _base, head) = two_commit_repo();
    let dir = repo.path();
    write(dir, "compute/gpu.yml", &cluster("gpu", 3));
    let summary = dir.join(".amlctl-summary.md");
    let mut args: Vec<String> = ["plan", "--base", "main", "--output", "github"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(remote(&url));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let summary_env = summary.display().to_string();
    let out = amlctl(
        dir,
        &refs,
        &[
            ("AMLCTL_ACCESS_TOKEN", "t"),
            ("GITHUB_STEP_SUMMARY", summary_env.as_str()),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("Commit: {head}-dirty")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with(
            "::notice file=compute/gpu.yml,line=1,title=amlctl plan%3A compute.gpu::"
        )),
        "{stdout}"
    );
    let md = std::fs::read_to_string(&summary).expect("summary written");
    assert!(
        md.contains("<!-- amlctl-plan:") && md.contains("modified `compute/gpu.yml`"),
        "{md}"
    );
    emu.shutdown().await;
}

/// GET a resource, change it with `edit`, PUT it back (someone working in the portal).
async fn change_outside_git(url: &str, rel: &str, edit: impl FnOnce(&mut Value)) {
    let path = format!("{url}{}/{rel}?api-version=2026-03-01", ws_path());
    let client = reqwest::Client::new();
    let mut body: Value = client
        .get(&path)
        .bearer_auth("portal")
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    edit(&mut body);
    let resp = client
        .put(&path)
        .bearer_auth("portal")
        .json(&body)
        .send()
        .await
        .expect("put");
    assert!(resp.status().is_success(), "put: {}", resp.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_separates_changes_outside_git_from_changes_in_git() {
    let emu = emulator().await;
    let url = emu.base_url();
    let (repo, base, _head) = two_commit_repo();
    let dir = repo.path();
    git(dir, &["checkout", "-q", "main"]);
    let out = run(dir, &url, &["apply", "--auto-approve"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".amlctl/applied/adhoc.json")).expect("apply record"),
    )
    .expect("record json");
    assert_eq!(record["commit"], base.as_str());

    let out = run(
        dir,
        &url,
        &["drift", "--detailed-exitcode", "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["reference"]["origin"], "record");
    assert_eq!(report["summary"]["drifted"], 0);
    assert_eq!(report["summary"]["out_of_sync"], 0);

    // Someone scales gpu in the portal; the branch changes cpu in git.
    change_outside_git(&url, "computes/gpu", |b| {
        b["properties"]["properties"]["scaleSettings"]["maxNodeCount"] = Value::from(7);
    })
    .await;
    git(dir, &["checkout", "-q", "feature"]);
    let out = run(
        dir,
        &url,
        &["drift", "--detailed-exitcode", "--output", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report = json(&out);
    let by: std::collections::BTreeMap<String, &Value> = report["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| (r["address"].as_str().unwrap_or("").to_owned(), r))
        .collect();
    assert_eq!(by["compute.gpu"]["drifted"], true, "{report:#}");
    assert_eq!(by["compute.gpu"]["git_changed"], false);
    assert_eq!(by["compute.gpu"]["sync"], "OutOfSync");
    assert!(
        by["compute.gpu"]["drifted_fields"]
            .to_string()
            .contains("maxNodeCount"),
        "{report:#}"
    );
    assert_eq!(by["compute.cpu"]["drifted"], false);
    assert_eq!(by["compute.cpu"]["git_changed"], true);
    assert_eq!(by["compute.cpu"]["sync"], "OutOfSync");
    assert_eq!(by["job.hello"]["sync"], "Synced");
    assert_eq!(report["summary"]["drifted"], 1);

    // Markdown for the issue the scheduled workflow opens.
    let out = run(dir, &url, &["drift", "--output", "markdown"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("| `compute.gpu` | OutOfSync |") && md.contains("changed outside git"),
        "{md}"
    );

    let out = run(dir, &url, &["drift"]).await;
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(
        t.contains("drift measured from commit") && t.contains("(last apply record)"),
        "{t}"
    );
    assert!(
        t.lines().any(|l| l.contains("compute.gpu")
            && l.contains("OutOfSync")
            && l.contains("changed outside git")),
        "{t}"
    );
    assert!(
        t.lines()
            .any(|l| l.contains("compute.cpu") && l.contains("changed in git (apply pending)")),
        "{t}"
    );

    // Measured from the branch itself, cpu's pending change counts as drift too.
    let out = run(dir, &url, &["drift", "--since", "HEAD", "--output", "json"]).await;
    let report = json(&out);
    assert_eq!(report["reference"]["origin"], "since");
    assert_eq!(report["summary"]["drifted"], 4, "{report:#}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_apply_to_the_same_workspace_is_refused() {
    let emu = emulator().await;
    let url = emu.base_url();
    let (repo, _base, _head) = two_commit_repo();
    let dir = repo.path();
    // This test process plays the apply that holds the lock.
    let lock = amlctl::ops::lock::lock_path(&dir.join(".amlctl"), &ws_path());
    std::fs::create_dir_all(lock.parent().expect("parent")).expect("mkdir");
    let host =
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_else(|_| "localhost".into());
    let info =
        serde_json::json!({"pid": std::process::id(), "host": host.trim(), "workspace": ws_path()});
    std::fs::write(&lock, info.to_string()).expect("lock");
    let out = run(dir, &url, &["apply", "--auto-approve"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("another apply"),
        "{}",
        text(&out)
    );
    assert!(
        emu.requests().iter().all(|r| r.method == "GET"),
        "nothing was written"
    );

    std::fs::remove_file(&lock).expect("unlock");
    let out = run(dir, &url, &["apply", "--auto-approve"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!lock.exists(), "released after apply");
    emu.shutdown().await;
}

const SCHEDULE: &str = "name: nightly\ntrigger:\n  type: cron\n  expression: \"0 2 * * *\"\n  time_zone: UTC\ncreate_job: ./job/train.yml\n";

const CODE_JOB: &str = "command: python main.py\ncode: ./src\nenvironment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest\ncompute: azureml:cpu\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_a_manifest_uses_count_as_changes() {
    let emu = emulator().await;
    let url = emu.base_url();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    write(
        dir,
        "amlctl.yaml",
        "version: 1\nmanifests:\n  - \"compute/*.yml\"\n  - \"jobs/*.yml\"\n  - \"schedules/*.yml\"\n",
    );
    write(dir, "compute/cpu.yml", &cluster("cpu", 2));
    write(dir, "schedules/nightly.yml", SCHEDULE);
    write(
        dir,
        "schedules/job/train.yml",
        TRAIN.replace("new-cluster", "cpu").as_str(),
    );
    write(dir, "jobs/code.yml", CODE_JOB);
    write(dir, "jobs/src/main.py", "print('v1')\n");
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "base"]);
    let out = run(dir, &url, &["apply", "--auto-approve"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Only files the manifests use change: the schedule's embedded job and the job's code.
    write(
        dir,
        "schedules/job/train.yml",
        TRAIN
            .replace("new-cluster", "cpu")
            .replace("echo train", "echo retrain")
            .as_str(),
    );
    write(dir, "jobs/src/main.py", "print('v2')\n");
    git(dir, &["commit", "-q", "-am", "change used files"]);
    let out = run(
        dir,
        &url,
        &[
            "plan",
            "--base",
            "HEAD~1",
            "--changed-only",
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let plan = json(&out);
    assert_eq!(
        plan["git"]["manifests"],
        serde_json::json!([]),
        "no manifest file changed"
    );
    let planned = addresses(&plan, true);
    assert!(
        planned.contains(&"schedule.nightly".to_owned()),
        "{planned:?}"
    );
    assert!(
        planned.iter().any(|a| a.starts_with("job.code-")),
        "new code, new job: {planned:?}"
    );
    // Its job depends on cpu, which the plan shows as context (as `--only` does), unchanged.
    assert!(
        !planned.contains(&"compute.cpu".to_owned()),
        "unchanged: not written"
    );
    emu.shutdown().await;
}
