"""The repository's own reference assistant (Pulumi.yaml + __main__.py) evaluates under mocks."""

from __future__ import annotations

import pytest
import yaml

from components.infra.testing import MockRun, run_program
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def program() -> MockRun:
    project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())["name"]
    return run_program(REPO_ROOT, project=project, stack="dev")


def test_reference_assistant_builds_one_governed_assistant(program: MockRun) -> None:
    """The program registers exactly one GovernedAssistant component."""
    assert len(program.of_type("governed:assistant:GovernedAssistant")) == 1


def test_reference_assistant_parents_every_resource_and_keeps_urns_unique(program: MockRun) -> None:
    """Every cloud resource has a component parent and no URN repeats."""
    assert program.orphans() == []
    assert program.duplicate_urns() == []


def test_reference_assistant_is_the_template_program() -> None:
    """The generated project's __main__.py is this very file (a symlink), so they cannot drift."""
    assert (REPO_ROOT / "template" / "__main__.py").resolve() == (REPO_ROOT / "__main__.py").resolve()
