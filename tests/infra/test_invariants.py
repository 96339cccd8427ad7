"""Governance invariants: each one on a passing and a violating resource, then over whole layers."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from governed_assistant.infra import invariants
from governed_assistant.infra.execution import ExecutionLayer
from governed_assistant.infra.invariants import check_resources, model_allows
from governed_assistant.infra.observability import ObservabilityLayer
from governed_assistant.infra.steps import STEP_POLICY_PREFIX, STEPS, Step, step_grants
from governed_assistant.infra.testing import ACCOUNT_ID, MockRun, RegisteredResource, run_with_mocks
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml

from tests.conftest import PRESETS, preset_document
from tests.infra.test_execution import execution_args
from tests.infra.test_observability import observability_args

MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
PROFILE = "us.anthropic.claude-3-5-sonnet-20240620-v1:0"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(
    action: Any, resource: Any = "arn:aws:dynamodb:us-east-1:123456789012:table/jobs", **extra: Any
) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"policy": document(*statements)}


FAKE_ARNS = {
    "jobs_table": "arn:aws:dynamodb:us-east-1:123456789012:table/jobs",
    "approvals_table": "arn:aws:dynamodb:us-east-1:123456789012:table/approvals",
    "idempotency_table": "arn:aws:dynamodb:us-east-1:123456789012:table/idempotency",
    "approval_topic": "arn:aws:sns:us-east-1:123456789012:approvals",
    "guardrail": "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr0",
    "flags": "arn:aws:appconfig:us-east-1:123456789012:application/a/environment/e/configuration/p",
    "own_log_group": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*",
    "*": "*",
}


def step_policy(step: Step, edit: Any = None) -> dict[str, Any]:
    """The policy ExecutionLayer writes for ``step`` (with fake ARNs), optionally edited."""
    statements = [
        {"Sid": g.sid, "Effect": g.effect, "Action": list(g.actions), "Resource": FAKE_ARNS[g.resource]}
        for g in step_grants(step)
    ]
    if edit is not None:
        edit(statements)
    return {"name": STEP_POLICY_PREFIX + step, "role": "r", "policy": document(*statements)}


def trust(service: str) -> str:
    return document({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


@pytest.mark.parametrize(
    ("resource_type", "inputs", "found"),
    [
        pytest.param(ROLE_POLICY, policy(allow(["dynamodb:GetItem"])), [], id="named-actions-pass"),
        pytest.param(ROLE_POLICY, policy(allow("*")), ["allows ['*']"], id="star"),
        pytest.param(
            ROLE_POLICY, policy(allow(["s3:*", "sns:Publish"])), ["allows ['s3:*']"], id="service-star"
        ),
        pytest.param(
            ROLE_POLICY,
            policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
            ["NotAction"],
            id="not-action",
        ),
        pytest.param(
            "aws:s3/bucketPolicy:BucketPolicy",
            policy({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}),
            [],
            id="deny-star-pass",
        ),
        pytest.param(ROLE_POLICY, {"policy": "{not json"}, ["not valid JSON"], id="not-json"),
        pytest.param("aws:sqs/queue:Queue", policy(allow("*")), [], id="no-policy-property"),
    ],
)
def test_no_wildcard_actions(resource_type: str, inputs: dict[str, Any], found: list[str]) -> None:
    """Allow statements name their actions; Deny statements may be broad."""
    assert_violations(invariants.no_wildcard_actions(resource_type, "p", inputs), found)


@pytest.mark.parametrize(
    ("inputs", "found"),
    [
        pytest.param(
            policy(allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*")), [], id="xray-pass"
        ),
        pytest.param(policy(allow(["cloudwatch:PutMetricData"], ["*"])), [], id="metrics-pass"),
        pytest.param(
            policy(allow(["dynamodb:GetItem"], "arn:aws:dynamodb:us-east-1:1:table/t")), [], id="arn-pass"
        ),
        pytest.param(
            policy(allow(["dynamodb:GetItem"], "*")),
            ["['dynamodb:GetItem'] on Resource '*'"],
            id="table-star",
        ),
        pytest.param(
            policy(allow(["xray:PutTraceSegments", "s3:GetObject"], "*")), ["['s3:GetObject']"], id="mixed"
        ),
        pytest.param(
            policy({"Effect": "Allow", "Action": "sns:Publish", "NotResource": "arn:aws:sns:::x"}),
            ["NotResource"],
            id="not-resource",
        ),
    ],
)
def test_wildcard_resources_justified(inputs: dict[str, Any], found: list[str]) -> None:
    """Resource '*' only for actions AWS authorizes on nothing narrower."""
    assert_violations(invariants.wildcard_resources_justified(ROLE_POLICY, "p", inputs), found)


def _add_scan(statements: list[dict[str, Any]]) -> None:
    statements[0]["Action"].append("dynamodb:Scan")


def _add_statement(statements: list[dict[str, Any]]) -> None:
    statements.append(
        {
            "Sid": "Extra",
            "Effect": "Allow",
            "Action": ["sns:Publish"],
            "Resource": FAKE_ARNS["approval_topic"],
        }
    )


def _drop(sid: str) -> Any:
    def edit(statements: list[dict[str, Any]]) -> None:
        statements[:] = [statement for statement in statements if statement["Sid"] != sid]

    return edit


def _allow_deleting_approvals(statements: list[dict[str, Any]]) -> None:
    guard = next(statement for statement in statements if statement["Sid"] == "ApprovalsImmutable")
    guard["Action"].remove("dynamodb:DeleteItem")


def _guard_as_allow(statements: list[dict[str, Any]]) -> None:
    guard = next(statement for statement in statements if statement["Sid"] == "ApprovalsImmutable")
    guard["Effect"] = "Allow"


def _to_bucket(statements: list[dict[str, Any]]) -> None:
    statements[0]["Resource"] = "arn:aws:s3:::some-bucket"


def _to_star(statements: list[dict[str, Any]]) -> None:
    statements[0]["Resource"] = "*"


def _logs_to_any_group(statements: list[dict[str, Any]]) -> None:
    own_logs = next(statement for statement in statements if statement["Sid"] == "OwnLogs")
    own_logs["Resource"] = "arn:aws:logs:us-east-1:123456789012:log-group:*"


@pytest.mark.parametrize(
    ("resource_type", "inputs", "found"),
    [
        *(pytest.param(ROLE_POLICY, step_policy(step), [], id=f"{step}-pass") for step in STEPS),
        pytest.param(ROLE_POLICY, step_policy("gate", _add_scan), ["JobsRead allows"], id="extra-action"),
        pytest.param(
            ROLE_POLICY, step_policy("respond", _add_statement), ["'Extra' is not in"], id="extra-statement"
        ),
        pytest.param(
            ROLE_POLICY,
            step_policy("execute", _drop("Tracing")),
            ["lacks its grants ['Tracing']"],
            id="missing",
        ),
        pytest.param(
            ROLE_POLICY,
            step_policy("respond", _drop("ApprovalsImmutable")),
            ["lacks its grants ['ApprovalsImmutable']"],
            id="approvals-guard-missing",
        ),
        pytest.param(
            ROLE_POLICY,
            step_policy("approval", _allow_deleting_approvals),
            ["ApprovalsImmutable denies"],
            id="approvals-guard-lets-delete",
        ),
        pytest.param(
            ROLE_POLICY,
            step_policy("gate", _guard_as_allow),
            ["'ApprovalsImmutable' is not in", "lacks its grants ['ApprovalsImmutable']"],
            id="approvals-guard-allows",
        ),
        pytest.param(
            ROLE_POLICY, step_policy("execute", _to_bucket), ["is not a dynamodb ARN"], id="wrong-service"
        ),
        pytest.param(
            ROLE_POLICY, step_policy("approval", _to_star), ["wider than approvals_table"], id="star"
        ),
        pytest.param(
            ROLE_POLICY, step_policy("gate", _logs_to_any_group), ["wider than own_log_group"], id="any-logs"
        ),
        pytest.param(
            ROLE_POLICY,
            {**step_policy("gate"), "name": STEP_POLICY_PREFIX + "deploy"},
            ["names no step"],
            id="unknown-step",
        ),
        pytest.param(
            ROLE_POLICY, {"name": "other", "policy": document(allow(["s3:GetObject"]))}, [], id="not-a-step"
        ),
        pytest.param(
            "aws:iam/role:Role",
            {"tags": {"governed:step": "gate"}, "assumeRolePolicy": trust("lambda.amazonaws.com")},
            [],
            id="role-trusts-lambda",
        ),
        pytest.param(
            "aws:iam/role:Role",
            {"tags": {"governed:step": "gate"}, "assumeRolePolicy": trust("ec2.amazonaws.com")},
            ["must trust only lambda.amazonaws.com"],
            id="role-trusts-ec2",
        ),
    ],
)
def test_step_roles_match_grants(resource_type: str, inputs: dict[str, Any], found: list[str]) -> None:
    """A step's policy is exactly its row of STEP_GRANTS, each on the kind of resource it names."""
    assert_violations(invariants.step_roles_match_grants(resource_type, "p", inputs), found)


