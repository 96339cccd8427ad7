"""``ConversationLayer``: the HTTP API users talk to, in front of the reasoning and execution layers.

API Gateway (HTTP API) verifies the JWT on every route before anything runs: the API function sees
only verified claims, from which ``governed_assistant.runtime.identity`` builds the
``TenantContext``. The console's two routes (``GET /console`` and its script) alone have no
authorizer: the function answers them with the static page, which holds no data, and every call the
page makes goes to the routes behind the authorizer with the user's token. With ``identity.provider:
cognito`` the layer creates the user pool, one group per spec role (groups arrive as
``cognito:groups``) and the app client; the tenant is a custom attribute the app client may read but
never write, so no user can move themselves to another tenant. With ``oidc`` the issuer and audience
come from the spec.

The API function first counts the request against its tenant's rate limit (the usage table), then
screens the input with the guardrail, records the job, puts "job accepted" on the execution layer's
bus and answers 202; it reads jobs and approvals, and completes approval tasks
(``SendTaskSuccess``/``SendTaskFailure``). Nothing else. It has reserved concurrency
(``DEFAULT_RESERVED_CONCURRENCY``), so the request path neither starves nor crowds out the steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from governed_assistant.errors import GovernanceError
from governed_assistant.infra.execution import check_archive
from governed_assistant.infra.functions import (
    FunctionSettings,
    LambdaCode,
    allow,
    assume_role_policy,
    deny,
    governed_function,
    logs_and_tracing,
    physical_name,
)
from governed_assistant.infra.guardrail import SpecGuardrail
from governed_assistant.infra.identity import create_user_pool
from governed_assistant.infra.reasoning import FLAGS_READ_ACTIONS
from governed_assistant.infra.steps import approvals_immutable
from governed_assistant.infra.tenant_data import create_tenant_data_role
from governed_assistant.runtime.audit import APPROVALS_PREFIX
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import (
    CONSOLE_ROUTES,
    ENV_AUDIT_BUCKET,
    ENV_BY_RESOURCE,
    ENV_EVENT_BUS,
    ENV_GUARDRAIL_VERSION,
    ENV_POWERTOOLS_SERVICE_NAME,
    ENV_ROLES_CLAIM,
    ENV_STATE_MACHINE_ARN,
    ENV_TENANT_CLAIM,
    ENV_TENANT_DATA_ROLE_ARN,
    ENV_USAGE_TABLE,
    ENV_USER_CLAIM,
    ROUTES,
)

API_POLICY_NAME: Final = "governed-conversation-api"
IDENTITY_SOURCE: Final = "$request.header.Authorization"

DEFAULT_BURST_LIMIT: Final = 50
DEFAULT_RATE_LIMIT: Final = 25.0
# The API function's reserved instances: the stage's 25 requests a second at about a second each.
# Reserved, the request path keeps them however busy the execution steps get, and cannot take more;
# 25 of the default 1,000 leave the rest of the account far above the 100 unreserved AWS requires.
DEFAULT_RESERVED_CONCURRENCY: Final = 25
TIMEOUT_SECONDS: Final = 29  # API Gateway stops waiting at 30 s.
MEMORY_MB: Final = 512

# One JSON object per request; $context variables of HTTP APIs.
ACCESS_LOG_FORMAT: Final = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"requestTime":"$context.requestTime","routeKey":"$context.routeKey",'
    '"status":"$context.status","protocol":"$context.protocol",'
    '"responseLength":"$context.responseLength","latencyMs":"$context.responseLatency",'
    '"integrationError":"$context.integrationErrorMessage",'
    '"authorizerError":"$context.authorizer.error","sub":"$context.authorizer.claims.sub"}'
)


class ConversationLayerError(GovernanceError):
    """When the spec's OIDC identity lacks the issuer or audience the authorizer needs, or a setting is
    out of range."""


class ConversationLayerArgs(TypedDict):
    spec: AssistantSpec
    """The validated spec: identity (provider, issuer, audience, claims), roles, guardrails, retention."""
    code: LambdaCode
    """The code and dependencies layer the API function runs."""
    handler: str
    """The API function's handler, e.g. ``"governed_assistant.handlers.api.handler"``."""
    environment: Mapping[str, pulumi.Input[str]]
    """Variables the API function gets (metrics namespace, flags...), besides its own."""
    jobs_table_arn: pulumi.Input[str]
    """The execution layer's jobs table: the function records and reads jobs there."""
    approvals_table_arn: pulumi.Input[str]
    """The execution layer's approvals table: pending approvals and their task tokens."""
    usage_table_arn: pulumi.Input[str]
    """The reasoning layer's usage table: the function counts each tenant's requests there (the
    per-tenant rate limit, ``governed_assistant.runtime.ratelimit``)."""
    state_machine_arn: pulumi.Input[str]
    """The job state machine, whose approval tasks the function completes."""
    event_bus_arn: pulumi.Input[str]
    """The execution layer's bus, where the function puts "job accepted"."""
    protect_data: bool
    """Protect the user pool (``storage.data_options``, and its deletion protection); on for production."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """The stack's key (``kms_key`` in assistant.yaml): every store, log group and function of the
    layer is encrypted with it, and the roles may use it; AWS's keys without it."""
    table_names: NotRequired[Mapping[str, pulumi.Input[str]]]
    """``{"jobs": ..., "approvals": ..., "usage": ..., "event_bus": ...}``: the names the function's variables
    carry (``GovernedAssistant`` passes them); the ARNs above otherwise, which the APIs accept too."""
    flags_arn: NotRequired[pulumi.Input[str]]
    """The rollout flags' AppConfig configuration ARN: the function reads the kill switch before it
    grants an approval (their identifiers reach it through ``environment``)."""
    guardrail: NotRequired[SpecGuardrail]
    """The spec's guardrail when built elsewhere (``GovernedAssistant`` builds it before the
    execution layer, which needs it too); without it, this layer builds its own."""
    cors_allow_origins: NotRequired[Sequence[str]]
    """Browser origins allowed to call the API (API Gateway answers their preflights); none by default."""
    throttling_burst_limit: NotRequired[int]
    """Requests the stage accepts in a burst, across all routes; 50 by default."""
    throttling_rate_limit: NotRequired[float]
    """Steady requests per second the stage accepts, across all routes; 25 by default."""
    reserved_concurrency: NotRequired[int]
    """Instances reserved for the API function (``DEFAULT_RESERVED_CONCURRENCY``); 0 reserves none, so
    it shares the account's unreserved pool (for an account whose concurrency quota is low)."""
    decision_stream_arn: NotRequired[pulumi.Input[str]]
    """The Firehose stream decision events go to (``firehose`` telemetry sink); left out with the log sink."""
    audit_bucket_name: NotRequired[pulumi.Input[str]]
    """The audit archive (``audit_archive.AuditArchive``): the function writes each decided approval's
    record under ``approvals/`` before it resumes the job. Without it no record is written."""
    audit_bucket_arn: NotRequired[pulumi.Input[str]]
    """The audit archive's ARN; given with ``audit_bucket_name``."""


