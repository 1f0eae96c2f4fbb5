//! Long-running operations: create the operation record, schedule its effects, and build the
//! `Azure-AsyncOperation` / `Location` / `Retry-After` headers.

use serde_json::{Value, json};

use super::{Ctx, Resp, Ws};
use crate::state::{Change, Operation, Outcome, Pending, State};

/// Which family of status URLs an operation uses (the real service has per-RP names).
#[derive(Debug, Clone, Copy)]
pub enum Family {
    Compute,
    Mfe,
}

impl Family {
    fn status_segment(self) -> &'static str {
        match self {
            Family::Compute => "computeOperationsStatus",
            Family::Mfe => "mfeOperationsStatus",
        }
    }
    fn result_segment(self) -> &'static str {
        match self {
            Family::Compute => "computeOperationResults",
            Family::Mfe => "mfeOperationResults",
        }
    }
}

/// A started operation: its id and whether it will fail (fault injection).
#[derive(Debug, Clone)]
pub struct Started {
    pub id: String,
    pub fails: bool,
    pub due_ms: u64,
}

/// Decide the outcome of a new LRO (fault spec) and reserve its id.
pub fn begin(ctx: &Ctx, state: &mut State, duration_ms: u64) -> Started {
    let n = state.counters.lro;
    state.counters.lro += 1;
    let fails = ctx.faults.lro_fails(n);
    let id = state.next_id(ctx.now);
    Started {
        id,
        fails,
        due_ms: ctx.now.saturating_add(duration_ms),
    }
}

/// Record the operation; `result_key` is the resource the `Location` URL returns when done.
pub fn record(
    ctx: &Ctx,
    state: &mut State,
    started: &Started,
    result_key: Option<String>,
    failure: Option<Value>,
) {
    let (outcome, error) = if started.fails {
        (
            Outcome::Failed,
            Some(failure.unwrap_or_else(|| {
                json!({"code": "InternalServerError", "message": "The operation failed (injected by the emulator's lro-fail fault).", "details": []})
            })),
        )
    } else {
        (Outcome::Succeeded, None)
    };
    state.operations.insert(
        started.id.clone(),
        Operation {
            id: started.id.clone(),
            start_ms: ctx.now,
            due_ms: started.due_ms,
            outcome,
            error,
            result_key,
        },
    );
    state.dirty = true;
}

/// A scheduled JSON-pointer write.
pub fn set_at(due_ms: u64, pointer: &str, value: Value) -> Pending {
    Pending {
        due_ms,
        change: Change::Set {
            pointer: pointer.to_string(),
            value,
        },
    }
}

/// A scheduled removal.
pub fn remove_at(due_ms: u64) -> Pending {
    Pending {
        due_ms,
        change: Change::Remove,
    }
}

fn op_base(ctx: &Ctx, w: &Ws, family: Family) -> String {
    format!(
        "{}/subscriptions/{}/providers/Microsoft.MachineLearningServices/locations/{}",
        ctx.base_url, w.spec.subscription, w.spec.location
    ) + "/"
        + family.status_segment()
}

/// `Azure-AsyncOperation` URL of an operation.
pub fn status_url(ctx: &Ctx, w: &Ws, family: Family, id: &str) -> String {
    format!(
        "{}/{id}?api-version={}",
        op_base(ctx, w, family),
        w.api_version
    )
}

/// `Location` URL of an operation.
pub fn result_url(ctx: &Ctx, w: &Ws, family: Family, id: &str) -> String {
    format!(
        "{}/subscriptions/{}/providers/Microsoft.MachineLearningServices/locations/{}/{}/{id}?api-version={}",
        ctx.base_url,
        w.spec.subscription,
        w.spec.location,
        family.result_segment(),
        w.api_version
    )
}

/// Add `Azure-AsyncOperation` (+ `Location` when `location`) and `Retry-After`.
pub fn headers(ctx: &Ctx, w: &Ws, family: Family, id: &str, resp: Resp, location: bool) -> Resp {
    let mut r = resp.with_header("Azure-AsyncOperation", status_url(ctx, w, family, id));
    if location {
        r = r.with_header("Location", result_url(ctx, w, family, id));
    }
    retry_after(ctx, r)
}

/// The poll delay: `Retry-After: N` (seconds), or, when the configured delay is 0,
/// `retry-after-ms: 10` instead. azure-core reads `Retry-After: 0` as "no delay given" and then
/// waits its default 30 s, while it honours `retry-after-ms`.
pub fn retry_after(ctx: &Ctx, r: Resp) -> Resp {
    match ctx.timings.retry_after_secs {
        0 => r.with_header("retry-after-ms", "10"),
        n => r.with_header("Retry-After", n.to_string()),
    }
}

/// Unfinished operations that would return `key` (a create or update in flight) end
/// `Canceled` now: the resource is being deleted under them.
pub fn cancel_pending_for(ctx: &Ctx, state: &mut State, key: &str) {
    for op in state.operations.values_mut() {
        if op.result_key.as_deref() == Some(key) && !op.done(ctx.now) {
            op.outcome = Outcome::Canceled;
            op.error = None;
            op.due_ms = ctx.now;
            state.dirty = true;
        }
    }
}
