//! `TargetArgs`: the flags that pick the workspace, flattened into `plan`, `apply` and `drift`.

use std::path::PathBuf;

use miette::{IntoDiagnostic, WrapErr};

use crate::config::{ConfigError, RepoConfig, ResolvedTarget, TargetSelection, process_env};

/// Which workspace to work on: a target from `amlctl.yaml`, or one given entirely by flags /
/// `AMLCTL_*` variables (no config needed), or else the config's `default_target`, or else the
/// built-in `local` (embedded) workspace.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TargetArgs {
    /// Target from amlctl.yaml (or `local`). Env: AMLCTL_TARGET. Connection flags given with it
    /// override its settings; AMLCTL_* connection variables are then ignored.
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,

    /// Repo config file; default: amlctl.yaml found by walking up from the current directory
    /// (stopping at the git work tree root).
    #[arg(long, value_name = "FILE", env = "AMLCTL_CONFIG")]
    pub config: Option<PathBuf>,

    /// Azure subscription id. Env: AMLCTL_SUBSCRIPTION.
    #[arg(long, value_name = "ID", help_heading = "Target without a config")]
    pub subscription: Option<String>,

    /// Resource group of the workspace. Env: AMLCTL_RESOURCE_GROUP.
    #[arg(long, value_name = "NAME", help_heading = "Target without a config")]
    pub resource_group: Option<String>,

    /// Azure ML workspace name. Env: AMLCTL_WORKSPACE.
    #[arg(long, value_name = "NAME", help_heading = "Target without a config")]
    pub workspace: Option<String>,

    /// ARM endpoint URL (an emulator or a private cloud). Env: AMLCTL_ARM_ENDPOINT.
    #[arg(long, value_name = "URL", help_heading = "Target without a config")]
    pub endpoint: Option<String>,

    /// Named Azure cloud: public, china or usgov (the `az cloud` names AzureCloud,
    /// AzureChinaCloud, AzureUSGovernment are accepted too). Env: AMLCTL_CLOUD.
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Target without a config",
        conflicts_with = "endpoint"
    )]
    pub cloud: Option<String>,

    /// How to get a token: auto (client secret, workload identity, managed identity, then az
    /// login), client-secret, workload-identity, managed-identity, azure-cli, or token
    /// (AMLCTL_ACCESS_TOKEN). README "Connecting to Azure". Env: AMLCTL_AUTH.
    #[arg(long, value_name = "METHOD", help_heading = "Target without a config")]
    pub auth: Option<String>,

    /// Extra CA certificates (PEM) to trust. Env: AMLCTL_CA_FILE.
    #[arg(long, value_name = "FILE", help_heading = "Target without a config")]
    pub ca_file: Option<PathBuf>,
}

impl TargetArgs {
    /// The flags as a library-side [`TargetSelection`].
    pub fn selection(&self) -> TargetSelection {
        TargetSelection {
            target: self.target.clone(),
            subscription: self.subscription.clone(),
            resource_group: self.resource_group.clone(),
            workspace: self.workspace.clone(),
            endpoint: self.endpoint.clone(),
            cloud: self.cloud.clone(),
            auth: self.auth.clone(),
            ca_file: self.ca_file.clone(),
        }
    }

    /// The repo config: `--config`, or discovered from the current directory.
    pub fn load_config(&self) -> Result<RepoConfig, ConfigError> {
        load_config(self.config.as_deref())
    }

    /// Load the config and resolve the target from flags and the process environment.
    pub fn resolve(&self) -> miette::Result<(RepoConfig, ResolvedTarget)> {
        let config = self
            .load_config()
            .into_diagnostic()
            .wrap_err("cannot load the repo config")?;
        let target = config
            .resolve_target(&self.selection(), &process_env)
            .into_diagnostic()
            .wrap_err("cannot pick the target workspace")?;
        Ok((config, target))
    }
}

/// `--config FILE` when given, else discovery from the current directory.
pub fn load_config(explicit: Option<&std::path::Path>) -> Result<RepoConfig, ConfigError> {
    match explicit {
        Some(path) => RepoConfig::load(path),
        None => {
            let cwd = std::env::current_dir().map_err(|source| ConfigError::Read {
                path: PathBuf::from("."),
                source,
            })?;
            RepoConfig::discover(&cwd)
        }
    }
}
