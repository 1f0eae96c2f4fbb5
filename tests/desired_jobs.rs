//! Jobs and schedules end to end on an in-memory file tree: assets (code folders with
//! `.amlignore`, inline environments, local inputs, anonymous components), derived names,
//! schedules' `create_job` forms, standalone parallel jobs, and snapshots of representative
//! bodies from the sample corpus.

#[path = "desired_support.rs"]
mod support;

use std::path::{Path, PathBuf};

use amlctl::desired::{
    ManifestInput, ManifestResolver, TranslateErrorKind, build_desired_state, translate,
};
use amlctl::model::{Asset, DesiredResource, ManifestKind, ResourceOptions, SourceLocation};
use serde_json::{Value, json};
use support::{DiskResolver, MemResolver, WS, ctx, yaml_to_json};

fn source() -> SourceLocation {
    SourceLocation {
        file: PathBuf::from("jobs/train.yml"),
        line: 1,
    }
}

fn run(
    kind: ManifestKind,
    yaml: &str,
    files: &MemResolver,
) -> Result<DesiredResource, amlctl::desired::TranslateError> {
    let value = yaml_to_json(yaml).expect("yaml");
    translate(
        kind,
        &value,
        &source(),
        Path::new("/repo/jobs"),
        &ctx(),
        files,
    )
}

fn tree() -> MemResolver {
    MemResolver::default()
        .with("/repo/jobs/src/train.py", "print('train')\n")
        .with("/repo/jobs/src/util/helpers.py", "X = 1\n")
        .with("/repo/jobs/src/.amlignore", "*.log\noutputs/\n")
        .with("/repo/jobs/src/run.log", "noise\n")
        .with("/repo/jobs/src/outputs/model.bin", "weights")
        .with(
            "/repo/jobs/env/conda.yml",
            "dependencies:\n  - python=3.10\n",
        )
        .with("/repo/jobs/data/iris.csv", "a,b\n1,2\n")
}

const COMMAND: &str = r#"
command: python train.py --data ${{inputs.data}} --lr ${{inputs.lr}} --out ${{outputs.model}}
code: src
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04
  conda_file: env/conda.yml
compute: cpu-cluster
inputs:
  data:
    type: uri_file
    path: ./data/iris.csv
    mode: ro_mount
  lr: 0.01
  flag: true
outputs:
  model:
    type: mlflow_model
"#;

fn code_asset(r: &DesiredResource) -> (String, String) {
    r.assets
        .iter()
        .find_map(|a| match a {
            Asset::Code { hash, arm_id, .. } => Some((hash.clone(), arm_id.clone())),
            _ => None,
        })
        .expect("code asset")
}

#[test]
fn command_job_assets_and_body() {
    let r = run(ManifestKind::CommandJob, COMMAND, &tree()).expect("translates");
    let p = &r.body["properties"];
    assert_eq!(p["jobType"], "Command");
    assert_eq!(
        p["command"],
        "python train.py --data ${{inputs.data}} --lr ${{inputs.lr}} --out ${{outputs.model}}"
    );
    let (hash, code_id) = code_asset(&r);
    assert_eq!(hash.len(), 64);
    assert!(
        code_id.starts_with(&format!("{WS}/codes/")) && code_id.ends_with("/versions/1"),
        "{code_id}"
    );
    assert_eq!(p["codeId"], json!(code_id));
    let env_id = p["environmentId"].as_str().expect("environmentId");
    assert!(
        env_id.starts_with(&format!(
            "{WS}/environments/CliV2AnonymousEnvironment/versions/"
        )),
        "{env_id}"
    );
    let env_body = r
        .assets
        .iter()
        .find_map(|a| match a {
            Asset::Environment { arm_id, body } if arm_id == env_id => Some(body.clone()),
            _ => None,
        })
        .expect("environment asset");
    assert_eq!(
        env_body["properties"]["condaFile"],
        "dependencies:\n  - python=3.10\n"
    );
    assert_eq!(env_body["properties"]["isAnonymous"], true);
    let upload = r
        .assets
        .iter()
        .find_map(|a| match a {
            Asset::InputUpload {
                local_path,
                datastore_uri,
                ..
            } => Some((local_path.clone(), datastore_uri.clone())),
            _ => None,
        })
        .expect("input upload");
    assert_eq!(upload.0, PathBuf::from("/repo/jobs/data/iris.csv"));
    assert!(
        upload
            .1
            .starts_with("azureml://datastores/workspaceblobstore/paths/LocalUpload/"),
        "{}",
        upload.1
    );
    assert!(upload.1.ends_with("/iris.csv"));
    assert_eq!(
        p["inputs"]["data"],
        json!({"jobInputType": "uri_file", "uri": upload.1, "mode": "ReadOnlyMount"})
    );
    assert_eq!(
        p["inputs"]["lr"],
        json!({"jobInputType": "literal", "value": "0.01"})
    );
    assert_eq!(
        p["inputs"]["flag"],
        json!({"jobInputType": "literal", "value": "True"})
    );
    assert_eq!(
        p["outputs"]["model"],
        json!({"jobOutputType": "mlflow_model"})
    );
    assert_eq!(p["computeId"], json!(format!("{WS}/computes/cpu-cluster")));
    assert_eq!(
        p["experimentName"], "jobs",
        "defaults to the manifest's folder name"
    );
    assert_eq!(
        r.depends_on
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["compute.cpu-cluster"]
    );
    // No name in the manifest: derived from the path and the content.
    assert!(r.id.name.starts_with("train-"), "{}", r.id);
}

