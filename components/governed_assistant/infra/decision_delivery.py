"""How decision events reach OpenSearch: log subscriptions, Firehose and its transformation.

Every stage writes its ``DecisionEvent`` as one JSON line to its function's log group. A
subscription filter on each of those groups forwards the lines that carry a schema version
to a Firehose stream, whose transformation Lambda unpacks CloudWatch Logs' envelopes and
drops anything that is not a ``DecisionEvent``; Firehose indexes the rest into the domain
(``search_domain``), one index a day, and keeps the documents it could not index in an S3
bucket for as long as the index would have kept them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.decision_index import INDEX_PREFIX
from governed_assistant.infra.encryption import key_use
from governed_assistant.infra.functions import (
    FunctionSettings,
    LambdaCode,
    allow,
    governed_function,
    logs_and_tracing,
    physical_name,
    policy_document,
    service_role,
    source_conditions,
)
from governed_assistant.infra.storage import private_bucket
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import ENV_POWERTOOLS_SERVICE_NAME

# Decision events are JSON log lines carrying a schema version; nothing else is forwarded.
# What Firehose needs to deliver into a VPC domain through network interfaces of its own (Firehose
# Developer Guide, "Grant Firehose access to an OpenSearch Service destination in a VPC", on "*").
VPC_DELIVERY_ACTIONS: Final = (
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeNetworkInterfaces",
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
)
DECISION_EVENT_FILTER: Final = "{ $.schemaVersion >= 1 }"
TRANSFORM_TIMEOUT_SECONDS: Final = 60
TRANSFORM_MEMORY_MB: Final = 256


def delivery_stream_name(slug: str, stack: str) -> str:
    """The Firehose stream's physical name: fixed by slug and stack, so other layers may name it
    (and grant ``firehose:PutRecordBatch`` on it) before this layer is built."""
    return physical_name(slug, stack, "decisions", limit=64)


@dataclass(frozen=True)
class DecisionDeliverySettings:
    """What the delivery stream needs from the observability layer and the domain."""

    spec: AssistantSpec
    code: LambdaCode
    transform_handler: str
    role: aws.iam.Role
    """Firehose's role (the domain lets it in and maps it to the writer role)."""
    domain: aws.opensearch.Domain
    index_setup: aws.lambda_.Invocation
    """The domain's setup: the stream is created once the index template and role mapping exist."""
    event_log_group_names: Sequence[pulumi.Input[str]]
    protect: bool
    tags: Mapping[str, str]
    region: pulumi.Input[str]
    partition: pulumi.Input[str]
    account: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str] | None = None
    """The stack's key (``kms_key``); None keeps AWS's keys."""


@dataclass(frozen=True)
class DecisionDelivery:
    """The delivery stream, and the bucket it keeps the events it could not index in."""

    stream: aws.kinesis.FirehoseDeliveryStream
    failed_events_bucket: aws.s3.Bucket


