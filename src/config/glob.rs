//! Which files are manifests: a small glob matcher (`**`, `*`, `?`, `{a,b}`) and the directory
//! walk. Paths are relative to the config's directory and always use `/`.
//!
//! Never manifests, whatever the globs say: any path with a segment starting with `.`
//! (`.git/`, `.github/`, `.amlctl/`, dotfiles), the directories `target/` and `node_modules/`,
//! and the config file itself.

use std::path::{Path, PathBuf};

use super::ConfigError;

/// Globs used when `manifests:` is not given.
pub const DEFAULT_MANIFEST_GLOBS: [&str; 2] = ["**/*.yml", "**/*.yaml"];

/// Directory names never descended into (besides every name starting with `.`).
pub const IGNORED_DIRS: [&str; 2] = ["target", "node_modules"];

/// One compiled glob pattern (brace alternatives expanded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    source: String,
    alternatives: Vec<Vec<String>>,
}

/// Why a glob is not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad glob `{glob}`: {reason}")]
pub struct GlobError {
    pub glob: String,
    pub reason: &'static str,
}

impl Glob {
    pub fn new(pattern: &str) -> Result<Glob, GlobError> {
        let bad = |reason| GlobError {
            glob: pattern.to_owned(),
            reason,
        };
        if pattern.is_empty() {
            return Err(bad("empty pattern"));
        }
        if pattern.starts_with('/') || pattern.contains('\\') {
            return Err(bad(
                "globs are relative to the config's directory and use `/`",
            ));
        }
        if pattern.split('/').any(|s| s == "..") {
            return Err(bad(
                "`..` is not allowed: manifests live under the config's directory",
            ));
        }
        let alternatives = expand_braces(pattern).map_err(bad)?;
        let alternatives = alternatives
            .into_iter()
            .map(|p| {
                p.split('/')
                    .filter(|s| !s.is_empty() && *s != ".")
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        Ok(Glob {
            source: pattern.to_owned(),
            alternatives,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `path` (relative, `/`-separated) matches.
    pub fn matches(&self, path: &str) -> bool {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.alternatives
            .iter()
            .any(|pattern| match_segments(pattern, &segments))
    }
}

/// `a{b,c}d` → `abd`, `acd`. One level of braces, several groups allowed.
fn expand_braces(pattern: &str) -> Result<Vec<String>, &'static str> {
    let Some(open) = pattern.find('{') else {
        if pattern.contains('}') {
            return Err("unmatched `}`");
        }
        return Ok(vec![pattern.to_owned()]);
    };
    let close = pattern[open..]
        .find('}')
        .map(|i| open + i)
        .ok_or("unmatched `{`")?;
    let inner = &pattern[open + 1..close];
    if inner.contains('{') {
        return Err("nested braces are not supported");
    }
    let rest = expand_braces(&pattern[close + 1..])?;
    let mut out = Vec::new();
    for choice in inner.split(',') {
        for tail in &rest {
            out.push(format!("{}{choice}{tail}", &pattern[..open]));
        }
    }
    Ok(out)
}

fn match_segments(pattern: &[String], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => {
            (0..=path.len()).any(|skip| match_segments(rest, &path[skip..]))
        }
        Some((first, rest)) => match path.split_first() {
            Some((seg, path_rest)) => match_segment(first, seg) && match_segments(rest, path_rest),
            None => false,
        },
    }
}

/// Wildcard match within one segment: `*` any run of characters, `?` exactly one.
fn match_segment(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The set of manifest files of a repo config: include globs minus exclude globs minus the
/// paths that are never manifests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestSet {
    include: Vec<Glob>,
    exclude: Vec<Glob>,
    /// The config file's name (relative to the root), never a manifest.
    config_file: Option<String>,
}

impl ManifestSet {
    pub fn new(include: Vec<Glob>, exclude: Vec<Glob>, config_file: Option<String>) -> Self {
        ManifestSet {
            include,
            exclude,
            config_file,
        }
    }

    /// The default set: [`DEFAULT_MANIFEST_GLOBS`], no excludes.
    pub fn default_globs(config_file: Option<String>) -> Self {
        let include = DEFAULT_MANIFEST_GLOBS
            .iter()
            .filter_map(|g| Glob::new(g).ok())
            .collect();
        ManifestSet {
            include,
            exclude: Vec::new(),
            config_file,
        }
    }

    pub fn include(&self) -> &[Glob] {
        &self.include
    }

    pub fn exclude(&self) -> &[Glob] {
        &self.exclude
    }

    /// Whether a path relative to the config's directory (`/`-separated) is a manifest.
    /// Used both for the working tree and for file lists read from git.
    pub fn is_manifest(&self, rel: &str) -> bool {
        let rel = rel.trim_start_matches("./");
        if self.config_file.as_deref() == Some(rel) {
            return false;
        }
        let segments: Vec<&str> = rel.split('/').collect();
        if segments.iter().any(|s| s.starts_with('.') || s.is_empty()) {
            return false;
        }
        if segments[..segments.len().saturating_sub(1)]
            .iter()
            .any(|s| IGNORED_DIRS.contains(s))
        {
            return false;
        }
        self.include.iter().any(|g| g.matches(rel)) && !self.exclude.iter().any(|g| g.matches(rel))
    }

    /// Walk `root` and return the manifest files, relative to `root`, sorted. Symlinked
    /// directories are not followed.
    pub fn list(&self, root: &Path) -> Result<Vec<PathBuf>, ConfigError> {
        let mut out = Vec::new();
        self.walk(root, root, &mut out)?;
        out.sort();
        Ok(out)
    }

    fn walk(&self, root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ConfigError> {
        let walk_err = |source| ConfigError::Walk {
            dir: dir.to_path_buf(),
            source,
        };
        for entry in std::fs::read_dir(dir).map_err(walk_err)? {
            let entry = entry.map_err(walk_err)?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') {
                continue;
            }
            let file_type = entry.file_type().map_err(walk_err)?;
            let path = entry.path();
            if file_type.is_dir() {
                if !IGNORED_DIRS.contains(&name) {
                    self.walk(root, &path, out)?;
                }
                continue;
            }
            let is_file = file_type.is_file() || (file_type.is_symlink() && path.is_file());
            if !is_file {
                continue;
            }
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let Some(rel_str) = rel.to_str() else {
                continue;
            };
            let rel_str = rel_str.replace(std::path::MAIN_SEPARATOR, "/");
            if self.is_manifest(&rel_str) {
                out.push(PathBuf::from(rel_str));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &str) -> Glob {
        Glob::new(p).unwrap()
    }

    #[test]
    fn double_star_matches_any_depth() {
        assert!(g("**/*.yml").matches("a.yml"));
        assert!(g("**/*.yml").matches("x/y/a.yml"));
        assert!(!g("**/*.yml").matches("x/y/a.yaml"));
        assert!(g("ml/**/compute/*.yml").matches("ml/compute/a.yml"));
        assert!(g("ml/**/compute/*.yml").matches("ml/a/b/compute/a.yml"));
        assert!(!g("ml/**/compute/*.yml").matches("other/compute/a.yml"));
    }

    #[test]
    fn star_and_question_stay_in_one_segment() {
        assert!(g("*.yml").matches("a.yml"));
        assert!(!g("*.yml").matches("x/a.yml"));
        assert!(g("job-?.yml").matches("job-1.yml"));
        assert!(!g("job-?.yml").matches("job-12.yml"));
        assert!(g("a*b*c").matches("aXXbYYc"));
        assert!(!g("a*b*c").matches("aXXbYY"));
    }

    #[test]
    fn braces_expand() {
        let glob = g("**/*.{yml,yaml}");
        assert!(glob.matches("a/b.yml"));
        assert!(glob.matches("a/b.yaml"));
        assert!(!glob.matches("a/b.json"));
    }

    #[test]
    fn bad_globs_rejected() {
        assert!(Glob::new("").is_err());
        assert!(Glob::new("/abs/*.yml").is_err());
        assert!(Glob::new("../up/*.yml").is_err());
        assert!(Glob::new("a{b").is_err());
        assert!(Glob::new("a{b{c}}").is_err());
    }

    #[test]
    fn never_manifests() {
        let set = ManifestSet::default_globs(Some("amlctl.yaml".into()));
        assert!(set.is_manifest("compute/cpu.yml"));
        assert!(!set.is_manifest("amlctl.yaml"));
        assert!(!set.is_manifest(".github/workflows/ci.yml"));
        assert!(!set.is_manifest("a/.hidden.yml"));
        assert!(!set.is_manifest("target/x.yml"));
        assert!(!set.is_manifest("web/node_modules/p/x.yaml"));
        assert!(set.is_manifest("target.yml"));
    }

    #[test]
    fn excludes_win() {
        let set = ManifestSet::new(vec![g("**/*.yml")], vec![g("experimental/**")], None);
        assert!(set.is_manifest("prod/a.yml"));
        assert!(!set.is_manifest("experimental/a.yml"));
        assert!(!set.is_manifest("experimental/deep/a.yml"));
    }
}
