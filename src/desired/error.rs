//! Translation errors: each names the manifest file, its line and the field at fault.

use std::fmt;
use std::path::PathBuf;

use crate::model::SourceLocation;

/// A manifest that could not be translated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{}: {}{kind}", file.display(), line, FieldPrefix(field))]
pub struct TranslateError {
    /// The manifest file (relative to the repository root).
    pub file: PathBuf,
    /// 1-based line of the manifest's first node.
    pub line: usize,
    /// Dotted path of the field at fault (`trigger.frequency`), empty for the whole document.
    pub field: String,
    pub kind: TranslateErrorKind,
}

impl TranslateError {
    pub fn new(
        source: &SourceLocation,
        field: impl Into<String>,
        kind: TranslateErrorKind,
    ) -> Self {
        TranslateError {
            file: source.file.clone(),
            line: source.line,
            field: field.into(),
            kind,
        }
    }
}

struct FieldPrefix<'a>(&'a str);

impl fmt::Display for FieldPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "`{}`: ", self.0)
        }
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateErrorKind {
    #[error("required field is missing")]
    Missing,
    #[error("{message}")]
    Invalid { message: String },
    /// A referenced file (job, component, conda file, code folder, input) could not be read.
    #[error("cannot read referenced {what} `{}`: {message}", path.display())]
    Reference {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("{what} is not supported by amlctl")]
    Unsupported { what: String },
    #[error("`{address}` is already declared in {}:{first_line}", first.display())]
    Duplicate {
        address: String,
        first: PathBuf,
        first_line: usize,
    },
}
