"""``ExecutionLayer``: the deterministic path every accepted job takes, after the reasoning layer.

EventBridge ("job accepted") starts a Step Functions (Standard) state machine whose
definition is the one ``governed_assistant.infra.asl`` builds from the spec; each of its steps is a
Lambda with a role of its own. What each step may touch is ``STEP_GRANTS`` below: plain
data, so the roles are built from it and ``governed_assistant.infra.invariants`` checks them
against it, in tests and in the CrossGuard policy pack alike.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal, NotRequired, TypedDict, get_args

import pulumi
import pulumi_aws as aws

from governed_assistant.errors import GovernanceError
from governed_assistant.infra.asl import REASON, build_definition, render_definition
from governed_assistant.infra.functions import (
    FunctionSettings,
    LambdaCode,
    assume_role_policy,
    governed_function,
    physical_name,
    policy_document,
)
from governed_assistant.infra.insights import InsightSettings, create_insight_trigger
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import (
    ENV_BY_RESOURCE,
    ENV_GUARDRAIL_VERSION,
    ENV_POWERTOOLS_SERVICE_NAME,
    ENV_STEP,
    JOB_ACCEPTED_DETAIL_TYPE,
    JOB_EVENT_SOURCE,
    JOB_RULE_NAME,
    JOB_TARGET_ID,
)

# pulumi_aws 7.x warns (DeprecationWarning) while it loads its lambda_ and s3 packages, about
# renamed resources this code never uses; under `filterwarnings = error` the first test to
# touch them would fail for it. Load both once, quietly.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    _LOADED = (aws.lambda_.Function, aws.s3.Bucket)

Step = Literal["gate", "approval", "execute", "compensate", "guardrail_output", "respond"]
STEPS: Final[tuple[Step, ...]] = get_args(Step)

# What a grant's statement points at. "own_log_group" is the step's own log group;
# "*" is reserved for actions AWS offers no resource-level permission for.
ResourceKey = Literal[
    "jobs_table", "approvals_table", "idempotency_table", "approval_topic", "guardrail", "flags",
    "decision_stream", "own_log_group", "*",
]  # fmt: skip

# The inline policy of step ``s`` is named ``STEP_POLICY_PREFIX + s``: the invariants find it by name.
STEP_POLICY_PREFIX: Final = "governed-step-"
STEP_TAG: Final = "governed:step"

INSIGHTS_PATTERN: Final = "insights-to-action"

DEFAULT_TIMEOUT_SECONDS: Final = 30
MEMORY_MB: Final = 512

# Step Functions delivers execution logs through CloudWatch Logs' vended-log APIs, which
# AWS documents with Resource "*" only.
STATE_MACHINE_LOG_DELIVERY_ACTIONS: Final = frozenset(
    {
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
)


@dataclass(frozen=True)
class Grant:
    """One statement of a step's policy: these actions, on that resource, for this reason."""

    sid: str
    actions: tuple[str, ...]
    resource: ResourceKey
    reason: str


# Powertools' DynamoDBPersistenceLayer reads, writes (conditionally), updates and deletes its records.
_IDEMPOTENCY = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")

_JOB_DECISION: Final = "check the input against the job's user and recorded decision"
_GRANTED: Final = "check that the job's approval was granted"
_FLAGS_READ: Final = ("appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration")

