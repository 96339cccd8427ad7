"""How an accepted job starts: the bus, the "job accepted" rule, and its target, the state machine.

The conversation layer (and, in Pattern C, the insight function) puts "job accepted" on the
bus; the rule starts one execution per event with the event's detail as its input. An event
that cannot start an execution after EventBridge's retries lands in a dead-letter queue, whose
alarm fires on its first message: never lost silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.dead_letters import dead_letter_queue
from governed_assistant.infra.encryption import key_use
from governed_assistant.infra.functions import account_of, policy_document, service_role, source_conditions
from governed_assistant.wire import JOB_ACCEPTED_DETAIL_TYPE, JOB_EVENT_SOURCE, JOB_RULE_NAME, JOB_TARGET_ID


def create_job_trigger(
    parent: pulumi.Resource,
    name: str,
    *,
    slug: str,
    state_machine: aws.sfn.StateMachine,
    tags: Mapping[str, str],
    key_arn: pulumi.Input[str] | None = None,
    alarm_actions: Sequence[pulumi.Input[str]] = (),
) -> aws.cloudwatch.EventBus:
    """``<name>-bus``, the rule ``<name>-job-accepted`` and its target ``<name>-start-job``."""
    child = pulumi.ResourceOptions(parent=parent)
    account = account_of(parent)
    # Jobs on the bus (and the rule's pattern and target) are encrypted with the stack's key when it
    # has one: the key's policy lets EventBridge use it for this account's buses.
    bus = aws.cloudwatch.EventBus(f"{name}-bus", kms_key_identifier=key_arn, tags=dict(tags), opts=child)
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
                },
                # An encrypted state machine's input is encrypted with the stack's key as it starts.
                *key_use(key_arn),
            ]
        ),
        opts=child,
    )
    # A job that was accepted but never started would be lost silently: after the
    # retries, the event lands in this queue, and its alarm fires.
    dead_letters = dead_letter_queue(
        parent,
        f"{name}-unstarted",
        purpose="jobs-unstarted",
        description="An accepted job's event could not start the state machine.",
        sender={"Service": "events.amazonaws.com"},
        source_arn=rule.arn,
        slug=slug,
        alarm_actions=alarm_actions,
        key_arn=key_arn,
        tags=tags,
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
