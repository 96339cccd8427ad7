"""``governed_function``: one Lambda function the way every layer builds them.

Its own log group (retention from the spec, so nothing logs forever), an inline policy on
the role it is given, and the function itself: JSON logs into that group, X-Ray active,
the shared code archive and dependencies layer. The policy's statements come from the
caller, who gets the log group's stream ARN to grant "write your own logs" on it.
``service_role`` makes the roles those functions (and Firehose, Step Functions...) assume.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import pulumi
import pulumi_aws as aws

# pulumi_aws 7.x warns (DeprecationWarning) while it loads its lambda_ and s3 packages, about
# renamed resources this code never uses; under `filterwarnings = error` the first test to
# touch them would fail for it. Load both once, quietly.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    _LOADED = (aws.lambda_.Function, aws.s3.Bucket)


class LambdaCode(TypedDict):
    """The code every function of a layer runs; one archive, one dependencies layer."""

    archive: pulumi.Archive
    """The handlers' code (``components/`` and ``actions/``), e.g. ``pulumi.FileArchive("build/code")``."""
    layer_arn: pulumi.Input[str]
    """The Lambda layer of ``requirements.txt``'s packages, built for ``runtime`` and ``architecture``."""
    runtime: str
    """The Lambda runtime the layer was built for, e.g. ``python3.12``."""
    architecture: Literal["arm64", "x86_64"]
    """The instruction set the layer's compiled wheels target."""


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
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    policy = aws.iam.RolePolicy(
        f"{name}-policy",
        name=settings.policy_name,
        role=settings.role.id,
        policy=policy_document(settings.statements(pulumi.Output.concat(log_group.arn, ":*"))),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    code = settings.code
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
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(settings.environment)),
        tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(
            log_format="JSON",
            log_group=log_group.name,
            application_log_level="INFO",
            system_log_level="WARN",
        ),
        tags=dict(tags),
        # The policy must exist before the first invocation, not just the role.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy]),
    )
    return function, log_group
