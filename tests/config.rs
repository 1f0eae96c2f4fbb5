//! The repo config: discovery, parse errors, overrides, secrets, target resolution.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use amlctl::config::{
    ConfigError, RepoConfig, ResolvedTarget, TargetKind, TargetSelection, apply_overrides,
    secret_sites,
};
use amlctl::model::{PowerState, ResourceId};
use serde_json::json;

const PROD_CONFIG: &str = r#"
version: 1
manifests: ["ml/**/*.yml", "ml/**/*.yaml"]
exclude: ["ml/experimental/**"]
default_target: dev
resources:
  compute.cpu-cluster:
    protected: true
    ignore_fields: ["/properties/description"]
  compute.ci-alice:
    power_state: stopped
targets:
  dev:
    subscription: 00000000-0000-0000-0000-000000000001
    resource_group: rg-ml-dev
    workspace: mlw-dev
  prod:
    subscription: 00000000-0000-0000-0000-000000000002
    resource_group: rg-ml-prod
    workspace: mlw-prod
    cloud: AzureCloud
    auth: workload-identity
    ca_file: certs/ca.pem
    values:
      compute.cpu-cluster:
        size: Standard_NC6
        max_instances: 10
        ssh_settings:
          admin_password: ${env:CLUSTER_ADMIN_PASSWORD}
      compute.ci-alice:
        tags: { owner: { env: OWNER_NAME } }
    resources:
      compute.cpu-cluster:
        ignore_fields: ["/tags/cost-center"]
      compute.ci-alice:
        power_state: running
"#;

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap();
    }
    fs::write(path, text).unwrap();
}

fn id(s: &str) -> ResourceId {
    s.parse().unwrap()
}

fn parse(text: &str) -> Result<RepoConfig, ConfigError> {
    RepoConfig::parse(text, Path::new("/repo/amlctl.yaml"))
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn resolve(
    config: &RepoConfig,
    sel: TargetSelection,
    env: &[(&str, &str)],
) -> Result<ResolvedTarget, ConfigError> {
    config.resolve_target(&sel, &env_of(env))
}

// ---- discovery ----------------------------------------------------------------------------

#[test]
fn discovery_walks_up_to_the_config() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    write(&root.join("amlctl.yaml"), "default_target: local\n");
    let deep = root.join("ml/compute/gpu");
    fs::create_dir_all(&deep).unwrap();

    let config = RepoConfig::discover(&deep).unwrap();
    assert_eq!(
        config.file.as_deref(),
        Some(root.join("amlctl.yaml").as_path())
    );
    assert_eq!(config.root, root);
}

#[test]
fn discovery_accepts_yml_and_prefers_the_nearest() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("amlctl.yaml"), "{}\n");
    write(&tmp.path().join("sub/amlctl.yml"), "{}\n");
    let config = RepoConfig::discover(&tmp.path().join("sub")).unwrap();
    assert_eq!(config.file, Some(tmp.path().join("sub/amlctl.yml")));
}

#[test]
fn discovery_stops_at_the_git_boundary() {
    let tmp = tempfile::tempdir().unwrap();
    // A config above the repository must not be picked up.
    write(&tmp.path().join("amlctl.yaml"), "default_target: nope\n");
    let repo = tmp.path().join("repo");
    fs::create_dir_all(repo.join(".git")).unwrap();
    fs::create_dir_all(repo.join("ml")).unwrap();

    let config = RepoConfig::discover(&repo.join("ml")).unwrap();
    assert_eq!(config.file, None);
    assert_eq!(
        config.root, repo,
        "without a config the root is the work tree root"
    );
    let target = config
        .resolve_target(&TargetSelection::default(), &no_env)
        .unwrap();
    assert_eq!(target.name, "local");
    assert_eq!(
        target.kind,
        TargetKind::Local {
            state_dir: repo.join(".amlctl")
        }
    );
}

