//! The repo config (`amlctl.yaml`) and targets.
//!
//! - [`RepoConfig::discover`] finds the config by walking up from a directory, like git finds
//!   `.git`, and stops at the repository boundary (the first directory holding `.git`) or the
//!   filesystem root. Without a file, an implicit config is used: default globs, only the
//!   built-in `local` target.
//! - [`RepoConfig::resolve_target`] turns `--target`/flags/`AMLCTL_*` into a [`ResolvedTarget`].
//! - [`apply_overrides`] merges per-target values into a manifest before translation.
//! - [`Secret`]/[`SecretRef`]: secret references, resolved from the environment only on demand.
//!
//! Invariant: nothing here does network I/O or prints; secret values are never stored in a
//! [`RepoConfig`] or [`ResolvedTarget`], only their references. See `docs/config.md`.

mod error;
mod file;
pub mod glob;
pub mod overrides;
pub mod secret;
pub mod target;
mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use error::{ConfigError, SecretError};
pub use file::FORMAT_VERSION;
pub use glob::{Glob, GlobError, ManifestSet};
pub use secret::{EnvLookup, Secret, SecretRef, SecretSite, process_env};
pub use target::{
    ADHOC_TARGET, OptionsPatch, RemoteTarget, ResolvedTarget, TargetConfig, TargetKind,
    TargetSelection, apply_overrides, secret_sites,
};

use crate::model::ResourceId;

/// File names looked for, in each directory, while walking up.
pub const CONFIG_FILE_NAMES: [&str; 2] = ["amlctl.yaml", "amlctl.yml"];
/// The built-in target: the embedded workspace.
pub const LOCAL_TARGET: &str = "local";
/// Directory (under the repo root) holding the local target's state.
pub const STATE_DIR: &str = ".amlctl";

/// The repo config: which files are manifests, the targets, amlctl-only resource options.
#[derive(Clone, Debug, PartialEq)]
pub struct RepoConfig {
    /// The config's directory (manifest globs and `ca_file`s are relative to it); without a
    /// config file, the git work tree root, or else the directory discovery started from.
    pub root: PathBuf,
    /// The config file, when there is one.
    pub file: Option<PathBuf>,
    pub manifests: ManifestSet,
    pub default_target: Option<String>,
    /// amlctl-only options for all targets.
    pub resources: BTreeMap<ResourceId, OptionsPatch>,
    pub targets: BTreeMap<String, TargetConfig>,
}

impl RepoConfig {
    /// Find and load the config for `start` (see the module docs for where the walk stops).
    pub fn discover(start: &Path) -> Result<RepoConfig, ConfigError> {
        let start = std::path::absolute(start).map_err(|source| ConfigError::Read {
            path: start.to_path_buf(),
            source,
        })?;
        match find_config_file(&start)? {
            Found::File(path) => RepoConfig::load(&path),
            Found::None { root } => Ok(file::implicit(root)),
        }
    }

    /// Load a config file given explicitly (`--config`).
    pub fn load(path: &Path) -> Result<RepoConfig, ConfigError> {
        let path = std::path::absolute(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        RepoConfig::parse(&text, &path)
    }

    /// Parse config text as if read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<RepoConfig, ConfigError> {
        file::parse(text, path)
    }

    /// The manifest files in the working tree, relative to [`RepoConfig::root`], sorted.
    pub fn manifest_files(&self) -> Result<Vec<PathBuf>, ConfigError> {
        self.manifests.list(&self.root)
    }

    /// The name of the target used when none is asked for.
    pub fn default_target_name(&self) -> &str {
        self.default_target.as_deref().unwrap_or(LOCAL_TARGET)
    }
}

enum Found {
    File(PathBuf),
    None { root: PathBuf },
}

fn find_config_file(start: &Path) -> Result<Found, ConfigError> {
    for dir in start.ancestors() {
        let candidates: Vec<PathBuf> = CONFIG_FILE_NAMES
            .iter()
            .map(|n| dir.join(n))
            .filter(|p| p.is_file())
            .collect();
        if let [one] = candidates.as_slice() {
            return Ok(Found::File(one.clone()));
        }
        if candidates.len() > 1 {
            return Err(ConfigError::Invalid {
                path: dir.to_path_buf(),
                line: None,
                at: String::new(),
                message: format!("both {} exist; keep one", CONFIG_FILE_NAMES.join(" and ")),
            });
        }
        if dir.join(".git").exists() {
            return Ok(Found::None {
                root: dir.to_path_buf(),
            });
        }
    }
    Ok(Found::None {
        root: start.to_path_buf(),
    })
}
