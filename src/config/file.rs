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
use super::yaml::{self, Lines};
use super::{ConfigError, LOCAL_TARGET, RepoConfig};
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
    cancel: Option<bool>,
}

/// Parse the text of a config file at `path` (its directory is the repo root).
pub fn parse(text: &str, path: &Path) -> Result<RepoConfig, ConfigError> {
    let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let (doc, lines) = yaml::parse(text).map_err(|p| ConfigError::Yaml {
        path: path.to_path_buf(),
        line: p.line,
        column: p.column,
        message: p.message,
    })?;
    let ctx = Ctx { path, lines };
    let doc = if doc.is_null() {
        Value::Object(Default::default())
    } else {
        doc
    };
    let raw: RawConfig = ctx.deserialize(doc, &[])?;

    if let Some(v) = raw.version
        && v != FORMAT_VERSION
    {
        return Err(ctx.invalid(
            &at(&["version"]),
            format!("unsupported version {v}; this amlctl reads version {FORMAT_VERSION}"),
        ));
    }

    let config_name = path.file_name().and_then(|n| n.to_str()).map(str::to_owned);
    let globs = |list: &[String], here: &[String]| -> Result<Vec<Glob>, ConfigError> {
        list.iter()
            .map(|g| Glob::new(g).map_err(|e| ctx.invalid(here, e.to_string())))
            .collect()
    };
    let manifests = match &raw.manifests {
        Some(list) if list.is_empty() => {
            return Err(ctx.invalid(&at(&["manifests"]), "must list at least one glob"));
        }
        Some(list) => ManifestSet::new(
            globs(list, &at(&["manifests"]))?,
            globs(&raw.exclude, &at(&["exclude"]))?,
            config_name,
        ),
        None => {
            let default = ManifestSet::default_globs(config_name.clone());
            ManifestSet::new(
                default.include().to_vec(),
                globs(&raw.exclude, &at(&["exclude"]))?,
                config_name,
            )
        }
    };

    let resources = options_map(&ctx, raw.resources, &at(&["resources"]))?;

    let mut targets = BTreeMap::new();
    for (name, value) in raw.targets {
        let here = at(&["targets", &name]);
        check_target_name(&name).map_err(|m| ctx.invalid(&here, m))?;
        let raw_target: RawTarget = ctx.deserialize(value, &here)?;
        let target = convert_target(&ctx, &root, name.clone(), raw_target, &here)?;
        targets.insert(name, target);
    }

    if let Some(default) = &raw.default_target
        && default != LOCAL_TARGET
        && !targets.contains_key(default)
    {
        return Err(ctx.invalid(
            &at(&["default_target"]),
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
    here: &[String],
) -> Result<TargetConfig, ConfigError> {
    let resources = options_map(ctx, raw.resources, &child(here, &["resources"]))?;
    let mut values = BTreeMap::new();
    for (address, mut patch) in raw.values {
        let vat = child(here, &["values", &address]);
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
                here,
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
            return Err(ctx.invalid(here, format!("missing {}", missing.join(", "))));
        }
        if raw.cloud.is_some() && raw.endpoint.is_some() {
            return Err(ctx.invalid(here, "give either `cloud` or `endpoint`, not both"));
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
    here: &[String],
) -> Result<BTreeMap<ResourceId, OptionsPatch>, ConfigError> {
    let mut out = BTreeMap::new();
    for (address, value) in raw {
        let oat = child(here, &[&address]);
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
                cancel: raw.cancel,
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

/// A path of keys from the document root, e.g. `["targets", "prod"]`.
fn at(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

fn child(parent: &[String], keys: &[&str]) -> Vec<String> {
    let mut path = parent.to_vec();
    path.extend(keys.iter().map(|k| (*k).to_owned()));
    path
}

struct Ctx<'a> {
    path: &'a Path,
    lines: Lines,
}

impl Ctx<'_> {
    fn invalid(&self, here: &[String], message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line: self.lines.find(here),
            at: here.join("."),
            message: message.into(),
        }
    }

    fn deserialize<T: DeserializeOwned>(
        &self,
        value: Value,
        here: &[String],
    ) -> Result<T, ConfigError> {
        serde_json::from_value(value).map_err(|e| {
            let message = e.to_string();
            // Point at the offending key itself when serde names it.
            let field = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split_once('`'))
                .map(|(field, _)| field);
            let line = match field {
                Some(field) => self.lines.find(&child(here, &[field])),
                None => self.lines.find(here),
            };
            ConfigError::Invalid {
                path: self.path.to_path_buf(),
                line,
                at: here.join("."),
                message,
            }
        })
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
