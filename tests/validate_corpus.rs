//! Every file of the shared sample of real `az ml` YAML (104 files from azureml-examples):
//! supported kinds validate clean except for local files the sample does not include (reported
//! with `amlctl::path::missing`, exactly those references); unsupported kinds get
//! `amlctl::kind::unsupported`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use amlctl::manifest::DiskTree;
use amlctl::validate::{codes, validate_tree};

#[path = "support/reference.rs"]
mod reference;

/// The shared sample corpus, or `None` (skip) where the reference data is absent.
fn sample_root() -> Option<PathBuf> {
    reference::find(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        "azureml-examples-sample",
    )
}

fn sample_files(root: &Path) -> Vec<PathBuf> {
    let list =
        std::fs::read_to_string(root.join("FILES.txt")).expect("FILES.txt in the shared sample");
    list.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| root.join(l.trim()))
        .collect()
}

#[test]
fn shared_sample_corpus() {
    let Some(root) = sample_root() else {
        return;
    };
    let files = sample_files(&root);
    assert_eq!(files.len(), 104, "the sample holds 104 files");

    let mut summary: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut clean = 0;
    let mut unsupported = 0;
    let mut with_missing_refs = 0;
    let mut unexpected = Vec::new();
    for file in &files {
        let report = validate_tree(&DiskTree, std::slice::from_ref(file));
        let rel = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        assert_eq!(report.files, 1, "{rel} was checked");
        let codes_seen: Vec<String> = report.diagnostics.iter().map(|d| d.code.clone()).collect();
        if codes_seen.is_empty() {
            clean += 1;
            assert_eq!(
                report.manifests.len(),
                1,
                "{rel}: a clean file yields its manifest"
            );
        } else if codes_seen.iter().all(|c| c == codes::KIND_UNSUPPORTED) {
            unsupported += 1;
            assert_eq!(
                codes_seen.len(),
                1,
                "{rel}: one unsupported-kind diagnostic"
            );
        } else {
            with_missing_refs += 1;
            for d in report
                .diagnostics
                .iter()
                .filter(|d| d.code != codes::PATH_MISSING)
            {
                unexpected.push(format!("{rel}:{}: {} — {}", d.line(), d.code, d.message));
            }
        }
        let lines: Vec<String> = report
            .diagnostics
            .iter()
            .map(|d| format!("{}:{} {}", d.line(), d.column(), d.code))
            .collect();
        summary.insert(rel, lines);
    }
    assert!(
        unexpected.is_empty(),
        "unexpected diagnostics:\n{}",
        unexpected.join("\n")
    );
    assert!(clean >= 15, "only {clean} clean files");
    assert!(unsupported >= 20, "only {unsupported} unsupported files");
    assert!(
        with_missing_refs >= 10,
        "only {with_missing_refs} files with missing references"
    );
    insta::assert_json_snapshot!("validate_corpus_summary", summary);
}
