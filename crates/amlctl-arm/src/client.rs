//! `ArmClient`: the public operations (get, list, put, LRO verbs, blob upload) over [`Http`].

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::auth::TokenSource;
use crate::config::{API_VERSION, ClientConfig, LroPolicy, TAGS_API_VERSION};
use crate::error::{ArmError, parse_error_body};
use crate::http::{Call, Http, Response, Target};
use crate::lro::{self, Verb};
use crate::redact;

/// 404 codes that mean "the container is missing", not "this resource does not exist".
const PARENT_MISSING: &[&str] = &[
    "ParentResourceNotFound",
    "ResourceGroupNotFound",
    "SubscriptionNotFound",
];

/// Pages followed at most by one `list` call (a guard against a server that never stops).
const MAX_PAGES: usize = 10_000;

/// How [`ArmClient::update_tags`] changes the tags (`Tags_UpdateAtScope`'s `operation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagsOperation {
    /// Add the given tags, keeping the others.
    Merge,
    /// The given tags become all the tags.
    Replace,
    /// Remove the given tags.
    Delete,
}

impl TagsOperation {
    pub fn as_str(self) -> &'static str {
        match self {
            TagsOperation::Merge => "Merge",
            TagsOperation::Replace => "Replace",
            TagsOperation::Delete => "Delete",
        }
    }
}

/// The ARM client. Cheap to clone; clones share connections, token cache and concurrency limit.
#[derive(Clone, Debug)]
pub struct ArmClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) http: Http,
    pub(crate) endpoint: url::Url,
    pub(crate) lro: LroPolicy,
}