STEP_GRANTS: Final[Mapping[Step, tuple[Grant, ...]]] = MappingProxyType(
    {
        # The gate reads the job the conversation layer recorded from verified claims, so the
        # proposal's tenant and user are checked against that record and never against the
        # state input alone, and the rollout flags (shadow mode, canary, kill switch). It records
        # its decision and the proposal's digest on the job: the later steps run only what that backs.
        "gate": (
            Grant(
                "JobsRead", ("dynamodb:GetItem",), "jobs_table", "compare the proposal with the job's tenant"
            ),
            Grant("JobsDecide", ("dynamodb:UpdateItem",), "jobs_table", "record its decision on the job"),
            Grant("Flags", _FLAGS_READ, "flags", "read shadow mode, canary and kill switch"),
        ),
        # Every step after the gate re-reads the job: its recorded decision, not the step's input,
        # says what may run (governed_assistant.handlers.authority).
        "approval": (
            Grant("ApprovalsWrite", ("dynamodb:PutItem",), "approvals_table", "store the task token"),
            Grant("ApprovalNotify", ("sns:Publish",), "approval_topic", "ask the approvers"),
            Grant("JobsRead", ("dynamodb:GetItem",), "jobs_table", _JOB_DECISION),
            Grant("JobsUpdate", ("dynamodb:UpdateItem",), "jobs_table", "mark the job awaiting_approval"),
        ),
        "execute": (
            Grant("Idempotency", _IDEMPOTENCY, "idempotency_table", "run each action at most once"),
            Grant("JobsRead", ("dynamodb:GetItem",), "jobs_table", _JOB_DECISION),
            Grant("ApprovalsRead", ("dynamodb:GetItem",), "approvals_table", _GRANTED),
            Grant("JobsUpdate", ("dynamodb:UpdateItem",), "jobs_table", "record the stage and result"),
            Grant("Flags", _FLAGS_READ, "flags", "stop in-flight work when the kill switch is on"),
        ),
        "compensate": (
            Grant("Idempotency", _IDEMPOTENCY, "idempotency_table", "compensate each action at most once"),
            Grant("JobsRead", ("dynamodb:GetItem",), "jobs_table", _JOB_DECISION),
            Grant("ApprovalsRead", ("dynamodb:GetItem",), "approvals_table", _GRANTED),
            Grant("JobsUpdate", ("dynamodb:UpdateItem",), "jobs_table", "record the compensation"),
        ),
        "guardrail_output": (
            Grant(
                "Guardrail", ("bedrock:ApplyGuardrail",), "guardrail", "screen the answer before it leaves"
            ),
        ),
        "respond": (
            Grant("JobsRead", ("dynamodb:GetItem",), "jobs_table", _JOB_DECISION),
            Grant("ApprovalsRead", ("dynamodb:GetItem",), "approvals_table", _GRANTED),
            Grant("JobsUpdate", ("dynamodb:UpdateItem",), "jobs_table", "write the final status and result"),
        ),
    }
)

# Every step writes its own logs and its traces, and nothing else besides its grants above.
BASELINE_GRANTS: Final[tuple[Grant, ...]] = (
    # The layer creates the log group, so the function needs no logs:CreateLogGroup.
    Grant("OwnLogs", ("logs:CreateLogStream", "logs:PutLogEvents"), "own_log_group", "write its own logs"),
    Grant("Tracing", ("xray:PutTraceSegments", "xray:PutTelemetryRecords"), "*", "X-Ray traces"),
)


# Only when the stack sends decision events straight to Firehose (``GOVERNED_TELEMETRY_SINK=firehose``);
# with the default log sink a subscription filter forwards them and no step needs it.
TELEMETRY_GRANT: Final = Grant(
    "DecisionEvents", ("firehose:PutRecordBatch",), "decision_stream", "send decision events to Firehose"
)
OPTIONAL_GRANTS: Final[tuple[Grant, ...]] = (TELEMETRY_GRANT,)


def step_grants(step: Step, *, telemetry: bool = False) -> tuple[Grant, ...]:
    """Everything step ``step``'s role may do: its own grants, the baseline, and Firehose if ``telemetry``."""
    return (*STEP_GRANTS[step], *BASELINE_GRANTS, *((TELEMETRY_GRANT,) if telemetry else ()))


class ExecutionLayerError(GovernanceError):
    """When the execution layer's arguments cannot build a working layer."""


class ExecutionLayerArgs(TypedDict):
    spec: AssistantSpec
    """The validated assistant spec: actions (timeouts, retries) and log retention come from it."""
    code: LambdaCode
    """The code and dependencies layer every step function runs."""
    handlers: Mapping[Step, str]
    """The handler of each step (all six), e.g. ``{"gate": "governed_assistant.handlers.gate.handler"}``."""
    environment: Mapping[str, pulumi.Input[str]]
    """Variables every step function gets (flags location, metrics namespace...), besides its own."""
    reason_function_arn: pulumi.Input[str]
    """The reasoning layer's function: the state machine's first task (it proposes, never executes)."""
    guardrail_arn: pulumi.Input[str]
    """The Bedrock guardrail the output guardrail step applies (the conversation layer creates it)."""
    guardrail_version: pulumi.Input[str]
    """The guardrail version to apply, e.g. ``"1"`` or ``"DRAFT"``."""
    flags_arn: pulumi.Input[str]
    """The AppConfig configuration profile the gate reads rollout flags from (the rollout layer's),
    ``arn:aws:appconfig:<region>:<account>:application/<app>/environment/<env>/configuration/<profile>``;
    its identifiers reach the gate through ``environment``."""
    protect_data: bool
    """Refuse to delete the jobs and approvals tables on ``pulumi destroy``; on for production."""
    decision_stream_arn: NotRequired[pulumi.Input[str]]
    """The Firehose stream the functions put decision events on (``firehose`` telemetry sink);
    left out with the log sink, and then no function may touch Firehose."""
    insight_handler: NotRequired[str]
    """The insight function's handler; required by Pattern C (``insights-to-action``), unused elsewhere."""


