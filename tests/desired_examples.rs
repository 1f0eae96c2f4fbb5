//! Each kind translated from YAML written to be equivalent to a published REST example
//! (`shared/reference/azure-ml-rest/examples`), and compared with that example's request body.
//! Fields amlctl adds on purpose (the Python SDK's defaults) are listed per test and removed
//! before comparing; ids the examples write as `"string"` are replaced by the ARM ids the
//! YAML references.

#[path = "desired_support.rs"]
mod support;

use std::path::{Path, PathBuf};

use amlctl::desired::translate;
use amlctl::model::{DesiredResource, ManifestKind, SourceLocation};
use serde_json::{Value, json};
use support::{MemResolver, WS, ctx, take, yaml_to_json};

#[path = "support/reference.rs"]
mod reference;

/// The request body of a published example, or `None` (skip) where the examples are absent.
fn example_body(rel: &str) -> Option<Value> {
    let dir = reference::find(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        "azure-ml-rest/examples",
    )?;
    let text = std::fs::read_to_string(dir.join(rel)).expect("example file");
    let v: Value = serde_json::from_str(&text).expect("example json");
    let params = &v["parameters"];
    params
        .get("parameters")
        .or_else(|| params.get("body"))
        .cloned()
        .map(Some)
        .expect("request body")
}

fn run(kind: ManifestKind, yaml: &str) -> DesiredResource {
    let value = yaml_to_json(yaml).expect("yaml");
    let source = SourceLocation {
        file: PathBuf::from("manifests/example.yml"),
        line: 1,
    };
    translate(
        kind,
        &value,
        &source,
        Path::new("/repo/manifests"),
        &ctx(),
        &MemResolver::default(),
    )
    .unwrap_or_else(|e| panic!("translate failed: {e}"))
}

/// Remove the fields amlctl adds on purpose, checking each is really there.
fn without(mut body: Value, extras: &[&str]) -> Value {
    for ptr in extras {
        assert!(
            take(&mut body, ptr).is_some(),
            "expected extra field {ptr} in {body:#}"
        );
    }
    body
}

#[test]
fn compute_instance_with_schedules() {
    let r = run(
        ManifestKind::ComputeInstance,
        r#"
name: compute123
type: computeinstance
size: STANDARD_NC6
ssh_public_access_enabled: false
create_on_behalf_of:
  user_tenant_id: 00000000-0000-0000-0000-000000000000
  user_object_id: 00000000-0000-0000-0000-000000000000
schedules:
  compute_start_stop:
    - action: stop
      state: enabled
      trigger:
        type: cron
        expression: 0 18 * * *
        start_time: "2021-04-23T01:30:00"
        time_zone: Pacific Standard Time
"#,
    );
    assert_eq!(r.id.to_string(), "compute.compute123");
    assert_eq!(r.type_label, "ComputeInstance");
    let ours = without(
        r.body,
        &[
            "/properties/disableLocalAuth",
            "/properties/properties/enableNodePublicIp",
            "/properties/properties/enableSSO",
            "/properties/properties/enableRootAccess",
            "/properties/properties/releaseQuotaOnStop",
            "/properties/properties/enableOSPatching",
        ],
    );
    let Some(example) =
        example_body("2025-12-01/Compute/createOrUpdate/ComputeInstanceWithSchedules.json")
    else {
        return;
    };
    assert_eq!(ours, example);
}

#[test]
fn aml_compute() {
    let r = run(
        ManifestKind::AmlCompute,
        "name: compute123\ntype: amlcompute\ndescription: some compute\nmin_instances: 4\nmax_instances: 4\nidle_time_before_scale_down: 300\n",
    );
    assert_eq!(r.type_label, "AmlCompute");
    let ours = without(
        r.body,
        &[
            "/properties/properties/vmPriority",
            "/properties/properties/remoteLoginPortPublicAccess",
            "/properties/properties/enableNodePublicIp",
        ],
    );
    let Some(example) = example_body("2026-03-01/Compute/createOrUpdate/AmlCompute.json") else {
        return;
    };
    assert_eq!(ours, example);
}

