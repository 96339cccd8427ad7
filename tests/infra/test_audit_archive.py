"""The audit archive under mocks: a locked bucket per stack, fed with every decision event and each
decided approval; and, on moto, that its lock settings refuse the deletion of a record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from governed_assistant.handlers.http import ERROR_CODES
from governed_assistant.infra import GovernedAssistant
from governed_assistant.infra.testing import ACCOUNT_ID, REGION, MockRun, run_with_mocks
from governed_assistant.runtime.approvals import ApprovalView
from governed_assistant.runtime.approvals.constants import DEFAULT_RETENTION_SECONDS
from governed_assistant.runtime.audit import ApprovalArchive
from governed_assistant.runtime.telemetry.factory import sink_from_env
from governed_assistant.runtime.telemetry.sinks import FirehoseSink, LogSink
from governed_assistant.spec import AssistantSpec
from governed_assistant.spec.model import MAX_AUDIT_RETENTION_DAYS, Observability
from moto import mock_aws

from tests.conftest import REPO_ROOT
from tests.infra.test_assistant import NAME, SILENT, assistant_args, functions, make_spec

BUCKET_ARN = f"arn:aws:s3:::{NAME}-audit-bucket-id"


def build(spec: AssistantSpec, stack: str) -> MockRun:
    return run_with_mocks(
        lambda: GovernedAssistant(NAME, assistant_args(spec)), project=spec.slug, stack=stack
    )


def only(run: MockRun, resource_type: str, name: str) -> Any:
    (resource,) = [r for r in run.of_type(resource_type) if r.name == name]
    return resource


def lock_rule(run: MockRun) -> dict[str, Any]:
    lock = only(
        run, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", f"{NAME}-audit-lock"
    )
    assert lock.inputs["objectLockEnabled"] == "Enabled"
    return dict(lock.inputs["rule"]["defaultRetention"])


@pytest.fixture(scope="module")
def spec() -> AssistantSpec:
    return make_spec(
        observability={"opensearch": True, "audit_retention_days": 730, "dev_audit_retention_days": 3}
    )


@pytest.fixture(scope="module")
def prod(spec: AssistantSpec) -> MockRun:
    return build(spec, "prod")


@pytest.mark.parametrize(
    ("stack", "days"),
    [
        pytest.param("prod", 730, id="production"),
        pytest.param("dev", 3, id="dev"),
        pytest.param("prod-eu", 730, id="prod-eu"),
    ],
)
def test_archive_locks_records_in_compliance_mode_for_the_stacks_retention(
    spec: AssistantSpec, stack: str, days: int
) -> None:
    """Production stacks lock records for audit_retention_days, the others for dev_audit_retention_days."""
    run = build(spec, stack)
    assert lock_rule(run) == {"mode": "COMPLIANCE", "days": days}
    lifecycle = only(
        run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", f"{NAME}-audit-lifecycle"
    )
    (rule,) = lifecycle.inputs["rules"]
    assert (rule["expiration"]["days"], rule["noncurrentVersionExpiration"]["noncurrentDays"]) == (days, 1)


def test_archive_bucket_is_locked_versioned_private_and_tls_only(prod: MockRun) -> None:
    """Object Lock is on from creation; versioning on, public access blocked, plain HTTP denied."""
    bucket = only(prod, "aws:s3/bucket:Bucket", f"{NAME}-audit-bucket")
    assert bucket.inputs["objectLockEnabled"] is True
    versioning = only(prod, "aws:s3/bucketVersioning:BucketVersioning", f"{NAME}-audit-bucket-versioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    block = only(
        prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{NAME}-audit-bucket-private"
    )
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert all(block.inputs[flag] is True for flag in flags)
    policy = json.loads(
        only(prod, "aws:s3/bucketPolicy:BucketPolicy", f"{NAME}-audit-bucket-tls-only").inputs["policy"]
    )
    (tls,) = [s for s in policy["Statement"] if s["Sid"] == "DenyInsecureTransport"]
    assert (tls["Effect"], tls["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


def test_other_buckets_have_no_object_lock(prod: MockRun) -> None:
    """Only the archive is locked: the erasure must still delete the other buckets' objects."""
    locked = [b.name for b in prod.of_type("aws:s3/bucket:Bucket") if b.inputs.get("objectLockEnabled")]
    assert locked == [f"{NAME}-audit-bucket"]


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield boto3.client("s3", region_name="us-east-1")


