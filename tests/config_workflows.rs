//! The GitHub workflows' shell steps, run here with bash: the real `amlctl targets`, and fake
//! `amlctl`/`gh` stand-ins where a step needs Azure or GitHub. Also static checks (OIDC, no
//! secrets, gating, concurrency). `scripts/actionlint.sh` checks the rest of the syntax.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use saphyr::{LoadableYamlNode, ScalarOwned, YamlOwned};
use serde_json::{Map, Value, json};

const USER_WORKFLOWS: [&str; 3] = ["amlctl-plan.yml", "amlctl-apply.yml", "amlctl-drift.yml"];

fn to_json(node: &YamlOwned) -> Value {
    match node {
        YamlOwned::Value(ScalarOwned::Null) => Value::Null,
        YamlOwned::Value(ScalarOwned::Boolean(b)) => Value::Bool(*b),
        YamlOwned::Value(ScalarOwned::Integer(i)) => json!(i),
        YamlOwned::Value(ScalarOwned::FloatingPoint(f)) => json!(f.into_inner()),
        YamlOwned::Value(ScalarOwned::String(s)) => Value::String(s.clone()),
        YamlOwned::Representation(s, _, _) => Value::String(s.clone()),
        YamlOwned::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        YamlOwned::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match to_json(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(key, to_json(v));
            }
            Value::Object(out)
        }
        YamlOwned::Tagged(_, inner) => to_json(inner),
        other => panic!("unexpected YAML node {other:?}"),
    }
}

fn workflow(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".github/workflows")
        .join(name);
    let text = fs::read_to_string(&path).unwrap();
    let docs = YamlOwned::load_from_str(&text).unwrap();
    to_json(&docs[0])
}

fn step(wf: &Value, job: &str, name: &str) -> Value {
    wf["jobs"][job]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step `{name}` in job `{job}`"))
        .clone()
}

fn script(wf: &Value, job: &str, name: &str) -> String {
    step(wf, job, name)["run"].as_str().unwrap().to_owned()
}

/// A scratch runner: a work dir, a bin dir put first on PATH, and the GitHub files.
struct Runner {
    _tmp: tempfile::TempDir,
    work: PathBuf,
    bin: PathBuf,
    output: PathBuf,
    summary: PathBuf,
}

impl Runner {
    fn new() -> Runner {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        let bin = tmp.path().join("bin");
        fs::create_dir_all(&work).unwrap();
        fs::create_dir_all(&bin).unwrap();
        let output = tmp.path().join("github_output");
        let summary = tmp.path().join("step_summary");
        fs::write(&output, "").unwrap();
        fs::write(&summary, "").unwrap();
        Runner {
            _tmp: tmp,
            work,
            bin,
            output,
            summary,
        }
    }

