"""The audit archive: one S3 bucket per stack whose records no one can change or delete before
their retention ends, and the Firehose stream that archives every decision event into it.

The bucket has Object Lock in COMPLIANCE mode with a default retention from the spec
(``observability.audit_retention_days`` on production stacks, ``dev_audit_retention_days`` on
the others): AWS refuses to delete or overwrite a locked object version, for every user, the
account's root user included, and the retention cannot be shortened. Versioning is on (Object Lock
needs it), public access is blocked, and the policy refuses requests without TLS. A lifecycle rule
removes a record once its retention has ended, so nothing is kept longer than the spec says.

What lands in it:

    approvals/<tenant>/<approvalId>.json   one per decided approval, written by the API
                                           (``governed_assistant.runtime.audit``)
    decisions/YYYY/MM/DD/HH/<stream>-...    every decision event, as CloudWatch Logs sends them
                                           (gzip members of its JSON envelopes; ``zcat`` reads them)

Decision events reach it through a second subscription filter on every event log group and a
stream of its own that delivers to S3 as the records arrive. We chose that over the OpenSearch
stream's ``AllDocuments`` backup: it archives every event whether or not OpenSearch is on, it does
not depend on the transformation Lambda (it stores what the functions logged, unprocessed), and
the failed-documents bucket keeps its own, shorter lifecycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Final, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.audit_trail import trail_statements
from governed_assistant.infra.decision_delivery import DECISION_EVENT_FILTER
from governed_assistant.infra.encryption import key_use
from governed_assistant.infra.functions import physical_name, policy_document, service_role, source_conditions
from governed_assistant.infra.storage import private_bucket
from governed_assistant.spec.model import AssistantSpec

LOCK_MODE: Final = "COMPLIANCE"
DECISIONS_PREFIX: Final = "decisions/"
DECISIONS_FAILED_PREFIX: Final = "decisions-failed/"
# Firehose writes an object at least every minute, so an event reaches the archive within minutes.
ARCHIVE_BUFFER_SECONDS: Final = 60


def archive_stream_name(slug: str, stack: str) -> str:
    """The archive stream's physical name."""
    return physical_name(slug, stack, "audit-events", limit=64)


class AuditArchiveArgs(TypedDict):
    spec: AssistantSpec
    """The validated spec: the retention comes from ``observability``."""
    protect_data: bool
    """Protect the bucket (``storage.data_options``); on for production. Object Lock protects each
    record whatever this says: an unprotected stack's bucket can only be emptied once they expire."""
    trail_arn: NotRequired[pulumi.Input[str]]
    """The audit trail that writes under ``cloudtrail/`` (``audit_trail.trail_name``); the bucket
    policy lets CloudTrail in for it alone. Given with ``account``."""
    account: NotRequired[pulumi.Input[str]]
    """The stack's account id (CloudTrail writes under ``cloudtrail/AWSLogs/<account>/``)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """The stack's key (``kms_key``): the bucket's default encryption; AWS's keys without it."""


class AuditArchive(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    """The archive bucket."""
    bucket_arn: pulumi.Output[str]
    """The archive bucket's ARN."""
    retention_days: int
    """How long each record is locked: the spec's retention for this stack."""

    def __init__(self, name: str, args: AuditArchiveArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("governed:observability:AuditArchive", name, None, opts)
        spec = args["spec"]
        stack = pulumi.get_stack()
        tags = {"assistant": spec.slug, "layer": "audit"}
        child = pulumi.ResourceOptions(parent=self)
        self.retention_days = spec.observability.audit_days(stack)
        bucket = private_bucket(
            f"{name}-bucket",
            prefix=physical_name(spec.slug, stack, "audit", limit=36) + "-",
            protect=args["protect_data"],
            tags=tags,
            parent=self,
            key_arn=args.get("kms_key_arn"),
            object_lock=True,
            statements=(
                partial(trail_statements, trail_arn=args["trail_arn"], account=args["account"])
                if "trail_arn" in args
                else None
            ),
        )
        aws.s3.BucketObjectLockConfiguration(
            f"{name}-lock",
            bucket=bucket.id,
            object_lock_enabled="Enabled",
            rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                    mode=LOCK_MODE, days=self.retention_days
                )
            ),
            opts=child,
        )
        # Once a record's lock ends it is expired (a delete marker), and its version removed a day
        # later: the archive keeps evidence exactly as long as the spec says, then lets it go.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-after-retention",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=self.retention_days),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=1
                    ),
                )
            ],
            opts=child,
        )  # fmt: skip
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn})