impl ArmClient {
    /// Builds the HTTP client (rustls, webpki roots plus `ca_file`) and the credential.
    /// No request is sent until the first call.
    pub async fn new(config: ClientConfig) -> Result<ArmClient, ArmError> {
        check_scheme(&config.endpoint, "endpoint")?;
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(15))
            .pool_idle_timeout(std::time::Duration::from_secs(60))
            .user_agent(concat!("amlctl/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &config.ca_file {
            let pem = tokio::fs::read(path).await.map_err(|e| ArmError::Config {
                message: format!("cannot read CA file {}: {e}", path.display()),
            })?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ArmError::Config {
                    message: format!("CA file {} is not PEM: {e}", path.display()),
                })?;
            if certs.is_empty() {
                return Err(ArmError::Config {
                    message: format!("CA file {} holds no certificate", path.display()),
                });
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(|e| ArmError::Config {
            message: format!("cannot build the HTTP client: {e}"),
        })?;
        let tokens = TokenSource::new(&config.credential, &config.cloud, client.clone())?;
        Ok(ArmClient {
            inner: Arc::new(Inner {
                http: Http {
                    client,
                    tokens,
                    semaphore: Semaphore::new(config.max_concurrency.max(1)),
                    retry: config.retry,
                },
                endpoint: config.endpoint,
                lro: config.lro,
            }),
        })
    }

    /// The configured ARM endpoint.
    pub fn endpoint(&self) -> &url::Url {
        &self.inner.endpoint
    }

    /// GET a resource; `Ok(None)` when it does not exist. A 404 saying that a *parent* is missing
    /// (subscription, resource group, `ParentResourceNotFound`) is an error, not "absent".
    pub async fn get(&self, path: &str) -> Result<Option<Value>, ArmError> {
        let url = self.url(path, &[])?;
        let resp = self.send_arm(Method::GET, &url, None).await?;
        match resp.status {
            StatusCode::NOT_FOUND => {
                let code = parse_error_body(404, &resp.body).code;
                if PARENT_MISSING.iter().any(|c| c.eq_ignore_ascii_case(&code)) {
                    Err(status_error("GET", path, &resp))
                } else {
                    Ok(None)
                }
            }
            s if s.is_success() => json_body("GET", path, &resp).map(Some),
            _ => Err(status_error("GET", path, &resp)),
        }
    }

    /// GET a collection and every following page (`nextLink`, followed verbatim when it points at
    /// the endpoint's origin). Returns the concatenated `value` arrays.
    pub async fn list(&self, path: &str, query: &[(&str, &str)]) -> Result<Vec<Value>, ArmError> {
        let mut items = Vec::new();
        self.list_pages(path, query, |page| items.extend(page))
            .await?;
        Ok(items)
    }

    /// [`ArmClient::list`], handing each page's items to `on_page` as soon as it arrives (so a
    /// caller can work on the first pages while the next ones are on the wire).
    pub async fn list_pages(
        &self,
        path: &str,
        query: &[(&str, &str)],
        mut on_page: impl FnMut(Vec<Value>),
    ) -> Result<(), ArmError> {
        let span = tracing::info_span!("arm_list", path);
        async move {
            let mut url = self.url(path, query)?;
            let mut seen = HashSet::new();
            for _ in 0..MAX_PAGES {
                let resp = self.send_arm(Method::GET, &url, None).await?;
                if !resp.status.is_success() {
                    return Err(status_error("GET", path, &resp));
                }
                let mut page = json_body("GET", path, &resp)?;
                match page.get_mut("value").map(Value::take) {
                    Some(Value::Array(values)) => on_page(values),
                    None | Some(Value::Null) => {}
                    Some(_) => {
                        return Err(ArmError::Decode {
                            method: "GET".into(),
                            path: path.into(),
                            message: "`value` is not an array".into(),
                        });
                    }
                }
                match page.get("nextLink").and_then(Value::as_str) {
                    Some(next) if !next.is_empty() => {
                        url = self.same_origin(next)?;
                        if !seen.insert(url.to_string()) {
                            return Err(ArmError::Decode {
                                method: "GET".into(),
                                path: path.into(),
                                message: "nextLink repeats an earlier page".into(),
                            });
                        }
                    }
                    _ => return Ok(()),
                }
            }
            Err(ArmError::Decode {
                method: "GET".into(),
                path: path.into(),
                message: format!("more than {MAX_PAGES} pages"),
            })
        }
        .instrument(span)
        .await
    }

    /// Synchronous PUT (jobs, asset versions): 200/201 with the resource.
    pub async fn put(&self, path: &str, body: &Value) -> Result<Value, ArmError> {
        let url = self.url(path, &[])?;
        let resp = self
            .send_arm(Method::PUT, &url, Some(to_bytes(body)))
            .await?;
        if !resp.status.is_success() {
            return Err(status_error("PUT", path, &resp));
        }
        let value = json_body("PUT", path, &resp)?;
        if value.is_null() {
            // No body: read the resource back.
            return self.get(path).await?.ok_or_else(|| ArmError::Decode {
                method: "PUT".into(),
                path: path.into(),
                message: "PUT succeeded but the resource is not there".into(),
            });
        }
        Ok(value)
    }

    /// PUT as a long-running operation: waits until it finishes, returns the final resource.
    pub async fn put_lro(&self, path: &str, body: &Value) -> Result<Value, ArmError> {
        self.write_lro(Method::PUT, Verb::Put, path, body).await
    }

    /// Change a resource's ARM tags with the Tags API at its scope
    /// (`{resource}/providers/Microsoft.Resources/tags/default`, api-version
    /// [`TAGS_API_VERSION`]), without rewriting the resource itself. Returns the tags after.
    pub async fn update_tags(
        &self,
        resource_path: &str,
        operation: TagsOperation,
        tags: &Value,
    ) -> Result<Value, ArmError> {
        let path = format!("{resource_path}/providers/Microsoft.Resources/tags/default");
        let mut url = self.url(&path, &[])?;
        url.query_pairs_mut()
            .clear()
            .append_pair("api-version", TAGS_API_VERSION);
        let body =
            serde_json::json!({"operation": operation.as_str(), "properties": {"tags": tags}});
        let resp = self
            .send_arm(Method::PATCH, &url, Some(to_bytes(&body)))
            .await?;
        if !resp.status.is_success() {
            return Err(status_error("PATCH", &path, &resp));
        }
        let answer = json_body("PATCH", &path, &resp)?;
        Ok(answer
            .pointer("/properties/tags")
            .cloned()
            .unwrap_or(Value::Null))
    }

    /// PATCH as a long-running operation: waits until it finishes, returns the final resource.
    pub async fn patch_lro(&self, path: &str, body: &Value) -> Result<Value, ArmError> {
        self.write_lro(Method::PATCH, Verb::Patch, path, body).await
    }

    async fn write_lro(
        &self,
        method: Method,
        verb: Verb,
        path: &str,
        body: &Value,
    ) -> Result<Value, ArmError> {
        let span = tracing::info_span!("arm_lro", op = %method, resource = path);
        async move {
            let url = self.url(path, &[])?;
            let resp = self
                .send_arm(method.clone(), &url, Some(to_bytes(body)))
                .await?;
            if !resp.status.is_success() {
                return Err(status_error(method.as_str(), path, &resp));
            }
            let final_body = lro::complete(self, verb, path, &url, resp).await?;
            match final_body {
                Some(v) if !v.is_null() => Ok(v),
                _ => self.get(path).await?.ok_or_else(|| ArmError::Decode {
                    method: method.to_string(),
                    path: path.into(),
                    message: "operation succeeded but the resource is not there".into(),
                }),
            }
        }
        .instrument(span)
        .await
    }

    /// DELETE and wait. 404 or 204 (already gone) is success.
    pub async fn delete_lro(&self, path: &str, query: &[(&str, &str)]) -> Result<(), ArmError> {
        let span = tracing::info_span!("arm_lro", op = "DELETE", resource = path);
        async move {
            let url = self.url(path, query)?;
            let resp = self.send_arm(Method::DELETE, &url, None).await?;
            match resp.status {
                StatusCode::NOT_FOUND | StatusCode::NO_CONTENT => Ok(()),
                s if s.is_success() => {
                    let resource = self.url(path, &[])?;
                    lro::complete(self, Verb::Delete, path, &resource, resp)
                        .await
                        .map(|_| ())
                }
                _ => Err(status_error("DELETE", path, &resp)),
            }
        }
        .instrument(span)
        .await
    }

    /// POST an action (start, stop, restart, cancel) and wait for it. The action is sent at most
    /// once unless the server certainly did not act (see `retry::error_policy`).
    pub async fn post_lro(&self, path: &str) -> Result<(), ArmError> {
        let span = tracing::info_span!("arm_lro", op = "POST", resource = path);
        async move {
            let url = self.url(path, &[])?;
            let resp = self.send_arm(Method::POST, &url, None).await?;
            if !resp.status.is_success() {
                return Err(status_error("POST", path, &resp));
            }
            lro::complete(self, Verb::Post, path, &url, resp)
                .await
                .map(|_| ())
        }
        .instrument(span)
        .await
    }

    /// POST that answers synchronously (startPendingUpload, listKeys). Secrets in the answer are
    /// never logged by this client.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, ArmError> {
        let url = self.url(path, &[])?;
        let resp = self
            .send_arm(Method::POST, &url, Some(to_bytes(body)))
            .await?;
        if !resp.status.is_success() {
            return Err(status_error("POST", path, &resp));
        }
        json_body("POST", path, &resp)
    }

