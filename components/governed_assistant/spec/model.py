"""The assistant spec: what ``assistant.yaml`` may say, and the rules that tie it together.

Field constraints (ranges, patterns, closed sets) live on the fields; rules that span
fields (thresholds in order, roles declared and used, one provider's settings) live in
``cross_field_problems`` so that every problem is reported at once, with its path.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from governed_assistant.runtime.identity.constants import ROLE_NAME_PATTERN
from governed_assistant.spec.models import check_strict_model, region_problem
from governed_assistant.spec.problems import Problem

SPEC_VERSION: Literal[2] = 2

PII_ENTITY_TYPES = (
    "ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER",
    "CA_SOCIAL_INSURANCE_NUMBER", "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY",
    "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL", "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD", "PHONE", "PIN",
    "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER",
    "US_BANK_ROUTING_NUMBER", "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER",
    "US_SOCIAL_SECURITY_NUMBER", "VEHICLE_IDENTIFICATION_NUMBER",
)  # fmt: skip
# CloudWatch Logs accepts only these retention periods.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                  1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip
# Step Functions runs each Lambda task for at most 15 minutes.
MAX_TIMEOUT_SECONDS = 900
# The slug starts every physical name (with the stack and a part); 40 leaves them room.
SLUG_MAX_CHARS = 40

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_STACK = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_TOPIC_NAME = re.compile(r"^[0-9a-zA-Z\-_ !?.]{1,100}$")
_MODEL_ID = re.compile(
    r"^(arn:aws[a-z-]*:bedrock:[a-z0-9-]+:\d{12}:(inference-profile|application-inference-profile)/[\w.:-]+"
    r"|([a-z]{2}\.)?[a-z0-9-]+\.[\w.:-]+)$"
)
_CLAIM = re.compile(r"^[A-Za-z][A-Za-z0-9_:./-]{0,127}$")
# A KMS key ARN in any partition (aws, aws-cn, aws-us-gov...): a key id, or a multi-Region key's (mrk-...).
_KMS_KEY_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d:\d{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})$"
)
# ``kms_key``'s words: no customer-managed key, or one the stack creates.
KMS_KEY_NONE: Final = "none"
KMS_KEY_CREATE: Final = "create"
# What each pattern above asks for, in words: a refusal says this, never the regular expression.
PATTERN_WORDS: Final = {
    _STACK.pattern: (
        "a stack name: 1-32 lowercase letters, digits or '-', starting with a letter (e.g. 'prod-eu')"
    ),
    _REGION.pattern: "an AWS region name: two letters, an area and a number (e.g. 'us-east-1', 'eu-west-3')",
    _TOPIC_NAME.pattern: (
        "a topic name: 1-100 letters, digits, spaces or - _ ! ? . and nothing else (e.g. 'Legal advice')"
    ),
    _MODEL_ID.pattern: (
        "a Bedrock model id, inference profile id or inference profile ARN "
        "(e.g. 'us.anthropic.claude-sonnet-4-5-20250929-v1:0')"
    ),
    _CLAIM.pattern: (
        "a JWT claim name: a letter, then up to 127 letters, digits or _ : . / - "
        "(e.g. 'tenant_id', 'custom:tenantId')"
    ),
}
# A Cognito user pool issues the tenant only as a custom attribute, ``custom:<name>`` (Cognito's
# CustomAttributeNameType: 1 to 20 characters), and the roles only as its groups claim.
COGNITO_TENANT_PREFIX: Final = "custom:"
COGNITO_ATTRIBUTE_MAX_CHARS: Final = 20
COGNITO_ROLES_CLAIM: Final = "cognito:groups"


# Stacks judged production: data kept on destroy (``protectData``), flag changes rolled out
# slowly, and in a generated project's CI, a preview only inside the stack's protected environment.
PRODUCTION_STACKS: Final = frozenset({"prod", "production", "prd", "live"})


def is_production(stack: str) -> bool:
    """Whether ``stack`` names a production stack (``prod``, ``production``, ``prod-eu``...)."""
    return stack.lower() in PRODUCTION_STACKS or stack.lower().startswith(("prod-", "production-"))


def python_identifier(value: str, what: str, example: str, limit: int = 64) -> str:
    """Accept snake_case names that are valid Python and Pulumi identifiers."""
    # fullmatch: with match, `$` also matches before a final newline ("name\n" would pass).
    if not _IDENTIFIER.fullmatch(value) or len(value) > limit:
        raise ValueError(
            f"{value!r} is not a valid {what}: use lowercase letters, digits and underscores, "
            f"starting with a letter, at most {limit} characters (e.g. {example!r})"
        )
    if keyword.iskeyword(value):
        raise ValueError(f"{value!r} is a Python keyword and cannot be a {what}; e.g. {example!r}")
    return value


def _line_break(value: str) -> str | None:
    """Where ``value`` breaks its line (a line break, Unicode's included, or a control character)."""
    for position, character in enumerate(value):
        if unicodedata.category(character) in ("Cc", "Zl", "Zp"):
            return f"a line break or control character (U+{ord(character):04X}) at position {position}"
    return None


def _one_line(value: str) -> str:
    """A name people read on one line."""
    if where := _line_break(value):
        raise ValueError(
            f"the name is one line of text, but it has {where}; remove it (e.g. 'Support Operations')"
        )
    return value


def _role_description(value: str) -> str:
    """One line: it becomes a comment in policies/<role>.cedar, where a second line would be policy text.

    Surrounding white space is dropped, so a YAML folded scalar (``>``, which ends in a newline) is one.
    """
    value = value.strip()
    if where := _line_break(value):
        raise ValueError(
            f"a role's description is one line of text, but it has {where}; "
            "remove it (e.g. 'Support agents who work tickets for their own tenant.')"
        )
    if not value:
        raise ValueError(
            "describe who holds the role (e.g. 'Support agents who work tickets for their own tenant.')"
        )
    return value


def _fraction(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{value} is out of range; use a fraction between 0 and 1 (e.g. 0.5)")
    return value


def _role_name(value: str) -> str:
    if not ROLE_NAME_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid role name: 1-64 lowercase letters, digits, '-' or '_', "
            "starting with a letter, nothing else (e.g. 'support-agent')"
        )
    return value


def _action_name(value: str) -> str:
    return python_identifier(value, "action name", "update_ticket_status")


def _resource_type(value: str) -> str:
    return python_identifier(value, "resource type", "ticket")


RoleName = Annotated[str, AfterValidator(_role_name)]
# At most 500 characters: Cognito takes 2,048 for a group's description, and one line reads best short.
RoleDescription = Annotated[str, Field(max_length=500), AfterValidator(_role_description)]
Fraction = Annotated[float, AfterValidator(_fraction)]


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo must never silently disable a control."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RetryPolicy(StrictModel):
    """How Step Functions retries an action's executor: exponential backoff, full jitter."""

    max_attempts: int = Field(3, ge=0, le=10)
    interval_seconds: int = Field(2, ge=1, le=300)
    backoff_rate: float = Field(2.0, ge=1.0, le=10.0)
    max_delay_seconds: int = Field(60, ge=1, le=3600)


class Action(StrictModel):
    """One thing the assistant may propose; nothing outside this list can execute."""

    name: Annotated[str, AfterValidator(_action_name)]
    description: str = Field(min_length=10, max_length=1000)
    risk: Fraction
    roles: list[RoleName] = Field(min_length=1)
    resource_type: Annotated[str, AfterValidator(_resource_type)]
    parameters: dict[str, Any]
    reversible: bool = False
    timeout_seconds: int = Field(30, ge=1, le=MAX_TIMEOUT_SECONDS)
    retry: RetryPolicy = RetryPolicy()
    steps: list[Annotated[str, AfterValidator(_action_name)]] = Field(default_factory=list)


class Claims(StrictModel):
    """Which verified JWT claims carry the tenant, the user and the roles."""

    tenant: Annotated[str, Field(pattern=_CLAIM.pattern)] = "custom:tenantId"
    user: Annotated[str, Field(pattern=_CLAIM.pattern)] = "sub"
    roles: Annotated[str, Field(pattern=_CLAIM.pattern)] = "cognito:groups"


class Identity(StrictModel):
    provider: Literal["cognito", "oidc"] = "cognito"
    issuer: str | None = None
    audience: str | None = None
    claims: Claims = Claims()


class RiskThresholds(StrictModel):
    """Risk at or above ``approval`` waits for a human; at or above ``deny`` it is refused."""

    approval: Fraction = 0.5
    deny: Fraction = 0.9


class Retrieval(StrictModel):
    backend: Literal["none", "knowledge-base", "opensearch", "pgvector"] = "none"


class DeniedTopic(StrictModel):
    name: Annotated[str, Field(pattern=_TOPIC_NAME.pattern)]
    definition: str = Field(min_length=1, max_length=200)


class Guardrails(StrictModel):
    denied_topics: list[DeniedTopic] = Field(default_factory=list, max_length=30)
    pii_entities: list[Literal[PII_ENTITY_TYPES]] = Field(default_factory=list)  # type: ignore[valid-type]
    pii_action: Literal["block", "anonymize"] = "anonymize"


class Rollout(StrictModel):
    shadow_mode: bool = True
    canary_percent: int = Field(10, ge=0, le=100)


DEFAULT_REQUESTS_PER_MINUTE: Final = 60
MAX_REQUESTS_PER_MINUTE: Final = 6000


class Limits(StrictModel):
    # Requests one tenant may make per minute, across routes (a stream's reconnect counts a tenth):
    # 60 is one a second, well above a person typing and far below the stage-wide throttle (25/s),
    # so one tenant cannot use up what every tenant shares. Rollout flags override it per tenant.
    requests_per_minute: int = Field(DEFAULT_REQUESTS_PER_MINUTE, ge=1, le=MAX_REQUESTS_PER_MINUTE)


# The audit archive's Object Lock retention (COMPLIANCE mode: no one, root included, can delete a
# record before it ends). Ten years at most: longer is a legal question, not a default.
MAX_AUDIT_RETENTION_DAYS: Final = 3650


class Observability(StrictModel):
    opensearch: bool = True
    retention_days: int = 30
    # Production stacks keep approval and decision records this long in the audit archive.
    audit_retention_days: Annotated[int, Field(ge=1, le=MAX_AUDIT_RETENTION_DAYS)] = 365
    # Every other stack keeps them this long: a locked record outlives `pulumi destroy` until its
    # retention ends, so a short one lets a dev stack's archive be emptied and torn down.
    dev_audit_retention_days: Annotated[int, Field(ge=1, le=MAX_AUDIT_RETENTION_DAYS)] = 1

    def audit_days(self, stack: str) -> int:
        """The archive's retention for ``stack``: the production one on production stacks."""
        return self.audit_retention_days if is_production(stack) else self.dev_audit_retention_days

    @field_validator("retention_days")
    @classmethod
    def _known_retention(cls, value: int) -> int:
        if value not in RETENTION_DAYS:
            raise ValueError(
                f"{value} is not a CloudWatch Logs retention period; use one of "
                f"{', '.join(map(str, RETENTION_DAYS))}"
            )
        return value

    @model_validator(mode="after")
    def _dev_not_longer(self) -> Observability:
        if self.dev_audit_retention_days > self.audit_retention_days:
            raise ValueError(
                f"dev_audit_retention_days={self.dev_audit_retention_days} is longer than "
                f"audit_retention_days={self.audit_retention_days}; non-production stacks keep "
                "audit records no longer than production ones"
            )
        return self


def _kms_key(value: str) -> str:
    if value in (KMS_KEY_NONE, KMS_KEY_CREATE) or _KMS_KEY_ARN.fullmatch(value):
        return value
    if value.startswith("alias/") or ":alias/" in value:
        problem = "an alias names a key only until it is moved to another; give the key's ARN"
    else:
        problem = "it is neither 'none', 'create' nor a KMS key ARN"
    raise ValueError(
        f"{value!r} is not a kms_key: {problem}; use 'none' (AWS-owned and AWS-managed keys), 'create' "
        "(one customer-managed key per stack) or a key's ARN "
        "(e.g. 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab')"
    )


KmsKey = Annotated[str, AfterValidator(_kms_key)]
# public: today's endpoints (functions outside any VPC; the search domain, the serverless collection
# and Aurora reached over their public endpoints, every request still signed and authorized).
# vpc: the functions in private subnets that reach AWS only through VPC endpoints, and every data
# store inside that VPC (``governed_assistant.infra.network``).
NETWORK_MODES: Final = ("public", "vpc")


def _network(value: object) -> object:
    # Checked before pydantic's own literal check, so the refusal says what each mode means.
    if value not in NETWORK_MODES:
        raise ValueError(
            f"{value!r} is not a network mode; use 'public' (the functions and data stores on "
            "AWS's public endpoints, as before) or 'vpc' (the functions in private subnets, reaching AWS "
            "only through VPC endpoints, and the data stores inside the VPC)"
        )
    return value


class AssistantSpec(StrictModel):
    """The single source of truth for a governed assistant's infrastructure and runtime."""

    spec_version: Literal[2] = SPEC_VERSION
    name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_one_line)]
    slug: str
    description: str = Field(default="", max_length=500)
    region: Annotated[str, Field(pattern=_REGION.pattern)] = "us-east-1"
    # The preset the project started from ("custom": none); only insights-to-action adds resources.
    pattern: Literal["bounded-action", "workflow-aware", "insights-to-action", "custom"] = "bounded-action"
    mode: Literal["answer", "collect", "operate", "trigger"] = "operate"
    # A model documented to take strict tools (governed_assistant.spec.models), or its profile.
    model_id: Annotated[str, Field(pattern=_MODEL_ID.pattern), AfterValidator(check_strict_model)]
    identity: Identity = Identity()
    roles: dict[RoleName, RoleDescription] = Field(min_length=1)
    approver_roles: list[RoleName] = Field(min_length=1)
    admin_roles: list[RoleName] = Field(default_factory=list)
    risk: RiskThresholds = RiskThresholds()
    retrieval: Retrieval = Retrieval()
    guardrails: Guardrails = Guardrails()
    rollout: Rollout = Rollout()
    limits: Limits = Limits()
    observability: Observability = Observability()
    # The key every data store, log group, queue and topic is encrypted with: 'none' (AWS-owned and
    # AWS-managed keys), 'create' (one customer-managed key per stack) or an existing key's ARN.
    kms_key: KmsKey = KMS_KEY_NONE
    network: Annotated[Literal["public", "vpc"], BeforeValidator(_network)] = "public"
    stacks: list[Annotated[str, Field(pattern=_STACK.pattern)]] = Field(
        default_factory=lambda: ["dev", "prod"], min_length=1
    )
    actions: list[Action] = Field(default_factory=list)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return python_identifier(value, "project slug", "support_ops", limit=SLUG_MAX_CHARS)

    def action(self, name: str) -> Action | None:
        return next((action for action in self.actions if action.name == name), None)

    @property
    def kms_key_arn(self) -> str | None:
        """The ARN ``kms_key`` names; None for 'none' and for 'create' (the stack makes that key)."""
        return None if self.kms_key in (KMS_KEY_NONE, KMS_KEY_CREATE) else self.kms_key

    @property
    def resource_types(self) -> list[str]:
        return sorted({action.resource_type for action in self.actions})


