//! Every supported file of the shared sample corpus (`shared/reference/azureml-examples-sample`)
//! translates without error, twice identically. The corpus holds only the YAML files, not the
//! code folders, component files and data they point at: the resolver stubs what is missing
//! and records it, so referenced files still go through the full asset path.

#[path = "desired_support.rs"]
mod support;

use std::path::{Path, PathBuf};

use amlctl::desired::{ManifestInput, build_desired_state, translate};
use amlctl::model::{Kind, ManifestKind, ResourceOptions, SourceLocation};
use support::{DiskResolver, classify, ctx, yaml_to_json};

#[path = "support/reference.rs"]
mod reference;

/// The shared sample corpus, or `None` (skip) where the reference data is absent.
fn corpus_root() -> Option<PathBuf> {
    reference::find(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        "azureml-examples-sample",
    )
}

/// (path relative to the corpus, absolute path, kind, value) for every supported manifest, or
/// `None` (skip) where the corpus is absent.
fn supported() -> Option<Vec<(PathBuf, PathBuf, ManifestKind, serde_json::Value)>> {
    let root = corpus_root()?;
    let list = std::fs::read_to_string(root.join("FILES.txt")).expect("FILES.txt");
    let mut out = Vec::new();
    for rel in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let abs = root.join(rel);
        let text = std::fs::read_to_string(&abs).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let value = yaml_to_json(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
        if let Some(kind) = classify(&value) {
            out.push((PathBuf::from(rel), abs, kind, value));
        }
    }
    Some(out)
}

#[test]
fn every_supported_sample_translates() {
    let Some(files) = supported() else {
        return;
    };
    let count = |k: ManifestKind| files.iter().filter(|f| f.2 == k).count();
    // The corpus has computes, schedules, command, sweep and pipeline jobs (see its README).
    assert!(
        files.len() >= 60,
        "only {} supported files found",
        files.len()
    );
    for k in [
        ManifestKind::AmlCompute,
        ManifestKind::ComputeInstance,
        ManifestKind::Schedule,
        ManifestKind::CommandJob,
        ManifestKind::PipelineJob,
        ManifestKind::SweepJob,
    ] {
        assert!(count(k) > 0, "no {k:?} in the corpus");
    }
    let resolver = DiskResolver::stubbing();
    let items = files.iter().map(|(rel, abs, kind, value)| ManifestInput {
        kind: *kind,
        value: value.clone(),
        source: SourceLocation {
            file: rel.clone(),
            line: 1,
        },
        base_dir: abs.parent().expect("parent").to_path_buf(),
        options: ResourceOptions::default(),
    });
    let (state, errors) = build_desired_state(items, &ctx(), &resolver);
    // Several samples share a name (`basic-example` twice); those are reported, nothing else.
    let unexpected: Vec<String> = errors
        .iter()
        .filter(|e| {
            !matches!(
                e.kind,
                amlctl::desired::TranslateErrorKind::Duplicate { .. }
            )
        })
        .map(ToString::to_string)
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexpected errors:\n{}",
        unexpected.join("\n")
    );
    assert!(errors.len() <= 2, "{errors:?}");
    assert_eq!(state.resources.len() + errors.len(), files.len());
    for r in state.resources.values() {
        assert!(
            r.body.get("properties").is_some(),
            "{} has no properties",
            r.id
        );
        if r.id.kind == Kind::Job {
            assert!(
                r.body["properties"]["jobType"].is_string(),
                "{} has no jobType",
                r.id
            );
            let text = r.body.to_string();
            assert!(
                !text.contains("\"azureml:cpu-cluster\""),
                "{}: compute left unresolved",
                r.id
            );
        }
    }
    assert!(
        !resolver.stubbed.borrow().is_empty(),
        "the corpus has dangling references"
    );
}

#[test]
fn translation_is_deterministic() {
    let Some(files) = supported() else {
        return;
    };
    for (rel, abs, kind, value) in files {
        let source = SourceLocation {
            file: rel.clone(),
            line: 1,
        };
        let base = abs.parent().expect("parent");
        let a = translate(
            kind,
            &value,
            &source,
            base,
            &ctx(),
            &DiskResolver::stubbing(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let b = translate(
            kind,
            &value,
            &source,
            base,
            &ctx(),
            &DiskResolver::stubbing(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.id, b.id, "{}", rel.display());
        assert_eq!(
            amlctl::desired::canonical_json(&a.body),
            amlctl::desired::canonical_json(&b.body),
            "{}",
            rel.display()
        );
        assert_eq!(a.assets, b.assets, "{}", rel.display());
    }
}

#[test]
fn dangling_reference_is_reported_not_a_panic() {
    let Some(files) = supported() else {
        return;
    };
    let (rel, abs, kind, value) = files
        .into_iter()
        .find(|f| f.0.ends_with("jobs/basics/hello-code.yml"))
        .expect("hello-code.yml in the corpus");
    let source = SourceLocation { file: rel, line: 1 };
    let err = translate(
        kind,
        &value,
        &source,
        abs.parent().expect("parent"),
        &ctx(),
        &DiskResolver::strict(),
    )
    .expect_err("its code folder is not in the corpus");
    assert_eq!(err.field, "code");
    assert!(
        matches!(
            err.kind,
            amlctl::desired::TranslateErrorKind::Reference {
                what: "code folder",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("hello-code.yml"), "{err}");
}
