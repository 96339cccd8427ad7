"""The approval store on DynamoDB: ``pk = <tenant>#approval``, ``sk = <approval_id>``.

The task token is written once and read only by ``decide``; listing projects it away, so it is
not even fetched. A decision is one ``UpdateItem`` conditional on ``status = pending`` and the
deadline not having passed: of two racing decisions, exactly one is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from governed_assistant.runtime.approvals.base import Clock
from governed_assistant.runtime.approvals.constants import (
    APPROVALS_PARTITION_SUFFIX,
    DEFAULT_RETENTION_SECONDS,
    KEY_SEPARATOR,
    TTL_ATTRIBUTE,
    approvals_table_name,
)
from governed_assistant.runtime.approvals.exceptions import ApprovalExistsError, InvalidApprovalError
from governed_assistant.runtime.approvals.models import ApprovalStatus, ApprovalView
from governed_assistant.runtime.approvals.store import BaseApprovalStore, _utc_now

_VIEW_ATTRIBUTES = (
    "approvalId", "jobId", "tenantId", "requestedBy", "summary", "details", "status", "requestedAt",
    "deadline", "decidedBy", "decidedAt", "reason",
)  # fmt: skip


class DynamoDBApprovalStore(BaseApprovalStore):
    """Approvals in the execution layer's approvals table, through a boto3 DynamoDB client passed in."""

    def __init__(
        self,
        client: Any,
        table_name: str | None = None,
        *,
        clock: Clock = _utc_now,
        retention_seconds: int = DEFAULT_RETENTION_SECONDS,
    ) -> None:
        super().__init__(clock=clock)
        self._client = client
        self.table_name = approvals_table_name(table_name)
        self._retention = timedelta(seconds=retention_seconds)

    def _insert(self, view: ApprovalView, task_token: str) -> None:
        item = {
            **_key(view.tenant_id, view.approval_id),
            "approvalId": {"S": view.approval_id},
            "jobId": {"S": view.job_id},
            "tenantId": {"S": view.tenant_id},
            "requestedBy": {"S": view.requested_by},
            "summary": {"S": view.summary},
            "details": {"S": json.dumps(view.details, separators=(",", ":"), sort_keys=True)},
            "status": {"S": view.status},
            "requestedAt": {"S": view.requested_at.isoformat()},
            "deadline": {"S": view.expires_at.isoformat()},
            "deadlineEpochMs": {"N": str(_epoch_ms(view.expires_at))},
            "taskToken": {"S": task_token},
            TTL_ATTRIBUTE: {"N": str(int((view.expires_at + self._retention).timestamp()))},
        }
        try:
            self._client.put_item(
                TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except self._client.exceptions.ConditionalCheckFailedException as error:
            raise ApprovalExistsError(view.approval_id) from error

    def _load(self, tenant_id: str, approval_id: str) -> tuple[ApprovalView, str] | None:
        response = self._client.get_item(
            TableName=self.table_name, Key=_key(tenant_id, approval_id), ConsistentRead=True
        )
        item = response.get("Item")
        return (_view(item), item["taskToken"]["S"]) if item else None

    def _list_pending(self, tenant_id: str) -> list[ApprovalView]:
        names = {f"#a{index}": name for index, name in enumerate(_VIEW_ATTRIBUTES)} | {"#status": "status"}
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "FilterExpression": "#status = :pending",
            # The task token is not projected: a listing never even reads it.
            "ProjectionExpression": ", ".join(name for name in names if name != "#status"),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {":pk": {"S": _partition(tenant_id)}, ":pending": {"S": "pending"}},
            "ConsistentRead": True,
        }
        views: list[ApprovalView] = []
        while True:
            response = self._client.query(**request)
            views.extend(_view(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return views
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

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
        # Every attribute through a placeholder: status (and maybe others) are DynamoDB reserved words.
        names = {"#status": "status", "#by": "decidedBy", "#at": "decidedAt"}
        values = {
            ":pending": {"S": "pending"},
            ":status": {"S": status},
            ":by": {"S": decided_by},
            ":at": {"S": decided_at.isoformat()},
        }
        assignments = "#status = :status, #by = :by, #at = :at"
        condition = "attribute_exists(pk) AND #status = :pending"
        if reason is not None:
            assignments += ", #reason = :reason"
            names["#reason"] = "reason"
            values[":reason"] = {"S": reason}
        if unexpired_at is not None:
            condition += " AND #deadline > :now"
            names["#deadline"] = "deadlineEpochMs"
            values[":now"] = {"N": str(_epoch_ms(unexpired_at))}
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key=_key(view.tenant_id, view.approval_id),
                UpdateExpression=f"SET {assignments}",
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return _view(response["Attributes"])


def _partition(tenant_id: str) -> str:
    if not tenant_id or KEY_SEPARATOR in tenant_id:
        raise InvalidApprovalError("tenant_id", tenant_id, "must be non-empty and hold no '#'")
    return f"{tenant_id}{KEY_SEPARATOR}{APPROVALS_PARTITION_SUFFIX}"


def _key(tenant_id: str, approval_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": _partition(tenant_id)}, "sk": {"S": approval_id}}


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _view(item: Mapping[str, Any]) -> ApprovalView:
    def text(name: str) -> str | None:
        value = item.get(name)
        return str(value["S"]) if value else None

    decided_at = text("decidedAt")
    return ApprovalView(
        approval_id=item["approvalId"]["S"],
        job_id=item["jobId"]["S"],
        tenant_id=item["tenantId"]["S"],
        requested_by=item["requestedBy"]["S"],
        summary=item["summary"]["S"],
        details=json.loads(item["details"]["S"]),
        status=item["status"]["S"],
        requested_at=datetime.fromisoformat(item["requestedAt"]["S"]),
        expires_at=datetime.fromisoformat(item["deadline"]["S"]),
        decided_by=text("decidedBy"),
        decided_at=datetime.fromisoformat(decided_at) if decided_at else None,
        reason=text("reason"),
    )
