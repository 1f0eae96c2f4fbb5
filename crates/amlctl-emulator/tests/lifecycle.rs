//! Resource lifecycles: LRO flows (Azure-AsyncOperation and Location polling), compute
//! server fields and state machines, schedules, jobs, code upload.
mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn aml_compute_create_update_patch_delete() {
    // Long enough that transient states are observable on a loaded machine.
    let emu = start(fast_config(250)).await;
    let c = client();
    let base = emu.base_url();
    let url = format!("{base}{WS}/computes/cpu1?{V}");
    let body = json!({"location": "westeurope", "properties": {"computeType": "AmlCompute", "properties": {
        "vmSize": "STANDARD_DS3_V2",
        "scaleSettings": {"maxNodeCount": 4},
        "userAccountCredentials": {"adminUserName": "azureuser", "adminUserPassword": "hunter2!"}
    }}});
    let (s, h, b) = call(&c, Method::PUT, &url, Some(&body)).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["properties"]["provisioningState"], "Creating");
    let op = hdr(&h, "azure-asyncoperation");
    assert!(op.starts_with(&base));
    let (_, _, st) = call(&c, Method::GET, &op, None).await;
    assert_eq!(st["status"], "InProgress");
    assert_eq!(wait_op(&c, &op).await["status"], "Succeeded");
    let (_, _, b) = call(&c, Method::GET, &url, None).await;
    let p = &b["properties"];
    assert_eq!(p["provisioningState"], "Succeeded");
    assert_eq!(b["id"], format!("{WS}/computes/cpu1"));
    assert_eq!(
        b["type"],
        "Microsoft.MachineLearningServices/workspaces/computes"
    );
    assert!(b["systemData"]["createdAt"].is_string());
    assert!(p["createdOn"].is_string() && p["modifiedOn"].is_string());
    assert_eq!(p["isAttachedCompute"], false);
    let inner = &p["properties"];
    assert_eq!(inner["allocationState"], "Steady");
    assert_eq!(inner["scaleSettings"]["minNodeCount"], 0);
    assert!(inner["scaleSettings"]["nodeIdleTimeBeforeScaleDown"].is_string());
    assert_eq!(inner["enableNodePublicIp"], true);
    assert_eq!(inner["vmPriority"], "Dedicated");
    assert_eq!(
        inner["userAccountCredentials"]["adminUserName"],
        "azureuser"
    );
    assert!(!b.to_string().contains("hunter2!"), "secret echoed: {b}");

    // Update PUT: 200, Updating; a changed vmSize is refused (stricter than the service).
    let (s, h, b) = call(&c, Method::PUT, &url, Some(&json!({"properties": {"computeType": "AmlCompute", "description": "d", "properties": {"vmSize": "STANDARD_DS3_V2", "scaleSettings": {"maxNodeCount": 4}}}}))).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["properties"]["provisioningState"], "Updating");
    // While it is updating, another change conflicts.
    let (s, _, _) = call(&c, Method::PUT, &url, Some(&body)).await;
    assert_eq!(s, 409);
    wait_op(&c, &hdr(&h, "azure-asyncoperation")).await;
    let mut bigger = body.clone();
    bigger["properties"]["properties"]["vmSize"] = json!("STANDARD_NC6");
    let (s, _, b) = call(&c, Method::PUT, &url, Some(&bigger)).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["error"]["target"], "properties.properties.vmSize");
    let (s, _, _) = call(
        &c,
        Method::PUT,
        &url,
        Some(&json!({"properties": {"computeType": "ComputeInstance"}})),
    )
    .await;
    assert_eq!(s, 409);

    // PATCH scale settings.
    let (s, h, b) = call(&c, Method::PATCH, &url, Some(&json!({"properties": {"properties": {"scaleSettings": {"maxNodeCount": 8, "minNodeCount": 1}}}}))).await;
    assert_eq!(s, 200, "{b}");
    assert!(h.contains_key("azure-asyncoperation") && h.contains_key("location"));
    wait_op(&c, &hdr(&h, "azure-asyncoperation")).await;
    let (_, _, b) = call(&c, Method::GET, &url, None).await;
    assert_eq!(
        b["properties"]["properties"]["scaleSettings"]["maxNodeCount"],
        8
    );
    assert_eq!(
        b["properties"]["properties"]["scaleSettings"]["minNodeCount"],
        1
    );
    let (s, _, _) = call(
        &c,
        Method::PATCH,
        &url,
        Some(&json!({"properties": {"properties": {}}})),
    )
    .await;
    assert_eq!(s, 400);

    // DELETE, polled through Location: 202 while running, then 204.
    let (s, _, _) = call(
        &c,
        Method::DELETE,
        &format!("{url}&underlyingResourceAction=Detach"),
        None,
    )
    .await;
    assert_eq!(s, 400, "an AmlCompute cannot be detached");
    let (s, h, _) = call(
        &c,
        Method::DELETE,
        &format!("{url}&underlyingResourceAction=Delete"),
        None,
    )
    .await;
    assert_eq!(s, 202);
    let loc = hdr(&h, "location");
    let (s, h2, _) = call(&c, Method::GET, &loc, None).await;
    assert_eq!(s, 202);
    assert!(h2.contains_key("location"));
    let (_, _, b) = call(&c, Method::GET, &url, None).await;
    assert_eq!(b["properties"]["provisioningState"], "Deleting");
    let mut last = 202;
    for _ in 0..300 {
        let (s, _, _) = call(&c, Method::GET, &loc, None).await;
        last = s;
        if s != 202 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(last, 204);
    let (s, _, _) = call(&c, Method::GET, &url, None).await;
    assert_eq!(s, 404);
    emu.shutdown().await;
}

