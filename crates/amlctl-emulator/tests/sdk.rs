//! Wire compatibility with Microsoft's Python SDK (`azure-ai-ml` 1.35.2): start the emulator
//! with TLS and run `tests/sdk/sdk_smoke.py` (repository root) against it.
//!
//! Needs `AMLCTL_SDK_PYTHON` = the python of the venv `scripts/sdk-venv.sh` creates. Without
//! it the test prints that it skipped, and fails when `CI` is set (CI must run it).

use std::path::PathBuf;
use std::time::Duration;

use amlctl_emulator::{EmulatorConfig, Timings};
use sha2::{Digest, Sha256};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_drives_the_emulator_over_tls() {
    let Some(python) = std::env::var_os("AMLCTL_SDK_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but AMLCTL_SDK_PYTHON is not: run scripts/sdk-venv.sh and export AMLCTL_SDK_PYTHON"
        );
        println!(
            "SKIPPED python_sdk_drives_the_emulator_over_tls: AMLCTL_SDK_PYTHON is not set (see scripts/sdk-venv.sh)"
        );
        return;
    };
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = repo.join("tests/sdk/sdk_smoke.py");
    let emu = amlctl_emulator::start(EmulatorConfig {
        tls: true,
        timings: Timings::uniform(Duration::from_millis(30)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let tmp = tempfile::tempdir().expect("tempdir");
    let cert = tmp.path().join("emulator-ca.pem");
    std::fs::write(
        &cert,
        emu.cert_pem().expect("a TLS emulator has a certificate"),
    )
    .expect("write cert");
    let code_dir = tmp.path().join("src");
    std::fs::create_dir_all(&code_dir).expect("code dir");
    let main_py = b"print('hello from the amlctl emulator smoke test')\n";
    std::fs::write(code_dir.join("main.py"), main_py).expect("main.py");
    let ws = amlctl_emulator::WorkspaceSpec::default();
    let mut cmd = std::process::Command::new(python);
    cmd.arg(&script)
        .current_dir(tmp.path())
        .env("AZUREML_DEV_URL_MFE", emu.base_url())
        .env("REQUESTS_CA_BUNDLE", &cert)
        .env("EMU_SUBSCRIPTION", &ws.subscription)
        .env("EMU_RESOURCE_GROUP", &ws.resource_group)
        .env("EMU_WORKSPACE", &ws.name)
        .env("EMU_CODE_DIR", &code_dir)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    let log = emu.requests();
    if !out.status.success() {
        for r in log.iter().rev().take(15).rev() {
            println!("{} {} {}?{}", r.status, r.method, r.path, r.query);
        }
    }
    assert!(
        out.status.success(),
        "sdk smoke failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("sdk smoke: all steps passed"));

    // The code was uploaded once through the blob endpoint, byte for byte.
    let want = format!("{:x}", Sha256::digest(main_py));
    let uploads: Vec<_> = emu
        .blobs()
        .into_iter()
        .filter(|b| b.path.ends_with("/main.py"))
        .collect();
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    assert_eq!(uploads[0].sha256, want);
    // Only the answers the script expects: no validation error, no unknown api-version, no 5xx.
    let unexpected: Vec<_> = log
        .iter()
        .filter(|r| !matches!(r.status, 200 | 201 | 202 | 204 | 404 | 409))
        .map(|r| format!("{} {} {} {}", r.status, r.method, r.path, r.query))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:#?}");
    // The SDK mixes api-versions; all were accepted.
    let versions: std::collections::BTreeSet<String> = log
        .iter()
        .filter_map(|r| {
            r.query
                .split('&')
                .find_map(|p| p.strip_prefix("api-version=").map(String::from))
        })
        .collect();
    println!("api-versions used by the SDK: {versions:?}");
    assert!(versions.len() >= 3, "{versions:?}");
    // The token never reaches the log.
    assert!(log.iter().all(|r| {
        r.headers
            .iter()
            .all(|(k, v)| k != "authorization" && !v.contains("sdk-smoke-token"))
    }));
    emu.shutdown().await;
}
