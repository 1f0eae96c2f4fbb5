//! Job bodies (JobBase) and schedules, whose `CreateJob` action embeds a job definition.

use serde_json::{Map, Value};

use super::lists::{
    DISTRIBUTION_TYPES, EARLY_TERMINATION_POLICY_TYPES, IDENTITY_TYPES, INPUT_TYPES,
    JOB_LIMITS_TYPES, JOB_TYPES, OUTPUT_TYPES, RECURRENCE_FREQUENCIES, SAMPLING_ALGORITHM_TYPES,
    SCHEDULE_ACTION_TYPES, TRIGGER_TYPES,
};
use super::{Problems, T, join, object};

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
                p.duration_opt(l, &join(at, "limits"), "timeout", None);
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
            if let Some(Value::Object(l)) = p.opt(o, at, "limits", T::Obj) {
                let at2 = join(at, "limits");
                p.disc(l, &at2, "jobLimitsType", JOB_LIMITS_TYPES);
                p.duration_opt(l, &at2, "timeout", None);
                p.duration_opt(l, &at2, "trialTimeout", None);
                p.opt(l, &at2, "maxTotalTrials", T::Int);
                p.opt(l, &at2, "maxConcurrentTrials", T::Int);
            }
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