def _resource(resource_type: str, inputs: dict[str, Any]) -> RegisteredResource:
    return RegisteredResource(urn="urn", type=resource_type, name="r", parent="", custom=True, inputs=inputs)


@pytest.mark.parametrize(
    ("steps", "found"),
    [
        pytest.param(list(STEPS), [], id="one-each-pass"),
        pytest.param([], [], id="no-execution-layer-pass"),
        pytest.param([s for s in STEPS if s != "respond"], ["'respond' has 0 policies"], id="missing"),
        pytest.param([*STEPS, "gate"], ["'gate' has 2 policies"], id="duplicate"),
    ],
)
def test_every_step_has_one_policy(steps: list[Step], found: list[str]) -> None:
    """Once the layer exists, each step has exactly one policy."""
    resources = [_resource(ROLE_POLICY, step_policy(step)) for step in steps]
    assert_violations(invariants.every_step_has_one_policy(resources), found)


@pytest.mark.parametrize(
    ("resource", "model_id", "allowed"),
    [
        pytest.param(f"arn:aws:bedrock:us-east-1::foundation-model/{MODEL}", MODEL, True, id="model"),
        pytest.param(
            f"arn:aws:bedrock:*::foundation-model/{MODEL}", PROFILE, True, id="model-behind-profile"
        ),
        pytest.param(
            f"arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:inference-profile/{PROFILE}", PROFILE, True, id="profile"
        ),
        pytest.param(
            f"arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:inference-profile/{PROFILE}",
            MODEL,
            False,
            id="profile-not-chosen",
        ),
        pytest.param(
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1",
            MODEL,
            False,
            id="other-model",
        ),
        pytest.param("arn:aws:bedrock:us-east-1::foundation-model/*", MODEL, False, id="any-model"),
        pytest.param("*", MODEL, False, id="star"),
    ],
)
def test_model_allows(resource: str, model_id: str, allowed: bool) -> None:
    """A resource is the chosen model when it is its ARN, its inference profile, or the model behind it."""
    assert model_allows(resource, model_id) is allowed


