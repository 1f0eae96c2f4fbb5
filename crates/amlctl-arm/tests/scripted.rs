//! Precise fault scripts against a hand-rolled loopback server: retries, the POST rule, LROs,
//! paging, blobs.

mod support;

use std::time::{Duration, Instant};

use amlctl_arm::{API_VERSION, ArmError, workspace_path};
use serde_json::json;
use support::{Reply, TOKEN, TestServer};

fn ws() -> String {
    workspace_path("sub1", "rg1", "ws1")
}

fn compute_path() -> String {
    format!("{}/computes/c1", ws())
}

#[tokio::test]
async fn get_sends_token_and_api_version_and_maps_404_to_none() {
    let cp = compute_path();
    let server = TestServer::start(move |req, _| {
        if req.path() == cp {
            Reply::json(200, json!({"name": "c1"}))
        } else {
            Reply::json(
                404,
                json!({"error": {"code": "ResourceNotFound", "message": "nope"}}),
            )
        }
    })
    .await;
    let client = server.client().await;
    let found = client.get(&compute_path()).await.expect("get");
    assert_eq!(found, Some(json!({"name": "c1"})));
    let missing = client
        .get(&format!("{}/computes/zz", ws()))
        .await
        .expect("get");
    assert_eq!(missing, None);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(
        reqs[0]
            .target
            .ends_with(&format!("?api-version={API_VERSION}")),
        "{}",
        reqs[0].target
    );
}

