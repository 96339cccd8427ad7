"""What an operator reads: the CloudWatch dashboard and the saved "decision chain" query.

The dashboard shows latency by stage, tokens by tenant, jobs started, succeeded and failed,
and the alarms. The query (CloudWatch Logs Insights) prints one job's decision events in
order, from the functions' log groups: with OpenSearch off, that is where the trace is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, get_args

import pulumi
import pulumi_aws as aws

from governed_assistant.contracts import Stage
from governed_assistant.infra.functions import physical_name
from governed_assistant.wire import DIMENSION_SERVICE, DIMENSION_STAGE, METRIC_STAGE_LATENCY

STAGES: Final[tuple[str, ...]] = get_args(Stage)


def create_decision_chain_query(
    parent: pulumi.Resource, name: str, *, slug: str, log_group_names: Sequence[pulumi.Input[str]]
) -> aws.cloudwatch.QueryDefinition:
    """``<name>-decision-chain``: a job's decision events, oldest first (its id replaces a placeholder)."""
    return aws.cloudwatch.QueryDefinition(
        f"{name}-decision-chain",
        name=f"governed/{slug}/{pulumi.get_stack()}/decision-chain",
        log_group_names=list(log_group_names),
        query_string=(
            "fields timestamp, stage, outcome, latencyMs, tenantId, userId, details\n"
            "| filter schemaVersion >= 1 and jobId = 'REPLACE_WITH_JOB_ID'\n"
            "| sort timestamp asc"
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def create_dashboard(
    parent: pulumi.Resource,
    name: str,
    *,
    slug: str,
    region: pulumi.Input[str],
    metrics_namespace: str,
    log_group_names: Sequence[pulumi.Input[str]],
    state_machine_arn: pulumi.Input[str],
    alarms: Sequence[aws.cloudwatch.MetricAlarm],
) -> aws.cloudwatch.Dashboard:
    """``<name>-dashboard``: latency by stage, tokens by tenant, jobs, alarms."""
    sources = pulumi.Output.all(*log_group_names).apply(
        lambda names: " | ".join(f"SOURCE '{group}'" for group in names)
    )
    # Tokens by tenant come from the events, not from a metric: a per-tenant metric
    # dimension would cost one custom metric per tenant.
    tokens_query = pulumi.Output.concat(
        sources,
        " | filter schemaVersion >= 1 and ispresent(`gen_ai.usage.input_tokens`)"
        " | stats sum(`gen_ai.usage.input_tokens`) as inputTokens,"
        " sum(`gen_ai.usage.output_tokens`) as outputTokens by tenantId"
        " | sort inputTokens desc | limit 25",
    )
    latency = [
        [
            metrics_namespace,
            METRIC_STAGE_LATENCY,
            DIMENSION_SERVICE,
            slug,
            DIMENSION_STAGE,
            stage,
            {"stat": "p95", "label": stage},
        ]
        for stage in STAGES
    ]
    body = {
        "widgets": [
            _widget(0, 0, "metric", "Latency by stage (p95, ms)", {"metrics": latency, "region": region}),
            _widget(
                12,
                0,
                "log",
                "Tokens by tenant",
                {"query": tokens_query, "region": region, "view": "table"},
            ),
            _widget(
                0,
                6,
                "metric",
                "Jobs",
                {
                    "metrics": [
                        ["AWS/States", metric, "StateMachineArn", state_machine_arn]
                        for metric in ("ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed")
                    ],
                    "stat": "Sum",
                    "region": region,
                },
            ),
            _widget(12, 6, "alarm", "Alarms", {"alarms": [alarm.arn for alarm in alarms]}),
        ]
    }
    return aws.cloudwatch.Dashboard(
        f"{name}-dashboard",
        dashboard_name=physical_name(slug, pulumi.get_stack(), "decisions", limit=255),
        dashboard_body=pulumi.Output.json_dumps(body),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _widget(x: int, y: int, kind: str, title: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": kind,
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {"title": title, **properties},
    }