GUARDRAIL = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123"
CHAT_MODEL = f"arn:aws:bedrock:us-east-1::foundation-model/{MODEL}"
EMBEDDING = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"


def guarded(resource: Any, *identifiers: Any, **equals: Any) -> dict[str, Any]:
    statement = allow(["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"], resource)
    if identifiers:
        value = identifiers[0] if len(identifiers) == 1 else list(identifiers)
        equals["bedrock:GuardrailIdentifier"] = value
    if equals:
        statement["Condition"] = {"StringEquals": equals}
    return statement


@pytest.mark.parametrize(
    ("inputs", "found"),
    [
        pytest.param(policy(guarded(CHAT_MODEL, f"{GUARDRAIL}:1")), [], id="numbered-version-pass"),
        pytest.param(policy(guarded(CHAT_MODEL, f"{GUARDRAIL}:DRAFT")), [], id="draft-pass"),
        pytest.param(
            policy(guarded(CHAT_MODEL, f"{GUARDRAIL}:1", **{"bedrock:InferenceProfileArn": "arn:p"})),
            [],
            id="with-profile-condition-pass",
        ),
        pytest.param(policy(guarded(EMBEDDING)), [], id="embedding-model-needs-none-pass"),
        pytest.param(
            policy(guarded(CHAT_MODEL)), ["without requiring the guardrail (found none)"], id="none"
        ),
        pytest.param(
            policy(guarded([EMBEDDING, CHAT_MODEL])),
            ["without requiring the guardrail"],
            id="embedding-and-chat",
        ),
        pytest.param(policy(guarded(CHAT_MODEL, GUARDRAIL)), ["without requiring"], id="no-version"),
        pytest.param(policy(guarded(CHAT_MODEL, "*")), ["without requiring"], id="any-guardrail"),
        pytest.param(
            policy(guarded(CHAT_MODEL, f"{GUARDRAIL}:1", f"{GUARDRAIL}:2")), ["without requiring"], id="two"
        ),
        pytest.param(
            policy(
                {
                    **allow(["bedrock:InvokeModel"], CHAT_MODEL),
                    "Condition": {"StringLike": {"bedrock:GuardrailIdentifier": f"{GUARDRAIL}:*"}},
                }
            ),
            ["without requiring"],
            id="pattern-not-equals",
        ),
        pytest.param(policy(allow(["bedrock:ApplyGuardrail"], GUARDRAIL)), [], id="not-an-invoke-pass"),
    ],
)
def test_model_calls_carry_the_guardrail(inputs: dict[str, Any], found: list[str]) -> None:
    """A grant to call the chat model holds only with one guardrail version on the call."""
    assert_violations(invariants.model_calls_carry_the_guardrail(ROLE_POLICY, "p", inputs), found)


@pytest.mark.parametrize(
    ("inputs", "found"),
    [
        pytest.param(
            policy(allow(["bedrock:InvokeModel"], f"arn:aws:bedrock:us-east-1::foundation-model/{MODEL}")),
            [],
            id="chosen-model-pass",
        ),
        pytest.param(
            policy(allow(["bedrock:InvokeModelWithResponseStream"], "*")),
            ["invokes Bedrock on ['*']"],
            id="any-model",
        ),
        pytest.param(
            policy(
                allow(
                    ["bedrock:InvokeModel"],
                    [
                        f"arn:aws:bedrock:us-east-1::foundation-model/{MODEL}",
                        "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3",
                    ],
                )
            ),
            ["meta.llama3"],
            id="extra-model",
        ),
        pytest.param(
            policy(allow(["bedrock:ApplyGuardrail"], "arn:aws:bedrock:us-east-1:1:guardrail/g")),
            [],
            id="not-an-invoke-pass",
        ),
    ],
)
def test_bedrock_invoke_limited(inputs: dict[str, Any], found: list[str]) -> None:
    """Model invocation is granted on the spec's model only."""
    assert_violations(invariants.bedrock_invoke_limited(ROLE_POLICY, "p", inputs, model_ids=(MODEL,)), found)


