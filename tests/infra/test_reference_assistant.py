"""The repository's own reference assistant (Pulumi.yaml + __main__.py) evaluates under mocks."""

from __future__ import annotations

import zipfile

import pytest
import yaml
from governed_assistant.infra.testing import MockRun, run_program

from tests.conftest import REPO_ROOT

LAYER_ARN = "arn:aws:lambda:us-east-1:123456789012:layer:deps:1"


@pytest.fixture(scope="module")
def program() -> MockRun:
    project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())["name"]
    # The CLI would pass Pulumi.dev.yaml's settings; the layer ARN stands in for `make build`'s zip.
    return run_program(REPO_ROOT, project=project, stack="dev", config={"dependenciesLayerArn": LAYER_ARN})


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


def test_reference_assistant_ships_only_its_owners_files_in_the_code_zip(program: MockRun) -> None:
    """Every function runs build/code.zip: the spec (and actions, policies, prompts where a project has
    them), never the governance package, which travels in the layer."""
    archives = {f.inputs["code"].path for f in program.of_type("aws:lambda/function:Function")}
    assert archives == {"build/code.zip"}
    with zipfile.ZipFile(REPO_ROOT / "build" / "code.zip") as code:
        names = set(code.namelist())
    assert names == {"assistant.yaml"}
