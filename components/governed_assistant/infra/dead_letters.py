"""Dead-letter queues for asynchronous targets, each with the alarm that says something landed in it.

Whatever AWS delivers asynchronously (an EventBridge target, a function EventBridge invokes) is
retried and then dropped unless it has somewhere to go. ``dead_letter_queue`` makes that place:
an encrypted queue that keeps messages for SQS's longest retention, a queue policy letting only
the one source send to it, and a CloudWatch alarm on the queue's visible messages, so a dropped
job is found by an alarm, not by a user asking where their answer went.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.alarms import ALARM_PERIOD_SECONDS, alarm_name
from governed_assistant.infra.functions import account_of, policy_document

# SQS's maximum: two weeks for someone to read, fix and redrive what failed.
DEAD_LETTER_RETENTION_SECONDS: Final = 14 * 24 * 3600
# What AWS/SQS publishes for every queue, by queue name: messages waiting to be received.
QUEUE_DEPTH_METRIC: Final = "ApproximateNumberOfMessagesVisible"


def dead_letter_queue(
    parent: pulumi.Resource,
    name: str,
    *,
    purpose: str,
    description: str,
    sender: Mapping[str, Any],
    slug: str,
    alarm_actions: Sequence[pulumi.Input[str]] = (),
    tags: Mapping[str, str],
    source_arn: pulumi.Input[str] | None = None,
    key_arn: pulumi.Input[str] | None = None,
) -> aws.sqs.Queue:
    """``<name>`` (the queue), ``<name>-policy`` and ``<name>-alarm``, children of ``parent``.

    ``sender`` is the policy's principal (``{"Service": "events.amazonaws.com"}``, or a role's
    ``{"AWS": arn}``); ``source_arn``, when given, is the one resource a service may send for
    (``aws:SourceArn``). ``purpose`` names the alarm (``alarm_name``). ``key_arn``, the stack's key
    (``kms_key``), encrypts the queue when given; SQS's own key otherwise.
    """
    child = pulumi.ResourceOptions(parent=parent)
    queue = aws.sqs.Queue(
        name,
        sqs_managed_sse_enabled=key_arn is None,
        kms_master_key_id=key_arn,
        message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
        tags=dict(tags),
        opts=child,
    )
    statement: dict[str, Any] = {
        "Sid": "DeadLetters",
        "Effect": "Allow",
        "Principal": dict(sender),
        "Action": "sqs:SendMessage",
        "Resource": queue.arn,
    }
    if source_arn is not None:
        # Against the confused deputy: the service sends only for that resource, of this account.
        statement["Condition"] = {
            "ArnEquals": {"aws:SourceArn": source_arn},
            "StringEquals": {"aws:SourceAccount": account_of(parent)},
        }
    aws.sqs.QueuePolicy(
        f"{name}-policy", queue_url=queue.url, policy=policy_document([statement]), opts=child
    )
    aws.cloudwatch.MetricAlarm(
        f"{name}-alarm",
        name=alarm_name(slug, pulumi.get_stack(), purpose),
        alarm_description=f"{description} Read the queue, fix the cause, then redrive its messages.",
        namespace="AWS/SQS",
        metric_name=QUEUE_DEPTH_METRIC,
        dimensions={"QueueName": queue.name},
        # Any message at all: each one is a job or an insight that did not run.
        statistic="Maximum",
        period=ALARM_PERIOD_SECONDS,
        evaluation_periods=1,
        threshold=0,
        comparison_operator="GreaterThanThreshold",
        # SQS publishes nothing for an idle empty queue: that is the good case.
        treat_missing_data="notBreaching",
        alarm_actions=list(alarm_actions),
        ok_actions=list(alarm_actions),
        tags=dict(tags),
        opts=child,
    )
    return queue
