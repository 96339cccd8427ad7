"""From copier answers to the spec, and back to a per-question error message.

Copier's validators call ``answer_error`` (through the template's Jinja extension), which
builds the spec from the answers given so far and runs the very same validation as
``load_spec``. So an interactive answer, an ``--data-file`` answer and a hand-edited
``assistant.yaml`` are refused with the same message.

Copier checks ``--data``/``--data-file`` answers one at a time and stops at the first bad one
with a traceback; so before it checks any, the template calls ``answers_error``, which lists
every bad answer at once, each under its question, in the words of ``answer_error``.
"""

from __future__ import annotations

import contextlib
import keyword
import re
import unicodedata
from collections.abc import Collection, Mapping
from typing import Any

import yaml

from governed_assistant.spec.loader import validate_spec_data
from governed_assistant.spec.model import DEFAULT_REQUESTS_PER_MINUTE, SLUG_MAX_CHARS, SPEC_VERSION
from governed_assistant.spec.models import default_model_id
from governed_assistant.spec.problems import PathPart, Problem, format_path

# Where each question's answer lands in the spec; a problem under that path is reported
# against the question.
QUESTION_PATHS: dict[str, tuple[PathPart, ...]] = {
    "project_name": ("name",),
    "project_slug": ("slug",),
    "description": ("description",),
    "aws_region": ("region",),
    "preset": ("pattern",),
    "mode": ("mode",),
    "actions": ("actions",),
    "approval_threshold": ("risk", "approval"),
    "deny_threshold": ("risk",),
    "model_id": ("model_id",),
    "identity_provider": ("identity", "provider"),
    "oidc_issuer": ("identity", "issuer"),
    "oidc_audience": ("identity", "audience"),
    "tenant_claim": ("identity", "claims", "tenant"),
    "user_claim": ("identity", "claims", "user"),
    "roles_claim": ("identity", "claims", "roles"),
    "approver_roles": ("approver_roles",),
    "admin_roles": ("admin_roles",),
    "roles": ("roles",),
    "retrieval_backend": ("retrieval",),
    "denied_topics": ("guardrails", "denied_topics"),
    "pii_entities": ("guardrails", "pii_entities"),
    "pii_action": ("guardrails", "pii_action"),
    "shadow_mode": ("rollout", "shadow_mode"),
    "canary_percent": ("rollout", "canary_percent"),
    "opensearch": ("observability", "opensearch"),
    "retention_days": ("observability", "retention_days"),
    "kms_key": ("kms_key",),
    "stacks": ("stacks",),
}

# Stand-ins for questions not yet answered, so each answer is checked on its own. Where a default
# can make a problem (the OIDC settings), the stand-in is copier.yml's default, so that
# ``answers_error`` judges an unanswered question by what copier will fill in.
DEFAULT_DENY = 0.9
# The slug of a name with no Latin letter to make one from.
FALLBACK_SLUG = "assistant"

_PLACEHOLDERS: dict[str, Any] = {
    "project_name": "Assistant",
    "approver_roles": ["supervisor"],
    "oidc_issuer": "https://login.example.com/",
    "oidc_audience": "governed-assistant",
}

