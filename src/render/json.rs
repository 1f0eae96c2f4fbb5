//! The machine view and the saved-plan format (`docs/plan-json.md`): the [`Plan`] as serialised
//! by serde, plus `summary`, `has_changes`, `applicable` and a `kind` per change. Reading it back
//! with `serde_json::from_str::<Plan>` ignores the added fields, so the same document serves
//! `plan --output json` and `plan -out FILE`.

use serde_json::Value;

use crate::plan::Plan;

/// The JSON document as a value.
pub fn to_value(plan: &Plan) -> Result<Value, serde_json::Error> {
    let mut v = serde_json::to_value(plan)?;
    if let Value::Object(map) = &mut v {
        map.insert("summary".to_owned(), serde_json::to_value(plan.summary())?);
        map.insert("has_changes".to_owned(), Value::Bool(plan.has_changes()));
        map.insert("applicable".to_owned(), Value::Bool(plan.is_applicable()));
        if let Some(Value::Array(changes)) = map.get_mut("changes") {
            for (value, change) in changes.iter_mut().zip(&plan.changes) {
                if let Value::Object(c) = value {
                    c.insert("kind".to_owned(), Value::from(change.address.kind.as_str()));
                }
            }
        }
    }
    Ok(v)
}

/// Pretty-printed JSON document, newline-terminated.
pub fn render(plan: &Plan) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(&to_value(plan)?)?;
    s.push('\n');
    Ok(s)
}

/// Read a saved plan back (`apply FILE`).
pub fn parse(text: &str) -> Result<Plan, serde_json::Error> {
    serde_json::from_str(text)
}
