//! Checks the schemas cannot express. Each check reads the manifest as JSON and reports
//! [`Finding`]s at JSON pointers; the caller maps pointers back to YAML spans.
//! Checks never stop at the first problem.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::manifest::SourceTree;
use crate::model::ManifestKind;

use super::diagnostic::{Severity, codes};
use super::reference::resolve_relative;

pub mod bindings;
pub mod compute;
pub mod jobs;
pub mod names;
pub mod refs;
pub mod trigger;

/// One semantic problem at a JSON pointer.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub pointer: String,
    /// Point at the mapping key rather than its value.
    pub on_key: bool,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
    /// Text inside the node to point at more precisely (e.g. one `${{...}}` of a command).
    pub needle: Option<String>,
}

impl Finding {
    pub fn error(pointer: String, code: &'static str, message: String) -> Self {
        Finding {
            pointer,
            on_key: false,
            severity: Severity::Error,
            code,
            message,
            help: None,
            needle: None,
        }
    }

    pub fn within(mut self, needle: impl Into<String>) -> Self {
        self.needle = Some(needle.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Where a manifest lives, for relative paths.
pub struct Ctx<'a> {
    pub tree: &'a dyn SourceTree,
    pub file: &'a Path,
}

impl Ctx<'_> {
    pub fn resolve(&self, relative: &str) -> PathBuf {
        resolve_relative(self.file, relative)
    }

    /// Reports a missing local path at `ptr`. `what` names the field (`code`, `component`...).
    pub fn require_local(&self, value: &str, ptr: &str, what: &str, out: &mut Vec<Finding>) {
        if !refs::is_local_path(value) {
            return;
        }
        let path = self.resolve(value);
        if !self.tree.exists(&path) {
            out.push(Finding::error(
                ptr.to_owned(),
                codes::PATH_MISSING,
                format!(
                    "{what} `{value}` not found (looked for `{}`)",
                    path.display()
                ),
            ));
        }
    }
}

/// Runs every semantic check for one manifest of `kind`.
pub fn check(kind: ManifestKind, root: &Value, ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    names::check_name(kind, root, &mut out);
    match kind {
        ManifestKind::ComputeInstance => compute::check_compute_instance(root, &mut out),
        ManifestKind::AmlCompute => compute::check_aml_compute(root, &mut out),
        ManifestKind::Kubernetes => compute::check_kubernetes(root, &mut out),
        ManifestKind::Schedule => jobs::check_schedule(root, ctx, &mut out),
        ManifestKind::CommandJob
        | ManifestKind::ParallelJob
        | ManifestKind::SweepJob
        | ManifestKind::PipelineJob => jobs::check_job(kind, root, ctx, &mut out),
    }
    out
}
