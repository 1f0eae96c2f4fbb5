//! Schedules with `create_job` → `Microsoft.MachineLearningServices/workspaces/schedules`.
//!
//! Body: `{properties: {displayName, description, tags, properties, isEnabled: true,
//! trigger, action: {actionType: CreateJob, jobDefinition}}}`.
//!
//! * The Schedule resource's trigger is flat: `{triggerType: Cron, expression, startTime,
//!   endTime, timeZone}` or `{triggerType: Recurrence, frequency: Day, interval, schedule:
//!   {hours, minutes, weekDays: [Monday], monthDays}, ...}`; `timeZone` defaults to `UTC`.
//!   (Compute instance start/stop schedules reuse [`trigger_fields`] but nest the fields
//!   under `cron`/`recurrence`.)
//! * `create_job: ./job.yml` → the job file is loaded through the resolver and translated
//!   like a job manifest (same assets, same dependencies); its REST `properties` become
//!   `jobDefinition`.
//! * `create_job: azureml:<job>` → `jobDefinition: {jobType: Pipeline, sourceJobId: <job ARM
//!   id>}`, the shape the Python SDK sends for an existing job.
//! * `create_job: {type, job: <path>, <overrides>}` → the overrides are deep-merged into the
//!   loaded job before translation; with `job: azureml:<job>` the overrides are translated as
//!   a pipeline job body carrying `sourceJobId` (pipeline only, as in the SDK).

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::model::ManifestKind;

use super::assets::resolve_path;
use super::casing::{FREQUENCIES, WEEK_DAYS, lookup};
use super::job_common::{job_kind, job_properties};
use super::refs::job_id;
use super::value::{Obj, join, put};
use super::{Cx, Needs, TranslateError, TranslateErrorKind, Translated};

pub(crate) fn translate(
    cx: &Cx,
    value: &Value,
    base_dir: &Path,
) -> Result<Translated, TranslateError> {
    let root = Obj::root(*cx, value)?;
    let name = root.req_str("name")?.to_owned();
    for other in ["create_monitor", "import_data"] {
        if root.has(other) {
            return Err(cx.err(
                other,
                TranslateErrorKind::Unsupported {
                    what: format!("a schedule with `{other}`"),
                },
            ));
        }
    }
    let mut p = Map::new();
    put(&mut p, "displayName", root.str("display_name")?);
    put(&mut p, "description", root.str("description")?);
    put(&mut p, "tags", root.string_map("tags")?);
    put(&mut p, "properties", root.string_map("properties")?);
    p.insert("isEnabled".into(), json!(true));
    let trigger = root
        .obj("trigger")?
        .ok_or_else(|| cx.err("trigger", TranslateErrorKind::Missing))?;
    let (trigger_type, fields) = trigger_fields(&trigger, Interval::Required)?;
    let mut t = Map::new();
    t.insert("triggerType".into(), json!(trigger_type));
    t.extend(fields);
    p.insert("trigger".into(), Value::Object(t));
    let mut needs = Needs::default();
    let create_job = root
        .raw("create_job")
        .ok_or_else(|| cx.err("create_job", TranslateErrorKind::Missing))?;
    let definition = job_definition(cx, create_job, base_dir, &mut needs)?;
    p.insert(
        "action".into(),
        json!({ "actionType": "CreateJob", "jobDefinition": definition }),
    );
    Ok(Translated {
        name,
        type_label: "Schedule",
        body: json!({ "properties": p }),
        secret_paths: Vec::new(),
        depends_on: needs.depends_on,
        assets: needs.assets,
    })
}

fn job_definition(
    cx: &Cx,
    create_job: &Value,
    base_dir: &Path,
    needs: &mut Needs,
) -> Result<Value, TranslateError> {
    const FIELD: &str = "create_job";
    match create_job {
        Value::String(s) if s.trim().starts_with("azureml:") => {
            Ok(json!({ "jobType": "Pipeline", "sourceJobId": job_id(cx.ctx, s) }))
        }
        Value::String(path) => {
            let (job, job_dir) = load_job(cx, path, base_dir, FIELD)?;
            let kind = job_kind(cx, &job, FIELD)?;
            Ok(Value::Object(job_properties(
                cx, kind, &job, &job_dir, needs,
            )?))
        }
        Value::Object(map) => {
            let o = Obj::at(*cx, create_job, FIELD.to_owned())?;
            let job_ref = o.req_str("job")?;
            let mut overrides = map.clone();
            overrides.remove("job");
            if job_ref.trim().starts_with("azureml:") {
                let ty = o.req_str("type")?;
                if !ty.eq_ignore_ascii_case("pipeline") {
                    return Err(o.cx.err(
                        o.field("type"),
                        TranslateErrorKind::Unsupported {
                            what: format!("overriding an existing `{ty}` job in a schedule"),
                        },
                    ));
                }
                let mut props = job_properties(
                    cx,
                    ManifestKind::PipelineJob,
                    &Value::Object(overrides),
                    base_dir,
                    needs,
                )?;
                props.insert("sourceJobId".into(), json!(job_id(cx.ctx, job_ref)));
                return Ok(Value::Object(props));
            }
            let (mut job, job_dir) = load_job(cx, job_ref, base_dir, &o.field("job"))?;
            if let (Some(declared), Some(actual)) =
                (o.str("type")?, job.get("type").and_then(Value::as_str))
                && !declared.eq_ignore_ascii_case(actual)
            {
                return Err(o.invalid(
                    "type",
                    format!("`{declared}` does not match the job's type `{actual}`"),
                ));
            }
            overrides.remove("type");
            deep_merge(&mut job, Value::Object(overrides));
            let kind = job_kind(cx, &job, FIELD)?;
            Ok(Value::Object(job_properties(
                cx, kind, &job, &job_dir, needs,
            )?))
        }
        _ => Err(cx.invalid(
            FIELD,
            "expected a job file path, `azureml:<job>` or a mapping",
        )),
    }
}

