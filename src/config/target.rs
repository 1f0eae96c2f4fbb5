//! Targets: the workspaces one repo drives, and how the command line picks one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

use super::overrides::merge_patch;
use super::secret::{EnvLookup, Secret, SecretRef, SecretSite, find_refs};
use super::{ConfigError, LOCAL_TARGET, RepoConfig, STATE_DIR, SecretError};
use crate::model::{PowerState, ResourceId, ResourceOptions};

/// Name given to a target built from flags/environment only.
pub const ADHOC_TARGET: &str = "adhoc";

/// Connection settings of an Azure (or emulated) workspace. Strings on purpose: the ARM client
/// parses `cloud` and `auth` into its own types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteTarget {
    pub subscription: String,
    pub resource_group: String,
    pub workspace: String,
    /// Named cloud (`AzureCloud`, `AzureUSGovernment`, `AzureChinaCloud`). Exclusive with `endpoint`.
    pub cloud: Option<String>,
    /// ARM endpoint URL (an emulator, a sovereign or private cloud).
    pub endpoint: Option<String>,
    /// Auth method name, mapped by the ARM client.
    pub auth: Option<String>,
    /// Extra CA bundle (PEM) to trust; relative paths in the config are made relative to it.
    pub ca_file: Option<PathBuf>,
    /// Region for resources that need one (defaults to the workspace's when absent).
    pub location: Option<String>,
}

/// amlctl-only options of one address as written in one place of the config; merged
/// global-then-target into [`ResourceOptions`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OptionsPatch {
    pub power_state: Option<PowerState>,
    pub protected: Option<bool>,
    pub ignore_fields: Vec<String>,
    /// Jobs: cancel it (see `ResourceOptions::cancel`).
    pub cancel: Option<bool>,
}

impl OptionsPatch {
    /// Scalars given here replace; `ignore_fields` add to what is there.
    fn apply_to(&self, options: &mut ResourceOptions) {
        if let Some(p) = self.power_state {
            options.power_state = Some(p);
        }
        if let Some(p) = self.protected {
            options.protected = p;
        }
        if let Some(c) = self.cancel {
            options.cancel = c;
        }
        for field in &self.ignore_fields {
            if !options.ignore_fields.contains(field) {
                options.ignore_fields.push(field.clone());
            }
        }
    }
}

/// One configured target (`targets.NAME` in `amlctl.yaml`).
#[derive(Clone, Debug, PartialEq)]
pub struct TargetConfig {
    pub name: String,
    /// `None` only for a configured `local` (the embedded workspace).
    pub connection: Option<RemoteTarget>,
    /// Merge patches per address; secret references already in canonical `${env:NAME}` form.
    pub values: BTreeMap<ResourceId, Value>,
    pub resources: BTreeMap<ResourceId, OptionsPatch>,
}

/// What the command line says about the target (see `cli::target_args::TargetArgs`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetSelection {
    pub target: Option<String>,
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
    pub workspace: Option<String>,
    pub endpoint: Option<String>,
    pub cloud: Option<String>,
    pub auth: Option<String>,
    pub ca_file: Option<PathBuf>,
}

/// Where a resolved target lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// The embedded workspace, persisted under `state_dir` (`<repo>/.amlctl/`).
    Local {
        state_dir: PathBuf,
    },
    Remote(RemoteTarget),
}

/// The target a command runs against, with everything the config says about it.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedTarget {
    pub name: String,
    pub kind: TargetKind,
    /// amlctl-only options per address (global, then the target's).
    pub options: BTreeMap<ResourceId, ResourceOptions>,
    /// Merge patches per address (the target's `values`).
    pub overrides: BTreeMap<ResourceId, Value>,
    /// Every secret reference the target's values make (names only, no values).
    pub secrets: BTreeSet<SecretRef>,
}

impl ResolvedTarget {
    /// The options of `address` (defaults when the config says nothing).
    pub fn options_for(&self, address: &ResourceId) -> ResourceOptions {
        self.options.get(address).cloned().unwrap_or_default()
    }

