//! Make sure the assets a job needs exist before it is submitted. Only what is absent is
//! created, so the same content is never uploaded twice:
//!
//! - environments and components: GET the version, PUT it when missing;
//! - a local `code:` folder: GET the code version (its id comes from the content hash); when
//!   missing, `startPendingUpload` gives a SAS URL in the workspace's default blob container,
//!   each file not ignored by `.amlignore`/`.gitignore` is uploaded unless already there (HEAD),
//!   then the code version is registered with that `codeUri`;
//! - a local input: uploaded the same way under `LocalUpload/<hash>/`, which is the
//!   `azureml://datastores/workspaceblobstore/paths/LocalUpload/<hash>/...` URI the job refers to.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use amlctl_arm::ArmClient;
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::{ApplyEvent, ApplyObserver, OperationError};
use crate::desired::ignore::IgnoreRules;
use crate::model::{Asset, DesiredResource};

/// Assets already ensured (or being ensured) during one apply: several jobs sharing a code
/// folder wait for one upload instead of racing to make it twice.
#[derive(Default)]
pub struct Ensured {
    cells: Mutex<HashMap<String, Arc<AssetCell>>>,
}

/// The outcome of ensuring one asset, computed once.
type AssetCell = OnceCell<Result<(), String>>;

impl Ensured {
    fn cell(&self, key: &str) -> Arc<AssetCell> {
        let mut cells = self
            .cells
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cells.entry(key.to_owned()).or_default().clone()
    }
}

fn key(asset: &Asset) -> &str {
    match asset {
        Asset::Environment { arm_id, .. }
        | Asset::Component { arm_id, .. }
        | Asset::Code { arm_id, .. } => arm_id,
        Asset::InputUpload { datastore_uri, .. } => datastore_uri,
    }
}

pub async fn ensure(
    client: &ArmClient,
    workspace_path: &str,
    desired: &DesiredResource,
    observer: &dyn ApplyObserver,
    ensured: &Ensured,
) -> Result<(), OperationError> {
    for asset in &desired.assets {
        let cell = ensured.cell(key(asset));
        let outcome = cell
            .get_or_init(|| ensure_one(client, workspace_path, desired, asset, observer))
            .await;
        if let Err(message) = outcome {
            return Err(OperationError::Asset {
                address: desired.id.to_string(),
                message: message.clone(),
            });
        }
    }
    Ok(())
}

