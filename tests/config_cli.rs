//! `amlctl targets` through the real binary.

use std::fs;
use std::process::Command;

use serde_json::Value;

const CONFIG: &str = r#"
default_target: prod
targets:
  dev:
    subscription: sub-dev
    resource_group: rg-dev
    workspace: mlw-dev
    endpoint: http://127.0.0.1:8080
  prod:
    subscription: sub-prod
    resource_group: rg-prod
    workspace: mlw-prod
    cloud: AzureCloud
    values:
      compute.cpu-cluster:
        ssh_settings: { admin_password: "${env:CLUSTER_ADMIN_PASSWORD}" }
"#;

fn amlctl(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_amlctl"))
        .args(args)
        .current_dir(dir)
        .env_remove("AMLCTL_CONFIG")
        .env("CLUSTER_ADMIN_PASSWORD", "do-not-print-me")
        .output()
        .unwrap()
}

#[test]
fn targets_json_lists_configured_targets_for_a_ci_matrix() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("amlctl.yaml"), CONFIG).unwrap();
    fs::create_dir_all(tmp.path().join("ml/deep")).unwrap();

    let out = amlctl(
        &tmp.path().join("ml/deep"),
        &["targets", "--output", "json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        !stdout.contains("do-not-print-me") && !stdout.contains("CLUSTER_ADMIN_PASSWORD"),
        "{stdout}"
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["default_target"], "prod");
    let targets = v["targets"].as_array().unwrap();
    let names: Vec<&str> = targets
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["dev", "prod"]);
    assert_eq!(targets[0]["subscription"], "sub-dev");
    assert_eq!(targets[0]["resource_group"], "rg-dev");
    assert_eq!(targets[0]["workspace"], "mlw-dev");
    assert_eq!(targets[0]["endpoint"], "http://127.0.0.1:8080");
    assert_eq!(targets[0]["default"], false);
    assert_eq!(targets[1]["cloud"], "AzureCloud");
    assert_eq!(targets[1]["default"], true);
}

#[test]
fn targets_text_marks_the_default_and_the_builtin_local() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("amlctl.yaml"), CONFIG).unwrap();
    let out = amlctl(tmp.path(), &["targets"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("prod *") && l.contains("mlw-prod")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("local ") && l.contains("(embedded)")),
        "{stdout}"
    );
}

#[test]
fn targets_without_config_is_an_empty_list() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join(".git")).unwrap();
    let out = amlctl(tmp.path(), &["targets", "-o", "json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["targets"], serde_json::json!([]));
    assert_eq!(v["default_target"], "local");
}

#[test]
fn bad_config_fails_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("amlctl.yaml"),
        "targets:\n  dev:\n    workspace: w\n    colour: blue\n",
    )
    .unwrap();
    let out = amlctl(tmp.path(), &["targets", "--output", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("amlctl.yaml") && stderr.contains("colour"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}
