//! amlctl: a declarative GitOps reconciler for Azure Machine Learning workspaces.
//!
//! See `ARCHITECTURE.md` at the repository root for the module map and the invariants.

pub mod apply;
pub mod cli;
pub mod config;
pub mod desired;
pub mod diff;
pub mod gitsrc;
pub mod live;
pub mod local;
pub mod manifest;
pub mod model;
pub mod ops;
pub mod parallel;
pub mod plan;
pub mod render;
pub mod schedule_times;
pub mod timezone;
pub mod validate;
