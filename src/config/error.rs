//! Errors of the repo config: every variant names the file (or the flag/variable) at fault.

use std::path::PathBuf;

/// Why the repo config or a target could not be loaded or resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}:{line}:{column}: invalid YAML: {message}", path.display())]
    Yaml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    /// The YAML is well formed but does not describe a valid config. `at` is the dotted path of
    /// the offending entry (`targets.prod`, `resources.compute.cpu`), empty for the top level.
    /// `line` is the line of the entry (or of its nearest parent that has one).
    #[error(
        "{}{}: {}{message}",
        path.display(),
        line.map(|l| format!(":{l}")).unwrap_or_default(),
        if at.is_empty() { String::new() } else { format!("{at}: ") }
    )]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        at: String,
        message: String,
    },

    #[error("unknown target `{name}`; {}", known_targets(known))]
    UnknownTarget { name: String, known: Vec<String> },

    #[error(
        "the target given by flags/environment is incomplete: missing {}; set {}",
        missing.join(", "),
        missing.iter().map(|m| adhoc_hint(m)).collect::<Vec<_>>().join(", ")
    )]
    IncompleteTarget { missing: Vec<&'static str> },

    #[error("--{flag} cannot be used with target `{target}`: {reason}")]
    ConflictingFlag {
        flag: &'static str,
        target: String,
        reason: &'static str,
    },

    #[error("cannot list manifests under {}", dir.display())]
    Walk {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn known_targets(known: &[String]) -> String {
    if known.is_empty() {
        "no targets are configured (only the built-in `local`)".to_owned()
    } else {
        format!(
            "configured targets: {} (and the built-in `local`)",
            known.join(", ")
        )
    }
}

fn adhoc_hint(field: &str) -> &'static str {
    match field {
        "subscription" => "--subscription or AMLCTL_SUBSCRIPTION",
        "resource_group" => "--resource-group or AMLCTL_RESOURCE_GROUP",
        "workspace" => "--workspace or AMLCTL_WORKSPACE",
        _ => "the matching flag",
    }
}

/// A secret reference that could not be resolved. Names the variable, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error(
        "environment variable `{name}` is not set (needed by secret reference `${{env:{name}}}`)"
    )]
    Missing { name: String },
    #[error(
        "`{reference}` is not a valid secret reference; expected `${{env:NAME}}` with NAME made of A-Z, a-z, 0-9 and _"
    )]
    BadReference { reference: String },
}
