//! Property tests: for generated desired bodies, the service's echo (`live_of`: server fields,
//! defaults, other spellings, shuffled keys) plans to no changes; rendering any plan never
//! panics and the markdown stays within its limit.

mod plan_common;

use amlctl::diff::diff;
use amlctl::model::{DesiredResource, LiveResource, PowerState};
use amlctl::render::{json, markdown, text};
use plan_common::*;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// One generated resource: its desired body and a function of it giving the echo.
#[derive(Clone, Debug)]
enum Gen {
    Aml {
        vm: String,
        max: i64,
        min: Option<i64>,
        idle_s: Option<i64>,
        low: Option<bool>,
        desc: Option<String>,
        tags: Vec<(String, String)>,
        public_ip: Option<bool>,
    },
    Ci {
        vm: String,
        idle_min: Option<i64>,
        cron: Option<(String, Option<String>)>,
        ssh: Option<bool>,
        state: String,
    },
    K8s {
        namespace: Option<String>,
    },
    Sched {
        cron: bool,
        hours: Vec<i64>,
        enabled: Option<bool>,
        tz: Option<String>,
        timeout_min: Option<i64>,
    },
    Job {
        command: String,
        tags: Vec<(String, String)>,
        instances: Option<i64>,
        timeout_min: Option<i64>,
    },
}

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,7}"
}

fn resource_gen() -> impl Strategy<Value = Gen> {
    let vm = prop::sample::select(vec!["Standard_DS3_v2", "Standard_NC6", "standard_d2_v3"])
        .prop_map(str::to_owned);
    prop_oneof![
        (
            vm.clone(),
            1i64..10,
            prop::option::of(0i64..3),
            prop::option::of(1i64..120),
            prop::option::of(any::<bool>()),
            prop::option::of(word()),
            prop::collection::vec((word(), word()), 0..3),
            prop::option::of(any::<bool>())
        )
            .prop_map(
                |(vm, max, min, idle, low, desc, tags, public_ip)| Gen::Aml {
                    vm,
                    max,
                    min,
                    idle_s: idle.map(|m| m * 60),
                    low,
                    desc,
                    tags,
                    public_ip
                }
            ),
        (
            vm,
            prop::option::of(15i64..240),
            prop::option::of((
                "[0-5]?[0-9] [0-9]{1,2} \\* \\* \\*",
                prop::option::of(Just("Pacific Standard Time".to_owned()))
            )),
            prop::option::of(any::<bool>()),
            prop::sample::select(vec!["Running", "Stopped", "Starting"]).prop_map(str::to_owned)
        )
            .prop_map(|(vm, idle_min, cron, ssh, state)| Gen::Ci {
                vm,
                idle_min,
                cron,
                ssh,
                state
            }),
        prop::option::of(word()).prop_map(|namespace| Gen::K8s { namespace }),
        (
            any::<bool>(),
            prop::collection::vec(0i64..24, 1..4),
            prop::option::of(any::<bool>()),
            prop::option::of(Just("UTC".to_owned())),
            prop::option::of(1i64..600)
        )
            .prop_map(|(cron, hours, enabled, tz, timeout_min)| Gen::Sched {
                cron,
                hours,
                enabled,
                tz,
                timeout_min
            }),
        (
            "python [a-z]{1,8}\\.py",
            prop::collection::vec((word(), word()), 0..3),
            prop::option::of(1i64..4),
            prop::option::of(1i64..600)
        )
            .prop_map(|(command, tags, instances, timeout_min)| Gen::Job {
                command,
                tags,
                instances,
                timeout_min
            }),
    ]
}

