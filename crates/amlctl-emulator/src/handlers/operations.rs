//! Async operation status (`Azure-AsyncOperation`) and result (`Location`) resources.

use hyper::Method;
use serde_json::json;

use super::{ArmError, Ctx, Req, Resp};
use crate::clock::rfc3339;
use crate::state::{Outcome, State};

pub fn get(
    ctx: &Ctx,
    state: &mut State,
    req: &Req,
    kind: &str,
    op_id: &str,
) -> Result<Resp, ArmError> {
    if req.method != Method::GET {
        return Err(ArmError::method_not_allowed(&req.method));
    }
    let op = state.operations.get(op_id).cloned().ok_or_else(|| {
        ArmError::new(
            404,
            "NotFound",
            format!("The operation '{op_id}' was not found."),
        )
    })?;
    let is_status = kind.to_ascii_lowercase().contains("status");
    if is_status {
        let mut body = json!({
            "id": req.path,
            "name": op.id,
            "status": op.status(ctx.now),
            "startTime": rfc3339(op.start_ms),
            "percentComplete": if op.done(ctx.now) { 100.0 } else { 0.0 },
        });
        if op.done(ctx.now) {
            body["endTime"] = json!(rfc3339(op.due_ms));
            if let Some(e) = &op.error {
                body["error"] = e.clone();
            }
            Ok(Resp::json(200, body))
        } else {
            Ok(super::lro::retry_after(ctx, Resp::json(200, body)))
        }
    } else if !op.done(ctx.now) {
        let location = format!("{}{}", ctx.base_url, req_uri(req));
        Ok(super::lro::retry_after(
            ctx,
            Resp::empty(202).with_header("Location", location),
        ))
    } else {
        match op.outcome {
            Outcome::Failed => {
                let e = op.error.unwrap_or_else(
                    || json!({"code": "InternalServerError", "message": "The operation failed."}),
                );
                let mut err = ArmError::new(
                    500,
                    e.get("code")
                        .and_then(|c| c.as_str())
                        .unwrap_or("InternalServerError"),
                    e.get("message")
                        .and_then(|c| c.as_str())
                        .unwrap_or("The operation failed."),
                );
                err.target = e.get("target").and_then(|t| t.as_str()).map(String::from);
                Err(err)
            }
            Outcome::Succeeded | Outcome::Canceled => {
                match op.result_key.and_then(|k| state.resources.get(&k)) {
                    Some(entry) => Ok(Resp::json(200, entry.body.clone())),
                    None => Ok(Resp::empty(204)),
                }
            }
        }
    }
}

fn req_uri(req: &Req) -> String {
    let q: Vec<String> = req
        .query
        .iter()
        .map(|(k, v)| format!("{}={}", super::paging::encode(k), super::paging::encode(v)))
        .collect();
    if q.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, q.join("&"))
    }
}
