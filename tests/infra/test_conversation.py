"""The conversation layer under mocks: a JWT on every route, the spec's guardrail, a narrow API role."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pulumi
import pytest
from governed_assistant.infra import invariants
from governed_assistant.infra.conversation import (
    ACCESS_LOG_FORMAT,
    API_POLICY_NAME,
    DEFAULT_BURST_LIMIT,
    DEFAULT_RATE_LIMIT,
    ConversationLayer,
    ConversationLayerArgs,
    ConversationLayerError,
)
from governed_assistant.infra.guardrail import CONTENT_FILTERS, SpecGuardrail
from governed_assistant.infra.testing import ACCOUNT_ID, REGION, MockRun, RegisteredResource, run_with_mocks
from governed_assistant.spec import AssistantSpec, SpecError, parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from governed_assistant.wire import CONSOLE_ROUTES, ROUTES

from tests.conftest import preset_document
from tests.infra.test_execution import lambda_code

LAYER = "assistant-conversation"
JOBS_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/jobs"
APPROVALS_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/approvals"
USAGE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/usage"
MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:jobs"
BUS_ARN = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/jobs"
OIDC = {"provider": "oidc", "issuer": "https://login.example.com/", "audience": "assistant-api"}
GUARDRAILS = {
    "denied_topics": [{"name": "Legal advice", "definition": "Advice on lawsuits, contracts or liability."}],
    "pii_entities": ["EMAIL", "PHONE", "CREDIT_DEBIT_CARD_NUMBER"],
}

COMMON_INVENTORY = {
    "governed:conversation:ConversationLayer": 1,
    "governed:conversation:SpecGuardrail": 1,
    "aws:bedrock/guardrail:Guardrail": 1,
    "aws:bedrock/guardrailVersion:GuardrailVersion": 1,
    "aws:apigatewayv2/api:Api": 1,
    "aws:apigatewayv2/authorizer:Authorizer": 1,
    "aws:apigatewayv2/integration:Integration": 1,
    "aws:apigatewayv2/route:Route": len(ROUTES) + len(CONSOLE_ROUTES),
    "aws:apigatewayv2/stage:Stage": 1,
    "aws:lambda/function:Function": 1,
    "aws:lambda/permission:Permission": 1,
    "aws:iam/role:Role": 2,
    "aws:iam/rolePolicy:RolePolicy": 2,
    # The API function's and the access logs.
    "aws:cloudwatch/logGroup:LogGroup": 2,
}


def make_spec(**changes: Any) -> AssistantSpec:
    document = preset_document("bounded-action")
    document.update(changes)
    return parse_spec(render_spec_yaml(document))


def conversation_args(spec: AssistantSpec, **overrides: Any) -> ConversationLayerArgs:
    args: ConversationLayerArgs = {
        "spec": spec,
        "code": lambda_code(),
        "handler": "governed_assistant.handlers.api.handler",
        "environment": {"GOVERNED_METRICS_NAMESPACE": "Governed/Test"},
        "jobs_table_arn": JOBS_ARN,
        "approvals_table_arn": APPROVALS_ARN,
        "usage_table_arn": USAGE_ARN,
        "state_machine_arn": MACHINE_ARN,
        "event_bus_arn": BUS_ARN,
        "protect_data": False,
    }
    args.update(overrides)  # type: ignore[typeddict-item]
    return args


def build(spec: AssistantSpec, **overrides: Any) -> MockRun:
    return run_with_mocks(
        lambda: ConversationLayer(LAYER, conversation_args(spec, **overrides)), project=spec.slug
    )


def only(run: MockRun, resource_type: str, name: str | None = None) -> RegisteredResource:
    matches = [r for r in run.of_type(resource_type) if name is None or r.name == name]
    assert len(matches) == 1, f"{resource_type} {name}: {[r.name for r in matches]}"
    return matches[0]


def statements(resource: RegisteredResource) -> list[dict[str, Any]]:
    document: dict[str, Any] = json.loads(resource.inputs["policy"])
    return list(document["Statement"])


@pytest.fixture(scope="module")
def runs() -> dict[str, MockRun]:
    return {
        "cognito": build(make_spec(guardrails=GUARDRAILS)),
        "oidc": build(make_spec(identity=OIDC, guardrails={**GUARDRAILS, "pii_action": "block"})),
    }


@pytest.fixture(scope="module")
def run(runs: dict[str, MockRun]) -> MockRun:
    return runs["cognito"]


@pytest.mark.parametrize(
    ("provider", "extra"),
    [
        pytest.param(
            "cognito",
            {
                "aws:cognito/userPool:UserPool": 1,
                "aws:cognito/userPoolClient:UserPoolClient": 1,
                "aws:cognito/userGroup:UserGroup": 3,
            },
            id="cognito",
        ),
        pytest.param("oidc", {}, id="oidc"),
    ],
)
def test_conversation_layer_inventory_per_identity_provider(
    runs: dict[str, MockRun], provider: str, extra: dict[str, int]
) -> None:
    """Cognito adds a pool, its app client and a group per role; OIDC adds nothing."""
    types = runs[provider].types()
    del types["pulumi:pulumi:Stack"]
    assert types == Counter({**COMMON_INVENTORY, **extra})


@pytest.mark.parametrize("provider", ["cognito", "oidc"])
def test_conversation_resources_are_parented_and_unique(runs: dict[str, MockRun], provider: str) -> None:
    """No resource sits outside the component, and no two share a URN."""
    assert runs[provider].orphans() == []
    assert runs[provider].duplicate_urns() == []


@pytest.mark.parametrize("provider", ["cognito", "oidc"])
def test_conversation_layer_satisfies_every_invariant(runs: dict[str, MockRun], provider: str) -> None:
    """Every governance invariant holds: JWT routes, guardrail as specified, no wildcards, retention."""
    spec = make_spec(guardrails=GUARDRAILS) if provider == "cognito" else None
    spec = spec or make_spec(identity=OIDC, guardrails={**GUARDRAILS, "pii_action": "block"})
    assert invariants.check_resources(runs[provider].resources, spec) == []


def test_every_route_requires_the_jwt_authorizer(run: MockRun) -> None:
    """The five routes exist, each verifying a JWT with this layer's authorizer; only the console's two
    (its static page and script, answered by the same function) are open."""
    routes = run.of_type("aws:apigatewayv2/route:Route")
    assert sorted(r.inputs["routeKey"] for r in routes) == sorted((*ROUTES, *CONSOLE_ROUTES))
    authorizer_id = f"{LAYER}-jwt-id"
    for route in [r for r in routes if r.inputs["routeKey"] in CONSOLE_ROUTES]:
        assert route.inputs["authorizationType"] == "NONE" and "authorizerId" not in route.inputs
        assert route.inputs["target"] == f"integrations/{LAYER}-api-integration-id"
        assert invariants.routes_have_jwt_authorizer(route.type, route.name, route.inputs) == []
    for route in [r for r in routes if r.inputs["routeKey"] not in CONSOLE_ROUTES]:
        assert route.inputs["authorizationType"] == "JWT"
        assert route.inputs["authorizerId"] == authorizer_id
        assert route.inputs["target"] == f"integrations/{LAYER}-api-integration-id"
        assert invariants.routes_have_jwt_authorizer(route.type, route.name, route.inputs) == []


def test_cognito_authorizer_trusts_the_pool_and_its_client(run: MockRun) -> None:
    """The issuer is the pool's, the audience the app client's id, the token in Authorization."""
    authorizer = only(run, "aws:apigatewayv2/authorizer:Authorizer").inputs
    assert authorizer["authorizerType"] == "JWT"
    assert authorizer["identitySources"] == ["$request.header.Authorization"]
    assert authorizer["jwtConfiguration"] == {
        "issuer": f"https://cognito-idp.{REGION}.amazonaws.com/{LAYER}-users-id",
        "audiences": [f"{LAYER}-users-client-id"],
    }


def test_oidc_authorizer_uses_the_specs_issuer_and_audience(runs: dict[str, MockRun]) -> None:
    """With an OIDC provider the issuer and audience come from assistant.yaml."""
    authorizer = only(runs["oidc"], "aws:apigatewayv2/authorizer:Authorizer").inputs
    assert authorizer["jwtConfiguration"] == {"issuer": OIDC["issuer"], "audiences": [OIDC["audience"]]}


def test_tenant_attribute_is_readable_never_writable_by_users(run: MockRun) -> None:
    """custom:tenantId exists, the client reads it but cannot write it, and nobody signs up alone."""
    pool = only(run, "aws:cognito/userPool:UserPool").inputs
    assert [s["name"] for s in pool["schemas"]] == ["tenantId"]
    assert pool["adminCreateUserConfig"] == {"allowAdminCreateUserOnly": True}
    assert pool["mfaConfiguration"] == "OPTIONAL"
    assert pool["passwordPolicy"]["minimumLength"] >= 12
    assert pool["deletionProtection"] == "INACTIVE"
    client = only(run, "aws:cognito/userPoolClient:UserPoolClient").inputs
    assert "custom:tenantId" in client["readAttributes"]
    assert "custom:tenantId" not in client["writeAttributes"]
    assert client["generateSecret"] is False
    groups = {g.inputs["name"] for g in run.of_type("aws:cognito/userGroup:UserGroup")}
    assert groups == set(make_spec().roles)


def test_protect_data_turns_on_user_pool_deletion_protection() -> None:
    """Production stacks refuse to delete the user pool."""
    run = build(make_spec(), protect_data=True)
    assert only(run, "aws:cognito/userPool:UserPool").inputs["deletionProtection"] == "ACTIVE"


@pytest.mark.parametrize(
    ("pii_action", "expected"), [pytest.param("block", "BLOCK"), pytest.param("anonymize", "ANONYMIZE")]
)
def test_guardrail_is_built_from_the_spec(pii_action: str, expected: str) -> None:
    """Denied topics, PII entities with the spec's action, content filters; prompt attacks input-only."""
    spec = make_spec(guardrails={**GUARDRAILS, "pii_action": pii_action})
    guardrail = only(build(spec), "aws:bedrock/guardrail:Guardrail")
    assert (
        invariants.guardrail_matches_spec(guardrail.type, guardrail.name, guardrail.inputs, spec=spec) == []
    )
    pii = guardrail.inputs["sensitiveInformationPolicyConfig"]["piiEntitiesConfigs"]
    assert {entity["action"] for entity in pii} == {expected}
    filters = {f["type"]: f for f in guardrail.inputs["contentPolicyConfig"]["filtersConfigs"]}
    assert set(filters) == set(CONTENT_FILTERS)
    assert filters["PROMPT_ATTACK"]["outputStrength"] == "NONE"
    assert filters["PROMPT_ATTACK"]["inputStrength"] == "HIGH"
    assert guardrail.inputs["blockedInputMessaging"]
    assert guardrail.inputs["blockedOutputsMessaging"]


