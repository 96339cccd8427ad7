# Managed by the governed-assistant template; `copier update` refreshes this file.
"""Pulumi ComponentResources for the governed assistant (one per layer, composed by the spec)."""

from __future__ import annotations

from components.infra.assistant import GovernedAssistant, GovernedAssistantArgs

__all__ = ["GovernedAssistant", "GovernedAssistantArgs"]
