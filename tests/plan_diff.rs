//! diff: each action kind from hand-written desired/live JSON, normalisation, replace reasons,
//! safety errors, pruning, power state, job immutability, ordering.

mod plan_common;

use std::collections::BTreeSet;

use amlctl::diff::{SENSITIVE, diff, live_fingerprint};
use amlctl::model::{Kind, PowerState};
use amlctl::plan::{Action, ActionReason, Change, Plan, execution_waves};
use plan_common::*;
use serde_json::json;

fn change<'a>(plan: &'a Plan, address: &str) -> &'a Change {
    plan.changes
        .iter()
        .find(|c| c.address == id(address))
        .unwrap_or_else(|| panic!("no change for {address}"))
}

fn paths(c: &Change) -> Vec<&str> {
    c.field_changes.iter().map(|f| f.path.as_str()).collect()
}

#[test]
fn missing_resources_are_created_and_jobs_submitted() {
    let d = desired_state(vec![
        desired(
            "compute.cpu-cluster",
            "AmlCompute",
            aml_cluster("Standard_DS3_v2", 4),
        ),
        desired("job.train-1", "CommandJob", command_job("python train.py")),
        desired("job.par-1", "ParallelJob", command_job("python score.py")),
    ]);
    let plan = diff(&d, &live_state(vec![]), &opts());
    let c = change(&plan, "compute.cpu-cluster");
    assert_eq!(c.actions, vec![Action::Create]);
    assert_eq!(c.reasons, vec![ActionReason::Missing]);
    assert!(c.before.is_none() && c.live_fingerprint.is_none());
    assert_eq!(
        c.after
            .as_ref()
            .and_then(|a| a.pointer("/properties/properties/vmSize")),
        Some(&json!("Standard_DS3_v2"))
    );
    assert_eq!(c.source.as_deref(), Some("computes/cpu-cluster.yml:1"));
    assert_eq!(change(&plan, "job.train-1").actions, vec![Action::Submit]);
    assert!(
        change(&plan, "job.par-1")
            .reasons
            .contains(&ActionReason::ParallelAsPipeline)
    );
    let s = plan.summary();
    assert_eq!((s.create, s.submit), (1, 2));
    assert!(plan.has_changes() && plan.errors.is_empty());
}

#[test]
fn the_services_echo_is_no_change_for_every_kind() {
    let mut k8s = desired("compute.aks", "Kubernetes", kubernetes(None));
    k8s.secret_paths = vec!["/properties/properties/relayConnectionString".to_owned()];
    let d = desired_state(vec![
        desired(
            "compute.cpu-cluster",
            "AmlCompute",
            aml_cluster("Standard_DS3_v2", 4),
        ),
        desired(
            "compute.ci",
            "ComputeInstance",
            compute_instance("Standard_DS3_v2"),
        ),
        k8s,
        desired("schedule.nightly", "Schedule", schedule("0 2 * * *")),
        desired("job.train-1", "CommandJob", command_job("python train.py")),
    ]);
    let l = live_state(vec![
        live(
            "compute.cpu-cluster",
            aml_cluster_echo("Standard_DS3_v2", 4),
            true,
        ),
        live(
            "compute.ci",
            compute_instance_echo("STANDARD_DS3_V2", "Running"),
            true,
        ),
        live("compute.aks", kubernetes_echo("default"), true),
        live("schedule.nightly", schedule_echo("0 2 * * *"), true),
        live(
            "job.train-1",
            command_job_echo("python train.py", "Running"),
            true,
        ),
    ]);
    let plan = diff(&d, &l, &opts());
    for c in &plan.changes {
        assert_eq!(
            c.actions,
            vec![Action::NoOp],
            "{}: {:?}",
            c.address,
            c.field_changes
        );
    }
    assert!(!plan.has_changes() && plan.errors.is_empty());
    assert_eq!(
        change(&plan, "job.train-1").status.as_deref(),
        Some("Running")
    );
    assert_eq!(
        change(&plan, "compute.ci").status.as_deref(),
        Some("Running")
    );
    // Server fields, the ownership tag and runtime state never reach the plan's bodies.
    let before = change(&plan, "compute.ci")
        .before
        .clone()
        .unwrap_or_default();
    assert!(before.pointer("/properties/properties/state").is_none());
    assert!(before.pointer("/systemData").is_none());
    assert!(before.pointer("/tags/amlctl-managed").is_none());
    let after = change(&plan, "compute.aks")
        .after
        .clone()
        .unwrap_or_default();
    assert_eq!(
        after.pointer("/properties/properties/relayConnectionString"),
        Some(&json!(SENSITIVE))
    );
}

