//! Secret values enter desired bodies only at apply time, from the environment, and only for
//! the resources being written. Plans and output only ever see placeholders.

use serde_json::Value;

use crate::desired::parse_secret_placeholder;
use crate::model::{DesiredState, ResourceId};

#[derive(Debug, thiserror::Error)]
#[error("{address} needs the secret in environment variable {variable}, which is not set")]
pub struct MissingSecret {
    pub address: ResourceId,
    pub variable: String,
}

/// Replace the secret placeholders of `addresses` with values from `env`.
pub fn resolve(
    desired: &mut DesiredState,
    addresses: &[ResourceId],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), Vec<MissingSecret>> {
    let mut missing = Vec::new();
    for address in addresses {
        let Some(resource) = desired.resources.get_mut(address) else {
            continue;
        };
        for pointer in resource.secret_paths.clone() {
            let Some(slot) = resource.body.pointer_mut(&pointer) else {
                continue;
            };
            let Some(variable) = slot
                .as_str()
                .and_then(parse_secret_placeholder)
                .map(str::to_owned)
            else {
                continue;
            };
            match env(&variable).filter(|v| !v.is_empty()) {
                Some(value) => *slot = Value::String(value),
                None => missing.push(MissingSecret {
                    address: address.clone(),
                    variable,
                }),
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::secret_placeholder;
    use crate::model::{DesiredResource, Kind, SourceLocation};
    use serde_json::json;

    fn state() -> (DesiredState, ResourceId) {
        let id = ResourceId::new(Kind::Compute, "c");
        let mut s = DesiredState::default();
        s.resources.insert(
            id.clone(),
            DesiredResource {
                id: id.clone(),
                type_label: "AmlCompute".into(),
                body: json!({"properties": {"properties": {"userAccountCredentials": {"adminUserPassword": secret_placeholder("PW")}}}}),
                secret_paths: vec!["/properties/properties/userAccountCredentials/adminUserPassword".into()],
                source: SourceLocation { file: "c.yml".into(), line: 1 },
                depends_on: Default::default(),
                options: Default::default(),
                assets: vec![],
            },
        );
        (s, id)
    }

    #[test]
    fn fills_placeholders_from_the_environment() {
        let (mut s, id) = state();
        resolve(&mut s, std::slice::from_ref(&id), &|n| {
            (n == "PW").then(|| "hunter2".to_owned())
        })
        .unwrap();
        assert_eq!(
            s.resources[&id].body["properties"]["properties"]["userAccountCredentials"]["adminUserPassword"],
            "hunter2"
        );
    }

    #[test]
    fn names_the_missing_variable_never_a_value() {
        let (mut s, id) = state();
        let err = resolve(&mut s, &[id], &|_| None).unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(err[0].to_string().contains("PW"));
    }
}
