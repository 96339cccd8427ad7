"""The local stack's sample records and executors: valid parameters, owners by id, failure kinds."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from governed_assistant.contracts import ActionRequest, TenantContext
from governed_assistant.local.samples import (
    FLAKY_FAILURES,
    SampleExecutorError,
    SampleLedger,
    install_sample_actions,
    sample_owner,
    sample_parameters,
    sample_resource_id,
)
from governed_assistant.runtime.actions import parameters_model, strict_parameters_schema
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml

from tests.conftest import PRESETS, preset_document

CONTEXT = TenantContext(tenant_id="acme", user_id="alice", roles=("agent",), request_id="r-1")


def preset_spec(preset: str) -> AssistantSpec:
    return parse_spec(render_spec_yaml(preset_document(preset)))


@pytest.fixture
def clean_actions() -> Iterator[None]:
    """Sample modules installed by a test leave sys.modules as they found it."""
    before = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "actions"}
    yield
    for name in [name for name in sys.modules if name.split(".")[0] == "actions"]:
        del sys.modules[name]
    sys.modules.update(before)


@pytest.mark.parametrize("preset", PRESETS)
def test_sample_parameters_every_preset_action_validates(preset: str) -> None:
    """The sample parameters of every preset action pass that action's own closed model."""
    for action in preset_spec(preset).actions:
        model = parameters_model(action.name, strict_parameters_schema(action.parameters, action=action.name))
        model.model_validate(sample_parameters(action.parameters))


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param({"type": "number", "exclusiveMinimum": 0, "maximum": 10}, 1.0, id="exclusive-minimum"),
        pytest.param({"type": "integer", "minimum": 5, "maximum": 5}, 5, id="pinned-integer"),
        pytest.param({"type": "string", "enum": ["b", "a"]}, "b", id="enum-first"),
        pytest.param({"type": ["string", "null"], "maxLength": 4}, "samp", id="max-length"),
        pytest.param(
            {"type": "object", "properties": {"x": {"type": ["string", "null"]}}, "required": []},
            {"x": None},
            id="optional-nullable-is-none",
        ),
    ],
)
def test_sample_parameters_table(schema: dict[str, object], expected: object) -> None:
    """Each schema keyword bounds the sample value."""
    assert sample_parameters(schema) == expected


@pytest.mark.parametrize(
    ("resource_id", "owner"),
    [
        pytest.param("acme-invoice-1", "acme", id="own"),
        pytest.param("globex-invoice-broken", "globex", id="other-tenant"),
        pytest.param("acme-ticket-1", None, id="other-type"),
        pytest.param("invoice-1", None, id="no-tenant"),
        pytest.param("-invoice-1", None, id="empty-tenant"),
    ],
)
def test_sample_owner_reads_the_tenant_from_the_id(resource_id: str, owner: str | None) -> None:
    """A sample id names its owner; anything else is unknown, which the gate denies."""
    assert sample_owner(resource_id, "invoice") == owner


def test_install_sample_actions_flaky_fails_then_succeeds(clean_actions: None, tmp_path: Path) -> None:
    """A flaky resource fails its first attempts, then succeeds; the ledger records each."""
    spec = preset_spec("bounded-action")
    ledger = SampleLedger(tmp_path / "ledger.jsonl")
    install_sample_actions(spec, ledger)
    import actions.issue_refund as refund  # type: ignore[import-not-found]

    request = ActionRequest(
        job_id="j-1",
        context=CONTEXT,
        action_type="issue_refund",
        resource_id=sample_resource_id("acme", "invoice", "flaky"),
        parameters={},
    )
    for _ in range(FLAKY_FAILURES):
        with pytest.raises(SampleExecutorError):
            refund.execute(request)
    assert refund.execute(request).status == "succeeded"
    assert refund.compensate(request).status == "succeeded"
    outcomes = [entry.get("outcome", entry["step"]) for entry in SampleLedger.read(tmp_path / "ledger.jsonl")]
    assert outcomes == ["failed", "failed", "done", "compensate"]


def test_install_sample_actions_refuses_to_replace_a_real_module(clean_actions: None) -> None:
    """A module someone wrote is never silently swapped for a sample."""
    import types

    from governed_assistant.errors import GovernanceError

    spec = preset_spec("bounded-action")
    sys.modules["actions.issue_refund"] = types.ModuleType("actions.issue_refund")
    with pytest.raises(GovernanceError, match="already imported"):
        install_sample_actions(spec, SampleLedger())
