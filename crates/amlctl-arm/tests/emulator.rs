//! The client against the real emulator (over HTTP, by URL only): fault injection, polling
//! cadence, TLS with the emulator's certificate.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use amlctl_arm::{
    ArmClient, ArmError, ClientConfig, CredentialSpec, LroPolicy, RetryPolicy, workspace_path,
};
use amlctl_emulator::{EmulatorConfig, EmulatorHandle, LoggedRequest, Timings};
use serde_json::{Value, json};

fn ws() -> String {
    let w = amlctl_emulator::WorkspaceSpec::default();
    workspace_path(&w.subscription, &w.resource_group, &w.name)
}

async fn client_for(emu: &EmulatorHandle, tweak: impl FnOnce(&mut ClientConfig)) -> ArmClient {
    let mut config = ClientConfig::for_endpoint(
        emu.base_url().parse().expect("emulator url"),
        CredentialSpec::static_token("emulator-token"),
    );
    config.retry = RetryPolicy {
        max_attempts: 8,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(2),
        max_elapsed: Duration::from_secs(60),
        attempt_timeout: Duration::from_secs(10),
    };
    config.lro = LroPolicy {
        timeout: Duration::from_secs(60),
        default_poll_interval: Duration::from_millis(20),
        max_poll_interval: Duration::from_secs(2),
    };
    tweak(&mut config);
    ArmClient::new(config).await.expect("client")
}

fn aml_compute(max_nodes: i64) -> Value {
    json!({
        "location": "westeurope",
        "properties": {
            "computeType": "AmlCompute",
            "properties": {
                "vmSize": "STANDARD_DS3_V2",
                "scaleSettings": {"maxNodeCount": max_nodes, "minNodeCount": 0}
            }
        }
    })
}

fn command_job() -> Value {
    json!({
        "properties": {
            "jobType": "Command",
            "command": "python train.py",
            "environmentId": "azureml://registries/azureml/environments/sklearn-1.5/versions/1",
            "experimentName": "arm-client-tests"
        }
    })
}

/// An error is "clear" when it is one of the expected kinds and names the resource it concerns.
fn assert_clear(err: &ArmError, resource: &str) {
    let shown = err.to_string();
    assert!(
        matches!(
            err,
            ArmError::Throttled { .. }
                | ArmError::Api { .. }
                | ArmError::Transport { .. }
                | ArmError::LroFailed { .. }
                | ArmError::Conflict { .. }
                | ArmError::NotFound { .. }
        ),
        "unexpected error kind: {err:?}"
    );
    assert!(
        shown.contains(resource),
        "error does not name `{resource}`: {shown}"
    );
}

