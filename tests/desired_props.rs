//! Property tests over generated manifests: translation succeeds, is deterministic, and maps
//! units and casing as documented.

#[path = "desired_support.rs"]
mod support;

use std::path::{Path, PathBuf};

use amlctl::desired::{canonical_json, iso_duration_from_seconds, translate};
use amlctl::model::{ManifestKind, SourceLocation};
use proptest::prelude::*;
use serde_json::json;
use support::{MemResolver, ctx};

fn source() -> SourceLocation {
    SourceLocation {
        file: PathBuf::from("m/x.yml"),
        line: 1,
    }
}

proptest! {
    #[test]
    fn aml_compute_units_and_casing(
        name in "[a-z][a-z0-9-]{2,20}",
        min in 0i64..10,
        extra in 0i64..10,
        idle in 0i64..100_000,
        tier in prop_oneof![Just("dedicated"), Just("Low_Priority"), Just("LOW_PRIORITY")],
    ) {
        let value = json!({"name": name, "type": "amlcompute", "tier": tier,
                           "min_instances": min, "max_instances": min + extra,
                           "idle_time_before_scale_down": idle});
        let r = translate(ManifestKind::AmlCompute, &value, &source(), Path::new("/m"), &ctx(), &MemResolver::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let again = translate(ManifestKind::AmlCompute, &value, &source(), Path::new("/m"), &ctx(), &MemResolver::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(canonical_json(&r.body), canonical_json(&again.body));
        prop_assert_eq!(r.id.name.as_str(), name.as_str());
        let p = &r.body["properties"]["properties"];
        let expected_tier = if tier.eq_ignore_ascii_case("dedicated") { "Dedicated" } else { "LowPriority" };
        prop_assert_eq!(&p["vmPriority"], &json!(expected_tier));
        prop_assert_eq!(&p["scaleSettings"], &json!({"maxNodeCount": min + extra, "minNodeCount": min,
            "nodeIdleTimeBeforeScaleDown": iso_duration_from_seconds(idle)}));
    }

    #[test]
    fn unnamed_jobs_are_named_by_content(
        command in "[a-z ]{1,30}",
        other in "[a-z ]{1,30}",
        inputs in proptest::collection::btree_map("[a-z]{1,8}", 0i64..1000, 0..5),
    ) {
        let job = |cmd: &str| json!({"command": cmd, "environment": "azureml:env:1", "inputs": inputs});
        let run = |cmd: &str| translate(ManifestKind::CommandJob, &job(cmd), &source(), Path::new("/m"), &ctx(), &MemResolver::default())
            .map(|r| r.id.name)
            .map_err(|e| TestCaseError::fail(e.to_string()));
        let a = run(&command)?;
        prop_assert_eq!(&a, &run(&command)?);
        prop_assert!(a.starts_with("x-"));
        if command != other {
            prop_assert_ne!(a, run(&other)?);
        }
    }
}