class ConversationLayer(pulumi.ComponentResource):
    api_url: pulumi.Output[str]
    """The API's base URL (``https://<id>.execute-api.<region>.amazonaws.com``)."""
    api_id: pulumi.Output[str]
    """The HTTP API's id (the observability layer watches its 5xx)."""
    issuer: pulumi.Output[str]
    """The JWT issuer the authorizer trusts."""
    audience: pulumi.Output[str]
    """The audience (Cognito app client id, or the spec's) the authorizer requires."""
    user_pool_id: pulumi.Output[str | None]
    """The Cognito user pool; None with an OIDC provider."""
    guardrail_arn: pulumi.Output[str]
    """The guardrail the API function screens inputs with."""
    guardrail_id: pulumi.Output[str]
    """The guardrail's id."""
    guardrail_version: pulumi.Output[str]
    """The guardrail's published version."""
    function_name: pulumi.Output[str]
    """The API function's name (for throttle alarms)."""
    log_group_names: pulumi.Output[list[str]]
    """The API function's log group (decision events) and the access log group."""

    def __init__(
        self, name: str, args: ConversationLayerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("governed:conversation:ConversationLayer", name, None, opts)
        self._name = name
        self._spec = args["spec"]
        self._stack = pulumi.get_stack()
        self._tags = {"assistant": self._spec.slug, "layer": "conversation"}
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        self._region = aws.get_region_output(opts=invoke_opts).region
        self._account = aws.get_caller_identity_output(opts=invoke_opts).account_id
        self._partition = aws.get_partition_output(opts=invoke_opts).partition
        check_archive(args["code"]["archive"], f"{name} API function")
        guardrail = args.get("guardrail") or SpecGuardrail(
            f"{name}-guardrail", {"spec": self._spec}, pulumi.ResourceOptions(parent=self)
        )

        user_pool_id: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        if self._spec.identity.provider == "cognito":
            pool, client = create_user_pool(
                f"{name}-users", self._spec, protect=args["protect_data"], tags=self._tags, parent=self
            )
            issuer = pulumi.Output.concat("https://cognito-idp.", self._region, ".amazonaws.com/", pool.id)
            audience: pulumi.Output[str] = client.id
            user_pool_id = pool.id
        else:
            issuer, audience = self._oidc()
        function, log_group = self._create_function(args, guardrail)
        api, stage, access_logs = self._create_api(args, function, issuer, audience)

        self.api_url = stage.invoke_url
        self.api_id = api.id
        self.issuer = issuer
        self.audience = audience
        self.user_pool_id = user_pool_id
        self.guardrail_arn = guardrail.guardrail_arn
        self.guardrail_id = guardrail.guardrail_id
        self.guardrail_version = guardrail.guardrail_version
        self.function_name = function.name
        self.log_group_names = pulumi.Output.all(log_group.name, access_logs.name)
        self.register_outputs(
            {
                "api_url": self.api_url,
                "api_id": self.api_id,
                "issuer": self.issuer,
                "audience": self.audience,
                "user_pool_id": self.user_pool_id,
                "guardrail_arn": self.guardrail_arn,
                "guardrail_id": self.guardrail_id,
                "guardrail_version": self.guardrail_version,
                "function_name": self.function_name,
                "log_group_names": self.log_group_names,
            }
        )

    # ------------------------------------------------------------------ identity

    def _oidc(self) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        identity = self._spec.identity
        if not identity.issuer or not identity.audience:
            raise ConversationLayerError(
                f"identity.provider is oidc but issuer={identity.issuer!r}, audience={identity.audience!r}; "
                "set both in assistant.yaml (e.g. issuer: https://login.example.com/)"
            )
        return pulumi.Output.from_input(identity.issuer), pulumi.Output.from_input(identity.audience)

    # ------------------------------------------------------------------ the API function

    def _create_function(
        self, args: ConversationLayerArgs, guardrail: SpecGuardrail
    ) -> tuple[aws.lambda_.Function, aws.cloudwatch.LogGroup]:
        role = aws.iam.Role(
            f"{self._name}-api-role",
            name_prefix=physical_name(self._spec.slug, self._stack, "api", limit=37) + "-",
            assume_role_policy=assume_role_policy("lambda.amazonaws.com"),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        tenant_data = create_tenant_data_role(
            self, self._name, slug=self._spec.slug, callers=[role.arn],
            jobs_table_arn=args["jobs_table_arn"], approvals_table_arn=args["approvals_table_arn"],
            tags=self._tags,
        )  # fmt: skip
        claims = self._spec.identity.claims
        names = args.get("table_names", {})
        environment: dict[str, pulumi.Input[str]] = {
            **args["environment"],
            ENV_BY_RESOURCE["jobs_table"]: names.get("jobs", args["jobs_table_arn"]),
            ENV_BY_RESOURCE["approvals_table"]: names.get("approvals", args["approvals_table_arn"]),
            ENV_USAGE_TABLE: names.get("usage", args["usage_table_arn"]),
            ENV_BY_RESOURCE["guardrail"]: guardrail.guardrail_arn,
            ENV_GUARDRAIL_VERSION: guardrail.guardrail_version,
            ENV_STATE_MACHINE_ARN: args["state_machine_arn"],
            ENV_TENANT_DATA_ROLE_ARN: tenant_data.arn,
            ENV_EVENT_BUS: names.get("event_bus", args["event_bus_arn"]),
            ENV_TENANT_CLAIM: claims.tenant,
            ENV_USER_CLAIM: claims.user,
            ENV_ROLES_CLAIM: claims.roles,
            ENV_POWERTOOLS_SERVICE_NAME: self._spec.slug,
        }
        if "audit_bucket_name" in args:
            environment[ENV_AUDIT_BUCKET] = args["audit_bucket_name"]
        settings = FunctionSettings(
            function_name=physical_name(self._spec.slug, self._stack, "api", limit=64),
            handler=args["handler"],
            code=args["code"],
            role=role,
            policy_name=API_POLICY_NAME,
            statements=lambda own_logs: api_statements(
                args, guardrail.guardrail_arn, own_logs, tenant_data_role_arn=tenant_data.arn
            ),
            environment=environment,
            timeout=TIMEOUT_SECONDS,
            memory_mb=MEMORY_MB,
            retention_days=self._spec.observability.retention_days,
            kms_key_arn=args.get("kms_key_arn"),
            reserved_concurrency=reserved_concurrency(args.get("reserved_concurrency")),
        )
        return governed_function(f"{self._name}-api", settings, parent=self, tags=self._tags)

    # ------------------------------------------------------------------ the HTTP API

    def _create_api(
        self,
        args: ConversationLayerArgs,
        function: aws.lambda_.Function,
        issuer: pulumi.Input[str],
        audience: pulumi.Input[str],
    ) -> tuple[aws.apigatewayv2.Api, aws.apigatewayv2.Stage, aws.cloudwatch.LogGroup]:
        child = pulumi.ResourceOptions(parent=self)
        origins = list(args.get("cors_allow_origins", ()))
        api = aws.apigatewayv2.Api(
            f"{self._name}-api",
            name=physical_name(self._spec.slug, self._stack, "api", limit=128),
            protocol_type="HTTP",
            cors_configuration=(
                aws.apigatewayv2.ApiCorsConfigurationArgs(
                    allow_origins=origins,
                    allow_methods=["GET", "POST", "OPTIONS"],
                    allow_headers=["authorization", "content-type"],
                    max_age=3600,
                )
                if origins
                else None
            ),
            tags=self._tags,
            opts=child,
        )
        authorizer = aws.apigatewayv2.Authorizer(
            f"{self._name}-jwt",
            api_id=api.id,
            name="jwt",
            authorizer_type="JWT",
            identity_sources=[IDENTITY_SOURCE],
            jwt_configuration=aws.apigatewayv2.AuthorizerJwtConfigurationArgs(
                issuer=issuer, audiences=[audience]
            ),
            opts=child,
        )
        integration = aws.apigatewayv2.Integration(
            f"{self._name}-api-integration",
            api_id=api.id,
            integration_type="AWS_PROXY",
            integration_uri=function.invoke_arn,
            payload_format_version="2.0",
            opts=child,
        )
        for route_key in ROUTES:
            aws.apigatewayv2.Route(
                f"{self._name}-route-{_route_label(route_key)}",
                api_id=api.id,
                route_key=route_key,
                target=pulumi.Output.concat("integrations/", integration.id),
                authorization_type="JWT",
                authorizer_id=authorizer.id,
                opts=child,
            )
        for route_key in CONSOLE_ROUTES:
            # The console's page and script: static, no data; the invariant allows these two alone.
            aws.apigatewayv2.Route(
                f"{self._name}-route-{_route_label(route_key)}",
                api_id=api.id,
                route_key=route_key,
                target=pulumi.Output.concat("integrations/", integration.id),
                authorization_type="NONE",
                opts=child,
            )
        aws.lambda_.Permission(
            f"{self._name}-api-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="apigateway.amazonaws.com",
            # Built from the API's id, not read back from it: this API's stages and routes only.
            source_arn=pulumi.Output.concat(
                "arn:",
                self._partition,
                ":execute-api:",
                self._region,
                ":",
                self._account,
                ":",
                api.id,
                "/*/*",
            ),
            # The ARN names the account too; the account alone is what every service documents.
            source_account=self._account,
            opts=child,
        )
        access_logs = aws.cloudwatch.LogGroup(
            f"{self._name}-access-logs",
            name=f"/aws/apigateway/{physical_name(self._spec.slug, self._stack, 'api-access', limit=64)}",
            retention_in_days=self._spec.observability.retention_days,
            kms_key_id=args.get("kms_key_arn"),
            tags=self._tags,
            opts=child,
        )
        stage = aws.apigatewayv2.Stage(
            f"{self._name}-stage",
            api_id=api.id,
            name="$default",
            auto_deploy=True,
            default_route_settings=aws.apigatewayv2.StageDefaultRouteSettingsArgs(
                throttling_burst_limit=args.get("throttling_burst_limit", DEFAULT_BURST_LIMIT),
                throttling_rate_limit=args.get("throttling_rate_limit", DEFAULT_RATE_LIMIT),
                detailed_metrics_enabled=True,
            ),
            access_log_settings=aws.apigatewayv2.StageAccessLogSettingsArgs(
                destination_arn=access_logs.arn, format=ACCESS_LOG_FORMAT
            ),
            tags=self._tags,
            opts=child,
        )
        return api, stage, access_logs


def api_statements(
    args: ConversationLayerArgs,
    guardrail_arn: pulumi.Input[str],
    own_logs: pulumi.Input[str],
    *,
    tenant_data_role_arn: pulumi.Input[str],
) -> list[dict[str, Any]]:
    """The API function's policy: each statement one resource, named by what the function does there.

    No table: the function reaches jobs and approvals only as one tenant, through the tenant data
    role (``governed_assistant.infra.tenant_data``).
    """
    # No approval write at all as itself: it decides through the tenant data role.
    guard = approvals_immutable()

    return [
        allow("TenantData", ["sts:AssumeRole", "sts:TagSession"], tenant_data_role_arn),
        # ADD to the tenant's request counter, before anything else the request does (a count per
        # minute; the API's one direct table grant, see invariants.tenant_rows_only_by_leading_keys).
        allow("RequestCounters", ["dynamodb:UpdateItem"], args["usage_table_arn"]),
        # The API decides approvals as one tenant (the tenant data role's UpdateItem, conditional on
        # pending) and writes none as itself, whatever is attached beside this policy later.
        deny(guard.sid, guard.actions, args["approvals_table_arn"]),
        allow(
            "ApprovalTasks", ["states:SendTaskSuccess", "states:SendTaskFailure"], args["state_machine_arn"]
        ),
        allow("JobAccepted", ["events:PutEvents"], args["event_bus_arn"]),
        allow("InputGuardrail", ["bedrock:ApplyGuardrail"], guardrail_arn),
        *([allow("Flags", list(FLAGS_READ_ACTIONS), args["flags_arn"])] if "flags_arn" in args else []),
        *(
            [allow("DecisionEvents", ["firehose:PutRecordBatch"], args["decision_stream_arn"])]
            if "decision_stream_arn" in args
            else []
        ),
        # Write only: the function never reads, lists or deletes the archive, and only approvals.
        *(
            [
                allow(
                    "AuditRecords",
                    ["s3:PutObject"],
                    pulumi.Output.concat(args["audit_bucket_arn"], "/", APPROVALS_PREFIX, "*"),
                )
            ]
            if "audit_bucket_arn" in args
            else []
        ),
        *logs_and_tracing(own_logs),
    ]


def reserved_concurrency(value: int | None) -> int | None:
    """The function's reserved concurrency: the default when unset, None (the shared pool) for 0."""
    if value is None:
        return DEFAULT_RESERVED_CONCURRENCY
    if value < 0:
        raise ConversationLayerError(
            f"API reserved concurrency must be 0 (none) or more, value={value}; set apiReservedConcurrency "
            "to e.g. 25, or 0 to share the account's unreserved pool"
        )
    # Lambda reads a reservation of 0 as "never run": here 0 means none is reserved.
    return value or None


def _route_label(route_key: str) -> str:
    """``"GET /jobs/{id}/events"`` -> ``"get-jobs-id-events"``: a stable, readable resource name."""
    return physical_name(route_key.replace("{", "").replace("}", ""), limit=64)
