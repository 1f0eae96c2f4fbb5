//! The symbol and words of each action, shared by the text and markdown views.
//!
//! | action | symbol | | action | symbol |
//! |---|---|---|---|---|
//! | create | `+` | | start | `>` |
//! | update in place | `~` | | stop | `\|\|` |
//! | replace | `-/+` | | submit (job) | `+` |
//! | delete | `-` | | cancel (job) | `x` |
//! | no-op | `=` | | blocked (error) | `!` |

use crate::plan::{Action, Change};

pub fn symbol(action: Action) -> &'static str {
    match action {
        Action::NoOp => "=",
        Action::Create | Action::Submit => "+",
        Action::Update => "~",
        Action::Replace => "-/+",
        Action::Delete => "-",
        Action::Start => ">",
        Action::Stop => "||",
        Action::Cancel => "x",
    }
}

/// What happens, as words (`update in place`).
pub fn verb(action: Action) -> &'static str {
    match action {
        Action::NoOp => "no changes",
        Action::Create => "create",
        Action::Update => "update in place",
        Action::Replace => "replace",
        Action::Delete => "delete",
        Action::Start => "start",
        Action::Stop => "stop",
        Action::Submit => "submit",
        Action::Cancel => "cancel",
    }
}

/// A change that would rewrite something that cannot change (a job redefined under its name):
/// no action, field changes to show, and an error in the plan.
pub fn is_blocked(change: &Change) -> bool {
    change.is_noop() && change.field_changes.iter().any(|f| f.immutable)
}

/// Shown in the list of changes: writes and blocked changes.
pub fn is_shown(change: &Change) -> bool {
    !change.is_noop() || is_blocked(change)
}

/// The change's main action: the first write (`Create` in `[Create, Stop]`).
pub fn primary(change: &Change) -> Action {
    change
        .actions
        .iter()
        .copied()
        .find(|a| a.is_write())
        .unwrap_or(Action::NoOp)
}

/// Symbols of all the change's writes (`+ ||`).
pub fn symbols(change: &Change) -> String {
    if is_blocked(change) {
        return "!".to_owned();
    }
    let syms: Vec<&str> = change
        .actions
        .iter()
        .filter(|a| a.is_write())
        .map(|a| symbol(*a))
        .collect();
    if syms.is_empty() {
        symbol(Action::NoOp).to_owned()
    } else {
        syms.join(" ")
    }
}

/// Words of all the change's writes (`create, then stop`).
pub fn verbs(change: &Change) -> String {
    if is_blocked(change) {
        return "cannot change (see errors)".to_owned();
    }
    let words: Vec<&str> = change
        .actions
        .iter()
        .filter(|a| a.is_write())
        .map(|a| verb(*a))
        .collect();
    if words.is_empty() {
        verb(Action::NoOp).to_owned()
    } else {
        words.join(", then ")
    }
}
