//! Blob leases as the Blob service reference describes them (Lease Blob), and the default
//! datastore's account (endpoint, `listSecrets`) that amlctl's workspace lease lives in.

mod common;

use std::time::Duration;

use amlctl_emulator::EmulatorConfig;
use common::{V, WS, call, client, start};
use reqwest::Method;
use reqwest::header::HeaderMap;

const A: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const B: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

struct Blob {
    c: reqwest::Client,
    url: String,
}

impl Blob {
    async fn send(&self, method: Method, comp: Option<&str>, headers: &[(&str, &str)]) -> Resp {
        let url = match comp {
            Some(c) => format!("{}?comp={c}&sv=2022-11-02&sig=x", self.url),
            None => format!("{}?sv=2022-11-02&sig=x", self.url),
        };
        let mut r = self.c.request(method, url);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp = r.send().await.expect("sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        Resp { status, headers }
    }

    async fn lease(&self, headers: &[(&str, &str)]) -> Resp {
        self.send(Method::PUT, Some("lease"), headers).await
    }

    async fn put(&self, headers: &[(&str, &str)]) -> Resp {
        let mut all = vec![("x-ms-blob-type", "BlockBlob")];
        all.extend_from_slice(headers);
        self.send(Method::PUT, None, &all).await
    }
}

struct Resp {
    status: u16,
    headers: HeaderMap,
}

impl Resp {
    fn h(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    fn code(&self) -> &str {
        self.h("x-ms-error-code")
    }
}

#[tokio::test]
async fn acquire_renew_release_and_the_lease_conditions_on_writes() {
    let emu = start(EmulatorConfig::default()).await;
    let blob = Blob {
        c: client(),
        url: format!(
            "{}/amlemulatorstore/azureml-blobstore-ws/amlctl/locks/x.lock",
            emu.base_url()
        ),
    };
    // No blob, no lease.
    let r = blob
        .lease(&[
            ("x-ms-lease-action", "acquire"),
            ("x-ms-lease-duration", "15"),
        ])
        .await;
    assert_eq!((r.status, r.code()), (404, "BlobNotFound"));
    assert_eq!(blob.put(&[]).await.status, 201);

    // Durations outside 15..=60 (or -1) are refused.
    for bad in ["14", "61", "0", "x"] {
        let r = blob
            .lease(&[
                ("x-ms-lease-action", "acquire"),
                ("x-ms-lease-duration", bad),
            ])
            .await;
        assert_eq!((r.status, r.code()), (400, "InvalidHeaderValue"), "{bad}");
    }
    let r = blob.lease(&[("x-ms-lease-action", "acquire")]).await;
    assert_eq!((r.status, r.code()), (400, "MissingRequiredHeader"));

    let r = blob
        .lease(&[
            ("x-ms-lease-action", "acquire"),
            ("x-ms-lease-duration", "15"),
            ("x-ms-proposed-lease-id", A),
        ])
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.h("x-ms-lease-id"), A);
    // A second writer is refused; the holder may acquire again with its own id.
    let r = blob
        .lease(&[
            ("x-ms-lease-action", "acquire"),
            ("x-ms-lease-duration", "15"),
            ("x-ms-proposed-lease-id", B),
        ])
        .await;
    assert_eq!((r.status, r.code()), (409, "LeaseAlreadyPresent"));
    let r = blob
        .lease(&[
            ("x-ms-lease-action", "acquire"),
            ("x-ms-lease-duration", "30"),
            ("x-ms-proposed-lease-id", A),
        ])
        .await;
    assert_eq!(r.status, 201);

    // Properties show the lease.
    let r = blob.send(Method::HEAD, None, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.h("x-ms-lease-status"), "locked");
    assert_eq!(r.h("x-ms-lease-state"), "leased");
    assert_eq!(r.h("x-ms-lease-duration"), "fixed");

    // Writes need the lease id.
    let r = blob.put(&[]).await;
    assert_eq!((r.status, r.code()), (412, "LeaseIdMissing"));
    let r = blob.put(&[("x-ms-lease-id", B)]).await;
    assert_eq!(
        (r.status, r.code()),
        (412, "LeaseIdMismatchWithBlobOperation")
    );
    let r = blob
        .send(
            Method::PUT,
            Some("metadata"),
            &[("x-ms-lease-id", A), ("x-ms-meta-owner", "me")],
        )
        .await;
    assert_eq!(r.status, 200);
    let r = blob.send(Method::DELETE, None, &[]).await;
    assert_eq!((r.status, r.code()), (412, "LeaseIdMissing"));
    assert_eq!(blob.put(&[("x-ms-lease-id", A)]).await.status, 201);
    // Put Blob keeps the lease.
    let r = blob.send(Method::HEAD, None, &[]).await;
    assert_eq!(r.h("x-ms-lease-state"), "leased");