    /// Put an executable shell script called `name` first on PATH.
    fn fake(&self, name: &str, body: &str) {
        let path = self.bin.join(name);
        fs::write(&path, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Run a step's script the way GitHub does for `run:` without `shell:` (`bash -e`).
    fn run(&self, script: &str, env: &[(&str, &str)]) -> Output {
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new("bash")
            .arg("-e")
            .arg("-c")
            .arg(script)
            .current_dir(&self.work)
            .env("PATH", path)
            .env("GITHUB_OUTPUT", &self.output)
            .env("GITHUB_STEP_SUMMARY", &self.summary)
            .env("GITHUB_REPOSITORY", "acme/ml-infra")
            .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
            .env("CALLS", self.work.join("calls.log"))
            .env_remove("AMLCTL_CONFIG")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    }

    fn outputs(&self) -> BTreeMap<String, String> {
        fs::read_to_string(&self.output)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn calls(&self) -> String {
        fs::read_to_string(self.work.join("calls.log")).unwrap_or_default()
    }
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "step failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- static checks ------------------------------------------------------------------------

#[test]
fn user_workflows_use_oidc_no_secrets_and_are_gated() {
    for name in USER_WORKFLOWS {
        let text = fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(".github/workflows")
                .join(name),
        )
        .unwrap();
        assert!(
            !text.contains("secrets."),
            "{name} must not use repository secrets"
        );
        let wf = workflow(name);
        assert_eq!(
            wf["permissions"]["id-token"], "write",
            "{name}: OIDC needs id-token: write"
        );
        let jobs = wf["jobs"].as_object().unwrap();
        let (first, _) = jobs.iter().next().unwrap();
        assert_eq!(
            jobs[first]["if"], "vars.AMLCTL_ENABLED == 'true'",
            "{name}: first job is gated"
        );
        for (job_name, job) in jobs {
            for s in job["steps"].as_array().unwrap() {
                if let Some(run) = s["run"].as_str() {
                    assert!(
                        !run.contains("${{"),
                        "{name}/{job_name}: pass expressions through env, not into scripts"
                    );
                }
                if s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("azure/login@"))
                {
                    assert!(
                        s["with"]["client-id"]
                            .as_str()
                            .unwrap()
                            .starts_with("${{ vars."),
                        "{name}: ids come from variables"
                    );
                    assert!(
                        s["with"].get("creds").is_none(),
                        "{name}: no client secret login"
                    );
                }
            }
        }
    }
}

#[test]
fn apply_runs_one_at_a_time_per_workspace() {
    let wf = workflow("amlctl-apply.yml");
    let job = &wf["jobs"]["apply"];
    let group = job["concurrency"]["group"].as_str().unwrap();
    for part in [
        "matrix.target.subscription",
        "matrix.target.resource_group",
        "matrix.target.workspace",
    ] {
        assert!(group.contains(part), "{group}");
    }
    assert_eq!(job["concurrency"]["cancel-in-progress"], false);
    assert_eq!(job["environment"], "${{ matrix.target.name }}");
}

// ---- targets → matrix (real binary) -------------------------------------------------------

const CONFIG: &str = r#"
default_target: prod
targets:
  local: {}
  prod: { subscription: s-prod, resource_group: rg-prod, workspace: mlw-prod }
  dev: { subscription: s-dev, resource_group: rg-dev, workspace: mlw-dev, endpoint: "http://127.0.0.1:9" }
"#;

#[test]
fn list_targets_step_builds_the_matrix_with_remote_targets_only() {
    for (name, job) in [
        ("amlctl-plan.yml", "validate"),
        ("amlctl-apply.yml", "targets"),
        ("amlctl-drift.yml", "targets"),
    ] {
        let runner = Runner::new();
        fs::write(runner.work.join("amlctl.yaml"), CONFIG).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_amlctl"), runner.bin.join("amlctl"))
            .unwrap();
        let out = runner.run(&script(&workflow(name), job, "List targets"), &[]);
        ok(&out);
        let outputs = runner.outputs();
        assert_eq!(outputs["count"], "2", "{name}");
        let matrix: Value = serde_json::from_str(&outputs["matrix"]).unwrap();
        let names: Vec<&str> = matrix["target"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["dev", "prod"], "{name}");
        assert_eq!(matrix["target"][1]["subscription"], "s-prod");
    }
}

#[test]
fn list_targets_step_without_targets_gives_count_zero() {
    let runner = Runner::new();
    fs::create_dir_all(runner.work.join(".git")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_amlctl"), runner.bin.join("amlctl")).unwrap();
    ok(&runner.run(
        &script(&workflow("amlctl-plan.yml"), "validate", "List targets"),
        &[],
    ));
    assert_eq!(runner.outputs()["count"], "0");
}

// ---- plan step (fake amlctl) --------------------------------------------------------------

#[test]
fn plan_step_keeps_changes_exit_code_adds_marker_and_summary() {
    let runner = Runner::new();
    runner.fake("amlctl", &fake_plan("## Plan: 1 to add", 2));
    let wf = workflow("amlctl-plan.yml");
    let out = runner.run(
        &script(&wf, "plan", "Plan"),
        &[("TARGET", "prod"), ("BASE_REF", "main")],
    );
    ok(&out);
    assert_eq!(runner.outputs()["exitcode"], "2");
    let md = fs::read_to_string(runner.work.join("plan.md")).unwrap();
    assert!(
        md.starts_with("<!-- amlctl-plan:prod -->\n## Plan: 1 to add"),
        "{md}"
    );
    let calls = runner.calls();
    assert!(
        calls.contains("--target prod")
            && calls.contains("--base origin/main")
            && calls.contains("--out plan.json")
            && calls.contains("--output github"),
        "{calls}"
    );
}

#[test]
fn plan_step_fails_on_plan_errors_and_keeps_an_existing_marker() {
    let runner = Runner::new();
    runner.fake("amlctl", "echo 'boom' >&2; exit 1");
    let wf = workflow("amlctl-plan.yml");
    let out = runner.run(
        &script(&wf, "plan", "Plan"),
        &[("TARGET", "prod"), ("BASE_REF", "main")],
    );
    assert_eq!(out.status.code(), Some(1));

    let runner = Runner::new();
    runner.fake(
        "amlctl",
        &fake_plan("<!-- amlctl-plan:dev -->\nNo changes.", 0),
    );
    ok(&runner.run(
        &script(&wf, "plan", "Plan"),
        &[("TARGET", "dev"), ("BASE_REF", "main")],
    ));
    let md = fs::read_to_string(runner.work.join("plan.md")).unwrap();
    assert_eq!(md.matches("<!-- amlctl-plan:dev -->").count(), 1, "{md}");
}

/// A fake `amlctl plan` that writes `markdown` to the `--markdown-out` file and exits `code`.
fn fake_plan(markdown: &str, code: i32) -> String {
    format!(
        r#"echo "amlctl $*" >> "$CALLS"
while [ $# -gt 0 ]; do
  if [ "$1" = --markdown-out ]; then printf '%s\n' "{markdown}" > "$2"; fi
  shift
done
exit {code}"#
    )
}

// ---- apply steps (fake amlctl, gh) --------------------------------------------------------

/// A git repo in the runner's work dir with one commit, recorded as the last apply of `prod`.
fn with_apply_record(runner: &Runner) {
    git(&runner.work, &["init", "-q"]);
    fs::write(runner.work.join("a.yml"), "name: a\n").unwrap();
    git(&runner.work, &["add", "a.yml"]);
    git(&runner.work, &["commit", "-q", "-m", "applied"]);
    let commit = git(&runner.work, &["rev-parse", "HEAD"]);
    fs::create_dir_all(runner.work.join(".amlctl/applied")).unwrap();
    fs::write(
        runner.work.join(".amlctl/applied/prod.json"),
        json!({"format_version": "1", "target": "prod", "workspace_id": "/w", "commit": commit})
            .to_string(),
    )
    .unwrap();
}

#[test]
fn drift_check_is_skipped_without_an_apply_record() {
    let wf = workflow("amlctl-apply.yml");
    let refuse = script(&wf, "apply", "Refuse to apply over drift");
    let runner = Runner::new();
    runner.fake("amlctl", r#"echo "amlctl $*" >> "$CALLS"; exit 2"#);
    let out = runner.run(&refuse, &[("TARGET", "prod"), ("ALLOW_DRIFT", "false")]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("No record of an earlier apply"));
    assert_eq!(runner.calls(), "", "amlctl drift not called");
}

#[test]
fn apply_refuses_drift_unless_allowed() {
    let wf = workflow("amlctl-apply.yml");
    let refuse = script(&wf, "apply", "Refuse to apply over drift");
    let runner = Runner::new();
    with_apply_record(&runner);
    runner.fake("amlctl", "exit 2");
    let out = runner.run(&refuse, &[("TARGET", "prod"), ("ALLOW_DRIFT", "false")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("::error::prod drifted"));
    ok(&runner.run(&refuse, &[("TARGET", "prod"), ("ALLOW_DRIFT", "true")]));

    let unhealthy = Runner::new();
    with_apply_record(&unhealthy);
    unhealthy.fake("amlctl", "exit 3");
    let out = unhealthy.run(&refuse, &[("TARGET", "prod"), ("ALLOW_DRIFT", "false")]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("::warning::prod has unhealthy"));

    let in_sync = Runner::new();
    with_apply_record(&in_sync);
    in_sync.fake("amlctl", "exit 0");
    ok(&in_sync.run(&refuse, &[("TARGET", "prod"), ("ALLOW_DRIFT", "false")]));
}

#[test]
fn apply_replans_and_applies_only_when_there_are_changes() {
    let wf = workflow("amlctl-apply.yml");
    let replan = script(&wf, "apply", "Re-plan and apply");
    let changes = Runner::new();
    changes.fake(
        "amlctl",
        r#"echo "$*" >> "$CALLS"; [ "$1" = plan ] && exit 2; exit 0"#,
    );
    ok(&changes.run(&replan, &[("TARGET", "prod")]));
    let calls = changes.calls();
    assert!(
        calls.lines().nth(1).is_some_and(
            |l| l.starts_with("apply plan.json --target prod") && l.contains("--auto-approve")
        ),
        "{calls}"
    );

    let none = Runner::new();
    none.fake("amlctl", r#"echo "$*" >> "$CALLS"; exit 0"#);
    ok(&none.run(&replan, &[("TARGET", "prod")]));
    assert_eq!(none.calls().lines().count(), 1, "no apply without changes");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A fake `gh` answering the reviewed-plan lookup; the reviewed plan was made from a commit
/// whose tree is `tree`.
fn fake_gh(runner: &Runner, tree: &str) {
    runner.fake(
        "gh",
        &format!(
            r#"echo "gh $*" >> "$CALLS"
case "$*" in
  "api repos/acme/ml-infra/commits/$GITHUB_SHA/pulls --jq"*) echo 42 ;;
  "api repos/acme/ml-infra/pulls/42 --jq .head.sha") echo headsha ;;
  "run list --workflow amlctl-plan.yml --commit headsha"*) echo 777 ;;
  "run download 777 --name amlctl-plan-prod --dir reviewed")
    mkdir -p reviewed; echo '{{"commit":"plannedsha"}}' > reviewed/plan.json ;;
  "api repos/acme/ml-infra/git/commits/plannedsha --jq .tree.sha") echo {tree} ;;
  *) echo "unexpected gh $*" >&2; exit 1 ;;
esac"#
        ),
    );
}

#[test]
fn reviewed_plan_is_used_only_when_main_has_exactly_its_manifests() {
    let wf = workflow("amlctl-apply.yml");
    let find = script(&wf, "apply", "Find the plan reviewed in the pull request");

    let runner = Runner::new();
    git(&runner.work, &["init", "-q"]);
    fs::write(runner.work.join("a.yml"), "name: a\n").unwrap();
    git(&runner.work, &["add", "."]);
    git(&runner.work, &["commit", "-q", "-m", "merged"]);
    let tree = git(&runner.work, &["rev-parse", "HEAD^{tree}"]);

    fake_gh(&runner, &tree);
    ok(&runner.run(&find, &[("TARGET", "prod"), ("GH_TOKEN", "x")]));
    assert_eq!(runner.outputs()["found"], "true");

    let moved = Runner::new();
    fs::remove_dir_all(&moved.work).unwrap();
    fs::rename(&runner.work, &moved.work).unwrap();
    fs::remove_dir_all(moved.work.join("reviewed")).unwrap();
    fake_gh(&moved, "0000000000000000000000000000000000000000");
    let out = moved.run(&find, &[("TARGET", "prod"), ("GH_TOKEN", "x")]);
    ok(&out);
    assert_eq!(moved.outputs()["found"], "false");
    assert!(String::from_utf8_lossy(&out.stdout).contains("re-planning"));
}

#[test]
fn no_pull_request_means_replan() {
    let wf = workflow("amlctl-apply.yml");
    let runner = Runner::new();
    runner.fake("gh", r#"echo "gh $*" >> "$CALLS"; exit 0"#);
    ok(&runner.run(
        &script(&wf, "apply", "Find the plan reviewed in the pull request"),
        &[("TARGET", "prod")],
    ));
    assert_eq!(runner.outputs()["found"], "false");
    assert_eq!(runner.calls().lines().count(), 1);
}

// ---- drift issue step (fake gh) -----------------------------------------------------------

fn drift_runner(existing_issue: Option<u32>) -> Runner {
    let runner = Runner::new();
    let list = existing_issue
        .map(|n| format!("echo {n}"))
        .unwrap_or_default();
    runner.fake(
        "gh",
        &format!(
            r#"echo "gh $*" >> "$CALLS"
case "$1 $2" in
  "issue list") {list} ;;
esac
exit 0"#
        ),
    );
    fs::write(
        runner.work.join("drift.md"),
        "compute.cpu-cluster changed outside git\n",
    )
    .unwrap();
    runner
}

#[test]
fn drift_opens_updates_and_closes_one_issue_per_target() {
    let wf = workflow("amlctl-drift.yml");
    let issue = script(&wf, "drift", "Open, update or close the drift issue");
    let env = |drifted| {
        vec![
            ("TARGET", "prod"),
            ("DRIFTED", drifted),
            ("RUN_URL", "https://example.invalid/run/1"),
        ]
    };

    let fresh = drift_runner(None);
    ok(&fresh.run(&issue, &env("true")));
    let calls = fresh.calls();
    assert!(
        calls.contains(
            "gh issue create --title amlctl drift: prod --label amlctl-drift --body-file body.md"
        ),
        "{calls}"
    );
    let body = fs::read_to_string(fresh.work.join("body.md")).unwrap();
    assert!(
        body.contains("cpu-cluster") && body.contains("https://example.invalid/run/1"),
        "{body}"
    );

    let open = drift_runner(Some(7));
    ok(&open.run(&issue, &env("true")));
    let calls = open.calls();
    assert!(
        calls.contains("gh issue edit 7 --body-file body.md")
            && calls.contains("gh issue comment 7"),
        "{calls}"
    );
    assert!(!calls.contains("issue create"), "{calls}");

    let healed = drift_runner(Some(7));
    ok(&healed.run(&issue, &env("false")));
    assert!(
        healed.calls().contains("gh issue close 7"),
        "{}",
        healed.calls()
    );

    let quiet = drift_runner(None);
    ok(&quiet.run(&issue, &env("false")));
    assert!(!quiet.calls().contains("issue create") && !quiet.calls().contains("issue close"));
}

// ---- the amlctl steps of all three workflows: real binary, emulator, throwaway git repo ----

const WS_PATH: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

fn cluster(name: &str, max: u32) -> String {
    format!(
        "name: {name}\ntype: amlcompute\nsize: Standard_DS3_v2\nmin_instances: 0\nmax_instances: {max}\n"
    )
}

/// Scale `cpu` by hand, as someone in the portal would.
async fn scale_outside_git(url: &str, max: u32) {
    let path = format!("{url}{WS_PATH}/computes/cpu?api-version=2026-03-01");
    let client = reqwest::Client::new();
    let mut body: Value = client
        .get(&path)
        .bearer_auth("portal")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["properties"]["properties"]["scaleSettings"]["maxNodeCount"] = json!(max);
    let resp = client
        .put(&path)
        .bearer_auth("portal")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
}

#[test]
fn workflow_steps_run_against_the_emulator_with_the_real_binary() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = rt
        .block_on(amlctl_emulator::start(amlctl_emulator::EmulatorConfig {
            timings: amlctl_emulator::Timings::uniform(std::time::Duration::from_millis(10)),
            ..amlctl_emulator::EmulatorConfig::default()
        }))
        .unwrap();
    let url = emu.base_url();

    let runner = Runner::new();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_amlctl"), runner.bin.join("amlctl")).unwrap();
    // The workflows log in with `azure/login` and pass `--auth azure-cli`: a fake `az` hands
    // out a token (the emulator accepts any bearer token).
    runner.fake(
        "az",
        r#"echo '{"accessToken":"fake-token","expires_on":4102444800,"tokenType":"Bearer"}'"#,
    );
    // The repository on GitHub, and the shallow checkout `actions/checkout` makes of the branch.
    let origin = runner.work.parent().unwrap().join("origin");
    fs::create_dir_all(&origin).unwrap();
    let o = &origin;
    git(o, &["init", "-q", "-b", "main"]);
    fs::write(o.join(".gitignore"), ".amlctl/\n").unwrap();
    fs::write(
        o.join("amlctl.yaml"),
        format!(
            "manifests: [\"compute/*.yml\"]\ndefault_target: prod\ntargets:\n  prod:\n    subscription: 00000000-0000-0000-0000-000000000000\n    resource_group: rg\n    workspace: ws\n    endpoint: {url}\n"
        ),
    )
    .unwrap();
    fs::create_dir_all(o.join("compute")).unwrap();
    fs::write(o.join("compute/cpu.yml"), cluster("cpu", 2)).unwrap();
    git(o, &["add", "."]);
    git(o, &["commit", "-q", "-m", "main"]);
    git(o, &["checkout", "-q", "-b", "feature"]);
    fs::write(o.join("compute/cpu.yml"), cluster("cpu", 4)).unwrap();
    fs::write(o.join("compute/gpu.yml"), cluster("gpu", 1)).unwrap();
    git(o, &["add", "."]);
    git(o, &["commit", "-q", "-m", "feature"]);
    let w = &runner.work;
    let origin_url = format!("file://{}", origin.display());
    git(
        w,
        &[
            "clone",
            "-q",
            "--depth=1",
            "--branch",
            "feature",
            &origin_url,
            ".",
        ],
    );
    let head = git(w, &["rev-parse", "HEAD"]);
    let env = [
        ("TARGET", "prod"),
        ("BASE_REF", "main"),
        ("ALLOW_DRIFT", "false"),
    ];

    // amlctl-plan.yml: fetch the base into the shallow clone, plan the pull request.
    let plan_wf = workflow("amlctl-plan.yml");
    ok(&runner.run(
        &script(&plan_wf, "plan", "Fetch the base branch (shallow)"),
        &env,
    ));
    let out = runner.run(&script(&plan_wf, "plan", "Plan"), &env);
    ok(&out);
    assert_eq!(runner.outputs()["exitcode"], "2");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("::notice file=compute/gpu.yml,line=1,"),
        "{stdout}"
    );
    let md = fs::read_to_string(w.join("plan.md")).unwrap();
    assert!(
        md.starts_with("<!-- amlctl-plan:prod -->")
            && md.contains("added `compute/gpu.yml`")
            && md.contains("modified `compute/cpu.yml`"),
        "{md}"
    );
    assert!(
        fs::read_to_string(&runner.summary)
            .unwrap()
            .contains("### amlctl plan: `prod`")
    );
    let plan: Value =
        serde_json::from_str(&fs::read_to_string(w.join("plan.json")).unwrap()).unwrap();
    assert_eq!(plan["commit"], head.as_str());