fn tags_obj(tags: &[(String, String)]) -> Value {
    Value::Object(tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

fn job_body(
    command: &str,
    tags: &[(String, String)],
    instances: Option<i64>,
    timeout_min: Option<i64>,
) -> Value {
    let mut b = command_job_body(command);
    if !tags.is_empty() {
        b["tags"] = tags_obj(tags);
    }
    if let Some(n) = instances {
        b["resources"] = json!({"instanceCount": n});
    }
    b["limits"] = match timeout_min {
        Some(m) => json!({"jobLimitsType": "Command", "timeout": format!("PT{m}M")}),
        None => json!({"jobLimitsType": "Command"}),
    };
    b
}

fn job_echo(mut b: Value) -> Value {
    b["experimentName"] = json!("Default");
    b["jobType"] = json!("Command");
    b["status"] = json!("Completed");
    b["services"] =
        json!({"Studio": {"jobServiceType": "Studio", "endpoint": "https://ml", "status": null}});
    b["properties"] = json!({"azureml.git.dirty": "false"});
    if b.get("resources").is_none() {
        b["resources"] = json!({"instanceCount": 1, "shmSize": "2g"});
    } else {
        b["resources"]["shmSize"] = json!("2g");
    }
    if let Some(t) = b
        .pointer("/limits/timeout")
        .and_then(Value::as_str)
        .map(str::to_owned)
    {
        let minutes: i64 = t
            .trim_start_matches("PT")
            .trim_end_matches('M')
            .parse()
            .unwrap_or(0);
        b["limits"]["timeout"] = json!(format!("PT{}S", minutes * 60));
    }
    b["computeId"] = json!(compute_id("cpu-cluster").to_uppercase());
    b
}

/// (address, type label, desired body, secret paths, echo body)
fn build(i: usize, g: &Gen) -> (String, &'static str, Value, Vec<String>, Value) {
    match g {
        Gen::Aml {
            vm,
            max,
            min,
            idle_s,
            low,
            desc,
            tags,
            public_ip,
        } => {
            let mut p = json!({"vmSize": vm, "scaleSettings": {"maxNodeCount": max}});
            if let Some(m) = min {
                p["scaleSettings"]["minNodeCount"] = json!(m);
            }
            if let Some(s) = idle_s {
                p["scaleSettings"]["nodeIdleTimeBeforeScaleDown"] = json!(format!("PT{s}S"));
            }
            if let Some(l) = low {
                p["vmPriority"] = json!(if *l { "LowPriority" } else { "Dedicated" });
            }
            if let Some(b) = public_ip {
                p["enableNodePublicIp"] = json!(b);
            }
            let mut d = json!({"location": "eastus", "properties": {"computeType": "AmlCompute", "properties": p}});
            if let Some(x) = desc {
                d["properties"]["description"] = json!(x);
            }
            if !tags.is_empty() {
                d["tags"] = tags_obj(tags);
            }
            let mut e = d.clone();
            e["location"] = json!("East US");
            let ep = &mut e["properties"]["properties"];
            ep["vmSize"] = json!(vm.to_uppercase());
            if min.is_none() {
                ep["scaleSettings"]["minNodeCount"] = json!(0);
            }
            if let Some(s) = idle_s {
                ep["scaleSettings"]["nodeIdleTimeBeforeScaleDown"] =
                    json!(format!("PT{}M", s / 60));
            }
            if low.is_none() {
                ep["vmPriority"] = json!("dedicated");
            }
            if public_ip.is_none() {
                ep["enableNodePublicIp"] = json!(true);
            }
            ep["osType"] = json!("Linux");
            ep["isolatedNetwork"] = json!(false);
            ep["remoteLoginPortPublicAccess"] = json!("NotSpecified");
            ep["virtualMachineImage"] = Value::Null;
            ep["allocationState"] = json!("Steady");
            ep["currentNodeCount"] = json!(0);
            ep["nodeStateCounts"] = json!({"idleNodeCount": 0});
            e["properties"]["provisioningState"] = json!("Succeeded");
            e["properties"]["createdOn"] = json!("2026-01-01T00:00:00Z");
            (format!("compute.aml{i}"), "AmlCompute", d, vec![], e)
        }
        Gen::Ci {
            vm,
            idle_min,
            cron,
            ssh,
            state,
        } => {
            let mut p = json!({"vmSize": vm});
            if let Some(m) = idle_min {
                p["idleTimeBeforeShutdown"] = json!(format!("PT{m}M"));
            }
            if let Some((expr, tz)) = cron {
                let mut c = json!({"expression": expr});
                if let Some(tz) = tz {
                    c["timeZone"] = json!(tz);
                }
                p["schedules"] = json!({"computeStartStop": [{"action": "Stop", "triggerType": "Cron", "cron": c}]});
            }
            if let Some(s) = ssh {
                p["sshSettings"] =
                    json!({"sshPublicAccess": if *s { "Enabled" } else { "Disabled" }});
            }
            let d = json!({"properties": {"computeType": "ComputeInstance", "properties": p}});
            let mut e = d.clone();
            e["location"] = json!("eastus");
            let ep = &mut e["properties"]["properties"];
            if let Some(m) = idle_min {
                ep["idleTimeBeforeShutdown"] = json!(format!("PT{}S", m * 60));
            }
            if let Some(list) = ep.pointer_mut("/schedules/computeStartStop/0") {
                list["id"] = json!("sched-id");
                list["provisioningStatus"] = json!("Completed");
                list["status"] = json!("Enabled");
                list["triggerType"] = json!("cron");
                if list["cron"].get("timeZone").is_none() {
                    list["cron"]["timeZone"] = json!("UTC");
                }
            }
            ep["enableNodePublicIp"] = json!(true);
            ep["enableSSO"] = json!(true);
            ep["state"] = json!(state);
            ep["sshSettings"]["adminUserName"] = json!("azureuser");
            ep["sshSettings"]["sshPort"] = json!(50000);
            ep["lastOperation"] = json!({"operationName": "Create"});
            ep["osImageMetadata"] = json!({"isLatestOsImageVersion": true});
            ep["errors"] = Value::Null;
            (format!("compute.ci{i}"), "ComputeInstance", d, vec![], e)
        }
        Gen::K8s { namespace } => {
            let mut p = json!({"relayConnectionString": "${{secrets.RELAY}}", "defaultInstanceType": "small"});
            if let Some(ns) = namespace {
                p["namespace"] = json!(ns);
            }
            let d = json!({"properties": {"computeType": "Kubernetes",
                "resourceId": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks",
                "properties": p}});
            let mut e = d.clone();
            e["properties"]["resourceId"] = json!(
                "/subscriptions/0/resourcegroups/rg/providers/microsoft.containerservice/managedclusters/aks"
            );
            e["properties"]["isAttachedCompute"] = json!(true);
            let ep = &mut e["properties"]["properties"];
            ep["relayConnectionString"] = Value::Null;
            ep["serviceBusConnectionString"] = Value::Null;
            ep["namespace"] = json!(namespace.clone().unwrap_or_else(|| "default".to_owned()));
            ep["vcName"] = Value::Null;
            (
                format!("compute.k8s{i}"),
                "Kubernetes",
                d,
                vec!["/properties/properties/relayConnectionString".to_owned()],
                e,
            )
        }
        Gen::Sched {
            cron,
            hours,
            enabled,
            tz,
            timeout_min,
        } => {
            let mut trigger = if *cron {
                json!({"triggerType": "Cron", "expression": "0 2 * * *"})
            } else {
                json!({"triggerType": "Recurrence", "frequency": "Day", "interval": 1, "schedule": {"hours": hours, "minutes": [0]}})
            };
            if let Some(tz) = tz {
                trigger["timeZone"] = json!(tz);
            }
            let mut d = json!({"properties": {"trigger": trigger,
                "action": {"actionType": "CreateJob", "jobDefinition": job_body("python train.py", &[], None, *timeout_min)}}});
            if let Some(en) = enabled {
                d["properties"]["isEnabled"] = json!(en);
            }
            let mut e = d.clone();
            let ep = &mut e["properties"];
            if enabled.is_none() {
                ep["isEnabled"] = json!(true);
            }
            ep["provisioningState"] = json!("Succeeded");
            ep["trigger"]["timeZone"] = json!("UTC");
            ep["trigger"]["startTime"] = json!("2026-01-01T00:00:00");
            if !*cron {
                ep["trigger"]["frequency"] = json!("day");
                let mut rev = hours.clone();
                rev.reverse();
                ep["trigger"]["schedule"]["hours"] = json!(rev);
            }
            let jd = job_echo(ep["action"]["jobDefinition"].take());
            ep["action"]["jobDefinition"] = jd;
            if let Some(m) = ep["action"]["jobDefinition"].as_object_mut() {
                m.remove("status");
            }
            (format!("schedule.s{i}"), "Schedule", d, vec![], e)
        }
        Gen::Job {
            command,
            tags,
            instances,
            timeout_min,
        } => {
            let d = json!({"properties": job_body(command, tags, *instances, *timeout_min)});
            let e = json!({"properties": job_echo(d["properties"].clone())});
            (format!("job.j{i}"), "CommandJob", d, vec![], e)
        }
    }
}

/// Reverse the key order everywhere (the service does not keep ours).
fn shuffle_keys(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let entries: Vec<(String, Value)> = std::mem::take(map).into_iter().rev().collect();
            let mut out = Map::new();
            for (k, mut child) in entries {
                shuffle_keys(&mut child);
                out.insert(k, child);
            }
            *map = out;
        }
        Value::Array(items) => items.iter_mut().for_each(shuffle_keys),
        _ => {}
    }
}

