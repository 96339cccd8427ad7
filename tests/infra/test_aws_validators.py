"""AWS's own validators (statelint, parliament, botocore's models, name rules) over every program.

The mocks accept anything; these tests hold what the programs register to the rules AWS
applies at deploy time. Each validator also has a test proving it fails on a known-bad input,
with the expected value taken from AWS's rule, not from our code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pulumi
import pytest
from governed_assistant.infra import GovernedAssistant
from governed_assistant.infra.asl import build_definition, render_definition
from governed_assistant.infra.invariants import service_roles_name_their_source
from governed_assistant.infra.testing import (
    ACCOUNT_ID,
    REGION,
    MockRun,
    RegisteredResource,
    mock_arn,
    run_with_mocks,
)
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml

from tests.aws_validators import (
    NOT_IAM_DOCUMENTS,
    NOT_MAPPED,
    POLICY_DOCUMENTS,
    TYPE_CALLS,
    botocore_problems,
    deploy_problems,
    name_limit_problems,
    parliament_problems,
    policy_problems,
    state_machine_problems,
    statelint_problems,
)
from tests.aws_validators._documented import LAMBDA_TIMEOUT_SECONDS
from tests.aws_validators._names import RULES as NAME_RULES
from tests.aws_validators._names import UNNAMED
from tests.aws_validators._service_models import operation
from tests.conftest import PRESETS, REPO_ROOT, answer_mode_document
from tests.infra.test_assistant import BACKENDS, assistant_args, build, make_spec

# The longest slug the spec allows (40 characters, underscores included: a Python identifier)
# and the longest stack name (32): every name derived from them must still fit.
LONGEST_SLUG = "regional_support_operations_assistant_x1"
LONGEST_STACK = "production-eu-central-1-canary-b"


def answer_spec() -> AssistantSpec:
    return parse_spec(render_spec_yaml(answer_mode_document()))


def preset_run(preset: str, _: Path) -> MockRun:
    return build(make_spec(preset))


def backend_run(backend: str, _: Path) -> MockRun:
    return build(make_spec(retrieval={"backend": backend}))


def answer_mode_run(_: Path) -> MockRun:
    """An answer-mode assistant: no actions, no gate states."""
    return build(answer_spec())


def stack_settings_run(_: Path) -> MockRun:
    """The Firehose sink, protected data, alarm topics, CORS origins, approvers of each protocol and the
    audit trail: all set."""
    return build(
        make_spec("insights-to-action", retrieval={"backend": "pgvector"}),
        telemetry_sink="firehose",
        protect_data=True,
        alarm_actions=[f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:on-call"],
        cors_allow_origins=["https://app.example.com"],
        approval_subscriptions=[
            {"tenant_id": "acme", "protocol": "email", "endpoint": "approvers@acme.example"},
            {
                "tenant_id": "acme",
                "protocol": "sqs",
                "endpoint": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:acme-approvals",
            },
            {
                "tenant_id": "globex",
                "protocol": "lambda",
                "endpoint": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:globex-approvals",
            },
            {
                "tenant_id": "initech",
                "protocol": "https",
                "endpoint": "https://approvals.initech.example/sns",
            },
        ],
        audit_trail=True,
    )


def dependencies_layer_run(tmp_path: Path) -> MockRun:
    """A program that publishes its dependencies layer (as ``make build``'s zip does)."""
    layer_zip = tmp_path / "layer.zip"
    layer_zip.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    code = {
        "archive": pulumi.FileArchive(str(REPO_ROOT / "components")),
        "dependencies": pulumi.FileArchive(str(layer_zip)),
    }
    return build(make_spec(), code=code)


def longest_slug_run(backend: str, _: Path) -> MockRun:
    """The program as ``deploy_assistant`` builds it (the component named after the slug), every
    name at its longest, with the Firehose sink so the delivery stream's writers exist too."""
    spec = make_spec(
        "insights-to-action", slug=LONGEST_SLUG, stacks=[LONGEST_STACK], retrieval={"backend": backend}
    )
    return run_with_mocks(
        lambda: GovernedAssistant(
            spec.slug, assistant_args(spec, telemetry_sink="firehose", audit_trail=True)
        ),
        project=spec.slug,
        stack=LONGEST_STACK,
    )


KMS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def kms_key_run(kms_key: str, backend: str, _: Path) -> MockRun:
    """Every store encrypted with the stack's key (created, or brought by ARN), the Firehose sink on."""
    spec = make_spec("insights-to-action", kms_key=kms_key, retrieval={"backend": backend})
    return build(spec, telemetry_sink="firehose")


def vpc_run(preset: str, backend: str, _: Path) -> MockRun:
    """``network: vpc``: the private network, every function and store inside it."""
    return build(make_spec(preset, retrieval={"backend": backend}, network="vpc"))


def vpc_longest_run(backend: str, _: Path) -> MockRun:
    """``network: vpc`` at the longest slug and stack name, with the Firehose sink and a two-zone domain."""
    spec = make_spec(
        "insights-to-action",
        slug=LONGEST_SLUG,
        stacks=[LONGEST_STACK],
        retrieval={"backend": backend},
        network="vpc",
    )
    return run_with_mocks(
        lambda: GovernedAssistant(
            spec.slug,
            assistant_args(
                spec,
                telemetry_sink="firehose",
                search_domain={"instance_type": "r7g.large.search", "instance_count": 2, "volume_gb": 50},
            ),
        ),
        project=spec.slug,
        stack=LONGEST_STACK,
    )


CASES: dict[str, Callable[[Path], MockRun]] = {
    **{f"preset-{preset}": partial(preset_run, preset) for preset in PRESETS},
    **{f"backend-{backend}": partial(backend_run, backend) for backend in BACKENDS[1:]},
    "answer-mode": answer_mode_run,
    "firehose-sink-and-stack-settings": stack_settings_run,
    "dependencies-layer": dependencies_layer_run,
    # With the longest slug and stack name the spec allows, every name must still fit.
    **{f"longest-slug-{backend}": partial(longest_slug_run, backend) for backend in BACKENDS},
    # The stack's key: the key's policy through parliament, each store's key field through botocore.
    **{f"kms-create-{backend}": partial(kms_key_run, "create", backend) for backend in BACKENDS},
    "kms-arn-pgvector": partial(kms_key_run, KMS_KEY_ARN, "pgvector"),
    "kms-arn-knowledge-base": partial(kms_key_run, KMS_KEY_ARN, "knowledge-base"),
    # network: vpc, for every preset and every retrieval backend, and at the longest names.
    **{f"vpc-preset-{preset}": partial(vpc_run, preset, "none") for preset in PRESETS},
    **{f"vpc-backend-{backend}": partial(vpc_run, "bounded-action", backend) for backend in BACKENDS[1:]},
    **{f"vpc-longest-slug-{backend}": partial(vpc_longest_run, backend) for backend in BACKENDS[2:]},
}
"""Every program shape: each preset, each retrieval backend ("none" is the bounded-action
preset's), answer mode, the stack settings, a published layer, the longest names, the stack's key."""


@pytest.fixture(scope="module")
def program_runs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], MockRun]:
    """Each case's run, built once for the module."""
    built: dict[str, MockRun] = {}

    def run(case: str) -> MockRun:
        if case not in built:
            built[case] = CASES[case](tmp_path_factory.mktemp(case))
        return built[case]

    return run


