//! Builders shared by the plan tests: desired and live resources from hand-written JSON.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use amlctl::diff::DiffOptions;
use amlctl::model::{
    DesiredResource, DesiredState, Kind, LiveResource, LiveState, OWNERSHIP_TAG, ResourceId,
    ResourceOptions, SourceLocation,
};
use amlctl::plan::PlanTarget;
use serde_json::{Value, json};

pub const WS: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

pub fn id(address: &str) -> ResourceId {
    address.parse().expect("test address")
}

pub fn opts() -> DiffOptions {
    DiffOptions::new(PlanTarget {
        name: "dev".to_owned(),
        workspace_id: WS.to_owned(),
    })
}

pub fn compute_id(name: &str) -> String {
    format!("{WS}/computes/{name}")
}

pub fn desired(address: &str, type_label: &str, body: Value) -> DesiredResource {
    let id = id(address);
    DesiredResource {
        source: SourceLocation {
            file: PathBuf::from(format!("{}s/{}.yml", id.kind, id.name)),
            line: 1,
        },
        id,
        type_label: type_label.to_owned(),
        body,
        secret_paths: Vec::new(),
        depends_on: BTreeSet::new(),
        options: ResourceOptions::default(),
        assets: Vec::new(),
    }
}

/// A live resource as the service returns it: envelope added, owned (tagged) when asked.
pub fn live(address: &str, mut body: Value, owned: bool) -> LiveResource {
    let id = id(address);
    if let Value::Object(map) = &mut body {
        map.insert(
            "id".to_owned(),
            json!(format!("{WS}/{}/{}", id.kind.collection(), id.name)),
        );
        map.insert("name".to_owned(), json!(id.name));
        map.insert(
            "type".to_owned(),
            json!(format!(
                "Microsoft.MachineLearningServices/workspaces/{}",
                id.kind.collection()
            )),
        );
        map.insert(
            "systemData".to_owned(),
            json!({"createdAt": "2026-01-01T00:00:00Z", "createdBy": "someone", "createdByType": "User"}),
        );
    }
    if owned {
        let tags = match id.kind {
            Kind::Compute => body
                .as_object_mut()
                .map(|m| m.entry("tags").or_insert(json!({}))),
            Kind::Schedule | Kind::Job => body
                .get_mut("properties")
                .and_then(Value::as_object_mut)
                .map(|m| m.entry("tags").or_insert(json!({}))),
        };
        if let Some(Value::Object(tags)) = tags {
            tags.insert(OWNERSHIP_TAG.to_owned(), json!("true"));
        }
    }
    LiveResource { id, body, owned }
}

pub fn desired_state(resources: Vec<DesiredResource>) -> DesiredState {
    let mut s = DesiredState::default();
    for r in resources {
        s.resources.insert(r.id.clone(), r);
    }
    s
}

pub fn live_state(resources: Vec<LiveResource>) -> LiveState {
    let mut s = LiveState::default();
    for r in resources {
        s.resources.insert(r.id.clone(), r);
    }
    s
}

pub fn aml_cluster(vm_size: &str, max: i64) -> Value {
    json!({
        "location": "eastus",
        "properties": {
            "computeType": "AmlCompute",
            "description": "training cluster",
            "properties": {
                "vmSize": vm_size,
                "scaleSettings": {"maxNodeCount": max, "nodeIdleTimeBeforeScaleDown": "PT120S"}
            }
        }
    })
}

/// What the service returns for [`aml_cluster`]: defaults, server fields, other spellings.
pub fn aml_cluster_echo(vm_size: &str, max: i64) -> Value {
    json!({
        "location": "East US",
        "properties": {
            "computeType": "AmlCompute",
            "description": "training cluster",
            "provisioningState": "Succeeded",
            "createdOn": "2026-01-01T00:00:00Z",
            "modifiedOn": "2026-01-02T00:00:00Z",
            "isAttachedCompute": false,
            "provisioningErrors": null,
            "properties": {
                "vmSize": vm_size.to_uppercase(),
                "vmPriority": "Dedicated",
                "osType": "Linux",
                "isolatedNetwork": false,
                "enableNodePublicIp": true,
                "virtualMachineImage": null,
                "remoteLoginPortPublicAccess": "NotSpecified",
                "scaleSettings": {"maxNodeCount": max, "minNodeCount": 0, "nodeIdleTimeBeforeScaleDown": "PT2M"},
                "allocationState": "Steady",
                "allocationStateTransitionTime": "2026-01-01T00:00:00Z",
                "currentNodeCount": 0,
                "targetNodeCount": 0,
                "nodeStateCounts": {"idleNodeCount": 0, "runningNodeCount": 0},
                "errors": null
            }
        }
    })
}

pub fn compute_instance(vm_size: &str) -> Value {
    json!({
        "properties": {
            "computeType": "ComputeInstance",
            "properties": {
                "vmSize": vm_size,
                "idleTimeBeforeShutdown": "PT30M",
                "schedules": {"computeStartStop": [
                    {"action": "Stop", "triggerType": "Cron", "cron": {"expression": "0 18 * * *"}}
                ]}
            }
        }
    })
}