@pytest.mark.parametrize(
    ("resource_type", "inputs", "found"),
    [
        pytest.param(
            "aws:apigatewayv2/route:Route",
            {"routeKey": "POST /jobs", "authorizationType": "JWT", "authorizerId": "auth1"},
            [],
            id="jwt-pass",
        ),
        pytest.param(
            "aws:apigatewayv2/route:Route",
            {"routeKey": "GET /health", "authorizationType": "NONE"},
            ["'GET /health' has authorization 'NONE'"],
            id="open-route",
        ),
        pytest.param(
            "aws:apigatewayv2/route:Route",
            {"routeKey": "GET /jobs/{id}", "authorizationType": "JWT"},
            ["attach the JWT authorizer"],
            id="jwt-without-authorizer",
        ),
        pytest.param(
            "aws:apigatewayv2/route:Route",
            {"routeKey": "GET /console", "authorizationType": "NONE"},
            [],
            id="console-open",
        ),
        pytest.param(
            "aws:apigatewayv2/route:Route",
            {"routeKey": "GET /console.js", "authorizationType": "NONE"},
            [],
            id="console-script-open",
        ),
        pytest.param(
            "aws:apigatewayv2/route:Route",
            {"routeKey": "POST /console", "authorizationType": "NONE"},
            ["'POST /console' has authorization 'NONE'"],
            id="console-path-other-method",
        ),
        pytest.param(
            "aws:apigatewayv2/route:Route",
            {"routeKey": "GET /console/{proxy+}", "authorizationType": "NONE"},
            ["has authorization 'NONE'"],
            id="console-prefix",
        ),
        pytest.param(
            "aws:apigateway/method:Method", {"authorization": "NONE"}, ["no authorizer"], id="rest-open"
        ),
        pytest.param(
            "aws:apigateway/method:Method", {"authorization": "COGNITO_USER_POOLS"}, [], id="rest-pass"
        ),
    ],
)
def test_routes_have_jwt_authorizer(resource_type: str, inputs: dict[str, Any], found: list[str]) -> None:
    """Every route verifies a JWT, but the console's page and script, exactly those two route keys."""
    assert_violations(invariants.routes_have_jwt_authorizer(resource_type, "r", inputs), found)


@pytest.mark.parametrize(
    ("inputs", "found"),
    [
        pytest.param(
            {"serverSideEncryption": {"enabled": True}, "pointInTimeRecovery": {"enabled": True}},
            [],
            id="pass",
        ),
        pytest.param(
            {"serverSideEncryption": {"enabled": False}, "pointInTimeRecovery": {"enabled": True}},
            ["server-side encryption is off"],
            id="sse-off",
        ),
        pytest.param({"serverSideEncryption": {"enabled": True}}, ["PITR is off"], id="pitr-missing"),
    ],
)
def test_tables_encrypted_and_recoverable(inputs: dict[str, Any], found: list[str]) -> None:
    """Tables are encrypted and recoverable to any second of the last 35 days."""
    assert_violations(
        invariants.tables_encrypted_and_recoverable("aws:dynamodb/table:Table", "t", inputs), found
    )


LOGGING = {"level": "ALL", "includeExecutionData": False, "logDestination": "arn:aws:logs:::log-group:x:*"}


@pytest.mark.parametrize(
    ("inputs", "found"),
    [
        pytest.param(
            {"loggingConfiguration": LOGGING, "tracingConfiguration": {"enabled": True}}, [], id="pass"
        ),
        pytest.param(
            {
                "loggingConfiguration": {**LOGGING, "level": "ERROR"},
                "tracingConfiguration": {"enabled": True},
            },
            ["logging is 'ERROR'"],
            id="errors-only",
        ),
        pytest.param(
            {
                "loggingConfiguration": {**LOGGING, "includeExecutionData": True},
                "tracingConfiguration": {"enabled": True},
            },
            ["execution data True would log task tokens"],
            id="with-data",
        ),
        pytest.param(
            {
                "loggingConfiguration": {
                    key: value for key, value in LOGGING.items() if key != "includeExecutionData"
                },
                "tracingConfiguration": {"enabled": True},
            },
            ["execution data None"],
            id="data-unset",
        ),
        pytest.param({"loggingConfiguration": LOGGING}, ["X-Ray tracing is off"], id="no-tracing"),
        pytest.param(
            {"tracingConfiguration": {"enabled": True}},
            ["logging is None", "execution data None", "no destination"],
            id="no-logging",
        ),
    ],
)
def test_state_machine_logs_events_without_data(inputs: dict[str, Any], found: list[str]) -> None:
    """State machines log every event, never its data (task tokens, messages), and trace with X-Ray."""
    assert_violations(
        invariants.state_machine_logs_events_without_data("aws:sfn/stateMachine:StateMachine", "m", inputs),
        found,
    )


@pytest.fixture
def guarded_spec() -> AssistantSpec:
    document = preset_document()
    document["guardrails"] = {
        "denied_topics": [{"name": "Legal advice", "definition": "Advice on legal disputes or contracts."}],
        "pii_entities": ["EMAIL", "PHONE"],
        "pii_action": "block",
    }
    return parse_spec(render_spec_yaml(document))


