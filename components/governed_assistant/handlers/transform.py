"""Firehose's data transformation: whatever arrives becomes one ``DecisionEvent`` document per record.

Records come two ways (``governed_assistant.infra.decision_delivery``):

- a CloudWatch Logs subscription envelope (gzip'd JSON, ``messageType`` ``DATA_MESSAGE``) from
  the functions' log groups, the default ``log`` telemetry sink: each log event's message is a
  decision event's JSON line (or a Lambda JSON log record whose ``message`` is one);
- a raw event (one JSON line) from the ``firehose`` sink, or put back by this function.

Every event is validated against ``governed_assistant.contracts.DecisionEvent`` and written in its wire
form (camelCase, ``gen_ai.*``) as one JSON document and a newline. OpenSearch indexes a record as
one document, so an envelope carrying several events keeps its first in the record and puts the
others back on the stream as raw records (``firehose:PutRecordBatch``), where they come through
here again. Results: ``Ok``; ``Dropped`` for control messages and envelopes without events;
``ProcessingFailed`` for anything that is not a valid event (Firehose keeps it in the S3 bucket).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from governed_assistant.contracts import DecisionEvent
from governed_assistant.handlers.exceptions import HandlerError
from governed_assistant.handlers.logs import FIREHOSE_INVOCATION_ID, LOGGER
from governed_assistant.handlers.tracing import TRACER
from governed_assistant.runtime.telemetry.constants import FIREHOSE_MAX_BATCH_RECORDS
from governed_assistant.runtime.telemetry.exceptions import EventFormatError
from governed_assistant.runtime.telemetry.wire import from_wire, to_json_line

GZIP_MAGIC: Final = b"\x1f\x8b"
Result = Literal["Ok", "Dropped", "ProcessingFailed"]


class RedeliveryError(HandlerError):
    """When Firehose refuses events this function puts back on the stream."""


class FirehoseClient(Protocol):
    """The one method of ``boto3.client("firehose")`` the transformation uses."""

    def put_record_batch(self, **kwargs: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Outcome:
    """What became of one input record."""

    result: Result
    document: str = ""
    """The event's JSON line and a newline (``Ok`` only)."""
    spill: tuple[str, ...] = ()
    """Further events of the same envelope, to put back on the stream."""


def parse_event(message: str) -> DecisionEvent:
    """One decision event from a log message or a raw record; unwraps a Lambda JSON log record."""
    try:
        document = json.loads(message)
    except ValueError as error:
        raise EventFormatError(f"Record is not JSON, error={error}") from error
    # Lambda's JSON log format wraps what the logging module writes: {"level", "message": ...}.
    if isinstance(document, Mapping) and "schemaVersion" not in document and "message" in document:
        inner = document["message"]
        return parse_event(inner) if isinstance(inner, str) else from_wire(inner)
    return from_wire(document)


def _lines(events: Iterable[DecisionEvent]) -> list[str]:
    return [to_json_line(event) + "\n" for event in events]


def transform_record(data: bytes) -> Outcome:
    """The outcome of one record's (decoded) bytes."""
    if data.startswith(GZIP_MAGIC):
        return _envelope(data)
    lines = [line for line in data.decode("utf-8", errors="replace").splitlines() if line.strip()]
    if not lines:
        return Outcome("Dropped")
    try:
        documents = _lines(parse_event(line) for line in lines)
    except EventFormatError as error:
        LOGGER.warning("decision event rejected: %s", error)
        return Outcome("ProcessingFailed")
    return Outcome("Ok", documents[0], tuple(documents[1:]))


def _envelope(data: bytes) -> Outcome:
    try:
        envelope = json.loads(gzip.decompress(data))
    except (OSError, EOFError, ValueError) as error:
        LOGGER.warning("unreadable CloudWatch Logs envelope: %s", error)
        return Outcome("ProcessingFailed")
    if not isinstance(envelope, Mapping) or envelope.get("messageType") != "DATA_MESSAGE":
        # CONTROL_MESSAGE: CloudWatch Logs checking that the destination is reachable.
        return Outcome("Dropped")
    events: list[DecisionEvent] = []
    rejected = 0
    for log_event in envelope.get("logEvents") or []:
        try:
            events.append(parse_event(str(log_event.get("message", ""))))
        except EventFormatError as error:
            rejected += 1
            LOGGER.warning("log line is not a decision event, id=%s: %s", log_event.get("id"), error)
    if not events:
        return Outcome("ProcessingFailed" if rejected else "Dropped")
    documents = _lines(events)
    return Outcome("Ok", documents[0], tuple(documents[1:]))


def transform(event: Mapping[str, Any], firehose: FirehoseClient | None = None) -> dict[str, Any]:
    """The transformation's answer to Firehose's invocation ``event``; puts spilled events back."""
    output: list[dict[str, str]] = []
    spilled: list[str] = []
    for record in event.get("records") or []:
        try:
            outcome = transform_record(base64.b64decode(record["data"], validate=True))
        except (binascii.Error, ValueError):
            outcome = Outcome("ProcessingFailed")
        if outcome.result == "Ok":
            data = base64.b64encode(outcome.document.encode()).decode()
        else:
            data = record.get("data", "")
        output.append({"recordId": record["recordId"], "result": outcome.result, "data": data})
        spilled += outcome.spill
    if spilled:
        _put_back(spilled, str(event.get("deliveryStreamArn", "")), firehose or _firehose_client())
    return {"records": output}


def _put_back(documents: list[str], stream_arn: str, firehose: FirehoseClient) -> None:
    stream = stream_arn.rsplit("/", 1)[-1]
    for start in range(0, len(documents), FIREHOSE_MAX_BATCH_RECORDS):
        batch = documents[start : start + FIREHOSE_MAX_BATCH_RECORDS]
        response = firehose.put_record_batch(
            DeliveryStreamName=stream, Records=[{"Data": document.encode()} for document in batch]
        )
        if response.get("FailedPutCount"):
            # Raising makes Firehose retry the whole invocation, so no event is lost.
            raise RedeliveryError(
                f"Firehose refused re-put decision events, failed={response['FailedPutCount']}, "
                f"stream={stream}; Firehose retries the invocation (check the stream's throughput)"
            )


def _firehose_client() -> FirehoseClient:
    import boto3  # type: ignore[import-untyped]  # boto3 ships no type hints

    client: FirehoseClient = boto3.client("firehose")
    return client


@LOGGER.inject_lambda_context(correlation_id_path=FIREHOSE_INVOCATION_ID)
@TRACER.capture_lambda_handler(capture_response=False)
def handler(event: Mapping[str, Any], lambda_context: Any) -> dict[str, Any]:
    """Firehose's transformation entry point."""
    return transform(event)
