//! The ARM error envelope: `{"error": {"code", "message", "target", "details"}}`.

use hyper::Method;
use serde_json::{Value, json};

use super::Resp;

/// One ARM error, with its HTTP status.
#[derive(Debug, Clone)]
pub struct ArmError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub target: Option<String>,
    pub details: Vec<ArmError>,
    pub retry_after: Option<u64>,
}

impl ArmError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            target: None,
            details: Vec::new(),
            retry_after: None,
        }
    }

    pub fn bad_request(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, "Conflict", message)
    }

    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// The 404 for a child resource of the workspace.
    pub fn not_found(kind: &str, name: &str) -> Self {
        Self::new(
            404,
            "ResourceNotFound",
            format!("The resource '{kind}/{name}' was not found in this workspace."),
        )
    }

    pub fn not_found_path(path: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("No HTTP resource was found that matches the request URI '{path}'."),
        )
    }

    pub fn method_not_allowed(m: &Method) -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            format!("The requested resource does not support http method '{m}'."),
        )
    }

    /// A 400 listing every validation problem in `details`.
    pub fn validation(problems: Vec<(String, String)>) -> Self {
        let n = problems.len();
        let mut e = Self::bad_request(
            "ValidationError",
            format!(
                "The request body is invalid: {n} problem(s). {}",
                problems
                    .first()
                    .map(|(t, m)| format!("{t}: {m}"))
                    .unwrap_or_default()
            ),
        );
        e.details = problems
            .into_iter()
            .map(|(target, message)| {
                Self::bad_request("ValidationError", message).with_target(target)
            })
            .collect();
        e
    }

    pub fn body(&self) -> Value {
        let mut o = json!({"code": self.code, "message": self.message});
        if let Some(t) = &self.target {
            o["target"] = json!(t);
        }
        o["details"] = Value::Array(self.details.iter().map(ArmError::body).collect());
        o["additionalInfo"] = json!([]);
        o
    }

    pub fn into_resp(self) -> Resp {
        let mut r = Resp::json(self.status, json!({"error": self.body()}));
        if let Some(s) = self.retry_after {
            r = r.with_header("Retry-After", s.to_string());
        }
        r
    }
}
