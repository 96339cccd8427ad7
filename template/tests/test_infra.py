# Managed by the governed-assistant template; `copier update` refreshes this file.
"""The Pulumi program, evaluated under the SDK's mocks: what `pulumi up` would create."""

from __future__ import annotations

from pathlib import Path

import pytest
from governed_assistant import AssistantSpec, check_resources
from governed_assistant.testing import MockRun, run_program

# Stands in for build/layer.zip, which `python -m governed_assistant.infra.packaging build` makes.
LAYER_ARN = "arn:aws:lambda:us-east-1:123456789012:layer:deps:1"


@pytest.fixture(scope="module")
def program(spec: AssistantSpec, project_root: Path) -> MockRun:
    # The first stack's Pulumi.<stack>.yaml settings apply, as `pulumi up -s <stack>` would.
    return run_program(
        project_root, project=spec.slug, stack=spec.stacks[0], config={"dependenciesLayerArn": LAYER_ARN}
    )


def test_program_registers_the_assistant(program: MockRun) -> None:
    """The program builds one GovernedAssistant."""
    assert len(program.of_type("governed:assistant:GovernedAssistant")) == 1


def test_every_cloud_resource_is_parented(program: MockRun) -> None:
    """No cloud resource sits outside a component (each has parent=)."""
    assert program.orphans() == []


def test_urns_are_unique(program: MockRun) -> None:
    """No two resources share a URN (the mocks would silently keep one)."""
    assert program.duplicate_urns() == []


def test_tables_are_encrypted_and_recoverable(program: MockRun) -> None:
    """Every DynamoDB table has encryption and point-in-time recovery on."""
    tables = program.of_type("aws:dynamodb/table:Table")
    assert tables
    for table in tables:
        assert table.inputs["serverSideEncryption"]["enabled"] is True
        assert table.inputs["pointInTimeRecovery"]["enabled"] is True


def test_functions_run_code_that_exists(program: MockRun, project_root: Path) -> None:
    """Every function's code archive is a file the program built (the mocks would accept a missing one)."""
    functions = program.of_type("aws:lambda/function:Function")
    assert functions
    for function in functions:
        assert (project_root / function.inputs["code"].path).is_file()


def test_governance_invariants_hold(program: MockRun, spec: AssistantSpec) -> None:
    """The invariants the policy pack enforces at deploy time hold for this project."""
    assert check_resources(program.resources, spec) == []
