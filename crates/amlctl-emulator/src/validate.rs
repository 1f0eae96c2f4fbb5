//! Request-body validation against the published shapes (2026-03-01 OpenAPI), hand-written for
//! the resources in scope: required fields, known discriminator values, JSON types, a few enums.
//! Every problem is collected (not only the first) as `(target, message)`.

use serde_json::{Map, Value};

/// Collected problems.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<(String, String)>);

/// Expected JSON type.
#[derive(Debug, Clone, Copy)]
pub enum T {
    Str,
    Bool,
    Int,
    Obj,
    Arr,
}

impl T {
    fn matches(self, v: &Value) -> bool {
        match self {
            T::Str => v.is_string(),
            T::Bool => v.is_boolean(),
            T::Int => v.is_i64() || v.is_u64(),
            T::Obj => v.is_object(),
            T::Arr => v.is_array(),
        }
    }
    fn name(self) -> &'static str {
        match self {
            T::Str => "a string",
            T::Bool => "a boolean",
            T::Int => "an integer",
            T::Obj => "an object",
            T::Arr => "an array",
        }
    }
}

impl Problems {
    pub fn add(&mut self, target: &str, message: impl Into<String>) {
        self.0.push((target.to_string(), message.into()));
    }

    /// Optional field of type `t` (null counts as absent). Returns it when present and well-typed.
    pub fn opt<'v>(
        &mut self,
        o: &'v Map<String, Value>,
        at: &str,
        field: &str,
        t: T,
    ) -> Option<&'v Value> {
        match o.get(field) {
            None | Some(Value::Null) => None,
            Some(v) if t.matches(v) => Some(v),
            Some(_) => {
                self.add(&join(at, field), format!("must be {}", t.name()));
                None
            }
        }
    }

    /// Required field of type `t`.
    pub fn req<'v>(
        &mut self,
        o: &'v Map<String, Value>,
        at: &str,
        field: &str,
        t: T,
    ) -> Option<&'v Value> {
        match o.get(field) {
            None | Some(Value::Null) => {
                self.add(&join(at, field), "is required");
                None
            }
            Some(_) => self.opt(o, at, field, t),
        }
    }

    /// Optional string field restricted to `allowed` (case-insensitive when `ci`).
    pub fn enum_opt(
        &mut self,
        o: &Map<String, Value>,
        at: &str,
        field: &str,
        allowed: &[&str],
        ci: bool,
    ) {
        if let Some(Value::String(s)) = self.opt(o, at, field, T::Str)
            && !allowed.iter().any(|a| {
                if ci {
                    a.eq_ignore_ascii_case(s)
                } else {
                    a == s
                }
            })
        {
            self.add(
                &join(at, field),
                format!("'{s}' is not one of {}", allowed.join(", ")),
            );
        }
    }

    /// A required discriminator: returns its value when known.
    pub fn disc<'v>(
        &mut self,
        o: &'v Map<String, Value>,
        at: &str,
        field: &str,
        allowed: &[&str],
    ) -> Option<&'v str> {
        let s = self.req(o, at, field, T::Str)?.as_str()?;
        if allowed.contains(&s) {
            Some(s)
        } else {
            self.add(
                &join(at, field),
                format!(
                    "unknown discriminator value '{s}'; known: {}",
                    allowed.join(", ")
                ),
            );
            None
        }
    }

    /// An optional map of strings. Numbers and booleans are accepted too: the Python SDK sends
    /// e.g. `"hash_version": 202208` in a code version's `properties`.
    pub fn string_map(&mut self, o: &Map<String, Value>, at: &str, field: &str) {
        if let Some(Value::Object(m)) = self.opt(o, at, field, T::Obj) {
            for (k, v) in m {
                if v.is_object() || v.is_array() {
                    self.add(&format!("{}.{k}", join(at, field)), "must be a string");
                }
            }
        }
    }

    pub fn into_result(self) -> Result<(), Vec<(String, String)>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

pub fn join(at: &str, field: &str) -> String {
    if at.is_empty() {
        field.to_string()
    } else {
        format!("{at}.{field}")
    }
}

