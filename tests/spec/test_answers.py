"""Copier answers become the spec, and each answer is judged by the spec's own rules."""

from __future__ import annotations

import botocore.session
import pytest
from governed_assistant.spec import parse_spec
from governed_assistant.spec.answers import (
    QUESTION_PATHS,
    answer_error,
    answers_error,
    default_slug,
    question_of,
    render_spec_yaml,
    spec_from_answers,
    typed_answers,
)
from governed_assistant.spec.model import PII_ENTITY_TYPES
from governed_assistant.spec.models import default_model_id

from tests.conftest import PRESETS, REPO_ROOT, preset_answers
from tests.spec_space import copier_default, default_answers, validator_messages


@pytest.mark.parametrize("preset", PRESETS)
def test_spec_from_answers_every_preset_is_valid(preset: str) -> None:
    """Each preset's default answers make a spec the loader accepts."""
    answers, roles = preset_answers(preset)
    spec = parse_spec(render_spec_yaml(spec_from_answers(answers, roles)))
    assert spec.pattern == preset
    assert set(spec.roles) == {role for action in spec.actions for role in action.roles} | set(
        spec.approver_roles
    ) | set(spec.admin_roles)


def test_spec_from_answers_oidc_carries_issuer_and_audience() -> None:
    """An oidc answer puts issuer and audience in the spec; cognito leaves them out."""
    answers, roles = preset_answers("bounded-action")
    oidc = spec_from_answers(
        answers
        | {"identity_provider": "oidc", "oidc_issuer": "https://id.example.com/", "oidc_audience": "a"},
        roles,
    )
    assert oidc["identity"]["issuer"] == "https://id.example.com/"
    cognito = spec_from_answers(answers | {"oidc_issuer": "https://ignored/"}, roles)
    assert "issuer" not in cognito["identity"]


@pytest.mark.parametrize(
    ("question", "answers"),
    [
        pytest.param("approval_threshold", {"approval_threshold": 0.7}, id="approval"),
        pytest.param("stacks", {"stacks": ["dev", "staging", "prod"]}, id="stacks"),
        pytest.param("retention_days", {"retention_days": 365}, id="retention"),
    ],
)
def test_answer_error_valid_answer_is_empty(question: str, answers: dict[str, object]) -> None:
    """A valid answer yields no message."""
    assert answer_error(question, answers) == ""


def test_answer_error_reports_only_the_question_asked() -> None:
    """Problems elsewhere in the answers are not blamed on the question being validated."""
    answers = {"retention_days": 31, "canary_percent": 50}
    assert answer_error("canary_percent", answers) == ""
    assert "retention period" in answer_error("retention_days", answers)


def test_question_paths_cover_every_copier_question() -> None:
    """Every question in copier.yml maps to a spec path (so every answer can be validated), but those
    that only say where the actions come from (their validators check the actions they give)."""
    import yaml

    questions = {
        key for key in yaml.safe_load((REPO_ROOT / "copier.yml").read_text()) if not key.startswith("_")
    }
    assert questions - {"answers_check", "actions_from", "actions_file"} == set(QUESTION_PATHS)


def test_answers_check_comes_first_and_is_never_asked_or_recorded() -> None:
    """The check runs before copier reaches any answer, and has no default for copier to ask or store."""
    import yaml

    questions = [
        key for key in yaml.safe_load((REPO_ROOT / "copier.yml").read_text()) if not key.startswith("_")
    ]
    check = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["answers_check"]
    assert questions[0] == "answers_check"
    assert check["when"] == "{{ refuse_invalid_answers() }}"
    assert "default" not in check


BAD_ANSWERS = {"project_slug": "Bad Slug!", "approval_threshold": 2, "retention_days": 31}


def test_answers_error_lists_every_bad_answer_as_the_questionnaire_words_it() -> None:
    """Each bad answer is one line, the very message copier shows when that question is answered."""
    message = answers_error(BAD_ANSWERS, set(QUESTION_PATHS))
    assert message.startswith("3 answers are invalid, so nothing was written:\n")
    for question in BAD_ANSWERS:
        error = answer_error(question, BAD_ANSWERS)
        assert error
        assert f"\n  - Validation error for question '{question}': {error}\n" in message


