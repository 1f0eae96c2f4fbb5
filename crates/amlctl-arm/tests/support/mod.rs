//! A tiny scripted HTTP/1.1 server on 127.0.0.1:0 for precise fault scripts ("429 once, then
//! 200", "drop the connection after reading the request"). Every request is recorded.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amlctl_arm::{ArmClient, ClientConfig, CredentialSpec, LroPolicy, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const TOKEN: &str = "test-token-5ecr3t-value";

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub enum Reply {
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Read the request, then close the connection without answering.
    Drop,
    /// Answer after a pause (to observe concurrency).
    Slow(Duration, Box<Reply>),
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply::Respond {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Respond { headers, .. } = &mut self {
            headers.push((name.to_string(), value.to_string()));
        }
        self
    }
}

type Handler = Box<dyn FnMut(&Recorded, &str) -> Reply + Send>;

pub struct TestServer {
    pub base: String,
    log: Arc<Mutex<Vec<Recorded>>>,
    gauge: Arc<Gauge>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// `handler(request, base_url)` decides each answer.
    pub async fn start(
        handler: impl FnMut(&Recorded, &str) -> Reply + Send + 'static,
    ) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let base = format!("http://{addr}");
        let log = Arc::new(Mutex::new(Vec::new()));
        let gauge = Arc::new(Gauge::default());
        let handler: Arc<Mutex<Handler>> = Arc::new(Mutex::new(Box::new(handler)));
        let task = {
            let log = log.clone();
            let base = base.clone();
            let gauge = gauge.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let log = log.clone();
                    let handler = handler.clone();
                    let base = base.clone();
                    let gauge = gauge.clone();
                    tokio::spawn(async move {
                        let _ = serve(stream, log, handler, base, gauge).await;
                    });
                }
            })
        };
        TestServer {
            base,
            log,
            gauge,
            task,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().expect("log lock").clone()
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.gauge.max.load(Ordering::SeqCst)
    }

    pub fn count(&self, method: &str, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path() == path)
            .count()
    }

    /// A client pointed at this server with a static token and fast test policies.
    pub async fn client(&self) -> ArmClient {
        self.client_with(|_| {}).await
    }

    pub async fn client_with(&self, tweak: impl FnOnce(&mut ClientConfig)) -> ArmClient {
        let mut config = ClientConfig::for_endpoint(
            self.base.parse().expect("base url"),
            CredentialSpec::static_token(TOKEN),
        );
        config.retry = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(200),
            max_elapsed: Duration::from_secs(20),
            attempt_timeout: Duration::from_secs(10),
        };
        config.lro = LroPolicy {
            timeout: Duration::from_secs(20),
            default_poll_interval: Duration::from_millis(20),
            max_poll_interval: Duration::from_secs(2),
        };
        tweak(&mut config);
        ArmClient::new(config).await.expect("client")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    log: Arc<Mutex<Vec<Recorded>>>,
    handler: Arc<Mutex<Handler>>,
    base: String,
    gauge: Arc<Gauge>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        // Read the head.
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i;
            }
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or("");
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut rest = buf.split_off(head_end + 4);
        while rest.len() < len {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        buf = rest.split_off(len);
        let req = Recorded {
            method,
            target,
            headers,
            body: rest,
        };
        log.lock().expect("log lock").push(req.clone());
        let mut reply = (handler.lock().expect("handler lock"))(&req, &base);
        let now = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
        gauge.max.fetch_max(now, Ordering::SeqCst);
        while let Reply::Slow(pause, inner) = reply {
            tokio::time::sleep(pause).await;
            reply = *inner;
        }
        gauge.now.fetch_sub(1, Ordering::SeqCst);
        match reply {
            Reply::Slow(..) => unreachable!("unwrapped above"),
            Reply::Drop => {
                let _ = stream.shutdown().await;
                return Ok(());
            }
            Reply::Respond {
                status,
                headers,
                body,
            } => {
                let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                if req.method != "HEAD" {
                    out.push_str(&body);
                }
                stream.write_all(out.as_bytes()).await?;
            }
        }
    }
}

#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