/// No write was repeated where the server might already have acted: after a POST that was
/// dropped or answered 500/502/504, the client never sent that POST again.
fn assert_no_duplicate_posts(log: &[LoggedRequest]) {
    let mut by_path: BTreeMap<&str, Vec<&LoggedRequest>> = BTreeMap::new();
    for r in log.iter().filter(|r| r.method == "POST") {
        by_path.entry(r.path.as_str()).or_default().push(r);
    }
    for (path, reqs) in by_path {
        let handled = reqs.iter().filter(|r| r.fault.is_none()).count();
        assert!(handled <= 1, "POST {path} acted on {handled} times");
        for (i, r) in reqs.iter().enumerate() {
            let maybe_acted =
                r.fault.as_deref() == Some("drop") || matches!(r.status, 500 | 502 | 504);
            assert!(
                !maybe_acted || i + 1 == reqs.len(),
                "POST {path} was sent again after a response that may hide a completed action"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_succeeds_or_fails_clearly_under_faults() {
    let emu = amlctl_emulator::start(EmulatorConfig {
        faults: "throttle=0.3,error=0.1,drop=0.05,lro-fail=0.2,retry-after=1,seed=42"
            .parse()
            .expect("fault spec"),
        timings: Timings::uniform(Duration::from_millis(30)),
        ..Default::default()
    })
    .await
    .expect("emulator");
    let client = client_for(&emu, |_| {}).await;

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..4 {
        let client = client.clone();
        tasks.spawn(async move {
            let path = format!("{}/computes/cpu{i}", ws());
            let mut outcomes: Vec<(String, Result<(), ArmError>)> = Vec::new();
            let created = client.put_lro(&path, &aml_compute(2)).await;
            let ok = created.is_ok();
            outcomes.push((path.clone(), created.map(|_| ())));
            if ok {
                let patch = json!({"properties": {"properties": {"scaleSettings": {"maxNodeCount": 4, "minNodeCount": 0}}}});
                outcomes.push((path.clone(), client.patch_lro(&path, &patch).await.map(|_| ())));
                outcomes.push((path.clone(), client.get(&path).await.map(|_| ())));
            }
            let deleted = client
                .delete_lro(&path, &[("underlyingResourceAction", "Delete")])
                .await;
            outcomes.push((path, deleted));
            outcomes
        });
    }
    for i in 0..4 {
        let client = client.clone();
        tasks.spawn(async move {
            let path = format!("{}/jobs/job{i}", ws());
            let mut outcomes = Vec::new();
            let created = client.put(&path, &command_job()).await;
            let ok = created.is_ok();
            outcomes.push((path.clone(), created.map(|_| ())));
            if ok {
                let cancel = format!("{path}/cancel");
                outcomes.push((path.clone(), client.post_lro(&cancel).await));
            }
            outcomes
        });
    }
    {
        let client = client.clone();
        tasks.spawn(async move {
            let path = format!("{}/computes", ws());
            let listed = client.list(&path, &[]).await.map(|_| ());
            vec![(path, listed)]
        });
    }

    let mut ok = 0;
    let mut failed = 0;
    while let Some(joined) = tasks.join_next().await {
        for (resource, outcome) in joined.expect("task") {
            match outcome {
                Ok(()) => ok += 1,
                Err(e) => {
                    failed += 1;
                    eprintln!("failed clearly: {e}");
                    assert_clear(&e, &resource);
                }
            }
        }
    }
    let log = emu.requests();
    let injected = log.iter().filter(|r| r.fault.is_some()).count();
    eprintln!(
        "faults: {} requests, {injected} faults injected; {ok} operations ok, {failed} failed clearly",
        log.len()
    );
    assert!(injected > 0, "the fault spec injected nothing");
    assert!(ok > 0, "nothing succeeded ({failed} failures)");
    assert_no_duplicate_posts(&log);
    emu.shutdown().await;
}

#[tokio::test]
async fn failed_lro_in_the_emulator_names_the_resource() {
    let emu = amlctl_emulator::start(EmulatorConfig {
        faults: "lro-fail=1".parse().expect("fault spec"),
        timings: Timings::uniform(Duration::from_millis(20)),
        ..Default::default()
    })
    .await
    .expect("emulator");
    let client = client_for(&emu, |_| {}).await;
    let path = format!("{}/computes/doomed", ws());
    let err = client
        .put_lro(&path, &aml_compute(1))
        .await
        .expect_err("lro-fail=1");
    match &err {
        ArmError::LroFailed {
            operation,
            resource,
            ..
        } => {
            assert_eq!(operation, "PUT");
            assert_eq!(resource, &path);
        }
        other => panic!("expected LroFailed, got {other:?}"),
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn polling_follows_the_emulators_retry_after() {
    // The operation takes 2.5s and the emulator asks for polls every 1s; the client's own default
    // interval is 20ms, so following Retry-After is the only way to stay at a handful of polls.
    let emu = amlctl_emulator::start(EmulatorConfig {
        timings: Timings {
            lro: Duration::from_millis(2500),
            compute_step: Duration::from_millis(50),
            job_step: Duration::from_millis(50),
            retry_after_secs: 1,
        },
        ..Default::default()
    })
    .await
    .expect("emulator");
    let client = client_for(&emu, |_| {}).await;
    let path = format!("{}/computes/slow", ws());
    let done = client
        .put_lro(&path, &aml_compute(1))
        .await
        .expect("put_lro");
    assert_eq!(done["properties"]["provisioningState"], "Succeeded");
    let log = emu.requests();
    let polls = log
        .iter()
        .filter(|r| r.method == "GET" && r.path != path)
        .count();
    assert!((1..=4).contains(&polls), "polled {polls} times: {log:#?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn tls_needs_the_emulator_certificate() {
    let emu = amlctl_emulator::start(EmulatorConfig {
        tls: true,
        ..Default::default()
    })
    .await
    .expect("emulator");
    let pem = emu.cert_pem().expect("cert when tls");
    let mut ca = tempfile::NamedTempFile::new().expect("tempfile");
    ca.write_all(pem.as_bytes()).expect("write pem");

    let trusted = client_for(&emu, |c| c.ca_file = Some(ca.path().to_path_buf())).await;
    let found = trusted.get(&ws()).await.expect("workspace over TLS");
    assert!(found.is_some());

    let untrusted = client_for(&emu, |c| {
        c.retry.max_attempts = 1;
    })
    .await;
    let err = untrusted
        .get(&ws())
        .await
        .expect_err("unknown CA is refused");
    assert!(matches!(err, ArmError::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("--ca-file"), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn missing_parent_is_an_error_but_missing_resource_is_none() {
    let emu = amlctl_emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let client = client_for(&emu, |_| {}).await;
    let absent = client
        .get(&format!("{}/computes/nothing-here", ws()))
        .await
        .expect("absent compute is not an error");
    assert_eq!(absent, None);
    let wrong_rg = workspace_path(
        &amlctl_emulator::WorkspaceSpec::default().subscription,
        "no-such-rg",
        "ws",
    );
    let err = client
        .get(&format!("{wrong_rg}/computes/c"))
        .await
        .expect_err("missing resource group");
    assert!(
        matches!(&err, ArmError::NotFound { code, .. } if code == "ResourceGroupNotFound"),
        "{err:?}"
    );
    emu.shutdown().await;
}
