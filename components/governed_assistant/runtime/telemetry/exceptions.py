"""Errors raised while setting telemetry up. Recording an event never raises one."""

from __future__ import annotations

from governed_assistant.errors import GovernanceError


class TelemetryConfigError(GovernanceError):
    """When telemetry is configured with an unknown sink, or a sink without its destination."""


class EventFormatError(GovernanceError):
    """When a stored or logged line is not a DecisionEvent this version can read."""
