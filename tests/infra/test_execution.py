"""The execution layer under mocks: what it creates, and that each step may do only its part."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pulumi
import pytest
from governed_assistant.infra import testing
from governed_assistant.infra.execution import ExecutionLayer, ExecutionLayerArgs
from governed_assistant.infra.functions import LambdaCode, physical_name
from governed_assistant.infra.steps import (
    BASELINE_GRANTS,
    STEP_GRANTS,
    STEP_POLICY_PREFIX,
    STEPS,
    ExecutionLayerError,
    Step,
    definition_steps,
    placeholder_step,
    step_grants,
)
from governed_assistant.infra.testing import ACCOUNT_ID, REGION, MockRun, RegisteredResource, run_with_mocks
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from governed_assistant.wire import ENV_BY_RESOURCE, JOB_ACCEPTED_DETAIL_TYPE, JOB_EVENT_SOURCE

from tests.conftest import PRESETS, REPO_ROOT, preset_document

LAYER = "assistant-execution"
GUARDRAIL_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:guardrail/gr0example"
REASON_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:assistant-reason"
FLAGS_ARN = f"arn:aws:appconfig:{REGION}:{ACCOUNT_ID}:application/app1/environment/env1/configuration/prof1"

# Nothing here is created per action: one executor dispatches every action by its type.
EXPECTED_INVENTORY = {
    "governed:execution:ExecutionLayer": 1,
    "aws:dynamodb/table:Table": 3,
    "aws:sns/topic:Topic": 1,
    # The topic's policy: subscriptions from this account only, over approver protocols only.
    "aws:sns/topicPolicy:TopicPolicy": 1,
    "aws:lambda/function:Function": len(STEPS),
    "aws:cloudwatch/logGroup:LogGroup": len(STEPS) + 1,
    # A role and an inline policy per step, the state machine's and the trigger's.
    "aws:iam/role:Role": len(STEPS) + 2,
    "aws:iam/rolePolicy:RolePolicy": len(STEPS) + 2,
    "aws:sfn/stateMachine:StateMachine": 1,
    "aws:cloudwatch/eventBus:EventBus": 1,
    "aws:cloudwatch/eventRule:EventRule": 1,
    "aws:cloudwatch/eventTarget:EventTarget": 1,
    "aws:sqs/queue:Queue": 1,
    "aws:sqs/queuePolicy:QueuePolicy": 1,
    # The unstarted jobs' dead-letter queue's alarm.
    "aws:cloudwatch/metricAlarm:MetricAlarm": 1,
}
# Pattern C's insight trigger: a function (role, policy, logs), its rule, target and permission.
INSIGHT_INVENTORY = {
    "aws:lambda/function:Function": 1,
    "aws:cloudwatch/logGroup:LogGroup": 1,
    "aws:iam/role:Role": 1,
    "aws:iam/rolePolicy:RolePolicy": 1,
    "aws:cloudwatch/eventRule:EventRule": 1,
    "aws:cloudwatch/eventTarget:EventTarget": 1,
    "aws:lambda/permission:Permission": 1,
    # Failed and undelivered insights: a dead-letter queue each, with its policy and alarm.
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": 1,
    "aws:sqs/queue:Queue": 2,
    "aws:sqs/queuePolicy:QueuePolicy": 2,
    "aws:cloudwatch/metricAlarm:MetricAlarm": 2,
}
STREAM_ARN = f"arn:aws:firehose:{REGION}:{ACCOUNT_ID}:deliverystream/assistant-test-decisions"


def preset_spec(preset: str) -> AssistantSpec:
    return parse_spec(render_spec_yaml(preset_document(preset)))


def lambda_code() -> LambdaCode:
    """Code any layer under test can run: this repository's components/, a made-up layer ARN."""
    return {
        "archive": pulumi.FileArchive(str(REPO_ROOT / "components")),
        "layer_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:deps:1",
        "runtime": "python3.12",
        "architecture": "arm64",
    }


