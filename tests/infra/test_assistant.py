"""The whole GovernedAssistant under mocks: every layer, per preset and per retrieval backend."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
import pulumi
import pytest
from botocore.stub import Stubber
from governed_assistant.contracts import DecisionEvent
from governed_assistant.handlers import environment, reason
from governed_assistant.handlers.environment import Environment
from governed_assistant.infra import HANDLERS, GovernedAssistant, GovernedAssistantArgs
from governed_assistant.infra.alarms import ROLLBACK_ALARMS
from governed_assistant.infra.assistant import GovernedAssistantError
from governed_assistant.infra.decision_delivery import delivery_stream_name
from governed_assistant.infra.invariants import check_resources
from governed_assistant.infra.steps import STEPS
from governed_assistant.infra.testing import ACCOUNT_ID, REGION, MockRun, RegisteredResource, run_with_mocks
from governed_assistant.runtime.model import CircuitOpenError, InMemoryTokenUsageStore, ModelUnavailableError
from governed_assistant.runtime.telemetry import StageMetrics
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from governed_assistant.testing import lambda_context
from governed_assistant.wire import (
    DEFAULT_METRICS_NAMESPACE,
    ENV_GUARDRAIL_ID,
    ENV_GUARDRAIL_VERSION,
    ENV_METRICS_NAMESPACE,
    ENV_POWERTOOLS_METRICS_NAMESPACE,
    ENV_POWERTOOLS_SERVICE_NAME,
    ENV_TELEMETRY_SINK,
)

from tests.conftest import PRESETS, REPO_ROOT, answer_mode_document, preset_document
from tests.infra.test_reasoning import COLLECTION, DATABASE, KNOWLEDGE_BASE, SETUP

NAME = "assistant"
LAYER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:deps:1"
BACKENDS = ("none", "knowledge-base", "opensearch", "pgvector")
LAYERS = {
    "governed:assistant:GovernedAssistant",
    "governed:conversation:SpecGuardrail",
    "governed:rollout:RolloutLayer",
    "governed:reasoning:ReasoningLayer",
    "governed:execution:ExecutionLayer",
    "governed:conversation:ConversationLayer",
    "governed:observability:ObservabilityLayer",
    "governed:observability:AuditArchive",
}
# Functions every assistant has: the API, reason, the six steps, observability's two, and the
# strict tools' warm-up (every preset has actions).
FUNCTIONS = {"api", "reason", *STEPS, "transform", "observability_setup", "warmup"}
# Functions that write no decision events: Firehose's transformation and the deploy-time ones.
SILENT = ("transform", "observability_setup", "warmup")
# What each retrieval backend adds: the store's resources, as the reasoning layer's tests count them.
BACKEND_EXTRA = {
    backend: sum(sum(part.values()) for part in parts)
    for backend, parts in {
        "none": (),
        "knowledge-base": (SETUP, COLLECTION, KNOWLEDGE_BASE),
        "opensearch": (SETUP, COLLECTION),
        "pgvector": (SETUP, DATABASE),
    }.items()
}
# The bounded-action assistant without retrieval: 161 resources besides the stack (the warm-up's
# function, role, policy, logs and invocation among them; the console's two open routes; the approval
# topic's policy; the tenant data role and its policy; the job trigger's dead-letter alarm; the
# audit archive's 8 - component, bucket, its public access block, encryption, versioning, policy,
# lock and lifecycle - and its event stream's 13: stream, two roles, two policies, 8 filters).
BASE_COUNT = 161
# Per preset, besides the base: Pattern C's insight trigger (function, role, policy, logs, rule,
# target, permission, its two subscription filters - search and archive - and throttle alarm; its
# async invoke config and two dead-letter queues, each with its policy and alarm).
PRESET_EXTRA = {"bounded-action": 0, "workflow-aware": 0, "insights-to-action": 17}


def make_spec(preset: str = "bounded-action", **changes: Any) -> AssistantSpec:
    document = preset_document(preset)
    document.update(changes)
    return parse_spec(render_spec_yaml(document))


def assistant_args(spec: AssistantSpec, **overrides: Any) -> GovernedAssistantArgs:
    args: GovernedAssistantArgs = {
        "spec": spec,
        "code": {"archive": pulumi.FileArchive(str(REPO_ROOT / "components")), "dependencies": LAYER_ARN},
        "protect_data": False,
    }
    args.update(overrides)  # type: ignore[typeddict-item]
    return args


def build(spec: AssistantSpec, **overrides: Any) -> MockRun:
    return run_with_mocks(
        lambda: GovernedAssistant(NAME, assistant_args(spec, **overrides)), project=spec.slug
    )


def functions(run: MockRun) -> dict[str, RegisteredResource]:
    """Each function by its handler's module (``governed_assistant.handlers.<module>.handler``)."""
    return {r.inputs["handler"].split(".")[2]: r for r in run.of_type("aws:lambda/function:Function")}