#[test]
fn scale_settings_update_in_place() {
    let d = desired_state(vec![desired(
        "compute.cpu-cluster",
        "AmlCompute",
        aml_cluster("Standard_DS3_v2", 8),
    )]);
    let l = live_state(vec![live(
        "compute.cpu-cluster",
        aml_cluster_echo("Standard_DS3_v2", 4),
        true,
    )]);
    let plan = diff(&d, &l, &opts());
    let c = change(&plan, "compute.cpu-cluster");
    assert_eq!(c.actions, vec![Action::Update]);
    assert_eq!(
        paths(c),
        vec!["/properties/properties/scaleSettings/maxNodeCount"]
    );
    assert_eq!(c.field_changes[0].before, Some(json!(4)));
    assert_eq!(c.field_changes[0].after, Some(json!(8)));
    assert!(!c.field_changes[0].forces_replacement);
    assert!(
        c.live_fingerprint
            .as_deref()
            .is_some_and(|f| f.starts_with("sha256:"))
    );
}

#[test]
fn vm_size_forces_replacement_with_the_reason() {
    let d = desired_state(vec![desired(
        "compute.cpu-cluster",
        "AmlCompute",
        aml_cluster("Standard_NC6", 8),
    )]);
    let l = live_state(vec![live(
        "compute.cpu-cluster",
        aml_cluster_echo("Standard_DS3_v2", 4),
        true,
    )]);
    let plan = diff(&d, &l, &opts());
    let c = change(&plan, "compute.cpu-cluster");
    assert_eq!(c.actions, vec![Action::Replace]);
    let vm = c
        .field_changes
        .iter()
        .find(|f| f.path.ends_with("/vmSize"))
        .expect("vmSize change");
    assert!(vm.forces_replacement);
    assert_eq!(vm.before, Some(json!("STANDARD_DS3_V2")));
    assert_eq!(vm.after, Some(json!("Standard_NC6")));
    assert!(c.reasons.iter().any(|r| matches!(r,
        ActionReason::ReplaceBecauseOf { path, why } if path == "/properties/properties/vmSize" && why.contains("scale settings"))));
    // The scale change rides along but does not itself force anything.
    assert!(
        c.field_changes
            .iter()
            .any(|f| f.path.ends_with("/maxNodeCount") && !f.forces_replacement)
    );
    assert!(plan.errors.is_empty());
}

#[test]
fn an_omitted_field_is_compared_as_the_server_default() {
    let mut echo = aml_cluster_echo("Standard_DS3_v2", 4);
    echo["properties"]["properties"]["vmPriority"] = json!("LowPriority");
    let d = desired_state(vec![desired(
        "compute.cpu-cluster",
        "AmlCompute",
        aml_cluster("Standard_DS3_v2", 4),
    )]);
    let plan = diff(
        &d,
        &live_state(vec![live("compute.cpu-cluster", echo, true)]),
        &opts(),
    );
    let c = change(&plan, "compute.cpu-cluster");
    assert_eq!(c.actions, vec![Action::Replace]);
    assert_eq!(paths(c), vec!["/properties/properties/vmPriority"]);
    assert_eq!(
        c.field_changes[0].after,
        Some(json!("Dedicated")),
        "shows the default, as spelled"
    );
}

