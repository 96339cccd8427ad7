"""``governed_function``: one Lambda function the way every layer builds them.

Its own log group (retention from the spec, so nothing logs forever), an inline policy on
the role it is given, and the function itself: JSON logs into that group, X-Ray active,
the shared code archive and dependencies layer. The policy's statements come from the
caller, who gets the log group's stream ARN to grant "write your own logs" on it.
``service_role`` makes the roles those functions (and Firehose, Step Functions...) assume;
``source_conditions`` pins a service's trust to this account and, where the service
documents it, to the one resource it acts for. Lambda execution roles carry none: Lambda
sends no source context when it assumes a function's role.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.steps import KEY_USE_ACTIONS, KEY_USE_SID

# pulumi_aws 7.x warns (DeprecationWarning) while it loads its lambda_ and s3 packages, about
# renamed resources this code never uses; under `filterwarnings = error` the first test to
# touch them would fail for it. Load both once, quietly.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    _LOADED = (aws.lambda_.Function, aws.s3.Bucket)


# What Lambda needs to put a function's network interfaces in a VPC (the Lambda Developer Guide,
# "Giving Lambda functions access to resources in an Amazon VPC"; the managed policy
# AWSLambdaVPCAccessExecutionRole grants the same on Resource "*").
NETWORK_INTERFACE_ACTIONS: Final = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
# Its own inline policy, beside the function's: a step's policy stays exactly its grants.
NETWORK_POLICY_NAME: Final = "governed-network-interfaces"


class FunctionVpc(TypedDict):
    """Where a function's network interfaces go in ``network: vpc`` (``infra.network``)."""

    subnet_ids: Sequence[pulumi.Input[str]]
    """The private subnets, one per availability zone."""
    security_group_ids: Sequence[pulumi.Input[str]]
    """The functions' security group."""


class LambdaCode(TypedDict):
    """The code every function of a layer runs (one archive, one dependencies layer), and where."""

    archive: pulumi.Archive
    """The handlers' code (``components/`` and ``actions/``), e.g. ``pulumi.FileArchive("build/code")``."""
    layer_arn: pulumi.Input[str]
    """The Lambda layer of ``requirements.txt``'s packages, built for ``runtime`` and ``architecture``."""
    runtime: str
    """The Lambda runtime the layer was built for, e.g. ``python3.12``."""
    architecture: Literal["arm64", "x86_64"]
    """The instruction set the layer's compiled wheels target."""
    vpc: NotRequired[FunctionVpc]
    """With ``network: vpc``, the subnets and group every function runs in; outside any VPC without it.
    It travels with the code so that every function of every layer gets it, none forgotten."""


def physical_name(*parts: str, limit: int) -> str:
    """A lowercase, hyphenated name within ``limit`` characters; a hash keeps truncated names apart.

    Lowercase letters, digits and hyphens are valid for every service here (S3 and
    OpenSearch accept nothing else); the parts start with the spec's slug, so with a letter.
    """
    raw = "-".join(parts)
    cleaned = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    if len(cleaned) <= limit:
        return cleaned
    digest = hashlib.sha256(raw.encode()).hexdigest()[:7]
    return f"{cleaned[: limit - 8].rstrip('-')}-{digest}"


def assume_role_policy(service: str, **conditions: Any) -> pulumi.Output[str]:
    """A trust policy letting one AWS service (and only it) assume the role."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if conditions:
        statement["Condition"] = conditions
    return policy_document([statement])


def account_of(parent: pulumi.Resource) -> pulumi.Output[str]:
    """The deploying account's id (the caller identity's), for trust conditions and ARNs."""
    return aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id


def own_arn(parent: pulumi.Resource, service: str, resource: str) -> pulumi.Output[str]:
    """``arn:<partition>:<service>:<region>:<account>:<resource>`` in the deploying account and region."""
    invoke_opts = pulumi.InvokeOutputOptions(parent=parent)
    return pulumi.Output.concat(
        "arn:",
        aws.get_partition_output(opts=invoke_opts).partition,
        f":{service}:",
        aws.get_region_output(opts=invoke_opts).region,
        ":",
        account_of(parent),
        f":{resource}",
    )


def source_conditions(
    account: pulumi.Input[str], source_arn: pulumi.Input[str] | None = None
) -> dict[str, Any]:
    """Trust conditions against the confused deputy: the service may assume the role only while
    acting for a resource of this account (and, given ``source_arn``, for that resource alone).

    Without them, anyone who can point the same service at this role's ARN from another
    account (a rule, a stream, a state machine of theirs) borrows its permissions. The keys
    must be met exactly: ``...IfExists`` would let a request without them through.
    """
    conditions: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account}}
    if source_arn is not None:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    return conditions


def service_role(
    name: str,
    purpose: str,
    *,
    slug: str,
    stack: str,
    service: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    **conditions: Any,
) -> aws.iam.Role:
    """``<name>-<purpose>-role``: a role only ``service`` may assume, named after stack and purpose."""
    return aws.iam.Role(
        f"{name}-{purpose}-role",
        name_prefix=physical_name(slug, stack, purpose, limit=37) + "-",
        assume_role_policy=assume_role_policy(service, **conditions),
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def policy_document(statements: list[dict[str, Any]]) -> pulumi.Output[str]:
    """An IAM policy document; statements may hold Outputs (resolved by ``Output.json_dumps``)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})


