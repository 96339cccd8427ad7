"""Fixtures shared by the template's tests: the repo root, presets, a valid spec."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml, spec_from_answers

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = REPO_ROOT / "components"
# The governance package is imported from the working tree (pytest's `pythonpath` does it for
# this process); the Python subprocesses the tests start get it the same way. Rendered projects
# are the exception: they install the package their requirements.txt pins (tests/template).
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
PRESETS = ("bounded-action", "workflow-aware", "insights-to-action")


def skip_or_fail_in_ci(reason: str) -> NoReturn:
    """Skip a test whose prerequisite is missing; under CI (``CI`` set) fail it instead.

    CI installs PostgreSQL with pgvector and the embedder precisely so these tests run: there,
    a missing prerequisite is a broken run, not a reason to skip the row-level-security proofs.
    """
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test, but: {reason}", pytrace=False)
    pytest.skip(reason)


def require_module(name: str, reason: str) -> Any:
    """``pytest.importorskip`` that fails instead under CI (see ``skip_or_fail_in_ci``)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        skip_or_fail_in_ci(f"{name} is not installed: {reason}")


def preset_answers(preset: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The answers ``copier copy --defaults`` gives for a preset, and its role descriptions."""
    data = yaml.safe_load((REPO_ROOT / "scaffolds" / "presets" / f"{preset}.yaml").read_text())
    answers = {
        "preset": preset,
        "mode": data["mode"],
        "actions": data["actions"],
        "approver_roles": data["approver_roles"],
        "admin_roles": data["admin_roles"],
    }
    return answers, data["roles"]


def preset_document(preset: str = "bounded-action") -> dict[str, Any]:
    answers, roles = preset_answers(preset)
    return spec_from_answers(answers, roles)


def answer_mode_document() -> dict[str, Any]:
    """The questionnaire's answer mode: no actions, and only the roles that approve or administer."""
    answers, roles = preset_answers("bounded-action")
    answers |= {"mode": "answer", "actions": []}
    used = {*answers["approver_roles"], *answers["admin_roles"]}
    return spec_from_answers(answers, {role: text for role, text in roles.items() if role in used})


@pytest.fixture
def document() -> dict[str, Any]:
    """A valid spec document (the bounded-action preset) to break in a test."""
    return preset_document()


@pytest.fixture
def spec() -> AssistantSpec:
    return parse_spec(render_spec_yaml(preset_document()))
