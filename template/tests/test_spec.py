# Managed by the governed-assistant template; `copier update` refreshes this file.
"""The spec and the user-owned files it calls for stay in step."""

from __future__ import annotations

import importlib
from pathlib import Path

from governed_assistant import AssistantSpec, plan_files


def test_every_file_the_spec_calls_for_exists(spec: AssistantSpec, project_root: Path) -> None:
    """Every action, role and stack has its files; run `make scaffold` if this fails."""
    missing = [
        str(planned.path) for planned in plan_files(spec) if not (project_root / planned.path).exists()
    ]
    assert not missing, f"run `make scaffold` to create: {', '.join(missing)}"


def test_every_action_module_has_its_entry_points(spec: AssistantSpec) -> None:
    """Each action module defines execute, and compensate when the action is reversible."""
    for action in spec.actions:
        module = importlib.import_module(f"actions.{action.name}")
        assert callable(getattr(module, "execute", None)), f"actions/{action.name}.py needs execute()"
        if action.reversible:
            assert callable(getattr(module, "compensate", None)), (
                f"actions/{action.name}.py is reversible in assistant.yaml and needs compensate()"
            )
        for step in action.steps:
            assert callable(getattr(module, step, None)), f"actions/{action.name}.py needs step {step}()"


def test_system_prompt_is_present(project_root: Path) -> None:
    """The reasoning layer's system prompt exists and is not empty."""
    assert (project_root / "prompts" / "system.md").read_text(encoding="utf-8").strip()