def guardrail(topics: list[tuple[str, str]], pii: dict[str, str]) -> dict[str, Any]:
    return {
        "topicPolicyConfig": {
            "topicsConfigs": [{"name": n, "definition": d, "type": "DENY"} for n, d in topics]
        },
        "sensitiveInformationPolicyConfig": {
            "piiEntitiesConfigs": [{"type": t, "action": a} for t, a in pii.items()]
        },
    }


LEGAL = ("Legal advice", "Advice on legal disputes or contracts.")


@pytest.mark.parametrize(
    ("inputs", "found"),
    [
        pytest.param(guardrail([LEGAL], {"EMAIL": "BLOCK", "PHONE": "BLOCK"}), [], id="pass"),
        pytest.param(
            guardrail([], {"EMAIL": "BLOCK", "PHONE": "BLOCK"}), ["denied topics"], id="topic-missing"
        ),
        pytest.param(
            guardrail([LEGAL], {"EMAIL": "ANONYMIZE", "PHONE": "BLOCK"}), ["PII handling"], id="pii-action"
        ),
        pytest.param(guardrail([LEGAL], {"EMAIL": "BLOCK"}), ["PII handling"], id="pii-type-missing"),
    ],
)
def test_guardrail_matches_spec(
    guarded_spec: AssistantSpec, inputs: dict[str, Any], found: list[str]
) -> None:
    """The guardrail denies the spec's topics and handles its PII types with its action."""
    violations = invariants.guardrail_matches_spec(
        "aws:bedrock/guardrail:Guardrail", "g", inputs, spec=guarded_spec
    )
    assert_violations(violations, found)


HOSTED = "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion"


@pytest.mark.parametrize(
    ("inputs", "found"),
    [
        pytest.param(
            {
                "contentType": "application/json",
                "content": json.dumps({"shadow_mode": {"default": True}, "kill_switch": {"default": False}}),
            },
            [],
            id="pass",
        ),
        pytest.param(
            {"contentType": "application/json", "content": json.dumps({"shadow_mode": {"default": "yes"}})},
            ["FeatureFlags schema"],
            id="not-boolean",
        ),
        pytest.param(
            {"contentType": "application/json", "content": json.dumps({"canary": {"rules": {}}})},
            ["FeatureFlags schema"],
            id="no-default",
        ),
        pytest.param({"contentType": "application/json", "content": "{"}, ["not valid JSON"], id="not-json"),
        pytest.param({"contentType": "application/x-yaml", "content": "a: 1"}, [], id="not-json-document"),
    ],
)
def test_feature_flags_valid(inputs: dict[str, Any], found: list[str]) -> None:
    """AppConfig flag documents validate against Powertools' FeatureFlags schema."""
    assert_violations(invariants.feature_flags_valid(HOSTED, "flags", inputs), found)