@pytest.mark.parametrize("case", CASES)
def test_deploy_problems_every_program_none(program_runs: Callable[[str], MockRun], case: str) -> None:
    """Every program passes statelint, parliament, botocore's models and AWS's name rules."""
    assert deploy_problems(program_runs(case)) == []


def test_every_registered_type_is_checked_or_excluded(program_runs: Callable[[str], MockRun]) -> None:
    """Each AWS type the programs register has its Create call mapped and a name rule, or a reason not to."""
    resources = [r for case in CASES for r in program_runs(case).resources if r.type.startswith("aws:")]
    types = {r.type for r in resources}
    assert "aws:lambda/layerVersion:LayerVersion" in types
    assert types - set(TYPE_CALLS) - set(NOT_MAPPED) == set()
    assert types - set(NAME_RULES) - set(UNNAMED) == set()
    # Every input that carries a policy document is read by parliament, or says why not.
    documented = {
        r.type for r in resources if {"policy", "accessPolicies", "assumeRolePolicy"} & set(r.inputs)
    }
    assert documented - set(POLICY_DOCUMENTS) - set(NOT_IAM_DOCUMENTS) == set()


# ---------------------------------------------------------------------- confused deputy

# Every AWS service the programs let into a role, a queue or a function (Lambda's execution
# roles aside): the program test below must meet each of them, or it proves nothing.
SERVICES_LET_IN = {
    "states.amazonaws.com",
    "events.amazonaws.com",
    "firehose.amazonaws.com",
    "logs.amazonaws.com",
    "appconfig.amazonaws.com",
    "bedrock.amazonaws.com",
    "apigateway.amazonaws.com",
    "sns.amazonaws.com",
    "cloudtrail.amazonaws.com",
}


