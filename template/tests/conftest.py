# Managed by the governed-assistant template; `copier update` refreshes this file.
"""Shared fixtures: the project's own spec, loaded the way the runtime and Pulumi load it."""

from __future__ import annotations

from pathlib import Path

import pytest
from governed_assistant import AssistantSpec, load_spec

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def spec(project_root: Path) -> AssistantSpec:
    return load_spec(project_root / "assistant.yaml")
