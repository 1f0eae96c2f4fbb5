//! The pull-request comment: a hidden marker (so a workflow updates its own comment), the summary
//! line and a summary table first, errors, a mermaid picture of the dependency graph, then one
//! collapsed `<details>` section per resource. Longer than the limit (GitHub: 65,536 characters)
//! → per-resource details, then the graph, then table rows are left out, with a note saying so.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{compact, leaves, reason_text, summary_line, symbols};
use crate::model::ResourceId;
use crate::plan::{Action, Change, Plan};

/// GitHub's limit on the body of an issue or pull-request comment, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

#[derive(Clone, Copy, Debug)]
pub struct MarkdownOptions {
    /// Maximum length of the comment, in characters.
    pub limit: usize,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        MarkdownOptions {
            limit: GITHUB_COMMENT_LIMIT,
        }
    }
}

/// The marker a workflow looks for to update the same comment.
pub fn marker(target: &str) -> String {
    format!("<!-- amlctl-plan:{} -->", target.replace("--", "- -"))
}

/// Render one target's plan as a comment body of at most `opts.limit` characters.
pub fn render(plan: &Plan, opts: &MarkdownOptions) -> String {
    let head = head(plan);
    let rows = table_rows(plan);
    let graph = graph(plan);
    let details: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| symbols::is_shown(c))
        .map(details)
        .collect();

    let assemble =
        |rows: &[String], graph: Option<&str>, details: &[String], note: Option<String>| {
            let mut out = head.clone();
            if !rows.is_empty() {
                out.push_str("| | Resource | Type | Action | Notes |\n|---|---|---|---|---|\n");
                for r in rows {
                    out.push_str(r);
                }
                out.push('\n');
            }
            if let Some(g) = graph {
                out.push_str(g);
            }
            for d in details {
                out.push_str(d);
            }
            if let Some(n) = note {
                out.push_str(&n);
            }
            out
        };
    let full = assemble(&rows, graph.as_deref(), &details, None);
    if chars(&full) <= opts.limit {
        return full;
    }
    let note = |left_out: usize, what: &str| {
        format!(
            "\n> [!NOTE]\n> This plan is longer than a comment can hold: {left_out} {what} left out. \
             Run `amlctl plan` (or read the job log) for the full plan.\n"
        )
    };
    // 1. Drop per-resource details from the end.
    for keep in (0..details.len()).rev() {
        let n = note(details.len() - keep, "resource detail section(s)");
        let body = assemble(&rows, graph.as_deref(), &details[..keep], Some(n));
        if chars(&body) <= opts.limit {
            return body;
        }
    }
    // 2. Drop the graph, then table rows.
    for keep in (0..=rows.len()).rev() {
        let n = note(
            details.len() + (rows.len() - keep) + 1,
            "detail section(s), table row(s) and the dependency graph",
        );
        let body = assemble(&rows[..keep], None, &[], Some(n));
        if chars(&body) <= opts.limit {
            return body;
        }
    }
    // 3. The head alone is too long (many errors): cut it.
    let n = note(details.len() + rows.len() + 1, "sections");
    let budget = opts.limit.saturating_sub(chars(&n));
    let mut cut: String = head.chars().take(budget).collect();
    cut.push_str(&n);
    cut.chars().take(opts.limit).collect()
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn head(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", marker(&plan.target.name));
    let _ = writeln!(out, "### amlctl plan: `{}`\n", esc(&plan.target.name));
    let _ = write!(out, "Workspace: `{}`", esc(&plan.target.workspace_id));
    if let Some(commit) = &plan.commit {
        let _ = write!(out, " · commit `{}`", esc(commit));
    }
    out.push_str("\n\n");
    if let Some(git) = &plan.git {
        git_section(&mut out, git);
    }
    let _ = writeln!(out, "**{}**\n", summary_line(plan));
    let s = plan.summary();
    let mut extra = Vec::new();
    let unchanged = plan
        .changes
        .iter()
        .filter(|c| !symbols::is_shown(c))
        .count();
    if unchanged > 0 {
        extra.push(format!("{unchanged} unchanged"));
    }
    if s.orphaned > 0 {
        extra.push(format!(
            "{} no longer declared (kept; `--prune` deletes them)",
            s.orphaned
        ));
    }
    if s.unmanaged > 0 {
        extra.push(format!(
            "{} not managed by amlctl (left alone)",
            s.unmanaged
        ));
    }
    if !extra.is_empty() {
        let _ = writeln!(out, "{}\n", extra.join(" · "));
    }
    if !plan.errors.is_empty() {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> **{} error(s): this plan cannot be applied.**",
            plan.errors.len()
        );
        for e in &plan.errors {
            let _ = writeln!(out, "> - `{}`: {}", e.address, esc(&e.message));
        }
        out.push('\n');
    }
    let warned: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| !c.warnings.is_empty())
        .collect();
    if !warned.is_empty() {
        out.push_str("> [!WARNING]\n");
        for c in warned {
            for w in &c.warnings {
                let _ = writeln!(out, "> - `{}`: {}", c.address, esc(&w.message));
            }
        }
        out.push('\n');
    }
    out
}

