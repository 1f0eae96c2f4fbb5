//! "Apply then plan is empty", over generated manifests: proptest builds small repos (computes of
//! every type, schedules, command and sweep jobs, with the fields amlctl translates), the real
//! binary applies each to a fresh emulator, and a plan right after must show no change
//! (`plan --detailed-exitcode` exits 0). A spurious diff here is a server default, a casing,
//! a duration form or an echo amlctl does not normalise.
//!
//! The cases are drawn from a fixed seed (reproducible in CI); `AMLCTL_CONVERGENCE_SEED=<n>` and
//! `AMLCTL_CONVERGENCE_CASES=<n>` explore others. Each bug found has a plain regression test
//! below the property.

mod support;

use std::path::Path;
use std::process::Output;
use std::sync::LazyLock;
use std::time::Duration;

use amlctl_emulator::{EmulatorConfig, EmulatorHandle, Timings};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::{Map, Value, json};
use support::{amlctl, remote, text};

// ---------------------------------------------------------------------------------------------
// Running one repo against one emulator.

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
});

/// The secret a generated cluster's admin password is read from at apply time.
const SECRET_VAR: &str = "CONVERGENCE_ADMIN_PASSWORD";
const SECRET_VALUE: &str = "s3cret-Passw0rd!";

/// Files jobs refer to (`code: ./src`, local inputs), beside the job files of both folders.
const SUPPORT_FILES: &[(&str, &str)] = &[
    ("jobs/src/main.py", "print('hello')\n"),
    ("jobs/src/util/helpers.py", "X = 1\n"),
    ("jobs/data/iris.csv", "a,b\n1,2\n"),
    ("schedules/jobs/src/main.py", "print('scheduled')\n"),
    ("schedules/jobs/data/iris.csv", "a,b\n3,4\n"),
];

/// A generated repo: files relative to its root, manifests written as YAML.
#[derive(Clone, Debug)]
struct Repo {
    files: Vec<(String, Value)>,
    /// Desired power state per compute instance (`amlctl.yaml` `resources`).
    power: Vec<(String, String)>,
}

impl Repo {
    fn write(&self, dir: &Path) {
        let mut config =
            "manifests:\n  - \"compute/*.yml\"\n  - \"schedules/*.yml\"\n  - \"jobs/*.yml\"\n"
                .to_owned();
        if !self.power.is_empty() {
            config.push_str("resources:\n");
            for (name, state) in &self.power {
                config.push_str(&format!("  compute.{name}:\n    power_state: {state}\n"));
            }
        }
        std::fs::write(dir.join("amlctl.yaml"), config).expect("write config");
        for (rel, content) in SUPPORT_FILES {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(path, content).expect("write support file");
        }
        for (rel, manifest) in &self.files {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(path, to_yaml(manifest)).expect("write manifest");
        }
    }

    fn listing(&self) -> String {
        let mut out: Vec<String> = self
            .files
            .iter()
            .map(|(rel, m)| format!("# {rel}\n{}", to_yaml(m)))
            .collect();
        for (name, state) in &self.power {
            out.push(format!(
                "# amlctl.yaml: compute.{name} power_state: {state}"
            ));
        }
        out.join("\n")
    }
}

fn run(dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(remote(url));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    amlctl(
        dir,
        &refs,
        &[
            ("AMLCTL_ACCESS_TOKEN", "test-token"),
            (SECRET_VAR, SECRET_VALUE),
        ],
    )
}

fn start_emulator() -> EmulatorHandle {
    RUNTIME
        .block_on(amlctl_emulator::start(EmulatorConfig {
            timings: Timings::uniform(Duration::from_millis(5)),
            ..EmulatorConfig::default()
        }))
        .expect("emulator starts")
}

/// Apply `repo` to a fresh emulator, then plan: `Err` with everything needed to reproduce when
/// the plan is not empty.
fn apply_then_plan(repo: &Repo) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    repo.write(dir.path());
    let emu = start_emulator();
    let url = emu.base_url();
    let outcome = (|| {
        let out = run(dir.path(), &url, &["apply", "--auto-approve"]);
        if out.status.code() != Some(0) {
            return Err(format!("apply failed: {}", text(&out)));
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !stderr.contains("Apply complete:") || stderr.contains("nothing to do") {
            return Err(format!(
                "apply did not create the resources: {}",
                text(&out)
            ));
        }
        if std::env::var_os("AMLCTL_CONVERGENCE_SHOW").is_some() {
            eprintln!("{}\n{}", repo.listing(), text(&out));
        }
        let out = run(dir.path(), &url, &["plan", "--detailed-exitcode"]);
        if out.status.code() != Some(0) {
            return Err(format!("plan after apply is not empty: {}", text(&out)));
        }
        Ok(())
    })();
    RUNTIME.block_on(emu.shutdown());
    outcome.map_err(|e| format!("{e}\n--- repo\n{}", repo.listing()))
}

// ---------------------------------------------------------------------------------------------
// YAML: block mappings and lists, scalars written as JSON (a subset of YAML 1.2).

fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(map) => emit_map(&mut out, map, 0),
        other => out.push_str(&scalar(other)),
    }
    out
}

fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
        && k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if plain {
        k.to_owned()
    } else {
        scalar(&Value::from(k))
    }
}

fn scalar(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => a.iter().any(|i| i.is_object() || i.is_array()),
        _ => false,
    }
}

fn emit_map(out: &mut String, map: &Map<String, Value>, indent: usize) {
    for (k, v) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&key(k));
        out.push(':');
        emit_value(out, v, indent);
    }
}