def test_guardrail_without_topics_or_pii_still_matches_the_spec() -> None:
    """An empty guardrails section leaves out the blocks Bedrock would refuse empty."""
    spec = make_spec()
    guardrail = only(build(spec), "aws:bedrock/guardrail:Guardrail")
    assert "topicPolicyConfig" not in guardrail.inputs
    assert "sensitiveInformationPolicyConfig" not in guardrail.inputs
    assert (
        invariants.guardrail_matches_spec(guardrail.type, guardrail.name, guardrail.inputs, spec=spec) == []
    )


def test_guardrail_version_changes_with_the_guardrails() -> None:
    """A change to the spec's guardrails publishes a new version (its description carries the digest)."""

    def description(spec: AssistantSpec) -> str:
        version = only(build(spec), "aws:bedrock/guardrailVersion:GuardrailVersion").inputs
        assert version["guardrailArn"].startswith("arn:aws:bedrock:")
        return str(version["description"])

    assert description(make_spec()) != description(make_spec(guardrails=GUARDRAILS))


def test_a_given_guardrail_is_used_instead_of_a_new_one(spec: AssistantSpec) -> None:
    """GovernedAssistant builds the guardrail first; the layer then creates none of its own."""

    def program() -> None:
        guardrail = SpecGuardrail("assistant-guardrail", {"spec": spec})
        ConversationLayer(LAYER, conversation_args(spec, guardrail=guardrail))

    run = run_with_mocks(program, project=spec.slug)
    assert len(run.of_type("aws:bedrock/guardrail:Guardrail")) == 1
    policy = only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-api-policy")
    (guardrail_statement,) = [s for s in statements(policy) if s["Sid"] == "InputGuardrail"]
    assert guardrail_statement["Resource"].endswith(":guardrail/assistant-guardrail-policy-id")


