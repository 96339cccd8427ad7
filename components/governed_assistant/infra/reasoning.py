"""``ReasoningLayer``: tenant-scoped retrieval, then Bedrock Converse, between the API and execution.

The reason function may invoke exactly one model, the spec's ``model_id``, with the
guardrail applied; it decides, it never executes. Converse and ConverseStream have no IAM
actions of their own: AWS authorizes them as ``bedrock:InvokeModel`` and
``bedrock:InvokeModelWithResponseStream`` on the model they name. For an inference profile
that is the profile in this region, plus the foundation model in each region the profile
routes to, allowed only through that profile (the ``bedrock:InferenceProfileArn`` condition).

Each tenant's daily token budget is counted in a usage table (``tenantId``, ``day``; the
schema ``governed_assistant.runtime.model.stores.dynamodb`` reads), which only this function touches.

With actions, a warm-up function (``governed_assistant.handlers.warmup``) is invoked on every
deploy that changes the strict tool config (its SHA-256 is in the invocation's input): one
Converse call per distinct config compiles its grammar before users arrive, and a config Bedrock
refuses fails ``pulumi up`` with Bedrock's message. It may invoke the spec's model only, as the
reason function.

Retrieval (``retrieval.backend``) is a ``RetrievalStore`` child (``governed_assistant.infra.retrieval``);
its read grants join the reason function's policy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from governed_assistant.errors import GovernanceError
from governed_assistant.handlers.constants import MODEL_READ_TIMEOUT_SECONDS
from governed_assistant.infra.entrypoints import HANDLERS
from governed_assistant.infra.execution import check_archive
from governed_assistant.infra.functions import (
    FunctionSettings,
    LambdaCode,
    allow,
    assume_role_policy,
    governed_function,
    logs_and_tracing,
    physical_name,
)
from governed_assistant.infra.job_tables import PITR_RECOVERY_DAYS
from governed_assistant.infra.pgvector import DatabaseSize, VectorDatabase
from governed_assistant.infra.retrieval import (
    EMBEDDING_MODEL_ID,
    RetrievalArgs,
    RetrievalStore,
    SearchCollection,
)
from governed_assistant.infra.storage import data_options
from governed_assistant.runtime.model.constants import DEFAULT_DAILY_TOKEN_BUDGET
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import (
    ENV_BY_RESOURCE,
    ENV_DAILY_TOKEN_BUDGET,
    ENV_GUARDRAIL_VERSION,
    ENV_MODEL_ID,
    ENV_POWERTOOLS_SERVICE_NAME,
    ENV_RETRIEVAL_BACKEND,
    ENV_USAGE_TABLE,
)

REASON_POLICY_NAME: Final = "governed-reason"
WARMUP_POLICY_NAME: Final = "governed-warmup"
# Lambda's maximum: the deployment's one tool config may take a compile (MODEL_READ_TIMEOUT_SECONDS),
# and the client retries a timed-out read.
WARMUP_TIMEOUT_SECONDS: Final = 900
INVOKE_ACTIONS: Final = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
# The condition key Bedrock sets from a model call's guardrail (Converse's guardrailConfig, or
# InvokeModel's guardrail headers): ``<guardrail ARN>:<version>``. Embedding models take no guardrail.
GUARDRAIL_CONDITION: Final = "bedrock:GuardrailIdentifier"
# Above the model client's read timeout, which covers a strict tool's grammar compile.
TIMEOUT_SECONDS: Final = MODEL_READ_TIMEOUT_SECONDS + 60
MEMORY_MB: Final = 1024
DEFAULT_DATABASE: Final[DatabaseSize] = {"min_capacity": 0.5, "max_capacity": 4}

# A cross-region inference profile id is a geography prefix and a model id ("us.anthropic...",
# "global.anthropic...", "us-gov.anthropic..."); the same rule as
# ``governed_assistant.infra.invariants.model_allows``.
_GEO_PREFIX = re.compile(r"^(?:[a-z]{2,4}|global|us-gov)\.(?=[a-z0-9-]+\.)")


# The canary variant (model, prompt) and the breaker settings come from the rollout flags.
FLAGS_READ_ACTIONS: Final = ("appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration")


class ReasoningLayerError(GovernanceError):
    """When the reasoning layer's arguments cannot build the retrieval backend the spec chose."""


