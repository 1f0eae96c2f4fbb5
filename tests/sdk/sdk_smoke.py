"""Drive the amlctl emulator with Microsoft's Python SDK (azure-ai-ml 1.35.2), over TLS.

Run by crates/amlctl-emulator/tests/sdk.rs, which starts the emulator and sets:
  AZUREML_DEV_URL_MFE   the emulator's https base URL (the SDK's "local MFE" override)
  REQUESTS_CA_BUNDLE    the emulator's CA certificate (PEM)
  EMU_SUBSCRIPTION, EMU_RESOURCE_GROUP, EMU_WORKSPACE
  EMU_CODE_DIR          a directory with main.py, uploaded as the job's code
Prints one line per step; exits non-zero on the first failure.
"""

import os
import sys
import time

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.ai.ml import MLClient, command, dsl
from azure.ai.ml.entities import (
    AmlCompute,
    ComputeInstance,
    CronTrigger,
    Environment,
    JobSchedule,
)


class FakeCredential:
    """Any object with get_token works; the emulator accepts any bearer token."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("sdk-smoke-token", int(time.time()) + 3600)


T0 = time.time()


def step(name):
    print(f"step {time.time() - T0:7.2f}s: {name}", flush=True)


def wait(pred, what, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def main():
    ml = MLClient(
        FakeCredential(),
        subscription_id=os.environ["EMU_SUBSCRIPTION"],
        resource_group_name=os.environ["EMU_RESOURCE_GROUP"],
        workspace_name=os.environ["EMU_WORKSPACE"],
        enable_telemetry=False,
    )

    step("compute.get (missing) -> ResourceNotFoundError")
    try:
        ml.compute.get("nope")
        raise AssertionError("expected ResourceNotFoundError")
    except ResourceNotFoundError as e:
        assert e.status_code == 404, e

    step("compute.begin_create_or_update(ComputeInstance)")
    ci = ml.compute.begin_create_or_update(ComputeInstance(name="ci-sdk", size="STANDARD_DS3_V2")).result()
    assert ci.name == "ci-sdk", ci
    step("compute.get")
    ci = ml.compute.get("ci-sdk")
    assert ci.type == "computeinstance", ci.type
    assert ci.state == "Running", ci.state
    assert ci.size.upper() == "STANDARD_DS3_V2", ci.size
    assert ci.provisioning_state == "Succeeded", ci.provisioning_state

    step("compute.begin_create_or_update(AmlCompute)")
    cluster = ml.compute.begin_create_or_update(
        AmlCompute(name="cpu-sdk", size="STANDARD_DS3_V2", min_instances=0, max_instances=2)
    ).result()
    assert cluster.name == "cpu-sdk"
    got = ml.compute.get("cpu-sdk")
    assert got.max_instances == 2 and got.min_instances == 0, (got.min_instances, got.max_instances)

    step("compute.list")
    names = sorted(c.name for c in ml.compute.list())
    assert names == ["ci-sdk", "cpu-sdk"], names

    step("compute.begin_stop")
    ml.compute.begin_stop("ci-sdk").result()
    wait(lambda: ml.compute.get("ci-sdk").state == "Stopped", "Stopped")
    step("compute.begin_stop on a stopped instance -> conflict")
    try:
        ml.compute.begin_stop("ci-sdk").result()
        raise AssertionError("expected a conflict")
    except HttpResponseError as e:
        assert e.status_code == 409, e
    step("compute.begin_start")
    ml.compute.begin_start("ci-sdk").result()
    wait(lambda: ml.compute.get("ci-sdk").state == "Running", "Running")
    step("compute.begin_restart")
    ml.compute.begin_restart("ci-sdk").result()
    wait(lambda: ml.compute.get("ci-sdk").state == "Running", "Running after restart")

    step("jobs.create_or_update (command job, local code, inline environment)")
    env = Environment(image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest")
    job = command(
        name="sdk-job-1",
        code=os.environ["EMU_CODE_DIR"],
        command="python main.py --epochs ${{inputs.epochs}}",
        inputs={"epochs": 3},
        environment=env,
        compute="cpu-sdk",
        experiment_name="sdk-smoke",
        display_name="sdk smoke job",
    )
    created = ml.jobs.create_or_update(job)
    assert created.name == "sdk-job-1", created.name
    assert created.status in ("NotStarted", "Starting", "Preparing", "Queued", "Running"), created.status

    step("jobs.get")
    got = ml.jobs.get("sdk-job-1")
    assert got.compute == "cpu-sdk", got.compute
    assert got.display_name == "sdk smoke job", got.display_name

    step("jobs.list")
    listed = [j.name for j in ml.jobs.list()]
    assert "sdk-job-1" in listed, listed

    step("jobs.begin_cancel")
    ml.jobs.begin_cancel("sdk-job-1").result()
    wait(lambda: ml.jobs.get("sdk-job-1").status == "Canceled", "Canceled")

    step("jobs.create_or_update again with the same code (hash lookup, no second upload)")
    job2 = command(
        name="sdk-job-2",
        code=os.environ["EMU_CODE_DIR"],
        command="python main.py",
        environment=env,
        compute="cpu-sdk",
    )
    ml.jobs.create_or_update(job2)

    step("schedules.begin_create_or_update (pipeline job, cron trigger)")
    node = command(command="echo hello", environment=env, compute="cpu-sdk")

    @dsl.pipeline(compute="cpu-sdk", description="sdk smoke pipeline")
    def pipe():
        node()

    sched = JobSchedule(name="sched-sdk", trigger=CronTrigger(expression="0 2 * * *"), create_job=pipe())
    made = ml.schedules.begin_create_or_update(sched).result()
    assert made.name == "sched-sdk", made.name
    step("schedules.get")
    got = ml.schedules.get("sched-sdk")
    assert got.is_enabled, got.is_enabled
    assert got.trigger.expression == "0 2 * * *", got.trigger.expression
    step("schedules.begin_disable")
    ml.schedules.begin_disable("sched-sdk").result()
    assert ml.schedules.get("sched-sdk").is_enabled is False
    listed = [s.name for s in ml.schedules.list()]
    assert "sched-sdk" not in listed, listed
    step("schedules.begin_delete")
    ml.schedules.begin_delete("sched-sdk").result()
    try:
        ml.schedules.get("sched-sdk")
        raise AssertionError("schedule still exists")
    except ResourceNotFoundError:
        pass

    step("compute.begin_delete")
    ml.compute.begin_delete("ci-sdk").result()
    try:
        ml.compute.get("ci-sdk")
        raise AssertionError("compute still exists")
    except ResourceNotFoundError:
        pass

    print("sdk smoke: all steps passed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report and fail
        import traceback

        traceback.print_exc()
        print(f"sdk smoke FAILED: {e!r}", file=sys.stderr, flush=True)
        sys.exit(1)