#[tokio::test]
async fn compute_instance_state_machine() {
    let emu = start(fast_config(250)).await;
    let c = client();
    let base = emu.base_url();
    let url = format!("{base}{WS}/computes/ci1?{V}");
    let (s, h, b) = call(&c, Method::PUT, &url, Some(&json!({"properties": {"computeType": "ComputeInstance", "properties": {"vmSize": "STANDARD_DS3_V2"}}}))).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["properties"]["properties"]["state"], "Creating");
    assert_eq!(
        b["location"], "westeurope",
        "a compute instance follows the workspace location"
    );
    // The final GET through Location returns the resource (PUT-like operation).
    wait_op(&c, &hdr(&h, "azure-asyncoperation")).await;
    let (_, _, b) = call(&c, Method::GET, &url, None).await;
    let inner = &b["properties"]["properties"];
    assert_eq!(inner["state"], "Running");
    for f in [
        "osImageMetadata",
        "connectivityEndpoints",
        "applications",
        "createdBy",
        "lastOperation",
        "sshSettings",
    ] {
        assert!(!inner[f].is_null(), "{f} missing: {inner}");
    }
    assert_eq!(inner["enableNodePublicIp"], true);
    assert_eq!(inner["lastOperation"]["operationName"], "Create");
    assert_eq!(inner["lastOperation"]["operationStatus"], "Succeeded");

    for (action, transient, target) in [
        ("stop", "Stopping", "Stopped"),
        ("start", "Starting", "Running"),
        ("restart", "Restarting", "Running"),
    ] {
        let (s, h, b) = call(
            &c,
            Method::POST,
            &format!("{base}{WS}/computes/ci1/{action}?{V}"),
            None,
        )
        .await;
        assert_eq!(s, 202, "{action}: {b}");
        assert!(h.contains_key("location"));
        let (_, _, b) = call(&c, Method::GET, &url, None).await;
        assert_eq!(b["properties"]["properties"]["state"], transient);
        // A second action while transitioning conflicts.
        let (s, _, _) = call(
            &c,
            Method::POST,
            &format!("{base}{WS}/computes/ci1/{action}?{V}"),
            None,
        )
        .await;
        assert_eq!(s, 409, "{action} during {transient}");
        wait_op(&c, &hdr(&h, "azure-asyncoperation")).await;
        let (_, _, b) = call(&c, Method::GET, &url, None).await;
        assert_eq!(b["properties"]["properties"]["state"], target, "{action}");
    }
    let (s, _, b) = call(
        &c,
        Method::POST,
        &format!("{base}{WS}/computes/ci1/start?{V}"),
        None,
    )
    .await;
    assert_eq!(s, 409);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already running")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn kubernetes_attach_hides_secrets_and_detaches() {
    let emu = start(fast_config(5)).await;
    let c = client();
    let base = emu.base_url();
    let url = format!("{base}{WS}/computes/k8s?{V}");
    let body = json!({"properties": {"computeType": "Kubernetes",
        "resourceId": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1",
        "properties": {"namespace": "ml", "relayConnectionString": "Endpoint=sb://secret", "serviceBusConnectionString": "Endpoint=sb://secret2"}}});
    let (s, _, b) = call(&c, Method::PUT, &url, Some(&body)).await;
    assert_eq!(s, 201, "{b}");
    assert!(!b.to_string().contains("sb://secret"));
    let (_, _, b) = call(&c, Method::GET, &url, None).await;
    assert!(b["properties"]["properties"]["relayConnectionString"].is_null());
    assert_eq!(b["properties"]["isAttachedCompute"], true);
    let (s, _, _) = call(
        &c,
        Method::PUT,
        &url,
        Some(&json!({"properties": {"computeType": "Kubernetes"}})),
    )
    .await;
    assert_eq!(s, 400, "resourceId is required to attach");
    wait_for(&c, &url, |b| {
        b["properties"]["provisioningState"] == "Succeeded"
    })
    .await;
    let (s, h, _) = call(
        &c,
        Method::DELETE,
        &format!("{url}&underlyingResourceAction=Detach"),
        None,
    )
    .await;
    assert_eq!(s, 202);
    wait_op(&c, &hdr(&h, "azure-asyncoperation")).await;
    let (s, _, _) = call(&c, Method::GET, &url, None).await;
    assert_eq!(s, 404);
    emu.shutdown().await;
}