#[test]
fn ignored_files_do_not_change_the_code_hash_but_sources_do() {
    let base = run(ManifestKind::CommandJob, COMMAND, &tree()).expect("translates");
    let ignored = tree()
        .with("/repo/jobs/src/other.log", "more noise")
        .with("/repo/jobs/src/outputs/x", "y");
    let same = run(ManifestKind::CommandJob, COMMAND, &ignored).expect("translates");
    assert_eq!(code_asset(&base), code_asset(&same));
    assert_eq!(base.id, same.id, "unchanged job keeps its name");
    assert_eq!(base.body, same.body);

    let edited = tree().with("/repo/jobs/src/util/helpers.py", "X = 2\n");
    let changed = run(ManifestKind::CommandJob, COMMAND, &edited).expect("translates");
    assert_ne!(
        code_asset(&base),
        code_asset(&changed),
        "a changed source file is a new code version"
    );
    assert_ne!(base.id, changed.id, "and a new job");
}

#[test]
fn explicit_name_and_registered_references() {
    let yaml = "name: my-run\ncommand: echo hi\nenvironment: azureml:AzureML-sklearn-1.5@latest\ncode: azureml:mycode:2\ncompute: azureml:serverless\nlimits: {timeout: 3600}\n";
    let r = run(ManifestKind::CommandJob, yaml, &MemResolver::default()).expect("translates");
    assert_eq!(r.id.to_string(), "job.my-run");
    let p = &r.body["properties"];
    assert_eq!(p["environmentId"], "azureml:AzureML-sklearn-1.5@latest");
    assert_eq!(p["codeId"], json!(format!("{WS}/codes/mycode/versions/2")));
    assert!(p.get("computeId").is_none(), "serverless has no computeId");
    assert_eq!(
        p["limits"],
        json!({"jobLimitsType": "Command", "timeout": "PT1H"})
    );
    assert!(r.assets.is_empty() && r.depends_on.is_empty());
}

