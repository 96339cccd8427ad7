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
from typing import Any, Final, Protocol

from aws_lambda_powertools.utilities.feature_flags.exceptions import SchemaValidationError
from aws_lambda_powertools.utilities.feature_flags.schema import SchemaValidator

from governed_assistant.infra import invariants_catalog as catalog
from governed_assistant.infra.conversation import API_POLICY_NAME
from governed_assistant.infra.retrieval import EMBEDDING_MODEL_ID
from governed_assistant.infra.steps import (
    OPTIONAL_GRANTS,
    STEP_POLICY_PREFIX,
    STEP_TAG,
    STEPS,
    Grant,
    step_grants,
)
from governed_assistant.infra.tenant_data import TENANT_DATA_POLICY_NAME
from governed_assistant.runtime.identity.constants import TENANT_ID_PATTERN
from governed_assistant.runtime.jobs.constants import KEY_SEPARATOR
from governed_assistant.spec.model import KMS_KEY_CREATE, KMS_KEY_NONE, AssistantSpec
from governed_assistant.wire import CONSOLE_ROUTES, NOTICE_TENANT_ATTRIBUTE, TENANT_SESSION_TAG

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
    """``Resource: "*"`` only for actions AWS authorizes on nothing narrower (the catalog's allow-list),
    and in a KMS key policy, where it means that key."""
    statements, problems = _statements(resource_type, name, inputs)
    # In a key policy, Resource "*" is the key itself (a key policy can name no other resource).
    is_key_policy = resource_type == catalog.KEY
    for statement in filter(_allows, statements):
        if "NotResource" in statement:
            problems.append(
                f"{resource_type} {name!r}: {_label(statement)} uses NotResource; list the resources instead"
            )
        if is_key_policy or "*" not in _as_list(statement.get("Resource")):
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
    ``OPTIONAL_GRANTS``: Firehose for decision events, the stack's key); its role trusts Lambda."""
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
    expected = {grant.sid: grant for grant in step_grants(step, telemetry=True, key=True)}
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


# ---------------------------------------------------------------------- confused deputy

_ACCOUNT = re.compile(r"^\d{12}$")
_REGIONAL_PRINCIPAL = re.compile(r"^(?P<service>[a-z0-9-]+)\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com$")
# Operators that must match: an ``...IfExists`` one lets a request without the key through.
_SOURCE_ARN_OPERATORS = ("ArnLike", "ArnEquals", "StringLike", "StringEquals")


def _global_principal(service: str) -> str:
    """``logs.us-east-1.amazonaws.com`` -> ``logs.amazonaws.com``: the catalog keys both alike."""
    match = _REGIONAL_PRINCIPAL.match(service)
    return f"{match['service']}.amazonaws.com" if match else service


def _values(condition: Any, operator: str, key: str) -> list[str]:
    """The values ``condition[operator][key]`` holds (none when any level is missing)."""
    block = condition.get(operator) if isinstance(condition, Mapping) else None
    return [str(value) for value in _as_list(block.get(key))] if isinstance(block, Mapping) else []


def _source_problems(service: str, condition: Any, *, as_permission: bool = False) -> list[str]:
    """What a grant to ``service`` lacks to be pinned to this account and, where AWS documents
    ``aws:SourceArn`` for the service, to the resources it acts for; each says how to fix it."""
    account_fix, arn_fix = (
        ("set source_account to the account id", "set source_arn to the resource's ARN")
        if as_permission
        else (
            'add "Condition": {"StringEquals": {"aws:SourceAccount": <the account id>}}',
            'add "Condition": {"ArnLike": {"aws:SourceArn": <the resource\'s ARN>}}',
        )
    )
    problems: list[str] = []
    # A service that names the account another way (Firehose: sts:ExternalId) is held to that key.
    account_key = catalog.ACCOUNT_CONDITION_KEYS.get(_global_principal(service), "aws:SourceAccount")
    if account_key != "aws:SourceAccount" and not as_permission:
        account_fix = f'add "Condition": {{"StringEquals": {{"{account_key}": <the account id>}}}}'
    accounts = _values(condition, "StringEquals", account_key)
    account = accounts[0] if len(accounts) == 1 else None
    if account is None or not _ACCOUNT.match(account):
        # Reported once: the ARN's account is compared with a valid aws:SourceAccount only.
        problems.append(
            f"lets {service} in without {account_key} naming one 12-digit account "
            f"(has {accounts or 'none'}); {account_fix}"
        )
    arns = [
        value for operator in _SOURCE_ARN_OPERATORS for value in _values(condition, operator, "aws:SourceArn")
    ]
    arn_service = catalog.SOURCE_ARN_SERVICES.get(_global_principal(service))
    if arn_service and not arns:
        problems.append(
            f"lets {service} in without aws:SourceArn (AWS documents it for {service}); "
            f"{arn_fix} (arn:<partition>:{arn_service}:<region>:<account>:...)"
        )
    for arn in arns:
        parts = arn.split(":", 5)
        if len(parts) < 6 or parts[0] != "arn" or (arn_service is not None and parts[2] != arn_service):
            problems.append(
                f"lets {service} in for aws:SourceArn {arn!r}, not an ARN of {arn_service or 'a resource'}; "
                "name the resource it acts for"
            )
        elif account is not None and _ACCOUNT.match(account) and parts[4] != account:
            problems.append(
                f"lets {service} in for aws:SourceArn {arn!r}, whose account is not the aws:SourceAccount "
                f"{account!r}; name this account in the ARN, without wildcards"
            )
    return problems


