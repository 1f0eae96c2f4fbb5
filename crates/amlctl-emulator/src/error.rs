//! Errors of the emulator's public API.

use std::path::PathBuf;

/// Why the emulator could not start (or persist its state).
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("refusing to listen on {0}: the emulator binds 127.0.0.1 only")]
    NotLoopback(std::net::SocketAddr),
    #[error("cannot bind {addr}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read state file {path}")]
    ReadState {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("state file {path} is not valid emulator state")]
    ParseState {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write state file {path}")]
    WriteState {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open request log {path}")]
    RequestLog {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the self-signed TLS certificate: {0}")]
    Tls(String),
    #[error("invalid configuration: {0}")]
    Config(String),
}
