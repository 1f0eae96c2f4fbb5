//! Bytes → spanned YAML tree, with hard limits checked before any work that could run away.
//!
//! Invariant: nothing here recurses over the input. saphyr's own `Parser::load` recurses once
//! per nesting level (a 20,000-deep file would overflow the stack), so the tree is built from the
//! parser's event iterator with an explicit frame stack, and the depth limit is checked on every
//! `SequenceStart`/`MappingStart` before the frame is pushed. Alias expansion is charged against
//! a node budget, so a "billion laughs" file stops after [`Limits::max_nodes`] nodes.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use saphyr::Scalar;
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span as RawSpan, Tag};

use super::node::{Key, Node, NodeValue, Pos, Span};

/// Bounds on what one file may cost.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_depth: usize,
    /// Nodes in the tree, counting every node an alias expands to.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 4 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 200_000,
        }
    }
}

/// Why a file could not be loaded. Each variant carries where it happened when that is known.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    #[error("file is {size} bytes, more than the {limit}-byte limit for a manifest")]
    TooLarge { size: usize, limit: usize },
    #[error("binary file (NUL byte at offset {})", at.byte)]
    Binary { at: Pos },
    #[error("file is not valid UTF-8 (invalid byte at offset {})", at.byte)]
    NotUtf8 { at: Pos },
    #[error("YAML syntax error: {message}")]
    Syntax { message: String, at: Pos },
    #[error("YAML nesting is deeper than {limit} levels")]
    TooDeep { limit: usize, at: Pos },
    #[error("duplicate key `{key}` (first defined on line {})", first.start.line)]
    DuplicateKey {
        key: String,
        first: Span,
        second: Span,
    },
    #[error("mapping keys must be scalars")]
    ComplexKey { at: Span },
    #[error("the document expands to more than {limit} nodes (aliases expanding exponentially?)")]
    TooManyNodes { limit: usize, at: Pos },
    #[error("more than one YAML document in the file; a manifest is a single document")]
    MultipleDocuments { at: Pos },
    #[error("`{text}` is not a valid `{tag}` value")]
    BadTaggedScalar { text: String, tag: String, at: Span },
    #[error("unknown alias")]
    UnknownAlias { at: Pos },
}

impl LoadError {
    /// Where to point: start and end of the offending text.
    pub fn span(&self) -> Option<Span> {
        match self {
            LoadError::TooLarge { .. } => None,
            LoadError::Binary { at }
            | LoadError::NotUtf8 { at }
            | LoadError::Syntax { at, .. }
            | LoadError::TooDeep { at, .. }
            | LoadError::TooManyNodes { at, .. }
            | LoadError::MultipleDocuments { at }
            | LoadError::UnknownAlias { at } => Some(Span {
                start: *at,
                end: *at,
            }),
            LoadError::DuplicateKey { second, .. } => Some(*second),
            LoadError::ComplexKey { at } | LoadError::BadTaggedScalar { at, .. } => Some(*at),
        }
    }

    /// A stable short name for diagnostics codes (`amlctl::yaml::<name>`).
    pub fn code_name(&self) -> &'static str {
        match self {
            LoadError::TooLarge { .. } => "too-large",
            LoadError::Binary { .. } => "binary",
            LoadError::NotUtf8 { .. } => "not-utf8",
            LoadError::Syntax { .. } => "syntax",
            LoadError::TooDeep { .. } => "too-deep",
            LoadError::DuplicateKey { .. } => "duplicate-key",
            LoadError::ComplexKey { .. } => "complex-key",
            LoadError::TooManyNodes { .. } => "alias-limit",
            LoadError::MultipleDocuments { .. } => "multiple-documents",
            LoadError::BadTaggedScalar { .. } => "bad-tag",
            LoadError::UnknownAlias { .. } => "syntax",
        }
    }
}

/// A loaded file: its text (for snippets) and its root node (`None`: no document at all).
#[derive(Clone, Debug)]
pub struct Loaded {
    pub text: String,
    pub root: Option<Node>,
}

/// A file that could not be loaded: why, and its text when it was valid UTF-8 (for snippets).
#[derive(Clone, Debug)]
pub struct LoadFailure {
    pub error: LoadError,
    pub text: Option<String>,
}

