//! A path-style blob endpoint (`/{account}/{container}/{blob}`) on the emulator itself, enough
//! for the SDK's code upload and amlctl's workspace lease: HEAD (404/200), PUT BlockBlob (201),
//! PUT `?comp=metadata` (200), PUT `?comp=lease` ([`super::lease`]), GET, DELETE. Writes honour
//! the blob's lease (`x-ms-lease-id`). Requests must carry a SAS (`sig` query parameter); the
//! signature is not checked.
//! Errors use the storage service's shape (XML body, `x-ms-error-code` header).

use std::collections::BTreeMap;

use bytes::Bytes;
use hyper::Method;
use sha2::{Digest, Sha256};

use super::lease::{self, LeaseError};
use super::{ArmError, Body, Ctx, Req, Resp};
use crate::clock::http_date;
use crate::state::{Blob, State};

fn storage_error(status: u16, code: &str, message: &str, head: bool) -> Resp {
    let body = if head {
        Body::Empty
    } else {
        Body::Raw(
            Bytes::from(format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            )),
            "application/xml".into(),
        )
    };
    Resp {
        status,
        headers: vec![("x-ms-error-code".into(), code.into())],
        body,
    }
}

fn common(r: Resp) -> Resp {
    r.with_header("x-ms-version", "2021-08-06")
        .with_header("x-ms-request-id", "00000000-0000-0000-0000-00000000b10b")
}

pub fn handle(ctx: &Ctx, state: &mut State, req: &Req) -> Result<Resp, ArmError> {
    let head = req.method == Method::HEAD;
    if req.q("sig").is_none() {
        return Ok(common(storage_error(
            403,
            "AuthenticationFailed",
            "Server failed to authenticate the request: a SAS token (sig) is required.",
            head,
        )));
    }
    if req.segs.len() < 3 {
        return Ok(common(storage_error(
            400,
            "InvalidUri",
            "Container-level operations are not supported by the emulator.",
            head,
        )));
    }
    let path = format!("/{}", req.segs.join("/"));
    let comp = req.q("comp");
    let writes = matches!(
        (&req.method, comp),
        (&Method::PUT, None) | (&Method::PUT, Some("metadata")) | (&Method::DELETE, None)
    );
    if writes && let Err(e) = lease::check_write(state.blobs.get(&path), req, ctx.now) {
        return Ok(common(lease_error(e)));
    }
    let resp = match (req.method.clone(), comp) {
        (Method::PUT, Some("lease")) => match lease::handle(ctx, state, req, &path) {
            Ok(r) => r,
            Err(e) => lease_error(e),
        },
        (Method::HEAD, None) | (Method::GET, None) => match state.blobs.get(&path) {
            None => storage_error(
                404,
                "BlobNotFound",
                "The specified blob does not exist.",
                head,
            ),
            Some(b) => {
                let mut r = if head {
                    Resp::empty(200)
                } else {
                    let content = b.content.clone().unwrap_or_default();
                    Resp {
                        status: 200,
                        headers: vec![],
                        body: Body::Raw(
                            content,
                            b.content_type
                                .clone()
                                .unwrap_or_else(|| "application/octet-stream".into()),
                        ),
                    }
                };
                r = blob_headers(r, b);
                r = lease::properties(r, b, ctx.now);
                if head {
                    r = r.with_header("Content-Length", b.size.to_string());
                }
                r
            }
        },
        (Method::PUT, None) => put_blob(ctx, state, req, &path),
        (Method::PUT, Some("metadata")) => match state.blobs.get_mut(&path) {
            None => storage_error(
                404,
                "BlobNotFound",
                "The specified blob does not exist.",
                false,
            ),
            Some(b) => {
                b.metadata = metadata(req);
                b.modified_ms = ctx.now;
                let r = Resp::empty(200)
                    .with_header("ETag", b.etag.clone())
                    .with_header("Last-Modified", http_date(ctx.now));
                state.dirty = true;
                r
            }
        },
        (Method::DELETE, None) => match state.blobs.remove(&path) {
            None => storage_error(
                404,
                "BlobNotFound",
                "The specified blob does not exist.",
                false,
            ),
            Some(_) => {
                state.dirty = true;
                Resp::empty(202)
            }
        },
        _ => storage_error(
            400,
            "UnsupportedHttpVerb",
            "The emulator does not support this blob operation.",
            head,
        ),
    };
    Ok(common(resp))
}

fn lease_error(LeaseError(status, code, message): LeaseError) -> Resp {
    storage_error(status, code, message, false)
}

fn blob_headers(mut r: Resp, b: &Blob) -> Resp {
    r = r
        .with_header("ETag", b.etag.clone())
        .with_header(
            "Last-Modified",
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_millis(b.modified_ms),
            )
            .to_string(),
        )
        .with_header("x-ms-blob-type", "BlockBlob");
    if let Some(md5) = &b.content_md5 {
        r = r.with_header("Content-MD5", md5.clone());
    }
    for (k, v) in &b.metadata {
        r = r.with_header(&format!("x-ms-meta-{k}"), v.clone());
    }
    r
}

fn metadata(req: &Req) -> BTreeMap<String, String> {
    req.headers
        .iter()
        .filter_map(|(k, v)| {
            let name = k.as_str().strip_prefix("x-ms-meta-")?;
            Some((name.to_string(), v.to_str().ok()?.to_string()))
        })
        .collect()
}

fn put_blob(ctx: &Ctx, state: &mut State, req: &Req, path: &str) -> Resp {
    match req.header("x-ms-blob-type") {
        Some(t) if t.eq_ignore_ascii_case("BlockBlob") => {}
        _ => {
            return storage_error(
                400,
                "MissingRequiredHeader",
                "An HTTP header that's mandatory for this request is not specified: x-ms-blob-type (BlockBlob).",
                false,
            );
        }
    }
    if req.header("if-none-match") == Some("*") && state.blobs.contains_key(path) {
        return storage_error(
            409,
            "BlobAlreadyExists",
            "The specified blob already exists.",
            false,
        );
    }
    let sha = hex(&Sha256::digest(&req.body));
    let etag = format!("\"0x{}\"", state.next_id(ctx.now).to_ascii_uppercase());
    let blob = Blob {
        sha256: sha,
        size: req.body.len() as u64,
        content_type: req
            .header("x-ms-blob-content-type")
            .or(req.header("content-type"))
            .map(String::from),
        content_md5: req.header("content-md5").map(String::from),
        metadata: metadata(req),
        modified_ms: ctx.now,
        etag: etag.clone(),
        content: Some(req.body.clone()),
        // Put Blob over a leased blob keeps the lease (its id was checked above).
        lease: state.blobs.get(path).and_then(|b| b.lease.clone()),
    };
    let mut r = Resp::empty(201)
        .with_header("ETag", etag)
        .with_header("Last-Modified", http_date(ctx.now))
        .with_header("x-ms-request-server-encrypted", "true");
    if let Some(md5) = &blob.content_md5 {
        r = r.with_header("Content-MD5", md5.clone());
    }
    state.blobs.insert(path.to_string(), blob);
    state.dirty = true;
    r
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