fn load_job(
    cx: &Cx,
    path: &str,
    base_dir: &Path,
    field: &str,
) -> Result<(Value, std::path::PathBuf), TranslateError> {
    let file = resolve_path(base_dir, path);
    let job = cx.resolver.load_yaml_as_json(&file).map_err(|message| {
        cx.err(
            field,
            TranslateErrorKind::Reference {
                what: "job file",
                path: file.clone(),
                message,
            },
        )
    })?;
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok((job, dir))
}

/// Merge `overlay` into `base`: objects key by key, anything else replaced.
pub(crate) fn deep_merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) if existing.is_object() && v.is_object() => {
                        deep_merge(existing, v)
                    }
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Whether a recurrence must say its `interval`: the Schedule resource's `RecurrenceTrigger`
/// requires it, a compute instance's start/stop `Recurrence` does not.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interval {
    Required,
    Optional,
}

/// A trigger's type (`Cron`, `Recurrence`) and its REST fields (without `triggerType`).
pub(crate) fn trigger_fields(
    t: &Obj,
    interval: Interval,
) -> Result<(&'static str, Map<String, Value>), TranslateError> {
    let ty = t.req_str("type")?;
    let mut m = Map::new();
    let rest_type = match ty.to_ascii_lowercase().as_str() {
        "cron" => {
            m.insert("expression".into(), json!(t.req_str("expression")?));
            "Cron"
        }
        "recurrence" => {
            let freq = t.req_str("frequency")?;
            let freq = lookup(freq, FREQUENCIES).ok_or_else(|| {
                t.invalid(
                    "frequency",
                    format!("`{freq}` is not minute, hour, day, week or month"),
                )
            })?;
            m.insert("frequency".into(), json!(freq));
            match (t.int("interval")?, interval) {
                (Some(n), _) => {
                    m.insert("interval".into(), json!(n));
                }
                (None, Interval::Optional) => {}
                (None, Interval::Required) => {
                    return Err(t.cx.err(t.field("interval"), TranslateErrorKind::Missing));
                }
            }
            if let Some(s) = t.obj("schedule")? {
                m.insert("schedule".into(), recurrence_pattern(&s)?);
            }
            "Recurrence"
        }
        _ => return Err(t.invalid("type", format!("`{ty}` is not cron or recurrence"))),
    };
    put(&mut m, "startTime", t.scalar_string("start_time")?);
    put(&mut m, "endTime", t.scalar_string("end_time")?);
    m.insert(
        "timeZone".into(),
        json!(t.str("time_zone")?.unwrap_or("UTC")),
    );
    Ok((rest_type, m))
}

fn recurrence_pattern(s: &Obj) -> Result<Value, TranslateError> {
    let mut m = Map::new();
    for (yaml, rest) in [
        ("hours", "hours"),
        ("minutes", "minutes"),
        ("month_days", "monthDays"),
    ] {
        let values = match s.raw(yaml) {
            None if yaml == "month_days" => continue,
            None => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(single) => vec![single.clone()],
        };
        for (i, v) in values.iter().enumerate() {
            if !v.is_i64() {
                return Err(s
                    .cx
                    .invalid(join(&s.field(yaml), &i.to_string()), "expected an integer"));
            }
        }
        m.insert(rest.into(), Value::Array(values));
    }
    if let Some(days) = s.raw("week_days") {
        let days = match days {
            Value::Array(items) => items.clone(),
            single => vec![single.clone()],
        };
        let mut out = Vec::new();
        for (i, d) in days.iter().enumerate() {
            let field = join(&s.field("week_days"), &i.to_string());
            let name = d
                .as_str()
                .ok_or_else(|| s.cx.invalid(field.clone(), "expected a day name"))?;
            let day = lookup(name, WEEK_DAYS).ok_or_else(|| {
                s.cx.invalid(field, format!("`{name}` is not a day of the week"))
            })?;
            out.push(json!(day));
        }
        m.insert("weekDays".into(), Value::Array(out));
    }
    Ok(Value::Object(m))
}