#[test]
fn compute_tags_change_in_place_unless_ignored() {
    let mut body = aml_cluster("Standard_DS3_v2", 4);
    body["tags"] = json!({"team": "vision"});
    let d = desired_state(vec![desired(
        "compute.cpu-cluster",
        "AmlCompute",
        body.clone(),
    )]);
    let l = live_state(vec![live(
        "compute.cpu-cluster",
        aml_cluster_echo("Standard_DS3_v2", 4),
        true,
    )]);
    let plan = diff(&d, &l, &opts());
    let c = change(&plan, "compute.cpu-cluster");
    assert_eq!(
        c.actions,
        vec![Action::Update],
        "tags change through the Tags API"
    );
    assert_eq!(
        paths(c),
        vec!["/tags"],
        "the only other tag is the ownership tag, never compared"
    );
    assert!(c.field_changes.iter().all(|f| !f.forces_replacement));

    let mut ignoring = desired("compute.cpu-cluster", "AmlCompute", body);
    ignoring.options.ignore_fields = vec!["/tags".to_owned()];
    let plan = diff(&desired_state(vec![ignoring]), &l, &opts());
    assert_eq!(
        change(&plan, "compute.cpu-cluster").actions,
        vec![Action::NoOp]
    );
}

#[test]
fn unknown_fields_the_service_adds_to_compute_properties_are_not_changes() {
    let mut echo = compute_instance_echo("Standard_DS3_v2", "Running");
    echo["properties"]["properties"]["enableRootAccess"] = json!(true);
    echo["properties"]["properties"]["releaseQuotaOnStop"] = json!(false);
    let d = desired_state(vec![desired(
        "compute.ci",
        "ComputeInstance",
        compute_instance("Standard_DS3_v2"),
    )]);
    let plan = diff(
        &d,
        &live_state(vec![live("compute.ci", echo, true)]),
        &opts(),
    );
    assert_eq!(change(&plan, "compute.ci").actions, vec![Action::NoOp]);
}

#[test]
fn compute_instance_schedules_and_idle_time_update_in_place() {
    let mut body = compute_instance("Standard_DS3_v2");
    body["properties"]["properties"]["idleTimeBeforeShutdown"] = json!("PT60M");
    body["properties"]["properties"]["schedules"]["computeStartStop"][0]["cron"]["expression"] =
        json!("0 19 * * *");
    let d = desired_state(vec![desired("compute.ci", "ComputeInstance", body)]);
    let l = live_state(vec![live(
        "compute.ci",
        compute_instance_echo("Standard_DS3_v2", "Running"),
        true,
    )]);
    let plan = diff(&d, &l, &opts());
    let c = change(&plan, "compute.ci");
    assert_eq!(c.actions, vec![Action::Update]);
    assert_eq!(
        paths(c),
        vec![
            "/properties/properties/idleTimeBeforeShutdown",
            "/properties/properties/schedules/computeStartStop/0/cron/expression"
        ]
    );
}

#[test]
fn protected_resources_are_never_replaced_or_deleted() {
    let mut want = desired(
        "compute.cpu-cluster",
        "AmlCompute",
        aml_cluster("Standard_NC6", 4),
    );
    want.options.protected = true;
    let l = live_state(vec![
        live(
            "compute.cpu-cluster",
            aml_cluster_echo("Standard_DS3_v2", 4),
            true,
        ),
        live("schedule.old", schedule_echo("0 1 * * *"), true),
    ]);
    let mut o = opts();
    o.prune = true;
    o.protected = BTreeSet::from([id("schedule.old")]);
    let plan = diff(&desired_state(vec![want]), &l, &o);
    assert_eq!(plan.errors.len(), 2, "{:?}", plan.errors);
    assert!(
        plan.errors
            .iter()
            .any(|e| e.address == id("compute.cpu-cluster") && e.message.contains("protected"))
    );
    assert!(
        plan.errors
            .iter()
            .any(|e| e.address == id("schedule.old") && e.message.contains("cannot be deleted"))
    );
    assert!(!plan.is_applicable());
}

