//! First smoke test: the workspace and a compute instance round trip.
mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn workspace_and_compute_instance_lifecycle() {
    let emu = start(fast_config(20)).await;
    let c = client();
    let base = emu.base_url();
    let (s, _, ws) = call(&c, Method::GET, &format!("{base}{WS}?{V}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(ws["location"], "westeurope");
    assert_eq!(
        ws["properties"]["discoveryUrl"],
        format!("{base}/discovery")
    );

    let url = format!("{base}{WS}/computes/ci1?{V}");
    let body = json!({"properties": {"computeType": "ComputeInstance", "properties": {"vmSize": "STANDARD_DS3_V2"}}});
    let (s, h, b) = call(&c, Method::PUT, &url, Some(&body)).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["properties"]["provisioningState"], "Creating");
    let op = h["azure-asyncoperation"].to_str().unwrap().to_string();
    assert!(h.contains_key("retry-after") || h.contains_key("retry-after-ms"));
    assert_eq!(wait_op(&c, &op).await["status"], "Succeeded");
    let (_, _, b) = call(&c, Method::GET, &url, None).await;
    assert_eq!(b["properties"]["provisioningState"], "Succeeded");
    assert_eq!(b["properties"]["properties"]["state"], "Running");
    assert_eq!(b["properties"]["properties"]["enableNodePublicIp"], true);

    // start on a running instance: conflict
    let (s, _, b) = call(
        &c,
        Method::POST,
        &format!("{base}{WS}/computes/ci1/start?{V}"),
        None,
    )
    .await;
    assert_eq!(s, 409, "{b}");
    assert!(b["error"]["code"].is_string());

    let (s, h, _) = call(
        &c,
        Method::POST,
        &format!("{base}{WS}/computes/ci1/stop?{V}"),
        None,
    )
    .await;
    assert_eq!(s, 202);
    assert!(h.contains_key("location"));
    let (_, _, b) = call(&c, Method::GET, &url, None).await;
    assert_eq!(b["properties"]["properties"]["state"], "Stopping");
    wait_for(&c, &url, |b| {
        b["properties"]["properties"]["state"] == "Stopped"
    })
    .await;

    let (s, _, b) = call(&c, Method::DELETE, &url, None).await;
    assert_eq!(s, 400, "underlyingResourceAction is required: {b}");
    let del = format!("{base}{WS}/computes/ci1?{V}&underlyingResourceAction=Delete");
    let (s, h, _) = call(&c, Method::DELETE, &del, None).await;
    assert_eq!(s, 202);
    let op = h["azure-asyncoperation"].to_str().unwrap().to_string();
    assert_eq!(wait_op(&c, &op).await["status"], "Succeeded");
    let (s, _, b) = call(&c, Method::GET, &url, None).await;
    assert_eq!(s, 404);
    assert_eq!(b["error"]["code"], "ResourceNotFound");
    let (s, _, _) = call(&c, Method::DELETE, &del, None).await;
    assert_eq!(s, 204);
    emu.shutdown().await;
}
