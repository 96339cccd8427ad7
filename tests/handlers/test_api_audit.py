"""The API archives each decided approval before it resumes the job: no evidence, no action."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from governed_assistant.contracts import TenantContext
from governed_assistant.handlers import api
from governed_assistant.runtime.jobs import proposal_digest
from governed_assistant.testing import lambda_context
from handler_harness import REGION, Stack, api_event, body_of

BUCKET = "assistant-test-audit-1"
PROPOSAL = {"actionType": "issue_refund", "resourceId": "acme-9", "tenantId": "acme", "parameters": {}}


def request_approval(stack: Stack) -> tuple[str, str]:
    """A job the gate sent to approval, and its pending approval: (approval id, job id)."""
    context = TenantContext(tenant_id="acme", user_id="alice", roles=("supervisor",), request_id="r")
    job = stack.env.jobs.create(context)
    stack.env.jobs.record_decision("acme", job.job_id, "approve", proposal_digest(PROPOSAL))
    view = stack.env.approvals.request(
        context, job.job_id, "issue_refund on acme-9 (risk 0.8)", "secret-task-token",
        datetime.now(UTC) + timedelta(hours=1), details={"proposal": PROPOSAL},
    )  # fmt: skip
    return view.approval_id, job.job_id


def decide(approval_id: str, decision: str = "approve", **options: Any) -> dict[str, Any]:
    event = api_event(
        "POST", f"/approvals/{approval_id}", route_key="POST /approvals/{id}", path_id=approval_id,
        body={"decision": decision, "comment": "ok"}, **options,
    )  # fmt: skip
    return api.handler(event, lambda_context())


@pytest.fixture
def archive(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A locked bucket on moto, named to the API in $GOVERNED_AUDIT_BUCKET."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket=BUCKET,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}},
        },
    )
    monkeypatch.setenv("GOVERNED_AUDIT_BUCKET", BUCKET)
    return s3


def test_decision_is_archived_before_the_job_resumes(stack: Stack, archive: Any) -> None:
    """The decided approval lands in approvals/<tenant>/<id>.json with the job's proposal digest."""
    approval_id, job_id = request_approval(stack)
    client = boto3.client("stepfunctions", region_name=REGION)
    stack.env._clients["stepfunctions"] = client
    with Stubber(client) as stub:
        stub.add_response("send_task_success", {}, {"taskToken": "secret-task-token", "output": ANY})
        response = decide(approval_id, user="sam", roles=("supervisor",))
        stub.assert_no_pending_responses()
    assert response["statusCode"] == 200
    record = json.loads(
        archive.get_object(Bucket=BUCKET, Key=f"approvals/acme/{approval_id}.json")["Body"].read()
    )
    assert (record["status"], record["decidedBy"], record["requestedBy"], record["jobId"]) == (
        "approved",
        "sam",
        "alice",
        job_id,
    )
    assert record["proposalDigest"] == proposal_digest(PROPOSAL)
    assert "secret-task-token" not in json.dumps(record)
    (event,) = [e for e in stack.sink.events if e.stage == "approval_decided"]
    assert event.details["archiveVersion"]


def test_decision_not_archived_leaves_the_job_waiting(stack: Stack, archive: Any) -> None:
    """If the record cannot be written the job is not resumed, and the approver hears 503 archive_failed."""
    approval_id, _ = request_approval(stack)
    archive.delete_bucket(Bucket=BUCKET)
    client = boto3.client("stepfunctions", region_name=REGION)
    stack.env._clients["stepfunctions"] = client
    with Stubber(client):  # no response queued: any call to resume the job would fail the test
        response = decide(approval_id, user="sam", roles=("supervisor",))
    assert (response["statusCode"], body_of(response)["error"]) == (503, "archive_failed")
    assert "code=NoSuchBucket" in body_of(response)["message"]