def policy_of(run: MockRun, function: RegisteredResource) -> dict[str, dict[str, Any]]:
    (policy,) = [
        r for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == f"{function.name}-policy"
    ]
    return {statement["Sid"]: statement for statement in json.loads(policy.inputs["policy"])["Statement"]}


@pytest.fixture(scope="module")
def preset_runs() -> dict[str, MockRun]:
    return {preset: build(make_spec(preset)) for preset in PRESETS}


@pytest.fixture(scope="module")
def backend_runs(preset_runs: dict[str, MockRun]) -> dict[str, MockRun]:
    runs = {"none": preset_runs["bounded-action"]}
    runs.update({backend: build(make_spec(retrieval={"backend": backend})) for backend in BACKENDS[1:]})
    return runs


@pytest.fixture(scope="module")
def deploy_runs(preset_runs: dict[str, MockRun], backend_runs: dict[str, MockRun]) -> dict[str, MockRun]:
    """Every preset and backend, answer mode, and the firehose sink (whose functions name the stream)."""
    runs = {name: run for name, (_, run) in all_runs(preset_runs, backend_runs).items()}
    runs["answer-mode"] = build(parse_spec(render_spec_yaml(answer_mode_document())))
    runs["firehose-sink"] = build(make_spec("insights-to-action"), telemetry_sink="firehose")
    return runs


def all_runs(
    preset_runs: dict[str, MockRun], backend_runs: dict[str, MockRun]
) -> dict[str, tuple[AssistantSpec, MockRun]]:
    cases = {f"preset-{p}": (make_spec(p), run) for p, run in preset_runs.items()}
    cases.update(
        {f"backend-{b}": (make_spec(retrieval={"backend": b}), run) for b, run in backend_runs.items()}
    )
    return cases


@pytest.mark.parametrize("preset", PRESETS)
def test_assistant_inventory_per_preset(preset_runs: dict[str, MockRun], preset: str) -> None:
    """Every layer is there once; only Pattern C adds resources (its insight trigger)."""
    run = preset_runs[preset]
    types = run.types()
    assert {t for t in types if t.startswith("governed:")} == LAYERS
    assert all(types[t] == 1 for t in LAYERS)
    assert len(run.resources) - 1 == BASE_COUNT + PRESET_EXTRA[preset]
    expected = FUNCTIONS | ({"insight"} if preset == "insights-to-action" else set())
    assert set(functions(run)) == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_assistant_inventory_per_retrieval_backend(backend_runs: dict[str, MockRun], backend: str) -> None:
    """Each backend adds its store (and its setup function) to the same base."""
    run = backend_runs[backend]
    assert len(run.resources) - 1 == BASE_COUNT + BACKEND_EXTRA[backend]
    has_setup = "retrieval_setup" in functions(run)
    assert has_setup is (backend != "none")