/// The body must be an object; returns it or records the problem.
pub fn object<'v>(p: &mut Problems, v: &'v Value, at: &str) -> Option<&'v Map<String, Value>> {
    match v.as_object() {
        Some(o) => Some(o),
        None => {
            p.add(if at.is_empty() { "body" } else { at }, "must be an object");
            None
        }
    }
}

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

/// Compute PUT body (ComputeResource).
pub fn compute_put(body: &Value) -> Result<(), Vec<(String, String)>> {
    let mut p = Problems::default();
    if let Some(o) = object(&mut p, body, "") {
        p.opt(o, "", "location", T::Str);
        p.string_map(o, "", "tags");
        if let Some(Value::Object(id)) = p.opt(o, "", "identity", T::Obj) {
            p.enum_opt(
                id,
                "identity",
                "type",
                &[
                    "None",
                    "SystemAssigned",
                    "UserAssigned",
                    "SystemAssigned,UserAssigned",
                    "SystemAssigned, UserAssigned",
                ],
                true,
            );
        }
        if let Some(Value::Object(props)) = p.req(o, "", "properties", T::Obj) {
            let at = "properties";
            let ct = p.disc(props, at, "computeType", COMPUTE_TYPES);
            p.opt(props, at, "description", T::Str);
            p.opt(props, at, "resourceId", T::Str);
            p.opt(props, at, "computeLocation", T::Str);
            p.opt(props, at, "disableLocalAuth", T::Bool);
            let inner = p
                .opt(props, at, "properties", T::Obj)
                .and_then(Value::as_object);
            let at = "properties.properties";
            match (ct, inner) {
                (Some("ComputeInstance"), Some(i)) => compute_instance(&mut p, i, at),
                (Some("AmlCompute"), Some(i)) => aml_compute(&mut p, i, at),
                (Some("Kubernetes"), Some(i)) => {
                    for f in [
                        "namespace",
                        "defaultInstanceType",
                        "extensionInstanceReleaseTrain",
                        "vcName",
                        "relayConnectionString",
                        "serviceBusConnectionString",
                        "extensionPrincipalId",
                    ] {
                        p.opt(i, at, f, T::Str);
                    }
                    p.opt(i, at, "instanceTypes", T::Obj);
                }
                _ => {}
            }
            // Attaching a Kubernetes cluster needs its ARM id; other attach types are not checked
            // (the published examples create a DataFactory compute without one).
            if ct == Some("Kubernetes") && props.get("resourceId").is_none_or(Value::is_null) {
                p.add(
                    "properties.resourceId",
                    "is required to attach an existing compute",
                );
            }
        }
    }
    p.into_result()
}

fn compute_instance(p: &mut Problems, i: &Map<String, Value>, at: &str) {
    p.opt(i, at, "vmSize", T::Str);
    p.enum_opt(
        i,
        at,
        "applicationSharingPolicy",
        &["Personal", "Shared"],
        false,
    );
    p.enum_opt(
        i,
        at,
        "computeInstanceAuthorizationType",
        &["personal"],
        false,
    );
    p.opt(i, at, "enableSSO", T::Bool);
    p.opt(i, at, "enableNodePublicIp", T::Bool);
    p.opt(i, at, "enableRootAccess", T::Bool);
    p.opt(i, at, "idleTimeBeforeShutdown", T::Str);
    if let Some(Value::Object(s)) = p.opt(i, at, "subnet", T::Obj) {
        p.req(s, &join(at, "subnet"), "id", T::Str);
    }
    if let Some(Value::Object(s)) = p.opt(i, at, "sshSettings", T::Obj) {
        p.enum_opt(
            s,
            &join(at, "sshSettings"),
            "sshPublicAccess",
            &["Enabled", "Disabled"],
            false,
        );
        p.opt(s, &join(at, "sshSettings"), "adminPublicKey", T::Str);
    }
    if let Some(Value::Object(s)) = p.opt(i, at, "personalComputeInstanceSettings", T::Obj) {
        let at2 = join(at, "personalComputeInstanceSettings");
        if let Some(Value::Object(u)) = p.opt(s, &at2, "assignedUser", T::Obj) {
            p.req(u, &join(&at2, "assignedUser"), "objectId", T::Str);
            p.req(u, &join(&at2, "assignedUser"), "tenantId", T::Str);
        }
    }
    p.opt(i, at, "customServices", T::Arr);
    if let Some(Value::Object(s)) = p.opt(i, at, "schedules", T::Obj) {
        let at2 = join(at, "schedules");
        if let Some(Value::Array(list)) = p.opt(s, &at2, "computeStartStop", T::Arr) {
            for (n, item) in list.iter().enumerate() {
                let at3 = format!("{at2}.computeStartStop[{n}]");
                if let Some(o) = object(p, item, &at3) {
                    p.enum_opt(o, &at3, "status", &["Enabled", "Disabled"], false);
                    p.enum_opt(o, &at3, "action", &["Start", "Stop"], false);
                    p.enum_opt(o, &at3, "triggerType", &["Recurrence", "Cron"], false);
                    if let Some(Value::Object(c)) = p.opt(o, &at3, "cron", T::Obj) {
                        p.opt(c, &join(&at3, "cron"), "expression", T::Str);
                    }
                    p.opt(o, &at3, "recurrence", T::Obj);
                }
            }
        }
    }
}

