"""Each decided approval, written once to the audit archive: ``approvals/<tenant>/<approvalId>.json``.

The approvals table says who decided what while the job runs; its row is purged by TTL and could be
rewritten by a role allowed to write it. The archive keeps the same facts where nobody can change
them: the bucket locks every object version in COMPLIANCE mode (``infra.audit_archive``), and the
write itself is conditional (``If-None-Match: *``), so a second record under the same key is refused
rather than stacked as a newer version. The record carries the digest of the exact proposal the gate
judged (from the job), so it can be matched to the job's decision events and to what ran.
"""

from __future__ import annotations

import json
import os
from typing import Any, Final

from governed_assistant.errors import GovernanceError, shown
from governed_assistant.runtime.approvals.models import ApprovalView
from governed_assistant.wire import ENV_AUDIT_BUCKET

APPROVALS_PREFIX: Final = "approvals/"
RECORD_VERSION: Final = 1


class AuditArchiveError(GovernanceError):
    """When a decided approval cannot be written to the audit archive."""

    kind = "unavailable"


def approval_key(tenant_id: str, approval_id: str) -> str:
    """``approvals/<tenant>/<approvalId>.json``: one key per approval, under its tenant."""
    return f"{APPROVALS_PREFIX}{tenant_id}/{approval_id}.json"


def approval_record(approval: ApprovalView, proposal_digest: str | None) -> dict[str, Any]:
    """Who decided what, when, on which proposal: the record's JSON object."""
    if approval.status == "pending" or approval.decided_by is None or approval.decided_at is None:
        raise AuditArchiveError(
            f"Only a decided approval is archived, approval_id={approval.approval_id}, "
            f"status={approval.status}"
        )
    return {
        "recordVersion": RECORD_VERSION,
        "approvalId": approval.approval_id,
        "jobId": approval.job_id,
        "tenantId": approval.tenant_id,
        "requestedBy": approval.requested_by,
        "requestedAt": approval.requested_at.isoformat(),
        "expiresAt": approval.expires_at.isoformat(),
        "status": approval.status,
        "decidedBy": approval.decided_by,
        "decidedAt": approval.decided_at.isoformat(),
        "reason": approval.reason,
        "summary": approval.summary,
        # What the approver was shown (screened), and the digest of the proposal the gate judged.
        "proposal": approval.details.get("proposal"),
        "proposalDigest": proposal_digest,
    }


class ApprovalArchive:
    """Writes decided approvals to the archive bucket, through a boto3 S3 client passed in."""

    def __init__(self, client: Any, bucket: str | None = None) -> None:
        self._client = client
        bucket = bucket or os.environ.get(ENV_AUDIT_BUCKET)
        if not bucket:
            raise AuditArchiveError(f"No audit archive bucket; pass bucket= or set ${ENV_AUDIT_BUCKET}")
        self.bucket = bucket

    def record(self, approval: ApprovalView, proposal_digest: str | None) -> str:
        """Write the approval's record once; return its object version. Raise ``AuditArchiveError``
        if a record is there already or S3 refuses the write."""
        key = approval_key(approval.tenant_id, approval.approval_id)
        body = json.dumps(approval_record(approval, proposal_digest), sort_keys=True, separators=(",", ":"))
        try:
            response = self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body.encode("utf-8"),
                ContentType="application/json",
                # Object Lock refuses a write without an integrity checksum.
                ChecksumAlgorithm="SHA256",
                IfNoneMatch="*",
            )
        except self._client.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise AuditArchiveError(f"The approval is archived already, key={shown(key, 200)}") from None
            code = code or type(error).__name__
            raise AuditArchiveError(
                f"The audit archive refused the record, key={shown(key, 200)}, code={code}"
            ) from None
        return str(response.get("VersionId", ""))