def service_grants(run: MockRun) -> list[tuple[RegisteredResource, str, dict[str, Any]]]:
    """``(resource, service, condition)`` for each service a role, resource policy or permission lets in."""
    found: list[tuple[RegisteredResource, str, dict[str, Any]]] = []
    for resource in run.resources:
        if resource.type == "aws:lambda/permission:Permission":
            condition = {
                "StringEquals": {"aws:SourceAccount": resource.inputs.get("sourceAccount")},
                "ArnLike": {"aws:SourceArn": resource.inputs.get("sourceArn")},
            }
            found.append((resource, resource.inputs["principal"], condition))
            continue
        document = resource.inputs.get("assumeRolePolicy") or resource.inputs.get("policy")
        if not isinstance(document, str) or resource.type == "aws:kms/key:Key":
            continue
        parsed = json.loads(document)
        for statement in parsed.get("Statement", []) if isinstance(parsed, dict) else []:
            principal = statement.get("Principal")
            services = principal.get("Service", []) if isinstance(principal, dict) else []
            for service in [services] if isinstance(services, str) else services:
                if not (resource.type == "aws:iam/role:Role" and service == "lambda.amazonaws.com"):
                    found.append((resource, service, statement.get("Condition", {})))
    return found


@pytest.mark.parametrize("case", CASES)
def test_service_grants_every_program_pinned_to_this_account(
    program_runs: Callable[[str], MockRun], case: str
) -> None:
    """Each service a program lets in is held to the deploying account, exactly (no IfExists, no wildcard)."""
    run = program_runs(case)
    for resource, service, condition in service_grants(run):
        # Firehose's documented trust names the account as sts:ExternalId.
        key = "sts:ExternalId" if service == "firehose.amazonaws.com" else "aws:SourceAccount"
        assert condition.get("StringEquals", {}).get(key) == ACCOUNT_ID, (
            resource.name,
            service,
        )
        arns = [
            arn
            for operator in ("ArnLike", "ArnEquals")
            for arn in [condition.get(operator, {}).get("aws:SourceArn")]
            if arn is not None
        ]
        for arn in arns:
            assert arn.split(":")[4] == ACCOUNT_ID, (resource.name, arn)
    assert [
        violation
        for r in run.resources
        for violation in service_roles_name_their_source(r.type, r.name, r.inputs)
    ] == []


def test_service_grants_programs_meet_every_service(program_runs: Callable[[str], MockRun]) -> None:
    """Across the programs, every kind of service grant is built, so the test above checks each."""
    met = {service for case in CASES for _, service, _ in service_grants(program_runs(case))}
    assert met == SERVICES_LET_IN


