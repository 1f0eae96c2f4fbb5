//! Configuration of one emulator instance.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::faults::FaultSpec;

/// api-versions the emulator accepts: the two newest stable versions, 2025-09-01, and the seven
/// versions Microsoft's Python SDK (`azure-ai-ml` 1.35.2) mixes (see
/// `shared/reference/notes/python-sdk-as-client.md`). Anything else gets ARM's
/// `InvalidApiVersionParameter`.
pub const SUPPORTED_API_VERSIONS: &[&str] = &[
    "2026-03-01",
    "2025-12-01",
    "2025-09-01",
    "2025-01-01-preview",
    "2024-10-01-preview",
    "2024-01-01-preview",
    "2023-08-01-preview",
    "2023-06-01-preview",
    "2023-04-01-preview",
    "2023-04-01",
];

/// Everything an emulator instance needs. `Default` gives one workspace on an ephemeral
/// loopback port, in memory, plain HTTP, no faults, any bearer token.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Loopback address to bind; port 0 picks an ephemeral port.
    pub listen: SocketAddr,
    /// Workspaces served; default: `00000000-0000-0000-0000-000000000000/rg/ws` in westeurope.
    pub workspaces: Vec<WorkspaceSpec>,
    /// State file (JSON, written atomically after every change); `None` keeps state in memory.
    pub state_file: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate for 127.0.0.1 and localhost.
    pub tls: bool,
    /// Injected faults (default: none).
    pub faults: FaultSpec,
    /// `Some(t)`: require `Authorization: Bearer t`; `None`: accept any bearer token.
    pub token: Option<String>,
    /// Durations of the simulated state machines.
    pub timings: Timings,
    /// Items per page in list responses.
    pub page_size: usize,
    /// Append one JSON line per request to this file.
    pub request_log: Option<PathBuf>,
    /// Test knob: accept blob lease durations from 1 s (the service accepts 15 to 60 s, or -1
    /// for infinite), so tests can watch a lease expire in seconds.
    pub short_leases: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            workspaces: vec![WorkspaceSpec::default()],
            state_file: None,
            tls: false,
            faults: FaultSpec::default(),
            token: None,
            timings: Timings::default(),
            page_size: 100,
            request_log: None,
            short_leases: false,
        }
    }
}

/// Durations of the simulated state machines. Tests use a few milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timings {
    /// How long a long-running operation (compute create/update/delete, schedule PUT/DELETE,
    /// job cancel/delete) stays `InProgress`. `FaultSpec::lro_time` overrides it.
    pub lro: Duration,
    /// How long a compute instance stays in each transient `state` (Starting, Stopping, Restarting).
    pub compute_step: Duration,
    /// How long a job stays in each `status` before moving to the next one.
    pub job_step: Duration,
    /// `Retry-After` seconds sent with 201/202 LRO responses and with InProgress polls.
    pub retry_after_secs: u64,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            lro: Duration::from_secs(2),
            compute_step: Duration::from_secs(2),
            job_step: Duration::from_secs(2),
            retry_after_secs: 1,
        }
    }
}

impl Timings {
    /// All steps set to `d`, `Retry-After: 0`: for tests.
    pub fn uniform(d: Duration) -> Self {
        Self {
            lro: d,
            compute_step: d,
            job_step: d,
            retry_after_secs: 0,
        }
    }
}

/// One workspace the emulator serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceSpec {
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
}

impl Default for WorkspaceSpec {
    fn default() -> Self {
        Self {
            subscription: "00000000-0000-0000-0000-000000000000".into(),
            resource_group: "rg".into(),
            name: "ws".into(),
            location: "westeurope".into(),
        }
    }
}

impl WorkspaceSpec {
    /// ARM id of the workspace.
    pub fn arm_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/{}",
            self.subscription, self.resource_group, self.name
        )
    }
}

/// Why `SUB/RG/NAME[@LOCATION]` did not parse.
#[derive(Debug, thiserror::Error)]
#[error("invalid workspace {input:?}: {reason} (expected SUB/RG/NAME or SUB/RG/NAME@LOCATION)")]
pub struct WorkspaceSpecError {
    input: String,
    reason: &'static str,
}

impl FromStr for WorkspaceSpec {
    type Err = WorkspaceSpecError;

    /// `SUB/RG/NAME`, optionally `@LOCATION` (default westeurope).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| WorkspaceSpecError {
            input: s.to_string(),
            reason,
        };
        let (path, location) = match s.split_once('@') {
            Some((p, l)) if !l.is_empty() => (p, l.to_string()),
            Some(_) => return Err(err("empty location")),
            None => (s, "westeurope".to_string()),
        };
        let parts: Vec<&str> = path.split('/').collect();
        let [sub, rg, name] = parts.as_slice() else {
            return Err(err("need exactly three '/'-separated parts"));
        };
        let ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.()".contains(c))
        };
        if !ok(sub) || !ok(rg) || !ok(name) {
            return Err(err(
                "parts must be non-empty and use letters, digits, '-', '_', '.', '(', ')'",
            ));
        }
        Ok(Self {
            subscription: (*sub).to_string(),
            resource_group: (*rg).to_string(),
            name: (*name).to_string(),
            location,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_spec_parses() {
        let w: WorkspaceSpec = "s/r/n".parse().unwrap();
        assert_eq!(
            (
                w.subscription.as_str(),
                w.resource_group.as_str(),
                w.name.as_str()
            ),
            ("s", "r", "n")
        );
        assert_eq!(w.location, "westeurope");
        let w: WorkspaceSpec = "s/r/n@eastus".parse().unwrap();
        assert_eq!(w.location, "eastus");
        assert!("s/r".parse::<WorkspaceSpec>().is_err());
        assert!("s/r/n/x".parse::<WorkspaceSpec>().is_err());
        assert!("s//n".parse::<WorkspaceSpec>().is_err());
        assert!("s/r/n?x".parse::<WorkspaceSpec>().is_err());
    }
}
