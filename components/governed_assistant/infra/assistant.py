"""``GovernedAssistant``: the whole assistant, composed from the spec; one ``pulumi up`` deploys it.

Children, in the order they are built (each a child of this component, named ``<name>-<part>``):

0. ``PrivateNetwork`` - only with ``network: vpc``: the VPC every function runs in (it travels
   with the code, ``LambdaCode["vpc"]``) and the data stores sit in.
1. ``SpecGuardrail`` - the Bedrock guardrail; the conversation, reasoning and execution
   layers all apply it, so it comes first and is handed to each.
2. ``RolloutLayer`` - the AppConfig flags, and the alarms AppConfig watches while it rolls a
   flags change out, which the observability layer creates last.
3. ``ReasoningLayer`` - the reason function (and the retrieval store, the usage table).
4. ``ExecutionLayer`` - tables, bus, step functions and the state machine, whose first task
   is the reason function (so reasoning comes before it), reading rollout's flags.
5. ``ConversationLayer`` - the HTTP API; it writes to execution's tables and bus.
6. ``ObservabilityLayer`` - watches everything above (function names, log groups, the
   state machine, the API), so it comes last.

Each arrow of that order points one way, so there is no cycle. Two references point back to
what observability builds: the rollback alarms (rollout) and, with the ``firehose`` telemetry
sink, the delivery stream (every function that sends events is granted
``firehose:PutRecordBatch`` on it). Their names are fixed (``alarms.alarm_name``,
``decision_delivery.delivery_stream_name``), but what names them takes their ARNs from the
resources themselves, given once observability is built (``pulumi.deferred_output``), so a first
deploy creates them first. One reference cannot wait: AppConfig's environment lists the alarms,
and the alarms watch functions that are granted the environment's id; AppConfig reads them only
while a deployment runs, and the first deployment waits for them. With the default ``log`` sink
the functions write events to their own log group and observability's subscription filters
forward them; no function touches Firehose.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, Generic, Literal, NotRequired, TypedDict, TypeVar, cast

import pulumi
import pulumi_aws as aws

from governed_assistant.errors import GovernanceError
from governed_assistant.infra.alarms import ROLLBACK_ALARMS, alarm_name
from governed_assistant.infra.approval_subscriptions import ApprovalSubscription
from governed_assistant.infra.audit_archive import AuditArchive, AuditArchiveArgs
from governed_assistant.infra.audit_trail import AuditTrail, AuditTrailArgs, trail_name
from governed_assistant.infra.conversation import ConversationLayer, ConversationLayerArgs
from governed_assistant.infra.decision_delivery import delivery_stream_name
from governed_assistant.infra.decision_index import INDEX_PATTERN
from governed_assistant.infra.encryption import stack_key
from governed_assistant.infra.entrypoints import HANDLERS
from governed_assistant.infra.execution import (
    INSIGHTS_PATTERN,
    ExecutionLayer,
    ExecutionLayerArgs,
    check_archive,
)
from governed_assistant.infra.functions import LambdaCode, physical_name
from governed_assistant.infra.guardrail import SpecGuardrail
from governed_assistant.infra.job_tables import PITR_RECOVERY_DAYS
from governed_assistant.infra.network import PrivateNetwork
from governed_assistant.infra.observability import ObservabilityLayer, ObservabilityLayerArgs
from governed_assistant.infra.pgvector import BACKUP_RETENTION_DAYS
from governed_assistant.infra.reasoning import ReasoningLayer, ReasoningLayerArgs
from governed_assistant.infra.rollout import (
    DeploymentStrategySettings,
    RolloutLayer,
    RolloutLayerArgs,
)
from governed_assistant.infra.search_domain import DomainSize
from governed_assistant.infra.steps import STEPS
from governed_assistant.runtime.retrieval.migration import migration_text
from governed_assistant.spec.model import AssistantSpec, is_production
from governed_assistant.wire import (
    DEFAULT_METRICS_NAMESPACE,
    ENV_APPCONFIG_APPLICATION,
    ENV_APPCONFIG_ENVIRONMENT,
    ENV_APPCONFIG_PROFILE,
    ENV_POWERTOOLS_METRICS_NAMESPACE,
    ENV_TELEMETRY_SINK,
    ENV_TELEMETRY_STREAM,
)

T = TypeVar("T")
TelemetrySink = Literal["log", "firehose"]
DEFAULT_RUNTIME: Final = "python3.12"


def default_domain(stack: str) -> DomainSize:
    """Production: two zones, a replica of every shard; elsewhere one small node."""
    if is_production(stack):
        return {"instance_type": "r7g.large.search", "instance_count": 2, "volume_gb": 50}
    return {"instance_type": "t3.medium.search", "instance_count": 1, "volume_gb": 10}


def default_schema_sql() -> str:
    """The pgvector schema the runtime queries: its migrations, as the retrieval package ships them."""
    return migration_text()


class GovernedAssistantError(GovernanceError):
    """When the assistant's arguments ask for a combination the stack cannot build."""


