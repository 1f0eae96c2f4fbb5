//! Binding, connection handling (plain or TLS), fault rules, the request log, persistence after
//! each change, and the in-process [`EmulatorHandle`].

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::clock::now_ms;
use crate::config::EmulatorConfig;
use crate::error::EmulatorError;
use crate::faults::FaultAction;
use crate::handlers::{self, ArmError, Body, Ctx, Req, Resp, paging};
use crate::state::{self, State};

/// Requests kept in memory for `EmulatorHandle::requests` (the oldest half is dropped beyond;
/// the `request_log` file keeps everything).
const MAX_LOGGED: usize = 200_000;

/// Largest request body accepted (blob uploads included).
const MAX_BODY: usize = 256 * 1024 * 1024;

/// One served request, as logged (the `Authorization` header is never kept; SAS signatures in
/// the query are redacted).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LoggedRequest {
    /// Sequence number (arrival order, from 0).
    pub seq: u64,
    pub method: String,
    pub path: String,
    /// Raw query string (without `?`), `sig=` redacted.
    pub query: String,
    /// Response status; 0 when the connection was dropped by a fault.
    pub status: u16,
    /// Request headers, lower-case names, without `Authorization`.
    pub headers: Vec<(String, String)>,
    /// Injected fault, if any: `throttle`, `error`, `drop`.
    pub fault: Option<String>,
}

/// A stored blob, for tests that check uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// `/{account}/{container}/{blob path}`.
    pub path: String,
    pub sha256: String,
    pub size: u64,
    pub metadata: Vec<(String, String)>,
}

struct Shared {
    config: EmulatorConfig,
    base_url: String,
    state: Mutex<State>,
    log: Mutex<Vec<LoggedRequest>>,
    log_file: Option<Mutex<std::fs::File>>,
    seq: AtomicU64,
    /// Held while writing the state file; writers queue here (group commit).
    writer: tokio::sync::Mutex<()>,
    /// Highest state generation known to be in the state file.
    written: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock must not take the emulator down with it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running emulator. Dropping it without [`EmulatorHandle::shutdown`] leaves the server running
/// until the runtime ends.
pub struct EmulatorHandle {
    shared: Arc<Shared>,
    cert_pem: Option<String>,
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("base_url", &self.shared.base_url)
            .finish()
    }
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// PEM of the CA certificate to trust, when serving TLS.
    pub fn cert_pem(&self) -> Option<String> {
        self.cert_pem.clone()
    }

    /// Requests served so far, in arrival order (the most recent 100,000 to 200,000 once more
    /// than 200,000 were served; the `request_log` file keeps them all).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        let mut v = lock(&self.shared.log).clone();
        v.sort_by_key(|r| r.seq);
        v
    }

    /// Blobs stored through the blob endpoint.
    pub fn blobs(&self) -> Vec<BlobInfo> {
        lock(&self.shared.state)
            .blobs
            .iter()
            .map(|(path, b)| BlobInfo {
                path: path.clone(),
                sha256: b.sha256.clone(),
                size: b.size,
                metadata: b
                    .metadata
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            })
            .collect()
    }

    /// Stop accepting, close connections, and wait for the server task.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Start an emulator on `config.listen`, which must be 127.0.0.1 (any port).
pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, EmulatorError> {
    if config.listen.ip() != std::net::Ipv4Addr::LOCALHOST {
        return Err(EmulatorError::NotLoopback(config.listen));
    }
    if config.workspaces.is_empty() {
        return Err(EmulatorError::Config(
            "at least one workspace is required".into(),
        ));
    }
    let state = match &config.state_file {
        Some(p) => {
            let s = state::load(p)?;
            state::save(p, &s)?;
            s
        }
        None => State::default(),
    };
    let log_file = match &config.request_log {
        Some(p) => Some(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|source| EmulatorError::RequestLog {
                    path: p.clone(),
                    source,
                })?,
        )),
        None => None,
    };
    let (tls, cert_pem) = if config.tls {
        let (cfg, pem) = crate::tls::self_signed()?;
        (Some(TlsAcceptor::from(cfg)), Some(pem))
    } else {
        (None, None)
    };
    let listener =
        TcpListener::bind(config.listen)
            .await
            .map_err(|source| EmulatorError::Bind {
                addr: config.listen,
                source,
            })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind {
            addr: config.listen,
            source,
        })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{local_addr}");
    let shared = Arc::new(Shared {
        config,
        base_url,
        state: Mutex::new(state),
        log: Mutex::new(Vec::new()),
        log_file,
        seq: AtomicU64::new(0),
        writer: tokio::sync::Mutex::new(()),
        written: AtomicU64::new(0),
    });
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, tls, shared.clone(), stop_rx));
    tracing::info!(base_url = %shared.base_url, "emulator listening");
    Ok(EmulatorHandle {
        shared,
        cert_pem,
        local_addr,
        stop,
        task,
    })
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let shared = shared.clone();
                let tls = tls.clone();
                let mut stop = stop.clone();
                conns.spawn(async move {
                    tokio::select! {
                        _ = stop.changed() => {}
                        _ = serve(stream, tls, shared) => {}
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.shutdown().await;
}

async fn serve(stream: tokio::net::TcpStream, tls: Option<TlsAcceptor>, shared: Arc<Shared>) {
    let svc = hyper::service::service_fn(move |req| {
        let shared = shared.clone();
        async move { respond(&shared, req).await }
    });
    let builder = hyper::server::conn::http1::Builder::new();
    let result = match tls {
        Some(acceptor) => match acceptor.accept(stream).await {
            Ok(s) => builder.serve_connection(TokioIo::new(s), svc).await,
            Err(e) => {
                tracing::debug!("TLS handshake failed: {e}");
                return;
            }
        },
        None => builder.serve_connection(TokioIo::new(stream), svc).await,
    };
    if let Err(e) = result {
        tracing::debug!("connection ended: {e}");
    }
}

/// The injected "connection dropped" fault.
#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the emulator's drop fault")
    }
}
impl std::error::Error for Dropped {}

async fn respond(
    shared: &Shared,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let seq = shared.seq.fetch_add(1, Ordering::SeqCst);
    let faults = &shared.config.faults;
    let action = faults.decide(seq);
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    let (parts, body) = req.into_parts();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let path = parts.uri.path().to_string();
    let (body, too_large) = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => (b.to_bytes(), false),
        Err(_) => (Bytes::new(), true),
    };
    let request = Req {
        method: parts.method.clone(),
        segs: path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| paging::decode(s, false))
            .collect(),
        path: path.clone(),
        query: paging::parse_query(Some(&raw_query)),
        headers: parts.headers.clone(),
        body,
    };
    let (resp, fault) = match action {
        FaultAction::Drop => {
            record(shared, seq, &request, &raw_query, 0, Some("drop"));
            return Err(Dropped);
        }
        FaultAction::Throttle => {
            let mut e = ArmError::new(
                429,
                "TooManyRequests",
                "The request was throttled (emulator fault injection). Retry after the given delay.",
            );
            e.retry_after = Some(faults.retry_after_secs);
            (e.into_resp(), Some("throttle"))
        }
        FaultAction::ServerError(status) => {
            let mut e = if status == 503 {
                ArmError::new(
                    503,
                    "ServiceUnavailable",
                    "The service is temporarily unavailable (emulator fault injection).",
                )
            } else {
                ArmError::new(
                    500,
                    "InternalServerError",
                    "An internal error occurred (emulator fault injection).",
                )
            };
            if status == 503 {
                e.retry_after = Some(faults.retry_after_secs);
            }
            (e.into_resp(), Some("error"))
        }
        FaultAction::Pass if too_large => (
            ArmError::new(
                413,
                "RequestEntityTooLarge",
                format!("The request body is larger than {MAX_BODY} bytes or could not be read."),
            )
            .into_resp(),
            None,
        ),
        FaultAction::Pass => {
            let (resp, generation) = handle(shared, &request);
            match generation {
                Some(g) => match persist(shared, g).await {
                    Ok(()) => (resp, None),
                    Err(e) => {
                        tracing::error!("{e}");
                        let e = ArmError::new(
                            500,
                            "InternalServerError",
                            "The emulator could not persist its state.",
                        );
                        (e.into_resp(), None)
                    }
                },
                None => (resp, None),
            }
        }
    };
    record(shared, seq, &request, &raw_query, resp.status, fault);
    Ok(to_http(resp, &request))
}

