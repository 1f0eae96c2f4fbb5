//! Which files to check: named files as they are, directories walked for `*.yml`/`*.yaml`.
//! Hidden entries (`.git`, `.github`, ...) are skipped; depth is bounded (symlink loops).

use std::path::{Path, PathBuf};

use crate::manifest::SourceTree;

const MAX_DEPTH: usize = 32;

/// Files to check with "named explicitly", and paths that could not be used with why.
pub type Collected = (Vec<(PathBuf, bool)>, Vec<(PathBuf, String)>);

/// `(path, named explicitly)` for every file to check, sorted within each directory, plus
/// an error message per path that could not be used.
pub fn collect(tree: &dyn SourceTree, paths: &[PathBuf]) -> Collected {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if tree.is_dir(p) {
            walk(tree, p, 0, &mut files, &mut errors);
        } else if tree.exists(p) {
            files.push((p.clone(), true));
        } else {
            errors.push((p.clone(), "no such file or directory".to_owned()));
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|(p, _)| seen.insert(crate::manifest::normalize(p)));
    (files, errors)
}

fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
}

fn hidden(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
}

fn walk(
    tree: &dyn SourceTree,
    dir: &Path,
    depth: usize,
    files: &mut Vec<(PathBuf, bool)>,
    errors: &mut Vec<(PathBuf, String)>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let entries = match tree.list(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push((dir.to_path_buf(), format!("cannot list directory: {e}")));
            return;
        }
    };
    for entry in entries {
        if hidden(&entry) {
            continue;
        }
        if tree.is_dir(&entry) {
            walk(tree, &entry, depth + 1, files, errors);
        } else if is_yaml(&entry) {
            files.push((entry, false));
        }
    }
}