class ReasoningLayerArgs(TypedDict):
    spec: AssistantSpec
    """The validated spec: ``model_id``, ``retrieval.backend`` and log retention come from it."""
    code: LambdaCode
    """The code and dependencies layer the reason and setup functions run."""
    handler: str
    """The reason function's handler, e.g. ``"governed_assistant.handlers.reason.handler"``."""
    environment: Mapping[str, pulumi.Input[str]]
    """Variables the reason function gets (metrics namespace, flags...), besides its own."""
    guardrail_arn: pulumi.Input[str]
    """The spec's guardrail: every Converse call carries it, and each retrieved passage is screened
    with it; both need ``bedrock:ApplyGuardrail`` on it, the function's only grant on a guardrail."""
    guardrail_version: pulumi.Input[str]
    """The guardrail version to apply."""
    protect_data: bool
    """Protect the usage table and the retrieval store's data (``storage.data_options``: database,
    collection, documents bucket; a final database snapshot); on for production."""
    setup_handler: NotRequired[str]
    """Prepares the retrieval store (creates the vector index, or applies ``schema_sql``); required
    unless ``retrieval.backend`` is ``none``."""
    schema_sql: NotRequired[str]
    """The row-level-security schema the migration applies (pgvector); it re-runs when this changes."""
    embedding_model_id: NotRequired[str]
    """The vector stores' embedding model; ``amazon.titan-embed-text-v2:0`` (1024 dimensions) by default."""
    database: NotRequired[DatabaseSize]
    """Aurora Serverless v2 capacity (pgvector); 0.5 to 4 ACUs by default."""
    db_subnet_group_name: NotRequired[pulumi.Input[str]]
    """The database's subnets (pgvector); the default VPC's without it."""
    db_security_group_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """The database's security groups (pgvector, ``network: vpc``); the VPC's default group without it."""
    collection_endpoint_id: NotRequired[pulumi.Input[str]]
    """The serverless collection's VPC endpoint (``network: vpc``): the collection's network policy lets
    in only it (and Bedrock, for a knowledge base); without it the collection's endpoint is public."""
    daily_token_budget: NotRequired[int]
    """Input plus output tokens one tenant may spend per UTC day; the runtime's default without it."""
    decision_stream_arn: NotRequired[pulumi.Input[str]]
    """The Firehose stream decision events go to (``firehose`` telemetry sink); left out with the log sink."""
    warmup_handler: NotRequired[str]
    """The strict tools' warm-up, invoked on deploy when the spec has actions;
    ``governed_assistant.handlers.warmup.handler`` by default."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """The stack's key (``kms_key`` in assistant.yaml): every store, log group and function of the
    layer is encrypted with it, and the roles may use it; AWS's keys without it."""
    flags_arn: NotRequired[pulumi.Input[str]]
    """The rollout flags' AppConfig configuration ARN: the reason step reads the canary variant and the
    breaker settings there; its identifiers reach it through ``environment``. Without it, the reason
    step runs the stable variant with the default breaker (flags fail closed)."""


def guardrail_identifier(guardrail_arn: pulumi.Input[str], version: pulumi.Input[str]) -> pulumi.Output[str]:
    """``bedrock:GuardrailIdentifier``'s value for a guardrail version: ``<guardrail ARN>:<version>``."""
    return pulumi.Output.concat(guardrail_arn, ":", version)


def model_invoke_statements(
    model_id: str,
    *,
    partition: pulumi.Input[str],
    region: pulumi.Input[str],
    account: pulumi.Input[str],
    guardrail: pulumi.Input[str],
) -> list[dict[str, Any]]:
    """The statements that let a role invoke ``model_id`` (model, profile id or profile ARN), nothing
    else, and only with ``guardrail`` on the call (``guardrail_identifier``): IAM refuses a Converse
    or InvokeModel that does not carry the spec's guardrail, whatever the code sends."""
    statements = _model_statements(model_id, partition=partition, region=region, account=account)
    for statement in statements:
        statement.setdefault("Condition", {}).setdefault("StringEquals", {})[GUARDRAIL_CONDITION] = guardrail
    return statements


