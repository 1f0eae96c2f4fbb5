//! Reading manifests at a git revision, with a throwaway repository of two commits.

use std::fs;
use std::path::Path;
use std::process::Command;

use amlctl::gitsrc::{Change, ChangedPath, GitError, GitRepo};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A repo whose manifests live in `ml/` (the config's directory, a subdirectory of the work
/// tree). Commit 1: a.yml, b.yml, gone.yml. Commit 2: b.yml changed, gone.yml deleted, c.yml added.
struct Fixture {
    _tmp: tempfile::TempDir,
    top: std::path::PathBuf,
    first: String,
    second: String,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let top = tmp.path().join("repo");
    fs::create_dir_all(&top).unwrap();
    git(&top, &["init", "-q", "-b", "main"]);
    write(&top.join("README.md"), "outside ml/\n");
    write(&top.join("ml/a.yml"), "name: a\n");
    write(&top.join("ml/b.yml"), "name: b\nsize: small\n");
    write(&top.join("ml/gone.yml"), "name: gone\n");
    write(&top.join("ml/sub dir/ünï.yml"), "name: unicode\n");
    git(&top, &["add", "."]);
    git(&top, &["commit", "-q", "-m", "one"]);
    let first = git(&top, &["rev-parse", "HEAD"]);
    write(&top.join("ml/b.yml"), "name: b\nsize: large\n");
    fs::remove_file(top.join("ml/gone.yml")).unwrap();
    write(&top.join("ml/c.yml"), "name: c\n");
    git(&top, &["add", "-A"]);
    git(&top, &["commit", "-q", "-m", "two"]);
    let second = git(&top, &["rev-parse", "HEAD"]);
    Fixture {
        _tmp: tmp,
        top,
        first,
        second,
    }
}

#[test]
fn resolves_head_and_revisions() {
    let f = fixture();
    let repo = GitRepo::open(&f.top.join("ml")).unwrap();
    assert_eq!(repo.head().unwrap().as_str(), f.second);
    assert_eq!(repo.resolve("HEAD~1").unwrap().as_str(), f.first);
    assert_eq!(repo.resolve("main").unwrap().as_str(), f.second);
    assert_eq!(repo.resolve(&f.first[..10]).unwrap().as_str(), f.first);
    assert_eq!(repo.head().unwrap().short(), &f.second[..12]);
    assert_eq!(
        repo.toplevel().canonicalize().unwrap(),
        f.top.canonicalize().unwrap()
    );
}

#[test]
fn lists_and_reads_files_at_a_revision_relative_to_the_opened_dir() {
    let f = fixture();
    let repo = GitRepo::open(&f.top.join("ml")).unwrap();
    let first = repo.resolve("HEAD~1").unwrap();
    assert_eq!(
        repo.list_files(&first).unwrap(),
        vec!["a.yml", "b.yml", "gone.yml", "sub dir/ünï.yml"]
    );
    let head = repo.head().unwrap();
    assert_eq!(
        repo.list_files(&head).unwrap(),
        vec!["a.yml", "b.yml", "c.yml", "sub dir/ünï.yml"]
    );

    assert_eq!(
        repo.read_file(&first, "b.yml").unwrap().as_deref(),
        Some(&b"name: b\nsize: small\n"[..])
    );
    assert_eq!(
        repo.read_file(&head, "b.yml").unwrap().as_deref(),
        Some(&b"name: b\nsize: large\n"[..])
    );
    assert_eq!(repo.read_file(&head, "gone.yml").unwrap(), None);

    let paths: Vec<String> = [
        "a.yml",
        "gone.yml",
        "sub dir/ünï.yml",
        "sub dir",
        "missing.yml",
    ]
    .map(String::from)
    .to_vec();
    let files = repo.read_files(&first, &paths).unwrap();
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        vec!["a.yml", "gone.yml", "sub dir/ünï.yml"],
        "trees and missing paths are left out"
    );
    assert_eq!(files["sub dir/ünï.yml"], b"name: unicode\n");
}

