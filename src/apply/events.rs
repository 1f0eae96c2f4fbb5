//! What apply reports while it runs. The library never prints: the CLI turns events into a live
//! view (TTY) or one line per event (CI).

use std::time::Duration;

use crate::model::ResourceId;
use crate::plan::Action;

/// One thing that happened during an apply.
#[derive(Clone, Debug, PartialEq)]
pub enum ApplyEvent {
    /// An operation on a resource started.
    Started { address: ResourceId, action: Action },
    /// A step inside an operation (e.g. "uploading code", "waiting for Creating").
    Progress {
        address: ResourceId,
        message: String,
    },
    /// The resource reached its desired state.
    Succeeded {
        address: ResourceId,
        actions: Vec<Action>,
        elapsed: Duration,
    },
    /// The operation failed; dependants will be skipped.
    Failed {
        address: ResourceId,
        error: String,
        elapsed: Duration,
    },
    /// Not attempted because something it depends on failed.
    Skipped {
        address: ResourceId,
        because: ResourceId,
    },
    /// Not attempted because the apply was interrupted.
    NotStarted { address: ResourceId },
    /// The service accepted a write but the read-back differs from the desired state.
    NotApplied {
        address: ResourceId,
        fields: Vec<String>,
    },
}

/// Receives apply events (from several tasks at once).
pub trait ApplyObserver: Send + Sync {
    fn event(&self, event: ApplyEvent);
}

/// Discards events (tests, benchmarks).
pub struct Silent;

impl ApplyObserver for Silent {
    fn event(&self, _event: ApplyEvent) {}
}