def cross_field_problems(spec: AssistantSpec) -> list[Problem]:
    """Rules that span fields; each problem points at the field to change."""
    problems: list[Problem] = []
    if spec.risk.approval > spec.risk.deny:
        # Reported on `deny`, the later question, so an approval answer is never judged
        # against a deny threshold the user has not chosen yet.
        problems.append(
            Problem(
                ("risk", "deny"),
                f"deny threshold {spec.risk.deny} is below approval threshold {spec.risk.approval}; "
                "it must be at least the approval threshold (e.g. approval 0.5, deny 0.9)",
            )
        )
    region = region_problem(spec.model_id, spec.region)
    if region is not None:
        problems.append(Problem(("model_id",), region))
    problems += _kms_key_problems(spec)
    problems += _identity_problems(spec.identity)
    problems += _role_problems(spec)
    problems += _action_problems(spec)
    problems += _duplicates(spec.stacks, ("stacks",), "stack")
    return problems


def _kms_key_problems(spec: AssistantSpec) -> list[Problem]:
    """A key is regional: every store the stack creates in ``region`` needs a key of that region."""
    if spec.kms_key_arn is None:
        return []
    key_region = spec.kms_key_arn.split(":")[3]
    if key_region == spec.region:
        return []
    return [
        Problem(
            ("kms_key",),
            f"the key is in {key_region}, the stack in region {spec.region}; AWS services use a key "
            f"only in its own region: give a key (or a multi-Region key's replica) in {spec.region}, "
            "or 'create'",
        )
    ]


