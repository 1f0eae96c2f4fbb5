//! Names of jobs that do not declare one: `<file stem>-<12 hex of a hash>`, the hash taken
//! over the manifest's path and its translated body. The body already carries the content
//! hashes of the code folder, inline environments, anonymous components and uploaded inputs,
//! so an unchanged job keeps its name (planning it again is a no-op) and any change, even to
//! one source file, gives a new name (a new submission).

use std::path::Path;

use serde_json::Value;

use super::hashing::{canonical_json, sha256_hex};

/// Longest stem kept in a derived name.
const MAX_STEM: usize = 40;

pub(crate) fn derived_job_name(file: &Path, body: &Value) -> String {
    let display: Vec<String> = file
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let mut input = display.join("/").into_bytes();
    input.push(0);
    input.extend_from_slice(canonical_json(body).as_bytes());
    let hash = sha256_hex(&input);
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(MAX_STEM)
        .collect();
    if clean.is_empty() || !clean.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        clean.insert_str(0, "job");
    }
    format!("{clean}-{}", &hash[..12])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stable_and_content_sensitive() {
        let body = json!({"properties": {"command": "echo hi"}});
        let a = derived_job_name(Path::new("jobs/hello world.yml"), &body);
        assert_eq!(
            a,
            derived_job_name(Path::new("jobs/hello world.yml"), &body)
        );
        assert!(a.starts_with("hello-world-"), "{a}");
        assert_eq!(a.len(), "hello-world-".len() + 12);
        let changed = json!({"properties": {"command": "echo bye"}});
        assert_ne!(
            a,
            derived_job_name(Path::new("jobs/hello world.yml"), &changed)
        );
        assert_ne!(
            a,
            derived_job_name(Path::new("other/hello world.yml"), &body)
        );
        assert!(derived_job_name(Path::new("_x.yml"), &body).starts_with("job_x-"));
    }
}