#[test]
fn changed_paths_between_a_revision_and_the_working_tree() {
    let f = fixture();
    let repo = GitRepo::open(&f.top.join("ml")).unwrap();
    let first = repo.resolve(&f.first).unwrap();
    // Uncommitted edits count too: one modified, one untracked, one ignored (not listed).
    write(&f.top.join("ml/a.yml"), "name: a\nsize: medium\n");
    write(&f.top.join("ml/new.yml"), "name: new\n");
    write(&f.top.join(".gitignore"), "ml/ignored.yml\n");
    write(&f.top.join("ml/ignored.yml"), "name: ignored\n");
    write(&f.top.join("outside.yml"), "not under ml/\n");

    let changed = repo.changed_paths(&first).unwrap();
    let expected = vec![
        ChangedPath {
            path: "a.yml".into(),
            change: Change::Modified,
        },
        ChangedPath {
            path: "b.yml".into(),
            change: Change::Modified,
        },
        ChangedPath {
            path: "c.yml".into(),
            change: Change::Added,
        },
        ChangedPath {
            path: "gone.yml".into(),
            change: Change::Deleted,
        },
        ChangedPath {
            path: "new.yml".into(),
            change: Change::Added,
        },
    ];
    assert_eq!(changed, expected);

    let worktree = repo.worktree_files().unwrap();
    assert_eq!(
        worktree,
        vec!["a.yml", "b.yml", "c.yml", "new.yml", "sub dir/ünï.yml"],
        "ignored files are not listed"
    );

    let head = repo.head().unwrap();
    let since_head: Vec<String> = repo
        .changed_paths(&head)
        .unwrap()
        .into_iter()
        .map(|c| c.path)
        .collect();
    assert_eq!(since_head, vec!["a.yml", "new.yml"]);
}

#[test]
fn manifests_at_a_revision_with_the_repo_config_rules() {
    let f = fixture();
    write(&f.top.join("ml/amlctl.yaml"), "exclude: ['sub dir/**']\n");
    write(&f.top.join("ml/notes.md"), "not yaml\n");
    let config = amlctl::config::RepoConfig::discover(&f.top.join("ml")).unwrap();
    let repo = GitRepo::open(&config.root).unwrap();
    let first = repo.resolve("HEAD~1").unwrap();

    let files = repo
        .read_matching(&first, |p| config.manifests.is_manifest(p))
        .unwrap();
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(names, vec!["a.yml", "b.yml", "gone.yml"]);

    // The untracked config and notes are changes, but not manifests.
    let changed: Vec<String> = repo
        .changed_matching(&first, |p| config.manifests.is_manifest(p))
        .unwrap()
        .into_iter()
        .map(|c| c.path)
        .collect();
    assert_eq!(changed, vec!["b.yml", "c.yml", "gone.yml"]);
}

#[test]
fn merge_base_of_a_branch() {
    let f = fixture();
    git(&f.top, &["checkout", "-q", "-b", "feature", &f.first]);
    write(&f.top.join("ml/a.yml"), "name: a\nsize: feature\n");
    git(&f.top, &["commit", "-q", "-am", "feature"]);
    let repo = GitRepo::open(&f.top).unwrap();
    let main = repo.resolve("main").unwrap();
    let head = repo.head().unwrap();
    assert_eq!(
        repo.merge_base(&main, &head)
            .unwrap()
            .map(|c| c.to_string()),
        Some(f.first.clone())
    );
}

#[test]
fn missing_revision_in_a_shallow_clone_says_what_to_fetch() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("clone");
    let url = format!("file://{}", f.top.display());
    git(
        tmp.path(),
        &["clone", "-q", "--depth=1", &url, clone.to_str().unwrap()],
    );
    let repo = GitRepo::open(&clone).unwrap();
    assert!(repo.is_shallow().unwrap());

    let err = repo.resolve("origin/release").unwrap_err();
    assert!(
        matches!(err, GitError::RevisionNotFound { shallow: true, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("git fetch --depth=1 origin release"), "{msg}");

    let err = repo.resolve(&f.first).unwrap_err().to_string();
    assert!(
        err.contains(&format!("git fetch --depth=1 origin {}", f.first)),
        "{err}"
    );
}

#[test]
fn option_like_revisions_are_refused() {
    let f = fixture();
    let repo = GitRepo::open(&f.top).unwrap();
    assert!(matches!(
        repo.resolve("--output=/tmp/x"),
        Err(GitError::BadRevision { .. })
    ));
    assert!(matches!(
        repo.resolve(""),
        Err(GitError::BadRevision { .. })
    ));
}

#[test]
fn outside_a_work_tree_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = GitRepo::open(tmp.path()).unwrap_err();
    assert!(matches!(err, GitError::Failed { .. }), "{err:?}");
}
