//! One logical HTTP request: authorization, bounded concurrency, retries by the error policy,
//! and one log line per attempt. Knows nothing about LROs or paging.

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio::sync::Semaphore;

use crate::auth::TokenSource;
use crate::config::RetryPolicy;
use crate::error::ArmError;
use crate::redact;
use crate::retry::{self, Decision, Outcome, Replay};

/// Who the request goes to: ARM (bearer token) or a blob SAS URL (no token; query never logged).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Arm,
    Blob,
}

/// A complete response, whatever its status.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Attempts it took (1 = no retry).
    pub attempts: u32,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn request_id(&self) -> Option<String> {
        self.header("x-ms-request-id")
            .or_else(|| self.header("x-ms-correlation-request-id"))
            .map(str::to_string)
    }
}

/// A request to send (cloned for each attempt).
pub(crate) struct Call<'a> {
    pub method: Method,
    pub url: &'a url::Url,
    pub body: Option<Bytes>,
    pub target: Target,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

#[derive(Debug)]
pub(crate) struct Http {
    pub client: reqwest::Client,
    pub tokens: TokenSource,
    pub semaphore: Semaphore,
    pub retry: RetryPolicy,
}

impl Http {
    /// The URL as it may appear in logs and errors.
    pub(crate) fn display(url: &url::Url, target: Target) -> String {
        match target {
            Target::Arm => redact::arm_url(url),
            Target::Blob => redact::blob_url(url),
        }
    }

    /// Sends `call`, retrying as [`retry::error_policy`] allows. `Ok` carries the final response
    /// (which may be an error status); `Err` means no response arrived or no token was available.
    pub(crate) async fn send(&self, call: Call<'_>) -> Result<Response, ArmError> {
        let shown = Http::display(call.url, call.target);
        let replay = Replay::of(&call.method);
        let started = Instant::now();
        let client_request_id = request_id();
        let mut attempt = 0u32;
        let mut refreshed_token = false;
        loop {
            attempt += 1;
            let mut builder = self
                .client
                .request(call.method.clone(), call.url.as_str())
                .timeout(self.retry.attempt_timeout)
                .header("x-ms-client-request-id", client_request_id.as_str());
            if call.target == Target::Arm {
                let token = self.tokens.token().await?;
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                    .map_err(|_| ArmError::Auth {
                        tried: vec![(
                            "token".to_string(),
                            "the token contains characters not allowed in a header".to_string(),
                        )],
                    })?;
                value.set_sensitive(true);
                builder = builder.header(AUTHORIZATION, value);
            }
            for (name, value) in &call.headers {
                builder = builder.header(name, value);
            }
            match &call.body {
                Some(body) => {
                    if call.target == Target::Arm {
                        builder = builder.header(CONTENT_TYPE, "application/json");
                    }
                    builder = builder.body(body.clone());
                }
                None if call.method == Method::POST || call.method == Method::PUT => {
                    builder = builder.header(reqwest::header::CONTENT_LENGTH, "0");
                }
                None => {}
            }

            let sent_at = Instant::now();
            let result = {
                let _permit = self
                    .semaphore
                    .acquire()
                    .await
                    .map_err(|_| ArmError::Config {
                        message: "client is shut down".to_string(),
                    })?;
                match builder.send().await {
                    Ok(resp) => {
                        let status = resp.status();
                        let headers = resp.headers().clone();
                        match resp.bytes().await {
                            Ok(body) => Ok((status, headers, body)),
                            Err(e) => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                }
            };
            let elapsed_ms = sent_at.elapsed().as_millis() as u64;

            match result {
                Ok((status, headers, body)) => {
                    tracing::info!(
                        method = %call.method,
                        url = %shown,
                        status = status.as_u16(),
                        duration_ms = elapsed_ms,
                        attempt,
                        ratelimit_remaining = retry::rate_limit_remaining(&headers),
                        "ARM request"
                    );
                    if status == StatusCode::UNAUTHORIZED
                        && call.target == Target::Arm
                        && !self.tokens.is_static()
                        && !refreshed_token
                    {
                        // A 401 means the server did not act; a fresh token may fix it once.
                        refreshed_token = true;
                        self.tokens.invalidate().await;
                        continue;
                    }
                    let outcome = Outcome::Response {
                        status: status.as_u16(),
                        headers: &headers,
                    };
                    match retry::error_policy(
                        replay,
                        &outcome,
                        attempt,
                        started.elapsed(),
                        &self.retry,
                    ) {
                        Decision::RetryAfter(delay) => {
                            tracing::info!(
                                method = %call.method,
                                url = %shown,
                                status = status.as_u16(),
                                attempt,
                                delay_ms = delay.as_millis() as u64,
                                "retrying"
                            );
                            tokio::time::sleep(delay).await;
                        }
                        Decision::Accept | Decision::GiveUp => {
                            return Ok(Response {
                                status,
                                headers,
                                body,
                                attempts: attempt,
                            });
                        }
                    }
                }
                Err(error) => {
                    let error = error.without_url();
                    let outcome = if error.is_connect() {
                        Outcome::NotSent
                    } else {
                        Outcome::Lost
                    };
                    tracing::info!(
                        method = %call.method,
                        url = %shown,
                        duration_ms = elapsed_ms,
                        attempt,
                        error = %error,
                        "ARM request failed without a response"
                    );
                    match retry::error_policy(
                        replay,
                        &outcome,
                        attempt,
                        started.elapsed(),
                        &self.retry,
                    ) {
                        Decision::RetryAfter(delay) => {
                            tracing::info!(
                                method = %call.method,
                                url = %shown,
                                attempt,
                                delay_ms = delay.as_millis() as u64,
                                "retrying"
                            );
                            tokio::time::sleep(delay).await;
                        }
                        Decision::Accept | Decision::GiveUp => {
                            let message = match outcome {
                                Outcome::NotSent if mentions_certificate(&error) => {
                                    "could not connect: the server's TLS certificate is not trusted (for the emulator, pass --ca-file or AMLCTL_CA_FILE)".to_string()
                                }
                                Outcome::NotSent => "could not connect".to_string(),
                                _ if replay == Replay::NotIdempotent => {
                                    "no response; not retried because the server may have acted"
                                        .to_string()
                                }
                                _ if error.is_timeout() => "timed out".to_string(),
                                _ => "connection lost before the response arrived".to_string(),
                            };
                            return Err(ArmError::Transport {
                                method: call.method.to_string(),
                                path: shown,
                                attempts: attempt,
                                message,
                                source: Some(error),
                            });
                        }
                    }
                }
            }
        }
    }
}

/// Whether the error chain mentions a certificate problem.
fn mentions_certificate(error: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        if e.to_string().to_ascii_lowercase().contains("certificate") {
            return true;
        }
        source = e.source();
    }
    false
}

/// A fresh `x-ms-client-request-id` (UUID-shaped, random).
fn request_id() -> String {
    let a = fastrand::u64(..);
    let b = fastrand::u64(..);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// Sleep helper used by the LRO poller (kept here so tests of timing live in one place).
pub(crate) async fn sleep(d: Duration) {
    tokio::time::sleep(d).await;
}
