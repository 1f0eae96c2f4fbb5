//! Validation: spanned YAML → kind dispatch → JSON Schema → semantic checks → a report holding
//! every validated manifest and every diagnostic of every file.
//!
//! Invariant: validation reports all problems, not the first; a file with errors still lets
//! the others be checked, and cross-file checks (unique names) run over all of them.
//! Invariant: bad input is data, not a failure: nothing here returns `Err` or panics on input.
//!
//! Entry points: [`validate_paths`] (disk) and [`validate_tree`] (any [`SourceTree`]);
//! [`load_referenced`] for files a manifest points at.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::manifest::{
    DiskTree, Limits, LoadError, Node, NodeValue, Pos, SourceTree, Span, load, normalize,
};
use crate::model::{Kind, ManifestKind};

mod diagnostic;
mod kind;
mod reference;
pub mod schema;
pub mod semantic;
pub mod suggest;
mod walk;

pub use diagnostic::{Diagnostic, FileRef, Severity, codes};
pub use kind::{Detected, detect, is_clearly_not_a_manifest};
pub use reference::{ReferenceError, load_referenced, resolve_relative};
pub use suggest::did_you_mean;

use schema::{SchemaError, SchemaErrorKind};

/// One manifest that passed validation.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidatedManifest {
    /// The path as found (joinable with the source tree).
    pub path: PathBuf,
    /// Relative to the current directory, for messages.
    pub display_path: String,
    pub kind: ManifestKind,
    /// `name:` if present.
    pub name: Option<String>,
    /// 1-based line of the document root.
    pub line: usize,
    /// The YAML as JSON (keys as written, `$schema` kept).
    pub value: Value,
}

/// Everything validation found.
#[derive(Clone, Debug, Default)]
pub struct ValidationReport {
    /// YAML files checked (files skipped as "not a manifest" are not counted).
    pub files: usize,
    /// Manifests without errors (warnings allowed), in path order.
    pub manifests: Vec<ValidatedManifest>,
    /// Every problem, ordered by file then position.
    pub diagnostics: Vec<Diagnostic>,
}

