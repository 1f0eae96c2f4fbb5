//! Job inputs and outputs.
//!
//! Two spellings exist. A job's own `inputs`/`outputs` (command, sweep, pipeline level) use
//! the REST model's camelCase (`jobInputType`, `jobOutputType`); the nodes inside a pipeline's
//! untyped `jobs` map use the SDK's snake_case dictionary form (`job_input_type`), and a node
//! output bound to a pipeline output is `{value: "${{parent.outputs.x}}", type: "literal"}`.
//!
//! Literals and `${{...}}` bindings become `literal` inputs with the value as a string
//! (numbers as written, booleans as `True`/`False` like the SDK). Data inputs keep their type
//! (default `uri_folder`); `path` becomes `uri`: `azureml:name:version` → the data (or model)
//! version ARM id, URIs and bindings unchanged, local paths uploaded (see `assets`).

use std::path::Path;

use serde_json::{Map, Value, json};

use super::assets::upload_uri;
use super::casing::{DATA_MODES, DATA_TYPES, lookup};
use super::hashing::canonical_json;
use super::refs::{asset_id, is_remote};
use super::value::{Obj, join, scalar_to_string};
use super::{Cx, Needs, TranslateError};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// REST model names (`jobInputType`).
    Rest,
    /// Pipeline node dictionaries (`job_input_type`).
    Node,
}

impl Style {
    fn key(self, rest: &'static str, node: &'static str) -> &'static str {
        match self {
            Style::Rest => rest,
            Style::Node => node,
        }
    }
}

fn literal(style: Style, value: String) -> Value {
    let mut m = Map::new();
    m.insert(
        style.key("jobInputType", "job_input_type").into(),
        json!("literal"),
    );
    m.insert("value".into(), Value::String(value));
    Value::Object(m)
}

/// Translate `owner.inputs`.
pub(crate) fn inputs(
    cx: &Cx,
    owner: &Obj,
    base_dir: &Path,
    style: Style,
    needs: &mut Needs,
) -> Result<Option<Map<String, Value>>, TranslateError> {
    let Some(inputs) = owner.obj("inputs")? else {
        return Ok(None);
    };
    let mut out = Map::new();
    for (name, v) in inputs.map {
        let field = join(&inputs.path, name);
        if let Some(t) = input(cx, v, &field, base_dir, style, needs)? {
            out.insert(name.clone(), t);
        }
    }
    Ok(Some(out))
}

fn input(
    cx: &Cx,
    v: &Value,
    field: &str,
    base_dir: &Path,
    style: Style,
    needs: &mut Needs,
) -> Result<Option<Value>, TranslateError> {
    match v {
        Value::Null => Ok(None),
        Value::Object(_) => {
            let o = Obj::at(*cx, v, field.to_owned())?;
            let ty = o.str("type")?;
            let literal_type =
                ty.is_some_and(|t| matches!(t, "string" | "integer" | "number" | "boolean"));
            if !o.has("path") && (o.has("value") || o.has("default") || literal_type) {
                let raw = o.raw("value").or_else(|| o.raw("default"));
                let Some(r) = raw else { return Ok(None) };
                let mut lit = literal(
                    style,
                    scalar_to_string(r).unwrap_or_else(|| canonical_json(r)),
                );
                if let (Some(d), Value::Object(m)) = (o.str("description")?, &mut lit) {
                    m.insert("description".into(), json!(d));
                }
                return Ok(Some(lit));
            }
            let ty = match ty {
                None => "uri_folder",
                Some(t) => lookup(t, DATA_TYPES)
                    .ok_or_else(|| o.invalid("type", format!("unknown input type `{t}`")))?,
            };
            let mut m = Map::new();
            m.insert(
                style.key("jobInputType", "job_input_type").into(),
                json!(ty),
            );
            if let Some(path) = o.str("path")? {
                let collection = if ty.ends_with("_model") {
                    "models"
                } else {
                    "data"
                };
                let uri =
                    resolve_data_path(cx, path, base_dir, collection, &o.field("path"), needs)?;
                m.insert("uri".into(), json!(uri));
            }
            if let Some(mode) = o.str("mode")? {
                let rest = lookup(mode, DATA_MODES)
                    .ok_or_else(|| o.invalid("mode", format!("unknown mode `{mode}`")))?;
                m.insert("mode".into(), json!(rest));
            }
            if let Some(p) = o.str("path_on_compute")? {
                m.insert(
                    style.key("pathOnCompute", "path_on_compute").into(),
                    json!(p),
                );
            }
            if let Some(d) = o.str("description")? {
                m.insert("description".into(), json!(d));
            }
            Ok(Some(Value::Object(m)))
        }
        Value::Array(_) => {
            Err(cx.invalid(field, "an input must be a literal, a binding or a mapping"))
        }
        scalar => Ok(scalar_to_string(scalar).map(|s| literal(style, s))),
    }
}

/// `path:` of a data input or output.
pub(crate) fn resolve_data_path(
    cx: &Cx,
    path: &str,
    base_dir: &Path,
    collection: &str,
    field: &str,
    needs: &mut Needs,
) -> Result<String, TranslateError> {
    if path.contains("${{") || path.contains("://") {
        Ok(path.to_owned())
    } else if is_remote(path) {
        Ok(asset_id(cx.ctx, path, collection))
    } else {
        upload_uri(cx, path, base_dir, field, needs)
    }
}

/// Translate `owner.outputs`.
pub(crate) fn outputs(
    cx: &Cx,
    owner: &Obj,
    style: Style,
) -> Result<Option<Map<String, Value>>, TranslateError> {
    let Some(outputs) = owner.obj("outputs")? else {
        return Ok(None);
    };
    let mut out = Map::new();
    for (name, v) in outputs.map {
        let field = join(&outputs.path, name);
        let t = match (v, style) {
            (Value::Null, Style::Node) => continue,
            (Value::Null, Style::Rest) => json!({ "jobOutputType": "uri_folder" }),
            (Value::String(s), Style::Node) => json!({ "value": s, "type": "literal" }),
            (Value::Object(_), _) => {
                let o = Obj::at(*cx, v, field)?;
                let ty = match o.str("type")? {
                    None => "uri_folder",
                    Some(t) => lookup(t, DATA_TYPES)
                        .ok_or_else(|| o.invalid("type", format!("unknown output type `{t}`")))?,
                };
                let mut m = Map::new();
                m.insert(
                    style.key("jobOutputType", "job_output_type").into(),
                    json!(ty),
                );
                if let Some(p) = o.str("path")? {
                    m.insert("uri".into(), json!(p));
                }
                if let Some(mode) = o.str("mode")? {
                    let rest = lookup(mode, DATA_MODES)
                        .ok_or_else(|| o.invalid("mode", format!("unknown mode `{mode}`")))?;
                    m.insert("mode".into(), json!(rest));
                }
                if let Some(n) = o.str("name")? {
                    m.insert(style.key("assetName", "asset_name").into(), json!(n));
                }
                if let Some(ver) = o.scalar_string("version")? {
                    m.insert(
                        style.key("assetVersion", "asset_version").into(),
                        json!(ver),
                    );
                }
                if let Some(d) = o.str("description")? {
                    m.insert("description".into(), json!(d));
                }
                Value::Object(m)
            }
            _ => return Err(cx.invalid(field, "an output must be empty or a mapping")),
        };
        out.insert(name.clone(), t);
    }
    Ok(Some(out))
}
