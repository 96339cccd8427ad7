"""The alarms: what tells someone the assistant is in trouble, and what rolls a flags change back.

One alarm each for the API's 5xx, failed job executions, bursts of guardrail blocks and the
circuit breaker on Bedrock calls opening, and one per function for throttling. AppConfig
watches ``ROLLBACK_ALARMS`` while it rolls out a flags change, rolling back when one fires;
their names are fixed (``alarm_name``), so the rollout layer can name them before they exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Final

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.functions import physical_name
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import DIMENSION_SERVICE, METRIC_BREAKER_OPEN, METRIC_GUARDRAIL_BLOCKED

# A handful of blocks is the guardrail doing its job; a burst is an attack or a broken prompt.
GUARDRAIL_BLOCK_THRESHOLD: Final = 10
ALARM_PERIOD_SECONDS: Final = 300

# The alarms AppConfig watches while it rolls out a flags change (rolling back when one fires):
# what a bad flag (shadow mode off too early, a wrong canary) would set off.
ROLLBACK_ALARMS: Final[tuple[str, ...]] = ("api-5xx", "executions-failed", "breaker-open")


def alarm_name(slug: str, stack: str, purpose: str) -> str:
    """An alarm's physical name: fixed, so the rollout layer can watch it before it exists."""
    return physical_name(slug, stack, purpose, limit=255)


@dataclass(frozen=True)
class AlarmSettings:
    """What the alarms watch, and whom they tell."""

    spec: AssistantSpec
    metrics_namespace: str
    """The namespace of the runtime's custom metrics (guardrail blocks, breaker)."""
    api_id: pulumi.Input[str]
    state_machine_arn: pulumi.Input[str]
    function_names: Sequence[pulumi.Input[str]]
    """One throttling alarm each."""
    actions: Sequence[pulumi.Input[str]]
    """SNS topics told when an alarm fires and when it clears; may be empty."""
    tags: Mapping[str, str]


def create_alarms(
    parent: pulumi.Resource, name: str, settings: AlarmSettings
) -> dict[str, aws.cloudwatch.MetricAlarm]:
    """Each alarm by its purpose (``<name>-<purpose>``): the fixed ones first, then ``throttles-<i>``."""
    alarm = partial(_alarm, parent, name, settings)
    service = {DIMENSION_SERVICE: settings.spec.slug}
    alarms = [
        alarm(
            "api-5xx", "The API answered with server errors.",
            namespace="AWS/ApiGateway", metric_name="5xx", dimensions={"ApiId": settings.api_id},
            statistic="Sum", threshold=5,
        ),
        alarm(
            "executions-failed", "A job's state machine execution failed.",
            namespace="AWS/States", metric_name="ExecutionsFailed",
            dimensions={"StateMachineArn": settings.state_machine_arn}, statistic="Sum", threshold=1,
        ),
        alarm(
            "guardrail-blocks", "Bedrock Guardrails blocked a burst of inputs or outputs.",
            namespace=settings.metrics_namespace, metric_name=METRIC_GUARDRAIL_BLOCKED, dimensions=service,
            statistic="Sum", threshold=GUARDRAIL_BLOCK_THRESHOLD,
        ),
        # The runtime writes one CircuitBreakerOpen line (value 1) each time a breaker opens, in each
        # execution environment (each has its own breaker), and nothing while it stays open or
        # closed. So: Sum counts the openings in a period (Maximum would say 1 however many there
        # were), and one opening is enough - it takes a run of failed Bedrock calls, which is what a
        # bad canary model or prompt causes. Missing data is the normal case and must not breach:
        # AppConfig rolls back on INSUFFICIENT_DATA as on ALARM, so an alarm left without data
        # ("missing") would roll back every flags deployment.
        alarm(
            "breaker-open", "The circuit breaker on Bedrock calls opened.",
            namespace=settings.metrics_namespace, metric_name=METRIC_BREAKER_OPEN, dimensions=service,
            statistic="Sum", threshold=1,
        ),
    ]  # fmt: skip
    for index, function_name in enumerate(settings.function_names):
        alarms.append(
            alarm(
                f"throttles-{index}", "A function was throttled: raise its concurrency or slow callers.",
                namespace="AWS/Lambda", metric_name="Throttles",
                dimensions={"FunctionName": function_name}, statistic="Sum", threshold=1,
            )
        )  # fmt: skip
    return {purpose: created for purpose, created in alarms}


def _alarm(
    parent: pulumi.Resource,
    name: str,
    settings: AlarmSettings,
    purpose: str,
    description: str,
    *,
    namespace: str,
    metric_name: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    statistic: str,
    threshold: float,
) -> tuple[str, aws.cloudwatch.MetricAlarm]:
    return purpose, aws.cloudwatch.MetricAlarm(
        f"{name}-{purpose}",
        name=alarm_name(settings.spec.slug, pulumi.get_stack(), purpose),
        alarm_description=f"{settings.spec.name}: {description}",
        namespace=namespace,
        metric_name=metric_name,
        dimensions=dimensions,
        statistic=statistic,
        period=ALARM_PERIOD_SECONDS,
        evaluation_periods=1,
        threshold=threshold,
        comparison_operator="GreaterThanOrEqualToThreshold",
        # No data means nothing went wrong: no errors, no blocks, no throttles.
        treat_missing_data="notBreaching",
        alarm_actions=list(settings.actions),
        ok_actions=list(settings.actions),
        tags=dict(settings.tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
