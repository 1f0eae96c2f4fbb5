//! `amlctl status`: the jobs amlctl manages in the workspace (ownership tag), with their status,
//! start time and duration, and whether the manifests still declare them; plus declared jobs
//! that were never submitted.
//!
//! Times: the ARM job resource has no start or end time of its own (those live in the run
//! history service). The submission time is `systemData.createdAt`; when the service adds
//! `properties.properties.StartTimeUtc` / `EndTimeUtc` (run-history style keys) they are
//! preferred. A finished job without `EndTimeUtc` ended at its `systemData.lastModifiedAt` (the
//! change to its terminal status). Duration: end − start when the end is known, else now −
//! start while the job is not finished, else unknown. Times are shown as RFC 3339 UTC seconds.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::live::{LiveError, observe};
use crate::model::{DesiredState, Kind, LiveState};

use super::Session;

/// Statuses after which a job does not change any more.
pub const TERMINAL_STATUSES: &[&str] = &["Completed", "Failed", "Canceled"];

/// One job as `amlctl status` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobStatus {
    pub name: String,
    /// `Command`, `Pipeline`, `Sweep` (from `properties.jobType`); the declared type label for a
    /// job not yet submitted.
    pub job_type: String,
    /// `None`: declared but not in the workspace.
    pub status: Option<String>,
    /// RFC 3339 start (or submission) time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    /// RFC 3339 end time, when the service gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// Whole seconds (see the module docs for how it is measured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
    /// A manifest declares a job of this name.
    pub declared: bool,
    /// `file:line` of the manifest that declares it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Read the workspace's jobs and list the managed ones against `desired`.
pub async fn status(
    session: &Session,
    desired: &DesiredState,
) -> Result<Vec<JobStatus>, LiveError> {
    let live = observe(&session.client, &session.workspace_path).await?;
    Ok(job_statuses(&live, desired, Timestamp::now()))
}

/// Pure: the owned jobs of `live` (sorted by start time, then name) followed by the declared jobs
/// that are not in the workspace (sorted by name). Jobs without the ownership tag are left out.
pub fn job_statuses(live: &LiveState, desired: &DesiredState, now: Timestamp) -> Vec<JobStatus> {
    let mut out: Vec<JobStatus> = live
        .resources
        .values()
        .filter(|r| r.id.kind == Kind::Job && r.owned)
        .map(|r| {
            let body = &r.body;
            let text = |p: &str| body.pointer(p).and_then(Value::as_str).map(str::to_owned);
            let status = text("/properties/status");
            let finished = status
                .as_deref()
                .is_some_and(|s| TERMINAL_STATUSES.iter().any(|t| t.eq_ignore_ascii_case(s)));
            let start_ts = timestamp(body, "/properties/properties/StartTimeUtc")
                .or_else(|| timestamp(body, "/systemData/createdAt"));
            // A finished job without a run-history end time ended, at the latest, when its
            // resource last changed (the change to its terminal status).
            let end_ts = timestamp(body, "/properties/properties/EndTimeUtc").or_else(|| {
                finished
                    .then(|| timestamp(body, "/systemData/lastModifiedAt"))
                    .flatten()
            });
            let started = start_ts.map(rfc3339);
            let ended = end_ts.map(rfc3339);
            let duration_seconds = match (start_ts, end_ts) {
                (Some(s), Some(e)) => Some(e.as_second() - s.as_second()),
                (Some(s), None) if !finished => Some((now.as_second() - s.as_second()).max(0)),
                _ => None,
            };
            let declared = desired.resources.get(&r.id);
            JobStatus {
                name: r.id.name.clone(),
                job_type: text("/properties/jobType").unwrap_or_else(|| "Unknown".to_owned()),
                status,
                started,
                ended,
                duration_seconds,
                declared: declared.is_some(),
                source: declared.map(|d| format!("{}:{}", d.source.file.display(), d.source.line)),
            }
        })
        .collect();
    out.sort_by(|a, b| a.started.cmp(&b.started).then_with(|| a.name.cmp(&b.name)));
    for (id, d) in desired
        .resources
        .iter()
        .filter(|(id, _)| id.kind == Kind::Job)
    {
        if live.resources.contains_key(id) {
            continue;
        }
        out.push(JobStatus {
            name: id.name.clone(),
            job_type: d.type_label.clone(),
            status: None,
            started: None,
            ended: None,
            duration_seconds: None,
            declared: true,
            source: Some(format!("{}:{}", d.source.file.display(), d.source.line)),
        });
    }
    out
}

