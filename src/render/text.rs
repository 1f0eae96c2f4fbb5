//! The terminal view: Terraform-like symbols (see [`symbols`](super::symbols)), per-field
//! `before → after`, `# forces replacement` markers, warnings, errors and the summary line.
//! ANSI colour only when asked (the CLI decides from `NO_COLOR` and the TTY).

use std::fmt::Write as _;

use super::{compact, leaves, reason_text, summary_line, symbols};
use crate::plan::{Action, Change, FieldChange, Plan};

/// How to draw.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    pub color: bool,
    /// List at most this many unmanaged/orphaned addresses and plain unchanged resources (0: all).
    pub max_listed: usize,
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const MAGENTA: &str = "\x1b[35m";
const CYAN: &str = "\x1b[36m";
const DIM: &str = "\x1b[2m";

struct Painter {
    on: bool,
}

impl Painter {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

fn action_color(action: Action) -> &'static str {
    match action {
        Action::Create | Action::Submit => GREEN,
        Action::Update => YELLOW,
        Action::Replace => MAGENTA,
        Action::Delete | Action::Cancel => RED,
        Action::Start | Action::Stop => CYAN,
        Action::NoOp => RED,
    }
}

/// Render a plan for a terminal.
pub fn render(plan: &Plan, opts: &TextOptions) -> String {
    let p = Painter { on: opts.color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Target: {} ({})",
        plan.target.name, plan.target.workspace_id
    );
    if let Some(commit) = &plan.commit {
        let _ = writeln!(out, "Commit: {commit}");
    }
    out.push('\n');
    if let Some(git) = &plan.git {
        super::git_section_text(&mut out, git);
    }

    let writes: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| symbols::is_shown(c))
        .collect();
    if !writes.is_empty() {
        let _ = writeln!(out, "amlctl will perform the following actions:\n");
        for change in &writes {
            change_block(&mut out, change, &p);
        }
    }
    // Every declared resource that does not change is listed (so the count below is the
    // list's length): those with a status, warning or next runs in full, the plain ones up to
    // `max_listed`, then counted.
    let unchanged: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| !symbols::is_shown(c))
        .collect();
    if !unchanged.is_empty() {
        let _ = writeln!(out, "Unchanged:");
        let mut plain_listed = 0;
        let mut plain_hidden = 0;
        for c in &unchanged {
            let detailed = c.status.is_some() || !c.warnings.is_empty() || !c.next_runs.is_empty();
            if !detailed {
                if opts.max_listed != 0 && plain_listed >= opts.max_listed {
                    plain_hidden += 1;
                    continue;
                }
                plain_listed += 1;
            }
            let status = c
                .status
                .as_deref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {} ({}){status}",
                p.paint(DIM, "="),
                c.address,
                c.type_label
            );
            next_runs(&mut out, c, &p);
            warnings(&mut out, c, &p);
        }
        if plain_hidden > 0 {
            let _ = writeln!(out, "  ... and {plain_hidden} more");
        }
        out.push('\n');
        let _ = writeln!(out, "{} declared resource(s) unchanged.", unchanged.len());
    }
    address_list(
        &mut out,
        &plan.orphaned,
        "created by amlctl but no longer declared (kept; plan with --prune to delete)",
        opts,
    );
    address_list(
        &mut out,
        &plan.unmanaged,
        "in the workspace but not managed by amlctl (left alone)",
        opts,
    );

    if !plan.errors.is_empty() {
        out.push('\n');
        for e in &plan.errors {
            let _ = writeln!(
                out,
                "{} {}: {}",
                p.paint(&format!("{BOLD}{RED}"), "Error:"),
                e.address,
                e.message
            );
        }
    }
    out.push('\n');
    let _ = writeln!(out, "{}", p.paint(BOLD, &summary_line(plan)));
    if !plan.errors.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                RED,
                &format!(
                    "The plan has {} error(s) and cannot be applied.",
                    plan.errors.len()
                )
            )
        );
    }
    out
}

