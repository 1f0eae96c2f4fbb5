//! Errors of reading git.

/// Why git could not answer.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run `git` (is it installed and on PATH?)")]
    Spawn(#[source] std::io::Error),

    #[error("`git {command}` failed: {stderr}")]
    Failed { command: String, stderr: String },

    #[error("`git {command}` failed")]
    Io {
        command: &'static str,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "revision `{rev}` is not in this clone{}; fetch it first: git fetch --depth=1 origin {}",
        if *shallow { " (it is a shallow clone)" } else { "" },
        fetch_name(rev)
    )]
    RevisionNotFound { rev: String, shallow: bool },

    #[error("`{rev}` is not a revision")]
    BadRevision { rev: String },

    #[error("path `{path}` cannot be read from git")]
    BadPath { path: String },

    #[error("`git {command}` listed a path that is not UTF-8: {path}")]
    NonUtf8Path { path: String, command: &'static str },
}

impl GitError {
    pub(crate) fn spawn(source: std::io::Error) -> GitError {
        GitError::Spawn(source)
    }

    pub(crate) fn io(command: &'static str) -> impl Fn(std::io::Error) -> GitError {
        move |source| GitError::Io { command, source }
    }

    pub(crate) fn failed(command: &str, stderr: &[u8]) -> GitError {
        GitError::Failed {
            command: command.to_owned(),
            stderr: String::from_utf8_lossy(stderr).trim().to_owned(),
        }
    }
}

/// What to name in `git fetch origin <name>`: `origin/main` → `main`, `refs/heads/x` → `x`.
fn fetch_name(rev: &str) -> &str {
    rev.strip_prefix("refs/remotes/origin/")
        .or_else(|| rev.strip_prefix("origin/"))
        .or_else(|| rev.strip_prefix("refs/heads/"))
        .unwrap_or(rev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_revision_says_what_to_fetch() {
        let e = GitError::RevisionNotFound {
            rev: "origin/main".into(),
            shallow: true,
        };
        let msg = e.to_string();
        assert!(msg.contains("git fetch --depth=1 origin main"), "{msg}");
        assert!(msg.contains("shallow"), "{msg}");
    }
}