/// A time of the job body, whatever RFC 3339 / ISO 8601 form the service wrote it in (.NET
/// writes seven fractional digits and `+00:00`).
fn timestamp(body: &Value, pointer: &str) -> Option<Timestamp> {
    let text = body.pointer(pointer).and_then(Value::as_str)?;
    text.parse::<Timestamp>().ok()
}

/// RFC 3339 in UTC, to the second: `2026-12-04T10:15:00Z`.
fn rfc3339(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `3723` → `1h02m03s`, `42` → `42s`.
pub fn format_duration(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s:02}s"),
        _ => format!("{h}h{m:02}m{s:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DesiredResource, LiveResource, ResourceId, SourceLocation};
    use serde_json::json;

    fn live_job(
        name: &str,
        owned: bool,
        status: &str,
        created: &str,
        extra: Value,
    ) -> LiveResource {
        let mut props = json!({"jobType": "Command", "status": status, "properties": extra});
        if owned {
            props["tags"] = json!({"amlctl-managed": "true"});
        }
        LiveResource {
            id: ResourceId::new(Kind::Job, name),
            body: json!({"name": name, "properties": props, "systemData": {"createdAt": created}}),
            owned,
        }
    }

    fn declared(name: &str) -> DesiredResource {
        DesiredResource {
            id: ResourceId::new(Kind::Job, name),
            type_label: "SweepJob".into(),
            body: json!({}),
            secret_paths: vec![],
            source: SourceLocation {
                file: "jobs/x.yml".into(),
                line: 1,
            },
            depends_on: Default::default(),
            options: Default::default(),
            assets: vec![],
        }
    }

    #[test]
    fn finished_jobs_have_a_duration_and_times_are_rfc3339() {
        let mut live = LiveState::default();
        let mut r = live_job(
            "done",
            true,
            "Completed",
            "2026-12-05T00:21:57.6380000+00:00",
            json!({}),
        );
        r.body["systemData"]["lastModifiedAt"] = json!("2026-12-05T00:23:07.1000000+00:00");
        live.resources.insert(r.id.clone(), r);
        let now: Timestamp = "2026-12-05T09:00:00Z".parse().unwrap();
        let jobs = job_statuses(&live, &DesiredState::default(), now);
        assert_eq!(jobs[0].started.as_deref(), Some("2026-12-05T00:21:57Z"));
        assert_eq!(jobs[0].ended.as_deref(), Some("2026-12-05T00:23:07Z"));
        assert_eq!(
            jobs[0].duration_seconds,
            Some(70),
            "end = last change to Completed"
        );
    }

    #[test]
    fn lists_owned_jobs_with_times_and_declared_flags() {
        let mut live = LiveState::default();
        for r in [
            live_job(
                "running",
                true,
                "Running",
                "2026-11-26T10:00:00Z",
                json!({}),
            ),
            live_job(
                "done",
                true,
                "Completed",
                "2026-11-26T09:00:00Z",
                json!({"EndTimeUtc": "2026-11-26T09:05:30Z"}),
            ),
            live_job(
                "failed-no-end",
                true,
                "Failed",
                "2026-11-26T08:00:00Z",
                json!({}),
            ),
            live_job(
                "someone-elses",
                false,
                "Running",
                "2026-11-26T07:00:00Z",
                json!({}),
            ),
        ] {
            live.resources.insert(r.id.clone(), r);
        }
        let mut desired = DesiredState::default();
        for d in [declared("running"), declared("never-submitted")] {
            desired.resources.insert(d.id.clone(), d);
        }
        let now: Timestamp = "2026-11-26T10:01:40Z".parse().unwrap();
        let jobs = job_statuses(&live, &desired, now);
        let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(
            names,
            ["failed-no-end", "done", "running", "never-submitted"]
        );
        assert_eq!(
            jobs[0].duration_seconds, None,
            "finished without an end time: unknown"
        );
        assert_eq!(jobs[1].duration_seconds, Some(330));
        assert!(!jobs[1].declared);
        assert_eq!(jobs[2].duration_seconds, Some(100));
        assert!(jobs[2].declared);
        assert_eq!(jobs[2].source.as_deref(), Some("jobs/x.yml:1"));
        assert_eq!(jobs[3].status, None);
        assert_eq!(jobs[3].job_type, "SweepJob");
    }

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(format_duration(42), "42s");
        assert_eq!(format_duration(330), "5m30s");
        assert_eq!(format_duration(3723), "1h02m03s");
    }
}