fn failure(error: LoadError, text: Option<&str>) -> Box<LoadFailure> {
    Box::new(LoadFailure {
        error,
        text: text.map(str::to_owned),
    })
}

/// Decodes and parses one YAML file. Never panics; bounded by `limits`.
pub fn load(bytes: &[u8], limits: Limits) -> Result<Loaded, Box<LoadFailure>> {
    if bytes.len() > limits.max_bytes {
        let error = LoadError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        };
        return Err(failure(error, None));
    }
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(failure(
            LoadError::Binary {
                at: pos_of_byte(bytes, at),
            },
            None,
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = pos_of_byte(bytes, e.valid_up_to());
            return Err(failure(LoadError::NotUtf8 { at }, None));
        }
    };
    match load_str(text, limits) {
        Ok(root) => Ok(Loaded {
            text: text.to_owned(),
            root,
        }),
        Err(e) => Err(failure(e, Some(text))),
    }
}

/// Parses YAML text into a spanned tree. `Ok(None)` for a stream with no document.
pub fn load_str(text: &str, limits: Limits) -> Result<Option<Node>, LoadError> {
    Builder::new(text, limits).run()
}

/// Line/column/byte of a byte offset, for errors found before parsing.
fn pos_of_byte(bytes: &[u8], at: usize) -> Pos {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Pos {
        line,
        column,
        byte: at,
    }
}

/// Character index → byte offset. Identity for ASCII text.
struct Offsets {
    table: Option<Vec<usize>>,
    len: usize,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let table = (!text.is_ascii()).then(|| {
            let mut t: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            t.push(text.len());
            t
        });
        Offsets {
            table,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index.min(self.len),
            Some(t) => t.get(char_index).copied().unwrap_or(self.len),
        }
    }

    fn pos(&self, m: Marker) -> Pos {
        Pos {
            line: m.line(),
            column: m.col() + 1,
            byte: self.byte(m.index()),
        }
    }

    fn span(&self, s: RawSpan) -> Span {
        Span {
            start: self.pos(s.start),
            end: self.pos(s.end),
        }
    }
}

enum Frame {
    Seq {
        start: Span,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Span,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        seen: HashSet<String>,
        key: Option<Key>,
    },
}

/// A finished node plus, for scalars, the text as written (used when the node is a key).
struct Done {
    node: Node,
    raw: Option<String>,
}

