"""What the spec calls for on disk, and writing only what is missing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from governed_assistant.authz.cedar_schema import starter_policy
from governed_assistant.spec.model import AssistantSpec

_STUBS = jinja2.Environment(
    loader=jinja2.PackageLoader("governed_assistant.scaffold", "stubs"),
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # noqa: S701 - renders Python and YAML source, never HTML
)


@dataclass(frozen=True)
class PlannedFile:
    """A user-owned file the spec calls for, relative to the project root."""

    path: Path
    content: str


def plan_files(spec: AssistantSpec) -> list[PlannedFile]:
    """Every user-owned file the spec calls for, with the content of a fresh stub."""
    planned = []
    for action in spec.actions:
        planned.append(
            PlannedFile(Path("actions", f"{action.name}.py"), _render("action.py.j2", action=action))
        )
        planned.append(
            PlannedFile(
                Path("tests", "actions", f"test_{action.name}.py"),
                _render("test_action.py.j2", action=action),
            )
        )
    for role in spec.roles:
        planned.append(PlannedFile(Path("policies", f"{role}.cedar"), starter_policy(spec, role)))
    for stack in spec.stacks:
        planned.append(
            PlannedFile(Path(f"Pulumi.{stack}.yaml"), _render("stack.yaml.j2", spec=spec, stack=stack))
        )
    return planned


def scaffold(spec: AssistantSpec, root: Path, *, dry_run: bool = False) -> list[Path]:
    """Write the planned files that do not exist yet; return their paths. Existing files are never touched."""
    created = []
    for planned in plan_files(spec):
        target = root / planned.path
        if target.exists():
            continue
        created.append(planned.path)
        if not dry_run:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(planned.content, encoding="utf-8")
    return created


def policy_hints(spec: AssistantSpec, root: Path, created: list[Path]) -> list[str]:
    """For each new action, the existing role policies that must now permit it (we never edit them)."""
    hints = []
    for action in spec.actions:
        if Path("actions", f"{action.name}.py") not in created:
            continue
        for role in action.roles:
            policy = Path("policies", f"{role}.cedar")
            if policy not in created and (root / policy).exists():
                hints.append(f'{policy}: add Action::"{action.name}" to a permit so {role} may run it')
    return hints


def _render(stub: str, **context: object) -> str:
    return _STUBS.get_template(stub).render(**context)