@pytest.mark.parametrize(
    ("resource_type", "inputs", "found"),
    [
        pytest.param("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 30}, [], id="retained-pass"),
        pytest.param("aws:cloudwatch/logGroup:LogGroup", {}, ["retention is None days"], id="forever"),
        pytest.param(
            "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 365}, ["the spec says 30"], id="longer"
        ),
    ],
)
def test_log_groups_retained(resource_type: str, inputs: dict[str, Any], found: list[str]) -> None:
    """Log groups keep the spec's retention."""
    assert_violations(invariants.log_groups_retained(resource_type, "lg", inputs, days=30), found)


@pytest.mark.parametrize(
    ("inputs", "found"),
    [
        pytest.param({"kmsMasterKeyId": "alias/aws/sns"}, [], id="encrypted-pass"),
        pytest.param({}, ["not encrypted"], id="plain"),
    ],
)
def test_topics_encrypted(inputs: dict[str, Any], found: list[str]) -> None:
    """Topics are encrypted with KMS."""
    assert_violations(invariants.topics_encrypted("aws:sns/topic:Topic", "t", inputs), found)


SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ONE_TENANT = "does not name exactly one tenant"


def subscription(filter_policy: Any, scope: Any = "MessageAttributes") -> dict[str, Any]:
    inputs = {"topic": "arn:aws:sns:us-east-1:123456789012:approvals", "protocol": "email"}
    if filter_policy is not None:
        inputs["filterPolicy"] = (
            filter_policy if isinstance(filter_policy, str) else json.dumps(filter_policy)
        )
    if scope is not None:
        inputs["filterPolicyScope"] = scope
    return inputs


@pytest.mark.parametrize(
    ("inputs", "found"),
    [
        pytest.param(subscription({"tenantId": ["acme"]}), [], id="one-tenant-pass"),
        pytest.param(subscription({"tenantId": ["acme:eu@x.y"]}), [], id="tenant-with-punctuation-pass"),
        pytest.param(subscription(None), [ONE_TENANT], id="no-filter"),
        pytest.param(subscription(None, scope=None), ["scope is None", ONE_TENANT], id="no-filter-no-scope"),
        pytest.param(
            subscription({"tenantId": ["acme"]}, scope="MessageBody"),
            ["scope is 'MessageBody'"],
            id="filters-the-body",
        ),
        pytest.param(subscription({"tenantId": ["acme", "globex"]}), [ONE_TENANT], id="two-tenants"),
        pytest.param(subscription({"tenantId": []}), [ONE_TENANT], id="no-tenant"),
        pytest.param(subscription({"tenantId": "acme"}), [ONE_TENANT], id="value-not-a-list"),
        pytest.param(subscription({"tenantId": [{"prefix": "ac"}]}), [ONE_TENANT], id="prefix"),
        pytest.param(
            subscription({"tenantId": [{"anything-but": ["globex"]}]}), [ONE_TENANT], id="anything-but"
        ),
        pytest.param(subscription({"tenantId": [{"exists": True}]}), [ONE_TENANT], id="exists"),
        pytest.param(subscription({"tenantId": [{"wildcard": "*"}]}), [ONE_TENANT], id="wildcard"),
        pytest.param(subscription({"tenantId": ["*"]}), [ONE_TENANT], id="star-is-not-a-tenant"),
        pytest.param(subscription({"tenantId": [7]}), [ONE_TENANT], id="number"),
        pytest.param(
            subscription({"$or": [{"tenantId": ["acme"]}, {"actionType": ["issue_refund"]}]}),
            [ONE_TENANT],
            id="or-lets-others-through",
        ),
        pytest.param(
            subscription({"tenantId": ["acme"], "actionType": ["issue_refund"]}), [ONE_TENANT], id="extra-key"
        ),
        pytest.param(subscription("{not json"), ["not valid JSON"], id="not-json"),
        pytest.param(subscription(["acme"]), [ONE_TENANT], id="not-an-object"),
    ],
)
def test_approval_subscriptions_name_one_tenant(inputs: dict[str, Any], found: list[str]) -> None:
    """Every subscription filters on message attributes for one tenant, by exact match."""
    assert_violations(invariants.approval_subscriptions_name_one_tenant(SUBSCRIPTION, "s", inputs), found)


def test_approval_subscriptions_name_one_tenant_ignores_other_types() -> None:
    """Only subscriptions are judged: a topic has no filter policy to name a tenant in."""
    assert invariants.approval_subscriptions_name_one_tenant("aws:sns/topic:Topic", "t", {}) == []


def assert_violations(violations: list[str], found: list[str]) -> None:
    assert len(violations) == len(found), violations
    for violation, fragment in zip(violations, found, strict=True):
        assert fragment in violation


def both_layers(spec: AssistantSpec) -> MockRun:
    def program() -> None:
        execution = ExecutionLayer("assistant-execution", execution_args(spec))
        ObservabilityLayer(
            "assistant-observability",
            {
                **observability_args(spec),
                "event_log_group_names": [
                    execution.log_group_names.apply(lambda names, i=i: names[i]) for i in range(len(STEPS))
                ],
                "function_names": [
                    execution.function_names.apply(lambda names, i=i: names[i]) for i in range(len(STEPS))
                ],
                "state_machine_arn": execution.state_machine_arn,
            },
        )

    return run_with_mocks(program, project=spec.slug)


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("opensearch", [True, False], ids=["opensearch", "logs-only"])
def test_layers_satisfy_every_invariant(preset: str, opensearch: bool) -> None:
    """Execution and observability, built from each preset, break no invariant."""
    spec = parse_spec(render_spec_yaml(preset_document(preset)))
    spec = spec.model_copy(
        update={"observability": spec.observability.model_copy(update={"opensearch": opensearch})}
    )
    run = both_layers(spec)
    assert len(run.of_type(ROLE_POLICY)) >= len(STEPS)
    assert check_resources(run.resources, spec) == []


def test_check_resources_reports_a_broken_resource(spec: AssistantSpec) -> None:
    """A wildcard policy slipped into the program is reported, with the resource's name."""
    run = both_layers(spec)
    broken = _resource(ROLE_POLICY, policy(allow("*", "*")))
    violations = check_resources([*run.resources, broken], spec)
    assert len(violations) == 2
    assert all("'r'" in violation for violation in violations)


def test_mock_run_outputs_are_known(spec: AssistantSpec) -> None:
    """Under mocks every policy document is a known JSON string, so the invariants see it whole."""
    run = both_layers(spec)
    assert all(isinstance(r.inputs["policy"], str) for r in run.of_type(ROLE_POLICY))
    assert not any(isinstance(value, pulumi.Output) for r in run.resources for value in r.inputs.values())


# ---------------------------------------------------------------------- confused deputy

ROLE = "aws:iam/role:Role"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
PERMISSION = "aws:lambda/permission:Permission"
OTHER_ACCOUNT = "210987654321"
MACHINE_ARN = f"arn:aws:states:us-east-1:{ACCOUNT_ID}:stateMachine:jobs"
RULE_ARN = f"arn:aws:events:us-east-1:{ACCOUNT_ID}:rule/bus/job-accepted"


def service_trust(service: Any, condition: dict[str, Any] | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"assumeRolePolicy": document(statement)}


def pinned(account: Any = ACCOUNT_ID, source_arn: Any = None, operator: str = "ArnLike") -> dict[str, Any]:
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account}}
    if source_arn is not None:
        condition[operator] = {"aws:SourceArn": source_arn}
    return condition