def _model_statements(
    model_id: str, *, partition: pulumi.Input[str], region: pulumi.Input[str], account: pulumi.Input[str]
) -> list[dict[str, Any]]:
    if model_id.startswith("arn:"):
        kind, _, profile_id = model_id.split(":", 5)[5].partition("/")
        statements = [allow("InvokeModel", INVOKE_ACTIONS, model_id)]
        if kind == "inference-profile" and _GEO_PREFIX.match(profile_id):
            statements.append(_routed_models(profile_id, model_id, partition))
        # An application inference profile's models are not named in its ARN: its IAM grant
        # is the profile alone, and Bedrock checks the model behind it on the profile's behalf.
        return statements
    if not _GEO_PREFIX.match(model_id):
        arn = pulumi.Output.concat("arn:", partition, ":bedrock:", region, "::foundation-model/", model_id)
        return [allow("InvokeModel", INVOKE_ACTIONS, arn)]
    profile_arn = pulumi.Output.concat(
        "arn:", partition, ":bedrock:", region, ":", account, ":inference-profile/", model_id
    )
    return [
        allow("InvokeProfile", INVOKE_ACTIONS, profile_arn),
        _routed_models(model_id, profile_arn, partition),
    ]


def _routed_models(
    profile_id: str, profile_arn: pulumi.Input[str], partition: pulumi.Input[str]
) -> dict[str, Any]:
    # The profile picks the region per request; the model is allowed in any region, but only
    # when the call comes through this profile.
    return allow(
        "InvokeRoutedModel",
        INVOKE_ACTIONS,
        pulumi.Output.concat(
            "arn:", partition, ":bedrock:*::foundation-model/", _GEO_PREFIX.sub("", profile_id)
        ),
        StringEquals={"bedrock:InferenceProfileArn": profile_arn},
    )


