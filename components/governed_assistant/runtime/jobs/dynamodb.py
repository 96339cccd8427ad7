"""The job store on DynamoDB: ``pk = <tenant>#<job>``, ``sk = "job"``, TTL ``expiresAt``.

Every status change is one ``UpdateItem`` whose ``ConditionExpression`` names the statuses the
target may follow, so two concurrent writers cannot break the state machine, and a terminal job
never changes. On a refused write, ``ReturnValuesOnConditionCheckFailure`` tells which status
the job was in, without a ``GetItem`` (the execution steps may only ``UpdateItem``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from governed_assistant.contracts import GateOutcome, Job, JobStatus, TenantContext
from governed_assistant.runtime.jobs.authority import (
    APPROVAL_RECORDABLE_STATUSES,
    DECIDABLE_STATUSES,
    check_approval,
    check_decision,
)
from governed_assistant.runtime.jobs.base import Clock, TenantScopedReads, accepted_job
from governed_assistant.runtime.jobs.constants import (
    DEFAULT_RETENTION_SECONDS,
    INITIAL_STAGE,
    JOB_SORT_KEY,
    PROGRESS_ATTRIBUTE,
    TTL_ATTRIBUTE,
    jobs_table_name,
)
from governed_assistant.runtime.jobs.exceptions import DecisionConflictError, JobExistsError, JobNotFoundError
from governed_assistant.runtime.jobs.progress import ProgressEntry, entries_from_records, progress_record
from governed_assistant.runtime.jobs.transitions import (
    NON_TERMINAL_STATUSES,
    check_transition,
    is_job_id,
    job_pk,
    sources,
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DynamoDBJobStore(TenantScopedReads):
    """Jobs in the execution layer's jobs table, through a boto3 DynamoDB client passed in."""

    def __init__(
        self,
        client: Any,
        table_name: str | None = None,
        *,
        clock: Clock = _utc_now,
        retention_seconds: int = DEFAULT_RETENTION_SECONDS,
    ) -> None:
        self._client = client
        self.table_name = jobs_table_name(table_name)
        self._clock = clock
        self._retention = timedelta(seconds=retention_seconds)

    def create(self, context: TenantContext, *, stage: str = INITIAL_STAGE, job_id: str | None = None) -> Job:
        now = self._clock()
        job = accepted_job(context, stage, now, job_id)
        job_id = job.job_id
        item = {
            **self._key(context.tenant_id, job_id),
            "jobId": {"S": job_id},
            "tenantId": {"S": job.tenant_id},
            "userId": {"S": job.user_id},
            "roles": {"L": [{"S": role} for role in job.roles]},
            "status": {"S": job.status},
            "stage": {"S": stage},
            "createdAt": {"S": now.isoformat()},
            "updatedAt": {"S": now.isoformat()},
            TTL_ATTRIBUTE: {"N": str(int((now + self._retention).timestamp()))},
            PROGRESS_ATTRIBUTE: {"L": [_progress_item(progress_record(stage, now, "accepted"))]},
        }
        try:
            self._client.put_item(
                TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except self._client.exceptions.ConditionalCheckFailedException as error:
            raise JobExistsError(job_id) from error
        return job

    def transition(
        self,
        tenant_id: str,
        job_id: str,
        status: JobStatus,
        stage: str,
        *,
        result: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> Job:
        changes: dict[str, dict[str, str]] = {"status": {"S": status}, "stage": {"S": stage}}
        if result is not None:
            changes["result"] = {"S": json.dumps(dict(result), separators=(",", ":"), sort_keys=True)}
        if error is not None:
            changes["error"] = {"S": error}
        return self._update(tenant_id, job_id, changes, allowed_from=sources(status), target=status)

    def record_decision(self, tenant_id: str, job_id: str, decision: GateOutcome, digest: str) -> Job:
        values = {":decision": {"S": decision}, ":digest": {"S": digest}}
        values |= {f":from{index}": {"S": status} for index, status in enumerate(DECIDABLE_STATUSES)}
        permitted = ", ".join(f":from{index}" for index in range(len(DECIDABLE_STATUSES)))
        old = self._record(
            tenant_id,
            job_id,
            "SET #decision = :decision, #digest = :digest, #updated = :now",
            f"attribute_exists(pk) AND #status IN ({permitted}) AND (attribute_not_exists(#decision) "
            "OR (#decision = :decision AND #digest = :digest))",
            {"#decision": "decision", "#digest": "proposalDigest"},
            values,
        )
        if isinstance(old, Job):
            return old
        check_decision(_job(old), decision, digest)
        # The condition and check_decision agree, so this is reached only if the job changed meanwhile.
        raise DecisionConflictError(job_id, "the job changed while the decision was recorded")

    def record_approval(self, tenant_id: str, job_id: str, approval_id: str) -> Job:
        statuses = APPROVAL_RECORDABLE_STATUSES
        values = {":approval": {"S": approval_id}, ":approve": {"S": "approve"}}
        values |= {f":from{index}": {"S": status} for index, status in enumerate(statuses)}
        permitted = ", ".join(f":from{index}" for index in range(len(statuses)))
        old = self._record(
            tenant_id,
            job_id,
            "SET #approval = :approval, #updated = :now",
            f"attribute_exists(pk) AND #status IN ({permitted}) AND #decision = :approve "
            "AND (attribute_not_exists(#approval) OR #approval = :approval)",
            {"#decision": "decision", "#approval": "approvalId"},
            values,
        )
        if isinstance(old, Job):
            return old
        check_approval(_job(old), approval_id)
        raise DecisionConflictError(job_id, "the job changed while the approval was recorded")

    def _record(
        self,
        tenant_id: str,
        job_id: str,
        update: str,
        condition: str,
        names: dict[str, str],
        values: dict[str, Any],
    ) -> Job | Mapping[str, Any]:
        """One conditional write: the job after it, or the item as it was when the condition failed."""
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key=self._key(tenant_id, job_id),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={**names, "#status": "status", "#updated": "updatedAt"},
                ExpressionAttributeValues={**values, ":now": {"S": self._clock().isoformat()}},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as refused:
            old: Mapping[str, Any] | None = refused.response.get("Item")
            if not old:
                raise JobNotFoundError(job_id) from refused
            return old
        return _job(response["Attributes"])

    def set_stage(self, tenant_id: str, job_id: str, stage: str) -> Job:
        return self._update(tenant_id, job_id, {"stage": {"S": stage}}, allowed_from=NON_TERMINAL_STATUSES)

    def _update(
        self,
        tenant_id: str,
        job_id: str,
        changes: dict[str, dict[str, str]],
        *,
        allowed_from: tuple[JobStatus, ...],
        target: JobStatus | None = None,
    ) -> Job:
        now = self._clock()
        changes = {**changes, "updatedAt": {"S": now.isoformat()}}
        names = {f"#f{index}": field for index, field in enumerate(changes)} | {"#status": "status"}
        values: dict[str, Any] = {f":v{index}": value for index, value in enumerate(changes.values())}
        values |= {f":from{index}": {"S": status} for index, status in enumerate(allowed_from)}
        # The progress entry is appended in the same conditional write: no entry without its change.
        names["#progress"] = PROGRESS_ATTRIBUTE
        values[":progress"] = {"L": [_progress_item(progress_record(changes["stage"]["S"], now, target))]}
        values[":noProgress"] = {"L": []}
        assignments = ", ".join(f"#f{index} = :v{index}" for index in range(len(changes)))
        assignments += ", #progress = list_append(if_not_exists(#progress, :noProgress), :progress)"
        permitted = ", ".join(f":from{index}" for index in range(len(allowed_from)))
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key=self._key(tenant_id, job_id),
                UpdateExpression=f"SET {assignments}",
                ConditionExpression=f"attribute_exists(pk) AND #status IN ({permitted})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as refused:
            old = refused.response.get("Item")
            if not old:
                raise JobNotFoundError(job_id) from refused
            current: JobStatus = old["status"]["S"]
            # The write was refused, so this raises: it names the status the job was really in.
            check_transition(job_id, current, target or current)
            raise  # pragma: no cover - the condition and check_transition agree
        return _job(response["Attributes"])

    def _find(self, tenant_id: str, job_id: str) -> Job | None:
        # Client-supplied ids that could not be ours are simply absent: no hint, no error type to probe.
        if not is_job_id(job_id):
            return None
        response = self._client.get_item(
            TableName=self.table_name, Key=self._key(tenant_id, job_id), ConsistentRead=True
        )
        item = response.get("Item")
        return _job(item) if item else None

    def _find_progress(self, tenant_id: str, job_id: str) -> tuple[Job, tuple[ProgressEntry, ...]] | None:
        if not is_job_id(job_id):
            return None
        response = self._client.get_item(
            TableName=self.table_name, Key=self._key(tenant_id, job_id), ConsistentRead=True
        )
        item = response.get("Item")
        if not item:
            return None
        records = [
            {key: value["S"] for key, value in entry["M"].items()}
            for entry in item.get(PROGRESS_ATTRIBUTE, {}).get("L", [])
        ]
        return _job(item), entries_from_records(records)

    @staticmethod
    def _key(tenant_id: str, job_id: str) -> dict[str, dict[str, str]]:
        return {"pk": {"S": job_pk(tenant_id, job_id)}, "sk": {"S": JOB_SORT_KEY}}


def _progress_item(record: Mapping[str, str]) -> dict[str, Any]:
    return {"M": {key: {"S": value} for key, value in record.items()}}


def _job(item: Mapping[str, Any]) -> Job:
    result = item.get("result")
    error = item.get("error")

    def text(name: str) -> Any:
        value = item.get(name)
        return value["S"] if value else None

    return Job(
        job_id=item["jobId"]["S"],
        tenant_id=item["tenantId"]["S"],
        user_id=item["userId"]["S"],
        roles=tuple(role["S"] for role in item.get("roles", {}).get("L", [])),
        status=item["status"]["S"],
        stage=item["stage"]["S"],
        created_at=datetime.fromisoformat(item["createdAt"]["S"]),
        updated_at=datetime.fromisoformat(item["updatedAt"]["S"]),
        result=json.loads(result["S"]) if result else None,
        error=error["S"] if error else None,
        decision=text("decision"),
        proposal_digest=text("proposalDigest"),
        approval_id=text("approvalId"),
    )
