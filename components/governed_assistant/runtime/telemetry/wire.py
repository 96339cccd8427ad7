"""A DecisionEvent on the wire: camelCase plus OpenTelemetry GenAI names, one JSON object per line.

``to_wire`` is what lands in the log, in Firehose and in OpenSearch; ``from_wire`` reads it back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from governed_assistant.contracts import DECISION_EVENT_SCHEMA_VERSION, DecisionEvent
from governed_assistant.runtime.telemetry.exceptions import EventFormatError


def to_wire(event: DecisionEvent) -> dict[str, Any]:
    """The event as the JSON document every sink writes (``schemaVersion``, ``gen_ai.request.model``...)."""
    return event.model_dump(mode="json", by_alias=True)


def to_json_line(event: DecisionEvent) -> str:
    """The event as one compact JSON line, without the newline."""
    return json.dumps(to_wire(event), separators=(",", ":"), ensure_ascii=False)


def from_wire(document: Mapping[str, Any] | str) -> DecisionEvent:
    """A DecisionEvent from its wire form (a dict or a JSON line); ``EventFormatError`` if it is not one."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as error:
            raise EventFormatError(f"Decision event line is not JSON, error={error}") from error
    if not isinstance(document, Mapping):
        raise EventFormatError(f"Decision event is not a JSON object, type={type(document).__name__}")
    version = document.get("schemaVersion")
    if not isinstance(version, int) or not 1 <= version <= DECISION_EVENT_SCHEMA_VERSION:
        raise EventFormatError(
            f"Unsupported decision event schema, schemaVersion={version!r}, "
            f"supported=1..{DECISION_EVENT_SCHEMA_VERSION}; update the template (copier update) to read it"
        )
    try:
        return DecisionEvent.model_validate(document)
    except ValidationError as error:
        raise EventFormatError(
            f"Not a valid decision event, eventId={document.get('eventId')!r}, "
            f"errors={error.error_count()}: {error.errors()[0]['msg']}"
        ) from error
