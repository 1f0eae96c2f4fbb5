//! Reading manifests at a git revision, by running the `git` binary.
//!
//! Why the binary and not `git2`: every CI runner that checked the repo out has `git`; calling
//! it needs no C build (vendored libgit2 adds a cc build and ~15 crates), and it honours the
//! user's git config, credentials-free shallow clones, worktrees and `safe.directory` exactly
//! as the checkout that made them. Only plumbing commands with `-z` output are used, so
//! parsing does not depend on the git version's porcelain or the locale.
//!
//! All paths are relative to the directory the [`GitRepo`] was opened at (normally the repo
//! config's directory, which may be a subdirectory of the work tree), and use `/`.
//!
//! Invariant: read-only. Nothing here fetches, checks out or writes to the repository.

mod error;

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use error::GitError;

/// A full commit id (hex).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitId(String);

impl CommitId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 hex digits, for display.
    pub fn short(&self) -> &str {
        self.0.get(..12).unwrap_or(&self.0)
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a path differs between a revision and the working tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Not in the revision; in the working tree (tracked or untracked-but-not-ignored).
    Added,
    Modified,
    /// In the revision; gone from the working tree.
    Deleted,
}

/// One path that differs (renames are reported as a delete and an add).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChangedPath {
    pub path: String,
    pub change: Change,
}

/// A git work tree, seen from one directory inside it.
#[derive(Clone, Debug)]
pub struct GitRepo {
    dir: PathBuf,
    /// `dir` relative to the work tree root, with a trailing `/` (empty at the root).
    prefix: String,
    toplevel: PathBuf,
}

impl GitRepo {
    /// Open the work tree containing `dir`. Fails when `dir` is not in a git work tree or git is
    /// not installed.
    pub fn open(dir: &Path) -> Result<GitRepo, GitError> {
        let dir = dir.to_path_buf();
        let out = run_git(&dir, &["rev-parse", "--show-toplevel", "--show-prefix"])?;
        let text = utf8(out, "rev-parse")?;
        let mut lines = text.lines();
        let toplevel = PathBuf::from(lines.next().unwrap_or_default());
        let prefix = lines.next().unwrap_or_default().to_owned();
        Ok(GitRepo {
            dir,
            prefix,
            toplevel,
        })
    }

    /// The directory the repo was opened at.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The root of the work tree.
    pub fn toplevel(&self) -> &Path {
        &self.toplevel
    }

    /// The commit `HEAD` points at.
    pub fn head(&self) -> Result<CommitId, GitError> {
        self.resolve("HEAD")
    }

    /// Resolve a revision (branch, tag, `origin/main`, sha, `HEAD~1`) to a commit. A missing
    /// revision is [`GitError::RevisionNotFound`], whose message says what to fetch.
    pub fn resolve(&self, rev: &str) -> Result<CommitId, GitError> {
        check_rev(rev)?;
        let spec = format!("{rev}^{{commit}}");
        let output = git_command(&self.dir)
            .args(["rev-parse", "--verify", "--quiet", &spec])
            .output()
            .map_err(GitError::spawn)?;
        if output.status.success() {
            let id = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            if id.len() >= 40 && id.chars().all(|c| c.is_ascii_hexdigit()) {
                return Ok(CommitId(id));
            }
        }
        Err(GitError::RevisionNotFound {
            rev: rev.to_owned(),
            shallow: self.is_shallow().unwrap_or(false),
        })
    }

    /// Whether this is a shallow clone (CI checkouts usually are).
    pub fn is_shallow(&self) -> Result<bool, GitError> {
        let out = run_git(&self.dir, &["rev-parse", "--is-shallow-repository"])?;
        Ok(utf8(out, "rev-parse")?.trim() == "true")
    }