fn resources(gens: &[Gen]) -> (Vec<DesiredResource>, Vec<LiveResource>) {
    let mut d = Vec::new();
    let mut l = Vec::new();
    for (i, g) in gens.iter().enumerate() {
        let (address, label, body, secrets, mut echo) = build(i, g);
        shuffle_keys(&mut echo);
        let mut r = desired(&address, label, body);
        r.secret_paths = secrets;
        d.push(r);
        l.push(live(&address, echo, true));
    }
    (d, l)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn the_echo_of_any_desired_state_plans_no_changes(gens in prop::collection::vec(resource_gen(), 1..6)) {
        let (d, l) = resources(&gens);
        let plan = diff(&desired_state(d), &live_state(l), &opts());
        for c in &plan.changes {
            prop_assert!(c.is_noop(), "{}: {:?}", c.address, c.field_changes);
        }
        prop_assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        prop_assert!(!text::render(&plan, &text::TextOptions::default()).is_empty());
    }

    #[test]
    fn rendering_any_plan_never_panics(
        wanted in prop::collection::vec(resource_gen(), 0..5),
        other in prop::collection::vec(resource_gen(), 0..5),
        owned in any::<bool>(),
        prune in any::<bool>(),
        power in prop::option::of(any::<bool>()),
        limit in 0usize..5000,
    ) {
        let (mut d, _) = resources(&wanted);
        let (_, mut l) = resources(&other);
        for r in &mut l { r.owned = owned; }
        for r in &mut d { r.options.power_state = power.map(|p| if p { PowerState::Running } else { PowerState::Stopped }); }
        let mut o = opts();
        o.prune = prune;
        let plan = diff(&desired_state(d), &live_state(l), &o);
        let _ = text::render(&plan, &text::TextOptions { color: true, max_listed: 2 });
        let md = markdown::render(&plan, &markdown::MarkdownOptions { limit });
        prop_assert!(md.chars().count() <= limit);
        let out = json::render(&plan).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(json::parse(&out).ok(), Some(plan));
    }
}
