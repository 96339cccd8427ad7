"""Governance invariants: plain functions over a registered resource's type, name and inputs.

Each check returns a list of violations (empty when the resource complies), each naming
the resource and saying how to fix it. They read inputs as the Pulumi engine sees them
(camelCase property names, policy documents as JSON strings), so the same functions run
over ``governed_assistant.infra.testing.MockRun.resources`` in tests and over ``args.props`` in
the CrossGuard policy pack (``policypack/``) on every ``pulumi preview`` and ``pulumi up``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, Protocol

from aws_lambda_powertools.utilities.feature_flags.exceptions import SchemaValidationError
from aws_lambda_powertools.utilities.feature_flags.schema import SchemaValidator

from governed_assistant.infra import invariants_catalog as catalog
from governed_assistant.infra.retrieval import EMBEDDING_MODEL_ID
from governed_assistant.infra.steps import (
    OPTIONAL_GRANTS,
    STEP_POLICY_PREFIX,
    STEP_TAG,
    STEPS,
    Grant,
    step_grants,
)
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import CONSOLE_ROUTES

ResourceCheck = Callable[[str, str, Mapping[str, Any]], list[str]]
"""A check of one resource: ``(type, name, inputs) -> violations``."""


class ResourceLike(Protocol):
    """What the stack-wide checks read: ``MockRun`` resources satisfy it as they are."""

    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def inputs(self) -> Mapping[str, Any]: ...


# ---------------------------------------------------------------------- policy documents


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | Mapping):
        return [value]
    return list(value)


def _statements(
    resource_type: str, name: str, inputs: Mapping[str, Any]
) -> tuple[list[Mapping[str, Any]], list[str]]:
    """The statements of every policy document the resource carries, and parse problems."""
    statements: list[Mapping[str, Any]] = []
    problems: list[str] = []
    for prop in catalog.POLICY_PROPERTIES.get(resource_type, ()):
        document = inputs.get(prop)
        if document is None:
            continue
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except json.JSONDecodeError as error:
                problems.append(
                    f"{resource_type} {name!r}: {prop} is not valid JSON ({error.msg}); fix the document"
                )
                continue
        if not isinstance(document, Mapping):
            problems.append(f"{resource_type} {name!r}: {prop} must be a JSON object with a Statement list")
            continue
        statements += [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping)]
    return statements, problems


def _allows(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Allow"


def _label(statement: Mapping[str, Any]) -> str:
    return f"statement {statement['Sid']!r}" if statement.get("Sid") else "a statement"


def no_wildcard_actions(resource_type: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
    """No Allow statement grants ``*`` or ``service:*``, or everything but a list (``NotAction``)."""
    statements, problems = _statements(resource_type, name, inputs)
    for statement in filter(_allows, statements):
        wild = [
            action
            for action in _as_list(statement.get("Action"))
            if action == "*" or str(action).endswith(":*")
        ]
        if wild:
            problems.append(
                f"{resource_type} {name!r}: {_label(statement)} allows {wild}; name the actions it needs"
            )
        if "NotAction" in statement:
            problems.append(
                f"{resource_type} {name!r}: {_label(statement)} allows NotAction (everything but a list); "
                "list the allowed actions instead"
            )
    return problems


def wildcard_resources_justified(resource_type: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
    """``Resource: "*"`` only for actions AWS authorizes on nothing narrower (the catalog's allow-list)."""
    statements, problems = _statements(resource_type, name, inputs)
    for statement in filter(_allows, statements):
        if "NotResource" in statement:
            problems.append(
                f"{resource_type} {name!r}: {_label(statement)} uses NotResource; list the resources instead"
            )
        if "*" not in _as_list(statement.get("Resource")):
            continue
        unjustified = sorted(
            str(action)
            for action in _as_list(statement.get("Action"))
            if action not in catalog.WILDCARD_RESOURCE_ACTIONS
        )
        if unjustified:
            problems.append(
                f"{resource_type} {name!r}: {_label(statement)} allows {unjustified} on Resource '*'; "
                "scope them to the ARNs they need (only actions without resource types may use '*')"
            )
    return problems


# ---------------------------------------------------------------------- step roles


def _grant_resource_problem(grant: Grant, resource: str) -> str | None:
    if grant.resource == "*":
        return None if resource == "*" else f"{resource!r} where AWS expects '*'"
    if grant.resource == "own_log_group":
        group = resource.removesuffix(":*")
        if group == resource or "*" in group or group.endswith(":log-group"):
            return f"{resource!r}, wider than own_log_group (one group's streams: <log group arn>:*)"
        return None
    if "*" in resource:
        return f"{resource!r}, wider than {grant.resource}"
    parts = resource.split(":")
    service = catalog.GRANT_RESOURCE_SERVICES[grant.resource]
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != service:
        return f"{resource!r}, which is not a {service} ARN (the {grant.resource})"
    return None


def step_roles_match_grants(resource_type: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
    """A step's policy is exactly its row of ``STEP_GRANTS`` plus logs and traces (and, optionally,
    ``OPTIONAL_GRANTS``: Firehose for decision events); its role trusts Lambda."""
    if resource_type == catalog.ROLE:
        tags = inputs.get("tags") or {}
        if STEP_TAG not in tags:
            return []
        statements, problems = _statements(resource_type, name, inputs)
        for statement in statements:
            principal = statement.get("Principal")
            services = _as_list(principal.get("Service")) if isinstance(principal, Mapping) else []
            if services != ["lambda.amazonaws.com"] or set(principal or {}) != {"Service"}:
                problems.append(
                    f"{resource_type} {name!r}: step {tags[STEP_TAG]!r}'s role must trust only "
                    f"lambda.amazonaws.com, not {principal!r}"
                )
        return problems
    policy_name = str(inputs.get("name") or "")
    if resource_type != catalog.ROLE_POLICY or not policy_name.startswith(STEP_POLICY_PREFIX):
        return []
    step = policy_name.removeprefix(STEP_POLICY_PREFIX)
    if step not in STEPS:
        return [f"{resource_type} {name!r}: {policy_name!r} names no step; steps are {list(STEPS)}"]
    expected = {grant.sid: grant for grant in step_grants(step, telemetry=True)}
    optional = {grant.sid for grant in OPTIONAL_GRANTS}
    statements, problems = _statements(resource_type, name, inputs)
    seen: set[str] = set()
    for statement in statements:
        sid = str(statement.get("Sid", ""))
        grant = expected.get(sid)
        if (
            grant is None
            or statement.get("Effect") != grant.effect
            or set(statement) - {"Sid", "Effect", "Action", "Resource"}
        ):
            problems.append(
                f"{resource_type} {name!r}: {_label(statement)} is not in step {step!r}'s grants "
                f"{sorted(expected)}; remove it or add it to STEP_GRANTS with its reason"
            )
            continue
        seen.add(sid)
        actions = sorted(map(str, _as_list(statement.get("Action"))))
        if actions != sorted(grant.actions):
            verb = "allows" if grant.effect == "Allow" else "denies"
            problems.append(
                f"{resource_type} {name!r}: {sid} {verb} {actions}, "
                f"step {step!r}'s grant {verb} {sorted(grant.actions)}"
            )
        for resource in map(str, _as_list(statement.get("Resource"))):
            problem = _grant_resource_problem(grant, resource)
            if problem:
                problems.append(f"{resource_type} {name!r}: {sid} on {problem}")
    missing = sorted(set(expected) - seen - optional)
    if missing:
        problems.append(f"{resource_type} {name!r}: step {step!r} lacks its grants {missing}")
    return problems


def every_step_has_one_policy(resources: Iterable[ResourceLike]) -> list[str]:
    """Stack-wide: once any step policy exists, each step has exactly one."""
    counts = dict.fromkeys(STEPS, 0)
    for resource in resources:
        policy_name = str(resource.inputs.get("name") or "")
        step = policy_name.removeprefix(STEP_POLICY_PREFIX)
        if (
            resource.type == catalog.ROLE_POLICY
            and policy_name.startswith(STEP_POLICY_PREFIX)
            and step in counts
        ):
            counts[step] += 1
    if not any(counts.values()):
        return []
    return [
        f"step {step!r} has {count} policies named {STEP_POLICY_PREFIX + step!r}; it needs exactly one"
        for step, count in counts.items()
        if count != 1
    ]


# ---------------------------------------------------------------------- Bedrock models

_MODEL_ARN = re.compile(
    r"^arn:aws[a-z-]*:bedrock:[a-z0-9*-]*:(\d{12})?:"
    r"(?P<kind>foundation-model|inference-profile|application-inference-profile)/(?P<id>[\w.:-]+)$"
)
_GEO_PREFIX = re.compile(r"^(?:[a-z]{2,4}|global|us-gov)\.(?=[a-z0-9-]+\.)")


def model_allows(resource: str, model_id: str) -> bool:
    """Whether ``resource`` is ``model_id``: its ARN, its inference profile, or the model behind it."""
    if resource == model_id:
        return model_id.startswith("arn:")
    match = _MODEL_ARN.match(resource)
    if match is None:
        return False
    # A system inference profile given by ARN routes to the foundation model its id names.
    profile = _MODEL_ARN.match(model_id)
    if profile is not None and profile["kind"] == "inference-profile":
        model_id = profile["id"]
    if match["kind"] == "foundation-model":
        return match["id"] == _GEO_PREFIX.sub("", model_id)
    return match["kind"] == "inference-profile" and match["id"] == model_id


def invocable_models(spec: AssistantSpec, embedding_model_id: str = EMBEDDING_MODEL_ID) -> tuple[str, ...]:
    """The models a stack built from ``spec`` may invoke: its ``model_id``, and the embedding model
    when retrieval is on (the vector stores embed every query; the knowledge base embeds documents)."""
    if spec.retrieval.backend == "none":
        return (spec.model_id,)
    return (spec.model_id, embedding_model_id)


def bedrock_invoke_limited(
    resource_type: str, name: str, inputs: Mapping[str, Any], *, model_ids: Collection[str]
) -> list[str]:
    """Statements that invoke Bedrock models name only the spec's model (and its inference profile)."""
    statements, problems = _statements(resource_type, name, inputs)
    for statement in filter(_allows, statements):
        if not catalog.BEDROCK_INVOKE_ACTIONS & set(map(str, _as_list(statement.get("Action")))):
            continue
        others = [
            resource
            for resource in map(str, _as_list(statement.get("Resource")))
            if not any(model_allows(resource, model_id) for model_id in model_ids)
        ]
        if others:
            problems.append(
                f"{resource_type} {name!r}: {_label(statement)} invokes Bedrock on {others}; "
                f"only the spec's model {sorted(model_ids)} may be invoked"
            )
    return problems


# ---------------------------------------------------------------------- resources by type


def routes_have_jwt_authorizer(resource_type: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
    """Every API route verifies a JWT before anything runs; only the console's static page and script
    (``wire.CONSOLE_ROUTES``, exactly) are open: they hold no data, and the page's calls carry a token."""
    verified = inputs.get("authorizationType") == "JWT" and bool(inputs.get("authorizerId"))
    if resource_type == catalog.HTTP_ROUTE and inputs.get("routeKey") in CONSOLE_ROUTES:
        return []
    if resource_type == catalog.HTTP_ROUTE and not verified:
        return [
            f"{resource_type} {name!r}: route {inputs.get('routeKey')!r} has authorization "
            f"{inputs.get('authorizationType')!r}; attach the JWT authorizer (authorization_type='JWT')"
        ]
    if resource_type == catalog.REST_METHOD and inputs.get("authorization") in (None, "NONE"):
        return [f"{resource_type} {name!r}: method has no authorizer; attach the JWT (Cognito) authorizer"]
    return []


def tables_encrypted_and_recoverable(resource_type: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
    """DynamoDB tables have server-side encryption and point-in-time recovery on."""
    if resource_type != catalog.TABLE:
        return []
    problems = []
    for prop, what in (("serverSideEncryption", "server-side encryption"), ("pointInTimeRecovery", "PITR")):
        setting = inputs.get(prop)
        if not isinstance(setting, Mapping) or setting.get("enabled") is not True:
            problems.append(f"{resource_type} {name!r}: {what} is off; set {prop}.enabled = True")
    return problems


def state_machine_logs_events_without_data(
    resource_type: str, name: str, inputs: Mapping[str, Any]
) -> list[str]:
    """State machines log every event but not its data, and trace with X-Ray."""
    # Execution data would put the approval task token ($$.Task.Token), user messages and
    # unscreened model output in CloudWatch Logs: whoever reads that log group and may call
    # SendTaskSuccess could approve without an approver. Operators read decision events instead.
    if resource_type != catalog.STATE_MACHINE:
        return []
    problems = []
    logging = inputs.get("loggingConfiguration")
    logging = logging if isinstance(logging, Mapping) else {}
    if logging.get("level") != "ALL":
        problems.append(f"{resource_type} {name!r}: logging is {logging.get('level')!r}; set level ALL")
    if logging.get("includeExecutionData") is not False:
        problems.append(
            f"{resource_type} {name!r}: execution data {logging.get('includeExecutionData')!r} would log "
            "task tokens and message text; set includeExecutionData false"
        )
    if not logging.get("logDestination"):
        problems.append(f"{resource_type} {name!r}: logging has no destination log group")
    tracing = inputs.get("tracingConfiguration")
    if not isinstance(tracing, Mapping) or tracing.get("enabled") is not True:
        problems.append(f"{resource_type} {name!r}: X-Ray tracing is off; set tracingConfiguration.enabled")
    return problems


def guardrail_matches_spec(
    resource_type: str, name: str, inputs: Mapping[str, Any], *, spec: AssistantSpec
) -> list[str]:
    """The Bedrock guardrail denies exactly the spec's topics and handles its PII types as it says."""
    if resource_type != catalog.GUARDRAIL:
        return []
    problems = []
    topic_policy = inputs.get("topicPolicyConfig")
    topics = _as_list(topic_policy.get("topicsConfigs")) if isinstance(topic_policy, Mapping) else []
    denied = {(topic.get("name"), topic.get("definition")) for topic in topics if topic.get("type") == "DENY"}
    wanted = {(topic.name, topic.definition) for topic in spec.guardrails.denied_topics}
    if denied != wanted:
        problems.append(
            f"{resource_type} {name!r}: denied topics {sorted(map(str, denied))} differ from the spec's "
            f"{sorted(map(str, wanted))}; rebuild the guardrail from assistant.yaml"
        )
    pii_policy = inputs.get("sensitiveInformationPolicyConfig")
    pii = _as_list(pii_policy.get("piiEntitiesConfigs")) if isinstance(pii_policy, Mapping) else []
    handled = {entity.get("type"): entity.get("action") for entity in pii}
    action = spec.guardrails.pii_action.upper()
    expected = dict.fromkeys(spec.guardrails.pii_entities, action)
    if handled != expected:
        problems.append(
            f"{resource_type} {name!r}: PII handling {handled} differs from the spec's {expected}; "
            "rebuild the guardrail from assistant.yaml"
        )
    return problems


def feature_flags_valid(resource_type: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
    """AppConfig JSON documents validate against Powertools' FeatureFlags schema."""
    if resource_type != catalog.HOSTED_CONFIGURATION or inputs.get("contentType") != "application/json":
        return []
    try:
        document = json.loads(str(inputs.get("content")))
    except json.JSONDecodeError as error:
        return [f"{resource_type} {name!r}: flags are not valid JSON ({error.msg})"]
    try:
        SchemaValidator(document).validate()
    except SchemaValidationError as error:
        return [f"{resource_type} {name!r}: flags fail Powertools' FeatureFlags schema: {error}"]
    return []


def log_groups_retained(resource_type: str, name: str, inputs: Mapping[str, Any], *, days: int) -> list[str]:
    """Every log group keeps events for the spec's retention, no longer and not forever."""
    if resource_type != catalog.LOG_GROUP or inputs.get("retentionInDays") == days:
        return []
    return [
        f"{resource_type} {name!r}: retention is {inputs.get('retentionInDays')!r} days; "
        f"the spec says {days} (observability.retention_days)"
    ]


def topics_encrypted(resource_type: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
    """SNS topics are encrypted with KMS (approval requests carry job details)."""
    if resource_type != catalog.TOPIC or inputs.get("kmsMasterKeyId"):
        return []
    return [f"{resource_type} {name!r}: not encrypted; set kms_master_key_id (e.g. 'alias/aws/sns')"]


# ---------------------------------------------------------------------- all together


def resource_checks(spec: AssistantSpec) -> dict[str, ResourceCheck]:
    """Every per-resource invariant, by name, with the spec's values bound where one needs them."""
    return {
        "no-wildcard-actions": no_wildcard_actions,
        "wildcard-resources-justified": wildcard_resources_justified,
        "step-roles-match-grants": step_roles_match_grants,
        "bedrock-invoke-limited": partial(bedrock_invoke_limited, model_ids=invocable_models(spec)),
        "routes-have-jwt-authorizer": routes_have_jwt_authorizer,
        "tables-encrypted-and-recoverable": tables_encrypted_and_recoverable,
        "state-machine-logs-events-without-data": state_machine_logs_events_without_data,
        "guardrail-matches-spec": partial(guardrail_matches_spec, spec=spec),
        "feature-flags-valid": feature_flags_valid,
        "log-groups-retained": partial(log_groups_retained, days=spec.observability.retention_days),
        "topics-encrypted": topics_encrypted,
    }


def check_resources(resources: Sequence[ResourceLike], spec: AssistantSpec) -> list[str]:
    """Every invariant over every resource, then the stack-wide ones: all violations at once."""
    checks = resource_checks(spec).values()
    violations = [
        violation
        for resource in resources
        for check in checks
        for violation in check(resource.type, resource.name, resource.inputs)
    ]
    return violations + every_step_has_one_policy(resources)
