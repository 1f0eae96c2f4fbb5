//! Snapshots of the text, markdown and JSON views of a plan holding every action, and the
//! properties renderers promise (truncation, round trip, colour only when asked).

mod plan_common;

use std::collections::BTreeSet;

use amlctl::diff::diff;
use amlctl::model::PowerState;
use amlctl::plan::Plan;
use amlctl::render::{json, markdown, text};
use plan_common::*;
use serde_json::json;

/// Create, create-then-stop, update, replace (assigned instance, allowed), delete, start, stop,
/// submit, no-op with a job status, an immutable job error, orphaned and unmanaged resources.
fn every_action_plan() -> Plan {
    let mut gpu_ci = desired(
        "compute.gpu-ci",
        "ComputeInstance",
        compute_instance("Standard_NC6"),
    );
    gpu_ci.options.power_state = Some(PowerState::Running);
    let mut dev_ci = desired(
        "compute.dev-ci",
        "ComputeInstance",
        compute_instance("Standard_DS3_v2"),
    );
    dev_ci.options.power_state = Some(PowerState::Running);
    let mut batch_ci = desired(
        "compute.batch-ci",
        "ComputeInstance",
        compute_instance("Standard_DS3_v2"),
    );
    batch_ci.options.power_state = Some(PowerState::Stopped);
    let mut night_ci = desired(
        "compute.night-ci",
        "ComputeInstance",
        compute_instance("Standard_DS3_v2"),
    );
    night_ci.options.power_state = Some(PowerState::Stopped);
    let mut job2 = desired(
        "job.train-2",
        "CommandJob",
        command_job("python train.py --epochs 20"),
    );
    job2.depends_on = BTreeSet::from([id("compute.cpu-cluster")]);
    let mut job_new = desired(
        "job.train-3",
        "CommandJob",
        command_job("python train.py --epochs 30"),
    );
    job_new.body["properties"]["computeId"] = json!(compute_id("new-cluster"));
    job_new.depends_on = BTreeSet::from([id("compute.new-cluster")]);
    let mut sched = desired("schedule.nightly", "Schedule", schedule("0 3 * * *"));
    sched.depends_on = BTreeSet::from([id("compute.cpu-cluster")]);

    let d = desired_state(vec![
        desired(
            "compute.new-cluster",
            "AmlCompute",
            aml_cluster("Standard_DS3_v2", 2),
        ),
        desired(
            "compute.cpu-cluster",
            "AmlCompute",
            aml_cluster("Standard_DS3_v2", 8),
        ),
        gpu_ci,
        dev_ci,
        batch_ci,
        night_ci,
        desired("job.train-1", "CommandJob", command_job("python train.py")),
        desired(
            "job.train-0",
            "CommandJob",
            command_job("python train.py --changed"),
        ),
        job2,
        job_new,
        sched,
    ]);
    let mut assigned = compute_instance_echo("Standard_DS3_v2", "Running");
    assigned["properties"]["properties"]["personalComputeInstanceSettings"] =
        json!({"assignedUser": {"objectId": "user-123", "tenantId": "t"}});
    let l = live_state(vec![
        live(
            "compute.cpu-cluster",
            aml_cluster_echo("Standard_DS3_v2", 4),
            true,
        ),
        live("compute.gpu-ci", assigned, true),
        live(
            "compute.dev-ci",
            compute_instance_echo("Standard_DS3_v2", "Stopped"),
            true,
        ),
        live(
            "compute.batch-ci",
            compute_instance_echo("Standard_DS3_v2", "Running"),
            true,
        ),
        live(
            "compute.old-cluster",
            aml_cluster_echo("Standard_DS3_v2", 2),
            true,
        ),
        live(
            "compute.someone-elses",
            aml_cluster_echo("Standard_DS3_v2", 2),
            false,
        ),
        live(
            "job.train-1",
            command_job_echo("python train.py", "Completed"),
            true,
        ),
        live(
            "job.train-0",
            command_job_echo("python train.py", "Failed"),
            true,
        ),
        live("schedule.nightly", schedule_echo("0 2 * * *"), true),
    ]);
    let mut o = opts();
    o.prune = true;
    o.allow_replace_assigned = true;
    let mut plan = diff(&d, &l, &o);
    plan.commit = Some("0123456789abcdef0123456789abcdef01234567".to_owned());
    plan
}

