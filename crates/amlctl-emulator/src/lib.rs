//! A local emulator of the Azure Machine Learning ARM REST API (`Microsoft.MachineLearningServices`)
//! on loopback: the project's test double and the embedded default workspace.
//!
//! It is built from the *published* API (the 2026-03-01 OpenAPI description and its examples),
//! never from amlctl's client types: this crate depends on no other amlctl crate.
//!
//! Layers (s3s/wiremock style):
//! - `state`: resources as JSON documents, scheduled transitions driven by the wall clock
//!   (provisioning states, compute-instance `state`, job `status`), async operations, blobs,
//!   atomic persistence;
//! - `handlers`: routing, api-version check, auth, ARM error envelope, LRO headers, paging and
//!   body validation (`validate`);
//! - [`faults`]: deterministic fault rules applied before the handlers;
//! - `server`: bind (plain or TLS), request log, the in-process handle.
//!
//! ```no_run
//! # async fn demo() -> Result<(), amlctl_emulator::EmulatorError> {
//! let emu = amlctl_emulator::start(amlctl_emulator::EmulatorConfig::default()).await?;
//! println!("{}", emu.base_url());
//! emu.shutdown().await;
//! # Ok(()) }
//! ```

mod clock;
mod config;
mod error;
pub mod faults;
mod handlers;
mod server;
mod state;
mod tls;
mod validate;

pub use config::{
    EmulatorConfig, SUPPORTED_API_VERSIONS, Timings, WorkspaceSpec, WorkspaceSpecError,
};
pub use error::EmulatorError;
pub use faults::{FaultSpec, FaultSpecError};
pub use server::{BlobInfo, EmulatorHandle, LoggedRequest, start};
