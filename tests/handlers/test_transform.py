"""Firehose's transformation: real record shapes in, one DecisionEvent document per record out."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from governed_assistant.contracts import DecisionEvent
from governed_assistant.handlers.transform import RedeliveryError, transform
from governed_assistant.runtime.telemetry.wire import from_wire, to_json_line
from moto import mock_aws

REGION = "us-east-1"
ACCOUNT = "123456789012"
STREAM = "assistant-test-decisions"
STREAM_ARN = f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/{STREAM}"


def decision(index: int, stage: str = "gate") -> DecisionEvent:
    return DecisionEvent.model_validate(
        {
            "eventId": f"evt-{index}",
            "jobId": "job-1",
            "tenantId": "acme",
            "userId": "alice",
            "stage": stage,
            "outcome": "allow",
            "latencyMs": 12.5,
            "modelId": "anthropic.claude-3-5-sonnet-20240620-v1:0" if stage == "reason" else None,
            "inputTokens": 100 if stage == "reason" else None,
            "outputTokens": 20 if stage == "reason" else None,
            "details": {"risk": 0.2},
            "timestamp": "2025-01-02T03:04:05Z",
        }
    )


def envelope(*messages: str, message_type: str = "DATA_MESSAGE") -> bytes:
    """A CloudWatch Logs subscription payload, as Firehose receives it (gzip'd JSON)."""
    return gzip.compress(
        json.dumps(
            {
                "messageType": message_type,
                "owner": ACCOUNT,
                "logGroup": "/aws/lambda/assistant-test-gate",
                "logStream": "2025/01/02/[$LATEST]abcdef",
                "subscriptionFilters": ["assistant-observability-events-0"],
                "logEvents": [
                    {"id": f"3795{index}", "timestamp": 1735787045000, "message": message}
                    for index, message in enumerate(messages)
                ],
            }
        ).encode()
    )


def firehose_event(*payloads: bytes) -> dict[str, Any]:
    """Firehose's invocation of a transformation Lambda."""
    return {
        "invocationId": "invocation-1",
        "deliveryStreamArn": STREAM_ARN,
        "region": REGION,
        "records": [
            {
                "recordId": f"4954698668313554428650745793632167567570019247115678515{index}",
                "approximateArrivalTimestamp": 1735787045453,
                "data": base64.b64encode(payload).decode(),
            }
            for index, payload in enumerate(payloads)
        ],
    }


def decoded(record: dict[str, str]) -> str:
    return base64.b64decode(record["data"]).decode()


class UnusedFirehose:
    def put_record_batch(self, **kwargs: Any) -> dict[str, Any]:
        raise AssertionError(f"nothing should be put back, got {kwargs}")


@pytest.mark.parametrize(
    ("payload", "result"),
    [
        pytest.param((to_json_line(decision(1)) + "\n").encode(), "Ok", id="raw-event-line"),
        pytest.param(envelope(to_json_line(decision(1))), "Ok", id="log-envelope-one-event"),
        pytest.param(
            envelope(json.dumps({"level": "INFO", "message": json.loads(to_json_line(decision(1)))})),
            "Ok",
            id="lambda-json-log-record",
        ),
        pytest.param(envelope(message_type="CONTROL_MESSAGE"), "Dropped", id="control-message"),
        pytest.param(b'{"schemaVersion": 1, "stage": "gate"}', "ProcessingFailed", id="incomplete-event"),
        pytest.param(envelope("START RequestId: 1 Version: $LATEST"), "ProcessingFailed", id="not-json-line"),
        pytest.param(b"\x1f\x8bnot gzip at all", "ProcessingFailed", id="corrupt-gzip"),
        pytest.param(b"  \n", "Dropped", id="empty-record"),
    ],
)
def test_transform_record_results(payload: bytes, result: str) -> None:
    """Each shape gets its result; an Ok record holds exactly the event's wire form and a newline."""
    answer = transform(firehose_event(payload), firehose=UnusedFirehose())
    (record,) = answer["records"]
    assert record["recordId"].startswith("4954698668")
    assert record["result"] == result
    if result == "Ok":
        document = decoded(record)
        assert document.endswith("\n") and document.count("\n") == 1
        assert from_wire(document) == decision(1)
    else:
        assert record["data"] == firehose_event(payload)["records"][0]["data"]


def test_transform_writes_gen_ai_names_for_opensearch() -> None:
    """The indexed document uses the wire names the index template maps (gen_ai.*, camelCase)."""
    answer = transform(
        firehose_event(envelope(to_json_line(decision(7, "reason")))), firehose=UnusedFirehose()
    )
    document = json.loads(decoded(answer["records"][0]))
    assert document["gen_ai.request.model"] == "anthropic.claude-3-5-sonnet-20240620-v1:0"
    assert (document["gen_ai.usage.input_tokens"], document["tenantId"]) == (100, "acme")


def test_transform_keeps_record_ids_and_order() -> None:
    """Firehose requires every recordId back, in order, whatever the result."""
    payloads = [envelope(message_type="CONTROL_MESSAGE"), to_json_line(decision(2)).encode(), b"{}"]
    answer = transform(firehose_event(*payloads), firehose=UnusedFirehose())
    assert [r["recordId"] for r in answer["records"]] == [
        r["recordId"] for r in firehose_event(*payloads)["records"]
    ]
    assert [r["result"] for r in answer["records"]] == ["Dropped", "Ok", "ProcessingFailed"]


@pytest.fixture
def delivery_stream() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="decisions")
        firehose = boto3.client("firehose", region_name=REGION)
        firehose.create_delivery_stream(
            DeliveryStreamName=STREAM,
            ExtendedS3DestinationConfiguration={
                "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose",
                "BucketARN": "arn:aws:s3:::decisions",
            },
        )
        yield firehose, s3


def test_envelope_with_several_events_puts_the_rest_back_on_the_stream(
    delivery_stream: tuple[Any, Any],
) -> None:
    """OpenSearch takes one document per record: the first stays, the others go back as raw records."""
    firehose, s3 = delivery_stream
    events = [decision(index) for index in range(3)]
    answer = transform(firehose_event(envelope(*map(to_json_line, events))), firehose=firehose)
    (record,) = answer["records"]
    assert from_wire(decoded(record)) == events[0]
    objects = s3.list_objects_v2(Bucket="decisions")["Contents"]
    put_back = b"".join(s3.get_object(Bucket="decisions", Key=o["Key"])["Body"].read() for o in objects)
    assert [from_wire(line) for line in put_back.decode().splitlines()] == events[1:]
    # Put back raw, they come through again as single events.
    again = transform(firehose_event(*(line.encode() for line in put_back.decode().splitlines())))
    assert [r["result"] for r in again["records"]] == ["Ok", "Ok"]


def test_refused_put_back_fails_the_invocation() -> None:
    """When Firehose refuses the put-back, the invocation fails, so Firehose retries it (no event lost)."""

    class Refusing:
        def put_record_batch(self, **kwargs: Any) -> dict[str, Any]:
            return {"FailedPutCount": len(kwargs["Records"]), "RequestResponses": []}

    payload = envelope(to_json_line(decision(1)), to_json_line(decision(2)))
    with pytest.raises(RedeliveryError, match=f"stream={STREAM}"):
        transform(firehose_event(payload), firehose=Refusing())
