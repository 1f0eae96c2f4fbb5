//! Helpers for end-to-end tests: run the real `amlctl` binary on a copy of a manifest repo,
//! against the embedded workspace or an emulator started in the test.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const SUB: &str = "00000000-0000-0000-0000-000000000000";
pub const RG: &str = "rg";
pub const WS: &str = "ws";

pub fn ws_path() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces/{WS}"
    )
}

/// Copy `examples/` (without local state) into a fresh temp dir.
pub fn copy_examples() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"),
        dir.path(),
    );
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        if name == ".amlctl" {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// Run amlctl in `dir` with extra environment.
pub fn amlctl(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_amlctl"));
    cmd.current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("AMLCTL_TARGET");
    for key in [
        "AMLCTL_SUBSCRIPTION",
        "AMLCTL_RESOURCE_GROUP",
        "AMLCTL_WORKSPACE",
        "AMLCTL_ARM_ENDPOINT",
        "AMLCTL_AUTH",
        "AMLCTL_CONFIG",
    ] {
        cmd.env_remove(key);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run amlctl")
}

/// Flags that point amlctl at an emulator at `url` (any bearer token is accepted there).
pub fn remote(url: &str) -> Vec<String> {
    vec![
        "--endpoint".into(),
        url.into(),
        "--subscription".into(),
        SUB.into(),
        "--resource-group".into(),
        RG.into(),
        "--workspace".into(),
        WS.into(),
        "--auth".into(),
        "token".into(),
    ]
}

pub fn text(out: &Output) -> String {
    format!(
        "status: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn edit(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).expect("read");
    assert!(
        s.contains(from),
        "{} does not contain {from:?}",
        path.display()
    );
    std::fs::write(path, s.replacen(from, to, 1)).expect("write");
}

pub fn path(dir: &Path, rel: &str) -> PathBuf {
    dir.join(rel)
}