impl ValidationReport {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Validates files and directories on disk (directories are walked for `*.yml`/`*.yaml`).
/// Display paths are relative to the current directory.
pub fn validate_paths(paths: &[PathBuf]) -> ValidationReport {
    let cwd = std::env::current_dir().ok();
    validate_with(&DiskTree, paths, &|p| display_relative(p, cwd.as_deref()))
}

/// Validates files and directories of any source tree; display paths are the normalised paths.
pub fn validate_tree(tree: &dyn SourceTree, paths: &[PathBuf]) -> ValidationReport {
    validate_with(tree, paths, &|p| normalize(p).display().to_string())
}

fn display_relative(path: &Path, cwd: Option<&Path>) -> String {
    let shown = match cwd {
        Some(cwd) if path.is_absolute() => path
            .strip_prefix(cwd)
            .map_or_else(|_| path.to_path_buf(), Path::to_path_buf),
        _ => normalize(path),
    };
    shown.display().to_string()
}

fn validate_with(
    tree: &dyn SourceTree,
    paths: &[PathBuf],
    display: &(dyn Fn(&Path) -> String + Sync),
) -> ValidationReport {
    let mut report = ValidationReport::default();
    let (files, walk_errors) = walk::collect(tree, paths);
    for (path, err) in walk_errors {
        let file = FileRef::new(path.clone(), display(&path), None);
        report
            .diagnostics
            .push(Diagnostic::error(codes::IO_READ, err).in_file(&file));
    }
    // Files are checked independently (on all cores for large repos); cross-file checks follow.
    let mut checked: Vec<Checked> = crate::parallel::map_in_parallel(&files, |(path, explicit)| {
        check_file(tree, path, display(path), *explicit)
    })
    .into_iter()
    .flatten()
    .collect();
    report.files += checked.len();
    unique_names(&mut checked);
    for c in checked {
        let has_error = c.diagnostics.iter().any(Diagnostic::is_error);
        report.diagnostics.extend(c.diagnostics);
        if let (Some(m), false) = (c.manifest, has_error) {
            report.manifests.push(m);
        }
    }
    report
}

/// The outcome for one file.
struct Checked {
    manifest: Option<ValidatedManifest>,
    /// Where `name:` is, for duplicate-name diagnostics.
    name_span: Option<Span>,
    file: FileRef,
    diagnostics: Vec<Diagnostic>,
}

/// Loads and checks one file. `None` when a walked file turns out not to be a manifest.
fn check_file(
    tree: &dyn SourceTree,
    path: &Path,
    display: String,
    explicit: bool,
) -> Option<Checked> {
    let bare = FileRef::new(path.to_path_buf(), display.clone(), None);
    let fail = |file: &FileRef, d: Diagnostic| Checked {
        manifest: None,
        name_span: None,
        file: file.clone(),
        diagnostics: vec![d],
    };
    let bytes = match tree.read(path) {
        Ok(b) => b,
        Err(e) => {
            return Some(fail(
                &bare,
                Diagnostic::error(codes::IO_READ, format!("cannot read file: {e}")).in_file(&bare),
            ));
        }
    };
    let loaded = match load(&bytes, Limits::default()) {
        Ok(l) => l,
        Err(failure) => {
            let file = FileRef::new(path.to_path_buf(), display, failure.text.as_deref());
            return Some(fail(&file, load_diagnostic(&failure.error).in_file(&file)));
        }
    };
    let file = FileRef::new(path.to_path_buf(), display, Some(&loaded.text));
    let root = match loaded.root {
        Some(Node {
            value: NodeValue::Null,
            ..
        })
        | None => {
            return explicit.then(|| {
                fail(
                    &file,
                    Diagnostic::error(codes::EMPTY, "empty file: a manifest is a YAML mapping")
                        .in_file(&file),
                )
            });
        }
        Some(root) => root,
    };
    let NodeValue::Map(_) = &root.value else {
        if !explicit {
            return None;
        }
        let found = match &root.value {
            NodeValue::Seq(_) => "a list",
            _ => "a single value",
        };
        let d = Diagnostic::error(
            codes::NOT_A_MAPPING,
            format!("the top level is {found}; a manifest is a YAML mapping"),
        )
        .at(root.span)
        .with_label("expected `key: value` pairs")
        .with_help("one manifest per file, e.g. `type: amlcompute` / `name: cpu-cluster`");
        return Some(fail(&file, d.in_file(&file)));
    };
    let value = root.to_json();
    let Value::Object(map) = &value else {
        return None;
    };
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !explicit && is_clearly_not_a_manifest(file_name, map) {
        return None;
    }
    let mut diagnostics = Vec::new();
    let kind = match detect(map) {
        Detected::Supported(k) => Some(k),
        Detected::Unsupported(what) => {
            let span = root.entry("type").map_or(root.span, |(_, v)| v.span);
            let span = ["create_monitor", "import_data"]
                .iter()
                .find_map(|k| root.entry(k))
                .map_or(span, |(k, _)| k.span);
            diagnostics.push(
                Diagnostic::error(codes::KIND_UNSUPPORTED, format!("unsupported kind: {what}"))
                    .at(span)
                    .with_label("amlctl does not manage this kind")
                    .with_help("supported: computeinstance, amlcompute, kubernetes, schedules with create_job, command, parallel, pipeline and sweep jobs"),
            );
            None
        }
        Detected::Unknown(t) => {
            let span = root.get("type").map_or(root.span, |n| n.span);
            let mut d = Diagnostic::error(codes::KIND_UNKNOWN, format!("unknown kind `type: {t}`"))
                .at(span);
            if let Some(s) = did_you_mean(&t, kind::known_types()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            diagnostics.push(d);
            None
        }
        Detected::Undetermined => {
            diagnostics.push(
                Diagnostic::error(codes::KIND_UNKNOWN, "cannot tell what kind of manifest this is")
                    .at(root.span)
                    .with_help("add `type:` (computeinstance, amlcompute, kubernetes, command, parallel, pipeline, sweep) or a schedule's `trigger`/`create_job`"),
            );
            None
        }
    };
    let mut manifest = None;
    if let Some(kind) = kind {
        for e in schema::validate(schema::schema_for(kind), &value) {
            diagnostics.push(schema_diagnostic(&root, &e, kind));
        }
        let ctx = semantic::Ctx { tree, file: path };
        for f in semantic::check(kind, &value, &ctx) {
            let mut span = if f.on_key {
                root.key_span(&f.pointer)
            } else {
                root.span_at(&f.pointer)
            };
            if let Some(needle) = &f.needle {
                span = narrow(&loaded.text, span, needle);
            }
            let mut d = Diagnostic::error(f.code, f.message)
                .at(span)
                .with_label(finding_label(f.code));
            d.severity = f.severity;
            if let Some(h) = f.help {
                d = d.with_help(h);
            }
            diagnostics.push(d);
        }
        manifest = Some(ValidatedManifest {
            path: path.to_path_buf(),
            display_path: file.display.clone(),
            kind,
            name: map.get("name").and_then(Value::as_str).map(str::to_owned),
            line: root.span.start.line,
            value: value.clone(),
        });
    }
    let diagnostics = diagnostics
        .into_iter()
        .map(|d| d.in_file(&file))
        .collect::<Vec<_>>();
    let mut diagnostics = diagnostics;
    diagnostics.sort_by_key(|d| (d.line(), d.column()));
    let name_span = root.get("name").map(|n| n.span);
    Some(Checked {
        manifest,
        name_span,
        file,
        diagnostics,
    })
}

/// The short text under a semantic finding's marker.
fn finding_label(code: &str) -> &'static str {
    match code {
        codes::PATH_MISSING => "not found",
        codes::BINDING => "does not resolve",
        codes::LEGACY_BINDING => "legacy reference",
        codes::REFERENCE => "invalid reference",
        codes::REFERENCED_FILE => "not a usable job file",
        codes::NAME_INVALID => "invalid name",
        codes::CRON => "invalid cron expression",
        codes::TIME_ZONE => "unknown time zone",
        codes::TIME_FORMAT => "not a date-time",
        codes::TIME_ORDER => "not after start_time",
        codes::IDLE_SHUTDOWN => "15 to 4320 minutes",
        codes::SCALE => "greater than max_instances",
        codes::K8S_QUANTITY => "not a quantity",
        codes::K8S_DEFAULT_TYPE => "not declared",
        _ => "here",
    }
}

/// The part of `span` where `needle` is written, if it is written there verbatim.
fn narrow(text: &str, span: Span, needle: &str) -> Span {
    let Some(slice) = text.get(span.start.byte..span.end.byte) else {
        return span;
    };
    let Some(offset) = slice.find(needle) else {
        return span;
    };
    let before = &slice[..offset];
    let (line, column) = match before.rfind('\n') {
        Some(nl) => (
            span.start.line + before.matches('\n').count(),
            before[nl + 1..].chars().count() + 1,
        ),
        None => (span.start.line, span.start.column + before.chars().count()),
    };
    let start = Pos {
        line,
        column,
        byte: span.start.byte + offset,
    };
    let end = Pos {
        line,
        column: column + needle.chars().count(),
        byte: start.byte + needle.len(),
    };
    Span { start, end }
}

fn load_diagnostic(err: &LoadError) -> Diagnostic {
    let code = format!("{}::{}", codes::YAML_PREFIX, err.code_name());
    let mut d = Diagnostic::error(&code, err.to_string());
    if let Some(span) = err.span() {
        d = d.at(span);
    }
    match err {
        LoadError::Syntax { message, .. } if message.contains("tab") => {
            d.with_help("YAML indentation uses spaces; replace the tab characters")
        }
        LoadError::DuplicateKey { .. } => d
            .with_label("second definition")
            .with_help("remove one of the two"),
        LoadError::MultipleDocuments { .. } => {
            d.with_help("split the documents into separate files")
        }
        _ => d,
    }
}

fn dotted(pointer: &str) -> String {
    let parts: Vec<String> = crate::manifest::tokens(pointer).collect();
    if parts.is_empty() {
        "the manifest".to_owned()
    } else {
        format!("`{}`", parts.join("."))
    }
}

fn kind_label(kind: ManifestKind) -> &'static str {
    match kind {
        ManifestKind::ComputeInstance => "compute instance",
        ManifestKind::AmlCompute => "amlcompute cluster",
        ManifestKind::Kubernetes => "kubernetes compute",
        ManifestKind::Schedule => "schedule",
        ManifestKind::CommandJob => "command job",
        ManifestKind::ParallelJob => "parallel job",
        ManifestKind::PipelineJob => "pipeline job",
        ManifestKind::SweepJob => "sweep job",
    }
}