#[test]
fn both_file_names_in_one_dir_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("amlctl.yaml"), "{}\n");
    write(&tmp.path().join("amlctl.yml"), "{}\n");
    let err = RepoConfig::discover(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("keep one"), "{err}");
}

#[test]
fn manifest_files_follow_globs_and_skip_hidden_and_config() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(&root.join("amlctl.yaml"), "exclude: ['experimental/**']\n");
    for f in [
        "compute/cpu.yml",
        "jobs/train.yaml",
        "jobs/readme.md",
        "experimental/try.yml",
        ".github/workflows/plan.yml",
        "target/debug/x.yml",
        "top.yml",
    ] {
        write(&root.join(f), "x: 1\n");
    }
    let config = RepoConfig::discover(root).unwrap();
    let files = config.manifest_files().unwrap();
    assert_eq!(
        files,
        vec![
            PathBuf::from("compute/cpu.yml"),
            PathBuf::from("jobs/train.yaml"),
            PathBuf::from("top.yml")
        ]
    );
}

// ---- parse errors -------------------------------------------------------------------------

#[test]
fn yaml_syntax_error_names_file_and_line() {
    let err = parse("targets:\n  dev: [unclosed\n").unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("/repo/amlctl.yaml:"), "{msg}");
    assert!(
        matches!(err, ConfigError::Yaml { line, .. } if line >= 2),
        "{msg}"
    );
}

#[test]
fn unknown_fields_are_rejected_with_their_place() {
    let err = parse("manifest: ['*.yml']\n").unwrap_err().to_string();
    assert!(
        err.contains("/repo/amlctl.yaml") && err.contains("unknown field `manifest`"),
        "{err}"
    );

    let err = parse("targets:\n  prod:\n    subscription: s\n    resource_group: r\n    workspace: w\n    workspce: typo\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("targets.prod") && err.contains("unknown field `workspce`"),
        "{err}"
    );

    let err = parse("resources:\n  compute.a:\n    protect: true\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("resources.compute.a") && err.contains("unknown field `protect`"),
        "{err}"
    );
}

#[test]
fn errors_carry_the_line_of_the_entry() {
    let text = "targets:\n  dev:\n    subscription: s\n    resource_group: r\n    workspace: w\n  prod:\n    subscription: s\n    workspce: typo\n";
    let err = parse(text).unwrap_err().to_string();
    assert!(
        err.starts_with("/repo/amlctl.yaml:8: targets.prod: unknown field `workspce`"),
        "{err}"
    );

    let err = parse(text.replace("workspce: typo", "resource_group: r").as_str())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("/repo/amlctl.yaml:6: targets.prod: missing workspace"),
        "{err}"
    );

    let err = parse("resources:\n  compute.a:\n    power_state: paused\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("/repo/amlctl.yaml:2: resources.compute.a:"),
        "{err}"
    );
}

#[test]
fn invalid_entries_are_explained() {
    let cases = [
        (
            "targets:\n  prod:\n    workspace: w\n",
            "missing subscription, resource_group",
        ),
        (
            "targets:\n  p:\n    subscription: s\n    resource_group: r\n    workspace: w\n    cloud: AzureCloud\n    endpoint: http://127.0.0.1:1\n",
            "either `cloud` or `endpoint`",
        ),
        (
            "default_target: prod\n",
            "`prod` is not a configured target",
        ),
        (
            "resources:\n  cluster.a: {protected: true}\n",
            "not a resource address",
        ),
        (
            "resources:\n  compute.a: {power_state: paused}\n",
            "unknown variant `paused`",
        ),
        (
            "resources:\n  compute.a: {ignore_fields: [description]}\n",
            "must be a JSON pointer",
        ),
        (
            "targets:\n  local:\n    workspace: w\n",
            "built-in embedded workspace",
        ),
        (
            "targets:\n  'prod env':\n    workspace: w\n",
            "target name `prod env`",
        ),
        ("manifests: ['../*.yml']\n", "`..` is not allowed"),
        ("manifests: []\n", "at least one glob"),
        ("version: 2\n", "unsupported version 2"),
        (
            "targets:\n  p:\n    subscription: s\n    resource_group: r\n    workspace: w\n    values:\n      compute.a: {password: '${env:bad-name}'}\n",
            "not a valid secret reference",
        ),
    ];
    for (text, expected) in cases {
        let err = parse(text).expect_err(text).to_string();
        assert!(err.contains(expected), "for {text:?}: {err}");
        assert!(
            err.contains("/repo/amlctl.yaml"),
            "error must name the file: {err}"
        );
    }
}