def test_answers_error_bad_field_does_not_hide_a_rule_across_fields() -> None:
    """A refused choice does not hide a duplicate stack, which only the rules across fields see."""
    answers = {"identity_provider": "okta", "stacks": ["dev", "dev"], "approval_threshold": 2}
    message = answers_error(answers, set(QUESTION_PATHS))
    assert message.startswith("3 answers are invalid")
    assert "question 'identity_provider': identity.provider: Input should be 'cognito' or 'oidc'" in message
    assert "question 'stacks': stacks[1]: duplicate stack 'dev'" in message
    assert (
        message.index("approval_threshold") < message.index("identity_provider") < message.index("'stacks'")
    )


def test_answers_error_judges_only_the_questions_named() -> None:
    """Answers copier keeps from the answers file are not judged; the named questions are."""
    message = answers_error(BAD_ANSWERS, {"retention_days", "canary_percent"})
    assert message.startswith("1 answer is invalid")
    assert "'retention_days'" in message and "'project_slug'" not in message
    assert answers_error(BAD_ANSWERS, {"canary_percent"}) == ""


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        pytest.param({}, "", id="nothing-given"),
        pytest.param({"identity_provider": "oidc"}, "", id="oidc-settings-defaulted"),
        # Derived defaults are valid whatever they derive from (the tests below), so these pass:
        pytest.param({"project_name": "123 Go"}, "", id="slug-from-name"),
        pytest.param({"approval_threshold": 0.95}, "", id="deny-from-approval"),
        pytest.param({"aws_region": "cn-north-1"}, "", id="model-from-region"),
        # A given answer is judged against the defaults of the others: deny below approval's 0.5.
        pytest.param({"deny_threshold": 0.3}, "question 'deny_threshold': risk.deny", id="given-vs-default"),
    ],
)
def test_answers_error_unanswered_question_judged_by_its_copier_default(
    answers: dict[str, object], expected: str
) -> None:
    """A question left to its default is judged by the value copier will fill in, derived ones too."""
    message = answers_error(answers, set(QUESTION_PATHS))
    assert (expected in message) if expected else message == ""


def test_typed_answers_parse_text_as_copier_does() -> None:
    """Text for a yaml question is parsed, a number for a str question becomes text, the rest stays."""
    types = {"stacks": "yaml", "project_name": "str", "approval_threshold": "float", "actions": "yaml"}
    answers = {"stacks": "[dev, qa]", "project_name": 7, "approval_threshold": "0.5", "actions": "[{name: x"}
    assert typed_answers(answers, types) == {
        "stacks": ["dev", "qa"],
        "project_name": "7",
        "approval_threshold": "0.5",
        "actions": "[{name: x",
    }
    assert "approval_threshold" not in answers_error(typed_answers(answers, types), set(QUESTION_PATHS))


@pytest.mark.parametrize(
    ("path", "question"),
    [
        pytest.param(("risk", "approval"), "approval_threshold", id="approval"),
        pytest.param(("risk", "deny"), "deny_threshold", id="deny"),
        pytest.param(("retrieval", "backend"), "retrieval_backend", id="backend"),
        pytest.param(("actions", 3, "parameters"), "actions", id="actions"),
        pytest.param(("roles", "x"), "roles", id="roles"),
        pytest.param(("identity", "claims"), None, id="no-question"),
    ],
)
def test_question_of_longest_prefix_wins(path: tuple[str | int, ...], question: str | None) -> None:
    """A problem belongs to the question whose answer lands nearest to it."""
    assert question_of(path) == question


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        pytest.param("Support Operations Assistant", "support_operations_assistant", id="words"),
        pytest.param("  Billing -- Desk! ", "billing_desk", id="punctuation"),
        pytest.param("123 Go", "go", id="digits-first"),
        pytest.param("Ünïcode", "unicode", id="non-ascii"),
    ],
)
def test_spec_from_answers_unanswered_slug_is_copier_default(name: str, slug: str) -> None:
    """An unanswered slug is copier.yml's default, the name slugged by the same function."""
    import yaml

    extension = (REPO_ROOT / "extensions" / "spec_extension.py").read_text()
    assert "default_slug=default_slug" in extension
    question = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["project_slug"]
    assert question["default"] == "{{ default_slug(project_name) }}"
    assert default_slug(name) == slug
    assert spec_from_answers({"project_name": name})["slug"] == slug