class AssistantCode(TypedDict):
    """The code every function runs, and its dependencies."""

    archive: pulumi.Archive
    """The handlers' code zip (``governed_assistant.infra.packaging.build_code``): ``components/``,
    ``actions/``, ``policies/``, ``prompts/`` and ``assistant.yaml`` at its root."""
    dependencies: pulumi.Archive | str
    """``requirements.txt``'s packages: the layer zip (``build_layer``), from which this
    component creates a layer version, or the ARN of a layer version that exists already."""
    runtime: NotRequired[str]
    """The Lambda runtime the dependencies were built for; ``python3.12`` by default."""
    architecture: NotRequired[Literal["arm64", "x86_64"]]
    """The instruction set they were built for; ``arm64`` by default."""


class GovernedAssistantArgs(TypedDict):
    spec: AssistantSpec
    """The validated assistant spec (``load_spec("assistant.yaml")``)."""
    code: AssistantCode
    """The functions' code and dependencies."""
    protect_data: bool
    """Protect the stack's data (``storage.data_options``: tables, user pool, buckets, database,
    search domain and collection): Pulumi refuses to delete or replace them, AWS's own deletion
    protection is on where the service has one, and a resource dropped from the program stays in
    AWS. ``program.deploy_assistant`` turns it on for production stacks (``is_production``)."""
    cors_allow_origins: NotRequired[Sequence[str]]
    """Browser origins allowed to call the API; none by default."""
    throttling_burst_limit: NotRequired[int]
    """The API stage's burst limit, across routes (the conversation layer's default otherwise)."""
    throttling_rate_limit: NotRequired[float]
    """The API stage's steady requests per second, across routes."""
    api_reserved_concurrency: NotRequired[int]
    """Instances reserved for the API function (the conversation layer's default otherwise); 0: none."""
    daily_token_budget: NotRequired[int]
    """Tokens one tenant may spend per UTC day (the runtime's default otherwise)."""
    telemetry_sink: NotRequired[TelemetrySink]
    """``log`` (default): events go to each function's log, forwarded by subscription filters;
    ``firehose``: functions put them on the delivery stream themselves (needs ``opensearch``)."""
    metrics_namespace: NotRequired[str]
    """The CloudWatch namespace of the runtime's metrics; ``GovernedAssistant`` by default."""
    alarm_actions: NotRequired[Sequence[pulumi.Input[str]]]
    """SNS topics the alarms notify; none by default."""
    approval_subscriptions: NotRequired[Sequence[ApprovalSubscription]]
    """Who hears of each tenant's approval requests: one endpoint per entry, subscribed with a filter
    naming its one tenant; none by default."""
    search_domain: NotRequired[DomainSize]
    """The OpenSearch domain's capacity; ``default_domain(<stack>)`` otherwise."""
    search_master_user_arn: NotRequired[pulumi.Input[str]]
    """The OpenSearch master user role; the observability layer creates one otherwise."""
    rollout_strategy: NotRequired[DeploymentStrategySettings]
    """How flags changes roll out; the rollout layer's per-stack default otherwise."""
    schema_sql: NotRequired[str]
    """The pgvector store's schema; the runtime's retrieval migrations otherwise."""
    audit_trail: NotRequired[bool]
    """A CloudTrail trail with data events on the stack's tables, buckets and functions, into the
    audit archive, and Bedrock model invocation logging (``audit_trail.AuditTrail``); off by default."""