def test_api_function_may_do_only_its_part(run: MockRun) -> None:
    """Tenant data (as one tenant), task callbacks, the bus and the guardrail, each on its one resource."""
    policy = only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-api-policy")
    assert policy.inputs["name"] == API_POLICY_NAME
    effects = {s["Sid"]: s["Effect"] for s in statements(policy)}
    assert {sid for sid, effect in effects.items() if effect == "Deny"} == {"ApprovalsImmutable"}
    reach = {s["Sid"]: (sorted(s["Action"]), s["Resource"]) for s in statements(policy)}
    guardrail_arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:guardrail/{LAYER}-guardrail-policy-id"
    tenant_role = only(run, "aws:iam/role:Role", f"{LAYER}-tenant-data-role")
    assert reach == {
        "TenantData": (["sts:AssumeRole", "sts:TagSession"], tenant_role.outputs["arn"]),
        "RequestCounters": (["dynamodb:UpdateItem"], USAGE_ARN),
        # Denied: every approval write (it decides as one tenant, through the tenant data role).
        "ApprovalsImmutable": (
            [
                "dynamodb:BatchWriteItem",
                "dynamodb:DeleteItem",
                "dynamodb:PartiQLDelete",
                "dynamodb:PartiQLInsert",
                "dynamodb:PartiQLUpdate",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
            APPROVALS_ARN,
        ),
        "ApprovalTasks": (["states:SendTaskFailure", "states:SendTaskSuccess"], MACHINE_ARN),
        "JobAccepted": (["events:PutEvents"], BUS_ARN),
        "InputGuardrail": (["bedrock:ApplyGuardrail"], guardrail_arn),
        "OwnLogs": (
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{LAYER}-api-logs:*",
        ),
        "Tracing": (["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "*"),
    }


# The IAM policy variable AWS's DynamoDB fine-grained access documentation gives for a session
# tag, and our key layout (<tenant>#...): written out here, not taken from the code.
TENANT_PREFIX = "${aws:PrincipalTag/tenantId}#*"


def test_tenant_data_role_reaches_only_the_sessions_tenant_rows(run: MockRun) -> None:
    """Jobs and approvals, each grant held to partition keys starting with the session's tenant."""
    policy = only(run, "aws:iam/rolePolicy:RolePolicy", f"{LAYER}-tenant-data-policy")
    allowed = [s for s in statements(policy) if s["Effect"] == "Allow"]
    reach = {s["Sid"]: (sorted(s["Action"]), s["Resource"], s["Condition"]) for s in allowed}
    # And, denied whatever else the role is given: every approval write but the decision.
    (denied,) = [s for s in statements(policy) if s["Effect"] == "Deny"]
    assert "dynamodb:DeleteItem" in denied["Action"] and "dynamodb:UpdateItem" not in denied["Action"]
    condition = {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [TENANT_PREFIX]},
        "Null": {"dynamodb:LeadingKeys": "false"},
    }
    assert reach == {
        "TenantJobs": (
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
            JOBS_ARN,
            condition,
        ),
        "TenantApprovals": (
            ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"],
            APPROVALS_ARN,
            condition,
        ),
    }


def test_tenant_data_role_assumed_only_by_the_api_function_with_the_tenant_tag(run: MockRun) -> None:
    """Only the API function's role may assume it, and only tagging the session with tenantId alone."""
    (statement,) = json.loads(
        only(run, "aws:iam/role:Role", f"{LAYER}-tenant-data-role").inputs["assumeRolePolicy"]
    )["Statement"]
    api_role = only(run, "aws:iam/role:Role", f"{LAYER}-api-role")
    assert statement["Principal"] == {"AWS": [api_role.outputs["arn"]]}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"] == {
        "Null": {"aws:RequestTag/tenantId": "false"},
        "ForAllValues:StringEquals": {"aws:TagKeys": ["tenantId"]},
    }
    variables = only(run, "aws:lambda/function:Function").inputs["environment"]["variables"]
    assert (
        variables["GOVERNED_TENANT_DATA_ROLE_ARN"]
        == only(run, "aws:iam/role:Role", f"{LAYER}-tenant-data-role").outputs["arn"]
    )


def test_api_function_is_told_its_resources_and_claims(run: MockRun) -> None:
    """The function gets the tables, machine, bus, guardrail and the claim names from the spec."""
    function = only(run, "aws:lambda/function:Function").inputs
    variables = function["environment"]["variables"]
    assert variables["GOVERNED_JOBS_TABLE"] == JOBS_ARN
    assert variables["GOVERNED_APPROVALS_TABLE"] == APPROVALS_ARN
    assert variables["GOVERNED_USAGE_TABLE"] == USAGE_ARN
    assert variables["GOVERNED_STATE_MACHINE_ARN"] == MACHINE_ARN
    assert variables["GOVERNED_EVENT_BUS"] == BUS_ARN
    assert variables["GOVERNED_GUARDRAIL_VERSION"] == "1"
    assert variables["GOVERNED_TENANT_CLAIM"] == "custom:tenantId"
    assert variables["GOVERNED_ROLES_CLAIM"] == "cognito:groups"
    assert variables["GOVERNED_METRICS_NAMESPACE"] == "Governed/Test"
    assert function["handler"] == "governed_assistant.handlers.api.handler"
    assert function["tracingConfig"] == {"mode": "Active"}


def test_only_this_api_may_invoke_the_function(run: MockRun) -> None:
    """The invoke permission names API Gateway and this API's ARN."""
    permission = only(run, "aws:lambda/permission:Permission").inputs
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["sourceArn"] == f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{LAYER}-api-id/*/*"


def test_stage_throttles_and_logs_json(spec: AssistantSpec, run: MockRun) -> None:
    """The default stage throttles every route and writes one JSON access log line per request."""
    stage = only(run, "aws:apigatewayv2/stage:Stage").inputs
    assert stage["name"] == "$default"
    assert stage["autoDeploy"] is True
    settings = stage["defaultRouteSettings"]
    assert (settings["throttlingBurstLimit"], settings["throttlingRateLimit"]) == (
        DEFAULT_BURST_LIMIT,
        DEFAULT_RATE_LIMIT,
    )
    assert stage["accessLogSettings"]["format"] == ACCESS_LOG_FORMAT
    assert json.loads(ACCESS_LOG_FORMAT)["routeKey"] == "$context.routeKey"
    groups = run.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert {g.inputs["retentionInDays"] for g in groups} == {spec.observability.retention_days}


def test_throttling_and_cors_follow_the_arguments(spec: AssistantSpec) -> None:
    """Burst and rate limits and CORS origins are arguments; without origins there is no CORS."""
    run = build(
        spec,
        throttling_burst_limit=10,
        throttling_rate_limit=5.0,
        cors_allow_origins=["https://app.example.com"],
    )
    settings = only(run, "aws:apigatewayv2/stage:Stage").inputs["defaultRouteSettings"]
    assert (settings["throttlingBurstLimit"], settings["throttlingRateLimit"]) == (10, 5.0)
    cors = only(run, "aws:apigatewayv2/api:Api").inputs["corsConfiguration"]
    assert cors["allowOrigins"] == ["https://app.example.com"]
    assert "corsConfiguration" not in only(build(spec), "aws:apigatewayv2/api:Api").inputs


def test_cognito_refuses_a_tenant_claim_it_cannot_issue() -> None:
    """A Cognito pool issues the tenant only as a custom attribute: the spec refuses another claim,
    and a spec built without that check fails the program with the fix."""
    document = preset_document("bounded-action")
    document["identity"] = {"provider": "cognito", "claims": {"tenant": "tenant_id"}}
    with pytest.raises(SpecError, match="custom attribute"):
        parse_spec(render_spec_yaml(document))
    unchecked = AssistantSpec.model_validate(document)  # fields only, no cross-field rules
    with pytest.raises(Exception, match="tenant claim must be a custom attribute"):
        build(unchecked)


def test_missing_code_archive_fails_the_program(spec: AssistantSpec) -> None:
    """A code archive that is not there fails instead of deploying nothing."""
    code = {**lambda_code(), "archive": pulumi.FileArchive("/nonexistent/build/code")}
    with pytest.raises(Exception, match="points at a missing path"):
        build(spec, code=code)


@pytest.mark.parametrize(
    ("setting", "reserved"),
    [
        pytest.param({}, 25, id="default"),
        pytest.param({"reserved_concurrency": 7}, 7, id="set"),
        pytest.param({"reserved_concurrency": 0}, None, id="zero-reserves-none"),
    ],
)
def test_api_function_reserved_concurrency_per_setting(setting: dict[str, Any], reserved: int | None) -> None:
    """25 instances are reserved unless the stack says otherwise; 0 leaves the function in the shared pool."""
    function = only(build(make_spec(), **setting), "aws:lambda/function:Function").inputs
    assert function.get("reservedConcurrentExecutions") == reserved


def test_api_function_negative_reserved_concurrency_is_refused_naming_setting() -> None:
    """A negative reservation is refused before anything is created, naming the setting to fix."""
    with pytest.raises(ConversationLayerError, match="apiReservedConcurrency"):
        build(make_spec(), reserved_concurrency=-1)
