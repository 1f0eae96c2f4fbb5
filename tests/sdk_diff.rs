//! Differential test against Microsoft's Python SDK (`azure-ai-ml` 1.35.2): for a set of job and
//! schedule YAML files, the REST body amlctl sends must equal the body the SDK sends for the same
//! file, after removing generated ids, timestamps and content-hash-based names, except for the
//! deliberate differences in [`ALLOWED`] (explained in `docs/sdk-differences.md`).
//!
//! How the bodies are captured (the emulator's request log keeps headers, not bodies):
//! - amlctl: `amlctl apply` talks to a tiny capture proxy on loopback (below), which records
//!   every request and forwards it to an in-process emulator;
//! - the SDK: `tests/sdk/sdk_bodies.py` records, in-process, each request at
//!   `requests.Session.send` (the prepared bytes about to go on the wire), against a second
//!   emulator over TLS.
//!
//! Needs `AMLCTL_SDK_PYTHON` (the python of the venv `scripts/sdk-venv.sh` creates). Without it
//! the test prints that it skipped, and fails when `CI` is set.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amlctl_emulator::{EmulatorConfig, Timings};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The files compared: `(kind for the SDK script, path in the repo, resource address)`. The
/// examples, plus [`EXTRA`] written into the copy.
const FILES: &[(&str, &str, &str)] = &[
    ("job", "jobs/train.yml", "jobs/train-iris"),
    ("job", "jobs/sweep.yml", "jobs/sweep-iris"),
    ("job", "jobs/pipeline.yml", "jobs/iris-pipeline"),
    ("job", "jobs/sdkdiff-command.yml", "jobs/sdkdiff-command"),
    (
        "schedule",
        "schedules/nightly-train.yml",
        "schedules/nightly-train",
    ),
    (
        "schedule",
        "schedules/weekly-pipeline.yml",
        "schedules/weekly-pipeline",
    ),
    (
        "schedule",
        "schedules/sdkdiff-hourly.yml",
        "schedules/sdkdiff-hourly",
    ),
];

/// More shapes than the examples have: an inline (anonymous) environment, distribution,
/// resources, environment variables, limits, an hourly recurrence with a start time.
const EXTRA: &[(&str, &str)] = &[
    (
        "jobs/sdkdiff-command.yml",
        "name: sdkdiff-command
display_name: SDK diff command job
experiment_name: sdkdiff
description: Inline environment, distribution and resources.
code: ./src
command: python train.py --epochs ${{inputs.epochs}} --lr ${{inputs.lr}}
inputs:
  epochs: 3
  lr: 0.01
  mode_input:
    type: uri_folder
    path: azureml://datastores/workspaceblobstore/paths/iris/
    mode: download
outputs:
  model:
    type: mlflow_model
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
environment_variables:
  LOG_LEVEL: debug
compute: azureml:cpu-cluster
distribution:
  type: pytorch
  process_count_per_instance: 2
resources:
  instance_count: 2
  shm_size: 8g
limits:
  timeout: 900
tags:
  purpose: sdk-diff
",
    ),
    (
        "schedules/sdkdiff-hourly.yml",
        "name: sdkdiff-hourly
display_name: Every four hours
trigger:
  type: recurrence
  frequency: hour
  interval: 4
  start_time: \"2026-01-01T00:15:00\"
  time_zone: W. Europe Standard Time
create_job: ../jobs/pipeline.yml
",
    ),
];

