"""The spec loader refuses every broken spec, naming each problem's path and its fix."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from governed_assistant.spec import AssistantSpec, SpecError, SpecVersionError, load_spec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from governed_assistant.spec.model import PATTERN_WORDS

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        parts = [int(part) if part.isdigit() else part for part in path.split(".")]
        for part in parts[:-1]:
            target = target[part]
        target[parts[-1]] = value

    return mutate


def _duplicate_first_action(document: dict[str, Any]) -> None:
    document["actions"].append(copy.deepcopy(document["actions"][0]))


def _twenty_one_actions(document: dict[str, Any]) -> None:
    first = document["actions"][0]
    document["actions"] += [
        {**first, "name": f"extra_action_{index}"} for index in range(21 - len(document["actions"]))
    ]


def _seventeen_optional_parameters(document: dict[str, Any]) -> None:
    properties = document["actions"][0]["parameters"]["properties"]
    properties.update({f"extra_{index}": {"type": "string"} for index in range(17)})


def _add_unused_role(document: dict[str, Any]) -> None:
    document["roles"]["auditor"] = "Reads reports."


CASES = [
    pytest.param(
        _set("risk.approval", 1.5),
        "risk.approval",
        "between 0 and 1",
        id="threshold-range",
    ),
    pytest.param(
        _set("risk.approval", 0.95),
        "risk.deny",
        "must be at least the approval threshold",
        id="threshold-order",
    ),
    pytest.param(
        _set("actions.1.name", "drop table"), "actions[1].name", "not a valid action name", id="action-name"
    ),
    pytest.param(
        _set("actions.3.parameters.properties.amount.type", "strng"),
        "actions[3].parameters.properties.amount.type",
        "'strng' is not a JSON Schema type",
        id="schema-type-typo",
    ),
    pytest.param(_set("actions.0.retries", 3), "actions[0].retries", "unknown key", id="unknown-key"),
    pytest.param(
        _set("risk.aproval", 0.5),
        "risk.aproval",
        "known keys here: approval, deny",
        id="unknown-nested-key",
    ),
    pytest.param(_duplicate_first_action, "actions[4].name", "duplicate action", id="duplicate-action"),
    pytest.param(_add_unused_role, "roles.auditor", "no action", id="unused-role"),
    pytest.param(
        _twenty_one_actions,
        "actions[20]",
        "at most 20 strict tools per request (strict tool use limit)",
        id="over-twenty-tools",
    ),
    pytest.param(
        _seventeen_optional_parameters,
        "actions[0].parameters.properties.extra_15",
        "takes at most 16 per request (strict tool use limit)",
        id="over-sixteen-unions",
    ),
    pytest.param(
        _set("actions.0.parameters.properties.status.enum", [{"state": "open"}]),
        "actions[0].parameters.properties.status.enum[0]",
        "not a scalar",
        id="complex-enum-value",
    ),
    pytest.param(
        _set("actions.0.roles", ["ghost"]), "actions[0].roles[0]", "not declared", id="undeclared-role"
    ),
    pytest.param(
        _set("approver_roles", ["supervisor\n"]),
        "approver_roles[0]",
        "not a valid role name",
        id="role-name-trailing-newline",
    ),
    pytest.param(
        _set("actions.0.roles", ["former supervisor"]),
        "actions[0].roles[0]",
        "not a valid role name",
        id="role-name-with-space",
    ),
    pytest.param(
        _set("actions.0.parameters.properties.tenantId", {"type": "string"}),
        "actions[0].parameters.properties.tenantId",
        "verified token",
        id="reserved-tenant-parameter",
    ),
    pytest.param(
        _set("actions.0.parameters.additionalProperties", True),
        "actions[0].parameters.additionalProperties",
        "closed",
        id="open-object",
    ),
    pytest.param(
        _set("actions.0.parameters.required", ["status", "priority"]),
        "actions[0].parameters.required[1]",
        "not declared under properties",
        id="required-unknown-property",
    ),
    pytest.param(
        _set("actions.0.timeout_seconds", 3600),
        "actions[0].timeout_seconds",
        "900",
        id="timeout-over-lambda-max",
    ),
    pytest.param(
        _set("identity.provider", "oidc"), "identity.issuer", "issuer URL", id="oidc-without-issuer"
    ),
    pytest.param(
        _set("identity.issuer", "https://x"), "identity.issuer", "Cognito", id="cognito-with-issuer"
    ),
    # A Cognito pool issues the tenant only as a custom attribute (its name at most 20 characters)
    # and the roles only as its groups: anything else failed the program, not the spec.
    pytest.param(
        _set("identity.claims", {"tenant": "tenant_id"}),
        "identity.claims.tenant",
        "custom:<name",
        id="cognito-tenant-not-custom",
    ),
    pytest.param(
        _set("identity.claims", {"tenant": "custom:" + "t" * 21}),
        "identity.claims.tenant",
        "1 to 20 characters",
        id="cognito-tenant-attribute-too-long",
    ),
    pytest.param(
        _set("identity.claims", {"roles": "roles"}),
        "identity.claims.roles",
        "'cognito:groups'",
        id="cognito-roles-not-groups",
    ),
    pytest.param(
        _set("observability.retention_days", 31),
        "observability.retention_days",
        "retention period",
        id="retention",
    ),
    pytest.param(
        _set("guardrails.pii_entities", ["SSN"]), "guardrails.pii_entities[0]", "'SSN'", id="pii-entity"
    ),
    # A line break in the name broke the YAML comment copier renders it into (assistant.yaml.jinja).
    pytest.param(_set("name", "Support\nslug: ops"), "name", "one line", id="name-line-break"),
    pytest.param(_set("name", "Support\u2028Ops"), "name", "U+2028", id="name-line-separator"),
    pytest.param(_set("name", "Support\x00"), "name", "control character", id="name-nul"),
    pytest.param(_set("slug", "My App"), "slug", "not a valid project slug", id="slug"),
    pytest.param(_set("slug", "class"), "slug", "Python keyword", id="slug-keyword"),
    # A `$`-anchored re.match also matches before a final newline; every identifier must refuse it.
    pytest.param(
        _set("slug", "support_ops\n"), "slug", "not a valid project slug", id="slug-trailing-newline"
    ),
    pytest.param(
        _set("actions.0.name", "update_ticket_status\n"),
        "actions[0].name",
        "not a valid action name",
        id="action-name-trailing-newline",
    ),
    pytest.param(
        _set("actions.0.resource_type", "ticket\n"),
        "actions[0].resource_type",
        "not a valid resource type",
        id="resource-type-trailing-newline",
    ),
    pytest.param(
        _set("actions.0.steps", ["collect\n"]),
        "actions[0].steps[0]",
        "not a valid action name",
        id="step-trailing-newline",
    ),
    pytest.param(_set("stacks", ["dev", "dev"]), "stacks[1]", "duplicate stack", id="duplicate-stack"),
    pytest.param(_set("mode", "answer"), "actions", "proposes no actions", id="answer-mode-with-actions"),
    pytest.param(_set("model_id", "gpt 4"), "model_id", "is not a Bedrock model id", id="model-id"),
    pytest.param(
        _set("model_id", "us.anthropic.claude-sonnet-4-20250514-v1:0"),
        "model_id",
        "strict tool use is documented only for",
        id="model-without-strict-tools",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), CASES)
def test_parse_spec_broken_field_reports_path_and_fix(
    document: dict[str, Any], mutate: Mutation, path: str, fragment: str
) -> None:
    """Each broken spec is refused with the field's path and a message saying what to do."""
    mutate(document)
    with pytest.raises(SpecError) as caught:
        parse_spec(render_spec_yaml(document))
    matching = [problem for problem in caught.value.problems if problem.where == path]
    assert matching, f"no problem at {path}: {caught.value}"
    assert any(fragment in problem.message for problem in matching), str(caught.value)


