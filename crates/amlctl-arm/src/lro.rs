//! Long-running operations (ARM async operations).
//!
//! After an accepted PUT/PATCH/DELETE/POST, the operation is tracked by, in this order:
//! 1. `Azure-AsyncOperation`: poll it until its `status` is `Succeeded`, `Failed` or `Canceled`;
//! 2. `Location`: poll it while it answers 202; 200/204 ends it, an error status fails it;
//! 3. otherwise, for PUT/PATCH, the resource's `properties.provisioningState` (GET the resource
//!    until it is terminal); for DELETE answered 202 with no header, GET until 404.
//!
//! Final result (ARM's rules): PUT and PATCH end with a GET of the resource URI, DELETE and
//! POST actions return nothing. Every wait honours the last response's `Retry-After` (else
//! [`LroPolicy::default_poll_interval`](crate::LroPolicy)), and the whole operation is bounded by
//! `LroPolicy::timeout`.

use std::time::Instant;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::client::{ArmClient, json_body, status_error};
use crate::error::{ArmError, ErrorDetail, parse_error_body};
use crate::http::{self, Response};
use crate::retry;

/// The verb that started the operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verb {
    Put,
    Patch,
    Delete,
    Post,
}

impl Verb {
    fn as_str(self) -> &'static str {
        match self {
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
            Verb::Post => "POST",
        }
    }

    fn wants_resource(self) -> bool {
        matches!(self, Verb::Put | Verb::Patch)
    }
}

/// Drives the operation started by `initial` to its end. Returns the final resource body for
/// PUT/PATCH when one is known (the caller GETs it otherwise), `None` for DELETE/POST.
pub(crate) async fn complete(
    client: &ArmClient,
    verb: Verb,
    path: &str,
    resource_url: &url::Url,
    initial: Response,
) -> Result<Option<Value>, ArmError> {
    let poller = Poller {
        client,
        verb,
        path,
        resource_url,
        started: Instant::now(),
    };
    if let Some(link) = initial.header("azure-asyncoperation") {
        let status_url = client.same_origin(link)?;
        poller.poll_status(&status_url, &initial).await?;
        return poller.final_get().await;
    }
    if let Some(link) = initial.header("location") {
        let location = client.same_origin(link)?;
        let body = poller.poll_location(&location, &initial).await?;
        return if verb.wants_resource() {
            poller.final_get().await
        } else {
            Ok(body)
        };
    }
    match verb {
        Verb::Put | Verb::Patch => {
            let body = json_body(verb.as_str(), path, &initial)?;
            match provisioning_state(&body) {
                Some(state) if !is_terminal(state) => poller.poll_resource(&initial).await,
                _ => {
                    poller.check_resource(&body)?;
                    Ok(Some(body))
                }
            }
        }
        Verb::Delete if initial.status == StatusCode::ACCEPTED => {
            poller.poll_until_gone(&initial).await.map(|_| None)
        }
        Verb::Delete | Verb::Post => Ok(None),
    }
}

struct Poller<'a> {
    client: &'a ArmClient,
    verb: Verb,
    path: &'a str,
    resource_url: &'a url::Url,
    started: Instant,
}

