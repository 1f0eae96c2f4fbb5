//! azure_core's `HttpClient` over our own reqwest client, so azure_identity's token requests use
//! the same connection pool, TLS roots (rustls on ring) and CA file as ARM calls, and the build
//! carries one reqwest and no aws-lc-rs.

use azure_core::error::ErrorKind;
use azure_core::http::{AsyncRawResponse, HttpClient, Request, StatusCode, headers::Headers};

#[derive(Debug, Clone)]
pub(crate) struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    pub(crate) fn new(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }
}

#[async_trait::async_trait]
impl HttpClient for ReqwestTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let method = reqwest::Method::from_bytes(request.method().as_str().as_bytes())
            .map_err(|e| azure_core::Error::new(ErrorKind::DataConversion, e))?;
        let mut builder = self.client.request(method, request.url().as_str());
        for (name, value) in request.headers().iter() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = match request.body() {
            azure_core::http::Body::Bytes(bytes) => bytes.clone(),
            azure_core::http::Body::SeekableStream(_) => {
                return Err(azure_core::Error::with_message(
                    ErrorKind::Other,
                    "streaming request bodies are not supported by amlctl's transport",
                ));
            }
        };
        let response = builder
            .body(body)
            .send()
            .await
            // without_url: token endpoints carry no secrets in the URL, but be uniform.
            .map_err(|e| azure_core::Error::new(ErrorKind::Io, e.without_url()))?;
        let status = StatusCode::from(response.status().as_u16());
        let mut headers = Headers::new();
        for (name, value) in response.headers() {
            if let Ok(v) = value.to_str() {
                headers.insert(name.as_str().to_ascii_lowercase(), v.to_string());
            }
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| azure_core::Error::new(ErrorKind::Io, e.without_url()))?;
        Ok(AsyncRawResponse::from_bytes(status, headers, bytes))
    }
}