/// What a deliberate difference may look like; anything else at the same pointer still fails.
#[derive(Clone, Copy, Debug)]
enum Allowed {
    /// amlctl leaves out a field the SDK sends with this value (a service default, JSON text).
    SdkDefault(&'static str),
    /// amlctl sends a field, with this value (JSON text), that the SDK leaves out.
    OursOnly(&'static str),
    /// The same string in another casing (amlctl writes the REST spec's enum casing).
    Casing,
    /// The same local date and time, ISO 8601 `T` (amlctl) vs a space (the SDK).
    DateTimeSeparator,
    /// Any values (for a whole subtree the SDK repeats).
    Any,
}

impl Allowed {
    fn admits(self, ours: Option<&Value>, theirs: Option<&Value>) -> bool {
        let parsed = |t: &str| serde_json::from_str::<Value>(t).ok();
        match self {
            Allowed::SdkDefault(v) => ours.is_none() && theirs.cloned() == parsed(v),
            Allowed::OursOnly(v) => theirs.is_none() && ours.cloned() == parsed(v),
            Allowed::Casing => match (ours.and_then(Value::as_str), theirs.and_then(Value::as_str))
            {
                (Some(a), Some(b)) => a != b && a.eq_ignore_ascii_case(b),
                _ => false,
            },
            Allowed::DateTimeSeparator => {
                match (ours.and_then(Value::as_str), theirs.and_then(Value::as_str)) {
                    (Some(a), Some(b)) => a.contains('T') && a.replacen('T', " ", 1) == b,
                    _ => false,
                }
            }
            Allowed::Any => true,
        }
    }
}

/// Deliberate differences: `(JSON pointer pattern, what is allowed there)`, for every file.
/// `*` matches one segment. Each is explained in `docs/sdk-differences.md`; an entry that
/// matches no difference fails the test (the list must not go stale).
const ALLOWED: &[(&str, Allowed)] = &[
    // 0. amlctl's ownership tag on everything it creates (only owned resources are pruned).
    (
        "/properties/tags/amlctl-managed",
        Allowed::OursOnly("\"true\""),
    ),
    // 1. Service defaults the SDK writes out and amlctl leaves to the service.
    ("/properties/isArchived", Allowed::SdkDefault("false")),
    (
        "/properties/action/jobDefinition/isArchived",
        Allowed::SdkDefault("false"),
    ),
    ("/properties/properties", Allowed::SdkDefault("{}")),
    (
        "/properties/action/jobDefinition/properties",
        Allowed::SdkDefault("{}"),
    ),
    (
        "/properties/environmentVariables",
        Allowed::SdkDefault("{}"),
    ),
    (
        "/properties/action/jobDefinition/environmentVariables",
        Allowed::SdkDefault("{}"),
    ),
    (
        "/properties/trial/environmentVariables",
        Allowed::SdkDefault("{}"),
    ),
    (
        "/properties/resources/properties",
        Allowed::SdkDefault("{}"),
    ),
    (
        "/properties/action/jobDefinition/resources/properties",
        Allowed::SdkDefault("{}"),
    ),
    ("/properties/outputs", Allowed::SdkDefault("{}")),
    (
        "/properties/earlyTermination/delayEvaluation",
        Allowed::SdkDefault("0"),
    ),
    (
        "/properties/earlyTermination/slackAmount",
        Allowed::SdkDefault("0"),
    ),
    (
        "/properties/action/jobDefinition/tags",
        Allowed::SdkDefault("{}"),
    ),
    // A recurrence without `schedule:` (minute/hour frequencies): the SDK sends an empty one.
    (
        "/properties/trigger/schedule",
        Allowed::SdkDefault(r#"{"hours":[],"minutes":[]}"#),
    ),
    // 2. Enum casing: amlctl writes the REST spec's casing, the SDK passes the YAML's through.
    ("/properties/objective/goal", Allowed::Casing),
    ("/properties/trigger/frequency", Allowed::Casing),
    ("/properties/trigger/schedule/weekDays/*", Allowed::Casing),
    // 3. Schedules are sent enabled explicitly, so a schedule disabled by hand is re-enabled.
    ("/properties/isEnabled", Allowed::OursOnly("true")),
    // 4. Trigger times in ISO 8601 (the SDK formats a parsed datetime with a space).
    ("/properties/trigger/startTime", Allowed::DateTimeSeparator),
    ("/properties/trigger/endTime", Allowed::DateTimeSeparator),
    // 5. The SDK repeats a parallel step's `task` in the pipeline node; amlctl sends it only in
    //    the anonymous component the node's componentId names.
    ("/properties/jobs/*/task", Allowed::Any),
    ("/properties/action/jobDefinition/jobs/*/task", Allowed::Any),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amlctl_sends_the_bodies_the_python_sdk_sends() {
    let Some(python) = std::env::var_os("AMLCTL_SDK_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but AMLCTL_SDK_PYTHON is not: run scripts/sdk-venv.sh and export AMLCTL_SDK_PYTHON"
        );
        println!(
            "SKIPPED amlctl_sends_the_bodies_the_python_sdk_sends: AMLCTL_SDK_PYTHON is not set (see scripts/sdk-venv.sh)"
        );
        return;
    };
    let repo = support::copy_examples();
    for (path, text) in EXTRA {
        std::fs::write(repo.path().join(path), text).expect("write extra manifest");
    }

    // amlctl, through the capture proxy.
    let emu = amlctl_emulator::start(EmulatorConfig {
        timings: Timings::uniform(Duration::from_millis(20)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let proxy = CaptureProxy::start(emu.base_url()).await;
    let mut args: Vec<String> = vec!["apply".into(), "--auto-approve".into()];
    args.extend(support::remote(&proxy.base_url));
    let dir = repo.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        support::amlctl(&dir, &refs, &[("AMLCTL_ACCESS_TOKEN", "test-token")])
    })
    .await
    .expect("join");
    assert!(
        out.status.success(),
        "amlctl apply through the proxy failed:\n{}",
        support::text(&out)
    );
    let amlctl_bodies = proxy.put_bodies();
    emu.shutdown().await;

    // The SDK, against its own emulator (the same names would otherwise collide).
    let sdk_bodies = run_sdk(Path::new(&python), repo.path()).await;

    let mut report = String::new();
    let mut used: BTreeSet<usize> = BTreeSet::new();
    for (_, file, resource) in FILES {
        let Some(ours) = amlctl_bodies.get(*resource) else {
            report.push_str(&format!("{file}: amlctl sent no PUT to .../{resource}\n"));
            continue;
        };
        let theirs = match sdk_bodies.get(*file) {
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                report.push_str(&format!("{file}: the SDK did not send a body: {e}\n"));
                continue;
            }
            None => {
                report.push_str(&format!("{file}: no SDK record\n"));
                continue;
            }
        };
        let (ours, theirs) = (normalize(ours), normalize(theirs));
        let mut differences = Vec::new();
        diff_values(&ours, &theirs, &mut String::new(), &mut differences);
        for (pointer, a, b) in differences {
            let allowed = ALLOWED.iter().position(|(pattern, rule)| {
                pointer_matches(pattern, &pointer) && rule.admits(a.as_ref(), b.as_ref())
            });
            match allowed {
                Some(i) => {
                    used.insert(i);
                }
                None => report.push_str(&format!(
                    "{file}: {pointer}\n    amlctl: {}\n    sdk:    {}\n",
                    show(a.as_ref()),
                    show(b.as_ref())
                )),
            }
        }
    }
    for (i, (pattern, rule)) in ALLOWED.iter().enumerate() {
        if !used.contains(&i) {
            report.push_str(&format!(
                "allow-list entry {pattern} ({rule:?}) matched no difference: remove it\n"
            ));
        }
    }
    assert!(
        report.is_empty(),
        "bodies differ from the Python SDK's (see docs/sdk-differences.md):\n{report}"
    );
}

/// Run `tests/sdk/sdk_bodies.py` against a TLS emulator; the body of the last job/schedule PUT
/// for each file (or the SDK's error).
async fn run_sdk(python: &Path, repo: &Path) -> BTreeMap<String, Result<Value, String>> {
    let emu = amlctl_emulator::start(EmulatorConfig {
        tls: true,
        timings: Timings::uniform(Duration::from_millis(20)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let tmp = tempfile::tempdir().expect("tempdir");
    let cert = tmp.path().join("emulator-ca.pem");
    std::fs::write(&cert, emu.cert_pem().expect("certificate")).expect("write cert");
    let out_file = tmp.path().join("sdk-bodies.json");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/sdk_bodies.py");
    let ws = amlctl_emulator::WorkspaceSpec::default();
    let mut cmd = std::process::Command::new(python);
    cmd.arg(&script)
        .args(FILES.iter().map(|(kind, file, _)| format!("{kind}:{file}")))
        .current_dir(repo)
        .env("AZUREML_DEV_URL_MFE", emu.base_url())
        .env("REQUESTS_CA_BUNDLE", &cert)
        .env("EMU_SUBSCRIPTION", &ws.subscription)
        .env("EMU_RESOURCE_GROUP", &ws.resource_group)
        .env("EMU_WORKSPACE", &ws.name)
        .env("SDK_COMPUTES", "cpu-cluster")
        .env("SDK_OUT", &out_file)
        // The SDK refuses a command job inside a schedule unless private features are on; the
        // service accepts it (and `az ml` submits it the same way with the flag).
        .env("AZURE_ML_CLI_PRIVATE_FEATURES_ENABLED", "true")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("python runs");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "sdk_bodies.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let record: Value = serde_json::from_slice(&std::fs::read(&out_file).expect("sdk record"))
        .expect("sdk record JSON");
    emu.shutdown().await;
    let mut bodies = BTreeMap::new();
    for entry in record["files"].as_array().into_iter().flatten() {
        let file = entry["file"].as_str().unwrap_or_default().to_owned();
        let put = entry["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .rev()
            .find(|r| {
                r["method"] == "PUT"
                    && r["url"].as_str().is_some_and(|u| {
                        let path = u.split('?').next().unwrap_or_default();
                        path.contains("/jobs/") || path.contains("/schedules/")
                    })
            });
        let body = match put.and_then(|r| r["body"].as_str()) {
            Some(text) => serde_json::from_str(text).map_err(|e| format!("not JSON: {e}")),
            None => Err(entry["error"]
                .as_str()
                .unwrap_or("no job or schedule PUT")
                .to_owned()),
        };
        bodies.insert(file, body);
    }
    bodies
}

// ------------------------------------------------------------------ normalisation and diff

/// Replace what is generated per client (content-hash-based names, upload paths) by
/// placeholders, so that only the shape and the user's values are compared.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::String(s) => Value::String(normalize_string(s)),
        other => other.clone(),
    }
}

fn normalize_string(s: &str) -> String {
    let mut s = s.to_owned();
    // `.../codes/<uuid from the content hash>/versions/1`
    s = replace_segment_after(&s, "/codes/", "<code>");
    // `.../components/azureml_anonymous/versions/<uuid from the spec hash>`
    s = replace_segment_after(
        &s,
        "/components/azureml_anonymous/versions/",
        "<anonymous-component>",
    );
    // `.../environments/CliV2AnonymousEnvironment/versions/<hash>`
    s = replace_segment_after(
        &s,
        "/environments/CliV2AnonymousEnvironment/versions/",
        "<anonymous-environment>",
    );
    // `azureml://datastores/workspaceblobstore/paths/LocalUpload/<hash>/<name>`
    s = replace_segment_after(&s, "/paths/LocalUpload/", "<upload>");
    s
}

/// `prefix<segment>rest` → `prefix<placeholder>rest`, for every occurrence.
fn replace_segment_after(s: &str, prefix: &str, placeholder: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(prefix) {
        out.push_str(&rest[..i + prefix.len()]);
        let after = &rest[i + prefix.len()..];
        let end = after.find('/').unwrap_or(after.len());
        out.push_str(placeholder);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every pointer where `a` and `b` differ (a missing key on one side is `<absent>`).
type Difference = (String, Option<Value>, Option<Value>);

fn diff_values(a: &Value, b: &Value, at: &mut String, out: &mut Vec<Difference>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => diff_values(p, q, at, out),
                    (p, q) => out.push((at.clone(), p.cloned(), q.cloned())),
                }
                at.truncate(len);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                diff_values(p, q, at, out);
                at.truncate(len);
            }
        }
        _ if a == b => {}
        _ => out.push((at.clone(), Some(a.clone()), Some(b.clone()))),
    }
}

fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "<absent>".to_owned(), Value::to_string)
}

fn pointer_matches(pattern: &str, pointer: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let q: Vec<&str> = pointer.split('/').collect();
    if p.last() == Some(&"**") {
        let head = &p[..p.len() - 1];
        return q.len() >= head.len() && head.iter().zip(&q).all(|(a, b)| *a == "*" || a == b);
    }
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| *a == "*" || a == b)
}

