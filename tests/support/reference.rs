//! Where the published reference data lives (the ARM REST spec, its request/response examples,
//! the sample corpus of real `az ml` YAML), for the tests that check against it. One rule for
//! every test binary of the workspace (this file is included by path from each crate):
//!
//! - the directory is `AMLCTL_REFERENCE_DIR` when set, else `../shared/reference` beside the
//!   repository (where the project's workplace keeps it);
//! - when the data is absent the test is **skipped** with one line on stderr naming what is
//!   missing and how to provide it, so a fresh clone with nothing beside it passes its tests;
//! - when `AMLCTL_REQUIRE_REFERENCE=1` (`.ci/run` sets it), absence **fails** the test instead,
//!   so CI never skips these checks silently.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

/// The variable that points at the reference data.
pub const DIR_VAR: &str = "AMLCTL_REFERENCE_DIR";
/// The variable that turns absent reference data into a failure.
pub const REQUIRE_VAR: &str = "AMLCTL_REQUIRE_REFERENCE";

/// The reference directory for a repository at `repo_root`, whether or not it exists.
pub fn root(repo_root: &Path) -> PathBuf {
    match std::env::var_os(DIR_VAR).filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => repo_root.join("../shared/reference"),
    }
}

/// `sub` (a file or folder under the reference directory), or `None` after printing the skip
/// line when it is absent. Panics instead when [`REQUIRE_VAR`] is `1`.
pub fn find(repo_root: &Path, sub: &str) -> Option<PathBuf> {
    let path = root(repo_root).join(sub);
    if path.exists() {
        return Some(path);
    }
    let required = std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1");
    let what = format!(
        "reference data `{sub}` not found at {} (set {DIR_VAR} to the folder holding it)",
        path.display()
    );
    if required {
        panic!("{what}; {REQUIRE_VAR}=1 makes this a failure");
    }
    // Written to the real stderr, not through the test harness's capture, so the skip is
    // visible in a passing run.
    let _ = writeln!(std::io::stderr(), "skipped: {what}");
    None
}