def test_every_resource_is_parented_unique_and_its_archive_exists(
    preset_runs: dict[str, MockRun], backend_runs: dict[str, MockRun]
) -> None:
    """No orphan, no repeated URN, and every function's code archive points at a real path."""
    for case, (_, run) in all_runs(preset_runs, backend_runs).items():
        assert run.orphans() == [], case
        assert run.duplicate_urns() == [], case
        for function in run.of_type("aws:lambda/function:Function"):
            archive = function.inputs["code"]
            assert isinstance(archive, pulumi.FileArchive), case
            assert Path(archive.path).exists(), (case, archive.path)


def test_every_invariant_holds_per_preset_and_backend(
    preset_runs: dict[str, MockRun], backend_runs: dict[str, MockRun]
) -> None:
    """The governance invariants hold over the whole assistant, in every case."""
    for case, (spec, run) in all_runs(preset_runs, backend_runs).items():
        assert check_resources(run.resources, spec) == [], case


def test_every_handler_is_a_named_entry_point(preset_runs: dict[str, MockRun]) -> None:
    """Each function runs a handler from the HANDLERS table, and each entry of it is deployed somewhere."""
    deployed = {
        r.inputs["handler"]
        for run in preset_runs.values()
        for r in run.of_type("aws:lambda/function:Function")
    }
    pgvector = build(make_spec(retrieval={"backend": "pgvector"}))
    deployed |= {r.inputs["handler"] for r in pgvector.of_type("aws:lambda/function:Function")}
    assert deployed == set(HANDLERS.values())