fn change_block(out: &mut String, c: &Change, p: &Painter) {
    let primary = symbols::primary(c);
    let color = action_color(primary);
    let _ = writeln!(
        out,
        "  {} {} ({}): {}",
        p.paint(color, &format!("{:>3}", symbols::symbols(c))),
        p.paint(BOLD, &c.address.to_string()),
        c.type_label,
        symbols::verbs(c)
    );
    let indent = "        ";
    if let Some(source) = &c.source {
        let _ = writeln!(
            out,
            "{indent}{}",
            p.paint(DIM, &format!("source: {source}"))
        );
    }
    if let Some(status) = &c.status {
        let _ = writeln!(
            out,
            "{indent}{}",
            p.paint(DIM, &format!("status: {status}"))
        );
    }
    next_runs(out, c, p);
    for reason in c.reasons.iter().filter_map(reason_text) {
        let _ = writeln!(out, "{indent}{}", p.paint(DIM, &format!("# {reason}")));
    }
    match primary {
        Action::Create | Action::Submit => {
            if let Some(after) = &c.after {
                for (path, value) in leaves(after) {
                    let _ = writeln!(
                        out,
                        "{indent}{} {path} = {}",
                        p.paint(GREEN, "+"),
                        compact(value)
                    );
                }
            }
        }
        _ => {
            let mut shown_whys: Vec<String> = Vec::new();
            for f in &c.field_changes {
                field_line(out, c, f, p, &mut shown_whys);
            }
        }
    }
    warnings(out, c, p);
    out.push('\n');
}

fn field_line(
    out: &mut String,
    c: &Change,
    f: &FieldChange,
    p: &Painter,
    shown_whys: &mut Vec<String>,
) {
    let indent = "        ";
    let (sym, color, body) = match (&f.before, &f.after) {
        (Some(b), Some(a)) => (
            "~",
            YELLOW,
            format!("{}: {} → {}", f.path, compact(b), compact(a)),
        ),
        (None, Some(a)) => ("+", GREEN, format!("{}: {}", f.path, compact(a))),
        (Some(b), None) => ("-", RED, format!("{}: {}", f.path, compact(b))),
        (None, None) => ("~", YELLOW, f.path.clone()),
    };
    let marker = if f.immutable {
        p.paint(RED, "  # cannot change after submission")
    } else if f.forces_replacement {
        p.paint(MAGENTA, "  # forces replacement")
    } else {
        String::new()
    };
    let _ = writeln!(out, "{indent}{} {body}{marker}", p.paint(color, sym));
    if f.forces_replacement {
        let why = c.reasons.iter().find_map(|r| match r {
            crate::plan::ActionReason::ReplaceBecauseOf { path, why } if *path == f.path => {
                Some(why.clone())
            }
            _ => None,
        });
        if let Some(why) = why
            && !shown_whys.contains(&why)
        {
            let _ = writeln!(out, "{indent}    {}", p.paint(DIM, &format!("({why})")));
            shown_whys.push(why);
        }
    }
}

/// A schedule's next fire times, in its time zone.
fn next_runs(out: &mut String, c: &Change, p: &Painter) {
    if !c.next_runs.is_empty() {
        let runs = c.next_runs.join(", ");
        let _ = writeln!(
            out,
            "        {}",
            p.paint(DIM, &format!("next runs: {runs}"))
        );
    }
}

fn warnings(out: &mut String, c: &Change, p: &Painter) {
    for w in &c.warnings {
        let _ = writeln!(
            out,
            "        {} {}",
            p.paint(&format!("{BOLD}{YELLOW}"), "Warning:"),
            w.message
        );
    }
}

fn address_list(
    out: &mut String,
    ids: &[crate::model::ResourceId],
    what: &str,
    opts: &TextOptions,
) {
    if ids.is_empty() {
        return;
    }
    let _ = writeln!(out, "{} resource(s) {what}:", ids.len());
    let shown = if opts.max_listed == 0 {
        ids.len()
    } else {
        ids.len().min(opts.max_listed)
    };
    for id in &ids[..shown] {
        let _ = writeln!(out, "  {id}");
    }
    if shown < ids.len() {
        let _ = writeln!(out, "  ... and {} more", ids.len() - shown);
    }
}
