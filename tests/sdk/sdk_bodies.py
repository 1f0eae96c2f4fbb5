"""Submit job and schedule YAML files with Microsoft's Python SDK (azure-ai-ml 1.35.2) and record
every request body it sends, for tests/sdk_diff.rs to compare with amlctl's.

Run by tests/sdk_diff.rs, which starts an emulator with TLS and sets:
  AZUREML_DEV_URL_MFE   the emulator's https base URL (the SDK's "local MFE" override)
  REQUESTS_CA_BUNDLE    the emulator's CA certificate (PEM)
  EMU_SUBSCRIPTION, EMU_RESOURCE_GROUP, EMU_WORKSPACE
  SDK_COMPUTES          comma-separated AmlCompute names to create first (jobs refer to them)
  SDK_OUT               where to write the JSON record
Arguments: the YAML files, each `job:PATH` or `schedule:PATH`.

Bodies are captured in-process, at the last step before the socket: `requests.Session.send`
receives the prepared request (method, URL, body bytes) from azure-core's transport. The
emulator's own request log keeps headers but not bodies.

The record: {"files": [{"file", "kind", "error"?, "requests": [{"method", "url", "body"}]}]}.
One file failing does not stop the others; the Rust test decides what a failure means.
"""

import base64
import datetime
import json
import os
import sys
import time
import traceback
import urllib.parse

import requests
from azure.core.credentials import AccessToken
from azure.ai.ml import MLClient, load_job
from azure.ai.ml.entities import AmlCompute
from azure.ai.ml.entities._load_functions import load_schedule

CAPTURED = []
_send = requests.Session.send


BLOB_SUFFIX = ".blob.core.windows.net"


def _to_emulator(request):
    """The SDK builds datastore blob URLs from the account name (`ACCOUNT.blob.core.windows.net`,
    for local input uploads); send those to the emulator's path-style blob endpoint
    (`BASE/ACCOUNT/...`) instead, as a DNS entry would. Those requests are signed with the
    account key (a `SharedKey` header), while the emulator's blob endpoint only takes a SAS:
    a dummy `sig` query parameter stands in. Bodies are untouched."""
    parts = urllib.parse.urlsplit(request.url)
    host = parts.hostname or ""
    if host.endswith(BLOB_SUFFIX):
        account = host[: -len(BLOB_SUFFIX)]
        base = os.environ["AZUREML_DEV_URL_MFE"].rstrip("/")
        query = "&".join(q for q in [parts.query, "sig=sdk-shared-key"] if q)
        query = f"?{query}"
        request.url = f"{base}/{account}{parts.path}{query}"
        request.headers.pop("Host", None)


def _capturing_send(self, request, **kwargs):
    _to_emulator(request)
    body = request.body
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            body = None  # binary blob content: not compared
    elif body is not None and not isinstance(body, str):
        body = None  # a stream (blob upload)
    CAPTURED.append({"method": request.method, "url": request.url, "body": body})
    response = _send(self, request, **kwargs)
    _rfc1123_last_modified(response)
    return response


def _rfc1123_last_modified(response):
    """Shim for an emulator defect: a blob HEAD/GET answers `Last-Modified` in RFC 3339, which
    azure-storage-blob cannot parse (it expects RFC 1123). Rewritten here so a second upload of
    the same content (HEAD finds the blob) does not fail; responses only, bodies untouched."""
    value = response.headers.get("Last-Modified")
    if value and "T" in value and value.endswith("Z"):
        try:
            parsed = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return
        response.headers["Last-Modified"] = parsed.strftime("%a, %d %b %Y %H:%M:%S GMT")


requests.Session.send = _capturing_send


def _b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


# An unsigned JWT: pipeline submission decodes the token (without verifying it) for the
# caller's tenant and checks that the token for the AML scope has that audience. The emulator
# accepts any bearer token.
def fake_jwt(scope):
    audience = (scope[: -len(".default")] if scope.endswith("/.default") else scope).rstrip("/")
    claims = {"aud": audience, "oid": "00000000-0000-0000-0000-0000000000aa", "tid": "t"}
    return ".".join([_b64({"alg": "none", "typ": "JWT"}), _b64(claims), "sig"])


class FakeCredential:
    def get_token(self, *scopes, **kwargs):
        return AccessToken(fake_jwt(scopes[0] if scopes else ""), int(time.time()) + 3600)


def main():
    ml = MLClient(
        FakeCredential(),
        subscription_id=os.environ["EMU_SUBSCRIPTION"],
        resource_group_name=os.environ["EMU_RESOURCE_GROUP"],
        workspace_name=os.environ["EMU_WORKSPACE"],
        enable_telemetry=False,
    )
    for name in filter(None, os.environ.get("SDK_COMPUTES", "").split(",")):
        ml.compute.begin_create_or_update(
            AmlCompute(name=name, size="STANDARD_DS3_V2", min_instances=0, max_instances=2)
        ).result()
    files = []
    for arg in sys.argv[1:]:
        kind, path = arg.split(":", 1)
        CAPTURED.clear()
        entry = {"file": path, "kind": kind}
        try:
            if kind == "job":
                ml.jobs.create_or_update(load_job(path))
            elif kind == "schedule":
                ml.schedules.begin_create_or_update(load_schedule(path)).result()
            else:
                raise ValueError(f"unknown kind {kind}")
        except Exception as e:  # recorded for the Rust test, which reports it
            entry["error"] = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}"
        entry["requests"] = list(CAPTURED)
        files.append(entry)
        print(f"{kind} {path}: {entry.get('error', 'ok')[:400]} ({len(CAPTURED)} requests)", flush=True)
        # Written after every file, so a crash or a timeout still leaves what was recorded.
        with open(os.environ["SDK_OUT"], "w", encoding="utf-8") as f:
            json.dump({"files": files}, f, indent=1)


if __name__ == "__main__":
    main()
