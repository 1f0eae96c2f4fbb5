//! The bad-input corpus: every file under `tests/fixtures/bad/` names the diagnostic it must
//! produce on its first line (`# expect: <code>`), and the full JSON form of its diagnostics is
//! snapshotted. Malformed, binary, deeply nested and alias-bomb files are all in here: none may
//! crash the loader.

use std::path::{Path, PathBuf};

use amlctl::cli::validate::to_json;
use amlctl::validate::validate_paths;

fn fixtures() -> Vec<PathBuf> {
    // Tests run with the package root as the current directory: keep paths relative so that
    // the snapshots hold `tests/fixtures/bad/...`, as a user would see them.
    let dir = Path::new("tests/fixtures/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/fixtures/bad exists")
        .map(|e| e.expect("readable entry").path())
        .collect();
    files.sort();
    files
}

fn expected_code(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("readable fixture");
    let first = String::from_utf8_lossy(bytes.split(|b| *b == b'\n').next().unwrap_or_default())
        .into_owned();
    first
        .strip_prefix("# expect: ")
        .unwrap_or_else(|| panic!("{}: first line must be `# expect: <code>`", path.display()))
        .trim()
        .to_owned()
}

#[test]
fn every_bad_fixture_gets_its_diagnostic() {
    let files = fixtures();
    assert!(
        files.len() >= 30,
        "the bad-input corpus has {} files",
        files.len()
    );
    for file in files {
        let expected = expected_code(&file);
        let report = validate_paths(std::slice::from_ref(&file));
        assert!(report.has_errors(), "{}: no error reported", file.display());
        assert!(
            report.diagnostics.iter().any(|d| d.code == expected),
            "{}: expected {expected}, got {:?}",
            file.display(),
            report
                .diagnostics
                .iter()
                .map(|d| (&d.code, &d.message))
                .collect::<Vec<_>>()
        );
        assert!(
            report.manifests.is_empty(),
            "{}: a file with errors yields no manifest",
            file.display()
        );
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("unnamed")
            .to_owned();
        insta::assert_json_snapshot!(format!("validate_bad_{stem}"), to_json(&report));
    }
}

#[test]
fn examples_validate_clean() {
    let report = validate_paths(&[PathBuf::from("examples")]);
    let problems: Vec<String> = report
        .diagnostics
        .iter()
        .map(|d| format!("{}:{} {} {}", d.display_path, d.line(), d.code, d.message))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(report.files >= 9, "{} files", report.files);
    let mut kinds: Vec<_> = report.manifests.iter().map(|m| m.kind).collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds.len(),
        8,
        "every supported kind has an example: {kinds:?}"
    );
}