def allow(sid: str, actions: Sequence[str], resource: Any, **condition: Any) -> dict[str, Any]:
    """One Allow statement; ``resource`` may hold Outputs."""
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def deny(sid: str, actions: Sequence[str], resource: Any) -> dict[str, Any]:
    """One Deny statement: it wins over any Allow, in this policy or any other on the role."""
    return {"Sid": sid, "Effect": "Deny", "Action": list(actions), "Resource": resource}


def logs_and_tracing(own_logs: pulumi.Input[str]) -> list[dict[str, Any]]:
    """What every function may do besides its job: write its own logs, send X-Ray traces."""
    return [
        allow("OwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], own_logs),
        # X-Ray defines no resource types: traces cannot be scoped to a resource.
        allow("Tracing", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"),
    ]


@dataclass(frozen=True)
class FunctionSettings:
    """What differs between the functions: who they are, what they run, what they may do."""

    function_name: str
    """The physical name (``physical_name(...)``); the log group is ``/aws/lambda/<name>``."""
    handler: str
    code: LambdaCode
    role: aws.iam.Role
    policy_name: str
    statements: Callable[[pulumi.Output[str]], list[dict[str, Any]]]
    """The policy's statements, given the function's own log streams ARN (``<group arn>:*``)."""
    environment: Mapping[str, pulumi.Input[str]]
    timeout: int
    memory_mb: int
    retention_days: int
    kms_key_arn: pulumi.Input[str] | None = None
    """The stack's key (``kms_key``): it encrypts the log group and the environment, and the role
    may use it (``encryption.key_use``); None keeps AWS's keys."""
    reserved_concurrency: int | None = None
    """Instances reserved for (and the most allowed to) this function; None shares the account's pool."""


def governed_function(
    name: str,
    settings: FunctionSettings,
    *,
    parent: pulumi.Resource,
    tags: Mapping[str, str],
) -> tuple[aws.lambda_.Function, aws.cloudwatch.LogGroup]:
    """``<name>-logs``, ``<name>-policy`` and the function ``<name>``, all children of ``parent``."""
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=f"/aws/lambda/{settings.function_name}",
        retention_in_days=settings.retention_days,
        kms_key_id=settings.kms_key_arn,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    statements = [*settings.statements(pulumi.Output.concat(log_group.arn, ":*"))]
    if settings.kms_key_arn is not None:
        # The stores the function reads and writes are encrypted with the stack's key.
        statements.append(allow(KEY_USE_SID, KEY_USE_ACTIONS, settings.kms_key_arn))
    policy = aws.iam.RolePolicy(
        f"{name}-policy",
        name=settings.policy_name,
        role=settings.role.id,
        policy=policy_document(statements),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    code = settings.code
    vpc = code.get("vpc")
    ready: list[pulumi.Resource] = [policy]
    if vpc is not None:
        # Lambda checks these permissions when it creates the function, so they come first.
        ready.append(
            aws.iam.RolePolicy(
                f"{name}-network-policy",
                name=NETWORK_POLICY_NAME,
                role=settings.role.id,
                policy=policy_document([allow("NetworkInterfaces", NETWORK_INTERFACE_ACTIONS, "*")]),
                opts=pulumi.ResourceOptions(parent=parent),
            )
        )
    function = aws.lambda_.Function(
        name,
        name=settings.function_name,
        role=settings.role.arn,
        runtime=code["runtime"],
        architectures=[code["architecture"]],
        code=code["archive"],
        layers=[code["layer_arn"]],
        handler=settings.handler,
        timeout=settings.timeout,
        memory_size=settings.memory_mb,
        reserved_concurrent_executions=settings.reserved_concurrency,
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(settings.environment)),
        kms_key_arn=settings.kms_key_arn,
        tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
        vpc_config=(
            aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=list(vpc["subnet_ids"]), security_group_ids=list(vpc["security_group_ids"])
            )
            if vpc is not None
            else None
        ),
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(
            log_format="JSON",
            log_group=log_group.name,
            application_log_level="INFO",
            system_log_level="WARN",
        ),
        tags=dict(tags),
        # The policy must exist before the first invocation, not just the role.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=ready),
    )
    return function, log_group