/// The value after `key:` (or after `- `): inline scalars, or a block on the next lines.
fn emit_value(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if is_block(v) => {
            out.push('\n');
            emit_map(out, m, indent + 2);
        }
        Value::Array(items) if is_block(v) => {
            out.push('\n');
            for item in items {
                out.push_str(&" ".repeat(indent + 2));
                out.push('-');
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        let mut block = String::new();
                        emit_map(&mut block, m, indent + 4);
                        out.push(' ');
                        out.push_str(&block[indent + 4..]);
                    }
                    other => {
                        out.push(' ');
                        out.push_str(&scalar(other));
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies: one per kind, each a valid az ml manifest as JSON.

/// An object from optional fields (absent ones left out).
fn obj(fields: Vec<(&str, Option<Value>)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
            .collect(),
    )
}

fn pick(items: &[&'static str]) -> impl Strategy<Value = String> + Clone + use<> {
    prop::sample::select(items.to_vec()).prop_map(str::to_owned)
}

fn word() -> impl Strategy<Value = String> + Clone {
    "[a-z][a-z0-9]{0,6}"
}

fn tags() -> impl Strategy<Value = Option<Value>> + Clone {
    prop::option::of(prop::collection::btree_map(
        "[a-z][a-z_-]{0,5}",
        "[A-Za-z0-9 ._-]{0,8}",
        1..3,
    ))
    .prop_map(|t| t.map(|m| json!(m)))
}

fn description() -> impl Strategy<Value = Option<Value>> + Clone {
    prop::option::of("[A-Z][a-z ,.]{0,20}").prop_map(|d| d.map(Value::from))
}

/// Enum values as people write them: lower, upper, as documented.
fn cased(s: &'static str) -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        Just(s.to_owned()),
        Just(s.to_ascii_uppercase()),
        Just(capitalised(s)),
    ]
}

/// One of `words`, cased as by [`cased`].
fn cased_of(words: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    prop::sample::select(words).prop_flat_map(cased)
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn time_zone() -> impl Strategy<Value = Option<Value>> + Clone {
    prop::option::of(pick(&[
        "UTC",
        "Pacific Standard Time",
        "W. Europe Standard Time",
        "India Standard Time",
        "Tokyo Standard Time",
    ]))
    .prop_map(|t| t.map(Value::from))
}

fn start_time() -> impl Strategy<Value = Option<Value>> + Clone {
    prop::option::of(pick(&[
        "2025-01-06T08:00:00",
        "2026-03-01T00:30:00",
        "2025-06-15T12:00:00Z",
    ]))
    .prop_map(|t| t.map(Value::from))
}

fn cron() -> impl Strategy<Value = String> + Clone {
    (0u8..60, 0u8..24, pick(&["*", "1-5", "0,6", "MON-FRI"]))
        .prop_map(|(m, h, dow)| format!("{m} {h} * * {dow}"))
}

/// A trigger as a schedule or a compute instance start/stop schedule writes it.
/// `month_days`: only a schedule's recurrence takes them, not a compute instance's.
fn trigger(month_days: bool) -> impl Strategy<Value = Value> + Clone {
    let cron_trigger =
        (cron(), time_zone(), start_time(), cased("cron")).prop_map(|(e, tz, st, ty)| {
            obj(vec![
                ("type", Some(json!(ty))),
                ("expression", Some(json!(e))),
                ("time_zone", tz),
                ("start_time", st),
            ])
        });
    let recurrence = (
        cased_of(&["day", "week", "hour", "month", "minute"]),
        1i64..4,
        prop::collection::btree_set(0i64..24, 1..3),
        prop::collection::btree_set(0i64..60, 1..3),
        prop::collection::btree_set(
            pick(&["monday", "Tuesday", "WEDNESDAY", "friday", "sunday"]),
            1..3,
        ),
        time_zone(),
        start_time(),
    )
        .prop_map(move |(freq, interval, hours, minutes, days, tz, st)| {
            let week = freq.eq_ignore_ascii_case("week");
            let month = freq.eq_ignore_ascii_case("month");
            // A single hour may be written as a scalar.
            let hours: Vec<i64> = hours.into_iter().rev().collect();
            let hours = if hours.len() == 1 {
                json!(hours[0])
            } else {
                json!(hours)
            };
            let schedule = obj(vec![
                ("hours", Some(hours)),
                ("minutes", Some(json!(minutes))),
                ("week_days", week.then(|| json!(days))),
                ("month_days", (month && month_days).then(|| json!([1, 15]))),
            ]);
            obj(vec![
                ("type", Some(json!("recurrence"))),
                ("frequency", Some(json!(freq))),
                ("interval", Some(json!(interval))),
                ("schedule", Some(schedule)),
                ("time_zone", tz),
                ("start_time", st),
            ])
        });
    prop_oneof![cron_trigger, recurrence]
}

/// A schedule's trigger: [`trigger`], sometimes with an end time.
fn schedule_trigger() -> impl Strategy<Value = Value> + Clone {
    (
        trigger(true),
        prop::option::of(pick(&["2030-12-31T23:00:00", "2029-06-30T12:00:00"])),
    )
        .prop_map(|(mut t, end)| {
            if let (Some(end), Value::Object(m)) = (end, &mut t) {
                m.insert("end_time".into(), json!(end));
            }
            t
        })
}

fn uuid() -> impl Strategy<Value = String> + Clone {
    "[0-9a-f]{8}".prop_map(|h| format!("{h}-0000-4000-8000-000000000000"))
}

fn compute_identity() -> impl Strategy<Value = Option<Value>> + Clone {
    prop::option::of(prop_oneof![
        cased("system_assigned").prop_map(|t| json!({ "type": t })),
        (cased("user_assigned"), "[a-z]{3,8}").prop_map(|(t, id)| json!({
            "type": t,
            "user_assigned_identities": [{ "resource_id": format!(
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{id}"
            ) }],
        })),
    ])
}

fn network_settings() -> impl Strategy<Value = Option<Value>> + Clone {
    prop::option::of(prop_oneof![
        Just(json!({ "vnet_name": "ml-vnet", "subnet": "default" })),
        Just(
            json!({ "subnet": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/ml" })
        ),
    ])
}

fn setup_script() -> impl Strategy<Value = Value> + Clone {
    (
        prop_oneof![
            Just(("path", "Users/someone/setup.sh")),
            Just(("command", "echo hello && pip install numpy")),
        ],
        prop::option::of(1i64..30),
    )
        .prop_map(|((k, v), timeout)| {
            obj(vec![
                (k, Some(json!(v))),
                ("timeout_minutes", timeout.map(Value::from)),
            ])
        })
}

/// Fields of a compute instance that are rarer: scripts, custom applications, on behalf of.
fn compute_instance_extras() -> impl Strategy<Value = Vec<(&'static str, Option<Value>)>> {
    (
        prop::option::of((uuid(), uuid())),
        prop::option::of((prop::option::of(setup_script()), prop::option::of(setup_script()))),
        prop::option::of((
            "[a-z]{3,8}",
            1024i64..9000,
            prop::option::of(prop::collection::btree_map("[A-Z]{1,5}", "[a-z0-9]{1,5}", 1..3)),
            any::<bool>(),
        )),
        compute_identity(),
        network_settings(),
    )
        .prop_map(|(on_behalf, scripts, app, identity, network)| {
            let scripts = scripts.map(|(creation, startup)| {
                obj(vec![("creation_script", creation), ("startup_script", startup)])
            });
            let app = app.map(|(name, port, vars, mount)| {
                json!([obj(vec![
                    ("name", Some(json!(name))),
                    ("type", Some(json!("docker"))),
                    ("image", Some(json!({ "type": "docker", "reference": "ghcr.io/example/app:1" }))),
                    ("endpoints", Some(json!([{ "name": "web", "target": 8080, "published": port, "protocol": "http" }]))),
                    ("environment_variables", vars.map(|v| json!(v))),
                    (
                        "bind_mounts",
                        mount.then(|| json!([{ "source": "/home/azureuser/data", "target": "/data", "read_only": true }])),
                    ),
                ])])
            });
            vec![
                (
                    "create_on_behalf_of",
                    on_behalf.map(|(t, o)| json!({ "user_tenant_id": t, "user_object_id": o })),
                ),
                ("setup_scripts", scripts),
                ("custom_applications", app),
                ("identity", identity),
                ("network_settings", network),
            ]
        })
}

fn compute_instance(name: String) -> impl Strategy<Value = Value> {
    let idle = prop_oneof![
        Just(None),
        (15i64..600).prop_map(|m| Some(("idle_time_before_shutdown_minutes", json!(m)))),
        pick(&["PT30M", "PT1H", "PT90M", "P1D"])
            .prop_map(|d| Some(("idle_time_before_shutdown", json!(d)))),
    ];
    let start_stop = prop::collection::vec(
        (
            cased_of(&["start", "stop"]),
            prop::option::of(cased_of(&["enabled", "disabled"])),
            trigger(false),
        )
            .prop_map(|(action, state, trigger)| {
                obj(vec![
                    ("action", Some(json!(action))),
                    ("state", state.map(Value::from)),
                    ("trigger", Some(trigger)),
                ])
            }),
        0..3,
    );
    let flags = prop::collection::vec(prop::option::of(any::<bool>()), 5);
    let ssh = prop::option::of((
        any::<bool>(),
        prop::option::of(Just("ssh-rsa AAAAB3NzaC1yc2E user@host")),
    ));
    (
        pick(&["Standard_DS3_v2", "STANDARD_DS11_V2", "standard_e4s_v3"]),
        idle,
        start_stop,
        flags,
        ssh,
        (description(), tags(), compute_instance_extras()),
    )
        .prop_map(
            move |(size, idle, start_stop, flags, ssh, (desc, tags, extras))| {
                let mut fields = vec![
                    ("name", Some(json!(name))),
                    ("type", Some(json!("computeinstance"))),
                    ("size", Some(json!(size))),
                    ("description", desc),
                    ("tags", tags),
                    (
                        "schedules",
                        (!start_stop.is_empty())
                            .then(|| json!({ "compute_start_stop": start_stop })),
                    ),
                    ("enable_node_public_ip", flags[0].map(Value::from)),
                    ("enable_sso", flags[1].map(Value::from)),
                    ("enable_root_access", flags[2].map(Value::from)),
                    ("release_quota_on_stop", flags[3].map(Value::from)),
                    ("enable_os_patching", flags[4].map(Value::from)),
                ];
                if let Some((k, v)) = idle {
                    fields.push((k, Some(v)));
                }
                fields.extend(extras);
                if let Some((public, key)) = ssh {
                    fields.push(("ssh_public_access_enabled", Some(json!(public))));
                    if let Some(key) = key {
                        fields.push(("ssh_settings", Some(json!({ "ssh_key_value": key }))));
                    }
                }
                obj(fields)
            },
        )
}

fn aml_compute(name: String) -> impl Strategy<Value = Value> {
    (
        pick(&["Standard_DS3_v2", "STANDARD_NC6", "standard_d2_v3"]),
        prop::option::of(cased_of(&["dedicated", "low_priority"])),
        prop::option::of(0i64..3),
        prop::option::of(3i64..12),
        prop::option::of(prop_oneof![
            Just(0i64),
            Just(60),
            Just(120),
            Just(90),
            Just(3600),
            Just(86_400),
            1i64..10_000
        ]),
        prop::option::of(any::<bool>()),
        prop::option::of((word(), any::<bool>())),
        prop::option::of(any::<bool>()),
        (
            description(),
            tags(),
            prop::option::of(pick(&["westeurope", "West Europe", "eastus"])),
            compute_identity(),
            network_settings(),
        ),
    )
        .prop_map(
            move |(
                size,
                tier,
                min,
                max,
                idle,
                public,
                ssh,
                node_ip,
                (desc, tags, location, identity, network),
            )| {
                let ssh_settings = ssh.map(|(user, password)| {
                    obj(vec![
                        ("admin_username", Some(json!(user))),
                        (
                            "ssh_key_value",
                            (!password).then(|| json!("ssh-rsa AAAAB3NzaC1yc2E user@host")),
                        ),
                        (
                            "admin_password",
                            password.then(|| json!(format!("${{env:{SECRET_VAR}}}"))),
                        ),
                    ])
                });
                obj(vec![
                    ("name", Some(json!(name))),
                    ("type", Some(json!("amlcompute"))),
                    ("size", Some(json!(size))),
                    ("tier", tier.map(Value::from)),
                    ("min_instances", min.map(Value::from)),
                    ("max_instances", max.map(Value::from)),
                    ("idle_time_before_scale_down", idle.map(Value::from)),
                    ("ssh_public_access_enabled", public.map(Value::from)),
                    ("ssh_settings", ssh_settings),
                    ("enable_node_public_ip", node_ip.map(Value::from)),
                    ("description", desc),
                    ("tags", tags),
                    ("location", location.map(Value::from)),
                    ("identity", identity),
                    ("network_settings", network),
                ])
            },
        )
}

fn kubernetes(name: String) -> impl Strategy<Value = Value> {
    let instance_type = (
        prop::option::of(pick(&["cpu", "gpu", "system"])),
        pick(&["100m", "500m", "1", "2"]),
        pick(&["512Mi", "2Gi", "4Gi"]),
        prop::option::of(0i64..3),
    )
        .prop_map(|(pool, cpu, memory, gpu)| {
            let mut limits = json!({ "cpu": cpu, "memory": memory });
            if let Some(g) = gpu {
                limits["nvidia.com/gpu"] = json!(g);
            }
            obj(vec![
                ("node_selector", pool.map(|p| json!({ "agentpool": p }))),
                (
                    "resources",
                    Some(json!({ "requests": { "cpu": cpu, "memory": memory }, "limits": limits })),
                ),
            ])
        });
    (
        pick(&["azureml", "default", "ml-jobs"]),
        prop::collection::btree_map("[a-z][a-z0-9-]{1,8}", instance_type, 0..3),
        description(),
        word(),
        (tags(), compute_identity(), prop::option::of(pick(&["westeurope", "East US"])), any::<bool>()),
    )
        .prop_map(move |(namespace, types, desc, cluster, (tags, identity, location, secret))| {
            let mut properties = Map::new();
            if let Some(default) = types.keys().next().cloned() {
                properties.insert("default_instance_type".into(), json!(default));
                properties.insert("instance_types".into(), json!(types));
            }
            if secret {
                properties.insert("relay_connection_string".into(), json!(format!("${{env:{SECRET_VAR}}}")));
            }
            let properties = (!properties.is_empty()).then_some(Value::Object(properties));
            obj(vec![
                ("name", Some(json!(name))),
                ("type", Some(json!("kubernetes"))),
                (
                    "resource_id",
                    Some(json!(format!(
                        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/{cluster}"
                    ))),
                ),
                ("namespace", Some(json!(namespace))),
                ("properties", properties),
                ("description", desc),
                ("tags", tags),
                ("identity", identity),
                ("location", location.map(Value::from)),
            ])
        })
}

/// A reference to an environment, or an inline (anonymous) one.
fn environment() -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        pick(&[
            "azureml:sklearn-env:3",
            "azureml:sklearn-env@latest",
            "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
            "azureml://registries/azureml/environments/sklearn-1.5/versions/3",
        ])
        .prop_map(Value::from),
        prop::option::of(pick(&["python=3.10", "numpy", "pip"])).prop_map(|dep| {
            obj(vec![
                ("image", Some(json!("mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"))),
                (
                    "conda_file",
                    dep.map(|d| json!({ "name": "env", "channels": ["conda-forge"], "dependencies": [d] })),
                ),
            ])
        }),
    ]
}

fn literal() -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        (0i64..1000).prop_map(Value::from),
        prop_oneof![Just(0.5f64), Just(0.8), Just(1e-3), Just(2.0)].prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        "[a-z]{1,6}".prop_map(Value::from),
    ]
}

fn data_input() -> impl Strategy<Value = Value> + Clone {
    (
        prop::option::of(cased_of(&["uri_file", "uri_folder"])),
        pick(&[
            "azureml://datastores/workspaceblobstore/paths/data/iris.csv",
            "azureml:iris-data:2",
            "https://example.blob.core.windows.net/data/iris.csv",
            "./data",
        ]),
        prop::option::of(pick(&["ro_mount", "download", "RO_MOUNT"])),
    )
        .prop_map(|(ty, path, mode)| {
            // A local path is uploaded: a file for uri_file, the folder otherwise.
            let path = match (path.as_str(), ty.as_deref()) {
                ("./data", Some(t)) if t.eq_ignore_ascii_case("uri_file") => "./data/iris.csv",
                (p, _) => p,
            };
            obj(vec![
                ("type", ty.map(Value::from)),
                ("path", Some(json!(path))),
                ("mode", mode.map(Value::from)),
            ])
        })
}

/// The command part of a command job or a sweep trial.
fn command_fields() -> impl Strategy<Value = Vec<(&'static str, Option<Value>)>> + Clone {
    (
        (
            "[a-z]{1,8}".prop_map(|s| format!("python {s}.py")),
            prop::option::of(Just("./src")),
        ),
        environment(),
        prop::option::of(prop::collection::btree_map(
            "[A-Z][A-Z_]{0,6}",
            "[a-z0-9]{0,6}",
            1..3,
        )),
        prop::option::of((
            1i64..4,
            prop::option::of(pick(&["2g", "8g"])),
            prop::option::of(pick(&["--ipc=host", "--shm-size=4g"])),
            prop::option::of(pick(&["Standard_NC6s_v3", "defaultinstancetype"])),
        )),
        prop::option::of(prop_oneof![
            (cased("pytorch"), prop::option::of(1i64..4)).prop_map(|(t, n)| obj(vec![
                ("type", Some(json!(t))),
                ("process_count_per_instance", n.map(Value::from))
            ])),
            (cased("mpi"), prop::option::of(1i64..4)).prop_map(|(t, n)| obj(vec![
                ("type", Some(json!(t))),
                ("process_count_per_instance", n.map(Value::from))
            ])),
            (cased("tensorflow"), prop::option::of(1i64..3)).prop_map(|(t, n)| obj(vec![
                ("type", Some(json!(t))),
                ("worker_count", n.map(Value::from))
            ])),
        ]),
    )
        .prop_map(|((command, code), env, vars, resources, distribution)| {
            vec![
                ("command", Some(json!(command))),
                ("code", code.map(Value::from)),
                ("environment", Some(env)),
                ("environment_variables", vars.map(|v| json!(v))),
                (
                    "resources",
                    resources.map(|(n, shm, docker, instance_type)| {
                        obj(vec![
                            ("instance_count", Some(json!(n))),
                            ("shm_size", shm.map(Value::from)),
                            ("docker_args", docker.map(Value::from)),
                            ("instance_type", instance_type.map(Value::from)),
                        ])
                    }),
                ),
                ("distribution", distribution),
            ]
        })
}

/// Job fields beyond the command: identity, interactive services, properties.
fn job_extras() -> impl Strategy<Value = Vec<(&'static str, Option<Value>)>> + Clone {
    let identity = prop::option::of(prop_oneof![
        cased_of(&["aml_token", "user_identity"]).prop_map(|t| json!({ "type": t })),
        (cased("managed"), prop::option::of(uuid())).prop_map(|(t, id)| obj(vec![
            ("type", Some(json!(t))),
            ("client_id", id.map(Value::from))
        ])),
    ]);
    let service = prop_oneof![
        (cased("jupyter_lab"), prop::option::of(Just("all"))).prop_map(|(t, nodes)| obj(vec![
            ("type", Some(json!(t))),
            ("nodes", nodes.map(Value::from))
        ])),
        (
            cased("ssh"),
            prop::option::of(Just("ssh-rsa AAAAB3NzaC1yc2E user@host"))
        )
            .prop_map(|(t, key)| obj(vec![
                ("type", Some(json!(t))),
                ("ssh_public_keys", key.map(Value::from))
            ])),
        (
            cased("tensor_board"),
            prop::option::of(Just("outputs/tblogs"))
        )
            .prop_map(|(t, dir)| obj(vec![
                ("type", Some(json!(t))),
                ("log_dir", dir.map(Value::from))
            ])),
        (cased("vs_code"), prop::option::of(1000i64..9000)).prop_map(|(t, port)| obj(vec![
            ("type", Some(json!(t))),
            ("port", port.map(Value::from))
        ])),
    ];
    (
        identity,
        prop::option::of(prop::collection::btree_map("[a-z_]{1,8}", service, 1..3)),
        prop::option::of(prop::collection::btree_map(
            "[a-z][a-z_.]{0,8}",
            "[a-z0-9]{0,6}",
            1..3,
        )),
    )
        .prop_map(|(identity, services, properties)| {
            vec![
                ("identity", identity),
                ("services", services.map(|s| json!(s))),
                ("properties", properties.map(|p| json!(p))),
            ]
        })
}

/// A command job; `compute` names a cluster of the repo (or serverless).
fn command_job(name: Option<String>, compute: String) -> impl Strategy<Value = Value> {
    (
        command_fields(),
        prop::collection::btree_map("[a-z]{1,6}", prop_oneof![literal(), data_input()], 0..3),
        prop::option::of(prop::collection::btree_map(
            "[a-z]{1,6}",
            (
                prop::option::of(cased_of(&["uri_folder", "uri_file"])),
                prop::option::of(pick(&["rw_mount", "upload", "RW_MOUNT"])),
            )
                .prop_map(|(t, mode)| {
                    obj(vec![
                        ("type", t.map(Value::from)),
                        ("mode", mode.map(Value::from)),
                    ])
                }),
            1..2,
        )),
        prop::option::of(prop_oneof![
            Just(60i64),
            Just(3600),
            Just(5400),
            1i64..100_000
        ]),
        (
            prop::option::of(word()),
            prop::option::of(word()),
            description(),
            tags(),
        ),
        (
            prop::option::of(pick(&["standard", "Spot", "BASIC"])),
            prop::option::of(pick(&["low", "Medium", "HIGH"])),
        ),
        job_extras(),
    )
        .prop_map(
            move |(
                command,
                inputs,
                outputs,
                timeout,
                (display, experiment, desc, tags),
                (tier, priority),
                extras,
            )| {
                let mut fields = vec![
                    ("name", name.clone().map(Value::from)),
                    ("type", Some(json!("command"))),
                    ("compute", Some(json!(compute))),
                    ("inputs", (!inputs.is_empty()).then(|| json!(inputs))),
                    ("outputs", outputs.map(|o| json!(o))),
                    ("limits", timeout.map(|t| json!({ "timeout": t }))),
                    ("display_name", display.map(Value::from)),
                    ("experiment_name", experiment.map(Value::from)),
                    ("description", desc),
                    ("tags", tags),
                    (
                        "queue_settings",
                        (tier.is_some() || priority.is_some()).then(|| {
                            obj(vec![
                                ("job_tier", tier.map(Value::from)),
                                ("priority", priority.map(Value::from)),
                            ])
                        }),
                    ),
                ];
                fields.extend(command);
                fields.extend(extras);
                obj(fields)
            },
        )
}

fn sweep_job(compute: String) -> impl Strategy<Value = Value> {
    let space = prop::collection::btree_map(
        "[a-z]{1,5}",
        prop_oneof![
            prop::collection::vec(literal(), 1..4)
                .prop_map(|v| json!({ "type": "choice", "values": v })),
            (0i64..5, 6i64..20)
                .prop_map(|(a, b)| json!({ "type": "uniform", "min_value": a, "max_value": b })),
            (1i64..100).prop_map(|u| json!({ "type": "randint", "upper": u })),
            (0i64..5, 6i64..20).prop_map(
                |(a, b)| json!({ "type": "quniform", "min_value": a, "max_value": b, "q": 1 })
            ),
            (pick(&["loguniform", "qloguniform"]), -5i64..-1).prop_map(|(t, a)| {
                let mut d = json!({ "type": t, "min_value": a, "max_value": 0 });
                if t.starts_with('q') {
                    d["q"] = json!(1);
                }
                d
            }),
            (
                pick(&["normal", "lognormal", "qnormal", "qlognormal"]),
                0i64..10
            )
                .prop_map(|(t, mu)| {
                    let mut d = json!({ "type": t, "mu": mu, "sigma": 0.5 });
                    if t.starts_with('q') {
                        d["q"] = json!(2);
                    }
                    d
                }),
        ],
        1..3,
    );
    let sampling = prop_oneof![
        cased("random").prop_map(Value::from),
        cased("grid").prop_map(Value::from),
        cased("bayesian").prop_map(Value::from),
        (
            prop::option::of(0i64..100),
            prop::option::of(pick(&["sobol", "random"]))
        )
            .prop_map(|(seed, rule)| obj(vec![
                ("type", Some(json!("random"))),
                ("seed", seed.map(Value::from)),
                ("rule", rule.map(Value::from))
            ])),
        Just(json!({ "type": "bayesian" })),
    ];
    let early = prop::option::of(prop_oneof![
        (1i64..4, prop_oneof![Just(0.1f64), Just(0.2)]).prop_map(|(i, s)| json!({ "type": "bandit", "evaluation_interval": i, "slack_factor": s })),
        (1i64..4, 0i64..5).prop_map(|(i, d)| json!({ "type": "median_stopping", "evaluation_interval": i, "delay_evaluation": d })),
        (prop_oneof![Just(10i64), Just(20)]).prop_map(|p| json!({ "type": "truncation_selection", "truncation_percentage": p, "evaluation_interval": 1 })),
    ]);
    let limits = (
        1i64..20,
        prop::option::of(1i64..5),
        prop::option::of(prop_oneof![Just(3600i64), Just(7200), 60i64..100_000]),
        prop::option::of(prop_oneof![Just(600i64), 60i64..10_000]),
    );
    let io = (
        prop::collection::btree_map("[a-z]{1,6}", prop_oneof![literal(), data_input()], 0..2),
        prop::option::of((1i64..3, prop::option::of(pick(&["8g"])))),
        (prop::option::of(word()), prop::option::of(word()), tags()),
    );
    (
        command_fields(),
        space,
        sampling,
        cased_of(&["maximize", "minimize"]),
        early,
        limits,
        io,
    )
        .prop_map(
            move |(
                trial,
                space,
                sampling,
                goal,
                early,
                limits,
                (inputs, resources, (display, experiment, tags)),
            )| {
                let bayesian = sampling
                    .as_str()
                    .or(sampling["type"].as_str())
                    .is_some_and(|s| s.eq_ignore_ascii_case("bayesian"));
                // Bayesian sampling takes no early termination policy.
                let early = if bayesian { None } else { early };
                let sampling_is_grid = sampling
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case("grid"));
                // Grid sampling only takes choices.
                let space: Map<String, Value> = if sampling_is_grid {
                    space
                        .into_iter()
                        .map(|(k, v)| {
                            if v["type"] == "choice" {
                                (k, v)
                            } else {
                                (k, json!({ "type": "choice", "values": [1, 2] }))
                            }
                        })
                        .collect()
                } else {
                    space.into_iter().collect()
                };
                let trial: Vec<(&str, Option<Value>)> = trial
                    .into_iter()
                    .filter(|(k, _)| *k != "distribution")
                    .collect();
                obj(vec![
                    ("type", Some(json!("sweep"))),
                    ("compute", Some(json!(compute))),
                    ("trial", Some(obj(trial))),
                    ("search_space", Some(Value::Object(space))),
                    ("sampling_algorithm", Some(sampling)),
                    (
                        "objective",
                        Some(json!({ "goal": goal, "primary_metric": "accuracy" })),
                    ),
                    ("early_termination", early),
                    ("inputs", (!inputs.is_empty()).then(|| json!(inputs))),
                    (
                        "resources",
                        resources.map(|(n, shm)| {
                            obj(vec![
                                ("instance_count", Some(json!(n))),
                                ("shm_size", shm.map(Value::from)),
                            ])
                        }),
                    ),
                    ("display_name", display.map(Value::from)),
                    ("experiment_name", experiment.map(Value::from)),
                    ("tags", tags),
                    (
                        "limits",
                        Some(limits).map(|(total, concurrent, timeout, trial_timeout)| {
                            obj(vec![
                                ("max_total_trials", Some(json!(total))),
                                ("max_concurrent_trials", concurrent.map(Value::from)),
                                ("timeout", timeout.map(Value::from)),
                                ("trial_timeout", trial_timeout.map(Value::from)),
                            ])
                        }),
                    ),
                ])
            },
        )
}

