"""Errors raised while writing the security review pack."""

from __future__ import annotations

from governed_assistant.errors import GovernanceError


class SecurityReportError(GovernanceError):
    """When the report cannot be written as asked (no test results, a results file that is not
    pytest's JUnit XML)."""

    kind = "invalid"
