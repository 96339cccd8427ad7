"""The AWS resources the assistant needs, created in moto's server as the Pulumi layers declare them.

Tables (jobs, approvals, idempotency, token usage), the approval topic, the job state machine
(``governed_assistant.infra.asl.build_definition(spec)``, rendered with local function ARNs), and the
event bus with the "job accepted" rule. moto's EventBridge cannot deliver to a Step Functions
target, so the rule's target here is a queue, which ``bridge.JobStarter`` drains into
``StartExecution`` with the target's input path applied - see ``bridge``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from governed_assistant.infra.asl import (
    APPROVAL,
    COMPENSATE,
    EXECUTE,
    GATE,
    GUARDRAIL_OUTPUT,
    REASON,
    RESPOND,
    build_definition,
    render_definition,
)
from governed_assistant.infra.execution import INSIGHTS_PATTERN
from governed_assistant.local.constants import ACCOUNT_ID
from governed_assistant.runtime.jobs.tables import TableNames, create_tables
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import (
    INSIGHT_DETAIL_TYPE,
    INSIGHT_EVENT_SOURCE,
    INSIGHT_RULE_NAME,
    INSIGHT_TARGET_ID,
    JOB_ACCEPTED_DETAIL_TYPE,
    JOB_EVENT_SOURCE,
    JOB_RULE_NAME,
    JOB_TARGET_ID,
)

_PLACEHOLDERS: Final = {
    REASON: "reason",
    GATE: "gate",
    APPROVAL: "approval",
    EXECUTE: "execute",
    COMPENSATE: "compensate",
    GUARDRAIL_OUTPUT: "guardrail_output",
    RESPOND: "respond",
}


@dataclass(frozen=True)
class LocalResources:
    """Names and ARNs of everything created in moto, for the environment and the bridge."""

    tables: TableNames
    usage_table: str
    approval_topic_arn: str
    state_machine_arn: str
    event_bus_name: str
    event_bus_arn: str
    job_queue_url: str
    function_arns: dict[str, str]
    insight_queue_url: str | None = None


def function_arn(region: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


def local_definition(spec: AssistantSpec, region: str) -> str:
    """The execution layer's definition for ``spec``, with each placeholder set to a local function ARN."""
    arns = {placeholder[2:-1]: function_arn(region, step) for placeholder, step in _PLACEHOLDERS.items()}
    return render_definition(build_definition(spec), arns)


def local_slug(spec: AssistantSpec) -> str:
    """What every local resource's name starts with."""
    return spec.slug.replace("_", "-")


def local_table_names(spec: AssistantSpec) -> tuple[TableNames, str]:
    """The local stack's tables (jobs, approvals, idempotency) and its token usage table."""
    slug = local_slug(spec)
    tables = TableNames(jobs=f"{slug}-jobs", approvals=f"{slug}-approvals", idempotency=f"{slug}-idempotency")
    return tables, f"{slug}-token-usage"


def local_state_machine_arn(spec: AssistantSpec) -> str:
    """The job state machine's ARN in the local stack's moto."""
    return f"arn:aws:states:{spec.region}:{ACCOUNT_ID}:stateMachine:{local_slug(spec)}-jobs"


def create_resources(session: Any, spec: AssistantSpec) -> LocalResources:
    """Create every resource in the moto server ``session``'s clients point at (a boto3 Session)."""
    region = session.region_name
    slug = local_slug(spec)
    names, usage_table = local_table_names(spec)
    tables = create_tables(session.client("dynamodb"), names)
    dynamodb = session.client("dynamodb")
    dynamodb.create_table(
        TableName=usage_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "tenantId", "AttributeType": "S"},
            {"AttributeName": "day", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "tenantId", "KeyType": "HASH"},
            {"AttributeName": "day", "KeyType": "RANGE"},
        ],
    )
    topic_arn = session.client("sns").create_topic(Name=f"{slug}-approvals")["TopicArn"]
    sfn = session.client("stepfunctions")
    state_machine_arn = sfn.create_state_machine(
        name=f"{slug}-jobs",
        definition=local_definition(spec, region),
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{slug}-states",
        type="STANDARD",
    )["stateMachineArn"]
    events = session.client("events")
    bus_name = f"{slug}-bus"
    bus_arn = events.create_event_bus(Name=bus_name)["EventBusArn"]
    events.put_rule(
        Name=JOB_RULE_NAME,
        EventBusName=bus_name,
        EventPattern=json.dumps({"source": [JOB_EVENT_SOURCE], "detail-type": [JOB_ACCEPTED_DETAIL_TYPE]}),
    )
    queue_url = _queue_target(session, bus_name, JOB_RULE_NAME, JOB_TARGET_ID, f"{slug}-job-accepted")
    insight_queue_url = None
    if spec.pattern == INSIGHTS_PATTERN:
        events.put_rule(
            Name=INSIGHT_RULE_NAME,
            EventBusName=bus_name,
            EventPattern=json.dumps({"source": [INSIGHT_EVENT_SOURCE], "detail-type": [INSIGHT_DETAIL_TYPE]}),
        )
        insight_queue_url = _queue_target(
            session, bus_name, INSIGHT_RULE_NAME, INSIGHT_TARGET_ID, f"{slug}-insights"
        )
    return LocalResources(
        tables=tables,
        usage_table=usage_table,
        approval_topic_arn=topic_arn,
        state_machine_arn=state_machine_arn,
        event_bus_name=bus_name,
        event_bus_arn=bus_arn,
        job_queue_url=queue_url,
        function_arns={step: function_arn(region, step) for step in _PLACEHOLDERS.values()},
        insight_queue_url=insight_queue_url,
    )


def _queue_target(session: Any, bus_name: str, rule: str, target_id: str, queue_name: str) -> str:
    """A queue as ``rule``'s only target (see ``bridge``); returns its URL."""
    sqs = session.client("sqs")
    # A short visibility timeout: an event whose delivery failed is offered again soon,
    # as EventBridge's target retry policy would.
    queue_url: str = sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    session.client("events").put_targets(
        Rule=rule, EventBusName=bus_name, Targets=[{"Id": target_id, "Arn": attributes["QueueArn"]}]
    )
    return queue_url
