"""Holding an API's answers to its OpenAPI document: the status must be listed for the route, the
content type documented for that status, and the body valid against its schema (JSON Schema 2020-12,
the document's dialect, ``$ref`` resolved within the document); an event stream's every event data
against the schema the document names for that event."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from governed_assistant.handlers.openapi import EVENTS_EXTENSION
from governed_assistant.handlers.responses import EVENT_STREAM_TYPE, JSON_TYPE
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

# The document's URI inside the registry: every "#/components/..." resolves against it.
DOCUMENT_URI = "urn:governed-assistant:openapi"


class ContractViolationError(AssertionError):
    """When an answer is not one the OpenAPI document describes for its route."""


class ResponseChecker:
    """Checks ``(route, status, headers, body)`` against ``document``; raises ContractViolationError."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(dict(document), default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)

    def check(self, route: str, status: int, headers: Mapping[str, str], body: bytes) -> None:
        method, path = route.split(" ", 1)
        operation = self.document["paths"][path][method.lower()]
        responses = operation["responses"]
        where = f"{route} answered {status}"
        if str(status) not in responses:
            raise ContractViolationError(
                f"{where}, a status the document does not list ({sorted(responses)}): {body!r}"
            )
        content = responses[str(status)].get("content")
        if not content:
            if body:
                raise ContractViolationError(f"{where} with a body the document does not have: {body!r}")
            return
        lowered = {name.lower(): value for name, value in headers.items()}
        media = lowered.get("content-type", "").split(";", 1)[0].strip().lower()
        if media not in content:
            raise ContractViolationError(
                f"{where} as {media or 'no content type'}; documented: {sorted(content)}"
            )
        pointer = "/".join(
            ["", "paths", _escape(path), method.lower(), "responses", str(status), "content", _escape(media)]
        )
        if media == JSON_TYPE:
            self._validate(json.loads(body), f"{pointer}/schema", where)
        elif media == EVENT_STREAM_TYPE:
            events = content[media][EVENTS_EXTENSION]
            for name, data in sse_events(body):
                if name not in events:
                    raise ContractViolationError(f"{where} with event {name!r}; documented: {sorted(events)}")
                self._validate(json.loads(data), f"{pointer}/{EVENTS_EXTENSION}/{_escape(name)}", where)

    def _validate(self, instance: Any, pointer: str, where: str) -> None:
        validator = Draft202012Validator(
            {"$ref": f"{DOCUMENT_URI}#{pointer}"},
            registry=self._registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        errors = sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))
        if errors:
            problems = "; ".join(
                f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}" for e in errors
            )
            raise ContractViolationError(
                f"{where} with a body its schema refuses: {problems}; body={instance!r}"
            )


def sse_events(body: bytes) -> list[tuple[str, str]]:
    """``(event name, data)`` of each event of a ``text/event-stream`` body (comments, retry lines: none)."""
    events = []
    for block in body.decode("utf-8").replace("\r\n", "\n").split("\n\n"):
        fields = [line.split(":", 1) for line in block.split("\n") if line and not line.startswith(":")]
        values = {name: value.removeprefix(" ") for name, value in (f for f in fields if len(f) == 2)}
        if "data" in values:
            events.append((values.get("event", "message"), values["data"]))
    return events


def _escape(token: str) -> str:
    """A JSON pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")