impl Poller<'_> {
    /// Sleeps for the interval the last response asked for; errors once the timeout is spent.
    async fn wait(&self, last: &HeaderMap) -> Result<(), ArmError> {
        let policy = self.client.lro_policy();
        let delay = retry::retry_after(last)
            .unwrap_or(policy.default_poll_interval)
            .min(policy.max_poll_interval);
        if self.started.elapsed() + delay > policy.timeout {
            return Err(ArmError::Timeout {
                operation: self.verb.as_str().to_string(),
                resource: self.path.to_string(),
                after: self.started.elapsed(),
            });
        }
        tracing::debug!(
            op = self.verb.as_str(),
            resource = self.path,
            delay_ms = delay.as_millis() as u64,
            "waiting for operation"
        );
        http::sleep(delay).await;
        Ok(())
    }

    async fn get(&self, url: &url::Url) -> Result<Response, ArmError> {
        self.client.send_arm(Method::GET, url, None).await
    }

    fn failed(&self, status: &str, detail: ErrorDetail) -> ArmError {
        ArmError::LroFailed {
            operation: self.verb.as_str().to_string(),
            resource: self.path.to_string(),
            status: status.to_string(),
            code: if detail.code.is_empty() {
                "OperationFailed".to_string()
            } else {
                detail.code
            },
            message: if detail.message.is_empty() {
                format!("the operation ended {status}")
            } else {
                detail.message
            },
        }
    }

    /// Polls an `Azure-AsyncOperation` status URL until a terminal `status`.
    async fn poll_status(&self, url: &url::Url, initial: &Response) -> Result<(), ArmError> {
        let mut last_headers = initial.headers.clone();
        loop {
            self.wait(&last_headers).await?;
            let resp = self.get(url).await?;
            if !resp.status.is_success() {
                return Err(status_error("GET", self.path, &resp));
            }
            let body = json_body("GET", self.path, &resp)?;
            let status = body.get("status").and_then(Value::as_str).unwrap_or("");
            match status.to_ascii_lowercase().as_str() {
                "succeeded" => return Ok(()),
                "failed" | "canceled" | "cancelled" => {
                    let detail = body
                        .get("error")
                        .cloned()
                        .and_then(|e| serde_json::from_value::<ErrorDetail>(e).ok())
                        .unwrap_or_default();
                    return Err(self.failed(status, detail));
                }
                _ => last_headers = resp.headers,
            }
        }
    }

    /// Polls a `Location` URL while it answers 202. Returns the final body, if any.
    async fn poll_location(
        &self,
        url: &url::Url,
        initial: &Response,
    ) -> Result<Option<Value>, ArmError> {
        let mut last_headers = initial.headers.clone();
        loop {
            self.wait(&last_headers).await?;
            let resp = self.get(url).await?;
            match resp.status {
                StatusCode::ACCEPTED => last_headers = resp.headers,
                StatusCode::NO_CONTENT => return Ok(None),
                StatusCode::NOT_FOUND if self.verb == Verb::Delete => return Ok(None),
                s if s.is_success() => {
                    let body = json_body("GET", self.path, &resp)?;
                    return Ok((!body.is_null()).then_some(body));
                }
                s => {
                    let detail = parse_error_body(s.as_u16(), &resp.body);
                    return Err(self.failed("Failed", detail));
                }
            }
        }
    }

    /// No operation header: GET the resource until its provisioningState is terminal.
    async fn poll_resource(&self, initial: &Response) -> Result<Option<Value>, ArmError> {
        let mut last_headers = initial.headers.clone();
        loop {
            self.wait(&last_headers).await?;
            let resp = self.get(self.resource_url).await?;
            if !resp.status.is_success() {
                return Err(status_error("GET", self.path, &resp));
            }
            let body = json_body("GET", self.path, &resp)?;
            match provisioning_state(&body) {
                Some(state) if !is_terminal(state) => last_headers = resp.headers,
                _ => {
                    self.check_resource(&body)?;
                    return Ok(Some(body));
                }
            }
        }
    }

    /// DELETE accepted with no header: GET the resource until it is gone.
    async fn poll_until_gone(&self, initial: &Response) -> Result<(), ArmError> {
        let mut last_headers = initial.headers.clone();
        loop {
            self.wait(&last_headers).await?;
            let resp = self.get(self.resource_url).await?;
            match resp.status {
                StatusCode::NOT_FOUND => return Ok(()),
                s if s.is_success() => {
                    let body = json_body("GET", self.path, &resp)?;
                    self.check_resource(&body)?;
                    last_headers = resp.headers;
                }
                _ => return Err(status_error("GET", self.path, &resp)),
            }
        }
    }

    /// The final GET for PUT/PATCH (ARM's default final-state-via for both).
    async fn final_get(&self) -> Result<Option<Value>, ArmError> {
        if !self.verb.wants_resource() {
            return Ok(None);
        }
        let resp = self.get(self.resource_url).await?;
        if !resp.status.is_success() {
            return Err(status_error("GET", self.path, &resp));
        }
        let body = json_body("GET", self.path, &resp)?;
        self.check_resource(&body)?;
        Ok(Some(body))
    }

    /// A resource whose provisioningState is Failed/Canceled is a failed operation.
    fn check_resource(&self, body: &Value) -> Result<(), ArmError> {
        match provisioning_state(body) {
            Some(state) if is_failure(state) => {
                Err(self.failed(state, provisioning_error(body).unwrap_or_default()))
            }
            _ => Ok(()),
        }
    }
}

fn provisioning_state(body: &Value) -> Option<&str> {
    body.get("properties")?.get("provisioningState")?.as_str()
}

fn is_terminal(state: &str) -> bool {
    matches!(
        state.to_ascii_lowercase().as_str(),
        "succeeded" | "failed" | "canceled" | "cancelled"
    )
}

fn is_failure(state: &str) -> bool {
    matches!(
        state.to_ascii_lowercase().as_str(),
        "failed" | "canceled" | "cancelled"
    )
}

/// The first `properties.provisioningErrors[].error` of a compute, if any.
fn provisioning_error(body: &Value) -> Option<ErrorDetail> {
    let first = body
        .get("properties")?
        .get("provisioningErrors")?
        .as_array()?
        .first()?;
    let err = first.get("error").unwrap_or(first);
    serde_json::from_value(err.clone()).ok()
}
