//! End-to-end checks over an in-memory tree: one helper, many small inputs.

use std::path::PathBuf;

use super::*;
use crate::manifest::MemoryTree;

/// Validates the given files (all under `.`) and returns `(file, line, code)` per diagnostic.
fn check(files: &[(&str, &str)]) -> (ValidationReport, Vec<(String, usize, String)>) {
    let mut tree = MemoryTree::new();
    for (p, text) in files {
        tree.insert(p, *text);
    }
    let report = validate_tree(&tree, &[PathBuf::from(".")]);
    let got = report
        .diagnostics
        .iter()
        .map(|d| (d.display_path.clone(), d.line(), d.code.clone()))
        .collect();
    (report, got)
}

const CLUSTER: &str = "$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json\nname: cpu-cluster\ntype: amlcompute\nsize: STANDARD_DS3_v2\nmin_instances: 0\nmax_instances: 2\n";

#[test]
fn clean_manifests_come_back_with_kind_name_and_line() {
    let (report, diags) = check(&[("compute/cluster.yml", CLUSTER)]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(report.files, 1);
    let m = &report.manifests[0];
    assert_eq!(
        (m.kind, m.name.as_deref(), m.line),
        (ManifestKind::AmlCompute, Some("cpu-cluster"), 1)
    );
    assert_eq!(
        m.value["$schema"],
        "https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json"
    );
    assert_eq!(m.path, PathBuf::from("compute/cluster.yml"));
}

#[test]
fn all_problems_of_all_files_are_reported() {
    let bad_cluster =
        "name: 1cluster\ntype: amlcompute\nmin_instances: 3\nmax_instances: 2\nmax_instance: 4\n";
    let bad_job = "command: python x.py ${{inputs.lr}}\nenvironment: azureml:env:1\ncompute: azureml:cpu-cluster\n";
    let (report, diags) = check(&[("a.yml", bad_cluster), ("b.yml", bad_job)]);
    assert_eq!(
        diags,
        vec![
            ("a.yml".into(), 1, codes::NAME_INVALID.into()),
            ("a.yml".into(), 3, codes::SCALE.into()),
            ("a.yml".into(), 5, codes::UNKNOWN_KEY.into()),
            ("b.yml".into(), 1, codes::BINDING.into()),
        ]
    );
    assert!(report.manifests.is_empty());
    assert_eq!(report.error_count(), 4);
}

#[test]
fn duplicate_names_across_files() {
    let (_, diags) = check(&[("a.yml", CLUSTER), ("b.yml", CLUSTER)]);
    assert_eq!(
        diags,
        vec![("b.yml".into(), 2, codes::NAME_DUPLICATE.into())]
    );
}

#[test]
fn same_name_different_kinds_is_fine() {
    let job = "name: cpu-cluster\ncommand: echo\nenvironment: azureml:e:1\n";
    let (report, diags) = check(&[("a.yml", CLUSTER), ("b.yml", job)]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(report.manifests.len(), 2);
}

#[test]
fn walking_skips_non_manifests_but_named_files_are_checked() {
    let conda = "name: env\nchannels: [conda-forge]\ndependencies: [python=3.10]\n";
    let list = "- a\n- b\n";
    let (report, diags) = check(&[
        ("env/conda.yml", conda),
        ("list.yml", list),
        ("amlctl.yaml", "workspace: w\n"),
    ]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(report.files, 0);

    let mut tree = MemoryTree::new();
    tree.insert("list.yml", list);
    let report = validate_tree(&tree, &[PathBuf::from("list.yml")]);
    assert_eq!(report.diagnostics[0].code, codes::NOT_A_MAPPING);
}

#[test]
fn unsupported_and_unknown_kinds() {
    let (_, diags) = check(&[
        ("a.yml", "type: automl\ntask: classification\n"),
        ("b.yml", "type: amlcomptue\nname: x\n"),
    ]);
    assert_eq!(
        diags,
        vec![
            ("a.yml".into(), 1, codes::KIND_UNSUPPORTED.into()),
            ("b.yml".into(), 1, codes::KIND_UNKNOWN.into())
        ]
    );
}

#[test]
fn schema_errors_point_at_the_yaml_node() {
    let job = "command: echo\nenvironment: azureml:e:1\nresources:\n  instance_count: many\n";
    let (report, _) = check(&[("j.yml", job)]);
    let d = &report.diagnostics[0];
    assert_eq!(
        (d.code.as_str(), d.line(), d.column()),
        (codes::WRONG_TYPE, 4, 19)
    );
    assert!(
        d.message.contains("resources.instance_count"),
        "{}",
        d.message
    );
}

#[test]
fn yaml_errors_become_diagnostics() {
    let (_, diags) = check(&[
        ("dup.yml", "name: a\nname: b\n"),
        ("tab.yml", "a:\n\tb: 1\n"),
    ]);
    assert_eq!(
        diags[0],
        ("dup.yml".into(), 2, "amlctl::yaml::duplicate-key".into())
    );
    assert_eq!(diags[1].2, "amlctl::yaml::syntax");
}

#[test]
fn binding_errors_point_inside_the_command() {
    let job = "command: >-\n  python x.py\n  --lr ${{inputs.lr}}\nenvironment: azureml:e:1\n";
    let (report, _) = check(&[("j.yml", job)]);
    let d = &report.diagnostics[0];
    assert_eq!(
        (d.code.as_str(), d.line(), d.column()),
        (codes::BINDING, 3, 11)
    );
    let span = d.span.expect("a span");
    assert_eq!(&job[span.start.byte..span.end.byte], "inputs.lr");
}

#[test]
fn legacy_bindings_warn_but_do_not_fail() {
    let job =
        "command: python x.py --lr {inputs.lr}\nenvironment: azureml:e:1\ninputs:\n  lr: 0.1\n";
    let (report, diags) = check(&[("j.yml", job)]);
    assert_eq!(
        diags,
        vec![("j.yml".into(), 1, codes::LEGACY_BINDING.into())]
    );
    assert_eq!(report.diagnostics[0].severity, Severity::Warning);
    assert!(!report.has_errors());
    assert_eq!(report.manifests.len(), 1);
}
