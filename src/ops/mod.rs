//! One function per user-facing operation, callable from tests without argv (cargo's `ops`).
//! `cli` parses flags, calls these, and renders what they return.

pub mod drift;
pub mod gitplan;
pub mod import;
pub mod load;
pub mod lock;
pub mod plan;
pub mod secrets;
pub mod session;
pub mod status;

pub use load::{Loaded, TreeResolver, load_desired};
pub use plan::{PlanRequest, Planned, StaleResource, plan, stale_resources};
pub use session::{Session, SessionError, SessionOptions};