    /// See [`apply_overrides`].
    pub fn apply_overrides(&self, address: &ResourceId, manifest: &mut Value) -> bool {
        apply_overrides(self, address, manifest)
    }

    /// Read every secret the target references, failing on the first missing variable (in name
    /// order). Meant for `apply`, before anything is written; `plan` does not need values.
    pub fn resolve_secrets(
        &self,
        env: EnvLookup<'_>,
    ) -> Result<BTreeMap<String, Secret>, SecretError> {
        self.secrets
            .iter()
            .map(|r| Ok((r.env.clone(), r.resolve(env)?)))
            .collect()
    }
}

/// Deep-merge the target's values for `address` into a manifest's YAML-as-JSON (RFC 7386 merge
/// patch: mappings merge, `null` removes, the rest replaces). Returns whether there were any.
/// Secret references land as `${env:NAME}` strings: find them with [`secret_sites`].
pub fn apply_overrides(
    target: &ResolvedTarget,
    address: &ResourceId,
    manifest: &mut Value,
) -> bool {
    match target.overrides.get(address) {
        Some(patch) => {
            merge_patch(manifest, patch);
            true
        }
        None => false,
    }
}

/// The secret references (`${env:NAME}` strings) in a manifest after overrides, with their
/// JSON pointers into the YAML-as-JSON.
pub fn secret_sites(manifest: &Value) -> Result<Vec<SecretSite>, SecretError> {
    find_refs(manifest)
}

impl RepoConfig {
    /// Pick the target: `--target`/`AMLCTL_TARGET`; else an ad-hoc one when a subscription,
    /// resource group or workspace is given by flag or `AMLCTL_*` variable (the other connection
    /// settings then come from flags or variables too); else `default_target`; else the
    /// built-in `local`.
    ///
    /// For a named or default target, connection flags override its settings (handy to point a
    /// configured target at an emulator); `AMLCTL_*` connection variables are then ignored, so
    /// a stray variable can never redirect a configured target.
    pub fn resolve_target(
        &self,
        sel: &TargetSelection,
        env: EnvLookup<'_>,
    ) -> Result<ResolvedTarget, ConfigError> {
        if let Some(name) = sel
            .target
            .clone()
            .or_else(|| nonempty(env("AMLCTL_TARGET")))
        {
            return self.resolve_named(&name, sel);
        }
        let adhoc = TargetSelection {
            target: None,
            subscription: sel
                .subscription
                .clone()
                .or_else(|| nonempty(env("AMLCTL_SUBSCRIPTION"))),
            resource_group: sel
                .resource_group
                .clone()
                .or_else(|| nonempty(env("AMLCTL_RESOURCE_GROUP"))),
            workspace: sel
                .workspace
                .clone()
                .or_else(|| nonempty(env("AMLCTL_WORKSPACE"))),
            endpoint: sel
                .endpoint
                .clone()
                .or_else(|| nonempty(env("AMLCTL_ARM_ENDPOINT"))),
            cloud: sel.cloud.clone().or_else(|| nonempty(env("AMLCTL_CLOUD"))),
            auth: sel.auth.clone().or_else(|| nonempty(env("AMLCTL_AUTH"))),
            ca_file: sel
                .ca_file
                .clone()
                .or_else(|| nonempty(env("AMLCTL_CA_FILE")).map(PathBuf::from)),
        };
        // Only the workspace identity makes an ad-hoc target; `--auth`, `--endpoint`, ...
        // alone adjust the default target instead.
        if adhoc.subscription.is_some()
            || adhoc.resource_group.is_some()
            || adhoc.workspace.is_some()
        {
            return self.resolve_adhoc(adhoc);
        }
        match &self.default_target {
            Some(name) => self.resolve_named(name, sel),
            None => self.resolve_named(LOCAL_TARGET, sel),
        }
    }