class GovernedAssistant(pulumi.ComponentResource):
    api_url: pulumi.Output[str]
    """The API's base URL."""
    issuer: pulumi.Output[str]
    """The JWT issuer the API trusts."""
    audience: pulumi.Output[str]
    """The audience the API requires (the Cognito app client id, or the spec's)."""
    user_pool_id: pulumi.Output[str | None]
    """The Cognito user pool; None with an OIDC provider."""
    state_machine_arn: pulumi.Output[str]
    """The job state machine."""
    jobs_table_name: pulumi.Output[str]
    """The DynamoDB table of jobs, keyed by tenant."""
    event_bus_name: pulumi.Output[str]
    """The bus jobs (and, in Pattern C, insights) are put on."""
    dashboard_url: pulumi.Output[str]
    """The CloudWatch dashboard of decisions, jobs and alarms."""
    delivery_stream_name: pulumi.Output[str | None]
    """The Firehose stream of decision events; None when OpenSearch is off."""
    erasure_targets: pulumi.Output[dict[str, Any]]
    """Where tenant data lives (tables, state machine, retrieval store, decision events) and the
    backup windows: what ``make erase-tenant`` reads from the stack output ``erasure``."""

    def __init__(
        self, name: str, args: GovernedAssistantArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("governed:assistant:GovernedAssistant", name, None, opts)
        self._name = name
        self._spec = args["spec"]
        self._stack = pulumi.get_stack()
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        self._region = aws.get_region_output(opts=invoke_opts).region
        self._account = aws.get_caller_identity_output(opts=invoke_opts).account_id
        self._partition = aws.get_partition_output(opts=invoke_opts).partition
        # The stack's key (assistant.yaml's kms_key), first: every layer encrypts with it.
        self._key_arn = stack_key(
            name,
            self._spec,
            stack=self._stack,
            partition=self._partition,
            region=self._region,
            account=self._account,
            parent=self,
        )
        code = self._create_code(args["code"])
        network = None
        if self._spec.network == "vpc":
            # First: every function of every layer runs in its subnets (``code["vpc"]``).
            network = PrivateNetwork(
                f"{name}-network", {"spec": self._spec}, pulumi.ResourceOptions(parent=self)
            )
            code["vpc"] = network.function_vpc()
        namespace = args.get("metrics_namespace", DEFAULT_METRICS_NAMESPACE)
        telemetry, stream_arn = self._telemetry(args.get("telemetry_sink", "log"))
        telemetry[ENV_POWERTOOLS_METRICS_NAMESPACE] = namespace

        # Rollout, and with the firehose sink every function that sends events, name resources the
        # observability layer builds last (it watches the others): they take those resources' ARNs
        # from the resources themselves, once that layer is built, so on a first deploy they wait
        # for them (``_Later``).
        watched_alarms = _Later(pulumi.Output.all(*(self._alarm_arn(purpose) for purpose in ROLLBACK_ALARMS)))
        stream = _Later(stream_arn) if stream_arn is not None else None
        try:
            conversation, reasoning, execution, observability = self._create_layers(
                args,
                code,
                telemetry,
                namespace,
                watched_alarms.output,
                stream.output if stream else None,
                network,
            )
            watched_alarms.give(observability.rollback_alarm_arns)
            if stream is not None:
                # The firehose sink is refused without OpenSearch (_telemetry): the stream exists.
                stream.give(cast(pulumi.Output[str], observability.delivery_stream_arn))
        finally:
            watched_alarms.settle()
            if stream is not None:
                stream.settle()

        if args.get("audit_trail"):
            self._create_trail(conversation, reasoning, execution)

        self.api_url = conversation.api_url
        self.issuer = conversation.issuer
        self.audience = conversation.audience
        self.user_pool_id = conversation.user_pool_id
        self.state_machine_arn = execution.state_machine_arn
        self.jobs_table_name = execution.jobs_table_name
        self.event_bus_name = execution.event_bus_name
        self.dashboard_url = observability.dashboard_url
        self.delivery_stream_name = observability.delivery_stream_name
        self.erasure_targets = self._erasure_targets(reasoning, execution, observability)
        self.register_outputs(
            {
                "api_url": self.api_url,
                "issuer": self.issuer,
                "audience": self.audience,
                "user_pool_id": self.user_pool_id,
                "state_machine_arn": self.state_machine_arn,
                "jobs_table_name": self.jobs_table_name,
                "event_bus_name": self.event_bus_name,
                "dashboard_url": self.dashboard_url,
                "delivery_stream_name": self.delivery_stream_name,
                "erasure_targets": self.erasure_targets,
            }
        )

    def _erasure_targets(
        self, reasoning: ReasoningLayer, execution: ExecutionLayer, observability: ObservabilityLayer
    ) -> pulumi.Output[dict[str, Any]]:
        """Every store that holds tenant data, and the backup windows this stack sets
        (``governed_assistant.erasure.ErasureTargets.from_outputs`` reads it)."""
        spec = self._spec
        backups = {"dynamodb_pitr_days": PITR_RECOVERY_DAYS}
        if spec.retrieval.backend == "pgvector":
            backups["aurora_backup_days"] = BACKUP_RETENTION_DAYS
        fixed = {
            # Kept on purpose: erasure never touches the locked archive (README, "Audit evidence").
            "audit_retention_days": self._archive.retention_days,
            "retrieval_backend": spec.retrieval.backend,
            "events_index": INDEX_PATTERN,
            "log_retention_days": spec.observability.retention_days,
            "backups": backups,
        }
        named = pulumi.Output.all(
            region=self._region,
            jobs_table=execution.jobs_table_name,
            approvals_table=execution.approvals_table_name,
            idempotency_table=execution.idempotency_table_name,
            usage_table=reasoning.usage_table_name,
            state_machine_arn=execution.state_machine_arn,
            retrieval=reasoning.retrieval,
            events_endpoint=observability.domain_endpoint,
            failed_events_bucket=observability.failed_events_bucket,
            audit_bucket=self._archive.bucket_name,
        )
        return named.apply(lambda resolved: {**resolved, **fixed})

    def _create_layers(
        self,
        args: GovernedAssistantArgs,
        code: LambdaCode,
        telemetry: dict[str, pulumi.Input[str]],
        namespace: str,
        watched_alarm_arns: pulumi.Output[list[str]],
        stream_arn: pulumi.Output[str] | None,
        network: PrivateNetwork | None,
    ) -> tuple[ConversationLayer, ReasoningLayer, ExecutionLayer, ObservabilityLayer]:
        """The guardrail and the five layers, in the order the module's docstring gives."""
        name = self._name
        spec = self._spec
        child = pulumi.ResourceOptions(parent=self)
        protect = args["protect_data"]
        guardrail = SpecGuardrail(f"{name}-guardrail", {"spec": spec}, child)
        # Before the layers: the API archives each decided approval, observability every event.
        archive_args: AuditArchiveArgs = {"spec": spec, "protect_data": protect}
        if self._key_arn is not None:
            archive_args["kms_key_arn"] = self._key_arn
        if args.get("audit_trail"):
            archive_args["trail_arn"] = self._trail_arn()
            archive_args["account"] = self._account
        archive = AuditArchive(f"{name}-audit", archive_args, child)
        self._archive = archive
        rollout_args: RolloutLayerArgs = {
            "spec": spec,
            "alarm_arns": [self._alarm_arn(purpose) for purpose in ROLLBACK_ALARMS],
            "created_alarm_arns": watched_alarm_arns,
        }
        if "rollout_strategy" in args:
            rollout_args["strategy"] = args["rollout_strategy"]
        key_arn = self._key_arn
        if key_arn is not None:
            rollout_args["kms_key_arn"] = key_arn
        rollout = RolloutLayer(f"{name}-rollout", rollout_args, child)
        flags_environment = {
            ENV_APPCONFIG_APPLICATION: rollout.application_id,
            ENV_APPCONFIG_ENVIRONMENT: rollout.environment_id,
            ENV_APPCONFIG_PROFILE: rollout.profile_id,
        }
        reasoning_args: ReasoningLayerArgs = {
            "spec": spec,
            "code": code,
            "handler": HANDLERS["reason"],
            # The reason step reads the canary variant and breaker settings (its grant: flags_arn).
            "environment": {**telemetry, **flags_environment},
            "flags_arn": rollout.flags_arn,
            "guardrail_arn": guardrail.guardrail_arn,
            "guardrail_version": guardrail.guardrail_version,
            "protect_data": protect,
            "setup_handler": HANDLERS["retrieval_setup"],
        }
        if spec.retrieval.backend == "pgvector":
            reasoning_args["schema_sql"] = args.get("schema_sql") or default_schema_sql()
        if "daily_token_budget" in args:
            reasoning_args["daily_token_budget"] = args["daily_token_budget"]
        if stream_arn is not None:
            reasoning_args["decision_stream_arn"] = stream_arn
        if key_arn is not None:
            reasoning_args["kms_key_arn"] = key_arn
        if network is not None:
            if network.db_subnet_group_name is not None and network.database_security_group_id is not None:
                reasoning_args["db_subnet_group_name"] = network.db_subnet_group_name
                reasoning_args["db_security_group_ids"] = [network.database_security_group_id]
            if network.collection_endpoint_id is not None:
                reasoning_args["collection_endpoint_id"] = network.collection_endpoint_id
        reasoning = ReasoningLayer(f"{name}-reasoning", reasoning_args, child)

        execution_args: ExecutionLayerArgs = {
            "spec": spec,
            "code": code,
            "handlers": {step: HANDLERS[step] for step in STEPS},
            "environment": {
                **telemetry,
                # The gate reads shadow mode, canary and kill switch from these (its grant: flags_arn).
                **flags_environment,
            },
            "reason_function_arn": reasoning.function_arn,
            "guardrail_arn": guardrail.guardrail_arn,
            "guardrail_version": guardrail.guardrail_version,
            "flags_arn": rollout.flags_arn,
            "protect_data": protect,
            "account_id": self._account,
            "approval_subscriptions": args.get("approval_subscriptions", ()),
            "alarm_actions": list(args.get("alarm_actions", ())),
        }
        insights = spec.pattern == INSIGHTS_PATTERN
        if insights:
            execution_args["insight_handler"] = HANDLERS["insight"]
        if stream_arn is not None:
            execution_args["decision_stream_arn"] = stream_arn
        if key_arn is not None:
            execution_args["kms_key_arn"] = key_arn
        execution = ExecutionLayer(f"{name}-execution", execution_args, child)

        conversation_args: ConversationLayerArgs = {
            "spec": spec,
            "code": code,
            "handler": HANDLERS["api"],
            # The API reads the kill switch before it grants an approval (its grant: flags_arn).
            "environment": {**telemetry, **flags_environment},
            "flags_arn": rollout.flags_arn,
            "jobs_table_arn": execution.jobs_table_arn,
            "approvals_table_arn": execution.approvals_table_arn,
            "usage_table_arn": reasoning.usage_table_arn,
            "state_machine_arn": execution.state_machine_arn,
            "event_bus_arn": execution.event_bus_arn,
            "protect_data": protect,
            "guardrail": guardrail,
            "table_names": {
                "jobs": execution.jobs_table_name,
                "approvals": execution.approvals_table_name,
                "usage": reasoning.usage_table_name,
                "event_bus": execution.event_bus_name,
            },
        }
        for key in ("cors_allow_origins", "throttling_burst_limit", "throttling_rate_limit"):
            if key in args:
                conversation_args[key] = args[key]
        if "api_reserved_concurrency" in args:
            conversation_args["reserved_concurrency"] = args["api_reserved_concurrency"]
        if stream_arn is not None:
            conversation_args["decision_stream_arn"] = stream_arn
        if key_arn is not None:
            conversation_args["kms_key_arn"] = key_arn
        conversation_args["audit_bucket_name"] = archive.bucket_name
        conversation_args["audit_bucket_arn"] = archive.bucket_arn
        conversation = ConversationLayer(f"{name}-conversation", conversation_args, child)

        # Lists of known length, so observability creates its filters and alarms without apply().
        executed = len(STEPS) + (1 if insights else 0)
        observability_args: ObservabilityLayerArgs = {
            "spec": spec,
            "code": code,
            "transform_handler": HANDLERS["transform"],
            "setup_handler": HANDLERS["observability_setup"],
            "domain": args.get("search_domain") or default_domain(self._stack),
            "metrics_namespace": namespace,
            "event_log_group_names": [
                _item(conversation.log_group_names, 0),  # the API function's (not the access log)
                reasoning.log_group_name,
                *(_item(execution.log_group_names, index) for index in range(executed)),
            ],
            "function_names": [
                conversation.function_name,
                reasoning.function_name,
                *(_item(execution.function_names, index) for index in range(executed)),
            ],
            "state_machine_arn": execution.state_machine_arn,
            "api_id": conversation.api_id,
            "alarm_actions": list(args.get("alarm_actions", ())),
            "protect_data": protect,
            "audit_bucket_arn": archive.bucket_arn,
        }
        if "search_master_user_arn" in args:
            observability_args["master_user_arn"] = args["search_master_user_arn"]
        if key_arn is not None:
            observability_args["kms_key_arn"] = key_arn
        if network is not None:
            observability_args["search_vpc"] = {
                "subnet_ids": network.subnet_ids,
                "security_group_ids": [network.services_security_group_id],
            }
        observability = ObservabilityLayer(f"{name}-observability", observability_args, child)
        return conversation, reasoning, execution, observability

    def _create_code(self, code: AssistantCode) -> LambdaCode:
        runtime = code.get("runtime", DEFAULT_RUNTIME)
        architecture = code.get("architecture", "arm64")
        check_archive(code["archive"], f"{self._name} functions")
        dependencies = code["dependencies"]
        if isinstance(dependencies, str):
            layer_arn: pulumi.Input[str] = dependencies
        else:
            check_archive(dependencies, f"{self._name} dependencies layer")
            layer = aws.lambda_.LayerVersion(
                f"{self._name}-dependencies",
                layer_name=physical_name(self._spec.slug, self._stack, "dependencies", limit=140),
                code=dependencies,
                compatible_runtimes=[runtime],
                compatible_architectures=[architecture],
                description=f"requirements.txt of {self._spec.name}",
                opts=pulumi.ResourceOptions(parent=self),
            )
            layer_arn = layer.arn
        return {
            "archive": code["archive"],
            "layer_arn": layer_arn,
            "runtime": runtime,
            "architecture": architecture,
        }

    def _telemetry(
        self, sink: TelemetrySink
    ) -> tuple[dict[str, pulumi.Input[str]], pulumi.Output[str] | None]:
        """The telemetry variables every function gets, and the stream ARN to grant (firehose sink only)."""
        if sink == "log":
            return {ENV_TELEMETRY_SINK: "log"}, None
        if sink != "firehose" or not self._spec.observability.opensearch:
            raise GovernedAssistantError(
                f"telemetry_sink={sink!r}, opensearch={self._spec.observability.opensearch}; use 'log', "
                "or 'firehose' with observability.opensearch: true in assistant.yaml (the stream feeds it)"
            )
        stream = delivery_stream_name(self._spec.slug, self._stack)
        arn = pulumi.Output.concat(
            "arn:",
            self._partition,
            ":firehose:",
            self._region,
            ":",
            self._account,
            ":deliverystream/",
            stream,
        )
        return {ENV_TELEMETRY_SINK: "firehose", ENV_TELEMETRY_STREAM: stream}, arn

    def _trail_arn(self) -> pulumi.Output[str]:
        # Built from the trail's fixed name: the archive's bucket policy needs it before the trail exists.
        return pulumi.Output.concat(
            "arn:", self._partition, ":cloudtrail:", self._region, ":", self._account, ":trail/",
            trail_name(self._spec.slug, self._stack),
        )  # fmt: skip

    def _create_trail(
        self, conversation: ConversationLayer, reasoning: ReasoningLayer, execution: ExecutionLayer
    ) -> AuditTrail:
        """The audit trail over every table, bucket and governed function the layers built."""
        executed = len(STEPS) + (1 if self._spec.pattern == INSIGHTS_PATTERN else 0)
        names = [
            conversation.function_name,
            reasoning.function_name,
            *(_item(execution.function_names, index) for index in range(executed)),
        ]
        args: AuditTrailArgs = {
            "spec": self._spec,
            "bucket_name": self._archive.bucket_name,
            "archive": self._archive,
            "table_arns": [
                execution.jobs_table_arn,
                execution.approvals_table_arn,
                execution.idempotency_table_arn,
            ],
            "bucket_arns": [self._archive.bucket_arn],
            "function_arns": [
                pulumi.Output.concat(
                    "arn:",
                    self._partition,
                    ":lambda:",
                    self._region,
                    ":",
                    self._account,
                    ":function:",
                    name,
                )
                for name in names
            ],
            "tags": {"assistant": self._spec.slug, "layer": "audit"},
            "region": self._region,
            "account": self._account,
            "partition": self._partition,
        }
        if self._key_arn is not None:
            args["kms_key_arn"] = self._key_arn
        return AuditTrail(f"{self._name}-trail", args, pulumi.ResourceOptions(parent=self))

    def _alarm_arn(self, purpose: str) -> pulumi.Output[str]:
        name = alarm_name(self._spec.slug, self._stack, purpose)
        return pulumi.Output.concat(
            "arn:", self._partition, ":cloudwatch:", self._region, ":", self._account, ":alarm:", name
        )


class _Later(Generic[T]):
    """An input a layer built later provides (``pulumi.deferred_output``): whatever takes it waits
    for the resources it comes from, as it could not if the value were built from a fixed name.

    ``settle`` gives ``fallback`` (that same value, built from fixed names) when the program fails
    before the later layer is built, so no registration is left waiting on it for ever.
    """

    def __init__(self, fallback: pulumi.Output[T]) -> None:
        self.output: pulumi.Output[T]
        self._resolve: Callable[[pulumi.Output[T]], None]
        self.output, self._resolve = pulumi.deferred_output()
        self._fallback = fallback
        self._given = False

    def give(self, value: pulumi.Output[T]) -> None:
        self._given = True
        self._resolve(value)

    def settle(self) -> None:
        if not self._given:
            self.give(self._fallback)


def _item(values: pulumi.Output[list[str]], index: int) -> pulumi.Output[str]:
    # Picking an element inside apply creates no resource; the caller knows the list's length.
    return values.apply(lambda resolved: resolved[index])