#[test]
fn empty_file_is_the_default_config() {
    let config = parse("").unwrap();
    assert!(config.targets.is_empty());
    assert_eq!(config.default_target_name(), "local");
    assert!(config.manifests.is_manifest("a/b.yml"));
    assert!(!config.manifests.is_manifest("amlctl.yaml"));
}

// ---- targets ------------------------------------------------------------------------------

#[test]
fn default_target_is_used_without_flags() {
    let config = parse(PROD_CONFIG).unwrap();
    let t = resolve(&config, TargetSelection::default(), &[]).unwrap();
    assert_eq!(t.name, "dev");
    let TargetKind::Remote(r) = &t.kind else {
        panic!("dev is remote: {t:?}")
    };
    assert_eq!(
        (
            r.subscription.as_str(),
            r.resource_group.as_str(),
            r.workspace.as_str()
        ),
        (
            "00000000-0000-0000-0000-000000000001",
            "rg-ml-dev",
            "mlw-dev"
        )
    );
}

#[test]
fn named_target_with_flag_overrides() {
    let config = parse(PROD_CONFIG).unwrap();
    let sel = TargetSelection {
        target: Some("prod".into()),
        endpoint: Some("http://127.0.0.1:8080".into()),
        ..Default::default()
    };
    // AMLCTL_* connection variables are ignored for a named target.
    let t = resolve(&config, sel, &[("AMLCTL_WORKSPACE", "stray")]).unwrap();
    let TargetKind::Remote(r) = &t.kind else {
        panic!("prod is remote")
    };
    assert_eq!(r.workspace, "mlw-prod");
    assert_eq!(r.endpoint.as_deref(), Some("http://127.0.0.1:8080"));
    assert_eq!(
        r.cloud, None,
        "an endpoint flag replaces the configured cloud"
    );
    assert_eq!(r.auth.as_deref(), Some("workload-identity"));
    assert_eq!(
        r.ca_file.as_deref(),
        Some(Path::new("/repo/certs/ca.pem")),
        "relative to the config"
    );
}

#[test]
fn target_from_env_variable_name() {
    let config = parse(PROD_CONFIG).unwrap();
    let t = resolve(
        &config,
        TargetSelection::default(),
        &[("AMLCTL_TARGET", "prod")],
    )
    .unwrap();
    assert_eq!(t.name, "prod");
}

#[test]
fn unknown_target_lists_the_known_ones() {
    let config = parse(PROD_CONFIG).unwrap();
    let sel = TargetSelection {
        target: Some("staging".into()),
        ..Default::default()
    };
    let err = resolve(&config, sel, &[]).unwrap_err().to_string();
    assert!(
        err.contains("`staging`") && err.contains("dev, prod"),
        "{err}"
    );
}