    /// HEAD a blob by SAS URL: does it exist? The SAS query string is never logged.
    pub async fn blob_exists(&self, url: &str) -> Result<bool, ArmError> {
        let parsed = parse_blob_url(url)?;
        let resp = self
            .inner
            .http
            .send(Call {
                method: Method::HEAD,
                url: &parsed,
                body: None,
                target: Target::Blob,
                headers: blob_headers(),
            })
            .await?;
        match resp.status {
            StatusCode::NOT_FOUND => Ok(false),
            s if s.is_success() => Ok(true),
            _ => Err(status_error("HEAD", &redact::blob_url(&parsed), &resp)),
        }
    }

    /// Upload a block blob by SAS URL (one PUT; idempotent, so retried on transient errors).
    pub async fn put_blob(&self, url: &str, bytes: Bytes) -> Result<(), ArmError> {
        let parsed = parse_blob_url(url)?;
        let mut headers = blob_headers();
        headers.push((
            HeaderName::from_static("x-ms-blob-type"),
            HeaderValue::from_static("BlockBlob"),
        ));
        headers.push((
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        ));
        let resp = self
            .inner
            .http
            .send(Call {
                method: Method::PUT,
                url: &parsed,
                body: Some(bytes),
                target: Target::Blob,
                headers,
            })
            .await?;
        if resp.status.is_success() {
            Ok(())
        } else {
            Err(status_error("PUT", &redact::blob_url(&parsed), &resp))
        }
    }