async fn ensure_one(
    client: &ArmClient,
    workspace_path: &str,
    desired: &DesiredResource,
    asset: &Asset,
    observer: &dyn ApplyObserver,
) -> Result<(), String> {
    let err = |message: String| message;
    let progress = |message: String| {
        observer.event(ApplyEvent::Progress {
            address: desired.id.clone(),
            message,
        })
    };
    {
        match asset {
            Asset::Environment { arm_id, body } | Asset::Component { arm_id, body } => {
                if client
                    .get(arm_id)
                    .await
                    .map_err(|e| err(e.to_string()))?
                    .is_none()
                {
                    progress(format!("registering {}", short(arm_id)));
                    client
                        .put(arm_id, body)
                        .await
                        .map_err(|e| err(e.to_string()))?;
                }
            }
            Asset::Code {
                local_dir,
                hash,
                arm_id,
            } => {
                if client
                    .get(arm_id)
                    .await
                    .map_err(|e| err(e.to_string()))?
                    .is_some()
                {
                    return Ok(());
                }
                progress(format!("uploading code {}", local_dir.display()));
                let upload_id = upload_id(hash);
                let blob_uri = upload(client, arm_id, &upload_id, local_dir)
                    .await
                    .map_err(err)?;
                let body = json!({
                    "properties": {
                        "codeUri": blob_uri,
                        "isAnonymous": true,
                        "properties": {"amlctl.contentHash": hash},
                    }
                });
                client
                    .put(arm_id, &body)
                    .await
                    .map_err(|e| err(e.to_string()))?;
            }
            Asset::InputUpload {
                local_path,
                hash,
                datastore_uri,
            } => {
                let _ = datastore_uri;
                progress(format!("uploading input {}", local_path.display()));
                // The pending upload of a scratch code version hands out the SAS for the
                // `LocalUpload/<hash>` folder of the default blob container.
                let short: String = hash.chars().take(32).collect();
                let carrier = format!("{workspace_path}/codes/amlctl-input-upload/versions/1");
                upload(client, &carrier, &short, local_path)
                    .await
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// Upload the file or folder at `local` under the pending-upload folder `upload_id`; returns the
/// folder's blob URI (without SAS).
async fn upload(
    client: &ArmClient,
    version_id: &str,
    upload_id: &str,
    local: &Path,
) -> Result<String, String> {
    let pending = client
        .post(
            &format!("{version_id}/startPendingUpload"),
            &json!({"pendingUploadId": upload_id, "pendingUploadType": "TemporaryBlobReference"}),
        )
        .await
        .map_err(|e| e.to_string())?;
    let reference = &pending["blobReferenceForConsumption"];
    let blob_uri = reference["blobUri"]
        .as_str()
        .ok_or("startPendingUpload returned no blobUri")?
        .to_owned();
    let sas_uri = reference
        .pointer("/credential/sasUri")
        .and_then(Value::as_str)
        .ok_or("startPendingUpload returned no SAS")?;
    let sas = sas_uri
        .split_once('?')
        .map(|(_, q)| q)
        .ok_or("the SAS URI has no query")?;
    for (rel, path) in files_to_upload(local)? {
        let url = format!(
            "{}/{}?{sas}",
            blob_uri.trim_end_matches('/'),
            encode_path(&rel)
        );
        if client.blob_exists(&url).await.map_err(|e| e.to_string())? {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        client
            .put_blob(&url, Bytes::from(bytes))
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(blob_uri)
}

/// The files of a folder (relative `/` paths), minus what its `.amlignore` (or else
/// `.gitignore`) ignores; or the single file itself.
pub fn files_to_upload(local: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    if !local.is_dir() {
        let name = local
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or("no file name")?;
        return Ok(vec![(name, local.to_path_buf())]);
    }
    let rules = [".amlignore", ".gitignore"]
        .iter()
        .map(|n| local.join(n))
        .find(|p| p.is_file())
        .map(|p| {
            std::fs::read_to_string(&p)
                .map(|t| IgnoreRules::parse(&t))
                .map_err(|e| format!("{}: {e}", p.display()))
        })
        .transpose()?;
    let mut out = Vec::new();
    let mut stack = vec![local.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel: Vec<String> = path
                .strip_prefix(local)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let rel = rel.join("/");
            if rules.as_ref().is_some_and(|r| r.is_ignored(&rel)) {
                continue;
            }
            out.push((rel, path));
        }
    }
    out.sort();
    Ok(out)
}

/// A stable upload folder name for a content hash.
fn upload_id(hash: &str) -> String {
    hash.chars().take(32).collect()
}

fn encode_path(rel: &str) -> String {
    rel.split('/')
        .map(|seg| {
            seg.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn short(arm_id: &str) -> &str {
    arm_id
        .rsplit_once("/workspaces/")
        .map_or(arm_id, |(_, rest)| rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_uploads_honour_amlignore() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".amlignore"), "*.log\nbuild/\n").unwrap();
        std::fs::write(dir.path().join("train.py"), "print(1)").unwrap();
        std::fs::write(dir.path().join("debug.log"), "x").unwrap();
        std::fs::create_dir(dir.path().join("build")).unwrap();
        std::fs::write(dir.path().join("build/out.bin"), "x").unwrap();
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        std::fs::write(dir.path().join("pkg/a b.py"), "x").unwrap();
        let files: Vec<String> = files_to_upload(dir.path())
            .unwrap()
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(files, vec![".amlignore", "pkg/a b.py", "train.py"]);
        assert_eq!(encode_path("pkg/a b.py"), "pkg/a%20b.py");
    }
}