fn schedule(enabled: bool) -> Value {
    json!({"properties": {"displayName": "nightly", "isEnabled": enabled,
        "trigger": {"triggerType": "Recurrence", "frequency": "day", "interval": 1, "schedule": {"hours": [2], "minutes": [0]}},
        "action": {"actionType": "CreateJob", "jobDefinition": {"jobType": "Command", "command": "python x.py", "environmentId": "azureml:e@1"}}}})
}

#[tokio::test]
async fn schedules_lifecycle_and_visibility() {
    let emu = start(fast_config(10)).await;
    let c = client();
    let base = emu.base_url();
    let url = format!("{base}{WS}/schedules/nightly?{V}");
    let (s, h, b) = call(&c, Method::PUT, &url, Some(&schedule(true))).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["properties"]["provisioningState"], "Creating");
    assert!(h.contains_key("x-ms-async-operation-timeout"));
    assert_eq!(
        wait_op(&c, &hdr(&h, "azure-asyncoperation")).await["status"],
        "Succeeded"
    );
    let (_, _, b) = call(&c, Method::GET, &url, None).await;
    assert_eq!(b["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        b["properties"]["action"]["jobDefinition"]["command"],
        "python x.py"
    );
    assert_eq!(b["properties"]["trigger"]["timeZone"], "UTC");

    let list = |q: &'static str| {
        let c = c.clone();
        let base = base.clone();
        async move {
            let (_, _, b) = call(
                &c,
                Method::GET,
                &format!("{base}{WS}/schedules?{V}{q}"),
                None,
            )
            .await;
            b["value"].as_array().unwrap().len()
        }
    };
    assert_eq!(list("").await, 1);
    let (s, h, _) = call(&c, Method::PUT, &url, Some(&schedule(false))).await;
    assert_eq!(s, 200);
    wait_op(&c, &hdr(&h, "azure-asyncoperation")).await;
    assert_eq!(
        list("").await,
        0,
        "disabled schedules are hidden by default"
    );
    assert_eq!(list("&listViewType=All").await, 1);
    assert_eq!(list("&listViewType=DisabledOnly").await, 1);
    let mut renamed = schedule(false);
    renamed["properties"]["displayName"] = json!("other");
    let (s, _, _) = call(&c, Method::PUT, &url, Some(&renamed)).await;
    assert_eq!(s, 400, "displayName is create-only");

    let (s, h, _) = call(&c, Method::DELETE, &url, None).await;
    assert_eq!(s, 202);
    assert!(h.contains_key("location"));
    wait_op(&c, &hdr(&h, "azure-asyncoperation")).await;
    let (s, _, _) = call(&c, Method::GET, &url, None).await;
    assert_eq!(s, 404);
    let (s, _, _) = call(&c, Method::DELETE, &url, None).await;
    assert_eq!(s, 204);
    emu.shutdown().await;
}