#[test]
fn pointer_patterns_and_placeholders() {
    assert!(pointer_matches("/properties/*/x", "/properties/a/x"));
    assert!(!pointer_matches("/properties/*/x", "/properties/a/y"));
    assert!(pointer_matches(
        "/properties/jobs/**",
        "/properties/jobs/a/b/c"
    ));
    assert!(!pointer_matches("/properties/jobs/**", "/properties/other"));
    assert_eq!(
        normalize_string("/subscriptions/s/workspaces/w/codes/1234-ab/versions/1"),
        "/subscriptions/s/workspaces/w/codes/<code>/versions/1"
    );
    assert_eq!(
        normalize_string("azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/iris.csv"),
        "azureml://datastores/workspaceblobstore/paths/LocalUpload/<upload>/iris.csv"
    );
    let mut out = Vec::new();
    diff_values(
        &serde_json::json!({"a": 1, "b": [1, 2], "c": "x"}),
        &serde_json::json!({"a": 1, "b": [1, 3], "d": "x"}),
        &mut String::new(),
        &mut out,
    );
    let pointers: Vec<&str> = out.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(pointers, ["/b/1", "/c", "/d"]);
    // The allow-list is tight: a rule admits only its own kind of difference.
    let j = |t: &str| serde_json::from_str::<Value>(t).unwrap();
    assert!(Allowed::SdkDefault("false").admits(None, Some(&j("false"))));
    assert!(!Allowed::SdkDefault("false").admits(Some(&j("true")), Some(&j("false"))));
    assert!(!Allowed::SdkDefault("false").admits(None, Some(&j("true"))));
    assert!(Allowed::Casing.admits(Some(&j("\"Week\"")), Some(&j("\"week\""))));
    assert!(!Allowed::Casing.admits(Some(&j("\"Week\"")), Some(&j("\"day\""))));
    assert!(Allowed::DateTimeSeparator.admits(
        Some(&j("\"2025-01-01T02:00:00\"")),
        Some(&j("\"2025-01-01 02:00:00\""))
    ));
    assert!(!Allowed::DateTimeSeparator.admits(
        Some(&j("\"2025-01-01T02:00:00\"")),
        Some(&j("\"2025-01-02 02:00:00\""))
    ));
    assert!(!Allowed::OursOnly("true").admits(Some(&j("false")), None));
}

