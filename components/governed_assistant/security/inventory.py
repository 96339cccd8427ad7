"""What the program would deploy, read from its resources under the SDK's mocks: who may do what
(``permission_matrix``) and where data rests (``stores``).

Both read the inputs as the engine sees them (camelCase, policies as JSON strings), the same
view the governance invariants and the policy pack have, and name resources by their logical
names, as ``pulumi preview`` shows them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from governed_assistant.infra.invariants import ResourceLike

ROLE: Final = "aws:iam/role:Role"
ROLE_POLICY: Final = "aws:iam/rolePolicy:RolePolicy"
FUNCTION: Final = "aws:lambda/function:Function"
STATE_MACHINE: Final = "aws:sfn/stateMachine:StateMachine"


# ---------------------------------------------------------------------- permissions


@dataclass(frozen=True)
class Grant:
    """One statement: its effect, actions, the resources it names and its condition keys."""

    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RolePermissions:
    """One role: who assumes it, what runs as it, and every statement of its inline policies."""

    role: str
    assumed_by: tuple[str, ...]
    used_by: tuple[str, ...]
    grants: tuple[Grant, ...]


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, str | Mapping):
        return (value,)
    return tuple(value)


def _document(value: Any) -> Mapping[str, Any]:
    if isinstance(value, str):
        return json.loads(value) if value else {}
    return value or {}


def resource_names_by_arn(resources: Sequence[ResourceLike]) -> dict[str, str]:
    """Each resource's ARN (what the mocks answered) -> its logical name, with its type where two
    resources share a name (a table and a topic both called ``approvals``). A resource that takes
    an ``arn`` input (a target naming another resource) answers with that resource's ARN, so it is
    left out: the ARN belongs to the resource it names."""
    shared = {name for name, count in Counter(resource.name for resource in resources).items() if count > 1}
    names: dict[str, str] = {}
    for resource in resources:
        arn = _outputs(resource).get("arn")
        if isinstance(arn, str) and arn and "arn" not in resource.inputs:
            label = (
                f"{resource.name} ({resource.type.rsplit(':', 1)[-1]})"
                if resource.name in shared
                else resource.name
            )
            names.setdefault(arn, label)
    return names


def _outputs(resource: ResourceLike) -> Mapping[str, Any]:
    return getattr(resource, "outputs", None) or {}


def describe_resource(arn: str, names: Mapping[str, str]) -> str:
    """``arn`` as the logical name of the resource it is (or is under: ``<table>/index/*``), else as
    written (a model, an ARN pattern, ``*``)."""
    if arn in names:
        return names[arn]
    for known, name in names.items():
        if arn.startswith(known) and arn[len(known)] in "/:*":
            return f"{name}{arn[len(known) :]}"
    return arn


def _grants(document: Mapping[str, Any], names: Mapping[str, str]) -> list[Grant]:
    grants = []
    for statement in _as_tuple(document.get("Statement")):
        conditions = tuple(
            sorted(key for operator in (statement.get("Condition") or {}).values() for key in operator)
        )
        grants.append(
            Grant(
                effect=str(statement.get("Effect", "")),
                actions=tuple(sorted(_as_tuple(statement.get("Action") or statement.get("NotAction")))),
                resources=tuple(
                    describe_resource(str(arn), names) for arn in _as_tuple(statement.get("Resource"))
                ),
                conditions=conditions,
            )
        )
    return grants


def _principals(trust: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for statement in _as_tuple(trust.get("Statement")):
        principal = statement.get("Principal")
        if isinstance(principal, Mapping):
            found.extend(str(value) for values in principal.values() for value in _as_tuple(values))
        elif principal is not None:
            found.append(str(principal))
    return tuple(sorted(set(found)))


def permission_matrix(resources: Sequence[ResourceLike]) -> list[RolePermissions]:
    """Every role the program creates, with the functions and state machines that run as it and
    every statement of the inline policies attached to it, by role name."""
    names = resource_names_by_arn(resources)
    users: dict[str, list[str]] = {}
    for resource in resources:
        arn = resource.inputs.get("role") if resource.type == FUNCTION else None
        arn = resource.inputs.get("roleArn") if resource.type == STATE_MACHINE else arn
        if isinstance(arn, str):
            users.setdefault(arn, []).append(resource.name)
    policies: dict[str, list[Grant]] = {}
    for resource in resources:
        if resource.type == ROLE_POLICY:
            role_id = str(resource.inputs.get("role", ""))
            policies.setdefault(role_id, []).extend(_grants(_document(resource.inputs.get("policy")), names))
    matrix = []
    for role in (resource for resource in resources if resource.type == ROLE):
        outputs = _outputs(role)
        role_id = getattr(role, "id", "") or ""
        grants = policies.get(role_id, []) + policies.get(str(outputs.get("name", "")), [])
        matrix.append(
            RolePermissions(
                role=role.name,
                assumed_by=_principals(_document(role.inputs.get("assumeRolePolicy"))),
                used_by=tuple(sorted(users.get(str(outputs.get("arn", "")), []))),
                grants=tuple(grants),
            )
        )
    return sorted(matrix, key=lambda entry: entry.role)


# ---------------------------------------------------------------------- stores


@dataclass(frozen=True)
class Store:
    """One place data rests: how it is encrypted, how long it keeps data, whether an erasure reaches it."""

    kind: str
    name: str
    encryption: str
    retention: str
    erasure: str


STORE_KINDS: Final[Mapping[str, str]] = {
    "aws:dynamodb/table:Table": "DynamoDB table",
    "aws:s3/bucket:Bucket": "S3 bucket",
    "aws:cloudwatch/logGroup:LogGroup": "CloudWatch log group",
    "aws:sqs/queue:Queue": "SQS queue",
    "aws:sns/topic:Topic": "SNS topic",
    "aws:opensearch/domain:Domain": "OpenSearch domain",
    "aws:opensearch/serverlessCollection:ServerlessCollection": "OpenSearch Serverless collection",
    "aws:rds/cluster:Cluster": "Aurora cluster",
    "aws:secretsmanager/secret:Secret": "Secrets Manager secret",
    "aws:sfn/stateMachine:StateMachine": "Step Functions executions",
}

_BUCKET_ENCRYPTION: Final = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
_BUCKET_LIFECYCLE: Final = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
_BUCKET_VERSIONING: Final = "aws:s3/bucketVersioning:BucketVersioning"

# What a store that the erasure does not reach holds, and why that is acceptable (by kind).
_NOT_ERASED: Final[Mapping[str, str]] = {
    "aws:cloudwatch/logGroup:LogGroup": "not erased: events expire with the group's retention (CloudWatch "
    "cannot delete single events)",
    "aws:sns/topic:Topic": "holds nothing: delivery only",
    "aws:sqs/queue:Queue": "not erased: messages expire with the queue's retention",
    "aws:secretsmanager/secret:Secret": "holds no tenant data",
    "aws:s3/bucket:Bucket": "not erased: objects expire by its lifecycle",
    "aws:sfn/stateMachine:StateMachine": "not erased: closed histories stay 90 days (no API deletes them)",
}
_STATE_MACHINE_ERASED: Final = (
    "the tenant's running executions stopped; closed histories stay 90 days (no API deletes them)"
)


def _kms(key: Any) -> str:
    return f"KMS, key {key}" if key else "KMS, AWS managed key"


def _days(value: Any) -> str:
    return f"{int(value)} days"


def _table(inputs: Mapping[str, Any]) -> tuple[str, str]:
    encryption = inputs.get("serverSideEncryption") or {}
    key = _kms(encryption.get("kmsKeyArn")) if encryption.get("enabled") else "AWS owned key"
    ttl = inputs.get("ttl") or {}
    pitr = inputs.get("pointInTimeRecovery") or {}
    retention = [f"items expire by {ttl['attributeName']}" if ttl.get("enabled") else "items never expire"]
    if pitr.get("enabled"):
        retention.append(f"point-in-time recovery {_days(pitr.get('recoveryPeriodInDays', 35))}")
    return key, "; ".join(retention)


def _bucket_rules(other: ResourceLike) -> tuple[str | None, list[str]]:
    """What one of a bucket's configuration resources says: its key, its retention rules."""
    if other.type == _BUCKET_ENCRYPTION:
        rule = (other.inputs.get("rules") or [{}])[0].get("applyServerSideEncryptionByDefault") or {}
        if rule.get("sseAlgorithm") == "AES256":
            return "SSE-S3 (AES256)", []
        return _kms(rule.get("kmsMasterKeyId")), []
    if other.type == _BUCKET_VERSIONING:
        status = (other.inputs.get("versioningConfiguration") or {}).get("status", "")
        return None, [f"versioning {status.lower()}"]
    retention = []
    for rule in other.inputs.get("rules") or [] if other.type == _BUCKET_LIFECYCLE else []:
        prefix = (rule.get("filter") or {}).get("prefix", "")
        where = f" under {prefix}" if prefix else ""
        if expiry := (rule.get("expiration") or {}).get("days"):
            retention.append(f"objects{where} expire after {_days(expiry)}")
        if noncurrent := (rule.get("noncurrentVersionExpiration") or {}).get("noncurrentDays"):
            retention.append(f"old versions{where} after {_days(noncurrent)}")
    return None, retention


def _bucket(resource: ResourceLike, related: Sequence[ResourceLike]) -> tuple[str, str]:
    bucket_id = getattr(resource, "id", "") or resource.name
    key, retention = "none configured", []
    for other in (other for other in related if other.inputs.get("bucket") == bucket_id):
        found, rules = _bucket_rules(other)
        key = found or key
        retention += rules
    return key, "; ".join(retention) or "kept until deleted"


def _log_group(inputs: Mapping[str, Any]) -> tuple[str, str]:
    key = _kms(inputs["kmsKeyId"]) if inputs.get("kmsKeyId") else "CloudWatch Logs' own encryption"
    days = inputs.get("retentionInDays")
    return key, _days(days) if days else "never expire"


def _queue(inputs: Mapping[str, Any]) -> tuple[str, str]:
    key = _kms(inputs["kmsMasterKeyId"]) if inputs.get("kmsMasterKeyId") else "SSE-SQS"
    if not inputs.get("kmsMasterKeyId") and not inputs.get("sqsManagedSseEnabled"):
        key = "none"
    # SQS keeps a message 4 days unless told otherwise.
    return key, _days(int(inputs.get("messageRetentionSeconds", 345600)) // 86400)


def _describe(resource: ResourceLike, related: Sequence[ResourceLike]) -> tuple[str, str]:
    inputs = resource.inputs
    match resource.type:
        case "aws:dynamodb/table:Table":
            return _table(inputs)
        case "aws:s3/bucket:Bucket":
            return _bucket(resource, related)
        case "aws:cloudwatch/logGroup:LogGroup":
            return _log_group(inputs)
        case "aws:sqs/queue:Queue":
            return _queue(inputs)
        case "aws:sns/topic:Topic":
            key = inputs.get("kmsMasterKeyId")
            return (_kms(key) if key else "none"), "not stored: delivered, then gone"
        case "aws:opensearch/domain:Domain":
            at_rest = inputs.get("encryptAtRest") or {}
            key = _kms(at_rest.get("kmsKeyId")) if at_rest.get("enabled") else "none"
            return key, "an index a day, deleted by the index lifecycle policy"
        case "aws:rds/cluster:Cluster":
            key = _kms(inputs.get("kmsKeyId")) if inputs.get("storageEncrypted") else "none"
            return key, f"automated backups {_days(inputs.get('backupRetentionPeriod', 1))}"
        case "aws:secretsmanager/secret:Secret":
            return _kms(inputs.get("kmsKeyId")), "until the stack is destroyed"
        case "aws:sfn/stateMachine:StateMachine":
            key = (inputs.get("encryptionConfiguration") or {}).get("kmsKeyId")
            return (
                _kms(key) if key else "AWS owned key"
            ), "execution history 90 days after each execution closes"
        case _:
            return "the collection's encryption policy", "until deleted"


# How the stack's ``erasure`` output names each kind of store the erasure reaches (what
# ``ErasureTargets`` reads): a table by name, a bucket by name, a domain or collection by its
# endpoint, a cluster or state machine by ARN. Other kinds it never names.
_ERASURE_IDENTIFIERS: Final[Mapping[str, tuple[str, ...]]] = {
    "aws:dynamodb/table:Table": ("name",),
    "aws:s3/bucket:Bucket": ("bucket",),
    "aws:opensearch/domain:Domain": ("endpoint",),
    "aws:opensearch/serverlessCollection:ServerlessCollection": ("collectionEndpoint",),
    "aws:rds/cluster:Cluster": ("arn",),
    "aws:sfn/stateMachine:StateMachine": ("arn",),
}


def _identifiers(resource: ResourceLike) -> set[str]:
    outputs = _outputs(resource)
    return {str(outputs[key]) for key in _ERASURE_IDENTIFIERS.get(resource.type, ()) if outputs.get(key)}


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _names(text: str, identifier: str) -> bool:
    # An endpoint may be given as a URL (https://<endpoint>); anything else must match whole.
    return text == identifier or text.removeprefix("https://").rstrip("/") == identifier


def stores(resources: Sequence[ResourceLike], erasure: Mapping[str, Any]) -> list[Store]:
    """Every store the program creates, with its encryption, retention, and whether the stack's
    ``erasure`` output (what ``make erase-tenant`` reads) names it."""
    named = set(_strings(erasure))
    found = []
    for resource in resources:
        kind = STORE_KINDS.get(resource.type)
        if kind is None:
            continue
        key, retention = _describe(resource, resources)
        identifiers = _identifiers(resource)
        if not any(_names(text, identifier) for text in named for identifier in identifiers):
            erasure_note = _NOT_ERASED.get(resource.type, "not erased")
        elif resource.type == STATE_MACHINE:
            erasure_note = _STATE_MACHINE_ERASED
        else:
            erasure_note = "erased by make erase-tenant"
        found.append(Store(kind, resource.name, key, retention, erasure_note))
    return sorted(found, key=lambda store: (store.kind, store.name))