fn aml_compute(p: &mut Problems, i: &Map<String, Value>, at: &str) {
    p.opt(i, at, "vmSize", T::Str);
    p.enum_opt(i, at, "osType", &["Linux", "Windows"], false);
    p.enum_opt(i, at, "vmPriority", &["Dedicated", "LowPriority"], false);
    p.enum_opt(
        i,
        at,
        "remoteLoginPortPublicAccess",
        &["Enabled", "Disabled", "NotSpecified"],
        false,
    );
    p.opt(i, at, "enableNodePublicIp", T::Bool);
    p.opt(i, at, "isolatedNetwork", T::Bool);
    if let Some(Value::Object(s)) = p.opt(i, at, "scaleSettings", T::Obj) {
        scale_settings(p, s, &join(at, "scaleSettings"));
    }
    if let Some(Value::Object(c)) = p.opt(i, at, "userAccountCredentials", T::Obj) {
        let at2 = join(at, "userAccountCredentials");
        p.req(c, &at2, "adminUserName", T::Str);
        p.opt(c, &at2, "adminUserSshPublicKey", T::Str);
        p.opt(c, &at2, "adminUserPassword", T::Str);
    }
    if let Some(Value::Object(s)) = p.opt(i, at, "subnet", T::Obj) {
        p.req(s, &join(at, "subnet"), "id", T::Str);
    }
}

fn scale_settings(p: &mut Problems, s: &Map<String, Value>, at: &str) {
    let max = p.req(s, at, "maxNodeCount", T::Int).and_then(Value::as_i64);
    let min = p.opt(s, at, "minNodeCount", T::Int).and_then(Value::as_i64);
    p.opt(s, at, "nodeIdleTimeBeforeScaleDown", T::Str);
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        p.add(&join(at, "minNodeCount"), "must not exceed maxNodeCount");
    }
    if min.is_some_and(|m| m < 0) || max.is_some_and(|m| m < 0) {
        p.add(at, "node counts must not be negative");
    }
}

/// Compute PATCH body (ClusterUpdateParameters).
pub fn compute_patch(body: &Value) -> Result<(), Vec<(String, String)>> {
    let mut p = Problems::default();
    if let Some(o) = object(&mut p, body, "")
        && let Some(Value::Object(props)) = p.req(o, "", "properties", T::Obj)
        && let Some(Value::Object(inner)) = p.req(props, "properties", "properties", T::Obj)
        && let Some(Value::Object(s)) =
            p.req(inner, "properties.properties", "scaleSettings", T::Obj)
    {
        scale_settings(&mut p, s, "properties.properties.scaleSettings");
    }
    p.into_result()
}

// Discriminator and enum values, as in the 2026-03-01 spec (a unit test compares them).
const JOB_TYPES: &[&str] = &["AutoML", "Command", "Sweep", "Pipeline", "Spark"];
const IDENTITY_TYPES: &[&str] = &["Managed", "AMLToken", "UserIdentity"];
const JOB_LIMITS_TYPES: &[&str] = &["Command", "Sweep"];
const SAMPLING_ALGORITHM_TYPES: &[&str] = &["Grid", "Random", "Bayesian"];
const EARLY_TERMINATION_POLICY_TYPES: &[&str] =
    &["Bandit", "MedianStopping", "TruncationSelection"];
