//! Fingerprint of a live body, recorded in the plan and compared by `apply` with a fresh read to
//! refuse a saved plan whose resources changed since planning.
//!
//! What counts: the live body minus the kind's server-populated fields (the same list
//! normalisation drops: `systemData`, `provisioningState`, `createdOn`/`modifiedOn`, compute
//! instance `state` and `lastOperation`, AmlCompute node counts and allocation state, job `status`,
//! ...), minus the fields a running job's service rewrites (job `properties` and `services`),
//! minus secrets and `null`/empty values, with keys sorted. Tags, including the ownership
//! tag, count. So a resource that was only started, stopped, scaled by the service or that moved
//! on in its run is not "changed"; one whose configuration or tags were edited is.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::normalize::{prune_empty, sort_keys};
use super::pointer;
use super::rules::{List, Rules};
use crate::model::Kind;

/// `sha256:<hex>` of the live body's stable part.
pub fn live_fingerprint(kind: Kind, body: &Value) -> String {
    let rules = Rules::for_body(kind, body);
    let mut v = body.clone();
    for list in [List::ServerFields, List::SecretFields, List::Volatile] {
        for pat in rules.patterns(list) {
            let mut paths = pointer::matches(&v, pat);
            paths.reverse();
            for path in paths {
                pointer::remove(&mut v, &path);
            }
        }
    }
    prune_empty(&mut v);
    sort_keys(&mut v);
    let digest = Sha256::digest(v.to_string().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_running_job_keeps_its_fingerprint() {
        let queued = json!({"name": "j", "properties": {"jobType": "Command", "command": "x",
            "status": "Queued", "properties": {"a": "1"}}});
        let running = json!({"name": "j", "properties": {"jobType": "Command", "command": "x",
            "status": "Running", "properties": {"a": "1", "StartTimeUtc": "now"},
            "services": {"Studio": {"endpoint": "https://x"}}}});
        let retagged = json!({"name": "j", "properties": {"jobType": "Command", "command": "x",
            "status": "Running", "tags": {"t": "1"}}});
        let f = live_fingerprint(Kind::Job, &queued);
        assert_eq!(f, live_fingerprint(Kind::Job, &running));
        assert_ne!(f, live_fingerprint(Kind::Job, &retagged));
    }

    #[test]
    fn runtime_state_does_not_change_the_fingerprint_but_config_does() {
        let running = json!({"name": "ci", "properties": {"computeType": "ComputeInstance",
            "provisioningState": "Succeeded", "properties": {"vmSize": "A", "state": "Running"}}});
        let stopped = json!({"properties": {"properties": {"state": "Stopped", "vmSize": "A"},
            "computeType": "ComputeInstance"}, "name": "ci"});
        let resized = json!({"name": "ci", "properties": {"computeType": "ComputeInstance",
            "properties": {"vmSize": "B", "state": "Running"}}});
        let a = live_fingerprint(Kind::Compute, &running);
        assert_eq!(a, live_fingerprint(Kind::Compute, &stopped));
        assert_ne!(a, live_fingerprint(Kind::Compute, &resized));
        assert!(a.starts_with("sha256:") && a.len() == 7 + 64);
    }
}