def test_rollout_watches_alarms_observability_creates(preset_runs: dict[str, MockRun]) -> None:
    """The ARNs AppConfig watches, built before the alarms, name alarms that exist, with the same names."""
    run = preset_runs["bounded-action"]
    (environment,) = run.of_type("aws:appconfig/environment:Environment")
    watched = {monitor["alarmArn"] for monitor in environment.inputs["monitors"]}
    alarms = {
        r.name.removeprefix(f"{NAME}-observability-"): r.inputs["name"]
        for r in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    expected = {
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:{alarms[purpose]}" for purpose in ROLLBACK_ALARMS
    }
    assert watched == expected


# The one reference that cannot wait for what it names: AppConfig's environment lists the alarms
# it watches, and those alarms watch the API and the state machine, whose functions are granted
# the environment's id (a cycle). AppConfig reads the alarms only while a deployment runs, and the
# first deployment waits for them (test_first_flags_deployment_waits_for_the_alarms_it_watches).
WATCHED_BEFORE_CREATED = sorted(
    (f"{NAME}-rollout-env", f"{NAME}-observability-{purpose}") for purpose in ROLLBACK_ALARMS
)


def test_every_arn_a_resource_names_is_created_before_it(deploy_runs: dict[str, MockRun]) -> None:
    """On a first deploy each resource waits for every resource whose ARN its inputs name."""
    for case, run in deploy_runs.items():
        assert run.unordered_references() == WATCHED_BEFORE_CREATED, case


def test_first_flags_deployment_waits_for_the_alarms_it_watches(deploy_runs: dict[str, MockRun]) -> None:
    """AppConfig's first deployment starts once every alarm its environment monitors exists."""
    for case, run in deploy_runs.items():
        (environment,) = run.of_type("aws:appconfig/environment:Environment")
        (deployment,) = run.of_type("aws:appconfig/deployment:Deployment")
        watched = {monitor["alarmArn"] for monitor in environment.inputs["monitors"]}
        alarms = {
            a.urn
            for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
            if a.outputs["arn"] in watched
        }
        assert len(alarms) == len(ROLLBACK_ALARMS), case
        assert alarms <= run.depends_on(deployment), case


def test_program_failing_before_observability_fails_instead_of_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What waits for observability's alarms and stream is released when that layer is never built."""

    def broken(*_: Any, **__: Any) -> None:
        raise GovernedAssistantError("observability could not be built")

    monkeypatch.setattr("governed_assistant.infra.assistant.ObservabilityLayer", broken)
    with pytest.raises(GovernedAssistantError, match="observability could not be built"):
        build(make_spec(), telemetry_sink="firehose")


def test_layers_are_wired_to_each_other(preset_runs: dict[str, MockRun]) -> None:
    """Conversation gets execution's tables and bus; the state machine's first task is the reason function."""
    run = preset_runs["bounded-action"]
    api = functions(run)["api"]
    variables = api.inputs["environment"]["variables"]
    # Names, as the step functions get them (the mocks name resources after their logical names).
    assert variables["GOVERNED_JOBS_TABLE"] == f"{NAME}-execution-jobs"
    assert variables["GOVERNED_APPROVALS_TABLE"] == f"{NAME}-execution-approvals"
    assert variables["GOVERNED_EVENT_BUS"] == f"{NAME}-execution-bus"
    (machine,) = run.of_type("aws:sfn/stateMachine:StateMachine")
    assert functions(run)["reason"].name in machine.inputs["definition"]
    gate = functions(run)["gate"].inputs["environment"]["variables"]
    assert {
        "GOVERNED_APPCONFIG_APPLICATION",
        "GOVERNED_APPCONFIG_ENVIRONMENT",
        "GOVERNED_APPCONFIG_PROFILE",
    } <= set(gate)


def test_reason_function_reads_the_rollout_flags(preset_runs: dict[str, MockRun]) -> None:
    """The reason step may read the flags (canary variant, breaker settings), and is told where they are."""
    run = preset_runs["bounded-action"]
    reason = functions(run)["reason"]
    variables = reason.inputs["environment"]["variables"]
    assert {
        "GOVERNED_APPCONFIG_APPLICATION",
        "GOVERNED_APPCONFIG_ENVIRONMENT",
        "GOVERNED_APPCONFIG_PROFILE",
    } <= set(variables)
    grant = policy_of(run, reason)["Flags"]
    assert sorted(grant["Action"]) == [
        "appconfig:GetLatestConfiguration",
        "appconfig:StartConfigurationSession",
    ]
    assert "/configuration/" in grant["Resource"]


def test_reason_function_counts_tokens_in_the_usage_table(preset_runs: dict[str, MockRun]) -> None:
    """The reason function gets the usage table and budget, and may read and add to that table only."""
    run = build(make_spec(), daily_token_budget=12345)
    reason = functions(run)["reason"]
    variables = reason.inputs["environment"]["variables"]
    assert variables["GOVERNED_USAGE_TABLE"] == f"{NAME}-reasoning-usage"
    assert variables["GOVERNED_DAILY_TOKEN_BUDGET"] == "12345"  # noqa: S105 - a number, not a secret
    (usage,) = [t for t in run.of_type("aws:dynamodb/table:Table") if t.name == f"{NAME}-reasoning-usage"]
    assert (usage.inputs["hashKey"], usage.inputs["rangeKey"]) == ("tenantId", "day")
    grant = policy_of(run, reason)["TokenUsage"]
    assert grant["Action"] == ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    assert grant["Resource"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{NAME}-reasoning-usage"


def test_log_sink_keeps_firehose_out_of_every_function(preset_runs: dict[str, MockRun]) -> None:
    """By default events go to the functions' logs: no function may touch Firehose, all say sink=log."""
    run = preset_runs["bounded-action"]
    for name, function in functions(run).items():
        if name in SILENT:
            continue
        assert function.inputs["environment"]["variables"]["GOVERNED_TELEMETRY_SINK"] == "log", name
        assert "firehose" not in json.dumps(policy_of(run, function)), name


@pytest.mark.parametrize("preset", PRESETS)
def test_only_the_approval_step_and_the_api_write_approvals(
    preset_runs: dict[str, MockRun], preset: str
) -> None:
    """Of every role policy in the stack, the approval step may create approval records and the API,
    as one tenant (the tenant data role), decide them; no other may write them, and each that
    reaches them is denied deleting them."""
    run = preset_runs[preset]
    approvals = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{NAME}-execution-approvals"
    writes = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "PartiQLInsert", "PartiQLUpdate"}
    writes = {f"dynamodb:{action}" for action in writes | {"PartiQLDelete"}}
    allowed: dict[str, set[str]] = {}
    for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        document = json.loads(policy.inputs["policy"])
        reaching = [s for s in document["Statement"] if approvals in json.dumps(s.get("Resource"))]
        granted = {a for s in reaching if s["Effect"] == "Allow" for a in s["Action"]} & writes
        if granted:
            allowed[policy.inputs["name"]] = granted
        if reaching:
            denied = {a for s in reaching if s["Effect"] == "Deny" for a in s["Action"]}
            assert "dynamodb:DeleteItem" in denied, policy.inputs["name"]
            assert denied == writes - granted, policy.inputs["name"]
    assert allowed == {
        "governed-step-approval": {"dynamodb:PutItem"},
        "governed-tenant-data": {"dynamodb:UpdateItem"},
    }


def test_every_function_is_traced_and_names_its_service_and_metrics_namespace(
    deploy_runs: dict[str, MockRun],
) -> None:
    """Every function runs with X-Ray active, may send traces, and names its service; each that records
    events names the metrics namespace in Powertools' variable, not in the one before 0.5.0."""
    for case, run in deploy_runs.items():
        for function in run.of_type("aws:lambda/function:Function"):
            where = f"{case}: {function.name}"
            variables = function.inputs["environment"]["variables"]
            assert function.inputs["tracingConfig"] == {"mode": "Active"}, where
            assert variables.get(ENV_POWERTOOLS_SERVICE_NAME), where
            tracing = [
                statement
                for statement in policy_of(run, function).values()
                if set(statement["Action"]) == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
            ]
            assert [statement["Resource"] for statement in tracing] == ["*"], where
            assert ENV_METRICS_NAMESPACE not in variables, where
            if ENV_TELEMETRY_SINK in variables:
                assert variables[ENV_POWERTOOLS_METRICS_NAMESPACE] == DEFAULT_METRICS_NAMESPACE, where


def test_firehose_sink_grants_the_stream_named_up_front() -> None:
    """With the firehose sink each event-writing function may PutRecordBatch on the stream built last."""
    spec = make_spec("insights-to-action")
    run = build(spec, telemetry_sink="firehose")
    assert check_resources(run.resources, spec) == []
    (stream,) = [
        s
        for s in run.of_type("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
        if s.name == f"{NAME}-observability-decisions"
    ]
    assert stream.inputs["name"] == delivery_stream_name(spec.slug, "test")
    arn = f"arn:aws:firehose:{REGION}:{ACCOUNT_ID}:deliverystream/{stream.inputs['name']}"
    writers = {name: f for name, f in functions(run).items() if name not in SILENT}
    assert set(writers) == {"api", "reason", "insight", *STEPS}
    for name, function in writers.items():
        variables = function.inputs["environment"]["variables"]
        assert (variables["GOVERNED_TELEMETRY_SINK"], variables["GOVERNED_TELEMETRY_STREAM"]) == (
            "firehose",
            stream.inputs["name"],
        ), name
        grant = policy_of(run, function)["DecisionEvents"]
        assert (grant["Action"], grant["Resource"]) == (["firehose:PutRecordBatch"], arn), name


def test_firehose_sink_without_opensearch_is_refused() -> None:
    """There is no stream without OpenSearch: the error says to use the log sink."""
    spec = make_spec(observability={"opensearch": False, "retention_days": 30})
    with pytest.raises(GovernedAssistantError, match="use 'log'"):
        run_with_mocks(lambda: GovernedAssistant(NAME, assistant_args(spec, telemetry_sink="firehose")))


def test_dependencies_archive_becomes_a_layer_version(tmp_path: Path) -> None:
    """A layer zip becomes one layer version that every function uses; a missing one is refused."""
    layer_zip = tmp_path / "layer.zip"
    layer_zip.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    code = {
        "archive": pulumi.FileArchive(str(REPO_ROOT / "components")),
        "dependencies": pulumi.FileArchive(str(layer_zip)),
    }
    run = build(make_spec(), code=code)
    (layer,) = run.of_type("aws:lambda/layerVersion:LayerVersion")
    layer_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{layer.name}:1"
    assert Counter(tuple(f.inputs["layers"]) for f in run.of_type("aws:lambda/function:Function")) == Counter(
        {(layer_arn,): len(run.of_type("aws:lambda/function:Function"))}
    )
    missing = {**code, "dependencies": pulumi.FileArchive(str(tmp_path / "nope.zip"))}
    with pytest.raises(Exception, match="missing path"):
        build(make_spec(), code=missing)


def test_stateful_resources_follow_protect_data() -> None:
    """protect_data turns on every table's deletion protection (jobs, approvals, idempotency, usage)."""
    run = build(make_spec(), protect_data=True)
    protected = {
        t.name for t in run.of_type("aws:dynamodb/table:Table") if t.inputs.get("deletionProtectionEnabled")
    }
    assert protected == {
        f"{NAME}-execution-jobs",
        f"{NAME}-execution-approvals",
        f"{NAME}-execution-idempotency",
        f"{NAME}-reasoning-usage",
    }


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        pytest.param("us-gov-west-1", "aws-us-gov", id="govcloud"),
        pytest.param("cn-north-1", "aws-cn", id="china"),
    ],
)
def test_every_arn_is_in_the_regions_partition(region: str, partition: str) -> None:
    """Deployed outside the aws partition, no ARN the program builds (IAM, ASL, AppConfig, logs) names aws."""
    spec = make_spec(
        "insights-to-action", region=region, model_id="anthropic.claude-sonnet-4-5-20250929-v1:0"
    )
    layer = f"arn:{partition}:lambda:{region}:{ACCOUNT_ID}:layer:deps:1"
    code = {"archive": pulumi.FileArchive(str(REPO_ROOT / "components")), "dependencies": layer}
    run = run_with_mocks(
        lambda: GovernedAssistant(NAME, assistant_args(spec, code=code, telemetry_sink="firehose")),
        project=spec.slug,
        region=region,
    )
    inputs = json.dumps([resource.inputs for resource in run.resources], default=str)
    assert sorted(set(re.findall(r"arn:aws:[a-z0-9-]*:[^\"\\s]{0,40}", inputs))) == []
    (machine,) = run.of_type("aws:sfn/stateMachine:StateMachine")
    assert f"arn:{partition}:states:::lambda:invoke.waitForTaskToken" in machine.inputs["definition"]