#[test]
fn replacing_an_assigned_compute_instance_needs_the_allow_flag() {
    let mut echo = compute_instance_echo("Standard_DS3_v2", "Running");
    echo["properties"]["properties"]["personalComputeInstanceSettings"] =
        json!({"assignedUser": {"objectId": "user-123", "tenantId": "t"}});
    echo["properties"]["properties"]["computeInstanceAuthorizationType"] = json!("personal");
    let d = desired_state(vec![desired(
        "compute.ci",
        "ComputeInstance",
        compute_instance("Standard_NC6"),
    )]);
    let l = live_state(vec![live("compute.ci", echo, true)]);

    let plan = diff(&d, &l, &opts());
    let c = change(&plan, "compute.ci");
    assert_eq!(c.actions, vec![Action::Replace]);
    assert!(c.warnings.iter().any(|w| w.message.contains("ASSIGNED TO user-123") && w.message.contains("local disk")));
    assert!(
        plan.errors
            .iter()
            .any(|e| e.message.contains("--allow-replace-assigned"))
    );

    let mut o = opts();
    o.allow_replace_assigned = true;
    let plan = diff(&d, &l, &o);
    assert!(plan.errors.is_empty());
    assert!(
        !change(&plan, "compute.ci").warnings.is_empty(),
        "still loud when allowed"
    );
}

#[test]
fn a_resource_amlctl_does_not_own_is_not_replaced() {
    let d = desired_state(vec![desired(
        "compute.cpu-cluster",
        "AmlCompute",
        aml_cluster("Standard_NC6", 4),
    )]);
    let l = live_state(vec![live(
        "compute.cpu-cluster",
        aml_cluster_echo("Standard_DS3_v2", 4),
        false,
    )]);
    let plan = diff(&d, &l, &opts());
    assert!(
        plan.errors
            .iter()
            .any(|e| e.message.contains("not created by amlctl"))
    );
}

#[test]
fn prune_deletes_only_owned_undeclared_resources() {
    let l = live_state(vec![
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
            "job.old-run",
            command_job_echo("python old.py", "Completed"),
            true,
        ),
        live(
            "job.portal-run",
            command_job_echo("python x.py", "Failed"),
            false,
        ),
    ]);
    let empty = desired_state(vec![]);

    let plan = diff(&empty, &l, &opts());
    assert!(!plan.has_changes());
    assert_eq!(plan.orphaned, vec![id("compute.old-cluster")]);
    assert_eq!(
        plan.unmanaged,
        vec![id("compute.someone-elses"), id("job.portal-run")]
    );

    let mut o = opts();
    o.prune = true;
    let plan = diff(&empty, &l, &o);
    assert_eq!(plan.changes.len(), 1, "jobs are never deleted");
    let c = change(&plan, "compute.old-cluster");
    assert_eq!(c.actions, vec![Action::Delete]);
    assert_eq!(c.reasons, vec![ActionReason::NoLongerDeclared]);
    assert_eq!(c.type_label, "AmlCompute");
    assert!(c.after.is_none() && c.before.is_some() && c.live_fingerprint.is_some());
    assert!(plan.orphaned.is_empty());
    assert_eq!(plan.unmanaged.len(), 2);
}

