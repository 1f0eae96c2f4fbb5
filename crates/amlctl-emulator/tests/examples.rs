//! Walk every published example for the resources in scope
//! (`shared/reference/azure-ml-rest/examples`): send the example request to a fresh emulator
//! (seeding the resource first for get/list/delete/actions) and check that the response status
//! is one the example lists and that the body carries every key of the example response with a
//! value of the same JSON type (`null` in the example matches anything), and the headers the
//! example shows.
//!
//! Out of scope (skipped, listed in the README): `Registry/*` (registries are not emulated) and
//! the 2025-12-01-only compute actions `updateCustomServices`, `updateDataMounts`,
//! `updateIdleShutdownSetting` (absent from the 2026-03-01 spec).

mod common;
#[path = "../../../tests/support/reference.rs"]
mod reference;

use std::path::{Path, PathBuf};
use std::time::Duration;

use amlctl_emulator::{EmulatorConfig, EmulatorHandle, Timings, WorkspaceSpec};
use common::{call, client, wait_for};
use reqwest::Method;
use serde_json::{Value, json};

/// The published examples, or `None` (skip) where the reference data is absent.
fn examples_dir() -> Option<PathBuf> {
    reference::find(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."),
        "azure-ml-rest/examples",
    )
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

/// The resource and operation an example exercises, from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Res {
    Compute,
    Job,
    Schedule,
    Datastore,
    CodeContainer,
    CodeVersion,
    ComponentVersion,
    EnvironmentVersion,
    Workspace,
}

fn classify(rel: &str) -> Option<(Res, String)> {
    let parts: Vec<&str> = rel.trim_end_matches(".json").split('/').collect();
    // parts[0] is the api-version folder.
    let op = |p: &str| p.to_string();
    match &parts[1..] {
        ["Registry", ..] => None,
        [
            "Compute",
            "updateCustomServices" | "updateDataMounts" | "updateIdleShutdownSetting",
        ] => None,
        ["Compute", o, ..] => Some((Res::Compute, op(o))),
        ["Job", _, o] | ["Job", o] => Some((Res::Job, op(o))),
        ["Schedule", o] => Some((Res::Schedule, op(o))),
        ["Datastore", o] => Some((Res::Datastore, op(o))),
        ["Workspace", "CodeContainer", o] => Some((Res::CodeContainer, op(o))),
        ["Workspace", "CodeVersion", o] => Some((Res::CodeVersion, op(o))),
        ["Workspace", "ComponentVersion", o] => Some((Res::ComponentVersion, op(o))),
        ["Workspace", "EnvironmentVersion", o] => Some((Res::EnvironmentVersion, op(o))),
        ["Workspace", "get"] => Some((Res::Workspace, "get".into())),
        _ => None,
    }
}

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

fn enc(seg: &str) -> String {
    seg.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

struct Target {
    ws_path: String,
    item: String,
    collection: String,
    api: String,
}

fn target(res: Res, p: &Value) -> Target {
    let ws_path = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/{}",
        s(p, "subscriptionId"),
        s(p, "resourceGroupName"),
        s(p, "workspaceName")
    );
    let (collection, item) = match res {
        Res::Compute => (
            "computes".to_string(),
            format!("computes/{}", enc(&s(p, "computeName"))),
        ),
        Res::Job => ("jobs".into(), format!("jobs/{}", enc(&s(p, "id")))),
        Res::Schedule => (
            "schedules".into(),
            format!("schedules/{}", enc(&s(p, "name"))),
        ),
        Res::Datastore => (
            "datastores".into(),
            format!("datastores/{}", enc(&s(p, "name"))),
        ),
        Res::CodeContainer => ("codes".into(), format!("codes/{}", enc(&s(p, "name")))),
        Res::CodeVersion => (
            format!("codes/{}/versions", enc(&s(p, "name"))),
            format!(
                "codes/{}/versions/{}",
                enc(&s(p, "name")),
                enc(&s(p, "version"))
            ),
        ),
        Res::ComponentVersion => (
            format!("components/{}/versions", enc(&s(p, "name"))),
            format!(
                "components/{}/versions/{}",
                enc(&s(p, "name")),
                enc(&s(p, "version"))
            ),
        ),
        Res::EnvironmentVersion => (
            format!("environments/{}/versions", enc(&s(p, "name"))),
            format!(
                "environments/{}/versions/{}",
                enc(&s(p, "name")),
                enc(&s(p, "version"))
            ),
        ),
        Res::Workspace => (String::new(), String::new()),
    };
    Target {
        ws_path,
        item,
        collection,
        api: s(p, "api-version"),
    }
}

/// Free-form maps (`additionalProperties`): the example generator fills them with placeholder
/// keys that differ between request and response, so only their type is compared.
const FREE_FORM: &[&str] = &[
    "tags",
    "userAssignedIdentities",
    "outboundRules",
    "componentSpec",
    "endpointInvocationDefinition",
    "parameters",
    "environmentVariables",
];