_SECTION_COMMENTS = {
    "spec_version": "The spec format; `copier update` migrates it when the template changes it.",
    "model_id": (
        "The Bedrock model or inference profile the reasoning layer calls (and may only call); "
        "it must take strict tools (Claude Sonnet 4.5, Haiku 4.5, Opus 4.5 or Opus 4.6)."
    ),
    "identity": "Tenant, user and roles come only from these verified JWT claims.",
    "roles": "Every role the assistant knows; policies/<role>.cedar says what each may do.",
    "approver_roles": "Who may approve a gated action (never the requester, always the same tenant).",
    "risk": "Risk at or above `approval` waits for a human; at or above `deny` is refused.",
    "retrieval": "Where tenant-scoped context comes from: none, knowledge-base, opensearch or pgvector.",
    "guardrails": "Bedrock Guardrails on the input and on the output.",
    "rollout": "Start in shadow mode (decide and record, never execute), then canary by tenant.",
    "limits": "Requests per minute each tenant may make; rollout flags raise or lower it per tenant.",
    "observability": (
        "Decision events to OpenSearch; log retention in days; the audit archive's locked retention "
        "in days (production stacks, then the others)."
    ),
    "kms_key": (
        "The key every store, log group, queue and topic is encrypted with: none (AWS's keys), "
        "create (one per stack, rotated yearly) or a key ARN of this region."
    ),
    "network": (
        "public: functions and data stores on AWS's public endpoints; vpc: functions in private subnets "
        "reaching AWS only through VPC endpoints, data stores inside the VPC (README: Private network)."
    ),
    "stacks": "One Pulumi stack per entry (Pulumi.<stack>.yaml).",
    "actions": "What the model may propose. Each has actions/<name>.py; `make scaffold` adds missing ones.",
}


def _answer(answers: Mapping[str, Any], key: str) -> Any:
    # Only an unanswered question takes the placeholder: an empty answer is judged as given.
    return answers.get(key, _PLACEHOLDERS.get(key))


def _role_names(value: Any) -> list[str]:
    """The role names a roles answer lists; none when it is not a list (its question refuses it)."""
    return [role for role in value if isinstance(role, str)] if isinstance(value, list) else []


def default_slug(name: Any) -> str:
    """copier.yml's project_slug default: the name's words in snake_case, a slug the question accepts.

    copier validates a default before it shows it, so it must be valid for any name: accents
    are folded, what cannot start a slug (digits) is dropped, the length is cut to the limit and
    a Python keyword gets a suffix; a name with no Latin letters gives ``assistant``.
    """
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", "_", ascii_name)
    slug = re.sub(r"^[^a-z]+", "", words)[:SLUG_MAX_CHARS].rstrip("_") or FALLBACK_SLUG
    return f"{slug}_assistant"[:SLUG_MAX_CHARS] if keyword.iskeyword(slug) else slug


def default_deny(approval: Any) -> float:
    """copier.yml's ``deny_threshold`` default: 0.9, or the approval threshold when that is higher.

    Never above the approval threshold's own range: an approval of 2 is refused at its question,
    and the deny default must not be refused with it.
    """
    valid = isinstance(approval, int | float) and not isinstance(approval, bool) and 0 <= approval <= 1
    return max(float(approval), DEFAULT_DENY) if valid else DEFAULT_DENY


def used_roles(answers: Mapping[str, Any]) -> list[str]:
    """Every role the actions, approver_roles and admin_roles answers name, in order of first use."""
    actions = answers.get("actions")
    names: list[str] = []
    for action in actions if isinstance(actions, list) else []:
        names += _role_names(action.get("roles") if isinstance(action, dict) else None)
    names += _role_names(_answer(answers, "approver_roles")) + _role_names(answers.get("admin_roles"))
    return list(dict.fromkeys(names))


def default_roles(answers: Mapping[str, Any], descriptions: Mapping[str, str]) -> dict[str, str]:
    """copier.yml's ``roles`` default: each used role with the preset's description, else a plain one."""
    return {role: descriptions.get(role, f"Users with the {role} role.") for role in used_roles(answers)}


