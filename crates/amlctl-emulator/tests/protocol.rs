//! Protocol behaviour: api-version, auth, the ARM error envelope, paging, validation, loopback
//! only, request log, concurrency.
mod common;

use std::collections::BTreeSet;

use amlctl_emulator::{EmulatorConfig, EmulatorError};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn aml(name: &str) -> Value {
    json!({"properties": {"computeType": "AmlCompute", "properties": {"vmSize": "STANDARD_DS3_V2", "scaleSettings": {"maxNodeCount": 2}}}, "tags": {"n": name}})
}

#[tokio::test]
async fn api_version_is_required_and_checked() {
    let emu = start(fast_config(5)).await;
    let c = client();
    let base = emu.base_url();
    let (s, _, b) = call(&c, Method::GET, &format!("{base}{WS}/computes"), None).await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["code"], "MissingApiVersionParameter");
    let (s, _, b) = call(
        &c,
        Method::GET,
        &format!("{base}{WS}/computes?api-version=2019-01-01"),
        None,
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["code"], "InvalidApiVersionParameter");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2026-03-01")
    );
    for v in amlctl_emulator::SUPPORTED_API_VERSIONS {
        let (s, _, b) = call(
            &c,
            Method::GET,
            &format!("{base}{WS}/computes?api-version={v}"),
            None,
        )
        .await;
        assert_eq!(s, 200, "{v}: {b}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn bearer_token_rules() {
    // Any bearer token by default.
    let emu = start(fast_config(5)).await;
    let url = format!("{}{WS}?{V}", emu.base_url());
    let c = client();
    let s = c
        .get(&url)
        .bearer_auth("whatever")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, 200);
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "AuthenticationFailed");
    let s = c
        .get(&url)
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, 401);
    emu.shutdown().await;

    // --token T: exactly T.
    let emu = start(EmulatorConfig {
        token: Some("s3cret".into()),
        ..fast_config(5)
    })
    .await;
    let url = format!("{}{WS}?{V}", emu.base_url());
    let r = c.get(&url).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "InvalidAuthenticationToken");
    assert!(!b.to_string().contains("s3cret"));
    assert_eq!(
        c.get(&url)
            .bearer_auth("s3cret")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // The token never reaches the request log.
    assert!(emu.requests().iter().all(|r| {
        r.headers
            .iter()
            .all(|(k, v)| k != "authorization" && !v.contains("s3cret"))
    }));
    emu.shutdown().await;
}