/// A schedule and the command job it creates (a file outside the manifest globs), by path or
/// as `{type, job, overrides}`.
fn schedule(name: String, compute: String) -> impl Strategy<Value = (Value, Value)> {
    (
        schedule_trigger(),
        prop_oneof![
            3 => command_job(None, compute.clone()).boxed(),
            1 => sweep_job(compute).boxed(),
        ],
        prop::option::of(tags()),
        (
            prop::option::of(word()),
            description(),
            tags(),
            prop::option::of(prop::collection::btree_map(
                "[a-z][a-z_]{0,6}",
                "[a-z0-9]{0,5}",
                1..3,
            )),
        ),
    )
        .prop_map(
            move |(trigger, job, overrides, (display, desc, tags, properties))| {
                let job_file = format!("./jobs/{name}-job.yml");
                // `{type, job, ...}` takes command (and pipeline) jobs only; a sweep goes by path.
                let create_job = match overrides.filter(|_| job["type"] == "command") {
                    None => json!(job_file),
                    Some(t) => obj(vec![
                        ("type", Some(job["type"].clone())),
                        ("job", Some(json!(job_file))),
                        ("tags", t),
                    ]),
                };
                let schedule = obj(vec![
                    ("name", Some(json!(name))),
                    ("display_name", display.map(Value::from)),
                    ("description", desc),
                    ("tags", tags),
                    ("properties", properties.map(|p| json!(p))),
                    ("trigger", Some(trigger)),
                    ("create_job", Some(create_job)),
                ]);
                (schedule, job)
            },
        )
}