    fn resolve_named(
        &self,
        name: &str,
        sel: &TargetSelection,
    ) -> Result<ResolvedTarget, ConfigError> {
        let configured = self.targets.get(name);
        if configured.is_none() && name != LOCAL_TARGET {
            return Err(ConfigError::UnknownTarget {
                name: name.to_owned(),
                known: self.targets.keys().cloned().collect(),
            });
        }
        let kind = match configured.and_then(|t| t.connection.as_ref()) {
            None => {
                let flags = [
                    ("subscription", sel.subscription.is_some()),
                    ("resource-group", sel.resource_group.is_some()),
                    ("workspace", sel.workspace.is_some()),
                    ("endpoint", sel.endpoint.is_some()),
                    ("cloud", sel.cloud.is_some()),
                    ("auth", sel.auth.is_some()),
                    ("ca-file", sel.ca_file.is_some()),
                ];
                if let Some((flag, _)) = flags.iter().find(|(_, given)| *given) {
                    return Err(ConfigError::ConflictingFlag {
                        flag,
                        target: name.to_owned(),
                        reason: "the local target is the embedded workspace and has no connection settings",
                    });
                }
                TargetKind::Local {
                    state_dir: self.root.join(STATE_DIR),
                }
            }
            Some(remote) => {
                let mut remote = remote.clone();
                override_with(&mut remote.subscription, &sel.subscription);
                override_with(&mut remote.resource_group, &sel.resource_group);
                override_with(&mut remote.workspace, &sel.workspace);
                if sel.endpoint.is_some() {
                    remote.endpoint = sel.endpoint.clone();
                    remote.cloud = None;
                }
                if sel.cloud.is_some() {
                    remote.cloud = sel.cloud.clone();
                    remote.endpoint = None;
                }
                if sel.auth.is_some() {
                    remote.auth = sel.auth.clone();
                }
                if sel.ca_file.is_some() {
                    remote.ca_file = sel.ca_file.clone();
                }
                TargetKind::Remote(remote)
            }
        };
        Ok(self.finish(name, kind, configured))
    }

    fn resolve_adhoc(&self, sel: TargetSelection) -> Result<ResolvedTarget, ConfigError> {
        let mut missing = Vec::new();
        if sel.subscription.is_none() {
            missing.push("subscription");
        }
        if sel.resource_group.is_none() {
            missing.push("resource_group");
        }
        if sel.workspace.is_none() {
            missing.push("workspace");
        }
        if !missing.is_empty() {
            return Err(ConfigError::IncompleteTarget { missing });
        }
        let (cloud, endpoint) = match (sel.cloud, sel.endpoint) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::ConflictingFlag {
                    flag: "cloud",
                    target: ADHOC_TARGET.to_owned(),
                    reason: "give either --cloud or --endpoint (AMLCTL_CLOUD / AMLCTL_ARM_ENDPOINT), not both",
                });
            }
            other => other,
        };
        let remote = RemoteTarget {
            subscription: sel.subscription.unwrap_or_default(),
            resource_group: sel.resource_group.unwrap_or_default(),
            workspace: sel.workspace.unwrap_or_default(),
            cloud,
            endpoint,
            auth: sel.auth,
            ca_file: sel.ca_file,
            location: None,
        };
        Ok(self.finish(ADHOC_TARGET, TargetKind::Remote(remote), None))
    }

    fn finish(
        &self,
        name: &str,
        kind: TargetKind,
        configured: Option<&TargetConfig>,
    ) -> ResolvedTarget {
        let mut options: BTreeMap<ResourceId, ResourceOptions> = BTreeMap::new();
        let target_resources = configured.map(|t| &t.resources);
        for patches in std::iter::once(&self.resources).chain(target_resources) {
            for (id, patch) in patches {
                patch.apply_to(options.entry(id.clone()).or_default());
            }
        }
        let overrides = configured.map(|t| t.values.clone()).unwrap_or_default();
        let secrets = overrides
            .values()
            .filter_map(|v| find_refs(v).ok())
            .flatten()
            .map(|site| site.reference)
            .collect();
        ResolvedTarget {
            name: name.to_owned(),
            kind,
            options,
            overrides,
            secrets,
        }
    }
}

fn override_with(field: &mut String, flag: &Option<String>) {
    if let Some(v) = flag {
        field.clone_from(v);
    }
}

fn nonempty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}