def test_pii_entity_types_match_botocore() -> None:
    """The PII entity list is exactly the Bedrock guardrail enum in botocore's service model."""
    model = botocore.session.get_session().get_service_model("bedrock")
    assert tuple(model.shape_for("GuardrailPiiEntityType").enum) == PII_ENTITY_TYPES


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        pytest.param(
            {"model_id": "us.anthropic.claude-sonnet-4-20250514-v1:0"},
            "strict tool use is documented only for",
            id="sonnet-4",
        ),
        pytest.param(
            {"aws_region": "eu-west-1", "model_id": "us.anthropic.claude-sonnet-4-5-20250929-v1:0"},
            "use 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0'",
            id="profile-of-another-region",
        ),
    ],
)
def test_answer_error_model_without_strict_tools_is_refused(
    answers: dict[str, object], fragment: str
) -> None:
    """The model_id question refuses a model without strict tools, or a profile the region cannot call."""
    assert fragment in answer_error("model_id", answers)


@pytest.mark.parametrize(
    "region", ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1"]
)
def test_copier_default_model_follows_the_region_and_is_valid(region: str) -> None:
    """copier.yml's model_id default renders, for each region, a model the question accepts."""
    import jinja2
    import yaml

    # The template's extension registers default_model_id as a global; importing it here would
    # purge governed_assistant from sys.modules (it does, for copier update), so it stands in.
    extension = (REPO_ROOT / "extensions" / "spec_extension.py").read_text()
    assert "default_model_id=default_model_id" in extension
    template = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["model_id"]["default"]
    environment = jinja2.Environment(autoescape=False)  # noqa: S701 - renders YAML text, not HTML
    environment.globals["default_model_id"] = default_model_id
    default = environment.from_string(template).render(aws_region=region)
    assert default == default_model_id(region)
    assert answer_error("model_id", {"aws_region": region, "model_id": default}) == ""


# copier validates a question's default before it shows it (copier >= 9.8): a default its own
# validator refuses stops the interactive questionnaire, so every derived default must be valid.
@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Support Operations Assistant", id="plain"),
        pytest.param("N" * 100, id="longest-name"),
        pytest.param("123 Support Bot", id="leading-digits"),
        pytest.param("Class", id="keyword"),
        pytest.param("Ünïcode Bot ✓", id="accents"),
        pytest.param("!!!", id="no-letters"),
        pytest.param("日本語", id="no-latin-letters"),
    ],
)
def test_copier_default_slug_is_accepted_for_any_name(name: str) -> None:
    """copier.yml's project_slug default, derived from the name, is a slug the question accepts."""
    slug = copier_default("project_slug", {"project_name": name})
    assert answer_error("project_slug", {"project_name": name, "project_slug": slug}) == ""


def test_copier_default_slug_keeps_the_names_words() -> None:
    """The default slug is the name's words in snake_case, accents folded."""
    assert copier_default("project_slug", {"project_name": "Ünïcode Support Bot"}) == "unicode_support_bot"


@pytest.mark.parametrize("approval", [0.0, 0.5, 0.9, 0.90001, 0.95, 1.0])
def test_copier_default_deny_is_accepted_for_any_approval(approval: float) -> None:
    """copier.yml's deny_threshold default is never below the approval threshold just answered."""
    answers: dict[str, object] = {"approval_threshold": approval}
    answers["deny_threshold"] = copier_default("deny_threshold", answers)
    assert answer_error("deny_threshold", answers) == ""
    assert answers["deny_threshold"] == max(approval, 0.9)


def _first_action_with(**changes: object) -> list[dict[str, object]]:
    actions: list[dict[str, object]] = preset_answers("bounded-action")[0]["actions"]
    actions[0] = {**actions[0], **changes}
    return actions


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        pytest.param("approver_roles", 5, id="approvers-number"),
        pytest.param("approver_roles", None, id="approvers-empty"),
        pytest.param("approver_roles", [], id="approvers-none-listed"),
        pytest.param("approver_roles", "supervisor", id="approvers-not-a-list"),
        pytest.param("admin_roles", 5, id="admins-number"),
        pytest.param("admin_roles", "admin", id="admins-not-a-list"),
        pytest.param("actions", _first_action_with(roles=None), id="action-roles-empty"),
        pytest.param("actions", _first_action_with(roles=3), id="action-roles-number"),
        pytest.param("stacks", [], id="stacks-none-listed"),
        pytest.param("stacks", None, id="stacks-empty"),
        pytest.param("model_id", "", id="model-empty"),
    ],
)
def test_answer_error_malformed_answer_is_refused_not_raised_or_replaced(
    question: str, answer: object
) -> None:
    """A YAML answer of the wrong shape (or none) is refused at its question: no validator raises, and
    no default silently takes its place."""
    refusals, failures = validator_messages(default_answers(**{question: answer}))
    assert failures == []
    assert question in refusals
