"""The insight trigger (Pattern C, ``insights-to-action``): an anomaly on the bus becomes a job.

A producer (an analytics job, a CloudWatch anomaly detector's forwarder...) puts an event
with source ``governed.insights`` and detail type ``insight raised`` on the execution layer's
bus. A rule matching both sends it to the insight function, which frames it for the user: it
records a job (``dynamodb:PutItem`` on the jobs table, keyed by the insight's tenant) and puts
"job accepted" back on the bus, so the job takes the same governed path as one a user asked
for. That is all its role allows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.dead_letters import dead_letter_queue
from governed_assistant.infra.functions import (
    FunctionSettings,
    LambdaCode,
    account_of,
    allow,
    assume_role_policy,
    governed_function,
    logs_and_tracing,
    physical_name,
)
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import (
    ENV_EVENT_BUS,
    ENV_JOBS_TABLE,
    ENV_POWERTOOLS_SERVICE_NAME,
    INSIGHT_DETAIL_TYPE,
    INSIGHT_EVENT_SOURCE,
    INSIGHT_RULE_NAME,
    INSIGHT_TARGET_ID,
)

INSIGHT_POLICY_NAME: Final = "governed-insight"
INSIGHT_TAG: Final = "governed:function"
TIMEOUT_SECONDS: Final = 30
MEMORY_MB: Final = 256


@dataclass(frozen=True)
class InsightSettings:
    """What the insight trigger needs from the execution layer."""

    spec: AssistantSpec
    code: LambdaCode
    handler: str
    environment: Mapping[str, pulumi.Input[str]]
    jobs_table_arn: pulumi.Input[str]
    jobs_table_name: pulumi.Input[str]
    bus: aws.cloudwatch.EventBus
    decision_stream_arn: pulumi.Input[str] | None
    tags: Mapping[str, str]
    kms_key_arn: pulumi.Input[str] | None = None
    """The stack's key (``kms_key``); None keeps AWS's keys."""
    alarm_actions: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    """SNS topics the dead-letter alarms notify."""


def create_insight_trigger(
    parent: pulumi.Resource, name: str, settings: InsightSettings
) -> tuple[aws.lambda_.Function, aws.cloudwatch.LogGroup]:
    """``<name>-role``, the function ``<name>`` (with its logs and policy), the rule and its target."""
    spec = settings.spec
    stack = pulumi.get_stack()
    child = pulumi.ResourceOptions(parent=parent)
    tags = {**settings.tags, INSIGHT_TAG: "insight"}
    role = aws.iam.Role(
        f"{name}-role",
        name_prefix=physical_name(spec.slug, stack, "insight", limit=37) + "-",
        assume_role_policy=assume_role_policy("lambda.amazonaws.com"),
        tags=tags,
        opts=child,
    )
    bus = settings.bus
    stream = settings.decision_stream_arn
    # EventBridge invokes the function asynchronously: an insight the function failed on (after
    # Lambda's own retries) lands in this queue, sent with the function's role.
    failed = dead_letter_queue(
        parent,
        f"{name}-failed",
        purpose="insights-failed",
        description="The insight function failed on an insight, after Lambda's retries.",
        sender={"AWS": role.arn},
        slug=spec.slug,
        alarm_actions=settings.alarm_actions,
        key_arn=settings.kms_key_arn,
        tags=tags,
    )
    function, log_group = governed_function(
        name,
        FunctionSettings(
            function_name=physical_name(spec.slug, stack, "insight", limit=64),
            handler=settings.handler,
            code=settings.code,
            role=role,
            policy_name=INSIGHT_POLICY_NAME,
            statements=lambda own_logs: [
                # UpdateItem: a job the bus refused is marked failed, never left accepted.
                allow("JobsCreate", ["dynamodb:PutItem", "dynamodb:UpdateItem"], settings.jobs_table_arn),
                allow("JobAccepted", ["events:PutEvents"], bus.arn),
                allow("FailedInsights", ["sqs:SendMessage"], failed.arn),
                *(
                    [allow("DecisionEvents", ["firehose:PutRecordBatch"], stream)]
                    if stream is not None
                    else []
                ),
                *logs_and_tracing(own_logs),
            ],
            environment={
                **settings.environment,
                ENV_JOBS_TABLE: settings.jobs_table_name,
                ENV_EVENT_BUS: bus.name,
                ENV_POWERTOOLS_SERVICE_NAME: spec.slug,
            },
            timeout=TIMEOUT_SECONDS,
            memory_mb=MEMORY_MB,
            retention_days=spec.observability.retention_days,
            kms_key_arn=settings.kms_key_arn,
        ),
        parent=parent,
        tags=tags,
    )
    rule = aws.cloudwatch.EventRule(
        f"{name}-rule",
        name=INSIGHT_RULE_NAME,
        event_bus_name=bus.name,
        event_pattern=pulumi.Output.json_dumps(
            {"source": [INSIGHT_EVENT_SOURCE], "detail-type": [INSIGHT_DETAIL_TYPE]}
        ),
        tags=dict(settings.tags),
        opts=child,
    )
    permission = aws.lambda_.Permission(
        f"{name}-invoke",
        action="lambda:InvokeFunction",
        function=function.name,
        principal="events.amazonaws.com",
        source_arn=rule.arn,
        source_account=account_of(parent),
        opts=child,
    )
    aws.lambda_.FunctionEventInvokeConfig(
        f"{name}-async",
        function_name=function.name,
        maximum_retry_attempts=2,
        maximum_event_age_in_seconds=3600,
        destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
            on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                destination=failed.arn
            )
        ),
        opts=child,
    )
    # An insight EventBridge could not hand to the function at all (after its retries).
    undelivered = dead_letter_queue(
        parent,
        f"{name}-undelivered",
        purpose="insights-undelivered",
        description="EventBridge could not deliver an insight to the insight function.",
        sender={"Service": "events.amazonaws.com"},
        source_arn=rule.arn,
        slug=spec.slug,
        alarm_actions=settings.alarm_actions,
        key_arn=settings.kms_key_arn,
        tags=tags,
    )
    aws.cloudwatch.EventTarget(
        f"{name}-target",
        target_id=INSIGHT_TARGET_ID,
        rule=rule.name,
        event_bus_name=bus.name,
        arn=function.arn,
        retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
            maximum_event_age_in_seconds=3600, maximum_retry_attempts=20
        ),
        dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=undelivered.arn),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[permission]),
    )
    return function, log_group
