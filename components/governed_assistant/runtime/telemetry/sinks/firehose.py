"""Events straight to a Firehose delivery stream, batched with PutRecordBatch.

The deployed stack does not need this sink (the log sink plus a subscription filter reaches the
same stream without a Firehose permission); use it where there is no log group to subscribe to.

Each record is one event as a newline-terminated JSON line, so the delivered objects are
newline-delimited JSON. A batch is sent when it holds ``max_batch_records`` records or would
pass ``max_batch_bytes``, and on ``flush()`` - call it before the handler returns. Only the
records Firehose reports as failed are retried, a few times with a short backoff. Telemetry
never holds up a request: what cannot be sent is dropped, counted in ``dropped`` and logged,
and after Firehose failed outright the sink drops at once for ``cooldown_seconds``. Give the
client short timeouts and no retries of its own: ``Config(**FIREHOSE_CLIENT_CONFIG)``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from governed_assistant.contracts import DecisionEvent
from governed_assistant.runtime.telemetry.base import FirehoseClient, Monotonic, Sleep
from governed_assistant.runtime.telemetry.constants import (
    DEFAULT_FIREHOSE_BACKOFF_SECONDS,
    DEFAULT_FIREHOSE_COOLDOWN_SECONDS,
    DEFAULT_FIREHOSE_MAX_ATTEMPTS,
    FIREHOSE_MAX_BATCH_BYTES,
    FIREHOSE_MAX_BATCH_RECORDS,
    FIREHOSE_MAX_RECORD_BYTES,
    FIREHOSE_RETRYABLE_ERROR_CODES,
)
from governed_assistant.runtime.telemetry.exceptions import TelemetryConfigError
from governed_assistant.runtime.telemetry.wire import to_json_line
from governed_assistant.wire import ENV_TELEMETRY_STREAM

_LOGGER = logging.getLogger(__name__)
CONNECTION_ERROR: str = "ConnectionError"


class FirehoseSink:
    """Sends events to ``delivery_stream`` (default $GOVERNED_TELEMETRY_STREAM); never raises."""

    def __init__(
        self,
        client: FirehoseClient,
        delivery_stream: str | None = None,
        *,
        max_batch_records: int = FIREHOSE_MAX_BATCH_RECORDS,
        max_batch_bytes: int = FIREHOSE_MAX_BATCH_BYTES,
        max_attempts: int = DEFAULT_FIREHOSE_MAX_ATTEMPTS,
        backoff_seconds: float = DEFAULT_FIREHOSE_BACKOFF_SECONDS,
        cooldown_seconds: float = DEFAULT_FIREHOSE_COOLDOWN_SECONDS,
        sleep: Sleep = time.sleep,
        monotonic: Monotonic = time.monotonic,
        logger: logging.Logger | None = None,
    ) -> None:
        stream = delivery_stream or os.environ.get(ENV_TELEMETRY_STREAM)
        if not stream:
            raise TelemetryConfigError(
                f"No Firehose delivery stream configured, delivery_stream=None, env={ENV_TELEMETRY_STREAM}; "
                f"pass delivery_stream or set {ENV_TELEMETRY_STREAM}"
            )
        if not 1 <= max_batch_records <= FIREHOSE_MAX_BATCH_RECORDS:
            raise TelemetryConfigError(
                f"Batch size out of range, max_batch_records={max_batch_records}; "
                f"use 1..{FIREHOSE_MAX_BATCH_RECORDS} (the PutRecordBatch limit)"
            )
        if not FIREHOSE_MAX_RECORD_BYTES <= max_batch_bytes <= FIREHOSE_MAX_BATCH_BYTES:
            raise TelemetryConfigError(
                f"Batch bytes out of range, max_batch_bytes={max_batch_bytes}; "
                f"use {FIREHOSE_MAX_RECORD_BYTES}..{FIREHOSE_MAX_BATCH_BYTES}"
            )
        if max_attempts < 1:
            raise TelemetryConfigError(f"Attempts must be at least 1, max_attempts={max_attempts}")
        self.delivery_stream = stream
        self.sent = 0
        self.dropped = 0
        self._client = client
        self._max_records = max_batch_records
        self._max_bytes = max_batch_bytes
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._cooldown = cooldown_seconds
        self._sleep = sleep
        self._monotonic = monotonic
        self._logger = logger or _LOGGER
        self._lock = threading.Lock()
        self._buffer: list[bytes] = []
        self._buffer_bytes = 0
        self._down_until = float("-inf")

    def emit(self, event: DecisionEvent) -> None:
        data = (to_json_line(event) + "\n").encode()
        if len(data) > FIREHOSE_MAX_RECORD_BYTES:
            self._drop(1, f"record_too_large bytes={len(data)} eventId={event.event_id}")
            return
        with self._lock:
            if self._buffer_bytes + len(data) > self._max_bytes:
                self._send(self._take())
            self._buffer.append(data)
            self._buffer_bytes += len(data)
            if len(self._buffer) >= self._max_records:
                self._send(self._take())

    def flush(self) -> None:
        with self._lock:
            self._send(self._take())

    def _take(self) -> list[bytes]:
        batch, self._buffer, self._buffer_bytes = self._buffer, [], 0
        return batch

    def _send(self, records: list[bytes]) -> None:
        if not records:
            return
        if self._monotonic() < self._down_until:
            self._drop(len(records), "firehose_unavailable (cooling down after a failure)")
            return
        pending, codes = records, ""
        for attempt in range(self._max_attempts):
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            try:
                response = self._client.put_record_batch(
                    DeliveryStreamName=self.delivery_stream, Records=[{"Data": data} for data in pending]
                )
            except Exception as error:
                codes = error_code(error) or type(error).__name__
                if codes in FIREHOSE_RETRYABLE_ERROR_CODES:
                    continue
                if codes == CONNECTION_ERROR:
                    self._down_until = self._monotonic() + self._cooldown
                break
            failed, codes = _failed_records(pending, response)
            self.sent += len(pending) - len(failed)
            pending = failed
            if not pending:
                return
        else:
            if codes in FIREHOSE_RETRYABLE_ERROR_CODES:
                # Every attempt failed as a whole: Firehose is down, stop waiting on it for a while.
                self._down_until = self._monotonic() + self._cooldown
        self._drop(len(pending), codes)

    def _drop(self, count: int, reason: str) -> None:
        self.dropped += count
        self._logger.warning(
            "Dropped decision events, count=%d, stream=%s, reason=%s, dropped_total=%d; check the "
            "delivery stream's status and the function's firehose:PutRecordBatch permission",
            count, self.delivery_stream, reason, self.dropped,
        )  # fmt: skip


def _failed_records(pending: list[bytes], response: Mapping[str, Any]) -> tuple[list[bytes], str]:
    """The records a PutRecordBatch response reports as failed, and their error codes."""
    if not response.get("FailedPutCount"):
        return [], ""
    failed: list[bytes] = []
    codes: dict[str, int] = {}
    for data, result in zip(pending, response.get("RequestResponses", ()), strict=False):
        code = result.get("ErrorCode") if isinstance(result, Mapping) else None
        if code:
            failed.append(data)
            codes[code] = codes.get(code, 0) + 1
    return failed, ",".join(f"{code}x{count}" for code, count in sorted(codes.items()))


def error_code(error: Exception) -> str | None:
    """The AWS error code of a botocore exception, ``ConnectionError`` for an unreachable endpoint.

    Duck-typed, so botocore (which ships no type hints) need not be imported.
    """
    response = getattr(error, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        return str(response["Error"].get("Code") or "Unknown")
    if any(
        cls.__module__ == "botocore.exceptions" and cls.__name__ in ("ConnectionError", "HTTPClientError")
        for cls in type(error).__mro__
    ):
        return CONNECTION_ERROR
    return None
