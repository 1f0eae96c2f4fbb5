//! `plan --base REF`: what a branch changes, read from git.
//!
//! Two questions, answered separately:
//! - **which manifest files** the branch adds, modifies or deletes (a path comparison of the
//!   base commit with the working tree, `gitsrc::changed_matching`);
//! - **which resources** it changes: every address whose desired state (REST body, options,
//!   dependencies) differs between the manifests at the base and in the working tree, plus every
//!   resource declared (at the base or on the branch) by a changed manifest. The base's desired
//!   state is made by validating and translating the base commit's files from memory with the
//!   working tree's repo config and target, so a change to a file a manifest *uses* (a `code:`
//!   folder, a job file embedded by a schedule, a conda file) counts, and a comment-only edit of a
//!   manifest lists its resources (they plan as no-ops).
//!
//! The base is the merge base of `REF` and HEAD when the history at hand has one (a branch
//! checkout), else `REF` itself (a pull request's merge commit, or a shallow clone).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::config::{RepoConfig, ResolvedTarget};
use crate::desired::{TranslateContext, canonical_json};
use crate::gitsrc::{self, CommitId, GitError, GitRepo};
use crate::manifest::MemoryTree;
use crate::model::{DesiredResource, DesiredState, ResourceId};
use crate::plan::{ChangedManifest, GitChanges, ManifestChangeKind};

use super::{Loaded, load_desired};

/// The commit the working tree was made from, and whether it differs from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorktreeCommit {
    /// Full id of HEAD.
    pub head: String,
    /// A tracked file under the repo root is modified or deleted (staged or not), or a new file
    /// (untracked or staged) is a manifest. New files that are not manifests (a CI job's
    /// `plan.json`, a downloaded artifact) and amlctl's own `.amlctl/` do not count.
    pub dirty: bool,
}

impl WorktreeCommit {
    /// What a plan records: the commit id, with `-dirty` appended when the tree differs (as
    /// `git describe --dirty` does).
    pub fn marker(&self) -> String {
        if self.dirty {
            format!("{}-dirty", self.head)
        } else {
            self.head.to_string()
        }
    }

    /// The commit id of a plan's `commit` field (`None` for a dirty tree: its manifests are in
    /// no commit).
    pub fn clean_commit(recorded: &str) -> Option<&str> {
        (!recorded.ends_with("-dirty")).then_some(recorded)
    }
}

/// HEAD and the dirty marker of the work tree holding `repo`'s directory; `is_manifest` is the
/// repo config's rule (`config.manifests.is_manifest`).
pub fn worktree_commit(
    repo: &GitRepo,
    is_manifest: impl Fn(&str) -> bool,
) -> Result<WorktreeCommit, GitError> {
    let head = repo.head()?;
    // amlctl's own state (`.amlctl/`: the local workspace, locks, apply records) is not part of
    // what a plan is made from, even when no .gitignore says so.
    let state = format!("{}/", crate::config::STATE_DIR);
    let dirty = repo.changed_paths(&head)?.iter().any(|c| {
        !c.path.starts_with(&state) && (c.change != gitsrc::Change::Added || is_manifest(&c.path))
    });
    Ok(WorktreeCommit {
        head: head.to_string(),
        dirty,
    })
}

/// Validate and translate the manifests of `commit` (all of its files held in memory), with the
/// working tree's repo config and `target`.
pub fn load_at_commit(
    repo: &GitRepo,
    commit: &CommitId,
    config: &RepoConfig,
    target: &ResolvedTarget,
    ctx: &TranslateContext,
) -> Result<Loaded, GitError> {
    let files = repo.list_files(commit)?;
    let contents = repo.read_files(commit, &files)?;
    let mut tree = MemoryTree::new();
    let mut manifests = Vec::new();
    for (path, bytes) in contents {
        if config.manifests.is_manifest(&path) {
            manifests.push(PathBuf::from(&path));
        }
        tree.insert(&path, bytes);
    }
    Ok(load_desired(config, target, &tree, &manifests, ctx))
}

/// The commit `plan --base REF` compares with: the merge base of `REF` and HEAD when the history
/// has one, else `REF`. A missing `REF` says what to fetch.
pub fn base_commit(repo: &GitRepo, rev: &str) -> Result<CommitId, GitError> {
    let base = repo.resolve(rev)?;
    let head = repo.head()?;
    Ok(repo.merge_base(&base, &head)?.unwrap_or(base))
}

/// Compare the working tree's desired state (`head`) with the manifests at `base`.
pub fn compare_with_base(
    repo: &GitRepo,
    rev: &str,
    base: &CommitId,
    config: &RepoConfig,
    target: &ResolvedTarget,
    ctx: &TranslateContext,
    head: &DesiredState,
) -> Result<GitChanges, GitError> {
    let changed = repo.changed_matching(base, |p| config.manifests.is_manifest(p))?;
    let at_base = load_at_commit(repo, base, config, target, ctx)?;
    Ok(changes_between(
        rev,
        base.as_str(),
        &changed,
        &at_base.desired,
        head,
    ))
}