def execution_args(spec: AssistantSpec, **overrides: Any) -> ExecutionLayerArgs:
    args: ExecutionLayerArgs = {
        "spec": spec,
        "code": lambda_code(),
        "handlers": {step: f"governed_assistant.handlers.{step}.handler" for step in STEPS},
        "environment": {"GOVERNED_METRICS_NAMESPACE": "Governed/Test"},
        "reason_function_arn": REASON_ARN,
        "guardrail_arn": GUARDRAIL_ARN,
        "guardrail_version": "1",
        "flags_arn": FLAGS_ARN,
        "protect_data": False,
        "account_id": ACCOUNT_ID,
        "insight_handler": "governed_assistant.handlers.insight.handler",
    }
    args.update(overrides)  # type: ignore[typeddict-item]
    return args


def build(spec: AssistantSpec, **overrides: Any) -> MockRun:
    return run_with_mocks(lambda: ExecutionLayer(LAYER, execution_args(spec, **overrides)), project=spec.slug)


def mock_arn(resource_type: str, name: str) -> str:
    """The ARN ``GovernedMocks`` gives a resource (see components/infra/testing.py)."""
    return testing.mock_arn(resource_type, name)


def label(step: Step) -> str:
    return step.replace("_", "-")


def only(run: MockRun, resource_type: str, name: str | None = None) -> RegisteredResource:
    matches = [r for r in run.of_type(resource_type) if name is None or r.name == name]
    assert len(matches) == 1, f"{resource_type} {name}: {[r.name for r in matches]}"
    return matches[0]


def statements(resource: RegisteredResource) -> list[dict[str, Any]]:
    document: dict[str, Any] = json.loads(resource.inputs["policy"])
    return list(document["Statement"])


@pytest.fixture(scope="module")
def runs() -> dict[str, MockRun]:
    return {preset: build(preset_spec(preset)) for preset in PRESETS}


@pytest.fixture(scope="module")
def run(runs: dict[str, MockRun]) -> MockRun:
    return runs["bounded-action"]


@pytest.mark.parametrize("preset", PRESETS)
def test_execution_layer_inventory_is_fixed_per_preset(runs: dict[str, MockRun], preset: str) -> None:
    """Every preset gets the same resources, however many actions it has; Pattern C adds its trigger."""
    types = runs[preset].types()
    del types["pulumi:pulumi:Stack"]
    expected = Counter(EXPECTED_INVENTORY)
    if preset == "insights-to-action":
        expected.update(INSIGHT_INVENTORY)
    assert types == expected


