//! The emulator's state: every resource is the JSON document the service would return, keyed by
//! its lower-cased ARM id, plus *scheduled changes* (JSON-pointer writes or a removal) that fall
//! due on the wall clock. Provisioning states, compute-instance `state` and job `status` walk by
//! these scheduled changes, applied lazily by [`State::advance`] before each request.
//!
//! Invariant: bodies are stored already sanitised (no secrets, read-only fields set by the
//! emulator), so handlers can return them as they are.

mod persist;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use persist::{encode, load, save, write};

/// Kind of a stored resource; decides which collection it is listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Compute,
    Schedule,
    Job,
    Datastore,
    EnvironmentContainer,
    EnvironmentVersion,
    CodeContainer,
    CodeVersion,
    ComponentContainer,
    ComponentVersion,
}

/// One resource and its scheduled changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub kind: Kind,
    pub body: Value,
    /// Sorted by `due_ms`.
    #[serde(default)]
    pub pending: Vec<Pending>,
}

/// A change that happens at `due_ms` (epoch milliseconds).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub due_ms: u64,
    pub change: Change,
}

/// What a scheduled change does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Change {
    /// Write `value` at the JSON pointer (intermediate objects are created).
    Set { pointer: String, value: Value },
    /// Remove the resource.
    Remove,
}

/// Final outcome of an asynchronous operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Succeeded,
    Failed,
    Canceled,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "Succeeded",
            Outcome::Failed => "Failed",
            Outcome::Canceled => "Canceled",
        }
    }
}

/// An asynchronous (long-running) operation, served at its `Azure-AsyncOperation` and `Location` URLs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Operation {
    pub id: String,
    pub start_ms: u64,
    pub due_ms: u64,
    pub outcome: Outcome,
    /// ARM error object when `outcome` is Failed.
    pub error: Option<Value>,
    /// Resource key whose body the `Location` URL returns when finished (PUT-like operations);
    /// `None`: the `Location` URL answers 204.
    pub result_key: Option<String>,
}

impl Operation {
    /// `InProgress` or the outcome, at `now`.
    pub fn status(&self, now: u64) -> &'static str {
        if now >= self.due_ms {
            self.outcome.as_str()
        } else {
            "InProgress"
        }
    }
    pub fn done(&self, now: u64) -> bool {
        now >= self.due_ms
    }
}

/// A stored blob (bytes kept in memory only; the hash and size persist).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Blob {
    pub sha256: String,
    pub size: u64,
    pub content_type: Option<String>,
    pub content_md5: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub modified_ms: u64,
    pub etag: String,
    #[serde(skip)]
    pub content: Option<bytes::Bytes>,
    /// The blob's lease (Lease Blob), if one was ever acquired and not released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
}

/// A blob lease. Its state (`leased`, `expired`, `breaking`, `broken`) follows from the clock:
/// see [`Lease::state`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub id: String,
    /// Seconds it was acquired (or last renewed) for; `-1` = infinite.
    pub duration_secs: i64,
    /// Epoch ms when it expires (or, while breaking, when the break completes); `None` =
    /// infinite.
    pub until_ms: Option<u64>,
    /// Set by Break.
    pub breaking: bool,
}

/// `x-ms-lease-state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseState {
    Available,
    Leased,
    Expired,
    Breaking,
    Broken,
}

impl LeaseState {
    pub fn as_str(self) -> &'static str {
        match self {
            LeaseState::Available => "available",
            LeaseState::Leased => "leased",
            LeaseState::Expired => "expired",
            LeaseState::Breaking => "breaking",
            LeaseState::Broken => "broken",
        }
    }

    /// Leased or breaking: writes need the lease id.
    pub fn is_active(self) -> bool {
        matches!(self, LeaseState::Leased | LeaseState::Breaking)
    }
}

impl Lease {
    pub fn state(&self, now: u64) -> LeaseState {
        let over = self.until_ms.is_some_and(|u| u <= now);
        match (self.breaking, over) {
            (true, true) => LeaseState::Broken,
            (true, false) => LeaseState::Breaking,
            (false, true) => LeaseState::Expired,
            (false, false) => LeaseState::Leased,
        }
    }
}

impl Blob {
    pub fn lease_state(&self, now: u64) -> LeaseState {
        self.lease
            .as_ref()
            .map_or(LeaseState::Available, |l| l.state(now))
    }
}

/// Monotonic counters that must survive restarts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counters {
    /// Long-running operations started (drives `FaultSpec::lro_fails`).
    pub lro: u64,
    /// Ids handed out (operation ids, upload ids, etags).
    pub ids: u64,
}

/// Everything the emulator knows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    pub resources: BTreeMap<String, Entry>,
    pub operations: BTreeMap<String, Operation>,
    pub blobs: BTreeMap<String, Blob>,
    pub counters: Counters,
    /// Set by mutating handlers; the server persists and clears it.
    #[serde(skip)]
    pub dirty: bool,
    /// Number of changes so far in this process (the server persists up to a generation).
    #[serde(skip)]
    pub generation: u64,
}

/// How long a finished operation stays queryable.
pub const OPERATION_TTL_MS: u64 = 3_600_000;

/// Lower-cased key of an ARM id (ARM ids compare case-insensitively).
pub fn key(id: &str) -> String {
    id.to_ascii_lowercase()
}

