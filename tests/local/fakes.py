"""Small stand-ins for the project's handlers, registered by function name on a local stack.

They use the real runtime where it matters to the stack (claims from the API Gateway event, the
event bus and telemetry found through the environment the stack set), and nothing else.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3
from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.identity import context_from_api_gateway
from governed_assistant.runtime.telemetry import recorder_from_env
from governed_assistant.wire import ENV_EVENT_BUS, JOB_ACCEPTED_DETAIL_TYPE, JOB_EVENT_SOURCE

PROPOSAL = {
    "actionType": "update_ticket_status",
    "resourceId": "acme-ticket-1",
    "tenantId": "acme",
    "parameters": {"status": "solved", "note": None},
}


@dataclass
class FakeAssistant:
    """Jobs and their SSE events in memory; one handler per function name."""

    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handlers(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "reason": self.reason,
            "gate": self.step("gate", {"outcome": "allow", "risk": 0.2, "reasons": []}),
            "execute": self.step("execute", {"ok": True}),
            "guardrail_output": self.step("guardrail_output", {"text": "done"}),
            "respond": self.respond,
        }

    def _emit(self, job_id: str, stage: str) -> None:
        with self.lock:
            events = self.events.setdefault(job_id, [])
            events.append((str(len(events) + 1), stage))

    def step(self, stage: str, result: dict[str, Any]) -> Any:
        def handler(event: dict[str, Any], _: Any) -> dict[str, Any]:
            self._emit(event["jobId"], stage)
            return result

        return handler

    def reason(self, event: dict[str, Any], _: Any) -> dict[str, Any]:
        self._emit(event["jobId"], "reason")
        if event["message"] == "explode":
            raise RuntimeError("the reasoning step failed on purpose")
        return {"kind": "proposal", "proposal": PROPOSAL}

    def respond(self, event: dict[str, Any], _: Any) -> dict[str, Any]:
        state = event["state"]
        job_id = state["jobId"]
        context = TenantContext(
            tenant_id=state["context"]["tenantId"],
            user_id=state["context"]["userId"],
            roles=tuple(state["context"]["roles"]),
            request_id=state["context"]["requestId"],
        )
        recorder_from_env().record(job_id, context, "complete", event["outcome"], latency_ms=1.0)
        self._emit(job_id, "respond")
        status = "complete" if event["outcome"] == "complete" else "failed"
        with self.lock:
            self.jobs[job_id]["status"] = status
        return {"status": status}

    def api(self, event: dict[str, Any], _: Any) -> dict[str, Any]:
        context = context_from_api_gateway(event)
        route = event["routeKey"]
        if route == "POST /messages":
            job_id = uuid.uuid4().hex
            with self.lock:
                self.jobs[job_id] = {"jobId": job_id, "tenantId": context.tenant_id, "status": "accepted"}
            detail = {
                "jobId": job_id,
                "context": {
                    "tenantId": context.tenant_id,
                    "userId": context.user_id,
                    "roles": list(context.roles),
                    "requestId": context.request_id,
                },
                "message": json.loads(event["body"])["message"],
            }
            boto3.client("events").put_events(
                Entries=[
                    {
                        "Source": JOB_EVENT_SOURCE,
                        "DetailType": JOB_ACCEPTED_DETAIL_TYPE,
                        "Detail": json.dumps(detail),
                        "EventBusName": os.environ[ENV_EVENT_BUS],
                    }
                ]
            )
            body = {
                "jobId": job_id,
                "status": "accepted",
                "tenantId": context.tenant_id,
                "userId": context.user_id,
            }
            return {
                "statusCode": 202,
                "headers": {"content-type": "application/json"},
                "body": json.dumps(body),
            }
        job_id = event["pathParameters"]["id"]
        if route == "GET /jobs/{id}":
            return {"statusCode": 200, "body": json.dumps(self.jobs[job_id])}
        # Every event so far, Last-Event-ID ignored: the local API must not send any twice.
        with self.lock:
            lines = [
                f"id: {eid}\nevent: stage\ndata: {json.dumps({'stage': s})}\n\n"
                for eid, s in self.events.get(job_id, [])
            ]
        return {
            "statusCode": 200,
            "headers": {"content-type": "text/event-stream"},
            "body": ": job\n\n" + "".join(lines),
        }
