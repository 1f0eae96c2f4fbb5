//! The workspace resource (GET only) and its discovery document.

use serde_json::{Value, json};

use super::{Ctx, Req, Resp, Ws};

pub fn get(ctx: &Ctx, w: &Ws) -> Resp {
    let s = w.spec;
    let rg_id = format!(
        "/subscriptions/{}/resourceGroups/{}",
        s.subscription, s.resource_group
    );
    let body = json!({
        "id": w.id,
        "name": s.name,
        "type": "Microsoft.MachineLearningServices/workspaces",
        "location": s.location,
        "kind": "Default",
        "tags": {},
        "sku": {"name": "Basic", "tier": "Basic"},
        "identity": {
            "type": "SystemAssigned",
            "principalId": "00000000-0000-0000-0000-00000000e001",
            "tenantId": "00000000-0000-0000-0000-00000000e002",
            "userAssignedIdentities": {},
        },
        "properties": {
            "description": "Local workspace served by amlctl's emulator",
            "friendlyName": s.name,
            "provisioningState": "Succeeded",
            "workspaceId": "00000000-0000-0000-0000-00000000e004",
            "discoveryUrl": format!("{}/discovery", ctx.base_url),
            "mlFlowTrackingUri": format!("azureml://{}.api.azureml.ms/mlflow/v1.0{}", s.location, w.id),
            "storageAccount": format!("{rg_id}/providers/Microsoft.Storage/storageAccounts/amlemulatorstore"),
            "keyVault": format!("{rg_id}/providers/Microsoft.KeyVault/vaults/amlemulatorvault"),
            "applicationInsights": format!("{rg_id}/providers/Microsoft.Insights/components/amlemulatorinsights"),
            "containerRegistry": format!("{rg_id}/providers/Microsoft.ContainerRegistry/registries/amlemulatoracr"),
            "allowPublicAccessWhenBehindVnet": false,
            "publicNetworkAccess": "Enabled",
            "hbiWorkspace": false,
            "imageBuildCompute": "",
            "encryption": {
                "status": "Disabled",
                "identity": {"userAssignedIdentity": null},
                "keyVaultProperties": {"keyVaultArmId": "", "keyIdentifier": "", "identityClientId": null},
            },
            "managedNetwork": {"isolationMode": "Disabled", "networkId": "00000000-0000-0000-0000-00000000e005", "outboundRules": {}, "status": {"status": "Inactive", "sparkReady": false}},
            "privateEndpointConnections": [],
            "privateLinkCount": 0,
            "serviceProvisionedResourceGroup": format!("/subscriptions/{}/resourceGroups/azureml-rg-{}", s.subscription, s.name),
            "sharedPrivateLinkResources": [],
            "creationTime": "2026-01-01T00:00:00.0000000+00:00",
            "v1LegacyMode": false,
        },
        "systemData": super::system_data(1_767_225_600_000, None),
    });
    let _: &Value = &body;
    Resp::json(200, body)
}

/// The discovery document: every data-plane service points back at the emulator.
pub fn discovery(ctx: &Ctx, _req: &Req) -> Resp {
    let b = ctx.base_url;
    Resp::json(
        200,
        json!({
            "api": b, "catalog": b, "experimentation": b, "gallery": b, "history": b,
            "hyperdrive": b, "labeling": b, "modelmanagement": b, "pipelines": b,
            "studio": "https://ml.azure.com",
        }),
    )
}
