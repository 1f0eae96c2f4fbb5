//! Manifests → validated → overridden with the target's values → desired state.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::{RepoConfig, ResolvedTarget};
use crate::desired::{
    ManifestInput, ManifestResolver, TranslateContext, TranslateError, build_desired_state,
};
use crate::manifest::SourceTree;
use crate::model::{DesiredState, ResourceId, SourceLocation};
use crate::validate::{ValidationReport, load_referenced, validate_tree};

/// What loading the manifests produced.
pub struct Loaded {
    pub desired: DesiredState,
    pub report: ValidationReport,
    pub translate_errors: Vec<TranslateError>,
}

impl Loaded {
    /// True when nothing may be planned: a validation or translation error.
    pub fn has_errors(&self) -> bool {
        self.report.has_errors() || !self.translate_errors.is_empty()
    }
}

/// Validate and translate the repo's manifests (from `tree`, paths relative to `root`).
pub fn load_desired(
    config: &RepoConfig,
    target: &ResolvedTarget,
    tree: &dyn SourceTree,
    files: &[PathBuf],
    ctx: &TranslateContext,
) -> Loaded {
    let report = validate_tree(tree, files);
    let root = &config.root;
    let inputs: Vec<ManifestInput> = report
        .manifests
        .iter()
        .map(|m| {
            let mut value = m.value.clone();
            let kind = m.kind.resource_kind();
            let options = match &m.name {
                Some(name) => {
                    let address = ResourceId::new(kind, name.clone());
                    target.apply_overrides(&address, &mut value);
                    target.options_for(&address)
                }
                None => Default::default(),
            };
            let file = m
                .path
                .strip_prefix(root)
                .map_or_else(|_| m.path.clone(), Path::to_path_buf);
            ManifestInput {
                kind: m.kind,
                value,
                source: SourceLocation { file, line: m.line },
                base_dir: m.path.parent().map(Path::to_path_buf).unwrap_or_default(),
                options,
            }
        })
        .collect();
    let resolver = TreeResolver { tree };
    let (mut desired, translate_errors) = build_desired_state(inputs, ctx, &resolver);
    // Unnamed jobs get their name from translation: attach their options now.
    for resource in desired.resources.values_mut() {
        if resource.options == Default::default() {
            resource.options = target.options_for(&resource.id);
        }
    }
    Loaded {
        desired,
        report,
        translate_errors,
    }
}

/// Reads referenced files through the same source tree validation used.
pub struct TreeResolver<'a> {
    pub tree: &'a dyn SourceTree,
}

impl ManifestResolver for TreeResolver<'_> {
    fn load_yaml_as_json(&self, path: &Path) -> Result<Value, String> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let from = path.parent().unwrap_or(Path::new(".")).join("_");
        load_referenced(self.tree, &from, &name)
            .map(|(_, v)| v)
            .map_err(|e| e.to_string())
    }

    fn read_file(&self, path: &Path) -> Result<Vec<u8>, String> {
        self.tree
            .read(path)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    fn list_files(&self, dir: &Path) -> Result<Vec<PathBuf>, String> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in self
                .tree
                .list(&d)
                .map_err(|e| format!("{}: {e}", d.display()))?
            {
                if self.tree.is_dir(&entry) {
                    stack.push(entry);
                } else {
                    out.push(entry);
                }
            }
        }
        Ok(out)
    }
}
