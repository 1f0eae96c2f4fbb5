//! Desired state: `az ml` YAML manifests translated into the REST bodies the service expects.
//!
//! Pure conversion, no network: [`translate`] turns one validated manifest (its YAML as JSON)
//! into a [`DesiredResource`]; [`build_desired_state`] does it for every manifest and collects
//! every error instead of stopping at the first. Referenced files (jobs named by a schedule,
//! component files, conda files, `code:` folders, local inputs) are read through a
//! [`ManifestResolver`], so this module never touches the disk itself.
//!
//! Translation lives in exactly one module per kind (`compute_instance`, `aml_compute`,
//! `kubernetes`, `schedule`, `command_job`, `parallel_job`, `pipeline_job`, `sweep_job`);
//! the shared rules (durations, enum casing, references, inputs/outputs, assets and hashing,
//! job naming) live in their own small modules so that every kind applies them the same way.
//!
//! Invariant: nothing here performs I/O except through the resolver, and the same inputs give
//! byte-identical bodies, names and assets.

mod aml_compute;
mod assets;
mod casing;
mod command_job;
mod components;
mod compute_common;
mod compute_instance;
mod durations;
mod error;
mod hashing;
pub(crate) mod ignore;
mod io;
mod job_common;
mod kubernetes;
mod naming;
mod parallel_job;
mod pipeline_job;
mod refs;
mod schedule;
mod secrets;
mod sweep_job;
mod value;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::model::{
    Asset, DesiredResource, DesiredState, ManifestKind, ResourceId, ResourceOptions, SourceLocation,
};

pub use durations::{iso_duration_from_minutes, iso_duration_from_seconds};
pub use error::{TranslateError, TranslateErrorKind};
pub use hashing::canonical_json;
pub use secrets::{SECRET_PLACEHOLDER_PREFIX, parse_secret_placeholder, secret_placeholder};

/// The workspace the bodies are written for: ARM ids are built from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranslateContext {
    pub subscription: String,
    pub resource_group: String,
    pub workspace: String,
    /// Workspace location: computes are created there.
    pub location: String,
}

impl TranslateContext {
    /// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}`
    pub fn workspace_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/{}",
            self.subscription, self.resource_group, self.workspace
        )
    }
}

/// Access to files a manifest refers to. The lead wires it to the real loader and the disk.
pub trait ManifestResolver {
    /// Load a YAML file (a job for a schedule, a component for a pipeline node) as JSON.
    fn load_yaml_as_json(&self, path: &Path) -> Result<serde_json::Value, String>;
    /// Read a file's bytes (conda files, code files, local inputs).
    fn read_file(&self, path: &Path) -> Result<Vec<u8>, String>;
    /// Every regular file under `dir`, recursively, as paths that start with `dir`, in any
    /// order. An error (or no files at all) means the folder is not there.
    fn list_files(&self, dir: &Path) -> Result<Vec<PathBuf>, String>;
}

/// One validated manifest to translate.
#[derive(Clone, Debug)]
pub struct ManifestInput {
    pub kind: ManifestKind,
    /// The YAML document as JSON.
    pub value: serde_json::Value,
    pub source: SourceLocation,
    /// Directory that relative paths in the manifest resolve against (the file's directory).
    pub base_dir: PathBuf,
    /// amlctl-only settings from the repo config.
    pub options: ResourceOptions,
}

/// Translate one manifest into the resource it declares.
pub fn translate(
    kind: ManifestKind,
    value: &serde_json::Value,
    source: &SourceLocation,
    base_dir: &Path,
    ctx: &TranslateContext,
    resolver: &dyn ManifestResolver,
) -> Result<DesiredResource, TranslateError> {
    let cx = Cx {
        ctx,
        resolver,
        source,
    };
    let translated = match kind {
        ManifestKind::ComputeInstance => compute_instance::translate(&cx, value)?,
        ManifestKind::AmlCompute => aml_compute::translate(&cx, value)?,
        ManifestKind::Kubernetes => kubernetes::translate(&cx, value)?,
        ManifestKind::Schedule => schedule::translate(&cx, value, base_dir)?,
        ManifestKind::CommandJob
        | ManifestKind::ParallelJob
        | ManifestKind::PipelineJob
        | ManifestKind::SweepJob => job_common::translate_job(&cx, kind, value, base_dir)?,
    };
    Ok(DesiredResource {
        id: ResourceId::new(kind.resource_kind(), translated.name),
        type_label: translated.type_label.to_owned(),
        body: translated.body,
        secret_paths: translated.secret_paths,
        source: source.clone(),
        depends_on: translated.depends_on,
        options: ResourceOptions::default(),
        assets: translated.assets,
    })
}

/// Translate every manifest. Returns the state of all that translated, plus every error
/// (including two manifests declaring the same address), in input order.
pub fn build_desired_state(
    items: impl IntoIterator<Item = ManifestInput>,
    ctx: &TranslateContext,
    resolver: &dyn ManifestResolver,
) -> (DesiredState, Vec<TranslateError>) {
    let mut state = DesiredState::default();
    let mut errors = Vec::new();
    for item in items {
        match translate(
            item.kind,
            &item.value,
            &item.source,
            &item.base_dir,
            ctx,
            resolver,
        ) {
            Ok(mut resource) => {
                resource.options = item.options;
                if let Some(first) = state.resources.get(&resource.id) {
                    errors.push(TranslateError::new(
                        &item.source,
                        "name",
                        TranslateErrorKind::Duplicate {
                            address: resource.id.to_string(),
                            first: first.source.file.clone(),
                            first_line: first.source.line,
                        },
                    ));
                } else {
                    state.resources.insert(resource.id.clone(), resource);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    (state, errors)
}

/// What a kind's translator returns; `translate` wraps it into a [`DesiredResource`].
pub(crate) struct Translated {
    pub name: String,
    pub type_label: &'static str,
    pub body: serde_json::Value,
    pub secret_paths: Vec<String>,
    pub depends_on: BTreeSet<ResourceId>,
    pub assets: Vec<Asset>,
}

/// Shared context of one translation: the workspace, the resolver, and where the manifest is
/// (for error messages).
#[derive(Clone, Copy)]
pub(crate) struct Cx<'a> {
    pub ctx: &'a TranslateContext,
    pub resolver: &'a dyn ManifestResolver,
    pub source: &'a SourceLocation,
}

impl Cx<'_> {
    pub(crate) fn err(&self, field: impl Into<String>, kind: TranslateErrorKind) -> TranslateError {
        TranslateError::new(self.source, field, kind)
    }

    pub(crate) fn invalid(
        &self,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> TranslateError {
        self.err(
            field,
            TranslateErrorKind::Invalid {
                message: message.into(),
            },
        )
    }
}

/// Collects assets and dependencies while a job body is built, without duplicates, in the
/// order first seen (so output is deterministic).
#[derive(Default)]
pub(crate) struct Needs {
    pub assets: Vec<Asset>,
    pub depends_on: BTreeSet<ResourceId>,
}

impl Needs {
    pub(crate) fn asset(&mut self, asset: Asset) {
        if !self.assets.contains(&asset) {
            self.assets.push(asset);
        }
    }
}