#[tokio::test]
async fn throttled_once_with_retry_after_then_ok() {
    let mut n = 0;
    let server = TestServer::start(move |_, _| {
        n += 1;
        if n == 1 {
            Reply::json(
                429,
                json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
            )
            .header("retry-after", "1")
        } else {
            Reply::json(200, json!({"ok": true}))
        }
    })
    .await;
    let client = server
        .client_with(|c| c.retry.max_delay = Duration::from_secs(5))
        .await;
    let started = Instant::now();
    let got = client.get(&compute_path()).await.expect("get after 429");
    assert_eq!(got, Some(json!({"ok": true})));
    assert_eq!(server.count("GET", &compute_path()), 2);
    // Retry-After: 1 was honoured rather than the 10ms backoff (a lower bound, not a timing race).
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn throttled_forever_gives_up_with_throttled_error() {
    let server = TestServer::start(|_, _| {
        Reply::json(
            429,
            json!({"error": {"code": "TooManyRequests", "message": "no"}}),
        )
        .header("retry-after", "0")
    })
    .await;
    let client = server.client().await;
    let err = client.get(&compute_path()).await.expect_err("must fail");
    assert!(
        matches!(err, ArmError::Throttled { attempts: 4, .. }),
        "{err:?}"
    );
    assert_eq!(server.count("GET", &compute_path()), 4);
}

#[tokio::test]
async fn server_error_is_retried_for_put_but_not_for_post() {
    let server = TestServer::start(|_, _| {
        Reply::json(
            500,
            json!({"error": {"code": "InternalServerError", "message": "x"}}),
        )
    })
    .await;
    let client = server.client().await;
    let job = format!("{}/jobs/j1", ws());
    let err = client.put(&job, &json!({})).await.expect_err("500 forever");
    assert_eq!(err.status(), Some(500));
    assert_eq!(server.count("PUT", &job), 4, "PUT is idempotent: retried");

    let cancel = format!("{}/jobs/j1/cancel", ws());
    let err = client.post_lro(&cancel).await.expect_err("500");
    assert!(
        matches!(&err, ArmError::Api { status: 500, code, .. } if code == "InternalServerError"),
        "{err:?}"
    );
    assert_eq!(
        server.count("POST", &cancel),
        1,
        "POST must not be repeated on 500"
    );
}

#[tokio::test]
async fn post_is_retried_on_503_because_the_server_did_not_act() {
    let mut n = 0;
    let server = TestServer::start(move |req, _| {
        if req.method == "POST" {
            n += 1;
            if n == 1 {
                return Reply::json(
                    503,
                    json!({"error": {"code": "ServiceUnavailable", "message": "busy"}}),
                )
                .header("retry-after", "0");
            }
            return Reply::empty(202);
        }
        Reply::empty(404)
    })
    .await;
    let client = server.client().await;
    let start = format!("{}/computes/ci/start", ws());
    client.post_lro(&start).await.expect("start");
    assert_eq!(server.count("POST", &start), 2);
}

#[tokio::test]
async fn dropped_connection_repeats_put_but_never_post() {
    let mut puts = 0;
    let server = TestServer::start(move |req, _| match req.method.as_str() {
        "PUT" => {
            puts += 1;
            if puts == 1 {
                Reply::Drop
            } else {
                Reply::json(
                    201,
                    json!({"name": "j1", "properties": {"status": "Queued"}}),
                )
            }
        }
        "POST" => Reply::Drop,
        _ => Reply::empty(404),
    })
    .await;
    let client = server.client().await;
    let job = format!("{}/jobs/j1", ws());
    let created = client
        .put(&job, &json!({"properties": {}}))
        .await
        .expect("put");
    assert_eq!(created["name"], "j1");
    assert_eq!(server.count("PUT", &job), 2);

    let upload = format!("{}/codes/c/versions/1/startPendingUpload", ws());
    let err = client.post(&upload, &json!({})).await.expect_err("dropped");
    assert!(matches!(err, ArmError::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("may have acted"), "{err}");
    assert_eq!(
        server.count("POST", &upload),
        1,
        "a POST whose answer was lost is not sent again"
    );
}

#[tokio::test]
async fn put_lro_polls_azure_async_operation_then_gets_the_resource() {
    let cp = compute_path();
    let mut polls = 0;
    let server = TestServer::start(move |req, base| match (req.method.as_str(), req.path()) {
        ("PUT", p) if p == cp => Reply::json(
            201,
            json!({"name": "c1", "properties": {"provisioningState": "Creating"}}),
        )
        .header(
            "azure-asyncoperation",
            &format!("{base}/operations/op1?api-version={API_VERSION}"),
        )
        .header("retry-after", "0"),
        ("GET", "/operations/op1") => {
            polls += 1;
            let status = if polls < 3 { "InProgress" } else { "Succeeded" };
            Reply::json(200, json!({"status": status})).header("retry-after", "0")
        }
        ("GET", p) if p == cp => Reply::json(
            200,
            json!({"name": "c1", "properties": {"provisioningState": "Succeeded"}}),
        ),
        _ => Reply::empty(404),
    })
    .await;
    let client = server.client().await;
    let done = client
        .put_lro(&compute_path(), &json!({"properties": {}}))
        .await
        .expect("put_lro");
    assert_eq!(done["properties"]["provisioningState"], "Succeeded");
    assert_eq!(server.count("GET", "/operations/op1"), 3);
    assert_eq!(server.count("GET", &compute_path()), 1, "one final GET");
    assert_eq!(server.count("PUT", &compute_path()), 1);
}

#[tokio::test]
async fn failed_lro_names_operation_resource_and_error() {
    let cp = compute_path();
    let server = TestServer::start(move |req, base| match (req.method.as_str(), req.path()) {
        ("PUT", p) if p == cp => Reply::json(201, json!({}))
            .header("azure-asyncoperation", &format!("{base}/operations/op2")),
        ("GET", "/operations/op2") => Reply::json(
            200,
            json!({"status": "Failed", "error": {"code": "QuotaExceeded", "message": "no cores left"}}),
        ),
        _ => Reply::empty(404),
    })
    .await;
    let client = server.client().await;
    let err = client
        .put_lro(&compute_path(), &json!({}))
        .await
        .expect_err("failed LRO");
    match &err {
        ArmError::LroFailed {
            operation,
            resource,
            status,
            code,
            message,
        } => {
            assert_eq!(operation, "PUT");
            assert_eq!(resource, &compute_path());
            assert_eq!(status, "Failed");
            assert_eq!(code, "QuotaExceeded");
            assert_eq!(message, "no cores left");
        }
        other => panic!("expected LroFailed, got {other:?}"),
    }
    let shown = err.to_string();
    assert!(
        shown.contains("computes/c1") && shown.contains("QuotaExceeded"),
        "{shown}"
    );
}

#[tokio::test]
async fn delete_lro_follows_location_and_treats_404_as_gone() {
    let cp = compute_path();
    let mut polls = 0;
    let server = TestServer::start(move |req, base| match (req.method.as_str(), req.path()) {
        ("DELETE", p) if p == cp => {
            Reply::empty(202).header("location", &format!("{base}/operationResults/d1"))
        }
        ("GET", "/operationResults/d1") => {
            polls += 1;
            if polls < 2 {
                Reply::empty(202).header("retry-after", "0")
            } else {
                Reply::empty(200)
            }
        }
        ("DELETE", _) => Reply::json(
            404,
            json!({"error": {"code": "NotFound", "message": "gone"}}),
        ),
        _ => Reply::empty(404),
    })
    .await;
    let client = server.client().await;
    client
        .delete_lro(&compute_path(), &[("underlyingResourceAction", "Delete")])
        .await
        .expect("delete");
    assert_eq!(server.count("GET", "/operationResults/d1"), 2);
    let del = server
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .expect("delete sent");
    assert!(del.target.contains("underlyingResourceAction=Delete"));
    client
        .delete_lro(&format!("{}/computes/other", ws()), &[])
        .await
        .expect("404 on delete is success");
}

#[tokio::test]
async fn put_lro_without_headers_polls_provisioning_state() {
    let cp = compute_path();
    let mut gets = 0;
    let server = TestServer::start(move |req, _| match req.method.as_str() {
        "PUT" => Reply::json(
            200,
            json!({"properties": {"provisioningState": "Updating"}}),
        ),
        "GET" if req.path() == cp => {
            gets += 1;
            let state = if gets < 2 { "Updating" } else { "Succeeded" };
            Reply::json(200, json!({"properties": {"provisioningState": state}}))
        }
        _ => Reply::empty(404),
    })
    .await;
    let client = server.client().await;
    let v = client
        .put_lro(&compute_path(), &json!({}))
        .await
        .expect("put");
    assert_eq!(v["properties"]["provisioningState"], "Succeeded");
    assert_eq!(server.count("GET", &compute_path()), 2);
}

#[tokio::test]
async fn lro_that_never_finishes_times_out() {
    let server = TestServer::start(|req, base| match req.method.as_str() {
        "PUT" => Reply::json(201, json!({}))
            .header("azure-asyncoperation", &format!("{base}/operations/slow")),
        _ => Reply::json(200, json!({"status": "InProgress"})),
    })
    .await;
    let client = server
        .client_with(|c| c.lro.timeout = Duration::from_millis(300))
        .await;
    let err = client
        .put_lro(&compute_path(), &json!({}))
        .await
        .expect_err("timeout");
    assert!(
        matches!(&err, ArmError::Timeout { operation, resource, .. } if operation == "PUT" && resource == &compute_path()),
        "{err:?}"
    );
}

#[tokio::test]
async fn polling_follows_retry_after() {
    // The operation finishes 2.5s after it started. Asked to poll every second, the client polls
    // about 3 times; with its own 20ms default it would poll ~100 times.
    let started = Instant::now();
    let server = TestServer::start(move |req, base| match req.method.as_str() {
        "POST" => Reply::empty(202)
            .header("location", &format!("{base}/operationResults/s1"))
            .header("retry-after", "1"),
        _ if started.elapsed() < Duration::from_millis(2500) => {
            Reply::empty(202).header("retry-after", "1")
        }
        _ => Reply::empty(200),
    })
    .await;
    let client = server.client().await;
    client
        .post_lro(&format!("{}/computes/ci/stop", ws()))
        .await
        .expect("stop");
    let polls = server.count("GET", "/operationResults/s1");
    assert!((1..=4).contains(&polls), "polled {polls} times");
}

#[tokio::test]
async fn list_follows_next_link_verbatim_and_refuses_foreign_origins() {
    let list_path = format!("{}/schedules", ws());
    let lp = list_path.clone();
    let server = TestServer::start(move |req, base| {
        let page = |items: serde_json::Value, next: Option<String>| {
            Reply::json(200, json!({"value": items, "nextLink": next}))
        };
        match req.target.as_str() {
            t if t.starts_with(&lp) && t.contains("listViewType=All") && !t.contains("skip") => {
                page(
                    json!([{"name": "a"}, {"name": "b"}]),
                    Some(format!(
                        "{base}{lp}?api-version={API_VERSION}&listViewType=All&$skip=tok%2B2"
                    )),
                )
            }
            t if t.contains("$skip=tok%2B2") => page(
                json!([{"name": "c"}]),
                Some(format!("{base}{lp}?$skip=tok3")),
            ),
            t if t.contains("$skip=tok3") => page(json!([{"name": "d"}]), None),
            t if t.contains("evil") => page(
                json!([]),
                Some("https://attacker.example/steal".to_string()),
            ),
            _ => Reply::empty(404),
        }
    })
    .await;
    let client = server.client().await;
    let items = client
        .list(&list_path, &[("listViewType", "All")])
        .await
        .expect("list");
    let names: Vec<&str> = items.iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    // Verbatim: the encoded token came back exactly as the server wrote it.
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.target.contains("$skip=tok%2B2"))
    );

    let err = client
        .list(&list_path, &[("evil", "1")])
        .await
        .expect_err("foreign nextLink");
    assert!(matches!(err, ArmError::ForeignLink { .. }), "{err:?}");
}