/// One repo: a cluster (jobs run on it), and some of every other kind.
fn repo() -> impl Strategy<Value = Repo> {
    let cluster = "cluster-0".to_owned();
    (
        aml_compute(cluster.clone()),
        prop::collection::vec(any::<u8>(), 0..2).prop_flat_map(|v| {
            v.iter()
                .enumerate()
                .map(|(i, _)| compute_instance(format!("ci-{i}")))
                .collect::<Vec<_>>()
        }),
        prop::option::of(kubernetes("k8s-0".to_owned())),
        prop::option::of(schedule("sched-0".to_owned(), cluster.clone())),
        prop::option::of(schedule("sched-1".to_owned(), format!("azureml:{cluster}"))),
        command_job(Some("job-0".to_owned()), cluster.clone()),
        prop::option::of(command_job(None, "serverless".to_owned())),
        prop::option::of(sweep_job(cluster)),
        prop::collection::vec(prop::option::of(pick(&["running", "stopped"])), 2),
    )
        .prop_map(
            |(cluster, instances, k8s, s0, s1, job0, job1, sweep, power)| {
                let mut files = vec![("compute/cluster-0.yml".to_owned(), cluster)];
                let mut power_states = Vec::new();
                for (i, (ci, state)) in instances.into_iter().zip(power).enumerate() {
                    files.push((format!("compute/ci-{i}.yml"), ci));
                    if let Some(state) = state {
                        power_states.push((format!("ci-{i}"), state));
                    }
                }
                if let Some(k) = k8s {
                    files.push(("compute/k8s-0.yml".to_owned(), k));
                }
                for (name, s) in [("sched-0", s0), ("sched-1", s1)] {
                    if let Some((schedule, job)) = s {
                        files.push((format!("schedules/{name}.yml"), schedule));
                        files.push((format!("schedules/jobs/{name}-job.yml"), job));
                    }
                }
                files.push(("jobs/job-0.yml".to_owned(), job0));
                if let Some(j) = job1 {
                    files.push(("jobs/anonymous.yml".to_owned(), j));
                }
                if let Some(s) = sweep {
                    files.push(("jobs/sweep.yml".to_owned(), s));
                }
                Repo {
                    files,
                    power: power_states,
                }
            },
        )
}