const DISTRIBUTION_TYPES: &[&str] = &["PyTorch", "TensorFlow", "Mpi"];
const TRIGGER_TYPES: &[&str] = &["Recurrence", "Cron"];
const RECURRENCE_FREQUENCIES: &[&str] = &["Minute", "Hour", "Day", "Week", "Month"];
const SCHEDULE_ACTION_TYPES: &[&str] = &["CreateJob", "InvokeBatchEndpoint", "CreateMonitor"];
const DATASTORE_TYPES: &[&str] = &[
    "AzureBlob",
    "AzureDataLakeGen1",
    "AzureDataLakeGen2",
    "AzureFile",
    "OneLake",
];
const CREDENTIALS_TYPES: &[&str] = &[
    "AccountKey",
    "Certificate",
    "None",
    "Sas",
    "ServicePrincipal",
];
const INPUT_TYPES: &[&str] = &[
    "literal",
    "uri_file",
    "uri_folder",
    "mltable",
    "custom_model",
    "mlflow_model",
    "triton_model",
];
const OUTPUT_TYPES: &[&str] = &[
    "uri_file",
    "uri_folder",
    "mltable",
    "custom_model",
    "mlflow_model",
    "triton_model",
];

/// Job PUT body (JobBase).
pub fn job_put(body: &Value) -> Result<(), Vec<(String, String)>> {
    let mut p = Problems::default();
    if let Some(o) = object(&mut p, body, "")
        && let Some(props) = p
            .req(o, "", "properties", T::Obj)
            .and_then(Value::as_object)
    {
        job_properties(&mut p, props, "properties");
    }
    p.into_result()
}

/// JobBaseProperties (also a schedule's `jobDefinition`).
pub fn job_properties(p: &mut Problems, o: &Map<String, Value>, at: &str) {
    let jt = p.disc(o, at, "jobType", JOB_TYPES);
    for f in [
        "description",
        "displayName",
        "experimentName",
        "computeId",
        "componentId",
    ] {
        p.opt(o, at, f, T::Str);
    }
    p.string_map(o, at, "tags");
    p.string_map(o, at, "properties");
    p.opt(o, at, "isArchived", T::Bool);
    if let Some(Value::Object(id)) = p.opt(o, at, "identity", T::Obj) {
        p.disc(id, &join(at, "identity"), "identityType", IDENTITY_TYPES);
    }
    if let Some(Value::Object(svc)) = p.opt(o, at, "services", T::Obj) {
        for (k, v) in svc {
            object(p, v, &format!("{at}.services.{k}"));
        }
    }
    if let Some(Value::Object(ins)) = p.opt(o, at, "inputs", T::Obj) {
        for (k, v) in ins {
            let at2 = format!("{at}.inputs.{k}");
            if let Some(i) = object(p, v, &at2) {
                match p.disc(i, &at2, "jobInputType", INPUT_TYPES) {
                    Some("literal") => {
                        p.req(i, &at2, "value", T::Str);
                    }
                    Some(_) => {
                        p.req(i, &at2, "uri", T::Str);
                    }
                    None => {}
                }
            }
        }
    }
    if let Some(Value::Object(outs)) = p.opt(o, at, "outputs", T::Obj) {
        for (k, v) in outs {
            let at2 = format!("{at}.outputs.{k}");
            if let Some(i) = object(p, v, &at2) {
                p.disc(i, &at2, "jobOutputType", OUTPUT_TYPES);
                p.opt(i, &at2, "uri", T::Str);
            }
        }
    }
    match jt {
        Some("Command") => {
            match p.req(o, at, "command", T::Str) {
                Some(Value::String(c)) if c.trim().is_empty() => {
                    p.add(&join(at, "command"), "must not be empty")
                }
                _ => {}
            }
            p.req(o, at, "environmentId", T::Str);
            p.opt(o, at, "codeId", T::Str);
            p.string_map(o, at, "environmentVariables");
            if let Some(Value::Object(l)) = p.opt(o, at, "limits", T::Obj) {
                p.disc(l, &join(at, "limits"), "jobLimitsType", JOB_LIMITS_TYPES);
                p.opt(l, &join(at, "limits"), "timeout", T::Str);
            }
            distribution(p, o, at);
            resources(p, o, at);
        }
        Some("Sweep") => {
            if let Some(Value::Object(obj)) = p.req(o, at, "objective", T::Obj) {
                p.req(obj, &join(at, "objective"), "primaryMetric", T::Str);
                p.enum_opt(
                    obj,
                    &join(at, "objective"),
                    "goal",
                    &["Minimize", "Maximize"],
                    false,
                );
            }
            if let Some(Value::Object(s)) = p.req(o, at, "samplingAlgorithm", T::Obj) {
                p.disc(
                    s,
                    &join(at, "samplingAlgorithm"),
                    "samplingAlgorithmType",
                    SAMPLING_ALGORITHM_TYPES,
                );
            }
            p.req(o, at, "searchSpace", T::Obj);
            if let Some(Value::Object(t)) = p.req(o, at, "trial", T::Obj) {
                let at2 = join(at, "trial");
                p.req(t, &at2, "command", T::Str);
                p.req(t, &at2, "environmentId", T::Str);
                distribution(p, t, &at2);
                resources(p, t, &at2);
            }
            if let Some(Value::Object(e)) = p.opt(o, at, "earlyTermination", T::Obj) {
                p.disc(
                    e,
                    &join(at, "earlyTermination"),
                    "policyType",
                    EARLY_TERMINATION_POLICY_TYPES,
                );
            }
        }
        Some("Pipeline") => {
            p.opt(o, at, "jobs", T::Obj);
            p.opt(o, at, "settings", T::Obj);
        }
        Some("Spark") => {
            p.req(o, at, "entry", T::Obj);
            p.req(o, at, "codeId", T::Str);
        }
        Some("AutoML") => {
            p.req(o, at, "taskDetails", T::Obj);
        }
        _ => {}
    }
}