def test_insight_trigger_routes_insights_to_a_function_that_only_creates_jobs(
    runs: dict[str, MockRun],
) -> None:
    """The rule matches the insight source and detail type; its function only creates jobs and puts events."""
    run = runs["insights-to-action"]
    rule = only(run, "aws:cloudwatch/eventRule:EventRule", f"{LAYER}-insight-rule")
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["governed.insights"],
        "detail-type": ["insight raised"],
    }
    assert rule.inputs["eventBusName"] == f"{LAYER}-bus"
    target = only(run, "aws:cloudwatch/eventTarget:EventTarget", f"{LAYER}-insight-target")
    assert target.inputs["arn"] == mock_arn("aws:lambda/function:Function", f"{LAYER}-insight")
    function = only(run, "aws:lambda/function:Function", f"{LAYER}-insight")
    assert function.inputs["handler"] == "governed_assistant.handlers.insight.handler"
    variables = function.inputs["environment"]["variables"]
    assert variables["GOVERNED_JOBS_TABLE"] == f"{LAYER}-jobs"
    assert variables["GOVERNED_EVENT_BUS"] == f"{LAYER}-bus"
    granted = {
        s["Sid"]: (s["Action"], s["Resource"])
        for s in statements(only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-insight-policy"))
    }
    assert granted["JobsCreate"] == (
        ["dynamodb:PutItem", "dynamodb:UpdateItem"],
        mock_arn("aws:dynamodb/table:Table", f"{LAYER}-jobs"),
    )
    assert granted["JobAccepted"] == (
        ["events:PutEvents"],
        mock_arn("aws:cloudwatch/eventBus:EventBus", f"{LAYER}-bus"),
    )
    assert granted["FailedInsights"] == (
        ["sqs:SendMessage"],
        mock_arn("aws:sqs/queue:Queue", f"{LAYER}-insight-failed"),
    )
    assert set(granted) == {"JobsCreate", "JobAccepted", "FailedInsights", "OwnLogs", "Tracing"}


def test_insight_trigger_is_absent_outside_pattern_c(runs: dict[str, MockRun]) -> None:
    """Patterns A and B have no insight function and no rule besides "job accepted"."""
    for preset in ("bounded-action", "workflow-aware"):
        names = [r.name for r in runs[preset].resources]
        assert not [name for name in names if "insight" in name]


def test_pattern_c_without_an_insight_handler_is_refused() -> None:
    """Pattern C needs the insight handler; the error says which argument to pass."""
    args = execution_args(preset_spec("insights-to-action"))
    del args["insight_handler"]
    with pytest.raises(Exception, match="insight_handler="):
        run_with_mocks(lambda: ExecutionLayer(LAYER, args))


def test_decision_stream_grants_each_step_put_record_batch_on_it_alone() -> None:
    """With the firehose sink every step may PutRecordBatch on the stream, and on nothing else."""
    run = build(preset_spec("bounded-action"), decision_stream_arn=STREAM_ARN)
    for step in STEPS:
        policy = only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-{label(step)}-policy")
        firehose = [s for s in statements(policy) if any(a.startswith("firehose:") for a in s["Action"])]
        assert firehose == [
            {
                "Sid": "DecisionEvents",
                "Effect": "Allow",
                "Action": ["firehose:PutRecordBatch"],
                "Resource": STREAM_ARN,
            }
        ]


def test_steps_have_no_firehose_grant_with_the_log_sink(run: MockRun) -> None:
    """Without a decision stream no step policy mentions Firehose."""
    for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        assert "firehose" not in policy.inputs["policy"]


@pytest.mark.parametrize("preset", PRESETS)
def test_execution_layer_resources_are_parented_and_unique(runs: dict[str, MockRun], preset: str) -> None:
    """No resource sits outside the component, and no two share a URN."""
    assert runs[preset].orphans() == []
    assert runs[preset].duplicate_urns() == []


@pytest.mark.parametrize("preset", PRESETS)
def test_state_machine_definition_is_resolved_json(runs: dict[str, MockRun], preset: str) -> None:
    """The deployed definition parses, has no placeholder left, and calls only the layers' functions."""
    definition = only(runs[preset], "aws:sfn/stateMachine:StateMachine").inputs["definition"]
    parsed = json.loads(definition)
    assert parsed["States"]
    assert "${" not in definition
    function_arns = {mock_arn("aws:lambda/function:Function", f"{LAYER}-{label(step)}") for step in STEPS}
    referenced = set(re.findall(r"arn:aws:lambda:[^\"]+", definition))
    assert referenced
    assert referenced <= function_arns | {REASON_ARN}
    assert REASON_ARN in referenced


def test_state_machine_is_standard_logs_events_without_data_and_traces(run: MockRun) -> None:
    """Standard type, every event logged without its data to its own group, X-Ray tracing on."""
    machine = only(run, "aws:sfn/stateMachine:StateMachine").inputs
    assert machine["type"] == "STANDARD"
    assert machine["loggingConfiguration"] == {
        "level": "ALL",
        "includeExecutionData": False,
        "logDestination": mock_arn("aws:cloudwatch/logGroup:LogGroup", f"{LAYER}-states-logs") + ":*",
    }
    assert machine["tracingConfiguration"] == {"enabled": True}
    logs = only(run, "aws:cloudwatch/logGroup:LogGroup", f"{LAYER}-states-logs").inputs
    assert logs["namePrefix"].startswith("/aws/vendedlogs/states/")


def test_state_machine_role_invokes_only_the_step_functions(run: MockRun) -> None:
    """The state machine may invoke the reason function and the six step functions, nothing else."""
    (invoke, *others) = statements(only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-states-policy"))
    assert invoke["Action"] == ["lambda:InvokeFunction"]
    assert sorted(invoke["Resource"]) == sorted(
        [REASON_ARN, *(mock_arn("aws:lambda/function:Function", f"{LAYER}-{label(step)}") for step in STEPS)]
    )
    assert all(not action.startswith("lambda:") for statement in others for action in statement["Action"])


@pytest.mark.parametrize(
    ("table", "keys", "ttl"),
    [
        pytest.param("jobs", [("pk", "S"), ("sk", "S")], "expiresAt", id="jobs"),
        pytest.param("approvals", [("pk", "S"), ("sk", "S")], "expiresAt", id="approvals"),
        pytest.param("idempotency", [("id", "S")], "expiration", id="idempotency"),
    ],
)
def test_tables_have_their_keys_encryption_and_recovery(
    run: MockRun, table: str, keys: list[tuple[str, str]], ttl: str
) -> None:
    """Each table has its key schema, a TTL attribute, SSE and point-in-time recovery."""
    inputs = only(run, "aws:dynamodb/table:Table", f"{LAYER}-{table}").inputs
    assert [(a["name"], a["type"]) for a in inputs["attributes"]] == keys
    assert inputs["hashKey"] == keys[0][0]
    assert inputs.get("rangeKey") == (keys[1][0] if len(keys) > 1 else None)
    assert inputs["ttl"] == {"attributeName": ttl, "enabled": True}
    assert inputs["serverSideEncryption"] == {"enabled": True}
    assert inputs["pointInTimeRecovery"] == {"enabled": True, "recoveryPeriodInDays": 35}  # DynamoDB max


@pytest.mark.parametrize("protect", [True, False])
def test_protect_data_guards_every_table(spec: AssistantSpec, protect: bool) -> None:
    """protect_data protects every table, in Pulumi and in AWS: the idempotency records too, as
    replacing their table while jobs run could execute a retried action twice."""
    run = build(spec, protect_data=protect)
    protected = {
        r.name.removeprefix(f"{LAYER}-"): (
            r.inputs["deletionProtectionEnabled"],
            r.protect,
            r.retain_on_delete,
        )
        for r in run.of_type("aws:dynamodb/table:Table")
    }
    expected = (protect, protect, protect)
    assert protected == {"jobs": expected, "approvals": expected, "idempotency": expected}


@pytest.mark.parametrize("step", STEPS)
def test_step_policy_matches_its_row_of_the_grant_table(run: MockRun, step: Step) -> None:
    """A step's policy is exactly its grants, each on the one resource it names."""
    targets = {
        "jobs_table": mock_arn("aws:dynamodb/table:Table", f"{LAYER}-jobs"),
        "approvals_table": mock_arn("aws:dynamodb/table:Table", f"{LAYER}-approvals"),
        "idempotency_table": mock_arn("aws:dynamodb/table:Table", f"{LAYER}-idempotency"),
        "approval_topic": mock_arn("aws:sns/topic:Topic", f"{LAYER}-approvals"),
        "guardrail": GUARDRAIL_ARN,
        "flags": FLAGS_ARN,
        "own_log_group": mock_arn("aws:cloudwatch/logGroup:LogGroup", f"{LAYER}-{label(step)}-logs") + ":*",
        "*": "*",
    }
    policy = only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-{label(step)}-policy")
    assert policy.inputs["name"] == STEP_POLICY_PREFIX + step
    assert policy.inputs["role"] == f"{LAYER}-{label(step)}-role-id"
    assert statements(policy) == [
        {
            "Sid": grant.sid,
            "Effect": grant.effect,
            "Action": list(grant.actions),
            "Resource": targets[grant.resource],
        }
        for grant in step_grants(step)
    ]


_ALL_WRITES = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
}


@pytest.mark.parametrize(
    ("step", "writes"),
    [
        pytest.param("approval", {"dynamodb:PutItem"}, id="approval-creates"),
        *(pytest.param(step, set(), id=step) for step in STEPS if step != "approval"),
    ],
)
def test_step_may_write_approvals_only_as_its_job_needs(run: MockRun, step: Step, writes: set[str]) -> None:
    """Only the approval step creates approval records; every step is denied every other write on them."""
    approvals = mock_arn("aws:dynamodb/table:Table", f"{LAYER}-approvals")
    policy = only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-{label(step)}-policy")
    on_approvals = [s for s in statements(policy) if s["Resource"] == approvals]
    allowed = {a for s in on_approvals if s["Effect"] == "Allow" for a in s["Action"]}
    denied = {a for s in on_approvals if s["Effect"] == "Deny" for a in s["Action"]}
    assert allowed & _ALL_WRITES == writes
    assert denied == _ALL_WRITES - writes


def test_grant_table_decides_each_steps_reach() -> None:
    """The table says what each step reaches: the gate reads and decides jobs, only approval publishes."""
    reach = {
        step: sorted({(grant.resource, action) for grant in STEP_GRANTS[step] for action in grant.actions})
        for step in STEPS
    }
    assert reach["gate"] == [
        ("flags", "appconfig:GetLatestConfiguration"),
        ("flags", "appconfig:StartConfigurationSession"),
        ("jobs_table", "dynamodb:GetItem"),
        ("jobs_table", "dynamodb:UpdateItem"),
    ]
    assert [step for step in STEPS if any(a == "sns:Publish" for _, a in reach[step])] == ["approval"]
    # Every step after the gate re-reads the job's recorded decision; execute also the kill switch.
    assert all(
        ("jobs_table", "dynamodb:GetItem") in reach[step] for step in STEPS if step != "guardrail_output"
    )
    assert [step for step in STEPS if any(r == "flags" for r, _ in reach[step])] == ["gate", "execute"]
    assert [step for step in STEPS if any(r == "idempotency_table" for r, _ in reach[step])] == [
        "execute",
        "compensate",
    ]
    assert reach["respond"] == [
        ("approvals_table", "dynamodb:GetItem"),
        ("guardrail", "bedrock:ApplyGuardrail"),
        ("jobs_table", "dynamodb:GetItem"),
        ("jobs_table", "dynamodb:UpdateItem"),
    ]
    # The steps that let model-written values out screen them, with the stack's guardrail and no other.
    assert [step for step in STEPS if any(r == "guardrail" for r, _ in reach[step])] == [
        "approval",
        "guardrail_output",
        "respond",
    ]
    assert all(
        action == "bedrock:ApplyGuardrail" for step in STEPS for r, action in reach[step] if r == "guardrail"
    )
    assert {grant.sid for grant in BASELINE_GRANTS} == {"OwnLogs", "Tracing"}
    assert all(grant.reason for step in STEPS for grant in step_grants(step))


@pytest.mark.parametrize("step", STEPS)
def test_each_step_function_has_its_own_role_and_only_its_variables(run: MockRun, step: Step) -> None:
    """Each function runs as its own role, traced, logging JSON to its group, told only its resources."""
    function = only(run, "aws:lambda/function:Function", f"{LAYER}-{label(step)}").inputs
    assert function["role"] == mock_arn("aws:iam/role:Role", f"{LAYER}-{label(step)}-role")
    assert function["handler"] == f"governed_assistant.handlers.{step}.handler"
    assert function["tracingConfig"] == {"mode": "Active"}
    assert function["loggingConfig"]["logFormat"] == "JSON"
    assert function["loggingConfig"]["logGroup"] == f"/aws/lambda/{function['name']}"
    assert function["layers"] == [lambda_code()["layer_arn"]]
    variables = function["environment"]["variables"]
    granted = {ENV_BY_RESOURCE[g.resource] for g in STEP_GRANTS[step] if g.resource in ENV_BY_RESOURCE}
    assert {name for name in variables if name in ENV_BY_RESOURCE.values()} == granted
    assert variables["GOVERNED_METRICS_NAMESPACE"] == "Governed/Test"
    assert variables["GOVERNED_STEP"] == step


def test_step_roles_are_distinct_and_trust_lambda_only(run: MockRun) -> None:
    """Six step roles, each assumable by Lambda alone."""
    roles = [r for r in run.of_type("aws:iam/role:Role") if "governed:step" in (r.inputs.get("tags") or {})]
    assert sorted(r.inputs["tags"]["governed:step"] for r in roles) == sorted(STEPS)
    for role in roles:
        (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_executors_get_the_slowest_actions_timeout(spec: AssistantSpec, run: MockRun) -> None:
    """execute and compensate may run as long as the slowest action; the rest get 30 s."""
    slowest = max(action.timeout_seconds for action in spec.actions)
    timeouts = {
        step: only(run, "aws:lambda/function:Function", f"{LAYER}-{label(step)}").inputs["timeout"]
        for step in STEPS
    }
    assert timeouts == {step: slowest if step in ("execute", "compensate") else 30 for step in STEPS}


def test_job_accepted_events_start_the_state_machine(run: MockRun) -> None:
    """The rule matches "job accepted" from the conversation layer and starts the machine with its detail."""
    rule = only(run, "aws:cloudwatch/eventRule:EventRule").inputs
    assert json.loads(rule["eventPattern"]) == {
        "source": [JOB_EVENT_SOURCE],
        "detail-type": [JOB_ACCEPTED_DETAIL_TYPE],
    }
    assert rule["eventBusName"] == f"{LAYER}-bus"
    target = only(run, "aws:cloudwatch/eventTarget:EventTarget").inputs
    machine_arn = mock_arn("aws:sfn/stateMachine:StateMachine", f"{LAYER}-jobs")
    assert target["arn"] == machine_arn
    assert target["inputPath"] == "$.detail"
    assert target["deadLetterConfig"]["arn"] == mock_arn("aws:sqs/queue:Queue", f"{LAYER}-unstarted")
    assert statements(only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-trigger-policy")) == [
        {"Sid": "StartJob", "Effect": "Allow", "Action": ["states:StartExecution"], "Resource": machine_arn}
    ]


def test_approval_topic_is_encrypted_with_the_aws_managed_key(run: MockRun) -> None:
    """Approval requests are encrypted at rest with alias/aws/sns."""
    assert only(run, "aws:sns/topic:Topic").inputs["kmsMasterKeyId"] == "alias/aws/sns"


def test_log_groups_keep_the_specs_retention(spec: AssistantSpec, run: MockRun) -> None:
    """Every log group keeps events for observability.retention_days."""
    groups = run.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert {g.inputs["retentionInDays"] for g in groups} == {spec.observability.retention_days}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"handlers": {"gate": "h.gate"}}, "no handler given for steps", id="missing-handlers"),
        pytest.param(
            {"code": {**lambda_code(), "archive": pulumi.FileArchive("/nonexistent/build/code")}},
            "points at a missing path",
            id="missing-archive",
        ),
    ],
)
def test_execution_layer_refuses_unusable_arguments(
    spec: AssistantSpec, overrides: dict[str, Any], message: str
) -> None:
    """Missing handlers or a code archive that is not there fail the program with the fix."""
    with pytest.raises(Exception, match=message):
        build(spec, **overrides)


