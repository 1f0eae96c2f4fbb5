//! Shared helpers for the `desired_*` integration tests: YAML → JSON with saphyr, resolvers
//! over the disk (optionally stubbing what is missing) and over memory, and a fixed workspace.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use amlctl::desired::{ManifestResolver, TranslateContext};
use amlctl::model::ManifestKind;
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Map, Value};

pub const WS: &str = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/test-rg/providers/Microsoft.MachineLearningServices/workspaces/my-aml-workspace";

pub fn ctx() -> TranslateContext {
    TranslateContext {
        subscription: "00000000-1111-2222-3333-444444444444".into(),
        resource_group: "test-rg".into(),
        workspace: "my-aml-workspace".into(),
        location: "eastus".into(),
    }
}

/// Parse one YAML document into JSON.
pub fn yaml_to_json(text: &str) -> Result<Value, String> {
    let docs = Yaml::load_from_str(text).map_err(|e| e.to_string())?;
    Ok(docs.first().map(convert).unwrap_or(Value::Null))
}

fn convert(y: &Yaml) -> Value {
    match y {
        Yaml::Value(s) => scalar(s),
        Yaml::Representation(s, _, _) => Value::String(s.to_string()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(convert).collect()),
        Yaml::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match convert(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(key, convert(v));
            }
            Value::Object(out)
        }
        Yaml::Tagged(_, inner) => convert(inner),
        Yaml::Alias(_) | Yaml::BadValue => Value::Null,
    }
}

fn scalar(s: &Scalar) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::from(*i),
        Scalar::FloatingPoint(f) => serde_json::Number::from_f64(f.into_inner())
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

/// Resolver over the real disk. With `stub_missing`, a missing job/component file is a
/// minimal command component, a missing file is `stub` and a missing folder holds one stub
/// file; every stubbed path is recorded.
pub struct DiskResolver {
    pub stub_missing: bool,
    pub stubbed: RefCell<Vec<PathBuf>>,
}

impl DiskResolver {
    pub fn strict() -> Self {
        DiskResolver {
            stub_missing: false,
            stubbed: RefCell::new(Vec::new()),
        }
    }
    pub fn stubbing() -> Self {
        DiskResolver {
            stub_missing: true,
            stubbed: RefCell::new(Vec::new()),
        }
    }
    fn stub(&self, path: &Path) {
        self.stubbed.borrow_mut().push(path.to_path_buf());
    }
}

impl ManifestResolver for DiskResolver {
    fn load_yaml_as_json(&self, path: &Path) -> Result<Value, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => yaml_to_json(&text),
            Err(_) if self.stub_missing => {
                self.stub(path);
                Ok(serde_json::json!({
                    "type": "command",
                    "name": "stub_component",
                    "command": "echo stub",
                    "environment": "azureml:stub-env:1",
                }))
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn read_file(&self, path: &Path) -> Result<Vec<u8>, String> {
        match std::fs::read(path) {
            Ok(b) => Ok(b),
            Err(_) if self.stub_missing => {
                self.stub(path);
                Ok(b"stub".to_vec())
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn list_files(&self, dir: &Path) -> Result<Vec<PathBuf>, String> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    walk(&path, out)?
                } else {
                    out.push(path)
                }
            }
            Ok(())
        }
        if dir.is_file() {
            return Err("not a folder".into());
        }
        let mut out = Vec::new();
        match walk(dir, &mut out) {
            Ok(()) => Ok(out),
            Err(_) if self.stub_missing => {
                self.stub(dir);
                Ok(vec![dir.join("stub.py")])
            }
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Resolver over an in-memory file tree (`path → bytes`).
#[derive(Default)]
pub struct MemResolver {
    pub files: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemResolver {
    pub fn with(mut self, path: &str, content: &str) -> Self {
        self.files
            .insert(PathBuf::from(path), content.as_bytes().to_vec());
        self
    }
}

impl ManifestResolver for MemResolver {
    fn load_yaml_as_json(&self, path: &Path) -> Result<Value, String> {
        let bytes = self.read_file(path)?;
        yaml_to_json(&String::from_utf8_lossy(&bytes))
    }
    fn read_file(&self, path: &Path) -> Result<Vec<u8>, String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| format!("{} not found", path.display()))
    }
    fn list_files(&self, dir: &Path) -> Result<Vec<PathBuf>, String> {
        let files: Vec<PathBuf> = self
            .files
            .keys()
            .filter(|p| p.starts_with(dir) && p.as_path() != dir)
            .cloned()
            .collect();
        if files.is_empty() {
            Err(format!("{} not found", dir.display()))
        } else {
            Ok(files)
        }
    }
}

/// The manifest kind, decided like the validator does: from `type:` and the schedule action.
/// `None` for kinds amlctl does not manage.
pub fn classify(v: &Value) -> Option<ManifestKind> {
    let ty = v
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    match ty.as_deref() {
        Some("computeinstance") => Some(ManifestKind::ComputeInstance),
        Some("amlcompute") => Some(ManifestKind::AmlCompute),
        Some("kubernetes") => Some(ManifestKind::Kubernetes),
        Some("pipeline") => Some(ManifestKind::PipelineJob),
        Some("sweep") => Some(ManifestKind::SweepJob),
        Some("parallel") => Some(ManifestKind::ParallelJob),
        Some("command") => Some(ManifestKind::CommandJob),
        None if v.get("create_job").is_some() => Some(ManifestKind::Schedule),
        None if v.get("command").is_some() => Some(ManifestKind::CommandJob),
        _ => None,
    }
}

/// Remove the JSON pointer `ptr` from `v`, returning what was there.
pub fn take(v: &mut Value, ptr: &str) -> Option<Value> {
    let (parent, key) = ptr.rsplit_once('/')?;
    v.pointer_mut(parent)?.as_object_mut()?.remove(key)
}