// ------------------------------------------------------------------ capture proxy

/// One request as the proxy saw it.
#[derive(Clone, Debug)]
struct Captured {
    method: String,
    /// Path without the query.
    path: String,
    body: Vec<u8>,
}

/// A minimal HTTP/1.1 forwarding proxy on 127.0.0.1 that records every request. Responses are
/// passed back with the upstream's base URL rewritten to the proxy's (LRO and paging links),
/// so the client keeps talking to the proxy.
struct CaptureProxy {
    base_url: String,
    captured: Arc<Mutex<Vec<Captured>>>,
}

impl CaptureProxy {
    async fn start(upstream: String) -> CaptureProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let captured = Arc::new(Mutex::new(Vec::new()));
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let (log, own) = (captured.clone(), base_url.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (client, upstream, own, log) =
                    (client.clone(), upstream.clone(), own.clone(), log.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, &client, &upstream, &own, &log).await;
                });
            }
        });
        CaptureProxy { base_url, captured }
    }

    /// JSON bodies of PUTs to jobs and schedules, by `jobs/NAME` / `schedules/NAME` (the last one).
    fn put_bodies(&self) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        for c in self
            .captured
            .lock()
            .expect("log")
            .iter()
            .filter(|c| c.method == "PUT")
        {
            let segments: Vec<&str> = c.path.split('/').collect();
            let [.., collection, name] = segments.as_slice() else {
                continue;
            };
            if *collection != "jobs" && *collection != "schedules" {
                continue;
            }
            if let Ok(body) = serde_json::from_slice(&c.body) {
                out.insert(format!("{collection}/{name}"), body);
            }
        }
        out
    }
}