fn is_uuid(k: &str) -> bool {
    k.len() == 36 && k.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// Every key of `want` is in `got` with the same JSON type; reports all mismatches.
/// `null` in the example matches anything; `null` in the response matches an example scalar
/// (an optional value the seed did not set); an empty array matches a non-empty one except for
/// a list's `value`.
fn same_shape(want: &Value, got: &Value, at: &str, problems: &mut Vec<String>) {
    let key = at.rsplit('.').next().unwrap_or("");
    match (want, got) {
        (Value::Null, _) => {}
        (Value::Object(_), Value::Object(_)) if FREE_FORM.contains(&key) => {}
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                if is_uuid(k) {
                    continue;
                }
                match g.get(k) {
                    Some(gv) => same_shape(wv, gv, &format!("{at}.{k}"), problems),
                    None => problems.push(format!("{at}.{k}: missing")),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if let (Some(w0), Some(g0)) = (w.first(), g.first()) {
                same_shape(w0, g0, &format!("{at}[0]"), problems);
            } else if !w.is_empty() && at == "body.value" {
                problems.push(format!("{at}: empty, the example has items"));
            }
        }
        (Value::String(_) | Value::Bool(_) | Value::Number(_), Value::Null) => {}
        (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_)) => {}
        (w, g) => problems.push(format!("{at}: type differs (example {w}, got {g})")),
    }
}

/// A PUT body made from an example response body (read-only envelope fields dropped).
fn seed_body(resp_body: &Value) -> Value {
    let mut b = resp_body.clone();
    if let Some(o) = b.as_object_mut() {
        for f in ["id", "name", "type", "systemData"] {
            o.remove(f);
        }
    }
    b
}

fn minimal_seed(res: Res) -> Value {
    match res {
        Res::Compute => {
            json!({"properties": {"computeType": "AmlCompute", "properties": {"scaleSettings": {"maxNodeCount": 1}}}})
        }
        Res::Job => {
            json!({"properties": {"jobType": "Command", "command": "echo hi", "environmentId": "azureml:env@latest"}})
        }
        Res::Schedule => json!({"properties": {
            "trigger": {"triggerType": "Cron", "expression": "0 1 * * *"},
            "action": {"actionType": "CreateJob", "jobDefinition": {"jobType": "Command", "command": "echo hi", "environmentId": "azureml:env@latest"}}
        }}),
        _ => json!({"properties": {}}),
    }
}

async fn put_ok(c: &reqwest::Client, url: &str, body: &Value) {
    let (st, _, b) = call(c, Method::PUT, url, Some(body)).await;
    assert!(
        (200..300).contains(&st),
        "seeding PUT {url} failed: {st} {b}"
    );
}

