"""Every asynchronous target has a dead-letter queue that only its source may fill, and an alarm
on that queue that can fire."""

from __future__ import annotations

import json
from typing import Any

import pytest
from governed_assistant.infra import invariants
from governed_assistant.infra.testing import ACCOUNT_ID, MockRun, RegisteredResource, mock_arn

from tests.infra.test_assistant import build, make_spec

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
RULE = "aws:cloudwatch/eventRule:EventRule"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
TOPIC = "arn:aws:sns:us-east-1:123456789012:on-call"
TWO_WEEKS = 1_209_600


@pytest.fixture(scope="module")
def run() -> MockRun:
    """Pattern C: both EventBridge targets (the job trigger, the insight function) and an async function."""
    return build(make_spec("insights-to-action"), alarm_actions=[TOPIC])


def queue_by_arn(run: MockRun) -> dict[str, RegisteredResource]:
    return {mock_arn(QUEUE, queue.name): queue for queue in run.of_type(QUEUE)}


def policy_statement(run: MockRun, queue: RegisteredResource) -> dict[str, Any]:
    url_tail = f"/{queue.name}"
    (policy,) = [p for p in run.of_type(QUEUE_POLICY) if str(p.inputs["queueUrl"]).endswith(url_tail)]
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    return dict(statement)


def test_every_eventbridge_target_dead_letters_to_a_queue_only_its_rule_may_fill(run: MockRun) -> None:
    """Each target's dead-letter queue lets EventBridge send for that target's rule and nothing else."""
    queues = queue_by_arn(run)
    targets = run.of_type(TARGET)
    assert len(targets) == 2
    for target in targets:
        queue = queues[target.inputs["deadLetterConfig"]["arn"]]
        (rule,) = [r for r in run.of_type(RULE) if r.inputs["name"] == target.inputs["rule"]]
        statement = policy_statement(run, queue)
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert statement["Resource"] == mock_arn(QUEUE, queue.name)
        assert statement["Condition"] == {
            "ArnEquals": {
                "aws:SourceArn": mock_arn(RULE, rule.name, eventBusName=rule.inputs["eventBusName"])
            },
            "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        }


def test_insight_function_failures_go_to_a_queue_only_its_role_may_fill(run: MockRun) -> None:
    """The function EventBridge invokes asynchronously sends what it failed on to its own queue."""
    (config,) = run.of_type(INVOKE_CONFIG)
    destination = config.inputs["destinationConfig"]["onFailure"]["destination"]
    queue = queue_by_arn(run)[destination]
    statement = policy_statement(run, queue)
    assert statement["Principal"] == {
        "AWS": mock_arn("aws:iam/role:Role", "assistant-execution-insight-role")
    }
    assert "Condition" not in statement
    (function,) = [f for f in run.of_type("aws:lambda/function:Function") if f.name.endswith("-insight")]
    assert config.inputs["functionName"] == function.inputs["name"]


def test_every_dead_letter_queue_is_encrypted_and_keeps_messages_two_weeks(run: MockRun) -> None:
    """SQS-managed encryption on, and the longest retention SQS allows."""
    queues = run.of_type(QUEUE)
    assert len(queues) == 3
    for queue in queues:
        assert queue.inputs["sqsManagedSseEnabled"] is True
        assert queue.inputs["messageRetentionSeconds"] == TWO_WEEKS


def test_every_dead_letter_queue_has_an_alarm_on_its_first_visible_message(run: MockRun) -> None:
    """An alarm per queue, on the metric SQS publishes for it, firing on one message, telling the topics."""
    alarms = {
        alarm.inputs["dimensions"]["QueueName"]: alarm.inputs
        for alarm in run.of_type(ALARM)
        if alarm.inputs["namespace"] == "AWS/SQS"
    }
    assert set(alarms) == {queue.name for queue in run.of_type(QUEUE)}
    for alarm in alarms.values():
        assert alarm["metricName"] == "ApproximateNumberOfMessagesVisible"
        assert (alarm["comparisonOperator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)
        assert alarm["statistic"] == "Maximum"
        assert alarm["treatMissingData"] == "notBreaching"
        assert alarm["alarmActions"] == [TOPIC]


def test_program_passes_the_dead_letter_invariants(run: MockRun) -> None:
    """The program breaks neither the per-resource nor the stack-wide dead-letter rule."""
    problems = [
        problem
        for r in run.resources
        for problem in invariants.async_targets_have_dead_letters(r.type, r.name, r.inputs)
    ]
    assert problems == []
    assert invariants.async_functions_have_dead_letters(run.resources) == []


@pytest.mark.parametrize(
    ("resource_type", "inputs", "hint"),
    [
        pytest.param(TARGET, {"rule": "r", "arn": "arn:aws:states:::x"}, "dead_letter_config", id="target"),
        pytest.param(INVOKE_CONFIG, {"functionName": "f"}, "on_failure", id="invoke-config"),
        pytest.param(
            "aws:sns/topicSubscription:TopicSubscription", {"protocol": "lambda"}, "redrive_policy", id="sub"
        ),
    ],
)
def test_async_target_without_dead_letters_is_a_violation(
    resource_type: str, inputs: dict[str, Any], hint: str
) -> None:
    """An EventBridge target, async invoke config or SNS subscription without a queue is reported."""
    (problem,) = invariants.async_targets_have_dead_letters(resource_type, "x", inputs)
    assert hint in problem and "'x'" in problem


def test_async_function_without_failure_destination_is_a_violation(run: MockRun) -> None:
    """Dropping the insight function's invoke config leaves an EventBridge-invoked function reported."""
    remaining = [r for r in run.resources if r.type != INVOKE_CONFIG]
    (problem,) = invariants.async_functions_have_dead_letters(remaining)
    assert "events.amazonaws.com" in problem and "insight" in problem


def test_async_invariants_run_with_the_others(run: MockRun) -> None:
    """check_resources (and so the policy pack) includes both rules."""
    remaining = [r for r in run.resources if r.type != INVOKE_CONFIG]
    assert any("invoked asynchronously" in p for p in invariants.check_resources(remaining, make_spec()))
    assert "async-targets-have-dead-letters" in invariants.resource_checks(make_spec())
    assert "async-functions-have-dead-letters" in invariants.stack_checks()
