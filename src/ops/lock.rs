//! A lock file per workspace, so two applies started from the same checkout never interleave.
//!
//! `<repo root>/.amlctl/locks/apply-<16 hex of sha256(workspace ARM id)>.lock`, created with
//! `create_new` (atomic on every local file system) and holding JSON `{pid, host, workspace}`.
//! It is removed when the [`ApplyLock`] is dropped. A lock left by a process that died is
//! *stale*: when its host is this host and its pid no longer runs (`/proc/<pid>` is gone on
//! Linux), it is taken over; anywhere else (another host via a shared disk, or no `/proc`)
//! the error names the file to delete.
//!
//! What this does not cover: applies from different machines or checkouts to the same remote
//! workspace. Those are serialised by the CI concurrency group (`amlctl-apply.yml`) and caught
//! by the stale-plan check `apply` runs right before writing (see `docs/gitops.md`).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another apply to {workspace} is running (pid {pid} on {host}, lock file {}); wait for it to finish, or delete the lock file if that process is gone",
        path.display()
    )]
    Held {
        workspace: String,
        pid: u32,
        host: String,
        path: PathBuf,
    },
    #[error("cannot create the apply lock {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What a lock file holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub pid: u32,
    pub host: String,
    pub workspace: String,
}

/// A held lock; released (the file removed) on drop.
#[derive(Debug)]
pub struct ApplyLock {
    path: PathBuf,
}

impl ApplyLock {
    /// Take the lock of `workspace` under `state_dir` (`.amlctl/`), taking over a stale one.
    pub fn acquire(state_dir: &Path, workspace: &str) -> Result<ApplyLock, LockError> {
        let path = lock_path(state_dir, workspace);
        let me = LockInfo {
            pid: std::process::id(),
            host: host_name(),
            workspace: workspace.to_owned(),
        };
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        // Two attempts: the second after removing a stale lock.
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => {
                    let text = serde_json::to_string(&me).unwrap_or_default();
                    file.write_all(text.as_bytes()).map_err(io)?;
                    return Ok(ApplyLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let held = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| serde_json::from_str::<LockInfo>(&t).ok());
                    match held {
                        Some(info) if is_stale(&info, &me.host) => {
                            tracing::warn!(
                                pid = info.pid,
                                "taking over a stale apply lock {}",
                                path.display()
                            );
                            let _ = std::fs::remove_file(&path);
                        }
                        Some(info) => {
                            return Err(LockError::Held {
                                workspace: workspace.to_owned(),
                                pid: info.pid,
                                host: info.host,
                                path,
                            });
                        }
                        // Being written right now, or garbage: treat as held.
                        None => {
                            return Err(LockError::Held {
                                workspace: workspace.to_owned(),
                                pid: 0,
                                host: "an unknown host".to_owned(),
                                path,
                            });
                        }
                    }
                }
                Err(e) => return Err(io(e)),
            }
        }
        let info = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<LockInfo>(&t).ok());
        Err(LockError::Held {
            workspace: workspace.to_owned(),
            pid: info.as_ref().map_or(0, |i| i.pid),
            host: info.map_or_else(|| "an unknown host".to_owned(), |i| i.host),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ApplyLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Where the lock of `workspace` lives.
pub fn lock_path(state_dir: &Path, workspace: &str) -> PathBuf {
    let digest = Sha256::digest(workspace.to_ascii_lowercase().as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    state_dir.join("locks").join(format!("apply-{hex}.lock"))
}

/// A lock is stale when it was taken on this host by a process that no longer runs.
fn is_stale(info: &LockInfo, this_host: &str) -> bool {
    info.host == this_host && !process_alive(info.pid)
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        // No cheap portable check: never call another host's or platform's lock stale.
        true
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

    #[test]
    fn second_apply_is_refused_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = ApplyLock::acquire(dir.path(), WS).unwrap();
        let err = ApplyLock::acquire(dir.path(), WS).unwrap_err();
        assert!(
            matches!(err, LockError::Held { pid, .. } if pid == std::process::id()),
            "{err}"
        );
        assert!(err.to_string().contains("another apply"), "{err}");
        // Another workspace is independent.
        let other = ApplyLock::acquire(dir.path(), &WS.replace("/ws", "/ws2")).unwrap();
        drop(other);
        drop(first);
        assert!(!lock_path(dir.path(), WS).exists());
        ApplyLock::acquire(dir.path(), WS).unwrap();
    }

    #[test]
    fn stale_lock_of_a_dead_process_is_taken_over_but_not_another_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let path = lock_path(dir.path(), WS);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // pid_max on Linux is at most 2^22: this pid cannot run.
        let dead = LockInfo {
            pid: u32::MAX - 1,
            host: host_name(),
            workspace: WS.into(),
        };
        std::fs::write(&path, serde_json::to_string(&dead).unwrap()).unwrap();
        if cfg!(target_os = "linux") {
            let lock = ApplyLock::acquire(dir.path(), WS).unwrap();
            let now: LockInfo =
                serde_json::from_str(&std::fs::read_to_string(lock.path()).unwrap()).unwrap();
            assert_eq!(now.pid, std::process::id());
        }
        let elsewhere = LockInfo {
            pid: u32::MAX - 1,
            host: "another-runner".into(),
            workspace: WS.into(),
        };
        std::fs::write(&path, serde_json::to_string(&elsewhere).unwrap()).unwrap();
        let err = ApplyLock::acquire(dir.path(), WS).unwrap_err();
        assert!(err.to_string().contains("another-runner"), "{err}");
    }
}
