"""Shared pieces of the local stack's tests: a project directory and a spec with variations."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from governed_assistant.spec import AssistantSpec, parse_spec

from tests.conftest import REPO_ROOT


def spec_with(**guardrails: Any) -> AssistantSpec:
    """The reference assistant's spec, with its ``guardrails`` section changed as given."""
    document = yaml.safe_load((REPO_ROOT / "assistant.yaml").read_text())
    document["guardrails"].update(guardrails)
    return parse_spec(yaml.safe_dump(document))


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project directory holding the reference assistant's spec and prompt, and nothing else."""
    root = tmp_path_factory.mktemp("project")
    shutil.copy(REPO_ROOT / "assistant.yaml", root / "assistant.yaml")
    (root / "prompts").mkdir()
    (root / "prompts" / "system.md").write_text("You are a test assistant.\n")
    return root