@pytest.mark.parametrize(
    ("parts", "limit", "expected"),
    [
        pytest.param(("support_ops", "dev", "gate"), 64, "support-ops-dev-gate", id="fits"),
        pytest.param(("Support Ops", "prod"), 64, "support-ops-prod", id="cleaned"),
        pytest.param(("a" * 40, "staging", "guardrail-output"), 28, None, id="truncated"),
    ],
)
def test_physical_name_is_valid_everywhere(parts: tuple[str, ...], limit: int, expected: str | None) -> None:
    """Names are lowercase and hyphenated, within the limit; truncated ones keep a distinguishing hash."""
    name = physical_name(*parts, limit=limit)
    assert len(name) <= limit
    assert name == name.lower() and "_" not in name
    if expected is not None:
        assert name == expected
    else:
        assert name != physical_name(*parts[:-1], "other", limit=limit)


@pytest.mark.parametrize(
    ("placeholder", "step"),
    [
        pytest.param("GateFunctionArn", "gate", id="camel"),
        pytest.param("GUARDRAIL_OUTPUT_FUNCTION_ARN", "guardrail_output", id="upper-snake"),
        pytest.param("ApprovalRequestFunctionArn", "approval", id="approval-request"),
        pytest.param("NotifierArn", "approval", id="notifier"),
        pytest.param("LambdaExecutorArn", "execute", id="lambda-prefix"),
        pytest.param("CompensationFunction", "compensate", id="compensation"),
        pytest.param("RespondFunctionArn", "respond", id="respond"),
        pytest.param("JobsTableName", None, id="not-a-step"),
    ],
)
def test_placeholder_step_names_the_step_function(placeholder: str, step: Step | None) -> None:
    """ASL placeholders map to the step whose function they stand for."""
    assert placeholder_step(placeholder) == step


def test_definition_steps_refuses_a_placeholder_without_a_step() -> None:
    """A placeholder that names no step fails the program instead of deploying unresolved."""
    definition = {"States": {"A": {"Resource": "${GateFunctionArn}"}, "B": {"Resource": "${TopicArn}"}}}
    with pytest.raises(ExecutionLayerError, match=r"placeholders=\['TopicArn'\]"):
        definition_steps(definition)
    assert definition_steps({"States": {"A": {"Resource": "${GateFunctionArn}"}}}) == {
        "GateFunctionArn": "gate"
    }
