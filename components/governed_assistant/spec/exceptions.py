"""Errors raised while loading the assistant spec."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from governed_assistant.errors import GovernanceError
from governed_assistant.spec.problems import Problem


class SpecError(GovernanceError):
    """When ``assistant.yaml`` is missing, malformed or breaks a rule; lists every problem."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{source}: {count} problem{'s' if count != 1 else ''}\n{lines}")


class SpecVersionError(GovernanceError):
    """When ``assistant.yaml`` was written for another spec version than this template's."""

    def __init__(self, found: Any, expected: int) -> None:
        self.found = found
        self.expected = expected
        if isinstance(found, int) and found < expected:
            hint = "run `python -m governed_assistant.spec migrate` (copier update runs it for you)"
        else:
            hint = f"set spec_version: {expected}, or update the template with `copier update`"
        super().__init__(f"spec_version={found!r} but this template reads spec_version={expected}; {hint}")
