//! Fault injection (deterministic with a seed) and persistence across restarts.
mod common;

use std::time::Duration;

use amlctl_emulator::{EmulatorConfig, Timings};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Send `n` GETs, one at a time; returns each outcome (status, or 0 for a dropped connection).
async fn outcomes(faults: &str, n: usize) -> Vec<u16> {
    let emu = start(EmulatorConfig {
        faults: faults.parse().unwrap(),
        ..fast_config(1)
    })
    .await;
    let url = format!("{}{WS}/computes?{V}", emu.base_url());
    let mut out = Vec::new();
    for _ in 0..n {
        // A fresh client per request so a dropped connection does not affect the next one.
        let c = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        match c.get(&url).bearer_auth("t").send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                if status == 429 || status == 503 {
                    assert!(
                        r.headers().contains_key("retry-after"),
                        "{status} without Retry-After"
                    );
                }
                if status >= 400 {
                    let b: Value = r.json().await.unwrap();
                    assert!(b["error"]["code"].is_string(), "{b}");
                }
                out.push(status);
            }
            Err(_) => out.push(0),
        }
    }
    let log = emu.requests();
    assert_eq!(log.len(), n);
    for (r, o) in log.iter().zip(&out) {
        assert_eq!(r.status, *o);
        assert_eq!(r.fault.is_some(), *o != 200, "{r:?}");
    }
    emu.shutdown().await;
    out
}

#[tokio::test]
async fn faults_are_deterministic_with_a_seed() {
    let spec = "throttle=0.25,error=0.15,drop=0.1,seed=7";
    let a = outcomes(spec, 60).await;
    let b = outcomes(spec, 60).await;
    assert_eq!(a, b, "same seed, same faults");
    for code in [0, 200, 429] {
        assert!(a.contains(&code), "{code} never seen in {a:?}");
    }
    assert!(a.iter().any(|s| *s == 500 || *s == 503), "{a:?}");
    let c = outcomes("throttle=0.25,error=0.15,drop=0.1,seed=8", 60).await;
    assert_ne!(a, c, "another seed, other faults");
    assert!(outcomes("", 20).await.iter().all(|s| *s == 200));
}

#[tokio::test]
async fn lro_fail_ends_operations_failed_with_an_error() {
    let emu = start(EmulatorConfig {
        faults: "lro-fail=1,lro-time=20ms".parse().unwrap(),
        ..fast_config(10)
    })
    .await;
    let c = client();
    let base = emu.base_url();
    let url = format!("{base}{WS}/computes/cpu?{V}");
    let body = json!({"properties": {"computeType": "AmlCompute", "properties": {"scaleSettings": {"maxNodeCount": 1}}}});
    let (s, h, _) = call(&c, Method::PUT, &url, Some(&body)).await;
    assert_eq!(s, 201);
    let op = wait_op(&c, h["azure-asyncoperation"].to_str().unwrap()).await;
    assert_eq!(op["status"], "Failed");
    assert!(
        op["error"]["code"].is_string() && op["error"]["message"].is_string(),
        "{op}"
    );
    let (_, _, b) = call(&c, Method::GET, &url, None).await;
    assert_eq!(b["properties"]["provisioningState"], "Failed");
    assert!(b["properties"]["provisioningErrors"][0]["error"]["code"].is_string());
    // Location of a failed delete answers an ARM error.
    let (s, h, _) = call(
        &c,
        Method::DELETE,
        &format!("{url}&underlyingResourceAction=Delete"),
        None,
    )
    .await;
    assert_eq!(s, 202);
    let loc = hdr(&h, "location");
    tokio::time::sleep(Duration::from_millis(40)).await;
    let (s, _, b) = call(&c, Method::GET, &loc, None).await;
    assert!(s >= 400, "{s}");
    assert!(b["error"]["code"].is_string());
    let (s, _, _) = call(&c, Method::GET, &url, None).await;
    assert_eq!(s, 200, "a failed delete leaves the compute");
    emu.shutdown().await;
}

#[tokio::test]
async fn state_survives_a_restart_and_transitions_continue() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested/state.json");
    let config = || EmulatorConfig {
        state_file: Some(file.clone()),
        timings: Timings::uniform(Duration::from_millis(150)),
        ..EmulatorConfig::default()
    };
    let emu = start(config()).await;
    let c = client();
    let base = emu.base_url();
    let (s, _, _) = call(
        &c,
        Method::PUT,
        &format!("{base}{WS}/computes/ci1?{V}"),
        Some(&json!({"properties": {"computeType": "ComputeInstance"}})),
    )
    .await;
    assert_eq!(s, 201);
    let job = json!({"properties": {"jobType": "Command", "command": "x", "environmentId": "azureml:e@1"}});
    let (s, _, _) = call(
        &c,
        Method::PUT,
        &format!("{base}{WS}/jobs/j1?{V}"),
        Some(&job),
    )
    .await;
    assert_eq!(s, 201);
    emu.shutdown().await;
    assert!(file.exists());
    let saved: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(saved["resources"].as_object().unwrap().len() >= 2);
    // No temp file left behind.
    let leftovers: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name() != "state.json")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let emu = start(config()).await;
    let base = emu.base_url();
    let ci = wait_for(&c, &format!("{base}{WS}/computes/ci1?{V}"), |b| {
        b["properties"]["properties"]["state"] == "Running"
    })
    .await;
    assert_eq!(ci["properties"]["provisioningState"], "Succeeded");
    wait_for(&c, &format!("{base}{WS}/jobs/j1?{V}"), |b| {
        b["properties"]["status"] == "Completed"
    })
    .await;
    // A job name is still taken after the restart.
    let other = json!({"properties": {"jobType": "Command", "command": "y", "environmentId": "azureml:e@1"}});
    let (s, _, _) = call(
        &c,
        Method::PUT,
        &format!("{base}{WS}/jobs/j1?{V}"),
        Some(&other),
    )
    .await;
    assert_eq!(s, 409);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_corrupt_state_file_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    std::fs::write(&file, "{not json").unwrap();
    let err = amlctl_emulator::start(EmulatorConfig {
        state_file: Some(file),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap_err();
    assert!(
        matches!(err, amlctl_emulator::EmulatorError::ParseState { .. }),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_changes_are_all_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    let config = || EmulatorConfig {
        state_file: Some(file.clone()),
        ..fast_config(1)
    };
    let emu = start(config()).await;
    let base = emu.base_url();
    let c = client();
    let mut tasks = Vec::new();
    for n in 0..30 {
        let (c, base) = (c.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"properties": {"jobType": "Command", "command": format!("echo {n}"), "environmentId": "azureml:e@1"}});
            call(&c, Method::PUT, &format!("{base}{WS}/jobs/p{n}?{V}"), Some(&body)).await.0
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    // Every acknowledged change is already in the file, before any shutdown.
    let saved: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let jobs = saved["resources"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.contains("/jobs/p"))
        .count();
    assert_eq!(jobs, 30);
    emu.shutdown().await;
    let emu = start(config()).await;
    let (_, _, b) = call(
        &c,
        Method::GET,
        &format!("{}{WS}/jobs?{V}", emu.base_url()),
        None,
    )
    .await;
    assert_eq!(b["value"].as_array().unwrap().len(), 30);
    emu.shutdown().await;
}