class ReasoningLayer(pulumi.ComponentResource):
    function_arn: pulumi.Output[str]
    """The reason function (whoever calls it needs ``lambda:InvokeFunction`` on this)."""
    function_name: pulumi.Output[str]
    """The reason function's name (for throttle alarms)."""
    log_group_name: pulumi.Output[str]
    """The reason function's log group (retrieve and reason decision events)."""
    usage_table_name: pulumi.Output[str]
    """Tokens used per tenant and UTC day (the daily budget's ledger), and each tenant's request
    counters (the API's rate limit)."""
    usage_table_arn: pulumi.Output[str]
    """The usage table's ARN (the API function counts requests there)."""
    retrieval: pulumi.Output[dict[str, str]]
    """The retrieval store's identifiers (knowledge base, collection, cluster...); empty for ``none``."""

    def __init__(
        self, name: str, args: ReasoningLayerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("governed:reasoning:ReasoningLayer", name, None, opts)
        self._name = name
        self._spec = args["spec"]
        self._stack = pulumi.get_stack()
        self._tags = {"assistant": self._spec.slug, "layer": "reasoning"}
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke_opts).region
        account = aws.get_caller_identity_output(opts=invoke_opts).account_id
        partition = aws.get_partition_output(opts=invoke_opts).partition
        check_archive(args["code"]["archive"], f"{name} reason function")

        role = aws.iam.Role(
            f"{name}-reason-role",
            name_prefix=physical_name(self._spec.slug, self._stack, "reason", limit=37) + "-",
            assume_role_policy=assume_role_policy("lambda.amazonaws.com"),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        store = self._create_retrieval(args, role)
        usage = self._create_usage_table(protect=args["protect_data"], key_arn=args.get("kms_key_arn"))
        stream = args.get("decision_stream_arn")
        guardrail = guardrail_identifier(args["guardrail_arn"], args["guardrail_version"])
        statements = [
            *model_invoke_statements(
                self._spec.model_id, partition=partition, region=region, account=account, guardrail=guardrail
            ),
            allow("Guardrail", ["bedrock:ApplyGuardrail"], args["guardrail_arn"]),
            allow("TokenUsage", ["dynamodb:GetItem", "dynamodb:UpdateItem"], usage.arn),
            *([allow("DecisionEvents", ["firehose:PutRecordBatch"], stream)] if stream is not None else []),
            *([allow("Flags", list(FLAGS_READ_ACTIONS), args["flags_arn"])] if "flags_arn" in args else []),
            *(store.reader_statements if store else ()),
        ]
        environment: dict[str, pulumi.Input[str]] = {
            **(store.environment if store else {}),
            ENV_USAGE_TABLE: usage.name,
            ENV_DAILY_TOKEN_BUDGET: str(args.get("daily_token_budget", DEFAULT_DAILY_TOKEN_BUDGET)),
        }
        function, log_group = self._create_function(args, role, statements, environment)
        if self._spec.actions:
            self._create_warmup(args, partition=partition, region=region, account=account)

        self.function_arn = function.arn
        self.function_name = function.name
        self.log_group_name = log_group.name
        self.usage_table_name = usage.name
        self.usage_table_arn = usage.arn
        self.retrieval = store.identifiers if store else pulumi.Output.from_input({})
        self.register_outputs(
            {
                "function_arn": self.function_arn,
                "function_name": self.function_name,
                "log_group_name": self.log_group_name,
                "usage_table_name": self.usage_table_name,
                "usage_table_arn": self.usage_table_arn,
                "retrieval": self.retrieval,
            }
        )

    def _create_warmup(
        self,
        args: ReasoningLayerArgs,
        *,
        partition: pulumi.Input[str],
        region: pulumi.Input[str],
        account: pulumi.Input[str],
    ) -> aws.lambda_.Invocation:
        """The warm-up function, allowed the spec's model only, and its invocation on deploy."""
        # Imported here: the handler module builds the tool configs exactly as the reason step.
        from governed_assistant.handlers.warmup import deployed_tool_config, tool_config_digest

        digest = tool_config_digest(deployed_tool_config(self._spec))
        role = aws.iam.Role(
            f"{self._name}-warmup-role",
            name_prefix=physical_name(self._spec.slug, self._stack, "warmup", limit=37) + "-",
            assume_role_policy=assume_role_policy("lambda.amazonaws.com"),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The warm-up converses with the guardrail too: the role allows no model call without it.
        invoke = model_invoke_statements(
            self._spec.model_id,
            partition=partition,
            region=region,
            account=account,
            guardrail=guardrail_identifier(args["guardrail_arn"], args["guardrail_version"]),
        )
        settings = FunctionSettings(
            function_name=physical_name(self._spec.slug, self._stack, "warmup", limit=64),
            handler=args.get("warmup_handler", HANDLERS["warmup"]),
            code=args["code"],
            role=role,
            policy_name=WARMUP_POLICY_NAME,
            statements=lambda own_logs: [
                *invoke,
                allow("Guardrail", ["bedrock:ApplyGuardrail"], args["guardrail_arn"]),
                *logs_and_tracing(own_logs),
            ],
            environment={
                ENV_MODEL_ID: self._spec.model_id,
                ENV_BY_RESOURCE["guardrail"]: args["guardrail_arn"],
                ENV_GUARDRAIL_VERSION: args["guardrail_version"],
                ENV_POWERTOOLS_SERVICE_NAME: self._spec.slug,
            },
            timeout=WARMUP_TIMEOUT_SECONDS,
            memory_mb=256,
            retention_days=self._spec.observability.retention_days,
            kms_key_arn=args.get("kms_key_arn"),
        )
        function, _ = governed_function(f"{self._name}-warmup", settings, parent=self, tags=self._tags)
        return aws.lambda_.Invocation(
            f"{self._name}-warmup",
            function_name=function.name,
            input=pulumi.Output.json_dumps({"modelId": self._spec.model_id, "toolConfigSha256": digest}),
            # Runs again whenever a tool config (an action's schema, description...) or the model changes.
            triggers={"toolConfig": digest, "model": self._spec.model_id},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_usage_table(self, *, protect: bool, key_arn: pulumi.Input[str] | None) -> aws.dynamodb.Table:
        # Counters, rebuilt within a day if lost; but until then every tenant's daily token budget
        # starts again, so a production stack protects them like its other tables. Encrypted and
        # recoverable like every table of the stack. Records expire after USAGE_RETENTION_DAYS.
        return aws.dynamodb.Table(
            f"{self._name}-usage",
            billing_mode="PAY_PER_REQUEST",
            hash_key="tenantId",
            range_key="day",
            attributes=[
                aws.dynamodb.TableAttributeArgs(name="tenantId", type="S"),
                aws.dynamodb.TableAttributeArgs(name="day", type="S"),
            ],
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(
                enabled=True, recovery_period_in_days=PITR_RECOVERY_DAYS
            ),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
                enabled=True, kms_key_arn=key_arn
            ),
            ttl=aws.dynamodb.TableTtlArgs(attribute_name="expiresAt", enabled=True),
            deletion_protection_enabled=protect,
            tags=self._tags,
            opts=data_options(self, protect=protect),
        )

    def _create_retrieval(self, args: ReasoningLayerArgs, role: aws.iam.Role) -> RetrievalStore | None:
        backend = self._spec.retrieval.backend
        if backend == "none":
            return None
        setup_handler = args.get("setup_handler")
        if not setup_handler:
            raise ReasoningLayerError(
                f"retrieval.backend is {backend!r} but no setup_handler was given; pass the handler that "
                "prepares the store "
                "(e.g. setup_handler='governed_assistant.handlers.retrieval_setup.handler')"
            )
        schema_sql = args.get("schema_sql")
        if backend == "pgvector" and not (schema_sql and schema_sql.strip()):
            raise ReasoningLayerError(
                "retrieval.backend is 'pgvector' but schema_sql is empty; pass the row-level-security "
                "schema (e.g. schema_sql=Path('rls.sql').read_text())"
            )
        common: RetrievalArgs = {
            "slug": self._spec.slug,
            "retention_days": self._spec.observability.retention_days,
            "reader_role_arn": role.arn,
            "code": args["code"],
            "setup_handler": setup_handler,
            "embedding_model_id": args.get("embedding_model_id", EMBEDDING_MODEL_ID),
            "protect_data": args["protect_data"],
        }
        if "kms_key_arn" in args:
            common["kms_key_arn"] = args["kms_key_arn"]
        child = pulumi.ResourceOptions(parent=self)
        if backend == "pgvector":
            return VectorDatabase(
                f"{self._name}-retrieval",
                {
                    **common,
                    "schema_sql": schema_sql or "",
                    "database": args.get("database", DEFAULT_DATABASE),
                    "db_subnet_group_name": args.get("db_subnet_group_name"),
                    "db_security_group_ids": args.get("db_security_group_ids"),
                },
                child,
            )
        return SearchCollection(
            f"{self._name}-retrieval",
            {
                **common,
                "knowledge_base": backend == "knowledge-base",
                "vpc_endpoint_id": args.get("collection_endpoint_id"),
            },
            child,
        )

    def _create_function(
        self,
        args: ReasoningLayerArgs,
        role: aws.iam.Role,
        statements: Sequence[dict[str, Any]],
        extra_environment: Mapping[str, pulumi.Input[str]],
    ) -> tuple[aws.lambda_.Function, aws.cloudwatch.LogGroup]:
        environment: dict[str, pulumi.Input[str]] = {
            **args["environment"],
            **extra_environment,
            ENV_MODEL_ID: self._spec.model_id,
            ENV_RETRIEVAL_BACKEND: self._spec.retrieval.backend,
            ENV_BY_RESOURCE["guardrail"]: args["guardrail_arn"],
            ENV_GUARDRAIL_VERSION: args["guardrail_version"],
            ENV_POWERTOOLS_SERVICE_NAME: self._spec.slug,
        }
        settings = FunctionSettings(
            function_name=physical_name(self._spec.slug, self._stack, "reason", limit=64),
            handler=args["handler"],
            code=args["code"],
            role=role,
            policy_name=REASON_POLICY_NAME,
            statements=lambda own_logs: [
                *statements,
                *logs_and_tracing(own_logs),
            ],
            environment=environment,
            timeout=TIMEOUT_SECONDS,
            memory_mb=MEMORY_MB,
            retention_days=self._spec.observability.retention_days,
            kms_key_arn=args.get("kms_key_arn"),
        )
        return governed_function(f"{self._name}-reason", settings, parent=self, tags=self._tags)
