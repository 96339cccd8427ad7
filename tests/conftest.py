"""Fixtures shared by the template's tests: the repo root, presets, a valid spec."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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


@pytest.fixture
def document() -> dict[str, Any]:
    """A valid spec document (the bounded-action preset) to break in a test."""
    return preset_document()


@pytest.fixture
def spec() -> AssistantSpec:
    return parse_spec(render_spec_yaml(preset_document()))
