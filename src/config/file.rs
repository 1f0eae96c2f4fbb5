//! The `amlctl.yaml` file format: serde structs (`deny_unknown_fields`) and their conversion
//! into the typed [`RepoConfig`]. Each section is deserialised on its own so an error names
//! the entry it is about (`targets.prod: unknown field ...`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::glob::{Glob, ManifestSet};
use super::secret::canonicalize_refs;
use super::target::{OptionsPatch, RemoteTarget, TargetConfig};
use super::{ConfigError, LOCAL_TARGET, RepoConfig, yaml};
use crate::model::{PowerState, ResourceId};

/// The only format version so far.
pub const FORMAT_VERSION: u64 = 1;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    version: Option<u64>,
    manifests: Option<Vec<String>>,
    #[serde(default)]
    exclude: Vec<String>,
    default_target: Option<String>,
    #[serde(default)]
    resources: BTreeMap<String, Value>,
    #[serde(default)]
    targets: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    subscription: Option<String>,
    resource_group: Option<String>,
    workspace: Option<String>,
    cloud: Option<String>,
    endpoint: Option<String>,
    auth: Option<String>,
    ca_file: Option<String>,
    location: Option<String>,
    #[serde(default)]
    values: BTreeMap<String, Value>,
    #[serde(default)]
    resources: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptions {
    power_state: Option<PowerState>,
    protected: Option<bool>,
    #[serde(default)]
    ignore_fields: Vec<String>,
}

/// Parse the text of a config file at `path` (its directory is the repo root).
pub fn parse(text: &str, path: &Path) -> Result<RepoConfig, ConfigError> {
    let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let ctx = Ctx { path };
    let doc = yaml::parse(text).map_err(|p| ConfigError::Yaml {
        path: path.to_path_buf(),
        line: p.line,
        column: p.column,
        message: p.message,
    })?;
    let doc = if doc.is_null() {
        Value::Object(Default::default())
    } else {
        doc
    };
    let raw: RawConfig = ctx.deserialize(doc, "")?;

    if let Some(v) = raw.version
        && v != FORMAT_VERSION
    {
        return Err(ctx.invalid(
            "version",
            format!("unsupported version {v}; this amlctl reads version {FORMAT_VERSION}"),
        ));
    }

    let config_name = path.file_name().and_then(|n| n.to_str()).map(str::to_owned);
    let globs = |list: &[String], at: &str| -> Result<Vec<Glob>, ConfigError> {
        list.iter()
            .map(|g| Glob::new(g).map_err(|e| ctx.invalid(at, e.to_string())))
            .collect()
    };
    let manifests = match &raw.manifests {
        Some(list) if list.is_empty() => {
            return Err(ctx.invalid("manifests", "must list at least one glob"));
        }
        Some(list) => ManifestSet::new(
            globs(list, "manifests")?,
            globs(&raw.exclude, "exclude")?,
            config_name,
        ),
        None => {
            let default = ManifestSet::default_globs(config_name.clone());
            ManifestSet::new(
                default.include().to_vec(),
                globs(&raw.exclude, "exclude")?,
                config_name,
            )
        }
    };

    let resources = options_map(&ctx, raw.resources, "resources")?;

    let mut targets = BTreeMap::new();
    for (name, value) in raw.targets {
        let at = format!("targets.{name}");
        check_target_name(&name).map_err(|m| ctx.invalid(&at, m))?;
        let raw_target: RawTarget = ctx.deserialize(value, &at)?;
        let target = convert_target(&ctx, &root, name.clone(), raw_target, &at)?;
        targets.insert(name, target);
    }

    if let Some(default) = &raw.default_target
        && default != LOCAL_TARGET
        && !targets.contains_key(default)
    {
        return Err(ctx.invalid(
            "default_target",
            format!("`{default}` is not a configured target (nor the built-in `{LOCAL_TARGET}`)"),
        ));
    }

    Ok(RepoConfig {
        root,
        file: Some(path.to_path_buf()),
        manifests,
        default_target: raw.default_target,
        resources,
        targets,
    })
}