@pytest.mark.parametrize(
    ("resource_type", "inputs", "found"),
    [
        pytest.param(
            ROLE,
            service_trust("states.amazonaws.com", pinned(source_arn=MACHINE_ARN)),
            [],
            id="states-pinned-pass",
        ),
        pytest.param(
            ROLE, service_trust("appconfig.amazonaws.com", pinned()), [], id="appconfig-account-pass"
        ),
        pytest.param(
            ROLE,
            service_trust("firehose.amazonaws.com", {"StringEquals": {"sts:ExternalId": ACCOUNT_ID}}),
            [],
            id="firehose-external-id-pass",
        ),
        pytest.param(
            ROLE,
            service_trust("firehose.amazonaws.com", pinned()),
            ["without sts:ExternalId"],
            id="firehose-source-account-not-what-it-sends",
        ),
        pytest.param(
            ROLE, service_trust("lambda.amazonaws.com", None), [], id="lambda-execution-role-exempt"
        ),
        pytest.param(
            ROLE,
            {
                "assumeRolePolicy": document(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::123456789012:role/x"},
                        "Action": "sts:AssumeRole",
                    }
                )
            },
            [],
            id="role-principal-not-a-service",
        ),
        pytest.param(
            ROLE,
            service_trust("events.amazonaws.com", None),
            ["without aws:SourceAccount", "without aws:SourceArn"],
            id="events-unconditioned",
        ),
        pytest.param(
            ROLE,
            service_trust("appconfig.amazonaws.com", None),
            ["without aws:SourceAccount"],
            id="appconfig-unconditioned",
        ),
        pytest.param(
            ROLE,
            service_trust("states.amazonaws.com", pinned()),
            ["without aws:SourceArn"],
            id="states-account-only",
        ),
        pytest.param(
            ROLE,
            service_trust(
                "states.amazonaws.com",
                {
                    "StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT_ID},
                    "ArnLikeIfExists": {"aws:SourceArn": MACHINE_ARN},
                },
            ),
            ["without aws:SourceAccount", "without aws:SourceArn"],
            id="if-exists-lets-keyless-requests-through",
        ),
        pytest.param(
            ROLE,
            service_trust("states.amazonaws.com", pinned("*", MACHINE_ARN)),
            ["has ['*']"],
            id="account-wildcard",
        ),
        pytest.param(
            ROLE,
            service_trust("states.amazonaws.com", pinned([ACCOUNT_ID, OTHER_ACCOUNT], MACHINE_ARN)),
            ["has ['123456789012', '210987654321']"],
            id="two-accounts",
        ),
        pytest.param(
            ROLE,
            service_trust(
                "states.amazonaws.com", pinned(source_arn=MACHINE_ARN.replace(ACCOUNT_ID, OTHER_ACCOUNT))
            ),
            ["whose account is not"],
            id="source-arn-of-another-account",
        ),
        pytest.param(
            ROLE,
            service_trust(
                "states.amazonaws.com", pinned(source_arn="arn:aws:states:us-east-1:*:stateMachine:*")
            ),
            ["whose account is not"],
            id="source-arn-any-account",
        ),
        pytest.param(
            ROLE,
            service_trust("states.amazonaws.com", pinned(source_arn=RULE_ARN)),
            ["not an ARN of states"],
            id="source-arn-of-another-service",
        ),
        pytest.param(
            ROLE,
            service_trust("states.amazonaws.com", pinned(source_arn="*", operator="StringLike")),
            ["not an ARN of states"],
            id="source-arn-star",
        ),
        pytest.param(
            ROLE,
            service_trust(["lambda.amazonaws.com", "events.amazonaws.com"], None),
            ["events.amazonaws.com in without aws:SourceAccount", "without aws:SourceArn"],
            id="lambda-beside-another-service-not-exempt",
        ),
        pytest.param(
            ROLE,
            service_trust("logs.us-east-1.amazonaws.com", pinned()),
            ["without aws:SourceArn"],
            id="regional-principal-read-as-its-service",
        ),
        pytest.param(
            QUEUE_POLICY,
            {
                "policy": document(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": "arn:aws:sqs:us-east-1:123456789012:q",
                        "Condition": pinned(source_arn=RULE_ARN, operator="ArnEquals"),
                    }
                )
            },
            [],
            id="queue-policy-pinned-pass",
        ),
        pytest.param(
            QUEUE_POLICY,
            {
                "policy": document(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": "arn:aws:sqs:us-east-1:123456789012:q",
                    }
                )
            },
            ["lambda.amazonaws.com in without aws:SourceAccount"],
            id="lambda-exempt-only-in-role-trust",
        ),
        pytest.param(
            QUEUE_POLICY,
            {
                "policy": document(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "sns.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": "arn:aws:sqs:us-east-1:123456789012:q",
                    }
                )
            },
            ["without aws:SourceAccount"],
            id="queue-policy-open-to-a-service",
        ),
        pytest.param(
            PERMISSION,
            {"principal": "events.amazonaws.com", "sourceArn": RULE_ARN, "sourceAccount": ACCOUNT_ID},
            [],
            id="permission-pinned-pass",
        ),
        pytest.param(
            PERMISSION,
            {"principal": "events.amazonaws.com"},
            ["set source_account", "set source_arn"],
            id="permission-unconditioned",
        ),
        pytest.param(
            PERMISSION,
            {
                "principal": "apigateway.amazonaws.com",
                "sourceArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:api/*/*",
            },
            ["set source_account"],
            id="permission-without-account",
        ),
        pytest.param(
            PERMISSION,
            {"principal": "apigateway.amazonaws.com", "sourceAccount": ACCOUNT_ID, "sourceArn": RULE_ARN},
            ["not an ARN of execute-api"],
            id="permission-source-of-another-service",
        ),
        pytest.param(
            PERMISSION,
            {"principal": "arn:aws:iam::123456789012:role/caller"},
            [],
            id="permission-to-a-role-not-a-service",
        ),
    ],
)
def test_service_roles_name_their_source(
    resource_type: str, inputs: dict[str, Any], found: list[str]
) -> None:
    """A service let into a role, queue or function names the account and, where documented, the resource."""
    assert_violations(invariants.service_roles_name_their_source(resource_type, "r", inputs), found)