pub fn compute_instance_echo(vm_size: &str, state: &str) -> Value {
    json!({
        "location": "eastus",
        "properties": {
            "computeType": "ComputeInstance",
            "provisioningState": "Succeeded",
            "createdOn": "2026-01-01T00:00:00Z",
            "properties": {
                "vmSize": vm_size,
                "idleTimeBeforeShutdown": "PT0.5H",
                "enableNodePublicIp": true,
                "applicationSharingPolicy": "Shared",
                "enableSSO": true,
                "sshSettings": {"sshPublicAccess": "Disabled", "adminUserName": "azureuser", "sshPort": 4001},
                "schedules": {"computeStartStop": [
                    {"id": "abc", "provisioningStatus": "Completed", "status": "Enabled", "action": "Stop",
                     "triggerType": "Cron", "cron": {"expression": "0 18 * * *", "timeZone": "UTC"}}
                ]},
                "state": state,
                "lastOperation": {"operationName": "Create", "operationStatus": "Succeeded"},
                "osImageMetadata": {"currentImageVersion": "1", "latestImageVersion": "2", "isLatestOsImageVersion": false},
                "connectivityEndpoints": {"publicIpAddress": "10.0.0.1"},
                "applications": [{"displayName": "Jupyter", "endpointUri": "https://x"}],
                "createdBy": {"userName": "someone"},
                "errors": null
            }
        }
    })
}

pub fn schedule(cron: &str) -> Value {
    json!({
        "properties": {
            "displayName": "nightly",
            "trigger": {"triggerType": "Cron", "expression": cron},
            "action": {"actionType": "CreateJob", "jobDefinition": command_job_body("python train.py")}
        }
    })
}

pub fn schedule_echo(cron: &str) -> Value {
    let mut job = command_job_body("python train.py");
    if let Some(m) = job.as_object_mut() {
        m.insert("experimentName".to_owned(), json!("Default"));
        m.insert(
            "resources".to_owned(),
            json!({"instanceCount": 1, "shmSize": "2g"}),
        );
    }
    json!({
        "properties": {
            "displayName": "nightly",
            "isEnabled": true,
            "provisioningState": "Succeeded",
            "trigger": {"triggerType": "cron", "expression": cron, "timeZone": "UTC", "startTime": "2026-01-01T00:00:00"},
            "action": {"actionType": "CreateJob", "jobDefinition": job}
        }
    })
}

pub fn command_job_body(command: &str) -> Value {
    json!({
        "jobType": "Command",
        "command": command,
        "environmentId": "azureml://registries/azureml/environments/sklearn-1.5/versions/1",
        "computeId": compute_id("cpu-cluster"),
        "limits": {"jobLimitsType": "Command", "timeout": "PT1H"}
    })
}

pub fn command_job(command: &str) -> Value {
    json!({"properties": command_job_body(command)})
}

pub fn command_job_echo(command: &str, status: &str) -> Value {
    let mut body = command_job_body(command);
    if let Some(m) = body.as_object_mut() {
        m.insert("status".to_owned(), json!(status));
        m.insert("experimentName".to_owned(), json!("Default"));
        m.insert(
            "computeId".to_owned(),
            json!(compute_id("cpu-cluster").to_lowercase()),
        );
        m.insert(
            "limits".to_owned(),
            json!({"jobLimitsType": "Command", "timeout": "PT60M"}),
        );
        m.insert(
            "resources".to_owned(),
            json!({"instanceCount": 1, "shmSize": "2g"}),
        );
        m.insert(
            "properties".to_owned(),
            json!({"_azureml.ComputeTargetType": "amlctrain"}),
        );
        m.insert(
            "services".to_owned(),
            json!({"Studio": {"jobServiceType": "Studio", "endpoint": "https://ml.azure.com/runs/x", "status": null}}),
        );
        m.insert(
            "outputs".to_owned(),
            json!({"default": {"jobOutputType": "uri_folder", "uri": "azureml://x"}}),
        );
        m.insert("parameters".to_owned(), json!({}));
    }
    json!({"properties": body})
}

pub fn kubernetes(namespace: Option<&str>) -> Value {
    let mut props = json!({"defaultInstanceType": "small",
        "relayConnectionString": "${{secrets.RELAY}}",
        "instanceTypes": {"small": {"resources": {"requests": {"cpu": "1", "memory": "4Gi"}}}}});
    if let (Some(ns), Some(m)) = (namespace, props.as_object_mut()) {
        m.insert("namespace".to_owned(), json!(ns));
    }
    json!({"properties": {"computeType": "Kubernetes",
        "resourceId": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1",
        "properties": props}})
}

pub fn kubernetes_echo(namespace: &str) -> Value {
    json!({"location": "eastus", "properties": {"computeType": "Kubernetes", "isAttachedCompute": true,
        "provisioningState": "Succeeded",
        "resourceId": "/subscriptions/0/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1",
        "properties": {"defaultInstanceType": "small", "namespace": namespace, "extensionPrincipalId": null,
            "relayConnectionString": null, "serviceBusConnectionString": null, "vcName": null,
            "instanceTypes": {"small": {"nodeSelector": null,
                "resources": {"requests": {"cpu": "1", "memory": "4Gi", "nvidia.com/gpu": null}}}}}}})
}