    // Renew and release need the matching id.
    let r = blob
        .lease(&[("x-ms-lease-action", "renew"), ("x-ms-lease-id", B)])
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "LeaseIdMismatchWithLeaseOperation")
    );
    let r = blob
        .lease(&[("x-ms-lease-action", "renew"), ("x-ms-lease-id", A)])
        .await;
    assert_eq!((r.status, r.h("x-ms-lease-id")), (200, A));
    let r = blob
        .lease(&[("x-ms-lease-action", "release"), ("x-ms-lease-id", B)])
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "LeaseIdMismatchWithLeaseOperation")
    );
    let r = blob
        .lease(&[("x-ms-lease-action", "release"), ("x-ms-lease-id", A)])
        .await;
    assert_eq!(r.status, 200);
    let r = blob
        .lease(&[("x-ms-lease-action", "release"), ("x-ms-lease-id", A)])
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "LeaseNotPresentWithLeaseOperation")
    );
    let r = blob.send(Method::HEAD, None, &[]).await;
    assert_eq!(
        (r.h("x-ms-lease-status"), r.h("x-ms-lease-state")),
        ("unlocked", "available")
    );
    // Released: someone else takes it at once; a write with a stale id is refused.
    let r = blob
        .lease(&[
            ("x-ms-lease-action", "acquire"),
            ("x-ms-lease-duration", "-1"),
            ("x-ms-proposed-lease-id", B),
        ])
        .await;
    assert_eq!(r.status, 201);
    let r = blob.put(&[("x-ms-lease-id", A)]).await;
    assert_eq!(
        (r.status, r.code()),
        (412, "LeaseIdMismatchWithBlobOperation")
    );

    // Change moves the lease to a new id.
    let r = blob
        .lease(&[
            ("x-ms-lease-action", "change"),
            ("x-ms-lease-id", B),
            ("x-ms-proposed-lease-id", A),
        ])
        .await;
    assert_eq!((r.status, r.h("x-ms-lease-id")), (200, A));

    // Break: an infinite lease without a period breaks at once; anyone may break.
    let r = blob.lease(&[("x-ms-lease-action", "break")]).await;
    assert_eq!((r.status, r.h("x-ms-lease-time")), (202, "0"));
    let r = blob.send(Method::HEAD, None, &[]).await;
    assert_eq!(r.h("x-ms-lease-state"), "broken");
    let r = blob
        .lease(&[("x-ms-lease-action", "renew"), ("x-ms-lease-id", A)])
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "LeaseIsBrokenAndCannotBeRenewed")
    );
    let r = blob
        .lease(&[
            ("x-ms-lease-action", "acquire"),
            ("x-ms-lease-duration", "60"),
            ("x-ms-proposed-lease-id", B),
        ])
        .await;
    assert_eq!(r.status, 201);
    // Breaking with a period: the lease is breaking until it ends, and cannot be acquired.
    let r = blob
        .lease(&[
            ("x-ms-lease-action", "break"),
            ("x-ms-lease-break-period", "30"),
        ])
        .await;
    assert_eq!((r.status, r.h("x-ms-lease-time")), (202, "30"));
    let r = blob
        .lease(&[
            ("x-ms-lease-action", "acquire"),
            ("x-ms-lease-duration", "15"),
            ("x-ms-proposed-lease-id", A),
        ])
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "LeaseIsBreakingAndCannotBeAcquired")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_short_lease_expires_by_itself_and_the_next_writer_takes_it() {
    let emu = start(EmulatorConfig {
        short_leases: true,
        ..EmulatorConfig::default()
    })
    .await;
    let blob = Blob {
        c: client(),
        url: format!(
            "{}/amlemulatorstore/azureml-blobstore-ws/amlctl/locks/y.lock",
            emu.base_url()
        ),
    };
    assert_eq!(blob.put(&[]).await.status, 201);
    let r = blob
        .lease(&[
            ("x-ms-lease-action", "acquire"),
            ("x-ms-lease-duration", "1"),
            ("x-ms-proposed-lease-id", A),
        ])
        .await;
    assert_eq!(r.status, 201);
    let r = blob
        .lease(&[
            ("x-ms-lease-action", "acquire"),
            ("x-ms-lease-duration", "1"),
            ("x-ms-proposed-lease-id", B),
        ])
        .await;
    assert_eq!(r.code(), "LeaseAlreadyPresent");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = blob.send(Method::HEAD, None, &[]).await;
    assert_eq!(r.h("x-ms-lease-state"), "expired");
    // Writes no longer need the id, and the next writer gets the lease.
    let r = blob
        .lease(&[
            ("x-ms-lease-action", "acquire"),
            ("x-ms-lease-duration", "1"),
            ("x-ms-proposed-lease-id", B),
        ])
        .await;
    assert_eq!((r.status, r.h("x-ms-lease-id")), (201, B));
    // The old holder cannot renew what another took.
    let r = blob
        .lease(&[("x-ms-lease-action", "renew"), ("x-ms-lease-id", A)])
        .await;
    assert_eq!(r.code(), "LeaseIdMismatchWithLeaseOperation");
    emu.shutdown().await;
}

#[tokio::test]
async fn the_default_datastore_points_at_the_emulator_and_lists_its_account_key() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    let (s, _, ds) = call(
        &c,
        Method::GET,
        &format!("{base}{WS}/datastores/workspaceblobstore?{V}"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{ds}");
    let p = &ds["properties"];
    assert_eq!(p["accountName"], "amlemulatorstore");
    assert_eq!(p["containerName"], "azureml-blobstore-ws");
    assert_eq!(p["protocol"], "http");
    assert_eq!(p["endpoint"].as_str(), base.strip_prefix("http://"), "{ds}");
    assert_eq!(
        p["credentials"]["secrets"],
        serde_json::json!({"secretsType": "AccountKey"})
    );
    let (s, _, secrets) = call(
        &c,
        Method::POST,
        &format!("{base}{WS}/datastores/workspaceblobstore/listSecrets?{V}"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{secrets}");
    assert_eq!(secrets["secretsType"], "AccountKey");
    let key = secrets["key"].as_str().expect("key");
    assert_eq!(key.len(), 44, "base64 of 32 bytes: {key}");
    let (s, _, _) = call(
        &c,
        Method::POST,
        &format!("{base}{WS}/datastores/nope/listSecrets?{V}"),
        None,
    )
    .await;
    assert_eq!(s, 404);
    emu.shutdown().await;
}