#[test]
fn missing_references_are_errors() {
    let err = run(ManifestKind::CommandJob, COMMAND, &MemResolver::default())
        .expect_err("nothing on disk");
    assert!(
        matches!(err.kind, TranslateErrorKind::Reference { .. }),
        "{err}"
    );
    let err = run(
        ManifestKind::CommandJob,
        "command: echo\n",
        &MemResolver::default(),
    )
    .expect_err("no environment");
    assert_eq!(
        (err.field.as_str(), &err.kind),
        ("environment", &TranslateErrorKind::Missing)
    );
    let pipeline = "type: pipeline\njobs:\n  a:\n    component: ./missing.yml\n";
    let err = run(ManifestKind::PipelineJob, pipeline, &MemResolver::default())
        .expect_err("missing component");
    assert_eq!(err.field, "jobs.a.component");
    assert!(
        matches!(
            err.kind,
            TranslateErrorKind::Reference {
                what: "component file",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn pipeline_nodes_components_and_bindings() {
    let files = tree().with(
        "/repo/jobs/components/train.yml",
        "$schema: x\nname: train\ntype: command\ncode: ../src\nenvironment: azureml:env:1\ncommand: python train.py ${{inputs.x}}\ninputs:\n  x: {type: uri_folder}\n",
    );
    let yaml = r#"
type: pipeline
settings:
  default_compute: azureml:cpu-cluster
  default_datastore: azureml:workspaceblobstore
  continue_on_step_failure: true
inputs:
  n: 3
  raw: {type: uri_folder, path: azureml://datastores/ds/paths/raw}
outputs:
  final: {type: uri_folder, mode: upload}
jobs:
  prep:
    type: command
    command: echo ${{inputs.n}} ${{inputs.raw}} > ${{outputs.out}}
    environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
    inputs:
      n: ${{parent.inputs.n}}
      raw: ${{parent.inputs.raw}}
    outputs:
      out:
  train:
    component: ./components/train.yml
    compute: gpu-cluster
    inputs:
      x: ${{parent.jobs.prep.outputs.out}}
    outputs:
      model: ${{parent.outputs.final}}
"#;
    let r = run(ManifestKind::PipelineJob, yaml, &files).expect("translates");
    let p = &r.body["properties"];
    assert_eq!(p["jobType"], "Pipeline");
    assert_eq!(
        p["settings"],
        json!({
            "default_compute": format!("{WS}/computes/cpu-cluster"),
            "default_datastore": format!("{WS}/datastores/workspaceblobstore"),
            "continue_on_step_failure": true,
            "_source": "YAML.JOB",
        })
    );
    let prep = &p["jobs"]["prep"];
    assert_eq!(
        prep["inputs"]["n"],
        json!({"job_input_type": "literal", "value": "${{parent.inputs.n}}"})
    );
    assert!(
        prep.get("outputs").and_then(|o| o.get("out")).is_none(),
        "empty node outputs are omitted"
    );
    let train = &p["jobs"]["train"];
    assert_eq!(
        train["outputs"]["model"],
        json!({"value": "${{parent.outputs.final}}", "type": "literal"})
    );
    assert_eq!(
        train["computeId"],
        json!(format!("{WS}/computes/gpu-cluster"))
    );
    assert_eq!(train["_source"], "YAML.COMPONENT");
    // Two anonymous components: the inline `prep` and the file `train`.
    let components: Vec<&Value> = r
        .assets
        .iter()
        .filter_map(|a| match a {
            Asset::Component { body, .. } => Some(body),
            _ => None,
        })
        .collect();
    assert_eq!(components.len(), 2);
    let prep_spec = &components[0]["properties"]["componentSpec"];
    assert_eq!(
        prep_spec["inputs"],
        json!({"n": {"type": "integer"}, "raw": {"type": "uri_folder"}})
    );
    assert_eq!(prep_spec["outputs"], json!({"out": {"type": "uri_folder"}}));
    let train_spec = &components[1]["properties"]["componentSpec"];
    assert!(train_spec.get("$schema").is_none());
    assert_eq!(
        train_spec["environment"],
        json!(format!("azureml:{WS}/environments/env/versions/1"))
    );
    assert!(
        train_spec["code"]
            .as_str()
            .is_some_and(|c| c.starts_with(&format!("azureml:{WS}/codes/")))
    );
    assert!(r.assets.iter().any(
        |a| matches!(a, Asset::Code { local_dir, .. } if local_dir == Path::new("/repo/jobs/src"))
    ));
    let deps: Vec<String> = r.depends_on.iter().map(ToString::to_string).collect();
    assert_eq!(deps, ["compute.cpu-cluster", "compute.gpu-cluster"]);
}

#[test]
fn standalone_parallel_job_is_a_one_step_pipeline() {
    let yaml = r#"
name: batch-score
type: parallel
compute: azureml:cpu-cluster
display_name: batch scoring
inputs:
  data: {type: mltable, path: azureml:iris-table:1, mode: eval_mount}
outputs:
  scored: {type: uri_file}
input_data: ${{inputs.data}}
mini_batch_size: "10kb"
resources: {instance_count: 2}
max_concurrency_per_instance: 2
error_threshold: 5
logging_level: DEBUG
retry_settings: {max_retries: 2, timeout: 60}
task:
  type: run_function
  code: ./src
  entry_script: score.py
  environment: azureml:scoring-env:4
  append_row_to: ${{outputs.scored}}
"#;
    let r = run(ManifestKind::ParallelJob, yaml, &tree()).expect("translates");
    assert_eq!(r.type_label, "ParallelJob");
    assert_eq!(r.id.to_string(), "job.batch-score");
    let p = &r.body["properties"];
    assert_eq!(p["jobType"], "Pipeline");
    assert_eq!(p["displayName"], "batch scoring");
    assert_eq!(
        p["inputs"]["data"],
        json!({"jobInputType": "mltable", "uri": format!("{WS}/data/iris-table/versions/1"), "mode": "EvalMount"})
    );
    let node = &p["jobs"]["parallel_node"];
    assert_eq!(node["type"], "parallel");
    assert_eq!(node["mini_batch_size"], 10240);
    assert_eq!(
        node["inputs"]["data"],
        json!({"job_input_type": "literal", "value": "${{parent.inputs.data}}"})
    );
    assert_eq!(
        node["outputs"]["scored"],
        json!({"value": "${{parent.outputs.scored}}", "type": "literal"})
    );
    assert_eq!(
        node["computeId"],
        json!(format!("{WS}/computes/cpu-cluster"))
    );
    let spec = r
        .assets
        .iter()
        .find_map(|a| match a {
            Asset::Component { body, .. } => Some(body["properties"]["componentSpec"].clone()),
            _ => None,
        })
        .expect("parallel component");
    assert_eq!(spec["type"], "parallel");
    assert_eq!(
        spec["task"]["environment"],
        json!(format!("azureml:{WS}/environments/scoring-env/versions/4"))
    );
    assert_eq!(spec["inputs"]["data"], json!({"type": "mltable"}));
    assert_eq!(spec["mini_batch_size"], "10kb");

    let bad = yaml.replace("logging_level: DEBUG", "logging_level: debug");
    let err =
        run(ManifestKind::ParallelJob, &bad, &tree()).expect_err("logging_level is case-sensitive");
    assert_eq!(err.field, "logging_level");
}

#[test]
fn schedule_create_job_path_and_overrides() {
    let files = tree().with(
        "/repo/jobs/pipeline.yml",
        "type: pipeline\ninputs:\n  greeting: hello\nsettings:\n  default_compute: azureml:cpu-cluster\njobs:\n  a:\n    command: echo ${{inputs.g}}\n    environment: azureml:env:1\n    inputs:\n      g: ${{parent.inputs.greeting}}\n",
    );
    let yaml = r#"
name: nightly
trigger:
  type: recurrence
  frequency: day
  interval: 1
  schedule:
    hours: 10
    minutes: [0, 30]
    week_days: [monday, Friday]
create_job:
  type: pipeline
  job: ./pipeline.yml
  settings:
    continue_on_step_failure: true
  inputs:
    greeting: ${{name}}
  tags: {schedule: nightly}
"#;
    let r = run(ManifestKind::Schedule, yaml, &files).expect("translates");
    assert_eq!(r.id.to_string(), "schedule.nightly");
    let p = &r.body["properties"];
    assert_eq!(
        p["trigger"],
        json!({"triggerType": "Recurrence", "frequency": "Day", "interval": 1,
               "schedule": {"hours": [10], "minutes": [0, 30], "weekDays": ["Monday", "Friday"]},
               "timeZone": "UTC"})
    );
    let def = &p["action"]["jobDefinition"];
    assert_eq!(p["action"]["actionType"], "CreateJob");
    assert_eq!(def["jobType"], "Pipeline");
    assert_eq!(
        def["inputs"]["greeting"],
        json!({"jobInputType": "literal", "value": "${{name}}"})
    );
    assert_eq!(def["settings"]["continue_on_step_failure"], true);
    assert_eq!(
        def["settings"]["default_compute"],
        json!(format!("{WS}/computes/cpu-cluster"))
    );
    assert_eq!(def["tags"], json!({"schedule": "nightly"}));
    assert!(
        r.assets
            .iter()
            .any(|a| matches!(a, Asset::Component { .. })),
        "the job's assets come with the schedule"
    );
    assert_eq!(
        r.depends_on
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["compute.cpu-cluster"]
    );

    let bad = yaml.replace("frequency: day", "frequency: fortnight");
    let err = run(ManifestKind::Schedule, &bad, &files).expect_err("bad frequency");
    assert_eq!(err.field, "trigger.frequency");
    let missing = yaml.replace("./pipeline.yml", "./nope.yml");
    let err = run(ManifestKind::Schedule, &missing, &files).expect_err("missing job file");
    assert!(
        matches!(
            err.kind,
            TranslateErrorKind::Reference {
                what: "job file",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn build_desired_state_reports_every_error() {
    let item = |name: &str, yaml: &str, kind: ManifestKind| ManifestInput {
        kind,
        value: yaml_to_json(yaml).expect("yaml"),
        source: SourceLocation {
            file: PathBuf::from(format!("{name}.yml")),
            line: 1,
        },
        base_dir: PathBuf::from("/repo"),
        options: ResourceOptions::default(),
    };
    let items = vec![
        item(
            "a",
            "name: c1\ntype: amlcompute\n",
            ManifestKind::AmlCompute,
        ),
        item(
            "b",
            "name: c1\ntype: amlcompute\nmax_instances: 3\n",
            ManifestKind::AmlCompute,
        ),
        item(
            "c",
            "name: c2\ntype: amlcompute\ntier: platinum\n",
            ManifestKind::AmlCompute,
        ),
        item(
            "d",
            "name: ci\ntype: computeinstance\nidle_time_before_shutdown: soon\n",
            ManifestKind::ComputeInstance,
        ),
        item(
            "e",
            "name: ok\ntype: computeinstance\nidle_time_before_shutdown_minutes: 30\n",
            ManifestKind::ComputeInstance,
        ),
    ];
    let (state, errors) = build_desired_state(items, &ctx(), &MemResolver::default());
    let keys: Vec<String> = state.resources.keys().map(ToString::to_string).collect();
    assert_eq!(keys, ["compute.c1", "compute.ok"]);
    assert_eq!(
        state.resources[&"compute.ok".parse().expect("id")].body["properties"]["properties"]["idleTimeBeforeShutdown"],
        "PT30M"
    );
    let described: Vec<String> = errors
        .iter()
        .map(|e| format!("{}:{}", e.file.display(), e.field))
        .collect();
    assert_eq!(
        described,
        [
            "b.yml:name",
            "c.yml:tier",
            "d.yml:idle_time_before_shutdown"
        ]
    );
}

#[path = "support/reference.rs"]
mod reference;

/// A representative corpus file, translated with missing references stubbed, or `None` (skip)
/// where the corpus is absent.
fn corpus(rel: &str, kind: ManifestKind) -> Option<Value> {
    let root = reference::find(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        "azureml-examples-sample",
    )?;
    let abs = root.join(rel);
    let value = yaml_to_json(&std::fs::read_to_string(&abs).expect("corpus file")).expect("yaml");
    let source = SourceLocation {
        file: PathBuf::from(rel),
        line: 1,
    };
    let resolver = DiskResolver::stubbing();
    let r = translate(
        kind,
        &value,
        &source,
        abs.parent().expect("parent"),
        &ctx(),
        &resolver as &dyn ManifestResolver,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Some(json!({
        "id": r.id.to_string(),
        "type_label": r.type_label,
        "depends_on": r.depends_on.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "body": r.body,
    }))
}

#[test]
fn snapshot_compute_instance_schedule() {
    let Some(value) = corpus(
        "cli/resources/compute/instance-schedule.yml",
        ManifestKind::ComputeInstance,
    ) else {
        return;
    };
    insta::assert_json_snapshot!("desired_ci_schedule", value);
}

#[test]
fn snapshot_command_job_distributed() {
    let Some(value) = corpus(
        "cli/jobs/single-step/pytorch/cifar-distributed/job.yml",
        ManifestKind::CommandJob,
    ) else {
        return;
    };
    insta::assert_json_snapshot!("desired_command_pytorch", value);
}

#[test]
fn snapshot_sweep_job() {
    let Some(value) = corpus("cli/jobs/basics/hello-sweep.yml", ManifestKind::SweepJob) else {
        return;
    };
    insta::assert_json_snapshot!("desired_sweep", value);
}

#[test]
fn snapshot_pipeline_with_parallel_step() {
    let Some(value) = corpus(
        "cli/jobs/parallel/2a_iris_batch_prediction/pipeline.yml",
        ManifestKind::PipelineJob,
    ) else {
        return;
    };
    insta::assert_json_snapshot!("desired_pipeline_parallel", value);
}

#[test]
fn snapshot_schedule_with_overrides() {
    let Some(value) = corpus(
        "cli/schedules/cron-with-settings-job-schedule.yml",
        ManifestKind::Schedule,
    ) else {
        return;
    };
    insta::assert_json_snapshot!("desired_schedule", value);
}
