//! Which kind a manifest is: from `type:` (and, for schedules, the action key), never from
//! `$schema`; and which YAML files found by walking a directory are not manifests at all.

use serde_json::Value;

use crate::model::ManifestKind;

/// What a top-level mapping declares itself to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detected {
    Supported(ManifestKind),
    /// A real `az ml` kind amlctl does not manage; the text names it for the diagnostic.
    Unsupported(String),
    /// `type:` holds something that is no kind at all.
    Unknown(String),
    /// No `type`, no action key, nothing that makes it a command job.
    Undetermined,
}

const SUPPORTED: [(&str, ManifestKind); 7] = [
    ("computeinstance", ManifestKind::ComputeInstance),
    ("amlcompute", ManifestKind::AmlCompute),
    ("kubernetes", ManifestKind::Kubernetes),
    ("command", ManifestKind::CommandJob),
    ("parallel", ManifestKind::ParallelJob),
    ("pipeline", ManifestKind::PipelineJob),
    ("sweep", ManifestKind::SweepJob),
];

/// `type:` values of `az ml` kinds amlctl does not manage.
pub const UNSUPPORTED_TYPES: [&str; 10] = [
    "automl",
    "spark",
    "finetuning",
    "distillation",
    "virtualmachine",
    "synapsespark",
    "import",
    "data_transfer",
    "kubernetes_online",
    "managed_online",
];

/// Every `type:` value a manifest may carry, for suggestions.
pub fn known_types() -> impl Iterator<Item = &'static str> {
    SUPPORTED.iter().map(|(t, _)| *t).chain(UNSUPPORTED_TYPES)
}

pub fn detect(root: &serde_json::Map<String, Value>) -> Detected {
    if root.contains_key("create_job") {
        return Detected::Supported(ManifestKind::Schedule);
    }
    if root.contains_key("create_monitor") {
        return Detected::Unsupported("monitor schedule (create_monitor)".into());
    }
    if root.contains_key("import_data") {
        return Detected::Unsupported("data import schedule (import_data)".into());
    }
    match root.get("type") {
        Some(Value::String(t)) => {
            let lower = t.to_ascii_lowercase();
            if let Some((_, k)) = SUPPORTED.iter().find(|(name, _)| *name == lower) {
                Detected::Supported(*k)
            } else if UNSUPPORTED_TYPES.contains(&lower.as_str()) {
                Detected::Unsupported(format!("type: {t}"))
            } else {
                Detected::Unknown(t.clone())
            }
        }
        Some(other) => Detected::Unknown(other.to_string()),
        // A schedule missing its action: let the schedule schema say what is missing.
        None if root.contains_key("trigger") => Detected::Supported(ManifestKind::Schedule),
        // `az ml` defaults a job without `type` to a command job.
        None if ["command", "environment", "code"]
            .iter()
            .any(|k| root.contains_key(*k)) =>
        {
            Detected::Supported(ManifestKind::CommandJob)
        }
        None => Detected::Undetermined,
    }
}

/// Words in a `$schema` URL that mark a file as some other `az ml` asset (component,
/// environment, endpoint...), never an amlctl manifest.
const OTHER_ASSET_WORDS: [&str; 14] = [
    "component",
    "environment",
    "data",
    "model",
    "endpoint",
    "deployment",
    "workspace",
    "registry",
    "connection",
    "datastore",
    "feature",
    "index",
    "capabilityhost",
    "serverless",
];

/// Whether a file found by walking a directory is clearly not an amlctl manifest and should be
/// skipped silently. Files named on the command line are always checked instead.
///
/// The rule: the repo config (`amlctl.yaml`); a `$schema` naming another asset kind (component,
/// environment, data, model, endpoint, deployment, ...); a component (`version:` beside a job
/// `type`, which jobs never have); a conda file (`dependencies`/`channels` and no `type`); and
/// anything whose kind cannot be determined at all.
pub fn is_clearly_not_a_manifest(file_name: &str, root: &serde_json::Map<String, Value>) -> bool {
    if matches!(file_name, "amlctl.yaml" | "amlctl.yml") {
        return true;
    }
    if let Some(Value::String(schema)) = root.get("$schema") {
        let stem = schema.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
        if OTHER_ASSET_WORDS.iter().any(|w| stem.contains(w)) {
            return true;
        }
    }
    let job_type = root
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    if root.contains_key("version")
        && job_type
            .as_deref()
            .is_some_and(|t| matches!(t, "command" | "parallel" | "pipeline" | "spark" | "sweep"))
    {
        return true;
    }
    if job_type.is_none() && (root.contains_key("dependencies") || root.contains_key("channels")) {
        return true;
    }
    detect(root) == Detected::Undetermined
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn dispatch_ignores_schema_urls() {
        let job = obj(
            json!({"$schema": "https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json", "command": "x"}),
        );
        assert_eq!(detect(&job), Detected::Supported(ManifestKind::CommandJob));
        assert_eq!(
            detect(&obj(json!({"type": "AmlCompute"}))),
            Detected::Supported(ManifestKind::AmlCompute)
        );
        assert_eq!(
            detect(&obj(json!({"trigger": {}, "create_job": "x"}))),
            Detected::Supported(ManifestKind::Schedule)
        );
        assert!(matches!(
            detect(&obj(json!({"trigger": {}, "import_data": {}}))),
            Detected::Unsupported(_)
        ));
        assert!(matches!(
            detect(&obj(json!({"type": "automl"}))),
            Detected::Unsupported(_)
        ));
        assert_eq!(
            detect(&obj(json!({"type": "comand"}))),
            Detected::Unknown("comand".into())
        );
    }

    #[test]
    fn walking_skips_other_yaml() {
        assert!(is_clearly_not_a_manifest(
            "env.yml",
            &obj(json!({"name": "e", "channels": ["conda-forge"], "dependencies": []}))
        ));
        let component = json!({"$schema": "https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json", "type": "command", "command": "x"});
        assert!(is_clearly_not_a_manifest("train.yml", &obj(component)));
        assert!(is_clearly_not_a_manifest(
            "c.yml",
            &obj(json!({"type": "command", "version": 1, "command": "x"}))
        ));
        assert!(is_clearly_not_a_manifest(
            "amlctl.yaml",
            &obj(json!({"workspace": "w"}))
        ));
        assert!(is_clearly_not_a_manifest(
            "mkdocs.yml",
            &obj(json!({"site_name": "x"}))
        ));
        assert!(!is_clearly_not_a_manifest(
            "job.yml",
            &obj(json!({"command": "x", "environment": "azureml:e:1"}))
        ));
    }
}
