"""An approval store in a dict: the same rules as DynamoDB, for tests and the local stack."""

from __future__ import annotations

import threading
from datetime import datetime

from governed_assistant.runtime.approvals.base import Clock
from governed_assistant.runtime.approvals.exceptions import ApprovalExistsError
from governed_assistant.runtime.approvals.models import ApprovalStatus, ApprovalView
from governed_assistant.runtime.approvals.store import BaseApprovalStore, _utc_now


class InMemoryApprovalStore(BaseApprovalStore):
    """Approvals keyed by (tenant, approval id); a lock makes the conditional decision atomic."""

    def __init__(self, *, clock: Clock = _utc_now) -> None:
        super().__init__(clock=clock)
        self._records: dict[tuple[str, str], tuple[ApprovalView, str]] = {}
        self._lock = threading.Lock()

    def _insert(self, view: ApprovalView, task_token: str) -> None:
        key = (view.tenant_id, view.approval_id)
        with self._lock:
            if key in self._records:
                raise ApprovalExistsError(view.approval_id)
            self._records[key] = (view, task_token)

    def _load(self, tenant_id: str, approval_id: str) -> tuple[ApprovalView, str] | None:
        with self._lock:
            return self._records.get((tenant_id, approval_id))

    def _list_pending(self, tenant_id: str) -> list[ApprovalView]:
        with self._lock:
            return [
                view
                for (tenant, _), (view, _token) in self._records.items()
                if tenant == tenant_id and view.status == "pending"
            ]

    def _close(
        self,
        view: ApprovalView,
        status: ApprovalStatus,
        decided_by: str,
        decided_at: datetime,
        reason: str | None,
        *,
        unexpired_at: datetime | None,
    ) -> ApprovalView | None:
        key = (view.tenant_id, view.approval_id)
        with self._lock:
            found = self._records.get(key)
            if found is None or found[0].status != "pending":
                return None
            current, token = found
            if unexpired_at is not None and current.expires_at <= unexpired_at:
                return None
            closed = current.model_copy(
                update={
                    "status": status,
                    "decided_by": decided_by,
                    "decided_at": decided_at,
                    "reason": reason,
                }
            )
            self._records[key] = (closed, token)
        return closed