fn job(cmd: &str, tags: Value) -> Value {
    json!({"properties": {"jobType": "Command", "command": cmd, "environmentId": "azureml:e@1", "computeId": format!("{WS}/computes/cpu"), "tags": tags}})
}

#[tokio::test]
async fn jobs_walk_their_statuses_and_fail_on_the_knob() {
    let emu = start(fast_config(15)).await;
    let c = client();
    let base = emu.base_url();
    let url = format!("{base}{WS}/jobs/j1?{V}");
    let (s, h, b) = call(
        &c,
        Method::PUT,
        &url,
        Some(&job("python train.py", json!({"team": "a"}))),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert!(
        !h.contains_key("azure-asyncoperation"),
        "job PUT is synchronous"
    );
    assert_eq!(b["properties"]["status"], "NotStarted");
    assert_eq!(b["properties"]["experimentName"], "Default");
    assert!(b["properties"]["services"]["Studio"]["endpoint"].is_string());
    // Observe the walk: every status seen is in order and it ends Completed.
    let order = [
        "NotStarted",
        "Starting",
        "Preparing",
        "Queued",
        "Running",
        "Finalizing",
        "Completed",
    ];
    let mut seen = vec![];
    for _ in 0..500 {
        let (_, _, b) = call(&c, Method::GET, &url, None).await;
        let st = b["properties"]["status"].as_str().unwrap().to_string();
        if seen.last() != Some(&st) {
            seen.push(st.clone());
        }
        if st == "Completed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let idx: Vec<usize> = seen
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("known status"))
        .collect();
    assert!(idx.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("Completed"));

    // Same definition again: 200; mutable fields change; a different command conflicts.
    let (s, _, _) = call(
        &c,
        Method::PUT,
        &url,
        Some(&job("python train.py", json!({"team": "a"}))),
    )
    .await;
    assert_eq!(s, 200);
    let mut upd = job("python train.py", json!({"team": "b"}));
    upd["properties"]["isArchived"] = json!(true);
    upd["properties"]["description"] = json!("archived");
    let (s, _, b) = call(&c, Method::PUT, &url, Some(&upd)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["properties"]["tags"]["team"], "b");
    assert_eq!(b["properties"]["status"], "Completed");
    let (s, _, b) = call(
        &c,
        Method::PUT,
        &url,
        Some(&job("python other.py", json!({}))),
    )
    .await;
    assert_eq!(s, 409, "{b}");

    // The knob: tag emulator.fail=true ends Failed.
    let furl = format!("{base}{WS}/jobs/j-fail?{V}");
    call(
        &c,
        Method::PUT,
        &furl,
        Some(&job("python train.py", json!({"emulator.fail": "true"}))),
    )
    .await;
    let b = wait_for(&c, &furl, |b| {
        matches!(
            b["properties"]["status"].as_str(),
            Some("Failed" | "Completed")
        )
    })
    .await;
    assert_eq!(b["properties"]["status"], "Failed");

    // Lists: archived hidden by default; jobType filter.
    let names = |b: &Value| {
        b["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let (_, _, b) = call(&c, Method::GET, &format!("{base}{WS}/jobs?{V}"), None).await;
    assert_eq!(names(&b), ["j-fail"]);
    let (_, _, b) = call(
        &c,
        Method::GET,
        &format!("{base}{WS}/jobs?{V}&listViewType=All"),
        None,
    )
    .await;
    assert_eq!(names(&b), ["j-fail", "j1"]);
    let (_, _, b) = call(
        &c,
        Method::GET,
        &format!("{base}{WS}/jobs?{V}&listViewType=ArchivedOnly"),
        None,
    )
    .await;
    assert_eq!(names(&b), ["j1"]);
    let (_, _, b) = call(
        &c,
        Method::GET,
        &format!("{base}{WS}/jobs?{V}&listViewType=All&jobType=Sweep"),
        None,
    )
    .await;
    assert!(names(&b).is_empty());

    // Delete (LRO).
    let (s, h, _) = call(&c, Method::DELETE, &url, None).await;
    assert_eq!(s, 202);
    wait_op(&c, &hdr(&h, "azure-asyncoperation")).await;
    let (s, _, _) = call(&c, Method::GET, &url, None).await;
    assert_eq!(s, 404);
    emu.shutdown().await;
}

#[tokio::test]
async fn job_cancel_walks_to_canceled() {
    let emu = start(fast_config(250)).await;
    let c = client();
    let base = emu.base_url();
    let url = format!("{base}{WS}/jobs/j2?{V}");
    call(&c, Method::PUT, &url, Some(&job("sleep 100", json!({})))).await;
    let (s, h, _) = call(
        &c,
        Method::POST,
        &format!("{base}{WS}/jobs/j2/cancel?{V}"),
        None,
    )
    .await;
    assert_eq!(s, 202);
    assert!(h.contains_key("location"));
    let (_, _, b) = call(&c, Method::GET, &url, None).await;
    assert_eq!(b["properties"]["status"], "CancelRequested");
    assert_eq!(
        wait_op(&c, &hdr(&h, "azure-asyncoperation")).await["status"],
        "Succeeded"
    );
    let (_, _, b) = call(&c, Method::GET, &url, None).await;
    assert_eq!(b["properties"]["status"], "Canceled");
    let (s, _, _) = call(
        &c,
        Method::POST,
        &format!("{base}{WS}/jobs/missing/cancel?{V}"),
        None,
    )
    .await;
    assert_eq!(s, 404);
    emu.shutdown().await;
}

#[tokio::test]
async fn code_upload_through_the_blob_endpoint() {
    let emu = start(fast_config(5)).await;
    let c = client();
    let base = emu.base_url();
    let (_, _, ds) = call(&c, Method::GET, &format!("{base}{WS}/datastores?{V}"), None).await;
    assert_eq!(ds["value"][0]["name"], "workspaceblobstore");
    assert_eq!(ds["value"][0]["properties"]["isDefault"], true);
    let (s, _, up) = call(
        &c,
        Method::POST,
        &format!("{base}{WS}/codes/c1/versions/1/startPendingUpload?{V}"),
        Some(&json!({"pendingUploadType": "None"})),
    )
    .await;
    assert_eq!(s, 200);
    let sas = up["blobReferenceForConsumption"]["credential"]["sasUri"]
        .as_str()
        .unwrap()
        .to_string();
    let blob_uri = up["blobReferenceForConsumption"]["blobUri"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(sas.starts_with(&base) && sas.contains("sig="));
    let (path, query) = sas.split_once('?').unwrap();
    let file = format!("{path}/src/main.py?{query}");
    assert_eq!(c.head(&file).send().await.unwrap().status(), 404);
    let r = c
        .put(&file)
        .header("x-ms-blob-type", "BlockBlob")
        .header("x-ms-meta-name", "c1")
        .body("print(1)\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = c.head(&file).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-ms-meta-name"], "c1");
    let r = c
        .put(format!("{file}&comp=metadata"))
        .header("x-ms-meta-upload_status", "completed")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .put(&file)
        .header("x-ms-blob-type", "BlockBlob")
        .header("If-None-Match", "*")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let no_sas = format!("{path}/src/main.py");
    assert_eq!(c.head(&no_sas).send().await.unwrap().status(), 403);
    let blobs = emu.blobs();
    assert_eq!(blobs.len(), 1);
    assert_eq!(blobs[0].size, 9);
    assert_eq!(blobs[0].sha256, sha256_hex(b"print(1)\n"));
    assert!(
        blobs[0]
            .metadata
            .contains(&("upload_status".to_string(), "completed".to_string()))
    );

    // Register the code version with its hash; the hash lookup finds it from any name.
    let body = json!({"properties": {"codeUri": format!("{blob_uri}/src"), "isAnonymous": true, "properties": {"hash_sha256": "abc", "hash_version": 202208}}});
    let (s, _, _) = call(
        &c,
        Method::PUT,
        &format!("{base}{WS}/codes/c1/versions/1?{V}"),
        Some(&body),
    )
    .await;
    assert_eq!(s, 201);
    let (_, _, b) = call(
        &c,
        Method::GET,
        &format!("{base}{WS}/codes/other/versions?{V}&hash=abc&hashVersion=202208"),
        None,
    )
    .await;
    assert_eq!(b["value"].as_array().unwrap().len(), 1);
    let (_, _, b) = call(
        &c,
        Method::GET,
        &format!("{base}{WS}/codes/other/versions?{V}&hash=zzz&hashVersion=202208"),
        None,
    )
    .await;
    assert_eq!(b["value"].as_array().unwrap().len(), 0);
    let (_, _, b) = call(&c, Method::GET, &format!("{base}{WS}/codes/c1?{V}"), None).await;
    assert_eq!(b["properties"]["latestVersion"], "1");
    // Versions are immutable.
    let mut changed = body.clone();
    changed["properties"]["codeUri"] = json!("https://elsewhere/x");
    let (s, _, _) = call(
        &c,
        Method::PUT,
        &format!("{base}{WS}/codes/c1/versions/1?{V}"),
        Some(&changed),
    )
    .await;
    assert_eq!(s, 409);
    let (s, _, _) = call(
        &c,
        Method::PUT,
        &format!("{base}{WS}/codes/c1/versions/1?{V}"),
        Some(&body),
    )
    .await;
    assert_eq!(s, 200);
    emu.shutdown().await;
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(b))
}

#[tokio::test]
async fn deleting_during_create_cancels_the_create_operation() {
    let emu = start(fast_config(300)).await;
    let c = client();
    let base = emu.base_url();
    let url = format!("{base}{WS}/computes/short?{V}");
    let body = json!({"properties": {"computeType": "AmlCompute", "properties": {"scaleSettings": {"maxNodeCount": 1}}}});
    let (s, h, _) = call(&c, Method::PUT, &url, Some(&body)).await;
    assert_eq!(s, 201);
    let create_op = hdr(&h, "azure-asyncoperation");
    let (s, h, _) = call(
        &c,
        Method::DELETE,
        &format!("{url}&underlyingResourceAction=Delete"),
        None,
    )
    .await;
    assert_eq!(s, 202);
    let op = wait_op(&c, &create_op).await;
    assert_eq!(op["status"], "Canceled", "{op}");
    assert!(op.get("error").is_none());
    assert_eq!(
        wait_op(&c, &hdr(&h, "azure-asyncoperation")).await["status"],
        "Succeeded"
    );
    let (s, _, _) = call(&c, Method::GET, &url, None).await;
    assert_eq!(s, 404);
    emu.shutdown().await;
}
