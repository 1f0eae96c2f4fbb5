//! The protocol layer: routing, api-version check, bearer auth, the ARM error envelope, LRO
//! headers and paging. Handlers are synchronous functions of (context, state, request): the
//! server holds the state lock around one call, so requests are serialised per state and
//! concurrent clients see a consistent store.

mod assets;
mod blob;
mod compute;
mod datastores;
mod error;
mod jobs;
mod lease;
mod lro;
mod operations;
pub(crate) mod paging;
mod schedules;
mod tags;
mod workspace;

use bytes::Bytes;
use hyper::{HeaderMap, Method};
use serde_json::Value;

pub use error::ArmError;

use crate::config::{SUPPORTED_API_VERSIONS, Timings, WorkspaceSpec};
use crate::faults::FaultSpec;
use crate::state::State;

/// A request, already read and decoded.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    /// Raw path, as received.
    pub path: String,
    /// Percent-decoded path segments.
    pub segs: Vec<String>,
    /// Percent-decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    /// First query parameter with this name (case-insensitive).
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON, or the service's 400.
    pub fn json(&self) -> Result<Value, ArmError> {
        if self.body.is_empty() {
            return Err(ArmError::bad_request(
                "BadRequest",
                "The request body is missing.",
            ));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            ArmError::bad_request(
                "InvalidRequestContent",
                format!("The request content was invalid and could not be deserialized: {e}"),
            )
        })
    }
}

/// A response body.
#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Json(Value),
    /// Raw bytes with a content type (blob data plane).
    Raw(Bytes, String),
}

/// A response, before it is turned into HTTP.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Resp {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Body::Json(body),
        }
    }
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// Everything a handler may read besides the state.
#[derive(Debug, Clone)]
pub struct Ctx<'a> {
    /// `http(s)://127.0.0.1:PORT`, no trailing slash.
    pub base_url: &'a str,
    pub workspaces: &'a [WorkspaceSpec],
    pub timings: Timings,
    pub faults: &'a FaultSpec,
    pub page_size: usize,
    pub token: Option<&'a str>,
    /// Accept lease durations from 1 s ([`crate::EmulatorConfig::short_leases`]).
    pub short_leases: bool,
    /// Epoch milliseconds of this request.
    pub now: u64,
}

impl Ctx<'_> {
    /// Effective LRO duration in ms (the fault spec may override it).
    pub fn lro_ms(&self) -> u64 {
        crate::clock::ms(self.faults.lro_time.unwrap_or(self.timings.lro))
    }
}

/// The workspace a request addresses, resolved.
#[derive(Debug, Clone)]
pub struct Ws<'a> {
    pub spec: &'a WorkspaceSpec,
    /// Canonical ARM id of the workspace.
    pub id: String,
    /// The request's api-version (validated).
    pub api_version: String,
}

