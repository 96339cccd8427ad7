"""Copier answers become the spec, and each answer is judged by the spec's own rules."""

from __future__ import annotations

import botocore.session
import pytest
from governed_assistant.spec import parse_spec
from governed_assistant.spec.answers import QUESTION_PATHS, answer_error, render_spec_yaml, spec_from_answers
from governed_assistant.spec.model import PII_ENTITY_TYPES

from tests.conftest import PRESETS, REPO_ROOT, preset_answers


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
    """Every question in copier.yml maps to a spec path (so every answer can be validated)."""
    import yaml

    questions = {
        key for key in yaml.safe_load((REPO_ROOT / "copier.yml").read_text()) if not key.startswith("_")
    }
    assert questions == set(QUESTION_PATHS)


def test_pii_entity_types_match_botocore() -> None:
    """The PII entity list is exactly the Bedrock guardrail enum in botocore's service model."""
    model = botocore.session.get_session().get_service_model("bedrock")
    assert tuple(model.shape_for("GuardrailPiiEntityType").enum) == PII_ENTITY_TYPES