/// Run the handler under the state lock. Returns the response and, when the request changed
/// the state and a state file is configured, the generation that must be persisted before the
/// response is sent.
fn handle(shared: &Shared, request: &Req) -> (Resp, Option<u64>) {
    let c = &shared.config;
    let ctx = Ctx {
        base_url: &shared.base_url,
        workspaces: &c.workspaces,
        timings: c.timings,
        faults: &c.faults,
        page_size: c.page_size,
        token: c.token.as_deref(),
        short_leases: c.short_leases,
        now: now_ms(),
    };
    let mut state = lock(&shared.state);
    let resp = handlers::handle(&ctx, &mut state, request);
    if !state.dirty {
        return (resp, None);
    }
    state.dirty = false;
    state.generation += 1;
    let generation = c.state_file.as_ref().map(|_| state.generation);
    (resp, generation)
}

/// Make sure the state file holds generation `g` or later (group commit: one writer at a
/// time; a writer persists everything changed so far, so the requests queued behind it
/// usually find their change already written).
async fn persist(shared: &Shared, g: u64) -> Result<(), EmulatorError> {
    let Some(path) = &shared.config.state_file else {
        return Ok(());
    };
    let _writer = shared.writer.lock().await;
    if shared.written.load(Ordering::SeqCst) >= g {
        return Ok(());
    }
    let (bytes, generation) = {
        let state = lock(&shared.state);
        (state::encode(path, &state)?, state.generation)
    };
    state::write(path, &bytes)?;
    shared.written.store(generation, Ordering::SeqCst);
    Ok(())
}

fn record(shared: &Shared, seq: u64, req: &Req, raw_query: &str, status: u16, fault: Option<&str>) {
    let entry = LoggedRequest {
        seq,
        method: req.method.to_string(),
        path: req.path.clone(),
        query: redact_query(raw_query),
        status,
        headers: req
            .headers
            .iter()
            .filter(|(k, _)| *k != hyper::header::AUTHORIZATION)
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        fault: fault.map(String::from),
    };
    if let Some(file) = &shared.log_file
        && let Ok(line) = serde_json::to_string(&entry)
    {
        let mut f = lock(file);
        if let Err(e) = writeln!(f, "{line}") {
            tracing::warn!("cannot write the request log: {e}");
        }
    }
    let mut log = lock(&shared.log);
    if log.len() >= MAX_LOGGED {
        // Bounded memory for a long-running emulator: forget the oldest half.
        log.drain(..MAX_LOGGED / 2);
    }
    log.push(entry);
}

fn redact_query(q: &str) -> String {
    q.split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("sig") => format!("{k}=REDACTED"),
            _ => p.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn to_http(resp: Resp, req: &Req) -> Response<Full<Bytes>> {
    let (body, content_type) = match resp.body {
        Body::Empty => (Bytes::new(), None),
        Body::Json(v) => (
            Bytes::from(serde_json::to_vec(&v).unwrap_or_default()),
            Some("application/json; charset=utf-8".to_string()),
        ),
        Body::Raw(b, ct) => (b, Some(ct)),
    };
    let mut out = Response::new(Full::new(body));
    *out.status_mut() =
        StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = out.headers_mut();
    if let Some(ct) = content_type
        && let Ok(v) = HeaderValue::from_str(&ct)
    {
        h.insert(hyper::header::CONTENT_TYPE, v);
    }
    let request_id = req
        .header("x-ms-client-request-id")
        .map(String::from)
        .unwrap_or_else(|| "00000000-0000-0000-0000-000000000000".into());
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-ms-request-id", v.clone());
        h.insert("x-ms-correlation-request-id", v.clone());
        h.insert("x-ms-client-request-id", v);
    }
    for (k, v) in resp.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            h.insert(k, v);
        }
    }
    out
}
