//! amlctl's Azure Resource Manager client: authentication, retries, long-running operations,
//! paging, clouds. It speaks ARM paths and JSON only; it knows nothing of amlctl's model.
//!
//! Start reading at [`ArmClient`]. Module map:
//! - `config`: [`ClientConfig`], [`Cloud`], [`RetryPolicy`], [`LroPolicy`], [`API_VERSION`];
//! - `auth`: [`AuthMethod`], [`CredentialSpec`], the credential chain and token cache;
//! - `transport`: azure_core's `HttpClient` over our reqwest client (one reqwest, no aws-lc);
//! - `retry`: the error policy (what is retried, after how long);
//! - `http`: one logical request (token, semaphore, retries, one log line per attempt);
//! - `lro`: long-running operation polling;
//! - `client`: the public operations;
//! - `redact`: what may appear in logs;
//! - `error`: [`ArmError`].

// `ArmError` carries the ARM error envelope (code, message, target, request id, details) by
// value so callers can match on it; it is only built after a network round trip, where its size
// (~170 bytes) costs nothing measurable.
#![allow(clippy::result_large_err)]

mod auth;
mod client;
mod config;
mod error;
mod http;
mod lro;
mod redact;
mod retry;
mod transport;

pub use auth::{ACCESS_TOKEN_ENV, AuthMethod, CredentialSpec, Secret};
pub use client::{ArmClient, TagsOperation};
pub use config::{
    API_VERSION, CA_FILE_ENV, ClientConfig, Cloud, ENDPOINT_ENV, LIST_VIEW_ALL, LroPolicy,
    RetryPolicy, TAGS_API_VERSION, workspace_path,
};
pub use error::{ArmError, ErrorDetail};