def check_archive(archive: pulumi.Archive, what: str) -> None:
    """Refuse a ``FileArchive`` whose path is missing: the mocks would accept it, AWS would not."""
    if isinstance(archive, pulumi.FileArchive) and not Path(archive.path).exists():
        raise ExecutionLayerError(
            f"the code archive for {what} points at a missing path, path={archive.path}; "
            "build the code first (make build) or pass the right path"
        )


# How ASL placeholders name the step functions ("${GateFunctionArn}", "${EXECUTOR_ARN}"...):
# a placeholder belongs to the step whose alias its lowercase letters start with.
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.-]+)\}")
_STEP_ALIASES: Final[Mapping[Step, tuple[str, ...]]] = MappingProxyType(
    {
        "gate": ("gate",),
        "approval": ("approval", "notifier", "notify"),
        "execute": ("execute", "executor"),
        "compensate": ("compensat",),
        "guardrail_output": ("guardrailoutput", "outputguardrail"),
        "respond": ("respond", "response"),
    }
)


def placeholder_step(placeholder: str) -> Step | None:
    """The step whose function an ASL ARN placeholder stands for, or None."""
    letters = re.sub(r"[^a-z]", "", placeholder.lower()).removeprefix("lambda").removeprefix("function")
    return next(
        (step for step, aliases in _STEP_ALIASES.items() if letters.startswith(aliases)),
        None,
    )


def definition_steps(
    definition: Mapping[str, Any], external: frozenset[str] = frozenset()
) -> dict[str, Step]:
    """Every ``${...}`` placeholder of an ASL definition, with the step it stands for.

    ``external`` placeholders (``${ReasonFunctionArn}``) are other layers' functions and
    are left out. Raises ``ExecutionLayerError`` for a placeholder that names no step, so a
    definition never deploys with an ARN left unresolved.
    """
    found = {f"${{{name}}}" for name in _PLACEHOLDER.findall(json.dumps(definition))}
    placeholders = sorted(name[2:-1] for name in found - external)
    steps = {placeholder: placeholder_step(placeholder) for placeholder in placeholders}
    unknown = [placeholder for placeholder, step in steps.items() if step is None]
    if unknown:
        raise ExecutionLayerError(
            f"the state machine definition has placeholders that name no step function, "
            f"placeholders={unknown}; steps={list(STEPS)}"
        )
    return {placeholder: step for placeholder, step in steps.items() if step is not None}


