//! One problem found in one file, with where it is and a stable code.
//!
//! A [`Diagnostic`] implements `miette::Diagnostic` (so `cli` can render a snippet with a label
//! on the offending node) but is plain data otherwise: `cli` also prints it as JSON or as a
//! GitHub annotation from its public fields.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceCode};

use crate::manifest::Span;

/// Diagnostic codes. Stable: users filter on them and snapshots record them.
pub mod codes {
    pub const IO_READ: &str = "amlctl::io::read";
    pub const YAML_PREFIX: &str = "amlctl::yaml";
    pub const EMPTY: &str = "amlctl::yaml::empty";
    pub const NOT_A_MAPPING: &str = "amlctl::kind::not-a-mapping";
    pub const KIND_UNSUPPORTED: &str = "amlctl::kind::unsupported";
    pub const KIND_UNKNOWN: &str = "amlctl::kind::unknown";
    pub const UNKNOWN_KEY: &str = "amlctl::schema::unknown-key";
    pub const MISSING_KEY: &str = "amlctl::schema::missing-key";
    pub const WRONG_TYPE: &str = "amlctl::schema::type";
    pub const BAD_ENUM: &str = "amlctl::schema::enum";
    pub const OUT_OF_RANGE: &str = "amlctl::schema::range";
    pub const NO_VARIANT: &str = "amlctl::schema::no-variant";
    pub const NAME_INVALID: &str = "amlctl::name::invalid";
    pub const NAME_DUPLICATE: &str = "amlctl::name::duplicate";
    pub const CRON: &str = "amlctl::trigger::cron";
    pub const RECURRENCE: &str = "amlctl::trigger::recurrence";
    pub const TIME_ZONE: &str = "amlctl::trigger::time-zone";
    pub const TIME_FORMAT: &str = "amlctl::trigger::time";
    pub const TIME_ORDER: &str = "amlctl::trigger::start-after-end";
    pub const IDLE_SHUTDOWN: &str = "amlctl::compute::idle-shutdown";
    pub const SCALE: &str = "amlctl::compute::min-max";
    pub const K8S_QUANTITY: &str = "amlctl::kubernetes::quantity";
    pub const K8S_DEFAULT_TYPE: &str = "amlctl::kubernetes::default-instance-type";
    pub const BINDING: &str = "amlctl::binding::unresolved";
    pub const LEGACY_BINDING: &str = "amlctl::binding::legacy";
    pub const REFERENCE: &str = "amlctl::reference::invalid";
    pub const PATH_MISSING: &str = "amlctl::path::missing";
    pub const REFERENCED_FILE: &str = "amlctl::reference::file";
    pub const NODE: &str = "amlctl::pipeline::node";
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The text of a file, named, shared by all diagnostics of that file.
pub type SharedSource = Arc<NamedSource<String>>;

/// One problem in one file.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct Diagnostic {
    pub severity: Severity,
    /// One of [`codes`] (`amlctl::yaml::*` codes are built from the loader error).
    pub code: String,
    pub message: String,
    /// The path as found (joinable with the source tree).
    pub file: PathBuf,
    /// The path relative to the current directory, for messages.
    pub display_path: String,
    /// Where in the file; `None` for whole-file problems (unreadable, too large).
    pub span: Option<Span>,
    /// Short text under the snippet's marker.
    pub label: Option<String>,
    pub help: Option<String>,
    snippet: Option<SharedSource>,
}

impl Diagnostic {
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code: code.to_owned(),
            message: message.into(),
            file: PathBuf::new(),
            display_path: String::new(),
            span: None,
            label: None,
            help: None,
            snippet: None,
        }
    }

    pub fn warning(code: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Attaches the file (and its text, for snippets).
    pub fn in_file(mut self, file: &FileRef) -> Self {
        self.file = file.path.clone();
        self.display_path = file.display.clone();
        self.snippet = file.source.clone();
        self
    }

    /// 1-based line (1 for whole-file problems).
    pub fn line(&self) -> usize {
        self.span.map_or(1, |s| s.start.line.max(1))
    }

    /// 1-based column in characters (1 for whole-file problems).
    pub fn column(&self) -> usize {
        self.span.map_or(1, |s| s.start.column.max(1))
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Identifies a file for diagnostics.
#[derive(Clone, Debug)]
pub struct FileRef {
    pub path: PathBuf,
    pub display: String,
    pub source: Option<SharedSource>,
}

impl FileRef {
    pub fn new(path: PathBuf, display: String, text: Option<&str>) -> Self {
        let source = text.map(|t| Arc::new(NamedSource::new(display.clone(), t.to_owned())));
        FileRef {
            path,
            display,
            source,
        }
    }
}

struct Code<'a>(&'a str);

impl fmt::Display for Code<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(Code(&self.code)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_deref()
            .map(|h| Box::new(Code(h)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.snippet.as_deref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        self.snippet.as_ref()?;
        let label = LabeledSpan::new_primary_with_span(
            Some(self.label.clone().unwrap_or_else(|| "here".to_owned())),
            (span.start.byte, span.byte_len()),
        );
        Some(Box::new(std::iter::once(label)))
    }
}