def test_eventbridge_names_stay_within_aws_limits_for_the_longest_slug() -> None:
    """Every rule and target is named explicitly within 64 characters, however long the slug (40)."""
    spec = make_spec("insights-to-action", slug="regional_support_operations_assistant_x")
    run = build(spec)
    rules = run.of_type("aws:cloudwatch/eventRule:EventRule")
    targets = run.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert len(rules) == 2 and len(targets) == 2
    # Without an explicit name Pulumi appends random characters to the logical name, itself the slug's.
    for rule in rules:
        assert re.fullmatch(r"[.\-_A-Za-z0-9]{1,64}", rule.inputs.get("name", "")), rule.name
    for target in targets:
        assert re.fullmatch(r"[.\-_A-Za-z0-9]{1,64}", target.inputs.get("targetId", "")), target.name


def test_guardrail_blocks_alarm_watches_the_metric_the_runtime_emits(preset_runs: dict[str, MockRun]) -> None:
    """The alarm's namespace, metric and dimensions are exactly those of the EMF line a block writes."""
    run = preset_runs["bounded-action"]
    (alarm,) = [
        a for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if "guardrail-blocks" in a.name
    ]
    variables = functions(run)["api"].inputs["environment"]["variables"]
    stream = io.StringIO()
    metrics = StageMetrics(
        variables["POWERTOOLS_METRICS_NAMESPACE"], variables["POWERTOOLS_SERVICE_NAME"], stream=stream
    )
    metrics.observe(
        DecisionEvent(
            event_id="e-1", job_id="j-1", tenant_id="acme", user_id="alice", stage="guardrail_input",
            outcome="blocked", latency_ms=3.0, timestamp=datetime.now(UTC),
        )
    )  # fmt: skip
    emitted = [json.loads(line) for line in stream.getvalue().splitlines()]
    watched = [
        document
        for document in emitted
        for metrics in document["_aws"]["CloudWatchMetrics"]
        if metrics["Namespace"] == alarm.inputs["namespace"]
        and [m["Name"] for m in metrics["Metrics"]] == [alarm.inputs["metricName"]]
        and [set(d) for d in metrics["Dimensions"]] == [set(alarm.inputs["dimensions"])]
        and all(document[key] == value for key, value in alarm.inputs["dimensions"].items())
    ]
    assert len(watched) == 1


