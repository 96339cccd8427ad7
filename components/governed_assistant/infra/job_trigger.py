"""How an accepted job starts: the bus, the "job accepted" rule, and its target, the state machine.

The conversation layer (and, in Pattern C, the insight function) puts "job accepted" on the
bus; the rule starts one execution per event with the event's detail as its input. An event
that cannot start an execution after EventBridge's retries lands in a dead-letter queue,
never lost silently.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.functions import account_of, policy_document, service_role, source_conditions
from governed_assistant.wire import JOB_ACCEPTED_DETAIL_TYPE, JOB_EVENT_SOURCE, JOB_RULE_NAME, JOB_TARGET_ID


def create_job_trigger(
    parent: pulumi.Resource,
    name: str,
    *,
    slug: str,
    state_machine: aws.sfn.StateMachine,
    tags: Mapping[str, str],
) -> aws.cloudwatch.EventBus:
    """``<name>-bus``, the rule ``<name>-job-accepted`` and its target ``<name>-start-job``."""
    child = pulumi.ResourceOptions(parent=parent)
    account = account_of(parent)
    bus = aws.cloudwatch.EventBus(f"{name}-bus", tags=dict(tags), opts=child)
    rule = aws.cloudwatch.EventRule(
        f"{name}-job-accepted",
        name=JOB_RULE_NAME,
        event_bus_name=bus.name,
        event_pattern=pulumi.Output.json_dumps(
            {"source": [JOB_EVENT_SOURCE], "detail-type": [JOB_ACCEPTED_DETAIL_TYPE]}
        ),
        tags=dict(tags),
        opts=child,
    )
    role = service_role(
        name,
        "trigger",
        slug=slug,
        stack=pulumi.get_stack(),
        service="events.amazonaws.com",
        tags=tags,
        parent=parent,
        # EventBridge assumes it for this rule's target alone, never for another rule or account's.
        **source_conditions(account, rule.arn),
    )
    policy = aws.iam.RolePolicy(
        f"{name}-trigger-policy",
        name="governed-start-execution",
        role=role.id,
        policy=policy_document(
            [
                {
                    "Sid": "StartJob",
                    "Effect": "Allow",
                    "Action": ["states:StartExecution"],
                    "Resource": state_machine.arn,
                }
            ]
        ),
        opts=child,
    )
    # A job that was accepted but never started would be lost silently: after the
    # retries, the event lands in this queue, where an alarm or a person finds it.
    dead_letters = aws.sqs.Queue(
        f"{name}-unstarted",
        sqs_managed_sse_enabled=True,
        message_retention_seconds=14 * 24 * 3600,
        tags=dict(tags),
        opts=child,
    )
    aws.sqs.QueuePolicy(
        f"{name}-unstarted-policy",
        queue_url=dead_letters.url,
        policy=policy_document(
            [
                {
                    "Sid": "EventBridgeDeadLetters",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": dead_letters.arn,
                    "Condition": {
                        "ArnEquals": {"aws:SourceArn": rule.arn},
                        "StringEquals": {"aws:SourceAccount": account},
                    },
                }
            ]
        ),
        opts=child,
    )
    aws.cloudwatch.EventTarget(
        f"{name}-start-job",
        target_id=JOB_TARGET_ID,
        rule=rule.name,
        event_bus_name=bus.name,
        arn=state_machine.arn,
        role_arn=role.arn,
        # The execution's input is the event's detail: the job, as the conversation layer recorded it.
        input_path="$.detail",
        retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
            maximum_event_age_in_seconds=3600, maximum_retry_attempts=20
        ),
        dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dead_letters.arn),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy]),
    )
    return bus
