"""The failed-events bucket on moto: objects as Firehose writes them (gzip'd JSON lines, each with a
base64 ``rawData``: a refused document or a CloudWatch Logs envelope the transformation could not
process) lose exactly the tenant's events, and every version that held them."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from governed_assistant.contracts import DecisionEvent
from governed_assistant.erasure import ErasureTargets, build_erasers
from governed_assistant.erasure.stores.failed_events import FailedEventsEraser
from governed_assistant.runtime.telemetry.wire import to_json_line

from tests.erasure.conftest import REGION, Aws
from tests.handlers.test_transform import envelope

BUCKET = "assistant-dev-failed-events-1"
MIXED = "failed/AmazonOpenSearchService-failed/2026/12/01/10/decisions-1-2026-12-01-10-00-00-a"
ACME_ONLY = "failed/AmazonOpenSearchService-failed/2026/12/01/11/decisions-1-2026-12-01-11-00-00-b"


def event(tenant: str, index: int) -> str:
    return to_json_line(
        DecisionEvent.model_validate(
            {
                "eventId": f"evt-{tenant}-{index}", "jobId": "job-1", "tenantId": tenant, "userId": "alice",
                "stage": "gate", "outcome": "allow", "latencyMs": 1.0, "details": {},
                "timestamp": "2026-12-01T10:00:00Z",
            }
        )
    )  # fmt: skip


def record(data: bytes, **extra: Any) -> str:
    """One failed record as Firehose writes it to S3 (its documented fields)."""
    return json.dumps(
        {
            "attemptsMade": 4, "arrivalTimestamp": 1764583200000, "errorCode": "400",
            "errorMessage": "mapper_parsing_exception", "attemptEndingTimestamp": 1764583500000,
            "rawData": base64.b64encode(data).decode(), **extra,
        }
    )  # fmt: skip


def stored(*records: str) -> bytes:
    return gzip.compress(("\n".join(records) + "\n").encode())


def read(aws: Aws, key: str, version: str | None = None) -> list[dict[str, Any]]:
    extra = {"VersionId": version} if version else {}
    body = aws.client("s3").get_object(Bucket=BUCKET, Key=key, **extra)["Body"].read()
    return [json.loads(line) for line in gzip.decompress(body).decode().splitlines()]


def tenants_in(raw: dict[str, Any]) -> list[str]:
    data = base64.b64decode(raw["rawData"])
    if data.startswith(b"\x1f\x8b"):
        found = []
        for log_event in json.loads(gzip.decompress(data))["logEvents"]:
            message = json.loads(log_event["message"])
            found.append((message.get("message") or message)["tenantId"])
        return found
    return [json.loads(data)["tenantId"]]


@pytest.fixture
def bucket(aws: Aws) -> Aws:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    lambda_record = json.dumps({"level": "INFO", "message": json.loads(event("acme", 3))})
    index = "decision-events-2026-12-01"
    mixed = stored(
        record((event("acme", 1) + "\n").encode(), esDocumentId="d1", esIndexName=index),
        record((event("acme-corp", 1) + "\n").encode(), esDocumentId="d2", esIndexName=index),
        record(
            envelope(event("acme", 2), event("acme-corp", 2), lambda_record), lambdaArn="arn:aws:lambda:x"
        ),
    )
    s3.put_object(Bucket=BUCKET, Key=MIXED, Body=mixed)
    s3.put_object(Bucket=BUCKET, Key=ACME_ONLY, Body=stored(record((event("acme", 4) + "\n").encode())))
    return aws


def test_count_finds_each_of_the_tenants_events_and_no_other_tenants(bucket: Aws) -> None:
    eraser = FailedEventsEraser(bucket.client("s3"), BUCKET)
    # acme: evt 1 (a refused document), 2 and 3 (log events of one envelope, 3 wrapped by Lambda's
    # JSON log format), 4 (an object of its own). acme-corp, whose id starts with "acme": 2.
    assert eraser.count("acme") == 4
    assert eraser.count("acme-corp") == 2
    assert eraser.count("globex") == 0


def test_erase_leaves_other_tenants_events_and_no_version_of_the_tenants(bucket: Aws) -> None:
    s3 = bucket.client("s3")
    eraser = FailedEventsEraser(s3, BUCKET)
    assert eraser.erase("acme") == 4
    assert eraser.count("acme") == 0 and eraser.count("acme-corp") == 2
    versions = s3.list_object_versions(Bucket=BUCKET)
    assert {v["Key"] for v in versions.get("Versions", [])} == {MIXED}, "the acme-only object is gone"
    assert not versions.get("DeleteMarkers"), "versions deleted by id leave no marker to undo"
    (current,) = versions["Versions"]
    remaining = read(bucket, MIXED, current["VersionId"])
    assert [tenants_in(raw) for raw in remaining] == [["acme-corp"], ["acme-corp"]]
    # The records keep Firehose's fields: a backfill tool reads them as before.
    assert remaining[0]["esDocumentId"] == "d2" and remaining[1]["lambdaArn"] == "arn:aws:lambda:x"


def test_a_noncurrent_version_holding_the_tenant_goes_too(bucket: Aws) -> None:
    s3 = bucket.client("s3")
    # An object written twice (an earlier erasure's rewrite, say): both versions hold acme's event.
    s3.put_object(Bucket=BUCKET, Key=ACME_ONLY, Body=stored(record((event("acme", 5) + "\n").encode())))
    eraser = FailedEventsEraser(s3, BUCKET)
    assert eraser.count("acme") == 5
    eraser.erase("acme")
    keys = [v["Key"] for v in s3.list_object_versions(Bucket=BUCKET).get("Versions", [])]
    assert keys == [MIXED]


def test_build_erasers_includes_the_bucket_the_stack_names(bucket: Aws) -> None:
    targets = ErasureTargets.from_outputs({"erasure": {"region": REGION, "failed_events_bucket": BUCKET}})
    erasers = build_erasers(targets, client=bucket.client, run_keys=lambda _: [])
    assert [eraser.store for eraser in erasers] == [f"failed decision events bucket {BUCKET}"]
