//! Reading manifests: YAML bytes → a tree where every node (keys too) carries its span, and
//! that tree → `serde_json::Value`. No validation happens here; see `crate::validate`.
//!
//! Entry points: [`load`] (bytes → [`Loaded`]), [`Node::to_json`], [`Node::span_at`] (JSON
//! pointer → span), and the [`SourceTree`] abstraction files are read through.

mod load;
mod node;
mod source;

pub use load::{Limits, LoadError, Loaded, load, load_str};
pub use node::{Key, Node, NodeValue, Pos, Span, push_token, tokens};
pub use source::{DiskTree, MemoryTree, SourceTree, normalize};