def _trust_problems(resource_type: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
    statements, problems = _statements(resource_type, name, inputs)
    for statement in filter(_allows, statements):
        principal = statement.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, Mapping) else []
        for service in map(str, services):
            if resource_type == catalog.ROLE and service in catalog.NO_SOURCE_CONTEXT_SERVICES:
                continue
            problems += [
                f"{resource_type} {name!r}: {_label(statement)} {problem}"
                for problem in _source_problems(service, statement.get("Condition"))
            ]
    return problems


def _permission_problems(name: str, inputs: Mapping[str, Any]) -> list[str]:
    principal = str(inputs.get("principal") or "")
    if not principal.endswith(".amazonaws.com"):
        return []
    # A permission's source_account and source_arn become these conditions of the function's policy.
    condition = {
        "StringEquals": {"aws:SourceAccount": inputs.get("sourceAccount")},
        "ArnLike": {"aws:SourceArn": inputs.get("sourceArn")},
    }
    return [
        f"{catalog.LAMBDA_PERMISSION} {name!r}: {problem}"
        for problem in _source_problems(principal, condition, as_permission=True)
    ]


def service_roles_name_their_source(resource_type: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
    """Every role, resource policy and Lambda permission that lets an AWS service in names the account
    it acts for (``aws:SourceAccount``) and, where AWS documents it, the resource (``aws:SourceArn``)."""
    if resource_type == catalog.LAMBDA_PERMISSION:
        return _permission_problems(name, inputs)
    # Key policies grant services under KMS's own conditions (kms:ViaService, encryption
    # context); the KMS work checks those.
    if resource_type == catalog.KMS_KEY or resource_type not in catalog.POLICY_PROPERTIES:
        return []
    return _trust_problems(resource_type, name, inputs)


# ---------------------------------------------------------------------- tenant isolation


REQUEST_COUNTER_SID: Final = "RequestCounters"


def tenant_rows_only_by_leading_keys(resource_type: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
    """The request path reaches tables only as one tenant: the tenant data role's every DynamoDB grant
    requires each partition key to start with ``${aws:PrincipalTag/tenantId}#``; the API holds none."""
    if resource_type != catalog.ROLE_POLICY:
        return []
    policy_name = str(inputs.get("name") or "")
    statements, problems = _statements(resource_type, name, inputs)
    if policy_name == API_POLICY_NAME:
        for statement in filter(_allows, statements):
            actions = list(map(str, _as_list(statement.get("Action"))))
            direct = [action for action in actions if action.lower().startswith("dynamodb:")]
            # The one exception: the request counter's atomic ADD (a count per tenant and minute, no
            # tenant data), counted before the tenant's session exists. UpdateItem alone, one table.
            counter = (
                statement.get("Sid") == REQUEST_COUNTER_SID
                and actions == ["dynamodb:UpdateItem"]
                and len(_as_list(statement.get("Resource"))) == 1
            )
            if direct and not counter:
                problems.append(
                    f"{resource_type} {name!r}: {_label(statement)} gives the API function {direct} "
                    f"directly; grant them to the tenant data role ({TENANT_DATA_POLICY_NAME!r}) "
                    "under dynamodb:LeadingKeys"
                )
        return problems
    if policy_name != TENANT_DATA_POLICY_NAME:
        return problems
    # Built here from the two contracts it joins (the session tag the runtime sets, the key
    # layout the stores write), not read from the role's builder.
    expected = {
        "ForAllValues:StringLike": {
            "dynamodb:LeadingKeys": [f"${{aws:PrincipalTag/{TENANT_SESSION_TAG}}}{KEY_SEPARATOR}*"]
        },
        "Null": {"dynamodb:LeadingKeys": "false"},
    }
    for statement in filter(_allows, statements):
        actions = sorted(map(str, _as_list(statement.get("Action"))))
        unkeyed = [action for action in actions if action not in catalog.KEYED_DYNAMODB_ACTIONS]
        if unkeyed or not actions:
            problems.append(
                f"{resource_type} {name!r}: {_label(statement)} allows {unkeyed or actions}, which may "
                "name no partition key (ForAllValues then matches anything); "
                f"allow only {sorted(catalog.KEYED_DYNAMODB_ACTIONS)}"
            )
        condition = statement.get("Condition")
        for operator, keys in expected.items():
            found = condition.get(operator) if isinstance(condition, Mapping) else None
            if found != keys:
                problems.append(
                    f"{resource_type} {name!r}: {_label(statement)} has {operator} {found!r}, not {keys!r}; "
                    "every tenant data grant must hold each partition key to the session's tenant prefix"
                )
    return problems


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


# ``bedrock:GuardrailIdentifier``'s value: a guardrail's ARN and a version (a number, or DRAFT).
_GUARDRAIL_IDENTIFIER = re.compile(r"^arn:[a-z-]+:bedrock:[a-z0-9-]+:\d{12}:guardrail/[^:/]+:(?:\d+|DRAFT)$")


def model_calls_carry_the_guardrail(
    resource_type: str, name: str, inputs: Mapping[str, Any], *, embedding_model_id: str = EMBEDDING_MODEL_ID
) -> list[str]:
    """Every grant to invoke a model other than the embedding model (which takes no guardrail) holds
    only when the call carries one guardrail version: ``StringEquals`` on ``bedrock:GuardrailIdentifier``."""
    statements, problems = _statements(resource_type, name, inputs)
    for statement in filter(_allows, statements):
        if not catalog.BEDROCK_INVOKE_ACTIONS & set(map(str, _as_list(statement.get("Action")))):
            continue
        resources = list(map(str, _as_list(statement.get("Resource"))))
        if resources and all(model_allows(resource, embedding_model_id) for resource in resources):
            continue
        equals = (statement.get("Condition") or {}).get("StringEquals") or {}
        guardrails = _as_list(equals.get("bedrock:GuardrailIdentifier"))
        if len(guardrails) != 1 or not _GUARDRAIL_IDENTIFIER.match(str(guardrails[0])):
            problems.append(
                f"{resource_type} {name!r}: {_label(statement)} invokes a model without requiring the "
                f"guardrail (found {guardrails or 'none'}); add Condition StringEquals "
                "bedrock:GuardrailIdentifier '<guardrail ARN>:<version>' (see model_invoke_statements)"
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


def approval_subscriptions_name_one_tenant(
    resource_type: str, name: str, inputs: Mapping[str, Any]
) -> list[str]:
    """Every SNS subscription filters on message attributes for exactly one tenant, by exact match."""
    # The approval topic is the only topic the stack creates (the alarms notify topics the owner
    # brings), and it carries every tenant's requests: a subscription that lets through more than
    # one tenantId - no filter, a second value, a prefix, anything-but, exists - crosses tenants.
    if resource_type != catalog.TOPIC_SUBSCRIPTION:
        return []
    where = f"{resource_type} {name!r}"
    fix = f'set filter_policy to {{"{NOTICE_TENANT_ATTRIBUTE}": ["<tenant>"]}}'
    problems = []
    if inputs.get("filterPolicyScope") != "MessageAttributes":
        problems.append(
            f"{where}: filter policy scope is {inputs.get('filterPolicyScope')!r}; the tenant is a message "
            "attribute, set filter_policy_scope='MessageAttributes'"
        )
    raw = inputs.get("filterPolicy")
    try:
        policy = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as error:
        return [*problems, f"{where}: filter policy is not valid JSON ({error.msg}); {fix}"]
    values = policy.get(NOTICE_TENANT_ATTRIBUTE) if isinstance(policy, Mapping) else None
    exact = (
        isinstance(policy, Mapping)
        and set(policy) == {NOTICE_TENANT_ATTRIBUTE}
        and isinstance(values, list)
        and len(values) == 1
        and isinstance(values[0], str)
        and TENANT_ID_PATTERN.fullmatch(values[0]) is not None
    )
    if not exact:
        problems.append(
            f"{where}: filter policy {raw!r} does not name exactly one tenant; it would hear of other "
            f"tenants' approval requests - {fix}"
        )
    return problems


# ---------------------------------------------------------------------- the stack's key

# A KMS key by its ARN: an alias (alias/aws/sns) or an AWS-owned key would not be the stack's key.
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-zA-Z-]+$")


def _at(inputs: Mapping[str, Any], path: Sequence[str]) -> Any:
    value: Any = inputs
    for part in path:
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _named_keys(resource_type: str, inputs: Mapping[str, Any]) -> tuple[list[tuple[str, Any]], list[str]]:
    """Where a store names its key and what it names there, and what it says that keeps it off the key."""
    if resource_type == catalog.BUCKET_ENCRYPTION:
        named, off = [], []
        for index, rule in enumerate(_as_list(inputs.get("rules"))):
            default = _at(rule, ("applyServerSideEncryptionByDefault",)) or {}
            where = f"rules[{index}].applyServerSideEncryptionByDefault"
            named.append((f"{where}.kmsMasterKeyId", default.get("kmsMasterKeyId")))
            if default.get("sseAlgorithm") != "aws:kms":
                off.append(f"{where}.sseAlgorithm is {default.get('sseAlgorithm')!r}, not 'aws:kms'")
            if _at(rule, ("bucketKeyEnabled",)) is not True:
                off.append(f"rules[{index}].bucketKeyEnabled is off (every object would call KMS)")
        return (named or [("rules", None)]), off
    if resource_type == catalog.SERVERLESS_SECURITY_POLICY:
        if inputs.get("type") != "encryption":
            return [], []
        try:
            document = json.loads(str(inputs.get("policy")))
        except json.JSONDecodeError:
            return [("policy.KmsARN", None)], ["the policy is not valid JSON"]
        document = document if isinstance(document, Mapping) else {}
        off = ["policy.AWSOwnedKey is true"] if document.get("AWSOwnedKey") is not False else []
        return [("policy.KmsARN", document.get("KmsARN"))], off
    named = [(".".join(path), _at(inputs, path)) for path in catalog.KEY_PATHS.get(resource_type, ())]
    off = [
        f"{'.'.join(path)} is {_at(inputs, path)!r}, not {wanted!r}"
        for path, wanted in catalog.KEY_COMPANIONS.get(resource_type, {}).items()
        if _at(inputs, path) != wanted
    ]
    return named, off


def stores_use_the_key(
    resource_type: str, name: str, inputs: Mapping[str, Any], *, kms_key: str
) -> list[str]:
    """With ``kms_key`` set, every store, log group, queue, topic, stream, secret and function names the
    stack's key (the spec's ARN, or with ``create`` the key the stack creates)."""
    if kms_key == KMS_KEY_NONE:
        return []
    named, off = _named_keys(resource_type, inputs)
    expected = "the key assistant.yaml's kms_key names" if kms_key == KMS_KEY_CREATE else repr(kms_key)
    problems = [
        f"{resource_type} {name!r}: {where} is {value!r}, not {expected}; encrypt it with the stack's key "
        "(the layer's kms_key_arn)"
        for where, value in named
        if not (isinstance(value, str) and _KEY_ARN.fullmatch(value))
        or (kms_key != KMS_KEY_CREATE and value != kms_key)
    ]
    problems += [
        f"{resource_type} {name!r}: {problem}; with kms_key set it must use the stack's key"
        for problem in off
    ]
    return problems


def stores_share_one_key(resources: Iterable[ResourceLike]) -> list[str]:
    """Stack-wide: every store that names a KMS key names the same one (with ``create``, the stack's)."""
    users: dict[str, list[str]] = {}
    for resource in resources:
        named, _ = _named_keys(resource.type, resource.inputs)
        for _where, value in named:
            if isinstance(value, str) and _KEY_ARN.fullmatch(value):
                users.setdefault(value, []).append(resource.name)
    if len(users) < 2:
        return []
    listed = "; ".join(f"{key}: {sorted(names)[:3]}" for key, names in sorted(users.items()))
    return [
        f"the stack's stores name {len(users)} different keys ({listed}); they must all use the stack's key"
    ]


# ---------------------------------------------------------------------- network: vpc


def _ingress_from_anywhere(resource_type: str, inputs: Mapping[str, Any]) -> list[str]:
    """The address ranges meaning "anywhere" that a group, or a rule of its own, lets in."""
    if resource_type == catalog.SECURITY_GROUP:
        rules = [rule for rule in _as_list(inputs.get("ingress")) if isinstance(rule, Mapping)]
        return sorted(
            {
                str(cidr)
                for rule in rules
                for cidr in (*_as_list(rule.get("cidrBlocks")), *_as_list(rule.get("ipv6CidrBlocks")))
                if cidr in catalog.ANYWHERE
            }
        )
    if resource_type == catalog.INGRESS_RULE:
        return sorted(
            {str(inputs.get(k)) for k in ("cidrIpv4", "cidrIpv6") if inputs.get(k) in catalog.ANYWHERE}
        )
    if resource_type == catalog.GROUP_RULE and inputs.get("type") == "ingress":
        cidrs = (*_as_list(inputs.get("cidrBlocks")), *_as_list(inputs.get("ipv6CidrBlocks")))
        return sorted({str(cidr) for cidr in cidrs if cidr in catalog.ANYWHERE})
    return []


def _network_policy_problems(name: str, inputs: Mapping[str, Any]) -> list[str]:
    label = f"{catalog.SECURITY_POLICY} {name!r}"
    try:
        rules = json.loads(str(inputs.get("policy")))
    except json.JSONDecodeError as error:
        return [f"{label}: the network policy is not valid JSON ({error.msg}); fix the document"]
    problems = []
    for rule in _as_list(rules):
        if not isinstance(rule, Mapping):
            problems.append(f"{label}: each network rule must be a JSON object; fix the document")
        elif rule.get("AllowFromPublic") is not False:
            problems.append(
                f"{label}: AllowFromPublic is {rule.get('AllowFromPublic')!r}; set it false and let in "
                "only the collection's VPC endpoint (SourceVPCEs)"
            )
        elif not rule.get("SourceVPCEs"):
            problems.append(f"{label}: no SourceVPCEs; name the collection's VPC endpoint")
    return problems


def nothing_public_in_vpc_mode(
    resource_type: str, name: str, inputs: Mapping[str, Any], *, spec: AssistantSpec
) -> list[str]:
    """With ``network: vpc``, nothing is reachable from the internet and nothing reaches AWS around the VPC:
    every function and the search domain are in it, the collection lets in only its VPC endpoint, no group
    lets in 0.0.0.0/0, no subnet gives public addresses, no gateway leads out."""
    if spec.network != "vpc":
        return []
    label = f"{resource_type} {name!r}"
    if resource_type == catalog.FUNCTION:
        vpc = inputs.get("vpcConfig")
        if not isinstance(vpc, Mapping) or not vpc.get("subnetIds") or not vpc.get("securityGroupIds"):
            return [
                f"{label}: runs outside the VPC; give it vpc_config (private subnets, the functions' group)"
            ]
    if resource_type == catalog.DOMAIN:
        vpc = inputs.get("vpcOptions")
        if not isinstance(vpc, Mapping) or not vpc.get("subnetIds"):
            return [
                f"{label}: has a public endpoint; give it vpc_options (private subnets, the services' group)"
            ]
    if resource_type == catalog.DELIVERY_STREAM:
        destination = inputs.get("opensearchConfiguration")
        if isinstance(destination, Mapping) and not destination.get("vpcConfig"):
            return [
                f"{label}: delivers to the domain's public endpoint; give opensearch_configuration vpc_config"
            ]
    if resource_type == catalog.SECURITY_POLICY and inputs.get("type") == "network":
        return _network_policy_problems(name, inputs)
    if wide := _ingress_from_anywhere(resource_type, inputs):
        return [f"{label}: lets in {wide}; allow ingress from the functions' security group only"]
    if resource_type == catalog.SUBNET and inputs.get("mapPublicIpOnLaunch") is True:
        return [f"{label}: gives public IP addresses; set map_public_ip_on_launch false"]
    if resource_type == catalog.DB_INSTANCE and inputs.get("publiclyAccessible") is True:
        return [f"{label}: is publicly accessible; set publicly_accessible false"]
    if resource_type in catalog.INTERNET_PATHS:
        return [
            f"{label}: leads to the internet; network: vpc reaches AWS through VPC endpoints only, remove it"
        ]
    return []


def async_targets_have_dead_letters(resource_type: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
    """Every asynchronous delivery (EventBridge target, SNS subscription, async invoke config) has a
    dead-letter queue, so nothing is dropped silently after the retries."""
    if resource_type == catalog.EVENT_TARGET and not (inputs.get("deadLetterConfig") or {}).get("arn"):
        return [
            f"{resource_type} {name!r}: no dead-letter queue; set dead_letter_config "
            "(governed_assistant.infra.dead_letters.dead_letter_queue)"
        ]
    if resource_type == catalog.TOPIC_SUBSCRIPTION and not inputs.get("redrivePolicy"):
        return [f"{resource_type} {name!r}: no dead-letter queue; set redrive_policy to a queue"]
    if resource_type == catalog.EVENT_INVOKE_CONFIG and not _on_failure(inputs):
        return [
            f"{resource_type} {name!r}: failed invocations go nowhere; set "
            "destination_config.on_failure to a dead-letter queue"
        ]
    return []


def _on_failure(inputs: Mapping[str, Any]) -> Any:
    return ((inputs.get("destinationConfig") or {}).get("onFailure") or {}).get("destination")


def async_functions_have_dead_letters(resources: Iterable[ResourceLike]) -> list[str]:
    """Stack-wide: a function another service invokes asynchronously (EventBridge, SNS, S3...) sends
    what it failed on to a dead-letter queue (an on-failure destination, or its dead_letter_config)."""
    listed = list(resources)
    covered = {
        resource.inputs.get("functionName")
        for resource in listed
        if resource.type == catalog.EVENT_INVOKE_CONFIG and _on_failure(resource.inputs)
    } | {
        resource.inputs.get("name")
        for resource in listed
        if resource.type == catalog.FUNCTION
        and (resource.inputs.get("deadLetterConfig") or {}).get("targetArn")
    }
    problems = []
    for resource in listed:
        function = resource.inputs.get("function")
        if (
            resource.type == catalog.PERMISSION
            and resource.inputs.get("principal") in catalog.ASYNC_INVOKERS
            # Unknown until the function exists (a first preview); the deploy's check sees it.
            and isinstance(function, str)
            and function not in covered
        ):
            problems.append(
                f"{catalog.FUNCTION} {function!r}: invoked asynchronously by {resource.inputs['principal']} "
                f"(permission {resource.name!r}) but its failures go nowhere; add a "
                "FunctionEventInvokeConfig with destination_config.on_failure to a dead-letter queue"
            )
    return problems


# ---------------------------------------------------------------------- all together


def resource_checks(spec: AssistantSpec) -> dict[str, ResourceCheck]:
    """Every per-resource invariant, by name, with the spec's values bound where one needs them."""
    return {
        "no-wildcard-actions": no_wildcard_actions,
        "wildcard-resources-justified": wildcard_resources_justified,
        "step-roles-match-grants": step_roles_match_grants,
        "bedrock-invoke-limited": partial(bedrock_invoke_limited, model_ids=invocable_models(spec)),
        "model-calls-carry-the-guardrail": model_calls_carry_the_guardrail,
        "routes-have-jwt-authorizer": routes_have_jwt_authorizer,
        "tables-encrypted-and-recoverable": tables_encrypted_and_recoverable,
        "state-machine-logs-events-without-data": state_machine_logs_events_without_data,
        "guardrail-matches-spec": partial(guardrail_matches_spec, spec=spec),
        "feature-flags-valid": feature_flags_valid,
        "log-groups-retained": partial(log_groups_retained, days=spec.observability.retention_days),
        "topics-encrypted": topics_encrypted,
        "approval-subscriptions-name-one-tenant": approval_subscriptions_name_one_tenant,
        "stores-use-the-key": partial(stores_use_the_key, kms_key=spec.kms_key),
        "nothing-public-in-vpc-mode": partial(nothing_public_in_vpc_mode, spec=spec),
        "async-targets-have-dead-letters": async_targets_have_dead_letters,
        "service-roles-name-their-source": service_roles_name_their_source,
        "tenant-rows-only-by-leading-keys": tenant_rows_only_by_leading_keys,
    }


def stack_checks() -> dict[str, Callable[[Iterable[ResourceLike]], list[str]]]:
    """Every stack-wide invariant, by name (the policy pack registers one stack policy each)."""
    return {
        "every-step-has-one-policy": every_step_has_one_policy,
        "stores-share-one-key": stores_share_one_key,
        "async-functions-have-dead-letters": async_functions_have_dead_letters,
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
    return violations + [violation for check in stack_checks().values() for violation in check(resources)]
