//! Discriminator and enum values, as in the 2026-03-01 spec (the test below compares them
//! with `openapi.json`).

pub const COMPUTE_TYPES: &[&str] = &[
    "AKS",
    "Kubernetes",
    "AmlCompute",
    "ComputeInstance",
    "DataFactory",
    "VirtualMachine",
    "HDInsight",
    "Databricks",
    "DataLakeAnalytics",
    "SynapseSpark",
];

// Discriminator and enum values, as in the 2026-03-01 spec (a unit test compares them).
pub const JOB_TYPES: &[&str] = &["AutoML", "Command", "Sweep", "Pipeline", "Spark"];
pub const IDENTITY_TYPES: &[&str] = &["Managed", "AMLToken", "UserIdentity"];
pub const JOB_LIMITS_TYPES: &[&str] = &["Command", "Sweep"];
pub const SAMPLING_ALGORITHM_TYPES: &[&str] = &["Grid", "Random", "Bayesian"];
pub const EARLY_TERMINATION_POLICY_TYPES: &[&str] =
    &["Bandit", "MedianStopping", "TruncationSelection"];
pub const DISTRIBUTION_TYPES: &[&str] = &["PyTorch", "TensorFlow", "Mpi"];
pub const TRIGGER_TYPES: &[&str] = &["Recurrence", "Cron"];
pub const RECURRENCE_FREQUENCIES: &[&str] = &["Minute", "Hour", "Day", "Week", "Month"];
pub const SCHEDULE_ACTION_TYPES: &[&str] = &["CreateJob", "InvokeBatchEndpoint", "CreateMonitor"];
pub const DATASTORE_TYPES: &[&str] = &[
    "AzureBlob",
    "AzureDataLakeGen1",
    "AzureDataLakeGen2",
    "AzureFile",
    "OneLake",
];
pub const CREDENTIALS_TYPES: &[&str] = &[
    "AccountKey",
    "Certificate",
    "None",
    "Sas",
    "ServicePrincipal",
];
pub const INPUT_TYPES: &[&str] = &[
    "literal",
    "uri_file",
    "uri_folder",
    "mltable",
    "custom_model",
    "mlflow_model",
    "triton_model",
];
pub const OUTPUT_TYPES: &[&str] = &[
    "uri_file",
    "uri_folder",
    "mltable",
    "custom_model",
    "mlflow_model",
    "triton_model",
];

#[cfg(test)]
#[path = "../../../../tests/support/reference.rs"]
mod reference;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The hand-written value lists match the published spec's enums.
    #[test]
    fn value_lists_match_the_2026_03_01_spec() {
        let Some(path) = reference::find(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."),
            "azure-ml-rest/spec/2026-03-01/openapi.json",
        ) else {
            return;
        };
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let spec: Value = serde_json::from_str(&text).expect("spec is JSON");
        let defs = &spec["definitions"];
        let lists: &[(&str, &[&str])] = &[
            ("ComputeType", COMPUTE_TYPES),
            ("JobType", JOB_TYPES),
            ("JobInputType", INPUT_TYPES),
            ("JobOutputType", OUTPUT_TYPES),
            ("IdentityConfigurationType", IDENTITY_TYPES),
            ("JobLimitsType", JOB_LIMITS_TYPES),
            ("SamplingAlgorithmType", SAMPLING_ALGORITHM_TYPES),
            ("EarlyTerminationPolicyType", EARLY_TERMINATION_POLICY_TYPES),
            ("DistributionType", DISTRIBUTION_TYPES),
            ("TriggerType", TRIGGER_TYPES),
            ("RecurrenceFrequency", RECURRENCE_FREQUENCIES),
            ("ScheduleActionType", SCHEDULE_ACTION_TYPES),
            ("DatastoreType", DATASTORE_TYPES),
            ("CredentialsType", CREDENTIALS_TYPES),
        ];
        for (name, ours) in lists {
            let mut spec_values: Vec<&str> = defs[*name]["enum"]
                .as_array()
                .unwrap_or_else(|| panic!("{name} has no enum in the spec"))
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let mut ours = ours.to_vec();
            spec_values.sort_unstable();
            ours.sort_unstable();
            assert_eq!(ours, spec_values, "{name}");
        }
    }
}