fn distribution(p: &mut Problems, o: &Map<String, Value>, at: &str) {
    if let Some(Value::Object(d)) = p.opt(o, at, "distribution", T::Obj) {
        p.disc(
            d,
            &join(at, "distribution"),
            "distributionType",
            DISTRIBUTION_TYPES,
        );
    }
}

fn resources(p: &mut Problems, o: &Map<String, Value>, at: &str) {
    if let Some(Value::Object(r)) = p.opt(o, at, "resources", T::Obj) {
        let at2 = join(at, "resources");
        p.opt(r, &at2, "instanceCount", T::Int);
        p.opt(r, &at2, "instanceType", T::Str);
        p.opt(r, &at2, "shmSize", T::Str);
    }
}

/// Schedule PUT body.
pub fn schedule_put(body: &Value) -> Result<(), Vec<(String, String)>> {
    let mut p = Problems::default();
    if let Some(o) = object(&mut p, body, "")
        && let Some(props) = p
            .req(o, "", "properties", T::Obj)
            .and_then(Value::as_object)
    {
        let at = "properties";
        p.opt(props, at, "displayName", T::Str);
        p.opt(props, at, "description", T::Str);
        p.opt(props, at, "isEnabled", T::Bool);
        p.string_map(props, at, "tags");
        p.string_map(props, at, "properties");
        if let Some(t) = p
            .req(props, at, "trigger", T::Obj)
            .and_then(Value::as_object)
        {
            let at2 = "properties.trigger";
            for f in ["startTime", "endTime", "timeZone"] {
                p.opt(t, at2, f, T::Str);
            }
            match p.disc(t, at2, "triggerType", TRIGGER_TYPES) {
                Some("Cron") => {
                    p.req(t, at2, "expression", T::Str);
                }
                Some(_) => {
                    p.enum_opt(t, at2, "frequency", RECURRENCE_FREQUENCIES, true);
                    if t.get("frequency").is_none_or(Value::is_null) {
                        p.add(&join(at2, "frequency"), "is required");
                    }
                    p.req(t, at2, "interval", T::Int);
                    if let Some(Value::Object(s)) = p.opt(t, at2, "schedule", T::Obj) {
                        p.req(s, &join(at2, "schedule"), "hours", T::Arr);
                        p.req(s, &join(at2, "schedule"), "minutes", T::Arr);
                    }
                }
                None => {}
            }
        }
        if let Some(a) = p
            .req(props, at, "action", T::Obj)
            .and_then(Value::as_object)
        {
            let at2 = "properties.action";
            match p.disc(a, at2, "actionType", SCHEDULE_ACTION_TYPES) {
                Some("CreateJob") => {
                    if let Some(Value::Object(j)) = p.req(a, at2, "jobDefinition", T::Obj) {
                        job_properties(&mut p, j, "properties.action.jobDefinition");
                    }
                }
                Some("InvokeBatchEndpoint") => {
                    p.req(a, at2, "endpointInvocationDefinition", T::Obj);
                }
                Some(_) => {
                    p.req(a, at2, "monitorDefinition", T::Obj);
                }
                None => {}
            }
        }
    }
    p.into_result()
}