// ---------------------------------------------------------------------------------------------
// The property.

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Run `property` over `strategy` with the seed and case count from the environment (defaults:
/// a fixed seed, `default_cases`), on a thread with room for the strategy's deep value trees.
fn check<S: Strategy<Value: 'static>>(
    default_cases: u32,
    strategy: impl FnOnce() -> S + Send + 'static,
    property: fn(&S::Value) -> Result<(), String>,
) {
    let cases = env_number("AMLCTL_CONVERGENCE_CASES").map_or(default_cases, |n| n as u32);
    let seed = env_number("AMLCTL_CONVERGENCE_SEED").unwrap_or(20_261_126);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    };
    // Generating on a thread with a large stack: the value trees are deep.
    let result = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let mut runner = TestRunner::new_with_rng(
                config,
                TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
            );
            runner
                .run(&strategy(), |v| property(&v).map_err(TestCaseError::fail))
                .map_err(|e| e.to_string())
        })
        .expect("spawn the property thread")
        .join()
        .expect("the property thread");
    if let Err(e) = result {
        panic!("seed {seed}: {e}");
    }
}

#[test]
fn apply_then_plan_is_empty_for_generated_manifests() {
    check(32, repo, apply_then_plan);
}

/// Two generated repos over the same names (the named job kept, since a job cannot change):
/// apply the first, then the second with `--prune`; the plan after must be empty. This takes
/// the update, replace, start/stop and delete paths.
#[test]
fn apply_of_a_changed_repo_then_plan_is_empty() {
    let pair = || {
        (repo(), repo(), prop::collection::vec(0u8..3, 12)).prop_map(|(first, mut second, keep)| {
            // A schedule and the job file it creates are taken from the same repo.
            let group = |rel: &str| {
                rel.replace("schedules/jobs/", "schedules/")
                    .replace("-job.yml", ".yml")
            };
            let mut groups: Vec<String> = second.files.iter().map(|(rel, _)| group(rel)).collect();
            groups.dedup();
            for (rel, manifest) in second.files.iter_mut() {
                let Some((_, before)) = first.files.iter().find(|(r, _)| r == rel) else {
                    continue;
                };
                let g = group(rel);
                let keep = groups
                    .iter()
                    .position(|x| *x == g)
                    .and_then(|i| keep.get(i))
                    .copied()
                    .unwrap_or(2);
                match keep {
                    // Unchanged.
                    0 => *manifest = before.clone(),
                    // A cluster whose scale settings change (PATCH); anything else unchanged.
                    1 if rel == "compute/cluster-0.yml" => {
                        let mut scaled = before.clone();
                        for k in [
                            "min_instances",
                            "max_instances",
                            "idle_time_before_scale_down",
                        ] {
                            match manifest.get(k) {
                                Some(v) => scaled[k] = v.clone(),
                                None => {
                                    scaled.as_object_mut().map(|m| m.remove(k));
                                }
                            }
                        }
                        *manifest = scaled;
                    }
                    // Whatever the second repo says.
                    _ => {}
                }
                // A job cannot change under its name.
                if rel == "jobs/job-0.yml" {
                    *manifest = before.clone();
                }
            }
            (first, second)
        })
    };
    check(12, pair, |(first, second)| change_then_plan(first, second));
}

