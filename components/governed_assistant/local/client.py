"""A small HTTP client of the assistant's API, as a user's front end would call it.

The demo and the end-to-end tests go through it, so every scenario crosses real HTTP: the
token in the ``Authorization`` header, JSON bodies, the SSE stream read line by line.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from governed_assistant.errors import GovernanceError

TERMINAL: Final = frozenset({"complete", "failed", "rejected"})
DEFAULT_TIMEOUT_SECONDS: Final = 120.0


class ApiCallError(GovernanceError):
    """When the API answers a call with a status the caller did not expect."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        super().__init__(f"{method} {path} answered status={status} body={body!r}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Response:
    status: int
    body: Any


@dataclass(frozen=True)
class SseEvent:
    id: str | None
    event: str
    data: Any


class ApiClient:
    """Calls ``base_url`` as the holder of ``token``."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout

    def request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Response:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self._base + path, data=data, method=method)  # noqa: S310 - http(s) base
        request.add_header("Authorization", f"Bearer {self._token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:  # noqa: S310 - our own URL
                return Response(answer.status, _json(answer.read()))
        except urllib.error.HTTPError as error:
            return Response(error.code, _json(error.read()))

    def expect(self, status: int, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """The body of a call that must answer ``status``; ``ApiCallError`` otherwise."""
        answer = self.request(method, path, body)
        if answer.status != status:
            raise ApiCallError(method, path, answer.status, answer.body)
        return answer.body

    def send(self, message: str) -> Response:
        return self.request("POST", "/messages", {"message": message})

    def job(self, job_id: str) -> dict[str, Any]:
        job: dict[str, Any] = self.expect(200, "GET", f"/jobs/{job_id}")
        return job

    def wait(
        self, job_id: str, *, until: frozenset[str] = TERMINAL, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> dict[str, Any]:
        """Poll the job until its status is in ``until``; ``TimeoutError`` names the last status seen."""
        deadline = time.monotonic() + timeout
        job = self.job(job_id)
        while job["status"] not in until:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"job {job_id} still {job['status']} (stage {job['stage']}) after {timeout:.0f} s"
                )
            time.sleep(0.2)
            job = self.job(job_id)
        return job

    def approvals(self) -> list[dict[str, Any]]:
        approvals: list[dict[str, Any]] = self.expect(200, "GET", "/approvals")["approvals"]
        return approvals

    def decide(self, approval_id: str, decision: str) -> Response:
        return self.request("POST", f"/approvals/{approval_id}", {"decision": decision})

    def stream(self, job_id: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Iterator[SseEvent]:
        """The job's progress from ``GET /jobs/{id}/events`` as it arrives, until the stream ends."""
        request = urllib.request.Request(f"{self._base}/jobs/{job_id}/events")  # noqa: S310 - http(s) base
        request.add_header("Authorization", f"Bearer {self._token}")
        request.add_header("Accept", "text/event-stream")
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - our own URL
            fields: dict[str, str] = {}
            for raw in answer:
                line = raw.decode().rstrip("\r\n")
                if line:
                    name, _, value = line.partition(":")
                    fields[name] = fields.get(name, "") + value.removeprefix(" ")
                    continue
                if "data" in fields:
                    yield SseEvent(
                        fields.get("id"), fields.get("event", "message"), _json(fields["data"].encode())
                    )
                fields = {}


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