#[tokio::test]
async fn not_found_errors_use_the_arm_envelope() {
    let emu = start(fast_config(5)).await;
    let c = client();
    let base = emu.base_url();
    for path in [
        format!("{WS}/computes/nope"),
        format!("{WS}/jobs/nope"),
        format!("{WS}/schedules/nope"),
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/other".to_string(),
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/other/providers/Microsoft.MachineLearningServices/workspaces/ws".to_string(),
    ] {
        let (s, _, b) = call(&c, Method::GET, &format!("{base}{path}?{V}"), None).await;
        assert_eq!(s, 404, "{path}");
        assert!(b["error"]["code"].is_string() && b["error"]["message"].is_string(), "{b}");
        assert!(b["error"]["details"].is_array());
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn bodies_are_validated_and_every_problem_reported() {
    let emu = start(fast_config(5)).await;
    let c = client();
    let base = emu.base_url();
    let cases = [
        (
            "computes/c1",
            json!({"properties": {"computeType": "Quantum"}}),
            "properties.computeType",
        ),
        (
            "computes/c1",
            json!({"properties": {}}),
            "properties.computeType",
        ),
        (
            "computes/c1",
            json!({"properties": {"computeType": "AmlCompute", "properties": {"scaleSettings": {"minNodeCount": "0"}}}}),
            "properties.properties.scaleSettings.maxNodeCount",
        ),
        (
            "computes/c1",
            json!({"properties": {"computeType": "ComputeInstance", "properties": {"idleTimeBeforeShutdown": "PT5M"}}}),
            "properties.properties.idleTimeBeforeShutdown",
        ),
        (
            "computes/c1",
            json!({"properties": {"computeType": "AmlCompute", "properties": {"scaleSettings": {"maxNodeCount": 1, "nodeIdleTimeBeforeScaleDown": "soon"}}}}),
            "properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown",
        ),
        (
            "jobs/j1",
            json!({"properties": {"jobType": "Command", "environmentId": "e"}}),
            "properties.command",
        ),
        (
            "jobs/j1",
            json!({"properties": {"jobType": "Parallel"}}),
            "properties.jobType",
        ),
        (
            "jobs/j1",
            json!({"properties": {"jobType": "Command", "command": "x", "environmentId": "e", "inputs": {"a": {"jobInputType": "uri_file"}}}}),
            "properties.inputs.a.uri",
        ),
        (
            "schedules/s1",
            json!({"properties": {"trigger": {"triggerType": "Cron"}, "action": {"actionType": "CreateJob", "jobDefinition": {"jobType": "Command"}}}}),
            "properties.trigger.expression",
        ),
    ];
    for (path, body, target) in cases {
        let (s, _, b) = call(
            &c,
            Method::PUT,
            &format!("{base}{WS}/{path}?{V}"),
            Some(&body),
        )
        .await;
        assert_eq!(s, 400, "{path} {body}: {b}");
        let targets: Vec<&str> = b["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["target"].as_str())
            .collect();
        assert!(
            targets.contains(&target),
            "{path}: wanted {target} in {targets:?}"
        );
    }
    // Several problems at once are all listed.
    let body = json!({"properties": {"trigger": {"triggerType": "Cron"}, "action": {"actionType": "CreateJob", "jobDefinition": {"jobType": "Command"}}}});
    let (_, _, b) = call(
        &c,
        Method::PUT,
        &format!("{base}{WS}/schedules/s1?{V}"),
        Some(&body),
    )
    .await;
    assert!(b["error"]["details"].as_array().unwrap().len() >= 3, "{b}");
    // Not JSON at all.
    let r = c
        .put(format!("{base}{WS}/computes/c1?{V}"))
        .bearer_auth("t")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    emu.shutdown().await;
}

#[tokio::test]
async fn lists_are_paged_with_absolute_next_links() {
    let emu = start(EmulatorConfig {
        page_size: 2,
        ..fast_config(1)
    })
    .await;
    let c = client();
    let base = emu.base_url();
    for n in 0..5 {
        let (s, _, b) = call(
            &c,
            Method::PUT,
            &format!("{base}{WS}/computes/cl{n}?{V}"),
            Some(&aml("x")),
        )
        .await;
        assert_eq!(s, 201, "{b}");
    }
    let mut url = format!("{base}{WS}/computes?{V}");
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        let (s, _, b) = call(&c, Method::GET, &url, None).await;
        assert_eq!(s, 200);
        pages += 1;
        names.extend(
            b["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["name"].as_str().unwrap().to_string()),
        );
        match b["nextLink"].as_str() {
            Some(next) => {
                assert!(
                    next.starts_with(&base)
                        && next.contains("$skip=")
                        && next.contains("api-version=2026-03-01"),
                    "{next}"
                );
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, ["cl0", "cl1", "cl2", "cl3", "cl4"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn only_127_0_0_1_is_accepted() {
    for addr in ["0.0.0.0:0", "10.1.2.3:0", "[::1]:0"] {
        let err = amlctl_emulator::start(EmulatorConfig {
            listen: addr.parse().unwrap(),
            ..EmulatorConfig::default()
        })
        .await
        .expect_err(addr);
        assert!(
            matches!(err, EmulatorError::NotLoopback(_)),
            "{addr}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_are_consistent() {
    let emu = start(fast_config(1)).await;
    let base = emu.base_url();
    let c = client();
    let mut tasks = Vec::new();
    for n in 0..40 {
        let c = c.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({"properties": {"jobType": "Command", "command": format!("echo {n}"), "environmentId": "azureml:e@latest"}});
            let (s, _, _) = call(&c, Method::PUT, &format!("{base}{WS}/jobs/job-{n}?{V}"), Some(&body)).await;
            let (g, _, _) = call(&c, Method::GET, &format!("{base}{WS}/jobs/job-{n}?{V}"), None).await;
            (s, g)
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), (201, 200));
    }
    let (_, _, b) = call(&c, Method::GET, &format!("{base}{WS}/jobs?{V}"), None).await;
    let names: BTreeSet<String> = b["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 40);
    // Every request was logged once, with distinct sequence numbers.
    let log = emu.requests();
    let seqs: BTreeSet<u64> = log.iter().map(|r| r.seq).collect();
    assert_eq!(seqs.len(), log.len());
    assert_eq!(log.len(), 81);
    emu.shutdown().await;
}

#[tokio::test]
async fn request_log_file_has_one_json_line_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("requests.jsonl");
    let emu = start(EmulatorConfig {
        request_log: Some(path.clone()),
        ..fast_config(1)
    })
    .await;
    let c = client();
    let base = emu.base_url();
    call(&c, Method::GET, &format!("{base}{WS}?{V}"), None).await;
    call(&c, Method::GET, &format!("{base}{WS}/computes/x?{V}"), None).await;
    emu.shutdown().await;
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(lines[1]["status"], 404);
    assert!(!text.to_ascii_lowercase().contains("authorization"));
}

#[tokio::test]
async fn malformed_bodies_get_4xx_never_5xx() {
    let emu = start(fast_config(1)).await;
    let c = client();
    let base = emu.base_url();
    let targets = [
        (Method::PUT, "computes/c1"),
        (Method::PATCH, "computes/c1"),
        (Method::PUT, "jobs/j1"),
        (Method::PUT, "schedules/s1"),
        (Method::PUT, "codes/c/versions/1"),
        (Method::PUT, "codes/c"),
        (Method::PUT, "environments/e/versions/1"),
        (Method::PUT, "components/k/versions/1"),
        (Method::PUT, "datastores/d"),
        (Method::POST, "codes/c/versions/1/startPendingUpload"),
    ];
    let bodies = [
        json!(null),
        json!([]),
        json!("text"),
        json!(1.5),
        json!({}),
        json!({"properties": null}),
        json!({"properties": []}),
        json!({"properties": {"computeType": 5, "jobType": {}, "properties": "x"}}),
        json!({"properties": {"computeType": "AmlCompute", "properties": {"scaleSettings": "x", "userAccountCredentials": []}}}),
        json!({"properties": {"computeType": "ComputeInstance", "properties": {"schedules": {"computeStartStop": [1, {"cron": 2}]}}}}),
        json!({"properties": {"jobType": "Sweep", "trial": [], "objective": 1}}),
        json!({"properties": {"trigger": {"triggerType": "Recurrence", "frequency": 3}, "action": {"actionType": "CreateJob", "jobDefinition": []}}}),
        json!({"properties": {"credentials": {"secrets": 1}, "datastoreType": "AzureBlob"}}),
        json!({"location": ["x"], "tags": "y", "identity": 3, "properties": {"computeType": "Kubernetes", "properties": {"instanceTypes": 1}}}),
    ];
    for (m, path) in &targets {
        for b in &bodies {
            let (s, _, got) = call(&c, m.clone(), &format!("{base}{WS}/{path}?{V}"), Some(b)).await;
            assert!(s < 500, "{m} {path} {b}: {s} {got}");
            if s >= 400 {
                assert!(got["error"]["code"].is_string(), "{m} {path} {b}: {got}");
            }
        }
    }
    // Paths and queries with odd encodings.
    for path in [
        "computes/%ZZ",
        "computes/a%2Fb",
        "jobs/%F0%9F%98%80",
        "computes/x/start",
        "nope/x/y/z",
    ] {
        let (s, _, _) = call(
            &c,
            Method::GET,
            &format!("{base}{WS}/{path}?{V}&$skip=-1&$skipToken=%%"),
            None,
        )
        .await;
        assert!(s < 500, "{path}: {s}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn tls_serves_with_the_emulator_ca() {
    let emu = start(EmulatorConfig {
        tls: true,
        ..fast_config(1)
    })
    .await;
    let base = emu.base_url();
    assert!(base.starts_with("https://127.0.0.1:"));
    let pem = emu.cert_pem().expect("a TLS emulator has a certificate");
    let cert = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
    let trusted = reqwest::Client::builder()
        .no_proxy()
        .add_root_certificate(cert.clone())
        .build()
        .unwrap();
    let (s, _, b) = call(&trusted, Method::GET, &format!("{base}{WS}?{V}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(b["properties"]["discoveryUrl"], format!("{base}/discovery"));
    // localhost is in the certificate too (resolved to 127.0.0.1, never looked up).
    let addr = emu.local_addr();
    let by_name = reqwest::Client::builder()
        .no_proxy()
        .add_root_certificate(cert)
        .resolve("localhost", addr)
        .build()
        .unwrap();
    let r = by_name
        .get(format!("https://localhost:{}/discovery", addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Without the CA the handshake fails.
    let untrusted = reqwest::Client::builder().no_proxy().build().unwrap();
    assert!(
        untrusted
            .get(format!("{base}{WS}?{V}"))
            .bearer_auth("t")
            .send()
            .await
            .is_err()
    );
    emu.shutdown().await;
    let plain = start(fast_config(1)).await;
    assert!(plain.cert_pem().is_none());
    plain.shutdown().await;
}

#[tokio::test]
async fn workspaces_are_isolated() {
    let a: amlctl_emulator::WorkspaceSpec = "s1/rg1/wa@eastus".parse().unwrap();
    let b: amlctl_emulator::WorkspaceSpec = "s1/rg1/wb@northeurope".parse().unwrap();
    let emu = start(EmulatorConfig {
        workspaces: vec![a.clone(), b.clone()],
        ..fast_config(1)
    })
    .await;
    let c = client();
    let base = emu.base_url();
    let ci = json!({"properties": {"computeType": "ComputeInstance"}});
    let (s, _, got) = call(
        &c,
        Method::PUT,
        &format!("{base}{}/computes/ci1?{V}", a.arm_id()),
        Some(&ci),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(got["location"], "eastus");
    let (s, _, _) = call(
        &c,
        Method::GET,
        &format!("{base}{}/computes/ci1?{V}", b.arm_id()),
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (_, _, w) = call(&c, Method::GET, &format!("{base}{}?{V}", b.arm_id()), None).await;
    assert_eq!(w["location"], "northeurope");
    // ARM ids compare case-insensitively.
    let upper = a
        .arm_id()
        .replace("resourceGroups", "RESOURCEGROUPS")
        .replace("/wa", "/WA");
    let (s, _, got) = call(
        &c,
        Method::GET,
        &format!("{base}{upper}/computes/CI1?{V}"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(got["name"], "ci1");
    emu.shutdown().await;
}

#[tokio::test]
async fn compute_tags_are_changed_at_scope_without_touching_the_compute() {
    let emu = start(fast_config(5)).await;
    let c = client();
    let base = emu.base_url();
    let compute = format!("{base}{WS}/computes/tagged");
    let (s, _, _) = call(&c, Method::PUT, &format!("{compute}?{V}"), Some(&aml("t"))).await;
    assert_eq!(s, 201);
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let (_, _, before) = call(&c, Method::GET, &format!("{compute}?{V}"), None).await;
    let tags = format!("{compute}/providers/Microsoft.Resources/tags/default");

    // The Microsoft.Resources api-version is required here, not the ML one.
    let (s, _, b) = call(&c, Method::GET, &format!("{tags}?{V}"), None).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["error"]["code"], "InvalidApiVersionParameter");

    let merge = json!({"operation": "Merge", "properties": {"tags": {"owner": "me"}}});
    let (s, _, b) = call(
        &c,
        Method::PATCH,
        &format!("{tags}?api-version=2021-04-01"),
        Some(&merge),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["properties"]["tags"], json!({"n": "t", "owner": "me"}));
    let (_, _, after) = call(&c, Method::GET, &format!("{compute}?{V}"), None).await;
    assert_eq!(after["tags"], json!({"n": "t", "owner": "me"}));
    assert_eq!(
        after["properties"], before["properties"],
        "the compute itself is untouched"
    );

    let delete = json!({"operation": "Delete", "properties": {"tags": {"n": "t"}}});
    let (s, _, b) = call(
        &c,
        Method::PATCH,
        &format!("{tags}?api-version=2021-04-01"),
        Some(&delete),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["properties"]["tags"], json!({"owner": "me"}));
    let bad = json!({"operation": "Sideways", "properties": {"tags": {}}});
    let (s, _, b) = call(
        &c,
        Method::PATCH,
        &format!("{tags}?api-version=2021-04-01"),
        Some(&bad),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    let missing = format!(
        "{base}{WS}/computes/nope/providers/Microsoft.Resources/tags/default?api-version=2021-04-01"
    );
    let (s, _, _) = call(&c, Method::GET, &missing, None).await;
    assert_eq!(s, 404);
}
