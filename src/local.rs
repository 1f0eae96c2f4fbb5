//! The embedded `local` workspace: the emulator started in process on an ephemeral loopback port,
//! with its state kept in a file under the project (`.amlctl/`). A new user plans and applies
//! against it with no account.

use std::path::{Path, PathBuf};
use std::time::Duration;

use amlctl_emulator::{EmulatorConfig, EmulatorHandle, Timings, WorkspaceSpec};

/// Identity of the embedded workspace.
pub const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";
pub const RESOURCE_GROUP: &str = "rg";
pub const WORKSPACE: &str = "ws";
pub const LOCATION: &str = "westeurope";

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("could not create the local workspace directory {path}")]
    StateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not start the embedded local workspace")]
    Start(#[source] amlctl_emulator::EmulatorError),
}

/// A running embedded workspace; stops when dropped or shut down.
pub struct LocalWorkspace {
    handle: EmulatorHandle,
    token: String,
}

impl LocalWorkspace {
    /// Start the emulator on 127.0.0.1 with state in `state_dir/workspace.json`.
    pub async fn start(state_dir: &Path) -> Result<LocalWorkspace, LocalError> {
        std::fs::create_dir_all(state_dir).map_err(|source| LocalError::StateDir {
            path: state_dir.to_owned(),
            source,
        })?;
        let token = session_token();
        let config = EmulatorConfig {
            workspaces: vec![WorkspaceSpec {
                subscription: SUBSCRIPTION.to_owned(),
                resource_group: RESOURCE_GROUP.to_owned(),
                name: WORKSPACE.to_owned(),
                location: LOCATION.to_owned(),
            }],
            state_file: Some(state_dir.join("workspace.json")),
            token: Some(token.clone()),
            timings: local_timings(),
            ..EmulatorConfig::default()
        };
        let handle = amlctl_emulator::start(config)
            .await
            .map_err(LocalError::Start)?;
        Ok(LocalWorkspace { handle, token })
    }

    pub fn endpoint(&self) -> String {
        self.handle.base_url()
    }

    /// The per-process bearer token the embedded emulator requires.
    pub fn token(&self) -> &str {
        &self.token
    }

    pub async fn shutdown(self) {
        self.handle.shutdown().await;
    }
}

/// Fast but visible state machines: a local apply takes about a second per wave.
fn local_timings() -> Timings {
    Timings {
        lro: Duration::from_millis(300),
        compute_step: Duration::from_millis(500),
        job_step: Duration::from_secs(2),
        retry_after_secs: 1,
    }
}

/// A random token for this process only, so no other local process can use the workspace.
fn session_token() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(std::process::id().to_le_bytes());
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.update(now.as_nanos().to_le_bytes());
    }
    let addr = &hasher as *const _ as usize;
    hasher.update(addr.to_le_bytes());
    let digest = hasher.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}
