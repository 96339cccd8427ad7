"""The job state machine (Step Functions, Standard): the definition ``asl`` builds, with ARNs filled in.

``governed_assistant.infra.asl`` builds the definition from the spec with a placeholder for
each function (``governed_assistant.infra.steps.definition_steps`` says whose); here each
placeholder becomes that function's ARN, and the machine gets a role that may invoke those
functions and nothing else, execution logs without data, and X-Ray tracing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.asl import REASON, build_definition, render_definition
from governed_assistant.infra.functions import (
    account_of,
    own_arn,
    physical_name,
    policy_document,
    service_role,
    source_conditions,
)
from governed_assistant.infra.steps import KEY_USE_ACTIONS, KEY_USE_SID, STEPS, Step, definition_steps
from governed_assistant.spec.model import AssistantSpec

# Step Functions delivers execution logs through CloudWatch Logs' vended-log APIs, which
# AWS documents with Resource "*" only.
# How long Step Functions reuses a data key of the stack's key (60 to 900 seconds): five minutes
# spares most KMS calls and keeps a disabled key from going unnoticed for long.
KEY_REUSE_SECONDS: Final = 300
STATE_MACHINE_LOG_DELIVERY_ACTIONS: Final = frozenset(
    {
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
)


def create_state_machine(
    parent: pulumi.Resource,
    name: str,
    *,
    spec: AssistantSpec,
    functions: Mapping[Step, aws.lambda_.Function],
    reason_arn: pulumi.Input[str],
    tags: Mapping[str, str],
    key_arn: pulumi.Input[str] | None = None,
) -> aws.sfn.StateMachine:
    """``<name>-jobs``, with its logs (``<name>-states-logs``), role and policy (``<name>-states-*``)."""
    stack = pulumi.get_stack()
    child = pulumi.ResourceOptions(parent=parent)
    machine_name = physical_name(spec.slug, stack, "jobs", limit=80)
    # The /aws/vendedlogs/ prefix keeps CloudWatch's log resource policy from growing per group.
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-states-logs",
        name_prefix=f"/aws/vendedlogs/states/{physical_name(spec.slug, stack, limit=64)}-",
        retention_in_days=spec.observability.retention_days,
        kms_key_id=key_arn,
        tags=dict(tags),
        opts=child,
    )
    machine_name = physical_name(spec.slug, stack, "jobs", limit=80)
    # Only this machine may act as its role: its name is fixed here, so its ARN is known before
    # it exists (the machine needs the role's ARN, the role never needs the machine).
    role = service_role(
        name, "states", slug=spec.slug, stack=stack, service="states.amazonaws.com", tags=tags, parent=parent,
        **source_conditions(account_of(parent), own_arn(parent, "states", f"stateMachine:{machine_name}")),
    )  # fmt: skip
    policy = aws.iam.RolePolicy(
        f"{name}-states-policy",
        name="governed-state-machine",
        role=role.id,
        policy=policy_document(
            [
                {
                    "Sid": "InvokeSteps",
                    "Effect": "Allow",
                    "Action": ["lambda:InvokeFunction"],
                    "Resource": [reason_arn, *(functions[step].arn for step in STEPS)],
                },
                {
                    # CloudWatch Logs' vended-log delivery APIs take no resource ARN.
                    "Sid": "ExecutionLogs",
                    "Effect": "Allow",
                    "Action": sorted(STATE_MACHINE_LOG_DELIVERY_ACTIONS),
                    "Resource": "*",
                },
                {
                    "Sid": "Tracing",
                    "Effect": "Allow",
                    "Action": [
                        "xray:PutTraceSegments",
                        "xray:PutTelemetryRecords",
                        "xray:GetSamplingRules",
                        "xray:GetSamplingTargets",
                    ],
                    "Resource": "*",
                },
                # Step Functions encrypts the definition and execution history with the stack's key.
                *_key_use_for(parent, machine_name, key_arn),
            ]
        ),
        opts=child,
    )
    definition = build_definition(spec)
    arns: dict[str, pulumi.Input[str]] = {
        placeholder: functions[step].arn
        for placeholder, step in definition_steps(definition, external=frozenset({REASON})).items()
    }
    arns[REASON[2:-1]] = reason_arn
    # Building the JSON string inside apply is fine; no resource is created there.
    rendered = pulumi.Output.all(**arns).apply(lambda resolved: render_definition(definition, resolved))
    return aws.sfn.StateMachine(
        f"{name}-jobs",
        name=machine_name,
        type="STANDARD",
        role_arn=role.arn,
        definition=rendered,
        # Every event, none of its data: the approval task token and message text stay out of
        # the logs (see invariants.state_machine_logs_events_without_data).
        logging_configuration=aws.sfn.StateMachineLoggingConfigurationArgs(
            level="ALL",
            include_execution_data=False,
            log_destination=pulumi.Output.concat(log_group.arn, ":*"),
        ),
        tracing_configuration=aws.sfn.StateMachineTracingConfigurationArgs(enabled=True),
        encryption_configuration=(
            aws.sfn.StateMachineEncryptionConfigurationArgs(
                type="CUSTOMER_MANAGED_KMS_KEY",
                kms_key_id=key_arn,
                kms_data_key_reuse_period_seconds=KEY_REUSE_SECONDS,
            )
            if key_arn is not None
            else None
        ),
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy]),
    )


def _key_use_for(
    parent: pulumi.Resource, machine_name: str, key_arn: pulumi.Input[str] | None
) -> list[dict[str, Any]]:
    """The role's use of the stack's key, for this state machine's data only: Step Functions puts the
    state machine's ARN in every request's encryption context (its documentation's execution role policy)."""
    if key_arn is None:
        return []
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    machine_arn = pulumi.Output.concat(
        "arn:",
        aws.get_partition_output(opts=invoke).partition,
        ":states:",
        aws.get_region_output(opts=invoke).region,
        ":",
        aws.get_caller_identity_output(opts=invoke).account_id,
        ":stateMachine:",
        machine_name,
    )
    return [
        {
            "Sid": KEY_USE_SID,
            "Effect": "Allow",
            "Action": list(KEY_USE_ACTIONS),
            "Resource": key_arn,
            "Condition": {"StringEquals": {"kms:EncryptionContext:aws:states:stateMachineArn": machine_arn}},
        }
    ]
