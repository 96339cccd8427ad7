"""Decided approvals are archived once, under their tenant, where Object Lock refuses their deletion."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from governed_assistant.runtime.approvals import ApprovalView
from governed_assistant.runtime.audit import ApprovalArchive, AuditArchiveError
from moto import mock_aws

REGION = "eu-west-1"
BUCKET = "acme-assistant-prod-audit-1"
DIGEST = "9f" * 32


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GOVERNED_AUDIT_BUCKET", raising=False)
    with mock_aws():
        yield boto3.client("s3", region_name=REGION)


def locked_bucket(s3: Any, mode: str | None, days: int = 1) -> None:
    """A bucket with Object Lock on and, unless ``mode`` is None, a default retention."""
    s3.create_bucket(
        Bucket=BUCKET,
        CreateBucketConfiguration={"LocationConstraint": REGION},
        ObjectLockEnabledForBucket=True,
    )
    if mode is not None:
        s3.put_object_lock_configuration(
            Bucket=BUCKET,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}},
            },
        )


def decided(status: str = "approved", decided_by: str | None = "bob") -> ApprovalView:
    return ApprovalView(
        approval_id="a-1",
        job_id="job-1",
        tenant_id="acme",
        requested_by="alice",
        summary="issue_refund on o-7 (risk 0.7)",
        details={"proposal": {"actionType": "issue_refund", "resourceId": "o-7"}},
        status=status,
        requested_at=datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
        expires_at=datetime(2026, 1, 2, 12, 0, tzinfo=UTC),
        decided_by=decided_by,
        decided_at=datetime(2026, 1, 1, 12, 5, tzinfo=UTC) if decided_by else None,
        reason="looks right",
    )


def test_record_writes_who_when_what_under_the_tenant(s3: Any) -> None:
    """The record is approvals/<tenant>/<id>.json: who asked and decided, when, what, and the digest."""
    locked_bucket(s3, "COMPLIANCE")
    version = ApprovalArchive(s3, BUCKET).record(decided(), DIGEST)
    stored = s3.get_object(Bucket=BUCKET, Key="approvals/acme/a-1.json")
    assert stored["VersionId"] == version
    assert stored["ObjectLockMode"] == "COMPLIANCE"
    assert json.loads(stored["Body"].read()) == {
        "recordVersion": 1,
        "approvalId": "a-1",
        "jobId": "job-1",
        "tenantId": "acme",
        "requestedBy": "alice",
        "requestedAt": "2026-01-01T12:00:00+00:00",
        "expiresAt": "2026-01-02T12:00:00+00:00",
        "status": "approved",
        "decidedBy": "bob",
        "decidedAt": "2026-01-01T12:05:00+00:00",
        "reason": "looks right",
        "summary": "issue_refund on o-7 (risk 0.7)",
        "proposal": {"actionType": "issue_refund", "resourceId": "o-7"},
        "proposalDigest": DIGEST,
    }


def test_record_twice_is_refused_and_the_first_stands(s3: Any) -> None:
    """A second record for the same approval (a forged re-decision) is refused; one version remains."""
    locked_bucket(s3, "COMPLIANCE")
    archive = ApprovalArchive(s3, BUCKET)
    archive.record(decided(), DIGEST)
    with pytest.raises(AuditArchiveError, match=re.escape("archived already, key='approvals/acme/a-1.json'")):
        archive.record(decided("rejected", decided_by="mallory"), DIGEST)
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix="approvals/")["Versions"]
    assert len(versions) == 1
    body = json.loads(s3.get_object(Bucket=BUCKET, Key="approvals/acme/a-1.json")["Body"].read())
    assert (body["status"], body["decidedBy"]) == ("approved", "bob")


@pytest.mark.parametrize(
    ("mode", "deletable"),
    [
        pytest.param("COMPLIANCE", False, id="compliance-refuses-everyone"),
        # The other two settings let a privileged caller delete evidence: what the archive must not.
        pytest.param("GOVERNANCE", True, id="governance-yields-to-bypass"),
        pytest.param(None, True, id="no-retention"),
    ],
)
def test_archived_version_delete_refused_only_under_compliance(
    s3: Any, mode: str | None, deletable: bool
) -> None:
    """Deleting the record's version, even with the governance bypass, fails only in COMPLIANCE mode."""
    locked_bucket(s3, mode)
    version = ApprovalArchive(s3, BUCKET).record(decided(), DIGEST)
    try:
        s3.delete_object(
            Bucket=BUCKET, Key="approvals/acme/a-1.json", VersionId=version, BypassGovernanceRetention=True
        )
        deleted = True
    except ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDenied"
        deleted = False
    assert deleted is deletable


def test_pending_approval_is_not_archived(s3: Any) -> None:
    """Only a decision is evidence: a pending approval is refused before anything is written."""
    locked_bucket(s3, "COMPLIANCE")
    with pytest.raises(AuditArchiveError, match="Only a decided approval is archived, approval_id=a-1"):
        ApprovalArchive(s3, BUCKET).record(decided("pending", decided_by=None), DIGEST)
    assert "Versions" not in s3.list_object_versions(Bucket=BUCKET)


def test_archive_without_bucket_says_which_variable(s3: Any) -> None:
    """No bucket passed and none configured: the error names the variable to set."""
    with pytest.raises(AuditArchiveError, match=r"set \$GOVERNED_AUDIT_BUCKET"):
        ApprovalArchive(s3)


def test_archive_refusal_is_an_archive_error_with_the_code(s3: Any) -> None:
    """S3's refusal (here: no such bucket) is an AuditArchiveError naming the key and the code."""
    with pytest.raises(
        AuditArchiveError, match=re.escape("key='approvals/acme/a-1.json', code=NoSuchBucket")
    ):
        ApprovalArchive(s3, BUCKET).record(decided(), DIGEST)
