//! Validation throughput (a benchmark, not a test: it prints figures; it only checks that every file was validated).
//!
//! `cargo bench --bench validate` generates 5,000 realistic manifests (clusters, compute
//! instances with schedules, command/sweep/pipeline jobs with local code, schedules) in a temp
//! directory and validates them in-process, printing files/s; then, if a release binary exists
//! (`$CARGO_TARGET_DIR/release/amlctl` or `target/release/amlctl`), it times
//! `amlctl validate` as a whole process on a 50-file repo (`AMLCTL_BIN` overrides the binary).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use amlctl::validate::validate_paths;

const CLUSTER: &str = "$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json
name: cpu-{i}
type: amlcompute
size: Standard_DS3_v2
tier: dedicated
min_instances: 0
max_instances: 4
idle_time_before_scale_down: 120
tags:
  team: ml
";

const INSTANCE: &str =
    "$schema: https://azuremlschemas.azureedge.net/latest/computeInstance.schema.json
name: ci-{i}
type: computeinstance
size: Standard_DS3_v2
idle_time_before_shutdown_minutes: 60
schedules:
  compute_start_stop:
    - action: start
      trigger:
        type: cron
        expression: \"0 8 * * 1-5\"
        time_zone: W. Europe Standard Time
    - action: stop
      trigger:
        type: recurrence
        frequency: day
        interval: 1
        schedule:
          hours: [19]
          minutes: [0]
        time_zone: W. Europe Standard Time
";

const COMMAND: &str = "$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
name: train-{i}
experiment_name: iris
code: ./src
command: python train.py --data ${{inputs.iris}} --c ${{inputs.c}} --model ${{outputs.model}}
inputs:
  iris:
    type: uri_file
    path: azureml://datastores/workspaceblobstore/paths/iris/iris.csv
  c: 0.8
outputs:
  model:
    type: uri_folder
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
compute: azureml:cpu-1
resources:
  instance_count: 1
";

const PIPELINE: &str =
    "$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
name: pipe-{i}
type: pipeline
settings:
  default_compute: azureml:cpu-1
inputs:
  raw:
    type: uri_file
    path: azureml://datastores/workspaceblobstore/paths/iris/iris.csv
jobs:
  prep:
    type: command
    code: ./src
    command: python prep.py --raw ${{inputs.raw}} --out ${{outputs.clean}}
    environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
    inputs:
      raw: ${{parent.inputs.raw}}
    outputs:
      clean:
        type: uri_folder
  train:
    type: command
    code: ./src
    command: python train.py --data ${{inputs.data}}
    environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
    inputs:
      data: ${{parent.jobs.prep.outputs.clean}}
";

const SCHEDULE: &str = "$schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
name: nightly-{i}
trigger:
  type: cron
  expression: \"0 2 * * *\"
  time_zone: Pacific Standard Time
  start_time: \"2025-01-01T02:00:00\"
create_job: azureml:train-1
";

fn generate(dir: &Path, count: usize) {
    std::fs::create_dir_all(dir.join("src")).expect("create src");
    std::fs::write(dir.join("src/train.py"), "print('hi')\n").expect("write code");
    let templates = [CLUSTER, INSTANCE, COMMAND, PIPELINE, SCHEDULE];
    for i in 0..count {
        let text = templates[i % templates.len()].replace("{i}", &i.to_string());
        std::fs::write(dir.join(format!("m{i:05}.yml")), text).expect("write manifest");
    }
}

fn main() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let big = tmp.path().join("big");
    let n = 5_000;
    generate(&big, n);
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let report = validate_paths(std::slice::from_ref(&big));
        let took = start.elapsed();
        assert_eq!(report.files, n, "every generated file was validated");
        if report.has_errors() {
            eprintln!(
                "unexpected diagnostics: {:?}",
                report
                    .diagnostics
                    .iter()
                    .take(3)
                    .map(|d| &d.message)
                    .collect::<Vec<_>>()
            );
        }
        best = best.min(took);
    }
    println!(
        "in-process: {n} files in {:.1} ms (best of 3) = {:.0} files/s",
        best.as_secs_f64() * 1e3,
        n as f64 / best.as_secs_f64()
    );

    let small = tmp.path().join("repo50");
    generate(&small, 50);
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let bin =
        std::env::var_os("AMLCTL_BIN").map_or_else(|| target.join("release/amlctl"), PathBuf::from);
    if !bin.exists() {
        println!(
            "whole process: skipped ({} not built; run `cargo build --release` first)",
            bin.display()
        );
        return;
    }
    let mut times = Vec::new();
    for _ in 0..21 {
        let start = Instant::now();
        let status = Command::new(&bin)
            .arg("validate")
            .arg(&small)
            .output()
            .expect("run amlctl");
        times.push(start.elapsed());
        assert!(
            status.status.success(),
            "amlctl validate failed: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
    times.sort();
    println!(
        "whole process: `amlctl validate` on a 50-file repo: median {:.1} ms, min {:.1} ms (21 runs)",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3
    );
}
