//! Emulator throughput (a benchmark, not a test: it prints figures and asserts nothing).
//!
//! `cargo bench -p amlctl-emulator --bench throughput` starts the emulator in process and, with
//! 8 concurrent clients, times: 1,000 job PUTs in memory, the same with a state file (written
//! atomically after every change), 2,000 GETs against 1,000 stored jobs, and paging through
//! the 1,000 jobs at 100 per page.

use std::time::{Duration, Instant};

use amlctl_emulator::{EmulatorConfig, Timings};
use serde_json::json;

const WS: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
const N: usize = 1000;
const CLIENTS: usize = 8;

async fn run(
    label: &str,
    total: usize,
    f: impl Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
) {
    let f = std::sync::Arc::new(f);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..CLIENTS {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while i < total {
                let r = f(i).send().await.expect("request");
                assert!(r.status().is_success(), "{}", r.status());
                let _ = r.bytes().await;
                i += CLIENTS;
            }
        }));
    }
    for t in tasks {
        t.await.expect("join");
    }
    let el = t.elapsed();
    println!(
        "{label:<44} {total:>6} requests  {:>8.1} ms  {:>8.0} req/s",
        el.as_secs_f64() * 1000.0,
        total as f64 / el.as_secs_f64()
    );
}

fn job(i: usize) -> serde_json::Value {
    json!({"properties": {"jobType": "Command", "command": format!("python train.py --seed {i}"),
        "environmentId": "azureml:env@1", "computeId": format!("{WS}/computes/cpu"), "tags": {"bench": "1"}}})
}

async fn scenario(state_file: Option<std::path::PathBuf>) {
    let persisted = state_file.is_some();
    let emu = amlctl_emulator::start(EmulatorConfig {
        state_file,
        timings: Timings::uniform(Duration::from_secs(3600)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let base = emu.base_url();
    let c = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let (b, cc) = (base.clone(), c.clone());
    let label = if persisted {
        "job PUT (state file, atomic write per change)"
    } else {
        "job PUT (in memory)"
    };
    run(label, N, move |i| {
        cc.put(format!("{b}{WS}/jobs/job-{i}?api-version=2026-03-01"))
            .bearer_auth("t")
            .json(&job(i))
    })
    .await;
    let (b, cc) = (base.clone(), c.clone());
    run("job GET (1,000 stored)", 2 * N, move |i| {
        cc.get(format!("{b}{WS}/jobs/job-{}?api-version=2026-03-01", i % N))
            .bearer_auth("t")
    })
    .await;
    let t = Instant::now();
    let mut url = format!("{base}{WS}/jobs?api-version=2026-03-01");
    let mut pages = 0;
    loop {
        let v: serde_json::Value = c
            .get(&url)
            .bearer_auth("t")
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        pages += 1;
        match v["nextLink"].as_str() {
            Some(n) => url = n.to_string(),
            None => break,
        }
    }
    println!(
        "{:<44} {pages:>6} pages     {:>8.1} ms",
        "list 1,000 jobs, 100 per page",
        t.elapsed().as_secs_f64() * 1000.0
    );
    emu.shutdown().await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        scenario(None).await;
        let dir = tempfile::tempdir().expect("tempdir");
        scenario(Some(dir.path().join("state.json"))).await;
    });
}