def test_program_lock_settings_refuse_deleting_a_record_on_moto(prod: MockRun, s3: Any) -> None:
    """The program's own lock settings, applied to a moto bucket: a record's version cannot be deleted,
    not even with the governance bypass (this fails if the program said GOVERNANCE, or no retention)."""
    rule = lock_rule(prod)
    s3.create_bucket(Bucket="audit", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket="audit",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": rule["mode"], "Days": int(rule["days"])}},
        },
    )
    approval = ApprovalView(
        approval_id="a-1", job_id="j-1", tenant_id="acme", requested_by="alice", summary="refund",
        status="rejected", requested_at=datetime(2026, 1, 1, tzinfo=UTC),
        expires_at=datetime(2026, 1, 2, tzinfo=UTC), decided_by="bob",
        decided_at=datetime(2026, 1, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    version = ApprovalArchive(s3, "audit").record(approval, None)
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_object(
            Bucket="audit", Key="approvals/acme/a-1.json", VersionId=version, BypassGovernanceRetention=True
        )


@pytest.mark.parametrize("opensearch", [True, False], ids=["with-opensearch", "logs-only"])
def test_every_event_log_group_is_archived_whether_or_not_opensearch_is_on(opensearch: bool) -> None:
    """Each event log group has a filter to the archive stream, which delivers to the bucket's decisions/."""
    spec = make_spec(observability={"opensearch": opensearch})
    run = build(spec, "dev")
    stream = only(
        run, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", f"{NAME}-observability-archive"
    )
    assert stream.inputs["destination"] == "extended_s3"
    destination = stream.inputs["extendedS3Configuration"]
    assert (destination["bucketArn"], destination["prefix"]) == (BUCKET_ARN, "decisions/")
    stream_arn = f"arn:aws:firehose:{REGION}:{ACCOUNT_ID}:deliverystream/{stream.inputs['name']}"
    filters = run.of_type("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")
    archived = {f.inputs["logGroup"] for f in filters if f.inputs["destinationArn"] == stream_arn}
    writers = [f for name, f in functions(run).items() if name not in SILENT]
    event_groups = {f.inputs["loggingConfig"]["logGroup"] for f in writers}
    assert archived == event_groups
    assert all(f.inputs["filterPattern"] == "{ $.schemaVersion >= 1 }" for f in filters)


def test_archive_stream_writes_only_decision_prefixes(prod: MockRun) -> None:
    """Firehose's role may put objects under decisions/ only: it cannot write an approval record."""
    policy = only(prod, "aws:iam/rolePolicy:RolePolicy", f"{NAME}-observability-archive-delivery-policy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["ArchiveEvents"]["Resource"] == [
        f"{BUCKET_ARN}/decisions/*",
        f"{BUCKET_ARN}/decisions-failed/*",
    ]
    assert statements["ArchiveBucket"]["Resource"] == BUCKET_ARN


def test_api_may_only_put_approval_records_and_knows_the_bucket(prod: MockRun) -> None:
    """The API writes approvals/* and nothing else in the archive; its variable names the bucket."""
    function = only(prod, "aws:lambda/function:Function", f"{NAME}-conversation-api")
    assert function.inputs["environment"]["variables"]["GOVERNED_AUDIT_BUCKET"] == f"{NAME}-audit-bucket-id"
    policy = only(prod, "aws:iam/rolePolicy:RolePolicy", f"{NAME}-conversation-api-policy")
    reaching = [
        s for s in json.loads(policy.inputs["policy"])["Statement"] if "s3" in json.dumps(s["Action"])
    ]
    assert reaching == [
        {
            "Sid": "AuditRecords",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": f"{BUCKET_ARN}/approvals/*",
        }
    ]


README = (REPO_ROOT / "template" / "README.md.jinja").read_text()
AUDIT_SECTION = README.split("## Audit evidence", 1)[1].split("\n## ", 1)[0]


def test_readme_audit_numbers_are_the_programs() -> None:
    """The README's retentions, bounds, TTL and error answers are the ones the code uses."""
    ttl_days = DEFAULT_RETENTION_SECONDS // 86400
    text = " ".join(AUDIT_SECTION.split())
    assert f"purged by TTL {ttl_days} days after their deadline" in text
    assert f"`observability.audit_retention_days` ({Observability().audit_retention_days} by default)" in text
    assert (
        f"`observability.dev_audit_retention_days` ({Observability().dev_audit_retention_days} by default)"
        in text
    )
    assert f"between 1 and {MAX_AUDIT_RETENTION_DAYS} days" in text
    assert f"`{ERROR_CODES['archive_failed'].status} archive_failed`" in text
    assert f"`{ERROR_CODES['already_decided'].status} already_decided`" in text
    assert "`approvals/<tenant>/<approvalId>.json`" in text and "under `decisions/`" in text


def test_readme_erasure_section_lists_the_archive_as_kept() -> None:
    """The erasure section says the archive is kept, by design."""
    erase = README.split("## Erase a tenant", 1)[1].split("\n## ", 1)[0]
    assert "**The audit archive**, by design" in erase


def test_readme_firehose_sink_warning_holds() -> None:
    """The firehose sink writes events to Firehose, not to the logs the archive follows (the README)."""
    text = " ".join(AUDIT_SECTION.split())
    assert "With `telemetrySink: firehose` the functions put their events on OpenSearch's stream" in text
    assert isinstance(sink_from_env("firehose", delivery_stream="s", firehose_client=object()), FirehoseSink)  # type: ignore[arg-type]
    assert isinstance(sink_from_env("log"), LogSink)