def _identity_problems(identity: Identity) -> list[Problem]:
    if identity.provider == "oidc":
        problems = []
        if not identity.issuer or not identity.issuer.startswith("https://"):
            problems.append(
                Problem(
                    ("identity", "issuer"),
                    "an oidc provider needs its issuer URL, starting with https:// "
                    "(e.g. https://login.example.com/)",
                )
            )
        if not identity.audience:
            problems.append(
                Problem(("identity", "audience"), "an oidc provider needs the audience your tokens carry")
            )
        return problems
    problems = [
        Problem(("identity", key), f"{key} is set by the Cognito user pool the stack creates; remove it")
        for key in ("issuer", "audience")
        if getattr(identity, key) is not None
    ]
    attribute = identity.claims.tenant.removeprefix(COGNITO_TENANT_PREFIX)
    if attribute == identity.claims.tenant or not 1 <= len(attribute) <= COGNITO_ATTRIBUTE_MAX_CHARS:
        problems.append(
            Problem(
                ("identity", "claims", "tenant"),
                f"a Cognito user pool issues the tenant as a custom attribute, {COGNITO_TENANT_PREFIX}<name "
                f"of 1 to {COGNITO_ATTRIBUTE_MAX_CHARS} characters>, got {identity.claims.tenant!r}; "
                "use e.g. custom:tenantId, or identity provider oidc",
            )
        )
    if identity.claims.roles != COGNITO_ROLES_CLAIM:
        problems.append(
            Problem(
                ("identity", "claims", "roles"),
                f"a Cognito user pool issues the roles as its groups, {COGNITO_ROLES_CLAIM!r}, got "
                f"{identity.claims.roles!r}; use {COGNITO_ROLES_CLAIM}, or identity provider oidc",
            )
        )
    return problems


