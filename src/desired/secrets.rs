//! Secrets (AmlCompute admin password, Kubernetes connection strings) never sit in a body:
//! the body holds a placeholder naming the environment variable that `apply` reads, and the
//! field's JSON pointer is listed in `DesiredResource::secret_paths`.
//!
//! The variable is the one named by a `${env:NAME}` value in the manifest; a literal value in
//! the manifest is never used (it would be a secret in git): the variable is then
//! `AMLCTL_SECRET_<RESOURCE>_<FIELD>` (upper case, other characters as `_`).

/// Every placeholder starts with this.
pub const SECRET_PLACEHOLDER_PREFIX: &str = "${amlctl-secret:";

/// The placeholder for the secret held in environment variable `env_var`.
pub fn secret_placeholder(env_var: &str) -> String {
    format!("{SECRET_PLACEHOLDER_PREFIX}{env_var}}}")
}

/// The environment variable named by a placeholder, if `value` is one.
pub fn parse_secret_placeholder(value: &str) -> Option<&str> {
    value
        .strip_prefix(SECRET_PLACEHOLDER_PREFIX)?
        .strip_suffix('}')
}

/// The environment variable for a secret field: `${env:NAME}` in the manifest names it,
/// anything else gets the derived `AMLCTL_SECRET_<RESOURCE>_<FIELD>`.
pub(crate) fn secret_env_var(manifest_value: &str, resource: &str, field: &str) -> String {
    if let Some(name) = manifest_value
        .trim()
        .strip_prefix("${env:")
        .and_then(|s| s.strip_suffix('}'))
    {
        let name = name.trim();
        if !name.is_empty() {
            return name.to_owned();
        }
    }
    let up = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("AMLCTL_SECRET_{}_{}", up(resource), up(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_round_trips() {
        let p = secret_placeholder("CLUSTER_PW");
        assert_eq!(parse_secret_placeholder(&p), Some("CLUSTER_PW"));
        assert_eq!(parse_secret_placeholder("hunter2"), None);
    }

    #[test]
    fn env_var_names() {
        assert_eq!(secret_env_var("${env:MY_PW}", "c", "f"), "MY_PW");
        assert_eq!(
            secret_env_var("example-password", "ssh-example", "admin_password"),
            "AMLCTL_SECRET_SSH_EXAMPLE_ADMIN_PASSWORD"
        );
    }
}
