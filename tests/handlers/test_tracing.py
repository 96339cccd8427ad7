"""The handlers' Tracer: in Lambda, a subsegment per invocation and per AWS call; disabled, nothing at
all (not even the X-Ray SDK). Each case runs in a fresh interpreter: Powertools decides once, at import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# A handler decorated as every deployed one is, making one (stubbed) AWS call and failing on demand;
# the X-Ray recorder's emitter is swapped for one that keeps what it would send to the daemon.
PROGRAM = """
import json, sys
from governed_assistant.handlers.tracing import TRACER
loaded_on_import = sorted(name for name in ("aws_xray_sdk.core", "botocore.client") if name in sys.modules)
import botocore.session
from botocore.stub import Stubber

sent = []
if not TRACER.disabled:
    import aws_xray_sdk.core

    class Emitter:
        def send_entity(self, entity):
            sent.append(json.loads(entity.serialize()))

        def set_daemon_address(self, address):
            pass

    aws_xray_sdk.core.xray_recorder.configure(emitter=Emitter())

client = botocore.session.get_session().create_client(
    "sts", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
)
stub = Stubber(client)
identity = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/t", "UserId": "U"}
stub.add_response("get_caller_identity", identity)
stub.activate()


@TRACER.capture_lambda_handler(capture_response=False)
def handler(event, context):
    if event.get("fail"):
        raise ValueError("refused")
    client.get_caller_identity()
    return {"tenant": "acme", "result": "private"}


result = handler({}, None)
try:
    handler({"fail": True}, None)
    failed = None
except ValueError as error:
    failed = str(error)
print(json.dumps({
    "disabled": bool(TRACER.disabled),
    "loaded_on_import": loaded_on_import,
    "xray_imported": "aws_xray_sdk.core" in sys.modules,
    "result": result,
    "failed": failed,
    "sent": sent,
}))
"""
TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def run(tmp_path: Path, **environment: str) -> dict[str, Any]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POWERTOOLS_", "LAMBDA_", "AWS_LAMBDA", "_X_AMZN"))
    }
    env.update(POWERTOOLS_SERVICE_NAME="refunds", **environment)
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_tracer_in_lambda_traces_the_handler_and_each_aws_call_without_the_response(tmp_path: Path) -> None:
    """In Lambda, the handler's subsegment carries ColdStart and Service, the AWS call is its child,
    an error is recorded, and the response never is; importing the handler loaded no X-Ray SDK."""
    report = run(tmp_path, LAMBDA_TASK_ROOT=str(tmp_path), _X_AMZN_TRACE_ID=TRACE_ID)
    assert report["loaded_on_import"] == []
    assert (report["disabled"], report["result"], report["failed"]) == (
        False,
        {"tenant": "acme", "result": "private"},
        "refused",
    )
    handlers = [entity for entity in report["sent"] if entity["name"] == "## handler"]
    calls = [entity for entity in report["sent"] if entity.get("namespace") == "aws"]
    assert [h["annotations"] for h in handlers] == [
        {"ColdStart": True, "Service": "refunds"},
        {"ColdStart": False, "Service": "refunds"},
    ]
    assert [(c["name"], c["aws"]["operation"], c["parent_id"]) for c in calls] == [
        ("sts", "GetCallerIdentity", handlers[0]["id"])
    ]
    assert "private" not in json.dumps(report["sent"])
    assert "refused" in json.dumps(handlers[1]["cause"])


def test_tracer_disabled_runs_the_handler_without_the_xray_sdk(tmp_path: Path) -> None:
    """With POWERTOOLS_TRACE_DISABLED=true (the local stack's setting), even in Lambda, the handler
    runs as undecorated: its result and its error pass through, and the X-Ray SDK is never loaded."""
    report = run(tmp_path, LAMBDA_TASK_ROOT=str(tmp_path), POWERTOOLS_TRACE_DISABLED="true")
    assert report == {
        "disabled": True,
        "loaded_on_import": [],
        "xray_imported": False,
        "result": {"tenant": "acme", "result": "private"},
        "failed": "refused",
        "sent": [],
    }


def test_tracer_outside_lambda_is_disabled_without_the_xray_sdk(tmp_path: Path) -> None:
    """Outside Lambda (tests, make dev) tracing is off as Powertools decides, and costs no import."""
    report = run(tmp_path)
    assert (report["disabled"], report["xray_imported"], report["sent"]) == (True, False, [])