def test_breaker_open_alarm_watches_the_metric_the_runtime_emits(
    preset_runs: dict[str, MockRun], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bedrock failing until the reason function's breaker opens writes the one EMF line the alarm counts."""
    run = preset_runs["bounded-action"]
    (alarm,) = [
        a for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if a.name.endswith("-breaker-open")
    ]
    variables = functions(run)["reason"].inputs["environment"]["variables"]
    # The reason function as deployed: its metrics namespace, service name, telemetry sink and the
    # guardrail every Converse call carries.
    for variable in (
        ENV_POWERTOOLS_METRICS_NAMESPACE,
        ENV_POWERTOOLS_SERVICE_NAME,
        ENV_TELEMETRY_SINK,
        ENV_GUARDRAIL_ID,
        ENV_GUARDRAIL_VERSION,
    ):
        monkeypatch.setenv(variable, variables[variable])
    for variable in ("POWERTOOLS_METRICS_DISABLED", "POWERTOOLS_DEV"):
        monkeypatch.delenv(variable, raising=False)
    bedrock = botocore.session.get_session().create_client(
        "bedrock-runtime", region_name=REGION, aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - a dummy credential; nothing leaves the process
    )  # fmt: skip
    event = {
        "jobId": "job-1",
        "context": {"tenantId": "acme", "userId": "alice", "roles": ["agent"], "requestId": "r-1"},
        "message": "Close ticket T-1, it is resolved.",
    }
    environment.configure(
        Environment(
            spec=make_spec(),
            clients={"bedrock-runtime": bedrock},
            usage_store=InMemoryTokenUsageStore(),
            system_prompt="You propose actions for the support desk.",
            retriever=None,
        )
    )
    try:
        with Stubber(bedrock) as stubber:
            # An unhealthy endpoint: each invocation's one failure counts, until the breaker opens.
            for _ in range(20):
                stubber.add_client_error(
                    "converse", service_error_code="InternalServerException", http_status_code=500
                )
                try:
                    reason.handler(event, lambda_context())
                except CircuitOpenError:
                    break
                except ModelUnavailableError:
                    continue
            else:
                pytest.fail("the breaker never opened")
            # While it stays open, calls fail fast and count nothing more.
            with pytest.raises(CircuitOpenError):
                reason.handler(event, lambda_context())
    finally:
        environment.reset()
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    watched = [
        document
        for document in emitted
        for metrics in document["_aws"]["CloudWatchMetrics"]
        if metrics["Namespace"] == alarm.inputs["namespace"]
        and [m["Name"] for m in metrics["Metrics"]] == [alarm.inputs["metricName"]]
        and [set(d) for d in metrics["Dimensions"]] == [set(alarm.inputs["dimensions"])]
        and all(document[key] == value for key, value in alarm.inputs["dimensions"].items())
    ]
    assert len(watched) == 1
    # EMF writes a metric's values as a list; one opening counts one.
    assert sum(watched[0][alarm.inputs["metricName"]]) == 1