def test_parse_spec_several_problems_reports_all_at_once(document: dict[str, Any]) -> None:
    """A spec with three unrelated problems lists all three, not just the first."""
    _set("risk.deny", 2)(document)
    _set("actions.0.name", "Bad Name")(document)
    _set("actions.2.parameters.properties.tone.type", "strng")(document)
    with pytest.raises(SpecError) as caught:
        parse_spec(render_spec_yaml(document))
    assert {problem.where for problem in caught.value.problems} >= {
        "risk.deny",
        "actions[0].name",
        "actions[2].parameters.properties.tone.type",
    }


def test_parse_spec_problem_carries_its_line(document: dict[str, Any]) -> None:
    """Problems point at the line in the file where the field is."""
    _set("observability.retention_days", 31)(document)
    text = render_spec_yaml(document)
    with pytest.raises(SpecError) as caught:
        parse_spec(text)
    (problem,) = caught.value.problems
    assert problem.line is not None
    assert text.splitlines()[problem.line - 1].strip().startswith("retention_days: 31")
    assert f"line {problem.line}: observability.retention_days" in str(caught.value)


def test_parse_spec_invalid_yaml_reports_the_line() -> None:
    """A YAML syntax error is reported with its line, not a traceback."""
    with pytest.raises(SpecError, match=r"line 2: .*not valid YAML"):
        parse_spec("name: x\n\tslug: y\n")