#[test]
fn adhoc_target_from_env_without_config() {
    let config = parse("").unwrap();
    let t = resolve(
        &config,
        TargetSelection::default(),
        &[
            ("AMLCTL_SUBSCRIPTION", "sub"),
            ("AMLCTL_RESOURCE_GROUP", "rg"),
            ("AMLCTL_WORKSPACE", "ws"),
            ("AMLCTL_ARM_ENDPOINT", "http://127.0.0.1:9"),
            ("AMLCTL_AUTH", "static"),
            ("AMLCTL_CA_FILE", "/tmp/ca.pem"),
        ],
    )
    .unwrap();
    assert_eq!(t.name, "adhoc");
    let TargetKind::Remote(r) = &t.kind else {
        panic!("adhoc is remote")
    };
    assert_eq!(r.subscription, "sub");
    assert_eq!(r.resource_group, "rg");
    assert_eq!(r.workspace, "ws");
    assert_eq!(r.endpoint.as_deref(), Some("http://127.0.0.1:9"));
    assert_eq!(r.auth.as_deref(), Some("static"));
    assert_eq!(r.ca_file.as_deref(), Some(Path::new("/tmp/ca.pem")));
}

#[test]
fn adhoc_flags_beat_env_and_default_target() {
    let config = parse(PROD_CONFIG).unwrap();
    let sel = TargetSelection {
        subscription: Some("flag-sub".into()),
        resource_group: Some("flag-rg".into()),
        ..Default::default()
    };
    let t = resolve(
        &config,
        sel,
        &[
            ("AMLCTL_WORKSPACE", "env-ws"),
            ("AMLCTL_SUBSCRIPTION", "env-sub"),
        ],
    )
    .unwrap();
    let TargetKind::Remote(r) = &t.kind else {
        panic!("adhoc is remote")
    };
    assert_eq!(
        (
            r.subscription.as_str(),
            r.resource_group.as_str(),
            r.workspace.as_str()
        ),
        ("flag-sub", "flag-rg", "env-ws")
    );
    // Global options still apply to an ad-hoc target; per-target values do not.
    assert!(t.options_for(&id("compute.cpu-cluster")).protected);
    assert!(t.overrides.is_empty());
}

#[test]
fn auth_or_endpoint_alone_adjust_the_default_target() {
    let config = parse(PROD_CONFIG).unwrap();
    // A variable left in the shell neither makes an ad-hoc target nor changes `dev`.
    let t = resolve(
        &config,
        TargetSelection::default(),
        &[
            ("AMLCTL_AUTH", "token"),
            ("AMLCTL_ARM_ENDPOINT", "http://127.0.0.1:1"),
        ],
    )
    .unwrap();
    assert_eq!(t.name, "dev");
    let TargetKind::Remote(r) = &t.kind else {
        panic!("dev is remote")
    };
    assert_eq!((r.auth.as_deref(), r.endpoint.as_deref()), (None, None));
    // A flag does change it.
    let sel = TargetSelection {
        auth: Some("azure-cli".into()),
        ..Default::default()
    };
    let t = resolve(&config, sel, &[]).unwrap();
    assert_eq!(t.name, "dev");
    let TargetKind::Remote(r) = &t.kind else {
        panic!("dev is remote")
    };
    assert_eq!(r.auth.as_deref(), Some("azure-cli"));
}

#[test]
fn incomplete_adhoc_target_says_what_is_missing() {
    let config = parse("").unwrap();
    let err = resolve(
        &config,
        TargetSelection {
            workspace: Some("ws".into()),
            ..Default::default()
        },
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("subscription") && err.contains("AMLCTL_RESOURCE_GROUP"),
        "{err}"
    );
    assert!(!err.contains("missing workspace"), "{err}");
}

#[test]
fn local_target_rejects_connection_flags() {
    let config = parse("").unwrap();
    let sel = TargetSelection {
        target: Some("local".into()),
        endpoint: Some("http://127.0.0.1:1".into()),
        ..Default::default()
    };
    let err = resolve(&config, sel, &[]).unwrap_err().to_string();
    assert!(err.contains("--endpoint") && err.contains("local"), "{err}");
}

// ---- options, overrides, secrets ----------------------------------------------------------