#[test]
fn power_state_starts_and_stops_compute_instances() {
    let ci = |power| {
        let mut r = desired(
            "compute.ci",
            "ComputeInstance",
            compute_instance("Standard_DS3_v2"),
        );
        r.options.power_state = Some(power);
        r
    };
    let live_in = |state: &str| {
        live_state(vec![live(
            "compute.ci",
            compute_instance_echo("Standard_DS3_v2", state),
            true,
        )])
    };

    let plan = diff(
        &desired_state(vec![ci(PowerState::Running)]),
        &live_in("Stopped"),
        &opts(),
    );
    let c = change(&plan, "compute.ci");
    assert_eq!(c.actions, vec![Action::Start]);
    assert_eq!(
        c.reasons,
        vec![ActionReason::PowerState {
            current: "Stopped".to_owned()
        }]
    );
    assert_eq!(c.status.as_deref(), Some("Stopped"));

    let plan = diff(
        &desired_state(vec![ci(PowerState::Stopped)]),
        &live_in("Running"),
        &opts(),
    );
    assert_eq!(change(&plan, "compute.ci").actions, vec![Action::Stop]);

    let plan = diff(
        &desired_state(vec![ci(PowerState::Stopped)]),
        &live_in("Stopped"),
        &opts(),
    );
    assert_eq!(change(&plan, "compute.ci").actions, vec![Action::NoOp]);

    let plan = diff(
        &desired_state(vec![ci(PowerState::Running)]),
        &live_in("Unusable"),
        &opts(),
    );
    let c = change(&plan, "compute.ci");
    assert_eq!(c.actions, vec![Action::NoOp]);
    assert!(c.warnings[0].message.contains("Unusable"));

    let plan = diff(
        &desired_state(vec![ci(PowerState::Stopped)]),
        &live_state(vec![]),
        &opts(),
    );
    assert_eq!(
        change(&plan, "compute.ci").actions,
        vec![Action::Create, Action::Stop]
    );
    let s = plan.summary();
    assert_eq!((s.create, s.stop), (1, 1));

    let mut resized = ci(PowerState::Stopped);
    resized.body = compute_instance("Standard_NC6");
    let plan = diff(&desired_state(vec![resized]), &live_in("Stopped"), &opts());
    assert_eq!(
        change(&plan, "compute.ci").actions,
        vec![Action::Replace, Action::Stop]
    );
}

#[test]
fn a_job_redefined_under_the_same_name_is_an_error() {
    let d = desired_state(vec![desired(
        "job.train-1",
        "CommandJob",
        command_job("python train.py --lr 0.1"),
    )]);
    let l = live_state(vec![live(
        "job.train-1",
        command_job_echo("python train.py", "Completed"),
        true,
    )]);
    let plan = diff(&d, &l, &opts());
    let c = change(&plan, "job.train-1");
    assert_eq!(c.actions, vec![Action::NoOp]);
    assert_eq!(c.status.as_deref(), Some("Completed"));
    assert_eq!(paths(c), vec!["/properties/command"]);
    assert!(c.field_changes[0].immutable);
    assert_eq!(plan.errors.len(), 1);
    let msg = &plan.errors[0].message;
    assert!(
        msg.contains("/properties/command") && msg.contains("tags, description and display name"),
        "{msg}"
    );
}

#[test]
fn job_tags_description_and_display_name_update_in_place() {
    let mut body = command_job("python train.py");
    body["properties"]["tags"] = json!({"stage": "prod"});
    body["properties"]["description"] = json!("nightly training");
    let d = desired_state(vec![desired("job.train-1", "CommandJob", body)]);
    let l = live_state(vec![live(
        "job.train-1",
        command_job_echo("python train.py", "Running"),
        true,
    )]);
    let plan = diff(&d, &l, &opts());
    let c = change(&plan, "job.train-1");
    assert_eq!(c.actions, vec![Action::Update]);
    assert_eq!(
        paths(c),
        vec!["/properties/description", "/properties/tags"]
    );
    assert!(plan.errors.is_empty());
}

#[test]
fn schedules_update_in_place_except_display_name() {
    let d = desired_state(vec![desired(
        "schedule.nightly",
        "Schedule",
        schedule("0 3 * * *"),
    )]);
    let l = live_state(vec![live(
        "schedule.nightly",
        schedule_echo("0 2 * * *"),
        true,
    )]);
    let plan = diff(&d, &l, &opts());
    let c = change(&plan, "schedule.nightly");
    assert_eq!(c.actions, vec![Action::Update]);
    assert_eq!(paths(c), vec!["/properties/trigger/expression"]);

    let mut renamed = schedule("0 2 * * *");
    renamed["properties"]["displayName"] = json!("every night");
    let plan = diff(
        &desired_state(vec![desired("schedule.nightly", "Schedule", renamed)]),
        &l,
        &opts(),
    );
    let c = change(&plan, "schedule.nightly");
    assert_eq!(c.actions, vec![Action::Replace]);
    assert!(c.reasons.iter().any(|r| matches!(r, ActionReason::ReplaceBecauseOf { path, .. } if path == "/properties/displayName")));

    let mut disabled = schedule("0 2 * * *");
    disabled["properties"]["isEnabled"] = json!(false);
    let plan = diff(
        &desired_state(vec![desired("schedule.nightly", "Schedule", disabled)]),
        &l,
        &opts(),
    );
    assert_eq!(
        paths(change(&plan, "schedule.nightly")),
        vec!["/properties/isEnabled"]
    );
}

