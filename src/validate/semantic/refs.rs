//! `azureml:` reference grammar and local-path detection.

/// What a reference points at; decides which `azureml:` forms are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    /// `azureml:<name>` or a bare name: no version.
    Compute,
    /// `azureml:<existing job name>`.
    Job,
    /// Versioned assets: environments, code, components, data, models.
    Asset,
    /// `default_datastore`: `azureml:<name>`.
    Datastore,
}

/// Whether a string is a local path (relative to the manifest) rather than a reference/URL.
pub fn is_local_path(s: &str) -> bool {
    let s = s.trim();
    !(s.is_empty()
        || s.starts_with("azureml:")
        || s.contains("://")
        || s.starts_with("git+")
        || s.starts_with("${{")
        || s.starts_with("http:")
        || s.starts_with("https:"))
}

/// Strips a `file:` scheme from a local path.
pub fn strip_file_scheme(s: &str) -> &str {
    s.strip_prefix("file://")
        .or_else(|| s.strip_prefix("file:"))
        .unwrap_or(s)
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks an `azureml:` reference; strings without the prefix are not references and pass.
pub fn check_reference(s: &str, kind: RefKind) -> Result<(), String> {
    let Some(rest) = s.strip_prefix("azureml:") else {
        return Ok(());
    };
    if let Some(uri) = rest.strip_prefix("//") {
        return check_uri(uri);
    }
    if let Some(arm) = rest.strip_prefix('/') {
        return if arm.to_ascii_lowercase().starts_with("subscriptions/")
            && arm.split('/').all(|p| !p.is_empty())
        {
            Ok(())
        } else {
            Err("an `azureml:/...` ARM id must start with /subscriptions/ and have no empty segments".into())
        };
    }
    if rest.is_empty() {
        return Err("nothing after `azureml:`".into());
    }
    match kind {
        RefKind::Compute | RefKind::Job | RefKind::Datastore => {
            if valid_name(rest) {
                Ok(())
            } else {
                Err(format!(
                    "`{rest}` is not a valid name (letters, digits, `-`, `_`, `.`; no version)"
                ))
            }
        }
        RefKind::Asset => {
            let (name, tail) = match rest.find([':', '@']) {
                Some(i) => (&rest[..i], Some((&rest[i..i + 1], &rest[i + 1..]))),
                None => (rest, None),
            };
            if !valid_name(name) {
                return Err(format!("`{name}` is not a valid asset name"));
            }
            match tail {
                None => Ok(()),
                Some((sep, v)) if valid_name(v) => {
                    let _ = sep;
                    Ok(())
                }
                Some((":", _)) => {
                    Err("expected `azureml:<name>:<version>` with a non-empty version".into())
                }
                Some(_) => Err("expected `azureml:<name>@<label>` with a non-empty label".into()),
            }
        }
    }
}

fn check_uri(uri: &str) -> Result<(), String> {
    let parts: Vec<&str> = uri.split('/').collect();
    let nonempty = |n: usize| parts.len() >= n && parts[..n].iter().all(|p| !p.is_empty());
    match parts.first().copied() {
        Some("registries") => {
            // The version part may be left out: the service then picks the default version.
            let ok = (parts.len() == 4
                || (parts.len() == 6 && matches!(parts[4], "versions" | "labels")))
                && nonempty(parts.len())
                && matches!(parts[2], "environments" | "models" | "components" | "data");
            if ok {
                Ok(())
            } else {
                Err("expected azureml://registries/<registry>/<environments|models|components|data>/<name>/<versions|labels>/<v>".into())
            }
        }
        Some("datastores") => {
            if nonempty(3) && parts[2] == "paths" {
                Ok(())
            } else {
                Err("expected azureml://datastores/<datastore>/paths/<path>".into())
            }
        }
        Some("jobs") => {
            if nonempty(2) {
                Ok(())
            } else {
                Err("expected azureml://jobs/<job>/outputs/<output>".into())
            }
        }
        Some("subscriptions") | Some("locations") | Some("feeds") => Ok(()),
        _ => Err(
            "unknown azureml:// form; expected registries/, datastores/, jobs/ or subscriptions/"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_grammar() {
        let ok = [
            ("azureml:cpu-cluster", RefKind::Compute),
            (
                "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33",
                RefKind::Asset,
            ),
            ("azureml:my-env@latest", RefKind::Asset),
            ("azureml:my-env", RefKind::Asset),
            (
                "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
                RefKind::Asset,
            ),
            (
                "azureml://datastores/workspaceblobstore/paths/data/x.csv",
                RefKind::Asset,
            ),
            (
                "azureml:/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/environments/e/versions/1",
                RefKind::Asset,
            ),
            ("not-a-reference", RefKind::Asset),
        ];
        for (s, k) in ok {
            assert_eq!(check_reference(s, k), Ok(()), "{s}");
        }
        let bad = [
            ("azureml:", RefKind::Asset),
            ("azureml:env:", RefKind::Asset),
            ("azureml:env@", RefKind::Asset),
            ("azureml:cluster:1", RefKind::Compute),
            (
                "azureml://registries/azureml/environments/sklearn/versions",
                RefKind::Asset,
            ),
            (
                "azureml://registries/azureml/environment/sklearn",
                RefKind::Asset,
            ),
            ("azureml://datastore/x/paths/y", RefKind::Asset),
            ("azureml:/resourceGroups/r", RefKind::Asset),
        ];
        for (s, k) in bad {
            assert!(check_reference(s, k).is_err(), "{s}");
        }
    }

    #[test]
    fn local_paths() {
        assert!(is_local_path("./src"));
        assert!(is_local_path("data/iris.csv"));
        assert!(!is_local_path("azureml:code:1"));
        assert!(!is_local_path("https://example.com/x.csv"));
        assert!(!is_local_path("wasbs://c@a.blob.core.windows.net/x"));
        assert!(!is_local_path("${{parent.inputs.x}}"));
        assert_eq!(strip_file_scheme("file:./x"), "./x");
    }
}