    // ----- crate-internal helpers used by `lro` -----

    pub(crate) fn lro_policy(&self) -> &LroPolicy {
        &self.inner.lro
    }

    pub(crate) async fn send_arm(
        &self,
        method: Method,
        url: &url::Url,
        body: Option<Bytes>,
    ) -> Result<Response, ArmError> {
        self.inner
            .http
            .send(Call {
                method,
                url,
                body,
                target: Target::Arm,
                headers: Vec::new(),
            })
            .await
    }

    /// `endpoint + path ? api-version=... & query`.
    pub(crate) fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<url::Url, ArmError> {
        if !path.starts_with('/') || path.contains('?') || path.contains('#') {
            return Err(ArmError::Config {
                message: format!(
                    "ARM path must start with `/` and carry no query string: `{path}`"
                ),
            });
        }
        let mut url = self.inner.endpoint.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}{path}"));
        url.set_query(None);
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("api-version", API_VERSION);
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// A link from the service (nextLink, operation status), accepted only on the endpoint's
    /// origin so the bearer token never goes anywhere else. Relative links are resolved.
    pub(crate) fn same_origin(&self, link: &str) -> Result<url::Url, ArmError> {
        let url = self
            .inner
            .endpoint
            .join(link)
            .map_err(|e| ArmError::Decode {
                method: "GET".into(),
                path: redact::blob_url_str(link),
                message: format!("invalid link from the service: {e}"),
            })?;
        if url.origin() != self.inner.endpoint.origin() {
            return Err(ArmError::ForeignLink {
                origin: url.origin().ascii_serialization(),
                endpoint: self.inner.endpoint.origin().ascii_serialization(),
            });
        }
        Ok(url)
    }
}

fn blob_headers() -> Vec<(HeaderName, HeaderValue)> {
    vec![(
        HeaderName::from_static("x-ms-version"),
        HeaderValue::from_static("2023-11-03"),
    )]
}

/// Only https, or http to a loopback host (the emulator); never plain http to a real host.
fn check_scheme(url: &url::Url, what: &str) -> Result<(), ArmError> {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        scheme => Err(ArmError::Config {
            message: format!(
                "{what} must be https (or http on loopback), got {scheme}://{}",
                url.host_str().unwrap_or("")
            ),
        }),
    }
}

fn parse_blob_url(raw: &str) -> Result<url::Url, ArmError> {
    let url = url::Url::parse(raw).map_err(|e| ArmError::Config {
        message: format!("invalid blob URL {}: {e}", redact::blob_url_str(raw)),
    })?;
    check_scheme(&url, "blob URL")?;
    Ok(url)
}

fn to_bytes(body: &Value) -> Bytes {
    Bytes::from(body.to_string())
}

/// The JSON body of a 2xx response (`Null` when empty).
pub(crate) fn json_body(method: &str, path: &str, resp: &Response) -> Result<Value, ArmError> {
    if resp.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    let value: Value = serde_json::from_slice(&resp.body).map_err(|e| ArmError::Decode {
        method: method.into(),
        path: path.into(),
        message: e.to_string(),
    })?;
    tracing::trace!(method, path, body = %redact::json(&value), "response body");
    Ok(value)
}

/// Maps a non-success response to the matching error variant.
pub(crate) fn status_error(method: &str, path: &str, resp: &Response) -> ArmError {
    let detail = parse_error_body(resp.status.as_u16(), &resp.body);
    let request_id = resp.request_id();
    match resp.status {
        StatusCode::NOT_FOUND => ArmError::NotFound {
            method: method.into(),
            path: path.into(),
            code: detail.code,
            message: detail.message,
            request_id,
        },
        StatusCode::CONFLICT => ArmError::Conflict {
            method: method.into(),
            path: path.into(),
            code: detail.code,
            message: detail.message,
            request_id,
        },
        StatusCode::TOO_MANY_REQUESTS => ArmError::Throttled {
            method: method.into(),
            path: path.into(),
            attempts: resp.attempts,
            retry_after: crate::retry::retry_after(&resp.headers),
        },
        status => ArmError::Api {
            method: method.into(),
            path: path.into(),
            status: status.as_u16(),
            code: detail.code,
            message: detail.message,
            target: detail.target,
            request_id,
            details: detail.details,
        },
    }
}