def create_decision_delivery(
    parent: pulumi.Resource, name: str, settings: DecisionDeliverySettings
) -> DecisionDelivery:
    """The stream ``<name>-decisions``, its transformation, logs and failed-events bucket, and one
    subscription filter per event log group (``<name>-events-<i>``)."""
    spec = settings.spec
    stack = pulumi.get_stack()
    child = pulumi.ResourceOptions(parent=parent)
    bucket = _create_failed_events_bucket(parent, name, settings)
    transform, transform_role = _create_transform(parent, name, settings)
    delivery_logs = aws.cloudwatch.LogGroup(
        f"{name}-delivery-logs",
        name_prefix=f"/aws/kinesisfirehose/{physical_name(spec.slug, stack, limit=64)}-",
        retention_in_days=spec.observability.retention_days,
        kms_key_id=settings.kms_key_arn,
        tags=dict(settings.tags),
        opts=child,
    )
    delivery_log_stream = aws.cloudwatch.LogStream(
        f"{name}-delivery-errors",
        name="DestinationDelivery",
        log_group_name=delivery_logs.name,
        opts=child,
    )
    domain = settings.domain
    # network: vpc: the domain is in the VPC, so Firehose reaches it as the functions do.
    vpc = settings.code.get("vpc")
    delivery_policy = aws.iam.RolePolicy(
        f"{name}-delivery-policy",
        name="governed-decision-delivery",
        role=settings.role.id,
        policy=policy_document(
            [
                {
                    "Sid": "FailedDocuments",
                    "Effect": "Allow",
                    "Action": [
                        "s3:AbortMultipartUpload",
                        "s3:GetBucketLocation",
                        "s3:GetObject",
                        "s3:ListBucket",
                        "s3:ListBucketMultipartUploads",
                        "s3:PutObject",
                    ],
                    "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                },
                {
                    "Sid": "Index",
                    "Effect": "Allow",
                    "Action": [
                        "es:DescribeDomain",
                        "es:DescribeDomains",
                        "es:DescribeDomainConfig",
                        "es:ESHttpGet",
                        "es:ESHttpPost",
                        "es:ESHttpPut",
                    ],
                    "Resource": [domain.arn, pulumi.Output.concat(domain.arn, "/*")],
                },
                {
                    "Sid": "Transform",
                    "Effect": "Allow",
                    "Action": ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
                    "Resource": [transform.arn, pulumi.Output.concat(transform.arn, ":*")],
                },
                {
                    "Sid": "DeliveryLogs",
                    "Effect": "Allow",
                    "Action": ["logs:PutLogEvents"],
                    "Resource": pulumi.Output.concat(delivery_logs.arn, ":*"),
                },
                # The failed-events bucket is encrypted with the stack's key when it has one.
                *key_use(settings.kms_key_arn),
                *([allow("VpcDelivery", VPC_DELIVERY_ACTIONS, "*")] if vpc is not None else []),
            ]
        ),
        opts=child,
    )
    stream = aws.kinesis.FirehoseDeliveryStream(
        f"{name}-decisions",
        name=delivery_stream_name(spec.slug, stack),
        destination="opensearch",
        server_side_encryption=aws.kinesis.FirehoseDeliveryStreamServerSideEncryptionArgs(
            enabled=True,
            key_type="AWS_OWNED_CMK" if settings.kms_key_arn is None else "CUSTOMER_MANAGED_CMK",
            key_arn=settings.kms_key_arn,
        ),
        opensearch_configuration=aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationArgs(
            domain_arn=domain.arn,
            index_name=INDEX_PREFIX,
            index_rotation_period="OneDay",
            role_arn=settings.role.arn,
            buffering_interval=60,
            retry_duration=300,
            s3_backup_mode="FailedDocumentsOnly",
            s3_configuration=aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationS3ConfigurationArgs(
                bucket_arn=bucket.arn,
                role_arn=settings.role.arn,
                prefix="failed/",
                compression_format="GZIP",
            ),
            processing_configuration=aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationProcessingConfigurationArgs(
                enabled=True,
                processors=[
                    aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationProcessingConfigurationProcessorArgs(
                        type="Lambda",
                        parameters=[
                            aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationProcessingConfigurationProcessorParameterArgs(
                                parameter_name="LambdaArn",
                                parameter_value=pulumi.Output.concat(transform.arn, ":$LATEST"),
                            )
                        ],
                    )
                ],
            ),
            cloudwatch_logging_options=aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationCloudwatchLoggingOptionsArgs(
                enabled=True,
                log_group_name=delivery_logs.name,
                log_stream_name=delivery_log_stream.name,
            ),
            vpc_config=(
                aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationVpcConfigArgs(
                    subnet_ids=list(vpc["subnet_ids"]),
                    security_group_ids=list(vpc["security_group_ids"]),
                    role_arn=settings.role.arn,
                )
                if vpc is not None
                else None
            ),
        ),
        tags=dict(settings.tags),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[delivery_policy, settings.index_setup]),
    )  # fmt: skip
    # The transformation puts an envelope's further events back on the stream (one document per
    # record for OpenSearch). The stream is created from the function, so this grant comes after
    # it, from its ARN; envelopes only flow once it exists (the subscriptions wait for it).
    put_back = aws.iam.RolePolicy(
        f"{name}-transform-put-back",
        name="governed-events-transform-put-back",
        role=transform_role.id,
        policy=policy_document(
            [
                {
                    "Sid": "PutBackEvents",
                    "Effect": "Allow",
                    "Action": ["firehose:PutRecordBatch"],
                    "Resource": stream.arn,
                }
            ]
        ),
        opts=child,
    )
    _subscribe_event_log_groups(parent, name, settings, stream, put_back)
    return DecisionDelivery(stream, bucket)


