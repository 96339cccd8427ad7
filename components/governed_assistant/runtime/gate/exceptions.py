"""Errors raised while building the gate's parts. The gate itself never raises: it denies."""

from __future__ import annotations

from governed_assistant.errors import GovernanceError


class PolicyValidationError(GovernanceError):
    """When the Cedar policies do not parse or type-check against the spec's schema; fix policies/."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listed = "\n  - ".join(problems)
        super().__init__(
            f"Cedar policies are invalid, problems={len(problems)}:\n  - {listed}\n"
            "fix the files in policies/ (the tenant guard is added by the runtime; do not copy it)"
        )


class OwnerLookupError(GovernanceError):
    """When the owner of a resource cannot be looked up at all (no lookup for the action, or it failed)."""


class RiskHookError(GovernanceError):
    """When an action module's ``risk`` hook exists but is not callable."""
