//! `plan --output github`: workflow commands that annotate the manifests of a pull request
//! (`::notice` for a change, `::warning` for a replacement, a delete or a plan warning, `::error`
//! for a plan error, each on the declaring manifest's file and line when there is one), and the
//! markdown plan appended to the job summary.

use std::io::Write;
use std::path::Path;

use miette::{IntoDiagnostic, WrapErr};

use crate::plan::{Action, Change, Plan};
use crate::render;

/// One workflow command per change, warning and error, in the plan's order.
pub fn annotations(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for c in plan.changes.iter().filter(|c| !c.is_noop()) {
        let level = if c
            .actions
            .iter()
            .any(|a| matches!(a, Action::Replace | Action::Delete | Action::Cancel))
        {
            "warning"
        } else {
            "notice"
        };
        let verbs: Vec<String> = c
            .actions
            .iter()
            .map(|a| {
                serde_json::to_value(a)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect();
        let fields: Vec<&str> = c.field_changes.iter().map(|f| f.path.as_str()).collect();
        let mut message = format!(
            "{} ({}) will be: {}",
            c.address,
            c.type_label,
            verbs.join(", ")
        );
        if !fields.is_empty() {
            message.push_str(&format!("; fields: {}", fields.join(", ")));
        }
        out.push(command(
            level,
            c,
            &format!("amlctl plan: {}", c.address),
            &message,
        ));
        for w in &c.warnings {
            out.push(command(
                "warning",
                c,
                &format!("amlctl plan: {}", c.address),
                &w.message,
            ));
        }
    }
    for e in &plan.errors {
        let located = plan.changes.iter().find(|c| c.address == e.address);
        let title = format!("amlctl plan: {}", e.address);
        out.push(match located {
            Some(c) => command("error", c, &title, &e.message),
            None => format!(
                "::error title={}::{}",
                escape_property(&title),
                escape_data(&e.message)
            ),
        });
    }
    out
}

fn command(level: &str, change: &Change, title: &str, message: &str) -> String {
    let location = change
        .source
        .as_deref()
        .map(|source| match source.rsplit_once(':') {
            Some((file, line)) if line.parse::<usize>().is_ok() => {
                format!("file={},line={line},", escape_property(file))
            }
            _ => format!("file={},", escape_property(source)),
        });
    format!(
        "::{level} {}title={}::{}",
        location.unwrap_or_default(),
        escape_property(title),
        escape_data(message)
    )
}

/// Append the markdown plan to the job summary file.
pub fn append_summary(path: &Path, plan: &Plan) -> miette::Result<()> {
    let md = render::markdown::render(plan, &render::markdown::MarkdownOptions::default());
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot open the job summary {}", path.display()))?;
    file.write_all(md.as_bytes()).into_diagnostic()?;
    if !md.ends_with('\n') {
        file.write_all(b"\n").into_diagnostic()?;
    }
    Ok(())
}

/// Escapes the message of a GitHub Actions workflow command.
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property (`file=`, `title=`) of a GitHub Actions workflow command.
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, ResourceId};
    use crate::plan::{PlanError, PlanTarget};

    fn change(name: &str, actions: Vec<Action>, source: Option<&str>) -> Change {
        serde_json::from_value(serde_json::json!({
            "address": format!("compute.{name}"),
            "type_label": "AmlCompute",
            "actions": actions,
            "reasons": [],
            "before": null,
            "after": null,
            "field_changes": [],
            "depends_on": [],
            "warnings": [],
            "source": source,
        }))
        .unwrap()
    }

    #[test]
    fn changes_and_errors_annotate_their_manifest_line() {
        let mut plan = Plan::new(PlanTarget {
            name: "dev".into(),
            workspace_id: "/w".into(),
        });
        plan.changes = vec![
            change("a", vec![Action::Create], Some("ml/a,b.yml:3")),
            change("b", vec![Action::Delete], None),
            change("c", vec![Action::NoOp], Some("ml/c.yml:1")),
        ];
        plan.errors = vec![PlanError {
            address: ResourceId::new(Kind::Compute, "a"),
            message: "50%\nbad".into(),
        }];
        let lines = annotations(&plan);
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert_eq!(
            lines[0],
            "::notice file=ml/a%2Cb.yml,line=3,title=amlctl plan%3A compute.a::compute.a (AmlCompute) will be: create"
        );
        assert!(
            lines[1].starts_with("::warning title=amlctl plan%3A compute.b::"),
            "{}",
            lines[1]
        );
        assert_eq!(
            lines[2],
            "::error file=ml/a%2Cb.yml,line=3,title=amlctl plan%3A compute.a::50%25%0Abad"
        );
    }
}