# ---------------------------------------------------------------------- tenant isolation

TENANT_PREFIX = "${aws:PrincipalTag/tenantId}#*"
TENANT_KEYS = {
    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [TENANT_PREFIX]},
    "Null": {"dynamodb:LeadingKeys": "false"},
}


def tenant_policy(*statements: dict[str, Any], name: str = "governed-tenant-data") -> dict[str, Any]:
    return {"name": name, "role": "r", "policy": document(*statements)}


def tenant_grant(
    actions: Any = ("dynamodb:GetItem", "dynamodb:Query"), condition: Any = None
) -> dict[str, Any]:
    return allow(list(actions), Condition=TENANT_KEYS if condition is None else condition)


@pytest.mark.parametrize(
    ("inputs", "found"),
    [
        pytest.param(tenant_policy(tenant_grant()), [], id="leading-keys-pass"),
        pytest.param(
            tenant_policy(allow(["dynamodb:GetItem"])),
            ["ForAllValues:StringLike None", "Null None"],
            id="no-condition",
        ),
        pytest.param(
            tenant_policy(
                tenant_grant(condition={"ForAllValues:StringLike": TENANT_KEYS["ForAllValues:StringLike"]})
            ),
            ["Null None"],
            id="keyless-request-would-pass-forallvalues",
        ),
        pytest.param(
            tenant_policy(
                tenant_grant(
                    condition={**TENANT_KEYS, "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["*"]}}
                )
            ),
            ["ForAllValues:StringLike {'dynamodb:LeadingKeys': ['*']}"],
            id="any-tenant",
        ),
        pytest.param(
            tenant_policy(
                tenant_grant(
                    condition={
                        **TENANT_KEYS,
                        "ForAllValues:StringLike": {
                            "dynamodb:LeadingKeys": ["${aws:PrincipalTag/tenantId}*"]
                        },
                    }
                )
            ),
            ["ForAllValues:StringLike"],
            id="prefix-without-separator-reaches-acme2-from-acme",
        ),
        pytest.param(
            tenant_policy(
                tenant_grant(
                    condition={
                        **TENANT_KEYS,
                        "ForAnyValue:StringLike": TENANT_KEYS["ForAllValues:StringLike"],
                    }
                    | {"ForAllValues:StringLike": None}
                )
            ),
            ["ForAllValues:StringLike None"],
            id="for-any-value-lets-one-foreign-key-through",
        ),
        pytest.param(
            tenant_policy(tenant_grant(["dynamodb:Scan", "dynamodb:GetItem"])),
            ["allows ['dynamodb:Scan']"],
            id="scan-names-no-partition-key",
        ),
        pytest.param(
            tenant_policy(allow(["dynamodb:GetItem"]), name="governed-conversation-api"),
            ["gives the API function ['dynamodb:GetItem'] directly"],
            id="api-reads-a-table-directly",
        ),
        pytest.param(
            tenant_policy(
                allow(["events:PutEvents"], "arn:aws:events:us-east-1:123456789012:event-bus/b"),
                name="governed-conversation-api",
            ),
            [],
            id="api-without-tables-pass",
        ),
        pytest.param(
            tenant_policy(allow(["dynamodb:GetItem"]), name="governed-step-gate"),
            [],
            id="other-policies-untouched",
        ),
    ],
)
def test_tenant_rows_only_by_leading_keys(inputs: dict[str, Any], found: list[str]) -> None:
    """The tenant data role's grants hold each key to the session's tenant; the API holds no table."""
    assert_violations(invariants.tenant_rows_only_by_leading_keys(ROLE_POLICY, "r", inputs), found)