#[test]
fn kubernetes_namespace_defaults_and_forces_replacement() {
    let mut explicit = desired("compute.aks", "Kubernetes", kubernetes(Some("default")));
    explicit.secret_paths = vec!["/properties/properties/relayConnectionString".to_owned()];
    let l = live_state(vec![live("compute.aks", kubernetes_echo("default"), true)]);
    assert!(!diff(&desired_state(vec![explicit.clone()]), &l, &opts()).has_changes());

    explicit.body = kubernetes(Some("ml"));
    let plan = diff(&desired_state(vec![explicit]), &l, &opts());
    let c = change(&plan, "compute.aks");
    assert_eq!(c.actions, vec![Action::Replace]);
    assert_eq!(paths(c), vec!["/properties/properties/namespace"]);
    // The secret is masked in the plan and never compared.
    assert_eq!(
        c.after
            .as_ref()
            .and_then(|a| a.pointer("/properties/properties/relayConnectionString")),
        Some(&json!(SENSITIVE))
    );
    assert!(
        !serde_json::to_string(&plan)
            .unwrap_or_default()
            .contains("secrets.RELAY")
    );
}

#[test]
fn computes_come_before_what_uses_them_and_deletes_go_in_reverse() {
    let mut job = desired("job.train-1", "CommandJob", command_job("python train.py"));
    job.depends_on = BTreeSet::from([id("compute.cpu-cluster")]);
    let mut sched = desired("schedule.nightly", "Schedule", schedule("0 2 * * *"));
    sched.depends_on = BTreeSet::from([id("compute.cpu-cluster")]);
    let d = desired_state(vec![
        desired(
            "compute.cpu-cluster",
            "AmlCompute",
            aml_cluster("Standard_DS3_v2", 4),
        ),
        job,
        sched,
    ]);
    let mut old_schedule = schedule_echo("0 1 * * *");
    old_schedule["properties"]["action"]["jobDefinition"]["computeId"] =
        json!(compute_id("old-cluster"));
    let l = live_state(vec![
        live(
            "compute.old-cluster",
            aml_cluster_echo("Standard_DS3_v2", 2),
            true,
        ),
        live("schedule.old", old_schedule, true),
    ]);
    let mut o = opts();
    o.prune = true;
    let plan = diff(&d, &l, &o);
    assert_eq!(
        change(&plan, "schedule.old").depends_on,
        vec![id("compute.old-cluster")]
    );
    let waves = execution_waves(&plan);
    assert_eq!(
        waves,
        vec![
            vec![id("compute.cpu-cluster"), id("schedule.old")],
            vec![
                id("compute.old-cluster"),
                id("schedule.nightly"),
                id("job.train-1")
            ],
        ]
    );
    let graph = plan.execution_graph();
    assert_eq!(
        graph.dependents(&id("compute.cpu-cluster")),
        vec![id("schedule.nightly"), id("job.train-1")]
    );
    // Sorted by address.
    let addresses: Vec<_> = plan.changes.iter().map(|c| c.address.clone()).collect();
    let mut sorted = addresses.clone();
    sorted.sort();
    assert_eq!(addresses, sorted);
}

