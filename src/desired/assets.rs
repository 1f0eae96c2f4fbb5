//! Assets a job needs before it can be submitted: local code folders, local inputs and inline
//! environments, each named by a hash of its content so that the same content is never
//! registered or uploaded twice, and the body changes exactly when the content does.
//!
//! Content hash of a folder: sha256 over its files that `.amlignore`/`.gitignore` (at the
//! folder's root) do not exclude, sorted by relative path (`/`-separated), each contributing
//! `path NUL length NUL bytes`. A single file is hashed as a folder holding just that file.

use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::model::Asset;

use super::hashing::{hash_value, sha256_hex, uuid_from_hash};
use super::ignore::IgnoreRules;
use super::refs::{asset_id, is_remote};
use super::value::{Obj, put};
use super::{Cx, Needs, TranslateError, TranslateErrorKind};

/// Name under which inline anonymous environments are registered (as the SDK does).
pub const ANONYMOUS_ENVIRONMENT: &str = "CliV2AnonymousEnvironment";
/// Name under which anonymous components are registered (as the SDK does).
pub const ANONYMOUS_COMPONENT: &str = "azureml_anonymous";
/// Datastore local inputs are uploaded to.
pub const UPLOAD_DATASTORE: &str = "workspaceblobstore";

/// Join a manifest-relative path onto `base`, dropping `.` and resolving `..` lexically so
/// the same file always gets the same path.
pub(crate) fn resolve_path(base: &Path, rel: &str) -> PathBuf {
    let rel = rel.strip_prefix("file:").unwrap_or(rel);
    let joined = if Path::new(rel).is_absolute() {
        PathBuf::from(rel)
    } else {
        base.join(rel)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The hashed content of a local file or folder.
pub(crate) struct Content {
    pub hash: String,
    pub is_dir: bool,
}

/// Hash the file or folder at `path` (see the module docs).
pub(crate) fn content_hash(
    cx: &Cx,
    path: &Path,
    what: &'static str,
    field: &str,
) -> Result<Content, TranslateError> {
    let reference = |message: String| {
        cx.err(
            field,
            TranslateErrorKind::Reference {
                what,
                path: path.to_path_buf(),
                message,
            },
        )
    };
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    let is_dir = match cx.resolver.list_files(path) {
        Ok(files) if !files.is_empty() => {
            let mut rels = Vec::new();
            for f in files {
                let rel = f.strip_prefix(path).unwrap_or(&f);
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                rels.push((rel.join("/"), f));
            }
            let ignore_file = [".amlignore", ".gitignore"]
                .into_iter()
                .find_map(|name| rels.iter().find(|(r, _)| r == name).map(|(_, p)| p.clone()));
            let rules = match ignore_file {
                Some(p) => {
                    let text = cx.resolver.read_file(&p).map_err(reference)?;
                    Some(IgnoreRules::parse(&String::from_utf8_lossy(&text)))
                }
                None => None,
            };
            for (rel, file) in rels {
                if rules.as_ref().is_some_and(|r| r.is_ignored(&rel)) {
                    continue;
                }
                let bytes = cx.resolver.read_file(&file).map_err(reference)?;
                entries.push((rel, bytes));
            }
            true
        }
        listed => {
            let bytes = cx.resolver.read_file(path).map_err(|e| match listed {
                Err(list_err) => reference(format!("{list_err}; {e}")),
                Ok(_) => reference(e),
            })?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            entries.push((name, bytes));
            false
        }
    };
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut buf = Vec::new();
    for (rel, bytes) in &entries {
        buf.extend_from_slice(rel.as_bytes());
        buf.push(0);
        buf.extend_from_slice(bytes.len().to_string().as_bytes());
        buf.push(0);
        buf.extend_from_slice(bytes);
    }
    Ok(Content {
        hash: sha256_hex(&buf),
        is_dir,
    })
}

/// `code:` → the code version ARM id to put in `codeId`, registering a local folder as an
/// asset (`{ws}/codes/{uuid of the hash}/versions/1`).
pub(crate) fn code_id(
    cx: &Cx,
    raw: &str,
    base_dir: &Path,
    field: &str,
    needs: &mut Needs,
) -> Result<String, TranslateError> {
    let s = raw.trim();
    if s.starts_with("git+") || s.starts_with("http://") || s.starts_with("https://") {
        return Err(cx.err(
            field,
            TranslateErrorKind::Unsupported {
                what: format!("code from a URL (`{s}`)"),
            },
        ));
    }
    if is_remote(s) {
        return Ok(asset_id(cx.ctx, s, "codes"));
    }
    let dir = resolve_path(base_dir, s);
    let content = content_hash(cx, &dir, "code folder", field)?;
    let arm_id = format!(
        "{}/codes/{}/versions/1",
        cx.ctx.workspace_id(),
        uuid_from_hash(&content.hash)
    );
    needs.asset(Asset::Code {
        local_dir: dir,
        hash: content.hash,
        arm_id: arm_id.clone(),
    });
    Ok(arm_id)
}

/// A local input path → the `azureml://datastores/workspaceblobstore/paths/LocalUpload/...`
/// URI it will have once uploaded (folders end with `/`).
pub(crate) fn upload_uri(
    cx: &Cx,
    raw: &str,
    base_dir: &Path,
    field: &str,
    needs: &mut Needs,
) -> Result<String, TranslateError> {
    let local = resolve_path(base_dir, raw.trim());
    let content = content_hash(cx, &local, "input path", field)?;
    let name = local
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let short: String = content.hash.chars().take(32).collect();
    let mut uri =
        format!("azureml://datastores/{UPLOAD_DATASTORE}/paths/LocalUpload/{short}/{name}");
    if content.is_dir {
        uri.push('/');
    }
    needs.asset(Asset::InputUpload {
        local_path: local,
        hash: content.hash,
        datastore_uri: uri.clone(),
    });
    Ok(uri)
}

/// `environment:` → the reference for `environmentId`. Inline environments become an
/// environment version asset: named `name`/`version` when the manifest gives both, else
/// `CliV2AnonymousEnvironment` with a version that is the hash of the environment's body.
pub(crate) fn environment_id(
    cx: &Cx,
    value: &Value,
    base_dir: &Path,
    field: &str,
    needs: &mut Needs,
) -> Result<String, TranslateError> {
    match value {
        Value::String(s) => Ok(asset_id(cx.ctx, s, "environments")),
        Value::Object(_) => {
            let env = Obj::at(*cx, value, field.to_owned())?;
            let mut props = Map::new();
            put(&mut props, "description", env.str("description")?);
            put(&mut props, "tags", env.string_map("tags")?);
            put(&mut props, "image", env.str("image")?);
            match env.raw("conda_file") {
                None => {}
                Some(Value::String(path)) => {
                    let file = resolve_path(base_dir, path);
                    let bytes = cx.resolver.read_file(&file).map_err(|message| {
                        cx.err(
                            env.field("conda_file"),
                            TranslateErrorKind::Reference {
                                what: "conda file",
                                path: file.clone(),
                                message,
                            },
                        )
                    })?;
                    props.insert(
                        "condaFile".into(),
                        Value::String(String::from_utf8_lossy(&bytes).into_owned()),
                    );
                }
                Some(inline) => {
                    props.insert(
                        "condaFile".into(),
                        Value::String(super::hashing::canonical_json(inline)),
                    );
                }
            }
            if let Some(build) = env.obj("build")? {
                let path = build.req_str("path")?;
                // A local build context is uploaded like a local input; the service builds
                // the image from the uploaded folder.
                let context = if is_remote(path) {
                    path.to_owned()
                } else {
                    upload_uri(cx, path, base_dir, &build.field("path"), needs)?
                };
                let mut b = Map::new();
                b.insert("contextUri".into(), json!(context));
                put(&mut b, "dockerfilePath", build.str("dockerfile_path")?);
                props.insert("build".into(), Value::Object(b));
            }
            if !props.contains_key("image") && !props.contains_key("build") {
                return Err(cx.invalid(field, "an inline environment needs `image` or `build`"));
            }
            props.insert(
                "osType".into(),
                json!(super::casing::pascal(
                    env.str("os_type")?.unwrap_or("linux")
                )),
            );
            let named = (env.str("name")?, env.scalar_string("version")?);
            let (name, version, anonymous) = match named {
                (Some(n), Some(v)) => (n.to_owned(), v, false),
                _ => {
                    let hash = hash_value(&Value::Object(props.clone()));
                    (
                        ANONYMOUS_ENVIRONMENT.to_owned(),
                        hash.chars().take(32).collect(),
                        true,
                    )
                }
            };
            props.insert("isAnonymous".into(), json!(anonymous));
            let arm_id = format!(
                "{}/environments/{name}/versions/{version}",
                cx.ctx.workspace_id()
            );
            needs.asset(Asset::Environment {
                arm_id: arm_id.clone(),
                body: json!({ "properties": props }),
            });
            Ok(arm_id)
        }
        _ => Err(cx.invalid(
            field,
            "expected an environment reference or an inline environment",
        )),
    }
}