def _role_problems(spec: AssistantSpec) -> list[Problem]:
    problems: list[Problem] = []
    used: set[str] = set(spec.approver_roles) | set(spec.admin_roles)
    for index, action in enumerate(spec.actions):
        used |= set(action.roles)
        for role_index, role in enumerate(action.roles):
            if role not in spec.roles:
                problems.append(
                    Problem(
                        ("actions", index, "roles", role_index),
                        f"role {role!r} is not declared; add it under roles: with a description",
                    )
                )
    for key in ("approver_roles", "admin_roles"):
        for index, role in enumerate(getattr(spec, key)):
            if role not in spec.roles:
                problems.append(
                    Problem(
                        (key, index),
                        f"role {role!r} is not declared; add it under roles: with a description",
                    )
                )
    for role in spec.roles:
        if role not in used:
            problems.append(
                Problem(
                    ("roles", role),
                    f"role {role!r} is declared but no action, approver_roles or admin_roles uses it; "
                    "use it or remove it",
                )
            )
    return problems


def _action_problems(spec: AssistantSpec) -> list[Problem]:
    problems = _duplicates([action.name for action in spec.actions], ("actions",), "action", key="name")
    if spec.mode == "answer" and spec.actions:
        problems.append(
            Problem(
                ("actions",),
                "mode 'answer' proposes no actions; remove the actions or choose mode operate",
            )
        )
    for index, action in enumerate(spec.actions):
        if action.retry.max_delay_seconds < action.retry.interval_seconds:
            problems.append(
                Problem(
                    ("actions", index, "retry", "max_delay_seconds"),
                    f"must be at least interval_seconds ({action.retry.interval_seconds})",
                )
            )
        problems += _duplicates(action.steps, ("actions", index, "steps"), "step")
        if action.name in action.steps:
            problems.append(
                Problem(
                    ("actions", index, "steps"),
                    f"a step cannot share the action's name {action.name!r}; rename the step",
                )
            )
    return problems


def _duplicates(
    values: list[str], path: tuple[str | int, ...], what: str, key: str | None = None
) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, value in enumerate(values):
        if value in seen:
            where = (*path, index, key) if key else (*path, index)
            problems.append(Problem(where, f"duplicate {what} {value!r}; each {what} must be unique"))
        seen.add(value)
    return problems