def test_service_grants_name_the_resource_they_act_for(program_runs: Callable[[str], MockRun]) -> None:
    """The state machine's role names that machine; the trigger's role and dead letters name its rule."""
    run = program_runs("preset-bounded-action")
    (machine,) = run.of_type("aws:sfn/stateMachine:StateMachine")
    machine_arn = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{machine.inputs['name']}"
    (rule,) = [
        r for r in run.of_type("aws:cloudwatch/eventRule:EventRule") if r.name.endswith("-job-accepted")
    ]
    sources = {
        (resource.name, service): condition.get("ArnLike", condition.get("ArnEquals", {})).get(
            "aws:SourceArn"
        )
        for resource, service, condition in service_grants(run)
    }
    assert [arn for (_, service), arn in sources.items() if service == "states.amazonaws.com"] == [
        machine_arn
    ]
    trusted_rule = [arn for (name, service), arn in sources.items() if service == "events.amazonaws.com"]
    assert trusted_rule and set(trusted_rule) == {rule.outputs["arn"]}


@pytest.mark.parametrize(
    "spec",
    [*(pytest.param(preset, id=preset) for preset in PRESETS), pytest.param("answer", id="answer-mode")],
)
def test_statelint_definition_builder_none(spec: str) -> None:
    """The definition builder's output is valid Amazon States Language, for every preset and answer mode."""
    definition = build_definition(answer_spec() if spec == "answer" else make_spec(spec))
    # Every placeholder stands for a function's ARN, as the execution layer resolves it.
    placeholders = set(re.findall(r"\$\{([A-Za-z0-9_.-]+)\}", json.dumps(definition)))
    arns = {name: mock_arn("aws:lambda/function:Function", name) for name in placeholders}
    assert placeholders and statelint_problems(json.loads(render_definition(definition, arns))) == []


# ------------------------------------------------------------- each validator can fail


def resource(resource_type: str, logical: str = "x", **inputs: Any) -> RegisteredResource:
    return RegisteredResource(
        urn=f"urn:{logical}", type=resource_type, name=logical, parent="p", custom=True, inputs=inputs
    )


def test_statelint_unreachable_state_reported() -> None:
    """A state no transition reaches is refused (the States Language: every state must be reachable)."""
    definition = {
        "StartAt": "Start",
        "States": {"Start": {"Type": "Pass", "End": True}, "Orphan": {"Type": "Pass", "End": True}},
    }
    run = MockRun([resource("aws:sfn/stateMachine:StateMachine", definition=json.dumps(definition))])
    (problem,) = state_machine_problems(run)
    assert "Orphan" in problem and "transition" in problem


