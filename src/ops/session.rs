//! A connection to the target workspace: the embedded local emulator or an ARM endpoint.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use amlctl_arm::{
    ArmClient, ArmError, AuthMethod, ClientConfig, Cloud, CredentialSpec, workspace_path,
};

use crate::config::{ResolvedTarget, TargetKind};
use crate::desired::TranslateContext;
use crate::live::{self, LiveError, LiveStream};
use crate::local::{self, LocalError, LocalWorkspace};
use crate::model::LiveState;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Local(#[from] LocalError),
    #[error("cannot set up the ARM client for target `{target}`")]
    Client {
        target: String,
        #[source]
        source: ArmError,
    },
    #[error("cannot read workspace {workspace} of target `{target}`")]
    Workspace {
        target: String,
        workspace: String,
        #[source]
        source: ArmError,
    },
    #[error("workspace {workspace} of target `{target}` does not exist")]
    NoWorkspace { target: String, workspace: String },
}

/// Tuning for the client a session makes.
#[derive(Clone, Debug)]
pub struct SessionOptions {
    /// Concurrent HTTP requests.
    pub max_concurrency: usize,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            max_concurrency: 10,
        }
    }
}

/// A connected target.
pub struct Session {
    pub client: ArmClient,
    pub target_name: String,
    /// ARM path of the workspace.
    pub workspace_path: String,
    pub translate: TranslateContext,
    local: Option<LocalWorkspace>,
    /// The workspace read started by [`Session::connect`], until the first plan takes it
    /// (aborted when dropped untaken).
    prefetch: Mutex<Option<LiveStream>>,
}

impl Session {
    /// Connect to `target` (starting the embedded workspace for `local`, with its state under
    /// `state_dir`), and read the workspace once (its location).
    pub async fn connect(
        target: &ResolvedTarget,
        options: &SessionOptions,
    ) -> Result<Session, SessionError> {
        let client_error = |source| SessionError::Client {
            target: target.name.clone(),
            source,
        };
        let (client, subscription, resource_group, workspace, location, local) = match &target.kind
        {
            TargetKind::Local { state_dir } => {
                let ws = LocalWorkspace::start(state_dir).await?;
                let endpoint = url::Url::parse(&ws.endpoint()).map_err(|e| {
                    client_error(ArmError::Config {
                        message: e.to_string(),
                    })
                })?;
                let mut config =
                    ClientConfig::for_endpoint(endpoint, CredentialSpec::static_token(ws.token()));
                config.max_concurrency = options.max_concurrency;
                // The embedded workspace answers `Retry-After: 1` or less; poll it briskly.
                config.lro.default_poll_interval = Duration::from_millis(200);
                let client = ArmClient::new(config).await.map_err(client_error)?;
                (
                    client,
                    local::SUBSCRIPTION.to_owned(),
                    local::RESOURCE_GROUP.to_owned(),
                    local::WORKSPACE.to_owned(),
                    Some(local::LOCATION.to_owned()),
                    Some(ws),
                )
            }
            TargetKind::Remote(remote) => {
                let method: AuthMethod = match &remote.auth {
                    Some(a) => a.parse().map_err(client_error)?,
                    None => AuthMethod::Auto,
                };
                let credential = CredentialSpec::from_env(method);
                let mut config = match (&remote.endpoint, &remote.cloud) {
                    (Some(endpoint), _) => {
                        let url = url::Url::parse(endpoint).map_err(|e| {
                            client_error(ArmError::Config {
                                message: format!("invalid endpoint `{endpoint}`: {e}"),
                            })
                        })?;
                        ClientConfig::for_endpoint(url, credential)
                    }
                    (None, Some(cloud)) => {
                        ClientConfig::new(cloud.parse::<Cloud>().map_err(client_error)?, credential)
                    }
                    (None, None) => ClientConfig::new(Cloud::Public, credential),
                };
                config.ca_file = remote.ca_file.clone();
                config.max_concurrency = options.max_concurrency;
                let client = ArmClient::new(config).await.map_err(client_error)?;
                (
                    client,
                    remote.subscription.clone(),
                    remote.resource_group.clone(),
                    remote.workspace.clone(),
                    remote.location.clone(),
                    None,
                )
            }
        };
        let workspace_path = workspace_path(&subscription, &resource_group, &workspace);
        // Start listing the workspace now, beside the workspace GET below: the lists need
        // nothing from it, and they are in flight while the caller translates the manifests
        // (CPU). The caller has validated them already. The first plan takes this read; later
        // ones read afresh. Dropped (on an error below, or unused) it is aborted.
        let prefetch = live::start(client.clone(), workspace_path.clone());
        let location = match location {
            Some(l) => l,
            None => {
                let body = client.get(&workspace_path).await.map_err(|source| {
                    SessionError::Workspace {
                        target: target.name.clone(),
                        workspace: workspace_path.clone(),
                        source,
                    }
                })?;
                let body = body.ok_or_else(|| SessionError::NoWorkspace {
                    target: target.name.clone(),
                    workspace: workspace_path.clone(),
                })?;
                body.get("location")
                    .and_then(|l| l.as_str())
                    .unwrap_or_default()
                    .to_owned()
            }
        };
        Ok(Session {
            client,
            target_name: target.name.clone(),
            workspace_path,
            translate: TranslateContext {
                subscription,
                resource_group,
                workspace,
                location,
            },
            local,
            prefetch: Mutex::new(Some(prefetch)),
        })
    }

    /// Read the workspace (one paged list per kind): the read [`Session::connect`] started the
    /// first time, a fresh one after that.
    pub async fn observe(&self) -> Result<LiveState, LiveError> {
        self.observe_pages().collect().await
    }

    /// [`Session::observe`] page by page, as the pages arrive.
    pub fn observe_pages(&self) -> LiveStream {
        let started = self
            .prefetch
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        started.unwrap_or_else(|| live::start(self.client.clone(), self.workspace_path.clone()))
    }

    /// True for the embedded workspace.
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }

    /// Stop the embedded workspace (flushing its state) if there is one.
    pub async fn close(self) {
        let Session {
            local, prefetch, ..
        } = self;
        drop(prefetch);
        if let Some(local) = local {
            local.shutdown().await;
        }
    }
}

/// The directory that holds local state for a repo.
pub fn state_dir(root: &Path) -> std::path::PathBuf {
    root.join(crate::config::STATE_DIR)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_after_the_first_prefetched_one_are_fresh() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = ResolvedTarget {
            name: "local".to_owned(),
            kind: TargetKind::Local {
                state_dir: dir.path().join(".amlctl"),
            },
            options: Default::default(),
            overrides: Default::default(),
            secrets: Default::default(),
        };
        let session = Session::connect(&target, &SessionOptions::default())
            .await
            .expect("connect");
        let first = session.observe().await.expect("first read");
        assert!(first.resources.is_empty(), "a new workspace is empty");

        // Someone creates a compute after the session's first read...
        let path = format!("{}/computes/team-cpu", session.workspace_path);
        let body = json!({"location": "westeurope", "properties": {"computeType": "AmlCompute",
            "properties": {"vmSize": "STANDARD_DS3_V2", "scaleSettings": {"maxNodeCount": 1}}}});
        session.client.put_lro(&path, &body).await.expect("create");
        // ...and the next read (apply's recheck) sees it: nothing is served from a cache.
        let second = session.observe().await.expect("second read");
        assert_eq!(second.resources.len(), 1, "{:?}", second.resources.keys());
        session.close().await;
    }
}
