//! Secret references (`${env:NAME}` or `{ env: NAME }`) and the [`Secret`] value they resolve to.
//!
//! A reference is the only form a secret takes in config, manifests, plans and output. Its value
//! is read from the environment only when asked ([`SecretRef::resolve`]), is held in a
//! [`Secret`] whose `Debug`/`Display` print `***`, and is never serialised.

use std::fmt;

use serde_json::Value;

use super::SecretError;

/// How environment variables are read: the process environment in the binary, a map in tests.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Reads the process environment (a variable that is not valid UTF-8 counts as unset).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A secret value. Prints as `***`; has no `Serialize`; read it with [`Secret::expose`] at the
/// single place that sends it to the service.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself. Never log, print or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A reference to a secret in an environment variable. Safe to print: it holds the name only.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretRef {
    pub env: String,
}

impl SecretRef {
    /// The canonical placeholder text, `${env:NAME}`.
    pub fn placeholder(&self) -> String {
        format!("${{env:{}}}", self.env)
    }

    /// `Some` when `s` is a reference: the whole string is `${env:NAME}`. A string that starts
    /// with `${env:` but is malformed is an error rather than a literal, so typos do not leak
    /// through as plain values.
    pub fn parse_str(s: &str) -> Option<Result<SecretRef, SecretError>> {
        let rest = s.strip_prefix("${env:")?;
        let bad = || SecretError::BadReference {
            reference: s.to_owned(),
        };
        Some(match rest.strip_suffix('}') {
            Some(name) if valid_name(name) => Ok(SecretRef {
                env: name.to_owned(),
            }),
            _ => Err(bad()),
        })
    }

    /// `Some` when `value` is a reference: the string form, or a mapping with the single key
    /// `env` whose value is a variable name.
    pub fn from_json(value: &Value) -> Option<Result<SecretRef, SecretError>> {
        match value {
            Value::String(s) => SecretRef::parse_str(s),
            Value::Object(map) if map.len() == 1 => {
                let name = map.get("env")?;
                Some(match name.as_str() {
                    Some(n) if valid_name(n) => Ok(SecretRef { env: n.to_owned() }),
                    _ => Err(SecretError::BadReference {
                        reference: format!("{{ env: {name} }}"),
                    }),
                })
            }
            _ => None,
        }
    }

    /// Read the variable. A missing variable is an error naming it; an empty one is accepted.
    pub fn resolve(&self, env: EnvLookup<'_>) -> Result<Secret, SecretError> {
        env(&self.env)
            .map(Secret)
            .ok_or_else(|| SecretError::Missing {
                name: self.env.clone(),
            })
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One secret reference found in a JSON document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretSite {
    /// JSON pointer (RFC 6901) to the value holding the reference.
    pub pointer: String,
    pub reference: SecretRef,
}

/// Rewrite every `{ env: NAME }` mapping into the canonical `${env:NAME}` string and return
/// where references are, in document order. Fails on a malformed reference.
pub fn canonicalize_refs(value: &mut Value) -> Result<Vec<SecretSite>, SecretError> {
    let mut sites = Vec::new();
    walk(value, &mut String::new(), &mut sites)?;
    Ok(sites)
}

/// Where the `${env:NAME}` strings of a document are (the `{ env: NAME }` mapping form is not
/// recognised here: in an `az ml` manifest a mapping with one `env` key can be ordinary data).
pub fn find_refs(value: &Value) -> Result<Vec<SecretSite>, SecretError> {
    let mut sites = Vec::new();
    find(value, &mut String::new(), &mut sites)?;
    Ok(sites)
}

fn find(
    value: &Value,
    pointer: &mut String,
    sites: &mut Vec<SecretSite>,
) -> Result<(), SecretError> {
    let len = pointer.len();
    match value {
        Value::String(s) => {
            if let Some(reference) = SecretRef::parse_str(s) {
                sites.push(SecretSite {
                    pointer: pointer.clone(),
                    reference: reference?,
                });
            }
        }
        Value::Object(map) => {
            for (key, child) in map {
                push_token(pointer, key);
                find(child, pointer, sites)?;
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                push_token(pointer, &i.to_string());
                find(child, pointer, sites)?;
                pointer.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&token.replace('~', "~0").replace('/', "~1"));
}

fn walk(
    value: &mut Value,
    pointer: &mut String,
    sites: &mut Vec<SecretSite>,
) -> Result<(), SecretError> {
    if let Some(reference) = SecretRef::from_json(value) {
        let reference = reference?;
        *value = Value::String(reference.placeholder());
        sites.push(SecretSite {
            pointer: pointer.clone(),
            reference,
        });
        return Ok(());
    }
    let len = pointer.len();
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                push_token(pointer, key);
                walk(child, pointer, sites)?;
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                push_token(pointer, &i.to_string());
                walk(child, pointer, sites)?;
                pointer.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_forms() {
        assert_eq!(
            SecretRef::parse_str("${env:A_B1}"),
            Some(Ok(SecretRef { env: "A_B1".into() }))
        );
        assert_eq!(SecretRef::parse_str("plain"), None);
        assert!(matches!(SecretRef::parse_str("${env:}"), Some(Err(_))));
        assert!(matches!(SecretRef::parse_str("${env:A-B}"), Some(Err(_))));
        assert!(matches!(SecretRef::parse_str("${env:A"), Some(Err(_))));
        assert_eq!(
            SecretRef::from_json(&json!({"env": "X"})),
            Some(Ok(SecretRef { env: "X".into() }))
        );
        assert_eq!(SecretRef::from_json(&json!({"env": "X", "other": 1})), None);
    }

    #[test]
    fn canonicalize_finds_pointers() {
        let mut v = json!({"ssh": {"admin_password": {"env": "PW"}}, "list": ["${env:TOK}", "x"], "a/b": "${env:S}"});
        let sites = canonicalize_refs(&mut v).unwrap();
        let pointers: Vec<_> = sites
            .iter()
            .map(|s| (s.pointer.as_str(), s.reference.env.as_str()))
            .collect();
        assert_eq!(
            pointers,
            vec![
                ("/ssh/admin_password", "PW"),
                ("/list/0", "TOK"),
                ("/a~1b", "S")
            ]
        );
        assert_eq!(v["ssh"]["admin_password"], json!("${env:PW}"));
    }

    #[test]
    fn find_refs_ignores_mapping_form() {
        let v = json!({"environment_variables": {"env": "prod"}, "pw": "${env:PW}"});
        let sites = find_refs(&v).unwrap();
        assert_eq!(sites.len(), 1);
        assert_eq!(sites[0].pointer, "/pw");
    }

    #[test]
    fn resolve_missing_names_variable() {
        let env = |_: &str| None;
        let err = SecretRef { env: "NOPE".into() }.resolve(&env).unwrap_err();
        assert!(err.to_string().contains("NOPE"));
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?} {:?}", Some(&s)), "*** *** Some(***)");
        assert_eq!(s.expose(), "hunter2");
    }
}