#[tokio::test]
async fn blobs_use_no_token_and_never_show_the_sas() {
    let server = TestServer::start(|req, _| match req.method.as_str() {
        "HEAD" if req.path().ends_with("missing.bin") => Reply::empty(404),
        "HEAD" => Reply::empty(200),
        "PUT" if req.path().ends_with("denied.bin") => Reply::empty(403),
        "PUT" => Reply::empty(201),
        _ => Reply::empty(404),
    })
    .await;
    let client = server.client().await;
    let sas = "sv=2023-11-03&se=2030-01-01&sp=rcw&sig=SUPERSECRETSIG";
    let blob = format!("{}/blobs/c/file.bin?{sas}", server.base);
    assert!(client.blob_exists(&blob).await.expect("head"));
    assert!(
        !client
            .blob_exists(&format!("{}/blobs/c/missing.bin?{sas}", server.base))
            .await
            .expect("head")
    );
    client
        .put_blob(&blob, bytes::Bytes::from_static(b"hello"))
        .await
        .expect("put blob");
    let err = client
        .put_blob(
            &format!("{}/blobs/c/denied.bin?{sas}", server.base),
            bytes::Bytes::from_static(b"x"),
        )
        .await
        .expect_err("403");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("SUPERSECRETSIG"), "{shown}");
    assert!(shown.contains("denied.bin"), "{shown}");

    let reqs = server.requests();
    assert!(reqs.iter().all(|r| r.header("authorization").is_none()));
    let put = reqs
        .iter()
        .find(|r| r.method == "PUT" && r.path().ends_with("file.bin"))
        .expect("put recorded");
    assert_eq!(put.header("x-ms-blob-type"), Some("BlockBlob"));
    assert_eq!(put.body, b"hello");
}

