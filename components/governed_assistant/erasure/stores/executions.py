"""The tenant's Step Functions executions still running: stopped before the tables are emptied.

An execution's input is ``{jobId, context, message}`` (``handlers.jobstart``), with the verified
context's ``tenantId``; the running executions are listed and each one whose input names the
tenant exactly is stopped (``StopExecution``, error ``TenantErased``). Otherwise a step still
running would write the job or a new approval back after the erasure. Stopped or finished
executions keep their history (input included) for Step Functions' 90 days after they close:
no API deletes it.
"""

from __future__ import annotations

import json
from typing import Any, Final

STOP_ERROR: Final = "TenantErased"


class ExecutionsEraser:
    """Stops the running executions of ``state_machine_arn`` whose input is the tenant's."""

    note = "stopped; their history stays 90 days (Step Functions deletes it, no API does)"
    halts_on_error = True

    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._client = client
        self.state_machine_arn = state_machine_arn
        self.store = f"running executions of {state_machine_arn.rsplit(':', 1)[-1]}"

    def running(self, tenant_id: str) -> list[str]:
        arns = []
        pages = self._client.get_paginator("list_executions").paginate(
            stateMachineArn=self.state_machine_arn, statusFilter="RUNNING"
        )
        for page in pages:
            for execution in page.get("executions", []):
                described = self._client.describe_execution(executionArn=execution["executionArn"])
                if described.get("status") == "RUNNING" and _tenant_of(described.get("input")) == tenant_id:
                    arns.append(execution["executionArn"])
        return arns

    def count(self, tenant_id: str) -> int:
        return len(self.running(tenant_id))

    def erase(self, tenant_id: str) -> int:
        stopped = 0
        for arn in self.running(tenant_id):
            self._client.stop_execution(
                executionArn=arn, error=STOP_ERROR, cause="The tenant's data was erased by an operator."
            )
            stopped += 1
        return stopped


def _tenant_of(raw: str | None) -> str | None:
    """The input's ``context.tenantId``, parsed (never matched as text), or None."""
    try:
        document = json.loads(raw or "")
    except ValueError:
        return None
    context = document.get("context") if isinstance(document, dict) else None
    tenant = context.get("tenantId") if isinstance(context, dict) else None
    return tenant if isinstance(tenant, str) else None
