"""The Firehose sink batches within the API's limits, retries only failed records, and never blocks."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from governed_assistant.contracts import DecisionEvent, TenantContext
from governed_assistant.runtime.telemetry import (
    FIREHOSE_CLIENT_CONFIG,
    DecisionRecorder,
    FirehoseSink,
    TelemetryConfigError,
    to_json_line,
)
from governed_assistant.runtime.telemetry.constants import FIREHOSE_MAX_RECORD_BYTES
from governed_assistant.wire import ENV_TELEMETRY_STREAM
from moto import mock_aws

from tests.runtime.telemetry.telemetry_harness import make_event

STREAM = "decision-events"
BUCKET = "decision-events-backup"
REGION = "eu-west-1"


class CountingClient:
    """Passes calls to a real client and counts them."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls = 0

    def put_record_batch(self, **kwargs: Any) -> Mapping[str, Any]:
        self.calls += 1
        response: Mapping[str, Any] = self.client.put_record_batch(**kwargs)
        return response


class Sleeps(list[float]):
    """Records the backoff sleeps instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def firehose(aws_env: None) -> Iterator[Any]:
    """A moto Firehose with a direct-put stream that delivers to an S3 bucket."""
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        client = boto3.client("firehose", region_name=REGION)
        client.create_delivery_stream(
            DeliveryStreamName=STREAM,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/firehose",
                "BucketARN": f"arn:aws:s3:::{BUCKET}",
            },
        )
        yield client


@pytest.fixture
def stubbed(aws_env: None) -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("firehose", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber


def _delivered_batches() -> list[list[dict[str, Any]]]:
    """What moto wrote to the bucket: one object per PutRecordBatch call, one JSON line per record."""
    s3 = boto3.client("s3", region_name=REGION)
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))
    bodies = [s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode() for key in keys]
    return [[json.loads(line) for line in body.splitlines()] for body in bodies]


def _events(count: int) -> list[DecisionEvent]:
    return [make_event(stage="execute", seconds=index) for index in range(count)]


def _data(event: DecisionEvent) -> bytes:
    return (to_json_line(event) + "\n").encode()


def test_firehose_sink_flush_sends_batches_of_newline_delimited_json(firehose: Any) -> None:
    """Events go out in batches of ``max_batch_records``, each record one JSON line."""
    sink = FirehoseSink(firehose, STREAM, max_batch_records=2)
    events = _events(5)
    for event in events:
        sink.emit(event)
    sink.flush()
    batches = _delivered_batches()
    assert sorted(len(batch) for batch in batches) == [1, 2, 2]
    assert sorted(document["eventId"] for batch in batches for document in batch) == sorted(
        event.event_id for event in events
    )
    assert (sink.sent, sink.dropped) == (5, 0)


def test_firehose_sink_501_events_splits_at_the_500_record_limit(firehose: Any) -> None:
    """The 500th event sends a full batch at once; the rest waits for flush."""
    client = CountingClient(firehose)
    sink = FirehoseSink(client, STREAM)
    for event in _events(501):
        sink.emit(event)
    assert client.calls == 1
    sink.flush()
    assert sorted(len(batch) for batch in _delivered_batches()) == [1, 500]


def test_firehose_sink_large_events_split_at_the_byte_limit(firehose: Any) -> None:
    """A batch is sent before the next record would take it past ``max_batch_bytes``."""
    sink = FirehoseSink(firehose, STREAM, max_batch_bytes=FIREHOSE_MAX_RECORD_BYTES)
    for index in range(3):
        sink.emit(make_event(seconds=index, details={"blob": "x" * 400_000}))
    sink.flush()
    assert sorted(len(batch) for batch in _delivered_batches()) == [1, 2]


def test_firehose_sink_delivery_stream_from_env(firehose: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an explicit stream the sink uses $GOVERNED_TELEMETRY_STREAM."""
    monkeypatch.setenv(ENV_TELEMETRY_STREAM, STREAM)
    assert FirehoseSink(firehose).delivery_stream == STREAM


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({}, "No Firehose delivery stream configured", id="no-stream"),
        pytest.param({"delivery_stream": STREAM, "max_batch_records": 501}, "records=501", id="batch"),
        pytest.param({"delivery_stream": STREAM, "max_batch_bytes": 8 << 20}, "max_batch_bytes=", id="bytes"),
        pytest.param({"delivery_stream": STREAM, "max_attempts": 0}, "max_attempts=0", id="attempts"),
    ],
)
def test_firehose_sink_bad_config_raises(
    stubbed: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, Any], message: str
) -> None:
    """A sink that could never deliver is refused when it is built, with the fix in the message."""
    monkeypatch.delenv(ENV_TELEMETRY_STREAM, raising=False)
    with pytest.raises(TelemetryConfigError, match=message):
        FirehoseSink(stubbed[0], **kwargs)


