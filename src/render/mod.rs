//! Views of a [`Plan`](crate::plan::Plan): `text` for terminals, `markdown` for pull-request
//! comments, `json` for machines and saved plans.
//!
//! Invariant: render only reads a plan. It never diffs, never calls the network, never decides
//! what changed; colours, symbols and order of display live here and nowhere else.

pub mod json;
pub mod markdown;
pub mod symbols;
pub mod text;

use serde_json::Value;

/// Leaves of a body as `(JSON pointer, value)`, objects recursed, arrays and scalars whole, in
/// the body's key order.
pub(crate) fn leaves(value: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(v: &'a Value, path: &mut String, out: &mut Vec<(String, &'a Value)>) {
        match v {
            Value::Object(map) if !map.is_empty() => {
                for (k, child) in map {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                    walk(child, path, out);
                    path.truncate(len);
                }
            }
            _ => out.push((path.clone(), v)),
        }
    }
    let mut out = Vec::new();
    walk(value, &mut String::new(), &mut out);
    out
}

/// Compact JSON of a value, for one line.
pub(crate) fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "?".to_owned())
}

/// `Plan: 1 to create, ...` or the no-change sentence.
pub fn summary_line(plan: &crate::plan::Plan) -> String {
    let line = if !plan.has_changes() {
        if plan.errors.is_empty() {
            "No changes. The workspace matches the manifests.".to_owned()
        } else {
            "No other changes.".to_owned()
        }
    } else {
        let s = plan.summary();
        let mut line = format!(
            "Plan: {} to create, {} to update, {} to replace, {} to delete, {} to start, {} to stop, {} to submit",
            s.create, s.update, s.replace, s.delete, s.start, s.stop, s.submit
        );
        if s.cancel > 0 {
            line.push_str(&format!(", {} to cancel", s.cancel));
        }
        line.push('.');
        line
    };
    if plan.errors.is_empty() {
        line
    } else {
        format!(
            "Blocked: {} error(s) must be fixed before anything can be applied. {line}",
            plan.errors.len()
        )
    }
}

/// A reason in words (replacement reasons are shown at their field instead).
pub(crate) fn reason_text(reason: &crate::plan::ActionReason) -> Option<String> {
    use crate::plan::ActionReason;
    match reason {
        ActionReason::Missing => Some("not in the workspace".to_owned()),
        ActionReason::ReplaceBecauseOf { .. } => None,
        ActionReason::NoLongerDeclared => {
            Some("created by amlctl and no manifest declares it any more (--prune)".to_owned())
        }
        ActionReason::PowerState { current } => Some(format!("power state: instance is {current}")),
        ActionReason::ParallelAsPipeline => {
            Some("a standalone parallel job is submitted as a one-step pipeline job".to_owned())
        }
        ActionReason::CancelRequested { current } => {
            Some(format!("the repo config says cancel; the job is {current}"))
        }
        ActionReason::ProvisioningFailed { error } => Some(format!(
            "its create or update failed in the workspace ({error}); replaced to recover"
        )),
    }
}

/// Changed manifests listed at most (text and markdown); the rest are counted.
pub(crate) const MAX_GIT_LISTED: usize = 50;

pub(crate) fn change_word(c: crate::plan::ManifestChangeKind) -> &'static str {
    match c {
        crate::plan::ManifestChangeKind::Added => "added",
        crate::plan::ManifestChangeKind::Modified => "modified",
        crate::plan::ManifestChangeKind::Deleted => "deleted",
    }
}

/// The "changed manifests" block of the text view, before the plan.
pub(crate) fn git_section_text(out: &mut String, git: &crate::plan::GitChanges) {
    use std::fmt::Write as _;
    let short = git.base_commit.get(..12).unwrap_or(&git.base_commit);
    let _ = writeln!(
        out,
        "Manifests changed on this branch (compared with {} at {short}): {} manifest(s), {} resource(s){}",
        git.base,
        git.manifests.len(),
        git.changed_resources.len(),
        if git.changed_only {
            "; the plan is limited to them (--changed-only)"
        } else {
            ""
        }
    );
    for m in git.manifests.iter().take(MAX_GIT_LISTED) {
        let _ = write!(out, "  {:<8} {}", change_word(m.change), m.path);
        if !m.resources.is_empty() {
            let list: Vec<String> = m.resources.iter().map(ToString::to_string).collect();
            let _ = write!(out, " ({})", list.join(", "));
        }
        out.push('\n');
    }
    if git.manifests.len() > MAX_GIT_LISTED {
        let _ = writeln!(
            out,
            "  ... and {} more",
            git.manifests.len() - MAX_GIT_LISTED
        );
    }
    out.push('\n');
}