fn convert_target(
    ctx: &Ctx<'_>,
    root: &Path,
    name: String,
    raw: RawTarget,
    at: &str,
) -> Result<TargetConfig, ConfigError> {
    let resources = options_map(ctx, raw.resources, &format!("{at}.resources"))?;
    let mut values = BTreeMap::new();
    for (address, mut patch) in raw.values {
        let vat = format!("{at}.values.{address}");
        let id = parse_address(&address).map_err(|m| ctx.invalid(&vat, m))?;
        if !patch.is_object() {
            return Err(ctx.invalid(&vat, "must be a mapping of az ml fields to values"));
        }
        canonicalize_refs(&mut patch).map_err(|e| ctx.invalid(&vat, e.to_string()))?;
        values.insert(id, patch);
    }

    let connection_given = raw.subscription.is_some()
        || raw.resource_group.is_some()
        || raw.workspace.is_some()
        || raw.cloud.is_some()
        || raw.endpoint.is_some()
        || raw.auth.is_some()
        || raw.ca_file.is_some()
        || raw.location.is_some();
    let connection = if name == LOCAL_TARGET {
        if connection_given {
            return Err(ctx.invalid(
                at,
                "`local` is the built-in embedded workspace; it takes only `values` and `resources`",
            ));
        }
        None
    } else {
        let mut missing = Vec::new();
        for (field, v) in [
            ("subscription", &raw.subscription),
            ("resource_group", &raw.resource_group),
            ("workspace", &raw.workspace),
        ] {
            if v.as_deref().is_none_or(str::is_empty) {
                missing.push(field);
            }
        }
        if !missing.is_empty() {
            return Err(ctx.invalid(at, format!("missing {}", missing.join(", "))));
        }
        if raw.cloud.is_some() && raw.endpoint.is_some() {
            return Err(ctx.invalid(at, "give either `cloud` or `endpoint`, not both"));
        }
        Some(RemoteTarget {
            subscription: raw.subscription.unwrap_or_default(),
            resource_group: raw.resource_group.unwrap_or_default(),
            workspace: raw.workspace.unwrap_or_default(),
            cloud: raw.cloud,
            endpoint: raw.endpoint,
            auth: raw.auth,
            ca_file: raw.ca_file.map(|f| root.join(f)),
            location: raw.location,
        })
    };
    Ok(TargetConfig {
        name,
        connection,
        values,
        resources,
    })
}

fn options_map(
    ctx: &Ctx<'_>,
    raw: BTreeMap<String, Value>,
    at: &str,
) -> Result<BTreeMap<ResourceId, OptionsPatch>, ConfigError> {
    let mut out = BTreeMap::new();
    for (address, value) in raw {
        let oat = format!("{at}.{address}");
        let id = parse_address(&address).map_err(|m| ctx.invalid(&oat, m))?;
        let raw: RawOptions = ctx.deserialize(value, &oat)?;
        if let Some(bad) = raw.ignore_fields.iter().find(|p| !p.starts_with('/')) {
            return Err(ctx.invalid(
                &oat,
                format!("ignore_fields entry `{bad}` must be a JSON pointer into the REST body, like `/properties/description`"),
            ));
        }
        out.insert(
            id,
            OptionsPatch {
                power_state: raw.power_state,
                protected: raw.protected,
                ignore_fields: raw.ignore_fields,
            },
        );
    }
    Ok(out)
}

fn parse_address(address: &str) -> Result<ResourceId, String> {
    address.parse::<ResourceId>().map_err(|e| e.to_string())
}

/// Target names end up in CI job names and concurrency groups: keep them plain.
fn check_target_name(name: &str) -> Result<(), String> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "target name `{name}` must start with a letter or digit and use only letters, digits, `-` and `_`"
        ))
    }
}

struct Ctx<'a> {
    path: &'a Path,
}

impl Ctx<'_> {
    fn invalid(&self, at: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            at: at.to_owned(),
            message: message.into(),
        }
    }

    fn deserialize<T: DeserializeOwned>(&self, value: Value, at: &str) -> Result<T, ConfigError> {
        serde_json::from_value(value).map_err(|e| self.invalid(at, e.to_string()))
    }
}

/// The config used when no file is found: default globs, no targets, rooted at `root`.
pub fn implicit(root: PathBuf) -> RepoConfig {
    RepoConfig {
        root,
        file: None,
        manifests: ManifestSet::default_globs(None),
        default_target: None,
        resources: BTreeMap::new(),
        targets: BTreeMap::new(),
    }
}