/// The manifests the branch changes (at most [`super::MAX_GIT_LISTED`]), before the plan.
fn git_section(out: &mut String, git: &crate::plan::GitChanges) {
    let short = git.base_commit.get(..12).unwrap_or(&git.base_commit);
    let _ = writeln!(
        out,
        "#### Manifests changed on this branch\n\nCompared with `{}` (`{}`): {} manifest(s), {} resource(s){}.\n",
        esc(&git.base),
        esc(short),
        git.manifests.len(),
        git.changed_resources.len(),
        if git.changed_only {
            "; the plan below is limited to them (`--changed-only`)"
        } else {
            ""
        }
    );
    for m in git.manifests.iter().take(super::MAX_GIT_LISTED) {
        let resources: Vec<String> = m.resources.iter().map(|r| format!("`{r}`")).collect();
        let _ = write!(out, "- {} `{}`", super::change_word(m.change), esc(&m.path));
        if !resources.is_empty() {
            let _ = write!(out, ": {}", resources.join(", "));
        }
        out.push('\n');
    }
    if git.manifests.len() > super::MAX_GIT_LISTED {
        let _ = writeln!(
            out,
            "- … and {} more",
            git.manifests.len() - super::MAX_GIT_LISTED
        );
    }
    out.push_str("\n#### Plan\n\n");
}

fn table_rows(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|c| symbols::is_shown(c))
        .map(|c| {
            let mut notes = Vec::new();
            let forcing: Vec<String> = c
                .field_changes
                .iter()
                .filter(|f| f.forces_replacement)
                .map(|f| format!("`{}`", esc(&f.path)))
                .collect();
            if !forcing.is_empty() {
                notes.push(format!("forced by {}", forcing.join(", ")));
            }
            if let Some(status) = &c.status {
                notes.push(format!("status: {}", esc(status)));
            }
            if !c.next_runs.is_empty() {
                let runs: Vec<String> = c.next_runs.iter().map(|r| esc(r)).collect();
                notes.push(format!("next runs: {}", runs.join(", ")));
            }
            if !c.warnings.is_empty() {
                notes.push("⚠️ see warnings".to_owned());
            }
            format!(
                "| `{}` | `{}` | {} | {} | {} |\n",
                symbols::symbols(c).replace('|', "\\|"),
                c.address,
                esc(&c.type_label),
                symbols::verbs(c),
                notes.join("; ")
            )
        })
        .collect()
}

