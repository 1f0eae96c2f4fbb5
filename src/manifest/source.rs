//! Where manifests are read from: the disk, or memory (e.g. the files of a git revision).
//!
//! Validation only ever touches files through a [`SourceTree`], so the same checks (including
//! "this relative path exists") run on a working copy and on an in-memory snapshot.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

/// A read-only tree of files.
pub trait SourceTree: Sync {
    /// The contents of a file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Whether a file or directory exists at `path`.
    fn exists(&self, path: &Path) -> bool;
    /// Whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool;
    /// The entries directly inside a directory, sorted.
    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>>;
}

/// The file system, paths used as given (relative to the current directory or absolute).
#[derive(Clone, Copy, Debug, Default)]
pub struct DiskTree;

impl SourceTree for DiskTree {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            out.push(entry?.path());
        }
        out.sort();
        Ok(out)
    }
}

/// Files held in memory, keyed by normalised relative path (`a/b.yml`). Directories are implied
/// by the files under them; the root is `.` (or the empty path).
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemoryTree {
    pub fn new() -> Self {
        MemoryTree::default()
    }

    /// Adds (or replaces) a file.
    pub fn insert(&mut self, path: impl AsRef<Path>, contents: impl Into<Vec<u8>>) {
        self.files.insert(normalize(path.as_ref()), contents.into());
    }
}

impl SourceTree for MemoryTree {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files.get(&normalize(path)).cloned().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} not found", path.display()),
            )
        })
    }

    fn exists(&self, path: &Path) -> bool {
        let p = normalize(path);
        self.files.contains_key(&p) || self.is_dir(&p)
    }

    fn is_dir(&self, path: &Path) -> bool {
        let p = normalize(path);
        if p.as_os_str().is_empty() {
            return true;
        }
        self.files.keys().any(|f| f.starts_with(&p) && f != &p)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let d = normalize(dir);
        if !self.is_dir(&d) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is not a directory", dir.display()),
            ));
        }
        let mut out: Vec<PathBuf> = self
            .files
            .keys()
            .filter_map(|f| f.strip_prefix(&d).ok())
            .filter_map(|rest| rest.components().next())
            .map(|first| d.join(first))
            .collect();
        out.dedup();
        Ok(out)
    }
}

/// Lexical normalisation: drops `.`, resolves `..` against earlier components.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_tree_lists_and_resolves() {
        let mut t = MemoryTree::new();
        t.insert("a/b.yml", "x: 1");
        t.insert("a/c/d.yml", "y: 2");
        t.insert("top.yml", "z: 3");
        assert!(t.is_dir(Path::new(".")));
        assert!(t.is_dir(Path::new("a")));
        assert!(t.exists(Path::new("./a/c/../b.yml")));
        assert!(!t.exists(Path::new("a/nope.yml")));
        assert_eq!(
            t.list(Path::new("a")).unwrap(),
            vec![PathBuf::from("a/b.yml"), PathBuf::from("a/c")]
        );
        assert_eq!(
            t.list(Path::new(".")).unwrap(),
            vec![PathBuf::from("a"), PathBuf::from("top.yml")]
        );
        assert_eq!(t.read(Path::new("a/c/d.yml")).unwrap(), b"y: 2");
    }
}
