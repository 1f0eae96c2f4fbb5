//! Sweep jobs (`type: sweep`) → `jobType: Sweep`.
//!
//! `trial` → `trial` (command parts; the sweep's own `resources` apply to the trial when the
//! trial has none); `search_space` → the service's expression form (`{type: choice, values}`
//! → `["choice", [values]]`, `uniform` → `["uniform", [min, max]]`, `quniform` → `[min,
//! max, q]`, `normal` → `[mu, sigma]`, `randint` → `[upper]`); `sampling_algorithm` (string or
//! object) → `{samplingAlgorithmType: Random|Grid|Bayesian, seed, rule: Random|Sobol,
//! logbase}`; `objective` → `{goal: Minimize|Maximize, primaryMetric}`; `early_termination`
//! → `{policyType: Bandit|MedianStopping|TruncationSelection, evaluationInterval,
//! delayEvaluation, slackFactor, slackAmount, truncationPercentage}`; `limits` (seconds) →
//! `{jobLimitsType: Sweep, maxTotalTrials, maxConcurrentTrials, timeout, trialTimeout}`.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::casing::{EARLY_TERMINATION, GOALS, SAMPLING_ALGORITHMS, camel, lookup, pascal};
use super::durations::iso_duration_from_seconds;
use super::io::{Style, inputs, outputs};
use super::job_common::{base_fields, command_parts, resources};
use super::value::{Obj, join, put};
use super::{Needs, TranslateError, TranslateErrorKind};

pub(crate) fn properties(
    root: &Obj,
    base_dir: &Path,
    needs: &mut Needs,
) -> Result<Map<String, Value>, TranslateError> {
    let missing = |field: &str| root.cx.err(root.field(field), TranslateErrorKind::Missing);
    let mut p = Map::new();
    p.insert("jobType".into(), json!("Sweep"));
    let trial = root.obj("trial")?.ok_or_else(|| missing("trial"))?;
    let mut t = command_parts(&trial, base_dir, needs)?;
    if !t.contains_key("resources") {
        put(&mut t, "resources", resources(root)?);
    }
    p.insert("trial".into(), Value::Object(t));
    let space = root
        .obj("search_space")?
        .ok_or_else(|| missing("search_space"))?;
    p.insert("searchSpace".into(), search_space(&space)?);
    let algorithm = root
        .raw("sampling_algorithm")
        .ok_or_else(|| missing("sampling_algorithm"))?;
    p.insert("samplingAlgorithm".into(), sampling(root, algorithm)?);
    let objective = root.obj("objective")?.ok_or_else(|| missing("objective"))?;
    let goal = objective.req_str("goal")?;
    let goal = lookup(goal, GOALS).ok_or_else(|| {
        objective.invalid("goal", format!("`{goal}` is not minimize or maximize"))
    })?;
    p.insert(
        "objective".into(),
        json!({ "goal": goal, "primaryMetric": objective.req_str("primary_metric")? }),
    );
    if let Some(et) = root.obj("early_termination")? {
        let ty = et.req_str("type")?;
        let policy = lookup(ty, EARLY_TERMINATION).ok_or_else(|| {
            et.invalid("type", format!("unknown early termination policy `{ty}`"))
        })?;
        let mut m = Map::new();
        m.insert("policyType".into(), json!(policy));
        for (k, v) in et.map {
            if k != "type" && !v.is_null() {
                m.insert(camel(k), v.clone());
            }
        }
        p.insert("earlyTermination".into(), Value::Object(m));
    }
    if let Some(l) = root.obj("limits")? {
        let mut m = Map::new();
        m.insert("jobLimitsType".into(), json!("Sweep"));
        put(&mut m, "maxTotalTrials", l.int("max_total_trials")?);
        put(
            &mut m,
            "maxConcurrentTrials",
            l.int("max_concurrent_trials")?,
        );
        put(
            &mut m,
            "timeout",
            l.int("timeout")?.map(iso_duration_from_seconds),
        );
        put(
            &mut m,
            "trialTimeout",
            l.int("trial_timeout")?.map(iso_duration_from_seconds),
        );
        p.insert("limits".into(), Value::Object(m));
    }
    put(
        &mut p,
        "inputs",
        inputs(&root.cx, root, base_dir, Style::Rest, needs)?,
    );
    put(&mut p, "outputs", outputs(&root.cx, root, Style::Rest)?);
    base_fields(root, base_dir, &mut p, needs)?;
    Ok(p)
}

fn search_space(space: &Obj) -> Result<Value, TranslateError> {
    let mut out = Map::new();
    for (param, v) in space.map {
        let d = Obj::at(space.cx, v, join(&space.path, param))?;
        let ty = d.req_str("type")?.to_ascii_lowercase();
        let num = |key: &str| -> Result<Value, TranslateError> {
            d.raw(key)
                .cloned()
                .ok_or_else(|| d.cx.err(d.field(key), TranslateErrorKind::Missing))
        };
        let args = match ty.as_str() {
            "choice" => {
                let values = num("values")?;
                if !values.is_array() {
                    return Err(d.invalid("values", "expected a list"));
                }
                vec![values]
            }
            "randint" => vec![num("upper")?],
            "uniform" | "loguniform" => vec![num("min_value")?, num("max_value")?],
            "quniform" | "qloguniform" => vec![num("min_value")?, num("max_value")?, num("q")?],
            "normal" | "lognormal" => vec![num("mu")?, num("sigma")?],
            "qnormal" | "qlognormal" => vec![num("mu")?, num("sigma")?, num("q")?],
            other => return Err(d.invalid("type", format!("unknown search space type `{other}`"))),
        };
        out.insert(param.clone(), json!([ty, args]));
    }
    Ok(Value::Object(out))
}

fn sampling(root: &Obj, v: &Value) -> Result<Value, TranslateError> {
    let field = root.field("sampling_algorithm");
    let (ty, extra) = match v {
        Value::String(s) => (s.as_str(), None),
        Value::Object(_) => {
            let o = Obj::at(root.cx, v, field.clone())?;
            (o.req_str("type")?, Some(o))
        }
        _ => return Err(root.cx.invalid(field, "expected a string or a mapping")),
    };
    let rest = lookup(ty, SAMPLING_ALGORITHMS).ok_or_else(|| {
        root.cx
            .invalid(field.clone(), format!("unknown sampling algorithm `{ty}`"))
    })?;
    let mut m = Map::new();
    m.insert("samplingAlgorithmType".into(), json!(rest));
    if let Some(o) = extra {
        put(&mut m, "seed", o.int("seed")?);
        put(&mut m, "rule", o.str("rule")?.map(pascal));
        put(&mut m, "logbase", o.scalar_string("logbase")?);
    }
    Ok(Value::Object(m))
}