fn details(c: &Change) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<details><summary><code>{} {}</code> ({}): {}</summary>\n",
        html(&symbols::symbols(c)),
        html(&c.address.to_string()),
        html(&c.type_label),
        symbols::verbs(c)
    );
    if let Some(source) = &c.source {
        let _ = writeln!(out, "Declared in `{}`.\n", esc(source));
    }
    let reasons: Vec<String> = c.reasons.iter().filter_map(reason_text).collect();
    for reason in &reasons {
        let _ = writeln!(out, "- {}", esc(reason));
    }
    if !reasons.is_empty() {
        out.push('\n');
    }
    let primary = symbols::primary(c);
    if matches!(primary, Action::Create | Action::Submit) {
        if let Some(after) = &c.after {
            out.push_str("| Field | Value |\n|---|---|\n");
            for (path, v) in leaves(after) {
                let _ = writeln!(out, "| `{}` | {} |", esc(&path), cell(v));
            }
        }
    } else if !c.field_changes.is_empty() {
        out.push_str("| Field | Before | After | |\n|---|---|---|---|\n");
        for f in &c.field_changes {
            let why = c
                .reasons
                .iter()
                .find_map(|r| match r {
                    crate::plan::ActionReason::ReplaceBecauseOf { path, why }
                        if *path == f.path =>
                    {
                        Some(why.as_str())
                    }
                    _ => None,
                })
                .unwrap_or("");
            let flag = if f.immutable {
                "**cannot change after submission**".to_owned()
            } else if f.forces_replacement {
                format!("**forces replacement**: {}", esc(why))
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                esc(&f.path),
                f.before.as_ref().map(cell).unwrap_or_default(),
                f.after.as_ref().map(cell).unwrap_or_default(),
                flag
            );
        }
    }
    out.push_str("\n</details>\n\n");
    out
}

/// The dependency graph of the plan's writes (and the unchanged resources they depend on).
fn graph(plan: &Plan) -> Option<String> {
    let by_id: BTreeMap<&ResourceId, &Change> =
        plan.changes.iter().map(|c| (&c.address, c)).collect();
    let mut edges = Vec::new();
    let mut nodes: BTreeMap<&ResourceId, usize> = BTreeMap::new();
    for c in plan.changes.iter().filter(|c| !c.is_noop()) {
        for dep in &c.depends_on {
            edges.push((dep, &c.address));
            nodes.insert(dep, 0);
        }
        nodes.insert(&c.address, 0);
    }
    if edges.is_empty() {
        return None;
    }
    for (i, n) in nodes.values_mut().enumerate() {
        *n = i;
    }
    let mut out =
        String::from("<details><summary>Dependency graph</summary>\n\n```mermaid\ngraph LR\n");
    for (id, n) in &nodes {
        let (label, class) = match by_id.get(id) {
            Some(c) => (
                format!("{} {}", symbols::symbols(c), id),
                class_of(symbols::primary(c)),
            ),
            None => (id.to_string(), "noop"),
        };
        let _ = writeln!(
            out,
            "  n{n}[\"{}\"]:::{class}",
            label.replace('"', "#quot;")
        );
    }
    for (from, to) in edges {
        let (Some(a), Some(b)) = (nodes.get(from), nodes.get(to)) else {
            continue;
        };
        // Deletes run the other way round: the dependent goes first.
        let deleting = by_id
            .get(to)
            .is_some_and(|c| c.actions.contains(&Action::Delete));
        if deleting {
            let _ = writeln!(out, "  n{b} -. before .-> n{a}");
        } else {
            let _ = writeln!(out, "  n{a} --> n{b}");
        }
    }
    out.push_str(
        "  classDef create fill:#e6ffed,stroke:#2da44e\n  classDef update fill:#fff8c5,stroke:#bf8700\n  \
         classDef replace fill:#fbefff,stroke:#8250df\n  classDef delete fill:#ffebe9,stroke:#cf222e\n  \
         classDef power fill:#ddf4ff,stroke:#0969da\n  classDef noop fill:#f6f8fa,stroke:#8c959f\n",
    );
    out.push_str("```\n\n</details>\n\n");
    Some(out)
}

fn class_of(action: Action) -> &'static str {
    match action {
        Action::Create | Action::Submit => "create",
        Action::Update => "update",
        Action::Replace => "replace",
        Action::Delete | Action::Cancel => "delete",
        Action::Start | Action::Stop => "power",
        Action::NoOp => "noop",
    }
}

/// A JSON value in a table cell.
fn cell(v: &serde_json::Value) -> String {
    format!("<code>{}</code>", html(&compact(v)).replace('|', "&#124;"))
}

/// Escape text for markdown (inline, table-safe).
fn esc(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('`', "'")
        .replace('\n', " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
