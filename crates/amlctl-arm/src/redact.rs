//! What may be logged: URLs with secret query parameters removed, and JSON bodies with secret
//! fields masked. Used for every log line and error message the client writes.

use serde_json::Value;

const MASK: &str = "<redacted>";

/// Query parameters of ARM URLs that carry no secrets and help when reading logs.
const SAFE_QUERY: &[&str] = &[
    "api-version",
    "listviewtype",
    "underlyingresourceaction",
    "$skip",
    "$skiptoken",
    "$top",
    "jobtype",
    "tag",
    "properties",
];

/// An ARM URL for logs: path plus query, with every parameter outside a short safe list masked.
pub(crate) fn arm_url(url: &url::Url) -> String {
    let mut out = url.path().to_string();
    let mut first = true;
    for (k, v) in url.query_pairs() {
        out.push(if first { '?' } else { '&' });
        first = false;
        out.push_str(&k);
        out.push('=');
        if SAFE_QUERY.contains(&k.to_ascii_lowercase().as_str()) {
            out.push_str(&v);
        } else {
            out.push_str(MASK);
        }
    }
    out
}

/// A blob (SAS) URL for logs: host and path only; the whole query string is dropped.
pub(crate) fn blob_url(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("");
    let query = if url.query().is_some() {
        "?<sas redacted>"
    } else {
        ""
    };
    format!("{host}{}{query}", url.path())
}

/// Same as [`blob_url`] for a string that may not even parse.
pub(crate) fn blob_url_str(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(u) => blob_url(&u),
        Err(_) => match raw.split_once('?') {
            Some((before, _)) => format!("{before}?<sas redacted>"),
            None => raw.to_string(),
        },
    }
}

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "connectionstring",
        "sasuri",
        "sastoken",
        "accountkey",
        "primarykey",
        "secondarykey",
        "credential",
        "authorization",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// A copy of `value` with secret fields masked and SAS query strings removed from string values.
pub(crate) fn json(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret_key(k) && !v.is_null() {
                        Value::String(MASK.to_string())
                    } else {
                        json(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(json).collect()),
        Value::String(s) if s.contains("sig=") => Value::String(blob_url_str(s)),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_url_keeps_safe_params_only() {
        let u = url::Url::parse(
            "https://management.azure.com/subscriptions/s/computes?api-version=2026-03-01&code=abc&$skip=x",
        )
        .expect("url");
        let s = arm_url(&u);
        assert!(s.contains("api-version=2026-03-01"));
        assert!(s.contains("$skip=x"));
        assert!(s.contains("code=<redacted>"));
        assert!(!s.contains("abc"));
    }

    #[test]
    fn blob_url_drops_sas() {
        let raw = "https://acct.blob.core.windows.net/c/b.tgz?sv=2023&se=2030&sig=SECRETSIG";
        let s = blob_url_str(raw);
        assert!(!s.contains("SECRETSIG") && !s.contains("se=2030"), "{s}");
        assert!(s.contains("/c/b.tgz"));
        assert!(!blob_url_str("not a url?sig=X").contains('X'));
    }

    #[test]
    fn json_masks_secret_fields() {
        let v = serde_json::json!({
            "properties": {
                "userAccountCredentials": {"adminUserPassword": "p@ss"},
                "relayConnectionString": "Endpoint=sb://x;SharedAccessKey=k",
                "blobUri": "https://a.blob.core.windows.net/c?sig=S1G",
                "vmSize": "STANDARD_DS3_V2",
                "nullSecret": null
            }
        });
        let r = json(&v).to_string();
        for secret in ["p@ss", "SharedAccessKey", "S1G"] {
            assert!(!r.contains(secret), "{r}");
        }
        assert!(r.contains("STANDARD_DS3_V2"));
    }
}