#[test]
fn options_merge_global_then_target() {
    let config = parse(PROD_CONFIG).unwrap();
    let dev = resolve(&config, TargetSelection::default(), &[]).unwrap();
    let prod = resolve(
        &config,
        TargetSelection {
            target: Some("prod".into()),
            ..Default::default()
        },
        &[],
    )
    .unwrap();

    let cluster_dev = dev.options_for(&id("compute.cpu-cluster"));
    assert!(cluster_dev.protected);
    assert_eq!(
        cluster_dev.ignore_fields,
        vec!["/properties/description".to_string()]
    );
    let cluster_prod = prod.options_for(&id("compute.cpu-cluster"));
    assert!(cluster_prod.protected);
    assert_eq!(
        cluster_prod.ignore_fields,
        vec![
            "/properties/description".to_string(),
            "/tags/cost-center".to_string()
        ]
    );

    assert_eq!(
        dev.options_for(&id("compute.ci-alice")).power_state,
        Some(PowerState::Stopped)
    );
    assert_eq!(
        prod.options_for(&id("compute.ci-alice")).power_state,
        Some(PowerState::Running)
    );
    assert_eq!(
        prod.options_for(&id("compute.unmentioned")),
        Default::default()
    );
}

#[test]
fn overrides_deep_merge_into_the_manifest() {
    let config = parse(PROD_CONFIG).unwrap();
    let prod = resolve(
        &config,
        TargetSelection {
            target: Some("prod".into()),
            ..Default::default()
        },
        &[],
    )
    .unwrap();
    let mut manifest = json!({
        "$schema": "https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json",
        "name": "cpu-cluster",
        "type": "amlcompute",
        "size": "STANDARD_DS3_v2",
        "min_instances": 0,
        "max_instances": 2,
        "ssh_settings": {"admin_username": "azureuser"},
    });
    assert!(apply_overrides(
        &prod,
        &id("compute.cpu-cluster"),
        &mut manifest
    ));
    assert_eq!(manifest["size"], "Standard_NC6");
    assert_eq!(manifest["max_instances"], 10);
    assert_eq!(manifest["min_instances"], 0, "untouched fields stay");
    assert_eq!(manifest["ssh_settings"]["admin_username"], "azureuser");
    assert_eq!(
        manifest["ssh_settings"]["admin_password"],
        "${env:CLUSTER_ADMIN_PASSWORD}"
    );

    let sites = secret_sites(&manifest).unwrap();
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0].pointer, "/ssh_settings/admin_password");
    assert_eq!(sites[0].reference.env, "CLUSTER_ADMIN_PASSWORD");

    let dev = resolve(&config, TargetSelection::default(), &[]).unwrap();
    let before = manifest.clone();
    assert!(!apply_overrides(
        &dev,
        &id("compute.cpu-cluster"),
        &mut manifest
    ));
    assert_eq!(manifest, before);
}

#[test]
fn secrets_resolve_from_env_and_never_print() {
    let config = parse(PROD_CONFIG).unwrap();
    let prod = resolve(
        &config,
        TargetSelection {
            target: Some("prod".into()),
            ..Default::default()
        },
        &[],
    )
    .unwrap();
    let names: Vec<&str> = prod.secrets.iter().map(|r| r.env.as_str()).collect();
    assert_eq!(names, vec!["CLUSTER_ADMIN_PASSWORD", "OWNER_NAME"]);

    let env = env_of(&[
        ("CLUSTER_ADMIN_PASSWORD", "s3cr3t-value"),
        ("OWNER_NAME", "alice-value"),
    ]);
    let secrets = prod.resolve_secrets(&env).unwrap();
    assert_eq!(secrets["CLUSTER_ADMIN_PASSWORD"].expose(), "s3cr3t-value");
    let debug = format!("{secrets:?} {prod:?} {config:?}");
    assert!(
        !debug.contains("s3cr3t-value") && !debug.contains("alice-value"),
        "{debug}"
    );
    assert!(debug.contains("***"));

    let missing = prod
        .resolve_secrets(&env_of(&[("OWNER_NAME", "alice-value")]))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("CLUSTER_ADMIN_PASSWORD"), "{missing}");
    assert!(!missing.contains("alice-value"), "{missing}");
}