def _create_transform(
    parent: pulumi.Resource, name: str, settings: DecisionDeliverySettings
) -> tuple[aws.lambda_.Function, aws.iam.Role]:
    spec = settings.spec
    stack = pulumi.get_stack()
    role = service_role(
        name, "transform", slug=spec.slug, stack=stack, service="lambda.amazonaws.com", tags=settings.tags,
        parent=parent,
    )  # fmt: skip
    transform, _ = governed_function(
        f"{name}-transform",
        FunctionSettings(
            function_name=physical_name(spec.slug, stack, "events-transform", limit=64),
            handler=settings.transform_handler,
            code=settings.code,
            role=role,
            policy_name="governed-events-transform",
            statements=logs_and_tracing,
            environment={ENV_POWERTOOLS_SERVICE_NAME: spec.slug},
            timeout=TRANSFORM_TIMEOUT_SECONDS,
            memory_mb=TRANSFORM_MEMORY_MB,
            retention_days=spec.observability.retention_days,
            kms_key_arn=settings.kms_key_arn,
        ),
        parent=parent,
        tags=settings.tags,
    )
    return transform, role


def _subscribe_event_log_groups(
    parent: pulumi.Resource,
    name: str,
    settings: DecisionDeliverySettings,
    stream: aws.kinesis.FirehoseDeliveryStream,
    put_back: aws.iam.RolePolicy,
) -> None:
    role = service_role(
        name,
        "subscription",
        slug=settings.spec.slug,
        stack=pulumi.get_stack(),
        service="logs.amazonaws.com",
        tags=settings.tags,
        parent=parent,
        # CloudWatch Logs documents its subscriptions' source as any log group of the account
        # (arn:...:logs:<region>:<account>:*), not one group: the groups subscribed are many.
        **source_conditions(
            settings.account,
            pulumi.Output.concat(
                "arn:", settings.partition, ":logs:", settings.region, ":", settings.account, ":*"
            ),
        ),
    )
    policy = aws.iam.RolePolicy(
        f"{name}-subscription-policy",
        name="governed-forward-decision-events",
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
    # The list's length is known when the program runs, so the filters are created
    # directly, never inside apply().
    for index, log_group_name in enumerate(settings.event_log_group_names):
        aws.cloudwatch.LogSubscriptionFilter(
            f"{name}-events-{index}",
            log_group=log_group_name,
            filter_pattern=DECISION_EVENT_FILTER,
            destination_arn=stream.arn,
            role_arn=role.arn,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy, put_back]),
        )


def _create_failed_events_bucket(
    parent: pulumi.Resource, name: str, settings: DecisionDeliverySettings
) -> aws.s3.Bucket:
    bucket = private_bucket(
        f"{name}-failed",
        prefix=physical_name(settings.spec.slug, pulumi.get_stack(), "failed-events", limit=36) + "-",
        protect=settings.protect,
        tags=settings.tags,
        parent=parent,
        key_arn=settings.kms_key_arn,
    )
    # Failed documents are kept as long as the index would have kept them.
    retention = settings.spec.observability.retention_days
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-failed-lifecycle",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-failed-events",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="failed/"),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=retention),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=retention
                ),
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )  # fmt: skip
    return bucket
