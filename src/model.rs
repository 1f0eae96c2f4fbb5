//! The reconciler's shared vocabulary: resource addresses, desired state and live state.
//!
//! `desired` builds a [`DesiredState`] from validated manifests, `live` builds a [`LiveState`]
//! from the workspace, `diff` compares the two into a `plan::Plan`. Bodies are REST JSON
//! (`serde_json::Value`) because the diff is field-level over exactly what the service stores.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Tag that amlctl puts on every resource it creates. Only resources carrying it can be pruned.
/// Added by `apply` at creation time; never compared by `diff`; never added to an existing
/// resource by rewriting it.
pub const OWNERSHIP_TAG: &str = "amlctl-managed";
/// Value of [`OWNERSHIP_TAG`].
pub const OWNERSHIP_TAG_VALUE: &str = "true";

/// The kinds of workspace resource amlctl manages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Compute,
    Schedule,
    Job,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Compute, Kind::Schedule, Kind::Job];

    /// The word used in addresses (`compute.cpu-cluster`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Compute => "compute",
            Kind::Schedule => "schedule",
            Kind::Job => "job",
        }
    }

    /// Where the kind keeps its tags in a REST body (a JSON pointer): computes on the ARM
    /// envelope, schedules and jobs in `properties`.
    pub fn tags_pointer(self) -> &'static str {
        match self {
            Kind::Compute => "/tags",
            Kind::Schedule | Kind::Job => "/properties/tags",
        }
    }

    /// The ARM collection segment under a workspace (`.../workspaces/{ws}/computes`).
    pub fn collection(self) -> &'static str {
        match self {
            Kind::Compute => "computes",
            Kind::Schedule => "schedules",
            Kind::Job => "jobs",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The address of a resource in plans and on the command line: `kind.name`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct ResourceId {
    pub kind: Kind,
    pub name: String,
}

impl ResourceId {
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        ResourceId {
            kind,
            name: name.into(),
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind, self.name)
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "`{0}` is not a resource address; expected KIND.NAME with KIND one of compute, schedule, job"
)]
pub struct BadAddress(String);

impl FromStr for ResourceId {
    type Err = BadAddress;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, name) = s.split_once('.').ok_or_else(|| BadAddress(s.to_owned()))?;
        let kind = match kind {
            "compute" => Kind::Compute,
            "schedule" => Kind::Schedule,
            "job" => Kind::Job,
            _ => return Err(BadAddress(s.to_owned())),
        };
        if name.is_empty() {
            return Err(BadAddress(s.to_owned()));
        }
        Ok(ResourceId::new(kind, name))
    }
}

impl From<ResourceId> for String {
    fn from(id: ResourceId) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for ResourceId {
    type Error = BadAddress;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// The manifest kinds amlctl supports, decided from `type:` (and, for schedules, the action key),
/// never from `$schema`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManifestKind {
    ComputeInstance,
    AmlCompute,
    Kubernetes,
    /// A schedule with `create_job`.
    Schedule,
    /// `type: command`, or no `type` at all.
    CommandJob,
    /// Standalone `type: parallel` (submitted as a one-step pipeline job).
    ParallelJob,
    PipelineJob,
    SweepJob,
}

impl ManifestKind {
    pub fn resource_kind(self) -> Kind {
        match self {
            ManifestKind::ComputeInstance | ManifestKind::AmlCompute | ManifestKind::Kubernetes => {
                Kind::Compute
            }
            ManifestKind::Schedule => Kind::Schedule,
            ManifestKind::CommandJob
            | ManifestKind::ParallelJob
            | ManifestKind::PipelineJob
            | ManifestKind::SweepJob => Kind::Job,
        }
    }
}

/// A workspace asset a job or schedule needs before it can be submitted. `apply` makes sure each
/// exists (creating it only when absent: the same content is never uploaded twice).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "asset", rename_all = "snake_case")]
pub enum Asset {
    /// A local `code:` folder: uploaded to the default datastore, registered as a code version.
    Code {
        local_dir: PathBuf,
        /// Content hash (sha256 over the files not ignored by `.amlignore`/`.gitignore`).
        hash: String,
        /// ARM id of the code version the job body refers to (`.../codes/{name}/versions/{v}`).
        arm_id: String,
    },
    /// A local input file or folder, uploaded and replaced by an `azureml://datastores/...` URI.
    InputUpload {
        local_path: PathBuf,
        hash: String,
        datastore_uri: String,
    },
    /// An environment version to register (inline anonymous environments, by content hash).
    Environment {
        arm_id: String,
        body: serde_json::Value,
    },
    /// A component version to register (anonymous components, by content hash).
    Component {
        arm_id: String,
        body: serde_json::Value,
    },
}

/// Desired power state of a compute instance (amlctl-only; not expressible in `az ml` YAML).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerState {
    Running,
    Stopped,
}

/// amlctl-only settings of one resource, from the repo config (`amlctl.yaml`), never from the
/// `az ml` manifest itself, so plain `az ml` files stay valid.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceOptions {
    /// Desired power state (compute instances only). `None`: leave it as it is.
    pub power_state: Option<PowerState>,
    /// Protected resources are never deleted or replaced.
    pub protected: bool,
    /// JSON pointers into the REST body whose differences are ignored.
    pub ignore_fields: Vec<String>,
    /// Jobs only: the job should be canceled (a running job gets `Action::Cancel`; a job not
    /// yet submitted is not submitted).
    #[serde(default)]
    pub cancel: bool,
}

/// Where a desired resource was declared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLocation {
    /// Path relative to the repository root (or the current directory without a repo config).
    pub file: PathBuf,
    /// 1-based line of the manifest's first node.
    pub line: usize,
}

/// One resource as the manifests want it.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredResource {
    pub id: ResourceId,
    /// Service-side type for display: `ComputeInstance`, `AmlCompute`, `Kubernetes`, `Schedule`,
    /// `CommandJob`, `PipelineJob`, `SweepJob`, `ParallelJob` (submitted as a one-step pipeline).
    pub type_label: String,
    /// The REST body to PUT (without the envelope's `id`, `name`, `type`, `systemData`), with the
    /// workspace's ARM ids filled in. Secrets are present here only as placeholders
    /// (see `secret_paths`); their values are resolved at apply time from the environment.
    pub body: serde_json::Value,
    /// JSON pointers (RFC 6901) into `body` that hold secrets: never compared, never printed.
    pub secret_paths: Vec<String>,
    pub source: SourceLocation,
    /// Resources that must exist before this one (a job's compute, a schedule's compute).
    pub depends_on: BTreeSet<ResourceId>,
    pub options: ResourceOptions,
    /// Assets to ensure before this resource is written (jobs and schedules only).
    pub assets: Vec<Asset>,
}

/// Everything the manifests declare, keyed and ordered by address.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DesiredState {
    pub resources: BTreeMap<ResourceId, DesiredResource>,
}

/// One resource as the workspace has it.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveResource {
    pub id: ResourceId,
    /// The full GET body as the service returned it.
    pub body: serde_json::Value,
    /// Carries [`OWNERSHIP_TAG`]: amlctl created it and may prune it.
    pub owned: bool,
}

/// What the workspace holds, for the kinds amlctl manages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveState {
    pub resources: BTreeMap<ResourceId, LiveResource>,
}