fn change_then_plan(first: &Repo, second: &Repo) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let emu = start_emulator();
    let url = emu.base_url();
    let outcome = (|| {
        first.write(dir.path());
        let out = run(dir.path(), &url, &["apply", "--auto-approve"]);
        if out.status.code() != Some(0) {
            return Err(format!("first apply failed: {}", text(&out)));
        }
        // The second repo replaces the first: stale manifests removed.
        for (rel, _) in &first.files {
            let _ = std::fs::remove_file(dir.path().join(rel));
        }
        second.write(dir.path());
        let args = ["--prune", "--allow-replace-assigned"];
        let out = run(
            dir.path(),
            &url,
            &[&["apply", "--auto-approve"][..], &args].concat(),
        );
        if out.status.code() != Some(0) {
            return Err(format!("second apply failed: {}", text(&out)));
        }
        if std::env::var_os("AMLCTL_CONVERGENCE_SHOW").is_some() {
            eprintln!("{}", text(&out));
        }
        let out = run(
            dir.path(),
            &url,
            &[&["plan", "--detailed-exitcode"][..], &args].concat(),
        );
        if out.status.code() != Some(0) {
            return Err(format!(
                "plan after the second apply is not empty: {}",
                text(&out)
            ));
        }
        Ok(())
    })();
    RUNTIME.block_on(emu.shutdown());
    outcome.map_err(|e| {
        format!(
            "{e}\n--- first repo\n{}\n--- second repo\n{}",
            first.listing(),
            second.listing()
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Regressions: one plain case per bug the properties found.

/// A schedule without `display_name`: the service names it after the schedule and keeps that
/// create-only value, so the plan used to replace it on every run (`- /properties/displayName:
/// "nightly"  # forces replacement`). Fixed in `diff/rules.rs`: compared only when set.
#[test]
fn a_schedule_without_a_display_name_converges() {
    let repo = Repo {
        files: vec![
            (
                "compute/cluster-0.yml".to_owned(),
                json!({ "name": "cluster-0", "type": "amlcompute", "size": "Standard_DS3_v2" }),
            ),
            (
                "schedules/nightly.yml".to_owned(),
                json!({
                    "name": "nightly",
                    "trigger": { "type": "cron", "expression": "0 2 * * *" },
                    "create_job": "./jobs/nightly-job.yml",
                }),
            ),
            (
                "schedules/jobs/nightly-job.yml".to_owned(),
                json!({ "command": "echo hi", "environment": "azureml:env:1", "compute": "azureml:cluster-0" }),
            ),
        ],
        power: Vec::new(),
    };
    if let Err(e) = apply_then_plan(&repo) {
        panic!("{e}");
    }
    // With a display name it converges too.
    let mut named = repo.clone();
    named.files[1].1["display_name"] = json!("Nightly run");
    if let Err(e) = apply_then_plan(&named) {
        panic!("{e}");
    }
}

/// A compute instance start/stop recurrence without `interval`: optional in `az ml` and in the
/// compute's REST `Recurrence` (unlike the Schedule resource's trigger). Translation used to
/// demand it after validation had accepted the file.
#[test]
fn a_compute_instance_recurrence_without_interval_converges() {
    let repo = Repo {
        files: vec![(
            "compute/ci-0.yml".to_owned(),
            json!({
                "name": "ci-0", "type": "computeinstance", "size": "Standard_DS3_v2",
                "schedules": {"compute_start_stop": [{
                    "action": "stop",
                    "trigger": {"type": "recurrence", "frequency": "day",
                                "schedule": {"hours": [19], "minutes": [0]}}
                }]}
            }),
        )],
        power: Vec::new(),
    };
    if let Err(e) = apply_then_plan(&repo) {
        panic!("{e}");
    }
}