struct Builder<'t> {
    text: &'t str,
    limits: Limits,
    offsets: Offsets,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    root: Option<Node>,
    documents: usize,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str, limits: Limits) -> Self {
        Builder {
            text,
            limits,
            offsets: Offsets::new(text),
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            root: None,
            documents: 0,
        }
    }

    fn run(mut self) -> Result<Option<Node>, LoadError> {
        let mut parser = Parser::new_from_str(self.text);
        while let Some(item) = parser.next_event() {
            let (event, raw_span) = item.map_err(|e| {
                let at = self.offsets.pos(*e.marker());
                // saphyr's scanner bounds flow nesting itself (at 256 levels).
                if e.info().contains("recursion limit") {
                    LoadError::TooDeep {
                        limit: self.limits.max_depth,
                        at,
                    }
                } else {
                    LoadError::Syntax {
                        message: e.info().to_owned(),
                        at,
                    }
                }
            })?;
            let span = self.offsets.span(raw_span);
            match event {
                Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
                Event::StreamEnd => break,
                Event::DocumentStart(_) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        return Err(LoadError::MultipleDocuments { at: span.start });
                    }
                }
                Event::SequenceStart(anchor, _) => {
                    self.open(span)?;
                    self.stack.push(Frame::Seq {
                        start: span,
                        anchor,
                        items: Vec::new(),
                    });
                }
                Event::MappingStart(anchor, _) => {
                    self.open(span)?;
                    self.stack.push(Frame::Map {
                        start: span,
                        anchor,
                        entries: Vec::new(),
                        seen: HashSet::new(),
                        key: None,
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => self.close(span)?,
                Event::Scalar(value, style, anchor, tag) => {
                    self.charge(1, span.start)?;
                    let node = scalar(value.as_ref(), style, tag.as_ref(), span)?;
                    if anchor > 0 {
                        self.anchors.insert(anchor, node.clone());
                    }
                    self.finish(Done {
                        node,
                        raw: Some(value.into_owned()),
                    })?;
                }
                Event::Alias(id) => {
                    let Some(cost) = self.anchors.get(&id).map(Node::count) else {
                        return Err(LoadError::UnknownAlias { at: span.start });
                    };
                    self.charge(cost, span.start)?;
                    let Some(mut node) = self.anchors.get(&id).cloned() else {
                        return Err(LoadError::UnknownAlias { at: span.start });
                    };
                    node.span = span;
                    let raw = match &node.value {
                        NodeValue::Str(s) => Some(s.clone()),
                        _ => None,
                    };
                    self.finish(Done { node, raw })?;
                }
            }
        }
        Ok(self.root)
    }

    fn charge(&mut self, cost: usize, at: Pos) -> Result<(), LoadError> {
        self.nodes = self.nodes.saturating_add(cost);
        if self.nodes > self.limits.max_nodes {
            return Err(LoadError::TooManyNodes {
                limit: self.limits.max_nodes,
                at,
            });
        }
        Ok(())
    }

    /// Checks the limits before a collection frame is pushed.
    fn open(&mut self, span: Span) -> Result<(), LoadError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(LoadError::TooDeep {
                limit: self.limits.max_depth,
                at: span.start,
            });
        }
        self.charge(1, span.start)
    }

    fn close(&mut self, end: Span) -> Result<(), LoadError> {
        let Some(frame) = self.stack.pop() else {
            return Err(LoadError::Syntax {
                message: "unbalanced collection end".into(),
                at: end.start,
            });
        };
        let (start, anchor, value) = match frame {
            Frame::Seq {
                start,
                anchor,
                items,
            } => (start, anchor, NodeValue::Seq(items)),
            Frame::Map {
                start,
                anchor,
                entries,
                ..
            } => (start, anchor, NodeValue::Map(entries)),
        };
        let end_pos = if end.end.byte >= start.end.byte {
            end.end
        } else {
            start.end
        };
        let node = Node {
            span: Span {
                start: start.start,
                end: end_pos,
            },
            value,
        };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.finish(Done { node, raw: None })
    }

    fn finish(&mut self, done: Done) -> Result<(), LoadError> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(done.node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(done.node);
                Ok(())
            }
            Some(Frame::Map {
                entries, seen, key, ..
            }) => match key.take() {
                None => {
                    let text = match (done.raw, &done.node.value) {
                        (Some(raw), _) => raw,
                        (None, NodeValue::Null) => String::new(),
                        _ => return Err(LoadError::ComplexKey { at: done.node.span }),
                    };
                    if !seen.insert(text.clone()) {
                        let first = entries
                            .iter()
                            .find(|(k, _)| k.text == text)
                            .map_or(done.node.span, |(k, _)| k.span);
                        return Err(LoadError::DuplicateKey {
                            key: text,
                            first,
                            second: done.node.span,
                        });
                    }
                    *key = Some(Key {
                        text,
                        span: done.node.span,
                    });
                    Ok(())
                }
                Some(k) => {
                    entries.push((k, done.node));
                    Ok(())
                }
            },
        }
    }
}

