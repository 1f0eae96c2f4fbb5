//! Files a manifest points at (`create_job: ./job.yml`, `component: ./train.yml`): resolving
//! them relative to the manifest and loading them as JSON.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::manifest::{Limits, LoadError, SourceTree, load, normalize};

use super::semantic::refs::strip_file_scheme;

/// Why a referenced YAML file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("`{}` does not exist", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}`: {source}", path.display())]
    Load {
        path: PathBuf,
        #[source]
        source: Box<LoadError>,
    },
    #[error("`{}` is empty or is not a YAML mapping", path.display())]
    NotAMapping { path: PathBuf },
}

/// The path `reference` names, relative to the directory of `from_file`.
pub fn resolve_relative(from_file: &Path, reference: &str) -> PathBuf {
    let base = from_file.parent().unwrap_or(Path::new(""));
    normalize(&base.join(strip_file_scheme(reference.trim())))
}

/// Loads the YAML file `reference` (relative to `from_file`) and converts it to JSON.
/// Returns the resolved path with the value. Used for schedules' `create_job` and pipeline
/// steps' `component`.
pub fn load_referenced(
    tree: &dyn SourceTree,
    from_file: &Path,
    reference: &str,
) -> Result<(PathBuf, Value), ReferenceError> {
    let path = resolve_relative(from_file, reference);
    if !tree.exists(&path) {
        return Err(ReferenceError::Missing { path });
    }
    let bytes = tree.read(&path).map_err(|source| ReferenceError::Read {
        path: path.clone(),
        source,
    })?;
    let loaded = load(&bytes, Limits::default()).map_err(|f| ReferenceError::Load {
        path: path.clone(),
        source: Box::new(f.error),
    })?;
    match loaded.root.map(|r| r.to_json()) {
        Some(v @ Value::Object(_)) => Ok((path, v)),
        _ => Err(ReferenceError::NotAMapping { path }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::MemoryTree;

    #[test]
    fn loads_relative_to_the_manifest() {
        let mut t = MemoryTree::new();
        t.insert("schedules/nightly.yml", "create_job: ../jobs/train.yml\n");
        t.insert(
            "jobs/train.yml",
            "command: echo\nenvironment: azureml:e:1\n",
        );
        t.insert("jobs/list.yml", "- a\n");
        let (path, v) =
            load_referenced(&t, Path::new("schedules/nightly.yml"), "../jobs/train.yml").unwrap();
        assert_eq!(path, PathBuf::from("jobs/train.yml"));
        assert_eq!(v["command"], "echo");
        assert!(matches!(
            load_referenced(&t, Path::new("schedules/nightly.yml"), "./nope.yml"),
            Err(ReferenceError::Missing { .. })
        ));
        assert!(matches!(
            load_referenced(&t, Path::new("jobs/x.yml"), "list.yml"),
            Err(ReferenceError::NotAMapping { .. })
        ));
    }
}
