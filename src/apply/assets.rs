//! Make sure the assets a job needs exist before it is submitted; create only what is absent, so
//! the same content is never uploaded twice.

use amlctl_arm::ArmClient;

use super::{ApplyEvent, ApplyObserver, OperationError};
use crate::model::{Asset, DesiredResource};

pub async fn ensure(
    client: &ArmClient,
    workspace_path: &str,
    desired: &DesiredResource,
    observer: &dyn ApplyObserver,
) -> Result<(), OperationError> {
    let _ = workspace_path;
    for asset in &desired.assets {
        let err = |message: String| OperationError::Asset { address: desired.id.to_string(), message };
        match asset {
            Asset::Environment { arm_id, body } | Asset::Component { arm_id, body } => {
                if client.get(arm_id).await.map_err(|e| err(e.to_string()))?.is_none() {
                    observer.event(ApplyEvent::Progress {
                        address: desired.id.clone(),
                        message: format!("registering {}", short(arm_id)),
                    });
                    client.put(arm_id, body).await.map_err(|e| err(e.to_string()))?;
                }
            }
            Asset::Code { .. } | Asset::InputUpload { .. } => {
                return Err(err("local uploads are not implemented yet".to_owned()));
            }
        }
    }
    Ok(())
}

fn short(arm_id: &str) -> &str {
    arm_id.rsplit_once("/workspaces/").map_or(arm_id, |(_, rest)| rest)
}
