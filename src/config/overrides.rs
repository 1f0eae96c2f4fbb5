//! Per-target values: a JSON Merge Patch (RFC 7386) applied to a manifest's YAML-as-JSON
//! before translation. Mappings merge key by key, recursively; `null` removes a key; anything
//! else (scalars, sequences) replaces the value as a whole.

use serde_json::Value;

/// Apply `patch` to `target` in place (RFC 7386 semantics).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    let Value::Object(target_map) = target else {
        return;
    };
    for (key, value) in patch_map {
        if value.is_null() {
            target_map.remove(key);
        } else {
            merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(mut doc: Value, patch: Value) -> Value {
        merge_patch(&mut doc, &patch);
        doc
    }

    #[test]
    fn deep_merge_keeps_siblings() {
        assert_eq!(
            merged(
                json!({"name": "c", "size": "S", "scale": {"min": 0, "max": 2}}),
                json!({"size": "L", "scale": {"max": 10}})
            ),
            json!({"name": "c", "size": "L", "scale": {"min": 0, "max": 10}})
        );
    }

    #[test]
    fn null_removes_and_arrays_replace() {
        assert_eq!(
            merged(
                json!({"a": 1, "tags": ["x", "y"]}),
                json!({"a": null, "tags": ["z"]})
            ),
            json!({"tags": ["z"]})
        );
    }

    #[test]
    fn object_over_scalar_and_scalar_over_object() {
        assert_eq!(
            merged(json!({"a": 1}), json!({"a": {"b": 2}})),
            json!({"a": {"b": 2}})
        );
        assert_eq!(
            merged(json!({"a": {"b": 2}}), json!({"a": 3})),
            json!({"a": 3})
        );
    }
}