def spec_from_answers(
    answers: Mapping[str, Any], role_descriptions: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The spec document the answers describe (what ``assistant.yaml`` starts as).

    The ``roles`` answer is taken as given; until it is answered (and in answers recorded before
    the question existed) every used role is described from ``role_descriptions``, the preset's.
    """
    actions = answers.get("actions") or []
    approver_roles = _answer(answers, "approver_roles")
    admin_roles = answers.get("admin_roles") or []
    roles = answers["roles"] if "roles" in answers else default_roles(answers, role_descriptions or {})

    identity: dict[str, Any] = {"provider": answers.get("identity_provider", "cognito")}
    if identity["provider"] == "oidc":
        identity["issuer"] = _answer(answers, "oidc_issuer")
        identity["audience"] = _answer(answers, "oidc_audience")
    identity["claims"] = {
        "tenant": answers.get("tenant_claim", "custom:tenantId"),
        "user": answers.get("user_claim", "sub"),
        "roles": answers.get("roles_claim", "cognito:groups"),
    }
    return {
        "spec_version": SPEC_VERSION,
        "name": _answer(answers, "project_name"),
        # Unanswered, derived from the name (as copier.yml's default is).
        "slug": answers.get("project_slug") or default_slug(_answer(answers, "project_name")),
        "description": answers.get("description", ""),
        "region": answers.get("aws_region", "us-east-1"),
        "pattern": answers.get("preset", "bounded-action"),
        "mode": answers.get("mode", "operate"),
        # Unanswered, the default for the region (as copier.yml's default is).
        "model_id": answers.get("model_id", default_model_id(str(answers.get("aws_region", "us-east-1")))),
        "identity": identity,
        "roles": roles,
        "approver_roles": approver_roles,
        "admin_roles": admin_roles,
        "risk": {
            "approval": answers.get("approval_threshold", 0.5),
            "deny": answers.get("deny_threshold", default_deny(answers.get("approval_threshold", 0.5))),
        },
        "retrieval": {"backend": answers.get("retrieval_backend", "none")},
        "guardrails": {
            "denied_topics": answers.get("denied_topics") or [],
            "pii_entities": answers.get("pii_entities") or [],
            "pii_action": answers.get("pii_action", "anonymize"),
        },
        "rollout": {
            "shadow_mode": answers.get("shadow_mode", True),
            "canary_percent": answers.get("canary_percent", 10),
        },
        "limits": {"requests_per_minute": DEFAULT_REQUESTS_PER_MINUTE},
        "observability": {
            "opensearch": answers.get("opensearch", True),
            "retention_days": answers.get("retention_days", 30),
            # The audit archive's Object Lock retention: production stacks, then every other one.
            "audit_retention_days": 365,
            "dev_audit_retention_days": 1,
        },
        "kms_key": answers.get("kms_key", "none"),
        "network": answers.get("network", "public"),
        "stacks": answers.get("stacks", ["dev", "prod"]),
        "actions": actions,
    }


def question_of(path: tuple[PathPart, ...]) -> str | None:
    """The question whose answer lands at ``path`` (the longest matching prefix); None if none does."""
    matching = [question for question, prefix in QUESTION_PATHS.items() if path[: len(prefix)] == prefix]
    return max(matching, key=lambda question: len(QUESTION_PATHS[question]), default=None)


def _problems_by_question(answers: Mapping[str, Any]) -> dict[str, list[Problem]]:
    """Every problem of the spec the answers describe, under its question, in questionnaire order."""
    document = spec_from_answers(answers)
    _, problems = validate_spec_data(document)
    if isinstance(answers.get("roles"), dict):
        problems = _undescribed_under_roles(document, problems)
    found: dict[str, list[Problem]] = {question: [] for question in QUESTION_PATHS}
    for problem in problems:
        question = question_of(problem.path)
        if question is not None:  # else it follows from another answer's problem (a role name's)
            found[question].append(problem)
    return {question: listed for question, listed in found.items() if listed}


def _role_use(document: Mapping[str, Any], path: tuple[PathPart, ...]) -> str | None:
    """The role named at ``path`` when it is where an action, approver or admin names one."""
    match path:
        case ("actions", int(action), "roles", int(index)):
            container = document["actions"][action]["roles"]
        case ("approver_roles" | "admin_roles" as key, int(index)):
            container = document[key]
        case _:
            return None
    role = container[index]
    return role if isinstance(role, str) else None


def _undescribed_under_roles(document: Mapping[str, Any], problems: list[Problem]) -> list[Problem]:
    """A used role missing from the ``roles`` answer, reported once under ``roles``, which must describe it.

    The spec reports it where the role is used (the line to fix in a hand-edited file); in the
    questionnaire that question came earlier and was accepted, and the answer to change is ``roles``.
    """
    kept: list[Problem] = []
    reported: set[str] = set()
    for problem in problems:
        role = _role_use(document, problem.path)
        if role is None or role in document["roles"]:
            kept.append(problem)
        elif role not in reported:
            reported.add(role)
            kept.append(
                Problem(
                    ("roles",),
                    f"role {role!r} is used ({format_path(problem.path)}) but not described; "
                    f"add a line `{role}: <who holds it>`",
                )
            )
    return kept


def _message(problems: list[Problem]) -> str:
    return "; ".join(str(problem) for problem in problems)


def answer_error(question: str, answers: Mapping[str, Any]) -> str:
    """The problems with one question's answer, as copier shows them; empty when valid."""
    return _message(_problems_by_question(answers).get(question, []))


def answers_error(
    answers: Mapping[str, Any], questions: Collection[str], others: Mapping[str, str] | None = None
) -> str:
    """Every problem with the answers to ``questions``, each line as copier words one; empty when none.

    ``answers`` are every answer known so far: the ones given, the ones copier will fill in (left
    out here, ``spec_from_answers`` uses the same defaults) and earlier ones. A line reads as
    copier's own refusal of that answer, so the interactive questionnaire says the same.
    ``others`` are refusals of questions that do not land in the spec (``actions_file``), listed first.
    """
    # The spec's rules across fields run only once every field is valid, so a bad field would hide
    # them: judge again without the answers refused so far (their defaults instead), until no
    # other question is refused.
    refused: dict[str, list[Problem]] = {}
    remaining = dict(answers)
    while found := {
        question: problems
        for question, problems in _problems_by_question(remaining).items()
        if question in questions and question not in refused
    }:
        refused |= found
        for question in found:
            remaining.pop(question, None)
    messages = dict(others or {}) | {
        question: _message(refused[question]) for question in QUESTION_PATHS if question in refused
    }
    if not messages:
        return ""
    lines = "\n".join(
        f"  - Validation error for question '{question}': {message}" for question, message in messages.items()
    )
    count = f"{len(messages)} answer{'s are' if len(messages) != 1 else ' is'} invalid"
    return (
        f"{count}, so nothing was written:\n{lines}\n"
        "Give each a valid answer (in the data file, or --data question=value) and run copier again."
    )


def typed_answers(answers: Mapping[str, Any], types: Mapping[str, str]) -> dict[str, Any]:
    """``answers`` as copier types them before its validators see them (``types``: copier.yml's).

    ``--data`` gives text, and a data file may give text to a yaml question: copier parses it, and
    turns a number given to a str question into text. Numbers and booleans given as text are left
    as they are: the spec model reads them as copier does ("0.5", "30", "yes").
    """
    typed = dict(answers)
    for question, value in answers.items():
        kind = types.get(question)
        if kind == "yaml" and isinstance(value, str):
            # Not YAML: left as text, and the spec says what the answer must be.
            with contextlib.suppress(yaml.YAMLError):
                typed[question] = yaml.safe_load(value)
        elif kind == "str" and isinstance(value, int | float):
            typed[question] = str(value)
    return typed


def render_spec_yaml(document: Mapping[str, Any]) -> str:
    """The spec as YAML, one commented section per top-level key, in spec order."""
    chunks = []
    for key, value in document.items():
        comment = _SECTION_COMMENTS.get(key)
        text = yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=100)
        chunks.append(f"\n# {comment}\n{text}" if comment else text)
    return "".join(chunks).lstrip("\n")