async fn serve(
    stream: TcpStream,
    client: &reqwest::Client,
    upstream: &str,
    own: &str,
    log: &Mutex<Vec<Captured>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await? == 0 {
            return Ok(());
        }
        let mut parts = request_line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
            return Ok(());
        };
        let (method, target) = (method.to_owned(), target.to_owned());
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let body = if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
        {
            read_chunked(&mut reader).await?
        } else {
            let len: usize = header("content-length")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            reader.read_exact(&mut body).await?;
            body
        };
        log.lock().expect("log").push(Captured {
            method: method.clone(),
            path: target.split('?').next().unwrap_or_default().to_owned(),
            body: body.clone(),
        });
        let mut request = client.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET),
            format!("{upstream}{target}"),
        );
        for (k, v) in &headers {
            if !matches!(
                k.as_str(),
                "host" | "content-length" | "transfer-encoding" | "connection"
            ) {
                request = request.header(k, v);
            }
        }
        let response = match request.body(body).send().await {
            Ok(r) => r,
            Err(_) => {
                write
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                    .await?;
                continue;
            }
        };
        let status = response.status();
        let mut head = format!(
            "HTTP/1.1 {} {}\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        let upstream_length = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        for (k, v) in response.headers() {
            if matches!(
                k.as_str(),
                "content-length" | "transfer-encoding" | "connection"
            ) {
                continue;
            }
            let v = String::from_utf8_lossy(v.as_bytes()).replace(upstream, own);
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let bytes = response.bytes().await.unwrap_or_default();
        let bytes = match std::str::from_utf8(&bytes) {
            Ok(text) if text.contains(upstream) => text.replace(upstream, own).into_bytes(),
            _ => bytes.to_vec(),
        };
        if method == "HEAD" {
            head.push_str(&format!(
                "content-length: {}\r\n\r\n",
                upstream_length.unwrap_or_else(|| "0".into())
            ));
            write.write_all(head.as_bytes()).await?;
        } else {
            head.push_str(&format!("content-length: {}\r\n\r\n", bytes.len()));
            write.write_all(head.as_bytes()).await?;
            write.write_all(&bytes).await?;
        }
    }
}

async fn read_chunked<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).await?;
        let size =
            usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).await?;
        if size == 0 {
            return Ok(body);
        }
        chunk.truncate(size);
        body.extend_from_slice(&chunk);
    }
}