    // amlctl-apply.yml after the merge: apply the reviewed plan.
    let apply = workflow("amlctl-apply.yml");
    fs::create_dir_all(w.join("reviewed")).unwrap();
    fs::copy(w.join("plan.json"), w.join("reviewed/plan.json")).unwrap();
    fs::remove_file(w.join("plan.json")).unwrap();
    ok(&runner.run(&script(&apply, "apply", "Apply the reviewed plan"), &env));
    let record: Value =
        serde_json::from_str(&fs::read_to_string(w.join(".amlctl/applied/prod.json")).unwrap())
            .unwrap();
    assert_eq!(record["commit"], head.as_str());

    // The next push: no drift, nothing to apply.
    ok(&runner.run(&script(&apply, "apply", "Refuse to apply over drift"), &env));
    let out = runner.run(&script(&apply, "apply", "Re-plan and apply"), &env);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("in sync with main"));

    // amlctl-drift.yml: in sync, then someone scales cpu by hand.
    let drift = workflow("amlctl-drift.yml");
    ok(&runner.run(&script(&drift, "drift", "Check for drift"), &env));
    assert_eq!(runner.outputs()["drifted"], "false");
    assert!(
        fs::read_to_string(w.join("drift.md"))
            .unwrap()
            .contains("### amlctl drift: `prod`")
    );
    rt.block_on(scale_outside_git(&url, 9));
    ok(&runner.run(&script(&drift, "drift", "Check for drift"), &env));
    assert_eq!(runner.outputs()["drifted"], "true");
    let report = fs::read_to_string(w.join("drift.md")).unwrap();
    assert!(
        report.contains("`compute.cpu`") && report.contains("changed outside git"),
        "{report}"
    );

    // ... and the next apply refuses to overwrite it.
    let out = runner.run(&script(&apply, "apply", "Refuse to apply over drift"), &env);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("::error::prod drifted"));
    rt.block_on(emu.shutdown());
}
