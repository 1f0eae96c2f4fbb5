//! Typed errors of the ARM client, and the parsing of ARM's `{"error": {...}}` envelope.

use std::time::Duration;

use serde::Deserialize;

/// Everything that can go wrong talking to ARM. Messages never contain tokens or SAS query strings.
#[derive(Debug, thiserror::Error)]
pub enum ArmError {
    /// A non-success response that has no more specific variant.
    #[error(
        "{method} {path}: HTTP {status} {code}: {message}{}",
        suffix(target, request_id)
    )]
    Api {
        method: String,
        path: String,
        status: u16,
        code: String,
        message: String,
        target: Option<String>,
        request_id: Option<String>,
        details: Vec<ErrorDetail>,
    },
    /// 404 where the resource (or its parent) had to exist.
    #[error("{method} {path}: not found ({code}): {message}{}", suffix(&None, request_id))]
    NotFound {
        method: String,
        path: String,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// 409: another operation is in flight on the resource, or it already exists.
    #[error("{method} {path}: conflict ({code}): {message}{}", suffix(&None, request_id))]
    Conflict {
        method: String,
        path: String,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// Still throttled (429) when the retry budget ran out.
    #[error("{method} {path}: throttled by ARM after {attempts} attempts{}", retry_after.map(|d| format!(" (server asks to wait {}s)", d.as_secs())).unwrap_or_default())]
    Throttled {
        method: String,
        path: String,
        attempts: u32,
        retry_after: Option<Duration>,
    },
    /// A long-running operation ended `Failed` or `Canceled`.
    #[error("{operation} {resource}: operation {status}: {code}: {message}")]
    LroFailed {
        /// The verb that started it, e.g. `PUT`, `DELETE`, `POST start`.
        operation: String,
        /// The resource path it acted on.
        resource: String,
        /// `Failed` or `Canceled`.
        status: String,
        code: String,
        message: String,
    },
    /// A long-running operation did not finish in time.
    #[error("{operation} {resource}: gave up after {}s waiting for the operation to finish", after.as_secs())]
    Timeout {
        operation: String,
        resource: String,
        after: Duration,
    },
    /// The connection failed, or the response never arrived (after any safe retries).
    #[error("{method} {path}: {message} (after {attempts} attempts)")]
    Transport {
        method: String,
        path: String,
        attempts: u32,
        message: String,
        #[source]
        source: Option<reqwest::Error>,
    },
    /// No credential produced a token. Lists each credential tried and why it failed.
    #[error("authentication failed; tried: {}", format_tried(tried))]
    Auth { tried: Vec<(String, String)> },
    /// The service sent a link (nextLink, operation status) to another origin than the endpoint.
    #[error("refusing to follow a link to a foreign origin `{origin}` (endpoint is `{endpoint}`)")]
    ForeignLink { origin: String, endpoint: String },
    /// A 2xx body that is not the JSON we expected.
    #[error("{method} {path}: unexpected response body: {message}")]
    Decode {
        method: String,
        path: String,
        message: String,
    },
    /// Bad configuration: endpoint, CA file, cloud name, auth method.
    #[error("ARM client configuration: {message}")]
    Config { message: String },
}

impl ArmError {
    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            ArmError::Api { status, .. } => Some(*status),
            ArmError::NotFound { .. } => Some(404),
            ArmError::Conflict { .. } => Some(409),
            ArmError::Throttled { .. } => Some(429),
            _ => None,
        }
    }

    /// The ARM error code (`ResourceNotFound`, `BadRequest`, ...), when there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ArmError::Api { code, .. }
            | ArmError::NotFound { code, .. }
            | ArmError::Conflict { code, .. }
            | ArmError::LroFailed { code, .. } => Some(code),
            _ => None,
        }
    }
}

fn suffix(target: &Option<String>, request_id: &Option<String>) -> String {
    let mut s = String::new();
    if let Some(t) = target {
        s.push_str(&format!(" (target: {t})"));
    }
    if let Some(r) = request_id {
        s.push_str(&format!(" [request id {r}]"));
    }
    s
}

fn format_tried(tried: &[(String, String)]) -> String {
    if tried.is_empty() {
        return "no credential".to_string();
    }
    tried
        .iter()
        .map(|(name, why)| format!("{name}: {why}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One entry of ARM's `error.details` (recursive).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    pub target: Option<String>,
    pub details: Vec<ErrorDetail>,
}

#[derive(Deserialize)]
struct Envelope {
    error: Option<ErrorDetail>,
}

/// Parses ARM's error envelope; falls back to the status text and a body excerpt.
pub(crate) fn parse_error_body(status: u16, body: &[u8]) -> ErrorDetail {
    if let Ok(Envelope { error: Some(e) }) = serde_json::from_slice::<Envelope>(body) {
        return e;
    }
    // Some operation-status bodies carry the error at the top level.
    if let Ok(e) = serde_json::from_slice::<ErrorDetail>(body)
        && !e.code.is_empty()
    {
        return e;
    }
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text.chars().take(300).collect();
    ErrorDetail {
        code: reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("HttpError")
            .replace(' ', ""),
        message: if excerpt.trim().is_empty() {
            format!("HTTP {status} with no error body")
        } else {
            excerpt
        },
        target: None,
        details: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arm_envelope() {
        let body = br#"{"error":{"code":"BadRequest","message":"bad vmSize","target":"properties.vmSize","details":[{"code":"Inner","message":"m"}]}}"#;
        let e = parse_error_body(400, body);
        assert_eq!(e.code, "BadRequest");
        assert_eq!(e.target.as_deref(), Some("properties.vmSize"));
        assert_eq!(e.details.len(), 1);
    }

    #[test]
    fn falls_back_on_non_json() {
        let e = parse_error_body(502, b"<html>bad gateway</html>");
        assert_eq!(e.code, "BadGateway");
        assert!(e.message.contains("bad gateway"));
        let e = parse_error_body(500, b"");
        assert!(e.message.contains("no error body"));
    }

    #[test]
    fn auth_error_lists_every_credential() {
        let e = ArmError::Auth {
            tried: vec![
                ("ClientSecret".into(), "AZURE_CLIENT_SECRET unset".into()),
                ("AzureCli".into(), "az not found".into()),
            ],
        };
        let s = e.to_string();
        assert!(s.contains("ClientSecret: AZURE_CLIENT_SECRET unset"));
        assert!(s.contains("AzureCli: az not found"));
    }
}