class ExecutionLayer(pulumi.ComponentResource):
    state_machine_arn: pulumi.Output[str]
    """The job state machine (Standard)."""
    event_bus_name: pulumi.Output[str]
    """The bus the conversation layer puts "job accepted" events on."""
    event_bus_arn: pulumi.Output[str]
    """That bus's ARN (what ``events:PutEvents`` is granted on)."""
    jobs_table_name: pulumi.Output[str]
    """Jobs, keyed ``pk = <tenant>#<job>``, ``sk``."""
    jobs_table_arn: pulumi.Output[str]
    """The jobs table's ARN."""
    approvals_table_name: pulumi.Output[str]
    """Pending and decided approvals (task tokens), keyed ``pk``, ``sk``."""
    approvals_table_arn: pulumi.Output[str]
    """The approvals table's ARN."""
    idempotency_table_name: pulumi.Output[str]
    """Powertools idempotency records (``id``; TTL on ``expiration``)."""
    idempotency_table_arn: pulumi.Output[str]
    """The idempotency table's ARN."""
    approval_topic_arn: pulumi.Output[str]
    """Where approval requests are published (approvers subscribe)."""
    function_names: pulumi.Output[list[str]]
    """The step functions' names, in ``STEPS`` order, then the insight function's (Pattern C)."""
    log_group_names: pulumi.Output[list[str]]
    """Their log groups, in the same order (decision events are read from them)."""

    def __init__(
        self, name: str, args: ExecutionLayerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("governed:execution:ExecutionLayer", name, None, opts)
        self._name = name
        self._spec = args["spec"]
        self._tags = {"assistant": self._spec.slug, "layer": "execution"}
        missing = [step for step in STEPS if step not in args["handlers"]]
        if missing:
            raise ExecutionLayerError(
                f"no handler given for steps {missing}; pass one per step in handlers=, steps={list(STEPS)}"
            )
        check_archive(args["code"]["archive"], f"{name} step functions")
        insights = self._spec.pattern == INSIGHTS_PATTERN
        if insights and not args.get("insight_handler"):
            raise ExecutionLayerError(
                f"pattern={self._spec.pattern!r} needs the insight function, but no insight_handler "
                "was given; pass insight_handler='governed_assistant.handlers.insight.handler'"
            )
        protect = args["protect_data"]
        jobs = self._create_table("jobs", ("pk", "sk"), ttl="expiresAt", protect=protect)
        approvals = self._create_table("approvals", ("pk", "sk"), ttl="expiresAt", protect=protect)
        idempotency = self._create_table("idempotency", ("id",), ttl="expiration", protect=False)
        topic = aws.sns.Topic(
            f"{name}-approvals",
            kms_master_key_id="alias/aws/sns",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        resources: dict[ResourceKey, pulumi.Input[str]] = {
            "jobs_table": jobs.arn,
            "approvals_table": approvals.arn,
            "idempotency_table": idempotency.arn,
            "approval_topic": topic.arn,
            "guardrail": args["guardrail_arn"],
            "flags": args["flags_arn"],
        }
        stream_arn = args.get("decision_stream_arn")
        if stream_arn is not None:
            resources["decision_stream"] = stream_arn
        values: dict[ResourceKey, pulumi.Input[str]] = {
            "jobs_table": jobs.name,
            "approvals_table": approvals.name,
            "idempotency_table": idempotency.name,
            "approval_topic": topic.arn,
            "guardrail": args["guardrail_arn"],
        }
        functions: dict[Step, aws.lambda_.Function] = {}
        log_groups: list[aws.cloudwatch.LogGroup] = []
        for step in STEPS:
            function, log_group = self._create_step_function(step, args, resources, values)
            functions[step] = function
            log_groups.append(log_group)
        state_machine = self._create_state_machine(functions, args["reason_function_arn"])
        bus = self._create_trigger(state_machine)
        function_names = [functions[step].name for step in STEPS]
        group_names = [group.name for group in log_groups]
        if insights:
            # Pattern C: an insight on the bus becomes a job; see governed_assistant.infra.insights.
            insight, insight_logs = create_insight_trigger(
                self,
                f"{name}-insight",
                InsightSettings(
                    spec=self._spec,
                    code=args["code"],
                    handler=args.get("insight_handler") or "",
                    environment=args["environment"],
                    jobs_table_arn=jobs.arn,
                    jobs_table_name=jobs.name,
                    bus=bus,
                    decision_stream_arn=stream_arn,
                    tags=self._tags,
                ),
            )
            function_names.append(insight.name)
            group_names.append(insight_logs.name)

        self.state_machine_arn = state_machine.arn
        self.event_bus_name = bus.name
        self.event_bus_arn = bus.arn
        self.jobs_table_name = jobs.name
        self.jobs_table_arn = jobs.arn
        self.approvals_table_name = approvals.name
        self.approvals_table_arn = approvals.arn
        self.idempotency_table_name = idempotency.name
        self.idempotency_table_arn = idempotency.arn
        self.approval_topic_arn = topic.arn
        self.function_names = pulumi.Output.all(*function_names)
        self.log_group_names = pulumi.Output.all(*group_names)
        self.register_outputs(
            {
                "state_machine_arn": self.state_machine_arn,
                "event_bus_name": self.event_bus_name,
                "event_bus_arn": self.event_bus_arn,
                "jobs_table_name": self.jobs_table_name,
                "jobs_table_arn": self.jobs_table_arn,
                "approvals_table_name": self.approvals_table_name,
                "approvals_table_arn": self.approvals_table_arn,
                "idempotency_table_name": self.idempotency_table_name,
                "idempotency_table_arn": self.idempotency_table_arn,
                "approval_topic_arn": self.approval_topic_arn,
                "function_names": self.function_names,
                "log_group_names": self.log_group_names,
            }
        )

    def _create_table(
        self, table: str, keys: tuple[str, ...], *, ttl: str, protect: bool
    ) -> aws.dynamodb.Table:
        # Jobs and approvals are keyed "<tenant>#<id>": no query can be written that reads
        # them without naming a tenant.
        return aws.dynamodb.Table(
            f"{self._name}-{table}",
            billing_mode="PAY_PER_REQUEST",
            hash_key=keys[0],
            range_key=keys[1] if len(keys) > 1 else None,
            attributes=[aws.dynamodb.TableAttributeArgs(name=key, type="S") for key in keys],
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=ttl, enabled=True),
            deletion_protection_enabled=protect,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_step_function(
        self,
        step: Step,
        args: ExecutionLayerArgs,
        resources: Mapping[ResourceKey, pulumi.Input[str]],
        values: Mapping[ResourceKey, pulumi.Input[str]],
    ) -> tuple[aws.lambda_.Function, aws.cloudwatch.LogGroup]:
        stack = pulumi.get_stack()
        label = step.replace("_", "-")
        role = aws.iam.Role(
            f"{self._name}-{label}-role",
            name_prefix=physical_name(self._spec.slug, stack, label, limit=37) + "-",
            assume_role_policy=assume_role_policy("lambda.amazonaws.com"),
            tags={**self._tags, STEP_TAG: step},
            opts=pulumi.ResourceOptions(parent=self),
        )

        def statements(own_logs: pulumi.Output[str]) -> list[dict[str, Any]]:
            targets: dict[ResourceKey, pulumi.Input[str]] = {**resources, "own_log_group": own_logs, "*": "*"}
            return [
                {
                    "Sid": grant.sid,
                    "Effect": "Allow",
                    "Action": list(grant.actions),
                    "Resource": targets[grant.resource],
                }
                for grant in step_grants(step, telemetry="decision_stream" in resources)
            ]

        environment: dict[str, pulumi.Input[str]] = {
            **args["environment"],
            ENV_STEP: step,
            ENV_POWERTOOLS_SERVICE_NAME: self._spec.slug,
        }
        for grant in STEP_GRANTS[step]:
            if grant.resource in ENV_BY_RESOURCE:
                environment[ENV_BY_RESOURCE[grant.resource]] = values[grant.resource]
        if step == "guardrail_output":
            environment[ENV_GUARDRAIL_VERSION] = args["guardrail_version"]
        settings = FunctionSettings(
            function_name=physical_name(self._spec.slug, stack, label, limit=64),
            handler=args["handlers"][step],
            code=args["code"],
            role=role,
            policy_name=STEP_POLICY_PREFIX + step,
            statements=statements,
            environment=environment,
            timeout=self._timeout(step),
            memory_mb=MEMORY_MB,
            retention_days=self._spec.observability.retention_days,
        )
        return governed_function(
            f"{self._name}-{label}", settings, parent=self, tags={**self._tags, STEP_TAG: step}
        )

    def _timeout(self, step: Step) -> int:
        """Executors get the slowest action's timeout (Step Functions stops them at their own)."""
        if step in ("execute", "compensate") and self._spec.actions:
            return max(action.timeout_seconds for action in self._spec.actions)
        return DEFAULT_TIMEOUT_SECONDS

    def _create_state_machine(
        self, functions: Mapping[Step, aws.lambda_.Function], reason_arn: pulumi.Input[str]
    ) -> aws.sfn.StateMachine:
        stack = pulumi.get_stack()
        # The /aws/vendedlogs/ prefix keeps CloudWatch's log resource policy from growing per group.
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-states-logs",
            name_prefix=f"/aws/vendedlogs/states/{physical_name(self._spec.slug, stack, limit=64)}-",
            retention_in_days=self._spec.observability.retention_days,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        role = aws.iam.Role(
            f"{self._name}-states-role",
            name_prefix=physical_name(self._spec.slug, stack, "states", limit=37) + "-",
            assume_role_policy=assume_role_policy("states.amazonaws.com"),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-states-policy",
            name="governed-state-machine",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "InvokeSteps",
                        "Effect": "Allow",
                        "Action": ["lambda:InvokeFunction"],
                        "Resource": [reason_arn, *(functions[step].arn for step in STEPS)],
                    },
                    {
                        # CloudWatch Logs' vended-log delivery APIs take no resource ARN.
                        "Sid": "ExecutionLogs",
                        "Effect": "Allow",
                        "Action": sorted(STATE_MACHINE_LOG_DELIVERY_ACTIONS),
                        "Resource": "*",
                    },
                    {
                        "Sid": "Tracing",
                        "Effect": "Allow",
                        "Action": [
                            "xray:PutTraceSegments",
                            "xray:PutTelemetryRecords",
                            "xray:GetSamplingRules",
                            "xray:GetSamplingTargets",
                        ],
                        "Resource": "*",
                    },
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        definition = build_definition(self._spec)
        arns: dict[str, pulumi.Input[str]] = {
            placeholder: functions[step].arn
            for placeholder, step in definition_steps(definition, external=frozenset({REASON})).items()
        }
        arns[REASON[2:-1]] = reason_arn
        # Building the JSON string inside apply is fine; no resource is created there.
        rendered = pulumi.Output.all(**arns).apply(lambda resolved: render_definition(definition, resolved))
        return aws.sfn.StateMachine(
            f"{self._name}-jobs",
            name=physical_name(self._spec.slug, stack, "jobs", limit=80),
            type="STANDARD",
            role_arn=role.arn,
            definition=rendered,
            # Every event, none of its data: the approval task token and message text stay out of
            # the logs (see invariants.state_machine_logs_events_without_data).
            logging_configuration=aws.sfn.StateMachineLoggingConfigurationArgs(
                level="ALL",
                include_execution_data=False,
                log_destination=pulumi.Output.concat(log_group.arn, ":*"),
            ),
            tracing_configuration=aws.sfn.StateMachineTracingConfigurationArgs(enabled=True),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

    def _create_trigger(self, state_machine: aws.sfn.StateMachine) -> aws.cloudwatch.EventBus:
        bus = aws.cloudwatch.EventBus(
            f"{self._name}-bus", tags=self._tags, opts=pulumi.ResourceOptions(parent=self)
        )
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-job-accepted",
            name=JOB_RULE_NAME,
            event_bus_name=bus.name,
            event_pattern=pulumi.Output.json_dumps(
                {"source": [JOB_EVENT_SOURCE], "detail-type": [JOB_ACCEPTED_DETAIL_TYPE]}
            ),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        role = aws.iam.Role(
            f"{self._name}-trigger-role",
            name_prefix=physical_name(self._spec.slug, pulumi.get_stack(), "trigger", limit=37) + "-",
            assume_role_policy=assume_role_policy("events.amazonaws.com"),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-trigger-policy",
            name="governed-start-execution",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "StartJob",
                        "Effect": "Allow",
                        "Action": ["states:StartExecution"],
                        "Resource": state_machine.arn,
                    }
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # A job that was accepted but never started would be lost silently: after the
        # retries, the event lands in this queue, where an alarm or a person finds it.
        dead_letters = aws.sqs.Queue(
            f"{self._name}-unstarted",
            sqs_managed_sse_enabled=True,
            message_retention_seconds=14 * 24 * 3600,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.sqs.QueuePolicy(
            f"{self._name}-unstarted-policy",
            queue_url=dead_letters.url,
            policy=policy_document(
                [
                    {
                        "Sid": "EventBridgeDeadLetters",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": dead_letters.arn,
                        "Condition": {"ArnEquals": {"aws:SourceArn": rule.arn}},
                    }
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-start-job",
            target_id=JOB_TARGET_ID,
            rule=rule.name,
            event_bus_name=bus.name,
            arn=state_machine.arn,
            role_arn=role.arn,
            # The execution's input is the event's detail: the job, as the conversation layer recorded it.
            input_path="$.detail",
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_event_age_in_seconds=3600, maximum_retry_attempts=20
            ),
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dead_letters.arn),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        return bus
