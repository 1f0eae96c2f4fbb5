//! Shared helpers for the emulator's integration tests.
#![allow(dead_code)]

use std::time::Duration;

use amlctl_emulator::{EmulatorConfig, EmulatorHandle, Timings};
use serde_json::Value;

pub const WS: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
pub const V: &str = "api-version=2026-03-01";

/// A fast emulator: every state-machine step takes `step`.
pub fn fast_config(step_ms: u64) -> EmulatorConfig {
    EmulatorConfig {
        timings: Timings::uniform(Duration::from_millis(step_ms)),
        ..EmulatorConfig::default()
    }
}

pub async fn start(config: EmulatorConfig) -> EmulatorHandle {
    amlctl_emulator::start(config)
        .await
        .expect("emulator starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// Send a request with a bearer token; returns (status, headers, JSON body or Null).
pub async fn call(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<&Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = c.request(method, url).bearer_auth("test-token");
    if let Some(b) = body {
        r = r.json(b);
    }
    let resp = r.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, headers, json)
}

/// Poll `url` (an Azure-AsyncOperation URL) until its status is terminal.
pub async fn wait_op(c: &reqwest::Client, url: &str) -> Value {
    for _ in 0..400 {
        let (s, _, b) = call(c, reqwest::Method::GET, url, None).await;
        assert_eq!(s, 200, "{b}");
        if b["status"] != "InProgress" {
            return b;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("operation {url} did not finish");
}

/// Poll a GET until `pred` holds on the body.
pub async fn wait_for(c: &reqwest::Client, url: &str, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        let (s, _, b) = call(c, reqwest::Method::GET, url, None).await;
        if s == 200 && pred(&b) {
            return b;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{url} never satisfied the condition");
}

/// A response header's value; panics (failing the test) when it is missing.
pub fn hdr(h: &reqwest::header::HeaderMap, name: &str) -> String {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("header {name} missing in {h:?}"))
        .to_string()
}
