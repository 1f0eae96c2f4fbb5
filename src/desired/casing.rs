//! Enum casing: YAML enums are case-insensitive snake_case, REST enums have the service's
//! casing, which is not uniform (PascalCase for most, `personal` for the CI authorization
//! type, snake_case for `jobInputType`, `AMLToken` for identities). Every mapping is here.

/// `low_priority` → `LowPriority`, `day` → `Day`, `MONDAY` → `Monday`.
pub(crate) fn pascal(s: &str) -> String {
    s.split(['_', '-', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut chars = lower.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// `default_instance_type` → `defaultInstanceType`; camelCase keys stay as they are.
pub(crate) fn camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Look `value` up case-insensitively (ignoring `_`) among `(yaml, rest)` pairs.
pub(crate) fn lookup(value: &str, table: &[(&str, &'static str)]) -> Option<&'static str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['_', '-'], "");
    let v = norm(value);
    table
        .iter()
        .find(|(yaml, _)| norm(yaml) == v)
        .map(|(_, rest)| *rest)
}

/// Input/output `mode` → REST `mode`.
pub(crate) const DATA_MODES: &[(&str, &str)] = &[
    ("ro_mount", "ReadOnlyMount"),
    ("rw_mount", "ReadWriteMount"),
    ("mount", "ReadWriteMount"),
    ("download", "Download"),
    ("upload", "Upload"),
    ("direct", "Direct"),
    ("eval_mount", "EvalMount"),
    ("eval_download", "EvalDownload"),
];

/// Input/output `type` → `jobInputType`/`jobOutputType` (lower snake case in REST).
pub(crate) const DATA_TYPES: &[(&str, &str)] = &[
    ("uri_file", "uri_file"),
    ("uri_folder", "uri_folder"),
    ("mltable", "mltable"),
    ("mlflow_model", "mlflow_model"),
    ("custom_model", "custom_model"),
    ("triton_model", "triton_model"),
];

/// Job `identity.type` → `identityType`.
pub(crate) const JOB_IDENTITY_TYPES: &[(&str, &str)] = &[
    ("aml_token", "AMLToken"),
    ("managed", "Managed"),
    ("managed_identity", "Managed"),
    ("user_identity", "UserIdentity"),
];

/// Compute `identity.type` → ManagedServiceIdentity `type`.
pub(crate) const COMPUTE_IDENTITY_TYPES: &[(&str, &str)] = &[
    ("system_assigned", "SystemAssigned"),
    ("user_assigned", "UserAssigned"),
    (
        "system_assigned,user_assigned",
        "SystemAssigned,UserAssigned",
    ),
    ("none", "None"),
];

/// Job service `type` → `jobServiceType`.
pub(crate) const JOB_SERVICE_TYPES: &[(&str, &str)] = &[
    ("jupyter_lab", "JupyterLab"),
    ("ssh", "SSH"),
    ("tensor_board", "TensorBoard"),
    ("vs_code", "VSCode"),
];

/// `distribution.type` → `distributionType`.
pub(crate) const DISTRIBUTION_TYPES: &[(&str, &str)] = &[
    ("pytorch", "PyTorch"),
    ("mpi", "Mpi"),
    ("tensorflow", "TensorFlow"),
    ("ray", "Ray"),
];

/// `queue_settings.job_tier` → `jobTier`.
pub(crate) const JOB_TIERS: &[(&str, &str)] = &[
    ("null", "Null"),
    ("spot", "Spot"),
    ("basic", "Basic"),
    ("standard", "Standard"),
    ("premium", "Premium"),
];

/// Recurrence `frequency` → REST `frequency`.
pub(crate) const FREQUENCIES: &[(&str, &str)] = &[
    ("minute", "Minute"),
    ("hour", "Hour"),
    ("day", "Day"),
    ("week", "Week"),
    ("month", "Month"),
];

/// `week_days` → REST `weekDays`.
pub(crate) const WEEK_DAYS: &[(&str, &str)] = &[
    ("monday", "Monday"),
    ("tuesday", "Tuesday"),
    ("wednesday", "Wednesday"),
    ("thursday", "Thursday"),
    ("friday", "Friday"),
    ("saturday", "Saturday"),
    ("sunday", "Sunday"),
];

/// AmlCompute `tier` → `vmPriority`.
pub(crate) const VM_PRIORITIES: &[(&str, &str)] =
    &[("dedicated", "Dedicated"), ("low_priority", "LowPriority")];

/// Sweep `sampling_algorithm` → `samplingAlgorithmType`.
pub(crate) const SAMPLING_ALGORITHMS: &[(&str, &str)] = &[
    ("random", "Random"),
    ("grid", "Grid"),
    ("bayesian", "Bayesian"),
];

/// Sweep `early_termination.type` → `policyType`.
pub(crate) const EARLY_TERMINATION: &[(&str, &str)] = &[
    ("bandit", "Bandit"),
    ("median_stopping", "MedianStopping"),
    ("truncation_selection", "TruncationSelection"),
];

/// Sweep `objective.goal` → `goal`.
pub(crate) const GOALS: &[(&str, &str)] = &[("minimize", "Minimize"), ("maximize", "Maximize")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case() {
        assert_eq!(pascal("low_priority"), "LowPriority");
        assert_eq!(pascal("Low_Priority"), "LowPriority");
        assert_eq!(pascal("day"), "Day");
        assert_eq!(pascal("MONDAY"), "Monday");
    }

    #[test]
    fn camel_case() {
        assert_eq!(camel("default_instance_type"), "defaultInstanceType");
        assert_eq!(camel("instanceTypes"), "instanceTypes");
        assert_eq!(camel("namespace"), "namespace");
    }

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(lookup("Low_Priority", VM_PRIORITIES), Some("LowPriority"));
        assert_eq!(lookup("aml_token", JOB_IDENTITY_TYPES), Some("AMLToken"));
        assert_eq!(lookup("RO_MOUNT", DATA_MODES), Some("ReadOnlyMount"));
        assert_eq!(lookup("vs_code", JOB_SERVICE_TYPES), Some("VSCode"));
        assert_eq!(lookup("fortnight", FREQUENCIES), None);
    }
}