/// Handle one request against the state. Never panics on bad input.
pub fn handle(ctx: &Ctx, state: &mut State, req: &Req) -> Resp {
    state.advance(ctx.now);
    let first = req.segs.first().map(String::as_str).unwrap_or("");
    let result = if first.eq_ignore_ascii_case("subscriptions") {
        arm(ctx, state, req)
    } else if first == "discovery" {
        Ok(workspace::discovery(ctx, req))
    } else if req.segs.len() >= 2 {
        blob::handle(ctx, state, req)
    } else {
        Err(ArmError::not_found_path(&req.path))
    };
    result.unwrap_or_else(ArmError::into_resp)
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn arm(ctx: &Ctx, state: &mut State, req: &Req) -> Result<Resp, ArmError> {
    authorize(ctx, req)?;
    let s: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let api_version = if tags::is_tags_path(&s) {
        check_api_version_in(req, tags::API_VERSIONS)?
    } else {
        check_api_version(req)?
    };
    match s.as_slice() {
        [
            "subscriptions",
            _sub,
            "providers",
            p,
            "locations",
            _loc,
            kind,
            op_id,
        ] if eq(p, "Microsoft.MachineLearningServices") => {
            operations::get(ctx, state, req, kind, op_id)
        }
        [_, sub, rg_lit, rg, prov_lit, p, ws_lit, ws, rest @ ..]
            if eq(rg_lit, "resourceGroups")
                && eq(prov_lit, "providers")
                && eq(p, "Microsoft.MachineLearningServices")
                && eq(ws_lit, "workspaces") =>
        {
            let spec = find_workspace(ctx, sub, rg, ws)?;
            let w = Ws {
                spec,
                id: spec.arm_id(),
                api_version,
            };
            route_workspace(ctx, state, req, &w, rest)
        }
        _ => Err(ArmError::not_found_path(&req.path)),
    }
}

fn route_workspace(
    ctx: &Ctx,
    state: &mut State,
    req: &Req,
    w: &Ws,
    rest: &[&str],
) -> Result<Resp, ArmError> {
    let m = &req.method;
    match rest {
        [] if m == Method::GET => Ok(workspace::get(ctx, w)),
        ["computes"] if m == Method::GET => Ok(compute::list(ctx, state, req, w)),
        ["computes", name] => match *m {
            Method::GET => compute::get(state, w, name),
            Method::PUT => compute::put(ctx, state, req, w, name),
            Method::PATCH => compute::patch(ctx, state, req, w, name),
            Method::DELETE => compute::delete(ctx, state, req, w, name),
            _ => Err(ArmError::method_not_allowed(m)),
        },
        ["computes", name, p, rp, t, d] if tags::is_tags_path(&[p, rp, t, d]) => {
            tags::compute_tags(state, req, w, name)
        }
        ["computes", name, action] if m == Method::POST => {
            compute::action(ctx, state, w, name, action)
        }
        ["schedules"] if m == Method::GET => Ok(schedules::list(ctx, state, req, w)),
        ["schedules", name] => match *m {
            Method::GET => schedules::get(state, w, name),
            Method::PUT => schedules::put(ctx, state, req, w, name),
            Method::DELETE => schedules::delete(ctx, state, w, name),
            _ => Err(ArmError::method_not_allowed(m)),
        },
        ["jobs"] if m == Method::GET => Ok(jobs::list(ctx, state, req, w)),
        ["jobs", id] => match *m {
            Method::GET => jobs::get(state, w, id),
            Method::PUT => jobs::put(ctx, state, req, w, id),
            Method::DELETE => jobs::delete(ctx, state, w, id),
            _ => Err(ArmError::method_not_allowed(m)),
        },
        ["jobs", id, "cancel"] if m == Method::POST => jobs::cancel(ctx, state, w, id),
        ["datastores"] if m == Method::GET => Ok(datastores::list(ctx, state, req, w)),
        ["datastores", name] => match *m {
            Method::GET => datastores::get(ctx, state, w, name),
            Method::PUT => datastores::put(ctx, state, req, w, name),
            _ => Err(ArmError::method_not_allowed(m)),
        },
        ["datastores", name, "listSecrets"] if m == Method::POST => {
            datastores::list_secrets(ctx, state, w, name)
        }
        [family, rest @ ..] => match assets::Family::parse(family) {
            Some(f) => assets::route(ctx, state, req, w, f, rest),
            None => Err(ArmError::not_found_path(&req.path)),
        },
        _ => Err(ArmError::not_found_path(&req.path)),
    }
}

fn find_workspace<'a>(
    ctx: &Ctx<'a>,
    sub: &str,
    rg: &str,
    ws: &str,
) -> Result<&'a WorkspaceSpec, ArmError> {
    if !ctx.workspaces.iter().any(|w| eq(&w.subscription, sub)) {
        return Err(ArmError::new(
            404,
            "SubscriptionNotFound",
            format!("The subscription '{sub}' could not be found."),
        ));
    }
    if !ctx
        .workspaces
        .iter()
        .any(|w| eq(&w.subscription, sub) && eq(&w.resource_group, rg))
    {
        return Err(ArmError::new(
            404,
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        ));
    }
    ctx.workspaces
        .iter()
        .find(|w| eq(&w.subscription, sub) && eq(&w.resource_group, rg) && eq(&w.name, ws))
        .ok_or_else(|| {
            ArmError::new(
                404,
                "ResourceNotFound",
                format!("The Resource 'Microsoft.MachineLearningServices/workspaces/{ws}' under resource group '{rg}' was not found."),
            )
        })
}

fn authorize(ctx: &Ctx, req: &Req) -> Result<(), ArmError> {
    let Some(value) = req.header("authorization") else {
        return Err(ArmError::new(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        ));
    };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(ArmError::new(
            401,
            "AuthenticationFailedInvalidHeader",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        ));
    };
    match ctx.token {
        Some(expected) if !constant_time_eq(expected.as_bytes(), token.as_bytes()) => {
            Err(ArmError::new(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
            ))
        }
        _ => Ok(()),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn check_api_version(req: &Req) -> Result<String, ArmError> {
    check_api_version_in(req, SUPPORTED_API_VERSIONS)
}

fn check_api_version_in(req: &Req, supported: &[&str]) -> Result<String, ArmError> {
    let Some(v) = req.q("api-version") else {
        return Err(ArmError::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    if supported.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(ArmError::bad_request(
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{v}' is invalid. The supported versions are '{}'.",
                supported.join(",")
            ),
        ))
    }
}

/// `systemData` for a resource created (or modified) now.
pub(crate) fn system_data(now: u64, created: Option<&Value>) -> Value {
    let ts = crate::clock::rfc3339(now);
    let created_at = created
        .and_then(|c| c.get("createdAt"))
        .cloned()
        .unwrap_or_else(|| Value::String(ts.clone()));
    serde_json::json!({
        "createdAt": created_at,
        "createdBy": "emulator@example.com",
        "createdByType": "User",
        "lastModifiedAt": ts,
        "lastModifiedBy": "emulator@example.com",
        "lastModifiedByType": "User",
    })
}

/// Remove `fields` from a JSON object (no-op on other values).
pub(crate) fn strip(v: &mut Value, fields: &[&str]) {
    if let Some(o) = v.as_object_mut() {
        for f in fields {
            o.remove(*f);
        }
    }
}

/// Insert `value` under `field` unless the object already has a non-null value there.
pub(crate) fn default_field(v: &mut Value, field: &str, value: Value) {
    if let Some(o) = v.as_object_mut() {
        match o.get(field) {
            Some(x) if !x.is_null() => {}
            _ => {
                o.insert(field.to_string(), value);
            }
        }
    }
}