fn schema_diagnostic(root: &Node, e: &SchemaError, kind: ManifestKind) -> Diagnostic {
    let at = dotted(&e.pointer);
    match &e.kind {
        SchemaErrorKind::UnknownKey {
            key,
            suggestion,
            allowed,
        } => {
            let parent = e.pointer.rsplit_once('/').map_or("", |(p, _)| p);
            let place = if parent.is_empty() {
                kind_label(kind).to_owned()
            } else {
                dotted(parent)
            };
            let mut msg = format!("unknown key `{key}` in {place}");
            if let Some(s) = suggestion {
                msg.push_str(&format!("; did you mean `{s}`?"));
            }
            let mut d = Diagnostic::error(codes::UNKNOWN_KEY, msg)
                .at(root.key_span(&e.pointer))
                .with_label("unknown key");
            if !allowed.is_empty() && suggestion.is_none() {
                d = d.with_help(format!("allowed keys: {}", allowed.join(", ")));
            }
            d
        }
        SchemaErrorKind::MissingKey { key } => {
            let place = if e.pointer.is_empty() {
                kind_label(kind).to_owned()
            } else {
                at
            };
            let span = if e.pointer.is_empty() {
                let start = root.span.start;
                Span { start, end: start }
            } else {
                root.key_span(&e.pointer)
            };
            Diagnostic::error(
                codes::MISSING_KEY,
                format!("missing required key `{key}` in {place}"),
            )
            .at(span)
        }
        SchemaErrorKind::WrongType { expected, found } => {
            let d = Diagnostic::error(
                codes::WRONG_TYPE,
                format!("{at} must be {}, found {found}", article(expected)),
            )
            .at(root.span_at(&e.pointer))
            .with_label(format!("expected {expected}"));
            if expected == "string" && matches!(*found, "integer" | "number" | "boolean") {
                d.with_help("quote the value to make it a string, e.g. \"10\"")
            } else {
                d
            }
        }
        SchemaErrorKind::NotInEnum {
            value,
            allowed,
            suggestion,
        } => {
            let mut msg = format!("{at}: `{value}` is not one of {}", allowed.join(", "));
            if let Some(s) = suggestion {
                msg.push_str(&format!("; did you mean `{s}`?"));
            }
            Diagnostic::error(codes::BAD_ENUM, msg).at(root.span_at(&e.pointer))
        }
        SchemaErrorKind::TooSmall { limit } => Diagnostic::error(
            codes::OUT_OF_RANGE,
            format!("{at} must be at least {limit}"),
        )
        .at(root.span_at(&e.pointer)),
        SchemaErrorKind::TooLarge { limit } => {
            Diagnostic::error(codes::OUT_OF_RANGE, format!("{at} must be at most {limit}"))
                .at(root.span_at(&e.pointer))
        }
        SchemaErrorKind::TooFewItems { min } => Diagnostic::error(
            codes::OUT_OF_RANGE,
            format!("{at} needs at least {min} item(s)"),
        )
        .at(root.span_at(&e.pointer)),
        SchemaErrorKind::NoVariant { expected } => Diagnostic::error(
            codes::NO_VARIANT,
            format!(
                "{at} does not match any allowed form (expected {})",
                expected.join("; or ")
            ),
        )
        .at(root.span_at(&e.pointer)),
    }
}

fn article(t: &str) -> String {
    if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {t}")
    } else {
        format!("a {t}")
    }
}

/// Reports every name declared twice for the same resource kind, at the later declaration.
fn unique_names(checked: &mut [Checked]) {
    let mut first: BTreeMap<(Kind, String), (String, usize)> = BTreeMap::new();
    for c in checked.iter_mut() {
        let Some(m) = &c.manifest else { continue };
        let Some(name) = &m.name else { continue };
        let key = (m.kind.resource_kind(), name.clone());
        let line = c.name_span.map_or(m.line, |s| s.start.line);
        match first.get(&key) {
            None => {
                first.insert(key, (c.file.display.clone(), line));
            }
            Some((other, other_line)) => {
                let mut d = Diagnostic::error(
                    codes::NAME_DUPLICATE,
                    format!(
                        "{} name `{name}` is already declared in {other}:{other_line}",
                        key.0
                    ),
                )
                .with_label("duplicate name")
                .with_help(format!(
                    "{} names must be unique across all manifests",
                    key.0
                ));
                if let Some(span) = c.name_span {
                    d = d.at(span);
                }
                c.diagnostics.push(d.in_file(&c.file));
            }
        }
    }
}

#[cfg(test)]
mod tests;
