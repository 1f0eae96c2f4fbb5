//! The spanned YAML tree: every node (keys included) knows where it came from.

use serde_json::{Map, Number, Value};

/// A position in a source file. `line` and `column` are 1-based (column counted in characters);
/// `byte` is the 0-based byte offset (what miette wants).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
    pub byte: usize,
}

/// A half-open range `[start, end)` of a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    /// Byte length (at least 1 so that labels stay visible on empty nodes).
    pub fn byte_len(&self) -> usize {
        self.end.byte.saturating_sub(self.start.byte)
    }
}

/// One YAML node with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: NodeValue,
}

/// The value of a node, resolved with the YAML 1.2 core schema (quoted scalars are strings).
#[derive(Clone, Debug, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in document order. Keys are the scalar text as written (`1:` gives `"1"`).
    Map(Vec<(Key, Node)>),
}

/// A mapping key: its text and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub text: String,
    pub span: Span,
}

impl Node {
    /// Number of nodes in this subtree (used to bound alias expansion).
    pub fn count(&self) -> usize {
        1 + match &self.value {
            NodeValue::Seq(items) => items.iter().map(Node::count).sum(),
            NodeValue::Map(entries) => entries.iter().map(|(_, v)| 1 + v.count()).sum(),
            _ => 0,
        }
    }

    /// The entries if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            NodeValue::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of `key` if this is a mapping holding it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key and value of `key` if this is a mapping holding it.
    pub fn entry(&self, key: &str) -> Option<(&Key, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(k, v)| (k, v))
    }

    /// Converts the tree into JSON (keys as written, in document order). Recursion is bounded
    /// by the loader's depth limit.
    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::Number(Number::from(*i)),
            NodeValue::Float(f) => Number::from_f64(*f).map_or_else(
                // `.nan` and `.inf` have no JSON form: keep them as their YAML text.
                || Value::String(float_text(*f)),
                Value::Number,
            ),
            NodeValue::Str(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (k, v) in entries {
                    map.insert(k.text.clone(), v.to_json());
                }
                Value::Object(map)
            }
        }
    }

    /// The node at a JSON pointer (RFC 6901), e.g. `/jobs/train/inputs/x`.
    pub fn at_pointer(&self, pointer: &str) -> Option<&Node> {
        self.locate(pointer).map(|(_, node)| node)
    }

    /// The span best describing a JSON pointer: the node itself when it exists, otherwise the
    /// deepest existing ancestor. Pointing at a mapping entry's key instead of its value is
    /// [`Node::key_span`].
    pub fn span_at(&self, pointer: &str) -> Span {
        let mut node = self;
        for token in tokens(pointer) {
            match node.child(&token) {
                Some((_, child)) => node = child,
                None => break,
            }
        }
        node.span
    }

    /// The span of the key that ends a JSON pointer (`/a/b` → the `b:` of mapping `a`), or the
    /// node span when the last step is not a mapping key.
    pub fn key_span(&self, pointer: &str) -> Span {
        match self.locate(pointer) {
            Some((Some(key), _)) => key,
            Some((None, node)) => node.span,
            None => self.span_at(pointer),
        }
    }

    fn locate(&self, pointer: &str) -> Option<(Option<Span>, &Node)> {
        let mut node = self;
        let mut key = None;
        for token in tokens(pointer) {
            let (k, child) = node.child(&token)?;
            key = k;
            node = child;
        }
        Some((key, node))
    }

    fn child(&self, token: &str) -> Option<(Option<Span>, &Node)> {
        match &self.value {
            NodeValue::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.text == token)
                .map(|(k, v)| (Some(k.span), v)),
            NodeValue::Seq(items) => token
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i))
                .map(|n| (None, n)),
            _ => None,
        }
    }
}

fn float_text(f: f64) -> String {
    if f.is_nan() {
        ".nan".to_owned()
    } else if f > 0.0 {
        ".inf".to_owned()
    } else {
        "-.inf".to_owned()
    }
}

/// Splits a JSON pointer into unescaped reference tokens.
pub fn tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
}

/// Appends one reference token to a JSON pointer, escaping it.
pub fn push_token(pointer: &str, token: &str) -> String {
    let escaped = token.replace('~', "~0").replace('/', "~1");
    format!("{pointer}/{escaped}")
}
