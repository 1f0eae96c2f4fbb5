//! Resource name rules per kind.

use serde_json::Value;

use super::super::diagnostic::codes;
use super::Finding;
use crate::model::{Kind, ManifestKind};

/// Compute names: 3-24 characters, a letter first, then letters, digits and hyphens.
pub fn compute_name_problem(name: &str) -> Option<&'static str> {
    let len = name.chars().count();
    if !(3..=24).contains(&len) {
        return Some("compute names are 3 to 24 characters long");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some("compute names start with a letter");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Some("compute names contain only letters, digits and hyphens");
    }
    None
}

/// Job and schedule names: 1-255 characters, a letter or digit first, then letters, digits,
/// `_` and `-`.
pub fn job_name_problem(name: &str) -> Option<&'static str> {
    let len = name.chars().count();
    if !(1..=255).contains(&len) {
        return Some("names are 1 to 255 characters long");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Some("names start with a letter or digit");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Some("names contain only letters, digits, `_` and `-`");
    }
    None
}

pub fn check_name(kind: ManifestKind, root: &Value, out: &mut Vec<Finding>) {
    let Some(name) = root.get("name").and_then(Value::as_str) else {
        return;
    };
    let problem = match kind.resource_kind() {
        Kind::Compute => compute_name_problem(name),
        Kind::Schedule | Kind::Job => job_name_problem(name),
    };
    if let Some(why) = problem {
        out.push(Finding::error(
            "/name".into(),
            codes::NAME_INVALID,
            format!("invalid {} name `{name}`: {why}", kind.resource_kind()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compute_names() {
        assert_eq!(compute_name_problem("cpu-cluster"), None);
        assert_eq!(compute_name_problem("ci1"), None);
        assert!(compute_name_problem("ab").is_some());
        assert!(compute_name_problem("1cluster").is_some());
        assert!(compute_name_problem("cpu_cluster").is_some());
        assert!(compute_name_problem("a-very-long-cluster-name-x").is_some());
    }

    #[test]
    fn job_names() {
        assert_eq!(job_name_problem("train_2024-01"), None);
        assert!(job_name_problem("").is_some());
        assert!(job_name_problem("-x").is_some());
        assert!(job_name_problem("a b").is_some());
    }
}
