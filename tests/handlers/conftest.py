"""Fixtures for the handler tests: moto for AWS, a stubbed Bedrock, a rendered spec, real action modules."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from governed_assistant.authz import starter_policy
from governed_assistant.handlers import environment
from governed_assistant.handlers.environment import Environment
from governed_assistant.runtime.flags import build_flags_document, write_flags_file
from governed_assistant.runtime.jobs.tables import create_tables
from governed_assistant.runtime.telemetry import MemorySink, recorder_from_env
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from governed_assistant.spec.model import DeniedTopic, Guardrails
from handler_harness import BUS, GUARDRAIL_ID, REGION, Bedrock, LocalScreen, Stack, write_actions
from moto import mock_aws

from tests.conftest import preset_document

USAGE_TABLE = "governed-usage"


def build_spec(preset: str) -> AssistantSpec:
    document = preset_document(preset)
    for action in document["actions"]:
        action["retry"] = {
            "max_attempts": 1,
            "interval_seconds": 1,
            "backoff_rate": 1.0,
            "max_delay_seconds": 1,
        }
    return parse_spec(render_spec_yaml(document))


@pytest.fixture
def preset() -> str:
    return "bounded-action"


@pytest.fixture
def stack(preset: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """moto with the execution layer's tables, bus, topic and usage table; the handlers' environment on it."""
    spec = build_spec(preset)
    spec_path = tmp_path / "assistant.yaml"
    spec_path.write_text(render_spec_yaml(spec.model_dump(mode="json")))
    policies = tmp_path / "policies"
    policies.mkdir()
    for role in spec.roles:
        (policies / f"{role}.cedar").write_text(starter_policy(spec, role))
    prompt = tmp_path / "system.md"
    prompt.write_text("You are a careful support assistant. Propose an action or answer.")
    flags = write_flags_file(
        tmp_path / "flags.json", build_flags_document(spec, live_tenants=["acme", "globex"])
    )
    package = f"actions_{uuid.uuid4().hex[:8]}"
    write_actions(tmp_path, package, spec)
    monkeypatch.syspath_prepend(str(tmp_path))
    ledger_path = tmp_path / "ledger.jsonl"
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "GOVERNED_SPEC_PATH": str(spec_path),
        "GOVERNED_POLICIES_DIR": str(policies),
        "GOVERNED_SYSTEM_PROMPT_PATH": str(prompt),
        "GOVERNED_FLAGS_FILE": str(flags),
        "GOVERNED_ACTIONS_PACKAGE": package,
        "GOVERNED_EVENT_BUS": BUS,
        "GOVERNED_GUARDRAIL_ID": GUARDRAIL_ID,
        "GOVERNED_GUARDRAIL_VERSION": "1",
        "GOVERNED_USAGE_TABLE": USAGE_TABLE,
        "GOVERNED_TELEMETRY_SINK": "memory",
        "HANDLER_TEST_LEDGER": str(ledger_path),
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_tables(dynamodb)
        dynamodb.create_table(
            TableName=USAGE_TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("tenantId", "day")],
            KeySchema=[
                {"AttributeName": "tenantId", "KeyType": "HASH"},
                {"AttributeName": "day", "KeyType": "RANGE"},
            ],
        )
        sqs = boto3.client("sqs", region_name=REGION)
        events = boto3.client("events", region_name=REGION)
        events.create_event_bus(Name=BUS)
        queue_url = sqs.create_queue(QueueName="accepted")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(
            Name="accepted", EventBusName=BUS,
            EventPattern=json.dumps({"source": ["governed.conversation"], "detail-type": ["job accepted"]}),
        )  # fmt: skip
        events.put_targets(Rule="accepted", EventBusName=BUS, Targets=[{"Id": "q", "Arn": queue_arn}])
        sns = boto3.client("sns", region_name=REGION)
        topic = sns.create_topic(Name="approvals")["TopicArn"]
        topic_queue = sqs.create_queue(QueueName="approvals")["QueueUrl"]
        topic_queue_arn = sqs.get_queue_attributes(QueueUrl=topic_queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=topic_queue_arn)
        monkeypatch.setenv("GOVERNED_APPROVAL_TOPIC_ARN", topic)
        bedrock = Bedrock(boto3.client("bedrock-runtime", region_name=REGION))
        sink = MemorySink()
        env = environment.configure(
            Environment(clients={"bedrock-runtime": bedrock.client}, recorder=recorder_from_env(sink=sink))
        )
        try:
            yield Stack(spec, env, bedrock, dynamodb, sqs, queue_url, topic_queue, ledger_path, sink)
        finally:
            environment.reset()
            for name in [name for name in sys.modules if name == package or name.startswith(f"{package}.")]:
                del sys.modules[name]


# What the local guardrail acts on in the ``screen`` fixture, besides prompt attacks in input.
SCREEN_GUARDRAILS = Guardrails(
    denied_topics=[
        DeniedTopic(
            name="Legal advice", definition="Interpreting laws, contracts or regulations as a lawyer."
        )
    ],
    pii_entities=["EMAIL"],
    pii_action="anonymize",
)


@pytest.fixture
def screen(stack: Stack) -> LocalScreen:
    """The handlers' guardrail answered by the local guardrail (``SCREEN_GUARDRAILS``), by content;
    the model stays stubbed."""
    local = LocalScreen(stack.spec.model_copy(update={"guardrails": SCREEN_GUARDRAILS}))
    stack.env._parts["guardrail"] = local.guardrail
    return local
