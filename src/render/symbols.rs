//! The symbol and words of each action, shared by the text and markdown views.
//!
//! | action | symbol | | action | symbol |
//! |---|---|---|---|---|
//! | create | `+` | | start | `>` |
//! | update in place | `~` | | stop | `\|\|` |
//! | replace | `-/+` | | submit (job) | `+` |
//! | delete | `-` | | cancel (job) | `x` |
//! | no-op | `=` | | | |

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

/// The change's main action: the first write (`Create` in `[Create, Stop]`).
pub fn primary(change: &Change) -> Action {
    change.actions.iter().copied().find(|a| a.is_write()).unwrap_or(Action::NoOp)
}

/// Symbols of all the change's writes (`+ ||`).
pub fn symbols(change: &Change) -> String {
    let syms: Vec<&str> = change.actions.iter().filter(|a| a.is_write()).map(|a| symbol(*a)).collect();
    if syms.is_empty() { symbol(Action::NoOp).to_owned() } else { syms.join(" ") }
}

/// Words of all the change's writes (`create, then stop`).
pub fn verbs(change: &Change) -> String {
    let words: Vec<&str> = change.actions.iter().filter(|a| a.is_write()).map(|a| verb(*a)).collect();
    if words.is_empty() { verb(Action::NoOp).to_owned() } else { words.join(", then ") }
}
