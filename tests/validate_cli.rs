//! `amlctl validate` and `amlctl schema export` as a user runs them: exit codes and the exact
//! JSON / GitHub output shapes.

use std::process::{Command, Output};

fn amlctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amlctl"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run amlctl")
}

#[test]
fn examples_exit_zero() {
    let out = amlctl(&["validate", "examples"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_output_has_the_documented_shape() {
    let out = amlctl(&[
        "validate",
        "--output",
        "json",
        "tests/fixtures/bad/bad-enum.yml",
        "tests/fixtures/bad/idle-shutdown.yml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    assert_eq!(v["files"], 2);
    assert_eq!(v["errors"], 2);
    let diags = v["diagnostics"].as_array().expect("diagnostics array");
    let keys: Vec<&str> = diags[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["file", "line", "column", "severity", "code", "message"]
    );
    assert_eq!(diags[0]["file"], "tests/fixtures/bad/bad-enum.yml");
    assert_eq!(diags[0]["line"], 4);
    assert_eq!(diags[0]["column"], 7);
    assert_eq!(diags[0]["severity"], "error");
    assert_eq!(diags[0]["code"], "amlctl::schema::enum");
    assert_eq!(diags[1]["code"], "amlctl::compute::idle-shutdown");
}

#[test]
fn github_output_is_workflow_commands() {
    let out = amlctl(&[
        "validate",
        "-o",
        "github",
        "tests/fixtures/bad/misspelt-key.yml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().expect("an annotation");
    assert!(
        first.starts_with("::error file=tests/fixtures/bad/misspelt-key.yml,line=2,col=1,title=amlctl%3A%3Aschema%3A%3Aunknown-key::"),
        "{first}"
    );
    assert!(first.contains("did you mean `command`?"), "{first}");
}

#[test]
fn human_output_goes_to_stderr_with_a_snippet() {
    let out = amlctl(&["validate", "tests/fixtures/bad/bad-enum.yml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("amlctl::schema::enum"), "{err}");
    assert!(err.contains("tier: lowpriority"), "{err}");
    assert!(err.contains("low_priority"), "{err}");
}

#[test]
fn missing_path_is_an_error() {
    let out = amlctl(&["validate", "-o", "json", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["diagnostics"][0]["code"], "amlctl::io::read");
}

#[test]
fn schema_export_writes_every_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("schemas");
    let out = amlctl(&["schema", "export", target.to_str().expect("utf-8 path")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = std::fs::read_dir(&target)
        .expect("exported dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 8, "{names:?}");
    for n in names {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(target.join(&n)).expect("read"))
                .expect("JSON");
        assert_eq!(v["$id"], format!("https://amlctl.dev/schemas/{n}"));
    }
}