#[tokio::test]
async fn errors_carry_code_target_and_request_id() {
    let server = TestServer::start(|_, _| {
        Reply::json(
            400,
            json!({"error": {"code": "ValidationError", "message": "bad vmSize", "target": "properties.vmSize"}}),
        )
        .header("x-ms-request-id", "req-123")
    })
    .await;
    let client = server.client().await;
    let err = client
        .put_lro(&compute_path(), &json!({}))
        .await
        .expect_err("400");
    match &err {
        ArmError::Api {
            status,
            code,
            target,
            request_id,
            ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(code, "ValidationError");
            assert_eq!(target.as_deref(), Some("properties.vmSize"));
            assert_eq!(request_id.as_deref(), Some("req-123"));
        }
        other => panic!("expected Api, got {other:?}"),
    }
    assert_eq!(
        server.count("PUT", &compute_path()),
        1,
        "400 is not retried"
    );
}

#[tokio::test]
async fn plain_http_to_a_non_loopback_host_is_refused() {
    let config = amlctl_arm::ClientConfig::for_endpoint(
        "http://management.example.com/".parse().expect("url"),
        amlctl_arm::CredentialSpec::static_token("t"),
    );
    let err = amlctl_arm::ArmClient::new(config)
        .await
        .expect_err("http refused");
    assert!(matches!(err, ArmError::Config { .. }), "{err:?}");
}

#[tokio::test]
async fn missing_credentials_are_listed_and_nothing_is_sent() {
    // Only meaningful (and network-free) where these are unset, as in CI.
    if std::env::var_os("AZURE_CLIENT_SECRET").is_some()
        || std::env::var_os("AZURE_FEDERATED_TOKEN_FILE").is_some()
    {
        return;
    }
    let server = TestServer::start(|_, _| Reply::empty(200)).await;
    for (method, name, why) in [
        (
            amlctl_arm::AuthMethod::ClientSecret,
            "ClientSecretCredential",
            "is not set",
        ),
        (
            amlctl_arm::AuthMethod::WorkloadIdentity,
            "WorkloadIdentityCredential",
            "AZURE_FEDERATED_TOKEN_FILE is not set",
        ),
    ] {
        let client = server
            .client_with(|c| c.credential = amlctl_arm::CredentialSpec::from_env(method))
            .await;
        let err = client
            .get(&compute_path())
            .await
            .expect_err("no credential");
        match &err {
            ArmError::Auth { tried } => {
                assert_eq!(tried.len(), 1, "{tried:?}");
                assert_eq!(tried[0].0, name);
                assert!(tried[0].1.contains(why), "{tried:?}");
            }
            other => panic!("expected Auth, got {other:?}"),
        }
    }
    assert!(server.requests().is_empty(), "no request without a token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_is_bounded_by_the_semaphore() {
    let server = TestServer::start(|_, _| {
        Reply::Slow(
            Duration::from_millis(50),
            Box::new(Reply::json(200, json!({}))),
        )
    })
    .await;
    let client = server.client_with(|c| c.max_concurrency = 3).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let client = client.clone();
        tasks.spawn(async move { client.get(&format!("{}/computes/c{i}", ws())).await });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task").expect("get");
    }
    assert_eq!(server.requests().len(), 12);
    let max = server.max_in_flight();
    assert!((1..=3).contains(&max), "{max} requests in flight at once");
}