def test_parse_spec_not_a_mapping_is_refused() -> None:
    """A spec that is a list or a scalar is refused with what it should look like."""
    with pytest.raises(SpecError, match="must be a YAML mapping"):
        parse_spec("- 1\n- 2\n")


def test_parse_spec_other_version_says_how_to_migrate(document: dict[str, Any]) -> None:
    """A spec of another version is refused with the command that migrates it."""
    document["spec_version"] = 0
    with pytest.raises(SpecVersionError, match=r"governed_assistant\.spec migrate"):
        parse_spec(yaml.safe_dump(document))


def test_load_spec_missing_file_says_where_to_run(tmp_path: Path) -> None:
    """A missing spec file is one clear problem."""
    with pytest.raises(SpecError, match="file not found"):
        load_spec(tmp_path / "assistant.yaml")


def test_parse_spec_valid_preset_loads(document: dict[str, Any]) -> None:
    """The preset's spec loads, with every action and role."""
    spec = parse_spec(render_spec_yaml(document))
    assert [action.name for action in spec.actions] == [
        "update_ticket_status",
        "get_customer_config",
        "draft_reply",
        "issue_refund",
    ]
    assert spec.action("issue_refund") is not None
    assert spec.action("nope") is None


def test_parse_spec_role_description_on_two_lines_is_refused(document: dict[str, Any]) -> None:
    """A description heads policies/<role>.cedar as a `//` comment: a second line would be policy text.

    Written into a starter policy, this one would permit every action to every principal.
    """
    document["roles"]["agent"] = "Agents.\npermit (principal, action, resource);"
    with pytest.raises(SpecError) as raised:
        parse_spec(render_spec_yaml(document))
    assert "roles.agent: a role's description is one line of text, but it has a line break" in str(
        raised.value
    )


def test_parse_spec_role_description_folded_scalar_is_one_line(document: dict[str, Any]) -> None:
    """A YAML folded description (`>`, which ends in a newline) loads, without the newline."""
    text = render_spec_yaml(document).replace(
        "  agent: Support agents who work tickets for their own tenant.",
        "  agent: >\n    Support agents who work tickets\n    for their own tenant.",
    )
    assert parse_spec(text).roles["agent"] == "Support agents who work tickets for their own tenant."


def _patterns(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        own = {schema["pattern"]} if isinstance(schema.get("pattern"), str) else set()
        return own.union(*(_patterns(value) for value in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_patterns(item) for item in schema))
    return set()


def test_every_pattern_of_the_spec_is_refused_in_words() -> None:
    """Each regular expression a spec field must match has words for its refusal (none is shown raw)."""
    patterns = _patterns(AssistantSpec.model_json_schema())
    assert patterns, "the spec has no patterns: the check would prove nothing"
    assert patterns <= set(PATTERN_WORDS)


@pytest.mark.parametrize(
    ("path", "bad", "words"),
    [
        (("region",), "mars-1", "'mars-1' is not an AWS region name"),
        (("stacks",), ["Prod"], "'Prod' is not a stack name"),
        (("model_id",), "foo bar", "'foo bar' is not a Bedrock model id"),
    ],
)
def test_parse_spec_pattern_refusal_is_in_words(
    document: dict[str, Any], path: tuple[str, ...], bad: Any, words: str
) -> None:
    document[path[0]] = bad
    with pytest.raises(SpecError) as raised:
        parse_spec(render_spec_yaml(document))
    assert words in str(raised.value)
    assert "should match pattern" not in str(raised.value)