#[test]
fn text_of_every_action() {
    let plan = every_action_plan();
    insta::assert_snapshot!(
        "plan_text_every_action",
        text::render(&plan, &text::TextOptions::default())
    );
}

#[test]
fn text_colour_only_when_asked() {
    let plan = every_action_plan();
    let plain = text::render(&plan, &text::TextOptions::default());
    let colored = text::render(
        &plan,
        &text::TextOptions {
            color: true,
            max_listed: 0,
        },
    );
    assert!(!plain.contains('\x1b'));
    assert!(colored.contains("\x1b[32m"));
    let stripped = colored
        .split('\x1b')
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                part.split_once('m').map_or(part, |(_, rest)| rest)
            }
        })
        .collect::<String>();
    assert_eq!(stripped, plain, "colour adds escape codes and nothing else");
}

#[test]
fn text_says_when_nothing_changes() {
    let d = desired_state(vec![desired(
        "compute.cpu-cluster",
        "AmlCompute",
        aml_cluster("Standard_DS3_v2", 4),
    )]);
    let l = live_state(vec![live(
        "compute.cpu-cluster",
        aml_cluster_echo("Standard_DS3_v2", 4),
        true,
    )]);
    let out = text::render(&diff(&d, &l, &opts()), &text::TextOptions::default());
    insta::assert_snapshot!("plan_text_no_changes", out);
}

#[test]
fn markdown_of_every_action() {
    let plan = every_action_plan();
    insta::assert_snapshot!(
        "plan_markdown_every_action",
        markdown::render(&plan, &markdown::MarkdownOptions::default())
    );
}

#[test]
fn markdown_is_truncated_to_the_limit_with_a_note() {
    let plan = every_action_plan();
    let full = markdown::render(&plan, &markdown::MarkdownOptions::default());
    assert!(full.starts_with("<!-- amlctl-plan:dev -->\n"));
    assert!(full.contains("```mermaid\ngraph LR\n"));
    assert!(!full.contains("left out"));
    let full_len = full.chars().count();
    for limit in [full_len - 1, full_len / 2, 1500, 400, 50] {
        let cut = markdown::render(&plan, &markdown::MarkdownOptions { limit });
        assert!(
            cut.chars().count() <= limit,
            "limit {limit}: {} chars",
            cut.chars().count()
        );
        if limit >= 400 {
            assert!(
                cut.starts_with("<!-- amlctl-plan:dev -->"),
                "the marker survives at {limit}"
            );
            assert!(
                cut.contains("left out"),
                "a note says what is missing at {limit}"
            );
        }
    }
    let mid = markdown::render(
        &plan,
        &markdown::MarkdownOptions {
            limit: full_len / 2,
        },
    );
    assert!(
        mid.contains("| Resource |"),
        "the summary table comes first and stays"
    );
}

#[test]
fn json_of_every_action() {
    let plan = every_action_plan();
    let out = json::render(&plan).unwrap_or_default();
    insta::assert_snapshot!("plan_json_every_action", out);
}

#[test]
fn json_round_trips_and_adds_the_summary() {
    let plan = every_action_plan();
    let out = json::render(&plan).unwrap_or_default();
    let back = json::parse(&out).ok();
    assert_eq!(back.as_ref(), Some(&plan));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    assert_eq!(v["format_version"], json!("1.0"));
    assert_eq!(v["summary"]["create"], json!(plan.summary().create));
    assert_eq!(v["applicable"], json!(false));
    assert_eq!(v["changes"][0]["kind"], json!("compute"));
}

#[test]
fn markdown_escapes_values_that_would_break_tables_or_html() {
    let mut body = schedule("0 2 * * *");
    body["properties"]["description"] = json!("a | b <script>alert(1)</script> `x`");
    let d = desired_state(vec![desired("schedule.nightly", "Schedule", body)]);
    let l = live_state(vec![live(
        "schedule.nightly",
        schedule_echo("0 2 * * *"),
        true,
    )]);
    let md = markdown::render(
        &diff(&d, &l, &opts()),
        &markdown::MarkdownOptions::default(),
    );
    assert!(!md.contains("<script>"));
    let row = md
        .lines()
        .find(|l| l.starts_with("| `/properties/description`"))
        .unwrap_or_default();
    let unescaped_pipes = row.matches('|').count() - row.matches("\\|").count();
    assert_eq!(unescaped_pipes, 5, "{row}");
}