/// The pure part of [`compare_with_base`]: changed paths and both desired states in, the
/// [`GitChanges`] out.
pub fn changes_between(
    rev: &str,
    base: &str,
    changed: &[gitsrc::ChangedPath],
    at_base: &DesiredState,
    head: &DesiredState,
) -> GitChanges {
    let mut changed_resources = differing_resources(at_base, head);
    let base_files = by_file(at_base);
    let head_files = by_file(head);
    let mut manifests = Vec::new();
    for c in changed {
        let mut resources: BTreeSet<ResourceId> = BTreeSet::new();
        resources.extend(
            base_files
                .get(c.path.as_str())
                .into_iter()
                .flatten()
                .cloned(),
        );
        resources.extend(
            head_files
                .get(c.path.as_str())
                .into_iter()
                .flatten()
                .cloned(),
        );
        changed_resources.extend(resources.iter().cloned());
        manifests.push(ChangedManifest {
            path: c.path.clone(),
            change: match c.change {
                gitsrc::Change::Added => ManifestChangeKind::Added,
                gitsrc::Change::Modified => ManifestChangeKind::Modified,
                gitsrc::Change::Deleted => ManifestChangeKind::Deleted,
            },
            resources: resources.into_iter().collect(),
        });
    }
    manifests.sort_by(|a, b| a.path.cmp(&b.path));
    GitChanges {
        base: rev.to_owned(),
        base_commit: base.to_owned(),
        changed_only: false,
        manifests,
        changed_resources: changed_resources.into_iter().collect(),
    }
}

/// Addresses declared on one side only, or whose desired resource differs.
pub fn differing_resources(a: &DesiredState, b: &DesiredState) -> BTreeSet<ResourceId> {
    let mut out = BTreeSet::new();
    for (id, ra) in &a.resources {
        match b.resources.get(id) {
            Some(rb) if same(ra, rb) => {}
            _ => {
                out.insert(id.clone());
            }
        }
    }
    out.extend(
        b.resources
            .keys()
            .filter(|id| !a.resources.contains_key(*id))
            .cloned(),
    );
    out
}

fn same(a: &DesiredResource, b: &DesiredResource) -> bool {
    a.type_label == b.type_label
        && a.options == b.options
        && a.depends_on == b.depends_on
        && canonical_json(&a.body) == canonical_json(&b.body)
}

/// Resources per declaring manifest (`/`-separated path relative to the repo root).
fn by_file(state: &DesiredState) -> BTreeMap<String, Vec<ResourceId>> {
    let mut out: BTreeMap<String, Vec<ResourceId>> = BTreeMap::new();
    for r in state.resources.values() {
        out.entry(slash_path(&r.source.file))
            .or_default()
            .push(r.id.clone());
    }
    out
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, SourceLocation};
    use serde_json::json;

    fn resource(kind: Kind, name: &str, file: &str, body: serde_json::Value) -> DesiredResource {
        DesiredResource {
            id: ResourceId::new(kind, name),
            type_label: "AmlCompute".into(),
            body,
            secret_paths: vec![],
            source: SourceLocation {
                file: PathBuf::from(file),
                line: 1,
            },
            depends_on: Default::default(),
            options: Default::default(),
            assets: vec![],
        }
    }

    fn state(items: Vec<DesiredResource>) -> DesiredState {
        DesiredState {
            resources: items.into_iter().map(|r| (r.id.clone(), r)).collect(),
        }
    }

    #[test]
    fn changed_bodies_deleted_and_added_resources_and_comment_edits_count() {
        let base = state(vec![
            resource(Kind::Compute, "same", "c/same.yml", json!({"a": 1})),
            resource(Kind::Compute, "body", "c/body.yml", json!({"a": 1})),
            resource(Kind::Compute, "gone", "c/gone.yml", json!({"a": 1})),
            resource(Kind::Compute, "comment", "c/comment.yml", json!({"a": 1})),
        ]);
        let head = state(vec![
            resource(Kind::Compute, "same", "c/same.yml", json!({"a": 1})),
            resource(Kind::Compute, "body", "c/body.yml", json!({"a": 2})),
            resource(Kind::Compute, "new", "c/new.yml", json!({"a": 1})),
            resource(Kind::Compute, "comment", "c/comment.yml", json!({"a": 1})),
        ]);
        let changed = vec![
            gitsrc::ChangedPath {
                path: "c/comment.yml".into(),
                change: gitsrc::Change::Modified,
            },
            gitsrc::ChangedPath {
                path: "c/gone.yml".into(),
                change: gitsrc::Change::Deleted,
            },
            gitsrc::ChangedPath {
                path: "c/new.yml".into(),
                change: gitsrc::Change::Added,
            },
        ];
        let g = changes_between("main", &"ab".repeat(20), &changed, &base, &head);
        let names: Vec<&str> = g
            .changed_resources
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["body", "comment", "gone", "new"]);
        assert_eq!(g.manifests.len(), 3);
        assert_eq!(g.manifests[1].change, ManifestChangeKind::Deleted);
        assert_eq!(
            g.manifests[1].resources,
            vec![ResourceId::new(Kind::Compute, "gone")]
        );
    }

    #[test]
    fn dirty_marker() {
        let c = WorktreeCommit {
            head: "cd".repeat(20),
            dirty: true,
        };
        assert!(c.marker().ends_with("-dirty"));
        assert_eq!(WorktreeCommit::clean_commit(&c.marker()), None);
        let clean = WorktreeCommit { dirty: false, ..c };
        assert_eq!(
            WorktreeCommit::clean_commit(&clean.marker()),
            Some(clean.head.as_str())
        );
    }
}