impl State {
    /// Apply every scheduled change due at `now`.
    pub fn advance(&mut self, now: u64) {
        let mut removed = Vec::new();
        for (k, entry) in &mut self.resources {
            if entry.pending.first().is_none_or(|p| p.due_ms > now) {
                continue;
            }
            let (due, later): (Vec<_>, Vec<_>) =
                entry.pending.drain(..).partition(|p| p.due_ms <= now);
            entry.pending = later;
            self.dirty = true;
            for p in due {
                match p.change {
                    Change::Set { pointer, value } => set_pointer(&mut entry.body, &pointer, value),
                    Change::Remove => removed.push(k.clone()),
                }
            }
        }
        for k in removed {
            self.resources.remove(&k);
        }
        // Finished operations are forgotten after an hour, so the state does not grow forever.
        let before = self.operations.len();
        self.operations
            .retain(|_, op| op.due_ms.saturating_add(OPERATION_TTL_MS) > now);
        if self.operations.len() != before {
            self.dirty = true;
        }
    }

    /// A fresh id (hex, unique within this state).
    pub fn next_id(&mut self, now: u64) -> String {
        self.counters.ids += 1;
        format!("{:012x}{:08x}", now, self.counters.ids)
    }

    /// Entries directly under `parent_key` (lower-cased id of the collection, e.g. `.../computes`)
    /// of the given kind, in key order.
    pub fn children(&self, parent_key: &str, kind: Kind) -> Vec<&Entry> {
        let prefix = format!("{parent_key}/");
        self.resources
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, e)| e.kind == kind && !k[prefix.len()..].contains('/'))
            .map(|(_, e)| e)
            .collect()
    }

    /// Entries of `kind` anywhere under `prefix_key`.
    pub fn descendants(&self, prefix_key: &str, kind: Kind) -> Vec<&Entry> {
        let prefix = format!("{prefix_key}/");
        self.resources
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(_, e)| e.kind == kind)
            .map(|(_, e)| e)
            .collect()
    }
}

/// Write `value` at JSON pointer `pointer` (`/a/b/c`), creating objects on the way.
pub fn set_pointer(doc: &mut Value, pointer: &str, value: Value) {
    let mut cur = doc;
    let parts: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((last, init)) = parts.split_last() else {
        *cur = value;
        return;
    };
    for p in init {
        if !cur.is_object() {
            *cur = Value::Object(Default::default());
        }
        let Value::Object(map) = cur else { return };
        cur = map
            .entry(p.clone())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    if !cur.is_object() {
        *cur = Value::Object(Default::default());
    }
    if let Value::Object(map) = cur {
        map.insert(last.clone(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn advance_applies_due_changes_in_order_and_removes() {
        let mut s = State::default();
        s.resources.insert(
            "a".into(),
            Entry {
                kind: Kind::Job,
                body: json!({"properties": {"status": "NotStarted"}}),
                pending: vec![
                    Pending {
                        due_ms: 10,
                        change: Change::Set {
                            pointer: "/properties/status".into(),
                            value: json!("Running"),
                        },
                    },
                    Pending {
                        due_ms: 20,
                        change: Change::Set {
                            pointer: "/properties/status".into(),
                            value: json!("Completed"),
                        },
                    },
                ],
            },
        );
        s.resources.insert(
            "b".into(),
            Entry {
                kind: Kind::Job,
                body: json!({}),
                pending: vec![Pending {
                    due_ms: 15,
                    change: Change::Remove,
                }],
            },
        );
        s.advance(5);
        assert_eq!(s.resources["a"].body["properties"]["status"], "NotStarted");
        s.advance(12);
        assert_eq!(s.resources["a"].body["properties"]["status"], "Running");
        assert!(s.resources.contains_key("b"));
        s.advance(25);
        assert_eq!(s.resources["a"].body["properties"]["status"], "Completed");
        assert!(!s.resources.contains_key("b"));
        assert!(s.resources["a"].pending.is_empty());
    }

    #[test]
    fn finished_operations_expire() {
        let mut s = State::default();
        let op = |due_ms| Operation {
            id: "x".into(),
            start_ms: 0,
            due_ms,
            outcome: Outcome::Succeeded,
            error: None,
            result_key: None,
        };
        s.operations.insert("old".into(), op(10));
        s.operations.insert("new".into(), op(OPERATION_TTL_MS));
        s.advance(OPERATION_TTL_MS + 10);
        assert!(!s.operations.contains_key("old"));
        assert!(s.operations.contains_key("new"));
    }

    #[test]
    fn set_pointer_creates_objects() {
        let mut v = json!({"a": 1});
        set_pointer(&mut v, "/b/c", json!(true));
        assert_eq!(v, json!({"a": 1, "b": {"c": true}}));
    }

    #[test]
    fn children_are_direct_and_of_kind() {
        let mut s = State::default();
        for k in [
            "/w/computes/a",
            "/w/computes/b",
            "/w/computes/b/x",
            "/w/computesx/c",
        ] {
            s.resources.insert(
                k.into(),
                Entry {
                    kind: Kind::Compute,
                    body: json!(k),
                    pending: vec![],
                },
            );
        }
        let c: Vec<_> = s
            .children("/w/computes", Kind::Compute)
            .iter()
            .map(|e| e.body.clone())
            .collect();
        assert_eq!(c, vec![json!("/w/computes/a"), json!("/w/computes/b")]);
    }
}
