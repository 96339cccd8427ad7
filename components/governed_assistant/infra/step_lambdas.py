"""One Lambda function per step of the state machine, each with a role of its own.

A step's role may do what ``governed_assistant.infra.steps.step_grants`` says and nothing
else: its policy is built from those grants, each pointing at the resource its key names.
Its environment carries the names of the resources it was granted (``wire.ENV_BY_RESOURCE``),
so the code reaches exactly what the policy allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.functions import (
    FunctionSettings,
    LambdaCode,
    governed_function,
    physical_name,
    service_role,
)
from governed_assistant.infra.steps import (
    STEP_GRANTS,
    STEP_POLICY_PREFIX,
    STEP_TAG,
    ResourceKey,
    Step,
    step_grants,
)
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import (
    ENV_BY_RESOURCE,
    ENV_GUARDRAIL_VERSION,
    ENV_POWERTOOLS_SERVICE_NAME,
    ENV_STEP,
)

DEFAULT_TIMEOUT_SECONDS: Final = 30
MEMORY_MB: Final = 512


@dataclass(frozen=True)
class StepLambdaSettings:
    """What every step's function shares: the spec, the code, and what the grants point at."""

    spec: AssistantSpec
    code: LambdaCode
    handlers: Mapping[Step, str]
    environment: Mapping[str, pulumi.Input[str]]
    """Variables every step function gets, besides its own."""
    guardrail_version: pulumi.Input[str]
    resources: Mapping[ResourceKey, pulumi.Input[str]]
    """The ARN each grant's resource key points at (``decision_stream`` only with the firehose sink)."""
    values: Mapping[ResourceKey, pulumi.Input[str]]
    """What a step's environment variable carries for a resource it is granted (a table's name...)."""
    tags: Mapping[str, str]
    kms_key_arn: pulumi.Input[str] | None = None
    """The stack's key (``kms_key``): ``functions.governed_function`` encrypts with it and grants its use."""


def create_step_lambda(
    parent: pulumi.Resource, name: str, step: Step, settings: StepLambdaSettings
) -> tuple[aws.lambda_.Function, aws.cloudwatch.LogGroup]:
    """``<name>-<step>-role``, and the function ``<name>-<step>`` with its logs and policy."""
    spec = settings.spec
    stack = pulumi.get_stack()
    label = step.replace("_", "-")
    tags = {**settings.tags, STEP_TAG: step}
    role = service_role(
        name, label, slug=spec.slug, stack=stack, service="lambda.amazonaws.com", tags=tags, parent=parent
    )
    resources = settings.resources

    def statements(own_logs: pulumi.Output[str]) -> list[dict[str, Any]]:
        targets: dict[ResourceKey, pulumi.Input[str]] = {**resources, "own_log_group": own_logs, "*": "*"}
        return [
            {
                "Sid": grant.sid,
                "Effect": grant.effect,
                "Action": list(grant.actions),
                "Resource": targets[grant.resource],
            }
            for grant in step_grants(step, telemetry="decision_stream" in resources)
        ]

    environment: dict[str, pulumi.Input[str]] = {
        **settings.environment,
        ENV_STEP: step,
        ENV_POWERTOOLS_SERVICE_NAME: spec.slug,
    }
    for grant in STEP_GRANTS[step]:
        if grant.resource in ENV_BY_RESOURCE:
            environment[ENV_BY_RESOURCE[grant.resource]] = settings.values[grant.resource]
    if any(grant.resource == "guardrail" for grant in STEP_GRANTS[step]):
        environment[ENV_GUARDRAIL_VERSION] = settings.guardrail_version
    function_settings = FunctionSettings(
        function_name=physical_name(spec.slug, stack, label, limit=64),
        handler=settings.handlers[step],
        code=settings.code,
        role=role,
        policy_name=STEP_POLICY_PREFIX + step,
        statements=statements,
        environment=environment,
        timeout=step_timeout(spec, step),
        memory_mb=MEMORY_MB,
        retention_days=spec.observability.retention_days,
        kms_key_arn=settings.kms_key_arn,
    )
    return governed_function(f"{name}-{label}", function_settings, parent=parent, tags=tags)


def step_timeout(spec: AssistantSpec, step: Step) -> int:
    """Executors get the slowest action's timeout (Step Functions stops them at their own)."""
    if step in ("execute", "compensate") and spec.actions:
        return max(action.timeout_seconds for action in spec.actions)
    return DEFAULT_TIMEOUT_SECONDS
