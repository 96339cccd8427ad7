"""Decision events Firehose could not index, kept in the stack's failed-events bucket.

Firehose writes them as gzip'd objects of JSON lines, one per failed record, with the record's
bytes base64-encoded in ``rawData``: either a decision event (a document OpenSearch refused) or a
CloudWatch Logs envelope, itself gzip'd JSON whose ``logEvents`` messages are decision events (a
record the transformation could not process). One object holds records of many tenants, so a
tenant's events cannot be deleted by key: each object is read, the tenant's events are taken out
(a whole record, or the envelope's log events that are the tenant's), and the object is written
back without them. The bucket is versioned, so every version that held them is then deleted by
version id: Firehose never writes a key twice, so the only earlier versions are ones an erasure
wrote, and the rewritten current version keeps every other tenant's events.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

GZIP_MAGIC: Final = b"\x1f\x8b"


def _documents(value: Any) -> Iterator[Mapping[str, Any]]:
    """Every JSON object in ``value``, a Lambda JSON log record's ``message`` included."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return
    if isinstance(value, Mapping):
        yield value
        yield from _documents(value.get("message"))


def names_tenant(message: Any, tenant_id: str) -> bool:
    """Whether a decision event's JSON (or a log record wrapping one) is the tenant's."""
    return any(document.get("tenantId") == tenant_id for document in _documents(message))


def _decoded(raw: str) -> bytes | None:
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def _without_tenant(data: bytes, tenant_id: str) -> tuple[bytes | None, int]:
    """A failed record's bytes without the tenant's events, and how many went; None: none are left."""
    if data.startswith(GZIP_MAGIC):
        try:
            envelope = json.loads(gzip.decompress(data))
        except (OSError, EOFError, ValueError):
            return data, 0
        events = envelope.get("logEvents") if isinstance(envelope, dict) else None
        if not isinstance(events, list):
            return data, 0
        kept = [event for event in events if not names_tenant(event.get("message"), tenant_id)]
        removed = len(events) - len(kept)
        if not removed:
            return data, 0
        if not kept:
            return None, removed
        return gzip.compress(json.dumps({**envelope, "logEvents": kept}).encode(), mtime=0), removed
    lines = data.decode("utf-8", errors="replace").splitlines()
    kept_lines = [line for line in lines if not names_tenant(line, tenant_id)]
    removed = len(lines) - len(kept_lines)
    if not removed:
        return data, 0
    if not any(line.strip() for line in kept_lines):
        return None, removed
    return "\n".join(kept_lines).encode() + b"\n", removed


@dataclass(frozen=True)
class Filtered:
    """One stored object without the tenant's events: its new body (None: nothing left) and the count."""

    body: bytes | None
    removed: int


def filter_object(body: bytes, tenant_id: str) -> Filtered:
    """A failed-events object (gzip'd or not) without the tenant's events."""
    compressed = body.startswith(GZIP_MAGIC)
    text = (gzip.decompress(body) if compressed else body).decode("utf-8", errors="replace")
    kept: list[str] = []
    removed = 0
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            kept.append(line)
            continue
        data = _decoded(record.get("rawData", "")) if isinstance(record, dict) else None
        if data is None:
            kept.append(line)
            continue
        remaining, count = _without_tenant(data, tenant_id)
        removed += count
        if remaining is not None:
            kept.append(
                line if not count else json.dumps({**record, "rawData": base64.b64encode(remaining).decode()})
            )
    if not removed:
        return Filtered(body, 0)
    if not kept:
        return Filtered(None, removed)
    rewritten = ("\n".join(kept) + "\n").encode()
    return Filtered(gzip.compress(rewritten, mtime=0) if compressed else rewritten, removed)


class FailedEventsEraser:
    """The tenant's events in every version of every object of the failed-events bucket."""

    note = "objects rewritten without the tenant's events; every version that held them deleted"

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket
        self.store = f"failed decision events bucket {bucket}"

    def _versions(self) -> Iterator[dict[str, Any]]:
        for page in self._client.get_paginator("list_object_versions").paginate(Bucket=self.bucket):
            yield from page.get("Versions", [])

    def _affected(self, tenant_id: str) -> list[tuple[dict[str, Any], Filtered]]:
        found = []
        for version in self._versions():
            body = self._client.get_object(
                Bucket=self.bucket, Key=version["Key"], VersionId=version["VersionId"]
            )
            filtered = filter_object(body["Body"].read(), tenant_id)
            if filtered.removed:
                found.append((version, filtered))
        return found

    def count(self, tenant_id: str) -> int:
        return sum(filtered.removed for _, filtered in self._affected(tenant_id))

    def erase(self, tenant_id: str) -> int:
        erased = 0
        for version, filtered in self._affected(tenant_id):
            key = version["Key"]
            # The current version is written back first, without the tenant's events, so the other
            # tenants' stay readable; then the version that held them goes, by id.
            if version.get("IsLatest") and filtered.body is not None:
                self._client.put_object(Bucket=self.bucket, Key=key, Body=filtered.body)
            self._client.delete_object(Bucket=self.bucket, Key=key, VersionId=version["VersionId"])
            erased += filtered.removed
        return erased