/// Asset container / version PUT bodies: `properties` object with the common ResourceBase fields
/// and the kind-specific required field (`componentSpec` for components).
pub fn asset_put(body: &Value, required: Option<(&str, T)>) -> Result<(), Vec<(String, String)>> {
    let mut p = Problems::default();
    if let Some(o) = object(&mut p, body, "")
        && let Some(props) = p
            .req(o, "", "properties", T::Obj)
            .and_then(Value::as_object)
    {
        let at = "properties";
        p.opt(props, at, "description", T::Str);
        p.string_map(props, at, "tags");
        p.string_map(props, at, "properties");
        p.opt(props, at, "isAnonymous", T::Bool);
        p.opt(props, at, "isArchived", T::Bool);
        p.opt(props, at, "codeUri", T::Str);
        p.opt(props, at, "image", T::Str);
        p.opt(props, at, "condaFile", T::Str);
        if let Some(Value::Object(b)) = p.opt(props, at, "build", T::Obj) {
            p.req(b, "properties.build", "contextUri", T::Str);
        }
        if let Some((field, t)) = required {
            p.req(props, at, field, t);
        }
    }
    p.into_result()
}

/// Datastore PUT body.
pub fn datastore_put(body: &Value) -> Result<(), Vec<(String, String)>> {
    let mut p = Problems::default();
    if let Some(o) = object(&mut p, body, "")
        && let Some(props) = p
            .req(o, "", "properties", T::Obj)
            .and_then(Value::as_object)
    {
        let at = "properties";
        let dt = p.disc(props, at, "datastoreType", DATASTORE_TYPES);
        if let Some(Value::Object(c)) = p.req(props, at, "credentials", T::Obj) {
            p.disc(
                c,
                "properties.credentials",
                "credentialsType",
                CREDENTIALS_TYPES,
            );
        }
        if matches!(dt, Some("AzureBlob") | Some("AzureFile")) {
            p.req(props, at, "accountName", T::Str);
        }
    }
    p.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The hand-written value lists match the published spec's enums.
    #[test]
    fn value_lists_match_the_2026_03_01_spec() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference/azure-ml-rest/spec/2026-03-01/openapi.json");
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

    #[test]
    fn problems_are_all_collected() {
        let body = json!({"properties": {"jobType": "Command", "tags": {"a": [1]}, "inputs": {"x": {"jobInputType": "nope"}}}});
        let problems = job_put(&body).unwrap_err();
        let targets: Vec<&str> = problems.iter().map(|(t, _)| t.as_str()).collect();
        for t in [
            "properties.tags.a",
            "properties.inputs.x.jobInputType",
            "properties.command",
            "properties.environmentId",
        ] {
            assert!(targets.contains(&t), "{t} not in {targets:?}");
        }
        assert!(job_put(&json!([])).is_err());
        assert!(compute_put(&json!({"properties": {"computeType": "AmlCompute", "properties": {"scaleSettings": {"maxNodeCount": 1, "minNodeCount": 2}}}})).is_err());
        assert!(compute_put(&json!({"properties": {"computeType": "AmlCompute", "properties": {"scaleSettings": {"maxNodeCount": 2}}}})).is_ok());
    }
}