async fn emulator_for(p: &Value) -> EmulatorHandle {
    let ws = WorkspaceSpec {
        subscription: s(p, "subscriptionId"),
        resource_group: s(p, "resourceGroupName"),
        name: s(p, "workspaceName"),
        location: "eastus".into(),
    };
    amlctl_emulator::start(EmulatorConfig {
        workspaces: vec![ws],
        timings: Timings::uniform(Duration::from_millis(5)),
        page_size: 1,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

/// Run one example; returns the problems found.
async fn run(rel: &str, ex: &Value, res: Res, op: &str) -> Vec<String> {
    let p = &ex["parameters"];
    let t = target(res, p);
    let emu = emulator_for(p).await;
    let base = emu.base_url();
    let c = client();
    let item_url = |extra: &str| {
        format!(
            "{base}{}/{}?api-version={}{extra}",
            t.ws_path, t.item, t.api
        )
    };
    let responses = ex["responses"].as_object().cloned().unwrap_or_default();
    let first_body = |code: &str| responses.get(code).and_then(|r| r.get("body")).cloned();
    let wait_ready = |url: String| {
        let c = c.clone();
        async move {
            wait_for(&c, &url, |b| {
                let ps = b["properties"]["provisioningState"].as_str();
                ps.is_none_or(|s| s == "Succeeded")
            })
            .await;
        }
    };

    let (method, url, body): (Method, String, Option<Value>) = match (res, op) {
        (Res::Workspace, _) => (
            Method::GET,
            format!("{base}{}?api-version={}", t.ws_path, t.api),
            None,
        ),
        (_, "createOrUpdate") => {
            let body = p.get("parameters").or_else(|| p.get("body")).cloned();
            (Method::PUT, item_url(""), body)
        }
        (_, "get") => {
            let want = first_body("200").unwrap_or(Value::Null);
            put_ok(&c, &item_url(""), &seed_body(&want)).await;
            wait_ready(item_url("")).await;
            (Method::GET, item_url(""), None)
        }
        (_, "list") => {
            let want = first_body("200").unwrap_or(Value::Null);
            let first = &want["value"][0];
            let name = first["name"].as_str().unwrap_or("seeded").to_string();
            for n in [name.clone(), format!("{name}2")] {
                let url = format!(
                    "{base}{}/{}/{}?api-version={}",
                    t.ws_path,
                    t.collection,
                    enc(&n),
                    t.api
                );
                put_ok(&c, &url, &seed_body(first)).await;
                wait_ready(url).await;
            }
            let mut q = format!("?api-version={}", t.api);
            for (k, v) in p.as_object().into_iter().flatten() {
                // Path parameters are not query parameters; "string" is the generator's placeholder
                // (sending `jobType=string` would filter everything out).
                let skip = [
                    "api-version",
                    "subscriptionId",
                    "resourceGroupName",
                    "workspaceName",
                ]
                .contains(&k.as_str())
                    || v.as_str() == Some("string");
                if let (false, Some(v)) = (
                    skip,
                    v.as_str()
                        .map(String::from)
                        .or_else(|| v.as_i64().map(|n| n.to_string()))
                        .or_else(|| v.as_bool().map(|b| b.to_string())),
                ) {
                    q.push_str(&format!("&{}={}", enc(k), enc(&v)));
                }
            }
            if res == Res::Schedule {
                q.push_str("&listViewType=All");
            }
            (
                Method::GET,
                format!("{base}{}/{}{q}", t.ws_path, t.collection),
                None,
            )
        }
        (_, "delete") => {
            put_ok(&c, &item_url(""), &minimal_seed(res)).await;
            wait_ready(item_url("")).await;
            let extra = p
                .get("underlyingResourceAction")
                .and_then(Value::as_str)
                .map(|a| format!("&underlyingResourceAction={a}"))
                .unwrap_or_default();
            (Method::DELETE, item_url(&extra), None)
        }
        (Res::Compute, "patch") => {
            put_ok(&c, &item_url(""), &minimal_seed(Res::Compute)).await;
            wait_ready(item_url("")).await;
            (Method::PATCH, item_url(""), p.get("parameters").cloned())
        }
        (Res::Compute, action @ ("start" | "stop" | "restart")) => {
            put_ok(&c, &item_url(""), &json!({"properties": {"computeType": "ComputeInstance", "properties": {"vmSize": "STANDARD_DS3_V2"}}})).await;
            wait_for(&c, &item_url(""), |b| {
                b["properties"]["properties"]["state"] == "Running"
            })
            .await;
            if action == "start" {
                let stop = format!("{base}{}/{}/stop?api-version={}", t.ws_path, t.item, t.api);
                let (st, _, _) = call(&c, Method::POST, &stop, None).await;
                assert_eq!(st, 202);
                wait_for(&c, &item_url(""), |b| {
                    b["properties"]["properties"]["state"] == "Stopped"
                })
                .await;
            }
            (
                Method::POST,
                format!(
                    "{base}{}/{}/{action}?api-version={}",
                    t.ws_path, t.item, t.api
                ),
                None,
            )
        }
        (Res::Job, "cancel") => {
            put_ok(&c, &item_url(""), &minimal_seed(Res::Job)).await;
            (
                Method::POST,
                format!(
                    "{base}{}/{}/cancel?api-version={}",
                    t.ws_path, t.item, t.api
                ),
                None,
            )
        }
        (Res::CodeVersion, "createOrGetStartPendingUpload") => (
            Method::POST,
            format!(
                "{base}{}/{}/startPendingUpload?api-version={}",
                t.ws_path, t.item, t.api
            ),
            p.get("body").cloned(),
        ),
        _ => return vec![format!("{rel}: no driver for operation {op}")],
    };

    let (status, headers, got) = call(&c, method.clone(), &url, body.as_ref()).await;
    let mut problems = Vec::new();
    let code = status.to_string();
    match responses.get(&code) {
        None => problems.push(format!(
            "{method} status {status} not among the example's {:?}: {got}",
            responses.keys().collect::<Vec<_>>()
        )),
        Some(want) => {
            if let Some(wb) = want.get("body") {
                same_shape(wb, &got, "body", &mut problems);
            }
            for h in want
                .get("headers")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.keys())
            {
                if !headers.contains_key(h.to_ascii_lowercase().as_str()) {
                    problems.push(format!("header {h} missing"));
                }
            }
        }
    }
    emu.shutdown().await;
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_in_scope_example_is_served_with_its_keys_and_types() {
    let Some(dir) = examples_dir() else {
        return;
    };
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files.sort();
    assert!(
        files.len() >= 50,
        "expected the published examples under {}, found {}",
        dir.display(),
        files.len()
    );
    let mut ran = 0;
    let mut failures = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&dir)
            .expect("under dir")
            .to_string_lossy()
            .replace('\\', "/");
        let Some((res, op)) = classify(&rel) else {
            println!("skip (out of scope): {rel}");
            continue;
        };
        let ex: Value = serde_json::from_slice(&std::fs::read(f).expect("read example"))
            .expect("example is JSON");
        let problems = run(&rel, &ex, res, &op).await;
        ran += 1;
        if problems.is_empty() {
            println!("ok: {rel}");
        } else {
            failures.push(format!("{rel}:\n    {}", problems.join("\n    ")));
        }
    }
    println!("{ran} examples run");
    assert!(ran >= 40, "only {ran} examples ran");
    assert!(
        failures.is_empty(),
        "{} example(s) not matched:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