def test_statelint_missing_transition_target_reported() -> None:
    """A Next naming no state is refused."""
    definition = {"StartAt": "Start", "States": {"Start": {"Type": "Pass", "Next": "Nowhere"}}}
    assert any("Nowhere" in problem for problem in statelint_problems(definition))


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        pytest.param(
            {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::docs/*"},
            "UNKNOWN_ACTION",
            id="action-that-does-not-exist",
        ),
        pytest.param(
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": "dynamodb:GetItem",
                "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:jobs",
            },
            "RESOURCE_MISMATCH",
            id="table-action-on-a-function-arn",
        ),
        pytest.param(
            # states:StartExecution takes a state machine, not an activity (Service Authorization Reference).
            {
                "Sid": "Start",
                "Effect": "Allow",
                "Action": "states:StartExecution",
                "Resource": f"arn:aws:states:{REGION}:{ACCOUNT_ID}:activity:jobs",
            },
            "RESOURCE_MISMATCH",
            id="start-execution-on-an-activity",
        ),
        pytest.param(
            {"Sid": "Bad-Sid", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
            "INVALID_SID",
            id="sid-with-a-hyphen",
        ),
    ],
)
def test_parliament_bad_identity_policy_reported(statement: dict[str, Any], expected: str) -> None:
    """An action IAM does not define, or a resource of a type the action does not take, is reported."""
    run = MockRun(
        [resource("aws:iam/rolePolicy:RolePolicy", "jobs-policy", name="p", policy=policy(statement))]
    )
    problems = parliament_problems(run)
    assert len(problems) == 1 and expected in problems[0] and "'jobs-policy'" in problems[0]


@pytest.mark.parametrize(
    ("statement", "kind", "expected"),
    [
        pytest.param(
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Resource": "*",
            },
            "trust",
            "has a Resource",
            id="trust-policy-with-a-resource",
        ),
        pytest.param(
            {
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:q",
            },
            "resource",
            "names no Principal",
            id="resource-policy-without-principal",
        ),
        pytest.param(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            "identity",
            "names a Principal",
            id="identity-policy-with-principal",
        ),
    ],
)
def test_parliament_element_iam_refuses_reported(statement: dict[str, Any], kind: str, expected: str) -> None:
    """Elements IAM refuses for the kind of policy (MalformedPolicyDocument) are reported."""
    problems = policy_problems(policy(statement), kind, f"arn:aws:iam::{ACCOUNT_ID}:role/r")
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("action", "resource_arn", "accepted"),
    [
        # A Bedrock model id carries its version after a colon, as AWS's own ARNs do.
        (
            "bedrock:InvokeModel",
            "arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
            True,
        ),
        ("bedrock:InvokeModel", f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/jobs", False),
        # Task callbacks are authorized on the state machine whose task the token belongs to.
        ("states:SendTaskSuccess", f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:jobs", True),
        ("states:SendTaskSuccess", f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:jobs", False),
    ],
)
def test_parliament_narrowed_mismatch_only_for_the_documented_cases(
    action: str, resource_arn: str, accepted: bool
) -> None:
    """The two RESOURCE_MISMATCH false positives are waived for their own resource types only."""
    problems = policy_problems(
        policy({"Sid": "A", "Effect": "Allow", "Action": action, "Resource": resource_arn})
    )
    assert (problems == ()) is accepted, problems


def test_botocore_lambda_timeout_over_aws_maximum_reported() -> None:
    """A Lambda timeout one second over the maximum AWS documents is reported; the maximum itself is not."""
    documented = operation("lambda", "CreateFunction").input_shape.members["Timeout"].documentation  # type: ignore[union-attr]
    # The limit is botocore's words (the brief's 900 s was Lambda's maximum before it rose).
    assert "maximum allowed value is 1,800 seconds" in documented and LAMBDA_TIMEOUT_SECONDS == 1800
    run = MockRun([resource("aws:lambda/function:Function", name="f", timeout=1801.0, memorySize=128.0)])
    (problem,) = botocore_problems(run)
    assert "1801" in problem and "1800" in problem
    ok = MockRun([resource("aws:lambda/function:Function", name="f", timeout=1800.0, memorySize=128.0)])
    assert botocore_problems(ok) == []


@pytest.mark.parametrize(
    ("resource_type", "inputs", "expected"),
    [
        pytest.param(
            "aws:lambda/function:Function",
            {"name": "f", "timeout": 5401.0},
            "above Timeout's maximum 5400",
            id="timeout-over-model",
        ),
        pytest.param(
            "aws:lambda/function:Function",
            {"name": "f", "memorySize": 64.0},
            "below MemorySize's minimum 128",
            id="memory",
        ),
        pytest.param(
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            {"name": "a", "period": 90.0, "evaluationPeriods": 1.0},
            "not 10, 20, 30 or a multiple of 60",
            id="alarm-period",
        ),
        pytest.param(
            "aws:cloudwatch/logGroup:LogGroup",
            {"name": "/aws/lambda/f", "retentionInDays": 31.0},
            "is not one CloudWatch Logs offers",
            id="retention-days",
        ),
        pytest.param(
            "aws:cloudwatch/eventRule:EventRule",
            {"name": "r", "eventPattern": "x" * 4097},
            "more than EventPattern's maximum 4096",
            id="event-pattern",
        ),
        pytest.param(
            "aws:sqs/queue:Queue",
            {"messageRetentionSeconds": 30.0},
            "outside SQS's 60..1209600",
            id="sqs-retention",
        ),
        pytest.param(
            "aws:bedrock/guardrail:Guardrail",
            {"name": "g", "description": "d" * 201},
            "more than GuardrailDescription's maximum 200",
            id="guardrail-description",
        ),
        pytest.param("aws:foo/bar:Bar", {}, "no botocore mapping for this type", id="unmapped-type"),
    ],
)
def test_botocore_value_aws_refuses_reported(
    resource_type: str, inputs: dict[str, Any], expected: str
) -> None:
    """A value outside the model's range, length or values (or a type nobody mapped) is reported."""
    problems = botocore_problems(MockRun([resource(resource_type, **inputs)]))
    assert any(expected in problem for problem in problems), problems


def test_name_limit_seventy_character_role_name_reported() -> None:
    """A 70-character role name is refused: IAM role names take at most 64 characters."""
    run = MockRun([resource("aws:iam/role:Role", "r", name="r" * 70)])
    (problem,) = name_limit_problems(run)
    assert "70 characters" in problem and "1-64" in problem


@pytest.mark.parametrize(
    ("resource_type", "logical", "inputs", "expected"),
    [
        # Pulumi appends "-" and 7 random characters to the logical name: 57 + 8 > 64.
        pytest.param("aws:iam/role:Role", "r" * 57, {}, "65 characters", id="auto-name-over-the-limit"),
        # The provider appends 26 characters to a prefix: 39 + 26 > 64.
        pytest.param(
            "aws:iam/role:Role", "r", {"namePrefix": "p" * 39}, "65 characters", id="prefix-leaves-no-room"
        ),
        # RDS identifiers take letters, digits and hyphens only.
        pytest.param(
            "aws:rds/clusterInstance:ClusterInstance",
            "my_writer",
            {},
            "characters AWS refuses",
            id="underscore-in-rds",
        ),
        pytest.param(
            "aws:s3/bucket:Bucket",
            "b",
            {"bucket": "Documents"},
            "characters AWS refuses",
            id="uppercase-bucket",
        ),
        pytest.param(
            "aws:opensearch/domain:Domain",
            "d",
            {"domainName": "d" * 29},
            "29 characters",
            id="search-domain-over-28",
        ),
    ],
)
def test_name_limit_name_aws_refuses_reported(
    resource_type: str, logical: str, inputs: dict[str, Any], expected: str
) -> None:
    """Names too long once Pulumi or the provider completes them, or with refused characters, are reported."""
    problems = name_limit_problems(MockRun([resource(resource_type, logical, **inputs)]))
    assert any(expected in problem for problem in problems), problems


def test_deploy_problems_name_the_resource() -> None:
    """Every problem names the resource's type and logical name, so it can be found."""
    run = MockRun([resource("aws:iam/role:Role", "too-long", name="r" * 70)])
    assert all(re.match(r"aws:iam/role:Role 'too-long': ", p) for p in deploy_problems(run))


def test_botocore_third_subscription_filter_on_a_log_group_reported() -> None:
    """A log group takes at most two subscription filters (CloudWatch Logs' documented limit)."""
    filters = [
        resource(
            "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", f"f{n}", logGroup="/aws/lambda/f"
        )
        for n in range(3)
    ]
    (problem,) = [
        p for p in botocore_problems(MockRun(filters)) if "subscription" in p.lower() or "log group" in p
    ]
    assert "3 on log group '/aws/lambda/f'" in problem
    assert not [p for p in botocore_problems(MockRun(filters[:2])) if "on log group" in p]