#[test]
fn aml_compute_units_casing_and_secret() {
    let r = run(
        ManifestKind::AmlCompute,
        r#"
name: ssh-example
type: amlcompute
size: STANDARD_DS3_v2
tier: Low_Priority
max_instances: 2
idle_time_before_scale_down: 120
ssh_public_access_enabled: true
ssh_settings:
  admin_username: example-user
  admin_password: example-password
identity:
  type: user_assigned
  user_assigned_identities:
    - resource_id: /subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1
"#,
    );
    let p = &r.body["properties"]["properties"];
    assert_eq!(p["vmPriority"], "LowPriority");
    assert_eq!(
        p["scaleSettings"],
        json!({"maxNodeCount": 2, "minNodeCount": 0, "nodeIdleTimeBeforeScaleDown": "PT2M"})
    );
    assert_eq!(p["remoteLoginPortPublicAccess"], "Enabled");
    let pw_ptr = "/properties/properties/userAccountCredentials/adminUserPassword";
    assert_eq!(r.secret_paths, vec![pw_ptr.to_owned()]);
    let placeholder = r
        .body
        .pointer(pw_ptr)
        .and_then(Value::as_str)
        .expect("placeholder");
    assert_eq!(
        amlctl::desired::parse_secret_placeholder(placeholder),
        Some("AMLCTL_SECRET_SSH_EXAMPLE_ADMIN_PASSWORD")
    );
    assert!(
        !r.body.to_string().contains("example-password"),
        "the secret must not be in the body"
    );
    assert_eq!(
        r.body["identity"],
        json!({"type": "UserAssigned", "userAssignedIdentities": {
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1": {}}})
    );
}

#[test]
fn kubernetes_compute() {
    let r = run(
        ManifestKind::Kubernetes,
        r#"
name: compute123
type: kubernetes
description: some compute
resource_id: /subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resourcegroups/testrg123/providers/Microsoft.ContainerService/managedClusters/compute123-56826-c9b00420020b2
namespace: default
properties:
  default_instance_type: defaultInstanceType
  instance_types:
    defaultInstanceType:
      node_selector: null
      resources:
        requests: {cpu: "1", memory: 4Gi, nvidia.com/gpu: null}
        limits: {cpu: "1", memory: 4Gi, nvidia.com/gpu: null}
"#,
    );
    assert_eq!(r.type_label, "Kubernetes");
    assert!(r.secret_paths.is_empty());
    let Some(example) = example_body("2026-03-01/Compute/createOrUpdate/KubernetesCompute.json")
    else {
        return;
    };
    assert_eq!(r.body, example);
}

#[test]
fn kubernetes_connection_strings_are_secrets() {
    let r = run(
        ManifestKind::Kubernetes,
        "name: k8s\ntype: kubernetes\nresource_id: /x\nproperties:\n  relay_connection_string: ${env:RELAY}\n  service_bus_connection_string: Endpoint=sb://secret\n",
    );
    assert_eq!(
        r.secret_paths,
        [
            "/properties/properties/relayConnectionString",
            "/properties/properties/serviceBusConnectionString"
        ]
    );
    assert_eq!(
        r.body["properties"]["properties"]["relayConnectionString"],
        amlctl::desired::secret_placeholder("RELAY")
    );
    assert!(!r.body.to_string().contains("sb://secret"));
}

#[test]
fn schedule_trigger_and_envelope() {
    let r = run(
        ManifestKind::Schedule,
        r#"
name: string
display_name: string
description: string
tags: {string: string}
properties: {string: string}
trigger:
  type: cron
  expression: string
  start_time: string
  end_time: string
  time_zone: string
create_job: azureml:nightly-training
"#,
    );
    assert_eq!(r.type_label, "Schedule");
    let mut ours = r.body;
    let action = take(&mut ours, "/properties/action").expect("action");
    assert_eq!(take(&mut ours, "/properties/isEnabled"), Some(json!(true)));
    let Some(mut example) = example_body("2025-12-01/Schedule/createOrUpdate.json") else {
        return;
    };
    take(&mut example, "/properties/action");
    take(&mut example, "/properties/isEnabled");
    assert_eq!(ours, example);
    assert_eq!(
        action,
        json!({"actionType": "CreateJob", "jobDefinition": {"jobType": "Pipeline", "sourceJobId": format!("{WS}/jobs/nightly-training")}})
    );
}

#[test]
fn command_job() {
    let r = run(
        ManifestKind::CommandJob,
        &format!(
            r#"
name: string
command: string
code: azureml:{WS}/codes/my-code/versions/1
environment: azureml:my-env:3
compute: azureml:cpu-cluster
description: string
display_name: string
experiment_name: string
parent_job_name: ParentRun
tags: {{string: string}}
properties: {{string: string}}
environment_variables: {{string: string}}
distribution: {{type: tensorflow, worker_count: 1, parameter_server_count: 1}}
identity: {{type: aml_token}}
limits: {{timeout: 300}}
resources:
  instance_count: 1
  instance_type: string
  properties: {{string: {{e6b6493e-7d5e-4db3-be1e-306ec641327e: null}}}}
inputs:
  string: {{value: string, description: string}}
outputs:
  string: {{type: uri_file, mode: rw_mount, path: string, description: string}}
services:
  string: {{type: string, port: 1, endpoint: string, properties: {{string: string}}}}
"#
        ),
    );
    assert_eq!(r.id.to_string(), "job.string");
    assert_eq!(r.type_label, "CommandJob");
    assert_eq!(
        r.depends_on
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["compute.cpu-cluster"]
    );
    assert!(r.assets.is_empty());
    let Some(mut example) = example_body("2025-12-01/Job/CommandJob/createOrUpdate.json") else {
        return;
    };
    let p = &mut example["properties"];
    p["codeId"] = json!(format!("{WS}/codes/my-code/versions/1"));
    p["environmentId"] = json!(format!("{WS}/environments/my-env/versions/3"));
    p["computeId"] = json!(format!("{WS}/computes/cpu-cluster"));
    // The example's resources.properties value is `{"<uuid>": null}` under key "string" in the
    // 2025-12-01 file; ours is what the YAML says.
    p["resources"]["properties"] =
        json!({"string": {"e6b6493e-7d5e-4db3-be1e-306ec641327e": null}});
    assert_eq!(r.body, example);
}

#[test]
fn sweep_job() {
    let r = run(
        ManifestKind::SweepJob,
        &format!(
            r#"
name: string
type: sweep
description: string
display_name: string
experiment_name: string
tags: {{string: string}}
properties: {{string: string}}
compute: {WS}/computes/string
services:
  string: {{type: string, port: 1, endpoint: string, properties: {{string: string}}}}
sampling_algorithm: grid
search_space:
  lr: {{type: choice, values: [0.1, 0.01]}}
objective: {{goal: minimize, primary_metric: string}}
early_termination: {{type: median_stopping, evaluation_interval: 1, delay_evaluation: 1}}
limits: {{max_total_trials: 1, max_concurrent_trials: 1, trial_timeout: 1}}
trial:
  command: string
  code: azureml:{WS}/codes/c/versions/1
  environment: azureml:env:1
  environment_variables: {{string: string}}
  distribution: {{type: mpi, process_count_per_instance: 1}}
  resources:
    instance_count: 1
    instance_type: string
    properties: {{string: {{e6b6493e-7d5e-4db3-be1e-306ec641327e: null}}}}
"#
        ),
    );
    assert_eq!(r.type_label, "SweepJob");
    let mut ours = r.body;
    assert_eq!(
        take(&mut ours, "/properties/searchSpace"),
        Some(json!({"lr": ["choice", [[0.1, 0.01]]]}))
    );
    let Some(mut example) = example_body("2025-12-01/Job/SweepJob/createOrUpdate.json") else {
        return;
    };
    take(&mut example, "/properties/searchSpace");
    let p = &mut example["properties"];
    p["computeId"] = json!(format!("{WS}/computes/string"));
    p["trial"]["codeId"] = json!(format!("{WS}/codes/c/versions/1"));
    p["trial"]["environmentId"] = json!(format!("{WS}/environments/env/versions/1"));
    assert_eq!(ours, example);
}

#[test]
fn pipeline_job_envelope() {
    let r = run(
        ManifestKind::PipelineJob,
        r#"
name: string
type: pipeline
description: string
display_name: string
experiment_name: string
compute: azureml:string
tags: {string: string}
properties: {string: string}
inputs:
  string: {value: string, description: string}
outputs:
  string: {type: uri_file, mode: upload, path: string, description: string}
services:
  string: {type: string, port: 1, endpoint: string, properties: {string: string}}
"#,
    );
    assert_eq!(r.type_label, "PipelineJob");
    let mut ours = r.body;
    assert_eq!(
        take(&mut ours, "/properties/settings/_source"),
        Some(json!("YAML.JOB"))
    );
    let Some(mut example) = example_body("2026-03-01/Job/PipelineJob/createOrUpdate.json") else {
        return;
    };
    example["properties"]["computeId"] = json!(format!("{WS}/computes/string"));
    assert_eq!(ours, example);
}

#[test]
fn compute_instance_full_featured() {
    let r = run(
        ManifestKind::ComputeInstance,
        r#"
name: ci-full
type: computeinstance
size: STANDARD_DS3_v2
location: westeurope
tags: {team: ml}
description: dev box
idle_time_before_shutdown_minutes: 45
enable_sso: false
network_settings: {vnet_name: vnet1, subnet: default}
ssh_settings: {ssh_key_value: ssh-rsa AAAA}
setup_scripts:
  creation_script: {path: scripts/setup.sh, timeout_minutes: 10}
  startup_script: {command: echo hi}
custom_applications:
  - name: rstudio
    type: docker
    image: {reference: ghcr.io/azure/rocker-rstudio-ml-verse:latest}
    endpoints: [{name: connect, target: 8787, published: 8787}]
    environment_variables: {A: b}
    bind_mounts: [{source: /home/azureuser/cloudfiles, target: /home/azureuser/cloudfiles}]
schedules:
  compute_start_stop:
    - action: start
      state: disabled
      trigger:
        type: recurrence
        frequency: week
        interval: 1
        schedule: {hours: [8], minutes: 0, week_days: [MONDAY, tuesday]}
"#,
    );
    assert_eq!(
        r.body["location"], "eastus",
        "a compute instance follows the workspace"
    );
    assert_eq!(r.body["tags"], json!({"team": "ml"}));
    assert_eq!(r.body["properties"]["description"], "dev box");
    let p = &r.body["properties"]["properties"];
    assert_eq!(p["idleTimeBeforeShutdown"], "PT45M");
    assert_eq!(p["enableSSO"], false);
    assert_eq!(p["applicationSharingPolicy"], "Shared");
    assert_eq!(
        p["subnet"]["id"],
        "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/test-rg/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/default"
    );
    assert_eq!(
        p["sshSettings"],
        json!({"sshPublicAccess": "Disabled", "adminPublicKey": "ssh-rsa AAAA"})
    );
    assert_eq!(
        p["setupScripts"],
        json!({"scripts": {
            "creationScript": {"scriptSource": "workspaceStorage", "scriptData": "scripts/setup.sh", "timeout": "10m"},
            "startupScript": {"scriptSource": "inline", "scriptData": "echo hi"},
        }})
    );
    // Same shape as the published ComputeInstance example's customServices entry.
    let Some(example) = example_body("2025-12-01/Compute/createOrUpdate/ComputeInstance.json")
    else {
        return;
    };
    let ours = p["customServices"][0].clone();
    let theirs = example["properties"]["properties"]["customServices"][0].clone();
    assert_eq!(ours["image"], theirs["image"]);
    assert_eq!(ours["endpoints"], theirs["endpoints"]);
    assert_eq!(ours["volumes"], theirs["volumes"]);
    assert_eq!(
        ours["environmentVariables"],
        json!({"A": {"type": "local", "value": "b"}})
    );
    assert_eq!(ours["name"], theirs["name"]);
    assert_eq!(
        ours["docker"],
        json!({"privileged": false}),
        "not privileged unless asked"
    );
    assert_eq!(
        p["schedules"],
        json!({"computeStartStop": [{
            "status": "Disabled", "action": "Start", "triggerType": "Recurrence",
            "recurrence": {"frequency": "Week", "interval": 1,
                           "schedule": {"hours": [8], "minutes": [0], "weekDays": ["Monday", "Tuesday"]},
                           "timeZone": "UTC"},
        }]})
    );
}

#[test]
fn bad_values_name_their_field() {
    let value = yaml_to_json("name: c\ntype: computeinstance\nschedules:\n  compute_start_stop:\n    - action: pause\n      trigger: {type: cron, expression: '* * * * *'}\n").expect("yaml");
    let source = SourceLocation {
        file: PathBuf::from("c.yml"),
        line: 3,
    };
    let err = translate(
        ManifestKind::ComputeInstance,
        &value,
        &source,
        Path::new("/"),
        &ctx(),
        &MemResolver::default(),
    )
    .expect_err("pause is not an action");
    assert_eq!(err.field, "schedules.compute_start_stop.0.action");
    assert_eq!(err.line, 3);
    assert!(
        err.to_string()
            .starts_with("c.yml:3: `schedules.compute_start_stop.0.action`: "),
        "{err}"
    );
}