    /// The best common ancestor of two commits, if the history at hand has one (a shallow
    /// clone may not).
    pub fn merge_base(&self, a: &CommitId, b: &CommitId) -> Result<Option<CommitId>, GitError> {
        let output = git_command(&self.dir)
            .args(["merge-base", a.as_str(), b.as_str()])
            .output()
            .map_err(GitError::spawn)?;
        match output.status.code() {
            Some(0) => Ok(Some(CommitId(
                String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            ))),
            Some(1) => Ok(None),
            _ => Err(GitError::failed("merge-base", &output.stderr)),
        }
    }

    /// The files under the opened directory at `commit`, relative to it, sorted.
    pub fn list_files(&self, commit: &CommitId) -> Result<Vec<String>, GitError> {
        let out = run_git(
            &self.dir,
            &[
                "ls-tree",
                "-r",
                "-z",
                "--name-only",
                commit.as_str(),
                "--",
                ".",
            ],
        )?;
        let mut files = split_z(out, "ls-tree")?;
        files.sort();
        Ok(files)
    }

    /// The files of the working tree under the opened directory, as git sees them: tracked
    /// files that still exist plus untracked ones that are not ignored (`.gitignore` honoured),
    /// relative to the opened directory, sorted.
    pub fn worktree_files(&self) -> Result<Vec<String>, GitError> {
        let out = run_git(
            &self.dir,
            &[
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
                "--",
                ".",
            ],
        )?;
        let mut files: Vec<String> = split_z(out, "ls-files")?
            .into_iter()
            .filter(|p| self.dir.join(p).is_file())
            .collect();
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// Read one file at `commit`; `None` when it does not exist there.
    pub fn read_file(&self, commit: &CommitId, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let mut files = self.read_files(commit, &[path.to_owned()])?;
        Ok(files.remove(path))
    }

    /// Read several files at `commit` with one `git cat-file --batch`. Paths that do not exist
    /// at that commit are absent from the result.
    pub fn read_files(
        &self,
        commit: &CommitId,
        paths: &[String],
    ) -> Result<BTreeMap<String, Vec<u8>>, GitError> {
        let mut out = BTreeMap::new();
        if paths.is_empty() {
            return Ok(out);
        }
        for path in paths {
            if path.contains('\n') {
                return Err(GitError::BadPath { path: path.clone() });
            }
        }
        let mut child = git_command(&self.dir)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(GitError::spawn)?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| GitError::failed("cat-file", b"no stdin"))?;
        let request: String = paths
            .iter()
            .map(|p| format!("{commit}:{}{p}\n", self.prefix))
            .collect();
        // Write from a thread: git answers while we write, and both pipes are bounded.
        let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| GitError::failed("cat-file", b"no stdout"))?;
        let mut reader = BufReader::new(stdout);
        let mut header = String::new();
        for path in paths {
            header.clear();
            if reader
                .read_line(&mut header)
                .map_err(GitError::io("cat-file"))?
                == 0
            {
                return Err(GitError::failed("cat-file", b"output ended early"));
            }
            let fields: Vec<&str> = header.trim_end().split(' ').collect();
            match fields.as_slice() {
                [_, "missing"] | [_, "ambiguous"] => continue,
                [_, "blob", size] => {
                    let size: usize = size
                        .parse()
                        .map_err(|_| GitError::failed("cat-file", header.as_bytes()))?;
                    let mut content = vec![0; size + 1];
                    reader
                        .read_exact(&mut content)
                        .map_err(GitError::io("cat-file"))?;
                    content.truncate(size);
                    out.insert(path.clone(), content);
                }
                [_, _kind, size] => {
                    // A tree or submodule at that path: not a file; skip its body.
                    let size: u64 = size
                        .parse()
                        .map_err(|_| GitError::failed("cat-file", header.as_bytes()))?;
                    std::io::copy(&mut (&mut reader).take(size + 1), &mut std::io::sink())
                        .map_err(GitError::io("cat-file"))?;
                }
                _ => return Err(GitError::failed("cat-file", header.as_bytes())),
            }
        }
        writer
            .join()
            .map_err(|_| GitError::failed("cat-file", b"writer thread panicked"))?
            .map_err(GitError::io("cat-file"))?;
        let status = child.wait().map_err(GitError::io("cat-file"))?;
        if !status.success() {
            let mut err = Vec::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_end(&mut err);
            }
            return Err(GitError::failed("cat-file", &err));
        }
        Ok(out)
    }

    /// The files at `commit` that `is_manifest` accepts (paths relative to the opened
    /// directory, e.g. `config.manifests.is_manifest`), with their contents.
    pub fn read_matching(
        &self,
        commit: &CommitId,
        is_manifest: impl Fn(&str) -> bool,
    ) -> Result<BTreeMap<String, Vec<u8>>, GitError> {
        let paths: Vec<String> = self
            .list_files(commit)?
            .into_iter()
            .filter(|p| is_manifest(p))
            .collect();
        self.read_files(commit, &paths)
    }

    /// [`GitRepo::changed_paths`] restricted to the paths `is_manifest` accepts.
    pub fn changed_matching(
        &self,
        base: &CommitId,
        is_manifest: impl Fn(&str) -> bool,
    ) -> Result<Vec<ChangedPath>, GitError> {
        Ok(self
            .changed_paths(base)?
            .into_iter()
            .filter(|c| is_manifest(&c.path))
            .collect())
    }

    /// Paths under the opened directory that differ between `base` and the working tree
    /// (tracked changes, staged or not, plus untracked files that are not ignored), sorted.
    /// This compares trees directly; for "what a branch changes" on a branch checkout, pass the
    /// [`GitRepo::merge_base`] (a pull request's merge commit needs no such step).
    pub fn changed_paths(&self, base: &CommitId) -> Result<Vec<ChangedPath>, GitError> {
        let out = run_git(
            &self.dir,
            &[
                "diff",
                "--name-status",
                "-z",
                "--no-renames",
                "--relative",
                base.as_str(),
                "--",
                ".",
            ],
        )?;
        let fields = split_z(out, "diff")?;
        let mut changes = Vec::new();
        let mut it = fields.into_iter();
        while let Some(status) = it.next() {
            let Some(path) = it.next() else {
                return Err(GitError::failed("diff", status.as_bytes()));
            };
            let change = match status.chars().next() {
                Some('A') => Change::Added,
                Some('D') => Change::Deleted,
                _ => Change::Modified,
            };
            changes.push(ChangedPath { path, change });
        }
        let untracked = run_git(
            &self.dir,
            &[
                "ls-files",
                "-z",
                "--others",
                "--exclude-standard",
                "--",
                ".",
            ],
        )?;
        for path in split_z(untracked, "ls-files")? {
            changes.push(ChangedPath {
                path,
                change: Change::Added,
            });
        }
        changes.sort();
        changes.dedup();
        Ok(changes)
    }
}

/// Revisions come from the command line: refuse anything git could take for an option.
fn check_rev(rev: &str) -> Result<(), GitError> {
    if rev.is_empty() || rev.starts_with('-') || rev.contains(['\n', '\0']) {
        return Err(GitError::BadRevision {
            rev: rev.to_owned(),
        });
    }
    Ok(())
}

fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(["-c", "core.quotepath=off"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    cmd
}

fn run_git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let output = git_command(dir)
        .args(args)
        .output()
        .map_err(GitError::spawn)?;
    if !output.status.success() {
        let what = args.first().copied().unwrap_or("git");
        return Err(GitError::failed(what, &output.stderr));
    }
    Ok(output.stdout)
}

fn utf8(bytes: Vec<u8>, what: &'static str) -> Result<String, GitError> {
    String::from_utf8(bytes).map_err(|_| GitError::failed(what, b"output is not UTF-8"))
}

fn split_z(bytes: Vec<u8>, what: &'static str) -> Result<Vec<String>, GitError> {
    bytes
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| {
            String::from_utf8(s.to_vec()).map_err(|_| GitError::NonUtf8Path {
                path: String::from_utf8_lossy(s).into_owned(),
                command: what,
            })
        })
        .collect()
}