fn scalar(
    value: &str,
    style: ScalarStyle,
    tag: Option<&Cow<'_, Tag>>,
    span: Span,
) -> Result<Node, LoadError> {
    let parsed =
        Scalar::parse_from_cow_and_metadata(Cow::Borrowed(value), style, tag).ok_or_else(|| {
            LoadError::BadTaggedScalar {
                text: value.to_owned(),
                tag: tag.map(|t| t.to_string()).unwrap_or_default(),
                at: span,
            }
        })?;
    let value = match parsed {
        Scalar::Null => NodeValue::Null,
        Scalar::Boolean(b) => NodeValue::Bool(b),
        Scalar::Integer(i) => NodeValue::Int(i),
        Scalar::FloatingPoint(f) => NodeValue::Float(f.into_inner()),
        Scalar::String(s) => NodeValue::Str(s.into_owned()),
    };
    Ok(Node { span, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_ok(text: &str) -> Node {
        match load_str(text, Limits::default()) {
            Ok(Some(n)) => n,
            other => panic!("expected a document, got {other:?}"),
        }
    }

    fn load_err(text: &str) -> LoadError {
        match load_str(text, Limits::default()) {
            Err(e) => e,
            Ok(n) => panic!("expected an error, got {n:?}"),
        }
    }

    #[test]
    fn spans_are_one_based_and_in_bytes() {
        let root = load_ok("name: é\nsize: Standard_DS3_v2\n");
        let size = root.get("size").unwrap();
        assert_eq!(size.span.start.line, 2);
        assert_eq!(size.span.start.column, 7);
        // "name: é\n" is 9 bytes (é is two), so "size" starts at byte 9 and its value at 15.
        assert_eq!(size.span.start.byte, 15);
        let (key, _) = root.entry("size").unwrap();
        assert_eq!(key.span.start.byte, 9);
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        let root = load_ok("a: 1\nb: '1'\nc: true\nd: ~\ne: 1.5\n1: x\n");
        let json = root.to_json();
        assert_eq!(
            json,
            serde_json::json!({"a": 1, "b": "1", "c": true, "d": null, "e": 1.5, "1": "x"})
        );
    }

    #[test]
    fn deep_nesting_is_refused_without_recursing() {
        let n = 20_000;
        let block: String = (0..n).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        for text in [
            format!("{}{}", "[".repeat(n), "]".repeat(n)),
            format!("{}1{}", "{a: ".repeat(n), "}".repeat(n)),
            "- ".repeat(n),
            block,
        ] {
            let err = load_err(&text);
            assert!(
                matches!(err, LoadError::TooDeep { limit: 64, .. }),
                "{err:?}"
            );
        }
        // Unclosed: the scanner reports it, still without recursing.
        assert!(matches!(
            load_err(&"[".repeat(n)),
            LoadError::TooDeep { .. } | LoadError::Syntax { .. }
        ));
    }

    #[test]
    fn alias_bombs_hit_the_node_budget() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let names: Vec<String> = (b'b'..=b'k').map(|c| (c as char).to_string()).collect();
        let mut prev = "a".to_owned();
        for n in &names {
            text.push_str(&format!("{n}: &{n} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = n.clone();
        }
        assert!(matches!(load_err(&text), LoadError::TooManyNodes { .. }));
    }

    #[test]
    fn aliases_expand() {
        let root = load_ok("a: &x {k: 1}\nb: *x\n");
        assert_eq!(root.to_json()["b"], serde_json::json!({"k": 1}));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        match load_err("a: 1\nb: 2\na: 3\n") {
            LoadError::DuplicateKey { key, first, second } => {
                assert_eq!(key, "a");
                assert_eq!(first.start.line, 1);
                assert_eq!(second.start.line, 3);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tabs_and_garbage_are_syntax_errors() {
        assert!(matches!(load_err("a:\n\tb: 1\n"), LoadError::Syntax { .. }));
        assert!(matches!(load_err("a: [1, 2\n"), LoadError::Syntax { .. }));
    }

    #[test]
    fn bytes_checks_come_first() {
        let err = |bytes: &[u8], limits| load(bytes, limits).err().map(|f| f.error);
        assert!(matches!(
            err(b"a: \xff\n", Limits::default()),
            Some(LoadError::NotUtf8 { .. })
        ));
        assert!(matches!(
            err(b"a: \x00\n", Limits::default()),
            Some(LoadError::Binary { .. })
        ));
        let limits = Limits {
            max_bytes: 4,
            ..Limits::default()
        };
        assert!(matches!(
            err(b"a: 12345", limits),
            Some(LoadError::TooLarge { .. })
        ));
    }

    #[test]
    fn empty_and_multi_document_streams() {
        assert_eq!(load_str("", Limits::default()), Ok(None));
        assert_eq!(load_str("# only a comment\n", Limits::default()), Ok(None));
        assert!(matches!(
            load_err("a: 1\n---\nb: 2\n"),
            LoadError::MultipleDocuments { .. }
        ));
    }

    #[test]
    fn pointers_map_back_to_spans() {
        let root = load_ok("jobs:\n  train:\n    inputs:\n      x: 1\n");
        let span = root.span_at("/jobs/train/inputs/x");
        assert_eq!((span.start.line, span.start.column), (4, 10));
        let key = root.key_span("/jobs/train/inputs/x");
        assert_eq!((key.start.line, key.start.column), (4, 7));
        // A missing leaf points at the deepest existing ancestor.
        assert_eq!(root.span_at("/jobs/train/nope").start.line, 3);
    }
}
