"""Owner lookups and risk hooks come from the user's action modules (owner_of, risk)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from governed_assistant.runtime.gate import (
    ActionModuleOwners,
    InMemoryOwners,
    OwnerLookupError,
    RiskHookError,
    action_module_risk_hooks,
)

from tests.runtime.gate.gate_harness import SPEC

TICKET = SPEC.action("update_ticket_status")
REFUND = SPEC.action("issue_refund")


@pytest.fixture
def actions_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An importable ``gate_probe_actions`` package in tmp_path, forgotten after the test."""
    package = tmp_path / "gate_probe_actions"
    package.mkdir()
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield package
    for name in [name for name in sys.modules if name.startswith("gate_probe_actions")]:
        del sys.modules[name]


def test_action_module_owners_calls_owner_of(actions_package: Path) -> None:
    """The default lookup asks actions/<name>.py's owner_of(resource_id)."""
    (actions_package / "update_ticket_status.py").write_text(
        "def owner_of(resource_id):\n    return {'t-1': 'acme'}.get(resource_id)\n"
    )
    owners = ActionModuleOwners("gate_probe_actions")
    assert TICKET is not None
    assert (owners.owner_of(TICKET, "t-1"), owners.owner_of(TICKET, "t-2")) == ("acme", None)


@pytest.mark.parametrize(
    ("module_text", "fragment"),
    [
        pytest.param(None, "make scaffold", id="no-module"),
        pytest.param("def execute(request):\n    pass\n", "has no owner_of", id="no-owner-of"),
        pytest.param("def owner_of(resource_id):\n    return 42\n", "returned a int", id="not-a-string"),
    ],
)
def test_action_module_owners_missing_lookup_raises(
    actions_package: Path, module_text: str | None, fragment: str
) -> None:
    """Without a usable owner_of the lookup raises OwnerLookupError saying how to fix it."""
    if module_text is not None:
        (actions_package / "update_ticket_status.py").write_text(module_text)
    assert TICKET is not None
    with pytest.raises(OwnerLookupError, match=fragment):
        ActionModuleOwners("gate_probe_actions").owner_of(TICKET, "t-1")


def test_in_memory_owners_keyed_by_resource_type() -> None:
    """The same id under two resource types has two owners."""
    owners = InMemoryOwners({("ticket", "1"): "acme"})
    owners.add("invoice", "1", "globex")
    assert TICKET is not None and REFUND is not None
    assert (owners.owner_of(TICKET, "1"), owners.owner_of(REFUND, "1")) == ("acme", "globex")


def test_action_module_risk_hooks_collects_defined_hooks(actions_package: Path) -> None:
    """Modules that define risk(parameters) contribute a hook; others and missing modules do not."""
    (actions_package / "issue_refund.py").write_text(
        "def risk(parameters):\n    return parameters['amount'] / 1000\n"
    )
    (actions_package / "draft_reply.py").write_text("def execute(request):\n    pass\n")
    hooks = action_module_risk_hooks(SPEC, "gate_probe_actions")
    assert set(hooks) == {"issue_refund"}
    assert hooks["issue_refund"]({"amount": 500}) == 0.5


def test_action_module_risk_hooks_not_callable_raises(actions_package: Path) -> None:
    """A risk attribute that is not a function is a configuration error, raised at load."""
    (actions_package / "issue_refund.py").write_text("risk = 0.9\n")
    with pytest.raises(RiskHookError, match="issue_refund"):
        action_module_risk_hooks(SPEC, "gate_probe_actions")
