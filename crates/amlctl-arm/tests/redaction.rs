//! Runs the client at the highest verbosity (TRACE for every target, `log` records bridged) and
//! checks that the bearer token, SAS signatures and secret fields never appear in the output.
//! One test per binary: it installs the global subscriber.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use amlctl_arm::workspace_path;
use serde_json::json;
use support::{Reply, TOKEN, TestServer};

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn highest_verbosity_never_shows_secrets() {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let writer = Capture(buf.clone());
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("install global subscriber");

    let ws = workspace_path("s", "rg", "ws");
    let compute = format!("{ws}/computes/k8s");
    let cp = compute.clone();
    let mut n = 0;
    let server = TestServer::start(move |req, base| {
        n += 1;
        match (req.method.as_str(), req.path()) {
            ("GET", p) if p == cp && n == 1 => Reply::json(
                429,
                json!({"error": {"code": "TooManyRequests", "message": "wait"}}),
            )
            .header("retry-after", "0"),
            ("GET", p) if p == cp => Reply::json(
                200,
                json!({"properties": {"properties": {
                    "relayConnectionString": "Endpoint=sb://relay;SharedAccessKey=RELAYKEY123",
                    "adminUserPassword": "pw-secret-987"
                }}}),
            ),
            ("PUT", p) if p == cp => Reply::json(201, json!({})).header(
                "azure-asyncoperation",
                &format!("{base}/operations/o1?sig=OPSIG456&api-version=x"),
            ),
            ("GET", "/operations/o1") => Reply::json(
                200,
                json!({"status": "Failed", "error": {"code": "Bad", "message": "failed"}}),
            ),
            ("POST", _) => Reply::json(
                200,
                json!({"blobReferenceForConsumption": {"blobUri": "https://acct/c",
                    "credential": {"sasUri": format!("{base}/blobs/c?sv=1&sig=POSTSIG789")}}}),
            ),
            ("PUT", p) if p.starts_with("/blobs/") => Reply::empty(403),
            _ => Reply::empty(404),
        }
    })
    .await;
    let client = server.client().await;

    let got = client.get(&compute).await.expect("get").expect("found");
    assert!(
        got.to_string().contains("RELAYKEY123"),
        "callers still get the real body"
    );
    let err = client
        .put_lro(
            &compute,
            &json!({"properties": {"properties": {"adminUserPassword": "pw-secret-987"}}}),
        )
        .await
        .expect_err("failed LRO");
    let upload = client
        .post(
            &format!("{ws}/codes/c/versions/1/startPendingUpload"),
            &json!({}),
        )
        .await
        .expect("post");
    let sas = upload["blobReferenceForConsumption"]["credential"]["sasUri"]
        .as_str()
        .expect("sas")
        .to_string();
    let blob_err = client
        .put_blob(&sas, bytes::Bytes::from_static(b"data"))
        .await
        .expect_err("403");

    let mut out = String::from_utf8(buf.lock().expect("lock").clone()).expect("utf8");
    out.push_str(&format!(
        "{err}\n{err:?}\n{blob_err}\n{blob_err:?}\n{client:?}\n"
    ));

    assert!(out.contains("ARM request"), "requests are logged:\n{out}");
    assert!(out.contains("retrying"), "retries are logged:\n{out}");
    assert!(
        out.contains("response body"),
        "bodies are logged at trace:\n{out}"
    );
    for secret in [
        TOKEN,
        "RELAYKEY123",
        "pw-secret-987",
        "OPSIG456",
        "POSTSIG789",
    ] {
        assert!(
            !out.contains(secret),
            "`{secret}` leaked into the output:\n{out}"
        );
    }
    // The token did reach the server: the check above is not vacuous.
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}")))
    );
}