def test_firehose_sink_partial_failure_retries_only_failed_records(stubbed: tuple[Any, Stubber]) -> None:
    """Only the record Firehose reports as failed is sent again, after a short backoff."""
    client, stubber = stubbed
    events = _events(3)
    stubber.add_response(
        "put_record_batch",
        {
            "FailedPutCount": 1,
            "RequestResponses": [
                {"RecordId": "r1"},
                {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."},
                {"RecordId": "r3"},
            ],
        },
        {"DeliveryStreamName": STREAM, "Records": [{"Data": _data(event)} for event in events]},
    )
    stubber.add_response(
        "put_record_batch",
        {"FailedPutCount": 0, "RequestResponses": [{"RecordId": "r2"}]},
        {"DeliveryStreamName": STREAM, "Records": [{"Data": _data(events[1])}]},
    )
    sleeps = Sleeps()
    sink = FirehoseSink(client, STREAM, sleep=sleeps)
    for event in events:
        sink.emit(event)
    sink.flush()
    stubber.assert_no_pending_responses()
    assert (sink.sent, sink.dropped, sleeps) == (3, 0, [0.05])


def test_firehose_sink_record_failing_every_attempt_is_dropped_and_counted(
    stubbed: tuple[Any, Stubber], caplog: pytest.LogCaptureFixture
) -> None:
    """After ``max_attempts`` the still-failing record is dropped, counted and logged with its code."""
    client, stubber = stubbed
    events = _events(2)
    failing = {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}
    first = {"FailedPutCount": 1, "RequestResponses": [{"RecordId": "r1"}, failing]}
    stubber.add_response("put_record_batch", first)
    for _ in range(2):
        stubber.add_response("put_record_batch", {"FailedPutCount": 1, "RequestResponses": [failing]})
    sleeps = Sleeps()
    sink = FirehoseSink(client, STREAM, max_attempts=3, sleep=sleeps)
    with caplog.at_level(logging.WARNING):
        for event in events:
            sink.emit(event)
        sink.flush()
    stubber.assert_no_pending_responses()
    assert (sink.sent, sink.dropped, sleeps) == (1, 1, [0.05, 0.1])
    assert "count=1" in caplog.text
    assert "ServiceUnavailableExceptionx1" in caplog.text


def test_firehose_sink_service_unavailable_drops_then_cools_down(
    stubbed: tuple[Any, Stubber], context: TenantContext
) -> None:
    """When Firehose is down, record() returns, nothing is raised, and later events are dropped at once."""
    client, stubber = stubbed
    for _ in range(3):
        stubber.add_client_error("put_record_batch", "ServiceUnavailableException", http_status_code=503)
    counting = CountingClient(client)
    sink = FirehoseSink(counting, STREAM, max_batch_records=1, sleep=Sleeps())
    recorder = DecisionRecorder(sink)
    recorder.record("job-1", context, "gate", "allow")
    recorder.record("job-1", context, "execute", "ok")
    recorder.flush()
    stubber.assert_no_pending_responses()
    assert (counting.calls, sink.sent, sink.dropped, recorder.failures) == (3, 0, 2, 0)


def test_firehose_sink_non_retryable_error_drops_without_retry(stubbed: tuple[Any, Stubber]) -> None:
    """An error that will not get better (a missing stream) is not retried."""
    client, stubber = stubbed
    stubber.add_client_error("put_record_batch", "ResourceNotFoundException", http_status_code=400)
    sleeps = Sleeps()
    sink = FirehoseSink(client, STREAM, sleep=sleeps)
    sink.emit(make_event())
    sink.flush()
    stubber.assert_no_pending_responses()
    assert (sink.dropped, sleeps) == (1, [])


def test_firehose_sink_oversized_record_is_dropped_without_a_call(stubbed: tuple[Any, Stubber]) -> None:
    """A record past Firehose's 1,000 KiB limit is dropped before any call."""
    client, stubber = stubbed
    sink = FirehoseSink(client, STREAM)
    sink.emit(make_event(details={"blob": "x" * FIREHOSE_MAX_RECORD_BYTES}))
    sink.flush()
    stubber.assert_no_pending_responses()
    assert (sink.sent, sink.dropped) == (0, 1)


def test_firehose_sink_unreachable_endpoint_returns_quickly_and_counts_drops(
    aws_env: None, context: TenantContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the endpoint unreachable, recording stays fast, raises nothing and counts the drops."""
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = boto3.client(
        "firehose", region_name=REGION, endpoint_url=f"http://127.0.0.1:{port}",
        config=Config(**FIREHOSE_CLIENT_CONFIG),
    )  # fmt: skip
    counting = CountingClient(client)
    sink = FirehoseSink(counting, STREAM, max_batch_records=1)
    recorder = DecisionRecorder(sink)
    started = time.monotonic()
    for stage in ("gate", "execute", "complete"):
        recorder.record("job-1", context, stage, "ok")  # type: ignore[arg-type]
    recorder.flush()
    assert time.monotonic() - started < 2.0
    assert (counting.calls, sink.dropped, recorder.failures) == (1, 3, 0)