#[test]
fn target_limits_the_plan_to_an_address_and_its_dependencies() {
    let mut job = desired("job.train-1", "CommandJob", command_job("python train.py"));
    job.depends_on = BTreeSet::from([id("compute.cpu-cluster")]);
    let d = desired_state(vec![
        desired(
            "compute.cpu-cluster",
            "AmlCompute",
            aml_cluster("Standard_DS3_v2", 4),
        ),
        desired(
            "compute.other",
            "AmlCompute",
            aml_cluster("Standard_DS3_v2", 4),
        ),
        job,
    ]);
    let l = live_state(vec![live(
        "compute.unrelated",
        aml_cluster_echo("Standard_DS3_v2", 2),
        false,
    )]);
    let mut o = opts();
    o.only = Some(BTreeSet::from([id("job.train-1")]));
    let plan = diff(&d, &l, &o);
    let addresses: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
    assert_eq!(addresses, vec!["compute.cpu-cluster", "job.train-1"]);
    assert!(plan.unmanaged.is_empty());
}

#[test]
fn diff_is_deterministic_and_fingerprints_ignore_runtime_state() {
    let d = desired_state(vec![desired(
        "compute.ci",
        "ComputeInstance",
        compute_instance("Standard_NC6"),
    )]);
    let l = live_state(vec![live(
        "compute.ci",
        compute_instance_echo("Standard_DS3_v2", "Running"),
        true,
    )]);
    let a = serde_json::to_string(&diff(&d, &l, &opts())).unwrap_or_default();
    let b = serde_json::to_string(&diff(&d, &l, &opts())).unwrap_or_default();
    assert_eq!(a, b);
    let running = live(
        "compute.ci",
        compute_instance_echo("Standard_DS3_v2", "Running"),
        true,
    );
    let stopped = live(
        "compute.ci",
        compute_instance_echo("Standard_DS3_v2", "Stopped"),
        true,
    );
    let resized = live(
        "compute.ci",
        compute_instance_echo("Standard_NC6", "Running"),
        true,
    );
    assert_eq!(
        live_fingerprint(Kind::Compute, &running.body),
        live_fingerprint(Kind::Compute, &stopped.body)
    );
    assert_ne!(
        live_fingerprint(Kind::Compute, &running.body),
        live_fingerprint(Kind::Compute, &resized.body)
    );
}

#[test]
fn the_replace_matrix_doc_names_every_path_of_the_code_matrix() {
    use amlctl::diff::rules::{
        AML_COMPUTE, COMPUTE, COMPUTE_INSTANCE, JOB_UPDATABLE, KUBERNETES, SCHEDULE,
    };
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/replace-matrix.md"
    ))
    .unwrap_or_default();
    assert!(!doc.is_empty(), "docs/replace-matrix.md is missing");
    for set in [
        &COMPUTE,
        &COMPUTE_INSTANCE,
        &AML_COMPUTE,
        &KUBERNETES,
        &SCHEDULE,
    ] {
        for (path, _) in set.mutability {
            assert!(
                doc.contains(&format!("`{path}`")),
                "{path} is not documented"
            );
        }
    }
    for path in JOB_UPDATABLE {
        assert!(
            doc.contains(&format!("`/properties{path}`")),
            "{path} is not documented"
        );
    }
}

#[test]
fn a_dependency_cycle_is_a_plan_error_and_waves_still_cover_every_write() {
    let mut a = desired("schedule.a", "Schedule", schedule("0 1 * * *"));
    a.depends_on = BTreeSet::from([id("schedule.b")]);
    let mut b = desired("schedule.b", "Schedule", schedule("0 2 * * *"));
    b.depends_on = BTreeSet::from([id("schedule.a")]);
    let c = desired("compute.c", "AmlCompute", aml_cluster("Standard_DS3_v2", 2));
    let plan = diff(&desired_state(vec![a, b, c]), &live_state(vec![]), &opts());
    assert!(
        plan.errors
            .iter()
            .any(|e| e.message.contains("dependency cycle"))
    );
    assert!(plan.execution_graph().waves().is_err());
    assert_eq!(
        execution_waves(&plan),
        vec![
            vec![id("compute.c")],
            vec![id("schedule.a"), id("schedule.b")]
        ]
    );
}
