"""The optional audit trail (stack setting ``auditTrail: true``): CloudTrail data events on the
stack's tables, buckets and functions, into the audit archive; and Bedrock model invocation logging.

The trail records every item-level call on the tables (who read or wrote a job or an approval),
every object-level call on the buckets and every invocation of the functions: the calls the
management events most accounts already record leave out. It writes under the archive's
``cloudtrail/`` prefix, so its files are locked like every other record, with log file validation
on (CloudTrail's signed digest files prove none was changed or removed). The archive's bucket policy
lets CloudTrail in for this trail only (``aws:SourceArn``; ``audit_archive.trail_statements``).

Bedrock's invocation logs carry the prompts and the model's answers, tenant data that the erasure
must be able to age out, so they go to a log group with the spec's log retention, not to the locked
archive. AWS keeps one invocation logging configuration per account and region: a second stack
with ``auditTrail`` in the same account and region replaces the first one's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.functions import physical_name, policy_document, service_role
from governed_assistant.spec.model import AssistantSpec

TRAIL_PREFIX: Final = "cloudtrail"


def trail_name(slug: str, stack: str) -> str:
    """The trail's physical name: fixed, so the archive's bucket policy can name the trail's ARN
    before the trail exists (CloudTrail checks the policy when the trail is created)."""
    return physical_name(slug, stack, "audit-trail", limit=128)


class AuditTrailArgs(TypedDict):
    spec: AssistantSpec
    """The validated spec: the invocation log group keeps ``observability.retention_days``."""
    bucket_name: pulumi.Input[str]
    """The audit archive's bucket, whose policy already lets this trail write (``trail_statements``)."""
    archive: pulumi.Resource
    """The archive's component: the trail is created after its bucket policy."""
    table_arns: Sequence[pulumi.Input[str]]
    """The DynamoDB tables whose item-level calls are recorded."""
    bucket_arns: Sequence[pulumi.Input[str]]
    """The buckets whose object-level calls are recorded."""
    function_arns: Sequence[pulumi.Input[str]]
    """The functions whose invocations are recorded."""
    tags: Mapping[str, str]
    region: pulumi.Input[str]
    account: pulumi.Input[str]
    partition: pulumi.Input[str]
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """The stack's key (``kms_key``): the trail's log files and the invocation log group use it."""


class AuditTrail(pulumi.ComponentResource):
    trail_arn: pulumi.Output[str]
    """The CloudTrail trail."""
    invocation_log_group_name: pulumi.Output[str]
    """Where Bedrock logs each model invocation."""

    def __init__(self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("governed:observability:AuditTrail", name, None, opts)
        spec = args["spec"]
        stack = pulumi.get_stack()
        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=trail_name(spec.slug, stack),
            s3_bucket_name=args["bucket_name"],
            s3_key_prefix=TRAIL_PREFIX,
            # The stack's resources live in one region; the account's own trail keeps global events.
            is_multi_region_trail=False,
            include_global_service_events=False,
            enable_log_file_validation=True,
            # With the stack's key, the log files are SSE-KMS with it (its policy lets CloudTrail in).
            kms_key_id=args.get("kms_key_arn"),
            advanced_event_selectors=[
                _data_events("DynamoDB items", "AWS::DynamoDB::Table", args["table_arns"]),
                _data_events("S3 objects", "AWS::S3::Object", args["bucket_arns"], under=True),
                _data_events("Lambda invocations", "AWS::Lambda::Function", args["function_arns"]),
            ],
            tags=dict(args["tags"]),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args["archive"]]),
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-invocations",
            name=f"/aws/bedrock/{physical_name(spec.slug, stack, 'invocations', limit=64)}",
            retention_in_days=spec.observability.retention_days,
            kms_key_id=args.get("kms_key_arn"),
            tags=dict(args["tags"]),
            opts=pulumi.ResourceOptions(parent=self),
        )
        source_arn = pulumi.Output.concat(
            "arn:", args["partition"], ":bedrock:", args["region"], ":", args["account"], ":*"
        )
        role = service_role(
            name, "invocation-logs", slug=spec.slug, stack=stack, service="bedrock.amazonaws.com",
            tags=args["tags"], parent=self,
            StringEquals={"aws:SourceAccount": args["account"]}, ArnLike={"aws:SourceArn": source_arn},
        )  # fmt: skip
        policy = aws.iam.RolePolicy(
            f"{name}-invocation-logs-policy",
            name="governed-bedrock-invocation-logs",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "InvocationLogs",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": pulumi.Output.concat(log_group.arn, ":log-stream:*"),
                    }
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.bedrockmodel.InvocationLoggingConfiguration(
            f"{name}-invocation-logging",
            logging_config=aws.bedrockmodel.InvocationLoggingConfigurationLoggingConfigArgs(
                cloudwatch_config=aws.bedrockmodel.InvocationLoggingConfigurationLoggingConfigCloudwatchConfigArgs(
                    log_group_name=log_group.name, role_arn=role.arn
                ),
                text_data_delivery_enabled=True,
                embedding_data_delivery_enabled=True,
                image_data_delivery_enabled=False,
                video_data_delivery_enabled=False,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )  # fmt: skip
        self.trail_arn = trail.arn
        self.invocation_log_group_name = log_group.name
        self.register_outputs(
            {"trail_arn": self.trail_arn, "invocation_log_group_name": self.invocation_log_group_name}
        )


def _data_events(
    label: str, resource_type: str, arns: Sequence[pulumi.Input[str]], *, under: bool = False
) -> aws.cloudtrail.TrailAdvancedEventSelectorArgs:
    """Data events of ``resource_type`` on ``arns`` (with ``under``: on every object under them)."""
    resources = (
        aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
            field="resources.ARN", starts_withs=[pulumi.Output.concat(arn, "/") for arn in arns]
        )
        if under
        else aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
            field="resources.ARN", equals=list(arns)
        )
    )
    return aws.cloudtrail.TrailAdvancedEventSelectorArgs(
        name=label,
        field_selectors=[
            aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                field="eventCategory", equals=["Data"]
            ),
            aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                field="resources.type", equals=[resource_type]
            ),
            resources,
        ],
    )


def trail_statements(
    bucket_arn: pulumi.Output[str], trail_arn: pulumi.Input[str], account: pulumi.Input[str]
) -> list[dict[str, object]]:
    """What CloudTrail needs in the archive's bucket policy, for this trail only (``aws:SourceArn``):
    read the bucket's ACL, and write under ``cloudtrail/AWSLogs/<account>/`` as the bucket owner's."""
    source = {"StringEquals": {"aws:SourceArn": trail_arn, "aws:SourceAccount": account}}
    return [
        {
            "Sid": "TrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": source,
        },
        {
            "Sid": "TrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.concat(bucket_arn, f"/{TRAIL_PREFIX}/AWSLogs/", account, "/*"),
            "Condition": {
                "StringEquals": {
                    "aws:SourceArn": trail_arn,
                    "aws:SourceAccount": account,
                    "s3:x-amz-acl": "bucket-owner-full-control",
                }
            },
        },
    ]
