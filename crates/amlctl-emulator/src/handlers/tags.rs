//! The ARM Tags API at a resource's scope (`Microsoft.Resources/tags/default`), for computes:
//! read, merge, replace or delete a compute's tags without touching the compute itself
//! (a compute PUT overwrites the whole resource). Published as `Tags_GetAtScope`,
//! `Tags_CreateOrUpdateAtScope` and `Tags_UpdateAtScope` of Microsoft.Resources.

use hyper::Method;
use serde_json::{Map, Value, json};

use super::{ArmError, Req, Resp, Ws};
use crate::state::{Kind, State, key};

/// api-versions of Microsoft.Resources that serve tags at scope.
pub const API_VERSIONS: &[&str] = &[
    "2019-10-01",
    "2020-06-01",
    "2021-04-01",
    "2022-09-01",
    "2024-03-01",
];

/// Is this path `.../providers/Microsoft.Resources/tags/default`?
pub fn is_tags_path(segs: &[&str]) -> bool {
    matches!(
        segs,
        [.., p, rp, t, d] if p.eq_ignore_ascii_case("providers")
            && rp.eq_ignore_ascii_case("Microsoft.Resources")
            && t.eq_ignore_ascii_case("tags")
            && d.eq_ignore_ascii_case("default")
    )
}

pub fn compute_tags(state: &mut State, req: &Req, w: &Ws, name: &str) -> Result<Resp, ArmError> {
    let compute_id = format!("{}/computes/{name}", w.id);
    let entry = state
        .resources
        .get_mut(&key(&compute_id))
        .filter(|e| e.kind == Kind::Compute)
        .ok_or_else(|| {
            ArmError::not_found(
                "Microsoft.MachineLearningServices/workspaces/computes",
                name,
            )
        })?;
    let current: Map<String, Value> = entry.body["tags"].as_object().cloned().unwrap_or_default();
    let tags = match req.method {
        Method::GET => current,
        Method::PUT | Method::PATCH => {
            let body = req.json()?;
            let given = body
                .pointer("/properties/tags")
                .and_then(Value::as_object)
                .cloned()
                .ok_or_else(|| {
                    ArmError::bad_request(
                        "InvalidRequestContent",
                        "properties.tags must be an object.",
                    )
                    .with_target("properties.tags")
                })?;
            if given.values().any(|v| !v.is_string()) {
                return Err(ArmError::bad_request(
                    "InvalidTagValue",
                    "Tag values must be strings.",
                )
                .with_target("properties.tags"));
            }
            let operation = if req.method == Method::PUT {
                "Replace"
            } else {
                body["operation"].as_str().unwrap_or("")
            };
            let mut tags = current;
            match operation {
                "Replace" => tags = given,
                "Merge" => tags.extend(given),
                "Delete" => {
                    for (k, v) in &given {
                        if v.as_str().is_none_or(str::is_empty) || tags.get(k) == Some(v) {
                            tags.remove(k);
                        }
                    }
                }
                other => {
                    return Err(ArmError::bad_request(
                        "InvalidTagOperation",
                        format!(
                            "The tag operation '{other}' is invalid: use Merge, Replace or Delete."
                        ),
                    )
                    .with_target("operation"));
                }
            }
            entry.body["tags"] = Value::Object(tags.clone());
            state.dirty = true;
            tags
        }
        ref m => return Err(ArmError::method_not_allowed(m)),
    };
    Ok(Resp::json(
        200,
        json!({
            "id": format!("{compute_id}/providers/Microsoft.Resources/tags/default"),
            "name": "default",
            "type": "Microsoft.Resources/tags",
            "properties": {"tags": tags},
        }),
    ))
}