@dataclass(frozen=True)
class EventArchiveSettings:
    """What the archive stream needs: the bucket, the log groups to follow, and where it runs."""

    spec: AssistantSpec
    bucket_arn: pulumi.Input[str]
    event_log_group_names: Sequence[pulumi.Input[str]]
    tags: Mapping[str, str]
    region: pulumi.Input[str]
    partition: pulumi.Input[str]
    account: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str] | None = None
    """The stack's key (``kms_key``): the stream's encryption, and the role may use it."""


def create_event_archive(
    parent: pulumi.Resource, name: str, settings: EventArchiveSettings
) -> aws.kinesis.FirehoseDeliveryStream:
    """The stream ``<name>-archive`` to the bucket's ``decisions/``, and one subscription filter per
    event log group (``<name>-archive-<i>``): a log group's second filter, beside the search one."""
    spec = settings.spec
    stack = pulumi.get_stack()
    child = pulumi.ResourceOptions(parent=parent)
    role = service_role(
        name, "archive-delivery", slug=spec.slug, stack=stack, service="firehose.amazonaws.com",
        tags=settings.tags, parent=parent,
        StringEquals={"sts:ExternalId": settings.account},
    )  # fmt: skip
    bucket = settings.bucket_arn
    delivery_policy = aws.iam.RolePolicy(
        f"{name}-archive-delivery-policy",
        name="governed-archive-decision-events",
        role=role.id,
        policy=policy_document(
            [
                {
                    "Sid": "ArchiveBucket",
                    "Effect": "Allow",
                    "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                    "Resource": bucket,
                },
                {
                    # Only under its own prefixes: the stream cannot write approval records.
                    "Sid": "ArchiveEvents",
                    "Effect": "Allow",
                    "Action": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                    "Resource": [
                        pulumi.Output.concat(bucket, "/", DECISIONS_PREFIX, "*"),
                        pulumi.Output.concat(bucket, "/", DECISIONS_FAILED_PREFIX, "*"),
                    ],
                },
                *key_use(settings.kms_key_arn),
            ]
        ),
        opts=child,
    )
    stream = aws.kinesis.FirehoseDeliveryStream(
        f"{name}-archive",
        name=archive_stream_name(spec.slug, stack),
        destination="extended_s3",
        server_side_encryption=aws.kinesis.FirehoseDeliveryStreamServerSideEncryptionArgs(
            enabled=True,
            key_type="AWS_OWNED_CMK" if settings.kms_key_arn is None else "CUSTOMER_MANAGED_CMK",
            key_arn=settings.kms_key_arn,
        ),
        extended_s3_configuration=aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs(
            bucket_arn=bucket,
            role_arn=role.arn,
            prefix=DECISIONS_PREFIX,
            error_output_prefix=DECISIONS_FAILED_PREFIX + "!{firehose:error-output-type}/",
            buffering_interval=ARCHIVE_BUFFER_SECONDS,
            # CloudWatch Logs sends gzip already; compressing again would only nest it.
            compression_format="UNCOMPRESSED",
        ),
        tags=dict(settings.tags),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[delivery_policy]),
    )
    _subscribe(parent, name, settings, stream)
    return stream


def _subscribe(
    parent: pulumi.Resource,
    name: str,
    settings: EventArchiveSettings,
    stream: aws.kinesis.FirehoseDeliveryStream,
) -> None:
    role = service_role(
        name,
        "archive-subscription",
        slug=settings.spec.slug,
        stack=pulumi.get_stack(),
        service="logs.amazonaws.com",
        tags=settings.tags,
        parent=parent,
        # CloudWatch Logs documents its subscriptions' source as any log group of the account.
        **source_conditions(
            settings.account,
            pulumi.Output.concat(
                "arn:", settings.partition, ":logs:", settings.region, ":", settings.account, ":*"
            ),
        ),
    )
    policy = aws.iam.RolePolicy(
        f"{name}-archive-subscription-policy",
        name="governed-forward-to-archive",
        role=role.id,
        policy=policy_document(
            [
                {
                    "Sid": "ForwardEvents",
                    "Effect": "Allow",
                    "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
                    "Resource": stream.arn,
                }
            ]
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    # The list's length is known when the program runs: the filters are created directly.
    for index, log_group_name in enumerate(settings.event_log_group_names):
        aws.cloudwatch.LogSubscriptionFilter(
            f"{name}-archive-{index}",
            log_group=log_group_name,
            filter_pattern=DECISION_EVENT_FILTER,
            destination_arn=stream.arn,
            role_arn=role.arn,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy]),
        )
